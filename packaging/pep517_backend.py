"""The wheel's PEP 517 backend: maturin's, with the native command placed beside the module.

maturin builds the extension module `asn_from_list._native`, but it cannot put a program of
the workspace into the same wheel (PyO3/maturin#368). So this builds `asn-from-list` with cargo
first, for the wheel's target, and places it in the wheel data folder that pyproject.toml's
`tool.maturin.data` names: what is in its `scripts/` is installed on the environment's PATH as
it is, a native program that starts in milliseconds, not a Python shim. Every hook then runs
maturin's own.

It is also a command, for packaging/build-wheels, which builds the program for a cross target
with zig before it runs `maturin build --zig`:

    python3 packaging/pep517_backend.py command [--target TRIPLE] [--zig]
"""

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys

try:
    import tomllib
except ModuleNotFoundError:  # Python before 3.11; maturin's own package depends on tomli there
    import tomli as tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROGRAM = "asn-from-list"


def _config():
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        return tomllib.load(f)["tool"]["maturin"]


def _data_dir():
    """The wheel data folder, made if missing: maturin refuses to start without it."""
    data = os.path.join(ROOT, _config()["data"])
    os.makedirs(data, exist_ok=True)
    return data


def _target(config_settings):
    """The target triple maturin is asked to build for (`--target` or CARGO_BUILD_TARGET)."""
    import maturin

    args = maturin.get_maturin_pep517_args(config_settings)
    for i, arg in enumerate(args):
        if arg == "--target" and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--target="):
            return arg.split("=", 1)[1]
    return os.environ.get("CARGO_BUILD_TARGET") or None


def build_command(target=None, zig=False):
    """Builds the program for `target` (None: this machine) and places it in the data
    folder's scripts/, alone. With `zig`, links it as `maturin build --zig` links the module:
    through cargo-zigbuild, for a Linux target against glibc 2.17 (manylinux2014)."""
    config = _config()
    env = dict(os.environ)
    command = ["cargo-zigbuild", "rustc"] if zig else ["cargo", "rustc"]
    command += ["--release", "--bin", PROGRAM, "--no-default-features"]
    command += ["--manifest-path", os.path.join(ROOT, "Cargo.toml")]
    command += ["--message-format=json-render-diagnostics"]
    if config.get("locked"):
        command.append("--locked")
    if target:
        zig_linux = zig and target.endswith("-linux-gnu")
        command += ["--target", target + ".2.17" if zig_linux else target]
        if target.endswith("-apple-darwin") and "MACOSX_DEPLOYMENT_TARGET" not in env:
            # The oldest macOS the wheel's tag names; maturin sets the same for the module.
            printed = subprocess.run(
                ["rustc", "--print", "deployment-target", "--target", target],
                capture_output=True, text=True, check=True,
            ).stdout
            env["MACOSX_DEPLOYMENT_TARGET"] = printed.strip().split("=")[-1]
    if config.get("strip"):
        # As maturin strips the module. `cargo rustc` gives it to the program's crate alone,
        # so the library and its dependencies build as for any other release build.
        command += ["--", "-C", "strip=symbols"]
    print("Running `{}`".format(shlex.join(command)), file=sys.stderr, flush=True)
    result = subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, check=False)
    if result.returncode != 0:
        sys.exit(f"{PROGRAM}: building the program failed ({shlex.join(command)})")
    built = None
    for line in result.stdout.decode(errors="replace").splitlines():
        message = json.loads(line) if line.startswith("{") else {}
        if message.get("reason") == "compiler-artifact" and message.get("executable"):
            if message["target"]["name"] == PROGRAM:
                built = message["executable"]
    if built is None:
        sys.exit(f"{PROGRAM}: cargo built no program {PROGRAM}")
    scripts = os.path.join(_data_dir(), "scripts")
    shutil.rmtree(scripts, ignore_errors=True)
    os.makedirs(scripts)
    placed = os.path.join(scripts, PROGRAM)
    shutil.copyfile(built, placed)
    os.chmod(placed, 0o755)
    return placed


# The PEP 517 hooks. maturin is imported in each, not above: the command mode runs without it.


def get_requires_for_build_wheel(config_settings=None):
    import maturin

    return maturin.get_requires_for_build_wheel(config_settings)


def get_requires_for_build_editable(config_settings=None):
    import maturin

    return maturin.get_requires_for_build_editable(config_settings)


def get_requires_for_build_sdist(config_settings=None):
    import maturin

    return maturin.get_requires_for_build_sdist(config_settings)


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    import maturin

    _data_dir()
    return maturin.prepare_metadata_for_build_wheel(metadata_directory, config_settings)


def prepare_metadata_for_build_editable(metadata_directory, config_settings=None):
    import maturin

    _data_dir()
    return maturin.prepare_metadata_for_build_editable(metadata_directory, config_settings)


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    import maturin

    build_command(_target(config_settings))
    return maturin.build_wheel(wheel_directory, config_settings, metadata_directory)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    import maturin

    build_command(_target(config_settings))
    return maturin.build_editable(wheel_directory, config_settings, metadata_directory)


def build_sdist(sdist_directory, config_settings=None):
    import maturin

    _data_dir()
    return maturin.build_sdist(sdist_directory, config_settings)


def main():
    parser = argparse.ArgumentParser(
        prog="pep517_backend.py", description="Build the program into the wheel data folder."
    )
    sub = parser.add_subparsers(dest="what", required=True)
    command = sub.add_parser("command", help=f"build {PROGRAM} and place it in scripts/")
    command.add_argument("--target", help="a Rust target triple (default: this machine)")
    command.add_argument("--zig", action="store_true", help="link with cargo-zigbuild")
    args = parser.parse_args()
    print(build_command(args.target, args.zig))


if __name__ == "__main__":
    main()
