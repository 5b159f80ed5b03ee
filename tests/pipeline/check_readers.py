#!/usr/bin/env python3
"""Open what asn-from-list writes with the pipeline's own readers (jwst's load_asn,
ModelLibrary, ModelContainer), and check that typed members keep their types.

Not part of `cargo test` (it needs the jwst package). Run it with a virtual environment that
has the reference installed:

    python3 -m venv ~/.cache/asn-ref && ~/.cache/asn-ref/bin/pip install -q jwst==3.0.0
    cargo build --release
    ~/.cache/asn-ref/bin/python tests/pipeline/check_readers.py target/release/asn-from-list

Members are tiny but real ImageModel files, so the readers can open them.
"""
import json, os, subprocess, sys, tempfile, warnings

warnings.simplefilter("ignore")
import numpy as np
from stdatamodels.jwst.datamodels import ImageModel
from jwst.associations import load_asn
from jwst.datamodels import ModelContainer, ModelLibrary

binary = os.path.abspath(sys.argv[1])
failures = 0


def check(what, ok):
    global failures
    print(("ok   " if ok else "FAIL ") + what)
    failures += not ok


def run(*args):
    subprocess.run([binary, *args], check=True, stderr=subprocess.DEVNULL)


with tempfile.TemporaryDirectory() as tmp:
    os.chdir(tmp)
    names = ["sci1_cal.fits", "sci2_cal.fits", "bg_cal.fits", "psf_cal.fits"]
    for name in names:
        model = ImageModel(np.zeros((4, 4), dtype=np.float32))
        model.meta.exposure.type = "NRC_IMAGE"
        model.save(name)

    run("-o", "image3_asn.json", "--product-name", "mosaic", "sci1_cal.fits", "sci2_cal.fits",
        "--background", "bg_cal.fits", "--meta", "asn_type=image3")
    with open("image3_asn.json") as f:
        asn = load_asn(f)
    check("load_asn reads a Stage 3 association", asn["products"][0]["name"] == "mosaic")
    library = ModelLibrary("image3_asn.json", on_disk=True)
    check("ModelLibrary opens it", len(library) == 3)
    container = ModelContainer("image3_asn.json")
    check("ModelContainer opens it", len(container) == 3)
    check("ind_asn_type finds the science members", container.ind_asn_type("science") == [0, 1])
    check("ind_asn_type finds the --background member", container.ind_asn_type("background") == [2])

    run("-o", "coron3_asn.json", "-r", "Asn_Lv3NRCCoron", "--product-name", "coron",
        "sci1_cal.fits", "--psf", "psf_cal.fits")
    container = ModelContainer("coron3_asn.json")
    check("ind_asn_type finds the --psf member", container.ind_asn_type("psf") == [1])

    run("-o", "spec2_asn.json", "-r", "DMSLevel2bBase", "sci1_cal.fits", "sci2_cal.fits",
        "--background", "bg_cal.fits")
    with open("spec2_asn.json") as f:
        asn = load_asn(f)
    check("load_asn reads a Stage 2 association", [p["name"] for p in asn["products"]] == ["sci1", "sci2"])
    check("every Stage 2 product has the background",
          all(p["members"][1]["exptype"] == "background" for p in asn["products"]))

print(f"{8 - failures} passed, {failures} failed")
sys.exit(1 if failures else 0)
