#!/usr/bin/env bash
# Every shipped protocol on a large registry of the synthetic profile it is rehearsed on
# (the pairs of scripts/demo.sh): rwe synth, rwe import and rwe run, each timed as a whole
# command with /usr/bin/time -v (wall clock, maximum resident memory).
# usage: bench/protocols_on_profiles.sh BUILD_DIR [PATIENTS=100000] [WORK_DIR=/tmp/rwe-profile-bench]
set -euo pipefail
build=$(realpath "$1"); patients=${2:-100000}; work=${3:-/tmp/rwe-profile-bench}
source_dir=$(dirname "$(dirname "$(realpath "$0")")")
rwe="$build/rwe"
mkdir -p "$work"

# profile  protocols run on its registry
pairs=(
  "thp-her2-mbc thp-first-line hr-positive-elderly-thp tdm1-second-line"
  "thp-vs-th thp-vs-th"
  "nsclc-egfr nsclc-egfr-osimertinib"
  "early-her2-breast early-her2-adjuvant-dfs"
)

# Runs a command under /usr/bin/time -v; prints "seconds rss_mb".
timed() {
  local log="$work/time.log"
  /usr/bin/time -v "$@" > /dev/null 2> "$log" || { cat "$log" >&2; exit 1; }
  local elapsed rss
  elapsed=$(grep "Elapsed (wall clock)" "$log" | awk '{print $NF}')
  rss=$(grep "Maximum resident set size" "$log" | awk '{print $NF}')
  echo "$elapsed" | awk -F: -v rss="$rss" '{ s = (NF == 3) ? $1 * 3600 + $2 * 60 + $3 : $1 * 60 + $2; printf "%.2f %d\n", s, rss / 1024 }'
}

printf '%s eligible patients a profile (%s)\n' "$patients" "$(date -u +%Y-%m-%dT%H:%MZ)"
printf '  %-26s %-18s %9s %9s %9s %9s\n' "protocol" "profile" "synth s" "import s" "run s" "run MB"
for pair in "${pairs[@]}"; do
  read -r profile protocols <<< "$pair"
  registry="$work/$profile-$patients"; db="$registry.sqlite"
  rm -rf "$registry" "$db"
  read -r synth_s _ < <(timed "$rwe" synth --profile "$profile" --patients "$patients" --seed 11 --out "$registry")
  read -r import_s _ < <(timed "$rwe" import "$registry" --db "$db")
  for protocol in $protocols; do
    rm -rf "$work/out-$protocol"
    read -r run_s run_mb < <(timed "$rwe" run "$source_dir/studies/$protocol.toml" --db "$db" --out "$work/out-$protocol")
    printf '  %-26s %-18s %9s %9s %9s %9s\n' "$protocol" "$profile" "$synth_s" "$import_s" "$run_s" "$run_mb"
  done
  rm -rf "$registry"
done
