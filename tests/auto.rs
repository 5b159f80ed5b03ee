//! `--auto`: associations from FITS headers, held to the pipeline's own generator. Each
//! header-mode scenario (`tests/fixtures/header-mode`, synthetic exposures with the
//! generator's associations in `expected.json`) runs as the shared checks run it, and every
//! association, Stage 2 and Stage 3, must be identical under the comparer's normalisation
//! (`SPEC.md` §5).
#![cfg(target_os = "linux")]

mod common;

use std::fs;
use std::path::Path;

use common::*;
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
    assert_eq!((identical, expected), (1822, 1822));
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
        .stderr(predicate::str::contains("'notes.txt' is not a FITS file"));
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
