#!/usr/bin/env sh
# A coron3 association from a typed list file (examples/data/coron3.txt): science and its PSF.
# Run from anywhere: sh examples/coron3.sh [OUTPUT]   (default: standard output)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/examples/run.sh"
run -o "$out" -r Asn_Lv3NRCCoron \
    --product-name jw03456-o001_t001_nircam_f210m-maskrnd \
    --files-from coron3.txt --meta asn_type=coron3
