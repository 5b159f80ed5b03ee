//! Where member names come from: arguments, typed flags, patterns and list files, turned into
//! members in the order given. Errors and warnings name the argument, or the list and its line.

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use glob::MatchOptions;

use crate::error::{Error, Warning};
use crate::model::{ExpType, Member};
use crate::suggest::closest;

/// The names a command line gives, before any file is read.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Sources {
    /// Names with their types, in order.
    pub args: Vec<(ExpType<'static>, OsString)>,
    /// List files, read in order; `-` is standard input.
    pub lists: Vec<PathBuf>,
    /// How the lists separate names.
    pub separator: Separator,
    /// Whether an argument that names no file and holds `*`, `?` or `[` is expanded as a
    /// pattern.
    pub glob: bool,
}

/// How a list file separates its names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Separator {
    /// One name a line (LF, CRLF or CR line ends), with comments, blank lines and
    /// `NAME<TAB>EXPTYPE` lines.
    #[default]
    Lines,
    /// Names ended by NUL bytes, as `find -print0` writes them, each taken literally.
    Nul,
}

/// The longest path the system takes (Linux's `PATH_MAX`); no list line is longer.
pub const PATH_MAX: usize = 4096;

/// The names, read and expanded: owns the text that [`Loaded::members`] borrows.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    args: Vec<(ExpType<'static>, OsString)>,
    lists: Vec<(PathBuf, String)>,
    separator: Separator,
    warnings: Vec<Warning>,
}

/// Members in the order given, with the warnings met reading them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Names<'a> {
    /// Arguments first, then each list's names in order.
    pub members: Vec<Member<'a>>,
    /// What the user should hear about: folders a pattern could not read, doubtful list lines.
    pub warnings: Vec<Warning>,
}

impl Sources {
    /// Expands the patterns and reads the lists (standard input from `stdin`).
    ///
    /// # Errors
    ///
    /// A pattern that is invalid or matches nothing, and a list that cannot be read, is not
    /// UTF-8, holds a NUL byte (in lines), an empty name (NUL-separated) or a line longer than
    /// [`PATH_MAX`].
    pub fn load(self, stdin: &mut dyn Read) -> Result<Loaded, Error> {
        let mut warnings = Vec::new();
        let mut args = Vec::with_capacity(self.args.len());
        for (exptype, arg) in self.args {
            match arg.to_str() {
                Some(pattern) if self.glob && is_pattern(pattern) => {
                    let names = expand(pattern, &mut warnings)?;
                    args.extend(names.into_iter().map(|name| (exptype, name)));
                }
                _ => args.push((exptype, arg)),
            }
        }
        let mut stdin_read = false;
        let mut lists = Vec::with_capacity(self.lists.len());
        for path in self.lists {
            let read_error = |source| Error::ReadList {
                path: path.clone(),
                source,
            };
            let bytes = if path.as_os_str() == "-" {
                if std::mem::replace(&mut stdin_read, true) {
                    return Err(Error::StdinTwice);
                }
                read_list(&mut *stdin, &path, self.separator)?
            } else {
                let file = File::open(&path).map_err(read_error)?;
                read_list(file, &path, self.separator)?
            };
            let text = utf8_list(&path, bytes)?;
            lists.push((path, text));
        }
        Ok(Loaded {
            args,
            lists,
            separator: self.separator,
            warnings,
        })
    }
}

impl Loaded {
    /// The members: the arguments' names, then each list's, in order.
    ///
    /// A list of lines holds one name a line; blank lines and lines starting with `#` are
    /// skipped, a line may end in LF, CRLF or CR, and a line may give the member's type after
    /// a tab (`ref_cal.fits<TAB>psf`). A NUL-separated list holds names only, taken as they
    /// are.
    ///
    /// # Errors
    ///
    /// A list with no names, and a line with an empty name or type around its tab.
    pub fn members(&self) -> Result<Names<'_>, Error> {
        let mut warnings = self.warnings.clone();
        // Sizing the vector once from the count of names costs one fast pass over the text;
        // growing it would briefly hold two copies of a million members. Names, not line ends:
        // a list of blank lines must not reserve a member for each.
        let names: usize = self
            .lists
            .iter()
            .map(|(_, text)| match self.separator {
                Separator::Lines => numbered_lines(text)
                    .filter(|(_, line)| is_name(line))
                    .count(),
                Separator::Nul => text.bytes().filter(|&b| b == 0).count() + 1,
            })
            .sum();
        let mut members = Vec::with_capacity(self.args.len() + names);
        members.extend(
            self.args
                .iter()
                .map(|(exptype, name)| Member::new(name, *exptype)),
        );
        for (path, text) in &self.lists {
            let before = members.len();
            match self.separator {
                Separator::Lines => parse_lines(path, text, &mut members, &mut warnings)?,
                Separator::Nul => members.extend(
                    text.split('\0')
                        .filter(|name| !name.is_empty())
                        .map(Member::science),
                ),
            }
            if members.len() == before {
                return Err(Error::EmptyList { path: path.clone() });
            }
        }
        warnings.extend(science_and_typed(&members));
        Ok(Names { members, warnings })
    }
}

/// The warning, if any, about files given both as science members and as members of another
/// type (`*_rate.fits --background bg_rate.fits`, where the pattern matches the background).
fn science_and_typed(members: &[Member<'_>]) -> Option<Warning> {
    let typed: std::collections::HashMap<&std::ffi::OsStr, ExpType<'_>> = members
        .iter()
        .filter(|m| m.exptype != ExpType::Science)
        .map(|m| (m.expname, m.exptype))
        .collect();
    if typed.is_empty() {
        return None;
    }
    let mut both = members
        .iter()
        .filter(|m| m.exptype == ExpType::Science)
        .filter_map(|m| typed.get(m.expname).map(|t| (m.expname, t)));
    let (name, exptype) = both.next()?;
    Some(Warning::ScienceAndTyped {
        name: name.to_string_lossy().into_owned(),
        exptype: exptype.to_string(),
        count: 1 + both.count(),
    })
}

/// Reads a whole list, stopping with an error as soon as a line grows longer than any path (a
/// list with no line ends, like `/dev/zero`, would otherwise fill memory), or, for lines, at a
/// NUL byte, and, for NUL-separated names, at an empty name.
fn read_list(mut reader: impl Read, path: &Path, separator: Separator) -> Result<Vec<u8>, Error> {
    const CHUNK: usize = 1 << 16;
    let mut bytes: Vec<u8> = Vec::new();
    // Where the current line (or name) starts.
    let mut start = 0;
    loop {
        let from = bytes.len();
        bytes.resize(from + CHUNK, 0);
        let read = loop {
            match reader.read(&mut bytes[from..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(source) => {
                    return Err(Error::ReadList {
                        path: path.to_path_buf(),
                        source,
                    })
                }
            }
        };
        bytes.truncate(from + read);
        if read == 0 {
            return Ok(bytes);
        }
        let chunk = &bytes[from..];
        match separator {
            Separator::Lines => {
                if let Some(at) = chunk
                    .contains(&0)
                    .then(|| chunk.iter().position(|&b| b == 0))
                    .flatten()
                {
                    return Err(Error::ListHasNul {
                        path: path.to_path_buf(),
                        line: line_of(&bytes, from + at),
                    });
                }
                if let Some(last) = chunk.iter().rposition(|&b| b == b'\n' || b == b'\r') {
                    start = from + last + 1;
                }
            }
            Separator::Nul => {
                for (i, &b) in chunk.iter().enumerate() {
                    if b != 0 {
                        continue;
                    }
                    let at = from + i;
                    if at == start {
                        return Err(Error::ListEmptyName {
                            path: path.to_path_buf(),
                            index: 1 + bytes[..at].iter().filter(|&&b| b == 0).count(),
                        });
                    }
                    start = at + 1;
                }
            }
        }
        if bytes.len() - start > PATH_MAX {
            let line = match separator {
                Separator::Lines => line_of(&bytes, start),
                Separator::Nul => 1 + bytes[..start].iter().filter(|&&b| b == 0).count(),
            };
            return Err(Error::ListLineTooLong {
                path: path.to_path_buf(),
                line,
                limit: PATH_MAX,
            });
        }
    }
}

/// The 1-based line of byte `at`, counting LF, CRLF and CR line ends.
fn line_of(bytes: &[u8], at: usize) -> usize {
    let before = &bytes[..at];
    let lone_cr = before
        .iter()
        .enumerate()
        .filter(|&(i, &b)| b == b'\r' && before.get(i + 1) != Some(&b'\n'))
        .count();
    1 + before.iter().filter(|&&b| b == b'\n').count() + lone_cr
}

/// The list as text, less a UTF-8 byte-order mark, which editors on Windows put first.
fn utf8_list(path: &Path, mut bytes: Vec<u8>) -> Result<String, Error> {
    if bytes.starts_with(b"\xef\xbb\xbf") {
        bytes.drain(..3);
    }
    String::from_utf8(bytes).map_err(|e| Error::ListNotUtf8 {
        path: path.to_path_buf(),
        line: line_of(e.as_bytes(), e.utf8_error().valid_up_to()),
    })
}

/// An argument is a pattern when it holds a glob character and names no existing file, so a
/// file whose name has a `[` in it is still taken as it is.
fn is_pattern(arg: &str) -> bool {
    arg.contains(['*', '?', '[']) && std::fs::symlink_metadata(arg).is_err()
}

/// The paths matching `pattern`, in sorted order, as the shell would give them: `*` does not
/// cross a `/` or match a leading dot, and a folder that cannot be read is skipped, with a
/// warning.
fn expand(pattern: &str, warnings: &mut Vec<Warning>) -> Result<Vec<OsString>, Error> {
    let options = MatchOptions {
        case_sensitive: true,
        require_literal_separator: true,
        require_literal_leading_dot: true,
    };
    let paths = glob::glob_with(pattern, options).map_err(|e| Error::BadPattern {
        pattern: pattern.to_string(),
        reason: e.msg.to_string(),
    })?;
    let mut names = Vec::new();
    for entry in paths {
        match entry {
            Ok(path) => names.push(path.into_os_string()),
            Err(e) => warnings.push(Warning::UnreadableFolder {
                pattern: pattern.to_string(),
                path: e.path().to_path_buf(),
                reason: e.error().to_string(),
            }),
        }
    }
    if names.is_empty() {
        return Err(Error::NoMatch(pattern.to_string()));
    }
    // glob yields directory by directory (`a/x` before `a-b/x`); the shell sorts whole names
    // (`a-b/x` first, as '-' sorts before '/'), and so do we.
    names.sort_unstable();
    Ok(names)
}

/// The lines of `text` that are not empty, with their 1-based numbers; LF, CRLF and CR all
/// end a line. Empty lines are passed over in a tight loop: a list may hold millions of them,
/// and each costs a byte, not a member.
fn numbered_lines(text: &str) -> NumberedLines<'_> {
    NumberedLines {
        text,
        at: 0,
        number: 1,
    }
}

/// The iterator of [`numbered_lines`].
struct NumberedLines<'a> {
    text: &'a str,
    /// Where the next line starts.
    at: usize,
    /// That line's number.
    number: usize,
}

impl<'a> Iterator for NumberedLines<'a> {
    type Item = (usize, &'a str);

    fn next(&mut self) -> Option<(usize, &'a str)> {
        let bytes = self.text.as_bytes();
        loop {
            // A block at a time first: a comparison of slices is one memcmp.
            const BLANK: [u8; 64] = [b'\n'; 64];
            while bytes[self.at.min(bytes.len())..].starts_with(&BLANK) {
                self.at += BLANK.len();
                self.number += BLANK.len();
            }
            while bytes.get(self.at) == Some(&b'\n') {
                self.at += 1;
                self.number += 1;
            }
            if self.at >= bytes.len() {
                return None;
            }
            let rest = &bytes[self.at..];
            let len = rest
                .iter()
                .position(|&b| b == b'\n' || b == b'\r')
                .unwrap_or(rest.len());
            let (start, number) = (self.at, self.number);
            self.at += len;
            if self.at < bytes.len() {
                let crlf = bytes[self.at] == b'\r' && bytes.get(self.at + 1) == Some(&b'\n');
                self.at += if crlf { 2 } else { 1 };
                self.number += 1;
            }
            if len > 0 {
                return Some((number, &self.text[start..start + len]));
            }
        }
    }
}

/// Whether a line of a list gives a name: it is neither blank nor a comment.
fn is_name(line: &str) -> bool {
    !line.starts_with('#') && !line.trim().is_empty()
}

fn parse_lines<'a>(
    path: &Path,
    text: &'a str,
    out: &mut Vec<Member<'a>>,
    warnings: &mut Vec<Warning>,
) -> Result<(), Error> {
    for (number, line) in numbered_lines(text) {
        if !is_name(line) {
            continue;
        }
        if line.len() > PATH_MAX {
            return Err(Error::ListLineTooLong {
                path: path.to_path_buf(),
                line: number,
                limit: PATH_MAX,
            });
        }
        let bad = |problem| Error::BadListLine {
            path: path.to_path_buf(),
            line: number,
            problem,
        };
        let (name, exptype) = match line.split_once('\t') {
            None => (line, ExpType::Science),
            Some((name, exptype)) => {
                let exptype = exptype.trim();
                if name.is_empty() {
                    return Err(bad("no file name before the tab"));
                }
                if exptype.is_empty() {
                    return Err(bad("no member type after the tab; write NAME<TAB>EXPTYPE, or NAME alone for science"));
                }
                if exptype.contains('\t') {
                    return Err(bad("more than one tab; write NAME<TAB>EXPTYPE"));
                }
                if !ExpType::known().any(|known| known == exptype) {
                    warnings.push(Warning::UnknownType {
                        path: path.to_path_buf(),
                        line: number,
                        exptype: exptype.to_string(),
                        closest: closest(exptype, ExpType::known()),
                    });
                }
                (name, ExpType::parse(exptype))
            }
        };
        check_spaces(path, number, line, name, warnings);
        out.push(Member::new(name, exptype));
    }
    Ok(())
}

/// Warns of spaces where a tab should stand before a type, and of a name with spaces around
/// it.
fn check_spaces(path: &Path, line: usize, text: &str, name: &str, warnings: &mut Vec<Warning>) {
    let typed_after_spaces = !text.contains('\t')
        && name
            .trim_end()
            .rsplit_once(' ')
            .is_some_and(|(before, word)| {
                !before.trim().is_empty() && ExpType::known().any(|known| known == word)
            });
    if typed_after_spaces {
        warnings.push(Warning::TypeAfterSpaces {
            path: path.to_path_buf(),
            line,
            text: text.to_string(),
        });
    } else if name.trim() != name {
        warnings.push(Warning::SpacesAroundName {
            path: path.to_path_buf(),
            line,
            name: name.to_string(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(separator: Separator, bytes: &[u8]) -> Result<Loaded, Error> {
        let sources = Sources {
            lists: vec!["-".into()],
            separator,
            ..Sources::default()
        };
        sources.load(&mut &bytes[..])
    }

    /// Each member as (name, type), and the warnings.
    type Listed = (Vec<(String, String)>, Vec<Warning>);

    fn lines(bytes: &[u8]) -> Result<Listed, Error> {
        let loaded = load(Separator::Lines, bytes)?;
        let names = loaded.members()?;
        let members = names
            .members
            .iter()
            .map(|m| {
                (
                    m.expname.to_str().unwrap().to_string(),
                    m.exptype.to_string(),
                )
            })
            .collect();
        Ok((members, names.warnings))
    }

    fn names(bytes: &[u8]) -> Vec<String> {
        lines(bytes)
            .unwrap()
            .0
            .into_iter()
            .map(|(n, _)| n)
            .collect()
    }

    #[test]
    fn lists_skip_blanks_and_comments_and_accept_crlf() {
        assert_eq!(
            names(b"# header\r\na.fits\r\n\r\n   \nb.fits\n"),
            ["a.fits", "b.fits"]
        );
    }

    #[test]
    fn cr_alone_ends_a_line_too() {
        assert_eq!(
            names(b"a.fits\rb.fits\r# c\rd.fits"),
            ["a.fits", "b.fits", "d.fits"]
        );
        let err = lines(b"a\rb\r\xff").unwrap_err();
        assert_eq!(err.to_string(), "'-' line 3: not valid UTF-8");
    }

    #[test]
    fn a_byte_order_mark_is_dropped() {
        assert_eq!(names(b"\xef\xbb\xbf# comment\na.fits\n"), ["a.fits"]);
        assert_eq!(names(b"\xef\xbb\xbfa.fits\n"), ["a.fits"]);
    }

    #[test]
    fn a_tab_gives_the_type() {
        let (members, warnings) =
            lines(b"r.fits\tpsf\nx.fits\ttarget_acquisition\r\ns.fits\tscience").unwrap();
        let types: Vec<&str> = members.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(types, ["psf", "target_acquisition", "science"]);
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn an_unknown_type_names_its_line_and_the_nearest_type() {
        let (members, warnings) = lines(b"a.fits\nr.fits\tpfs\n").unwrap();
        assert_eq!(members[1].1, "pfs");
        assert_eq!(
            warnings[0].to_string(),
            "'-' line 2: unknown member type 'pfs' (did you mean 'psf'?); written as given"
        );
    }

    #[test]
    fn spaces_before_a_type_or_around_a_name_draw_a_warning() {
        let (members, warnings) = lines(b"a_cal.fits    psf\n b.fits\nc d.fits\n").unwrap();
        assert_eq!(members[0], ("a_cal.fits    psf".into(), "science".into()));
        assert!(matches!(
            warnings[0],
            Warning::TypeAfterSpaces { line: 1, .. }
        ));
        assert!(warnings[0]
            .to_string()
            .contains("put a tab before the type"));
        assert!(matches!(
            warnings[1],
            Warning::SpacesAroundName { line: 2, .. }
        ));
        assert_eq!(warnings.len(), 2, "a space inside a name is no mistake");
    }

    #[test]
    fn bad_lines_are_named_by_number() {
        let err = lines(b"a.fits\nb.fits\t\n").unwrap_err();
        assert!(
            err.to_string().starts_with("'-' line 2: no member type"),
            "{err}"
        );
        let err = lines(b"\tpsf\n").unwrap_err();
        assert!(
            err.to_string().starts_with("'-' line 1: no file name"),
            "{err}"
        );
    }

    #[test]
    fn a_list_of_only_comments_is_empty() {
        assert!(matches!(
            lines(b"# nothing\n\n").unwrap_err(),
            Error::EmptyList { .. }
        ));
        assert!(matches!(lines(b"").unwrap_err(), Error::EmptyList { .. }));
    }

    #[test]
    fn invalid_utf8_names_the_line() {
        let err = lines(b"a\nb\n\xffc\n").unwrap_err();
        assert_eq!(err.to_string(), "'-' line 3: not valid UTF-8");
    }

    #[test]
    fn a_nul_byte_in_lines_names_the_line() {
        let err = lines(b"a.fits\nb.fits\0c.fits\0").unwrap_err();
        assert!(matches!(err, Error::ListHasNul { line: 2, .. }), "{err}");
    }

    #[test]
    fn nul_separated_names_are_taken_literally() {
        let loaded = load(Separator::Nul, b"a b.fits\0#c\tpsf\0\nd\0").unwrap();
        let names: Vec<String> = loaded
            .members()
            .unwrap()
            .members
            .iter()
            .map(|m| m.expname.to_str().unwrap().to_string())
            .collect();
        assert_eq!(names, ["a b.fits", "#c\tpsf", "\nd"]);
        let err = load(Separator::Nul, b"a\0\0b\0").unwrap_err();
        assert!(
            matches!(err, Error::ListEmptyName { index: 2, .. }),
            "{err}"
        );
    }

    /// An endless list without line ends (`/dev/zero`, `yes | tr -d '\n'`).
    struct Endless(u8);

    impl Read for Endless {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            buf.fill(self.0);
            Ok(buf.len())
        }
    }

    #[test]
    fn an_endless_line_stops_at_the_first_chunk() {
        let err = read_list(Endless(b'y'), Path::new("y"), Separator::Lines).unwrap_err();
        assert!(
            matches!(err, Error::ListLineTooLong { line: 1, .. }),
            "{err}"
        );
        let err = read_list(Endless(0), Path::new("z"), Separator::Lines).unwrap_err();
        assert!(matches!(err, Error::ListHasNul { line: 1, .. }), "{err}");
        let err = read_list(Endless(0), Path::new("z"), Separator::Nul).unwrap_err();
        assert!(
            matches!(err, Error::ListEmptyName { index: 1, .. }),
            "{err}"
        );
    }

    #[test]
    fn a_line_as_long_as_a_path_can_be_is_fine() {
        let mut list = vec![b'a'; PATH_MAX];
        list.push(b'\n');
        assert_eq!(names(&list)[0].len(), PATH_MAX);
        list.pop();
        list.push(b'a');
        assert!(matches!(
            lines(&list).unwrap_err(),
            Error::ListLineTooLong { .. }
        ));
    }

    #[test]
    fn command_line_names_come_before_list_names() {
        let sources = Sources {
            args: vec![
                (ExpType::Science, "z.fits".into()),
                (ExpType::Psf, "r.fits".into()),
            ],
            lists: vec!["-".into()],
            ..Sources::default()
        };
        let loaded = sources.load(&mut &b"a.fits\nb.fits\n"[..]).unwrap();
        let names = loaded.members().unwrap();
        let expnames: Vec<&std::ffi::OsStr> = names.members.iter().map(|m| m.expname).collect();
        assert_eq!(expnames, ["z.fits", "r.fits", "a.fits", "b.fits"]);
    }

    #[test]
    fn standard_input_can_be_read_once() {
        let sources = Sources {
            lists: vec!["-".into(), "-".into()],
            ..Sources::default()
        };
        assert!(matches!(
            sources.load(&mut &b"a\n"[..]),
            Err(Error::StdinTwice)
        ));
    }
}
