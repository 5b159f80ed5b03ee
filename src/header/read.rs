//! Reading the primary header of a FITS file, and nothing after it.

use rustc_hash::FxHashMap;
use std::fs::File;
use std::io::{self, Cursor};
use std::path::{Path, PathBuf};

use rustix::fs::{Mode, OFlags, CWD};

use fitsrs::card::Value;
use fitsrs::{Fits, HDU};

/// A header keyword's value, as the association generator's pool holds it.
#[derive(Debug, Clone, PartialEq)]
pub enum Keyword {
    /// A character string, trailing blanks removed.
    Text(String),
    /// A FITS logical (`T` or `F`).
    Logical(bool),
    /// An integer.
    Integer(i64),
    /// A real number.
    Real(f64),
}

impl Keyword {
    /// The value as the generator's pool writes it after the candidate policy: logicals as `t`
    /// and `f`, everything else as its text, lower-cased as reading a pool lower-cases it and
    /// with no space around it, which the pool file's round trip leaves out (`' FULL'` is
    /// `full`).
    pub fn pool_text(&self) -> String {
        match self {
            Keyword::Text(text) => text.trim().to_lowercase(),
            Keyword::Logical(true) => "t".to_string(),
            Keyword::Logical(false) => "f".to_string(),
            Keyword::Integer(n) => n.to_string(),
            Keyword::Real(x) => python_float(*x),
        }
    }
}

/// The keywords of a primary header, by name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Header {
    /// The file the header was read from.
    pub path: PathBuf,
    keywords: FxHashMap<String, Keyword>,
}

impl Header {
    /// A header with these keywords, as if read from `path` (for tests and front ends that
    /// have headers from elsewhere).
    pub fn new(
        path: impl Into<PathBuf>,
        keywords: impl IntoIterator<Item = (String, Keyword)>,
    ) -> Header {
        Header {
            path: path.into(),
            keywords: keywords.into_iter().collect(),
        }
    }

    /// The value of `keyword`, if the header has it.
    pub fn get(&self, keyword: &str) -> Option<&Keyword> {
        self.keywords.get(keyword)
    }

    /// Every keyword's value as the generator's pool holds it.
    pub fn pool_values(&self) -> FxHashMap<String, String> {
        self.keywords
            .iter()
            .map(|(k, v)| (k.clone(), v.pool_text()))
            .collect()
    }

    /// The value of `keyword` as the generator's pool holds it (see [`Keyword::pool_text`]).
    pub fn text(&self, keyword: &str) -> Option<String> {
        self.get(keyword).map(Keyword::pool_text)
    }
}

/// Why a header could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file could not be opened or read.
    #[error("cannot read '{}'", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file holds no FITS primary header this reader takes.
    #[error("'{}': {why}", .path.display())]
    NotFits {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        why: NotFits,
    },
}

/// What is wrong with a file that holds no readable primary header, said as its owner would
/// want to hear it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotFits {
    /// Nothing in it.
    #[error("empty file, not FITS")]
    Empty,
    /// A folder, a FIFO, a device or a socket: never opened for reading, so that nothing waits
    /// on it and no device is touched.
    #[error("{0}, not a FITS file")]
    NotAFile(&'static str),
    /// gzip's magic bytes: a `.fits.gz` as archives serve them.
    #[error(
        "compressed with gzip, and the pipeline reads only plain FITS: run gunzip on it first"
    )]
    Gzip,
    /// Zero bytes where `SIMPLE` should be: a file allocated but never written, as a
    /// download that did not finish leaves it.
    #[error("not a FITS file: it starts with zero bytes, as an unfinished download does")]
    Zeros,
    /// Anything else that does not start with `SIMPLE  =`.
    #[error("not a FITS file: it does not start with a SIMPLE card")]
    NoSimple,
    /// The file ends before its header does.
    #[error("cut short: it ends after {0} bytes, inside its FITS header")]
    CutShort(usize),
    /// No `END` card within [`HEADER_CAP`] bytes.
    #[error(
        "no END card in its first {} bytes: not a FITS header (JWST's are tens of kB)",
        HEADER_CAP
    )]
    NoEnd,
    /// The cards up to `END` are not a primary header.
    #[error("not a valid FITS primary header: {0}")]
    Invalid(String),
}

/// A FITS block: headers come in whole blocks of 36 cards of 80 bytes.
const BLOCK: usize = 2880;
const CARD: usize = 80;

/// The most header bytes read from one file: 364 blocks, 1 MiB in whole blocks (13,104 cards).
/// The primary header of a JWST exposure is tens of kB (some 300 to 700 cards), so this leaves
/// room twenty times over, while a file that never ends its header (a `/dev/zero` under a
/// `.fits` name, 100 MB of cards) costs at most this much memory and reading.
pub const HEADER_CAP: usize = 364 * BLOCK;

/// Reads the primary header of the FITS file at `path`: its cards up to `END`, at most
/// [`HEADER_CAP`] bytes, never its data. Anything but a regular file (a folder, a FIFO, a
/// device) is refused before it is opened for reading, so the call never waits on a writer
/// and never reads a device.
/// It keeps the keywords the generator's rules read (`exposure::KEPT`), and no others.
///
/// # Errors
///
/// [`ReadError::Io`] when the file cannot be opened or read, [`ReadError::NotFits`] saying why
/// it holds no primary header.
pub fn read_primary_header(path: &Path) -> Result<Header, ReadError> {
    let io_error = |source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    };
    let not_fits = |why| ReadError::NotFits {
        path: path.to_path_buf(),
        why,
    };
    let file_type = std::fs::metadata(path).map_err(io_error)?.file_type();
    if let Some(kind) = not_a_file(&file_type) {
        return Err(not_fits(NotFits::NotAFile(kind)));
    }
    // Replaced by a FIFO since it was looked at: O_NONBLOCK opens it without waiting for a
    // writer, and the type of what was opened is checked again.
    let flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
    let file = File::from(
        rustix::fs::openat(CWD, path, flags, Mode::empty()).map_err(|e| io_error(e.into()))?,
    );
    let file_type = file.metadata().map_err(io_error)?.file_type();
    if let Some(kind) = not_a_file(&file_type) {
        return Err(not_fits(NotFits::NotAFile(kind)));
    }
    let bytes = header_bytes(file).map_err(|e| match e {
        Stop::Io(source) => io_error(source),
        Stop::NotFits(why) => not_fits(why),
    })?;
    let mut fits = Fits::from_reader(Cursor::new(cards_to_read(&bytes)));
    let hdu = match fits.next() {
        Some(Ok(HDU::Primary(hdu))) => hdu,
        Some(Ok(_)) | None => return Err(not_fits(NotFits::NoSimple)),
        Some(Err(e)) => return Err(not_fits(NotFits::Invalid(reader_reason(&e)))),
    };
    // Only what the rules read is kept: a header has hundreds of cards, the rules read thirty.
    let keywords = hdu.get_header().iter().filter_map(|(name, value)| {
        super::exposure::kept(name)?;
        let value = match value {
            Value::String { value, .. } => Keyword::Text(value.trim_end().to_string()),
            Value::Logical { value, .. } => Keyword::Logical(*value),
            Value::Integer { value, .. } => Keyword::Integer(*value),
            Value::Float { value, .. } => Keyword::Real(*value),
            _ => return None,
        };
        Some((name.to_string(), value))
    });
    Ok(Header::new(path, keywords))
}

/// The cards of `header` the FITS reader is given, in their order, padded to whole blocks:
/// those it checks a primary header by (`SIMPLE`, `BITPIX`, `NAXIS`...), those the rules read
/// (`exposure::KEPT`) with any `CONTINUE` cards of theirs, and `END`. A real header has hundreds
/// of cards and the rules read thirty: parsing the others' values was half of what reading
/// 10,000 headers cost. A card whose keyword is not text is given too, for the reader to judge.
fn cards_to_read(header: &[u8]) -> Vec<u8> {
    // What the reader looks at to check a primary header and size its data.
    const STRUCTURE: &[&str] = &[
        "SIMPLE", "BITPIX", "EXTEND", "GROUPS", "PCOUNT", "GCOUNT", "BSCALE", "BZERO", "BLANK",
    ];
    let mut cards = Vec::with_capacity(BLOCK);
    let mut continued = false;
    for card in header.chunks_exact(CARD) {
        let keyword = std::str::from_utf8(&card[..8]).map(str::trim_end);
        let given = match keyword {
            Ok("END") => {
                cards.extend_from_slice(card);
                break;
            }
            Ok("CONTINUE") => continued,
            Ok(k) => {
                STRUCTURE.contains(&k)
                    || k.starts_with("NAXIS")
                    || super::exposure::kept(k).is_some()
            }
            Err(_) => true,
        };
        continued = given;
        if given {
            cards.extend_from_slice(card);
        }
    }
    cards.resize(cards.len().div_ceil(BLOCK) * BLOCK, b' ');
    cards
}

/// A real as Python's `str` writes it, which is what the generator's pool holds: `1.0`, not
/// `1`, so that a real where an integer belongs (`PATT_NUM = 1.0`) is no integer for the rules
/// either; `1e+16` and `1.5e-05` in exponent form.
fn python_float(x: f64) -> String {
    if x.is_nan() {
        return "nan".to_string();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    // Rust's `{:?}` picks the same shortest digits and the same switch to exponent form
    // (below 1e-4, from 1e16); only the exponent is written differently.
    let text = format!("{x:?}");
    match text.split_once('e') {
        Some((mantissa, exponent)) => {
            let (sign, digits) = match exponent.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', exponent),
            };
            format!("{mantissa}e{sign}{digits:0>2}")
        }
        None => text,
    }
}

/// What a file that is not a regular file is, in words; `None` for a regular file.
fn not_a_file(file_type: &std::fs::FileType) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt;
    Some(match file_type {
        t if t.is_file() => return None,
        t if t.is_dir() => "a folder",
        t if t.is_fifo() => "a FIFO",
        t if t.is_char_device() => "a character device",
        t if t.is_block_device() => "a block device",
        t if t.is_socket() => "a socket",
        _ => "not a regular file",
    })
}

/// The FITS reader's complaint in this tool's words: lower-case, and never an internal name.
fn reader_reason(e: &fitsrs::error::Error) -> String {
    // The header's blocks are whole before the reader sees them: an I/O error of its own is
    // the cards ending too early for it.
    // Its deserialiser's words ("invalid type: unit value, expected i8") mean a mandatory
    // card is missing or has the wrong type.
    match e {
        fitsrs::error::Error::Io(_) => return "its cards end too early".into(),
        fitsrs::error::Error::DynamicError(_) => {
            return "BITPIX or NAXIS is missing or not a number".into()
        }
        _ => {}
    }
    let text = e.to_string();
    let mut chars = text.chars();
    let first = chars.next().map(|c| c.to_ascii_lowercase());
    first
        .into_iter()
        .chain(chars)
        .collect::<String>()
        .trim_end_matches('.')
        .to_string()
}

/// Why [`header_bytes`] stopped.
enum Stop {
    Io(std::io::Error),
    NotFits(NotFits),
}

/// The header's blocks, up to the one holding `END`: at most [`HEADER_CAP`] bytes, read a
/// block at a time so that memory follows what is read.
fn header_bytes(mut file: impl io::Read) -> Result<Vec<u8>, Stop> {
    const SIMPLE: &[u8] = b"SIMPLE  =";
    const GZIP: &[u8] = &[0x1f, 0x8b];
    let mut bytes = Vec::with_capacity(16 * BLOCK);
    loop {
        let start = bytes.len();
        if start >= HEADER_CAP {
            return Err(Stop::NotFits(NotFits::NoEnd));
        }
        bytes.resize(start + BLOCK, 0);
        let got = read_block(&mut file, &mut bytes[start..]).map_err(Stop::Io)?;
        bytes.truncate(start + got);
        if start == 0 {
            let why = match &bytes[..] {
                [] => Some(NotFits::Empty),
                b if b.starts_with(GZIP) => Some(NotFits::Gzip),
                b if b.starts_with(SIMPLE) => None,
                b if b.iter().take(SIMPLE.len()).all(|&c| c == 0) => Some(NotFits::Zeros),
                _ => Some(NotFits::NoSimple),
            };
            if let Some(why) = why {
                return Err(Stop::NotFits(why));
            }
        }
        let has_end = bytes[start..]
            .chunks_exact(CARD)
            .any(|card| card.starts_with(b"END") && card[3..8].iter().all(|&c| c == b' '));
        if has_end {
            // The reader wants whole blocks; a file cut right after END is still read.
            let whole = bytes.len().div_ceil(BLOCK) * BLOCK;
            bytes.resize(whole, b' ');
            return Ok(bytes);
        }
        if got < BLOCK {
            return Err(Stop::NotFits(NotFits::CutShort(bytes.len())));
        }
    }
}

/// Fills `block` as far as the file goes; fewer bytes only at its end.
fn read_block(file: &mut impl io::Read, block: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < block.len() {
        match file.read(&mut block[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// A primary header of these cards, padded to one 2,880-byte block.
    fn fits(cards: &[&str]) -> Vec<u8> {
        let mut bytes = Vec::new();
        for card in cards.iter().chain(&["END"]) {
            bytes.extend(format!("{card:<80}").as_bytes());
        }
        bytes.resize(2880, b' ');
        bytes
    }

    #[test]
    fn keywords_are_read_with_their_types() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a_rate.fits");
        std::fs::write(
            &path,
            fits(&[
                "SIMPLE  =                    T",
                "BITPIX  =                    8",
                "NAXIS   =                    0",
                "EXP_TYPE= 'NRC_IMAGE'          / exposure type",
                "IS_PSF  =                    F",
                "PATT_NUM=                    3",
            ]),
        )
        .unwrap();
        let header = read_primary_header(&path).unwrap();
        assert_eq!(
            header.get("EXP_TYPE"),
            Some(&Keyword::Text("NRC_IMAGE".into()))
        );
        assert_eq!(header.text("EXP_TYPE").as_deref(), Some("nrc_image"));
        assert_eq!(header.text("IS_PSF").as_deref(), Some("f"));
        assert_eq!(header.get("PATT_NUM"), Some(&Keyword::Integer(3)));
        assert_eq!(header.get("FILTER"), None);
    }

    /// Why the file holding `bytes` is no FITS file.
    fn why_not(bytes: &[u8]) -> NotFits {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.fits");
        std::fs::write(&path, bytes).unwrap();
        match read_primary_header(&path) {
            Err(ReadError::NotFits { why, .. }) => why,
            other => panic!("{other:?}"),
        }
    }

    /// The kept keywords the reader finds in `bytes` given whole, as it was before
    /// [`cards_to_read`] picked the cards.
    fn kept_from_whole(bytes: Vec<u8>) -> Vec<(String, String)> {
        let mut fits = Fits::from_reader(Cursor::new(bytes));
        let Some(Ok(HDU::Primary(hdu))) = fits.next() else {
            panic!("a primary header")
        };
        let mut kept: Vec<_> = hdu
            .get_header()
            .iter()
            .filter(|(name, _)| super::super::exposure::kept(name).is_some())
            .map(|(name, value)| (name.to_string(), format!("{value:?}")))
            .collect();
        kept.sort();
        kept
    }

    #[test]
    fn the_cards_given_to_the_reader_give_the_kept_values_of_the_whole_header() {
        let bytes = fits(&[
            "SIMPLE  =                    T",
            "BITPIX  =                    8",
            "NAXIS   =                    0",
            "EXTEND  =                    T",
            "DATE    = '2026-01-01'         / not kept",
            "TARGNAME= 'A TARGET WITH A NAME THAT GOES ON&'",
            "CONTINUE  ' AND ON'",
            "COMMENT   a comment card",
            "HISTORY   a history card",
            "FILTER  = 'F150W   '",
            "        / a card with no keyword",
            "PATT_NUM=                    3",
            "NOTKEPT = 'X&'",
            "CONTINUE  'Y'",
            "IS_PSF  =                    F",
        ]);
        let picked = cards_to_read(&bytes);
        assert_eq!(picked.len() % BLOCK, 0);
        assert_eq!(kept_from_whole(picked), kept_from_whole(bytes.clone()));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a_rate.fits");
        std::fs::write(&path, &bytes).unwrap();
        let header = read_primary_header(&path).unwrap();
        assert_eq!(
            header.get("TARGNAME"),
            Some(&Keyword::Text(
                "A TARGET WITH A NAME THAT GOES ON AND ON".into()
            ))
        );
        assert_eq!(header.get("PATT_NUM"), Some(&Keyword::Integer(3)));
    }

    #[test]
    fn reals_read_as_python_writes_them() {
        for (x, text) in [
            (1.0, "1.0"),
            (2.5, "2.5"),
            (-0.001, "-0.001"),
            (1.5e-5, "1.5e-05"),
            (1e16, "1e+16"),
            (123456789.0, "123456789.0"),
        ] {
            assert_eq!(Keyword::Real(x).pool_text(), text, "{x}");
        }
    }

    #[test]
    fn a_file_that_is_not_fits_is_named_as_such() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notes.txt");
        std::fs::write(&path, "just some text\n".repeat(300)).unwrap();
        let err = read_primary_header(&path).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "'{}': not a FITS file: it does not start with a SIMPLE card",
                path.display()
            )
        );
    }

    #[test]
    fn empty_gzip_zero_filled_and_cut_short_files_are_told_apart() {
        assert_eq!(why_not(b""), NotFits::Empty);
        assert_eq!(why_not(&[0x1f, 0x8b, 8, 0, 0, 0]), NotFits::Gzip);
        assert_eq!(why_not(&vec![0; 3 * BLOCK]), NotFits::Zeros);
        let mut no_end = fits(&[
            "SIMPLE  =                    T",
            "BITPIX  =                    8",
            "NAXIS   =                    0",
        ]);
        no_end.truncate(2 * CARD);
        // Only SIMPLE and BITPIX: the END card has gone.
        assert_eq!(why_not(&no_end), NotFits::CutShort(2 * CARD));
        // A header cut right after its END card is read.
        let mut short = fits(&[
            "SIMPLE  =                    T",
            "BITPIX  =                    8",
            "NAXIS   =                    0",
        ]);
        short.truncate(4 * CARD);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("short.fits");
        std::fs::write(&path, short).unwrap();
        assert!(read_primary_header(&path).is_ok());
    }

    #[test]
    fn no_message_names_an_internal_type() {
        let mut bad = fits(&["SIMPLE  =                    T", "BITPIX  = nonsense"]);
        bad.truncate(BLOCK);
        let why = why_not(&bad).to_string();
        assert!(!why.contains("Io(") && !why.contains("Error"), "{why}");
        let no_bitpix = fits(&[
            "SIMPLE  =                    T",
            "NAXIS   =                    0",
        ]);
        assert_eq!(
            why_not(&no_bitpix).to_string(),
            "not a valid FITS primary header: BITPIX or NAXIS is missing or not a number"
        );
    }

    #[test]
    fn a_header_that_never_ends_is_read_only_up_to_the_cap() {
        let simple = format!("{:<80}", "SIMPLE  =                    T");
        let mut endless = simple.as_bytes().chain(io::repeat(b' '));
        assert!(matches!(
            header_bytes(&mut endless),
            Err(Stop::NotFits(NotFits::NoEnd))
        ));
        // What it read is the cap and no more.
        let mut counted = simple
            .as_bytes()
            .chain(io::repeat(b' '))
            .take(HEADER_CAP as u64 + 1);
        assert!(matches!(
            header_bytes(&mut counted),
            Err(Stop::NotFits(NotFits::NoEnd))
        ));
        assert_eq!(counted.limit(), 1);
    }

    #[test]
    fn a_header_that_fills_the_cap_is_read_and_one_block_more_is_not() {
        let cards = HEADER_CAP / CARD - 2;
        let mut header = format!("{:<80}", "SIMPLE  =                    T");
        header += &format!("{:<80}", "COMMENT x").repeat(cards);
        header += &format!("{:<80}", "END");
        assert_eq!(header.len(), HEADER_CAP);
        assert!(header_bytes(header.as_bytes()).is_ok());
        let mut longer = header[..HEADER_CAP - CARD].to_string();
        longer += &format!("{:<80}", "COMMENT x").repeat(37);
        longer += &format!("{:<80}", "END");
        assert!(matches!(
            header_bytes(longer.as_bytes()),
            Err(Stop::NotFits(NotFits::NoEnd))
        ));
    }

    #[test]
    fn a_big_sparse_file_of_zeros_ends_after_one_block() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("half_downloaded_rate.fits");
        File::create(&path).unwrap().set_len(200 << 20).unwrap();
        let err = read_primary_header(&path).unwrap_err();
        assert!(
            matches!(
                err,
                ReadError::NotFits {
                    why: NotFits::Zeros,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn folders_and_fifos_are_refused_without_waiting() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("a_rate.fits");
        std::fs::create_dir(&folder).unwrap();
        assert_eq!(
            read_primary_header(&folder).unwrap_err().to_string(),
            format!("'{}': a folder, not a FITS file", folder.display())
        );
        let fifo = dir.path().join("fifo_rate.fits");
        // mkfifo, not mknodat: macOS has only the former.
        let name = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: `name` is a NUL-terminated path that lives across the call.
        assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
        // No writer ever opens it: a reader that waited would never return.
        assert_eq!(
            read_primary_header(&fifo).unwrap_err().to_string(),
            format!("'{}': a FIFO, not a FITS file", fifo.display())
        );
    }
}
