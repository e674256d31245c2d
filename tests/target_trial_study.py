#!/usr/bin/env python3
"""Target trial emulation in a study (docs/protocols.md, `target_trial`; docs/methods.md §8.7).

  target_trial_study.py RWE SOURCE_DIR WORK_DIR

studies/thp-first-line.toml on its demo registry (rwe synth --profile thp-her2-mbc
--patients 228 --seed 20221001), with target_trial analyses of OS for ">= 6 docetaxel
administrations by day 126" vs fewer. The numbers of the estimator are checked against R
in tests/target_trial_test.cpp (tests/data/target_trial.R); here the invariants of the
cloning in a real run:
  - clones = 2 x patients; each arm's clones <= patients; a patient deviates from at most
    one arm (censored at deviation A + B <= patients); events <= clones per arm;
  - the censoring model has its intercept, the two time terms and the covariates' columns;
  - a stabilized, truncated run caps the weights (max <= cap) and still estimates the HR;
  - min_count = 1 (the first administration is on the index date, so every B clone
    deviates on day 0 and has no follow-up) gives a warning and "estimable": false, not a
    stopped run;
  - the report has the section "Target trial emulation" with its table and figure, and the
    not-estimable analysis's reason;
  - bootstrap = 30, seed = 11 twice gives the same intervals, the HR's holding the HR;
  - small_cell > 1 with the kind is refused (suppression does not cover it yet).

Each check prints `ok <name>` or `FAIL <name>: why`; the exit status is 1 when one failed.
"""
import math
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from study_checks import Checks, demo_registry, run_protocol  # noqa: E402

RWE, SOURCE, WORK = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
check = Checks()
db = demo_registry(RWE, WORK, "thp-her2-mbc", 228)
base = (SOURCE / "studies" / "thp-first-line.toml").read_text()
text = base + '''
[[analysis]]
id = "tte"
kind = "target_trial"
endpoint = "OS"
drugs = ["docetaxel"]
min_count = 6
grace_days = 126
covariates = ["AGE", "VISCERAL"]
times = [12, 24]
rmst_tau = 36

[[analysis]]
id = "tte_sw"
kind = "target_trial"
endpoint = "OS"
drugs = ["docetaxel"]
min_count = 6
grace_days = 126
covariates = ["AGE", "VISCERAL"]
stabilize = true
truncate = 0.95

[[analysis]]
id = "tte_boot"
kind = "target_trial"
endpoint = "OS"
drugs = ["docetaxel"]
min_count = 6
grace_days = 126
times = [12]
rmst_tau = 36
bootstrap = 30
seed = 11

[[analysis]]
id = "tte_boot_again"
kind = "target_trial"
endpoint = "OS"
drugs = ["docetaxel"]
min_count = 6
grace_days = 126
times = [12]
rmst_tau = 36
bootstrap = 30
seed = 11

[[analysis]]
id = "tte_one"
kind = "target_trial"
endpoint = "OS"
drugs = ["docetaxel"]
min_count = 1
grace_days = 126
'''
out, results, stderr = run_protocol(RWE, text, db, WORK, check)
by_id = {a["id"]: a.get("result", {}) for a in results["analyses"]}

for name in ("tte", "tte_sw"):
    r = by_id[name]
    n = r["patients"]
    check(f"{name} clones = 2 x patients", r["clones"] == 2 * n and n > 0, r.get("clones"))
    arms = {a["name"]: a for a in r["arms"]}
    check(f"{name} arms A and B", set(arms) == {"A", "B"}, list(arms))
    for arm in arms.values():
        check(f"{name} {arm['name']} clones <= patients", 0 < arm["clones"] <= n, arm["clones"])
        check(f"{name} {arm['name']} events <= clones", arm["events"] <= arm["clones"], arm)
    check(f"{name} deviation from at most one arm",
          arms["A"]["censored_deviation"] + arms["B"]["censored_deviation"] <= n, arms)
    names = [c["name"] for c in r["censoring_model"]["coefficients"]]
    check(f"{name} censoring model terms", names[:3] == ["(Intercept)", "interval_start", "interval_start_squared"]
          and "AGE" in names and any(x.startswith("VISCERAL") for x in names), names)
    check(f"{name} estimable with a finite HR", r["estimable"] and math.isfinite(r["hr"]["hr"])
          and r["hr"]["lower"] < r["hr"]["hr"] < r["hr"]["upper"], r.get("hr"))

tte = by_id["tte"]
check("tte differences at times", [d["time"] for d in tte["differences"]["at_times"]] == [12, 24], tte["differences"])
arms = {a["name"]: a for a in tte["arms"]}
check("tte rmst difference = A - B", abs(tte["differences"]["rmst_difference"] - (arms["A"]["rmst"] - arms["B"]["rmst"])) < 1e-12,
      tte["differences"])
sw = by_id["tte_sw"]
cap = sw["weighting"]["cap"]
check("tte_sw weights capped", all(a["weights"]["max"] <= cap + 1e-12 for a in sw["arms"]) and sw["weighting"]["truncated_rows"] > 0,
      sw["weighting"])
boot, again = by_id["tte_boot"]["bootstrap"], by_id["tte_boot_again"]["bootstrap"]
check("bootstrap: same seed, same numbers", boot == again, (boot, again))
hr = by_id["tte_boot"]["hr"]["hr"]
check("bootstrap: the HR interval holds the HR", boot["resamples"] == 30 and boot["hr_lower"] < hr < boot["hr_upper"], (boot, hr))
check("bootstrap in the report", "Bootstrap 95% CI (30 resamples, seed 11)" in (out / "report.html").read_text(), "")
one = by_id["tte_one"]
check("tte_one not estimable", one.get("estimable") is False and "reason" in one, one.get("reason"))
check("tte_one warning", "analysis.tte_one" in stderr and "not estimable" in stderr, stderr[-2000:])

report = (out / "report.html").read_text()
check("report section", 'id="sec-target_trial"' in report and "Target trial emulation" in report, "no section")
check("report table and figure", "HR A vs B" in report and (out / "figures" / "fig-tte.svg").exists(),
      sorted(p.name for p in (out / "figures").iterdir()))
check("report: the not-estimable analysis says why", "not estimable" in report, "")

refused = WORK / "refused.toml"
refused.write_text(text.replace("small_cell = 0 ", "small_cell = 5 "))
r = subprocess.run([RWE, "run", refused, "--db", db, "--out", WORK / "refused"], capture_output=True, text=True)
check("small_cell refused with target_trial", r.returncode != 0 and "analysis.kind" in r.stderr and "target_trial" in r.stderr,
      r.stderr[-1000:])
sys.exit(check.exit_status())
