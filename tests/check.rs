//! Associations the pipeline will accept: `--check` finds what would stop or mislead a run, and
//! building warns of, or rewrites, member paths the pipeline would not find.
#![cfg(target_os = "linux")]

mod common;

use std::fs;

use common::*;
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
                let doubtful = ["base_association.json", "l3_duplicates.json"];
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
        env.touch("a_rate.fits b\u{e9}_rate.fits bg_rate.fits imp_rate.fits sc_rate.fits");
        env.run("-o l2.json -r Asn_Lv2Spec a_rate.fits b\u{e9}_rate.fits --background bg_rate.fits --imprint imp_rate.fits --selfcal sc_rate.fits --meta asn_type=spec2").success();
        env.touch("s_calints.fits r_calints.fits");
        env.run("-o c3.json -r Asn_Lv3NRCCoron --product-name c s_calints.fits --psf r_calints.fits --meta asn_type=coron3").success();
        assert_eq!(check(&env, "l2.json c3.json"), (0, String::new()));
    }

    #[test]
    fn names_that_are_not_utf8_are_found_by_their_bytes() {
        use std::os::unix::ffi::OsStrExt;
        let env = Env::new();
        let name = std::ffi::OsStr::from_bytes(b"a\xff_cal.fits");
        fs::write(env.path().join(name), "").unwrap();
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
        env.write("t.json", "{\n  \"products\": [],\n}\n");
        let (code, report) = check(&env, "t.json");
        assert_eq!(code, 1);
        assert_eq!(
            report,
            "t.json: error: not JSON: trailing comma at line 3, column 1; remove the comma; the \
             next jwst release refuses it\n"
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
        assert!(report.contains("a.json: error: not an association: it has no 'products'"));
        assert!(report.contains(
            "b.json: error: product 'p': not an association: the product has no 'members'"
        ));
        assert!(report.contains("c.json: error: product 'p': member 'x': not an association: a member has no string 'exptype'"));
    }

    #[test]
    fn exptypes_the_pipeline_would_skip_are_errors_with_the_fix() {
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
        assert!(report.contains("member 'a_cal.fits': exptype 'SCIENCE' is not lower case, and the pipeline compares it as written, so the member is skipped; write 'science'"), "{report}");
        assert!(report.contains("member 'b_cal.fits': exptype 'backgrund' is none the pipeline reads (did you mean 'background'?)"), "{report}");
        assert!(
            report.contains("needs a science member, and has none"),
            "{report}"
        );
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
        for line in [
            "l2.json: error: no 'asn_pool': calwebb_image2 and calwebb_spec2 read it",
            "l2.json: error: product 'a': a Stage 2 product needs exactly one science member, and has 2",
            "c3.json: error: no 'asn_id': coron3 reads it",
            "c3.json: warning: 2 products: a Stage 3 pipeline reads only the first",
            "c3.json: error: product 'c': coron3 needs a psf member, and there is none",
        ] {
            assert!(report.contains(line), "missing {line:?} in\n{report}");
        }
    }

    #[test]
    fn a_member_not_where_the_pipeline_looks_is_an_error_with_the_fix() {
        let env = Env::new();
        env.touch("img2/a_cal.fits");
        fs::create_dir(env.join("img3")).unwrap();
        env.run("-o img3/l3.json --product-name p img2/a_cal.fits")
            .success();
        let (code, report) = check(&env, "img3/l3.json");
        assert_eq!(code, 1);
        assert_eq!(
            report,
            "img3/l3.json: error: product 'p': member 'img2/a_cal.fits': member file not found \
             where the pipeline looks: 'img3/img2/a_cal.fits'; it is at 'img2/a_cal.fits' from \
             the current folder: write it as '../img2/a_cal.fits', relative to the association's \
             folder\n"
        );
    }

    #[test]
    fn duplicates_and_a_name_without_json_are_warnings_that_strict_counts() {
        let env = Env::new();
        env.write(
            "t.asn",
            GOOD.replace(
                r#"{"expname": "a_cal.fits", "exptype": "science"}"#,
                r#"{"expname": "a_cal.fits", "exptype": "science"}, {"expname": "a_cal.fits", "exptype": "science"}"#,
            ),
        );
        let (code, report) = check(&env, "--no-files t.asn");
        assert_eq!(code, 0, "{report}");
        assert!(report.contains("t.asn: warning: the file name does not end in .json"));
        assert!(report.contains("member 'a_cal.fits': the member is listed twice"));
        assert_eq!(check(&env, "--no-files --strict t.asn").0, 1);
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
        env.touch("img2/a_cal.fits");
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
