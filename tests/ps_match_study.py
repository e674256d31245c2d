#!/usr/bin/env python3
"""Propensity-score matching in a study against R (docs/protocols.md `ps_match`; docs/methods.md
§8.3, §8.9).

  ps_match_study.py RWE SOURCE_DIR WORK_DIR

studies/thp-first-line.toml on its demo registry (rwe synth --profile thp-her2-mbc
--patients 228 --seed 20221001), with three matched comparisons of PFS by prior anti-HER2
therapy (PRIORHER2, N control / Y treated) on AGE, HR, VISCERAL and MENO:
  - pm_one: 1:1 on the propensity score without replacement, no caliper (MatchIt's defaults);
  - pm_caliper: 1:2 within 0.1 SD of the score, treated in data order;
  - pm_replace: 1:2 with replacement on the logit of the score, within 0.25 SD of it.

The matched data the run writes (matched_<id>.csv: per patient the score, the distance, the
matching weight and the matched sets) is checked three ways:
  - the scores and distances are R's glm fitted values and linear predictors (1e-6);
  - the matched sets are the greedy nearest-neighbour matching of §8.3, checked step by step
    here in Python from the distances alone: at its turn each treated patient (largest score
    first, or data order) took a control at the least distance among those still free, within
    the caliper, and found none only when no free control was within it; with replacement its
    controls are its k nearest (ties of distance may go either way, as they may in MatchIt);
  - the weights are MatchIt's, recomputed from the sets (a treated 1; a control the sum over
    its sets of 1/(controls in the set), scaled to sum to the matched controls) (1e-12).
R then refits the comparison from the run's adsl.csv, adtte.csv and the matched data:
  - the balance table: SMD before and after per column, every level of a factor, with the
    treated group's SD as denominator, and after with the matching weights (cobalt's ATT
    defaults, written out) (1e-6);
  - survfit(Surv(AVAL, ev) ~ treat), unadjusted and on the matched patients with weights =
    weights: per group n, events, the curve and the median with its limits (1e-6);
  - coxph(Surv(AVAL, ev) ~ treat), unadjusted, and matched with weights = weights,
    robust = TRUE and cluster = subclass (without replacement; by patient with it), as
    MatchIt's documentation on estimating effects after matching does: HR, SEs, CI, p (1e-6).
The report: the section, the balance table, the Love plot, the matched curves, the table with
the unadjusted and matched rows. Small-cell suppression: the unmatched treated withheld and
not to be had back from the counts shown.

Each check prints `ok <name>` or `FAIL <name>: why`; the exit status is 1 when one failed.
"""
import csv
import json
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from study_checks import Checks, all_close, as_list, close, demo_registry, r_script, run_protocol  # noqa: E402

RWE, SOURCE, WORK = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
check = Checks()
db = demo_registry(RWE, WORK, "thp-her2-mbc", 228)
text = (SOURCE / "studies" / "thp-first-line.toml").read_text()
text += '''
[[analysis]]
id = "pm_one"
kind = "ps_match"
endpoint = "PFS"
treatment = "PRIORHER2"
covariates = ["AGE", "HR", "VISCERAL", "MENO"]

[[analysis]]
id = "pm_caliper"
kind = "ps_match"
endpoint = "PFS"
treatment = "PRIORHER2"
covariates = ["AGE", "HR", "VISCERAL", "MENO"]
ratio = 2
caliper = 0.1
order = "data"

[[analysis]]
id = "pm_replace"
kind = "ps_match"
endpoint = "PFS"
treatment = "PRIORHER2"
covariates = ["AGE", "HR", "VISCERAL", "MENO"]
ratio = 2
replace = true
distance = "logit"
caliper = 0.25

[[analysis]]
id = "pm_short"
kind = "ps_match"
where = "not DENOVO"
endpoint = "PFS"
treatment = "PRIORHER2"
covariates = ["AGE", "DFI", "VISCERAL"]

[report]
docx = false
'''
check("the protocol gains the analyses", "pm_replace" in text, "")
out, results, stderr = run_protocol(RWE, text, db, WORK, check)
res = {a["id"]: a["result"] for a in results["analyses"]}
protocol = results["protocol"]
IDS = ("pm_one", "pm_caliper", "pm_replace")  # checked against R (pm_short: the matching only)


def read_matched(aid):
    with open(out / f"matched_{aid}.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        row["TREATED"] = int(row["TREATED"])
        for key in ("PS", "DISTANCE", "WEIGHT"):
            row[key] = float(row[key])
        row["SETS"] = [int(x) for x in row["SUBCLASS"].split()]
    return rows


def greedy_ok(rows, r):
    """Whether the matched sets are a greedy nearest-neighbour matching (§8.3) of these
    distances: returns (ok, why)."""
    m = r["matching"]
    k, replace = m["ratio"], m["replace"]
    d = [row["DISTANCE"] for row in rows]
    width = m["caliper"] * statistics.stdev(d) if m["caliper"] is not None else float("inf")
    if m["caliper"] is not None and not close(width, m["caliper_distance"], 1e-12):
        return False, ("caliper distance", width, m["caliper_distance"])
    treated = [i for i, row in enumerate(rows) if row["TREATED"] == 1]
    controls = [i for i, row in enumerate(rows) if row["TREATED"] == 0]
    members = {}
    for i, row in enumerate(rows):
        for s in row["SETS"]:
            members.setdefault(s, []).append(i)
    set_of = {}  # treated unit -> its controls
    for s, units in members.items():
        t = [i for i in units if rows[i]["TREATED"] == 1]
        if len(t) != 1:
            return False, ("a set without exactly one treated patient", s, t)
        set_of[t[0]] = [i for i in units if rows[i]["TREATED"] == 0]
    if sorted(members) != list(range(1, len(members) + 1)):
        return False, "sets not numbered 1, 2, ..."
    # the sets numbered in the data order of their treated patients
    if [min(i for i in members[s] if rows[i]["TREATED"] == 1) for s in sorted(members)] != sorted(set_of):
        return False, "sets not in the data order of the treated"
    eps = 1e-12
    if replace:
        for t in treated:
            mine = set_of.get(t, [])
            near = sorted(abs(d[t] - d[c]) for c in controls if abs(d[t] - d[c]) <= width)
            if len(mine) != min(k, len(near)):
                return False, ("with replacement: controls of", t, len(mine), len(near))
            if mine and max(abs(d[t] - d[c]) for c in mine) > near[len(mine) - 1] + eps:
                return False, ("with replacement: not the nearest", t)
        return True, ""
    order = treated if m["order"] == "data" else sorted(treated, key=lambda t: -d[t])  # stable: ties in data order
    if m["order"] == "smallest":
        order = sorted(treated, key=lambda t: d[t])
    free = set(controls)
    playing = list(order)
    for round_ in range(k):
        still = []
        for t in playing:
            mine = sorted(set_of.get(t, []), key=lambda c: abs(d[t] - d[c]))
            options = [abs(d[t] - d[c]) for c in free if abs(d[t] - d[c]) <= width]
            if round_ < len(mine):
                c = mine[round_]
                if c not in free:
                    return False, ("a control used twice", c)
                if abs(abs(d[t] - d[c]) - min(options)) > eps:
                    return False, ("round", round_ + 1, "treated", t, "took", abs(d[t] - d[c]), "nearest free", min(options))
                free.discard(c)
                still.append(t)
            elif options:
                return False, ("round", round_ + 1, "treated", t, "took none though a free control was within the caliper")
        playing = still
    return True, ""


R_SCRIPT = r'''
args <- commandArgs(TRUE)
mt <- read.csv(args[3], colClasses = "character", na.strings = "")
conf_type <- args[4]; ties <- args[5]; replace <- args[6] == "true"
balance_names <- strsplit(args[7], ",")[[1]]
d <- endpoint_rows(args[1], args[2], "PFS")
d$AGE <- as.numeric(d$AGE)
d$HR <- factor(d$HR, levels = c("negative", "positive", "unknown"))
d$VISCERAL <- factor(d$VISCERAL, levels = c("N", "Y"))
d$MENO <- factor(d$MENO, levels = c("pre", "post", "unknown"))
d <- d[complete.cases(d[, c("AVAL", "ev", "PRIORHER2", "AGE", "HR", "VISCERAL", "MENO")]), ]
d$treat <- as.integer(d$PRIORHER2 == "Y")
m <- glm(treat ~ AGE + HR + VISCERAL + MENO, family = binomial, data = d)
d$ps <- unname(fitted(m)); d$lp <- unname(m$linear.predictors)
d <- merge(d, mt[, c("USUBJID", "WEIGHT", "SUBCLASS")], by = "USUBJID")
d$weights <- as.numeric(d$WEIGHT)
out <- list(n = nrow(d), ps = setNames(as.list(d$ps), d$USUBJID), lp = setNames(as.list(d$lp), d$USUBJID))
wmean <- function(x, w) sum(w * x) / sum(w)
smd <- c(); smd_after <- c()
for (name in balance_names) {
  x <- balance_column(d, name)
  x1 <- x[d$treat == 1]; x0 <- x[d$treat == 0]
  binary <- all(x %in% c(0, 1))
  s <- sqrt(if (binary) mean(x1) * (1 - mean(x1)) else var(x1))
  smd <- c(smd, (mean(x1) - mean(x0)) / s)
  smd_after <- c(smd_after, (wmean(x1, d$weights[d$treat == 1]) - wmean(x0, d$weights[d$treat == 0])) / s)
}
out$balance <- list(smd = smd, smd_after = smd_after)
out$unadjusted <- list(curves = km_curves(survfit(Surv(AVAL, ev) ~ treat, data = d, conf.type = conf_type), d),
                       cox = cox_hr(coxph(Surv(AVAL, ev) ~ treat, data = d, ties = ties)))
md <- d[d$weights > 0, ]
md$subclass <- factor(md$SUBCLASS)
km <- survfit(Surv(AVAL, ev) ~ treat, data = md, weights = weights, conf.type = conf_type)
cox <- if (replace) coxph(Surv(AVAL, ev) ~ treat, data = md, weights = weights, robust = TRUE, ties = ties) else
  coxph(Surv(AVAL, ev) ~ treat, data = md, weights = weights, robust = TRUE, cluster = subclass, ties = ties)
out$matched <- list(curves = km_curves(km, md), cox = cox_hr(cox), clusters = length(unique(md$SUBCLASS)))
cat(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null"))
'''
(WORK / "check.R").write_text(r_script(R_SCRIPT))

for aid in IDS:
    r = res[aid]
    rows = read_matched(aid)
    check(f"{aid}: the matched data has a row per patient of the analysis", len(rows) == r["n"] and r["n"] > 0, (len(rows), r["n"]))
    check(f"{aid}: the result does not depend on whether the datasets are written (no file named in it)", "dataset" not in r, r.keys())
    ok, why = greedy_ok(rows, r)
    check(f"{aid}: the matched sets are the greedy nearest-neighbour matching of the distances", ok, why)
    # MatchIt's weights from the sets
    n_sets = {}
    for row in rows:
        for s in row["SETS"]:
            if row["TREATED"] == 0:
                n_sets[s] = n_sets.get(s, 0) + 1
    raw = [1.0 if row["TREATED"] == 1 and row["SETS"] else sum(1 / n_sets[s] for s in row["SETS"]) if row["TREATED"] == 0 else 0.0
           for row in rows]
    matched_controls = sum(1 for row in rows if row["TREATED"] == 0 and row["SETS"])
    scale = matched_controls / sum(w for w, row in zip(raw, rows) if row["TREATED"] == 0)
    want = [w * scale if row["TREATED"] == 0 else w for w, row in zip(raw, rows)]
    check(f"{aid}: the weights are MatchIt's, from the sets (1e-12)", all_close([row["WEIGHT"] for row in rows], want, 1e-12),
          [(row["WEIGHT"], w) for row, w in zip(rows, want) if abs(row["WEIGHT"] - w) > 1e-12][:5])
    unmatched = {g: sum(1 for row in rows if row["TREATED"] == (g == "treated") and row["WEIGHT"] == 0) for g in ("treated", "control")}
    check(f"{aid}: the unmatched per group as the matched data's",
          all(r["matching"]["unmatched_by_group"][g]["n"] == unmatched[g] for g in unmatched), (r["matching"], unmatched))
    names = [row["name"] for row in r["balance"]]
    rr = subprocess.run(["Rscript", WORK / "check.R", out / "adsl.csv", out / "adtte.csv", out / f"matched_{aid}.csv",
                         protocol["conf_type"], protocol["ties"], "true" if r["matching"]["replace"] else "false", ",".join(names)],
                        capture_output=True, text=True)
    if not check(f"{aid}: R runs", rr.returncode == 0, rr.stderr):
        continue
    R = json.loads(rr.stdout)
    check(f"{aid}: every patient of the matched data in R's complete cases", R["n"] == len(rows) == r["n"], (R["n"], len(rows)))
    check(f"{aid}: the scores are glm's fitted values (1e-6)", all(close(row["PS"], R["ps"][row["USUBJID"]]) for row in rows), "")
    distances = R["lp"] if r["matching"]["distance"] == "logit" else R["ps"]
    check(f"{aid}: the distances are glm's {'linear predictors' if r['matching']['distance'] == 'logit' else 'fitted values'} (1e-6)",
          all(close(row["DISTANCE"], distances[row["USUBJID"]]) for row in rows), "")
    check(f"{aid}: SMD before as cobalt's (ATT: the treated SD) (1e-6)",
          all_close([row["smd"] for row in r["balance"]], as_list(R["balance"]["smd"])), ([row["smd"] for row in r["balance"]], R["balance"]["smd"]))
    check(f"{aid}: SMD after matching, with the matching weights (1e-6)",
          all_close([row["smd_adjusted"] for row in r["balance"]], as_list(R["balance"]["smd_after"])),
          ([row["smd_adjusted"] for row in r["balance"]], R["balance"]["smd_after"]))
    for analysis in ("unadjusted", "matched"):
        ours = r[analysis]
        for stratum, theirs in zip(ours["strata"], R[analysis]["curves"]):
            curve = stratum["curve"]["rows"]
            name = f"{aid} {analysis} {stratum['name']}"
            check(f"{name}: n and events", (stratum["n"], stratum["events"]) == (theirs["n"], theirs["events"]),
                  (stratum["n"], stratum["events"], theirs["n"], theirs["events"]))
            check(f"{name}: the curve's times, S(t) and limits as survfit's (1e-6)",
                  all_close([x[0] for x in curve], as_list(theirs["time"])) and all_close([x[4] for x in curve], as_list(theirs["surv"])) and
                  all_close([x[5] for x in curve], as_list(theirs["lower"])) and all_close([x[6] for x in curve], as_list(theirs["upper"])),
                  (len(curve), len(as_list(theirs["time"]))))
            check(f"{name}: median and its limits as survfit's (1e-6)",
                  all(close(stratum[k], theirs[k]) for k in ("median", "median_lower", "median_upper")),
                  ([stratum[k] for k in ("median", "median_lower", "median_upper")], theirs))
        check(f"{aid} {analysis}: two groups, control first", [s["name"] for s in ours["strata"]] == r["levels"] == ["N", "Y"],
              [s["name"] for s in ours["strata"]])
        hr, theirs = ours["hazard_ratio"], R[analysis]["cox"]
        check(f"{aid} {analysis}: Cox n and events as coxph's", (hr["n"], hr["events"]) == (theirs["n"], theirs["events"]), (hr, theirs))
        check(f"{aid} {analysis}: HR, CI, p and model SE as coxph's (1e-6)",
              all(close(hr[k], theirs[v]) for k, v in (("exp_coef", "hr"), ("lower", "lower"), ("upper", "upper"), ("p", "p"), ("se", "se"))),
              (hr, theirs))
        if analysis == "matched":
            how = "by patient" if r["matching"]["replace"] else "clustered by matched set"
            check(f"{aid} matched: robust SE {how} as coxph's (1e-6)", hr["robust"] and close(hr["robust_se"], theirs["robust_se"]),
                  (hr.get("robust_se"), theirs["robust_se"]))
            if not r["matching"]["replace"]:
                check(f"{aid} matched: one cluster per matched set", hr["clusters"] == R["matched"]["clusters"], (hr["clusters"], R["matched"]["clusters"]))
        else:
            check(f"{aid} unadjusted: model-based variance", not hr["robust"], hr)

one = res["pm_one"]
check("pm_one: 1:1 without caliper matches every treated patient to one control",
      one["matching"]["unmatched_by_group"]["treated"]["n"] == 0 and one["weights"]["control"]["n_weighted"] == one["treated"], one["matching"])
cal = res["pm_caliper"]
check("pm_caliper: the caliper leaves treated patients unmatched, counted",
      cal["matching"]["unmatched_by_group"]["treated"]["n"] > 0 and
      cal["weights"]["treated"]["n_weighted"] + cal["matching"]["unmatched_by_group"]["treated"]["n"] == cal["treated"], cal["matching"])
check("pm_caliper: a warning says the estimate is of the matched treated",
      "analysis.pm_caliper.caliper: warning:" in stderr and "found no control within the caliper" in stderr, stderr[-2000:])
short = res["pm_short"]
rows = read_matched("pm_short")
ok, why = greedy_ok(rows, short)
check("pm_short: fewer controls than treated: the matching is greedy, every control used once", ok and
      short["weights"]["control"]["n_weighted"] == short["controls"] and short["matching"]["unmatched_by_group"]["control"]["n"] == 0, (why, short["weights"]))
check("pm_short: the treated left over are counted and a warning says the controls ran out",
      short["matching"]["unmatched_by_group"]["treated"]["n"] == short["treated"] - short["controls"] > 0 and
      "analysis.pm_short.replace: warning:" in stderr and "controls ran out; replace = true lets a control serve several" in stderr,
      (short["matching"], stderr[-1500:]))
rep = res["pm_replace"]
check("pm_replace: some control matched more than once (weight above 1)", rep["weights"]["control"]["max"] > 1, rep["weights"])

# The report.
page = (out / "report.html").read_text(encoding="utf-8")
check("the report has the section", "Confounding-adjusted comparisons" in page, "")
check("the report describes the matching", "nearest-neighbour matching 1:2 on the logit of the propensity score within a caliper of 0.25 "
      "standard deviations, with replacement" in page, "")
with open(out / "tables" / "tab-pm_one-balance.csv", newline="", encoding="utf-8-sig") as f:
    balance = list(csv.reader(f))
check("balance table: covariate, SMD before, SMD after, a row per column",
      balance[0] == ["Covariate", "SMD before", "SMD after"] and len(balance) - 1 == len(one["balance"]), balance)
for figure in ("fig-pm_one-love.svg", "fig-pm_one.svg"):
    check(f"figure {figure}", (out / "figures" / figure).exists(), figure)
with open(out / "tables" / "tab-pm_one.csv", newline="", encoding="utf-8-sig") as f:
    table = list(csv.reader(f))
check("comparison table: unadjusted and matched rows", [row[0] for row in table[1:3]] == ["Unadjusted", "Matched (ATT)"], table)
h = one["matched"]["hazard_ratio"]
want = f"{h['exp_coef']:.2f} ({h['lower']:.2f}\u2013{h['upper']:.2f})"
check("comparison table: the matched HR (95% CI)", table[2][1] == want, (table[2], want))

# Small-cell suppression (small_cell = 10): the run succeeds; the treated left unmatched by
# the caliper (fewer than 10) are withheld and cannot be had back from the counts shown.
small_text = text.replace("small_cell = 0 ", "small_cell = 10 ", 1)
check("small_cell: the protocol sets it", small_text != text, "")
truth = cal["matching"]["unmatched_by_group"]["treated"]["n"]
(WORK / "small_cell").mkdir(parents=True, exist_ok=True)
_, small, _ = run_protocol(RWE, small_text, db, WORK / "small_cell", check)
cut = {a["id"]: a["result"] for a in small["analyses"]}["pm_caliper"]
if 0 < truth < 10:
    check("small_cell: the unmatched treated withheld", cut["matching"]["unmatched_by_group"]["treated"]["n"] == "suppressed",
          cut["matching"])
    shown = [cut["treated"], cut["weights"]["treated"]["n"], cut["weights"]["treated"]["n_weighted"],
             cut["unadjusted"]["strata"][1]["n"], cut["matched"]["strata"][1]["n"], cut["matched"]["hazard_ratio"].get("clusters")]
    numbers = [x for x in shown if isinstance(x, (int, float))]
    check("small_cell: no difference of the treated counts shown gives the unmatched",
          not any(0 < abs(a - b) < 10 for a in numbers for b in numbers), shown)
else:
    check("small_cell: the caliper leaves fewer than 10 treated unmatched (the case to test)", False, truth)

sys.exit(check.exit_status())
