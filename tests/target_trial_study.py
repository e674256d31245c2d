#!/usr/bin/env python3
"""Target trial emulation in a study (docs/protocols.md, `target_trial`; docs/methods.md §8.7).

  target_trial_study.py RWE SOURCE_DIR WORK_DIR

studies/thp-first-line.toml on its demo registry (rwe synth --profile thp-her2-mbc
--patients 228 --seed 20221001), with target_trial analyses of OS for ">= 6 docetaxel
administrations by day 126" vs fewer. R reruns the three analyses from the registry's
files and the run's ADaM datasets (tests/data/target_trial_emulate.R): counts, weights,
curves, medians, S(t), RMST differences, HRs with robust SEs, CIs and p, and the bootstrap
limits over the same 30 resamples, to 1e-6. And the invariants of the cloning:
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
  - small_cell = 10 withholds an arm's small counts and what combines the arms with them.

Each check prints `ok <name>` or `FAIL <name>: why`; the exit status is 1 when one failed.
"""
import csv
import json
import math
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bootstrap_resamples  # noqa: E402
from datetime import date  # noqa: E402
from study_checks import Checks, demo_registry, e_value, km_risk_at_end, run_protocol  # noqa: E402

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
times = [12]

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

# R from the run, as a user would check it: the administration days come from the registry's
# own files (the demo's regimens.csv and administrations.csv: the docetaxel days of the
# patient's first palliative THP line, which starts on TRTSDT), OS and the covariates from
# the run's adtte.csv and adsl.csv; tests/data/target_trial_emulate.R repeats every step in
# glm and survival. The censoring model's coefficients are not compared: with three-weekly
# cycles the 6th administration cannot come before day 105, the time terms separate the
# intervals (R and rwe both say so) and the coefficients are wherever the iterations
# stopped; the weights, curves and HRs do not depend on that and are compared to 1e-6.
# tte_boot's limits come from R refitting rwe's 30 resamples (tests/bootstrap_resamples.py).
adsl = {r["USUBJID"]: r for r in csv.DictReader(open(out / "adsl.csv", encoding="utf-8"))}
os_rows = [r for r in csv.DictReader(open(out / "adtte.csv", encoding="utf-8")) if r["PARAMCD"] == "OS"]
index_line = {}
for r in csv.DictReader(open(WORK / "demo" / "regimens.csv", encoding="utf-8")):
    if r["setting"] == "palliative" and r["line"] == "1" and r["regimen"] == "THP" and r["patient_id"] in adsl \
            and r["start_date"] == adsl[r["patient_id"]]["TRTSDT"]:
        index_line[r["regimen_id"]] = r["patient_id"]
given = {}
for r in csv.DictReader(open(WORK / "demo" / "administrations.csv", encoding="utf-8")):
    if r["drug"] == "docetaxel" and r["regimen_id"] in index_line:
        patient = index_line[r["regimen_id"]]
        day = (date.fromisoformat(r["admin_date"]) - date.fromisoformat(adsl[patient]["TRTSDT"])).days
        given.setdefault(patient, set()).add(day)
check("every OS patient has an index line in the registry files", all(r["USUBJID"] in index_line.values() for r in os_rows), "")
check("docetaxel days agree with DOCECYC", all(len(given.get(r["USUBJID"], ())) == int(adsl[r["USUBJID"]]["DOCECYC"]) for r in os_rows), "")
with open(WORK / "tte.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["id", "time", "status", "days", "AGE", "VISCERAL"])
    for i, r in enumerate(os_rows, 1):
        a = adsl[r["USUBJID"]]
        w.writerow([i, r["AVAL"], 1 - int(r["CNSR"]), ";".join(str(d / 30.4375) for d in sorted(given.get(r["USUBJID"], ()))),
                    a["AGE"], a["VISCERAL"]])
bootstrap_resamples.write(WORK / "tte_resamples.csv", 11, 30, len(os_rows))
script = r"""
source(file.path(commandArgs(TRUE)[3], "target_trial_emulate.R"))
csv <- read.csv(commandArgs(TRUE)[1], colClasses = c(days = "character"), na.strings = "")
csv$days[is.na(csv$days)] <- ""
csv$VISCERAL <- factor(csv$VISCERAL, levels = c("N", "Y"))
resamples <- as.matrix(read.csv(commandArgs(TRUE)[2], header = FALSE))
u <- 30.4375
out <- suppressWarnings(list(
  tte = emulate(csv, 6, 126 / u, 21 / u, FALSE, 0, c(12, 24), 36, c("AGE", "VISCERAL")),
  tte_sw = emulate(csv, 6, 126 / u, 21 / u, TRUE, 0.95, 12, 0, c("AGE", "VISCERAL")),
  tte_boot = emulate(csv, 6, 126 / u, 21 / u, FALSE, 0, 12, 36, character(0)),
  boot = emulate_bootstrap(csv, resamples, 6, 126 / u, 21 / u, FALSE, 0, 12, 36, character(0))))
# as received: >= 6 administrations at any time against fewer (the protocol's ties: Breslow)
csv$g <- as.numeric(sapply(strsplit(csv$days, ";"), length) >= 6)
cox <- summary(coxph(Surv(time, status) ~ g, data = csv, ties = "breslow"))
fit <- survfit(Surv(time, status) ~ g, data = csv)
out$as_received <- list(n = as.vector(table(factor(csv$g, levels = c(1, 0)))),
                        events = c(sum(csv$status[csv$g == 1]), sum(csv$status[csv$g == 0])),
                        median = unname(summary(fit)$table[c("g=1", "g=0"), "median"]),
                        hr = unname(cox$conf.int[1, c(1, 3, 4)]), p = unname(cox$coefficients[1, 5]))
cat(jsonlite::toJSON(out, auto_unbox = TRUE, digits = NA, na = "null"))
"""
r = subprocess.run(["Rscript", "-e", script, WORK / "tte.csv", WORK / "tte_resamples.csv", SOURCE / "tests" / "data"],
                   capture_output=True, text=True)
if check("R reruns the emulation", r.returncode == 0, r.stderr[-2000:]):
    R = json.loads(r.stdout)

    def close(got, want, tol=1e-6):
        if want is None or got is None:
            return want is None and got is None
        return abs(got - want) <= tol * max(1.0, abs(want))

    for name in ("tte", "tte_sw", "tte_boot"):
        got, want = by_id[name], R[name]
        check(f"R {name}: person-intervals", got["censoring_model"]["rows"] == want["model_rows"], (got["censoring_model"]["rows"], want["model_rows"]))
        check(f"R {name}: rows", got["weighting"]["rows"] == want["rows"], (got["weighting"]["rows"], want["rows"]))
        if name == "tte_sw":
            check(f"R {name}: truncation cap", close(got["weighting"]["cap"], want["cap"]), (got["weighting"]["cap"], want["cap"]))
        for arm in got["arms"]:
            a, ra = arm["name"], want[arm["name"]]
            check(f"R {name} {a}: clones, events, deviations",
                  (arm["clones"], arm["events"], arm["censored_deviation"]) == (ra["clones"], ra["events"], ra["censored_deviation"]),
                  (arm, {k: ra[k] for k in ("clones", "events", "censored_deviation")}))
            check(f"R {name} {a}: weight sum and max", close(arm["weights"]["sum"], ra["weight_sum"]) and close(arm["weights"]["max"], ra["weight_max"]),
                  (arm["weights"], ra["weight_sum"], ra["weight_max"]))
            rows = arm["km"]["curve"]["rows"]
            surv = [row[4] for row in rows if row[2] > 0]
            want_surv = [s for s, e in zip(ra["surv"], ra["n_event"]) if e > 0]
            check(f"R {name} {a}: the curve at its events", len(surv) == len(want_surv) and all(close(x, y) for x, y in zip(surv, want_surv)),
                  (len(surv), len(want_surv)))
            check(f"R {name} {a}: median", close(arm["km"]["median"], ra["median"], 1e-9), (arm["km"]["median"], ra["median"]))
            at = [x["surv"] for x in arm["km"]["at_times"]]
            want_at = ra["times_surv"] if isinstance(ra["times_surv"], list) else [ra["times_surv"]]
            check(f"R {name} {a}: S(t)", len(at) == len(want_at) and all(close(x, y) for x, y in zip(at, want_at)), (at, want_at))
        hr = got["hr"]
        check(f"R {name}: HR, robust SE, CI and p",
              close(hr["log_hr"], want["log_hr"]) and close(hr["robust_se"], want["robust_se"]) and close(hr["lower"], want["hr_lower"])
              and close(hr["upper"], want["hr_upper"]) and close(hr["p"], want["hr_p"]), (hr, want["log_hr"], want["robust_se"]))
        if "differences" in got and got["differences"].get("rmst_difference") is not None:
            check(f"R {name}: RMST difference", close(got["differences"]["rmst_difference"], want["rmst_difference"]),
                  (got["differences"], want["rmst_difference"]))
    # the E-value of the emulated trial's HR (VanderWeele & Ding 2017), from the OS records
    risk = km_risk_at_end([(float(r["AVAL"]), r["CNSR"] == "0") for r in os_rows])
    hr = by_id["tte"]["hr"]
    point, limit = e_value(hr["hr"], hr["lower"], hr["upper"], risk >= 0.15)
    ev = hr.get("e_value") or {}
    check("E-value of the emulated trial's HR", ev.get("outcome") == ("common" if risk >= 0.15 else "rare")
          and abs(ev.get("e_value", 0) - point) < 1e-9 and abs(ev.get("e_value_limit", 0) - limit) < 1e-9, (ev, risk, point, limit))
    naive, rn = by_id["tte"]["as_received"], R["as_received"]
    check("R as received: n, events and medians per group",
          [g["n"] for g in naive["groups"]] == rn["n"] and [g["events"] for g in naive["groups"]] == rn["events"]
          and all(close(g["median"], m, 1e-9) for g, m in zip(naive["groups"], rn["median"])), (naive["groups"], rn))
    check("R as received: Cox HR, CI and p", close(naive["hr"]["hr"], rn["hr"][0]) and close(naive["hr"]["lower"], rn["hr"][1])
          and close(naive["hr"]["upper"], rn["hr"][2]) and close(naive["hr"]["p"], rn["p"]), (naive["hr"], rn))
    b, rb = by_id["tte_boot"]["bootstrap"], R["boot"]
    check("R tte_boot: bootstrap limits over the same resamples",
          b["failed"] == rb["failed"] and close(b["hr_lower"], rb["hr_lower"]) and close(b["hr_upper"], rb["hr_upper"])
          and close(b["rmst_difference_lower"], rb["rmst_difference_lower"]) and close(b["rmst_difference_upper"], rb["rmst_difference_upper"])
          and close(b["surv_difference"][0]["lower"], rb["surv_difference_lower"]) and close(b["surv_difference"][0]["upper"], rb["surv_difference_upper"]),
          (b, rb))

# Small-cell suppression (docs/report.md): with small_cell = 10, arm B of tte_boot has fewer
# than 10 events (the count R confirmed above): its events, curve, median and weights go, and every statistic that
# combines the arms (HR, differences, bootstrap limits, censoring model) with them; the
# "as received" group of < 6 has 9 events, so both groups' events go (their total, the OS
# events, is published elsewhere). The run reports it, and no withheld number is in the report.
small = WORK / "small.toml"
small.write_text(text.replace("small_cell = 0 ", "small_cell = 10 "))
r = subprocess.run([RWE, "run", small, "--db", db, "--out", WORK / "small"], capture_output=True, text=True)
if check("small_cell = 10 runs with target_trial", r.returncode == 0, r.stderr[-1000:]):
    suppressed = json.loads((WORK / "small" / "results.json").read_text())
    s = {a["id"]: a.get("result", {}) for a in suppressed["analyses"]}["tte_boot"]
    plain = by_id["tte_boot"]
    arms = {a["name"]: a for a in s["arms"]}
    plain_arms = {a["name"]: a for a in plain["arms"]}
    small_events = [a for a in plain_arms.values() if a["events"] < 10]
    check("an arm with fewer than 10 events (the case tested)", [a["name"] for a in small_events] == ["B"], plain_arms)
    check("arm B's events, median and curve withheld",
          arms["B"]["events"] == "suppressed" and arms["B"]["km"]["median"] == "suppressed" and arms["B"]["km"]["curve"]["rows"] == "suppressed",
          arms["B"])
    check("arm A's events shown", arms["A"]["events"] == plain_arms["A"]["events"], arms["A"])
    check("HR, differences and bootstrap withheld with them",
          s["hr"]["hr"] == "suppressed" and s["differences"]["rmst_difference"] == "suppressed"
          and s["bootstrap"]["hr_lower"] == "suppressed" and s["censoring_model"]["coefficients"][0]["coef"] == "suppressed", s["hr"])
    groups = {g["name"]: g for g in s["as_received"]["groups"]}
    plain_groups = {g["name"]: g for g in plain["as_received"]["groups"]}
    check("as received: the < 6 group's events and their complement withheld",
          plain_groups["< 6"]["events"] < 10 and groups["< 6"]["events"] == "suppressed" and groups[">= 6"]["events"] == "suppressed"
          and s["as_received"]["hr"]["hr"] == "suppressed", (plain_groups, groups))
    report = (WORK / "small" / "report.html").read_text()
    check("the report shows no withheld HR", f'{plain["hr"]["hr"]:.2f} (' not in report, "")
sys.exit(check.exit_status())
