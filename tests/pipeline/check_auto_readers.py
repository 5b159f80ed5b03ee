#!/usr/bin/env python3
"""Open what `--auto` writes for every header-mode scenario with the pipeline's own reader.

    ~/.cache/asn-ref/bin/python tests/pipeline/check_auto_readers.py target/release/asn-from-list

Each association must load with jwst's `load_asn`, and each member must be found beside it
(the scenario's files are copied next to the associations first).
"""
import glob, os, shutil, subprocess, sys, tempfile, warnings

warnings.simplefilter("ignore")
from jwst.associations import load_asn

binary = os.path.abspath(sys.argv[1])
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "header-mode", "scenarios")
passed = failed = 0
for scenario in sorted(glob.glob(os.path.join(root, "*", ""))):
    with tempfile.TemporaryDirectory() as tmp:
        names = sorted(os.path.basename(f) for f in glob.glob(scenario + "*.fits"))
        for name in names:
            shutil.copy(scenario + name, tmp)
        subprocess.run([binary, "--auto", "-o", ".", *names], cwd=tmp, check=True, capture_output=True)
        for path in sorted(glob.glob(os.path.join(tmp, "*_asn.json"))):
            try:
                with open(path) as f:
                    asn = load_asn(f)
                for product in asn["products"]:
                    for member in product["members"]:
                        name = member["expname"]
                        derived = name.endswith(("_i2d.fits", "_cat.ecsv", "_segm.fits"))
                        if not derived and not os.path.exists(os.path.join(tmp, name)):
                            raise FileNotFoundError(name)
                passed += 1
            except Exception as e:
                failed += 1
                print(f"FAIL {os.path.basename(scenario.rstrip('/'))}/{os.path.basename(path)}: {e}")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
