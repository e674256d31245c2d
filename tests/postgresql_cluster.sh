#!/usr/bin/env bash
# The distributed case on one machine (docs/scale.md): scripts/pg_cluster.sh builds a
# coordinator and two shard servers from nothing, the registry's patient-level tables
# partitioned by hash of the patient across the shards (postgres_fdw foreign partitions).
# Every protocol of the reference registry, and the lung-cancer protocol on a cluster of
# its own registry, must give results.json identical to the
# SQLite run (apart from the recorded store and import time) and byte-identical analysis
# datasets, derived by rwe from the rows and by the cluster from the generated SQL, and
# the protocols' analyses that the store can count for also counted by the cluster
# (`--reduce store`); each shard must hold part of the patients, together all of them; the
# registry export must equal SQLite's. The servers are stopped whatever happens.
#   postgresql_cluster.sh RWE_BINARY SOURCE_DIR WORK_DIR
set -euo pipefail
rwe=$1; source=$2; work=$3
cluster=$work/cluster
"$source/scripts/pg_cluster.sh" stop "$cluster" 2> /dev/null || true
rm -rf "$work"; mkdir -p "$work"
trap '"$source/scripts/pg_cluster.sh" stop "$cluster"' EXIT

"$rwe" synth --profile thp-her2-mbc --patients 228 --seed 20221001 --out "$work/registry" > /dev/null
"$rwe" import "$work/registry" --db "$work/registry.sqlite" > /dev/null 2>&1
"$source/scripts/pg_cluster.sh" start "$cluster" "$rwe" "$work/registry" 2
source "$cluster/cluster.env"

# The rows are on the shards: each holds some patients, together all, none on the coordinator.
patients=$(psql -X -At "$COORDINATOR_URL" -c "SELECT count(*) FROM patients")
local_rows=$(psql -X -At "$COORDINATOR_URL" -c "SELECT count(*) FROM ONLY patients")
kind=$(psql -X -At "$COORDINATOR_URL" -c "SELECT relkind FROM pg_class WHERE relname = 'patients'")
total=0
for url in $SHARD_URLS; do
  n=$(psql -X -At "$url" -c "SELECT count(*) FROM patients")
  [ "$n" -gt 0 ] && [ "$n" -lt "$patients" ] || { echo "a shard holds $n of $patients patients"; exit 1; }
  total=$((total + n))
done
[ "$kind" = p ] && [ "$local_rows" = 0 ] && [ "$total" = "$patients" ] && [ "$patients" = 250 ] ||
  { echo "patients: $patients through the coordinator (relkind $kind, $local_rows local), $total on the shards"; exit 1; }
echo "patients: $patients, partitioned across the shards"

# Each protocol as it is, and its analyses that the store can count for
# (tests/countable_protocol.py), also counted by the cluster (`--reduce store`).
# compare_protocols SQLITE PROTOCOL...: each run on the cluster against SQLite.
compare_protocols() {
local sqlite=$1; shift
for protocol in "$@"; do
  protocol_file=$source/studies/$protocol.toml
  modes="rwe store"
  case $protocol in *-counted)
    protocol_file=$work/$protocol.toml; modes="rwe store reduce"
    python3 "$source/tests/countable_protocol.py" "$source/studies/${protocol%-counted}.toml" "$protocol_file" ;;
  esac
  "$rwe" run "$protocol_file" --db "$sqlite" --out "$work/$protocol-sqlite" > "$work/$protocol-sqlite.txt" 2>&1 \
    || { cat "$work/$protocol-sqlite.txt"; exit 1; }
  for derive in $modes; do
  cluster_out=$work/$protocol-cluster-$derive
  mode="--derive $derive"; [ "$derive" = reduce ] && mode="--reduce store"
  RWE_TIMING=1 "$rwe" run "$protocol_file" --db "$COORDINATOR_URL" $mode --out "$cluster_out" > "$cluster_out.txt" 2>&1 \
    || { cat "$cluster_out.txt"; exit 1; }
  # The store's SQL scans each table once: probes would be a remote query per patient.
  if [ "$derive" != rwe ] && ! grep -q "the store's SQL in its scans form" "$cluster_out.txt"; then
    echo "$protocol ($mode): the store's SQL did not take its scans form on the cluster"; cat "$cluster_out.txt"; exit 1
  fi
  python3 - "$work/$protocol-sqlite/results.json" "$cluster_out/results.json" <<'PY'
import json, math, sys
a, b = (json.load(open(path)) for path in sys.argv[1:3])
assert a["registry"].pop("store") == "sqlite" and b["registry"].pop("store") == "postgresql", "registry.store"
for results in (a, b):
    results["registry"].pop("imported_at")
differences = []
def compare(x, y, where):
    if type(x) != type(y) or (isinstance(x, (dict, list)) and len(x) != len(y)):
        differences.append(where)
    elif isinstance(x, dict):
        for key in x:
            compare(x[key], y.get(key), f"{where}.{key}")
    elif isinstance(x, list):
        for k, (u, v) in enumerate(zip(x, y)):
            compare(u, v, f"{where}[{k}]")
    elif x != y and not (isinstance(x, float) and math.isnan(x) and math.isnan(y)):
        differences.append(f"{where}: {x!r} (sqlite) != {y!r} (cluster)")
compare(a, b, "results")
if differences:
    print(f"{sys.argv[2]}: {len(differences)} differences from SQLite, e.g.\n" + "\n".join(differences[:20]))
    sys.exit(1)
PY
  for file in adsl.csv adtte.csv adrs.csv adae.csv; do
    if [ -f "$work/$protocol-sqlite/$file" ] || [ -f "$cluster_out/$file" ]; then
      cmp "$work/$protocol-sqlite/$file" "$cluster_out/$file"
    fi
  done
  echo "$protocol: results.json and the analysis datasets identical on SQLite and the sharded cluster ($mode)"
  done
done
}
compare_protocols "$work/registry.sqlite" thp-first-line hr-positive-elderly-thp tdm1-second-line \
  thp-first-line-counted hr-positive-elderly-thp-counted tdm1-second-line-counted
"$rwe" export --db "$work/registry.sqlite" --out "$work/export-sqlite" > /dev/null
"$rwe" export --db "$COORDINATOR_URL" --out "$work/export-cluster" > /dev/null
diff -r "$work/export-sqlite" "$work/export-cluster"
echo "registry export identical from the cluster"

# The lung-cancer protocol on a cluster of its own registry (the demo's: scripts/demo.sh).
lung_cluster=$work/lung-cluster
trap '"$source/scripts/pg_cluster.sh" stop "$cluster"; "$source/scripts/pg_cluster.sh" stop "$lung_cluster"' EXIT
"$rwe" synth --profile nsclc-egfr --patients 600 --seed 20221001 --out "$work/lung-registry" > /dev/null
"$rwe" import "$work/lung-registry" --db "$work/lung-registry.sqlite" > /dev/null 2>&1
"$source/scripts/pg_cluster.sh" start "$lung_cluster" "$rwe" "$work/lung-registry" 2
lung_url=$(. "$lung_cluster/cluster.env"; echo "$COORDINATOR_URL")
COORDINATOR_URL=$lung_url compare_protocols "$work/lung-registry.sqlite" nsclc-egfr-osimertinib nsclc-egfr-osimertinib-counted

# The password is in the URL rwe was given, and nowhere in what rwe wrote.
password=${COORDINATOR_URL#postgresql://rwe:}; password=${password%%@*}
lung_password=${lung_url#postgresql://rwe:}; lung_password=${lung_password%%@*}
for secret in "$password" "$lung_password"; do
  if grep -rlF --exclude-dir=cluster --exclude-dir=lung-cluster -- "$secret" "$work"; then
    echo "a cluster's password appears in the files above"; exit 1
  fi
done
