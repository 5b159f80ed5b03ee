"""The module's own promises, which need no jwst: stubs for everything public, documentation
that help() shows, the products kept in Rust until read, and check() as --check reports."""

import ast
import json
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

import asn_from_list
from asn_from_list import asn_from_list as make

PACKAGE = pathlib.Path(asn_from_list.__file__).parent


def stub_names(name):
    tree = ast.parse((PACKAGE / name).read_text())
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign):
            names.add(node.target.id)
        elif isinstance(node, ast.ImportFrom):
            names.update(alias.asname or alias.name for alias in node.names)
    return names


def test_every_public_name_has_a_stub():
    assert set(asn_from_list.__all__) <= stub_names("__init__.pyi")
    assert set(asn_from_list.rules.__all__) <= stub_names("rules.pyi")
    native = {n for n in dir(asn_from_list._native) if not n.startswith("_")}
    assert native <= stub_names("_native.pyi") | {"Found", "Products"}
    assert (PACKAGE / "py.typed").exists()


def test_help_documents_the_arguments():
    for thing in [asn_from_list, make, asn_from_list.Association, asn_from_list.check]:
        assert thing.__doc__ and len(thing.__doc__) > 80, thing
    for argument in ["product_name", "with_exptype", "acid", "meta", "product_name_func"]:
        assert argument in make.__doc__


def test_rule_stand_ins_are_named_rules():
    for name in asn_from_list.RULE_NAMES:
        assert getattr(asn_from_list.rules, name).__name__ == name
    asn = make(["a_rate.fits"], rule=asn_from_list.DMSLevel2bBase)
    assert asn["asn_rule"] == "DMSLevel2bBase"


def test_an_unknown_rule_names_the_closest():
    with pytest.raises(ValueError, match="Asn_Lv2Image"):
        make(["a"], rule="Asn_Lv2Imag")
    with pytest.raises(TypeError):
        make(["a"], rule=5)


def test_products_stay_in_rust_until_read():
    asn = make([f"f{i}_cal.fits" for i in range(1000)], product_name="p")
    assert isinstance(asn._data["products"], asn_from_list._native.Products)
    asn["asn_type"] = "image3"
    assert asn.keys() == asn._data.keys()
    assert isinstance(asn._data["products"], asn_from_list._native.Products)
    before = asn.dump()
    members = asn["products"][0]["members"]
    assert type(members) is list and members[999] == {"expname": "f999_cal.fits", "exptype": "science"}
    assert asn.dump() == before
    assert json.loads(before[1])["asn_type"] == "image3"


def test_copies_and_pickles_hold_the_same_association():
    import copy
    import pickle

    asn = make(["a_cal.fits", "b_cal.fits"], product_name="p")
    assert copy.deepcopy(asn).dump() == asn.dump()
    assert pickle.loads(pickle.dumps(asn)).dump() == asn.dump()
    assert copy.copy(asn).dump() == asn.dump()


def test_members_of_other_objects_are_members_as_in_jwst():
    asn = make([(pathlib.Path("a.fits"), "science")], product_name="p", with_exptype=True)
    member = asn["products"][0]["members"][0]
    assert isinstance(member, asn_from_list.Member)
    assert '"expname": null' in asn.dump()[1]


def test_check_of_an_association_made_here(tmp_path):
    (tmp_path / "a_cal.fits").write_bytes(b"SIMPLE  =")
    asn = make(["a_cal.fits", "gone_cal.fits"], rule="Asn_Lv3Image", product_name="p")
    findings = asn_from_list.check(asn, folder=tmp_path)
    assert [(f.severity, f.member) for f in findings] == [("error", "gone_cal.fits")]
    assert str(findings[0]).startswith(str(tmp_path / asn.dump()[0]) + ": error: product 'p'")
    assert asn_from_list.check(asn, member_files=False) == []


def command():
    """The command the wheel installed beside this Python, or else the one on PATH."""
    beside = pathlib.Path(sys.executable).parent / "asn-from-list"
    found = str(beside) if beside.exists() else shutil.which("asn-from-list")
    if found is None:
        pytest.skip("the asn-from-list command is neither beside this Python nor on PATH")
    return found


@pytest.mark.parametrize("member_files", [True, False])
def test_check_reports_what_the_command_reports(tmp_path, member_files):
    files = {
        "good_asn.json": make(["a_cal.fits"], product_name="p").dump()[1],
        "typo_asn.json": json.dumps(
            {"asn_type": "image3", "products": [{"name": "p", "members": [
                {"expname": "m.fits", "exptype": "sciense"}]}]}
        ),
        "broken_asn.json": "{not json",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    paths = sorted(files) + ["missing_asn.json"]
    argv = [command(), "--check", *paths] + ([] if member_files else ["--no-files"])
    want = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True).stdout
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        got = asn_from_list.check(paths, member_files=member_files)
    finally:
        os.chdir(cwd)
    assert "".join(f"{f}\n" for f in got) == want


def test_the_notebook_example_runs(tmp_path):
    example = pathlib.Path(__file__).resolve().parents[2] / "examples" / "notebook.py"
    env = dict(os.environ, TMPDIR=str(tmp_path))
    run = subprocess.run([sys.executable, str(example)], capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stderr
    assert "jwnoprogram-a3001_spec3_" in run.stdout
    assert "member file not found" in run.stdout


HEADERS = pathlib.Path(__file__).resolve().parents[2] / "examples" / "data" / "headers"
MADE_BY = '"constraints": "made from FITS headers by '


def constraints_aside(text):
    return "\n".join(line for line in text.splitlines() if MADE_BY not in line)


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("stage", [None, 2, 3])
def test_auto_makes_what_the_command_writes(tmp_path, stage):
    files = sorted(str(p) for p in HEADERS.glob("*.fits"))
    argv = [command(), "--auto", "-o", str(tmp_path), *files]
    if stage is not None:
        argv[2:2] = ["--stage", str(stage)]
    subprocess.run(argv, check=True, capture_output=True)
    written = {p.name: p.read_text() for p in tmp_path.glob("*_asn.json")}
    made = asn_from_list.auto(files, stage=stage, folder=tmp_path)
    assert [name for name, _ in made] == sorted(written, key=[n for n, _ in made].index)
    assert sorted(name for name, _ in made) == sorted(written)
    for name, asn in made:
        dumped_name, text = asn.dump()
        assert dumped_name == name
        assert constraints_aside(text) == constraints_aside(written[name])
        assert '"made from FITS headers by asn_from_list.auto()"' in text


def test_auto_names_the_files_it_cannot_use(tmp_path):
    bad = tmp_path / "not_fits.fits"
    bad.write_text("hello")
    good = sorted(str(p) for p in HEADERS.glob("*.fits"))
    with pytest.raises(ValueError, match="1 file cannot be used; skip_bad=True leaves it out"):
        asn_from_list.auto([*good, str(bad)])
    with pytest.warns(UserWarning, match="not_fits.fits"):
        made = asn_from_list.auto([*good, str(bad)], skip_bad=True)
    assert made
    with pytest.raises(ValueError, match="stage must be 2, 3 or None"):
        asn_from_list.auto(good, stage=1)


@pytest.mark.parametrize("acid, kind", [("o002", "observation"), ("c1001", "background")])
def test_an_acid_reads_as_its_id(acid, kind):
    asn = make(["jw01_rate.fits"], rule="DMSLevel2bBase", acid=acid)
    assert (str(asn.acid), asn.acid.type) == (acid, kind)
    assert str(make(["a.fits"], product_name="p").acid) == "a3001"
