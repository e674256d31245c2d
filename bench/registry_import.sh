#!/usr/bin/env bash
# Import speed and memory of `rwe import` on large registries, measured with /usr/bin/time -v.
# usage: bench/registry_import.sh BUILD_DIR [PATIENTS=100000] [WORK_DIR=/tmp/rwe-registry-bench]
# Two registries of PATIENTS patients: one from bench/make_registry.py (independent of
# rwe synth) and one from `rwe synth` when the build has it. Each is validated, imported,
# and its row counts in the database are checked against the CSV files.
set -euo pipefail
build=$(realpath "$1"); patients=${2:-100000}; work=${3:-/tmp/rwe-registry-bench}
here=$(dirname "$(realpath "$0")")
rwe="$build/rwe"
mkdir -p "$work"

measure() {  # name folder
  local name=$1 folder=$2 db="$work/$1.sqlite" log="$work/$1.time"
  rm -f "$db"
  /usr/bin/time -v "$rwe" import "$folder" --db "$db" > "$work/$name.out" 2> "$log"
  local elapsed rss user sys rows
  elapsed=$(grep "Elapsed (wall clock)" "$log" | awk '{print $NF}')
  rss=$(grep "Maximum resident set size" "$log" | awk '{print $NF}')
  user=$(grep "User time" "$log" | awk '{print $NF}')
  sys=$(grep "System time" "$log" | awk '{print $NF}')
  rows=$(head -1 "$work/$name.out" | awk '{print $2}')
  # Every data row of every CSV file is in the database (quoted line breaks aside).
  local csv_rows=0 db_rows=0
  for file in "$folder"/*.csv; do csv_rows=$((csv_rows + $(wc -l < "$file") - 1)); done
  db_rows=$(sqlite3 "$db" "SELECT (SELECT count(*) FROM patients)+(SELECT count(*) FROM tumors)+(SELECT count(*) FROM metastases)+(SELECT count(*) FROM regimens)+(SELECT count(*) FROM administrations)+(SELECT count(*) FROM assessments)+(SELECT count(*) FROM adverse_events)")
  printf '%-14s %9s patients %10s rows (csv %s, db %s)  %6s MB csv  elapsed %s  user %ss sys %ss  max RSS %d MB  db %d MB\n' \
    "$name" "$patients" "$rows" "$csv_rows" "$db_rows" "$(du -sLm "$folder/" | cut -f1)" "$elapsed" "$user" "$sys" \
    $((rss / 1024)) $(( $(stat -c %s "$db") / 1048576 ))
  [ "$csv_rows" = "$db_rows" ] || { echo "row counts differ" >&2; return 1; }
}

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
if [ ! -f "$work/generated-$patients/patients.csv" ]; then
  python3 "$here/make_registry.py" "$patients" "$work/generated-$patients"
fi
measure "generated" "$work/generated-$patients"
if "$rwe" synth --help > /dev/null 2>&1; then
  if [ ! -f "$work/synth-$patients/patients.csv" ]; then
    "$rwe" synth --profile thp-her2-mbc --patients "$patients" --out "$work/synth-$patients" > /dev/null
  fi
  measure "synth" "$work/synth-$patients"
fi
