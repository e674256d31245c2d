#!/usr/bin/env python3
"""Checks the numbers of bench/r/thp_core.R against rwe's results.json of the same registry.

usage: compare_r_core.py R_OUTPUT RESULTS_JSON
Counts must be equal; Kaplan-Meier and log-rank values agree to 1e-9 relative, Cox
coefficients and standard errors to 1e-6 (the tolerances of tests/golden). Exit 1 on any
difference, naming it.
"""
import json
import math
import sys


def main():
    r_values = {}
    with open(sys.argv[1]) as handle:
        for line in handle:
            name, value = line.split()
            r_values[name] = float(value)
    with open(sys.argv[2]) as handle:
        results = json.load(handle)
    analyses = {a["id"]: a["result"] for a in results["analyses"]}

    ours = {}
    steps = analyses["attrition"]["steps"]
    for key, step in zip(["registry", "received", "line", "her2", "accrual"], steps):
        ours["attrition." + key] = step["remaining"]
    for endpoint, analysis in (("OS", "os"), ("PFS", "pfs")):
        stratum = analyses[analysis]["strata"][0]
        for key in ("n", "events", "median", "median_lower", "median_upper"):
            ours[f"{endpoint}.{key}"] = stratum[key]
        for at in stratum["at_times"]:
            for key in ("surv", "lower", "upper"):
                ours[f"{endpoint}.{key}.{at['time']:g}"] = at[key]
    for test in analyses["subgroups"]["tests"]:
        ours[f"{test['endpoint']}.logrank.{test['by']}.chisq"] = test["chisq"]
    for coefficient in analyses["cox_os"]["coefficients"]:
        ours[f"cox_os.coef.{coefficient['name']}"] = coefficient["coef"]
        ours[f"cox_os.se.{coefficient['name']}"] = coefficient["se"]

    compared = differences = 0
    for name, expected in sorted(r_values.items()):
        if name not in ours:
            print(f"{name}: not in results.json")
            differences += 1
            continue
        got = ours[name]
        compared += 1
        if name.startswith("attrition.") or name.endswith((".n", ".events")):
            ok = got == expected
        else:
            tolerance = 1e-6 if name.startswith("cox_os.") else 1e-9
            ok = (got is None and math.isnan(expected)) or (
                got is not None and abs(got - expected) <= tolerance * max(1.0, abs(expected)))
        if not ok:
            print(f"{name}: rwe {got!r}, R {expected!r}")
            differences += 1
    print(f"R comparator: {compared} numbers compared, {differences} differences")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
