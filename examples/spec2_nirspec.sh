#!/usr/bin/env sh
# The documented NIRSpec Stage 2 association (science, background, imprint), made in one command.
# Run from anywhere: sh examples/spec2_nirspec.sh [OUTPUT]   (default: standard output)
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
run -o "$out" -r Asn_Lv2Spec \
    jw02345001001_03101_00001_nrs1_rate.fits \
    --background jw02345001001_03101_00002_nrs1_rate.fits \
    --imprint jw02345001001_03101_00003_nrs1_rate.fits
