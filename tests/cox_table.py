#!/usr/bin/env python3
"""Cox tables of a study against R (docs/protocols.md, `cox`).

  cox_table.py RWE SOURCE_DIR WORK_DIR

studies/thp-first-line.toml on its demo registry (rwe synth --profile thp-her2-mbc
--patients 228 --seed 20221001), with three more analyses:
  - cox_check: PFS ~ AGE + MENO + DFI + PRIORHER2 + COPY, where DFI (disease-free interval)
    is missing for de novo patients and COPY is PRIORHER2 again (collinear);
  - cox_one: OS ~ MENO alone (no univariable columns by default);
  - cox_one_asked: the same with `univariable = true` (a warning: nothing to add).
R (survival) refits from the run's adsl.csv and adtte.csv:
  - coxph(Surv(AVAL, 1 - CNSR) ~ AGE + MENO + DFI + PRIORHER2 + COPY, ties = <the protocol's>):
    n, events, and per coefficient HR, CI, p (1e-6 relative); COPYY is NA in R and
    "not estimable" in rwe, with its reason;
  - each covariate alone (its own complete cases, as coxph's na.omit): n, events, HR, CI, p;
  - per level, the patients and events among the multivariable model's complete cases.
The table (tables/tab-cox_check.csv): a heading row per category, value labels for levels,
"—" for the reference level, NE for the collinear level, univariable and
multivariable columns; the report page has the NE footnote with its reason.

Each check prints `ok <name>` or `FAIL <name>: why`; the exit status is 1 when one failed.
"""
import csv
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from study_checks import Checks, demo_registry, run_protocol  # noqa: E402

RWE, SOURCE, WORK = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
check = Checks()
db = demo_registry(RWE, WORK, "thp-her2-mbc", 228)
text = (SOURCE / "studies" / "thp-first-line.toml").read_text()
anchor = 'DOCEGR = { derive = "band"'
assert anchor in text
text = text.replace(anchor, 'COPY = { expr = "PRIORHER2", label = "Prior anti-HER2 (a copy)" }\n' + anchor, 1)
text += '''
[[analysis]]
id = "cox_check"
kind = "cox"
endpoint = "PFS"
covariates = ["AGE", "MENO", "DFI", "PRIORHER2", "COPY"]

[[analysis]]
id = "cox_one"
kind = "cox"
endpoint = "OS"
covariates = ["MENO"]

[[analysis]]
id = "cox_one_asked"
kind = "cox"
endpoint = "OS"
covariates = ["MENO"]
univariable = true

[report]
docx = false
'''
out, results, stderr = run_protocol(RWE, text, db, WORK, check)
check("univariable = true with one covariate: a warning naming the key",
      "univariable" in stderr and "warning" in stderr and "protocol.toml:" in stderr, stderr)
res = {a["id"]: a["result"] for a in results["analyses"]}
model = res["cox_check"]

script = r'''
suppressPackageStartupMessages({library(survival); library(jsonlite)})
args <- commandArgs(TRUE)
a <- read.csv(args[1], colClasses = "character", na.strings = "")
t <- read.csv(args[2], colClasses = "character", na.strings = "")
t <- t[t$PARAMCD == "PFS", c("USUBJID", "AVAL", "CNSR")]
d <- merge(t, a, by = "USUBJID")
d$AVAL <- as.numeric(d$AVAL); d$ev <- 1 - as.numeric(d$CNSR)
d$AGE <- as.numeric(d$AGE); d$DFI <- as.numeric(d$DFI)
d$MENO <- factor(d$MENO, levels = c("pre", "post", "unknown"))
d$PRIORHER2 <- factor(d$PRIORHER2, levels = c("N", "Y"))
d$COPY <- factor(d$COPY, levels = c("N", "Y"))
covs <- c("AGE", "MENO", "DFI", "PRIORHER2", "COPY")
summ <- function(fit) {
  s <- summary(fit)$coefficients; ci <- summary(fit)$conf.int
  list(n = fit$n, events = fit$nevent, names = rownames(s), hr = unname(ci[, 1]), lower = unname(ci[, 3]),
       upper = unname(ci[, 4]), p = unname(s[, 5]), na = is.na(coef(fit)))
}
fit <- suppressWarnings(coxph(as.formula(paste("Surv(AVAL, ev) ~", paste(covs, collapse = " + "))), data = d, ties = args[3]))
out <- list(multi = summ(fit), uni = list(), levels = list())
for (v in covs) out$uni[[v]] <- summ(suppressWarnings(coxph(as.formula(paste("Surv(AVAL, ev) ~", v)), data = d, ties = args[3])))
cc <- d[complete.cases(d[, c("AVAL", "ev", covs)]), ]
for (v in c("MENO", "PRIORHER2", "COPY")) {
  out$levels[[v]] <- list(n = as.vector(table(cc[[v]])), events = as.vector(tapply(cc$ev, cc[[v]], sum, default = 0)))
}
cat(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null"))
'''
(WORK / "check.R").write_text(script)
rr = subprocess.run(["Rscript", WORK / "check.R", out / "adsl.csv", out / "adtte.csv", model["ties"]], capture_output=True, text=True)
check("R runs", rr.returncode == 0, rr.stderr)
if rr.returncode != 0:
    sys.exit(1)
R = json.loads(rr.stdout)


def close(a, b, tol=1e-6):
    return isinstance(a, (int, float)) and isinstance(b, (int, float)) and abs(a - b) <= tol * max(1.0, abs(b))


def as_list(value):
    return value if isinstance(value, list) else [value]


def same_fit(name, ours, theirs):
    theirs = {key: as_list(value) if key in ("names", "hr", "lower", "upper", "p", "na") else value for key, value in theirs.items()}
    check(f"{name}: a coefficient per column of R's model", [c["name"] for c in ours["coefficients"]] == theirs["names"],
          ([c["name"] for c in ours["coefficients"]], theirs["names"]))
    check(f"{name}: n and events as coxph", ours["n"] == theirs["n"] and ours["events"] == theirs["events"],
          (ours["n"], ours["events"], theirs["n"], theirs["events"]))
    for k, c in enumerate(ours["coefficients"]):
        if theirs["na"][k]:
            check(f"{name} {c['name']}: NA in R, not estimable in rwe", "not_estimable" in c and not isinstance(c.get("exp_coef"), float), c)
            continue
        got = [c["exp_coef"], c["lower"], c["upper"], c["p"]]
        want = [theirs["hr"][k], theirs["lower"][k], theirs["upper"][k], theirs["p"][k]]
        check(f"{name} {c['name']}: HR, CI and p as coxph", all(close(x, y) for x, y in zip(got, want)), (got, want))


same_fit("multivariable", model, R["multi"])
check("multivariable: complete cases only (DFI is missing for de novo patients)", model["dropped"] > 0 and model["n"] < 228, model["n"])
uni = {m["covariate"]: m for m in model["univariable"]}
check("a univariable model per covariate", sorted(uni) == sorted(model["covariates"]), sorted(uni))
for v, m in uni.items():
    same_fit(f"univariable {v}", m, R["uni"][v])
check("univariable AGE uses every patient (its own complete cases)", uni["AGE"]["n"] == R["uni"]["AGE"]["n"] == 228, uni["AGE"]["n"])
terms = {t["name"]: t for t in model["terms"]}
for v in ("MENO", "PRIORHER2", "COPY"):
    got = ([lv["n"] for lv in terms[v]["levels"]], [lv["events"] for lv in terms[v]["levels"]])
    want = (R["levels"][v]["n"], R["levels"][v]["events"])
    check(f"{v}: N and events per level among the model's patients", got == (list(want[0]), list(want[1])), (got, want))
copy_y = model["coefficients"][terms["COPY"]["levels"][1]["coefficient"]]
check("COPY=Y: the reason it is not estimable", "collinear" in copy_y.get("not_estimable", ""), copy_y)

with open(out / "tables" / "tab-cox_check.csv", newline="", encoding="utf-8") as f:
    table = list(csv.reader(f))
check("columns: N, events, univariable and multivariable HR and p",
      table[0] == ["Characteristic", "N", "Events", "Univariable HR (95% CI)", "p", "Multivariable HR (95% CI)", "p"], table[0])
labels = [row[0] for row in table]
meno = labels.index("Menopausal status")
check("a category: its heading row, then its levels by value label", table[meno][1:] == [""] * 6 and
      labels[meno + 1:meno + 4] == ["Premenopausal", "Postmenopausal", "Unknown"], table[meno:meno + 4])
ref = table[meno + 1]
want = ["Premenopausal", str(R["levels"]["MENO"]["n"][0]), str(R["levels"]["MENO"]["events"][0]), "\u2014", "", "\u2014", ""]
check("the reference level: N, events and a dash", ref == want, (ref, want))
post = table[meno + 2]
k = R["multi"]["names"].index("MENOpost")
want_hr = f"{R['multi']['hr'][k]:.2f} ({R['multi']['lower'][k]:.2f}\u2013{R['multi']['upper'][k]:.2f})"
check("Postmenopausal: the multivariable HR (95% CI) as coxph, two decimals", post[5] == want_hr, (post, want_hr))
copy = table[labels.index("Prior anti-HER2 (a copy)") + 2]
prior = table[labels.index("Prior (neo)adjuvant anti-HER2 therapy") + 2]
check("a collinear level: its univariable HR, NE in the multivariable model",
      copy[1:5] == prior[1:5] and copy[5] == "NE" and copy[6] == "", (copy, prior))
page = (out / "report.html").read_text(encoding="utf-8")
check("the report names the reason in a footnote",
      "NE, not estimable: Prior anti-HER2 (a copy): Yes (multivariable): no variation, or collinear" in page, "")
check("the fit's own message is not repeated beside it", "covariate 'COPYY' dropped" not in page, "")
dfi = table[labels.index("Disease-free interval (months)")]
check("a number: one row, the model's N and events", dfi[1:3] == [str(model["n"]), str(model["events"])], dfi)
check("univariable models on fewer or more patients: a footnote gives their n",
      f"Age at index (years) n = {uni['AGE']['n']}" in page, "")

with open(out / "tables" / "tab-cox_one.csv", newline="", encoding="utf-8") as f:
    one = list(csv.reader(f))
check("one covariate: no univariable columns", one[0] == ["Characteristic", "N", "Events", "HR (95% CI)", "p"], one[0])
check("one covariate: no univariable model in results.json",
      "univariable" not in res["cox_one"] and "univariable" not in res["cox_one_asked"], "")
sys.exit(check.exit_status())
