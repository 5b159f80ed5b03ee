#!/usr/bin/env sh
# A coron3 association from a typed list file (examples/data/coron3.txt): science and its PSF.
# Run from anywhere: sh examples/coron3.sh [OUTPUT]   (default: standard output)
set -eu
out=${1:--}
# The association goes where you run the script; its members are in examples/data.
case $out in -|/*) ;; *) out="$PWD/$out" ;; esac
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root/examples/data"
if command -v asn-from-list >/dev/null 2>&1; then
    run() { asn-from-list "$@"; }
else
    run() { cargo run --quiet --release --manifest-path "$root/Cargo.toml" -- "$@"; }
fi
run -o "$out" -r Asn_Lv3NRCCoron \
    --product-name jw03456-o001_t001_nircam_f210m-maskrnd \
    --files-from coron3.txt --meta asn_type=coron3
