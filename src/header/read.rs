//! Reading the primary header of a FITS file, and nothing after it.

use rustc_hash::FxHashMap;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

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
    /// and `f`, everything else as its text, lower-cased as reading a pool lower-cases it.
    pub fn pool_text(&self) -> String {
        match self {
            Keyword::Text(text) => text.to_lowercase(),
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
    /// The file does not start with a FITS primary header.
    #[error("'{}' is not a FITS file ({reason})", .path.display())]
    NotFits {
        /// The file.
        path: PathBuf,
        /// What the FITS reader said.
        reason: String,
    },
}

/// Reads the primary header of the FITS file at `path`: its cards up to `END`, not its data.
///
/// # Errors
///
/// [`ReadError::Io`] when the file cannot be opened, [`ReadError::NotFits`] when it does not
/// start with a primary header.
pub fn read_primary_header(path: &Path) -> Result<Header, ReadError> {
    let file = File::open(path).map_err(|source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let not_fits = |reason: String| ReadError::NotFits {
        path: path.to_path_buf(),
        reason,
    };
    let mut fits = Fits::from_reader(BufReader::new(file));
    let hdu = match fits.next() {
        Some(Ok(HDU::Primary(hdu))) => hdu,
        Some(Ok(_)) => return Err(not_fits("the first unit is no primary header".into())),
        Some(Err(e)) => return Err(not_fits(e.to_string())),
        None => return Err(not_fits("the file is empty".into())),
    };
    let keywords = hdu.get_header().iter().filter_map(|(name, value)| {
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

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(matches!(err, ReadError::NotFits { .. }), "{err}");
        assert!(err.to_string().starts_with("'"), "{err}");
    }
}
