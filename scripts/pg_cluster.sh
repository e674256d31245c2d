#!/usr/bin/env bash
# A registry spread over several PostgreSQL servers on one machine, from nothing
# (docs/scale.md): a coordinator whose registry tables are partitioned by hash of the
# patient across N shard servers (postgres_fdw foreign partitions), which `rwe run --db`
# reads as it reads a single server.
#
#   scripts/pg_cluster.sh start DIR RWE REGISTRY [SHARDS]
#       initializes and starts a coordinator and SHARDS shard servers (default 2) in DIR
#       (Debian's server binaries; loopback ports chosen free; each server runs as an
#       unprivileged user and stops when DIR's servers are stopped), imports REGISTRY with
#       `RWE import` into the coordinator, moves every patient-level table into partitions
#       on the shards, and writes DIR/cluster.env with COORDINATOR_URL (and SHARD_URLS).
#   scripts/pg_cluster.sh stop DIR
#       stops every server of DIR and removes DIR.
#
# Passwords are random, kept in DIR/cluster.env (mode 600) and ~/.pgpass is not touched.
set -euo pipefail
action=${1:-}; dir=${2:-}
[ -n "$action" ] && [ -n "$dir" ] || { sed -n '2,16p' "$0" >&2; exit 2; }

bin=${RWE_POSTGRESQL_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2> /dev/null | sort -V | tail -n 1)}
runner=""
user=$(id -un)
if [ "$(id -u)" = 0 ]; then
  user=postgres
  getent passwd postgres > /dev/null || user=nobody
  runner="runuser -u $user --"
fi

stop_all() {
  for data in "$dir"/*/data; do
    [ -d "$data" ] && $runner "$bin/pg_ctl" -D "$data" -m fast -w stop > /dev/null 2>&1 || true
  done
}

if [ "$action" = stop ]; then
  stop_all
  rm -rf "$dir"
  exit 0
fi
[ "$action" = start ] || { echo "pg_cluster.sh: unknown action '$action' (start or stop)" >&2; exit 2; }
rwe=$3; registry=$4; shards=${5:-2}
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "pg_cluster.sh: PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1
fi
[ -e "$dir" ] && { echo "pg_cluster.sh: $dir exists; stop that cluster first (pg_cluster.sh stop $dir)" >&2; exit 1; }
mkdir -p "$dir"; chmod 700 "$dir"; [ -n "$runner" ] && chown "$user" "$dir"
trap 'status=$?; [ $status -ne 0 ] && { echo "pg_cluster.sh: failed; stopping the servers started" >&2; stop_all; rm -rf "$dir"; }; exit $status' EXIT

password=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# start_server NAME: initdb and start; sets the port in PORT_<NAME>
start_server() {
  local name=$1 server_dir="$dir/$1" port
  mkdir -p "$server_dir"; [ -n "$runner" ] && chown "$user" "$server_dir"
  printf '%s\n' "$password" > "$server_dir/password"; [ -n "$runner" ] && chown "$user" "$server_dir/password"
  $runner "$bin/initdb" -D "$server_dir/data" -U rwe --pwfile="$server_dir/password" --auth-local=scram-sha-256 \
    --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 > "$server_dir/initdb.log" 2>&1 ||
    { cat "$server_dir/initdb.log" >&2; return 1; }
  rm -f "$server_dir/password"
  for attempt in 1 2 3 4 5; do
    port=$(free_port)
    if $runner "$bin/pg_ctl" -D "$server_dir/data" -l "$server_dir/server.log" -w -t 60 \
         -o "-c listen_addresses=127.0.0.1 -p $port -k $server_dir -c fsync=off -c full_page_writes=off" \
         start > /dev/null 2>&1; then
      printf -v "PORT_$name" '%s' "$port"
      return 0
    fi
  done
  echo "pg_cluster.sh: server $name did not start:" >&2; tail -n 20 "$server_dir/server.log" >&2; return 1
}

sql() {  # sql PORT SQL... : runs statements on database registry of the server on PORT
  local port=$1; shift
  PGPASSWORD=$password psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U rwe -d registry "$@"
}

names=(coordinator)
for ((k = 1; k <= shards; k++)); do names+=("shard$k"); done
for name in "${names[@]}"; do
  start_server "$name"
  port_var="PORT_$name"
  PGPASSWORD=$password psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "${!port_var}" -U rwe -d postgres \
    -c "CREATE DATABASE registry"
done
coordinator_url="postgresql://rwe:$password@127.0.0.1:$PORT_coordinator/registry"

# The registry, imported as on any server; then each patient-level table becomes a table
# partitioned by hash of its key, one foreign partition per shard (the shards hold the
# rows, with the same columns and indexes), filled from the imported rows.
"$rwe" import "$registry" --db "$coordinator_url" > "$dir/import.log"
tables=$(sql "$PORT_coordinator" -At -c "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()
                                          AND tablename NOT IN ('import_info', 'source_files') ORDER BY tablename")
dump_args=()
for table in $tables; do dump_args+=(-t "$table"); done
PGPASSWORD=$password pg_dump -h 127.0.0.1 -p "$PORT_coordinator" -U rwe -d registry --schema-only --no-owner "${dump_args[@]}" \
  > "$dir/shard-schema.sql"
servers=""
for ((k = 1; k <= shards; k++)); do
  port_var="PORT_shard$k"
  sql "${!port_var}" -f "$dir/shard-schema.sql" > /dev/null
  servers+="CREATE SERVER shard$k FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host '127.0.0.1', port '${!port_var}', dbname 'registry',
                                                                        use_remote_estimate 'true', fetch_size '10000', batch_size '1000');
            CREATE USER MAPPING FOR CURRENT_USER SERVER shard$k OPTIONS (user 'rwe', password '$password');"
done
sql "$PORT_coordinator" -c "CREATE EXTENSION postgres_fdw; $servers
                             ALTER DATABASE registry SET enable_partitionwise_aggregate = on;
                             ALTER DATABASE registry SET enable_partitionwise_join = on;"
for table in $tables; do
  # The patient where the table has one (every patient's rows on one shard); administration
  # days belong to a regimen.
  key=$(sql "$PORT_coordinator" -At -c "SELECT CASE WHEN EXISTS (SELECT 1 FROM information_schema.columns
                                          WHERE table_name = '$table' AND column_name = 'patient_id') THEN 'patient_id'
                                          ELSE 'regimen_id' END")
  partitions=""
  for ((k = 1; k <= shards; k++)); do
    partitions+="CREATE FOREIGN TABLE ${table}_shard$k PARTITION OF $table FOR VALUES WITH (MODULUS $shards, REMAINDER $((k - 1)))
                 SERVER shard$k OPTIONS (table_name '$table');"
  done
  sql "$PORT_coordinator" -c "BEGIN;
                               ALTER TABLE $table RENAME TO ${table}_imported;
                               CREATE TABLE $table (LIKE ${table}_imported) PARTITION BY HASH ($key);
                               $partitions
                               COMMIT;"
  # Each shard's rows copied straight to it (COPY out of the coordinator, COPY into the
  # shard), rather than inserted through postgres_fdw a batch at a time.
  for ((k = 1; k <= shards; k++)); do
    port_var="PORT_shard$k"
    # (A backslash command is one line.)
    rows="SELECT * FROM ${table}_imported WHERE satisfies_hash_partition('$table'::regclass, $shards, $((k - 1)), $key)"
    sql "$PORT_coordinator" -c "\copy ($rows) TO STDOUT" | sql "${!port_var}" -c "\copy $table FROM STDIN"
  done
  sql "$PORT_coordinator" -c "DROP TABLE ${table}_imported"
done
shard_urls=""
for ((k = 1; k <= shards; k++)); do
  port_var="PORT_shard$k"
  sql "${!port_var}" -c "ANALYZE"
  shard_urls+="postgresql://rwe:$password@127.0.0.1:${!port_var}/registry "
done
sql "$PORT_coordinator" -c "ANALYZE"
umask 077
cat > "$dir/cluster.env" <<ENV
COORDINATOR_URL='$coordinator_url'
SHARD_URLS='${shard_urls% }'
ENV
trap - EXIT
echo "coordinator and $shards shards in $dir; the coordinator's URL is in $dir/cluster.env (COORDINATOR_URL)"
