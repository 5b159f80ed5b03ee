//! An exposure as the association generator sees it: the header's keywords as pool values,
//! and the role the generator gives the exposure before any rule looks at it.

use std::ffi::OsString;

use super::read::Header;

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
pub(crate) const EMPTY: &[&str] = &["none", "", "null", "--", "n", "f", "false", "n/a"];

/// An exposure: its file name and its primary header's keywords.
#[derive(Debug, Clone, PartialEq)]
pub struct Exposure {
    /// The file name as given.
    pub name: OsString,
    header: Header,
}

impl Exposure {
    /// The exposure whose file is `name` and whose primary header is `header`.
    pub fn new(name: impl Into<OsString>, header: Header) -> Exposure {
        Exposure {
            name: name.into(),
            header,
        }
    }

    /// A keyword as the pool holds it: lower-cased text, logicals as `t` and `f`.
    pub fn value(&self, keyword: &str) -> Option<String> {
        self.header.text(keyword)
    }

    /// Every keyword as the pool holds it.
    pub fn pool_values(&self) -> rustc_hash::FxHashMap<String, String> {
        self.header.pool_values()
    }

    /// A keyword's text as the header holds it, case and all.
    pub fn raw_text(&self, keyword: &str) -> Option<String> {
        match self.header.get(keyword)? {
            super::read::Keyword::Text(text) => Some(text.clone()),
            other => Some(other.pool_text()),
        }
    }

    /// Whether `keyword` is set: present, and none of the generator's empty values.
    pub fn is_set(&self, keyword: &str) -> bool {
        self.value(keyword)
            .is_some_and(|v| !EMPTY.contains(&v.as_str()))
    }

    /// The exposure type, lower-cased (`nrc_image`), or "" without one.
    pub fn exp_type(&self) -> String {
        self.value("EXP_TYPE").unwrap_or_default()
    }

    /// The role the generator gives the exposure: by `EXP_TYPE` when it is one of the fixed
    /// ones, else by the first modifier set of `IS_PSF`, `IS_IMPRT` and `BKGDTARG`, else
    /// science.
    pub fn role(&self) -> Role {
        let exp_type = self.exp_type();
        let fixed = EXPTYPE_MAP
            .iter()
            .find(|(_, types)| types.contains(&exp_type.as_str()));
        if let Some((role, _)) = fixed {
            return *role;
        }
        [
            ("IS_PSF", Role::Psf),
            ("IS_IMPRT", Role::Imprint),
            ("BKGDTARG", Role::Background),
        ]
        .into_iter()
        .find(|(keyword, _)| self.is_set(keyword))
        .map_or(Role::Science, |(_, role)| role)
    }
}

#[cfg(test)]
mod tests {
    use super::super::read::Keyword;
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
}
