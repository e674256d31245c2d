#!/usr/bin/env bash
# The main job on the embedded SQLite default: synthesize the 228-patient registry of the
# reference study, import it, run studies/thp-first-line.toml, and write everything
# into ./demo-output/.
# usage: scripts/demo.sh RWE_BINARY SHARED_DIR
set -euo pipefail
rwe=$(realpath "$1")
out=demo-output
rm -rf "$out"
mkdir -p "$out"
"$rwe" synth --profile thp-her2-mbc --patients 228 --seed 20221001 --out "$out/registry"
"$rwe" validate "$out/registry" > "$out/validation.txt" || { cat "$out/validation.txt"; exit 1; }
tail -n 1 "$out/validation.txt"
"$rwe" import "$out/registry" --db "$out/registry.sqlite"
"$rwe" run studies/thp-first-line.toml --db "$out/registry.sqlite" --out "$out/thp-first-line"
echo
echo "results: $(realpath "$out/thp-first-line/results.json")"
if [ -f "$out/thp-first-line/report.html" ]; then
  echo "report:  $(realpath "$out/thp-first-line/report.html")"
fi
