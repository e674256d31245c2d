#!/usr/bin/env bash
# Runs every side-by-side comparison (bench/compare_*.sh) against R in the same run.
# usage: bench/run_all.sh BUILD_DIR SHARED_DIR
set -euo pipefail
build=$(realpath "$1"); shared=$(realpath "$2")
here=$(dirname "$(realpath "$0")")
status=0
for script in "$here"/compare_*.sh; do
  [ -e "$script" ] || continue
  echo "== $(basename "$script")"
  "$script" "$build" "$shared" || status=1
done
exit $status
