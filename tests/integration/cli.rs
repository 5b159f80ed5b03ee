//! Black-box tests of the command line: what a user types, what they see, what is written.

use std::fs;
use std::path::Path;

use crate::common::*;
use predicates::prelude::*;
use serde_json::{json, Value};

/// The members of the only product, written as `name:type` words.
fn only_product(asn: &Value) -> String {
    let products = members(asn);
    assert_eq!(products.len(), 1);
    let words: Vec<String> = products[0]
        .iter()
        .map(|(n, t)| format!("{n}:{t}"))
        .collect();
    words.join(" ")
}

mod reference_command_line {
    use super::*;

    #[test]
    fn the_reference_name_runs_the_same_program() {
        let env = Env::new();
        assert_cmd::cargo::cargo_bin_cmd!("asn_from_list")
            .current_dir(env.path())
            .args(words("-o a.json --product-name p x_cal.fits"))
            .assert()
            .success();
        env.written("--product-name p x_cal.fits");
        assert_eq!(
            fs::read(env.path().join("a.json")).unwrap(),
            fs::read(env.path().join("out.json")).unwrap()
        );
    }

    #[test]
    fn short_options_take_attached_values_and_repeats_take_the_last() {
        let env = Env::new();
        let args = "-oignored.json -oout.json -rDMSLevel2bBase -rDMS_Level3_Base \
                --product-name=first --product-name=last a_cal.fits";
        env.cmd().args(words(args)).assert().success();
        let asn = env.json("out.json");
        assert_eq!(asn["asn_rule"], "DMS_Level3_Base");
        assert_eq!(asn["products"][0]["name"], "last");
        assert!(!env.path().join("ignored.json").exists());
    }

    #[test]
    fn unambiguous_prefixes_of_long_options_work_as_in_argparse() {
        let env = Env::new();
        env.cmd()
            .args(words(
                "--output out.json --prod short --rule Asn_Lv3Image a",
            ))
            .assert()
            .success();
        let asn = env.json("out.json");
        assert_eq!(asn["products"][0]["name"], "short");
        assert_eq!(asn["asn_rule"], "Asn_Lv3Image");
        env.fails(2, "--ru Asn_Lv3Image --prod p a")
            .stderr(predicate::str::contains("unexpected argument '--ru'"));
    }

    #[test]
    fn a_double_dash_lets_names_start_with_a_dash() {
        let env = Env::new();
        let asn = env.written("--product-name p -- -odd_cal.fits");
        assert_eq!(only_product(&asn), "-odd_cal.fits:science");
    }

    #[test]
    fn stage2_warns_that_it_ignores_the_product_name() {
        let env = Env::new();
        env.cmd()
            .args(words(
                "-o out.json -r Asn_Lv2Image --product-name x a_rate.fits",
            ))
            .assert()
            .success()
            .stderr(predicate::str::contains(
                "warning: the product name is ignored: Stage 2 products are named after their \
             exposures; drop --product-name",
            ));
    }

    #[test]
    fn stage3_without_a_product_name_says_how_to_fix_it() {
        let env = Env::new();
        env.fails(1, "a_cal.fits").stderr(
            "asn-from-list: error: DMS_Level3_Base makes a Stage 3 association, \
         which needs a product name; add --product-name NAME\n",
        );
    }

    #[test]
    fn an_unknown_rule_is_a_usage_error_naming_the_closest() {
        let env = Env::new();
        env.fails(2, "-r Asn_Lv3Imag --product-name p a")
            .stderr(predicate::str::contains("did you mean 'Asn_Lv3Image'"));
    }

    #[test]
    fn registry_names_that_build_nothing_are_refused() {
        let env = Env::new();
        for name in ["Constraint", "Utility", "AsnMixin_Science"] {
            env.fails(2, &format!("-r {name} --product-name p a"))
                .stderr(predicate::str::contains("unknown rule"));
        }
    }

    #[test]
    fn ruledefs_is_refused_with_a_pointer_to_the_built_in_rules() {
        let env = Env::new();
        env.fails(1, "--product-name p --ruledefs r.py a")
            .stderr(predicate::str::contains("--list-rules"));
    }

    #[test]
    fn list_rules_shows_every_rule_with_its_stage() {
        let env = Env::new();
        let out = env.cmd().arg("--list-rules").assert().success();
        let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
        assert_eq!(text.lines().count(), 1 + asn_from_list::Rule::all().len());
        let row = |rule: &str, has: &str| {
            text.lines()
                .any(|l| l.starts_with(&format!("{rule} ")) && l.contains(has))
        };
        assert!(row("DMSLevel2bBase", " 2 "));
        assert!(row("Asn_Lv3AMI", "psf"));
        assert!(row("Association", "bare"));
    }

    #[test]
    fn version_and_help_with_examples() {
        let env = Env::new();
        env.cmd()
            .arg("--version")
            .assert()
            .success()
            .stdout(format!("asn-from-list {}\n", env!("CARGO_PKG_VERSION")));
        env.cmd()
            .arg("--help")
            .assert()
            .success()
            .stdout(predicate::str::contains("Examples:"))
            .stdout(predicate::str::contains("--files-from"));
    }

    #[test]
    fn coronagraphy_and_ami_need_a_psf_member() {
        let env = Env::new();
        for rule in [
            "Asn_Lv3AMI",
            "Asn_Lv3MIRCoron",
            "Asn_Lv3NRCCoron",
            "Asn_Coron",
        ] {
            env.fails(1, &format!("-r {rule} --product-name p a_cal.fits"))
                .stderr(predicate::str::contains(
                    "needs a psf member; add --psf FILE",
                ));
            let asn = env.written(&format!("-r {rule} --product-name p a --psf r"));
            assert_eq!(asn["asn_rule"], rule);
            assert_eq!(only_product(&asn), "a:science r:psf");
        }
    }

    #[test]
    fn wavefront_combination_needs_two_members() {
        let env = Env::new();
        for rule in ["Asn_Lv3WFSCMB", "Asn_WFSCMB"] {
            env.fails(1, &format!("-r {rule} --product-name p a"))
                .stderr(predicate::str::contains("at least two members"));
            env.written(&format!("-r {rule} --product-name p a b"));
        }
    }

    #[test]
    fn rules_that_need_a_candidate_type_are_always_refused() {
        let env = Env::new();
        for rule in ["Asn_Lv3TSO", "Asn_Lv3ImageMosaic"] {
            env.fails(1, &format!("-r {rule} --product-name p a b"))
                .stderr(predicate::str::contains("candidate type"));
        }
    }

    #[test]
    fn documented_level3_rule_names_are_stage3_rules() {
        let env = Env::new();
        let asn = env.written("-r Asn_NRS_MSA --product-name p a_cal.fits");
        assert_eq!(asn["asn_rule"], "Asn_NRS_MSA");
        assert_eq!(asn["target"], "none");
        assert_eq!(asn["products"][0]["name"], "p");
    }

    #[test]
    fn a_failed_run_leaves_an_existing_output_untouched() {
        let env = Env::new();
        let out = env.path().join("out.json");
        fs::write(&out, "precious").unwrap();
        env.cmd()
            .args(words("-o out.json -r Asn_Lv3AMI --product-name p a"))
            .assert()
            .failure();
        assert_eq!(fs::read_to_string(&out).unwrap(), "precious");
        assert_eq!(fs::read_dir(env.path()).unwrap().count(), 1);
    }
}

mod modes {
    use super::*;

    #[test]
    fn modes_are_exclusive_and_a_flag_a_mode_cannot_use_names_both() {
        let env = Env::new();
        for (line, first, second) in [
            ("--auto -o d --psf f.fits x.fits", "--auto", "--psf <FILE>"),
            (
                "-r Asn_Lv3AMI --auto -o d x.fits",
                "--rule <RULE>",
                "--auto",
            ),
            (
                "--meta asn_type=zzz --auto -o d x.fits",
                "--meta <KEY=VALUE>",
                "--auto",
            ),
            ("--auto -f yaml -o d x.fits", "--auto", "--format <FMT>"),
            ("--auto --no-glob -o d x.fits", "--auto", "--no-glob"),
            ("--list-rules --auto", "--list-rules", "--auto"),
            ("--list-rules x.fits", "--list-rules", "[FILES]..."),
            (
                "--generate man -o x.json",
                "--generate <WHAT>",
                "--output-file <PATH>",
            ),
            (
                "--check --product-name p a.json",
                "--check",
                "--product-name <NAME>",
            ),
            (
                "--check -o x.json a.json",
                "--check",
                "--output-file <PATH>",
            ),
            (
                "--check --files-from l.txt a.json",
                "--check",
                "--files-from <LIST>",
            ),
            ("--check --auto a.json", "--check", "--auto"),
            (
                "--generate man --list-rules",
                "--generate <WHAT>",
                "--list-rules",
            ),
        ] {
            let run = env.run(line).code(2);
            let err = stderr_of(&run);
            let named = format!("error: the argument '{first}' cannot be used with '{second}'");
            assert!(err.starts_with(&named), "{line}: {err}");
        }
        assert!(env.entries().is_empty(), "nothing was written");
    }

    #[test]
    fn each_mode_takes_the_flags_it_uses() {
        let env = Env::new();
        env.run("--list-rules").success();
        env.run("--generate man").success();
        env.write("l.txt", "a_cal.fits\n");
        env.run("-o out.json --product-name p -r Asn_Lv3Image --meta asn_type=image3 -f json --files-from l.txt --no-glob b_cal.fits")
            .success();
        env.run("--check --strict --no-files -f json out.json")
            .success();
    }
}

mod drop_in_loose_ends {
    use super::*;
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    use std::process::Command as StdCommand;

    #[test]
    fn an_id_that_is_not_utf8_is_checked_as_the_reference_checks_it() {
        let env = Env::new();
        let id = OsStr::from_bytes(b"o\xff1");
        for rule in ["DMS_Level3_Base", "DMSLevel2bBase"] {
            env.cmd()
                .args(["-o", "-", "--product-name", "p", "-r", rule, "-i"])
                .arg(id)
                .arg("a_rate.fits")
                .assert()
                .success();
        }
        env.cmd()
            .args(["-o", "out.json", "-r", "DMSLevel2bBase", "-i"])
            .arg(OsStr::from_bytes(b"\xff1"))
            .arg("a_rate.fits")
            .assert()
            .code(1)
            .stderr(predicate::str::contains("invalid association candidate id"));
    }

    #[test]
    fn an_empty_meta_value_is_a_usage_error() {
        let env = Env::new();
        env.fails(2, "--product-name p --meta program= a_cal.fits")
            .stderr(predicate::str::contains(
                "invalid value 'program=' for '--meta <KEY=VALUE>': the value is empty",
            ));
    }

    #[test]
    fn bash_completion_of_meta_leaves_no_space_after_the_equals_sign() {
        let env = Env::new();
        let script = env.write(
            "c.bash",
            env.run("--generate complete-bash")
                .success()
                .get_output()
                .stdout
                .clone(),
        );
        // compopt works only while bash completes; a function of that name stands in for it.
        let complete = |words: &str, cur: &str, prev: &str| {
            let shell = format!(
                "compopt() {{ echo \"compopt $*\"; }}; source '{}'; COMP_WORDS=({words}); \
                 COMP_CWORD=2; COMP_LINE=\"${{COMP_WORDS[*]}}\"; COMP_POINT=${{#COMP_LINE}}; \
                 _asn__from__list asn-from-list '{cur}' '{prev}'; \
                 printf '%s\\n' \"${{COMPREPLY[@]}}\"",
                script.display()
            );
            let out = StdCommand::new("bash")
                .args(["-c", &shell])
                .output()
                .unwrap();
            String::from_utf8(out.stdout).unwrap()
        };
        assert_eq!(
            complete("asn-from-list --meta asn_t", "asn_t", "--meta"),
            "compopt -o nospace\nasn_type=\n"
        );
        assert_eq!(complete("asn-from-list -f j", "j", "-f"), "json\n");
    }

    #[test]
    fn a_file_given_as_science_and_as_a_typed_member_draws_a_warning_with_the_fix() {
        let env = Env::new();
        env.touch("a_rate.fits bg_rate.fits");
        let run = env
            .cmd()
            .args(["-o", "out.json", "-r", "DMSLevel2bBase", "*_rate.fits"])
            .args(["--background", "bg_rate.fits"])
            .assert()
            .success();
        assert_eq!(
            stderr_of(&run),
            "asn-from-list: warning: 'bg_rate.fits' is both a science member and a background \
             member; it is written as both, so it is also a science exposure (in Stage 2, a \
             product of its own); leave it out of the science names: give a narrower pattern, \
             or the names themselves\n"
        );
        // Written as the reference writes the shell's expansion of the same command line.
        assert_eq!(
            env.json("out.json")["products"].as_array().unwrap().len(),
            2
        );
        env.run("-o out.json -r DMSLevel2bBase a_rate.fits --background bg_rate.fits")
            .success()
            .stderr("");
    }

    #[test]
    fn an_absolute_output_path_to_this_folder_is_beside_the_members() {
        let env = Env::new();
        env.touch("a_cal.fits");
        let out = env.join("out.json");
        let run = env
            .cmd()
            .arg("-o")
            .arg(&out)
            .args(["--product-name", "p", "a_cal.fits", "gone/b_cal.fits"])
            .assert()
            .success();
        assert_eq!(
            stderr_of(&run),
            "asn-from-list: warning: member name 'gone/b_cal.fits' has a directory part; the \
             pipeline looks for members beside the association file\n"
        );
        env.touch("sub/x");
        let run = env
            .cmd()
            .arg("-o")
            .arg(env.join("sub/out.json"))
            .args(["--product-name", "p", "a_cal.fits", "c_cal.fits"])
            .assert()
            .success();
        assert!(stderr_of(&run)
            .contains("member 'a_cal.fits' is not found from the association's folder"));
    }

    /// How many file lookups (`statx`, `newfstatat`) a run makes, as strace counts them.
    fn lookups(env: &Env, args: &[&OsStr]) -> usize {
        let bin = assert_cmd::cargo::cargo_bin!("asn-from-list");
        let out = StdCommand::new("strace")
            .args([
                "-f",
                "-c",
                "-e",
                "trace=statx,newfstatat,stat,lstat",
                "-o",
                "/dev/stderr",
            ])
            .arg(bin)
            .args(args)
            .current_dir(env.path())
            // cargo's library folders would have the dynamic loader look through them, tens of
            // lookups that depend on the processor, not on this tool.
            .env_remove("LD_LIBRARY_PATH")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report = String::from_utf8(out.stderr).unwrap();
        let total = report.lines().find(|l| l.ends_with(" total")).unwrap();
        total.split_whitespace().nth(3).unwrap().parse().unwrap()
    }

    #[test]
    fn members_are_looked_up_at_most_once_each_and_not_at_all_beside_the_association() {
        if !StdCommand::new("strace")
            .arg("-V")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            eprintln!("skipped: needs strace");
            return;
        }
        let env = Env::new();
        let n = 20_000;
        big_list(&env, n);
        env.touch("sub/x");
        let here = env.join("out.json");
        let there = env.join("sub/out.json");
        let args = |out: &Path| -> Vec<std::ffi::OsString> {
            let mut args: Vec<std::ffi::OsString> = vec!["-o".into(), out.into()];
            args.extend(["--product-name", "p", "--files-from", "names.txt"].map(Into::into));
            args
        };
        let run = |out: &Path| {
            let args = args(out);
            let args: Vec<&OsStr> = args.iter().map(|a| a.as_os_str()).collect();
            lookups(&env, &args)
        };
        let beside = run(&here);
        assert!(
            beside < 100,
            "{beside} lookups for an association beside its members"
        );
        // Over an existing file, the guard against overwriting an input lists the folder
        // instead of looking up each member.
        let again = run(&here);
        assert!(again < 100, "{again} lookups to replace an association");
        let elsewhere = run(&there);
        assert!(elsewhere < n + 100, "{elsewhere} lookups for {n} members");
    }
}

mod typed_members {
    use super::*;

    #[test]
    fn stage3_typed_members_follow_science_grouped_by_type() {
        let env = Env::new();
        let args = "--product-name p --psf r1 a --background bg1 --psf r2 b --background bg2";
        assert_eq!(
            only_product(&env.written(args)),
            "a:science b:science bg1:background bg2:background r1:psf r2:psf"
        );
    }

    #[test]
    fn stage2_attaches_every_typed_member_to_every_product_in_type_order() {
        let env = Env::new();
        let args = "-r Asn_Lv2WFSSNIS s1_rate.fits s2_rate.fits --direct-image d_i2d.fits \
                --segmap d_segm.fits --sourcecat d_cat.ecsv --imprint i_rate.fits \
                --background bg_rate.fits";
        let asn = env.written(args);
        let attached = "bg_rate.fits:background i_rate.fits:imprint d_cat.ecsv:sourcecat \
                    d_segm.fits:segmap d_i2d.fits:direct_image";
        let products: Vec<String> = members(&asn)
            .iter()
            .map(|p| {
                p.iter()
                    .map(|(n, t)| format!("{n}:{t}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        assert_eq!(
            products,
            [
                format!("s1_rate.fits:science {attached}"),
                format!("s2_rate.fits:science {attached}")
            ]
        );
        assert_eq!(asn["products"][1]["name"], "s2");
    }

    #[test]
    fn a_type_of_the_other_stage_names_the_stage_it_belongs_to() {
        let env = Env::new();
        env.fails(1, "-r DMSLevel2bBase a --psf r")
            .stderr(predicate::str::contains(
            "'r': psf members belong to Stage 3, and DMSLevel2bBase makes a Stage 2 association; \
         drop --psf, or choose a Stage 3 rule with -r",
        ));
        env.fails(1, "--product-name p a --sourcecat c")
            .stderr(predicate::str::contains(
                "sourcecat members belong to Stage 2",
            ));
        env.fails(1, "-r Association a --background b")
            .stderr(predicate::str::contains("member names only"));
    }

    #[test]
    fn an_association_with_no_science_member_is_an_error() {
        let env = Env::new();
        env.cmd()
            .args(words("-o out.json --product-name p --files-from -"))
            .write_stdin("bg.fits\tbackground\n")
            .assert()
            .code(1)
            .stderr(predicate::str::contains("no science member"));
        assert!(!env.path().join("out.json").exists());
    }
}

mod lists {
    use super::*;

    #[test]
    fn lists_are_read_in_order_after_the_arguments() {
        let env = Env::new();
        fs::write(env.path().join("one.txt"), "b\r\n# comment\r\n\r\nc\r\n").unwrap();
        fs::write(env.path().join("two.txt"), "d\n").unwrap();
        let asn = env.written("--product-name p --files-from one.txt a --files-from two.txt");
        assert_eq!(
            only_product(&asn),
            "a:science b:science c:science d:science"
        );
    }

    #[test]
    fn a_listed_type_outside_the_stage_is_written_with_a_warning() {
        let env = Env::new();
        env.cmd()
            .args(words("-o out.json --product-name p --files-from -"))
            .write_stdin("a\nx\ttarget_acquisition\ni\timprint\n")
            .assert()
            .success()
            .stderr(predicate::str::contains("'target_acquisition'"))
            .stderr(predicate::str::contains("'imprint'"));
        assert_eq!(
            only_product(&env.json("out.json")),
            "a:science i:imprint x:target_acquisition"
        );
    }

    #[test]
    fn a_missing_list_is_an_error_naming_it() {
        let env = Env::new();
        env.fails(1, "--product-name p --files-from nope.txt").stderr(
        "asn-from-list: error: cannot read 'nope.txt': No such file or directory (os error 2)\n",
    );
    }

    #[test]
    fn an_empty_list_is_an_error_naming_it() {
        let env = Env::new();
        fs::write(env.path().join("empty.txt"), "# nothing here\n\n").unwrap();
        env.fails(1, "--product-name p --files-from empty.txt")
            .stderr(predicate::str::contains(
                "'empty.txt': the list has no file names",
            ));
    }

    #[test]
    fn a_list_that_is_not_utf8_is_an_error_naming_the_line() {
        let env = Env::new();
        fs::write(env.path().join("bad.txt"), b"a\nb\n\xff\xfe\n").unwrap();
        env.fails(1, "--product-name p --files-from bad.txt")
            .stderr("asn-from-list: error: 'bad.txt' line 3: not valid UTF-8\n");
    }
}

mod patterns {
    use super::*;

    #[test]
    fn a_pattern_expands_sorted_and_skips_hidden_files() {
        let env = Env::new();
        env.touch("c_cal.fits a_cal.fits .h_cal.fits b_rate.fits d/e_cal.fits");
        let asn = env.written("--product-name p *_cal.fits d/*");
        assert_eq!(
            only_product(&asn),
            "a_cal.fits:science c_cal.fits:science d/e_cal.fits:science"
        );
    }

    #[test]
    fn a_pattern_sorts_whole_names_as_the_shell_does() {
        let env = Env::new();
        env.touch("a/x a-b/x");
        let asn = env.written("--product-name p */x");
        assert_eq!(only_product(&asn), "a-b/x:science a/x:science");
    }

    #[test]
    fn a_pattern_in_a_typed_flag_expands_too() {
        let env = Env::new();
        env.touch("bg2.fits bg1.fits");
        let asn = env.written("--product-name p a --background bg*.fits");
        assert_eq!(
            only_product(&asn),
            "a:science bg1.fits:background bg2.fits:background"
        );
    }

    #[test]
    fn an_existing_file_with_pattern_characters_is_taken_as_it_is() {
        let env = Env::new();
        env.touch("odd[1]_cal.fits odd1_cal.fits");
        let asn = env.written("--product-name p odd[1]_cal.fits");
        assert_eq!(only_product(&asn), "odd[1]_cal.fits:science");
    }

    #[test]
    fn no_glob_takes_patterns_literally() {
        let env = Env::new();
        let asn = env.written("--product-name p --no-glob *_x1d.fits");
        assert_eq!(only_product(&asn), "*_x1d.fits:science");
    }

    #[test]
    fn a_pattern_that_matches_nothing_is_an_error_not_a_member() {
        let env = Env::new();
        env.fails(1, "--product-name p *_x1d.fits")
            .stderr(predicate::str::contains(
                "'*_x1d.fits': no file matches this pattern",
            ));
    }

    #[test]
    fn an_invalid_pattern_is_an_error_with_the_way_out() {
        let env = Env::new();
        env.fails(1, "--product-name p a[.fits")
            .stderr(predicate::str::contains("invalid pattern"))
            .stderr(predicate::str::contains("--no-glob"));
    }
}

mod output_and_meta {
    use super::*;

    #[test]
    fn dash_writes_to_standard_output_with_one_newline() {
        let env = Env::new();
        let out = env
            .cmd()
            .args(words("-o - --product-name p a"))
            .assert()
            .success();
        let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
        assert!(text.ends_with("}\n") && !text.ends_with("\n\n"));
        let asn: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(asn["products"][0]["name"], "p");
        assert!(!env.path().join("-").exists());
    }

    #[test]
    fn meta_sets_keywords_in_place_and_adds_new_ones_before_products() {
        let env = Env::new();
        let args =
            "-r Association a --meta program=00623 --meta version_id=v1 --meta asn_pool=pool.csv";
        let asn = env.written(args);
        let text = fs::read_to_string(env.path().join("out.json")).unwrap();
        let keys: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("    \"") && !l.starts_with("        "))
            .map(|l| l.trim().split('"').nth(1).unwrap())
            .collect();
        assert_eq!(
            keys,
            words("asn_type asn_rule version_id code_version program asn_pool members")
        );
        assert_eq!(asn["version_id"], "v1");
        assert_eq!(asn["members"], json!(["a"]));
    }

    #[test]
    fn a_meta_typo_or_a_missing_equals_sign_is_a_usage_error() {
        let env = Env::new();
        env.fails(2, "--product-name p --meta progam=1 a")
            .stderr(predicate::str::contains("did you mean 'program'"));
        env.fails(2, "--product-name p --meta program a")
            .stderr(predicate::str::contains("KEY=VALUE"));
    }

    #[test]
    fn the_format_flag_warns_that_it_is_deprecated() {
        let env = Env::new();
        env.written("--product-name p x");
        env.cmd()
            .args(words("-o b.json -f json --product-name p x"))
            .assert()
            .success()
            .stderr(predicate::str::contains("deprecated"));
        assert_eq!(
            fs::read(env.path().join("out.json")).unwrap(),
            fs::read(env.path().join("b.json")).unwrap()
        );
        env.cmd()
            .args(words("-o c.yaml -f yaml --product-name p x"))
            .assert()
            .success()
            .stderr(predicate::str::contains(
                "YAML associations are deprecated upstream",
            ));
    }

    #[test]
    fn an_unknown_format_is_a_usage_error_and_writes_nothing() {
        let env = Env::new();
        env.fails(2, "-f xml --product-name p x")
            .stderr(predicate::str::contains("the formats are json and yaml"));
    }

    #[test]
    fn many_paths_draw_one_warning_line() {
        let env = Env::new();
        let names: Vec<String> = (0..100).map(|i| format!("d/f{i}_cal.fits")).collect();
        let out = env
            .cmd()
            .args(words("-o out.json --product-name p --no-glob"))
            .args(&names)
            .assert()
            .success();
        let stderr = stderr_of(&out);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains("100 member names have a directory part"));
    }
}

mod packaging {
    use super::*;

    #[test]
    fn generate_prints_a_man_page_and_completions() {
        let env = Env::new();
        env.cmd()
            .args(["--generate", "man"])
            .assert()
            .success()
            .stdout(predicate::str::contains(".TH asn-from-list"))
            .stdout(predicate::str::contains("\\-\\-files\\-from"));
        for (shell, marker) in [
            ("complete-bash", "complete -F"),
            ("complete-zsh", "#compdef asn-from-list"),
            ("complete-fish", "complete -c asn-from-list"),
            ("complete-powershell", "Register-ArgumentCompleter"),
        ] {
            env.cmd()
                .args(["--generate", shell])
                .assert()
                .success()
                .stdout(predicate::str::contains(marker));
        }
    }

    #[test]
    fn the_readme_usage_is_the_help_text() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let readme = fs::read_to_string(root.join("README.md")).unwrap();
        let start = readme
            .find("```text\nBuild a JWST")
            .expect("README has a usage block");
        let block = &readme[start + "```text\n".len()..];
        let block = &block[..block.find("```").unwrap()];
        let env = Env::new();
        let out = env
            .cmd()
            .arg("--help")
            .env("COLUMNS", "100")
            .assert()
            .success();
        let help = String::from_utf8(out.get_output().stdout.clone()).unwrap();
        let trimmed: String = help
            .lines()
            .map(|l| l.trim_end().to_string() + "\n")
            .collect();
        similar_asserts::assert_eq!(
            block,
            trimmed,
            "README.md's usage block differs from --help; paste the new help"
        );
    }
}
