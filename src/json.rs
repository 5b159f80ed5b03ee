//! The reference's JSON text: what Python's `json.dumps(data, indent=4)` writes, to any
//! [`Write`]. Where the text goes is [`crate::output`]'s concern.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::ser::{CharEscape, Formatter, Serializer};

use crate::output::Render;

/// Writes `value` as the reference's JSON text: four-space indentation, `", "` and `": "`
/// separators, and ASCII only (see [`PythonFormatter`]). No newline follows the closing brace.
///
/// # Errors
///
/// Any error of `writer`, or of `value`'s serialization.
pub fn to_writer<W: Write, T: Serialize + ?Sized>(writer: W, value: &T) -> io::Result<()> {
    let mut serializer = Serializer::with_formatter(writer, PythonFormatter::default());
    value.serialize(&mut serializer).map_err(io::Error::from)
}

/// A value as the reference's JSON text, for [`crate::output::write`].
#[derive(Debug, Clone, Copy)]
pub struct Json<'a, T: ?Sized>(pub &'a T);

impl<T: Serialize + ?Sized> Render for Json<'_, T> {
    fn render(&self, out: &mut dyn Write) -> io::Result<()> {
        to_writer(out, self.0)
    }
}

/// [`to_writer`] into a `String`.
///
/// # Errors
///
/// Any error of `value`'s serialization.
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> io::Result<String> {
    let mut text = Vec::new();
    to_writer(&mut text, value)?;
    // The formatter writes ASCII only.
    String::from_utf8(text).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// A serde_json formatter that writes what Python's `json.dumps(..., indent=4)` writes with its
/// default `ensure_ascii=True`: every character outside space..`~` is escaped, the usual ones in
/// short form (serde_json's own escapes agree with Python's there), the rest as `\uXXXX` in
/// lowercase hex, and characters beyond the Basic Multilingual Plane as surrogate pairs.
#[derive(Debug, Default, Clone)]
pub struct PythonFormatter {
    depth: usize,
    has_value: bool,
}

/// A newline and enough indentation for any depth an association reaches, written in one call.
const NEWLINE_INDENT: &[u8; 65] =
    b"\n                                                                ";

impl PythonFormatter {
    fn newline<W: ?Sized + Write>(&self, writer: &mut W) -> io::Result<()> {
        let width = self.depth * 4;
        match NEWLINE_INDENT.get(..=width) {
            Some(line) => writer.write_all(line),
            None => {
                writer.write_all(b"\n")?;
                (0..self.depth).try_for_each(|_| writer.write_all(b"    "))
            }
        }
    }

    fn open<W: ?Sized + Write>(&mut self, writer: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        writer.write_all(bracket)
    }

    fn close<W: ?Sized + Write>(&mut self, writer: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.newline(writer)?;
        }
        writer.write_all(bracket)
    }

    fn item<W: ?Sized + Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        if !first {
            writer.write_all(b",")?;
        }
        self.newline(writer)
    }
}

impl Formatter for PythonFormatter {
    fn begin_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.open(writer, b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.close(writer, b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.item(w, first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _writer: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.open(writer, b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.close(writer, b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.item(w, first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        writer.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _writer: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        // serde_json has already escaped the controls below space, the quote and the backslash,
        // so a fragment needs more only for DEL and what lies beyond ASCII.
        if fragment.bytes().all(|b| b < 0x7f) {
            return writer.write_all(fragment.as_bytes());
        }
        let mut plain = 0;
        for (at, c) in fragment.char_indices() {
            if c < '\x7f' {
                continue;
            }
            writer.write_all(&fragment.as_bytes()[plain..at])?;
            plain = at + c.len_utf8();
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                write!(writer, "\\u{unit:04x}")?;
            }
        }
        writer.write_all(&fragment.as_bytes()[plain..])
    }

    /// Bytes are a name that is not UTF-8 ([`crate::model::Name`]): written as the string
    /// Python's `surrogateescape` makes of them, each byte outside a UTF-8 character as a lone
    /// surrogate `\udcXX`.
    fn write_byte_array<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        value: &[u8],
    ) -> io::Result<()> {
        writer.write_all(b"\"")?;
        for chunk in value.utf8_chunks() {
            // The valid text is escaped as a string's is: short escapes through
            // write_char_escape, the rest through write_string_fragment.
            let text = chunk.valid();
            let mut plain = 0;
            for (at, c) in text.char_indices() {
                let escape = match c {
                    '"' => CharEscape::Quote,
                    '\\' => CharEscape::ReverseSolidus,
                    '\n' => CharEscape::LineFeed,
                    '\r' => CharEscape::CarriageReturn,
                    '\t' => CharEscape::Tab,
                    '\u{8}' => CharEscape::Backspace,
                    '\u{c}' => CharEscape::FormFeed,
                    c if c < ' ' => CharEscape::AsciiControl(c as u8),
                    _ => continue,
                };
                self.write_string_fragment(writer, &text[plain..at])?;
                self.write_char_escape(writer, escape)?;
                plain = at + 1;
            }
            self.write_string_fragment(writer, &text[plain..])?;
            for byte in chunk.invalid() {
                write!(writer, "\\udc{byte:02x}")?;
            }
        }
        writer.write_all(b"\"")
    }

    fn write_char_escape<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        escape: CharEscape,
    ) -> io::Result<()> {
        let short: &[u8] = match escape {
            CharEscape::Quote => b"\\\"",
            CharEscape::ReverseSolidus => b"\\\\",
            CharEscape::Solidus => b"\\/",
            CharEscape::Backspace => b"\\b",
            CharEscape::FormFeed => b"\\f",
            CharEscape::LineFeed => b"\\n",
            CharEscape::CarriageReturn => b"\\r",
            CharEscape::Tab => b"\\t",
            CharEscape::AsciiControl(byte) => return write!(writer, "\\u{byte:04x}"),
        };
        writer.write_all(short)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// What Python's `json.dumps(s)` writes for each of these strings.
    #[test]
    fn strings_are_escaped_like_python() {
        let table = [
            ("plain", r#""plain""#),
            ("quote\"back\\slash/", r#""quote\"back\\slash/""#),
            ("\n\r\t\u{8}\u{c}", r#""\n\r\t\b\f""#),
            ("\u{0}\u{1}\u{1f}", r#""\u0000\u0001\u001f""#),
            ("\u{7f}", r#""\u007f""#),
            ("~ ", r#""~ ""#),
            ("é", r#""\u00e9""#),
            ("\u{80}\u{ff}", r#""\u0080\u00ff""#),
            ("日本", r#""\u65e5\u672c""#),
            ("\u{2028}\u{2029}", r#""\u2028\u2029""#),
            ("\u{feff}", r#""\ufeff""#),
            ("\u{ffff}", r#""\uffff""#),
            ("😀", r#""\ud83d\ude00""#),
            ("\u{10000}\u{10ffff}", r#""\ud800\udc00\udbff\udfff""#),
            ("a\u{7f}b\u{e9}c", r#""a\u007fb\u00e9c""#),
        ];
        for (input, want) in table {
            assert_eq!(to_string(input).unwrap(), want, "{input:?}");
        }
    }

    /// What the reference writes for names that are not UTF-8, and for the same text as UTF-8.
    #[test]
    fn bytes_are_written_as_pythons_surrogate_escapes() {
        let bytes = |b: &[u8]| {
            let mut out = Vec::new();
            PythonFormatter::default()
                .write_byte_array(&mut out, b)
                .unwrap();
            String::from_utf8(out).unwrap()
        };
        assert_eq!(bytes(b"a\xff_cal.fits"), r#""a\udcff_cal.fits""#);
        assert_eq!(bytes(b"b\xe2\x82_rate"), r#""b\udce2\udc82_rate""#);
        assert_eq!(bytes(b"\xed\xa0\x80"), r#""\udced\udca0\udc80""#);
        for text in [
            "plain",
            "q\"b\\s\n\r\t\u{8}\u{c}",
            "\u{1}\u{7f}",
            "\u{e9}\u{1f600}",
        ] {
            assert_eq!(bytes(text.as_bytes()), to_string(text).unwrap(), "{text:?}");
        }
    }

    #[test]
    fn layout_is_pythons_indent_4() {
        let value = json!({"a": null, "b": [], "c": {}, "d": ["x", {"e": "f"}]});
        let want = "{\n    \"a\": null,\n    \"b\": [],\n    \"c\": {},\n    \"d\": [\n        \"x\",\n        {\n            \"e\": \"f\"\n        }\n    ]\n}";
        assert_eq!(to_string(&value).unwrap(), want);
    }

    #[test]
    fn deep_nesting_is_indented_past_the_prepared_width() {
        let mut value = json!("leaf");
        for _ in 0..20 {
            value = json!([value]);
        }
        let text = to_string(&value).unwrap();
        let reparsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(reparsed, value);
        assert!(text.contains(&format!("\n{}\"leaf\"", " ".repeat(80))));
    }
}
