#!/usr/bin/env python3
"""Differential test of `rwe propensity` against R (docs/methods.md §8).

Seeded random data sets (a binary treatment, 1 to 4 covariates — integer-valued in half of
them, so that many propensity scores tie — and a three-level text factor) are fitted by
`rwe propensity` and by R's glm(family = binomial), and matched by `rwe propensity --match`
and by MatchIt::matchit(method = "nearest", distance = "glm") with random ratio, caliper,
replacement and order. Compared: coefficients and SEs (1e-6 relative), the iteration count,
and every treated unit's matched controls (exactly). Fits where either side reports
separation are not compared (their estimates follow the iteration path).

Exit 77 (skipped) when Rscript or jsonlite is absent. With MatchIt older than 4.5.4 (Debian
12's 4.5.1 ignores calipers and takes the lower-score neighbour instead of the nearest,
MatchIt #163) only the glm fits are compared, and the output says so; R_LIBS may point to a
library with a newer MatchIt.
"""
import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

R_SCRIPT = r"""
suppressMessages(library(jsonlite))
# MatchIt before 4.5.4 (Debian 12 ships 4.5.1) ignores calipers in nearest-neighbour
# matching (MatchIt #163): the glm fits are still compared, the matchings are not.
matchit_ok <- suppressWarnings(requireNamespace("MatchIt", quietly = TRUE)) && packageVersion("MatchIt") >= "4.5.4"
if (matchit_ok) suppressMessages(library(MatchIt))
cases <- fromJSON(commandArgs(trailingOnly = TRUE)[1], simplifyVector = FALSE)
out <- lapply(cases, function(c) {
  d <- read.csv(c$csv)
  f <- reformulate(unlist(c$covariates), "treat")
  w <- character(0)
  fit <- withCallingHandlers(glm(f, binomial, d),
                             warning = function(e) { w <<- c(w, conditionMessage(e)); invokeRestart("muffleWarning") })
  s <- summary(fit)$coefficients
  args <- list(f, data = d, method = "nearest", distance = "glm", ratio = c$ratio, replace = c$replace, m.order = c$order)
  if (!is.null(c$caliper)) args$caliper <- c$caliper
  m <- if (!matchit_ok) NULL else tryCatch(suppressWarnings(do.call(matchit, args)), error = function(e) NULL)
  sets <- if (is.null(m)) NULL else lapply(seq_len(nrow(m$match.matrix)), function(i) {
    cc <- m$match.matrix[i, ]; cc <- cc[!is.na(cc)]
    list(treated = as.integer(rownames(m$match.matrix)[i]), controls = I(sort(as.integer(cc)))) })
  list(coef_names = rownames(s), coef = unname(s[, 1]), se = unname(s[, 2]), iter = fit$iter, warnings = I(w), sets = sets,
       matchit = matchit_ok)
})
cat(toJSON(out, auto_unbox = TRUE, digits = NA, null = "null", na = "null"))
"""


def make_cases(folder, datasets, seed):
    rng = random.Random(seed)
    cases = []
    for k in range(datasets):
        n = rng.randint(15, 250)
        p = rng.randint(1, 4)
        integer = rng.random() < 0.5
        rows = []
        for _ in range(n):
            x = [rng.randint(0, 3) if integer else round(rng.gauss(0, 1), 3) for _ in range(p)]
            site = rng.choice(["a", "b", "c"])
            linear = -0.5 + 0.6 * x[0] + (0.4 if site == "b" else 0)
            rows.append((1 if rng.random() < 1 / (1 + 2.718281828459045 ** -linear) else 0, x, site))
        if len({row[0] for row in rows}) < 2:
            continue
        path = os.path.join(folder, f"d{k}.csv")
        with open(path, "w") as out:
            out.write("treat," + ",".join(f"x{j}" for j in range(p)) + ",site\n")
            for treat, x, site in rows:
                out.write(f"{treat}," + ",".join(str(v) for v in x) + f",{site}\n")
        cases.append({"csv": path, "covariates": [f"x{j}" for j in range(p)] + ["site"], "ratio": rng.choice([1, 1, 2, 3]),
                      "caliper": rng.choice([None, None, 0.1, 0.25, 0.5]), "replace": rng.random() < 0.4,
                      "order": rng.choice(["largest", "largest", "smallest", "data"])})
    return cases


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rwe", required=True)
    parser.add_argument("--datasets", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()
    if shutil.which("Rscript") is None:
        print("Rscript not found: skipped")
        return 77
    folder = tempfile.mkdtemp(prefix="rwe_ps_diff_")
    try:
        cases = make_cases(folder, options.datasets, options.seed)
        with open(os.path.join(folder, "cases.json"), "w") as out:
            json.dump(cases, out)
        with open(os.path.join(folder, "reference.R"), "w") as out:
            out.write(R_SCRIPT)
        r = subprocess.run(["Rscript", os.path.join(folder, "reference.R"), os.path.join(folder, "cases.json")],
                           capture_output=True, text=True)
        if "there is no package called" in r.stderr:
            print("R's jsonlite package not found (make test installs r-cran-jsonlite): skipped")
            return 77
        if r.returncode != 0:
            print("R failed:", r.stderr[-2000:])
            return 1
        reference = json.loads(r.stdout)
        failures, fits, matchings = [], 0, 0
        for case, want in zip(cases, reference):
            base = [options.rwe, "propensity", case["csv"], "--treatment", "treat", "--covariates", ",".join(case["covariates"]),
                    "--format", "json"]
            got = json.loads(subprocess.run(base, capture_output=True, text=True, check=True).stdout)
            separated = any("numerically 0 or 1" in w for w in want["warnings"]) or \
                any("may be infinite" in m for m in got["messages"])
            if separated:
                continue
            fits += 1
            have = [k for k in got["model"]["coefficients"] if k["coef"] is not None]
            if [k["name"] for k in have] != want["coef_names"]:
                failures.append(f"{case['csv']}: coefficients {[k['name'] for k in have]} vs R {want['coef_names']}")
                continue
            for k, coef, se in zip(have, want["coef"], want["se"]):
                for label, a, b in (("coef", k["coef"], coef), ("se", k["se"], se)):
                    if abs(a - b) > 1e-6 * max(1.0, abs(b)):
                        failures.append(f"{case['csv']}: {k['name']} {label} {a!r} vs R {b!r}")
            if got["model"]["iterations"] != want["iter"]:
                failures.append(f"{case['csv']}: iterations {got['model']['iterations']} vs R {want['iter']}")
            if want["sets"] is None:
                continue
            arguments = base + ["--match", str(case["ratio"]), "--order", case["order"]]
            if case["caliper"]:
                arguments += ["--caliper", str(case["caliper"])]
            if case["replace"]:
                arguments += ["--replace"]
            run = subprocess.run(arguments, capture_output=True, text=True)
            if run.returncode != 0:
                failures.append(f"{case['csv']} {case}: rwe failed: {run.stdout[-300:]}")
                continue
            matchings += 1
            have_sets = {s["treated"]: sorted(s["controls"]) for s in json.loads(run.stdout)["matching"]["sets"]}
            want_sets = {s["treated"]: sorted(s["controls"]) for s in want["sets"]}
            differ = [t for t in want_sets if have_sets.get(t) != want_sets[t]]
            if differ or len(have_sets) != len(want_sets):
                failures.append(f"{case['csv']} {case}: {len(differ)} matched sets differ, e.g. treated row {differ[:1]}")
        for failure in failures[:20]:
            print("FAIL", failure)
        if reference and not reference[0]["matchit"]:
            print("matchings not compared: MatchIt >= 4.5.4 not found (Debian 12's 4.5.1 ignores calipers, MatchIt "
                  "#163; R_LIBS may point to a newer one); the matchings are checked against stored MatchIt 4.7.2 "
                  "results in propensity_test")
        print(f"{fits} fits and {matchings} matchings compared with R (glm, MatchIt); {len(failures)} differences")
        return 1 if failures else 0
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
