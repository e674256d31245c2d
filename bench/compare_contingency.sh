#!/usr/bin/env bash
# Fisher's exact test on baseline-table-sized tables: rwe (bench/contingency_bench, which
# first checks each p-value against R's) beside R's fisher.test in the same run. Prints the
# CPU time per test on each side and the ratio R / rwe. CPU time rather than wall-clock
# because the machine is shared (wall-clock is printed for rwe beside it); times are minima
# over repeats; R's include its argument checks, as a user calling fisher.test would see.
# usage: bench/compare_contingency.sh BUILD_DIR SHARED_DIR
set -euo pipefail
build=$(realpath "$1")
here=$(dirname "$(realpath "$0")")
bench="$build/bench/contingency_bench"
[ -x "$bench" ] || { echo "missing $bench (build with -DRWE_BUILD_BENCH=ON)"; exit 1; }
command -v Rscript >/dev/null || { echo "Rscript not found: make deps-bench installs R"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

"$bench" --benchmark_filter=fisher --benchmark_repetitions=3 --benchmark_format=json > "$tmp/rwe.json"

cat > "$tmp/r.R" <<'R'
tables <- list(
  "2x2_n228" = matrix(c(30, 39, 33, 126), 2, byrow = TRUE),
  "2x4_n228" = matrix(c(8, 35, 45, 36, 6, 29, 37, 32), 2, byrow = TRUE),
  "3x3_n200" = matrix(c(20, 25, 22, 18, 30, 15, 25, 20, 25), 3, byrow = TRUE),
  "4x3_n150" = matrix(c(10, 15, 12, 8, 14, 16, 11, 9, 13, 20, 12, 10), 4, byrow = TRUE),
  "3x5_n230" = matrix(c(10, 20, 25, 15, 8, 12, 18, 22, 14, 9, 11, 17, 20, 16, 13), 3, byrow = TRUE),
  "4x4_n228" = matrix(c(14, 20, 15, 8, 16, 18, 12, 10, 13, 17, 19, 9, 12, 15, 18, 12), 4, byrow = TRUE),
  "5x2_n48" = matrix(c(5, 1, 8, 3, 6, 6, 2, 9, 1, 7), 5, byrow = TRUE))
for (name in names(tables)) {
  x <- tables[[name]]
  reps <- if (nrow(x) * ncol(x) >= 16) 2 else 20
  t <- min(replicate(3, { s <- system.time(for (i in seq_len(reps)) fisher.test(x, workspace = 2e7)); s["user.self"] + s["sys.self"] }))
  cat(name, t / reps * 1e6, "\n")
}
R
Rscript "$tmp/r.R" > "$tmp/r.txt"

python3 - "$tmp/rwe.json" "$tmp/r.txt" <<'PY'
import json, sys
runs = json.load(open(sys.argv[1]))["benchmarks"]
rwe = {}
for run in runs:
    if run.get("run_type") != "iteration" or "error_occurred" in run:
        continue
    name = run["run_name"].split("/", 1)[1]
    cpu, wall = rwe.get(name, (float("inf"), float("inf")))
    rwe[name] = (min(cpu, run["cpu_time"]), min(wall, run["real_time"]))
print(f"{'table':<10} {'R fisher.test cpu (us)':>24} {'rwe cpu (us)':>14} {'rwe wall (us)':>14} {'R / rwe':>9}")
for line in open(sys.argv[2]):
    name, r_us = line.split()
    r_us = float(r_us)
    if name not in rwe:
        print(f"{name:<10} {r_us:>24.1f} {'failed':>14}")
        continue
    cpu, wall = rwe[name]
    print(f"{name:<10} {r_us:>24.1f} {cpu:>14.1f} {wall:>14.1f} {r_us / cpu:>9.1f}")
PY
