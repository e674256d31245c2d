#!/usr/bin/env python3
"""Table 1 by group against R.

  table1_by_group.py RWE SOURCE_DIR WORK_DIR

studies/thp-vs-th.toml on its demo registry (rwe synth --profile thp-vs-th --patients 600
--seed 20221001), its table1 given `smd = true`, `percent_decimals = 2`, AGE given
`summary = "mean_sd"` and a second table (`numeric = "median_iqr"`, by a three-level
variable, HR). R (stats) recomputes from the run's adsl.csv:
  - each numeric row's test: wilcox.test(AGE ~ ARM) (two groups) and kruskal.test(AGE ~ HR)
    (three), statistic and p to 1e-12;
  - each categorical row's p: chisq.test(correct = FALSE) or fisher.test, as results.json names the test;
  - each standardized difference, by Yang & Dalton's formula written out in base R, to 1e-12;
  - mean (SD) and median (IQR) of AGE per group, as the table prints them.
The table (tables/tab-table1.csv): one column per group with its N, the p and the test
named on each variable's row, SMD to two decimals, percentages to two decimals, an
integer variable's median without decimals.

Each check prints `ok <name>` or `FAIL <name>: why`; the exit status is 1 when one failed.
"""
import csv
import json
import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from study_checks import Checks, demo_registry, run_protocol  # noqa: E402

RWE, SOURCE, WORK = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
check = Checks()
db = demo_registry(RWE, WORK, "thp-vs-th", 600)
text = (SOURCE / "studies" / "thp-vs-th.toml").read_text()
text = text.replace('AGE = { derive = "age", label = "Age at index (years)" }',
                    'AGE = { derive = "age", label = "Age at index (years)", summary = "mean_sd" }', 1)
text = text.replace('variables = ["AGE", "HR", "DENOVO", "VISCERAL", "TAXANE"]',
                    'variables = ["AGE", "HR", "DENOVO", "VISCERAL", "TAXANE"]\nsmd = true\npercent_decimals = 2', 1)
text += '''
[[analysis]]
id = "by_hr"
kind = "table1"
by = "HR"
numeric = "median_iqr"
variables = ["AGE", "DENOVO"]

[report]
docx = false
'''
text = text.replace('AGE = { derive = "age", label = "Age at index (years)", summary = "mean_sd" }',
                    'AGE = { derive = "age", label = "Age at index (years)", summary = "mean_sd" }\nAGE2 = { expr = "AGE", label = "Age again" }', 1)
text = text.replace('[[analysis]]\nid = "by_hr"', '[[analysis]]\nid = "by_hr"', 1).replace('variables = ["AGE", "DENOVO"]', 'variables = ["AGE2", "DENOVO"]', 1)
out, results, _ = run_protocol(RWE, text, db, WORK, check)
t1 = next(a["result"] for a in results["analyses"] if a["id"] == "table1")
hr = next(a["result"] for a in results["analyses"] if a["id"] == "by_hr")

# R from adsl.csv
script = r'''
suppressPackageStartupMessages(library(jsonlite))
a <- read.csv(commandArgs(TRUE)[1], colClasses = "character", na.strings = "")
a$AGE <- as.numeric(a$AGE)
arm <- factor(a$ARM, levels = c("TH", "THP"))
smdc <- function(x, g) { t <- table(x, g); c1 <- t[, 1]; c2 <- t[, 2]; keep <- (c1 + c2) > 0; c1 <- c1[keep]; c2 <- c2[keep]
  p1 <- (c1/sum(c1))[-1]; p2 <- (c2/sum(c2))[-1]; d <- p1 - p2
  S <- ((diag(p1, length(p1)) - outer(p1, p1)) + (diag(p2, length(p2)) - outer(p2, p2)))/2
  sqrt(drop(t(d) %*% solve(S) %*% d)) }
w <- wilcox.test(AGE ~ arm, data = a)
k <- kruskal.test(AGE ~ factor(HR), data = a)
x1 <- a$AGE[arm == "TH"]; x2 <- a$AGE[arm == "THP"]
out <- list(wilcox_w = unname(w$statistic), wilcox_p = w$p.value, kruskal_h = unname(k$statistic), kruskal_p = k$p.value,
  smd_age = abs(mean(x1) - mean(x2)) / sqrt((var(x1) + var(x2)) / 2),
  mean_sd = lapply(split(a$AGE, arm), function(v) c(mean(v), sd(v))),
  q = lapply(split(a$AGE, factor(a$HR)), function(v) unname(quantile(v, c(.5, .25, .75)))))
for (v in c("HR", "DENOVO", "VISCERAL")) {
  tab <- table(a[[v]], arm)
  out[[paste0("chisq_", v)]] <- suppressWarnings(chisq.test(tab, correct = FALSE)$p.value)
  out[[paste0("fisher_", v)]] <- fisher.test(tab)$p.value
  out[[paste0("smd_", v)]] <- smdc(a[[v]], arm)
}
cat(toJSON(out, digits = NA, auto_unbox = TRUE))
'''
(WORK / "check.R").write_text(script)
rr = subprocess.run(["Rscript", WORK / "check.R", out / "adsl.csv"], capture_output=True, text=True)
check("R runs", rr.returncode == 0, rr.stderr)
R = json.loads(rr.stdout)


def close(a, b, tol=1e-12):
    return isinstance(a, (int, float)) and abs(a - b) <= tol * max(1.0, abs(b))


rows = {row["variable"]: row for row in t1["rows"]}
age = rows["AGE"]["comparison"]
check("AGE by ARM: Wilcoxon W and p as wilcox.test", age["test"] == "wilcoxon" and close(age["statistic"], R["wilcox_w"]) and
      close(age["p"], R["wilcox_p"]), (age, R["wilcox_w"], R["wilcox_p"]))
kw = next(row for row in hr["rows"] if row["variable"] == "AGE2")["comparison"]
check("AGE by HR (three groups): Kruskal-Wallis H and p as kruskal.test",
      kw["test"] == "kruskal-wallis" and close(kw["statistic"], R["kruskal_h"]) and close(kw["p"], R["kruskal_p"]), (kw, R["kruskal_h"]))
check("AGE: SMD as Yang & Dalton", close(rows["AGE"]["smd"], R["smd_age"]), (rows["AGE"]["smd"], R["smd_age"]))
for v in ("HR", "DENOVO", "VISCERAL"):
    c = rows[v]["comparison"]
    want = R["chisq_" + v] if c["test"] == "chi-square" else R["fisher_" + v]
    check(f"{v}: p of the {c['test']} test as R", close(c["p"], want, 1e-9), (c["p"], want))
    check(f"{v}: SMD as Yang & Dalton", close(rows[v]["smd"], R["smd_" + v]), (rows[v]["smd"], R["smd_" + v]))

with open(out / "tables" / "tab-table1.csv", newline="", encoding="utf-8") as f:
    table = list(csv.reader(f))
header = table[0]
check("header: overall, a column per group with its N, p, Test, SMD",
      header[:1] == ["Characteristic"] and header[1] == "Overall (N = 600)" and re.fullmatch(r"TH \(N = \d+\)", header[2]) and
      re.fullmatch(r"THP \(N = \d+\)", header[3]) and header[4:7] == ["p", "Test", "SMD"], header)
age_row = next(row for row in table if row[0].startswith("Age at index"))
m = R["mean_sd"]
want = [f"{m['TH'][0]:.1f} ({m['TH'][1]:.1f})", f"{m['THP'][0]:.1f} ({m['THP'][1]:.1f})"]
check("AGE as mean (SD), the variable's own summary", age_row[0].endswith("mean (SD)") and age_row[2:4] == want, (age_row, want))
check("AGE row names its test and shows its SMD", age_row[5] == "Wilcoxon rank-sum" and age_row[6] == f"{R['smd_age']:.2f}", age_row)
hr_rows = [row for row in table if row[0] in ("negative", "positive")]
check("percentages with two decimals", hr_rows and all(re.fullmatch(r"\d+ \(\d+\.\d\d\)", row[1]) for row in hr_rows), hr_rows)
with open(out / "tables" / "tab-by_hr.csv", newline="", encoding="utf-8") as f:
    by_hr = list(csv.reader(f))
age2 = next(row for row in by_hr if row[0].startswith("Age again"))
q = R["q"]


def whole(v):
    return str(int(v)) if v == int(v) else f"{v:.1f}"


want = [f"{whole(q[g][0])} ({whole(q[g][1])}\u2013{whole(q[g][2])})" for g in ("negative", "positive", "unknown")]
check("the table's numeric = median_iqr, an integer variable without decimals", age2[0].endswith("median (IQR)") and
      age2[2:5] == want, (age2, want))
check("three groups: Kruskal-Wallis named", age2[6] == "Kruskal\u2013Wallis", age2)
sys.exit(check.exit_status())
