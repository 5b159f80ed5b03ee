//! Where member names come from: arguments, typed flags, patterns and list files, turned into
//! members in the order given. Errors name the argument, or the list and its line.

use std::ffi::OsString;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use glob::MatchOptions;

use crate::error::Error;
use crate::model::{ExpType, Member};

/// The names a command line gives, before any file is read.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// Names from the command line with their types: the positional names (science) first,
    /// then the typed flags' names.
    pub args: Vec<(ExpType<'static>, OsString)>,
    /// List files, read in order; `-` is standard input.
    pub lists: Vec<PathBuf>,
    /// Whether an argument that names no file and holds `*`, `?` or `[` is expanded as a
    /// pattern.
    pub glob: bool,
}

/// The names, read and expanded: owns the text that [`Loaded::members`] borrows.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    args: Vec<(ExpType<'static>, String)>,
    lists: Vec<(PathBuf, String)>,
}

/// Members in the order given, and how many of them, from the first, the command line named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Names<'a> {
    /// Arguments first, then each list's lines in order.
    pub members: Vec<Member<'a>>,
    /// How many of `members` came from the command line rather than a list.
    pub from_command_line: usize,
}

impl Sources {
    /// Expands the patterns and reads the lists (standard input from `stdin`).
    ///
    /// # Errors
    ///
    /// A name that is not UTF-8, a pattern that is invalid or matches nothing, a directory
    /// that cannot be read while matching, and a list that cannot be read or is not UTF-8.
    pub fn load(self, stdin: &mut dyn Read) -> Result<Loaded, Error> {
        let mut args = Vec::with_capacity(self.args.len());
        for (exptype, arg) in self.args {
            let arg = utf8_name(arg)?;
            if self.glob && is_pattern(&arg) {
                args.extend(expand(&arg)?.into_iter().map(|name| (exptype, name)));
            } else {
                args.push((exptype, arg));
            }
        }
        let mut stdin_read = false;
        let mut lists = Vec::with_capacity(self.lists.len());
        for path in self.lists {
            let text = if path.as_os_str() == "-" {
                if std::mem::replace(&mut stdin_read, true) {
                    return Err(Error::StdinTwice);
                }
                let mut bytes = Vec::new();
                stdin.read_to_end(&mut bytes).map(|_| bytes)
            } else {
                fs::read(&path)
            };
            let text = text.map_err(|source| Error::ReadList {
                path: path.clone(),
                source,
            })?;
            let text = utf8_list(&path, text)?;
            lists.push((path, text));
        }
        Ok(Loaded { args, lists })
    }
}

impl Loaded {
    /// The members: the command line's names, then each list's, in order.
    ///
    /// A list holds one name a line; blank lines and lines starting with `#` are skipped, a
    /// line may end in CRLF, and a line may give the member's type after a tab
    /// (`ref_cal.fits<TAB>psf`).
    ///
    /// # Errors
    ///
    /// A list with no names, and a line with an empty name or type around its tab.
    pub fn members(&self) -> Result<Names<'_>, Error> {
        // Sizing the vector once from the line count costs one fast pass over the text; growing
        // it would briefly hold two copies of a million members.
        let lines: usize = self
            .lists
            .iter()
            .map(|(_, text)| text.bytes().filter(|&b| b == b'\n').count() + 1)
            .sum();
        let mut members = Vec::with_capacity(self.args.len() + lines);
        members.extend(self.args.iter().map(|(exptype, name)| Member {
            expname: name.as_str(),
            exptype: *exptype,
        }));
        for (path, text) in &self.lists {
            parse_list(path, text, &mut members)?;
        }
        Ok(Names {
            members,
            from_command_line: self.args.len(),
        })
    }
}

fn utf8_name(name: OsString) -> Result<String, Error> {
    name.into_string()
        .map_err(|name| Error::NameNotUtf8(name.to_string_lossy().into_owned()))
}

fn utf8_list(path: &Path, bytes: Vec<u8>) -> Result<String, Error> {
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        Error::ListNotUtf8 {
            path: path.to_path_buf(),
            line: 1 + valid.iter().filter(|&&b| b == b'\n').count(),
        }
    })
}

/// An argument is a pattern when it holds a glob character and names no existing file, so a
/// file whose name has a `[` in it is still taken as it is.
fn is_pattern(arg: &str) -> bool {
    arg.contains(['*', '?', '[']) && fs::symlink_metadata(arg).is_err()
}

/// The paths matching `pattern`, in sorted order, as the shell would give them: `*` does not
/// cross a `/` or match a leading dot.
fn expand(pattern: &str) -> Result<Vec<String>, Error> {
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
        let path = entry.map_err(|e| Error::PatternRead {
            pattern: pattern.to_string(),
            path: e.path().to_path_buf(),
            source: io::Error::new(e.error().kind(), e.error().to_string()),
        })?;
        names.push(utf8_name(path.into_os_string())?);
    }
    if names.is_empty() {
        return Err(Error::NoMatch(pattern.to_string()));
    }
    // glob yields directory by directory (`a/x` before `a-b/x`); the shell sorts whole names
    // (`a-b/x` first, as '-' sorts before '/'), and so do we.
    names.sort_unstable();
    Ok(names)
}

fn parse_list<'a>(path: &Path, text: &'a str, out: &mut Vec<Member<'a>>) -> Result<(), Error> {
    let before = out.len();
    for (index, line) in text.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = |problem| Error::BadListLine {
            path: path.to_path_buf(),
            line: index + 1,
            problem,
        };
        let member = match line.split_once('\t') {
            None => Member::science(line),
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
                Member {
                    expname: name,
                    exptype: ExpType::parse(exptype),
                }
            }
        };
        out.push(member);
    }
    if out.len() == before {
        return Err(Error::EmptyList {
            path: path.to_path_buf(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<Member<'_>>, Error> {
        let mut out = Vec::new();
        parse_list(Path::new("list.txt"), text, &mut out).map(|()| out)
    }

    #[test]
    fn lists_skip_blanks_and_comments_and_accept_crlf() {
        let members = parse("# header\r\na.fits\r\n\r\n   \nb.fits\n").unwrap();
        assert_eq!(
            members,
            [Member::science("a.fits"), Member::science("b.fits")]
        );
    }

    #[test]
    fn a_tab_gives_the_type() {
        let members = parse("r.fits\tpsf\nx.fits\ttarget_acquisition\r\ns.fits\tscience").unwrap();
        assert_eq!(members[0].exptype, ExpType::Psf);
        assert_eq!(members[1].exptype, ExpType::Other("target_acquisition"));
        assert_eq!(members[2], Member::science("s.fits"));
    }

    #[test]
    fn bad_lines_are_named_by_number() {
        let err = parse("a.fits\nb.fits\t\n").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("'list.txt' line 2: no member type"),
            "{err}"
        );
        let err = parse("\tpsf\n").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("'list.txt' line 1: no file name"),
            "{err}"
        );
    }

    #[test]
    fn a_list_of_only_comments_is_empty() {
        let err = parse("# nothing\n\n").unwrap_err();
        assert!(matches!(err, Error::EmptyList { .. }));
        assert!(matches!(parse("").unwrap_err(), Error::EmptyList { .. }));
    }

    #[test]
    fn invalid_utf8_names_the_line() {
        let err = utf8_list(Path::new("l.txt"), b"a\nb\n\xffc\n".to_vec()).unwrap_err();
        assert_eq!(err.to_string(), "'l.txt' line 3: not valid UTF-8");
    }

    #[test]
    fn command_line_names_come_before_list_names() {
        let sources = Sources {
            args: vec![
                (ExpType::Science, "z.fits".into()),
                (ExpType::Psf, "r.fits".into()),
            ],
            lists: vec!["-".into()],
            glob: false,
        };
        let loaded = sources.load(&mut &b"a.fits\nb.fits\n"[..]).unwrap();
        let names = loaded.members().unwrap();
        let expnames: Vec<&str> = names.members.iter().map(|m| m.expname).collect();
        assert_eq!(expnames, ["z.fits", "r.fits", "a.fits", "b.fits"]);
        assert_eq!(names.from_command_line, 2);
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
