//! Black-box tests of the command line: what a user types, what they see, what is written.

use std::fs;
use std::path::Path;

use assert_cmd::assert::Assert;
use assert_cmd::cargo::cargo_bin_cmd;
use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::{json, Value};
use tempfile::TempDir;

fn tmp() -> TempDir {
    tempfile::tempdir().unwrap()
}

fn asn(dir: &TempDir) -> Command {
    let mut cmd = cargo_bin_cmd!("asn-from-list");
    cmd.current_dir(dir.path());
    cmd
}

/// The words of a command line (none of these tests needs a space inside an argument).
fn words(line: &str) -> Vec<&str> {
    line.split_whitespace().collect()
}

/// Runs `asn-from-list -o out.json ARGS` in `dir`, which must succeed, and returns what it wrote.
fn written(dir: &TempDir, args: &str) -> Value {
    asn(dir)
        .arg("-o")
        .arg("out.json")
        .args(words(args))
        .assert()
        .success();
    read(&dir.path().join("out.json"))
}

/// Runs `asn-from-list -o out.json ARGS` in `dir`, which must exit with `code` and leave
/// `out.json` as it was (absent, or with its old content).
fn fails(dir: &TempDir, code: i32, args: &str) -> Assert {
    let out = dir.path().join("out.json");
    let before = fs::read(&out).ok();
    let assert = asn(dir)
        .arg("-o")
        .arg("out.json")
        .args(words(args))
        .assert()
        .code(code);
    assert_eq!(fs::read(&out).ok(), before, "a failed run changed out.json");
    assert
}

fn read(path: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

fn stderr_of(assert: &Assert) -> String {
    String::from_utf8(assert.get_output().stderr.clone()).unwrap()
}

/// `(expname, exptype)` of each member of each product.
fn members(asn: &Value) -> Vec<Vec<(String, String)>> {
    let member = |m: &Value| {
        (
            m["expname"].as_str().unwrap().into(),
            m["exptype"].as_str().unwrap().into(),
        )
    };
    let product = |p: &Value| {
        p["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(member)
            .collect()
    };
    asn["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(product)
        .collect()
}

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

// The reference's command line.

#[test]
fn the_reference_name_runs_the_same_program() {
    let dir = tmp();
    cargo_bin_cmd!("asn_from_list")
        .current_dir(dir.path())
        .args(words("-o a.json --product-name p x_cal.fits"))
        .assert()
        .success();
    written(&dir, "--product-name p x_cal.fits");
    assert_eq!(
        fs::read(dir.path().join("a.json")).unwrap(),
        fs::read(dir.path().join("out.json")).unwrap()
    );
}

#[test]
fn short_options_take_attached_values_and_repeats_take_the_last() {
    let dir = tmp();
    let args = "-oignored.json -oout.json -rDMSLevel2bBase -rDMS_Level3_Base \
                --product-name=first --product-name=last a_cal.fits";
    asn(&dir).args(words(args)).assert().success();
    let asn = read(&dir.path().join("out.json"));
    assert_eq!(asn["asn_rule"], "DMS_Level3_Base");
    assert_eq!(asn["products"][0]["name"], "last");
    assert!(!dir.path().join("ignored.json").exists());
}

#[test]
fn unambiguous_prefixes_of_long_options_work_as_in_argparse() {
    let dir = tmp();
    asn(&dir)
        .args(words(
            "--output out.json --prod short --rule Asn_Lv3Image a",
        ))
        .assert()
        .success();
    let asn = read(&dir.path().join("out.json"));
    assert_eq!(asn["products"][0]["name"], "short");
    assert_eq!(asn["asn_rule"], "Asn_Lv3Image");
    fails(&dir, 2, "--ru Asn_Lv3Image --prod p a")
        .stderr(predicate::str::contains("unexpected argument '--ru'"));
}

#[test]
fn a_double_dash_lets_names_start_with_a_dash() {
    let dir = tmp();
    let asn = written(&dir, "--product-name p -- -odd_cal.fits");
    assert_eq!(only_product(&asn), "-odd_cal.fits:science");
}

#[test]
fn stage2_warns_that_it_ignores_the_product_name() {
    let dir = tmp();
    asn(&dir)
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
    let dir = tmp();
    fails(&dir, 1, "a_cal.fits").stderr(
        "asn-from-list: error: DMS_Level3_Base makes a Stage 3 association, \
         which needs a product name; add --product-name NAME\n",
    );
}

#[test]
fn an_unknown_rule_is_a_usage_error_naming_the_closest() {
    let dir = tmp();
    fails(&dir, 2, "-r Asn_Lv3Imag --product-name p a")
        .stderr(predicate::str::contains("did you mean 'Asn_Lv3Image'"));
}

#[test]
fn registry_names_that_build_nothing_are_refused() {
    let dir = tmp();
    for name in ["Constraint", "Utility", "AsnMixin_Science"] {
        fails(&dir, 2, &format!("-r {name} --product-name p a"))
            .stderr(predicate::str::contains("unknown rule"));
    }
}

#[test]
fn ruledefs_is_refused_with_a_pointer_to_the_built_in_rules() {
    let dir = tmp();
    fails(&dir, 1, "--product-name p --ruledefs r.py a")
        .stderr(predicate::str::contains("--list-rules"));
}

#[test]
fn list_rules_shows_every_rule_with_its_stage() {
    let dir = tmp();
    let out = asn(&dir).arg("--list-rules").assert().success();
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
    let dir = tmp();
    asn(&dir)
        .arg("--version")
        .assert()
        .success()
        .stdout(format!("asn-from-list {}\n", env!("CARGO_PKG_VERSION")));
    asn(&dir)
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("Examples:"))
        .stdout(predicate::str::contains("--files-from"));
}

#[test]
fn coronagraphy_and_ami_need_a_psf_member() {
    let dir = tmp();
    for rule in [
        "Asn_Lv3AMI",
        "Asn_Lv3MIRCoron",
        "Asn_Lv3NRCCoron",
        "Asn_Coron",
    ] {
        fails(&dir, 1, &format!("-r {rule} --product-name p a_cal.fits")).stderr(
            predicate::str::contains("needs a psf member; add --psf FILE"),
        );
        let asn = written(&dir, &format!("-r {rule} --product-name p a --psf r"));
        assert_eq!(asn["asn_rule"], rule);
        assert_eq!(only_product(&asn), "a:science r:psf");
    }
}

#[test]
fn wavefront_combination_needs_two_members() {
    let dir = tmp();
    for rule in ["Asn_Lv3WFSCMB", "Asn_WFSCMB"] {
        fails(&dir, 1, &format!("-r {rule} --product-name p a"))
            .stderr(predicate::str::contains("at least two members"));
        written(&dir, &format!("-r {rule} --product-name p a b"));
    }
}

#[test]
fn rules_that_need_a_candidate_type_are_always_refused() {
    let dir = tmp();
    for rule in ["Asn_Lv3TSO", "Asn_Lv3ImageMosaic"] {
        fails(&dir, 1, &format!("-r {rule} --product-name p a b"))
            .stderr(predicate::str::contains("candidate type"));
    }
}

#[test]
fn documented_level3_rule_names_are_stage3_rules() {
    let dir = tmp();
    let asn = written(&dir, "-r Asn_NRS_MSA --product-name p a_cal.fits");
    assert_eq!(asn["asn_rule"], "Asn_NRS_MSA");
    assert_eq!(asn["target"], "none");
    assert_eq!(asn["products"][0]["name"], "p");
}

#[test]
fn a_failed_run_leaves_an_existing_output_untouched() {
    let dir = tmp();
    let out = dir.path().join("out.json");
    fs::write(&out, "precious").unwrap();
    asn(&dir)
        .args(words("-o out.json -r Asn_Lv3AMI --product-name p a"))
        .assert()
        .failure();
    assert_eq!(fs::read_to_string(&out).unwrap(), "precious");
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
}

// Typed members.

#[test]
fn stage3_typed_members_follow_science_grouped_by_type() {
    let dir = tmp();
    let args = "--product-name p --psf r1 a --background bg1 --psf r2 b --background bg2";
    assert_eq!(
        only_product(&written(&dir, args)),
        "a:science b:science bg1:background bg2:background r1:psf r2:psf"
    );
}

#[test]
fn stage2_attaches_every_typed_member_to_every_product_in_type_order() {
    let dir = tmp();
    let args = "-r Asn_Lv2WFSSNIS s1_rate.fits s2_rate.fits --direct-image d_i2d.fits \
                --segmap d_segm.fits --sourcecat d_cat.ecsv --imprint i_rate.fits \
                --background bg_rate.fits";
    let asn = written(&dir, args);
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
    let dir = tmp();
    fails(&dir, 1, "-r DMSLevel2bBase a --psf r").stderr(predicate::str::contains(
        "'r': psf members belong to Stage 3, and DMSLevel2bBase makes a Stage 2 association; \
         drop --psf, or choose a Stage 3 rule with -r",
    ));
    fails(&dir, 1, "--product-name p a --sourcecat c").stderr(predicate::str::contains(
        "sourcecat members belong to Stage 2",
    ));
    fails(&dir, 1, "-r Association a --background b")
        .stderr(predicate::str::contains("member names only"));
}

#[test]
fn an_association_with_no_science_member_is_an_error() {
    let dir = tmp();
    asn(&dir)
        .args(words("-o out.json --product-name p --files-from -"))
        .write_stdin("bg.fits\tbackground\n")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no science member"));
    assert!(!dir.path().join("out.json").exists());
}

// Names from lists.

#[test]
fn lists_are_read_in_order_after_the_arguments() {
    let dir = tmp();
    fs::write(dir.path().join("one.txt"), "b\r\n# comment\r\n\r\nc\r\n").unwrap();
    fs::write(dir.path().join("two.txt"), "d\n").unwrap();
    let asn = written(
        &dir,
        "--product-name p --files-from one.txt a --files-from two.txt",
    );
    assert_eq!(
        only_product(&asn),
        "a:science b:science c:science d:science"
    );
}

#[test]
fn a_listed_type_outside_the_stage_is_written_with_a_warning() {
    let dir = tmp();
    asn(&dir)
        .args(words("-o out.json --product-name p --files-from -"))
        .write_stdin("a\nx\ttarget_acquisition\ni\timprint\n")
        .assert()
        .success()
        .stderr(predicate::str::contains("'target_acquisition'"))
        .stderr(predicate::str::contains("'imprint'"));
    assert_eq!(
        only_product(&read(&dir.path().join("out.json"))),
        "a:science i:imprint x:target_acquisition"
    );
}

#[test]
fn a_missing_list_is_an_error_naming_it() {
    let dir = tmp();
    fails(&dir, 1, "--product-name p --files-from nope.txt").stderr(
        "asn-from-list: error: cannot read 'nope.txt': No such file or directory (os error 2)\n",
    );
}

#[test]
fn an_empty_list_is_an_error_naming_it() {
    let dir = tmp();
    fs::write(dir.path().join("empty.txt"), "# nothing here\n\n").unwrap();
    fails(&dir, 1, "--product-name p --files-from empty.txt").stderr(predicate::str::contains(
        "'empty.txt': the list has no file names",
    ));
}

#[test]
fn a_list_that_is_not_utf8_is_an_error_naming_the_line() {
    let dir = tmp();
    fs::write(dir.path().join("bad.txt"), b"a\nb\n\xff\xfe\n").unwrap();
    fails(&dir, 1, "--product-name p --files-from bad.txt")
        .stderr("asn-from-list: error: 'bad.txt' line 3: not valid UTF-8\n");
}

// Patterns.

fn touch(dir: &TempDir, names: &str) {
    for name in words(names) {
        let path = dir.path().join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, "").unwrap();
    }
}

#[test]
fn a_pattern_expands_sorted_and_skips_hidden_files() {
    let dir = tmp();
    touch(
        &dir,
        "c_cal.fits a_cal.fits .h_cal.fits b_rate.fits d/e_cal.fits",
    );
    let asn = written(&dir, "--product-name p *_cal.fits d/*");
    assert_eq!(
        only_product(&asn),
        "a_cal.fits:science c_cal.fits:science d/e_cal.fits:science"
    );
}

#[test]
fn a_pattern_sorts_whole_names_as_the_shell_does() {
    let dir = tmp();
    touch(&dir, "a/x a-b/x");
    let asn = written(&dir, "--product-name p */x");
    assert_eq!(only_product(&asn), "a-b/x:science a/x:science");
}

#[test]
fn a_pattern_in_a_typed_flag_expands_too() {
    let dir = tmp();
    touch(&dir, "bg2.fits bg1.fits");
    let asn = written(&dir, "--product-name p a --background bg*.fits");
    assert_eq!(
        only_product(&asn),
        "a:science bg1.fits:background bg2.fits:background"
    );
}

#[test]
fn an_existing_file_with_pattern_characters_is_taken_as_it_is() {
    let dir = tmp();
    touch(&dir, "odd[1]_cal.fits odd1_cal.fits");
    let asn = written(&dir, "--product-name p odd[1]_cal.fits");
    assert_eq!(only_product(&asn), "odd[1]_cal.fits:science");
}

#[test]
fn no_glob_takes_patterns_literally() {
    let dir = tmp();
    let asn = written(&dir, "--product-name p --no-glob *_x1d.fits");
    assert_eq!(only_product(&asn), "*_x1d.fits:science");
}

#[test]
fn a_pattern_that_matches_nothing_is_an_error_not_a_member() {
    let dir = tmp();
    fails(&dir, 1, "--product-name p *_x1d.fits").stderr(predicate::str::contains(
        "'*_x1d.fits': no file matches this pattern",
    ));
}

#[test]
fn an_invalid_pattern_is_an_error_with_the_way_out() {
    let dir = tmp();
    fails(&dir, 1, "--product-name p a[.fits")
        .stderr(predicate::str::contains("invalid pattern"))
        .stderr(predicate::str::contains("--no-glob"));
}

// Output and meta keywords.

#[test]
fn dash_writes_to_standard_output_with_one_newline() {
    let dir = tmp();
    let out = asn(&dir)
        .args(words("-o - --product-name p a"))
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(text.ends_with("}\n") && !text.ends_with("\n\n"));
    let asn: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(asn["products"][0]["name"], "p");
    assert!(!dir.path().join("-").exists());
}

#[test]
fn meta_sets_keywords_in_place_and_adds_new_ones_before_products() {
    let dir = tmp();
    let args =
        "-r Association a --meta program=00623 --meta version_id=v1 --meta asn_pool=pool.csv";
    let asn = written(&dir, args);
    let text = fs::read_to_string(dir.path().join("out.json")).unwrap();
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
    let dir = tmp();
    fails(&dir, 2, "--product-name p --meta progam=1 a")
        .stderr(predicate::str::contains("did you mean 'program'"));
    fails(&dir, 2, "--product-name p --meta program a")
        .stderr(predicate::str::contains("KEY=VALUE"));
}

#[test]
fn the_format_flag_warns_that_it_is_deprecated() {
    let dir = tmp();
    written(&dir, "--product-name p x");
    asn(&dir)
        .args(words("-o b.json -f json --product-name p x"))
        .assert()
        .success()
        .stderr(predicate::str::contains("deprecated"));
    assert_eq!(
        fs::read(dir.path().join("out.json")).unwrap(),
        fs::read(dir.path().join("b.json")).unwrap()
    );
    asn(&dir)
        .args(words("-o c.yaml -f yaml --product-name p x"))
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "YAML associations are deprecated upstream",
        ));
}

#[test]
fn an_unknown_format_is_a_usage_error_and_writes_nothing() {
    let dir = tmp();
    fails(&dir, 2, "-f xml --product-name p x")
        .stderr(predicate::str::contains("the formats are json and yaml"));
}

#[test]
fn many_paths_draw_one_warning_line() {
    let dir = tmp();
    let names: Vec<String> = (0..100).map(|i| format!("d/f{i}_cal.fits")).collect();
    let out = asn(&dir)
        .args(words("-o out.json --product-name p --no-glob"))
        .args(&names)
        .assert()
        .success();
    let stderr = stderr_of(&out);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("100 member names have a directory part"));
}

// Packaging.

#[test]
fn generate_prints_a_man_page_and_completions() {
    let dir = tmp();
    asn(&dir)
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
        asn(&dir)
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
    let dir = tmp();
    let out = asn(&dir)
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
