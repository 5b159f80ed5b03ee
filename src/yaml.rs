//! The reference's YAML text: what PyYAML's `yaml.dump(association)` writes (its defaults:
//! block style, keys sorted, ASCII only, lines folded past 80 columns), to any [`Write`].
//!
//! The association's shape is fixed (a mapping of strings, with a list of products or of
//! names), so the writer walks it directly; the general part is how one string is written,
//! which follows PyYAML's emitter: its choice among plain, single-quoted and double-quoted
//! style, and how each folds a long line.

use std::ffi::OsStr;
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::sync::LazyLock;

use regex::Regex;

use crate::model::{Association, Body, Member, Product};
use crate::output::Render;

/// An association as the reference's YAML text, for [`crate::output::write`].
#[derive(Debug, Clone, Copy)]
pub struct Yaml<'a>(pub &'a Association<'a>);

impl Render for Yaml<'_> {
    fn render(&self, out: &mut dyn Write) -> io::Result<()> {
        to_writer(out, self.0)
    }

    fn ends_in_newline(&self) -> bool {
        true
    }
}

/// Writes `association` as `yaml.dump` does, ending in a newline.
///
/// # Errors
///
/// Any error of `out`.
pub fn to_writer<W: Write + ?Sized>(out: &mut W, association: &Association<'_>) -> io::Result<()> {
    let mut emitter = Emitter { out, column: 0 };
    let mut entries: Vec<(&str, Entry<'_, '_>)> = association
        .meta
        .iter()
        .map(|(key, value)| {
            let value = value.map_or(Entry::Null, |v| Entry::Text(OsStr::new(v)));
            (key.as_str(), value)
        })
        .collect();
    match &association.body {
        Body::Names(names) => entries.push(("members", Entry::Names(names))),
        Body::Products(products) => {
            entries.push(("products", Entry::Products(products.iter().collect())));
        }
    }
    entries.sort_by(|a, b| a.0.cmp(b.0));
    for (key, entry) in entries {
        emitter.key(key, 0)?;
        match entry {
            Entry::Null => emitter.plain(&units(OsStr::new("null")), 2)?,
            Entry::Text(text) => emitter.scalar(text, 2)?,
            Entry::Names([]) => emitter.raw(" []")?,
            Entry::Names(names) => {
                for name in names.iter() {
                    emitter.item(0)?;
                    emitter.scalar(name, 2)?;
                }
            }
            Entry::Products(products) if products.is_empty() => emitter.raw(" []")?,
            Entry::Products(products) => {
                for product in &products {
                    emitter.item(0)?;
                    emitter.product(product)?;
                }
            }
        }
    }
    emitter.raw("\n")
}

/// A value of the top-level mapping.
enum Entry<'p, 'a> {
    Null,
    Text(&'p OsStr),
    Names(&'p [&'a OsStr]),
    Products(Vec<Product<'p, 'a>>),
}

/// PyYAML's `best_width`: a line is folded at a space once it is past this column.
const WIDTH: usize = 80;

/// Writes block-style YAML, tracking the column as PyYAML's emitter does.
struct Emitter<'w, W: Write + ?Sized> {
    out: &'w mut W,
    column: usize,
}

impl<W: Write + ?Sized> Emitter<'_, W> {
    fn raw(&mut self, text: &str) -> io::Result<()> {
        match text.rfind('\n') {
            Some(at) => self.column = text.len() - at - 1,
            None => self.column += text.len(),
        }
        self.out.write_all(text.as_bytes())
    }

    /// A new line, indented to `indent`.
    fn line(&mut self, indent: usize) -> io::Result<()> {
        if self.column != 0 {
            self.raw("\n")?;
        }
        self.raw(&" ".repeat(indent))
    }

    /// `key:` at `indent`, on a line of its own unless it follows a sequence's `- `.
    fn key(&mut self, key: &str, indent: usize) -> io::Result<()> {
        if self.column != indent {
            self.line(indent)?;
        }
        self.raw(key)?;
        self.raw(":")
    }

    /// `- ` at `indent`, on a new line: an item of an (indentless) block sequence.
    fn item(&mut self, indent: usize) -> io::Result<()> {
        self.line(indent)?;
        self.raw("-")
    }

    /// A product as a sequence item: its keys, sorted, two columns in.
    fn product(&mut self, product: &Product<'_, '_>) -> io::Result<()> {
        self.raw(" ")?;
        self.key("members", 2)?;
        for member in product.members() {
            self.item(2)?;
            self.member(member)?;
        }
        self.key("name", 2)?;
        self.scalar(product.name(), 4)
    }

    fn member(&mut self, member: &Member<'_>) -> io::Result<()> {
        self.raw(" ")?;
        self.key("expname", 4)?;
        self.scalar(member.expname, 6)?;
        self.key("exptype", 4)?;
        self.scalar(OsStr::new(member.exptype.as_str()), 6)
    }

    /// A string value after `key:` or `-`, in the style PyYAML chooses; a folded line goes on
    /// at `indent`.
    fn scalar(&mut self, text: &OsStr, indent: usize) -> io::Result<()> {
        let units = units(text);
        let analysis = Analysis::of(&units);
        if analysis.plain && !resolves_to_another_type(text) {
            self.plain(&units, indent)
        } else if analysis.single_quoted {
            self.single_quoted(&units, indent)
        } else {
            self.double_quoted(&units, indent)
        }
    }

    /// Writes `units[start..end]`, all of which are printable ASCII or line breaks.
    fn text(&mut self, units: &[u32]) -> io::Result<()> {
        let text: String = units.iter().filter_map(|&u| char::from_u32(u)).collect();
        self.column += units.len();
        self.out.write_all(text.as_bytes())
    }

    /// A new line, indented, inside a folded scalar.
    fn fold(&mut self, indent: usize) -> io::Result<()> {
        self.raw("\n")?;
        self.raw(&" ".repeat(indent))
    }

    fn plain(&mut self, units: &[u32], indent: usize) -> io::Result<()> {
        self.raw(" ")?;
        let mut start = 0;
        let mut spaces = false;
        for end in 0..=units.len() {
            let unit = units.get(end).copied();
            if spaces {
                if unit != Some(SPACE) {
                    if start + 1 == end && self.column > WIDTH {
                        self.fold(indent)?;
                    } else {
                        self.text(&units[start..end])?;
                    }
                    start = end;
                }
            } else if unit.is_none() || unit == Some(SPACE) {
                self.text(&units[start..end])?;
                start = end;
            }
            spaces = unit == Some(SPACE);
        }
        Ok(())
    }

    fn single_quoted(&mut self, units: &[u32], indent: usize) -> io::Result<()> {
        self.raw(" '")?;
        let (mut start, mut spaces, mut breaks) = (0, false, false);
        for end in 0..=units.len() {
            let unit = units.get(end).copied();
            if spaces {
                if unit != Some(SPACE) {
                    let lone = start + 1 == end && start != 0 && end != units.len();
                    if lone && self.column > WIDTH {
                        self.fold(indent)?;
                    } else {
                        self.text(&units[start..end])?;
                    }
                    start = end;
                }
            } else if breaks {
                if unit != Some(NEWLINE) {
                    // A line break is written twice over: once for the fold, once for itself.
                    if units[start] == NEWLINE {
                        self.raw("\n")?;
                    }
                    for _ in start..end {
                        self.raw("\n")?;
                    }
                    self.raw(&" ".repeat(indent))?;
                    start = end;
                }
            } else if matches!(unit, None | Some(SPACE | NEWLINE | QUOTE)) && start < end {
                self.text(&units[start..end])?;
                start = end;
            }
            if unit == Some(QUOTE) {
                self.raw("''")?;
                start = end + 1;
            }
            spaces = unit == Some(SPACE);
            breaks = unit == Some(NEWLINE);
        }
        self.raw("'")
    }

    fn double_quoted(&mut self, units: &[u32], indent: usize) -> io::Result<()> {
        self.raw(" \"")?;
        let mut start = 0;
        for end in 0..=units.len() {
            let unit = units.get(end).copied();
            if unit.is_none_or(needs_escape) {
                if start < end {
                    self.text(&units[start..end])?;
                    start = end;
                }
                if let Some(unit) = unit {
                    self.raw(&escape(unit))?;
                    start = end + 1;
                }
            }
            let inner = 0 < end && end + 1 < units.len();
            // PyYAML measures the run still to write as end - start, which is -1 just after
            // an escape.
            let run = end as isize - start as isize;
            if inner
                && (unit == Some(SPACE) || start >= end)
                && self.column as isize + run > WIDTH as isize
            {
                if start < end {
                    self.text(&units[start..end])?;
                    start = end;
                }
                self.raw("\\")?;
                self.fold(indent)?;
                if units[start] == SPACE {
                    self.raw("\\")?;
                }
            }
        }
        self.raw("\"")
    }
}

const SPACE: u32 = b' ' as u32;
const NEWLINE: u32 = b'\n' as u32;
const QUOTE: u32 = b'\'' as u32;

/// The text as Python sees a file name: its characters, and for each byte outside a UTF-8
/// character the lone surrogate U+DC80 + byte that `surrogateescape` makes of it.
fn units(text: &OsStr) -> Vec<u32> {
    let mut units = Vec::with_capacity(text.len());
    for chunk in text.as_bytes().utf8_chunks() {
        units.extend(chunk.valid().chars().map(u32::from));
        units.extend(chunk.invalid().iter().map(|&b| 0xdc00 + u32::from(b)));
    }
    units
}

/// Whether a double-quoted string writes `unit` as an escape: all but printable ASCII, and the
/// quote and backslash.
fn needs_escape(unit: u32) -> bool {
    !(0x20..=0x7e).contains(&unit) || unit == u32::from(b'"') || unit == u32::from(b'\\')
}

fn escape(unit: u32) -> String {
    let short = match unit {
        0x00 => "0",
        0x07 => "a",
        0x08 => "b",
        0x09 => "t",
        0x0a => "n",
        0x0b => "v",
        0x0c => "f",
        0x0d => "r",
        0x1b => "e",
        0x22 => "\"",
        0x5c => "\\",
        0x85 => "N",
        0xa0 => "_",
        0x2028 => "L",
        0x2029 => "P",
        _ if unit <= 0xff => return format!("\\x{unit:02X}"),
        _ if unit <= 0xffff => return format!("\\u{unit:04X}"),
        _ => return format!("\\U{unit:08X}"),
    };
    format!("\\{short}")
}

/// Which styles PyYAML's emitter allows a string (its `analyze_scalar`, without Unicode).
struct Analysis {
    plain: bool,
    single_quoted: bool,
}

impl Analysis {
    fn of(units: &[u32]) -> Analysis {
        if units.is_empty() {
            return Analysis {
                plain: true,
                single_quoted: true,
            };
        }
        let is = |i: usize, c: u8| units.get(i) == Some(&u32::from(c));
        let whitespace = |u: Option<&u32>| {
            u.is_none_or(|&u| matches!(u, 0 | 0x20 | 0x09 | 0x0d | 0x0a | 0x85 | 0x2028 | 0x2029))
        };
        let starts_with = |s: &[u8]| s.iter().enumerate().all(|(i, &c)| is(i, c));
        let mut indicators = starts_with(b"---") || starts_with(b"...");
        let mut special = false;
        let mut line_breaks = false;
        let (mut space_break, mut break_space) = (false, false);
        let (mut previous_space, mut previous_break) = (false, false);
        for (i, &unit) in units.iter().enumerate() {
            let followed_by_space = whitespace(units.get(i + 1));
            let preceded_by_space = i == 0 || whitespace(units.get(i - 1));
            let c = char::from_u32(unit).unwrap_or('\u{fffd}');
            if i == 0 {
                indicators |=
                    "#,[]{}&*!|>'\"%@`".contains(c) || ("?:-".contains(c) && followed_by_space);
            } else {
                indicators |= (c == ':' && followed_by_space) || (c == '#' && preceded_by_space);
            }
            line_breaks |= unit == NEWLINE;
            special |= unit != NEWLINE && !(0x20..=0x7e).contains(&unit);
            if unit == SPACE {
                break_space |= previous_break;
                (previous_space, previous_break) = (true, false);
            } else if unit == NEWLINE {
                space_break |= previous_space;
                (previous_space, previous_break) = (false, true);
            } else {
                (previous_space, previous_break) = (false, false);
            }
        }
        let edge = |u: Option<&u32>| u.is_some_and(|&u| u == SPACE || u == NEWLINE);
        let edges = edge(units.first()) || edge(units.last());
        Analysis {
            plain: !(edges || special || space_break || break_space || line_breaks || indicators),
            single_quoted: !(special || space_break || break_space),
        }
    }
}

/// Whether PyYAML would read `text`, written plain, as something other than a string (a
/// number, a boolean, null, a date...): then it is quoted. These are PyYAML's implicit
/// resolvers (`yaml/resolver.py`), each tried on the strings starting with its characters.
fn resolves_to_another_type(text: &OsStr) -> bool {
    static RESOLVERS: LazyLock<Vec<(&str, Regex)>> = LazyLock::new(|| {
        [
            ("yYnNtTfFoO", r"^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$"),
            ("-+0123456789.", r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
            ("-+0123456789", r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$"),
            ("<", r"^(?:<<)$"),
            ("~nN", r"^(?:~|null|Null|NULL|)$"),
            ("0123456789", r"^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$"),
            ("=", r"^(?:=)$"),
            ("!&*", r"^(?:!|&|\*)$"),
        ]
        .into_iter()
        .map(|(first, pattern)| (first, Regex::new(pattern).expect("a valid pattern")))
        .collect()
    });
    let Some(text) = text.to_str() else {
        return false;
    };
    let Some(first) = text.chars().next() else {
        // The empty string is null.
        return true;
    };
    RESOLVERS
        .iter()
        .any(|(firsts, pattern)| firsts.contains(first) && pattern.is_match(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(text: &str) -> String {
        let mut out = Vec::new();
        let mut emitter = Emitter {
            out: &mut out,
            column: 0,
        };
        emitter.key("expname", 0).unwrap();
        emitter.scalar(OsStr::new(text), 2).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// What `yaml.dump({"expname": text})` writes (PyYAML 6), less its final newline.
    #[test]
    fn strings_take_the_style_pyyaml_gives_them() {
        let table = [
            ("a_cal.fits", "expname: a_cal.fits"),
            ("00623", "expname: '00623'"),
            ("true", "expname: 'true'"),
            ("null", "expname: 'null'"),
            ("", "expname: ''"),
            ("- lead", "expname: '- lead'"),
            ("it's \"q\"", "expname: it's \"q\""),
            ("'q", "expname: '''q'"),
            ("p: #x", "expname: 'p: #x'"),
            ("a#b", "expname: a#b"),
            ("1.5", "expname: '1.5'"),
            ("2024-01-02", "expname: '2024-01-02'"),
            ("\u{e9}_cal.fits", "expname: \"\\xE9_cal.fits\""),
            ("tab\there", "expname: \"tab\\there\""),
            (" lead", "expname: ' lead'"),
        ];
        for (text, want) in table {
            assert_eq!(value(text), want, "{text:?}");
        }
    }

    #[test]
    fn bytes_outside_utf8_are_escaped_as_surrogates() {
        let mut out = Vec::new();
        let mut emitter = Emitter {
            out: &mut out,
            column: 0,
        };
        emitter.key("expname", 0).unwrap();
        emitter.scalar(OsStr::from_bytes(b"x\xff"), 2).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "expname: \"x\\uDCFF\"");
    }

    #[test]
    fn a_long_plain_string_folds_at_the_first_space_past_80_columns() {
        let words = "a b c d e f g h i j k l m n o p q r s t u v w x y z ".repeat(3);
        assert_eq!(
            value(words.trim_end()),
            "expname: a b c d e f g h i j k l m n o p q r s t u v w x y z a b c d e f g h i j k\n  \
             l m n o p q r s t u v w x y z a b c d e f g h i j k l m n o p q r s t u v w x y\n  z"
        );
    }
}
