//! Associations the pipeline will accept: `--check` finds what would stop or mislead a run, and
//! building warns of, or rewrites, member paths the pipeline would not find.

use std::fs;

use crate::common::*;
use predicates::prelude::*;
use serde_json::Value;

/// `asn-from-list --check ARGS` in `env`: its exit code and its report.
fn check(env: &Env, args: &str) -> (i32, String) {
    let out = env.cmd().arg("--check").args(words(args)).output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
    )
}

/// Writes each of the space-separated files as a stub exposure: a FITS header block whose first
/// card is `SIMPLE = T`, all that --check reads of a member.
fn exposures(env: &Env, names: &str) {
    let mut block = format!("{:<80}{:<80}", format!("SIMPLE  = {:>20}", "T"), "END");
    block.extend(std::iter::repeat_n(' ', 2880 - block.len()));
    for name in words(names) {
        env.write(name, &block);
    }
}

const GOOD: &str = r#"{
    "asn_type": "image3", "asn_rule": "Asn_Lv3Image", "asn_id": "o001", "asn_pool": "none",
    "products": [{"name": "p", "members": [{"expname": "a_cal.fits", "exptype": "science"}]}]
}"#;

mod good_associations_pass_in_silence {
    use super::*;

    #[test]
    fn every_association_of_the_conformance_cases_passes() {
        let env = Env::new();
        let mut checked = 0;
        for set in ["cases", "extended"] {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/conformance")
                .join(set);
            for entry in fs::read_dir(dir).unwrap() {
                let case: Value =
                    serde_json::from_slice(&fs::read(entry.unwrap().path()).unwrap()).unwrap();
                let Some(text) = case["output"].as_str() else {
                    continue;
                };
                let name = format!("{}.json", case["name"].as_str().unwrap());
                env.write(&name, text);
                let (code, report) = check(&env, &format!("--no-files {name}"));
                assert_eq!(code, 0, "{name}: {report}");
                // The reference writes a duplicate name twice, which the pipeline reads twice.
                let doubtful = [
                    "base_association.json",
                    "l3_duplicates.json",
                    "l2_duplicates.json",
                ];
                if !doubtful.contains(&name.as_str()) {
                    assert_eq!(report, "", "{name}");
                }
                checked += 1;
            }
        }
        assert!(checked >= 40, "{checked}");
    }

    #[test]
    fn what_this_tool_writes_passes_with_its_members_in_place() {
        let env = Env::new();
        exposures(
            &env,
            "a_rate.fits b\u{e9}_rate.fits bg_rate.fits imp_rate.fits sc_rate.fits",
        );
        env.run("-o l2.json -r Asn_Lv2Spec a_rate.fits b\u{e9}_rate.fits --background bg_rate.fits --imprint imp_rate.fits --selfcal sc_rate.fits --meta asn_type=spec2").success();
        exposures(&env, "s_calints.fits r_calints.fits");
        env.run("-o c3.json -r Asn_Lv3NRCCoron --product-name c s_calints.fits --psf r_calints.fits --meta asn_type=coron3").success();
        assert_eq!(check(&env, "l2.json c3.json"), (0, String::new()));
    }

    #[test]
    fn a_clean_run_says_so_in_one_line_when_standard_error_is_a_terminal() {
        use std::io::Read;
        use std::os::fd::{FromRawFd, OwnedFd};
        let env = Env::new();
        exposures(&env, "a_cal.fits");
        env.write("t.json", GOOD);
        let (mut master, mut slave) = (-1, -1);
        let null = std::ptr::null_mut();
        // SAFETY: openpty writes two new descriptors, which are owned here once it succeeds.
        let rc = unsafe { libc::openpty(&mut master, &mut slave, null, null as _, null as _) };
        assert_eq!(rc, 0, "openpty");
        let (master, slave) =
            unsafe { (fs::File::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_asn-from-list"))
            .current_dir(env.path())
            .args(["--check", "t.json"])
            .stderr(std::process::Stdio::from(slave))
            .output()
            .unwrap();
        assert_eq!((out.status.code(), out.stdout), (Some(0), Vec::new()));
        // The terminal's side reads what was written, then fails once the writer is gone.
        let mut said = Vec::new();
        let mut master = master;
        let mut buf = [0; 256];
        while let Ok(n @ 1..) = master.read(&mut buf) {
            said.extend_from_slice(&buf[..n]);
        }
        assert_eq!(
            String::from_utf8_lossy(&said),
            "1 association checked: no problems found\r\n"
        );
        // Without a terminal, a clean run says nothing at all.
        env.cmd()
            .args(["--check", "t.json"])
            .assert()
            .success()
            .stdout("")
            .stderr("");
    }

    #[test]
    fn names_that_are_not_utf8_are_found_by_their_bytes() {
        use std::os::unix::ffi::OsStrExt;
        let env = Env::new();
        let name = std::ffi::OsStr::from_bytes(b"a\xff_cal.fits");
        fs::write(env.path().join(name), "SIMPLE  =                    T").unwrap();
        env.cmd()
            .args(["-o", "l3.json", "--product-name", "p"])
            .arg(name)
            .assert()
            .success();
        assert_eq!(check(&env, "l3.json"), (0, String::new()));
    }
}

mod problems {
    use super::*;

    #[test]
    fn not_json_names_the_line_and_column() {
        let env = Env::new();
        env.write("t.json", "{\n  \"products\": [\n}\n");
        let (code, report) = check(&env, "t.json");
        assert_eq!(code, 1);
        assert_eq!(
            report,
            "t.json: error: not JSON: expected value at line 3, column 1, and not YAML either, so \
             no pipeline reads it; write the association as JSON, as asn-from-list does\n"
        );
    }

    #[test]
    fn a_trailing_comma_is_a_warning_with_its_place_and_the_rest_is_checked() {
        let env = Env::new();
        env.write(
            "t.json",
            GOOD.replace("\"none\",", "\"none\",\n")
                .replace("}]}]", "},]}]"),
        );
        let (code, report) = check(&env, "--no-files t.json");
        assert_eq!(code, 0, "{report}");
        assert_eq!(
            report,
            "t.json: warning: a trailing comma at line 4, column 92, which JSON forbids: jwst \
             3.0.0 reads it only through its deprecated YAML fallback, and the next release \
             refuses it; remove the comma\n"
        );
    }

    #[test]
    fn a_fits_file_or_any_bytes_draw_one_line_and_no_panic() {
        let env = Env::new();
        exposures(&env, "a_cal.fits");
        env.write("s.json", "{\"a\": \"\\ud800\\u\u{65e5}\u{672c}x\"}");
        env.write("z.json", b"\xff\xfe{");
        let (code, report) = check(&env, "a_cal.fits s.json z.json");
        assert_eq!(code, 1);
        assert_eq!(
            report,
            "a_cal.fits: error: a FITS file, not an association; give --check the association \
             (*_asn.json) that lists it\n\
             s.json: error: not JSON: invalid escape at line 1, column 19, and not YAML either, \
             so no pipeline reads it; write the association as JSON, as asn-from-list does\n\
             z.json: error: not UTF-8 text, so no pipeline reads it; write the association as JSON\n"
        );
    }

    #[test]
    fn a_structure_that_is_not_an_association_is_an_error() {
        let env = Env::new();
        env.write("a.json", r#"{"asn_type": "image3"}"#);
        env.write("b.json", r#"{"products": [{"name": "p"}]}"#);
        env.write(
            "c.json",
            r#"{"products": [{"name": "p", "members": [{"expname": "x"}]}]}"#,
        );
        let (code, report) = check(&env, "--no-files a.json b.json c.json");
        assert_eq!(code, 1);
        for line in [
            "a.json: error: not an association: it has no 'products', so load_asn refuses it",
            "b.json: error: product 'p': the product has no 'members', so load_asn refuses the \
             association",
            "c.json: error: product 'p': member 'x': a member has no string 'exptype', so load_asn \
             refuses the association",
        ] {
            assert!(report.contains(line), "missing {line:?} in\n{report}");
        }
    }

    #[test]
    fn exptypes_the_pipeline_would_skip_are_named_with_the_fix() {
        let env = Env::new();
        env.write(
            "t.json",
            GOOD.replace(
                r#"{"expname": "a_cal.fits", "exptype": "science"}"#,
                r#"{"expname": "a_cal.fits", "exptype": "SCIENCE"}, {"expname": "b_cal.fits", "exptype": "backgrund"}"#,
            ),
        );
        let (code, report) = check(&env, "--no-files t.json");
        assert_eq!(code, 1);
        for line in [
            "member 'a_cal.fits': exptype 'SCIENCE' is not lower case, and calwebb_image3 compares \
             it as written, so it never reads the member; write 'science'",
            "member 'b_cal.fits': exptype 'backgrund' is none the pipelines read, so calwebb_image3 \
             never reads the member (did you mean 'background'?)",
            "error: product 'p': no science member that calwebb_image3 reads, so it stops",
        ] {
            assert!(report.contains(line), "missing {line:?} in\n{report}");
        }
    }

    #[test]
    fn stage_rules_are_checked() {
        let env = Env::new();
        env.write("l2.json", r#"{"asn_type": "spec2", "asn_rule": "Asn_Lv2Spec", "products": [
            {"name": "a", "members": [{"expname": "a", "exptype": "science"}, {"expname": "b", "exptype": "science"}]}]}"#);
        env.write(
            "c3.json",
            r#"{"asn_type": "None", "asn_rule": "Asn_Lv3NRCCoron", "products": [
            {"name": "c", "members": [{"expname": "a", "exptype": "science"}]},
            {"name": "d", "members": [{"expname": "a", "exptype": "science"}]}]}"#,
        );
        let (code, report) = check(&env, "--no-files l2.json c3.json");
        assert_eq!(code, 1);
        // Stage 2 needs no asn_pool: its loader starts from a rule that sets it.
        assert!(!report.contains("l2.json: error"), "{report}");
        for line in [
            "l2.json: warning: product 'a': 2 science members: calwebb_spec2 processes only the \
             first; give each science exposure a product of its own",
            "c3.json: error: no 'asn_pool': calwebb_coron3 reads it before any step, and stops; \
             add \"asn_pool\": \"none\"",
            "c3.json: error: no 'asn_id': calwebb_coron3 reads it, and stops",
            "c3.json: warning: 2 products: calwebb_coron3 reads only the first, 'c'",
            "c3.json: error: product 'c': no psf member: calwebb_coron3 needs a PSF reference, and \
             stops without one; add the reference exposure as a member of type 'psf' (--psf FILE)",
        ] {
            assert!(report.contains(line), "missing {line:?} in\n{report}");
        }
    }

    #[test]
    fn a_member_not_where_the_pipeline_looks_is_an_error_with_the_fix() {
        let env = Env::new();
        exposures(&env, "img2/a_cal.fits");
        fs::create_dir(env.join("img3")).unwrap();
        env.run("-o img3/l3.json --product-name p img2/a_cal.fits")
            .success();
        let (code, report) = check(&env, "img3/l3.json");
        assert_eq!(code, 1);
        assert_eq!(
            report,
            "img3/l3.json: error: product 'p': member 'img2/a_cal.fits': member file not found: \
             'img3/img2/a_cal.fits' (the pipeline reads member names relative to the association's \
             folder); it is at 'img2/a_cal.fits' from the current folder: write it as \
             '../img2/a_cal.fits', relative to the association's folder\n"
        );
    }

    #[test]
    fn image2_looks_in_the_current_folder_and_the_fix_says_where_to_run_it() {
        let env = Env::new();
        exposures(&env, "asn/a_rate.fits");
        env.run("-o asn/l2.json -r Asn_Lv2Image --meta asn_type=image2 a_rate.fits")
            .success();
        let (code, report) = check(&env, "asn/l2.json");
        assert_eq!(code, 1);
        assert_eq!(
            report,
            "asn/l2.json: error: product 'a': member 'a_rate.fits': member file not found: \
             'a_rate.fits' (calwebb_image2 reads member names relative to the current folder, not \
             the association's); it is at 'asn/a_rate.fits': run the pipeline from 'asn'\n"
        );
        // Run from the association's folder, calwebb_image2 finds it.
        let out = env
            .cmd()
            .current_dir(env.join("asn"))
            .args(["--check", "l2.json"])
            .output()
            .unwrap();
        assert_eq!((out.status.code(), out.stdout), (Some(0), Vec::new()));
    }

    #[test]
    fn a_member_that_is_not_an_exposure_is_an_error() {
        let env = Env::new();
        env.write("a_cal.fits", "notes\n");
        env.write("b_cal.fits", "");
        fs::create_dir(env.join("c_cal.fits")).unwrap();
        env.run("-o l3.json --product-name p a_cal.fits b_cal.fits c_cal.fits")
            .success();
        let (code, report) = check(&env, "l3.json");
        assert_eq!(code, 1);
        for line in [
            "member 'a_cal.fits': 'a_cal.fits' is not FITS: its first card is not SIMPLE, so the \
             pipeline stops; replace it with the exposure it names",
            "member 'b_cal.fits': 'b_cal.fits' is empty",
            "member 'c_cal.fits': 'c_cal.fits' is a folder, not an exposure",
        ] {
            assert!(report.contains(line), "missing {line:?} in\n{report}");
        }
    }

    #[test]
    fn duplicates_and_a_name_without_json_are_warnings_that_strict_counts() {
        let env = Env::new();
        let l2 = r#"{"asn_type": "image2", "asn_rule": "Asn_Lv2Image", "products": [
            {"name": "a", "members": [{"expname": "a_rate.fits", "exptype": "science"},
            {"expname": "bg_rate.fits", "exptype": "background"},
            {"expname": "bg_rate.fits", "exptype": "background"}]}]}"#;
        env.write("t.asn", l2);
        let (code, report) = check(&env, "--no-files t.asn");
        assert_eq!(code, 0, "{report}");
        assert!(report.contains(
            "t.asn: warning: the file name ends in '.asn', not .json: calwebb_image2 reads it, \
             with a deprecation warning, and the next jwst release refuses it; rename it to end \
             in .json"
        ));
        assert!(report.contains(
            "member 'bg_rate.fits': the member is listed twice, and calwebb_image2 reads it twice"
        ));
        assert_eq!(check(&env, "--no-files --strict t.asn").0, 1);
        // calwebb_image3 refuses such a name.
        env.write("t3.asn", GOOD);
        let (code, report) = check(&env, "--no-files t3.asn");
        assert_eq!(code, 1);
        assert!(report.contains("calwebb_image3 refuses an association named '.asn'"));
    }

    #[test]
    fn the_json_report_counts_what_it_found() {
        let env = Env::new();
        env.write("t.json", GOOD.replace("science", "psf"));
        let (code, report) = check(&env, "--no-files --format json t.json");
        assert_eq!(code, 1);
        let report: Value = serde_json::from_str(&report).unwrap();
        assert_eq!(report["errors"], 1);
        assert_eq!(report["files"][0]["file"], "t.json");
        assert_eq!(report["files"][0]["findings"][0]["severity"], "error");
    }
}

mod member_paths_when_building {
    use super::*;

    #[test]
    fn a_member_the_pipeline_will_not_find_draws_a_warning_with_the_fix() {
        let env = Env::new();
        env.touch("img2/a_cal.fits img2/b_cal.fits");
        fs::create_dir(env.join("img3")).unwrap();
        env.run("-o img3/l3.json --product-name p img2/a_cal.fits img2/b_cal.fits")
            .success()
            .stderr(predicate::str::contains(
                "warning: 2 members, the first 'img2/a_cal.fits', are not found from the \
                 association's folder, where the pipeline looks ('img3/img2/a_cal.fits'); \
                 written relative to that folder, it is '../img2/a_cal.fits'",
            ));
    }

    #[test]
    fn relative_paths_are_found_and_draw_no_warning() {
        let env = Env::new();
        exposures(&env, "img2/a_cal.fits");
        fs::create_dir(env.join("img3")).unwrap();
        env.run("-o img3/l3.json --member-paths relative --product-name p img2/a_cal.fits")
            .success()
            .stderr("");
        assert_eq!(
            members(&env.json("img3/l3.json"))[0][0].0,
            "../img2/a_cal.fits"
        );
        assert_eq!(check(&env, "img3/l3.json"), (0, String::new()));
    }

    #[test]
    fn absolute_and_basename_paths() {
        let env = Env::new();
        env.touch("img2/a_cal.fits");
        let asn = env.written("--member-paths absolute --product-name p img2/a_cal.fits");
        let want = env.path().canonicalize().unwrap().join("img2/a_cal.fits");
        assert_eq!(members(&asn)[0][0].0, want.to_str().unwrap());
        let asn = env.written("--member-paths basename --product-name p img2/a_cal.fits");
        assert_eq!(members(&asn)[0][0].0, "a_cal.fits");
    }

    #[test]
    fn as_given_is_the_default_and_writes_what_the_reference_writes() {
        let env = Env::new();
        let asn = env.written("--product-name p ./dir//a_cal.fits");
        assert_eq!(members(&asn)[0][0].0, "./dir//a_cal.fits");
        env.fails(2, "--member-paths sideways --product-name p a")
            .stderr(predicate::str::contains(
                "as-given, relative, absolute or basename",
            ));
    }
}

mod member_types {
    use super::*;

    #[test]
    fn selfcal_and_target_acquisition_members_from_flags_and_lists() {
        let env = Env::new();
        let asn = env.written(
            "-r Asn_Lv2Spec s_rate.fits --target-acquisition ta_rate.fits --selfcal sc_rate.fits",
        );
        assert_eq!(
            members(&asn)[0],
            [
                ("s_rate.fits".into(), "science".into()),
                ("sc_rate.fits".into(), "selfcal".into()),
                ("ta_rate.fits".into(), "target_acquisition".into()),
            ]
        );
        env.write("list", "s_rate.fits\nsc_rate.fits\tselfcal\n");
        let out = env
            .cmd()
            .args(["-o", "l.json", "-r", "Asn_Lv2Spec", "--files-from", "list"])
            .assert()
            .success();
        assert_eq!(stderr_of(&out), "");
        env.fails(1, "--product-name p a --selfcal s")
            .stderr(predicate::str::contains(
                "selfcal members belong to Stage 2",
            ));
    }
}

/// The corpus of `tests/fixtures/check/cases`: associations with what jwst 3.0.0's pipelines
/// did with each (recorded by `tests/fixtures/check/record.py`, which runs their reading code).
mod what_the_pipeline_did {
    use super::*;
    use std::path::Path;

    /// A stub exposure: a FITS primary header of one block, `SIMPLE = T` first; --check reads
    /// only the first card.
    fn stub_fits() -> Vec<u8> {
        let mut block = format!("{:<80}{:<80}", format!("SIMPLE  = {:>20}", "T"), "END");
        block.extend(std::iter::repeat_n(' ', 2880 - block.len()));
        block.into_bytes()
    }

    /// Copies the case's files into `env`, makes its members, and runs --check from its folder.
    fn run_case(case_dir: &Path, case: &Value) -> (i32, String) {
        let env = Env::new();
        copy_tree(case_dir, case_dir, &env);
        for (name, kind) in case["members"].as_object().unwrap() {
            let contents = match kind.as_str().unwrap() {
                "fits" => stub_fits(),
                "text" => b"these are notes, not an exposure\n".to_vec(),
                "empty" => Vec::new(),
                other => panic!("unknown member kind {other}"),
            };
            env.write(name, contents);
        }
        // The association as named from the folder the pipeline was run in.
        let cwd = Path::new(case["cwd"].as_str().unwrap());
        let asn = Path::new(case["asn"].as_str().unwrap());
        let asn = asn.strip_prefix(cwd).unwrap_or(asn);
        let out = env
            .cmd()
            .current_dir(env.join(cwd.to_str().unwrap()))
            .arg("--check")
            .arg(asn)
            .output()
            .unwrap();
        (
            out.status.code().unwrap(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    }

    fn copy_tree(root: &Path, dir: &Path, env: &Env) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                copy_tree(root, &path, env);
            } else if path.file_name().unwrap() != "case.json" {
                let relative = path.strip_prefix(root).unwrap().to_str().unwrap();
                env.write(relative, fs::read(&path).unwrap());
            }
        }
    }

    #[test]
    fn check_errors_where_the_pipeline_fails_and_warns_where_it_misreads() {
        let cases = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/check/cases");
        let mut disagreements = Vec::new();
        let mut checked = 0;
        let mut dirs: Vec<_> = fs::read_dir(&cases)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        dirs.sort();
        for dir in dirs {
            let case: Value =
                serde_json::from_slice(&fs::read(dir.join("case.json")).unwrap()).unwrap();
            let (code, report) = run_case(&dir, &case);
            let errors = report.lines().filter(|l| l.contains(": error: ")).count();
            let warnings = report.lines().filter(|l| l.contains(": warning: ")).count();
            let outcome = case["outcome"].as_str().unwrap();
            let advice = case.get("advice").is_some();
            let agrees = match outcome {
                "fails" => code == 1 && errors > 0,
                "misread" | "deprecated" => code == 0 && errors == 0 && warnings > 0,
                "clean" if advice => code == 0 && errors == 0 && warnings > 0,
                "clean" => code == 0 && report.is_empty(),
                other => panic!("unknown outcome {other}"),
            };
            if !agrees {
                disagreements.push(format!(
                    "{}: the pipeline {outcome} ({}), --check exits {code}:\n{report}",
                    dir.file_name().unwrap().to_string_lossy(),
                    case["detail"]
                ));
            }
            checked += 1;
        }
        assert!(checked >= 100, "{checked} cases");
        assert!(
            disagreements.is_empty(),
            "{} of {checked} cases disagree:\n{}",
            disagreements.len(),
            disagreements.join("\n")
        );
    }
}
