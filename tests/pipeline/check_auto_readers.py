#!/usr/bin/env python3
"""Open what `--auto` writes for every header-mode scenario with the pipeline's own readers.

    ~/.cache/asn-ref/bin/python tests/pipeline/check_auto_readers.py target/release/asn-from-list

Every association (Stage 2 and Stage 3, of the shared scenarios and of our own) must load with
jwst's `load_asn`, and each member must be found beside it (the scenario's files are copied next
to the associations first); names the pipeline derives (`_i2d`, `_cat`, `_segm`, `_x1d`) are the
products of earlier steps and are not looked for. Each Stage 3 association must also open with
`ModelLibrary`, the Stage 3 pipelines' reader, and lend out every member: the synthetic
exposures hold a header only, so each member is stood in for by a tiny datamodel file with the
exposure's observation keywords, in a folder beside it. Members made from `*_uncal.*` inputs
carry the name of the product they will be (`_rate`, `_cal`, ...), and are looked for as their
`_uncal` input.
"""
import glob, os, re, shutil, subprocess, sys, tempfile, warnings

warnings.simplefilter("ignore")
import numpy as np
from astropy.io import fits
from jwst.associations import load_asn
from jwst.datamodels import ModelLibrary
from stdatamodels.jwst.datamodels import ImageModel

STAGE2 = {"image2", "spec2", "tso-image2", "tso-spec2", "nrslamp-spec2"}
DERIVED = ("_i2d.fits", "_cat.ecsv", "_segm.fits", "_x1d.fits")
# A member made from an `*_uncal.*` input carries the suffix of the product it will be.
RENAMED = re.compile(r"_(rate|rateints|cal|calints|x1d|x1dints)(\.[^.]+)$")


def exposure_of(folder, name):
    """The input file a member is, or is made from (`_uncal` for renamed members)."""
    path = os.path.join(folder, name)
    if not os.path.exists(path):
        uncal = os.path.join(folder, RENAMED.sub(r"_uncal\2", name))
        if os.path.exists(uncal):
            return uncal
    return path


def stand_in(path, exposure):
    """A tiny datamodel file at `path`, with the observation keywords of `exposure`'s header."""
    header = fits.getheader(exposure) if os.path.exists(exposure) else {}
    model = ImageModel(np.zeros((2, 2), dtype=np.float32))
    observation = model.meta.observation
    for attribute, keyword, default in (
        ("program_number", "PROGRAM", "01234"),
        ("observation_number", "OBSERVTN", "001"),
        ("visit_number", "VISIT", "001"),
        ("visit_group", "VISITGRP", "02"),
        ("sequence_id", "SEQ_ID", "1"),
        ("activity_id", "ACT_ID", "01"),
        ("exposure_number", "EXPOSURE", "1"),
    ):
        setattr(observation, attribute, str(header.get(keyword, default)))
    model.meta.exposure.type = str(header.get("EXP_TYPE", "NRC_IMAGE"))
    model.meta.instrument.name = str(header.get("INSTRUME", "NIRCAM"))
    model.save(path)


here = os.path.dirname(os.path.abspath(__file__))
binary = os.path.abspath(sys.argv[1])
fixtures = os.path.join(here, "..", "fixtures", "header-mode")
scenarios = sorted(glob.glob(os.path.join(fixtures, "scenarios", "*", "")))
scenarios += sorted(glob.glob(os.path.join(fixtures, "own", "*", "")))
passed = failed = libraries = 0
for scenario in scenarios:
    with tempfile.TemporaryDirectory() as tmp:
        names = sorted(os.path.basename(f) for f in glob.glob(scenario + "*.fits"))
        for name in names:
            shutil.copy(scenario + name, tmp)
        subprocess.run([binary, "--auto", "-o", ".", *names], cwd=tmp, check=True, capture_output=True)
        for path in sorted(glob.glob(os.path.join(tmp, "*_asn.json"))):
            label = f"{os.path.basename(scenario.rstrip('/'))}/{os.path.basename(path)}"
            try:
                with open(path) as f:
                    asn = load_asn(f)
                members = [m["expname"] for p in asn["products"] for m in p["members"]]
                for name in members:
                    if not name.endswith(DERIVED) and not os.path.exists(exposure_of(tmp, name)):
                        raise FileNotFoundError(name)
                if asn["asn_type"] not in STAGE2:
                    models = os.path.join(tmp, "models", os.path.basename(path)[:-5])
                    os.makedirs(models)
                    for name in members:
                        stand_in(os.path.join(models, name), exposure_of(tmp, name))
                    shutil.copy(path, models)
                    library = ModelLibrary(os.path.join(models, os.path.basename(path)), on_disk=True)
                    with library:
                        for i in range(len(library)):
                            library.shelve(library.borrow(i), i, modify=False)
                    if len(library) != len(members):
                        raise ValueError(f"ModelLibrary holds {len(library)} of {len(members)} members")
                    libraries += 1
                passed += 1
            except Exception as e:
                failed += 1
                print(f"FAIL {label}: {e!r}")
print(f"{passed} passed ({libraries} of them Stage 3, opened with ModelLibrary), {failed} failed")
sys.exit(1 if failed else 0)
