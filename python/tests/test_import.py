"""The installed wheel: the module imports, and the command beside it is the same release."""

import os
import subprocess
import sysconfig
from importlib import metadata

import asn_from_list

SCRIPTS = sysconfig.get_path("scripts")


def test_version_is_the_commands():
    out = subprocess.run(
        [os.path.join(SCRIPTS, "asn-from-list"), "--version"],
        capture_output=True, text=True, check=True,
    ).stdout
    assert out == f"asn-from-list {asn_from_list.__version__}\n"


def test_the_command_is_a_native_program():
    with open(os.path.join(SCRIPTS, "asn-from-list"), "rb") as f:
        magic = f.read(4)
    # ELF, or 64-bit Mach-O: not a Python script that would start an interpreter first.
    assert magic in (b"\x7fELF", b"\xcf\xfa\xed\xfe"), magic


def test_the_package_installs_no_asn_from_list_script():
    # jwst's own script of that name may be beside it; the package must not own one.
    names = [f.name for f in metadata.files("asn-from-list")]
    assert "asn-from-list" in names
    assert "asn_from_list" not in names
