//! Golden tests: the binary against the conformance cases, what the reference asn_from_list
//! (jwst 3.0.0) writes for each command line, kept in `tests/fixtures/conformance/`.
//!
//! Each case runs in a fresh temporary directory, like the shared runner. An `ok` case must
//! write byte for byte the reference's text (but for the value of `code_version`), which is
//! then parsed back with serde as a second check; an `error` case must fail, say "error" and
//! leave nothing at the output path.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::cargo::cargo_bin_cmd;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Case {
    name: String,
    about: String,
    args: Vec<String>,
    #[serde(default)]
    files: BTreeMap<String, String>,
    #[serde(default)]
    stdin: String,
    expect: String,
    output: Option<String>,
    #[serde(default)]
    warns: bool,
    #[serde(default)]
    stdout: bool,
}

/// The first lines where `got` differs from `want`, as a unified diff.
fn diff(want: &str, got: &str) -> String {
    similar::TextDiff::from_lines(want, got)
        .unified_diff()
        .context_radius(2)
        .header("reference", "this binary")
        .to_string()
}

fn check(case: &Case) -> Result<(), String> {
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let out = tmp.path().join("out_asn.json");
    for (rel, content) in &case.files {
        let path = tmp.path().join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, content).unwrap();
    }
    let args: Vec<String> = case
        .args
        .iter()
        .map(|a| {
            a.replace("{out}", out.to_str().unwrap())
                .replace("{tmp}", tmp.path().to_str().unwrap())
        })
        .collect();
    let result = cargo_bin_cmd!("asn-from-list")
        .args(&args)
        .current_dir(tmp.path())
        .write_stdin(case.stdin.as_bytes())
        .output()
        .map_err(|e| e.to_string())?;
    let stderr = String::from_utf8_lossy(&result.stderr);
    if stderr.contains("panicked") {
        return Err(format!("panicked:\n{stderr}"));
    }
    if case.expect == "error" {
        if result.status.success() {
            return Err("expected an error, but it exited 0".into());
        }
        if out.exists() {
            return Err("expected no output file, but one was left".into());
        }
        if !stderr.to_lowercase().contains("error") {
            return Err(format!("expected 'error' on stderr, got: {stderr}"));
        }
        // clap keeps its own format for usage errors: the error line, then a pointer to --help.
        let message = stderr.replace("\n\nFor more information, try '--help'.", "");
        if message.trim().lines().count() > 1 && !message.contains("Usage:") {
            return Err(format!("expected a one-line error, got:\n{stderr}"));
        }
        return Ok(());
    }
    if !result.status.success() {
        return Err(format!("exit {}, stderr:\n{stderr}", result.status));
    }
    let raw = if case.stdout {
        let text = String::from_utf8(result.stdout).map_err(|e| e.to_string())?;
        text.strip_suffix('\n')
            .ok_or("standard output should end with a newline")?
            .to_string()
    } else {
        fs::read_to_string(&out).map_err(|e| format!("no output file: {e}"))?
    };
    let want = case.output.as_deref().ok_or("an ok case needs an output")?;
    if normalise(&raw) != normalise(want) {
        return Err(diff(&normalise(want), &normalise(&raw)));
    }
    let parsed: serde_json::Value = serde_json::from_str(&raw).map_err(|e| e.to_string())?;
    let mut expected: serde_json::Value = serde_json::from_str(want).unwrap();
    expected["code_version"] = parsed["code_version"].clone();
    if parsed != expected {
        return Err("the output parses to a different value".into());
    }
    if parsed["code_version"] != env!("CARGO_PKG_VERSION") {
        return Err(format!("code_version is {}", parsed["code_version"]));
    }
    if case.warns && stderr.trim().is_empty() {
        return Err("expected a warning on stderr, got nothing".into());
    }
    Ok(())
}

fn run_all(dir: &str) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut paths: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    let mut failures = Vec::new();
    for path in &paths {
        let case: Case = serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap();
        if let Err(why) = check(&case) {
            failures.push(format!(
                "FAIL {} ({}): {:?}\n{why}",
                case.name, case.about, case.args
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    paths.len()
}

#[test]
fn every_reference_case_is_byte_identical() {
    assert_eq!(run_all("tests/fixtures/conformance/cases"), 32);
}

#[test]
fn every_extended_case_passes() {
    assert_eq!(run_all("tests/fixtures/conformance/extended"), 21);
}

/// The text with `code_version`'s value blanked, in JSON or YAML: it is this tool's own
/// version, and everything else must match the reference.
pub fn normalise(text: &str) -> String {
    text.lines()
        .map(|line| {
            if let Some(rest) = line.strip_prefix("    \"code_version\": ") {
                let comma = if rest.ends_with(',') { "," } else { "" };
                format!("    \"code_version\": *{comma}")
            } else if line.starts_with("code_version: ") {
                "code_version: *".to_string()
            } else {
                line.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + if text.ends_with('\n') { "\n" } else { "" }
}
