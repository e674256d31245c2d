#!/usr/bin/env bash
# A registry to the reference study's core, rwe against an R script in the same run: the
# whole commands a user runs, timed with /usr/bin/time -v (wall clock, maximum resident
# memory), and the R script's numbers checked against rwe's (bench/compare_r_core.py).
#   rwe:  rwe import REGISTRY --db STORE, then rwe run studies/thp-first-line.toml
#         (the whole protocol: 24 analyses, datasets, report and figures), and rwe run of
#         the protocol cut to the R script's analyses (bench/core_protocol.py): the same work
#   R:    bench/r/thp_core.R (data.table + survival): cohort with attrition, derived
#         variables, OS and PFS Kaplan-Meier, log-rank tests, a Cox model
# usage: bench/pipeline_vs_r.sh BUILD_DIR [PATIENTS=100000] [WORK_DIR=/tmp/rwe-pipeline-bench]
# The synthetic registry (rwe synth, seed 11) is made once and kept in WORK_DIR.
set -euo pipefail
build=$(realpath "$1"); patients=${2:-100000}; work=${3:-/tmp/rwe-pipeline-bench}
source_dir=$(dirname "$(dirname "$(realpath "$0")")")
rwe="$build/rwe"
command -v Rscript > /dev/null || { echo "pipeline_vs_r: Rscript not found (make deps-bench installs R)" >&2; exit 1; }
Rscript -e 'suppressPackageStartupMessages({library(data.table); library(survival)})' > /dev/null 2>&1 ||
  { echo "pipeline_vs_r: R needs data.table and survival (make deps-bench installs them)" >&2; exit 1; }
mkdir -p "$work"
registry="$work/registry-$patients"
if [ ! -s "$registry/patients.csv" ]; then
  echo "making a $patients-patient registry in $work (once)"
  rm -rf "$registry"
  "$rwe" synth --profile thp-her2-mbc --patients "$patients" --seed 11 --out "$registry" > /dev/null
fi

# Runs a command under /usr/bin/time -v; prints "seconds rss_mb".
timed() {
  local log="$work/time.log"
  /usr/bin/time -v "$@" > "$work/command.out" 2> "$log" || { cat "$log" >&2; exit 1; }
  local elapsed rss
  elapsed=$(grep "Elapsed (wall clock)" "$log" | awk '{print $NF}')
  rss=$(grep "Maximum resident set size" "$log" | awk '{print $NF}')
  echo "$elapsed" | awk -F: -v rss="$rss" '{ s = (NF == 3) ? $1 * 3600 + $2 * 60 + $3 : $1 * 60 + $2; printf "%.2f %d\n", s, rss / 1024 }'
}

db="$work/registry-$patients.sqlite"
rm -f "$db"
read -r import_s import_mb < <(timed "$rwe" import "$registry" --db "$db")
rm -rf "$work/out"
read -r run_s run_mb < <(timed "$rwe" run "$source_dir/studies/thp-first-line.toml" --db "$db" --out "$work/out")
# The same work as the R script: the protocol cut to the R script's analyses.
python3 "$source_dir/bench/core_protocol.py" "$source_dir/studies/thp-first-line.toml" "$work/thp-core.toml"
rm -rf "$work/out-core"
read -r core_s core_mb < <(timed "$rwe" run "$work/thp-core.toml" --db "$db" --out "$work/out-core")
read -r r_s r_mb < <(timed Rscript "$source_dir/bench/r/thp_core.R" "$registry" "$work/r-core.txt")
python3 "$source_dir/bench/compare_r_core.py" "$work/r-core.txt" "$work/out/results.json"
python3 "$source_dir/bench/compare_r_core.py" "$work/r-core.txt" "$work/out-core/results.json"

printf '%s patients (%s)\n' "$patients" "$(date -u +%Y-%m-%dT%H:%MZ)"
printf '  %-34s %9s %9s\n' "" "wall (s)" "RSS (MB)"
printf '  %-34s %9s %9s\n' "rwe import" "$import_s" "$import_mb"
printf '  %-34s %9s %9s\n' "rwe run (whole protocol)" "$run_s" "$run_mb"
printf '  %-34s %9s %9s\n' "rwe run (the R script's analyses)" "$core_s" "$core_mb"
printf '  %-34s %9s %9s\n' "R script (the core)" "$r_s" "$r_mb"
awk -v i="$import_s" -v r="$run_s" -v c="$core_s" -v R="$r_s" 'BEGIN {
  printf "  R / (rwe import + rwe run): %.2fx   (target >= 3)\n", R / (i + r);
  printf "  R / rwe run:                %.2fx   (target >= 10)\n", R / r;
  printf "  R / rwe run of the same analyses: %.2fx;  with the import: %.2fx\n", R / c, R / (i + c) }'
