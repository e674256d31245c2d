#!/usr/bin/env bash
# Runs every side-by-side comparison (bench/compare_*.sh, bench/pipeline_vs_r.sh) against R
# in the same run.
# usage: bench/run_all.sh BUILD_DIR SHARED_DIR
set -euo pipefail
build=$(realpath "$1"); shared=$(realpath "$2")
here=$(dirname "$(realpath "$0")")
status=0
for script in "$here"/compare_*.sh; do
  [ -e "$script" ] || continue
  echo "== $(basename "$script")"
  "$script" "$build" "$shared" || status=1
done
# The pipeline, a registry to the reference study's core (RWE_BENCH_PATIENTS, default 100,000).
echo "== pipeline_vs_r.sh"
"$here"/pipeline_vs_r.sh "$build" "${RWE_BENCH_PATIENTS:-100000}" || status=1
# Every shipped protocol on its profile's registry.
echo "== protocols_on_profiles.sh"
"$here"/protocols_on_profiles.sh "$build" "${RWE_BENCH_PATIENTS:-100000}" || status=1
exit $status
