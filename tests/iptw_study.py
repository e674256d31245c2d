#!/usr/bin/env python3
"""Confounding-adjusted comparisons of a study against R (docs/protocols.md, `iptw`).

  iptw_study.py RWE SOURCE_DIR WORK_DIR

studies/thp-first-line.toml on its demo registry (rwe synth --profile thp-her2-mbc
--patients 228 --seed 20221001), with two more analyses of PFS by prior anti-HER2 therapy
(PRIORHER2, N control / Y treated) adjusted for AGE, HR, VISCERAL and MENO:
  - iptw_ate: stabilized ATE weights (the defaults);
  - iptw_att: unstabilized ATT weights;
  - iptw_trim: unstabilized ATE weights, trimmed at 0.2 and truncated at the 0.9 quantile
    (the patients trimmed are out of the weighted analyses).
R refits each from the run's adsl.csv and adtte.csv, writing out in base R what WeightIt
and cobalt define (docs/methods.md §8.2, §8.4):
  - glm(treat ~ AGE + HR + VISCERAL + MENO, family = binomial): coefficients, SE (1e-6);
  - the weights: per group n, sum, min, max and Kish's ESS (1e-6, the scores being iterative);
  - the balance table: SMD before and after per column, every level of a factor (1e-6);
  - survfit(Surv(AVAL, ev) ~ treat), unweighted and with weights = w: per group the curve
    (time, surv, limits) and the median with its limits (1e-6);
  - coxph(Surv(AVAL, ev) ~ treat), unweighted, and with weights = w, robust = TRUE: HR,
    SE (model-based; robust for the weighted fit), CI and p (1e-6).
The report: the section, the balance table (SMD to three decimals as R's), the Love plot
and the weighted curves' figure, the unadjusted-vs-weighted table with the HRs as coxph's.

Each check prints `ok <name>` or `FAIL <name>: why`; the exit status is 1 when one failed.
"""
import csv
import json
import html
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bootstrap_resamples  # noqa: E402
from study_checks import Checks, all_close, as_list, close, demo_registry, e_value, km_risk_at_end, r_script, run_protocol  # noqa: E402

RWE, SOURCE, WORK = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
check = Checks()
db = demo_registry(RWE, WORK, "thp-her2-mbc", 228)
COVARIATES = ["AGE", "HR", "VISCERAL", "MENO"]
text = (SOURCE / "studies" / "thp-first-line.toml").read_text()
text += '''
[[analysis]]
id = "iptw_ate"
kind = "iptw"
endpoint = "PFS"
treatment = "PRIORHER2"
covariates = ["AGE", "HR", "VISCERAL", "MENO"]
times = [6, 12, 24, 200]
rmst_tau = 30
bootstrap = 40
seed = 7

[[analysis]]
id = "iptw_att"
kind = "iptw"
endpoint = "PFS"
treatment = "PRIORHER2"
covariates = ["AGE", "HR", "VISCERAL", "MENO"]
estimand = "att"
stabilize = false

[[analysis]]
id = "iptw_trim"
kind = "iptw"
endpoint = "PFS"
treatment = "PRIORHER2"
covariates = ["AGE", "HR", "VISCERAL", "MENO"]
stabilize = false
trim = 0.2
truncate = 0.9

[report]
docx = false
'''
out, results, stderr = run_protocol(RWE, text, db, WORK, check)
res = {a["id"]: a["result"] for a in results["analyses"]}
protocol = results["protocol"]

script = r'''
args <- commandArgs(TRUE)
conf_type <- args[3]; ties <- args[4]; estimand <- args[5]; stabilize <- args[6] == "true"
trim <- as.numeric(args[7]); truncate <- as.numeric(args[8])
balance_names <- strsplit(args[9], ",")[[1]]
d <- endpoint_rows(args[1], args[2], "PFS")
d$AGE <- as.numeric(d$AGE)
d$HR <- factor(d$HR, levels = c("negative", "positive", "unknown"))
d$VISCERAL <- factor(d$VISCERAL, levels = c("N", "Y"))
d$MENO <- factor(d$MENO, levels = c("pre", "post", "unknown"))
covs <- c("AGE", "HR", "VISCERAL", "MENO")
n_all <- nrow(d)
d <- d[complete.cases(d[, c("AVAL", "ev", "PRIORHER2", covs)]), ]
d$treat <- as.integer(d$PRIORHER2 == "Y")
out <- list(n = nrow(d), dropped = n_all - nrow(d), treated = sum(d$treat))
# the propensity model
m <- glm(treat ~ AGE + HR + VISCERAL + MENO, family = binomial, data = d)
s <- summary(m)$coefficients
out$model <- list(names = rownames(s), coef = unname(s[, 1]), se = unname(s[, 2]), p = unname(s[, 4]),
                  deviance = m$deviance, aic = m$aic)
ps <- unname(fitted(m))
# the weights (WeightIt's definitions, written out; trimming and truncation as §8.2)
kept <- if (trim > 0) ps >= trim & ps <= 1 - trim else rep(TRUE, nrow(d))
p <- mean(d$treat[kept])
if (estimand == "ate") {
  w <- ifelse(d$treat == 1, 1 / ps, 1 / (1 - ps))
  if (stabilize) w <- w * ifelse(d$treat == 1, p, 1 - p)
} else {
  w <- ifelse(d$treat == 1, 1, ps / (1 - ps))
  if (stabilize) w <- ifelse(d$treat == 1, w, w * (1 - p) / p)
}
w[!kept] <- 0
if (truncate > 0) {
  cap <- quantile(w[kept], truncate, type = 7, names = FALSE)
  w[kept & w > cap] <- cap
}
ws <- function(g) {
  x <- w[d$treat == g & w > 0]
  list(n = sum(d$treat == g), sum = sum(x), min = min(x), max = max(x), ess = sum(x)^2 / sum(x^2))
}
out$weights <- list(treated = ws(1), control = ws(0))
out$trimmed <- list(control = c(sum(!kept & d$treat == 0), sum(!kept & d$treat == 0 & d$ev == 1)),
                    treated = c(sum(!kept & d$treat == 1), sum(!kept & d$treat == 1 & d$ev == 1)))
# the balance table (cobalt's SMD, binary columns standardized with p(1 - p))
wmean <- function(x, w) sum(w * x) / sum(w)
smd <- c(); smd_after <- c()
for (name in balance_names) {
  x <- balance_column(d, name)
  x1 <- x[d$treat == 1]; x0 <- x[d$treat == 0]
  binary <- all(x %in% c(0, 1))
  v <- function(y) if (binary) mean(y) * (1 - mean(y)) else var(y)
  s <- if (estimand == "ate") sqrt((v(x1) + v(x0)) / 2) else sqrt(v(x1))
  smd <- c(smd, (mean(x1) - mean(x0)) / s)
  smd_after <- c(smd_after, (wmean(x1, w[d$treat == 1]) - wmean(x0, w[d$treat == 0])) / s)
}
out$balance <- list(smd = smd, smd_after = smd_after)
# the comparisons
out$unadjusted <- list(curves = km_curves(survfit(Surv(AVAL, ev) ~ treat, data = d, conf.type = conf_type), d),
                       cox = cox_hr(coxph(Surv(AVAL, ev) ~ treat, data = d, ties = ties)))
dw <- d[w > 0, ]; dw$w <- w[w > 0]
kmw <- survfit(Surv(AVAL, ev) ~ treat, data = dw, weights = w, conf.type = conf_type)
out$weighted <- list(curves = km_curves(kmw, d, w > 0),
                     cox = cox_hr(coxph(Surv(AVAL, ev) ~ treat, data = dw, weights = w, robust = TRUE, ties = ties)),
                     weighted_events = as.vector(tapply(dw$w * dw$ev, dw$treat, sum)))
cat(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null"))
'''
(WORK / "check.R").write_text(r_script(script))


for aid in ("iptw_ate", "iptw_att", "iptw_trim"):
    r = res[aid]
    trim = r["trim"] if r["trim"] is not None else 0
    truncate = r["truncate"] if r["truncate"] is not None else 0
    names = [row["name"] for row in r["balance"]]
    rr = subprocess.run(["Rscript", WORK / "check.R", out / "adsl.csv", out / "adtte.csv", protocol["conf_type"], protocol["ties"],
                         r["estimand"], "true" if r["stabilize"] else "false", str(trim), str(truncate), ",".join(names)],
                        capture_output=True, text=True)
    if not check(f"{aid}: R runs", rr.returncode == 0, rr.stderr):
        continue
    R = json.loads(rr.stdout)
    check(f"{aid}: n, dropped and treated as R's complete cases",
          (r["n"], r["dropped"], r["treated"]) == (R["n"], R["dropped"], R["treated"]), (r["n"], r["dropped"], r["treated"], R))
    coefficients = r["model"]["coefficients"]
    check(f"{aid}: the model's columns as glm's", [c["name"] for c in coefficients] == R["model"]["names"],
          ([c["name"] for c in coefficients], R["model"]["names"]))
    check(f"{aid}: coefficients as glm's (1e-6)", all_close([c["coef"] for c in coefficients], R["model"]["coef"]),
          ([c["coef"] for c in coefficients], R["model"]["coef"]))
    check(f"{aid}: standard errors and p as summary.glm's (1e-6)",
          all_close([c["se"] for c in coefficients], R["model"]["se"]) and all_close([c["p"] for c in coefficients], R["model"]["p"]),
          ([c["se"] for c in coefficients], R["model"]["se"]))
    check(f"{aid}: deviance and AIC as glm's (1e-6)",
          close(r["model"]["deviance"], R["model"]["deviance"]) and close(r["model"]["aic"], R["model"]["aic"]), r["model"])
    for group in ("treated", "control"):
        ours, theirs = r["weights"][group], R["weights"][group]
        check(f"{aid}: {group} weights: n, sum, min, max, ESS (1e-6)",
              ours["n"] == theirs["n"] and all(close(ours[k], theirs[k]) for k in ("sum", "min", "max", "ess")), (ours, theirs))
    left_out = r["weighting"]["trimmed_by_group"]
    check(f"{aid}: patients trimmed and their events, per group",
          all([left_out[g]["n"], left_out[g]["events"]] == R["trimmed"][g] for g in ("control", "treated")), (left_out, R["trimmed"]))
    check(f"{aid}: SMD before as cobalt's, every column (1e-6)", all_close([row["smd"] for row in r["balance"]], as_list(R["balance"]["smd"])),
          ([row["smd"] for row in r["balance"]], R["balance"]["smd"]))
    check(f"{aid}: SMD after weighting (1e-6)",
          all_close([row["smd_adjusted"] for row in r["balance"]], as_list(R["balance"]["smd_after"])),
          ([row["smd_adjusted"] for row in r["balance"]], R["balance"]["smd_after"]))
    for analysis in ("unadjusted", "weighted"):
        ours = r[analysis]
        for g, (stratum, theirs) in enumerate(zip(ours["strata"], R[analysis]["curves"])):
            rows = stratum["curve"]["rows"]
            name = f"{aid} {analysis} {stratum['name']}"
            check(f"{name}: n and events", (stratum["n"], stratum["events"]) == (theirs["n"], theirs["events"]),
                  (stratum["n"], stratum["events"], theirs["n"], theirs["events"]))
            check(f"{name}: the curve's times and S(t) as survfit's (1e-6)",
                  all_close([row[0] for row in rows], as_list(theirs["time"])) and all_close([row[4] for row in rows], as_list(theirs["surv"])),
                  (len(rows), len(as_list(theirs["time"]))))
            check(f"{name}: the curve's pointwise limits as survfit's (1e-6)",
                  all_close([row[5] for row in rows], as_list(theirs["lower"])) and all_close([row[6] for row in rows], as_list(theirs["upper"])),
                  ([row[5] for row in rows][:5], as_list(theirs["lower"])[:5]))
            check(f"{name}: median and its limits as survfit's (1e-6)",
                  all(close(stratum[k], theirs[k]) for k in ("median", "median_lower", "median_upper")),
                  ([stratum[k] for k in ("median", "median_lower", "median_upper")], theirs))
            if analysis == "weighted":
                check(f"{name}: weighted events as sum(w * event) (1e-9)",
                      close(stratum["weighted_events"], as_list(R["weighted"]["weighted_events"])[g], 1e-9), stratum["weighted_events"])
        check(f"{aid} {analysis}: two groups, control first", [s["name"] for s in ours["strata"]] == r["levels"] == ["N", "Y"],
              [s["name"] for s in ours["strata"]])
        hr, theirs = ours["hazard_ratio"], R[analysis]["cox"]
        check(f"{aid} {analysis}: Cox n and events as coxph's", (hr["n"], hr["events"]) == (theirs["n"], theirs["events"]),
              (hr, theirs))
        check(f"{aid} {analysis}: HR, CI and p as coxph's (1e-6)",
              all(close(hr[k], theirs[v]) for k, v in (("exp_coef", "hr"), ("lower", "lower"), ("upper", "upper"), ("p", "p"))),
              (hr, theirs))
        check(f"{aid} {analysis}: model-based SE as coxph's (1e-6)", close(hr["se"], theirs["se"]), (hr["se"], theirs["se"]))
        if analysis == "weighted":
            check(f"{aid} weighted: robust SE as coxph(robust = TRUE)'s (1e-6)",
                  hr["robust"] and close(hr["robust_se"], theirs["robust_se"]), (hr.get("robust_se"), theirs["robust_se"]))
        else:
            check(f"{aid} unadjusted: model-based variance", not hr["robust"], hr)

check("defaults: no patient trimmed, no weight truncated",
      res["iptw_ate"]["weighting"]["trimmed"] == 0 and res["iptw_ate"]["weighting"]["truncated"] == 0, res["iptw_ate"]["weighting"])
trimmed = res["iptw_trim"]
check("trim: some patients left out, counted, and not in the weighted analyses",
      trimmed["weighting"]["trimmed"] > 0 and trimmed["weighted"]["hazard_ratio"]["n"] == trimmed["n"] - trimmed["weighting"]["trimmed"],
      trimmed["weighting"])
check("truncate: some weights capped", trimmed["weighting"]["truncated"] > 0, trimmed["weighting"])

# The report.
page = (out / "report.html").read_text(encoding="utf-8")
check("the report has the section", "Confounding-adjusted comparisons" in page, "")
with open(out / "tables" / "tab-iptw_ate-balance.csv", newline="", encoding="utf-8") as f:
    balance = list(csv.reader(f))
check("balance table: covariate, SMD before, SMD after", balance[0] == ["Covariate", "SMD before", "SMD after"], balance[0])
check("balance table: a row per balance column", len(balance) - 1 == len(res["iptw_ate"]["balance"]), len(balance))
age = next(row for row in balance if row[0].startswith("Age"))
want = [f"{res['iptw_ate']['balance'][0][k]:.3f}".replace("-", "\u2212") for k in ("smd", "smd_adjusted")]
check("balance table: SMDs to three decimals", age[1:] == want, (age, want))
for figure in ("fig-iptw_ate-love.svg", "fig-iptw_ate.svg"):
    check(f"figure {figure}", (out / "figures" / figure).exists(), figure)
with open(out / "tables" / "tab-iptw_ate.csv", newline="", encoding="utf-8") as f:
    table = list(csv.reader(f))
check("comparison table: HR, p and a median per group", table[0][:3] == ["Analysis", "HR (95% CI)", "p"] and len(table[0]) == 5, table[0])
check("comparison table: unadjusted and weighted rows", [row[0] for row in table[1:3]] == ["Unadjusted", "Weighted (ATE)"], table)
w = res["iptw_ate"]["weighted"]["hazard_ratio"]
want = f"{w['exp_coef']:.2f} ({w['lower']:.2f}\u2013{w['upper']:.2f})"
check("comparison table: the weighted HR (95% CI)", table[2][1] == want, (table[2], want))

# The weighted curves' differences and their bootstrap intervals (iptw_ate: times 6, 12, 24
# and 200, beyond follow-up, where the curves are carried flat as summary(extend = TRUE) does;
# RMST to 30; 40 resamples, seed 7). The resamples are rebuilt by tests/bootstrap_resamples.py,
# written from the generator's description (docs/methods.md §8.6), and R refits glm, the
# weights, survfit and the restricted means on each; the percentile limits (quantile type 7)
# must equal rwe's.
# The E-value of the weighted HR (VanderWeele & Ding 2017), from the HR checked against R
# above and the Kaplan-Meier risk of the analysis's patients (here every PFS record: none
# dropped), written out in study_checks.e_value.
pfs = [(float(r["AVAL"]), r["CNSR"] == "0") for r in csv.DictReader(open(out / "adtte.csv", encoding="utf-8")) if r["PARAMCD"] == "PFS"]
ev = w.get("e_value") or {}
if check("E-value: the analysis is every PFS record", res["iptw_ate"]["dropped"] == 0 and res["iptw_ate"]["n"] == len(pfs),
         (res["iptw_ate"]["n"], len(pfs))):
    risk = km_risk_at_end(pfs)
    point, limit = e_value(w["exp_coef"], w["lower"], w["upper"], risk >= 0.15)
    check("E-value of the weighted HR and of its limit", ev.get("outcome") == ("common" if risk >= 0.15 else "rare")
          and abs(ev["risk_at_end"] - risk) < 1e-9 and abs(ev["e_value"] - point) < 1e-9 and abs(ev["e_value_limit"] - limit) < 1e-9,
          (ev, risk, point, limit))
check("E-value in the report", "E-value of the weighted HR" in (out / "report.html").read_text(), "")

boot = res["iptw_ate"]["differences"]
n_boot = res["iptw_ate"]["n"]
bootstrap_resamples.write(WORK / "resamples.csv", boot["bootstrap"]["seed"], boot["bootstrap"]["replicates"], n_boot)
boot_script = r"""
suppressPackageStartupMessages({library(survival); library(jsonlite)})
args <- commandArgs(TRUE)
a <- read.csv(args[1], colClasses = "character", na.strings = "")
t <- read.csv(args[2], colClasses = "character", na.strings = "")
idx <- as.matrix(read.csv(args[3], header = FALSE))
times <- c(6, 12, 24, 200); tau <- 30
t <- t[t$PARAMCD == "PFS", c("USUBJID", "AVAL", "CNSR")]
d <- merge(t, a, by = "USUBJID")
d$AVAL <- as.numeric(d$AVAL); d$ev <- 1 - as.numeric(d$CNSR); d$AGE <- as.numeric(d$AGE)
d$HR <- factor(d$HR, levels = c("negative", "positive", "unknown"))
d$VISCERAL <- factor(d$VISCERAL, levels = c("N", "Y"))
d$MENO <- factor(d$MENO, levels = c("pre", "post", "unknown"))
d <- d[complete.cases(d[, c("AVAL", "ev", "PRIORHER2", "AGE", "HR", "VISCERAL", "MENO")]), ]
d$treat <- as.integer(d$PRIORHER2 == "Y")
contrast <- function(x) {
  m <- glm(treat ~ AGE + HR + VISCERAL + MENO, family = binomial, data = x)
  ps <- unname(fitted(m)); p <- mean(x$treat)
  x$w <- ifelse(x$treat == 1, p / ps, (1 - p) / (1 - ps))
  s <- c(); r <- c()
  for (g in c(1, 0)) {
    fit <- survfit(Surv(AVAL, ev) ~ 1, data = x[x$treat == g, ], weights = w)
    s <- cbind(s, summary(fit, times = times, extend = TRUE)$surv)
    r <- c(r, unname(summary(fit, rmean = tau)$table["rmean"]))
  }
  list(treated = s[, 1], control = s[, 2], diff = c(s[, 1] - s[, 2], r[1] - r[2]), rmst = r)
}
point <- contrast(d)
draws <- t(apply(idx, 1, function(i) contrast(d[i, ])$diff))
cat(toJSON(list(point = point, lower = apply(draws, 2, quantile, 0.025, type = 7, names = FALSE),
                upper = apply(draws, 2, quantile, 0.975, type = 7, names = FALSE)), digits = NA, auto_unbox = TRUE))
"""
(WORK / "bootstrap.R").write_text(boot_script)
rb = subprocess.run(["Rscript", WORK / "bootstrap.R", out / "adsl.csv", out / "adtte.csv", WORK / "resamples.csv"],
                    capture_output=True, text=True)
if check("bootstrap: R runs", rb.returncode == 0, rb.stderr):
    RB = json.loads(rb.stdout)
    ours_diff = [x["difference"] for x in boot["survival"]] + [boot["rmst"]["difference"]]
    check("differences: survival per group at the times as R's weighted survfit (1e-9)",
          all_close([x["treated"] for x in boot["survival"]], RB["point"]["treated"], 1e-9) and
          all_close([x["control"] for x in boot["survival"]], RB["point"]["control"], 1e-9), (boot["survival"], RB["point"]))
    check("differences: RMST to 30 per group as R's rmean (1e-9)",
          all_close([boot["rmst"]["treated"], boot["rmst"]["control"]], RB["point"]["rmst"], 1e-9), (boot["rmst"], RB["point"]))
    check("differences: treated minus control (1e-9)", all_close(ours_diff, RB["point"]["diff"], 1e-9), (ours_diff, RB["point"]["diff"]))
    check("bootstrap: no resample left out", boot["bootstrap"]["failed"] == 0, boot["bootstrap"])
    lower = [x["lower"] for x in boot["survival"]] + [boot["rmst"]["lower"]]
    upper = [x["upper"] for x in boot["survival"]] + [boot["rmst"]["upper"]]
    check("bootstrap: percentile limits as R's on the same 40 resamples (1e-6)",
          all_close(lower, RB["lower"]) and all_close(upper, RB["upper"]), (lower, upper, RB["lower"], RB["upper"]))
    check("bootstrap: each interval holds its estimate and has width", all(lo < d < hi for lo, d, hi in zip(lower, ours_diff, upper)),
          (lower, ours_diff, upper))
with open(out / "tables" / "tab-iptw_ate-differences.csv", newline="", encoding="utf-8-sig") as f:
    rows = list(csv.reader(f))
d12 = boot["survival"][1]
check("differences table: a row per time and the RMST, the difference with its interval",
      [row[0] for row in rows[1:]] == ["Survival at 6 months", "Survival at 12 months", "Survival at 24 months",
                                       "Survival at 200 months", "Restricted mean survival time to 30 months (months)"] and
      rows[2][3] == f"{d12['difference']:.3f} ({d12['lower']:.3f} to {d12['upper']:.3f})".replace("-", "\u2212"), rows)
# The same seed gives the same intervals; another seed other ones.
again_text = text.replace("seed = 7", "seed = 8", 1)
(WORK / "seed8").mkdir(parents=True, exist_ok=True)
_, again, _ = run_protocol(RWE, again_text, db, WORK / "seed8", check)
other = {a["id"]: a["result"] for a in again["analyses"]}["iptw_ate"]["differences"]
check("bootstrap: seed 8 gives other limits, the same estimates",
      other["rmst"]["lower"] != boot["rmst"]["lower"] and other["rmst"]["difference"] == boot["rmst"]["difference"], (other["rmst"], boot["rmst"]))
_, same, _ = run_protocol(RWE, text, db, WORK / "seed8", check)
check("bootstrap: seed 7 again gives the same limits to the digit",
      {a["id"]: a["result"] for a in same["analyses"]}["iptw_ate"]["differences"] == boot, "")

# Small-cell suppression (study.small_cell = 10): the run succeeds; the patients a trim left
# out (fewer than 10 here) are withheld, and cannot be had back as the difference of the
# unadjusted and weighted groups' counts; the weights' extremes are withheld.
small_text = text.replace("small_cell = 0 ", "small_cell = 10 ", 1)
check("small_cell: the protocol sets it", small_text != text, "")
(WORK / "small_cell").mkdir(parents=True, exist_ok=True)
_, small, _ = run_protocol(RWE, small_text, db, WORK / "small_cell", check)
cut = {a["id"]: a["result"] for a in small["analyses"]}["iptw_trim"]
truth = res["iptw_trim"]["weighting"]
check("small_cell: the number trimmed is withheld", 0 < truth["trimmed"] < 10 and cut["weighting"]["trimmed"] == "suppressed",
      cut["weighting"])
models = [cut[k]["hazard_ratio"][c] for k in ("unadjusted", "weighted") for c in ("n", "events")]
check("small_cell: the models' patients and events do not give back the trimmed",
      not (isinstance(models[0], int) and isinstance(models[2], int) and 0 < models[0] - models[2] < 10) and
      not (isinstance(models[1], int) and isinstance(models[3], int) and 0 < models[1] - models[3] < 10), models)
for g, group in enumerate(("control", "treated")):
    n = truth["trimmed_by_group"][group]["n"]
    if 0 < n < 10:
        check(f"small_cell: {group} trimmed withheld", cut["weighting"]["trimmed_by_group"][group]["n"] == "suppressed",
              cut["weighting"]["trimmed_by_group"][group])
    before, after = cut["unadjusted"]["strata"][g]["n"], cut["weighted"]["strata"][g]["n"]
    shown = [cut["weights"][group]["n"], cut["weights"][group]["n_weighted"], before, after]
    numbers = [x for x in shown if isinstance(x, (int, float))]
    check(f"small_cell: {group}: no difference of shown counts gives the trimmed",
          not any(0 < abs(a - b) < 10 for a in numbers for b in numbers), shown)
    check(f"small_cell: {group}: the weights' minimum and maximum withheld",
          cut["weights"][group]["min"] == "suppressed" and cut["weights"][group]["max"] == "suppressed", cut["weights"][group])
# One group only (the analysis population has no treated patient): the run goes on with a
# warning naming the analysis, and a result that says the comparison is not estimable; the
# report says so in place of the tables.
one_text = text.replace("[report]", '''[[analysis]]
id = "iptw_one"
kind = "iptw"
where = "not PRIORHER2"
endpoint = "PFS"
treatment = "PRIORHER2"
covariates = ["AGE", "HR"]

[report]''', 1)
(WORK / "one_group").mkdir(parents=True, exist_ok=True)
one_out, one, one_err = run_protocol(RWE, one_text, db, WORK / "one_group", check)
r1 = {a["id"]: a["result"] for a in one["analyses"]}["iptw_one"]
check("one group: not estimable", r1.get("estimable") is False and "needs two" in r1.get("reason", ""), r1)
with open(one_out / "adsl.csv", newline="") as f:
    untreated = sum(1 for row in csv.DictReader(f) if row["PRIORHER2"] == "N")
check("one group: the patients counted (those without prior anti-HER2 therapy in adsl.csv, all controls)",
      r1["n"] + r1["dropped"] == untreated == r1["population"]["n"] and r1["treated"] == 0 and r1["controls"] == r1["n"],
      (untreated, r1))
check("one group: a warning names the analysis and key", "analysis.iptw_one.treatment" in one_err and "not estimable" in one_err, one_err)
check("one group: no model, weights or comparison", not any(k in r1 for k in ("model", "weights", "unadjusted", "weighted")), sorted(r1))
report_text = html.unescape((one_out / "report.html").read_text())
check("one group: the report says the comparison is not estimable",
      "not estimable: the cohort has 1 of the treatment's levels (No); a comparison needs two." in report_text, "")
(WORK / "one_group_small").mkdir(parents=True, exist_ok=True)
_, one_small, _ = run_protocol(RWE, one_text.replace("small_cell = 0 ", "small_cell = 10 ", 1), db, WORK / "one_group_small", check)
s1 = {a["id"]: a["result"] for a in one_small["analyses"]}["iptw_one"]
check("one group, small_cell = 10: the counts stay (none is small)",
      [s1[k] for k in ("n", "dropped", "treated", "controls")] == [r1[k] for k in ("n", "dropped", "treated", "controls")], s1)
sys.exit(check.exit_status())
