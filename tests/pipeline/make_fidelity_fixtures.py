#!/usr/bin/env python3
"""Ask the reference asn_from_list what it writes for the command lines of the fidelity tests,
and store its answers as tests/fixtures/fidelity.json (data for tests/integration/fidelity.rs).

    python3 -m venv ~/.cache/asn-ref && ~/.cache/asn-ref/bin/pip install -q jwst==3.0.0
    python3 tests/pipeline/make_fidelity_fixtures.py ~/.cache/asn-ref/bin/asn_from_list

Each case: "args" (a string, or {"hex": ...} for bytes that are not UTF-8), the "output" path
it writes, and either "expect": "ok" with the reference's "text" or "expect": "error".
"""
import json, os, subprocess, sys, tempfile

LONG = "a" * 90 + "_cal.fits"
WORDS = " ".join("abcdefghijklmnopqrstuvwxyz" * 3)
B = lambda s: s.encode("latin-1")  # bytes written as \xNN in the source

CASES = {
    # 1. Values and names that start with '-'.
    "dash_product_name_negative": ["-o", "out.json", "--product-name", "-1", "a_cal.fits"],
    "dash_member_negative": ["-o", "out.json", "--product-name", "p", "a_cal.fits", "-1"],
    "dash_member_with_space": ["-o", "out.json", "--product-name", "p", "a_cal.fits", "-a b"],
    "dash_members_decimal_zero": ["-o", "out.json", "--product-name", "p", "a_cal.fits", "-.5", "-0", "-1.5"],
    "dash_product_name_with_space": ["-o", "out.json", "--product-name", "-x y", "a_cal.fits"],
    "dash_output_negative": ["-o", "-1", "--product-name", "p", "a_cal.fits"],
    "dash_stage2_negative": ["-o", "out.json", "-r", "DMSLevel2bBase", "-1", "-2.5_rate.fits x"],
    "dash_scientific_refused": ["-o", "out.json", "--product-name", "p", "a_cal.fits", "-1e5"],
    "dash_option_like_refused": ["-o", "out.json", "--product-name", "p", "a_cal.fits", "-x"],
    # 2. Names that are not UTF-8.
    "bytes_stage3": ["-o", "out.json", "--product-name", B("p\xff"), B("a\xff_cal.fits"), B("b\xe2\x82_cal.fits")],
    "bytes_stage2": ["-o", "out.json", "-r", "DMSLevel2bBase", B("a\xff_rate.fits"), B("d/b\xed\xa0\x80_cal.fits"), B("\xc3\xa9\xff_rate.fits")],
    "bytes_bare": ["-o", "out.json", "-r", "Association", B("a\xff"), "b"],
    # 3. Output paths with a trailing '/', '/.' or '//'.
    "trailing_slash": ["-o", "out.json/", "--product-name", "p", "a_cal.fits"],
    "trailing_slash_dot": ["-o", "out.json/.", "--product-name", "p", "a_cal.fits"],
    "trailing_double_slash": ["-o", "out.json//", "--product-name", "p", "a_cal.fits"],
    # 4. Stage 2 candidate rules.
    "wfss_parallel_background_candidate": ["-o", "out.json", "-r", "Asn_Lv2WFSSParallel", "-i", "c1000", "a_rate.fits"],
    "wfss_parallel_bad_candidate": ["-o", "out.json", "-r", "Asn_Lv2WFSSParallel", "-i", "x12", "a_rate.fits"],
    "image_background_candidate_refused": ["-o", "out.json", "-r", "Asn_Lv2Image", "-i", "c1000", "a_rate.fits"],
    # 5. A repeated option whose earlier value is invalid.
    "repeated_rule": ["-o", "out.json", "-r", "Nope", "-r", "DMS_Level3_Base", "--product-name", "p", "a_cal.fits"],
    "repeated_output": ["-o", "", "-o", "out.json", "--product-name", "p", "a_cal.fits"],
    "repeated_format": ["-o", "out.json", "-f", "xml", "-f", "json", "--product-name", "p", "a_cal.fits"],
    # 6. YAML.
    "yaml_stage3": ["-o", "out.yaml", "-f", "yaml", "--product-name", "p", "a_cal.fits", "b_cal.fits"],
    "yaml_stage2": ["-o", "out.yaml", "-f", "yaml", "-r", "DMSLevel2bBase", "a_rate.fits", "dir/b_cal.fits"],
    "yaml_bare": ["-o", "out.yaml", "-f", "yaml", "-r", "Association", "a", "b"],
    "yaml_tricky_names": ["-o", "out.yaml", "--format", "yaml", "--product-name", "p: #x", "--",
                          "00623", "true", "null", "- lead", "it's \"q\"", "'q", "a#b", "1.5", "2024-01-02",
                          "é_cal.fits", "日本_cal.fits", "😀", "~", "yes", "0x1F", ".inf", "=", "<<",
                          "tab\there", " lead", "trail ", "a: b", "]x", "{y}", "&a", "!c", "%d",
                          "@e", "`f", "line\nbreak", "two\n\nbreaks", LONG, WORDS, "x " * 50,
                          B("x\xff"), "---x", "...y", "q\"" * 45, "'" * 90],
    "yaml_long_product_name": ["-o", "out.yaml", "-f", "yaml", "--product-name", WORDS, "a_cal.fits"],
    "yaml_unknown_format": ["-o", "out.yaml", "-f", "xml", "--product-name", "p", "a_cal.fits"],
}


def encode(arg):
    if isinstance(arg, bytes):
        try:
            return arg.decode("utf-8")
        except UnicodeDecodeError:
            return {"hex": arg.hex()}
    return arg


def output_of(args):
    path = args[args.index("-o") + 1] if "-o" in args else None
    if "-o" in args and args.count("-o") > 1:
        path = args[len(args) - 1 - args[::-1].index("-o") + 1]
    return os.path.normpath(path) if path else path


def main():
    reference = sys.argv[1]
    out = {}
    for name, args in CASES.items():
        raw = [a if isinstance(a, bytes) else a.encode("utf-8") for a in args]
        output = output_of([a if isinstance(a, str) else a.decode("utf-8", "surrogateescape") for a in args])
        with tempfile.TemporaryDirectory() as tmp:
            p = subprocess.run([reference.encode()] + raw, cwd=tmp, capture_output=True)
            path = os.path.join(tmp, output)
            case = {"args": [encode(a) for a in args], "output": output}
            if p.returncode == 0 and os.path.isfile(path):
                case["expect"] = "ok"
                case["text"] = open(path, encoding="utf-8", errors="surrogateescape").read()
            else:
                case["expect"] = "error"
        out[name] = case
        print(name, case["expect"])
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with open(os.path.join(root, "tests", "fixtures", "fidelity.json"), "w", encoding="utf-8") as f:
        json.dump({"reference": "jwst 3.0.0", "cases": out}, f, indent=1, ensure_ascii=True)
        f.write("\n")


if __name__ == "__main__":
    main()
