//! Property tests of the writer over arbitrary Unicode product and file names: the text parses
//! back to the same strings, and every string is escaped by the reference's rules.

use asn_from_list::{build, json, Body, ExpType, Member, Options, Rule};
use proptest::prelude::*;
use serde_json::Value;

/// What Python's `json.dumps(s)` (with `ensure_ascii=True`) writes for `s`, from its documented
/// rules: the short escapes, then `\uXXXX` in lowercase hex, by UTF-16 unit, for everything
/// outside space..`~`.
fn python_dumps(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out += "\\\"",
            '\\' => out += "\\\\",
            '\n' => out += "\\n",
            '\r' => out += "\\r",
            '\t' => out += "\\t",
            '\u{8}' => out += "\\b",
            '\u{c}' => out += "\\f",
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out += &format!("\\u{unit:04x}");
                }
            }
        }
    }
    out + "\""
}

/// Strings that lean on the tricky code points: C0 controls, DEL, the quote and backslash,
/// line and paragraph separators, the byte order mark, surrogate neighbours and astral planes.
fn tricky_string() -> impl Strategy<Value = String> {
    let tricky = prop_oneof![
        (0u32..0x20).prop_map(|c| char::from_u32(c).unwrap()),
        Just('\u{7f}'),
        Just('"'),
        Just('\\'),
        Just('/'),
        Just('\u{2028}'),
        Just('\u{2029}'),
        Just('\u{feff}'),
        Just('\u{d7ff}'),
        Just('\u{e000}'),
        Just('\u{ffff}'),
        (0x10000u32..=0x10ffff).prop_map(|c| char::from_u32(c).unwrap()),
        any::<char>(),
        proptest::char::range(' ', '~'),
    ];
    proptest::collection::vec(tricky, 0..24).prop_map(|chars| chars.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn strings_are_escaped_like_python(s in tricky_string()) {
        prop_assert_eq!(json::to_string(&s).unwrap(), python_dumps(&s));
    }

    #[test]
    fn stage3_output_is_ascii_and_parses_back_to_the_same_names(
        product in tricky_string(),
        names in proptest::collection::vec(tricky_string(), 1..6),
        psf in tricky_string(),
    ) {
        let mut members: Vec<Member> = names.iter().map(Member::science).collect();
        members.push(Member::new(&psf, ExpType::Psf));
        let options = Options::new(Rule::find("DMS_Level3_Base").unwrap()).product_name(&product);
        let built = build(options, members).unwrap();
        let text = json::to_string(&built.association).unwrap();
        prop_assert!(text.bytes().all(|b| b == b'\n' || (b' '..=b'~').contains(&b)));
        let value: Value = serde_json::from_str(&text).unwrap();
        let product_json = &value["products"][0];
        prop_assert_eq!(product_json["name"].as_str().unwrap(), product.as_str());
        let written: Vec<&str> = product_json["members"]
            .as_array().unwrap().iter().map(|m| m["expname"].as_str().unwrap()).collect();
        let mut want: Vec<&str> = names.iter().map(String::as_str).collect();
        want.push(&psf);
        prop_assert_eq!(written, want);
        for name in names.iter().chain([&product, &psf]) {
            prop_assert!(text.contains(&python_dumps(name)));
        }
    }

    #[test]
    fn stage2_output_parses_back_and_names_each_product(
        names in proptest::collection::vec(tricky_string(), 1..6),
    ) {
        let members: Vec<Member> = names.iter().map(Member::science).collect();
        let built = build(Options::new(Rule::find("DMSLevel2bBase").unwrap()), members).unwrap();
        let Body::Products(products) = &built.association.body else { unreachable!() };
        let text = json::to_string(&built.association).unwrap();
        let value: Value = serde_json::from_str(&text).unwrap();
        let parsed = value["products"].as_array().unwrap();
        prop_assert_eq!(parsed.len(), names.len());
        for ((json, product), name) in parsed.iter().zip(products.iter()).zip(&names) {
            prop_assert_eq!(json["name"].as_str().unwrap(), product.name());
            prop_assert_eq!(json["members"][0]["expname"].as_str().unwrap(), name.as_str());
        }
    }
}
