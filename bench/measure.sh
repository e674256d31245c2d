# Sourced by the bench scripts (bench/store_compare.sh, bench/cluster_compare.sh).
#   measure LABEL COMMAND...
# runs COMMAND under /usr/bin/time -v (stdout in $work/LABEL.out, the timing in
# $work/LABEL.time; a failure prints both and exits) while sampling, every 0.5 s, the summed
# proportional set size (PSS: shared buffers shared out) of the PostgreSQL servers whose
# data directories match the glob $server_data (the postmaster and its children), and prints
# one line: wall, user and system time, rwe's peak RSS, and, for a label naming postgresql
# or cluster, the servers' peak PSS.

# The peak summed PSS (kB) of the servers, sampled until the file $1 exists.
servers_pss() {
  local stop=$1 max=0 sum pss pid postmaster pidfile
  while [ ! -f "$stop" ]; do
    sum=0
    for pidfile in $server_data/postmaster.pid; do
      [ -f "$pidfile" ] || continue
      postmaster=$(head -n 1 "$pidfile" 2> /dev/null || true)
      [ -n "$postmaster" ] || continue
      for pid in $postmaster $(pgrep -P "$postmaster"); do
        pss=$(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup" 2> /dev/null || true); sum=$((sum + ${pss:-0}))
      done
    done
    [ "$sum" -gt "$max" ] && max=$sum
    sleep 0.5
  done
  echo "$max"
}

measure() {
  local label=$1; shift
  rm -f "$work/$label.stop"
  servers_pss "$work/$label.stop" > "$work/$label.pss" &
  local sampler=$!
  /usr/bin/time -v "$@" > "$work/$label.out" 2> "$work/$label.time" || { touch "$work/$label.stop"; cat "$work/$label.out" "$work/$label.time"; exit 1; }
  touch "$work/$label.stop"; wait "$sampler"
  local server="" pss
  pss=$(cat "$work/$label.pss")
  case "$label" in *postgresql*|*cluster*) server=$(printf '  server PSS %5d MB' $((pss / 1024))) ;; esac
  printf '%-32s wall %8s  user %7ss  sys %6ss  max RSS %5d MB%s\n' "$label" \
    "$(grep 'Elapsed (wall clock)' "$work/$label.time" | awk '{print $NF}')" \
    "$(grep 'User time' "$work/$label.time" | awk '{print $NF}')" "$(grep 'System time' "$work/$label.time" | awk '{print $NF}')" \
    $(( $(grep 'Maximum resident set size' "$work/$label.time" | awk '{print $NF}') / 1024 )) "$server"
}
