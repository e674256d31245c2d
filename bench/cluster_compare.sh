#!/usr/bin/env bash
# The sharded cluster of docs/scale.md (scripts/pg_cluster.sh: a coordinator and two shard
# servers, postgres_fdw foreign partitions by hash of the patient) at scale, measured as
# bench/store_compare.sh measures SQLite and one PostgreSQL server: /usr/bin/time -v for rwe
# (wall, peak RSS) and the peak summed PSS of the three servers' processes (sampled every
# 0.5 s). Measured: building the cluster (rwe import into the coordinator, then the rows
# moved into the shards' partitions), `rwe run` of the protocol (rwe deriving), and with
# STORE=1 also `--derive store` and the protocol's countable analyses with `--reduce store`
# (on the cluster the store's SQL takes its scans form: each table read once, joined to the
# cohort on the coordinator; docs/scale.md).
# With REFERENCE (a results.json of the same protocol and registry, e.g. store_compare.sh's
# out-sqlite-rwe), the cluster's must equal it apart from the recorded source.
# usage: bench/cluster_compare.sh BUILD_DIR [PATIENTS=228] [PROTOCOL=thp-first-line] [WORK_DIR=/tmp/rwe-cluster-bench]
#        [PROFILE=thp-her2-mbc] [SEED=11]     environment: REGISTRY (a registry folder to use instead of
#        synthesizing one), REFERENCE, STORE
set -euo pipefail
build=$(realpath "$1"); patients=${2:-228}; protocol=${3:-thp-first-line}; work=${4:-/tmp/rwe-cluster-bench}
profile=${5:-thp-her2-mbc}; seed=${6:-11}
source_dir=$(dirname "$(dirname "$(realpath "$0")")")
rwe="$build/rwe"
rm -rf "$work"; mkdir -p "$work"
cluster="$work/cluster"
trap 'bash "$source_dir/scripts/pg_cluster.sh" stop "$cluster" > /dev/null 2>&1 || true' EXIT

# Every measurement: rwe, and the three servers' processes while a command runs
# (bench/measure.sh; the PSS is 0 before the cluster exists).
server_data="$cluster/*/data"
source "$source_dir/bench/measure.sh"

registry=${REGISTRY:-}
if [ -z "$registry" ]; then
  registry=$work/registry
  "$rwe" synth --profile "$profile" --patients "$patients" --seed "$seed" --out "$registry" > /dev/null
fi
echo "registry: $registry ($(du -sm "$registry" | cut -f1) MB of CSV); protocol $protocol"
# The rwe import inside is the peak RSS reported (the script's psql and pg_dump are small).
measure cluster-build bash "$source_dir/scripts/pg_cluster.sh" start "$cluster" "$rwe" "$registry"
source "$cluster/cluster.env"
measure run-cluster-derive-rwe "$rwe" run "$source_dir/studies/$protocol.toml" --db "$COORDINATOR_URL" --out "$work/out-derive-rwe"
outputs=("$work/out-derive-rwe")
if [ "${STORE:-0}" = 1 ]; then
  measure run-cluster-derive-store "$rwe" run "$source_dir/studies/$protocol.toml" --db "$COORDINATOR_URL" --derive store \
    --out "$work/out-derive-store"
  outputs+=("$work/out-derive-store")
  python3 "$source_dir/tests/countable_protocol.py" "$source_dir/studies/$protocol.toml" "$work/counted.toml"
  measure counted-cluster-derive-rwe "$rwe" run "$work/counted.toml" --db "$COORDINATOR_URL" --out "$work/counted-derive-rwe"
  measure counted-cluster-reduce-store "$rwe" run "$work/counted.toml" --db "$COORDINATOR_URL" --reduce store --out "$work/counted-reduce-store"
  cmp "$work/counted-derive-rwe/results.json" "$work/counted-reduce-store/results.json" \
    && echo "the counted protocol's results.json identical reduced by rwe and counted by the cluster"
fi
python3 - "${REFERENCE:-}" "${outputs[@]/%//results.json}" <<'PY'
import json, sys
reference, runs = sys.argv[1], [json.load(open(p)) for p in sys.argv[2:]]
if reference:
    runs.insert(0, json.load(open(reference)))
for r in runs:
    r["registry"].pop("store"); r["registry"].pop("imported_at")
same = all(r == runs[0] for r in runs[1:])
print(f"results.json identical apart from the recorded source ({len(runs)} runs{', with the reference' if reference else ''})"
      if same else "results.json DIFFER")
sys.exit(not same)
PY
