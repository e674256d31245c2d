#!/usr/bin/env bash
# Side by side, in the same run: R survival's coxph and rwe cox on synthetic_1m (1,000,000
# rows, 4 covariates, Efron and Breslow). Checks that both give the same coefficients and
# prints the time ratios:
#   computation alone: R system.time(coxph(...)), best of 3, vs the fit inside cox_bench
#                      (Google Benchmark, best of 3 repetitions; its CPU time is the whole
#                      process, both threads of the fit). The ratio is given for wall time and
#                      for CPU time: R fits on one core, rwe on two.
#   whole process:     Rscript (read.csv of the gzip file + coxph) vs rwe cox on the gzip file
# usage: bench/compare_cox.sh BUILD_DIR SHARED_DIR    (BUILD_DIR configured with -DRWE_BUILD_BENCH=ON)
set -euo pipefail
build=$(realpath "$1"); shared=$(realpath "$2")
data="$shared/golden/data/synthetic_1m.csv.gz"
rwe="$build/rwe"; bench="$build/bench/cox_bench"
for f in "$rwe" "$bench"; do [ -x "$f" ] || { echo "compare_cox: missing $f (build with -DRWE_BUILD_BENCH=ON)"; exit 2; }; done
command -v Rscript >/dev/null || { echo "compare_cox: Rscript not found (make deps-bench)"; exit 2; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
now() { date +%s.%N; }

# R: computation alone (3 runs each, after gc(); min and median of elapsed and of CPU).
cat > "$work/fit.R" <<EOF
suppressMessages(library(survival))
d <- read.csv(gzfile("$data"))
for (ties in c("efron", "breslow")) {
  el <- cpu <- numeric(3)
  for (i in 1:3) {
    gc()
    t <- system.time(fit <- coxph(Surv(time, status) ~ x1 + x2 + group_2 + group_3, data = d, ties = ties))
    el[i] <- t[["elapsed"]]; cpu[i] <- t[["user.self"]] + t[["sys.self"]]
  }
  cat(ties, min(el), median(el), min(cpu), median(cpu), sprintf("%.17g", coef(fit)), "\n")
}
EOF
Rscript "$work/fit.R" > "$work/r_fit.txt"

# R: whole process, read.csv + coxph (Efron).
cat > "$work/whole.R" <<EOF
suppressMessages(library(survival))
d <- read.csv(gzfile("$data"))
fit <- coxph(Surv(time, status) ~ x1 + x2 + group_2 + group_3, data = d)
cat(sprintf("%.17g", coef(fit)), "\n")
EOF
r_whole=1e9
for i in 1 2 3; do
  t0=$(now); Rscript "$work/whole.R" > "$work/r_whole.txt"; t1=$(now)
  r_whole=$(python3 -c "print(min($r_whole, $t1 - $t0))")
done

# rwe: whole process (same gzip file; JSON answer kept for the check).
rwe_whole=1e9
for i in 1 2 3; do
  t0=$(now)
  "$rwe" cox "$data" --time time --event status --covariates x1,x2,group_2,group_3 --format json > "$work/rwe.json"
  t1=$(now)
  rwe_whole=$(python3 -c "print(min($rwe_whole, $t1 - $t0))")
done
"$rwe" cox "$data" --time time --event status --covariates x1,x2,group_2,group_3 --ties breslow \
  --format json > "$work/rwe_breslow.json"

# rwe: computation alone (the fit, data already in memory; the benchmark checks its answer):
# 3 repetitions of at least 1 s each, the best repetition's mean per fit (R: best of 3 fits).
"$bench" --benchmark_filter='1M|10Mx5/' --benchmark_min_time=1 --benchmark_repetitions=3 \
  --benchmark_format=json > "$work/bench.json" 2>/dev/null

python3 - "$work" "$r_whole" "$rwe_whole" <<'EOF'
import json, sys
work, r_whole, rwe_whole = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
r = {}
for line in open(f"{work}/r_fit.txt"):
    f = line.split()
    r[f[0]] = dict(el_min=float(f[1]), el_med=float(f[2]), cpu_min=float(f[3]), cpu_med=float(f[4]), coef=[float(v) for v in f[5:]])
ok = True
for ties, path in (("efron", "rwe.json"), ("breslow", "rwe_breslow.json")):
    got = [c["coef"] for c in json.load(open(f"{work}/{path}"))["coefficients"]]
    diff = max(abs(a - b) / abs(b) for a, b in zip(got, r[ties]["coef"]))
    print(f"{ties:8s} coefficients: rwe vs R max relative difference {diff:.2e}")
    ok = ok and diff <= 1e-6
whole_r = [float(v) for v in open(f"{work}/r_whole.txt").read().split()]
ok = ok and max(abs(a - b) / abs(b) for a, b in zip(whole_r, r["efron"]["coef"])) <= 1e-12
# best repetition (lowest mean wall time per fit) of each benchmark
bench = {}
for b in json.load(open(f"{work}/bench.json"))["benchmarks"]:
    if b.get("run_type") == "aggregate":
        continue
    name = b["name"].split("/")[0]
    if b.get("error_occurred"):
        bench[name] = b
    elif name not in bench or (not bench[name].get("error_occurred") and b["real_time"] < bench[name]["real_time"]):
        bench[name] = b
def seconds(b, key):
    return b[key] * {"ms": 1e-3, "us": 1e-6, "ns": 1e-9, "s": 1.0}[b["time_unit"]]
for ties, name in (("efron", "BM_CoxEfron1M"), ("breslow", "BM_CoxBreslow1M")):
    b = bench.get(name)
    if b is None or b.get("error_occurred"):
        print(f"{ties}: benchmark failed"); ok = False; continue
    real, cpu = seconds(b, "real_time"), seconds(b, "cpu_time")
    print(f"{ties:8s} computation: R coxph elapsed min {r[ties]['el_min']:.3f} s (cpu {r[ties]['cpu_min']:.3f} s); "
          f"rwe fit elapsed {real:.3f} s (cpu {cpu:.3f} s); ratio elapsed {r[ties]['el_min'] / real:.1f}x, "
          f"cpu {r[ties]['cpu_min'] / cpu:.1f}x  (target >= 30x)")
print(f"whole process (read gzip CSV + fit, efron): Rscript {r_whole:.2f} s, rwe {rwe_whole:.2f} s, "
      f"ratio {r_whole / rwe_whole:.1f}x  (target >= 15x)")
b = bench.get("BM_CoxEfron10Mx5")
if b is None or b.get("error_occurred"):
    print("10M x 5: benchmark failed"); ok = False
else:
    print(f"10M rows x 5 covariates, Efron with concordance: fit {seconds(b, 'real_time'):.2f} s "
          f"(cpu {seconds(b, 'cpu_time'):.2f} s)  (target < 3 s)")
print("answers agree" if ok else "ANSWERS DIFFER")
sys.exit(0 if ok else 1)
EOF
