//! What each pipeline's reading code does with an association, as jwst 3.0.0 has it: which
//! pipeline reads a file, which members it opens and from where, and what it needs to start.
//! Every fact here was seen by running that code (`tests/fixtures/check/record.py`).

use std::path::{Component, Path, PathBuf};

use crate::model::Stage;
use crate::rules::Rule;
use crate::suggest::closest;

/// A pipeline that reads associations, or a stage when the file does not say which one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Pipeline {
    Image2,
    Spec2,
    /// A Stage 2 association that names neither calwebb_image2 nor calwebb_spec2.
    Stage2,
    Image3,
    Spec3,
    Coron3,
    Ami3,
    Tso3,
    /// A Stage 3 association that names no pipeline.
    Stage3,
}

/// The `asn_type` values jwst's rules write (rules_level2b.py, rules_level3.py), with the
/// pipeline each is run by.
const ASN_TYPES: [(&str, Pipeline); 11] = [
    ("image2", Pipeline::Image2),
    ("tso-image2", Pipeline::Image2),
    ("spec2", Pipeline::Spec2),
    ("tso-spec2", Pipeline::Spec2),
    ("nrslamp-spec2", Pipeline::Spec2),
    ("image3", Pipeline::Image3),
    ("wfs-image3", Pipeline::Stage3),
    ("spec3", Pipeline::Spec3),
    ("coron3", Pipeline::Coron3),
    ("ami3", Pipeline::Ami3),
    ("tso3", Pipeline::Tso3),
];

/// The `asn_type` values jwst writes.
pub(super) fn asn_types() -> impl Iterator<Item = &'static str> {
    ASN_TYPES.iter().map(|(t, _)| *t)
}

/// What `asn_type` says, next to the rule.
pub(super) enum AsnType {
    /// Absent, or the reference's "None": the rule alone says.
    Silent,
    /// A known type, of the pipeline the rule says too (or the rule says none).
    Agrees,
    /// A known type of another pipeline than the rule's.
    Disagrees(&'static str),
    /// Not a type jwst writes; the nearest known ones.
    Unknown(Vec<&'static str>),
}

impl Pipeline {
    /// The pipeline that reads an association with these `asn_type` and `asn_rule`. No
    /// pipeline reads `asn_type`: the rule, which says how the file was made, decides, and
    /// `asn_type` only where the rule does not.
    pub(super) fn of(asn_type: Option<&str>, rule: Option<&str>) -> (Option<Pipeline>, AsnType) {
        let by_rule = rule.and_then(Pipeline::of_rule);
        let named = asn_type.filter(|t| !matches!(*t, "None" | "none" | ""));
        let Some(named) = named else {
            return (by_rule, AsnType::Silent);
        };
        let Some(&(_, by_type)) = ASN_TYPES.iter().find(|(t, _)| *t == named) else {
            let near = closest(named, ASN_TYPES.iter().map(|(t, _)| *t));
            return (by_rule, AsnType::Unknown(near));
        };
        match by_rule {
            None => (Some(by_type), AsnType::Agrees),
            Some(p) if p == by_type => (Some(p), AsnType::Agrees),
            // A generic rule (DMSLevel2bBase, DMS_Level3_Base): the type narrows it.
            Some(p) if p.is_generic() && p.stage() == by_type.stage() => {
                (Some(by_type), AsnType::Agrees)
            }
            Some(p) => (Some(p), AsnType::Disagrees(p.name())),
        }
    }

    /// The pipeline a rule's associations are run by.
    fn of_rule(rule: &str) -> Option<Pipeline> {
        let stage = Rule::find(rule).ok()?.stage();
        let has = |part: &str| rule.contains(part);
        Some(match stage {
            Stage::Two if rule == "DMSLevel2bBase" => Pipeline::Stage2,
            Stage::Two if has("Image") || has("FGS") || has("Coron") || has("WFSC") => {
                Pipeline::Image2
            }
            Stage::Two => Pipeline::Spec2,
            Stage::Three if has("Coron") && !has("CoronImage") => Pipeline::Coron3,
            Stage::Three if has("AMI") => Pipeline::Ami3,
            Stage::Three if has("TSO") => Pipeline::Tso3,
            Stage::Three if has("Image") => Pipeline::Image3,
            Stage::Three if rule == "DMS_Level3_Base" || has("ACQ") || has("WFSCMB") => {
                Pipeline::Stage3
            }
            Stage::Three => Pipeline::Spec3,
            Stage::Bare => return None,
        })
    }

    fn is_generic(self) -> bool {
        matches!(self, Pipeline::Stage2 | Pipeline::Stage3)
    }

    pub(super) fn stage(self) -> Stage {
        match self {
            Pipeline::Image2 | Pipeline::Spec2 | Pipeline::Stage2 => Stage::Two,
            _ => Stage::Three,
        }
    }

    /// The pipeline's name, as `strun` takes it.
    pub(super) fn name(self) -> &'static str {
        match self {
            Pipeline::Image2 => "calwebb_image2",
            Pipeline::Spec2 => "calwebb_spec2",
            Pipeline::Stage2 => "calwebb_image2 or calwebb_spec2",
            Pipeline::Image3 => "calwebb_image3",
            Pipeline::Spec3 => "calwebb_spec3",
            Pipeline::Coron3 => "calwebb_coron3",
            Pipeline::Ami3 => "calwebb_ami3",
            Pipeline::Tso3 => "calwebb_tso3",
            Pipeline::Stage3 => "a Stage 3 pipeline",
        }
    }

    /// Whether the pipeline opens its members through `ModelContainer`, which needs
    /// `asn_pool`, matches types as case-free patterns and reads each product's name
    /// (Image3 uses `ModelLibrary`, which does none of these).
    fn uses_container(self) -> bool {
        matches!(
            self,
            Pipeline::Spec3 | Pipeline::Coron3 | Pipeline::Ami3 | Pipeline::Tso3
        )
    }

    /// Whether a run stops without `asn_pool`: `ModelContainer.from_asn` reads it.
    pub(super) fn needs_pool(self) -> bool {
        self.uses_container()
    }

    /// Whether a run stops without `asn_id` (calwebb_coron3 reads it; so do AMI and TSO).
    pub(super) fn needs_asn_id(self) -> bool {
        matches!(self, Pipeline::Coron3 | Pipeline::Ami3 | Pipeline::Tso3)
    }

    /// Whether a run stops on a product without a name (every pipeline but calwebb_image3
    /// reads `product["name"]`).
    pub(super) fn needs_product_name(self) -> bool {
        !matches!(self, Pipeline::Image3 | Pipeline::Stage3)
    }

    /// The member type a run stops without, besides science (calwebb_coron3 and calwebb_ami3
    /// end with "No reference PSF members found").
    pub(super) fn needs_psf(self) -> bool {
        matches!(self, Pipeline::Coron3 | Pipeline::Ami3)
    }

    /// The member types the pipeline opens.
    fn types_read(self) -> &'static [&'static str] {
        match self {
            Pipeline::Image2 | Pipeline::Spec2 | Pipeline::Stage2 => {
                &["science", "background", "imprint", "selfcal"]
            }
            Pipeline::Image3 | Pipeline::Stage3 => &["science"],
            Pipeline::Spec3 | Pipeline::Tso3 => &["science", "background"],
            Pipeline::Coron3 | Pipeline::Ami3 => &["science", "psf"],
        }
    }

    /// Whether the pipeline takes a member of type `exptype` as one of type `wanted`.
    ///
    /// Stage 2 lower-cases the type; `ModelLibrary` (calwebb_image3) compares it as written;
    /// `ModelContainer` matches it as a case-free pattern at the start of the wanted name, so
    /// `SCIENCE` and even `sci` are science there.
    pub(super) fn takes_as(self, exptype: &str, wanted: &str) -> bool {
        match self.stage() {
            Stage::Two => exptype.eq_ignore_ascii_case(wanted),
            _ if self.uses_container() => {
                let lower = exptype.to_ascii_lowercase();
                wanted.starts_with(&lower)
            }
            _ => exptype == wanted,
        }
    }

    /// Whether the pipeline opens members of type `exptype` at all.
    pub(super) fn reads(self, exptype: &str) -> bool {
        self.types_read().iter().any(|t| self.takes_as(exptype, t))
    }

    /// What happens to an association whose file name ends in `.{extension}` (`None`: no
    /// extension): `Ok` if the pipeline reads it as an association, with a deprecation when
    /// `Ok(true)`; `Err` with what it does instead.
    pub(super) fn takes_extension(self, extension: Option<&str>) -> Result<bool, String> {
        let yaml = matches!(extension, Some("yaml" | "yml"));
        match extension {
            Some("json") => Ok(false),
            // Stage 2 loads any file that is not `.fits` as an association.
            _ if self.stage() == Stage::Two => Ok(true),
            _ if yaml && matches!(self, Pipeline::Image3) => Ok(true),
            // calwebb_image3 refuses the name; the others open the file as a data model.
            _ if matches!(self, Pipeline::Image3) => Err(format!(
                "{} refuses an association named '.{}': only .json, .yaml and .yml are read",
                self.name(),
                extension.unwrap_or("")
            )),
            _ => Err(format!(
                "{} opens a file whose name does not end in .json as a data model, not as an \
                 association, and stops",
                self.name()
            )),
        }
    }

    /// Where the pipeline looks for a member named `expname`, for an association at `asn`
    /// run from the current folder: each place a pipeline of this kind looks, with why.
    pub(super) fn member_places(self, expname: &Path, asn_dir: &Path) -> Vec<(PathBuf, Look)> {
        let from_asn = (tidy(&asn_dir.join(expname)), Look::AsnFolder);
        let from_cwd = (tidy(expname), Look::CurrentFolder(self));
        let bare = expname.parent().is_none_or(|p| p.as_os_str().is_empty());
        match self {
            Pipeline::Image2 => vec![from_cwd],
            // Spec2 puts the association's folder before bare names only.
            Pipeline::Spec2 if bare => vec![from_asn],
            Pipeline::Spec2 => vec![(from_cwd.0, Look::CurrentFolder(Pipeline::Spec2))],
            Pipeline::Stage2 => {
                let spec2 = if bare {
                    from_asn.clone()
                } else {
                    from_cwd.clone()
                };
                vec![from_cwd, spec2]
            }
            _ => vec![from_asn],
        }
    }
}

/// Why a pipeline looks for a member where it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Look {
    /// Relative to the association's folder.
    AsnFolder,
    /// Relative to the current folder, as written.
    CurrentFolder(Pipeline),
}

impl Look {
    pub(super) fn why(self) -> &'static str {
        match self {
            Look::AsnFolder => {
                "the pipeline reads member names relative to the association's folder"
            }
            Look::CurrentFolder(Pipeline::Spec2) => {
                "calwebb_spec2 reads a name with a folder in it relative to the current folder"
            }
            Look::CurrentFolder(_) => {
                "calwebb_image2 reads member names relative to the current folder, not the \
                 association's"
            }
        }
    }
}

/// `path` as a person would type it: without `.` components (`./../x` is `../x`), and `.`
/// for nothing.
pub(super) fn tidy(path: &Path) -> PathBuf {
    let tidy: PathBuf = path
        .components()
        .filter(|c| *c != Component::CurDir)
        .collect();
    if tidy.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        tidy
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule_decides_and_asn_type_only_narrows_it() {
        let of = |t, r| Pipeline::of(Some(t), Some(r)).0;
        assert_eq!(of("None", "Asn_Lv2Image"), Some(Pipeline::Image2));
        assert_eq!(of("image3", "Asn_Lv2Image"), Some(Pipeline::Image2));
        assert_eq!(of("spec2", "DMSLevel2bBase"), Some(Pipeline::Spec2));
        assert_eq!(of("coron3", "DMS_Level3_Base"), Some(Pipeline::Coron3));
        assert_eq!(of("None", "Asn_Lv3NRCCoron"), Some(Pipeline::Coron3));
        assert_eq!(of("None", "Asn_Lv3NRCCoronImage"), Some(Pipeline::Image3));
        assert_eq!(of("None", "Asn_Lv3SpecAux"), Some(Pipeline::Spec3));
        assert!(matches!(
            Pipeline::of(Some("spec33"), Some("Asn_Lv3SpecAux")).1,
            AsnType::Unknown(near) if near[0] == "spec3"
        ));
    }

    #[test]
    fn types_are_matched_as_each_reader_does() {
        assert!(Pipeline::Spec3.takes_as("SCIENCE", "science"));
        assert!(Pipeline::Spec3.takes_as("sci", "science"));
        assert!(!Pipeline::Image3.takes_as("SCIENCE", "science"));
        assert!(Pipeline::Image2.takes_as("SCIENCE", "science"));
        assert!(!Pipeline::Image2.takes_as("sci", "science"));
    }

    #[test]
    fn paths_are_shown_as_typed() {
        assert_eq!(tidy(Path::new("./../x.fits")), Path::new("../x.fits"));
        assert_eq!(tidy(Path::new("a/./b")), Path::new("a/b"));
    }
}
