"""The installed wheel: the module imports, and the command beside it is the same release."""

import os
import subprocess
import sysconfig

import asn_from_list

SCRIPTS = sysconfig.get_path("scripts")


def test_version_is_the_commands():
    out = subprocess.run(
        [os.path.join(SCRIPTS, "asn-from-list"), "--version"],
        capture_output=True, text=True, check=True,
    ).stdout
    assert out == f"asn-from-list {asn_from_list.__version__}\n"


def test_the_command_is_a_native_program_and_the_drop_in_name_is_not_installed():
    with open(os.path.join(SCRIPTS, "asn-from-list"), "rb") as f:
        magic = f.read(4)
    # ELF, or 64-bit Mach-O: not a Python script that would start an interpreter first.
    assert magic in (b"\x7fELF", b"\xcf\xfa\xed\xfe"), magic
    assert not os.path.exists(os.path.join(SCRIPTS, "asn_from_list"))
