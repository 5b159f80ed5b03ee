# Sourced by the example scripts: OUTPUT ($1, default standard output) goes where the script is
# run; the members are in examples/data. `run` is the installed asn-from-list, or else a
# release build of this repository.
out=${1:--}
case $out in -|/*) ;; *) out="$PWD/$out" ;; esac
cd "$root/examples/data"
if command -v asn-from-list >/dev/null 2>&1; then
    run() { asn-from-list "$@"; }
else
    run() { cargo run --quiet --release --manifest-path "$root/Cargo.toml" -- "$@"; }
fi
