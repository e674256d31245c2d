#!/usr/bin/env bash
# The main job on the embedded defaults. Until the study pipeline lands, it runs the
# statistics commands on R survival's lung dataset from ../shared/golden.
# usage: scripts/demo.sh RWE_BINARY SHARED_DIR
set -euo pipefail
rwe=$1; shared=$2
data="$shared/golden/data/lung.csv"
echo "== Kaplan-Meier by sex, lung ($data)"
"$rwe" km "$data" --time time --event status --group sex --times 180,365,730 --rmst 730
echo
echo "== log-rank test by sex"
"$rwe" logrank "$data" --time time --event status --group sex
