//! Fuzzes the list-file reader: arbitrary bytes as a `--files-from` list must give members or a
//! clean error, never a panic, and the members must make an association that writes and parses
//! back to the same names.
//!
//!     cargo fuzz run list_reader -- -max_total_time=60
#![no_main]

use asn_from_list::input::Sources;
use asn_from_list::{build, json, Options, OtherStageTypes, Rule};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut sources = Sources::default();
    sources.lists = vec!["-".into()];
    let Ok(loaded) = sources.load(&mut &data[..]) else {
        return;
    };
    let Ok(names) = loaded.members() else {
        return;
    };
    for member in &names.members {
        // A list is UTF-8 text, so its names are too.
        let name = member.expname.to_str().unwrap();
        assert!(!name.is_empty());
        assert!(!name.contains(['\n', '\r', '\0']));
        assert!(!name.starts_with('#'));
    }
    let expected: Vec<String> = names
        .members
        .iter()
        .map(|m| m.expname.to_str().unwrap().to_string())
        .collect();
    let options = Options::new(Rule::find("DMS_Level3_Base").unwrap())
        .product_name("p")
        .other_stage_types(OtherStageTypes::Warn);
    let Ok(built) = build(options, names.members) else {
        return; // no science member
    };
    let text = json::to_string(&built.association).unwrap();
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut written: Vec<String> = value["products"][0]["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["expname"].as_str().unwrap().to_string())
        .collect();
    let mut expected = expected;
    written.sort();
    expected.sort();
    assert_eq!(written, expected);
});
