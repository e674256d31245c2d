#!/usr/bin/env bash
# The reference protocol on the 228-patient synthetic registry, as `make demo` runs it:
# the paper's figures must be reproduced within sampling error (judged by results.json's
# own side-by-side verdicts), and report.html must open in headless Chromium with every
# figure and table present and nothing overflowing its box.
#   study_reference.sh RWE_BINARY SOURCE_DIR WORK_DIR
set -euo pipefail
rwe=$1; source=$2; work=$3
rm -rf "$work"; mkdir -p "$work"
"$rwe" synth --profile thp-her2-mbc --patients 228 --seed 20221001 --out "$work/registry" > /dev/null
"$rwe" import "$work/registry" --db "$work/registry.sqlite" > /dev/null
"$rwe" run "$source/studies/thp-first-line.toml" --db "$work/registry.sqlite" --out "$work/out"
for file in results.json adsl.csv adtte.csv adrs.csv adae.csv report.html tables.xlsx figures/fig-os.svg figures/fig-os.pdf figures/fig-os.png; do
  [ -s "$work/out/$file" ] || { echo "missing output: $file"; exit 1; }
done
python3 - "$work/out/results.json" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))
rows = [(a["id"], c) for a in results["analyses"] for c in a.get("comparison", [])]
judged = [(i, c) for i, c in rows if c["verdict"] in ("within our 95% CI", "outside our 95% CI")]
within = [(i, c) for i, c in judged if c["verdict"] == "within our 95% CI"]
# The headline figures of the paper, each of which must lie within our 95% CI.
key = {("os", "median"), ("pfs", "median"), ("dor", "median"), ("tdm1_pfs", "median"),
       ("response", "objective response (%)"), ("response", "best response CR (%)"),
       ("table1", "DENOVO = Y (%)"), ("table1", "PRIORHER2 = Y (%)"), ("table1", "VISCERAL = Y (%)"),
       ("second_line", "L2REG = T-DM1 (%)")}
failed = []
for analysis, quantity in sorted(key):
    match = [c for i, c in judged if i == analysis and c["quantity"].startswith(quantity)]
    if not match:
        failed.append(f"{analysis}: no comparison for {quantity}")
    elif match[0]["verdict"] != "within our 95% CI":
        c = match[0]
        failed.append(f"{analysis}: {c['quantity']}: published {c['published']} outside {c['ours_lower']}-{c['ours_upper']}")
share = len(within) / len(judged) if judged else 0
print(f"{len(within)} of {len(judged)} published figures within our 95% CI ({100 * share:.0f}%)")
# With ~50 independent 95% intervals, about 2-3 misses are expected by chance alone; a
# share below 85% means the registry or the analysis is off, not sampling error.
if share < 0.85:
    failed.append(f"only {100 * share:.0f}% of published figures within our 95% CI")
for i, c in judged:
    if c["verdict"] != "within our 95% CI":
        print(f"  outside: {i}: {c['quantity']}: published {c['published']}, ours {c['ours']:.3g} ({c['ours_lower']}-{c['ours_upper']})")
if failed:
    print("\n".join(failed))
    sys.exit(1)
text = open(sys.argv[1]).read()
if any(f'"{p}' in text for p in ("THP-", "P0")):
    print("results.json contains something that looks like a patient id"); sys.exit(1)
PY
bash "$source/tests/data/report/browser_check.sh" --page "$work/out/report.html" "$work/browser"
