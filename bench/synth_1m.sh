#!/usr/bin/env bash
# Time and peak memory of `rwe synth` for 1,000,000 eligible patients (+ 100,000 to
# exclude), then of `rwe validate` on the result. Needs ~6 GB free in TMPDIR.
# usage: bench/synth_1m.sh BUILD_DIR [PATIENTS]
set -euo pipefail
rwe=$(realpath "$1")/rwe
patients=${2:-1000000}
out=$(mktemp -d "${TMPDIR:-/tmp}/rwe_synth_1m.XXXXXX")
trap 'rm -rf "$out"' EXIT
measure() {  # prints wall time, CPU and max RSS of a command
  /usr/bin/time -f "  %e s wall, %U s user, %S s system, %M KB max RSS" "$@"
}
echo "rwe synth --profile thp-her2-mbc --patients $patients"
measure "$rwe" synth --profile thp-her2-mbc --patients "$patients" --seed 1 --out "$out/registry"
du -sh "$out/registry"
echo "rwe validate"
measure "$rwe" validate "$out/registry" | tail -n 1
