#!/usr/bin/env bash
# Every shipped protocol on its demo registry (scripts/demo.sh), from SQLite and from
# PostgreSQL, with the analysis datasets derived by the store (SQL generated from the
# protocol, `--derive store`) and by rwe from the registry rows (`--derive rwe`):
# results.json must be identical apart from the recorded source (the store's engine and
# the import time), every value compared; the ADaM datasets and the exported registries
# byte-identical; no password anywhere rwe wrote or printed. Each protocol's analyses that
# the store can count for (tests/countable_protocol.py) also run with `--reduce store` on
# both engines, against the same analyses reduced by rwe.
#   postgresql_study.sh RWE_BINARY SOURCE_DIR WORK_DIR POSTGRESQL_STATE
set -euo pipefail
rwe=$1; source=$2; work=$3; state=$4
[ -f "$state" ] || { echo "no PostgreSQL test server (postgresql_server_start failed: see its output)"; exit 1; }
source "$state"
export PGPASSWORD=$PG_PASSWORD
psql() { "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U rwe "$@"; }
rm -rf "$work"; mkdir -p "$work"
unset PGPASSWORD  # rwe gets the password from the URL

# profile patients seed protocols (as scripts/demo.sh)
registries=(
  "thp-her2-mbc 228 20221001 thp-first-line hr-positive-elderly-thp tdm1-second-line"
  "thp-vs-th 600 20221001 thp-vs-th"
  "nsclc-egfr 600 20221001 nsclc-egfr-osimertinib"
  "early-her2-breast 600 20221001 early-her2-adjuvant-dfs"
)
for entry in "${registries[@]}"; do
  read -r profile patients seed protocols <<< "$entry"
  database=study_${profile//-/_}
  PGPASSWORD=$PG_PASSWORD psql -d postgres -c "DROP DATABASE IF EXISTS $database" -c "CREATE DATABASE $database"
  url="$PG_URL/$database"
  "$rwe" synth --profile "$profile" --patients "$patients" --seed "$seed" --out "$work/$profile" > /dev/null
  "$rwe" import "$work/$profile" --db "$work/$profile.sqlite" > /dev/null 2>&1
  "$rwe" import "$work/$profile" --db "$url" > "$work/$profile.import.txt" 2>&1 || { cat "$work/$profile.import.txt"; exit 1; }
  for protocol in $protocols; do
    for derive in rwe store; do
      "$rwe" run "$source/studies/$protocol.toml" --db "$work/$profile.sqlite" --derive $derive --out "$work/$protocol-sqlite-$derive" \
        > "$work/$protocol-sqlite-$derive.txt" 2>&1 || { cat "$work/$protocol-sqlite-$derive.txt"; exit 1; }
      RWE_TIMING=1 "$rwe" run "$source/studies/$protocol.toml" --db "$url" --derive $derive --out "$work/$protocol-postgresql-$derive" \
        > "$work/$protocol-postgresql-$derive.txt" 2>&1 || { cat "$work/$protocol-postgresql-$derive.txt"; exit 1; }
    done
    # One server: the store's SQL probes (the scans are for a registry spread over servers).
    grep -q "the store's SQL in its probes form" "$work/$protocol-postgresql-store.txt" ||
      { echo "$protocol on one PostgreSQL server: the store's SQL did not take its probes form"; exit 1; }
    # Its analyses that the store can count for, reduced by rwe (the reference: SQLite with
    # rwe deriving) and counted by the store (`--reduce store`) on SQLite and PostgreSQL.
    python3 "$source/tests/countable_protocol.py" "$source/studies/$protocol.toml" "$work/$protocol-counted.toml"
    "$rwe" run "$work/$protocol-counted.toml" --db "$work/$profile.sqlite" --out "$work/$protocol-counted-sqlite-rwe" \
      > "$work/$protocol-counted-sqlite-rwe.txt" 2>&1 || { cat "$work/$protocol-counted-sqlite-rwe.txt"; exit 1; }
    for db in "sqlite $work/$profile.sqlite" "postgresql $url"; do
      read -r engine location <<< "$db"
      "$rwe" run "$work/$protocol-counted.toml" --db "$location" --reduce store --out "$work/$protocol-counted-$engine-store" \
        > "$work/$protocol-counted-$engine-store.txt" 2>&1 || { cat "$work/$protocol-counted-$engine-store.txt"; exit 1; }
    done
    # The reference: SQLite with rwe deriving; every other run against it.
    for other in sqlite-store postgresql-rwe postgresql-store counted-sqlite-store counted-postgresql-store; do
    reference=$work/$protocol-sqlite-rwe
    case $other in counted-*) reference=$work/$protocol-counted-sqlite-rwe ;; esac
    python3 - "$reference/results.json" "$work/$protocol-$other/results.json" <<'PY'
import json, sys
a, b = (json.load(open(path)) for path in sys.argv[1:3])
engine = "postgresql" if "-postgresql-" in sys.argv[2] else "sqlite"
assert a["registry"].pop("store") == "sqlite" and b["registry"].pop("store") == engine, "registry.store"
for results in (a, b):
    results["registry"].pop("imported_at")
differences = []
def compare(x, y, where):
    if type(x) != type(y):
        differences.append(f"{where}: {x!r} (reference) != {y!r}")
    elif isinstance(x, dict):
        for key in sorted(set(x) | set(y)):
            if key not in x or key not in y:
                differences.append(f"{where}.{key}: only in {'the reference' if key in x else sys.argv[2]}")
            else:
                compare(x[key], y[key], f"{where}.{key}")
    elif isinstance(x, list):
        if len(x) != len(y):
            differences.append(f"{where}: {len(x)} items (reference) != {len(y)}")
        for k, (u, v) in enumerate(zip(x, y)):
            compare(u, v, f"{where}[{k}]")
    elif x != y and not (x != x and y != y):  # exact, NaN equal to NaN
        differences.append(f"{where}: {x!r} (reference) != {y!r}")
compare(a, b, "results")
if differences:
    print(f"{sys.argv[2]}: {len(differences)} differences from SQLite with rwe deriving, e.g.")
    print("\n".join(differences[:20]))
    sys.exit(1)
PY
      for file in adsl.csv adtte.csv adrs.csv adae.csv; do
        if [ -f "$reference/$file" ] || [ -f "$work/$protocol-$other/$file" ]; then
          cmp "$reference/$file" "$work/$protocol-$other/$file"
        fi
      done
    done
    echo "$protocol: results.json and the analysis datasets identical on SQLite and PostgreSQL, derived by the store and by rwe;" \
         "its analyses that the store can count for identical counted by the store"
  done
  "$rwe" export --db "$work/$profile.sqlite" --out "$work/$profile-export-sqlite" > /dev/null
  "$rwe" export --db "$url" --out "$work/$profile-export-postgresql" > "$work/$profile.export.txt"
  diff -r "$work/$profile-export-sqlite" "$work/$profile-export-postgresql"
  echo "$profile: exports identical"
done

# The password is in the URL rwe was given, and nowhere in what it wrote or printed.
if grep -rlF -- "$PG_PASSWORD" "$work"; then
  echo "the PostgreSQL password appears in the files above"; exit 1
fi
grep -q "into postgresql://rwe@127.0.0.1:$PG_PORT/" "$work/thp-her2-mbc.import.txt" \
  || { echo "import does not name the server as expected:"; cat "$work/thp-her2-mbc.import.txt"; exit 1; }
echo "no password in any output"
