#!/usr/bin/env python3
"""Differential test of rwe against R survival (docs/methods.md §6).

usage: r_diff.py --rwe BIN [--datasets N] [--seed S] [--only I,J-K] [--keep DIR] [--rscript Rscript]

A seeded generator writes small random datasets (ties, near-equal times, huge times, case
weights, strata, clusters, text and numeric factors, constant and separated covariates,
groups left empty by missing values, missing cells, status coded 0/1, 1/2 or TRUE/FALSE).
Each dataset is analysed by `rwe km`, `rwe logrank` and `rwe cox` (JSON) and by one R
process running survfit, survdiff, coxph and cox.zph; every reported number is compared:
Kaplan–Meier and log-rank to 1e-9, Cox to 1e-6 (relative, absolute below 1e-8 ... see
`close`). Differences that are R's documented conventions are not compared at all: the
list is CONVENTIONS below, each with its docs/methods.md section.

Prints one line per mismatch (at most --show) and a summary: datasets, runs, values
compared, mismatches by cause. Exit status 0 when there is none, 1 otherwise, 77 when R
(Rscript with the survival package) is absent.
"""
import argparse
import json
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time as clock
from concurrent.futures import ThreadPoolExecutor

KM_TOL = 1e-9
COX_TOL = 1e-6

# Where R and rwe differ by design (docs/methods.md §6): these values are not compared, and the
# summary counts them by reason.
NOT_CONVERGED = ("R warns that it ran out of iterations or that a coefficient may be infinite "
                 "(monotone likelihood): the estimates depend on the iteration path; only n, events, "
                 "iterations, the null log-likelihood and the score test are compared")
NOT_CONVERGED_KEEP = {"n", "events", "iterations", "score"}
EXACT_UNDERFLOW = ("R's exact-ties fit reports a log partial likelihood above 0, which no fit has (each "
                   "term is the log of a probability): coxexact forms exp(eta) without a shift, its sums "
                   "of products of d risks underflowed (rwe shifts them) and its path, iteration count and "
                   "estimates follow the underflow; only n, events, the null log-likelihood and the score "
                   "test are compared")
EXACT_UNDERFLOW_KEEP = {"n", "events", "score"}
ROBUST_ZERO = ("the robust variance is rounding noise (R's robust SE below 1e-10, e.g. three tied rows): "
               "z, p, the robust Wald and score tests are ratios of noise")
ROBUST_ZERO_SKIP = {"z", "p", "wald", "wald_p", "robust_se", "robust_score", "lower", "upper"}

R_HELPERS = r"""
suppressMessages(library(survival))
num <- function(x) {
  x <- as.numeric(x)
  ifelse(is.na(x), "null", ifelse(is.infinite(x), ifelse(x > 0, "\"Inf\"", "\"-Inf\""), sprintf("%.17g", x)))
}
jstr <- function(s) paste0("\"", gsub("[\"\\\\\n]", " ", s), "\"")
emit <- function(id, expr) {
  res <- tryCatch(suppressWarnings(expr), error = function(e) e)
  if (inherits(res, "error")) {
    cat(sprintf("{\"id\": \"%s\", \"error\": %s}\n", id, jstr(conditionMessage(res))))
  } else {
    fields <- vapply(names(res), function(k) sprintf("\"%s\": [%s]", k, paste(num(res[[k]]), collapse = ", ")), "")
    cat(sprintf("{\"id\": \"%s\", \"values\": {%s}}\n", id, paste(fields, collapse = ", ")))
  }
}
km_values <- function(f, times) {
  out <- list(time = f$time, n_risk = f$n.risk, n_event = f$n.event, n_censor = f$n.censor,
              surv = f$surv, lower = f$lower, upper = f$upper, std_chaz = f$std.chaz,
              # a robust fit keeps the SE of S (logse FALSE); rwe's std_err is that of -log S
              std_err = if (isFALSE(f$logse)) ifelse(f$surv > 0, f$std.err / f$surv, Inf) else f$std.err,
              curve_rows = if (is.null(f$strata)) length(f$time) else unname(f$strata))
  tab <- summary(f)$table
  if (is.null(dim(tab))) tab <- t(as.matrix(tab))
  out$n <- tab[, "records"]
  out$median <- tab[, "median"]; out$median_lower <- tab[, "0.95LCL"]; out$median_upper <- tab[, "0.95UCL"]
  if (length(times)) {
    s <- summary(f, times = times)
    out$at_time <- s$time; out$at_surv <- s$surv; out$at_n_risk <- s$n.risk
    out$at_lower <- s$lower; out$at_upper <- s$upper; out$at_std_err <- s$std.err
  }
  out
}
lr_values <- function(f) {
  list(chisq = f$chisq, p = f$pvalue, observed = if (is.matrix(f$obs)) rowSums(f$obs) else f$obs,
       expected = if (is.matrix(f$exp)) rowSums(f$exp) else f$exp)
}
# Forces the fit, noting whether R warned that it ran out of iterations.
fit_ran_out <- function(f) {
  ran_out <- FALSE
  f <- withCallingHandlers(f, warning = function(w) {
    if (grepl("Ran out of iterations|may be infinite", conditionMessage(w))) ran_out <<- TRUE
    invokeRestart("muffleWarning")
  })
  list(fit = f, ran_out = ran_out)
}
cox_values <- function(f, zph) {
  forced <- fit_ran_out(f); f <- forced$fit
  # survival 3.5-3 returns an exact-ties fit of (start, stop] data as a bare list, without
  # its class, so summary() stops; the fit's own values are all there: give it back its class.
  if (!inherits(f, "coxph")) class(f) <- "coxph"
  s <- summary(f)
  b <- coef(f)
  naive <- if (is.null(f$naive.var)) f$var else f$naive.var
  out <- list(coef = b, se = sqrt(diag(naive)) * ifelse(is.na(b), NA, 1),
              z = s$coefficients[, "z"], p = s$coefficients[, "Pr(>|z|)"],
              lower = s$conf.int[, "lower .95"], upper = s$conf.int[, "upper .95"],
              loglik = f$loglik, lr = 2 * diff(f$loglik), wald = f$wald.test, score = f$score,
              iterations = f$iter, n = f$n, events = f$nevent,
              concordance = f$concordance[c("concordance", "std")], ran_out = forced$ran_out)
  out$lr_p <- s$logtest["pvalue"]; out$wald_p <- s$waldtest["pvalue"]; out$score_p <- s$sctest["pvalue"]
  if (!is.null(f$naive.var)) {
    out$robust_se <- sqrt(diag(f$var)) * ifelse(is.na(b), NA, 1)
    out$robust_score <- f$rscore
  }
  out
}
zph_values <- function(f, transform) {
  forced <- fit_ran_out(f); f <- forced$fit
  z <- cox.zph(f, transform = transform)
  list(zph_chisq = z$table[, "chisq"], zph_p = z$table[, "p"], ran_out = forced$ran_out)
}
pair_values <- function(d, groups, rho) {
  # survdiff on each pair's subset, as rwe logrank --pairwise
  lv <- sort(unique(groups[!is.na(groups) & !is.na(d$time) & !is.na(d$status)]))
  chisq <- c(); p <- c()
  for (i in seq_along(lv)) for (j in seq_along(lv)) if (i < j) {
    f <- survdiff(Surv(time, status) ~ g, data = d, subset = groups %in% c(lv[i], lv[j]), rho = rho)
    chisq <- c(chisq, f$chisq); p <- c(p, f$pvalue)
  }
  list(pair_chisq = chisq, pair_p = p)
}
"""


def fmt_time(t):
    return repr(float(t)) if t != int(t) or abs(t) >= 1e15 else str(int(t))


class Dataset:
    """One random dataset: columns as lists of strings ("NA" = missing)."""

    def __init__(self, index, seed):
        rng = random.Random(seed * 1_000_003 + index)
        self.index = index
        self.rng = rng
        n = rng.choice([1, 2, 3] + [rng.randint(4, 12)] * 3 + [rng.randint(13, 40)] * 6)
        self.n = n
        kind = rng.choice(["int", "int", "cont", "near", "huge"])
        if kind == "int":
            times = [float(rng.randint(1, max(2, n // 2 + 1))) for _ in range(n)]
        elif kind == "cont":
            times = [round(rng.expovariate(0.2), 2) + 0.01 for _ in range(n)]
        elif kind == "near":
            base = [round(rng.uniform(0.1, 10), 1) for _ in range(max(1, n // 3))]
            times = [rng.choice(base) * (1 + rng.choice([0, 0, 1e-9, -1e-9, 3e-8, 1e-12])) for _ in range(n)]
        else:
            times = [1e6 + rng.randint(0, 20) / 20 for _ in range(n)]
        self.time_kind = kind
        p_event = rng.choice([0.0, 0.4, 0.7, 0.9, 1.0]) if n > 3 else 0.8
        status = [1 if rng.random() < p_event else 0 for _ in range(n)]
        self.status_code = rng.choice(["01"] * 6 + ["12", "tf"])
        ngroup = rng.choice([1, 2, 2, 3, 3, 4])
        numeric_groups = rng.random() < 0.3
        labels = ["1", "2", "10", "3"] if numeric_groups else ["b", "a", "C", "d"]
        group = [labels[rng.randrange(ngroup)] for _ in range(n)]
        if numeric_groups and rng.random() < 0.5:
            # the same number written differently: one group, as R reads the column
            group = [{"1": rng.choice(["1", "1.0", "01"])}.get(g, g) for g in group]
        strata = [rng.choice(["s1", "s2"]) for _ in range(n)]
        cluster = [str(rng.randint(1, max(2, n // 2))) for _ in range(n)]
        wkind = rng.choice(["int", "frac"])
        weight = [rng.randint(1, 3) if wkind == "int" else round(rng.uniform(0.2, 3), 2) for _ in range(n)]
        x1 = [round(rng.gauss(0, 1), 3) for _ in range(n)]
        x2 = [rng.randint(0, 1) for _ in range(n)]
        if rng.random() < 0.15:
            x2 = [1] * n  # constant covariate
        if rng.random() < 0.1:
            x2 = [1 if s == 1 else 0 for s in status]  # separation: events only in x2 = 1
        f = [rng.choice(["lo", "mid", "hi"]) for _ in range(n)]
        # counting-process start times: 0 or a fraction of the stop time
        start = [0.0 if rng.random() < 0.3 else math.floor(t * rng.uniform(0, 0.9) * 100) / 100 for t in times]
        self.cols = {
            "time": [fmt_time(t) for t in times],
            "status": [self.code_status(s) for s in status],
            "g": group,
            "s": strata,
            "id": cluster,
            "w": [str(v) for v in weight],
            "x1": [repr(v) for v in x1],
            "x2": [str(v) for v in x2],
            "f": f,
            "t0": [fmt_time(v) for v in start],
        }
        self.frac_weights = wkind == "frac"
        # missing cells, and a group whose rows all miss their time (an empty group)
        if n > 4 and rng.random() < 0.3:
            for _ in range(rng.randint(1, 2)):
                self.cols[rng.choice(["time", "x1", "g", "f"])][rng.randrange(n)] = "NA"
        if n > 5 and rng.random() < 0.1:
            self.cols["g"][0] = "zz"
            self.cols["time"][0] = "NA"
        self.numeric_groups = numeric_groups

    def code_status(self, s):
        if self.status_code == "12":
            return "2" if s else "1"
        if self.status_code == "tf":
            return "TRUE" if s else "FALSE"
        return str(s)

    def write(self, path):
        names = list(self.cols)
        with open(path, "w") as out:
            out.write(",".join(names) + "\n")
            for i in range(self.n):
                out.write(",".join(self.cols[k][i] for k in names) + "\n")

    def r_status(self):
        # Surv() reads 1/2 and TRUE/FALSE itself
        return "status"

    def runs(self, csv):
        """(id, kind, rwe arguments, R expression) for this dataset."""
        rng = self.rng
        i = self.index
        d = f'd{i}'
        runs = []
        times = sorted({float(t) for t in self.cols["time"] if t != "NA"})
        at = []
        if times:
            at = sorted(rng.sample(times, min(2, len(times))))
        at_arg = ["--times", ",".join(fmt_time(t) for t in at)] if at else []
        at_r = "c(" + ",".join(repr(t) for t in at) + ")"
        ct = rng.choice(["log", "log-log", "plain"])
        runs.append((f"km{i}", "km", ["km", csv, "--time", "time", "--event", "status", "--conf-type", ct] + at_arg,
                     f"km_values(survfit(Surv(time, status) ~ 1, data = {d}, conf.type = '{ct}'), {at_r})"))
        runs.append((f"kmg{i}", "km", ["km", csv, "--time", "time", "--event", "status", "--group", "g"],
                     f"km_values(survfit(Surv(time, status) ~ g, data = {d}), c())"))
        # Integer weights: Greenwood; non-integer weights: R's default is the robust variance.
        runs.append((f"kmw{i}", "km", ["km", csv, "--time", "time", "--event", "status", "--weights", "w"],
                     f"km_values(survfit(Surv(time, status) ~ 1, data = {d}, weights = w), c())"))
        if self.frac_weights:
            runs.append((f"kmwg{i}", "km", ["km", csv, "--time", "time", "--event", "status", "--weights", "w", "--no-robust"],
                         f"km_values(survfit(Surv(time, status) ~ 1, data = {d}, weights = w, robust = FALSE), c())"))
        # Clusters: the infinitesimal jackknife summed within clusters (one cluster is an error in rwe).
        if len({c for c, t in zip(self.cols["id"], self.cols["time"]) if t != "NA"}) > 1:
            weights = ["--weights", "w"] if rng.random() < 0.5 else []
            rweights = ", weights = w" if weights else ""
            runs.append((f"kmc{i}", "km", ["km", csv, "--time", "time", "--event", "status", "--group", "g",
                                            "--cluster", "id"] + weights + at_arg,
                         f"km_values(survfit(Surv(time, status) ~ g, data = {d}, cluster = id{rweights}), {at_r})"))
        # (start, stop] data: delayed entry; Greenwood, or robust within clusters.
        runs.append((f"kmcp{i}", "km", ["km", csv, "--start", "t0", "--time", "time", "--event", "status"] + at_arg,
                     f"km_values(survfit(Surv(t0, time, status) ~ 1, data = {d}), {at_r})"))
        if len({c for c, t in zip(self.cols["id"], self.cols["time"]) if t != "NA"}) > 1:
            runs.append((f"kmcpc{i}", "km", ["km", csv, "--start", "t0", "--time", "time", "--event", "status",
                                              "--group", "g", "--cluster", "id"],
                         f"km_values(survfit(Surv(t0, time, status) ~ g, data = {d}, cluster = id), c())"))
        rho = rng.choice([0, 0, 1])
        runs.append((f"lr{i}", "logrank", ["logrank", csv, "--time", "time", "--event", "status", "--group", "g",
                                           "--rho", str(rho)],
                     f"lr_values(survdiff(Surv(time, status) ~ g, data = {d}, rho = {rho}))"))
        runs.append((f"lrs{i}", "logrank", ["logrank", csv, "--time", "time", "--event", "status", "--group", "g",
                                            "--strata", "s"],
                     f"lr_values(survdiff(Surv(time, status) ~ g + strata(s), data = {d}))"))
        for ties in ("efron", "breslow"):
            extra, rextra, covs, rcovs = [], "", ["x1", "x2"], "x1 + x2"
            choice = rng.choice(["plain", "strata", "cluster", "weights", "robust", "factor", "counting"])
            surv = "Surv(time, status)"
            if choice == "strata":
                extra, rextra = ["--strata", "s"], ""
                rcovs += " + strata(s)"
            elif choice == "cluster":
                extra, rextra = ["--cluster", "id"], ", cluster = id"
            elif choice == "weights":
                extra, rextra = ["--weights", "w"], ", weights = w"
            elif choice == "robust":
                extra, rextra = ["--robust"], ", robust = TRUE"
            elif choice == "counting":
                extra, surv = ["--start", "t0"], "Surv(t0, time, status)"
                if rng.random() < 0.5:
                    extra, rextra = extra + ["--cluster", "id"], ", cluster = id"
            elif choice == "factor":
                # a text column: a factor, first level the reference (with or without --factor)
                covs = ["x1", "f"]
                extra = ["--factor", "f"] if rng.random() < 0.5 else []
                rcovs = "x1 + f"
            args = ["cox", csv, "--time", "time", "--event", "status", "--covariates", ",".join(covs),
                    "--ties", ties] + extra
            fit = f"coxph({surv} ~ {rcovs}, data = {d}, ties = '{ties}'{rextra})"
            runs.append((f"cox{ties[0]}{i}", "cox", args, f"cox_values({fit}, FALSE)"))
            if ties == "efron":
                transform = rng.choice(["km", "km", "identity", "rank", "log"])
                runs.append((f"zph{i}", "zph", args + ["--zph", "--zph-transform", transform],
                             f"zph_values({fit}, '{transform}')"))
        # Exact ties (R's coxexact.fit / agexact.fit): unweighted, model-based variance only.
        # Its own generator, so that the runs above stay as they were for a seed.
        exact_rng = random.Random(f"exact-{i}-{len(self.cols['time'])}")
        choice = exact_rng.choice(["plain", "strata", "factor", "counting"])
        surv, covs, rcovs, extra = "Surv(time, status)", ["x1", "x2"], "x1 + x2", []
        if choice == "strata":
            extra, rcovs = ["--strata", "s"], rcovs + " + strata(s)"
        elif choice == "factor":
            covs, rcovs = ["x1", "f"], "x1 + f"
        elif choice == "counting":
            extra, surv = ["--start", "t0"], "Surv(t0, time, status)"
        runs.append((f"coxx{i}", "cox", ["cox", csv, "--time", "time", "--event", "status", "--covariates",
                                          ",".join(covs), "--ties", "exact"] + extra,
                     f"cox_values(coxph({surv} ~ {rcovs}, data = {d}, ties = 'exact'), FALSE)"))
        if len({g for g in self.cols["g"] if g != "NA"}) > 2:
            rho = rng.choice([0, 1])
            runs.append((f"pair{i}", "pairwise", ["logrank", csv, "--time", "time", "--event", "status", "--group",
                                                  "g", "--rho", str(rho), "--pairwise", "none"],
                         f"pair_values({d}, {d}$g, {rho})"))
        return runs


def rwe_values(kind, out):
    """The values of an rwe JSON document under R's names (see R_HELPERS)."""
    v = {}
    if kind == "km":
        rows = []
        for st in out["strata"]:
            rows.append(len(st["table"]))
            for row in st["table"]:
                for key in ("time", "n_risk", "n_event", "n_censor", "surv", "std_err", "lower", "upper", "std_chaz"):
                    v.setdefault(key, []).append(row[key])
            v.setdefault("n", []).append(st["n"])
            for key in ("median", "median_lower", "median_upper"):
                v.setdefault(key, []).append(st.get(key))
            for row in st.get("at_times", []):
                v.setdefault("at_time", []).append(row["time"])
                v.setdefault("at_surv", []).append(row["surv"])
                v.setdefault("at_n_risk", []).append(row["n_risk"])
                v.setdefault("at_lower", []).append(row["lower"])
                v.setdefault("at_upper", []).append(row["upper"])
                v.setdefault("at_std_err", []).append(row["std_err"])
        v["curve_rows"] = rows
    elif kind == "zph":
        v["zph_chisq"] = [t["chisq"] for t in out["zph"]["terms"]] + [out["zph"]["global"]["chisq"]]
        v["zph_p"] = [t["p"] for t in out["zph"]["terms"]] + [out["zph"]["global"]["p"]]
        v["infinite"] = [any("may be infinite" in d for d in out["diagnostics"])]
    elif kind == "pairwise":
        v["pair_chisq"] = [c["chisq"] for c in out["pairwise"]["comparisons"]]
        v["pair_p"] = [c["p"] for c in out["pairwise"]["comparisons"]]
    elif kind == "logrank":
        v["chisq"] = [out["chisq"]]
        v["p"] = [out["p"]]
        v["observed"] = [g["observed"] for g in out["groups"]]
        v["expected"] = [g["expected"] for g in out["groups"]]
    else:
        co = out["coefficients"]
        for key in ("coef", "se", "z", "p", "lower", "upper"):
            v[key] = [c[key] for c in co]
        v["loglik"] = out["loglik"]
        v["lr"] = [out["lr"]["chisq"]]
        v["wald"] = [out["wald"]["chisq"]]
        v["score"] = [out["score"]["chisq"]]
        v["lr_p"] = [out["lr"]["p"]]
        v["wald_p"] = [out["wald"]["p"]]
        v["score_p"] = [out["score"]["p"]]
        v["iterations"] = [out["iterations"]]
        v["n"] = [out["n"]]
        v["events"] = [out["events"]]
        v["concordance"] = [out["concordance"], out["concordance_se"]]
        v["infinite"] = [any("may be infinite" in d for d in out["diagnostics"])]
        if out.get("variance") == "robust":
            v["robust_se"] = [c["robust_se"] for c in co]
            v["robust_score"] = [out["robust_score"]["chisq"]]
    return v


def as_number(x):
    if x is None:
        return math.nan
    if isinstance(x, str):
        return {"Inf": math.inf, "-Inf": -math.inf}.get(x, math.nan)
    return float(x)


# Probabilities, z and concordance are compared with an absolute floor of tol (relative above
# 1); every other value relative to itself.
# Test statistics and Cox coefficients likewise: a statistic or log hazard ratio of 1e-16
# against R's 0 is rounding, not a difference.
UNIT_SCALE = {"p", "z", "lr_p", "wald_p", "score_p", "zph_p", "pair_p", "concordance", "surv", "lower",
              "upper", "at_surv", "at_lower", "at_upper", "coef", "lr", "wald", "score", "robust_score",
              "zph_chisq", "pair_chisq", "chisq"}


# Standard errors of a survival curve (of -log S, of S, of H) are compared relative to
# themselves down to 1e-5: below it, an absolute difference of 1e-14. The robust variance
# of a curve is 0 where one cluster holds the whole risk set, and both programs then give
# rounding noise (1e-17 to 1e-15, the square root of a variance's rounding) or 0.
SURVIVAL_SE = {"std_err", "at_std_err", "std_chaz"}
SE_FLOOR = 1e-5


def close(got, want, tol, key=""):
    g, w = as_number(got), as_number(want)
    if math.isnan(w) or math.isnan(g):
        return math.isnan(w) and math.isnan(g)
    if math.isinf(w) or math.isinf(g):
        return g == w
    scale = max(abs(w), 1.0) if key in UNIT_SCALE else max(abs(w), SE_FLOOR if key in SURVIVAL_SE else 1e-300)
    return abs(g - w) <= tol * scale


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rwe", required=True)
    ap.add_argument("--datasets", type=int, default=300)
    ap.add_argument("--seed", type=int, default=20261128)
    ap.add_argument("--keep", help="write the datasets and R script here (kept)")
    ap.add_argument("--rscript", default="Rscript")
    ap.add_argument("--show", type=int, default=20)
    ap.add_argument("--verbose", action="store_true", help="also show where R stops and rwe answers")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--only", help="dataset indices, comma-separated, or ranges (e.g. 3082,4404 or 0-999): run "
                    "these of the --datasets, to repeat a mismatch or to split a long run")
    a = ap.parse_args()
    only = None
    if a.only is not None:
        only = set()
        for part in (k.strip() for k in a.only.split(",")):
            if "-" in part:
                first, last = part.split("-")
                only.update(range(int(first), int(last) + 1))
            elif part:
                only.add(int(part))

    rscript = shutil.which(a.rscript)
    if rscript is None or subprocess.run([rscript, "-e", "library(survival)"], capture_output=True).returncode != 0:
        print("SKIPPED: R with the survival package is not installed (Debian: r-base-core r-cran-survival; "
              "`make test` installs them)")
        return 77
    started = clock.time()
    work = a.keep or tempfile.mkdtemp(prefix="rwe_r_diff_")
    os.makedirs(work, exist_ok=True)
    runs = []
    script = [R_HELPERS]
    for index in range(a.datasets):
        if only is not None and index not in only:
            continue
        ds = Dataset(index, a.seed)
        csv = os.path.join(work, f"d{index}.csv")
        ds.write(csv)
        script.append(f"d{index} <- read.csv({json.dumps(csv)})")
        for run in ds.runs(csv):
            runs.append(run)
            script.append(f"emit({json.dumps(run[0])}, {run[3]})")
    script_path = os.path.join(work, "r_diff.R")
    with open(script_path, "w") as out:
        out.write("\n".join(script) + "\n")

    # Level order of text columns: R sorts them by the locale's collation; rwe by bytes (the C
    # locale), a convention listed in docs/methods.md §6. R runs in the C locale here.
    env = dict(os.environ, LC_ALL="C", LANG="C")
    r = subprocess.Popen([rscript, "--vanilla", script_path], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, env=env)

    def run_rwe(run):
        p = subprocess.run([a.rwe] + run[2] + ["--format", "json"], capture_output=True, text=True, timeout=60)
        if p.returncode != 0:
            return {"error": (p.stderr or p.stdout).strip()[:200], "status": p.returncode}
        return {"values": rwe_values(run[1], json.loads(p.stdout))}

    # R's output is read while rwe runs (a full pipe would stop R until the end).
    with ThreadPoolExecutor(max_workers=1) as reader:
        r_result = reader.submit(r.communicate)
        with ThreadPoolExecutor(max_workers=a.jobs) as pool:
            got = list(pool.map(run_rwe, runs))
        r_out, r_err = r_result.result()
    if r.returncode != 0:
        print("R failed:", r_err[-2000:])
        return 1
    want = {}
    for line in r_out.splitlines():
        if line.startswith("{"):
            rec = json.loads(line)
            want[rec["id"]] = rec

    compared = 0
    skipped = {}
    r_errors = {}
    mismatches = {}
    shown = 0
    for run, mine in zip(runs, got):
        rid, kind, args, r_call = run
        theirs = want.get(rid, {"error": "no R output"})
        tol = COX_TOL if kind in ("cox", "zph") else KM_TOL

        def report(cause, detail):
            nonlocal shown
            mismatches[cause] = mismatches.get(cause, 0) + 1
            if a.verbose and mismatches[cause] > 1:
                print(f"MISMATCH {cause}: {rid}: {detail}")
            if shown < a.show and mismatches[cause] == 1:
                shown += 1
                print(f"MISMATCH {cause}: {rid}: {detail}\n    rwe {' '.join(args[:1] + args[2:])}\n    R   {r_call}")

        if "error" in mine or "error" in theirs:
            if "error" in mine and "error" in theirs:
                compared += 1
            elif "error" in mine and "single cluster" in mine["error"]:
                # by design (docs/methods.md §4.4): R reports robust SEs of ~1e-11 here
                cause = "cox: one cluster: rwe stops by design, R reports robust SEs of rounding size"
                r_errors[cause] = r_errors.get(cause, 0) + 1
            elif "error" in mine:
                report(f"{kind}: rwe error", mine["error"])
            elif kind == "zph" and all(all(math.isnan(as_number(x)) for x in values)
                                       for key, values in mine["values"].items() if key != "infinite"):
                compared += 1  # R stops where rwe reports NA: the same refusal
            else:
                # R stops (e.g. survdiff's solve() on a singular variance, a factor with one level)
                # where rwe reports a result with a diagnostic: nothing to compare against.
                cause = f"{kind}: R error ({theirs['error'][:48]}), rwe answers"
                r_errors[cause] = r_errors.get(cause, 0) + 1
                if r_errors[cause] == 1 and a.verbose:
                    print(f"R STOPS {cause}: {rid}: rwe {mine['values']}")
            continue
        rv, mv = theirs["values"], mine["values"]
        # R's warning, or rwe's note that a coefficient may be infinite (R does not always warn)
        not_converged = kind in ("cox", "zph") and (rv.get("ran_out", [0])[0] == 1 or
                                                   mv.get("infinite", [False])[0])
        # R's coxexact underflowed (docs/methods.md §6): a log partial likelihood above 0
        exact_underflow = kind == "cox" and "exact" in args and \
            len(rv.get("loglik", [])) == 2 and as_number(rv["loglik"][1]) > 1e-6
        robust_zero = kind == "cox" and "robust_se" in rv and \
            all(not (as_number(x) >= 1e-10) for x in rv["robust_se"])
        for key, wanted in rv.items():
            if robust_zero and key in ROBUST_ZERO_SKIP:
                skipped[ROBUST_ZERO] = skipped.get(ROBUST_ZERO, 0) + len(wanted)
                continue
            if key == "ran_out" or (key == "wald" and wanted == []):
                continue  # (R's wald.test is empty when every coefficient is NA)
            if exact_underflow and key not in EXACT_UNDERFLOW_KEEP:
                if key == "loglik":
                    wanted = wanted[:1]
                    mv = dict(mv, loglik=mv.get("loglik", [None])[:1])
                else:
                    skipped[EXACT_UNDERFLOW] = skipped.get(EXACT_UNDERFLOW, 0) + len(wanted)
                    continue
            elif not_converged and (kind == "zph" or key not in NOT_CONVERGED_KEEP):
                if key == "loglik":
                    wanted = wanted[:1]
                    mv = dict(mv, loglik=mv.get("loglik", [None])[:1])
                else:
                    skipped[NOT_CONVERGED] = skipped.get(NOT_CONVERGED, 0) + len(wanted)
                    continue
            mine_values = mv.get(key)
            if mine_values is None:
                if all(math.isnan(as_number(x)) for x in wanted):
                    continue
                report(f"{kind}.{key}: missing in rwe", f"R {wanted}")
                continue
            if len(mine_values) != len(wanted):
                report(f"{kind}.{key}: length", f"rwe {mine_values} R {wanted}")
                continue
            for k, (g, w) in enumerate(zip(mine_values, wanted)):
                compared += 1
                if not close(g, w, tol, key):
                    report(f"{kind}.{key}", f"[{k}] rwe {g!r} R {w!r}")
                    break
    elapsed = clock.time() - started
    total = sum(mismatches.values())
    print(f"r_diff: {a.datasets if only is None else len(only)} datasets (seed {a.seed}), {len(runs)} runs, {compared} values compared, "
          f"{total} mismatches in {elapsed:.1f} s")
    for cause, count in sorted(mismatches.items(), key=lambda kv: -kv[1]):
        print(f"  {count:6d}  {cause}")
    for convention, count in sorted(skipped.items()):
        print(f"  not compared (docs/methods.md §6): {count} values: {convention}")
    for cause, count in sorted(r_errors.items(), key=lambda kv: -kv[1]):
        print(f"  one side stops, the other answers (not a mismatch): {count:5d} runs: {cause}")
    if not a.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if total == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
