#!/usr/bin/env sh
# Associations from FITS headers: the Stage 2 and Stage 3 associations of the NIRSpec IFU
# exposures in examples/data/headers (a 2-point nod on NRS1 and NRS2, leakcal imprints and a
# target acquisition). Run from anywhere: sh examples/auto.sh [DIR]
# With DIR, the associations are written there; without, the dry-run table is printed.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/examples/run.sh"
cd headers
if [ "$out" = - ]; then
    run --auto --dry-run -o . ./*.fits
else
    run --auto -o "$out" ./*.fits
fi
