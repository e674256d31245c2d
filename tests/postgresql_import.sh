#!/usr/bin/env bash
# `rwe import` into PostgreSQL is all or nothing, and credentials are never shown:
# - a second import is refused without --replace (exit 2), nothing changed;
# - an invalid registry (its last file broken) is refused (exit 1): the previous
#   registry is intact, row for row (compared through rwe export);
# - a killed import (kill -9 during COPY) and an import whose connection is cut by the
#   server (pg_terminate_backend during COPY) leave it intact too;
# - --replace replaces it; the recorded checksum and import time are the new ones;
# - connection failures name the server without the password and exit 2; the password
#   may come from PGPASSWORD or a password file instead of the URL.
#   postgresql_import.sh RWE_BINARY SOURCE_DIR WORK_DIR POSTGRESQL_STATE
set -euo pipefail
rwe=$1; source=$2; work=$3; state=$4
[ -f "$state" ] || { echo "no PostgreSQL test server (postgresql_server_start failed: see its output)"; exit 1; }
source "$state"
sql() { PGPASSWORD=$PG_PASSWORD "$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U rwe "$@"; }
rm -rf "$work"; mkdir -p "$work"
database=import_test
sql -d postgres -c "DROP DATABASE IF EXISTS $database" -c "CREATE DATABASE $database"
url="$PG_URL/$database"
fail() { echo "FAIL: $*"; exit 1; }
# expect STATUS OUTPUT_FILE COMMAND...: runs the command, checks its exit status.
expect() {
  local status=$1 out=$2; shift 2
  set +e; "$@" > "$out" 2>&1; local got=$?; set -e
  [ "$got" = "$status" ] || { cat "$out"; fail "exit status $got, expected $status: ${*:1:3}"; }
  if grep -qF -- "$PG_PASSWORD" "$out"; then cat "$out"; fail "the password is printed"; fi
}
# The store's content: every registry file as rwe exports it, and the provenance.
snapshot() {
  rm -rf "$work/snapshot"
  "$rwe" export --db "$url" --out "$work/snapshot" > /dev/null
  (cd "$work/snapshot" && sha256sum ./*.csv)
  sql -d "$database" -c "SELECT imported_at, source_directory FROM import_info" -c "SELECT file_name, sha256 FROM source_files ORDER BY 1"
}

"$rwe" synth --profile thp-her2-mbc --patients 228 --seed 7 --out "$work/first" > /dev/null
"$rwe" synth --profile thp-her2-mbc --patients 3000 --seed 8 --out "$work/second" > /dev/null
# Imports interrupted during COPY need one that lasts (3 million rows): with 3,000 patients an
# idle machine finished the COPY between finding its backend and cutting it.
"$rwe" synth --profile thp-her2-mbc --patients 30000 --seed 9 --out "$work/large" > /dev/null
expect 0 "$work/import1.txt" "$rwe" import "$work/first" --db "$url"
snapshot > "$work/before.txt"
grep -q "^patients.csv|$(sha256sum "$work/first/patients.csv" | cut -c1-64)$" "$work/before.txt" || fail "checksum of patients.csv not recorded"
grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z\|' "$work/before.txt" || fail "import time not recorded"
unchanged() {
  snapshot > "$work/after.txt"
  cmp -s "$work/before.txt" "$work/after.txt" || { diff "$work/before.txt" "$work/after.txt" | head; fail "$1: the store changed"; }
  [ "$(sql -d "$database" -c "SELECT count(*) FROM pg_stat_activity WHERE datname = '$database' AND application_name = 'rwe'")" = 0 ] \
    || fail "$1: an rwe session is still open"
  echo "$1: previous registry intact"
}

# A second import without --replace.
expect 2 "$work/again.txt" "$rwe" import "$work/second" --db "$url"
grep -q -- "--replace" "$work/again.txt" || { cat "$work/again.txt"; fail "refusal does not mention --replace"; }
unchanged "import without --replace"

# An invalid registry: the error is in the last rows of administrations.csv, after most
# rows were copied.
cp -r "$work/second" "$work/invalid"
last=$(tail -n 1 "$work/invalid/administrations.csv")
echo "${last%%,*},docetaxel,2999-01-01,75,mg/m2" >> "$work/invalid/administrations.csv"
expect 1 "$work/invalid.txt" "$rwe" import "$work/invalid" --db "$url" --replace
grep -q "nothing was imported" "$work/invalid.txt" || { cat "$work/invalid.txt"; fail "no 'nothing was imported'"; }
unchanged "invalid registry"

# Waits until an rwe session is copying rows into the server; prints its process id.
copying_backend() {
  for _ in $(seq 1 600); do
    pid=$(sql -d "$database" -c "SELECT pid FROM pg_stat_activity WHERE application_name = 'rwe' AND query LIKE 'COPY%' LIMIT 1")
    [ -n "$pid" ] && { echo "$pid"; return 0; }
    sleep 0.05
  done
  return 1
}

# A killed import process (SIGKILL: no clean-up of its own).
"$rwe" import "$work/large" --db "$url" --replace > "$work/killed.txt" 2>&1 &
importer=$!
copying_backend > /dev/null || { kill -9 $importer; fail "the import never reached COPY"; }
kill -9 $importer
wait $importer || true
for _ in $(seq 1 100); do  # the server notices the lost client
  [ "$(sql -d "$database" -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'rwe'")" = 0 ] && break
  sleep 0.1
done
unchanged "killed import"

# A connection cut by the server during COPY.
"$rwe" import "$work/large" --db "$url" --replace > "$work/dropped.txt" 2>&1 &
importer=$!
backend=$(copying_backend) || { kill -9 $importer; fail "the import never reached COPY"; }
sql -d "$database" -c "SELECT pg_terminate_backend($backend)" > /dev/null
set +e; wait $importer; status=$?; set -e
[ "$status" = 2 ] || { cat "$work/dropped.txt"; fail "import with a lost connection: exit status $status, expected 2"; }
grep -q "postgresql://rwe@127.0.0.1:$PG_PORT/$database" "$work/dropped.txt" || { cat "$work/dropped.txt"; fail "message does not name the server"; }
grep -qF -- "$PG_PASSWORD" "$work/dropped.txt" && fail "the password is printed"
unchanged "lost connection"

# --replace, with the password from PGPASSWORD instead of the URL.
PGPASSWORD=$PG_PASSWORD expect 0 "$work/replace.txt" "$rwe" import "$work/second" --db "postgresql://rwe@127.0.0.1:$PG_PORT/$database" --replace
snapshot > "$work/replaced.txt"
grep -q "^patients.csv|$(sha256sum "$work/second/patients.csv" | cut -c1-64)$" "$work/replaced.txt" || fail "--replace: new checksum not recorded"
"$rwe" import "$work/second" --db "$work/second.sqlite" > /dev/null
"$rwe" export --db "$work/second.sqlite" --out "$work/second-sqlite-export" > /dev/null
diff -r "$work/second-sqlite-export" "$work/snapshot" > /dev/null || fail "--replace: the store does not hold the second registry"
echo "--replace: second registry in place"

# The password from a password file (libpq's ~/.pgpass, here through PGPASSFILE).
printf '127.0.0.1:%s:*:rwe:%s\n' "$PG_PORT" "$PG_PASSWORD" > "$work/pgpass"
chmod 600 "$work/pgpass"
PGPASSFILE=$work/pgpass expect 0 "$work/pgpass-run.txt" "$rwe" run "$source/studies/thp-first-line.toml" \
  --db "postgresql://rwe@127.0.0.1:$PG_PORT/$database" --out "$work/run"
grep -q '"store": "postgresql"' "$work/run/results.json" || fail "results.json does not record the store"
grep -rqF -- "$PG_PASSWORD" "$work/run" && fail "the password is in the results"
echo "credentials from PGPASSWORD and a password file"

# Connection errors: exit 2, the server named, the password not.
closed_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
expect 2 "$work/refused.txt" "$rwe" run "$source/studies/thp-first-line.toml" --db "postgresql://rwe:$PG_PASSWORD@127.0.0.1:$closed_port/$database" --out "$work/x"
grep -q "postgresql://rwe@127.0.0.1:$closed_port/$database: cannot connect to PostgreSQL: .*Connection refused" "$work/refused.txt" \
  || { cat "$work/refused.txt"; fail "refused connection message"; }
expect 2 "$work/badpassword.txt" "$rwe" export --db "postgresql://rwe:wrong-$PG_PASSWORD@127.0.0.1:$PG_PORT/$database" --out "$work/x"
grep -q "password authentication failed" "$work/badpassword.txt" || { cat "$work/badpassword.txt"; fail "bad password message"; }
grep -qF "wrong-" "$work/badpassword.txt" && fail "the wrong password is printed"
expect 2 "$work/nodb.txt" "$rwe" run "$source/studies/thp-first-line.toml" --db "$PG_URL/postgres" --out "$work/x"
grep -q "no registry store in schema public" "$work/nodb.txt" || { cat "$work/nodb.txt"; fail "empty database message"; }
[ ! -e "$work/x" ] || fail "output written after a connection error"
echo "connection errors: exit status 2, server named, no password"
