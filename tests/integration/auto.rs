//! `--auto`: associations from FITS headers, held to the pipeline's own generator. Each
//! header-mode scenario (`tests/fixtures/header-mode`, synthetic exposures with the
//! generator's associations in `expected.json`) runs as the shared checks run it, and every
//! association, Stage 2 and Stage 3, must be identical under the comparer's normalisation
//! (`SPEC.md` §5).

use std::fs;
use std::path::Path;

use crate::common::*;
use predicates::prelude::*;
use serde_json::{json, Value};

const STAGE2: &[&str] = &[
    "image2",
    "spec2",
    "tso-image2",
    "tso-spec2",
    "nrslamp-spec2",
];

/// The shared scenario of this name.
fn scenario(name: &str) -> std::path::PathBuf {
    scenarios()
        .into_iter()
        .find(|d| d.ends_with(name))
        .unwrap_or_else(|| panic!("no scenario {name}"))
}

fn fits_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".fits"))
        .collect();
    names.sort();
    names
}

/// An association as the comparer sees it: its keys, and each product's name and sorted
/// `[exptype, base name]` members.
fn normalise(asn: &Value) -> Value {
    let base = |name: &str| name.rsplit(['/', '\\']).next().unwrap().to_string();
    let products: Vec<Value> = asn["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let mut members: Vec<(String, String)> = p["members"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| match m {
                    Value::Array(pair) => (
                        pair[0].as_str().unwrap().into(),
                        base(pair[1].as_str().unwrap()),
                    ),
                    m => (
                        m["exptype"].as_str().unwrap().into(),
                        base(m["expname"].as_str().unwrap()),
                    ),
                })
                .collect();
            members.sort();
            json!({"name": p["name"], "members": members})
        })
        .collect();
    json!({
        "asn_type": asn["asn_type"], "asn_id": asn["asn_id"], "asn_rule": asn["asn_rule"],
        "program": asn["program"], "target": asn["target"], "products": products,
    })
}

/// Runs every scenario with `args`, and holds what was written to the generator's associations
/// whose type `keep` takes: (identical, expected, what differs).
fn against_the_generator(args: &[&str], keep: fn(&str) -> bool) -> (usize, usize, Vec<String>) {
    against_the_generator_in(scenarios(), args, keep)
}

fn against_the_generator_in(
    dirs: Vec<std::path::PathBuf>,
    args: &[&str],
    keep: fn(&str) -> bool,
) -> (usize, usize, Vec<String>) {
    let mut identical = 0;
    let mut expected_count = 0;
    let mut report = Vec::new();
    for dir in dirs {
        let env = Env::new();
        let out = env.join("out");
        let run = env
            .cmd()
            .current_dir(&dir)
            .arg("--auto")
            .args(args)
            .arg("-o")
            .arg(&out)
            .args(fits_names(&dir))
            .output()
            .unwrap();
        assert!(
            run.status.success(),
            "{}: {}",
            dir.display(),
            String::from_utf8_lossy(&run.stderr)
        );
        let expected: Vec<Value> =
            serde_json::from_slice(&fs::read(dir.join("expected.json")).unwrap()).unwrap();
        let expected: Vec<Value> = expected
            .iter()
            .filter(|a| keep(a["asn_type"].as_str().unwrap()))
            .map(normalise)
            .collect();
        let mut written: Vec<Value> = fs::read_dir(&out)
            .unwrap()
            .map(|e| {
                normalise(&serde_json::from_slice(&fs::read(e.unwrap().path()).unwrap()).unwrap())
            })
            .collect();
        expected_count += expected.len();
        for want in &expected {
            match written.iter().position(|got| got == want) {
                Some(at) => {
                    written.remove(at);
                    identical += 1;
                }
                None => report.push(format!("{}: missing {want}", dir.display())),
            }
        }
        report.extend(
            written
                .iter()
                .map(|extra| format!("{}: extra {extra}", dir.display())),
        );
    }
    (identical, expected_count, report)
}

fn stage2(asn_type: &str) -> bool {
    STAGE2.contains(&asn_type)
}

fn stage3(asn_type: &str) -> bool {
    !stage2(asn_type)
}

#[test]
fn every_association_of_every_scenario_is_the_generator_s() {
    let (identical, expected, report) = against_the_generator(&[], |_| true);
    assert!(report.is_empty(), "{}", report.join("\n"));
    assert_eq!((identical, expected), (217, 217));
}

#[test]
fn every_association_of_our_own_scenarios_is_the_generator_s() {
    let (identical, expected, report) = against_the_generator_in(own_scenarios(), &[], |_| true);
    assert!(report.is_empty(), "{}", report.join("\n"));
    assert_eq!((identical, expected), (221, 221));
}

#[test]
fn every_association_of_the_rule_scenarios_is_the_generator_s() {
    let (identical, expected, report) = against_the_generator_in(rule_scenarios(), &[], |_| true);
    assert!(report.is_empty(), "{}", report.join("\n"));
    assert_eq!((identical, expected), (3405, 3405));
}

#[test]
fn stage_2_alone_is_the_generator_s_stage_2() {
    let (identical, expected, report) = against_the_generator(&["--stage", "2"], stage2);
    assert!(report.is_empty(), "{}", report.join("\n"));
    assert_eq!((identical, expected), (173, 173));
}

#[test]
fn stage_3_alone_is_the_generator_s_stage_3() {
    let (identical, expected, report) = against_the_generator(&["--stage", "3"], stage3);
    assert!(report.is_empty(), "{}", report.join("\n"));
    assert_eq!((identical, expected), (44, 44));
}

#[test]
fn a_dry_run_shows_each_member_and_why_and_writes_nothing() {
    let dir = scenario("miri-imaging-background-obs");
    let env = Env::new();
    let out = env.join("out");
    let run = env
        .cmd()
        .current_dir(&dir)
        .arg("--auto")
        .arg("--dry-run")
        .arg("-o")
        .arg(&out)
        .args(fits_names(&dir))
        .assert()
        .success();
    let table = stdout_of(&run);
    assert!(
        table.contains("image2 c1000 candidate_Asn_Lv2Image"),
        "{table}"
    );
    assert!(table.contains("background"), "{table}");
    assert!(
        table.contains("<- BKGDTARG=T, same DETECTOR=MIRIMAGE FILTER=F770W"),
        "{table}"
    );
    // Stage 3: each group with the keys that made it.
    assert!(
        table.contains("image3 o004 candidate_Asn_Lv3ImageBackground"),
        "{table}"
    );
    assert!(
        table.contains(
            "product jw01040-o003_t001_miri_f770w  (grouped by FILTER=F770W SUBARRAY=FULL \
             EXP_TYPE=MIR_IMAGE"
        ),
        "{table}"
    );
    assert!(!out.exists());
}

#[test]
fn a_file_that_is_not_fits_stops_the_run_unless_skipped() {
    let env = Env::new();
    env.write("notes.txt", "not a header\n".repeat(300));
    env.run("--auto -o out notes.txt")
        .code(1)
        .stderr(predicate::str::contains(
            "'notes.txt': not a FITS file: it does not start with a SIMPLE card",
        ));
    assert!(!env.join("out").exists());
    env.run("--auto --skip-bad -o out notes.txt")
        .success()
        .stderr(predicate::str::contains("skipped"));
}

#[test]
fn files_no_rule_takes_are_listed() {
    let dir = scenario("mixed-bag");
    let env = Env::new();
    env.cmd()
        .current_dir(&dir)
        .arg("--auto")
        .arg("-o")
        .arg(env.join("out"))
        .args(fits_names(&dir))
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "in no association: jw04111005001_02101_00001_nrcb1_rate.fits (NRC_DARK)",
        ));
}

#[test]
fn what_auto_writes_passes_check_with_its_members_in_place() {
    let dir = scenario("nirspec-ifu-2nod");
    let env = Env::new();
    for name in fits_names(&dir) {
        fs::copy(dir.join(&name), env.join(&name)).unwrap();
    }
    env.cmd()
        .arg("--auto")
        .arg("-o")
        .arg("asn")
        .args(fits_names(&dir))
        .assert()
        .success();
    // Stage 2 pipelines read `../x_rate.fits` from the current folder: run them in `asn`.
    let written = entries(&env.join("asn"));
    env.cmd()
        .current_dir(env.join("asn"))
        .arg("--check")
        .args(&written)
        .assert()
        .success()
        .stdout("");
}

/// A file holding only a FITS primary header with these text keywords.
fn header_file(path: &Path, cards: &[(&str, String)]) {
    let mut text = String::new();
    for line in [
        "SIMPLE  =                    T".to_string(),
        "BITPIX  =                    8".to_string(),
        "NAXIS   =                    0".to_string(),
    ]
    .into_iter()
    .chain(cards.iter().map(|(k, v)| format!("{k:<8}= '{v:<8}'")))
    .chain(["END".to_string()])
    {
        text.push_str(&format!("{line:<80}"));
    }
    while text.len() % 2880 != 0 {
        text.push(' ');
    }
    fs::write(path, text).unwrap();
}

fn nircam_image(detector: &str) -> Vec<(&'static str, String)> {
    [
        ("PROGRAM", "01234"),
        ("OBSERVTN", "001"),
        ("TARGNAME", "NGC 1"),
        ("INSTRUME", "NIRCAM"),
        ("EXP_TYPE", "NRC_IMAGE"),
        ("FILTER", "F200W"),
        ("PUPIL", "CLEAR"),
        ("SUBARRAY", "FULL"),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_string()))
    .chain([("DETECTOR", detector.to_string())])
    .collect()
}

#[test]
fn a_keyword_the_mode_needs_is_named_and_nothing_is_written_unless_skipped() {
    let env = Env::new();
    let good = nircam_image("NRCB1");
    header_file(
        &env.join("jw01234001001_02101_00001_nrcb1_rate.fits"),
        &good,
    );
    let no_subarray: Vec<_> = nircam_image("NRCB2")
        .into_iter()
        .filter(|(k, _)| *k != "SUBARRAY")
        .collect();
    header_file(
        &env.join("jw01234001001_02101_00001_nrcb2_rate.fits"),
        &no_subarray,
    );
    let files = [
        "jw01234001001_02101_00001_nrcb1_rate.fits",
        "jw01234001001_02101_00001_nrcb2_rate.fits",
    ];
    env.cmd()
        .args(["--auto", "-o", "out"])
        .args(files)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "'jw01234001001_02101_00001_nrcb2_rate.fits': no SUBARRAY keyword, which NRC_IMAGE \
             associations need",
        ));
    assert!(!env.join("out").exists());
    env.cmd()
        .args(["--auto", "--skip-bad", "-o", "out"])
        .args(files)
        .assert()
        .success()
        .stderr(
            predicate::str::contains("no SUBARRAY keyword")
                .and(predicate::str::contains("skipped")),
        );
    // The good exposure's Stage 2 association, and its image3 (a Stage 3 product of one).
    assert_eq!(
        entries(&env.join("out")),
        [
            "jw01234-o001_image2_00001_asn.json",
            "jw01234-o001_image3_00001_asn.json"
        ]
    );
}

#[test]
fn stage_3_alone_writes_only_stage_3() {
    let env = Env::new();
    header_file(
        &env.join("jw01234001001_02101_00001_nrcb1_rate.fits"),
        &nircam_image("NRCB1"),
    );
    env.run("--auto --stage 3 -o out jw01234001001_02101_00001_nrcb1_rate.fits")
        .success();
    assert_eq!(
        entries(&env.join("out")),
        ["jw01234-o001_image3_00001_asn.json"]
    );
    let image3: Value = serde_json::from_slice(
        &fs::read(env.join("out/jw01234-o001_image3_00001_asn.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        image3["products"][0]["name"],
        "jw01234-o001_t001_nircam_clear-f200w"
    );
    assert_eq!(image3["target"], "t001");
    env.run("--auto --stage 4 -o out2 jw01234001001_02101_00001_nrcb1_rate.fits")
        .code(2)
        .stderr(predicate::str::contains(
            "invalid value '4' for '--stage <N>'",
        ));
}

#[test]
fn a_new_folder_leaves_nothing_beside_it_and_a_second_run_rewrites_the_same_files() {
    let dir = scenario("nirspec-ifu-2nod");
    let env = Env::new();
    let run = || {
        env.cmd()
            .current_dir(&dir)
            .arg("--auto")
            .arg("-o")
            .arg(env.join("out"))
            .args(fits_names(&dir))
            .assert()
            .success();
    };
    run();
    // Only the folder itself: the hidden folder it was filled in was renamed into place.
    assert_eq!(entries(env.path()), ["out"]);
    let contents = || -> Vec<(String, Vec<u8>)> {
        entries(&env.join("out"))
            .into_iter()
            .map(|n| (n.clone(), fs::read(env.join("out").join(&n)).unwrap()))
            .collect()
    };
    let first = contents();
    assert_eq!(first.len(), 8);
    // Into the existing folder, file by file: the same files, nothing else.
    run();
    assert_eq!(first, contents());
}

/// A NIRCam image header for exposure `number` of observation `observation`, named as the
/// archive names it, in `dir`; returns its name.
fn exposure(dir: &Path, observation: usize, number: usize) -> String {
    let name = format!("jw01234{observation:03}001_02101_{number:05}_nrcb1_rate.fits");
    let mut cards = nircam_image("NRCB1");
    for (key, value) in cards.iter_mut() {
        if *key == "OBSERVTN" {
            *value = format!("{observation:03}");
        }
    }
    header_file(&dir.join(&name), &cards);
    name
}

/// One line per file, the problem after the name, and the advice on a line of its own after
/// them all: never an internal name, never "nothing was written" when nothing would be.
#[test]
fn every_bad_file_is_named_on_its_own_line_and_the_advice_comes_last() {
    let env = Env::new();
    let good = exposure(env.path(), 1, 1);
    env.write("notes.fits", "not a header\n".repeat(300));
    env.write("empty.fits", "");
    env.write("x_rate.fits.gz", [0x1f, 0x8b, 8, 0, 0, 0, 0, 0]);
    // Half downloaded: 200 MB of zeros, sparse, read no further than its first block.
    fs::File::create(env.join("half_rate.fits"))
        .unwrap()
        .set_len(200 << 20)
        .unwrap();
    fs::create_dir(env.join("folder_rate.fits")).unwrap();
    // A FIFO no one writes: a reader that waited on it would never finish.
    mkfifo(&env.join("fifo_rate.fits"));
    let no_subarray: Vec<_> = nircam_image("NRCB2")
        .into_iter()
        .filter(|(k, _)| *k != "SUBARRAY")
        .collect();
    header_file(
        &env.join("jw01234001001_02101_00002_nrcb2_rate.fits"),
        &no_subarray,
    );
    let bad = [
        (
            "notes.fits",
            "not a FITS file: it does not start with a SIMPLE card",
        ),
        ("empty.fits", "empty file, not FITS"),
        (
            "x_rate.fits.gz",
            "compressed with gzip, and the pipeline reads only plain FITS: run gunzip on it first",
        ),
        (
            "half_rate.fits",
            "not a FITS file: it starts with zero bytes, as an unfinished download does",
        ),
        ("folder_rate.fits", "a folder, not a FITS file"),
        ("fifo_rate.fits", "a FIFO, not a FITS file"),
        (
            "jw01234001001_02101_00002_nrcb2_rate.fits",
            "no SUBARRAY keyword, which NRC_IMAGE associations need",
        ),
    ];
    for dry in [false, true] {
        let mut cmd = env.cmd();
        cmd.arg("--auto").args(["-o", "out"]).arg(&good);
        if dry {
            cmd.arg("--dry-run");
        }
        let run = cmd
            .args(bad.iter().map(|(name, _)| name))
            .timeout(std::time::Duration::from_secs(60))
            .assert()
            .code(1);
        let stderr = stderr_of(&run);
        let mut want: Vec<String> = bad
            .iter()
            .map(|(name, why)| format!("asn-from-list: error: '{name}': {why}"))
            .collect();
        want.push(
            "asn-from-list: error: 7 files cannot be used; --skip-bad leaves them out".into(),
        );
        assert_eq!(stderr.lines().collect::<Vec<_>>(), want);
        assert!(!env.join("out").exists());
    }
    // Skipped, each is a warning, and the good file's associations are written.
    let run = env
        .cmd()
        .args(["--auto", "--skip-bad", "-o", "out", &good])
        .args(bad.iter().map(|(name, _)| name))
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .success();
    assert_eq!(
        stderr_of(&run)
            .lines()
            .filter(|l| l.ends_with("; skipped"))
            .count(),
        7
    );
    assert_eq!(entries(&env.join("out")).len(), 2);
}

#[test]
fn a_character_device_is_never_read() {
    if !needs_root("mknod") {
        return;
    }
    let env = Env::new();
    // /dev/zero's numbers, in the test's own folder: endless zeros if it were read.
    mknod_char(&env.join("zero_rate.fits"), 1, 5);
    env.cmd()
        .args(["--auto", "-o", "out", "zero_rate.fits"])
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "'zero_rate.fits': a character device, not a FITS file",
        ));
}

#[test]
fn a_header_that_never_ends_stops_at_the_cap_with_one_line() {
    let env = Env::new();
    let mut text = format!("{:<80}", "SIMPLE  =                    T");
    // 2 MB of cards and no END.
    text += &format!("{:<80}", "COMMENT no end").repeat((2 << 20) / 80);
    env.write("long_rate.fits", text);
    let run = env
        .run("--auto -o out long_rate.fits")
        .code(1)
        .stderr(predicate::str::contains(
            "'long_rate.fits': no END card in its first 1048320 bytes",
        ));
    assert_eq!(stderr_of(&run).lines().count(), 2);
}

/// The associations in `dir`, by name, with their text.
fn folder(dir: &Path) -> Vec<(String, Vec<u8>)> {
    entries(dir)
        .into_iter()
        .map(|n| (n.clone(), fs::read(dir.join(&n)).unwrap()))
        .collect()
}

#[test]
fn a_second_run_with_fewer_files_leaves_exactly_its_own_associations() {
    let dir = scenario("nirspec-ifu-2nod");
    let env = Env::new();
    let names = fits_names(&dir);
    let run = |out: &str, files: &[String]| {
        env.cmd()
            .current_dir(&dir)
            .arg("--auto")
            .arg("-o")
            .arg(env.join(out))
            .args(files)
            .assert()
            .success();
    };
    run("out", &names);
    assert_eq!(entries(&env.join("out")).len(), 8);
    run("out", &names[..3]);
    run("fresh", &names[..3]);
    let fresh = folder(&env.join("fresh"));
    assert!(fresh.len() < 8);
    assert_eq!(folder(&env.join("out")), fresh);
    // Nothing beside the folders: no staging folder, no temporary file.
    assert_eq!(env.entries(), ["fresh", "out"]);
}

/// Under a limit of 16 open files (`ulimit -n`; macOS's is 256 unless raised), hundreds of
/// associations are still written, the same as without one.
#[test]
fn a_low_limit_on_open_files_still_writes_every_association() {
    let env = Env::new();
    let inputs = env.join("inputs");
    fs::create_dir(&inputs).unwrap();
    let names: Vec<String> = (1..=3)
        .flat_map(|obs| (1..=60).map(move |n| (obs, n)))
        .map(|(obs, n)| exposure(&inputs, obs, n))
        .collect();
    env.write("names.txt", names.join("\n").as_bytes());
    env.cmd()
        .current_dir(&inputs)
        .args(["--auto", "-o", "../free", "--files-from", "../names.txt"])
        .assert()
        .success();
    let bin = assert_cmd::cargo::cargo_bin!("asn-from-list");
    let limited = std::process::Command::new("sh")
        .args([
            "-c",
            "ulimit -n 16 && exec \"$0\" --auto -o ../limited --files-from ../names.txt",
        ])
        .arg(bin)
        .current_dir(&inputs)
        .output()
        .unwrap();
    assert!(
        limited.status.success(),
        "{}",
        String::from_utf8_lossy(&limited.stderr)
    );
    let free = folder(&env.join("free"));
    assert!(free.len() > 180, "{} associations", free.len());
    assert_eq!(folder(&env.join("limited")), free);
}

#[test]
fn a_folder_holding_anything_else_is_refused_by_name_before_anything_is_written() {
    let dir = scenario("nirspec-ifu-2nod");
    let env = Env::new();
    let run = || {
        env.cmd()
            .current_dir(&dir)
            .arg("--auto")
            .arg("-o")
            .arg(env.join("out"))
            .args(fits_names(&dir))
            .assert()
    };
    run().success();
    let before = folder(&env.join("out"));
    // Notes of one's own, and an association made another way under a generator's name.
    for (name, text) in [
        ("notes.txt", "mine".to_string()),
        (
            "jw02729-o004_spec2_00009_asn.json",
            r#"{"constraints": "made by the generator"}"#.to_string(),
        ),
    ] {
        let path = env.join("out").join(name);
        fs::write(&path, &text).unwrap();
        let failed = run().code(1);
        assert_eq!(
            stderr_of(&failed),
            format!(
                "asn-from-list: error: '{}': not an association made from headers, and \
                 replacing the folder '{}' would remove it; move it elsewhere or write to \
                 another folder\n",
                path.display(),
                env.join("out").display()
            )
        );
        fs::remove_file(&path).unwrap();
        assert_eq!(folder(&env.join("out")), before);
    }
    assert_eq!(env.entries(), ["out"]);
}

#[test]
fn files_from_a_list_with_null_or_standard_input_are_read_as_arguments_are() {
    let env = Env::new();
    let names: Vec<String> = (1..=4).map(|n| exposure(env.path(), 1, n)).collect();
    env.cmd()
        .args(["--auto", "-o", "args"])
        .args(&names)
        .assert()
        .success();
    let want = folder(&env.join("args"));
    assert_eq!(want.len(), 5);
    env.write("names.txt", names.join("\n"));
    env.write("names.nul", names.join("\0"));
    env.run("--auto -o list --files-from names.txt").success();
    env.run("--auto -o nul --null --files-from names.nul")
        .success();
    env.cmd()
        .args(["--auto", "-o", "stdin", "--files-from", "-"])
        .write_stdin(names.join("\n"))
        .assert()
        .success();
    // Members are named relative to each folder, which sits in the same place.
    for out in ["list", "nul", "stdin"] {
        assert_eq!(folder(&env.join(out)), want, "{out}");
    }
    // An argument and a list together.
    env.write("rest.txt", names[1..].join("\n"));
    env.cmd()
        .args([
            "--auto",
            "-o",
            "both",
            "--files-from",
            "rest.txt",
            &names[0],
        ])
        .assert()
        .success();
    assert_eq!(folder(&env.join("both")), want);
}

#[test]
fn standard_output_and_no_input_are_usage_errors_and_a_dry_run_needs_no_folder() {
    let env = Env::new();
    let name = exposure(env.path(), 1, 1);
    env.cmd()
        .args(["--auto", "-o", "-", &name])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--auto writes a folder of associations, never standard output",
        ));
    env.run("--auto -o out").code(2);
    assert_eq!(env.entries(), [name.as_str()]);
    let dry = env
        .cmd()
        .args(["--auto", "--dry-run", &name])
        .assert()
        .success();
    assert!(stdout_of(&dry).contains(&format!("science             {name}")));
}

#[test]
fn a_folder_in_one_the_user_may_not_write_is_written_file_by_file_to_exactly_the_new_set() {
    if !needs_root("running as another user") {
        return;
    }
    let env = Env::new();
    let names: Vec<String> = (1..=4).map(|n| exposure(env.path(), 1, n)).collect();
    // `p` is root's: no staging folder can be made beside `p/out`, which is nobody's.
    fs::create_dir_all(env.join("p/out")).unwrap();
    rustix::fs::chown(
        env.join("p/out"),
        Some(rustix::fs::Uid::from_raw(NOBODY)),
        Some(rustix::fs::Gid::from_raw(NOBODY)),
    )
    .unwrap();
    let run = |files: &[String]| {
        let mut args = vec!["--auto", "-o", "p/out"];
        args.extend(files.iter().map(String::as_str));
        let status = as_nobody(&args).current_dir(env.path()).status().unwrap();
        assert!(status.success());
    };
    run(&names);
    assert_eq!(entries(&env.join("p/out")).len(), 5);
    run(&names[..2]);
    env.cmd()
        .args(["--auto", "-o", "p2/out"])
        .args(&names[..2])
        .assert()
        .success();
    // The same associations as a fresh folder's (members are named alike from both), and no
    // temporary file anywhere.
    assert_eq!(folder(&env.join("p/out")), folder(&env.join("p2/out")));
    assert_eq!(entries(&env.join("p")), ["out"]);
}

/// Standard error on a terminal: a pseudo-terminal this test holds the other end of.
mod terminal {
    use super::*;
    use std::io::Read;
    use std::os::fd::FromRawFd;

    /// Runs `asn-from-list ARGS` in `dir` with standard error on a pseudo-terminal, and returns
    /// what it printed there.
    fn stderr_on_a_terminal(dir: &Path, args: &[&str]) -> String {
        // SAFETY: plain calls on a descriptor this function owns.
        let (master, slave) = unsafe {
            let master = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY);
            assert!(master >= 0);
            assert_eq!(libc::grantpt(master), 0);
            assert_eq!(libc::unlockpt(master), 0);
            let name = std::ffi::CStr::from_ptr(libc::ptsname(master))
                .to_str()
                .unwrap()
                .to_string();
            (fs::File::from_raw_fd(master), name)
        };
        let slave = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(slave)
            .unwrap();
        let status = std::process::Command::new(assert_cmd::cargo::cargo_bin!("asn-from-list"))
            .current_dir(dir)
            .args(args)
            .stderr(slave)
            .status()
            .unwrap();
        assert!(status.success());
        // The child has exited and the last copy of the terminal's end is closed: reading
        // stops at an error (EIO) once what it wrote is read.
        let mut text = Vec::new();
        let mut master = master;
        let mut buffer = [0u8; 4096];
        while let Ok(n) = master.read(&mut buffer) {
            if n == 0 {
                break;
            }
            text.extend_from_slice(&buffer[..n]);
        }
        String::from_utf8(text).unwrap().replace("\r\n", "\n")
    }

    #[test]
    fn a_run_watched_on_a_terminal_ends_with_one_line_saying_what_it_wrote() {
        let env = Env::new();
        let names: Vec<String> = (1..=3).map(|n| exposure(env.path(), 1, n)).collect();
        let mut args = vec!["--auto", "-o", "out"];
        args.extend(names.iter().map(String::as_str));
        let said = stderr_on_a_terminal(env.path(), &args);
        assert_eq!(
            said,
            "asn-from-list: wrote 4 associations into 'out'; every file is in one\n"
        );
        // Not on a terminal: nothing.
        env.cmd().args(&args).assert().success().stderr("");
    }
}

/// Runs stopped by signals, and killed, at random moments while writing thousands of
/// associations: the folder holds the old set or the new one, whole, and nothing is left.
mod signals {
    use super::*;
    use std::os::unix::process::ExitStatusExt;
    use std::process::{Command as StdCommand, Stdio};
    use std::time::{Duration, Instant};

    /// Headers of `n` NIRCam images over 20 observations in `env/in`, and a list of them in
    /// `list`, the first `n` of them.
    fn inputs(env: &Env, n: usize, list: &str) {
        fs::create_dir_all(env.join("in")).unwrap();
        let names: Vec<String> = (0..n)
            .map(|i| format!("in/{}", exposure(&env.join("in"), 1 + i % 20, 1 + i / 20)))
            .collect();
        env.write(list, names.join("\n"));
    }

    fn run(env: &Env, list: &str) -> std::process::Child {
        StdCommand::new(assert_cmd::cargo::cargo_bin!("asn-from-list"))
            .current_dir(env.path())
            .args(["--auto", "-o", "out", "--files-from", list])
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    }

    #[test]
    fn signals_and_kills_at_random_moments_leave_the_old_set_or_the_new_one_and_nothing_else() {
        let env = Env::new();
        // Set A, 2000 exposures; set B, the first 1300 of them: other associations, other
        // numbers, so that a mix of the two would show.
        inputs(&env, 2000, "a.txt");
        let names = fs::read_to_string(env.join("a.txt")).unwrap();
        let b: Vec<&str> = names.lines().take(1300).collect();
        env.write("b.txt", b.join("\n"));
        // Each set as a whole run leaves it, and how long a run into the folder takes.
        let mut sets = Vec::new();
        let mut took = Duration::MAX;
        for list in ["a.txt", "b.txt", "a.txt"] {
            let started = Instant::now();
            assert!(run(&env, list).wait().unwrap().success());
            took = took.min(started.elapsed());
            if sets.len() < 2 {
                sets.push(folder(&env.join("out")));
            }
        }
        assert_ne!(sets[0], sets[1]);
        assert_eq!(folder(&env.join("out")), sets[0]);
        assert!(sets[0].len() > 2000, "{}", sets[0].len());
        eprintln!("a run takes {took:?}");
        // Signals land at a random moment of a window that starts as long as the quickest
        // whole run. Runs slow down and speed up with what else the machine is doing (other
        // tests in parallel): the window shrinks after each run that ended before its signal
        // and grows after each that was stopped, so that most signals land while a run works.
        let mut window = took;
        let mut random = Random::from_clock();
        let seed = random.seed();
        let signals = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGKILL];
        // Rounds that ended with the old set kept, and with the new one in place.
        let mut old_kept = 0;
        let mut new_in = 0;
        let mut mixed = 0;
        let mut stopped = 0;
        let runs = 32;
        for round in 0..runs {
            let now = sets.iter().position(|set| *set == folder(&env.join("out")));
            let Some(now) = now else {
                panic!("round {round} (seed {seed}): the folder holds neither set whole");
            };
            let signal = signals[round % signals.len()];
            let after = Duration::from_micros(random.below(window.as_micros() as u64 + 1));
            let child = run(&env, ["b.txt", "a.txt"][now]);
            std::thread::sleep(after);
            // SAFETY: kill() on a child's pid that has not been reaped yet.
            unsafe { libc::kill(child.id() as i32, signal) };
            let status = child.wait_with_output().unwrap().status;
            let code = status.code().or(status.signal().map(|s| 1000 + s)).unwrap();
            let what = format!("round {round} (seed {seed}): signal {signal} after {after:?}");
            // A run stopped before it set its handlers dies of the signal itself, which a
            // shell reports as it reports the handler's exit status.
            let stopped_by_it =
                code == 1000 + signal || (signal != libc::SIGKILL && code == 128 + signal);
            assert!(stopped_by_it || code == 0, "{what}: exit {code}");
            if code != 0 {
                stopped += 1;
                window = window * 9 / 8;
            } else {
                window = (window * 3 / 4).max(took / 8);
            }
            let out = entries(&env.join("out"));
            assert!(
                out.iter()
                    .all(|n| n.starts_with("jw") && n.ends_with("_asn.json")),
                "{what}: something left in the folder"
            );
            let held = folder(&env.join("out"));
            match sets.iter().position(|set| *set == held) {
                Some(after) if after == now => old_kept += 1,
                Some(_) => new_in += 1,
                // Without an exchange (the portable path) files are moved in one by one, and
                // only a SIGKILL in the middle leaves some of each set: each file still whole.
                None if cfg!(feature = "portable-sys") && signal == libc::SIGKILL => {
                    let whole = held
                        .iter()
                        .all(|file| sets.iter().any(|set| set.contains(file)));
                    assert!(whole, "{what}: a file that is in neither set");
                    mixed += 1;
                }
                None => panic!("{what}: the folder holds neither set whole"),
            }
            if signal == libc::SIGKILL && code != 0 {
                // A killed run may leave its staging folder; the next whole run removes it.
                let now = sets.iter().position(|set| *set == held).unwrap_or(0);
                let list = ["b.txt", "a.txt"][now];
                assert!(run(&env, list).wait().unwrap().success(), "{what}");
            }
            assert_eq!(
                env.entries(),
                ["a.txt", "b.txt", "in", "out"],
                "{what}: something left beside the folder"
            );
        }
        eprintln!(
            "{runs} runs, {stopped} stopped before they ended; then the folder held the old set \
             {old_kept} times, the new one {new_in} times and some of each {mixed} times"
        );
        assert!(stopped >= runs / 4, "too few runs were stopped: {stopped}");
    }
}
