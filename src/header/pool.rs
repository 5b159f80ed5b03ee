//! The exposures as the generator's pool holds them under the candidate policy
//! (`SPEC.md` §4.2): ordered by base name, each with its target number and its candidates.

use std::collections::HashMap;
use std::ffi::OsStr;

use super::exposure::{Exposure, Role};
use crate::model::ExpType;

/// `IMAGE2_SCIENCE_EXP_TYPES` (`jwst/associations/lib/dms_base.py:87-98`).
pub(crate) const IMAGE2_SCIENCE: &[&str] = &[
    "fgs_image",
    "mir_4qpm",
    "mir_image",
    "mir_lyot",
    "nis_ami",
    "nis_image",
    "nrc_coron",
    "nrc_image",
    "nrs_mimf",
    "nrc_tsimage",
];

/// `ACQ_EXP_TYPES` (`jwst/associations/lib/dms_base.py:31-45`).
pub(crate) const ACQUISITIONS: &[&str] = &[
    "mir_tacq",
    "mir_taconfirm",
    "nis_taconfirm",
    "nis_tacq",
    "nrc_taconfirm",
    "nrc_tacq",
    "nrs_confirm",
    "nrs_msata",
    "nrs_taconfirm",
    "nrs_tacq",
    "nrs_taslit",
    "nrs_verify",
    "nrs_wata",
];

/// `IMAGE2_NONSCIENCE_EXP_TYPES` less the acquisitions (`jwst/associations/lib/dms_base.py:100-107`).
pub(crate) const IMAGE2_NONSCIENCE: &[&str] = &[
    "mir_coroncal",
    "nis_focus",
    "nrc_focus",
    "nrs_focus",
    "nrs_image",
];

/// `SPEC2_SCIENCE_EXP_TYPES` (`jwst/associations/lib/dms_base.py:109-122`).
pub(crate) const SPEC2_SCIENCE: &[&str] = &[
    "mir_lrs-fixedslit",
    "mir_lrs-slitless",
    "mir_mrs",
    "mir_wfss",
    "nis_soss",
    "nis_wfss",
    "nrc_tsgrism",
    "nrc_wfss",
    "nrs_fixedslit",
    "nrs_ifu",
    "nrs_msaspec",
    "nrs_brightobj",
];

/// `TSO_EXP_TYPES` (`jwst/associations/lib/dms_base.py:137`): TSO whatever `TSOVISIT` says.
const TSO_TYPES: &[&str] = &["nrc_tsimage", "nrc_tsgrism", "nrs_brightobj"];

/// `NRS_FSS_VALID_OPTICAL_PATHS` (`jwst/associations/lib/dms_base.py:142-166`): slit (every
/// A slit as `a`), grating, filter, detector.
const FIXED_SLIT_PATHS: &[(&str, &str, &str, &str)] = &[
    ("a", "prism", "clear", "nrs1"),
    ("a", "g395h", "f290lp", "nrs1"),
    ("a", "g395h", "f290lp", "nrs2"),
    ("a", "g235h", "f170lp", "nrs1"),
    ("a", "g235h", "f170lp", "nrs2"),
    ("a", "g140h", "f100lp", "nrs1"),
    ("a", "g140h", "f100lp", "nrs2"),
    ("a", "g140h", "f070lp", "nrs1"),
    ("a", "g395m", "f290lp", "nrs1"),
    ("a", "g235m", "f170lp", "nrs1"),
    ("a", "g140m", "f100lp", "nrs1"),
    ("a", "g140m", "f070lp", "nrs1"),
    ("s200b1", "prism", "clear", "nrs2"),
    ("s200b1", "g395h", "f290lp", "nrs2"),
    ("s200b1", "g235h", "f170lp", "nrs2"),
    ("s200b1", "g140h", "f100lp", "nrs2"),
    ("s200b1", "g140h", "f070lp", "nrs1"),
    ("s200b1", "g140h", "f070lp", "nrs2"),
    ("s200b1", "g395m", "f290lp", "nrs2"),
    ("s200b1", "g235m", "f170lp", "nrs2"),
    ("s200b1", "g140m", "f100lp", "nrs2"),
    ("s200b1", "g140m", "f070lp", "nrs1"),
    ("s200b1", "g140m", "f070lp", "nrs2"),
];

/// `NRS_IFU_VALID_OPTICAL_PATHS` (`jwst/associations/lib/dms_base.py:211-224`): grating,
/// filter, detector.
const IFU_PATHS: &[(&str, &str, &str)] = &[
    ("prism", "clear", "nrs1"),
    ("g140m", "f070lp", "nrs1"),
    ("g140m", "f100lp", "nrs1"),
    ("g235m", "f170lp", "nrs1"),
    ("g395m", "f290lp", "nrs1"),
    ("g140h", "f070lp", "nrs1"),
    ("g140h", "f100lp", "nrs1"),
    ("g140h", "f100lp", "nrs2"),
    ("g235h", "f170lp", "nrs1"),
    ("g235h", "f170lp", "nrs2"),
    ("g395h", "f290lp", "nrs1"),
    ("g395h", "f290lp", "nrs2"),
];

/// `nrsfss_valid_detector`: whether the slit, grating and filter put light on the detector.
pub(crate) fn fixed_slit_path(r: &Row) -> bool {
    let (Some(detector), Some(filter), Some(grating), Some(slit)) = (
        r.set_value("DETECTOR"),
        r.set_value("FILTER"),
        r.set_value("GRATING"),
        r.set_value("FXD_SLIT"),
    ) else {
        return false;
    };
    let slit = if slit == "s200b1" { slit } else { "a" };
    FIXED_SLIT_PATHS.contains(&(slit, grating, filter, detector))
}

/// `nrsifu_valid_detector`: true for anything but IFU; for IFU, whether the grating and filter
/// put light on the detector.
pub(crate) fn ifu_path(r: &Row) -> bool {
    if r.exp_type != "nrs_ifu" {
        return true;
    }
    let (Some(detector), Some(filter), Some(grating)) = (
        r.set_value("DETECTOR"),
        r.set_value("FILTER"),
        r.set_value("GRATING"),
    ) else {
        return false;
    };
    IFU_PATHS.contains(&(grating, filter, detector))
}

/// `nrslamp_valid_detector` (`jwst/associations/lib/dms_base.py:1262-1316`): whether the lamp,
/// grating and mode put light on the detector.
pub(crate) fn lamp_path(row: &Row) -> bool {
    let value = |k| row.set_value(k);
    let (Some(detector), Some(grating), Some(opmode)) =
        (value("DETECTOR"), value("GRATING"), value("OPMODE"))
    else {
        return false;
    };
    match opmode {
        "msaspec" => true,
        "ifu" => {
            let Some(lamp) = value("LAMP") else {
                return false;
            };
            match grating {
                "g395h" | "g235h" => true,
                "g395m" | "g235m" | "g140m" | "prism" => detector == "nrs1",
                "g140h" => !(detector == "nrs2" && lamp == "flat4"),
                _ => false,
            }
        }
        "fixedslit" => value("LAMP")
            .is_some_and(|lamp| FIXED_SLIT_LAMP_PATHS.contains(&(grating, lamp, detector))),
        _ => false,
    }
}

/// `NRS_FSS_VALID_LAMP_OPTICAL_PATHS` (`jwst/associations/lib/dms_base.py:168-205`): grating,
/// lamp, detector.
const FIXED_SLIT_LAMP_PATHS: &[(&str, &str, &str)] = &[
    ("prism", "line4", "nrs1"),
    ("prism", "line4", "nrs2"),
    ("prism", "flat5", "nrs1"),
    ("prism", "flat5", "nrs2"),
    ("prism", "test", "nrs1"),
    ("prism", "test", "nrs2"),
    ("g395h", "flat3", "nrs1"),
    ("g395h", "flat3", "nrs2"),
    ("g395h", "line3", "nrs1"),
    ("g395h", "line3", "nrs2"),
    ("g235h", "flat2", "nrs1"),
    ("g235h", "flat2", "nrs2"),
    ("g235h", "line2", "nrs1"),
    ("g235h", "line2", "nrs2"),
    ("g140h", "flat1", "nrs1"),
    ("g140h", "flat1", "nrs2"),
    ("g140h", "ref", "nrs1"),
    ("g140h", "ref", "nrs2"),
    ("g140h", "line1", "nrs1"),
    ("g140h", "line1", "nrs2"),
    ("g140h", "flat4", "nrs1"),
    ("g140h", "flat4", "nrs2"),
    ("g395m", "flat3", "nrs1"),
    ("g395m", "flat3", "nrs2"),
    ("g395m", "line3", "nrs1"),
    ("g395m", "line3", "nrs2"),
    ("g235m", "flat2", "nrs1"),
    ("g235m", "flat2", "nrs2"),
    ("g235m", "line2", "nrs1"),
    ("g235m", "line2", "nrs2"),
    ("g140m", "flat1", "nrs1"),
    ("g140m", "flat1", "nrs2"),
    ("g140m", "line1", "nrs1"),
    ("g140m", "line1", "nrs2"),
    ("g140m", "flat4", "nrs1"),
    ("g140m", "flat4", "nrs2"),
];

/// `nrccoron_valid_detector`: full-frame coronagraphy only on the occulted detector.
pub(crate) fn coron_detector(r: &Row) -> bool {
    let (Some(detector), Some(subarray), Some(pupil)) = (
        r.set_value("DETECTOR"),
        r.set_value("SUBARRAY"),
        r.set_value("PUPIL"),
    ) else {
        return false;
    };
    if subarray != "full" {
        return true;
    }
    match pupil {
        "maskbar" => !matches!(detector, "nrca1" | "nrca2" | "nrca3"),
        "maskrnd" => !matches!(detector, "nrca1" | "nrca3" | "nrca4"),
        _ => true,
    }
}

/// `nissoss_calibrated_filter`: F277W is not calibrated, and no filter is not either.
pub(crate) fn soss_calibrated(r: &Row) -> bool {
    r.set_value("FILTER").is_some_and(|f| f != "f277w")
}

/// The suffix that replaces `uncal` in the name of a member made from a `*_uncal.*` exposure:
/// the product a stage reads (`rate` for Stage 2, `cal` or `x1d` for Stage 3), `ints` after it
/// for per-integration products.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Suffix {
    /// `rate`.
    Rate,
    /// `rateints`.
    Rateints,
    /// `cal`.
    Cal,
    /// `calints`.
    Calints,
    /// `x1d`.
    X1d,
    /// `x1dints`.
    X1dints,
}

impl Suffix {
    /// The suffix as written in the name.
    pub fn as_str(self) -> &'static str {
        match self {
            Suffix::Rate => "rate",
            Suffix::Rateints => "rateints",
            Suffix::Cal => "cal",
            Suffix::Calints => "calints",
            Suffix::X1d => "x1d",
            Suffix::X1dints => "x1dints",
        }
    }
}

/// One pool row: an exposure with what the policy adds to it.
#[derive(Debug, Clone)]
pub struct Row {
    /// The exposure.
    pub exposure: Exposure,
    /// Its `EXP_TYPE`, lower-cased.
    pub exp_type: String,
    /// Its role before any rule.
    pub role: Role,
    /// 1 + the index of its `TARGNAME` among the distinct names in input order.
    pub target: usize,
    /// Its observation candidate, `o` + `OBSERVTN`.
    pub observation: String,
    /// Whether its name is `*_uncal.*`, worked out once.
    uncal: bool,
    /// Its Level 2 mode keys, in [`MODE_KEYS`] order.
    pub(crate) mode: Vec<Option<String>>,
    /// Which keyword of each mode key its value came from (0 when it has none): an
    /// association's first exposure fixes it, and later ones are read from that keyword.
    pub(crate) mode_source: [u8; MODE_KEYS.len()],
}

/// The Level 2 mode keys (`Constraint_Mode`, `jwst/associations/lib/rules_level2_base.py:713-771`),
/// each the first of its keywords the header sets, and whether it is required.
pub(crate) const MODE_KEYS: &[(&[&str], bool)] = &[
    (&["PROGRAM"], true),
    (&["INSTRUME"], true),
    (&["DETECTOR"], true),
    (&["FILTER", "BAND"], true),
    (&["PUPIL", "GRATING"], false),
    (&["FXD_SLIT"], false),
    (&["SUBARRAY"], false),
    (&["CHANNEL"], false),
];

impl Row {
    /// The row of `exposure`, with no target number yet.
    fn new(exposure: Exposure) -> Row {
        // The first of the keywords that is set: the generator passes over its empty values.
        let first = |keys: &[&str]| {
            keys.iter().enumerate().find_map(|(at, k)| {
                let value = exposure.pool_value(k)?;
                (!super::exposure::EMPTY.contains(&value)).then(|| (at, value.to_string()))
            })
        };
        let mut mode_source = [0; MODE_KEYS.len()];
        let mut mode = Vec::with_capacity(MODE_KEYS.len());
        for ((keys, _), source) in MODE_KEYS.iter().zip(&mut mode_source) {
            let found = first(keys);
            if let Some((at, _)) = found {
                *source = u8::try_from(at).expect("a mode key has few keywords");
            }
            mode.push(found.map(|(_, value)| value));
        }
        Row {
            mode,
            mode_source,
            exp_type: exposure.exp_type(),
            role: exposure.role(),
            target: 0,
            observation: format!("o{}", exposure.value("OBSERVTN").unwrap_or_default()),
            uncal: crate::naming::level2_name(&exposure.name, "x").is_some(),
            exposure,
        }
    }

    /// A keyword as the pool holds it.
    pub fn value(&self, keyword: &str) -> Option<&str> {
        self.exposure.pool_value(keyword)
    }

    /// A keyword as the pool holds it, when it is set (not one of the generator's empty
    /// values).
    pub fn set_value(&self, keyword: &str) -> Option<&str> {
        self.value(keyword)
            .filter(|v| !super::exposure::EMPTY.contains(v))
    }

    /// Whether a keyword is set.
    pub fn is_set(&self, keyword: &str) -> bool {
        self.set_value(keyword).is_some()
    }

    /// Whether the exposure is a time series (`TSOVISIT` is `t`, or its type always is).
    pub fn is_tso(&self) -> bool {
        self.value("TSOVISIT") == Some("t") || TSO_TYPES.contains(&self.exp_type.as_str())
    }

    /// Whether the generator renames this exposure's members: its name is `*_uncal.*`.
    pub fn is_uncal(&self) -> bool {
        self.uncal
    }

    /// `is_item_coron` (`jwst/associations/lib/dms_base.py:550-592`): coronagraphy, but for
    /// full-frame NIRCam on a detector without the occulter.
    fn is_coron(&self) -> bool {
        match self.exp_type.as_str() {
            "mir_4qpm" | "mir_lyot" => true,
            "nrc_coron" => self.value("SUBARRAY") != Some("full") || coron_detector(self),
            _ => false,
        }
    }

    /// Whether members made from this exposure are the per-integration products (`rateints`,
    /// `calints`): coronagraphy (unless the rule treats it as imaging), AMI and time series,
    /// never an acquisition (`jwst/associations/lib/dms_base.py:517-642`).
    pub fn per_integration(&self, coronagraphy: bool) -> bool {
        !ACQUISITIONS.contains(&self.exp_type.as_str())
            && ((coronagraphy && self.is_coron()) || self.exp_type == "nis_ami" || self.is_tso())
    }

    /// The suffix of a Stage 2 member made from this exposure: `rate` or `rateints`.
    pub fn stage2_suffix(&self, coronagraphy: bool) -> Suffix {
        if self.per_integration(coronagraphy) {
            Suffix::Rateints
        } else {
            Suffix::Rate
        }
    }

    /// The suffix of a Stage 3 member of type `exptype` made from this exposure: `x1d` for a
    /// background, `cal` for what Stage 2 calibrates, `rate` for the rest, and `ints` after it
    /// for per-integration products.
    pub fn stage3_suffix(&self, exptype: ExpType<'_>, coronagraphy: bool) -> Suffix {
        let t = self.exp_type.as_str();
        let level2b = IMAGE2_SCIENCE.contains(&t)
            || IMAGE2_NONSCIENCE.contains(&t)
            || ACQUISITIONS.contains(&t)
            || SPEC2_SCIENCE.contains(&t);
        match (
            exptype == ExpType::Background,
            level2b,
            self.per_integration(coronagraphy),
        ) {
            (true, _, false) => Suffix::X1d,
            (true, _, true) => Suffix::X1dints,
            (false, true, false) => Suffix::Cal,
            (false, true, true) => Suffix::Calints,
            (false, false, false) => Suffix::Rate,
            (false, false, true) => Suffix::Rateints,
        }
    }

    /// The program, zero-padded to five digits as the generator writes it.
    pub fn program(&self) -> String {
        format!("{:0>5}", self.value("PROGRAM").unwrap_or(""))
    }

    /// The first of `keywords` that the header has, as the pool holds it.
    pub fn first_of(&self, keywords: &[&str]) -> Option<&str> {
        keywords.iter().find_map(|k| self.value(k))
    }

    /// An integer keyword, if it is one.
    pub fn integer(&self, keyword: &str) -> Option<i64> {
        self.value(keyword)?.parse().ok()
    }
}

/// What makes a set of files unusable for the generator.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PoolError {
    /// A keyword the generator cannot do without.
    #[error("'{file}': no {keyword} keyword, which {needed_by} need")]
    MissingKeyword {
        /// The file.
        file: String,
        /// The keyword.
        keyword: &'static str,
        /// What needs it: "associations from headers", or the exposure type's associations.
        needed_by: String,
    },
    /// Two inputs with one base name.
    #[error("'{first}' and '{second}' have the same file name; associations name members by it")]
    SameName {
        /// The first input.
        first: String,
        /// The second.
        second: String,
    },
}

/// What every rule reads (`SPEC.md` §6); OBSERVTN and TARGNAME also name candidates and targets.
const EVERY_RULE: &[&str] = &[
    "PROGRAM", "OBSERVTN", "TARGNAME", "INSTRUME", "EXP_TYPE", "DETECTOR",
];

/// The keywords the associations of each exposure type need (`SPEC.md` §6): the optical path
/// the Stage 2 mode and the Stage 3 grouping compare, and what the mode's own rules read.
/// Without one, the generator quietly leaves the exposure out, or groups it wrongly.
const BY_EXPOSURE_TYPE: &[(&[&str], &[&str])] = &[
    (
        &[
            "nrc_image",
            "nis_image",
            "mir_image",
            "nrc_coron",
            "mir_4qpm",
            "mir_lyot",
            "nis_ami",
            "nrc_tsimage",
            "mir_lrs-fixedslit",
            "mir_lrs-slitless",
            "nis_soss",
            "nrc_tsgrism",
        ],
        &["FILTER", "SUBARRAY"],
    ),
    (&["fgs_image"], &["SUBARRAY"]),
    (&["mir_mrs"], &["BAND"]),
    (&["nrs_ifu"], &["FILTER", "GRATING", "PATTTYPE"]),
    (
        &["nrs_fixedslit"],
        &[
            "FILTER", "GRATING", "FXD_SLIT", "SUBARRAY", "NUMDTHPT", "SUBPXPTS",
        ],
    ),
    (&["nrs_msaspec"], &["FILTER", "GRATING", "SUBARRAY"]),
    (
        &["nrs_brightobj"],
        &["FILTER", "GRATING", "FXD_SLIT", "SUBARRAY"],
    ),
    (&["nis_wfss", "nrc_wfss"], &["FILTER", "PUPIL"]),
    (&["mir_wfss"], &["FILTER"]),
];

/// Whether an exposure has the keywords its associations need.
///
/// # Errors
///
/// [`PoolError::MissingKeyword`] naming the first one missing: one every rule reads
/// (`PROGRAM`, `OBSERVTN`, `TARGNAME`, `INSTRUME`, `EXP_TYPE`, `DETECTOR`), or one the
/// exposure type's rules read (e.g. `SUBARRAY` for imaging, `FXD_SLIT` for NIRSpec fixed slit).
pub fn check_keywords(exposure: &Exposure) -> Result<(), PoolError> {
    let missing = |keyword, needed_by: String| PoolError::MissingKeyword {
        file: exposure.name.to_string_lossy().into_owned(),
        keyword,
        needed_by,
    };
    if let Some(k) = EVERY_RULE.iter().find(|k| exposure.value(k).is_none()) {
        return Err(missing(k, "associations from headers".into()));
    }
    let exp_type = exposure.exp_type();
    let needed = BY_EXPOSURE_TYPE
        .iter()
        .find(|(types, _)| types.contains(&exp_type.as_str()))
        .map_or(&[][..], |(_, keys)| keys);
    match needed.iter().find(|k| exposure.value(k).is_none()) {
        // MIRI MRS names its optical path by BAND, or else by FILTER, as the generator does.
        Some(&"BAND") if exposure.value("FILTER").is_some() => Ok(()),
        // NIRSpec fixed slit's subpixel count, by its older name as well.
        Some(&"SUBPXPTS") if exposure.value("SUBPXPNS").is_some() => Ok(()),
        Some(k) => Err(missing(
            k,
            format!("{} associations", exp_type.to_uppercase()),
        )),
        None => Ok(()),
    }
}

/// The pool of `exposures` (each one that [`check_keywords`] passed) under the candidate
/// policy: ordered by base name (bytewise), with target numbers by first appearance of each
/// `TARGNAME` in that order.
///
/// # Errors
///
/// [`PoolError::SameName`] for two exposures with one base name.
pub fn pool(mut exposures: Vec<Exposure>) -> Result<Vec<Row>, PoolError> {
    fn base(e: &Exposure) -> &OsStr {
        std::path::Path::new(&e.name)
            .file_name()
            .unwrap_or(OsStr::new(""))
    }
    exposures.sort_by(|a, b| base(a).cmp(base(b)));
    if let Some(pair) = exposures.windows(2).find(|w| base(&w[0]) == base(&w[1])) {
        return Err(PoolError::SameName {
            first: pair[0].name.to_string_lossy().into_owned(),
            second: pair[1].name.to_string_lossy().into_owned(),
        });
    }
    // What each row holds of its own, on every core; then the target numbers, in order.
    let mut rows = crate::cores::map_owned(exposures, Row::new);
    let mut targets: HashMap<String, usize> = HashMap::new();
    for row in &mut rows {
        // Names are compared as the header holds them, case and all.
        let targname = row.exposure.raw_text("TARGNAME").unwrap_or_default();
        let next = targets.len() + 1;
        row.target = *targets.entry(targname).or_insert(next);
    }
    Ok(rows)
}
