#!/usr/bin/env python3
"""The migration check of the study language: both study protocols, rewritten in the
protocol language, must give the numbers the code before the change gave (saved in
tests/data/study/baseline/, made by the C++-coded study on the same synthetic registries).
A snapshot of our own earlier output: it guards against change, not error; the numbers
themselves are checked against R and the paper elsewhere.

  study_baseline.py RWE SOURCE_DIR WORK_DIR

Differences by design, each checked against what replaced it:
  - `long_term_response` became a table1 of responders by LTR (LTR, CR, PRIORHER2) and a
    km of OS by LTR among responders;
  - `second_line` became a table1 of PROG, L2REG and L2TRIAL;
  - results carry new keys (kept out of the comparison), never fewer;
  - texts that name the grading scale now say which version the protocol gives;
  - a true/false covariate's coefficient label reads "Yes vs No" (value labels) where it
    read "Y vs N".
"""
import csv, gzip, io, json, math, os, subprocess, sys

rwe, source, work = sys.argv[1], sys.argv[2], sys.argv[3]
baseline_dir = os.path.join(source, "tests", "data", "study", "baseline")
os.makedirs(work, exist_ok=True)
failures = []


def fail(message):
    failures.append(message)


def run(*args):
    subprocess.run([rwe, *args], check=True, stdout=subprocess.DEVNULL)


def same_number(a, b, rel_tol=1e-12):
    if a == b:
        return True
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=rel_tol, abs_tol=1e-14)
    return False


# A Cox fit stops when |1 - loglik_old / loglik_new| <= 1e-9, so its coefficients (and the
# tests and z built on them) are determined to ~1e-10 relative, not to the last bit: the
# iterations now run on R's scale of the covariates (docs/methods.md §4.2), which moved them
# by up to 5e-11. Values of a Cox fit are compared to 1e-9; everything else to 1e-12.
COX_REL_TOL = 1e-9


def same_cell(a, b):
    if a == b:
        return True
    try:
        return same_number(float(a), float(b))
    except ValueError:
        return False


def compare(old, new, path):
    """Every value in `old` must be in `new`, equal; extra keys in `new` are allowed."""
    if isinstance(old, dict):
        if not isinstance(new, dict):
            return fail(f"{path}: was an object, now {type(new).__name__}")
        for key, value in old.items():
            if key not in new:
                fail(f"{path}.{key}: missing")
            else:
                compare(value, new[key], f"{path}.{key}")
    elif isinstance(old, list):
        if not isinstance(new, list) or len(old) != len(new):
            return fail(f"{path}: list of {len(old)} became {len(new) if isinstance(new, list) else new!r}")
        for i, (a, b) in enumerate(zip(old, new)):
            compare(a, b, f"{path}[{i}]")
    elif path.endswith("adverse_events.grading"):
        if old.replace("CTCAE", "CTCAE v5.0") != new:
            fail(f"{path}: {old!r} became {new!r}")
    elif ".coefficients[" in path and path.endswith(".label") and isinstance(old, str) and old.endswith(": Y vs N"):
        if old[: -len("Y vs N")] + "Yes vs No" != new:
            fail(f"{path}: {old!r} became {new!r}")
    elif not same_number(old, new, COX_REL_TOL if "cox" in path else 1e-12):
        fail(f"{path}: {old!r} became {new!r}")


def by_id(results):
    return {a["id"]: a for a in results["analyses"]}


def row_of(table1, variable):
    return next(r for r in table1["result"]["rows"] if r["variable"] == variable)


def level(description, name):
    return next((l for l in description["levels"] if l["level"] == name), {"n": 0})


def check_long_term(old, new):
    o = old["result"]
    t = new["long_term_responders"]["result"]
    ltr = row_of(new["long_term_responders"], "LTR")["overall"]
    compare(o["long_term_responders"]["n"], level(ltr, "Y")["n"], "long_term: LTR n")
    compare(o["long_term_responders"]["of"], ltr["denominator"], "long_term: responders")
    cr = row_of(new["long_term_responders"], "CR")
    for group, key in (("Y", "long_term"), ("N", "other_responders")):
        compare(o["cr_rate"][key]["n"], level(cr["by_group"][group], "Y")["n"], f"long_term: CR in {group}")
        compare(o["cr_rate"][key]["of"], cr["by_group"][group]["denominator"], f"long_term: responders {group}")
    compare(o["cr_rate"]["test"]["p"], cr["comparison"]["p"], "long_term: CR test p")
    prior = row_of(new["long_term_responders"], "PRIORHER2")
    compare(o["by_prior_exposure"]["p"], prior["comparison"]["p"], "long_term: prior exposure p")
    os_new = {s["name"]: s for s in new["long_term_responders_os"]["result"]["strata"]}
    for stratum in o["os"]["strata"]:
        s = os_new[stratum["name"]]
        for key in ("n", "events", "median", "median_lower", "median_upper"):
            compare(stratum[key], s[key], f"long_term: OS {stratum['name']} {key}")
    compare(o["os"]["log_rank"]["p"], new["long_term_responders_os"]["result"]["log_rank"]["p"], "long_term: OS log-rank")


def check_second_line(old, new):
    o = old["result"]
    prog = row_of(new["second_line"], "PROG")["overall"]
    compare(o["progressed"]["n"], level(prog, "Y")["n"], "second_line: progressed")
    reg = row_of(new["second_line"], "L2REG")["overall"]
    compare(o["next_line"]["n"], reg["denominator"], "second_line: treated")
    for name, share in o["regimens"].items():
        compare(share["n"], level(reg, name)["n"], f"second_line: {name}")
        compare(share["percent"], level(reg, name)["percent"], f"second_line: {name} %")
    trial = row_of(new["second_line"], "L2TRIAL")["overall"]
    compare(o["clinical_trial"]["n"], level(trial, "Y")["n"], "second_line: clinical trial")


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def read_csv_gz(path):
    with gzip.open(path, "rt", newline="") as f:
        return list(csv.DictReader(f))


registries = {"demo": ("228", "20221001"), "s10k": ("10000", "7")}
for registry, (patients, seed) in registries.items():
    folder = os.path.join(work, registry)
    db = folder + ".sqlite"
    if not os.path.exists(db):
        run("synth", "--profile", "thp-her2-mbc", "--patients", patients, "--seed", seed, "--out", folder)
        run("import", folder, "--db", db)
    for protocol in ("thp-first-line", "tdm1-second-line"):
        name = f"{registry}-{protocol}"
        out = os.path.join(work, "out-" + name)
        run("run", os.path.join(source, "studies", protocol + ".toml"), "--db", db, "--out", out)
        old = json.load(gzip.open(os.path.join(baseline_dir, name + ".results.json.gz")))
        new = json.load(open(os.path.join(out, "results.json")))
        before = len(failures)
        compare(old["cohort"], new["cohort"], f"{name}: cohort")
        old_analyses, new_analyses = by_id(old), by_id(new)
        for analysis_id, analysis in old_analyses.items():
            if analysis["kind"] == "long_term_response":
                check_long_term(analysis, new_analyses)
            elif analysis["kind"] == "second_line":
                check_second_line(analysis, new_analyses)
            elif analysis_id not in new_analyses:
                fail(f"{name}: analysis {analysis_id} missing")
            else:
                compare(analysis["result"], new_analyses[analysis_id]["result"], f"{name}: {analysis_id}")
        # The analysis datasets: every column the old ADSL had and the new one keeps.
        old_adsl = read_csv_gz(os.path.join(baseline_dir, name + ".adsl.csv.gz"))
        new_adsl = read_csv(os.path.join(out, "adsl.csv"))
        if len(old_adsl) != len(new_adsl):
            fail(f"{name}: adsl.csv has {len(new_adsl)} rows, was {len(old_adsl)}")
        else:
            shared = [c for c in old_adsl[0] if c in new_adsl[0]]
            for old_row, new_row in zip(old_adsl, new_adsl):
                for column in shared:
                    a, b = old_row[column], new_row[column]
                    if not same_cell(a, b):
                        fail(f"{name}: adsl {old_row['USUBJID']} {column}: {a!r} became {b!r}")
            missing = [c for c in old_adsl[0] if c not in new_adsl[0]]
            if missing and protocol == "thp-first-line":
                fail(f"{name}: adsl lost columns {missing}")
        old_tte = sorted(map(tuple, (r.values() for r in read_csv_gz(os.path.join(baseline_dir, name + ".adtte.csv.gz")))))
        new_tte = sorted(map(tuple, (r.values() for r in read_csv(os.path.join(out, "adtte.csv")))))
        if protocol == "thp-first-line" and old_tte != new_tte:
            fail(f"{name}: adtte.csv differs ({len(old_tte)} rows before, {len(new_tte)} now)")
        if protocol == "tdm1-second-line":
            new_set = set(new_tte)
            lost = [r for r in old_tte if r not in new_set]
            if lost:
                fail(f"{name}: adtte.csv lost {len(lost)} rows, e.g. {lost[0]}")
        print(f"{name}: {len(old_analyses)} analyses, {len(failures) - before} differences")

for message in failures[:60]:
    print("  " + message)
if failures:
    print(f"{len(failures)} differences from the results before the change")
    sys.exit(1)
print("every number equal to the results before the change")
