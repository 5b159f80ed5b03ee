//! Writes JSON exactly as the reference does (Python's `json.dumps(data, indent=4,
//! separators=(",", ": "))`), to any [`Write`], to standard output, or atomically to a file.

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::Serialize;
use serde_json::ser::{CharEscape, Formatter, Serializer};

use crate::error::Error;

/// Where an association goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Standard output, followed by one newline.
    Stdout,
    /// A file, replaced atomically, with no newline after the closing brace.
    File(PathBuf),
}

impl Output {
    /// `-` is standard output; anything else is a file path.
    pub fn from_arg(arg: impl Into<PathBuf>) -> Self {
        let path = arg.into();
        if path.as_os_str() == "-" {
            Output::Stdout
        } else {
            Output::File(path)
        }
    }
}

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

/// Writes `value` to `output`: to standard output followed by a newline, or atomically to a
/// file (see [`write_file_atomically`]).
///
/// # Errors
///
/// [`Error::WriteStdout`] when writing to standard output fails, and the errors of
/// [`write_file_atomically`].
pub fn write<T: Serialize + ?Sized>(output: &Output, value: &T) -> Result<(), Error> {
    match output {
        Output::Stdout => {
            let stdout = io::stdout();
            let mut out = BufWriter::with_capacity(BUFFER, stdout.lock());
            to_writer(&mut out, value)
                .and_then(|()| out.write_all(b"\n"))
                .and_then(|()| out.flush())
                .map_err(Error::WriteStdout)
        }
        Output::File(path) => write_file_atomically(path, |out| to_writer(out, value)),
    }
}

const BUFFER: usize = 1 << 20;

/// Replaces `path` with what `fill` writes, atomically: the text goes to a temporary file in the
/// same directory, which is renamed over `path` once complete. On any failure `path` is as it
/// was and the temporary file is gone. A symbolic link is written through to its target and
/// stays a link; an existing file keeps its permission bits, and one the user may not write is
/// refused.
///
/// # Errors
///
/// [`Error::OutputIsDirectory`], [`Error::OutputDirMissing`], or [`Error::Write`] with the
/// underlying I/O error.
pub fn write_file_atomically(
    path: &Path,
    fill: impl FnOnce(&mut BufWriter<File>) -> io::Result<()>,
) -> Result<(), Error> {
    let write_error = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    if path.as_os_str().is_empty() {
        return Err(write_error(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the output path is empty",
        )));
    }
    let target = resolve_links(path).map_err(write_error)?;
    let existing = match fs::metadata(&target) {
        Ok(meta) if meta.is_dir() => return Err(Error::OutputIsDirectory(path.to_path_buf())),
        Ok(meta) => {
            // A rename needs no permission to write the file it replaces. Opening the file for
            // writing (without truncating it) refuses a read-only file just as the reference's
            // own open() would.
            OpenOptions::new()
                .write(true)
                .open(&target)
                .map_err(write_error)?;
            Some(meta.permissions())
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(write_error(e)),
    };
    let dir = match target.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        return Err(Error::OutputDirMissing {
            path: path.to_path_buf(),
            dir,
        });
    }

    let temp = TempFile::create(&dir, &target).map_err(write_error)?;
    let mut out = BufWriter::with_capacity(BUFFER, temp.file.try_clone().map_err(write_error)?);
    fill(&mut out)
        .and_then(|()| out.flush())
        .map_err(write_error)?;
    drop(out);
    if let Some(permissions) = existing {
        temp.file
            .set_permissions(permissions)
            .map_err(write_error)?;
    }
    temp.persist(&target).map_err(write_error)
}

/// Follows `path` through any symbolic links to the file they name, which need not exist yet.
fn resolve_links(path: &Path) -> io::Result<PathBuf> {
    let mut current = path.to_path_buf();
    // Linux gives up after 40 links; so do we.
    for _ in 0..40 {
        match fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let link = fs::read_link(&current)?;
                current = match current.parent() {
                    Some(parent) if link.is_relative() => parent.join(link),
                    _ => link,
                };
            }
            _ => return Ok(current),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::InvalidInput,
        "too many levels of symbolic links",
    ))
}

/// A temporary file beside the target, removed when dropped unless persisted.
struct TempFile {
    path: PathBuf,
    file: File,
    persisted: bool,
}

impl TempFile {
    fn create(dir: &Path, target: &Path) -> io::Result<TempFile> {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let stem = target
            .file_name()
            .map_or_else(|| OsString::from("asn"), |name| name.to_os_string());
        loop {
            let mut name = OsString::from(".");
            name.push(&stem);
            name.push(format!(
                ".{}.{}.tmp",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed)
            ));
            let path = dir.join(name);
            let mut options = OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            {
                // A new output gets the permissions any new file gets (0666 less the umask),
                // not the 0600 of a private temporary file.
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o666);
            }
            match options.open(&path) {
                Ok(file) => {
                    return Ok(TempFile {
                        path,
                        file,
                        persisted: false,
                    })
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
    }

    fn persist(mut self, target: &Path) -> io::Result<()> {
        fs::rename(&self.path, target)?;
        self.persisted = true;
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.persisted {
            // Nothing more can be done about a failure here: the write has already failed.
            let _ = fs::remove_file(&self.path);
        }
    }
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

    #[test]
    fn atomic_write_replaces_the_file_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.json");
        fs::write(&path, "old").unwrap();
        write_file_atomically(&path, |w| w.write_all(b"new")).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_failed_fill_keeps_the_old_file_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.json");
        fs::write(&path, "old").unwrap();
        let err = write_file_atomically(&path, |w| {
            w.write_all(b"partial")?;
            Err(io::Error::other("disk on fire"))
        })
        .unwrap_err();
        let source = std::error::Error::source(&err).map(ToString::to_string);
        assert_eq!(source.as_deref(), Some("disk on fire"));
        assert_eq!(fs::read_to_string(&path).unwrap(), "old");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn dash_is_standard_output() {
        assert_eq!(Output::from_arg("-"), Output::Stdout);
        assert_eq!(Output::from_arg("./-"), Output::File(PathBuf::from("./-")));
    }
}
