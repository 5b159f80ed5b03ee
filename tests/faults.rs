//! Faults and bad input: each must end in a clear error or a quiet stop, never a panic, and
//! never a half-written output.
#![cfg(unix)]

use std::fs;
use std::io::Read;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::Path;
use std::process::{Command as StdCommand, Stdio};
use std::thread;
use std::time::Duration;

use assert_cmd::assert::OutputAssertExt;
use assert_cmd::cargo::cargo_bin_cmd;
use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;
use tempfile::TempDir;

fn asn(dir: &TempDir) -> Command {
    let mut cmd = cargo_bin_cmd!("asn-from-list");
    cmd.current_dir(dir.path());
    cmd
}

fn tmp() -> TempDir {
    tempfile::tempdir().unwrap()
}

/// A list of `n` exposure names, written to `names.txt`, for outputs large enough to take time.
fn big_list(dir: &TempDir, n: usize) -> String {
    let text: String = (0..n)
        .map(|i| format!("jw{i:011}_02101_00001_nrca1_cal.fits\n"))
        .collect();
    fs::write(dir.path().join("names.txt"), text).unwrap();
    "names.txt".to_string()
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_full_standard_output_is_an_error() {
    let dir = tmp();
    let full = fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    StdCommand::new(assert_cmd::cargo::cargo_bin!("asn-from-list"))
        .current_dir(dir.path())
        .args(["-o", "-", "--product-name", "p", "a"])
        .stdout(full)
        .output()
        .unwrap()
        .assert()
        .code(1)
        .stderr("asn-from-list: error: cannot write to standard output: No space left on device (os error 28)\n");
}

#[test]
fn a_reader_that_closes_the_pipe_stops_it_quietly() {
    let dir = tmp();
    let list = big_list(&dir, 200_000);
    let mut child = StdCommand::new(assert_cmd::cargo::cargo_bin!("asn-from-list"))
        .current_dir(dir.path())
        .args(["-o", "-", "--product-name", "p", "--files-from", &list])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut head = [0u8; 100];
    child.stdout.take().unwrap().read_exact(&mut head).unwrap();
    // The pipe's read end is dropped here, as `head` does once it has its lines.
    let out = child.wait_with_output().unwrap();
    assert!(head.starts_with(b"{\n    \"asn_type\""));
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[test]
fn an_output_path_that_is_a_directory_is_an_error() {
    let dir = tmp();
    fs::create_dir(dir.path().join("sub")).unwrap();
    asn(&dir)
        .args(["-o", "sub", "--product-name", "p", "a"])
        .assert()
        .code(1)
        .stderr("asn-from-list: error: 'sub' is a directory, not a file; give -o a file path\n");
    assert_eq!(entries(&dir.path().join("sub")), Vec::<String>::new());
}

#[test]
fn an_output_in_a_missing_directory_is_an_error() {
    let dir = tmp();
    asn(&dir)
        .args(["-o", "nowhere/out.json", "--product-name", "p", "a"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "directory 'nowhere' does not exist",
        ));
    assert_eq!(entries(dir.path()), Vec::<String>::new());
}

#[test]
fn an_output_that_cannot_be_written_is_an_error() {
    // Nobody, root included, can create files in /proc.
    let dir = tmp();
    asn(&dir)
        .args(["-o", "/proc/asn_out.json", "--product-name", "p", "a"])
        .assert()
        .code(1)
        .stderr(predicate::str::starts_with(
            "asn-from-list: error: cannot write '/proc/asn_out.json'",
        ));
    assert!(!Path::new("/proc/asn_out.json").exists());
}

#[test]
fn an_output_under_a_file_is_an_error() {
    let dir = tmp();
    fs::write(dir.path().join("plain"), "x").unwrap();
    asn(&dir)
        .args(["-o", "plain/out.json", "--product-name", "p", "a"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("'plain/out.json'"));
    assert_eq!(entries(dir.path()), ["plain"]);
}

#[test]
fn a_file_name_that_is_not_utf8_is_an_error_showing_it() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let dir = tmp();
    asn(&dir)
        .args(["-o", "out.json", "--product-name", "p"])
        .arg(OsStr::from_bytes(b"bad\xffname_cal.fits"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "'bad\u{fffd}name_cal.fits': file name is not valid UTF-8",
        ));
    assert_eq!(entries(dir.path()), Vec::<String>::new());
}

/// The size of the largest file in `dir` other than `out.json` and the list: the temporary file
/// an atomic writer is filling.
fn temporary_bytes(dir: &Path) -> u64 {
    fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name() != "out.json" && e.file_name() != "names.txt")
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .max()
        .unwrap_or(0)
}

#[test]
fn a_killed_run_leaves_the_old_file_or_a_whole_new_one() {
    let dir = tmp();
    let list = big_list(&dir, 400_000);
    let out = dir.path().join("out.json");
    // Kill at several points of the write: once this much of the new text exists somewhere.
    for written in [1 << 20, 8 << 20, 32 << 20] {
        fs::write(&out, "old").unwrap();
        let mut child = StdCommand::new(assert_cmd::cargo::cargo_bin!("asn-from-list"))
            .current_dir(dir.path())
            .args([
                "-o",
                "out.json",
                "--product-name",
                "p",
                "--files-from",
                &list,
            ])
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let killed_mid_write = loop {
            if child.try_wait().unwrap().is_some() {
                break false;
            }
            // A writer that is not atomic changes out.json itself: kill it at once.
            let changed = fs::metadata(&out).map_or(true, |m| m.len() != 3);
            if changed || temporary_bytes(dir.path()) >= written {
                child.kill().unwrap(); // SIGKILL
                break true;
            }
            thread::sleep(Duration::from_millis(1));
        };
        child.wait().unwrap();
        let text = fs::read_to_string(&out).unwrap();
        if text != "old" {
            let asn: Value = serde_json::from_str(&text).expect("a whole association");
            assert_eq!(
                asn["products"][0]["members"].as_array().unwrap().len(),
                400_000
            );
        }
        assert!(
            killed_mid_write,
            "the run ended before {written} bytes were written"
        );
    }
}

#[test]
fn concurrent_runs_to_one_path_leave_one_whole_association() {
    let dir = tmp();
    let list = big_list(&dir, 20_000);
    let children: Vec<_> = (0..8)
        .map(|i| {
            StdCommand::new(assert_cmd::cargo::cargo_bin!("asn-from-list"))
                .current_dir(dir.path())
                .args(["-o", "out.json", "--product-name", &format!("run{i}")])
                .args(["--files-from", &list])
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    let asn: Value =
        serde_json::from_str(&fs::read_to_string(dir.path().join("out.json")).unwrap()).unwrap();
    assert!(asn["products"][0]["name"]
        .as_str()
        .unwrap()
        .starts_with("run"));
    assert_eq!(
        asn["products"][0]["members"].as_array().unwrap().len(),
        20_000
    );
    assert_eq!(entries(dir.path()), ["names.txt", "out.json"]);
}

#[test]
fn an_output_that_is_a_symlink_is_written_through_and_stays_a_link() {
    let dir = tmp();
    fs::create_dir(dir.path().join("real")).unwrap();
    fs::write(dir.path().join("real/target.json"), "old").unwrap();
    symlink("real/target.json", dir.path().join("link.json")).unwrap();
    asn(&dir)
        .args(["-o", "link.json", "--product-name", "p", "a"])
        .assert()
        .success();
    let link = dir.path().join("link.json");
    assert!(fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    let text = fs::read_to_string(dir.path().join("real/target.json")).unwrap();
    assert!(text.contains("\"expname\": \"a\""));
    assert_eq!(entries(&dir.path().join("real")), ["target.json"]);
}

#[test]
fn a_dangling_symlink_creates_its_target() {
    let dir = tmp();
    symlink("made.json", dir.path().join("link.json")).unwrap();
    asn(&dir)
        .args(["-o", "link.json", "--product-name", "p", "a"])
        .assert()
        .success();
    assert!(dir.path().join("made.json").is_file());
    assert!(fs::symlink_metadata(dir.path().join("link.json"))
        .unwrap()
        .file_type()
        .is_symlink());
}

#[test]
fn replacing_a_file_keeps_its_permission_bits() {
    let dir = tmp();
    let out = dir.path().join("out.json");
    fs::write(&out, "old").unwrap();
    fs::set_permissions(&out, fs::Permissions::from_mode(0o640)).unwrap();
    asn(&dir)
        .args(["-o", "out.json", "--product-name", "p", "a"])
        .assert()
        .success();
    assert_eq!(
        fs::metadata(&out).unwrap().permissions().mode() & 0o777,
        0o640
    );
    assert!(fs::read_to_string(&out)
        .unwrap()
        .contains("\"name\": \"p\""));
}

#[test]
fn a_read_only_output_is_refused_and_kept() {
    // Root may write anything, so as root the run drops to the user nobody, as setpriv does.
    let dir = tmp();
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o777)).unwrap();
    let out = dir.path().join("out.json");
    fs::write(&out, "precious").unwrap();
    fs::set_permissions(&out, fs::Permissions::from_mode(0o444)).unwrap();
    let binary = assert_cmd::cargo::cargo_bin!("asn-from-list");
    let mut cmd = if is_root() {
        let mut cmd = StdCommand::new("setpriv");
        cmd.args(["--reuid=nobody", "--regid=nogroup", "--clear-groups"])
            .arg(binary);
        cmd
    } else {
        StdCommand::new(binary)
    };
    cmd.current_dir(dir.path())
        .args(["-o", "out.json", "--product-name", "p", "a"])
        .output()
        .unwrap()
        .assert()
        .code(1)
        .stderr("asn-from-list: error: cannot write 'out.json': Permission denied (os error 13)\n");
    assert_eq!(fs::read_to_string(&out).unwrap(), "precious");
    assert_eq!(entries(dir.path()), ["out.json"]);
}

fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    // /proc/self belongs to this process's user: uid 0 is root.
    fs::metadata("/proc/self").unwrap().uid() == 0
}

#[test]
fn a_new_file_gets_the_usual_permissions_not_a_temporary_files() {
    let dir = tmp();
    let out = dir.path().join("out.json");
    // Run under a known umask so the expected mode does not depend on the caller's.
    let status = StdCommand::new("sh")
        .current_dir(dir.path())
        .arg("-c")
        .arg("umask 022 && exec \"$0\" -o out.json --product-name p a")
        .arg(assert_cmd::cargo::cargo_bin!("asn-from-list"))
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(
        fs::metadata(&out).unwrap().permissions().mode() & 0o777,
        0o644
    );
}
