#!/usr/bin/env bash
# Opens the sample report page in headless Chromium and checks its layout from inside
# the page: every expected figure and table is present and visible, no figure or table
# (and not the page itself) is wider than its box, every SVG glyph reference resolves
# inside its own figure, and nothing was fetched.
#   browser_check.sh SAMPLE_PAGE_PROGRAM WORK_DIR      the sample page of the report tests
#   browser_check.sh --page REPORT.html WORK_DIR       any page rwe wrote (e.g. the demo's);
#                                                      expects every <figure id> and table id in it
set -euo pipefail
if [ "$1" = "--page" ]; then
  page=$2
  work=$3
  rm -rf "$work"
  mkdir -p "$work/page"
  cp "$page" "$work/page/report.html"
  { grep -o '<figure class="figure" id="[^"]*"' "$page" || true; grep -o '<div class="table-wrap" id="[^"]*"' "$page" || true; } |
    sed 's/.*id="\([^"]*\)"/\1/' > "$work/page/expected_ids.txt"
  if [ ! -s "$work/page/expected_ids.txt" ]; then
    echo "report_browser: no figure or table with an id in $page" >&2
    exit 1
  fi
  control_ids=false
else
  program=$1
  work=$2
  rm -rf "$work"
  mkdir -p "$work"
  "$program" "$work/page" > /dev/null
  control_ids=true
fi

browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  echo "report_browser: chromium not found; install it with 'make deps' (Debian package chromium)" >&2
  exit 1
fi

ids=$(sed 's/.*/"&"/' "$work/page/expected_ids.txt" | paste -sd, -)
# The check runs after the page's own content; the page itself carries no script.
cat > "$work/check.js" <<JS
(function () {
  var expected = [$ids];
  var out = { missing: [], invisible: [], overflow: [], dangling: [], figures: 0, tables: 0,
              svgs: 0, fetched: 0, page_overflow: false };
  expected.forEach(function (id) {
    var box = document.getElementById(id);
    if (!box) { out.missing.push(id); return; }
    var rect = box.getBoundingClientRect();
    if (rect.width < 100 || rect.height < 40) out.invisible.push(id + " " + rect.width + "x" + rect.height);
    if (box.scrollWidth > box.clientWidth + 1)
      out.overflow.push(id + ": content " + box.scrollWidth + " px in a box of " + box.clientWidth + " px");
    box.querySelectorAll("svg, table, .figure-body").forEach(function (child) {
      var inner = child.getBoundingClientRect();
      if (inner.left < rect.left - 1 || inner.right > rect.right + 1)
        out.overflow.push(id + ": " + child.tagName + " spans " + inner.left + "–" + inner.right +
                          " outside " + rect.left + "–" + rect.right);
      if (child.tagName.toLowerCase() === "svg" && (inner.width < 100 || inner.height < 50))
        out.invisible.push(id + " svg " + inner.width + "x" + inner.height);
    });
    // Table cells whose text is wider than the cell.
    box.querySelectorAll("td, th, caption, figcaption").forEach(function (cell) {
      if (cell.scrollWidth > cell.clientWidth + 1)
        out.overflow.push(id + ": cell '" + cell.textContent.slice(0, 30) + "' " + cell.scrollWidth + ">" + cell.clientWidth);
    });
  });
  document.querySelectorAll("svg use").forEach(function (use) {
    var href = use.getAttribute("xlink:href") || use.getAttribute("href") || "";
    var target = document.getElementById(href.slice(1));
    if (!target || target.closest("svg") !== use.closest("svg")) out.dangling.push(href);
  });
  out.figures = document.querySelectorAll("figure").length;
  out.tables = document.querySelectorAll("table").length;
  out.svgs = document.querySelectorAll("figure svg").length;
  out.fetched = performance.getEntriesByType("resource").length +
                document.querySelectorAll("img, script[src], link, iframe, object, embed").length;
  out.page_overflow = document.documentElement.scrollWidth > document.documentElement.clientWidth;
  out.ok = out.missing.length === 0 && out.invisible.length === 0 && out.overflow.length === 0 &&
           out.dangling.length === 0 && out.fetched === 0 && !out.page_overflow && out.svgs === out.figures &&
           out.figures > 0 && out.tables > 0;
  var pre = document.createElement("pre");
  pre.id = "layout-check";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
JS
{ sed '/<\/body>/,$d' "$work/page/report.html"; echo "<script>"; cat "$work/check.js"; echo "</script>"; echo "</body></html>"; } > "$work/checked.html"

# A control page that must fail: a figure allowed to exceed its box, a table forced
# wider than the page, and a figure removed. It proves the check can see a failure.
sed -e 's|</style>|figure svg { max-width: none !important; width: 2400px !important; } #table-cox table { min-width: 3000px; }</style>|' \
    -e 's|id="fig-response"|id="fig-response-renamed"|' "$work/checked.html" > "$work/control.html"

# Prints the check's JSON for one page and window size.
layout_check() {
  local page=$1 size=$2 profile
  profile=$(mktemp -d "$work/profile.XXXXXX")
  # The flags keep Chromium off the network (it would wait on it) and out of sandboxes
  # that need privileges the test does not have.
  timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" --window-size="$size" --virtual-time-budget=5000 \
    --dump-dom "file://$work/$page" 2>> "$work/chromium.log" |
    sed -n 's/.*<pre id="layout-check">\(.*\)<\/pre>.*/\1/p' |
    sed 's/&quot;/"/g; s/&lt;/</g; s/&gt;/>/g; s/&amp;/\&/g' || true
  rm -rf "$profile"
}

status=0
for size in 1280,1000 760,1000; do
  result=$(layout_check checked.html "$size")
  if [ -z "$result" ]; then
    echo "window $size: no result from Chromium (see $work/chromium.log)"
    status=1
  elif printf '%s' "$result" | grep -q '"ok":true'; then
    echo "window $size: ok $result"
  else
    echo "window $size: FAILED $result"
    status=1
  fi
done

if $control_ids; then
  control=$(layout_check control.html 1280,1000)
  if printf '%s' "$control" | grep -q '"ok":false' &&
     printf '%s' "$control" | grep -q '"missing":\["fig-response"\]' &&
     printf '%s' "$control" | grep -q 'table-cox' && printf '%s' "$control" | grep -q 'fig-os'; then
    echo "control page: failures seen as expected"
  else
    echo "control page: the check did not see the planted failures: $control"
    status=1
  fi
fi
exit $status
