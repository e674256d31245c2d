#!/usr/bin/env bash
# The main job on the embedded SQLite default: for every shipped protocol (studies/*.toml),
# synthesize a small registry from the profile it is rehearsed on (studies/profiles/),
# validate and import it, run the protocol, and write everything into ./demo-output/ with
# an index page (demo-output/index.html) linking the reports.
# usage: scripts/demo.sh RWE_BINARY SHARED_DIR
set -euo pipefail
rwe=$(realpath "$1")
out=demo-output
rm -rf "$out"
mkdir -p "$out"

# profile  patients  seed  protocols run on its registry
registries=(
  "thp-her2-mbc 228 20221001 thp-first-line hr-positive-elderly-thp tdm1-second-line"
  "thp-vs-th 600 20221001 thp-vs-th"
  "nsclc-egfr 600 20221001 nsclc-egfr-osimertinib"
  "early-her2-breast 600 20221001 early-her2-adjuvant-dfs"
)

# Every shipped protocol has a registry above.
for protocol in studies/*.toml; do
  name=$(basename "$protocol" .toml)
  grep -qw -- "$name" <<< "${registries[*]}" || { echo "demo: no profile for $protocol" >&2; exit 1; }
done

rows=""
for entry in "${registries[@]}"; do
  read -r profile patients seed protocols <<< "$entry"
  dir="$out/registries/$profile"
  "$rwe" synth --profile "$profile" --patients "$patients" --seed "$seed" --out "$dir"
  "$rwe" validate "$dir" > "$dir.validation.txt" 2>&1 || { cat "$dir.validation.txt"; exit 1; }
  tail -n 1 "$dir.validation.txt"
  "$rwe" import "$dir" --db "$dir.sqlite" > /dev/null
  for protocol in $protocols; do
    "$rwe" run "studies/$protocol.toml" --db "$dir.sqlite" --out "$out/$protocol"
    title=$(sed -n 's/^title = "\(.*\)"$/\1/p' "studies/$protocol.toml" | head -n 1)
    report=""
    [ -f "$out/$protocol/report.html" ] && report="<a href=\"$protocol/report.html\">report</a> · "
    rows+="<tr><td>$title<br><code>studies/$protocol.toml</code></td><td><code>$profile</code>, $patients eligible patients, seed $seed</td><td>${report}<a href=\"$protocol/results.json\">results.json</a></td></tr>"$'\n'
  done
done

cat > "$out/index.html" <<HTML
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>rwe demo</title>
<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}td{padding:.4em .8em;vertical-align:top;border-bottom:1px solid #ddd}</style>
</head><body>
<h1>rwe demo: every shipped protocol on a synthetic registry</h1>
<p>Each registry is synthetic (<code>rwe synth</code>, profiles in <code>studies/profiles/</code>,
docs/synth.md); its numbers rehearse the protocol, they are not evidence.</p>
<table><tr><th>protocol</th><th>registry</th><th>output</th></tr>
$rows</table>
</body></html>
HTML
echo
echo "index:   $(realpath "$out/index.html")"
