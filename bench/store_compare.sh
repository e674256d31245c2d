#!/usr/bin/env bash
# `rwe import` and `rwe run` on SQLite against PostgreSQL, measured with /usr/bin/time -v
# (wall time and peak RSS of rwe) and, for PostgreSQL, the peak of the server processes'
# proportional set size (PSS, shared buffers shared out, sampled every 0.5 s); `rwe run`
# both with rwe deriving the analysis datasets from the registry rows (the default) and
# with the store deriving them from SQL generated from the protocol (`--derive store`).
# The four results.json must be identical apart from the recorded source. Then the
# protocol's analyses that the store can count for, reduced by rwe and counted by the
# store (`--reduce store`), on both engines: those six results.json identical too.
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

# Every measurement: rwe, and the server's processes while a command runs (bench/measure.sh).
server_data="$PG_DIR/data"
source "$source_dir/bench/measure.sh"

"$rwe" synth --profile "$profile" --patients "$patients" --seed "$seed" --out "$work/registry" > /dev/null
echo "registry: $profile, $patients patients, $(du -sm "$work/registry" | cut -f1) MB of CSV; protocol $protocol"
measure import-sqlite "$rwe" import "$work/registry" --db "$work/registry.sqlite"
measure import-postgresql "$rwe" import "$work/registry" --db "$url"
for derive in rwe store; do
  measure "run-sqlite-derive-$derive" "$rwe" run "$source_dir/studies/$protocol.toml" --db "$work/registry.sqlite" \
    --derive $derive --out "$work/out-sqlite-$derive"
  measure "run-postgresql-derive-$derive" "$rwe" run "$source_dir/studies/$protocol.toml" --db "$url" \
    --derive $derive --out "$work/out-postgresql-$derive"
done
# The protocol's analyses that the store can count for (attrition, km, logrank, followup):
# rwe reducing the rows it derived, rwe reducing the datasets the store derived, and the
# store counting (`--reduce store`: no patient's row leaves the store).
python3 "$source_dir/tests/countable_protocol.py" "$source_dir/studies/$protocol.toml" "$work/counted.toml"
for engine in sqlite postgresql; do
  location="$work/registry.sqlite"; [ "$engine" = postgresql ] && location=$url
  measure "counted-$engine-derive-rwe" "$rwe" run "$work/counted.toml" --db "$location" --out "$work/counted-$engine-derive-rwe"
  measure "counted-$engine-derive-store" "$rwe" run "$work/counted.toml" --db "$location" --derive store --out "$work/counted-$engine-derive-store"
  measure "counted-$engine-reduce-store" "$rwe" run "$work/counted.toml" --db "$location" --reduce store --out "$work/counted-$engine-reduce-store"
done
echo "store sizes: SQLite $(( $(stat -c %s "$work/registry.sqlite") / 1048576 )) MB, PostgreSQL $(PGPASSWORD=$PG_PASSWORD "$PG_BIN/psql" -X -At -h 127.0.0.1 -p "$PG_PORT" -U rwe -d bench -c "SELECT pg_database_size('bench') / 1048576") MB"
python3 - "$work"/out-sqlite-rwe/results.json "$work"/out-sqlite-store/results.json \
  "$work"/out-postgresql-rwe/results.json "$work"/out-postgresql-store/results.json <<'PY'
import json, sys
runs = [json.load(open(p)) for p in sys.argv[1:]]
for r in runs:
    r["registry"].pop("store"); r["registry"].pop("imported_at")
same = all(r == runs[0] for r in runs[1:])
print("results.json identical apart from the recorded source (SQLite, PostgreSQL; derived by rwe and by the store)"
      if same else "results.json DIFFER")
sys.exit(not same)
PY
python3 - "$work"/counted-*/results.json <<'PY'
import json, sys
runs = [json.load(open(p)) for p in sys.argv[1:]]
for r in runs:
    r["registry"].pop("store"); r["registry"].pop("imported_at")
same = all(r == runs[0] for r in runs[1:])
print(f"the counted protocol's results.json identical apart from the recorded source ({len(runs)} runs: SQLite, PostgreSQL; "
      "reduced by rwe from its own and the store's datasets, counted by the store)" if same else "the counted protocol's results.json DIFFER")
sys.exit(not same)
PY
