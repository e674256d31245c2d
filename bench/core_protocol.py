#!/usr/bin/env python3
"""Writes the reference protocol cut to what bench/r/thp_core.R computes: the same cohort,
variables and endpoints (studies/thp-first-line.toml, unchanged), and only the analyses
the R script has: the attrition, OS and PFS Kaplan-Meier, the log-rank tests by PRIORHER2
and DOCE6, and the Cox model of OS. bench/pipeline_vs_r.sh times rwe run of it beside the
whole protocol, so that the ratio to R is also given for the same work.

usage: core_protocol.py REFERENCE_PROTOCOL OUT_PROTOCOL
"""
import re
import sys

KEEP = {"attrition", "os", "pfs", "subgroups", "cox_os"}
SUBGROUPS_BY = 'by = ["PRIORHER2", "DOCE6"]'


def main():
    source, target = sys.argv[1], sys.argv[2]
    with open(source) as handle:
        text = handle.read()
    head, *blocks = re.split(r"(?m)^(?=\[\[analysis\]\]\n)", text)
    kept = []
    for block in blocks:
        found = re.search(r'(?m)^id\s*=\s*"([^"]+)"', block)
        if not found:
            sys.exit(f"core_protocol: an analysis without an id in {source}")
        if found.group(1) not in KEEP:
            continue
        if found.group(1) == "subgroups":
            # the R script tests two of the groupings; its published p-values name others
            block, count = re.subn(r"(?m)^by\s*=\s*\[[^\]]*\]", SUBGROUPS_BY, block)
            block = re.sub(r"(?m)^published\s*=.*\n", "", block)
            if count != 1:
                sys.exit(f"core_protocol: the subgroups analysis of {source} has no one-line `by`")
        kept.append(block)
    ids = {re.search(r'(?m)^id\s*=\s*"([^"]+)"', block).group(1) for block in kept}
    if ids != KEEP:
        sys.exit(f"core_protocol: {source} lacks the analyses {sorted(KEEP - ids)}")
    with open(target, "w") as handle:
        handle.write(head + "".join(kept))


if __name__ == "__main__":
    main()
