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
