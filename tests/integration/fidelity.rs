//! Command lines the reference accepts that a drop-in must accept and write the same: values
//! and names that start with `-`, names that are not UTF-8, output paths with a trailing `/`,
//! Stage 2 candidate rules, repeated options, and YAML. The expected text is the reference's
//! own (jwst 3.0.0), kept in `tests/fixtures/fidelity.json` by
//! `tests/pipeline/make_fidelity_fixtures.py`; only `code_version` may differ.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

use crate::common::*;
use crate::conformance::normalise;
use serde_json::Value;

fn arg(value: &Value) -> OsString {
    match value {
        Value::String(s) => OsString::from(s),
        Value::Object(o) => {
            let hex = o["hex"].as_str().unwrap();
            let bytes = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                .collect();
            OsString::from_vec(bytes)
        }
        other => panic!("an argument is a string or bytes, not {other}"),
    }
}

#[test]
fn every_command_line_the_reference_accepts_writes_the_same_text() {
    let fixtures: Value =
        serde_json::from_str(include_str!("../fixtures/fidelity.json")).expect("fidelity.json");
    let cases = fixtures["cases"].as_object().unwrap();
    assert!(cases.len() >= 25);
    let mut failed = Vec::new();
    for (name, case) in cases {
        let env = Env::new();
        let args: Vec<OsString> = case["args"].as_array().unwrap().iter().map(arg).collect();
        let run = env.cmd().args(&args).output().unwrap();
        let output = env.join(case["output"].as_str().unwrap());
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
        match case["expect"].as_str().unwrap() {
            "ok" => {
                let Ok(bytes) = std::fs::read(&output) else {
                    failed.push(format!(
                        "{name}: exit {:?}, no output: {stderr}",
                        run.status
                    ));
                    continue;
                };
                let want = case["text"].as_str().unwrap();
                // Non-UTF-8 bytes never reach the text: JSON and YAML escape them.
                let got = String::from_utf8(bytes).expect("ASCII text");
                if normalise(&got) != normalise(want) {
                    similar_asserts::assert_eq!(normalise(want), normalise(&got), "{name}");
                }
            }
            _ => {
                if run.status.success() || output.exists() {
                    failed.push(format!("{name}: expected an error and no output file"));
                }
            }
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}
