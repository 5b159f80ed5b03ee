//! Installed and used the way astronomers work: completions that know the domain for both
//! names, a man page with examples, help examples that paste, the drop-in name in messages,
//! and example scripts that write where they are run.

use std::path::Path;
use std::process::Command as StdCommand;

use crate::common::*;
use predicates::prelude::*;

fn generated(what: &str) -> String {
    stdout_of(
        &Env::new()
            .cmd()
            .args(["--generate", what])
            .assert()
            .success(),
    )
}

fn has(program: &str) -> bool {
    StdCommand::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// What bash completes for the words of `line` (the last word is being completed).
fn bash_completes(script: &Path, line: &str) -> Vec<String> {
    let mut words: Vec<&str> = words(line);
    if line.ends_with(' ') {
        words.push("");
    }
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let shell = format!(
        "source '{}'; COMP_WORDS=({}); COMP_CWORD={}; COMP_LINE='{line}'; COMP_POINT=${{#COMP_LINE}}; \
         _asn__from__list {} '{}' '{}'; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        script.display(),
        quoted.join(" "),
        words.len() - 1,
        words[0],
        words[words.len() - 1],
        words[words.len() - 2],
    );
    let out = StdCommand::new("bash")
        .args(["-c", &shell])
        .output()
        .unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(String::from)
        .collect()
}

#[test]
fn bash_completes_rules_meta_keys_and_formats_for_both_names() {
    let env = Env::new();
    let script = env.write("completions.bash", generated("complete-bash"));
    for name in ["asn-from-list", "asn_from_list"] {
        let rules = bash_completes(&script, &format!("{name} -r Asn_Lv3N"));
        assert!(
            rules.contains(&"Asn_Lv3NRCCoron".to_string()),
            "{name}: {rules:?}"
        );
        assert!(rules.iter().all(|r| r.starts_with("Asn_Lv3N")), "{rules:?}");
        let keys = bash_completes(&script, &format!("{name} --meta asn_t"));
        assert_eq!(keys, ["asn_type="]);
        let formats = bash_completes(&script, &format!("{name} -f "));
        assert_eq!(formats, ["json", "yaml", "text"]);
    }
    let registered = fs_text(&script);
    assert!(registered.contains("asn-from-list asn_from_list\n"));
}

fn fs_text(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn fish_completes_rules_and_meta_keys_for_both_names() {
    let script = generated("complete-fish");
    if !has("fish") {
        eprintln!("skipped: fish is not installed (Debian's fish); checked the script's text only");
        assert!(script.contains("complete -c asn_from_list -s r -l rule"));
        return;
    }
    let env = Env::new();
    let path = env.write("completions.fish", script);
    for name in ["asn-from-list", "asn_from_list"] {
        let command = format!(
            "source '{}'; complete -C '{name} -r Asn_Lv3A'; complete -C '{name} --meta asn_p'",
            path.display()
        );
        let out = StdCommand::new("fish")
            .args(["-c", &command])
            .output()
            .unwrap();
        let got = String::from_utf8(out.stdout).unwrap();
        assert!(got.contains("Asn_Lv3AMI"), "{name}: {got}");
        assert!(got.contains("asn_pool="), "{name}: {got}");
    }
}

#[test]
fn zsh_completion_serves_both_names_and_knows_the_rules() {
    let script = generated("complete-zsh");
    assert!(script.starts_with("#compdef asn-from-list asn_from_list\n"));
    assert!(script.contains("Asn_Lv3NRCCoron"));
    assert!(script.contains("asn_type="));
    if has("zsh") {
        let env = Env::new();
        let path = env.write("_asn-from-list", &script);
        let status = StdCommand::new("zsh")
            .arg("-n")
            .arg(&path)
            .status()
            .unwrap();
        assert!(status.success(), "zsh -n found a syntax error");
    } else {
        eprintln!("skipped: zsh is not installed; checked the script's text only");
    }
}

#[test]
fn the_man_page_has_an_examples_section() {
    let man = generated("man");
    assert!(man.contains(".SH EXAMPLES"), "{man}");
    assert!(!man.contains(".SH EXTRA"));
    assert!(man.contains("asn\\-from\\-list \\-o \\- \\-r Asn_Lv3NRCCoron"));
    let options = man.find(".SH OPTIONS").unwrap();
    let examples = man.find(".SH EXAMPLES").unwrap();
    assert!(options < examples);
}

#[test]
fn help_examples_fit_an_80_column_terminal_without_wrapping() {
    let help = stdout_of(
        &Env::new()
            .cmd()
            .arg("--help")
            .env("COLUMNS", "80")
            .assert()
            .success(),
    );
    let examples = &help[help.find("Examples:").unwrap()..];
    for line in examples.lines() {
        assert!(line.len() <= 80, "wrapped or too long: {line:?}");
    }
    // A command's first line either ends it or says it goes on.
    for line in examples
        .lines()
        .filter(|l| l.trim_start().starts_with("asn-from-list "))
    {
        assert!(!line.ends_with(' '), "{line:?}");
    }
}

#[test]
fn run_as_asn_from_list_it_speaks_under_that_name() {
    let env = Env::new();
    let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("asn_from_list");
    cmd.current_dir(env.path())
        .arg("--version")
        .assert()
        .success()
        .stdout("asn_from_list 0.1.0\n");
    let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("asn_from_list");
    cmd.current_dir(env.path())
        .args([
            "-o",
            "x.json",
            "-r",
            "Asn_Lv3AMI",
            "--product-name",
            "p",
            "a",
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::starts_with(
            "asn_from_list: error: Asn_Lv3AMI needs a psf member",
        ));
    let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("asn_from_list");
    cmd.current_dir(env.path())
        .args(["-o", "x.json"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("Usage: asn_from_list "));
}

#[test]
fn example_scripts_write_where_they_are_run() {
    let env = Env::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bin_dir = Path::new(assert_cmd::cargo::cargo_bin!("asn-from-list"))
        .parent()
        .unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for (script, out) in [
        ("coron3.sh", "coron3_asn.json"),
        ("spec2_nirspec.sh", "spec2_asn.json"),
    ] {
        let status = StdCommand::new("sh")
            .arg(root.join("examples").join(script))
            .arg(out)
            .current_dir(env.path())
            .env("PATH", &path)
            .status()
            .unwrap();
        assert!(status.success(), "{script}");
        assert!(env.json(out)["products"].is_array(), "{script}");
        assert!(
            !root.join("examples/data").join(out).exists(),
            "{script} wrote into examples/data"
        );
    }
}

mod dropin {
    use super::*;
    use std::fs;
    use std::os::unix::fs::PermissionsExt;

    /// `asn-from-list --install-dropin bin`, with `PATH` set to `path` (folders of the test's).
    fn install(env: &Env, program: &Path, path: &str) -> assert_cmd::assert::Assert {
        let path = std::env::join_paths(path.split(':').map(|f| env.join(f))).unwrap();
        assert_cmd::Command::new(program)
            .current_dir(env.path())
            .env("PATH", path)
            .args(["--install-dropin", "bin"])
            .assert()
    }

    fn program() -> &'static Path {
        Path::new(assert_cmd::cargo::cargo_bin!("asn-from-list"))
    }

    #[test]
    fn install_dropin_writes_a_script_that_runs_this_tool_as_asn_from_list() {
        let env = Env::new();
        fs::create_dir(env.join("bin")).unwrap();
        install(&env, program(), "bin")
            .success()
            .stdout(predicate::str::contains("runs "))
            .stderr("");
        let script = env.join("bin/asn_from_list");
        assert_ne!(
            fs::metadata(&script).unwrap().permissions().mode() & 0o111,
            0
        );
        let run = |cmd: &str| {
            let out = StdCommand::new(cmd)
                .args(["-o", "-", "--product-name", "p", "a_cal.fits"])
                .current_dir(env.path())
                .output()
                .unwrap();
            assert!(out.status.success(), "{cmd}");
            out.stdout
        };
        assert_eq!(
            run(script.to_str().unwrap()),
            run(program().to_str().unwrap())
        );
        let version = StdCommand::new(&script).arg("--version").output().unwrap();
        let version = String::from_utf8(version.stdout).unwrap();
        assert!(version.starts_with("asn_from_list "), "{version}");
    }

    #[test]
    fn install_dropin_never_replaces_a_program_already_there() {
        let env = Env::new();
        let jwst = env.write("bin/asn_from_list", "#!/bin/sh\necho jwst\n");
        install(&env, program(), "bin")
            .code(1)
            .stderr(predicate::str::contains(
                "exists already and is left as it is",
            ));
        assert_eq!(fs::read_to_string(&jwst).unwrap(), "#!/bin/sh\necho jwst\n");
        // Not even a link to nothing.
        fs::remove_file(&jwst).unwrap();
        std::os::unix::fs::symlink("gone", &jwst).unwrap();
        install(&env, program(), "bin").code(1);
        assert_eq!(fs::read_link(&jwst).unwrap(), Path::new("gone"));
    }

    #[test]
    fn install_dropin_warns_when_another_asn_from_list_comes_first_or_dir_is_not_on_path() {
        let env = Env::new();
        let jwst = env.write("jwst/asn_from_list", "#!/bin/sh\necho jwst\n");
        fs::set_permissions(&jwst, fs::Permissions::from_mode(0o755)).unwrap();
        fs::create_dir(env.join("bin")).unwrap();
        install(&env, program(), "jwst:bin")
            .success()
            .stderr(predicate::str::contains(
                "comes first on PATH and runs instead",
            ));
        fs::remove_file(env.join("bin/asn_from_list")).unwrap();
        install(&env, program(), "elsewhere")
            .success()
            .stderr(predicate::str::contains("'bin' is not on PATH"));
    }

    #[test]
    fn the_dropin_says_what_to_do_once_this_tool_is_uninstalled() {
        let env = Env::new();
        fs::create_dir_all(env.join("venv/bin")).unwrap();
        fs::create_dir(env.join("bin")).unwrap();
        let copy = env.join("venv/bin/asn-from-list");
        // A hard link, not a copy: a copy just written may still be open for writing in a
        // child another test thread forks meanwhile, and exec then fails with "text file busy".
        if fs::hard_link(program(), &copy).is_err() {
            fs::copy(program(), &copy).unwrap();
        }
        install(&env, &copy, "bin").success();
        fs::remove_file(&copy).unwrap();
        let out = StdCommand::new(env.join("bin/asn_from_list"))
            .arg("--version")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(127));
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(
            stderr.contains("is gone; reinstall asn-from-list"),
            "{stderr}"
        );
    }
}
