#!/usr/bin/env bash
# `rwe import` and `rwe run` on SQLite against PostgreSQL, measured with /usr/bin/time -v
# (wall time and peak RSS of rwe; the server's own memory is not counted), and the two
# results.json compared apart from the recorded source.
# usage: bench/store_compare.sh BUILD_DIR [PATIENTS=228] [PROTOCOL=thp-first-line] [WORK_DIR=/tmp/rwe-store-bench]
#        [PROFILE=thp-her2-mbc] [SEED=11]
# A throwaway PostgreSQL server is started for the run (tests/postgresql_server.sh) and
# stopped at the end.
set -euo pipefail
build=$(realpath "$1"); patients=${2:-228}; protocol=${3:-thp-first-line}; work=${4:-/tmp/rwe-store-bench}
profile=${5:-thp-her2-mbc}; seed=${6:-11}
source_dir=$(dirname "$(dirname "$(realpath "$0")")")
rwe="$build/rwe"
rm -rf "$work"; mkdir -p "$work"
state="$work/server.env"
bash "$source_dir/tests/postgresql_server.sh" start "$state"
trap 'bash "$source_dir/tests/postgresql_server.sh" stop "$state" > /dev/null' EXIT
source "$state"
PGPASSWORD=$PG_PASSWORD "$PG_BIN/psql" -X -q -h 127.0.0.1 -p "$PG_PORT" -U rwe -d postgres -c "CREATE DATABASE bench"
url="$PG_URL/bench"

measure() {  # label command...
  local label=$1; shift
  /usr/bin/time -v "$@" > "$work/$label.out" 2> "$work/$label.time" || { cat "$work/$label.out" "$work/$label.time"; exit 1; }
  printf '%-18s wall %8s  user %7ss  sys %6ss  max RSS %5d MB\n' "$label" \
    "$(grep 'Elapsed (wall clock)' "$work/$label.time" | awk '{print $NF}')" \
    "$(grep 'User time' "$work/$label.time" | awk '{print $NF}')" "$(grep 'System time' "$work/$label.time" | awk '{print $NF}')" \
    $(( $(grep 'Maximum resident set size' "$work/$label.time" | awk '{print $NF}') / 1024 ))
}

"$rwe" synth --profile "$profile" --patients "$patients" --seed "$seed" --out "$work/registry" > /dev/null
echo "registry: $profile, $patients patients, $(du -sm "$work/registry" | cut -f1) MB of CSV; protocol $protocol"
measure import-sqlite "$rwe" import "$work/registry" --db "$work/registry.sqlite"
measure import-postgresql "$rwe" import "$work/registry" --db "$url"
measure run-sqlite "$rwe" run "$source_dir/studies/$protocol.toml" --db "$work/registry.sqlite" --out "$work/out-sqlite"
measure run-postgresql "$rwe" run "$source_dir/studies/$protocol.toml" --db "$url" --out "$work/out-postgresql"
echo "store sizes: SQLite $(( $(stat -c %s "$work/registry.sqlite") / 1048576 )) MB, PostgreSQL $(PGPASSWORD=$PG_PASSWORD "$PG_BIN/psql" -X -At -h 127.0.0.1 -p "$PG_PORT" -U rwe -d bench -c "SELECT pg_database_size('bench') / 1048576") MB"
python3 - "$work/out-sqlite/results.json" "$work/out-postgresql/results.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for r in (a, b):
    r["registry"].pop("store"); r["registry"].pop("imported_at")
print("results.json identical apart from the recorded source" if a == b else "results.json DIFFER")
sys.exit(a != b)
PY
