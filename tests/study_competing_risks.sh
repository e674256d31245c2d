#!/usr/bin/env bash
# The cuminc analysis kind on the 228-patient synthetic registry, checked against R on the
# analysis datasets rwe writes (tests/data/study/competing-risks/check.R: survfit and
# cmprsk::cuminc). Exit 77 (skipped) when Rscript, survival, cmprsk or jsonlite is absent.
#   study_competing_risks.sh RWE_BINARY SOURCE_DIR WORK_DIR
set -euo pipefail
rwe=$1; source=$2; work=$3
command -v Rscript > /dev/null || { echo "Rscript not found: skipped"; exit 77; }
Rscript -e 'for (p in c("survival", "cmprsk", "jsonlite")) if (!requireNamespace(p, quietly = TRUE)) quit(status = 1)' \
  || { echo "R packages survival, cmprsk and jsonlite are needed: skipped"; exit 77; }
rm -rf "$work"; mkdir -p "$work"
"$rwe" synth --profile thp-her2-mbc --patients 228 --seed 20221001 --out "$work/registry" > /dev/null
"$rwe" import "$work/registry" --db "$work/registry.sqlite" > /dev/null
"$rwe" run "$source/tests/data/study/competing-risks/protocol.toml" --db "$work/registry.sqlite" --out "$work/out"
for file in results.json adtte.csv report.html figures/fig-ttp.svg figures/fig-next_line.png tables/tab-ttp.csv; do
  [ -s "$work/out/$file" ] || { echo "missing output: $file"; exit 1; }
done
Rscript "$source/tests/data/study/competing-risks/check.R" "$work/out"
