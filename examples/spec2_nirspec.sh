#!/usr/bin/env sh
# The documented NIRSpec Stage 2 association (science, background, imprint), made in one command.
# Run from anywhere: sh examples/spec2_nirspec.sh [OUTPUT]   (default: standard output)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/examples/run.sh"
run -o "$out" -r Asn_Lv2Spec \
    jw02345001001_03101_00001_nrs1_rate.fits \
    --background jw02345001001_03101_00002_nrs1_rate.fits \
    --imprint jw02345001001_03101_00003_nrs1_rate.fits
