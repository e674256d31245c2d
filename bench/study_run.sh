#!/usr/bin/env bash
# Speed and memory of `rwe run` of the reference protocol on large synthetic registries,
# the whole command a user runs, measured with /usr/bin/time -v; and the time of each
# phase (RWE_TIMING). Targets (issue: the study language): at 1,000,000 patients at most
# 2 GB maximum resident memory and at most 60 s on the development machine.
# usage: bench/study_run.sh BUILD_DIR [PATIENTS=1000000] [WORK_DIR=/tmp/rwe-study-bench]
# The registry (rwe synth, seed 11) and its store are made once and kept in WORK_DIR.
set -euo pipefail
build=$(realpath "$1"); patients=${2:-1000000}; work=${3:-/tmp/rwe-study-bench}
source_dir=$(dirname "$(dirname "$(realpath "$0")")")
rwe="$build/rwe"
mkdir -p "$work"
registry="$work/registry-$patients"; db="$work/registry-$patients.sqlite"
if [ ! -s "$db" ]; then
  echo "making a $patients-patient registry in $work (once)"
  rm -rf "$registry" "$db"
  "$rwe" synth --profile thp-her2-mbc --patients "$patients" --seed 11 --out "$registry" > /dev/null
  "$rwe" import "$registry" --db "$db" > /dev/null
fi
log="$work/run-$patients.time"
RWE_TIMING=1 /usr/bin/time -v "$rwe" run "$source_dir/studies/thp-first-line.toml" --db "$db" --out "$work/out-$patients" \
  > "$work/run-$patients.out" 2> "$log"
elapsed=$(grep "Elapsed (wall clock)" "$log" | awk '{print $NF}')
rss=$(grep "Maximum resident set size" "$log" | awk '{print $NF}')
seconds=$(echo "$elapsed" | awk -F: '{ if (NF == 3) print $1 * 3600 + $2 * 60 + $3; else print $1 * 60 + $2 }')
grep "^rwe run:" "$log" | sed "s/^/  /"
cat "$work/run-$patients.out"
printf 'rwe run, %s patients: %s s wall, %d MB maximum resident memory\n' "$patients" "$seconds" $((rss / 1024))
if [ "$patients" -ge 1000000 ]; then
  awk -v s="$seconds" -v r="$rss" 'BEGIN { ok = (s <= 60 && r <= 2 * 1024 * 1024);
    printf "targets at 1,000,000 patients (<= 60 s, <= 2048 MB): %s\n", ok ? "met" : "NOT met"; exit ok ? 0 : 1 }'
fi
