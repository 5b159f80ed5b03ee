//! List files (`--files-from`) and patterns as a user meets them: lists from `find -print0`,
//! from Windows editors and old Macs, lists that are not lists at all, folders a pattern cannot
//! read.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::process::Command as StdCommand;
use std::time::Duration;

use crate::common::*;
use predicates::prelude::*;

fn names(asn: &serde_json::Value) -> Vec<String> {
    members(asn)[0]
        .iter()
        .map(|(name, _)| name.clone())
        .collect()
}

#[test]
fn null_reads_names_as_find_print0_writes_them() {
    let env = Env::new();
    env.write("list", b"./a b_cal.fits\0./#c_cal.fits\0./d\te_cal.fits\0");
    let asn = env.written("--product-name p --null --files-from list");
    assert_eq!(
        names(&asn),
        ["./a b_cal.fits", "./#c_cal.fits", "./d\te_cal.fits"]
    );
}

#[test]
fn null_works_with_find_itself() {
    let env = Env::new();
    env.touch("x_cal.fits y_cal.fits");
    let find = StdCommand::new("find")
        .args([".", "-name", "*_cal.fits", "-print0"])
        .current_dir(env.path())
        .output()
        .unwrap();
    let out = env
        .cmd()
        .args([
            "-o",
            "-",
            "--product-name",
            "p",
            "--null",
            "--files-from",
            "-",
        ])
        .write_stdin(find.stdout)
        .assert()
        .success();
    let asn: serde_json::Value = serde_json::from_str(&stdout_of(&out)).unwrap();
    let mut got = names(&asn);
    got.sort();
    assert_eq!(got, ["./x_cal.fits", "./y_cal.fits"]);
}

#[test]
fn a_nul_byte_in_a_list_of_lines_names_the_line_and_suggests_null() {
    let env = Env::new();
    env.write("list", b"a_cal.fits\nb_cal.fits\0c_cal.fits\0");
    env.fails(1, "--product-name p --files-from list").stderr(
        "asn-from-list: error: 'list' line 2: a NUL byte, which no file name holds; this looks \
         like a list of NUL-separated names; read a list of NUL-separated names with --null\n",
    );
}

#[test]
fn a_byte_order_mark_is_not_part_of_the_first_name() {
    let env = Env::new();
    env.write("list", "\u{feff}a_cal.fits\r\nb_cal.fits\r\n");
    assert_eq!(
        names(&env.written("--product-name p --files-from list")),
        ["a_cal.fits", "b_cal.fits"]
    );
    env.write("list", "\u{feff}# a comment\nb_cal.fits\n");
    assert_eq!(
        names(&env.written("--product-name p --files-from list")),
        ["b_cal.fits"]
    );
}

#[test]
fn old_mac_line_ends_give_one_member_a_line() {
    let env = Env::new();
    env.write("list", "a_cal.fits\rb_cal.fits\r# c\rd_cal.fits\r");
    assert_eq!(
        names(&env.written("--product-name p --files-from list")),
        ["a_cal.fits", "b_cal.fits", "d_cal.fits"]
    );
}

#[test]
fn a_type_after_spaces_warns_to_use_a_tab() {
    let env = Env::new();
    env.write("list", "s_cal.fits\na_cal.fits    psf\n");
    env.run("-o out.json --product-name p --files-from list")
        .success()
        .stderr(predicate::str::contains(
            "warning: 'list' line 2: 'a_cal.fits    psf' looks like a name and a member type \
             separated by spaces; it is taken as one name; put a tab before the type",
        ));
}

#[test]
fn an_unknown_type_names_the_line_and_the_nearest_type() {
    let env = Env::new();
    env.write("list", "s_cal.fits\nr_cal.fits\tpfs\n");
    env.run("-o out.json --product-name p --files-from list")
        .success()
        .stderr(predicate::str::contains(
            "warning: 'list' line 2: unknown member type 'pfs' (did you mean 'psf'?)",
        ));
}

#[test]
fn spaces_around_a_name_draw_a_warning_naming_the_line() {
    let env = Env::new();
    env.write("list", "a_cal.fits\n  b_cal.fits \n");
    let out = env
        .cmd()
        .args([
            "-o",
            "out.json",
            "--product-name",
            "p",
            "--files-from",
            "list",
        ])
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "warning: 'list' line 2: the name '  b_cal.fits ' starts or ends with spaces",
        ));
    drop(out);
    assert_eq!(names(&env.json("out.json"))[1], "  b_cal.fits ");
}

#[test]
fn a_list_without_line_ends_stops_long_before_memory_runs_out() {
    let env = Env::new();
    // Like `yes | tr -d '\n'`: 64 MiB that would all be one name.
    let endless = vec![b'y'; 64 << 20];
    env.cmd()
        .args(["-o", "out.json", "--product-name", "p", "--files-from", "-"])
        .write_stdin(endless)
        .timeout(Duration::from_secs(20))
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "'-' line 1: longer than 4096 bytes, which no file path is",
        ));
    assert!(env.entries().is_empty());
}

/// Runs `asn-from-list ARGS` in `env` under an address-space limit of `kib`, as batch
/// clusters set one (`ulimit -v`), in a shell of its own.
fn under_ulimit(env: &Env, kib: u64, args: &str) -> std::process::Output {
    let bin = assert_cmd::cargo::cargo_bin!("asn-from-list");
    StdCommand::new("sh")
        .args(["-c", &format!("ulimit -v {kib}; exec \"$0\" {args}")])
        .arg(bin)
        .current_dir(env.path())
        .output()
        .unwrap()
}

#[test]
fn blank_lines_cost_no_memory_per_line() {
    let env = Env::new();
    // 100 MB of blank lines, then a name, a comment and a bad line whose number must be right.
    let mut list = vec![b'\n'; 100_000_000];
    list.extend_from_slice(b"a_cal.fits\r\n\r\n# b\rc_cal.fits\n");
    env.write("blank.txt", &list);
    let run = under_ulimit(
        &env,
        2_000_000,
        "-o - --product-name p --files-from blank.txt",
    );
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    let asn: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(names(&asn), ["a_cal.fits", "c_cal.fits"]);

    list.extend_from_slice(b"d.fits\t\n");
    env.write("blank.txt", &list);
    let run = under_ulimit(
        &env,
        2_000_000,
        "-o - --product-name p --files-from blank.txt",
    );
    assert_eq!(
        String::from_utf8_lossy(&run.stderr),
        "asn-from-list: error: 'blank.txt' line 100000005: no member type after the tab; write \
         NAME<TAB>EXPTYPE, or NAME alone for science\n"
    );
}

#[test]
fn a_device_of_zeros_as_a_list_is_an_error_at_once() {
    if !needs_root("mknod") {
        return;
    }
    let env = Env::new();
    mknod_char(&env.join("zero"), 1, 5);
    for (flags, message) in [
        ("", "'zero' line 1: a NUL byte"),
        ("--null", "'zero' name 1: empty (two NUL bytes in a row)"),
    ] {
        env.cmd()
            .args([
                "-o",
                "out.json",
                "--product-name",
                "p",
                "--files-from",
                "zero",
            ])
            .args(words(flags))
            .timeout(Duration::from_secs(20))
            .assert()
            .code(1)
            .stderr(predicate::str::contains(message));
    }
    assert_eq!(env.entries(), ["zero"]);
}

#[test]
fn a_pattern_skips_a_folder_it_cannot_read_with_a_warning() {
    let env = Env::new();
    env.touch("d1/x_cal.fits d2/y_cal.fits");
    fs::set_permissions(env.join("d2"), fs::Permissions::from_mode(0o000)).unwrap();
    let out = as_nobody(&["-o", "-", "--product-name", "p", "d*/*_cal.fits"])
        .current_dir(env.path())
        .output()
        .unwrap();
    fs::set_permissions(env.join("d2"), fs::Permissions::from_mode(0o755)).unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("warning: 'd*/*_cal.fits': cannot read 'd2'"),
        "{err}"
    );
    let asn: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(names(&asn), ["d1/x_cal.fits"]);
}
