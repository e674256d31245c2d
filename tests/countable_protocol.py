#!/usr/bin/env python3
"""A protocol's analyses that the store can count for (rwe run --reduce store: attrition,
km without a hazard ratio, logrank, followup, cox, association), the others left out, and no patient-level
datasets; written as TOML text beside the original's other tables.
    countable_protocol.py PROTOCOL.toml OUT.toml"""
import sys
import tomllib

source, out = sys.argv[1:3]
text = open(source, encoding="utf-8").read()
marker = "\n[[analysis]]\n"
head, *blocks = text.split(marker)
kept = []
for block in blocks:
    analysis = tomllib.loads(block)
    kind = analysis["kind"]
    if kind == "km" and analysis.get("figure", {}).get("hazard_ratio", False):
        continue
    if kind in ("attrition", "km", "logrank", "followup", "cox", "association"):
        kept.append(block)
if not kept:
    sys.exit(f"{source}: no analysis the store can count for")
head = head.replace("[study]\n", "[study]\npatient_level_datasets = false\n", 1)
open(out, "w", encoding="utf-8").write(head + "".join(marker + block for block in kept))
