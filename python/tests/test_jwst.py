"""asn_from_list against jwst 3.0.0's, in one process: the association code of the JWST
pipeline notebooks, run once with jwst's import and once with ours, must give the same
(name, text) from dump(), byte for byte but for code_version (each writes its own version),
and fail with the same kind of exception where jwst fails."""

import pathlib
import warnings

import pytest

jwst_afl = pytest.importorskip(
    "jwst.associations.asn_from_list",
    reason="jwst is not installed; these tests compare with jwst 3.0.0",
)
from jwst.associations import Association as JwstAssociation  # noqa: E402
from jwst.associations import AssociationRegistry  # noqa: E402
from jwst.associations.lib.dms_base import DMSBaseMixin  # noqa: E402

import asn_from_list as ours  # noqa: E402

REGISTRY = AssociationRegistry(include_bases=True)
JWST_CODE_VERSION = '"code_version": "3.0.0"'
OUR_CODE_VERSION = f'"code_version": "{ours._native.CODE_VERSION}"'


def jwst_rule(name):
    return JwstAssociation if name == "Association" else REGISTRY[name]


class Side:
    """What a notebook imports: the function, and rule classes by name."""

    def __init__(self, function, rule, reset):
        self.asn_from_list = function
        self.rule = rule
        self.reset = reset


JWST = Side(jwst_afl.asn_from_list, jwst_rule, DMSBaseMixin.reset_sequence)
OURS_WITH_JWST_RULES = Side(ours.asn_from_list, jwst_rule, ours.reset_sequence)
OURS_WITH_OUR_RULES = Side(ours.asn_from_list, lambda n: getattr(ours.rules, n), ours.reset_sequence)
OURS_WITH_NAMES = Side(ours.asn_from_list, lambda n: n, ours.reset_sequence)
OUR_SIDES = [OURS_WITH_JWST_RULES, OURS_WITH_OUR_RULES, OURS_WITH_NAMES]


def outcome(side, notebook):
    """Runs `notebook(side)` from a fresh sequence: what it returns, or the exception's class
    name, with the warnings it gave."""
    side.reset()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = notebook(side)
        except Exception as error:  # noqa: BLE001 - the kind of failure is compared
            result = ("raises", type(error).__name__)
    if isinstance(result, list):
        result = [normalise(r) for r in result]
    else:
        result = normalise(result)
    kinds = sorted({w.category.__name__ for w in caught if w.category is UserWarning})
    return result, kinds


def normalise(result):
    if isinstance(result, str):
        return result.replace(JWST_CODE_VERSION, OUR_CODE_VERSION)
    if isinstance(result, tuple) and len(result) == 2 and isinstance(result[1], str):
        return (result[0], result[1].replace(JWST_CODE_VERSION, OUR_CODE_VERSION))
    return result


def same_as_jwst(notebook):
    want = outcome(JWST, notebook)
    for side in OUR_SIDES:
        got = outcome(side, notebook)
        assert got == want
    return want


# --- The notebooks' association code -------------------------------------------------------


def writel2asn(side, science, backgrounds=(), selfcal=(), imprints=(), asn_type="spec2"):
    """Stage 2 as the NIRSpec and MIRI notebooks write it: one science exposure, its
    backgrounds, imprints and selfcal exposures appended by hand."""
    asn = side.asn_from_list([science], rule=side.rule("DMSLevel2bBase"), product_name="ignored")
    for name in backgrounds:
        asn["products"][0]["members"].append({"expname": name, "exptype": "background"})
    for name in imprints:
        asn["products"][0]["members"].append({"expname": name, "exptype": "imprint"})
    for name in selfcal:
        asn["products"][0]["members"].append({"expname": name, "exptype": "selfcal"})
    asn.data["asn_type"] = asn_type
    asn.data["program"] = "01234"
    return asn.dump()


def writel3asn(side, files, product_name, asn_type="image3", backgrounds=()):
    """Stage 3 as the imaging and spectroscopy notebooks write it."""
    asn = side.asn_from_list(files, rule=side.rule("DMS_Level3_Base"), product_name=product_name)
    for name in backgrounds:
        asn["products"][0]["members"].append({"expname": name, "exptype": "background"})
    asn.data["asn_type"] = asn_type
    asn.data["program"] = "02345"
    asn.data["target"] = "1"
    return asn.dump()


def coron3(side, science, psfs, set_validity=True):
    """Coronagraphy: PSF references appended, the has_psf test set by hand."""
    asn = side.asn_from_list(science, rule=side.rule("Asn_Lv3NRCCoron"), product_name="coron")
    for name in psfs:
        asn["products"][0]["members"].append({"expname": name, "exptype": "psf"})
    if set_validity:
        asn.validity["has_psf"]["validated"] = True
    asn.data["asn_type"] = "coron3"
    return asn.dump()


def science(n, suffix="rate"):
    return [f"jw01234001001_0210{i % 10}_{i:05d}_nrs1_{suffix}.fits" for i in range(1, n + 1)]


@pytest.mark.parametrize("backgrounds", [0, 1, 2, 4])
@pytest.mark.parametrize("imprints", [0, 2])
@pytest.mark.parametrize("selfcal", [0, 3])
def test_stage2_with_appended_members(backgrounds, imprints, selfcal):
    same_as_jwst(
        lambda side: writel2asn(
            side,
            science(1)[0],
            science(backgrounds, "bkg_rate"),
            science(selfcal, "cal"),
            science(imprints, "imprint_rate"),
        )
    )


@pytest.mark.parametrize("count", [1, 2, 7, 60])
@pytest.mark.parametrize("asn_type", ["image3", "spec3"])
@pytest.mark.parametrize("backgrounds", [0, 2])
def test_stage3_with_product_name_and_data_edits(count, asn_type, backgrounds):
    same_as_jwst(
        lambda side: writel3asn(
            side, science(count, "cal"), "l3_results", asn_type, science(backgrounds, "x1d")
        )
    )


@pytest.mark.parametrize("psfs", [0, 1, 3])
@pytest.mark.parametrize("set_validity", [True, False])
def test_coronagraphy_with_validity_set_by_hand(psfs, set_validity):
    same_as_jwst(lambda side: coron3(side, science(2, "calints"), science(psfs, "psf_calints"), set_validity))


def untouched(rule, items, **kwargs):
    return lambda side: side.asn_from_list(items, rule=side.rule(rule), **kwargs).dump()


STAGE3_RULES = [n for n in ours.RULE_NAMES if n in REGISTRY and REGISTRY[n].__name__ == n
                and issubclass(REGISTRY[n], REGISTRY["DMS_Level3_Base"])]
STAGE2_RULES = [n for n in ours.RULE_NAMES if n in REGISTRY
                and issubclass(REGISTRY[n], REGISTRY["DMSLevel2bBase"])]


@pytest.mark.parametrize("rule", STAGE3_RULES)
@pytest.mark.parametrize("count", [1, 2])
def test_every_stage3_rule(rule, count):
    same_as_jwst(untouched(rule, science(count, "cal"), product_name="p"))


@pytest.mark.parametrize("rule", STAGE3_RULES)
def test_every_stage3_rule_with_typed_members(rule):
    items = [(science(1)[0], "science"), ("ref_psf.fits", "psf"), ("bg.fits", "background")]
    same_as_jwst(untouched(rule, items, product_name="p", with_exptype=True))


@pytest.mark.parametrize("rule", STAGE2_RULES)
@pytest.mark.parametrize("acid", ["o999", "o001", "c1000"])
def test_every_stage2_rule(rule, acid):
    same_as_jwst(untouched(rule, science(3), acid=acid))


@pytest.mark.parametrize("count", [1, 2, 10, 300])
def test_stage2_exposures(count):
    same_as_jwst(untouched("DMSLevel2bBase", science(count)))


@pytest.mark.parametrize(
    "items",
    [
        ["a_rate.fits", "dir/b_cal.fits", "./c_uncal.fits", "/abs/d_x1d.fits", "e.fits", "f"],
        ["jw_a_rate_rate.fits", "name.with.dots_cal.fits", "", ".", "a/", "..", "x_bogus.fits"],
        ["caf\u00e9_rate.fits", "\u65e5\u672c_cal.fits", "q\"uote\\s_rate.fits", "tab\t_rate.fits"],
        ["\U0001f600_rate.fits", "ctl\x01\x7f_rate.fits", "sur\udcff_rate.fits"],
    ],
)
@pytest.mark.parametrize("rule", ["DMSLevel2bBase", "DMS_Level3_Base", "Association"])
def test_names(items, rule):
    same_as_jwst(untouched(rule, items, product_name="p"))


@pytest.mark.parametrize(
    "meta",
    [
        None,
        {},
        {"program": "01234", "asn_type": "image2", "asn_pool": "jw01234_pool.csv"},
        {"target": "7", "foo": "bar"},
        {"asn_rule": "Mine", "version_id": "2024", "extra": [1, 2.5, None, True, {"k": 1e16}]},
        {"program": 5},
        {"asn_type": None},
        {"products": []},
        {"floats": [0.1, 1e-05, float("inf"), float("nan"), -0.0, 123456789012345678.0]},
        {"big": 2**70, 3: "int key", 1.5: "float key", None: "none key", True: "bool key"},
        {"unicode": "\u00e9\u2028", "nested": {"empty": {}, "list": []}},
    ],
)
def test_stage2_meta(meta):
    same_as_jwst(untouched("DMSLevel2bBase", science(2), meta=meta))


def numbered(item, index):
    return f"product_{index}_{item[-12:-5]}"


def failing(item, index):
    raise RuntimeError("no name")


@pytest.mark.parametrize("func", [numbered, failing, lambda item, idx: 5, lambda item, idx: None])
def test_stage2_product_name_func(func):
    same_as_jwst(untouched("DMSLevel2bBase", science(3), product_name_func=func))


@pytest.mark.parametrize(
    "items",
    [
        [("a_rate.fits", "science"), ("b_rate.fits", "background")],
        [("a_rate.fits", "science"), ("b_rate.fits", "")],
        [("a_rate.fits", "SCIENCE"), ("b_rate.fits", "Background")],
        [("b_rate.fits", "background")],
        [["a_rate.fits", "science"]],
        ["a_rate.fits"],
        [("a_rate.fits", 5)],
        [("a_rate.fits",)],
    ],
)
@pytest.mark.parametrize("with_exptype", [True, False])
@pytest.mark.parametrize("acid", ["o999", "c1001"])
def test_stage2_with_exptype(items, with_exptype, acid):
    same_as_jwst(untouched("DMSLevel2bBase", items, with_exptype=with_exptype, acid=acid))


@pytest.mark.parametrize(
    "items",
    [
        [("a.fits", "science"), ("r.fits", "psf")],
        [("a.fits", "Science")],
        [["a.fits", "background"], ("b.fits", "science")],
        ["ab"],
        ["abc"],
        [("a.fits", 5), ("b.fits", "science")],
        [(pathlib.Path("a.fits"), "science")],
    ],
)
@pytest.mark.parametrize("rule", ["DMS_Level3_Base", "Asn_Lv3AMI", "Asn_Lv3WFSCMB"])
def test_stage3_with_exptype(items, rule):
    same_as_jwst(untouched(rule, items, product_name="p", with_exptype=True))


@pytest.mark.parametrize(
    "call",
    [
        dict(rule="DMS_Level3_Base", items=["a.fits"]),
        dict(rule="DMS_Level3_Base", items=["a.fits"], product_name=None),
        dict(rule="DMS_Level3_Base", items=[], product_name="p"),
        dict(rule="DMS_Level3_Base", items=["a.fits"], product_name=5),
        dict(rule="DMS_Level3_Base", items=["a.fits"], product_name="p", acid="x1"),
        dict(rule="DMSLevel2bBase", items=["a.fits"], acid="x1"),
        dict(rule="DMSLevel2bBase", items=["a.fits"], acid=""),
        dict(rule="DMSLevel2bBase", items=["a.fits"], acid=5),
        dict(rule="DMSLevel2bBase", items=["a.fits"], acid="c1000"),
        dict(rule="DMSLevel2bBase", items=[]),
        dict(rule="Asn_Lv2WFSSParallel", items=["a.fits"], acid="c1000"),
        dict(rule="Asn_Lv3TSO", items=["a.fits"], product_name="p"),
        dict(rule="Asn_Lv3ImageMosaic", items=["a.fits"], product_name="p"),
        dict(rule="Asn_Lv3MIRCoron", items=["a.fits"], product_name="p"),
        dict(rule="Asn_Lv3WFSCMB", items=["a.fits"], product_name="p"),
        dict(rule="Association", items=["a.fits", "b.fits"], product_name="p"),
        dict(rule="Association", items=("a.fits", 5, None)),
        dict(rule="DMS_Level3_Base", items=[pathlib.Path("d/a.fits"), 7, None], product_name="p"),
        dict(rule="DMSLevel2bBase", items=[pathlib.Path("d/a_rate.fits"), 7]),
        dict(rule="DMSLevel2bBase", items=[("a_rate.fits", "background"), ("b_rate.fits",)]),
        dict(rule="DMS_Level3_Base", items=[("a_rate.fits", "psf")], product_name="p"),
        dict(rule="DMS_Level3_Base", items=["a.fits"], product_name="p", meta={"program": "1"},
             acid="c1", product_name_func=numbered),
        dict(rule="DMS_Level3_Base", items=["a.fits"], product_name="p", with_exptype=0),
        dict(rule="DMSLevel2bBase", items=["a_rate.fits"], with_exptype=None),
        dict(rule="DMSLevel2bBase", items=["a_rate.fits"], unknown_keyword=1),
        dict(rule="DMS_Level3_Base", items=["a.fits", "b.fits"], product_name="p", iterate=1),
        dict(rule="DMSLevel2bBase", items=["a_rate.fits", "b_rate.fits"], iterate=1),
    ],
    ids=lambda c: "-".join(f"{k}={v!r}"[:40] for k, v in c.items()),
)
def test_failures_and_odd_arguments(call):
    def notebook(side):
        kwargs = dict(call)
        items = kwargs.pop("items")
        if kwargs.pop("iterate", False):
            items = (item for item in items)
        return side.asn_from_list(items, rule=side.rule(kwargs.pop("rule")), **kwargs).dump()

    same_as_jwst(notebook)


def test_str_subclasses_are_strings():
    numpy = pytest.importorskip("numpy")
    items = list(numpy.array(["a_rate.fits", "b_cal.fits"]))
    same_as_jwst(untouched("DMSLevel2bBase", items))
    same_as_jwst(untouched("DMS_Level3_Base", items, product_name=numpy.str_("p")))


def test_sequence_numbers_count_across_calls_rules_and_failures():
    def notebook(side):
        names = []
        for rule, kwargs in [
            ("DMS_Level3_Base", dict(product_name="p")),
            ("DMSLevel2bBase", {}),
            ("DMS_Level3_Base", {}),  # fails before it is numbered
            ("DMSLevel2bBase", dict(acid="bad")),  # as does this
            ("Asn_Lv3Image", dict(product_name="p")),
            ("Association", {}),  # not numbered
            ("DMSLevel2bBase", dict(acid="o123", meta={"program": "99999"})),
        ]:
            try:
                asn = side.asn_from_list(["a_rate.fits"], rule=side.rule(rule), **kwargs)
            except Exception as error:  # noqa: BLE001
                names.append(type(error).__name__)
                continue
            names.append(asn.dump()[0])
            names.append(asn.dump(format="json")[0])
            asn.data["asn_type"] = "image2"
            names.append(asn.dump("json")[0])
        return names

    want, _ = same_as_jwst(notebook)
    assert "jwnoprogram-a3001_none_00002_asn.json" in want


def test_mapping_access_as_jwst_gives_it():
    def notebook(side):
        asn = side.asn_from_list(science(2), rule=side.rule("DMSLevel2bBase"))
        seen = [
            list(asn.keys()),
            len(asn),
            "products" in asn,
            "target" in asn,
            sorted(asn.validity),
            asn.asn_name,
            asn.asn_rule,
            [p["name"] for p in asn["products"]],
            asn["program"],
        ]
        asn["program"] = "01234"
        del asn["asn_pool"]
        seen.append(list(asn))
        seen.append([(k, v) for k, v in asn.items() if k not in ("products", "code_version")])
        return [repr(seen), asn.dump()]

    same_as_jwst(notebook)


def test_changed_members_and_products():
    def notebook(side):
        asn = side.asn_from_list(science(3), rule=side.rule("DMSLevel2bBase"))
        products = asn["products"]
        products[0]["members"][0]["expname"] = "renamed_rate.fits"
        products[1]["name"] = "custom"
        products[2]["members"].append({"expname": "x.fits", "exptype": "background", "extra": 1.25})
        products.append({"name": "new", "members": [{"expname": "n.fits", "exptype": "science"}]})
        return asn.dump()

    same_as_jwst(notebook)


@pytest.mark.parametrize(
    "change",
    [
        lambda asn: asn["products"][0]["members"].append({"expname": "only_name.fits"}),
        lambda asn: asn["products"][0]["members"].append({"expname": 5, "exptype": "science"}),
        lambda asn: asn["products"][0].update(name=None),
        lambda asn: asn["products"][0].pop("members"),
        lambda asn: asn.data.update(products=({"name": "t", "members": []},)),
        lambda asn: asn.data.update(asn_id=3001),
        lambda asn: asn.data.update(version_id=1),
        lambda asn: asn.data.pop("products"),
        lambda asn: asn.validity["has_science"].update(validated=False),
        lambda asn: asn.validity.pop("has_science"),
        lambda asn: asn["products"][0]["members"].append("just a name"),
    ],
)
@pytest.mark.parametrize("rule", ["DMS_Level3_Base", "DMSLevel2bBase"])
def test_changes_that_make_it_invalid_fail_as_in_jwst(change, rule):
    def notebook(side):
        asn = side.asn_from_list(["a_cal.fits"], rule=side.rule(rule), product_name="p")
        change(asn)
        return asn.dump()

    same_as_jwst(notebook)


def test_yaml_dump():
    yaml = pytest.importorskip("yaml")
    assert yaml

    def notebook(side):
        asn = side.asn_from_list(science(2), rule=side.rule("DMS_Level3_Base"), product_name="p")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            name, text = asn.dump(format="yaml")
        return name, text.replace("code_version: 3.0.0", f"code_version: {ours._native.CODE_VERSION}")

    same_as_jwst(notebook)


def test_an_unknown_format_or_argument_fails_as_in_jwst():
    same_as_jwst(lambda side: side.asn_from_list(["a"], product_name="p").dump(format="xml"))
    same_as_jwst(lambda side: side.asn_from_list(["a"], product_name="p").dump(indent=2))


def test_member_paths_warn_as_in_jwst():
    _, warned = same_as_jwst(untouched("DMS_Level3_Base", ["dir/a_cal.fits"], product_name="p"))
    assert warned == ["UserWarning"]
    _, warned = same_as_jwst(untouched("DMS_Level3_Base", ["./a_cal.fits"], product_name="p"))
    assert warned == []


def test_a_subclass_of_a_jwst_rule_keeps_its_name():
    class MyRule(REGISTRY["DMS_Level3_Base"]):
        pass

    class MyStandIn(ours.rules.DMS_Level3_Base):
        pass

    want = outcome(JWST, lambda side: side.asn_from_list(["a"], rule=MyRule, product_name="p").dump())
    got = outcome(
        OURS_WITH_NAMES,
        lambda side: side.asn_from_list(["a"], rule=MyRule, product_name="p").dump(),
    )
    assert got == want
    mine = outcome(
        OURS_WITH_NAMES,
        lambda side: side.asn_from_list(["a"], rule=MyStandIn, product_name="p").dump(),
    )
    assert mine[0][1] == want[0][1].replace("MyRule", "MyStandIn")


# The notebooks import the module, not the function: `from jwst.associations import
# asn_from_list as afl` becomes `import asn_from_list as afl`, and `afl.asn_from_list(...)` runs.
from jwst.associations import asn_from_list as jwst_module  # noqa: E402


def module_notebooks(afl, rule):
    """The calls of the official notebooks, each in the shape it has there."""
    cal = science(4, "cal")
    out = []
    # TSO Stage 3: one named product, asn_type, program and target set on data.
    asn = afl.asn_from_list(cal, rule=rule("DMS_Level3_Base"), product_name="WASP-39")
    asn.data["asn_type"] = "tso3"
    asn.data["program"] = "01366"
    asn.data["target"] = "WASP-39"
    out.append(asn.dump()[1])
    # AMI: one science exposure, a psf appended, asn_type and program set, dump(format="json").
    asn = afl.asn_from_list([cal[0]], rule=rule("DMS_Level3_Base"), product_name="ami3_AB-Dor_F480M_1")
    asn["products"][0]["members"].append({"expname": cal[1], "exptype": "psf"})
    asn.data["asn_type"] = "ami3"
    asn.data["program"] = "01093"
    out.append(asn.dump(format="json"))
    # NIRSpec fixed slit: a Stage 2 TSO rule with a product name, selfcal exposures appended.
    asn = afl.asn_from_list([science(1)[0]], rule=rule("Asn_Lv2SpecTSO"), product_name="fs")
    asn.data["program"] = "01309"
    for name in science(3, "rate")[1:]:
        asn["products"][0]["members"].append({"expname": name, "exptype": "selfcal"})
    out.append(asn.dump())
    # Imaging: the association's own suggested name kept.
    asn = afl.asn_from_list(cal, rule=rule("DMS_Level3_Base"), product_name="image3_association")
    asn.data["asn_type"] = "image3"
    asn.data["program"] = "02739"
    out.append(asn.dump(format="json"))
    return out


def test_the_notebooks_import_the_module():
    def notebook_for(afl):
        return lambda side: module_notebooks(afl, side.rule)

    want = outcome(JWST, notebook_for(jwst_module))
    for side in OUR_SIDES:
        assert outcome(side, notebook_for(ours)) == want
