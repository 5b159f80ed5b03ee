#!/usr/bin/env python3
"""jwst's asn_from_list against this package's, in one process, as notebooks call them.

    python bench/python/bench.py            # with jwst 3.0.0 and asn_from_list installed
    python bench/python/bench.py --quick    # one run each, smaller Stage 2 cases

Each case builds the association and dumps it (name and JSON text), as a notebook does before
it writes the file. Times are the best of a few runs (jwst's slow cases: one run). Both
outputs are compared, code_version aside, before anything is timed. Prints a Markdown table.
"""

import argparse
import logging
import sys
import time
import warnings

logging.disable(logging.CRITICAL)
warnings.simplefilter("ignore")

import asn_from_list as ours  # noqa: E402
from jwst.associations.asn_from_list import asn_from_list as jwst_asn_from_list  # noqa: E402
from jwst.associations.lib.dms_base import DMSBaseMixin  # noqa: E402
from jwst.associations.lib.rules_level2_base import DMSLevel2bBase  # noqa: E402
from jwst.associations.lib.rules_level3_base import DMS_Level3_Base  # noqa: E402


def names(n, suffix):
    return [f"jw01234{i // 1000 + 1:03d}001_02101_{i % 100000:05d}_nrca1_{suffix}.fits" for i in range(n)]


def stage3(function, n):
    files = names(n, "cal")
    return lambda: function(files, rule=DMS_Level3_Base, product_name="l3_results").dump()


def stage2(function, n):
    files = names(n, "rate")
    return lambda: function(files, rule=DMSLevel2bBase).dump()


def stage2_edited(function, n):
    """The NIRSpec and MIRI notebooks' pattern: backgrounds appended, asn_type set."""
    files = names(n, "rate")
    backgrounds = names(4, "bkg_rate")

    def run():
        asn = function(files, rule=DMSLevel2bBase)
        for product in asn["products"]:
            for name in backgrounds:
                product["members"].append({"expname": name, "exptype": "background"})
        asn.data["asn_type"] = "spec2"
        return asn.dump()

    return run


def best(run, times):
    spans = []
    for _ in range(times):
        start = time.perf_counter()
        run()
        spans.append(time.perf_counter() - start)
    return min(spans)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one run each, smaller Stage 2")
    args = parser.parse_args()
    stage2_sizes = [300, 3_000] if args.quick else [300, 3_000, 10_000]
    cases = [("Stage 3, DMS_Level3_Base", stage3, n) for n in (1_000, 100_000)]
    cases += [("Stage 2, DMSLevel2bBase", stage2, n) for n in stage2_sizes]
    cases += [("Stage 2, 4 backgrounds appended", stage2_edited, 3_000)]

    print(f"jwst {sys.modules['jwst'].__version__} against asn_from_list {ours.__version__},"
          f" Python {sys.version.split()[0]}\n")
    print("| case | members | jwst | asn_from_list | faster |")
    print("|---|---:|---:|---:|---:|")
    for label, make, n in cases:
        DMSBaseMixin.reset_sequence()
        ours.reset_sequence()
        want = make(jwst_asn_from_list, n)()
        got = make(ours.asn_from_list, n)()
        version = f'"code_version": "{ours._native.CODE_VERSION}"'
        if (got[0], got[1]) != (want[0], want[1].replace('"code_version": "3.0.0"', version)):
            sys.exit(f"{label}, {n}: the outputs differ")
        slow = n >= 3_000 and make is not stage3
        jwst_time = best(make(jwst_asn_from_list, n), 1 if (slow or args.quick) else 3)
        our_time = best(make(ours.asn_from_list, n), 1 if args.quick else 5)
        print(f"| {label} | {n:,} | {jwst_time * 1000:,.1f} ms | {our_time * 1000:,.2f} ms"
              f" | {jwst_time / our_time:,.0f}× |")


if __name__ == "__main__":
    main()
