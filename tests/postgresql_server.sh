#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests that run rwe against PostgreSQL
# (tests/postgresql.cmake): Debian's server binaries, a temporary folder, a free loopback
# port, an unprivileged user (the server refuses to run as root), password authentication.
#   postgresql_server.sh start STATE   starts it; STATE gets the shell variables the tests
#                                      source (PG_BIN, PG_PORT, PG_URL, PG_PASSWORD, ...)
#   postgresql_server.sh stop STATE    stops it and removes its folder
# A watcher stops the server when the process that started it (ctest) ends, should the
# cleanup step never run.
set -euo pipefail
action=$1; state=$2

stop_server() {  # dir runner bin
  local dir=$1 runner=$2 bin=$3
  [ -d "$dir/data" ] && $runner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop > /dev/null 2>&1 || true
  rm -rf "$dir"
}

case "$action" in
  start)
    # A server left by an interrupted run is stopped first.
    if [ -f "$state" ]; then
      (source "$state"; stop_server "$PG_DIR" "$PG_RUNNER" "$PG_BIN")
      rm -f "$state"
    fi
    bin=${RWE_POSTGRESQL_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2> /dev/null | sort -V | tail -n 1)}
    if [ -z "$bin" ] || [ ! -x "$bin/initdb" ] || [ ! -x "$bin/pg_ctl" ]; then
      echo "PostgreSQL server binaries not found (initdb and pg_ctl in /usr/lib/postgresql/VERSION/bin):" >&2
      echo "the PostgreSQL tests need them; install them with 'make deps' or 'apt-get install postgresql'" >&2
      exit 1
    fi
    runner=""
    user=$(id -un)
    if [ "$(id -u)" = 0 ]; then
      # root: the server runs as the postgres user Debian's package creates (or nobody).
      user=postgres
      getent passwd postgres > /dev/null || user=nobody
      runner="runuser -u $user --"
    fi
    dir=$(mktemp -d /tmp/rwe-postgresql.XXXXXX)
    chmod 700 "$dir"
    [ -n "$runner" ] && chown "$user" "$dir"
    password=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
    printf '%s\n' "$password" > "$dir/password"
    [ -n "$runner" ] && chown "$user" "$dir/password"
    if ! $runner "$bin/initdb" -D "$dir/data" -U rwe --pwfile="$dir/password" --auth-local=scram-sha-256 \
         --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 > "$dir/initdb.log" 2>&1; then
      cat "$dir/initdb.log" >&2; rm -rf "$dir"; exit 1
    fi
    rm -f "$dir/password"
    started=""
    for attempt in 1 2 3 4 5; do
      port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
      if $runner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
           -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c full_page_writes=off -c shared_buffers=64MB" \
           start > /dev/null 2>&1; then
        started=yes; break
      fi
    done
    if [ -z "$started" ]; then
      echo "PostgreSQL test server did not start:" >&2; tail -n 20 "$dir/server.log" >&2; rm -rf "$dir"; exit 1
    fi
    mkdir -p "$(dirname "$state")"
    cat > "$state" <<STATE
PG_DIR='$dir'
PG_BIN='$bin'
PG_RUNNER='$runner'
PG_PORT='$port'
PG_USER=rwe
PG_PASSWORD='$password'
PG_URL='postgresql://rwe:$password@127.0.0.1:$port'
STATE
    # Stops the server when ctest (this script's parent) is gone, whatever ended it.
    parent=$PPID
    setsid bash -c "while kill -0 $parent 2> /dev/null && [ -d '$dir/data' ]; do sleep 2; done
                    [ -d '$dir/data' ] && $runner '$bin/pg_ctl' -D '$dir/data' -m immediate stop > /dev/null 2>&1
                    rm -rf '$dir'" < /dev/null > /dev/null 2>&1 &
    echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port in $dir (user $user)"
    ;;
  stop)
    [ -f "$state" ] || exit 0
    source "$state"
    stop_server "$PG_DIR" "$PG_RUNNER" "$PG_BIN"
    rm -f "$state"
    echo "PostgreSQL test server stopped"
    ;;
  *) echo "usage: $0 start|stop STATE" >&2; exit 2 ;;
esac
