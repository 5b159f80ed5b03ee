//! An exposure as the association generator sees it: the header's keywords as pool values,
//! and the role the generator gives the exposure before any rule looks at it.

use std::cell::RefCell;
use std::ffi::OsString;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::read::{Header, Keyword};
use crate::model::ExpType;

/// The role of an exposure before any rule: its `exptype` in the generator's words
/// (`get_exposure_type`, `jwst/associations/lib/dms_base.py:1087-1182`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Anything not named below.
    Science,
    /// `IS_PSF` set: a PSF reference.
    Psf,
    /// `IS_IMPRT` set: a NIRSpec imprint (leakcal) exposure.
    Imprint,
    /// `BKGDTARG` set: a background exposure.
    Background,
    /// A target acquisition or its confirmation, by `EXP_TYPE`.
    TargetAcquisition,
    /// A dark, by `EXP_TYPE`.
    Dark,
    /// A flat, by `EXP_TYPE`.
    Flat,
    /// A focus, lamp or other engineering exposure, by `EXP_TYPE`.
    Engineering,
    /// A NIRSpec auto-flat.
    Autoflat,
    /// A NIRSpec auto-wave.
    Autowave,
}

impl Role {
    /// The member type the generator gives an exposure of this role, where a rule does not
    /// type it otherwise: its role's name (`get_exposure_type`).
    pub fn exptype(self) -> ExpType<'static> {
        match self {
            Role::Science => ExpType::Science,
            Role::Psf => ExpType::Psf,
            Role::Imprint => ExpType::Imprint,
            Role::Background => ExpType::Background,
            Role::TargetAcquisition => ExpType::TargetAcquisition,
            Role::Dark => ExpType::Other("dark"),
            Role::Flat => ExpType::Other("flat"),
            Role::Engineering => ExpType::Other("engineering"),
            Role::Autoflat => ExpType::Other("autoflat"),
            Role::Autowave => ExpType::Other("autowave"),
        }
    }
}

/// `EXPTYPE_MAP` (`jwst/associations/lib/dms_base.py:48-81`): the `EXP_TYPE`s whose role is
/// fixed whatever their modifiers say. `nrs_verify` is an acquisition type but not here.
const EXPTYPE_MAP: &[(Role, &[&str])] = &[
    (
        Role::TargetAcquisition,
        &[
            "mir_tacq",
            "mir_taconfirm",
            "nis_tacq",
            "nis_taconfirm",
            "nrc_tacq",
            "nrc_taconfirm",
            "nrs_confirm",
            "nrs_msata",
            "nrs_tacq",
            "nrs_taconfirm",
            "nrs_taslit",
            "nrs_wata",
        ],
    ),
    (
        Role::Dark,
        &[
            "mir_darkall",
            "mir_darkimg",
            "mir_darkmrs",
            "nis_dark",
            "nrc_dark",
            "nrs_dark",
        ],
    ),
    (
        Role::Flat,
        &[
            "mir_flatimage",
            "mir_flatimage-ext",
            "mir_flatmrs",
            "mir_flatmrs-ext",
            "nrc_flat",
        ],
    ),
    (
        Role::Engineering,
        &[
            "nis_focus",
            "nis_lamp",
            "nrc_focus",
            "nrc_led",
            "nrs_focus",
            "nrs_image",
            "nrs_lamp",
        ],
    ),
    (Role::Autoflat, &["nrs_autoflat"]),
    (Role::Autowave, &["nrs_autowave"]),
];

/// The values the generator takes for "not set" (`jwst/associations/lib/dms_base.py:237-253`),
/// as a pool holds them, lower-cased.
pub(crate) const EMPTY: &[&str] = &["", "null", "--", "n", "f", "false", "n/a"];

/// The keywords the generator's rules read (`jwst/associations/lib/rules_level2_base.py`,
/// `rules_level2b.py`, `rules_level3_base.py`, `rules_level3.py`, `dms_base.py`), sorted: an
/// exposure keeps these and nothing else of its header, so that a million exposures fit in
/// memory. `TARGNAME` and `OBSERVTN` name targets and candidates.
pub const KEPT: &[&str] = &[
    "ACT_ID", "BAND", "BKGDTARG", "CHANNEL", "DETECTOR", "EXP_TYPE", "FILTER", "FXD_SLIT",
    "GRATING", "INSTRUME", "IS_IMPRT", "IS_PSF", "LAMP", "MSAMETFL", "MSASTATE", "NINTS",
    "NUMDTHPT", "OBSERVTN", "OBS_ID", "OPMODE", "PATTTYPE", "PATT_NUM", "PROGRAM", "PUPIL",
    "SUBARRAY", "SUBPXPNS", "SUBPXPTS", "TARGNAME", "TSOVISIT", "VISITYPE",
];

/// Where `keyword` is in [`KEPT`], if it is kept. Asked of every card of every header, so
/// keywords are compared as numbers: their (at most eight) bytes, zero-padded, big-endian,
/// which sort as the words do.
pub(crate) fn kept(keyword: &str) -> Option<usize> {
    KEPT_CODES.binary_search(&code(keyword.as_bytes())?).ok()
}

/// [`KEPT`], each keyword as its [`code`].
const KEPT_CODES: [u64; KEPT.len()] = {
    let mut codes = [0; KEPT.len()];
    let mut i = 0;
    while i < KEPT.len() {
        codes[i] = match code(KEPT[i].as_bytes()) {
            Some(code) => code,
            None => panic!("a FITS keyword has at most eight characters"),
        };
        i += 1;
    }
    codes
};

/// A keyword of at most eight bytes as one number; `None` for a longer one, which no card has.
const fn code(keyword: &[u8]) -> Option<u64> {
    if keyword.len() > 8 {
        return None;
    }
    let mut bytes = [0; 8];
    let mut i = 0;
    while i < keyword.len() {
        bytes[i] = keyword[i];
        i += 1;
    }
    Some(u64::from_be_bytes(bytes))
}

/// A keyword's value with its text as the pool holds it; one copy per distinct value, shared
/// by every exposure that has it.
#[derive(Debug, PartialEq)]
struct Value {
    keyword: Keyword,
    pool: Box<str>,
}

/// A value as the interner tells values apart: reals by their bits.
#[derive(PartialEq, Eq, Hash)]
enum Form {
    Text(String),
    Logical(bool),
    Integer(i64),
    Real(u64),
}

impl Form {
    fn of(keyword: &Keyword) -> Form {
        match keyword {
            Keyword::Text(text) => Form::Text(text.clone()),
            Keyword::Logical(b) => Form::Logical(*b),
            Keyword::Integer(n) => Form::Integer(*n),
            Keyword::Real(x) => Form::Real(x.to_bits()),
        }
    }
}

thread_local! {
    /// The values this thread has read, each once. A thread reading headers keeps its own,
    /// so that reading on every core takes no lock; values are few (filters, detectors,
    /// observations), whatever the number of files.
    static VALUES: RefCell<FxHashMap<Form, Arc<Value>>> = RefCell::default();
}

/// The shared copy of `keyword`'s value.
fn interned(keyword: Keyword) -> Arc<Value> {
    VALUES.with(|values| {
        values
            .borrow_mut()
            .entry(Form::of(&keyword))
            .or_insert_with(|| {
                Arc::new(Value {
                    pool: keyword.pool_text().into(),
                    keyword,
                })
            })
            .clone()
    })
}

/// An exposure: its file name and the keywords of its primary header that the rules read
/// ([`KEPT`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Exposure {
    /// The file name as given.
    pub name: OsString,
    /// Which of [`KEPT`] the header has, one bit each.
    present: u64,
    /// Their values, in [`KEPT`] order.
    values: Box<[Arc<Value>]>,
}

impl Exposure {
    /// The exposure whose file is `name` and whose primary header is `header`; it keeps only
    /// the keywords the rules read.
    pub fn new(name: impl Into<OsString>, header: Header) -> Exposure {
        let mut present = 0;
        let mut values = Vec::new();
        for (at, keyword) in KEPT.iter().enumerate() {
            if let Some(value) = header.get(keyword) {
                present |= 1 << at;
                values.push(interned(value.clone()));
            }
        }
        Exposure {
            name: name.into(),
            present,
            values: values.into_boxed_slice(),
        }
    }

    /// A kept keyword's value. A rule that reads a keyword [`KEPT`] lacks is a bug, which
    /// tests catch here.
    fn get(&self, keyword: &str) -> Option<&Value> {
        let Some(at) = kept(keyword) else {
            debug_assert!(false, "{keyword} is read but not in KEPT");
            return None;
        };
        let bit = 1u64 << at;
        (self.present & bit != 0).then(|| {
            let before = (self.present & (bit - 1)).count_ones() as usize;
            &*self.values[before]
        })
    }

    /// A keyword's value with its type, as the header holds it.
    pub fn keyword(&self, keyword: &str) -> Option<&Keyword> {
        self.get(keyword).map(|v| &v.keyword)
    }

    /// A keyword as the pool holds it: lower-cased text, logicals as `t` and `f`.
    pub fn pool_value(&self, keyword: &str) -> Option<&str> {
        self.get(keyword).map(|v| &*v.pool)
    }

    /// A keyword as the pool holds it, owned (see [`Exposure::pool_value`]).
    pub fn value(&self, keyword: &str) -> Option<String> {
        self.pool_value(keyword).map(str::to_string)
    }

    /// Every kept keyword as the pool holds it.
    pub fn pool_values(&self) -> FxHashMap<String, String> {
        KEPT.iter()
            .filter_map(|k| Some((k.to_string(), self.value(k)?)))
            .collect()
    }

    /// A keyword's text as the header holds it, case and all.
    pub fn raw_text(&self, keyword: &str) -> Option<String> {
        match self.keyword(keyword)? {
            Keyword::Text(text) => Some(text.clone()),
            other => Some(other.pool_text()),
        }
    }

    /// Whether `keyword` is set: present, and none of the generator's empty values.
    pub fn is_set(&self, keyword: &str) -> bool {
        self.pool_value(keyword)
            .is_some_and(|v| !EMPTY.contains(&v))
    }

    /// The exposure type, lower-cased (`nrc_image`), or "" without one.
    pub fn exp_type(&self) -> String {
        self.value("EXP_TYPE").unwrap_or_default()
    }

    /// The role the generator gives the exposure: by `EXP_TYPE` when it is one of the fixed
    /// ones, else by the first modifier set of `IS_PSF`, `IS_IMPRT` and `BKGDTARG`, else
    /// science. `IS_IMPRT` counts only as a logical `T`: `asn_make_pool` puts its own default
    /// in the pool's column, and the policy takes the header's logical alone.
    pub fn role(&self) -> Role {
        let exp_type = self.pool_value("EXP_TYPE").unwrap_or_default();
        let fixed = EXPTYPE_MAP
            .iter()
            .find(|(_, types)| types.contains(&exp_type));
        if let Some((role, _)) = fixed {
            return *role;
        }
        [
            ("IS_PSF", Role::Psf),
            ("IS_IMPRT", Role::Imprint),
            ("BKGDTARG", Role::Background),
        ]
        .into_iter()
        .find(|&(keyword, _)| match keyword {
            "IS_IMPRT" => self.imprint_set(),
            _ => self.is_set(keyword),
        })
        .map_or(Role::Science, |(_, role)| role)
    }

    /// Whether `IS_IMPRT` is a logical `T`, the only form the generator's pool takes from a
    /// header (see [`Exposure::role`]).
    pub fn imprint_set(&self) -> bool {
        matches!(self.keyword("IS_IMPRT"), Some(Keyword::Logical(true)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exposure(cards: &[(&str, Keyword)]) -> Exposure {
        let header = Header::new(
            "x.fits",
            cards.iter().map(|(k, v)| (k.to_string(), v.clone())),
        );
        Exposure::new("x.fits", header)
    }

    fn text(s: &str) -> Keyword {
        Keyword::Text(s.to_string())
    }

    #[test]
    fn the_exposure_type_decides_first() {
        let ta = exposure(&[
            ("EXP_TYPE", text("MIR_TACQ")),
            ("BKGDTARG", Keyword::Logical(true)),
        ]);
        assert_eq!(ta.role(), Role::TargetAcquisition);
        let verify = exposure(&[("EXP_TYPE", text("NRS_VERIFY"))]);
        assert_eq!(verify.role(), Role::Science);
        assert_eq!(
            exposure(&[("EXP_TYPE", text("NRC_DARK"))]).role(),
            Role::Dark
        );
    }

    #[test]
    fn modifiers_go_psf_then_imprint_then_background() {
        let t = Keyword::Logical(true);
        let f = Keyword::Logical(false);
        let image = ("EXP_TYPE", text("NRS_IFU"));
        assert_eq!(
            exposure(&[
                image.clone(),
                ("IS_PSF", t.clone()),
                ("IS_IMPRT", t.clone())
            ])
            .role(),
            Role::Psf
        );
        assert_eq!(
            exposure(&[
                image.clone(),
                ("IS_IMPRT", t.clone()),
                ("BKGDTARG", t.clone())
            ])
            .role(),
            Role::Imprint
        );
        assert_eq!(
            exposure(&[image.clone(), ("BKGDTARG", t)]).role(),
            Role::Background
        );
        assert_eq!(
            exposure(&[image.clone(), ("BKGDTARG", f)]).role(),
            Role::Science
        );
        // A string that says "false" is unset too; one that says "True" is set.
        assert_eq!(
            exposure(&[image.clone(), ("BKGDTARG", text("False"))]).role(),
            Role::Science
        );
        assert_eq!(
            exposure(&[image, ("BKGDTARG", text("True"))]).role(),
            Role::Background
        );
    }

    #[test]
    fn kept_keywords_are_sorted_and_fit_a_mask() {
        assert!(KEPT.windows(2).all(|w| w[0] < w[1]), "KEPT must be sorted");
        assert!(
            KEPT_CODES.windows(2).all(|w| w[0] < w[1]),
            "codes sort as words do"
        );
        for (i, keyword) in KEPT.iter().enumerate() {
            assert_eq!(kept(keyword), Some(i));
        }
        for other in ["", "BAN", "BANDS", "END", "EXP_TYPES", "ZZZ", "ACT_I"] {
            assert_eq!(kept(other), None, "{other}");
        }
        assert!(KEPT.len() <= u64::BITS as usize);
    }

    #[test]
    fn an_exposure_keeps_what_the_rules_read_and_shares_equal_values() {
        let cards = |filter: &str| {
            [
                ("FILTER", text(filter)),
                ("TARGNAME", text("NGC 1")),
                ("DATE-OBS", text("2026-01-01")),
                ("NINTS", Keyword::Integer(3)),
            ]
        };
        let (a, b) = (exposure(&cards("F150W")), exposure(&cards("F150W")));
        assert_eq!(a.pool_value("FILTER"), Some("f150w"));
        assert_eq!(a.raw_text("TARGNAME").as_deref(), Some("NGC 1"));
        assert_eq!(a.keyword("NINTS"), Some(&Keyword::Integer(3)));
        assert_eq!(a.pool_value("PUPIL"), None);
        assert!(!a.pool_values().contains_key("DATE-OBS"));
        let filter = |e: &Exposure| e.pool_value("FILTER").unwrap().as_ptr();
        assert_eq!(filter(&a), filter(&b), "one copy of a value read twice");
        assert_ne!(filter(&a), filter(&exposure(&cards("F200W"))));
    }
}
