#!/usr/bin/env python3
"""Differential test: run many command lines through the reference asn_from_list (jwst, in
this process) and through an asn-from-list binary, and compare what each writes.

Not part of `cargo test` (it needs the jwst package):

    ~/.cache/asn-ref/bin/python tests/pipeline/compare_with_reference.py target/release/asn-from-list

Output must be byte-identical but for the value of code_version; where the reference fails, the
binary must fail too (and leave no file). Where the binary refuses something the reference writes,
that is reported: it should be one of the documented differences (rules that can never be valid).
"""
import io, contextlib, json, logging, os, re, subprocess, sys, tempfile, warnings

warnings.simplefilter("ignore")
logging.disable(logging.CRITICAL)
from jwst.associations.asn_from_list import Main

binary = os.path.abspath(sys.argv[1])
# Random command lines on top of the fixed ones: RANDOM_LINES=N (default 2000), SEED=S.
RANDOM_LINES = int(os.environ.get("RANDOM_LINES", "2000"))
CODE_VERSION = re.compile(r'^(    "code_version": )(".*?"|null)(,?)$', re.M)
YAML_VERSION = re.compile(r'^code_version: .*$', re.M)
normalise = lambda text: YAML_VERSION.sub("code_version: *", CODE_VERSION.sub(r'\1"*"\3', text))

tricky = ["q\"uote_cal.fits", "back\\slash_cal.fits", "tab\there_cal.fits", "new\nline_cal.fits",
          "ctl\x01\x1f_cal.fits", "del\x7f_cal.fits", "é_cal.fits", "日本_rate.fits", "emoji😀_cal.fits",
          "sep\u2028_cal.fits", "bom\ufeff_cal.fits", "", ".", "..", "/", "a/../b_cal.fits",
          "//two/x_rate.fits", "///three/x_rate.fits", "x_rate.fits\n", "a.b/", "..fits", "...fits",
          "a_cal_rate.fits", "f-rate.fits", "a_ami-oi.fits", "a__cal.fits", "a_i2d.fits.gz", "a.", "a._cal"]
lines = []
for name in tricky:
    lines.append(["--product-name", "p", name])
    lines.append(["-r", "DMSLevel2bBase", name])
    lines.append(["-r", "Association", name])
lines.append(["--product-name", "".join(tricky), *tricky])
lines.append(["-r", "DMSLevel2bBase", *tricky])
lines.append(["-r", "Association", *tricky, *tricky])
for acid in ["o", "c", "", "O1", "x", "o999", "c1000", "oops"]:
    lines.append(["-r", "DMSLevel2bBase", "-i", acid, "a_rate.fits"])
    lines.append(["--product-name", "p", "-i", acid, "a_cal.fits"])
    lines.append(["-r", "Association", "-i", acid, "a"])
for rule in ["Asn_Lv3WFSCMB", "Asn_Lv3AMI", "Asn_Lv3TSO", "Asn_Lv2WFSSNIS", "Asn_MIRLRSTAConfirm",
             "AsnMixin_Lv2Spectral", "Asn_Lv3NRCCoronImage", "Asn_Lv3ACQ_Reprocess", "Asn_Lv2FGS"]:
    for files in (["a_rate.fits"], ["a_rate.fits", "b_cal.fits", "c_x1d.fits"]):
        lines.append(["-r", rule, "--product-name", "pp", *files])
lines.append(["--product-name", "p", "-f", "json", "a"])
lines.append(["-r", "Association", "--product-name", "p", "a", "a"])

import random
rng = random.Random(int(os.environ.get("SEED", "1")))
DASHED = ["-1", "-0", "-.5", "-1.5", "-a b", "- x", "-x y_cal.fits"]
BYTES = ["a\udcff_cal.fits", "b\udce2\udc82_rate.fits", "\udced\udca0\udc80x", "p\udcff"]
NAMES = tricky + DASHED + BYTES + ["a_cal.fits", "b_rate.fits", "dir/c_calints.fits", "00623",
                                   "true", "null", "p: #x", "it's", "x" * 90 + "_cal.fits"]
RULES = ["DMS_Level3_Base", "DMSLevel2bBase", "Association", "Asn_Lv3Image", "Asn_Lv2Spec",
         "Asn_Lv2WFSSParallel", "Asn_Lv3AMI", "Asn_Lv2Image", "Nope"]
for _ in range(RANDOM_LINES):
    args = []
    for _ in range(rng.choice([0, 1, 1, 2])):
        args += ["-r", rng.choice(RULES)]
    if rng.random() < 0.4:
        args += ["-i", rng.choice(["o001", "c1000", "x12", "o", "c"])]
    for _ in range(rng.choice([0, 1, 1, 2])):
        args += ["--product-name", rng.choice(NAMES + ["p", "-1", "-a b"])]
    if rng.random() < 0.3:
        args += ["-f", rng.choice(["json", "yaml", "yaml", "xml"])]
    rng.shuffle(pairs := [args[i:i + 2] for i in range(0, len(args), 2)])
    args = [word for pair in pairs for word in pair]
    args += rng.sample(NAMES, rng.randint(1, 4))
    lines.append(args)

passed = failed = refused = 0
with tempfile.TemporaryDirectory() as tmp:
    os.chdir(tmp)
    for args in lines:
        for f in ("ref.json", "ours.json"):
            if os.path.exists(f):
                os.remove(f)
        try:
            with contextlib.redirect_stderr(io.StringIO()):
                Main.cli(["-o", "ref.json", *args])
            want = open("ref.json", encoding="utf-8", errors="surrogateescape").read()
        except BaseException:
            want = None
        argv = [a.encode("utf-8", "surrogateescape") for a in ["-o", "ours.json", "--no-glob", *args]]
        p = subprocess.run([binary.encode(), *argv], capture_output=True)
        got = (open("ours.json", encoding="utf-8", errors="surrogateescape").read()
               if os.path.exists("ours.json") else None)
        if p.returncode != 0 and got is not None:
            verdict = "FAIL (failed but left a file)"
        elif want is None:
            verdict = "ok" if p.returncode != 0 else "FAIL (the reference fails, this wrote a file)"
        elif got is None:
            verdict = "refused: " + p.stderr.decode("utf-8", "replace").strip()
        else:
            verdict = "ok" if normalise(got) == normalise(want) else "FAIL (output differs)"
        if verdict == "ok":
            passed += 1
        elif verdict.startswith("refused"):
            refused += 1
            print(f"{verdict}\n     args: {args!r}")
        else:
            failed += 1
            print(f"{verdict}\n     args: {args!r}")
print(f"{passed} passed, {failed} failed ({refused} refused where the reference writes)")
sys.exit(1 if failed else 0)
