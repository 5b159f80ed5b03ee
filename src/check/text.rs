//! An association's bytes as jwst 3.0.0 reads them: JSON first, then, for what JSON refuses,
//! its deprecated YAML fallback (a byte-order mark, trailing commas, YAML text), which the next
//! release drops.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

use super::json::Json;
use super::Findings;

/// The first card of a FITS file: an exposure given where an association was expected.
const FITS_START: &[u8] = b"SIMPLE  =";

/// What could be read of an association.
pub(super) enum Read<'a> {
    /// JSON, perhaps after the deprecated forms jwst still reads.
    Json(Json<'a>),
    /// YAML text, which this tool does not parse past the keys that say which pipeline reads it.
    Yaml {
        asn_type: Option<String>,
        rule: Option<String>,
    },
    /// Nothing a pipeline reads.
    Nothing,
}

/// Reads `bytes` as the pipeline would, noting each deprecated form in `report`. The JSON
/// borrows from `storage`, which holds the text as read (and as mended, for trailing commas).
pub(super) fn read<'a>(
    bytes: &'a [u8],
    report: &mut Findings,
    storage: &'a mut [String; 2],
) -> Read<'a> {
    if bytes.starts_with(FITS_START) {
        report.error(
            None,
            None,
            "a FITS file, not an association",
            Some("give --check the association (*_asn.json) that lists it".into()),
        );
        return Read::Nothing;
    }
    let bytes = match bytes.strip_prefix(b"\xef\xbb\xbf") {
        Some(rest) => {
            report.deprecated(
                "it starts with a byte-order mark, which JSON forbids",
                "save it as UTF-8 without the mark",
            );
            rest
        }
        None => bytes,
    };
    let Ok(text) = std::str::from_utf8(bytes) else {
        report.error(
            None,
            None,
            "not UTF-8 text, so no pipeline reads it",
            Some("write the association as JSON".into()),
        );
        return Read::Nothing;
    };
    let [marked, mended] = storage;
    // Only a `\u` escape can be a lone surrogate: most files are read as they are.
    let marked: &'a str = if text.contains("\\u") {
        *marked = with_marked_surrogates(text);
        marked
    } else {
        text
    };
    let err = match serde_json::from_str(marked) {
        Ok(value) => return Read::Json(value),
        Err(err) => err,
    };
    let what = err.to_string();
    let what = what.split(" at line").next().unwrap_or(&what).to_string();
    if what.contains("trailing comma") {
        *mended = without_trailing_commas(marked);
        let mended: &'a str = mended;
        if let Ok(value) = serde_json::from_str(mended) {
            report.deprecated(
                &format!(
                    "a trailing comma at line {}, column {}, which JSON forbids",
                    err.line(),
                    err.column()
                ),
                "remove the comma",
            );
            return Read::Json(value);
        }
    }
    if looks_like_yaml(text) {
        report.deprecated(
            "YAML text, not JSON (so its products and members are not checked here)",
            "write it as JSON, as asn-from-list does",
        );
        return Read::Yaml {
            asn_type: top_level_value(text, "asn_type"),
            rule: top_level_value(text, "asn_rule"),
        };
    }
    report.error(
        None,
        None,
        &format!(
            "not JSON: {what} at line {}, column {}, and not YAML either, so no pipeline reads it",
            err.line(),
            err.column()
        ),
        Some("write the association as JSON, as asn-from-list does".into()),
    );
    Read::Nothing
}

/// The plain value of a top-level `key: value` line of YAML text.
fn top_level_value(text: &str, key: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let value = line.strip_prefix(key)?.strip_prefix(':')?.trim();
        Some(value.trim_matches(|c| c == '\'' || c == '"').to_string())
    })
}

/// Whether `text` reads as a YAML mapping: its first line that is not blank or a comment is a
/// `key:` (PyYAML reads such text where JSON fails; an association is a mapping).
fn looks_like_yaml(text: &str) -> bool {
    let Some(line) = text
        .lines()
        .map(str::trim_end)
        .find(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#') && *l != "---")
    else {
        return false;
    };
    let Some((key, rest)) = line.split_once(':') else {
        return false;
    };
    let key = key.trim_matches(|c| c == '"' || c == '\'');
    (rest.is_empty() || rest.starts_with(' '))
        && !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

/// `text` without the commas that stand before a closing `]` or `}` (outside strings), in one
/// pass.
fn without_trailing_commas(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
        } else if c == '"' {
            in_string = true;
        } else if c == ',' {
            let next = bytes[i + 1..]
                .iter()
                .find(|b| !b.is_ascii_whitespace())
                .copied();
            if matches!(next, Some(b']' | b'}')) {
                continue;
            }
        }
        out.push(c);
    }
    out
}

/// Lone surrogate escapes (`\udcff`), which this tool and the reference write for bytes of file
/// names that are not UTF-8 and which JSON parsers refuse, turned into characters of a private
/// range, U+10FE80 to U+10FEFF, that [`unmark_surrogates`] turns back into the bytes.
pub(super) fn with_marked_surrogates(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('\\') {
        out.push_str(&rest[..at]);
        let escape = &rest[at..];
        let unit = |s: &str| s.get(2..6).and_then(|h| u16::from_str_radix(h, 16).ok());
        if escape.starts_with("\\u") {
            match unit(escape) {
                // A high surrogate and its low one: a real character, kept as it is. Both
                // escapes are ASCII, so the 12 bytes end on a character boundary.
                Some(0xd800..=0xdbff)
                    if matches!(escape.get(6..).and_then(unit), Some(0xdc00..=0xdfff)) =>
                {
                    out.push_str(&escape[..12]);
                    rest = &escape[12..];
                    continue;
                }
                Some(low @ 0xdc80..=0xdcff) => {
                    let marked = char::from_u32(0x10fe00 + u32::from(low - 0xdc00))
                        .expect("a private-use character");
                    out.push(marked);
                    rest = &escape[6..];
                    continue;
                }
                _ => {}
            }
        }
        // Any other escape, `\\` included, is kept whole.
        let len = escape.chars().take(2).map(char::len_utf8).sum::<usize>();
        out.push_str(&escape[..len]);
        rest = &escape[len..];
    }
    out.push_str(rest);
    out
}

/// A name with its marked surrogates (see [`with_marked_surrogates`]) as the bytes they stand
/// for.
pub(super) fn unmark_surrogates(name: &str) -> OsString {
    let mut bytes = Vec::with_capacity(name.len());
    for c in name.chars() {
        match u32::from(c) {
            code @ 0x10fe80..=0x10feff => bytes.push((code - 0x10fe00) as u8),
            _ => bytes.extend(c.encode_utf8(&mut [0; 4]).as_bytes()),
        }
    }
    OsString::from_vec(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn surrogate_escapes_stand_for_the_bytes_they_were() {
        let marked = with_marked_surrogates(r#"{"a": "x\udcff\\udcff\ud83d\ude00"}"#);
        let value: serde_json::Value = serde_json::from_str(&marked).unwrap();
        let name = unmark_surrogates(value["a"].as_str().unwrap());
        assert_eq!(name.into_vec(), b"x\xff\\udcff\xf0\x9f\x98\x80");
    }

    #[test]
    fn a_high_surrogate_before_other_characters_is_no_panic() {
        let marked = with_marked_surrogates("{\"a\": \"\\ud800\\u日本x\"}");
        assert!(marked.contains("日本"));
        let marked = with_marked_surrogates("\\ud800\\");
        assert_eq!(marked, "\\ud800\\");
    }

    #[test]
    fn trailing_commas_go_but_commas_in_strings_stay() {
        assert_eq!(
            without_trailing_commas("{\"a\": [1, 2,\n ],\n \"b,}\": \"\\\",]\",}"),
            "{\"a\": [1, 2\n ],\n \"b,}\": \"\\\",]\"}"
        );
    }

    #[test]
    fn yaml_is_told_by_its_first_key() {
        assert!(looks_like_yaml(
            "# made by hand\nasn_type: image3\nproducts:\n"
        ));
        assert!(looks_like_yaml("products:\n- name: x\n"));
        assert!(!looks_like_yaml("this is not an association\n"));
        assert!(!looks_like_yaml("{\"a\": 1,}"));
        assert!(!looks_like_yaml(""));
    }
}
