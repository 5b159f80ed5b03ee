//! Fuzzes the list-file reader: arbitrary bytes as a `--files-from` list must give members or a
//! clean error, never a panic, and the members must make an association that writes and parses
//! back to the same names.
//!
//!     cargo fuzz run list_reader -- -max_total_time=60
#![no_main]

use asn_from_list::input::Sources;
use asn_from_list::{build, writer, Request, Rule};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let sources = Sources {
        lists: vec!["-".into()],
        ..Sources::default()
    };
    let Ok(loaded) = sources.load(&mut &data[..]) else {
        return;
    };
    let Ok(names) = loaded.members() else {
        return;
    };
    for member in &names.members {
        assert!(!member.expname.is_empty());
        assert!(!member.expname.contains('\n'));
        assert!(!member.expname.starts_with('#'));
    }
    let expected: Vec<String> = names.members.iter().map(|m| m.expname.to_string()).collect();
    let request = Request {
        product_name: Some("p".into()),
        from_command_line: names.from_command_line,
        ..Request::new(Rule::find("DMS_Level3_Base").unwrap(), names.members)
    };
    let Ok(built) = build(request) else {
        return; // no science member
    };
    let text = writer::to_string(&built.association).unwrap();
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
