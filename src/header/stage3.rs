//! Stage 3 associations from a pool, as jwst 3.0.0's generator makes them under the candidate
//! policy (`SPEC.md` §3): which exposures each rule groups together, the product names, and
//! which associations survive validation and pruning.
//!
//! The generator's rules are constraint sets: a key with no value yet takes the value of the
//! first exposure that passes, and later exposures must match it. Within each candidate, the
//! exposures are taken in pool order; an exposure joins every group of a rule it matches, and
//! starts a new group when it matches none. Then the exposures that passed are tried once more
//! against the groups made after them (the generator's reprocessing), and target acquisitions
//! join every group holding an exposure of their observation.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;
use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};

use super::exposure::Role;
use super::naming::{escaped, ProductName};
use super::plan::{outweighs, Member, Membership, Planned, SHARED_CANDIDATE};
use super::pool::{coron_detector, fixed_slit_path, ifu_path, soss_calibrated, Row};
use crate::model::{AsnType, ExpType};
use crate::rules::Needs;

/// What a key's value means in the product name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    /// Nothing.
    None,
    /// The first optical element (`opt_elem`).
    OptElem,
    /// The second optical element (`opt_elem2`).
    OptElem2,
    /// The subarray.
    Subarray,
    /// The detector (wavefront sensing).
    Detector,
    /// The activity (wavefront sensing).
    Activity,
}

/// A grouping key: the first of `sources` an exposure has sets the group's value (and fixes
/// which keyword is read from then on); exposures without any pass unless it is `required`.
#[derive(Debug)]
struct Key {
    sources: &'static [&'static str],
    required: bool,
    part: Part,
}

const fn key(sources: &'static [&'static str], required: bool, part: Part) -> Key {
    Key {
        sources,
        required,
        part,
    }
}

/// Program and instrument: every Stage 3 rule groups by them (`Constraint_Base`).
const BASE: &[Key] = &[
    key(&["PROGRAM"], true, Part::None),
    key(&["INSTRUME"], true, Part::None),
];

/// `Constraint_Optical_Path` less the slit, which [`Slit`] handles.
const OPTICAL: &[Key] = &[
    key(&["FILTER"], false, Part::OptElem),
    key(&["PUPIL", "GRATING"], false, Part::OptElem2),
    key(&["SUBARRAY"], true, Part::Subarray),
];

/// Which exposures must share the group's target (`TARGETID`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// All but background exposures (`Constraint_Target(association=self)`).
    NotBackground,
    /// Science exposures only (coronagraphy, AMI).
    ScienceOnly,
    /// All (`Constraint_Target()`, and the rules that type every member science).
    All,
}

/// How the product is named (`SPEC.md` §3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Naming {
    Base,
    /// MIRI MRS: no optical elements.
    NoOptical,
    /// NIRSpec MOS: `{source_id}` for the target.
    Sources,
    /// NIRSpec fixed slit: `{source_id}` after the target, `{slit_name}` for the slit.
    FixedSlitSources,
    /// NIRCam coronagraphy as imaging: no slit, `-image3` at the end.
    CoronImage,
    /// Wavefront sensing: detector, `{suffix}` and activity at the end.
    Wavefront,
}

/// A Stage 3 rule of `jwst/associations/lib/rules_level3.py`.
pub(super) struct Rule {
    pub(super) name: &'static str,
    pub(super) asn_type: AsnType,
    /// The rule's fixed conditions on an exposure (its type, mode, flags).
    accepts: fn(&Row) -> bool,
    /// Whether `Constraint_Optical_Path` applies.
    optical: bool,
    /// The rule's own grouping keys.
    keys: &'static [Key],
    target: Target,
    /// `AsnMixin_AuxData`: every member is typed science.
    auxiliary: bool,
    /// Whether exposures are tried again against groups made after them.
    reprocess: bool,
    /// What a group needs beyond a science member ([`Needs::Psf`]: coronagraphy and AMI;
    /// [`Needs::TwoMembers`]: wavefront sensing), or where it is made
    /// ([`Needs::CandidateType`]: time series, in observation candidates only).
    pub(super) needs: Needs,
    /// Whether a background candidate's association needs two or more observations.
    several_observations: bool,
    /// MIRI LRS nods: each science's `_x1d` product is a background.
    x1d_backgrounds: bool,
    /// Whether coronagraphic members are per-integration products (all but
    /// `Asn_Lv3NRCCoronImage`).
    coronagraphy: bool,
    naming: Naming,
}

const fn rule(
    name: &'static str,
    asn_type: AsnType,
    accepts: fn(&Row) -> bool,
    keys: &'static [Key],
) -> Rule {
    Rule {
        name,
        asn_type,
        accepts,
        optical: true,
        keys,
        target: Target::NotBackground,
        auxiliary: false,
        reprocess: true,
        needs: Needs::Nothing,
        several_observations: true,
        x1d_backgrounds: false,
        coronagraphy: true,
        naming: Naming::Base,
    }
}

const EXP_TYPE: Key = key(&["EXP_TYPE"], true, Part::None);
const VISITYPE: Key = key(&["VISITYPE"], false, Part::None);
const BKGDTARG: Key = key(&["BKGDTARG"], true, Part::None);
const PATTTYPE: Key = key(&["PATTTYPE"], true, Part::None);
const GRATING: Key = key(&["GRATING"], true, Part::OptElem);

/// The Stage 3 rules, in the order of their names: the order the generator runs them in.
pub(super) static RULES: &[Rule] = &[
    Rule {
        target: Target::ScienceOnly,
        needs: Needs::Psf,
        ..rule(
            "Asn_Lv3AMI",
            AsnType::Ami3,
            |r| r.exp_type == "nis_ami",
            &[EXP_TYPE],
        )
    },
    Rule {
        ..rule(
            "Asn_Lv3Image",
            AsnType::Image3,
            |r| image(r) && !r.is_set("BKGDTARG") && !r.is_tso(),
            &[EXP_TYPE, VISITYPE],
        )
    },
    Rule {
        target: Target::All,
        auxiliary: true,
        ..rule(
            "Asn_Lv3ImageBackground",
            AsnType::Image3,
            |r| image(r) && r.is_set("BKGDTARG") && !r.is_tso(),
            &[EXP_TYPE, VISITYPE, BKGDTARG],
        )
    },
    Rule {
        target: Target::ScienceOnly,
        needs: Needs::Psf,
        ..rule(
            "Asn_Lv3MIRCoron",
            AsnType::Coron3,
            |r| matches!(r.exp_type.as_str(), "mir_lyot" | "mir_4qpm") && !r.is_set("BKGDTARG"),
            &[EXP_TYPE],
        )
    },
    Rule {
        optical: false,
        naming: Naming::NoOptical,
        ..rule(
            "Asn_Lv3MIRMRS",
            AsnType::Spec3,
            |r| r.exp_type == "mir_mrs" && !r.is_tso(),
            &[EXP_TYPE],
        )
    },
    Rule {
        optical: false,
        target: Target::All,
        auxiliary: true,
        reprocess: false,
        naming: Naming::NoOptical,
        ..rule(
            "Asn_Lv3MIRMRSBackground",
            AsnType::Spec3,
            |r| r.exp_type == "mir_mrs" && !r.is_tso() && r.value("BKGDTARG") == Some("t"),
            &[EXP_TYPE, BKGDTARG],
        )
    },
    Rule {
        target: Target::ScienceOnly,
        needs: Needs::Psf,
        ..rule(
            "Asn_Lv3NRCCoron",
            AsnType::Coron3,
            |r| r.exp_type == "nrc_coron" && !r.is_set("BKGDTARG") && coron_detector(r),
            &[EXP_TYPE],
        )
    },
    Rule {
        target: Target::ScienceOnly,
        coronagraphy: false,
        naming: Naming::CoronImage,
        ..rule(
            "Asn_Lv3NRCCoronImage",
            AsnType::Image3,
            |r| {
                r.exp_type == "nrc_coron"
                    && !r.is_set("BKGDTARG")
                    && r.value("IS_PSF") != Some("t")
                    && r.value("CHANNEL") == Some("short")
                    && r.value("SUBARRAY") == Some("full")
            },
            &[EXP_TYPE, key(&["CHANNEL"], true, Part::None)],
        )
    },
    Rule {
        naming: Naming::FixedSlitSources,
        ..rule(
            "Asn_Lv3NRSFSS",
            AsnType::Spec3,
            |r| {
                !r.is_tso()
                    && matches!(
                        r.exp_type.as_str(),
                        "nrs_autoflat" | "nrs_autowave" | "nrs_fixedslit"
                    )
                    && fixed_slit_path(r)
            },
            &[],
        )
    },
    Rule {
        optical: false,
        ..rule(
            "Asn_Lv3NRSIFU",
            AsnType::Spec3,
            |r| {
                matches!(r.exp_type.as_str(), "nrs_autowave" | "nrs_ifu")
                    && ifu_path(r)
                    && r.is_set("PATTTYPE")
                    && !r.is_tso()
                    && r.is_set("GRATING")
            },
            &[PATTTYPE, GRATING],
        )
    },
    Rule {
        optical: false,
        target: Target::All,
        auxiliary: true,
        ..rule(
            "Asn_Lv3NRSIFUBackground",
            AsnType::Spec3,
            |r| {
                !r.is_tso()
                    && r.value("BKGDTARG") == Some("t")
                    && r.exp_type == "nrs_ifu"
                    && ifu_path(r)
                    && r.is_set("GRATING")
            },
            &[BKGDTARG, EXP_TYPE, GRATING],
        )
    },
    Rule {
        ..rule(
            "Asn_Lv3SlitlessSpectral",
            AsnType::Spec3,
            |r| !r.is_tso() && r.exp_type == "nis_soss" && !r.is_set("PATTTYPE"),
            &[],
        )
    },
    Rule {
        target: Target::All,
        auxiliary: true,
        ..rule(
            "Asn_Lv3SpecAux",
            AsnType::Spec3,
            |r| {
                !r.is_tso()
                    && r.value("BKGDTARG") == Some("t")
                    && matches!(r.exp_type.as_str(), "mir_lrs-fixedslit" | "nrs_fixedslit")
            },
            &[BKGDTARG, EXP_TYPE],
        )
    },
    Rule {
        naming: Naming::Sources,
        ..rule(
            "Asn_Lv3SpectralSource",
            AsnType::Spec3,
            |r| {
                !r.is_tso()
                    && (matches!(r.exp_type.as_str(), "nrs_autoflat" | "nrs_autowave")
                        || (r.exp_type == "nrs_msaspec" && r.is_set("MSAMETFL")))
            },
            &[],
        )
    },
    Rule {
        several_observations: false,
        x1d_backgrounds: true,
        ..rule(
            "Asn_Lv3SpectralTarget",
            AsnType::Spec3,
            |r| {
                !r.is_tso()
                    && matches!(r.exp_type.as_str(), "mir_lrs-fixedslit" | "nis_soss")
                    && is_nod(r)
            },
            &[PATTTYPE],
        )
    },
    Rule {
        needs: Needs::CandidateType,
        ..rule("Asn_Lv3TSO", AsnType::Tso3, tso, &[EXP_TYPE])
    },
    Rule {
        needs: Needs::TwoMembers,
        naming: Naming::Wavefront,
        ..rule(
            "Asn_Lv3WFSCMB",
            AsnType::WfsImage3,
            // Its `DMS_NOTE` exclusion never applies: `asn_make_pool` sets it to "".
            |r| imaging(r) && r.value("PATTTYPE") == Some("wfsc"),
            &[
                EXP_TYPE,
                PATTTYPE,
                key(&["DETECTOR"], true, Part::Detector),
                key(&["OBS_ID"], true, Part::None),
                key(&["ACT_ID"], true, Part::Activity),
            ],
        )
    },
    Rule {
        optical: false,
        ..rule(
            "Asn_Lv3WFSSMIR",
            AsnType::Spec3,
            |r| r.exp_type == "mir_wfss" && r.value("FILTER") == Some("p750l"),
            &[EXP_TYPE, key(&["FILTER"], true, Part::OptElem)],
        )
    },
    Rule {
        optical: false,
        ..rule(
            "Asn_Lv3WFSSNIS",
            AsnType::Spec3,
            |r| r.exp_type == "nis_wfss" && matches!(r.value("FILTER"), Some("gr150r" | "gr150c")),
            &[
                EXP_TYPE,
                key(&["FILTER"], true, Part::OptElem),
                key(&["PUPIL"], true, Part::OptElem2),
            ],
        )
    },
    Rule {
        optical: false,
        ..rule(
            "Asn_Lv3WFSSNRC",
            AsnType::Spec3,
            |r| r.exp_type == "nrc_wfss" && matches!(r.value("PUPIL"), Some("grismr" | "grismc")),
            &[
                EXP_TYPE,
                key(&["PUPIL"], true, Part::OptElem),
                key(&["FILTER"], true, Part::OptElem2),
            ],
        )
    },
];

/// `Constraint_Image`, and for the imaging rules no wavefront-sensing visit.
fn image(r: &Row) -> bool {
    imaging(r) && !r.value("VISITYPE").is_some_and(|v| v.contains("wfsc"))
}

/// `Constraint_Image`.
fn imaging(r: &Row) -> bool {
    matches!(
        r.exp_type.as_str(),
        "nrc_image" | "mir_image" | "nis_image" | "fgs_image" | "nrs_mimf"
    )
}

fn is_nod(r: &Row) -> bool {
    matches!(
        r.value("PATTTYPE"),
        Some("2-point-nod" | "4-point-nod" | "along-slit-nod")
    )
}

/// `Asn_Lv3TSO`: a time series that tso3 can take.
fn tso(r: &Row) -> bool {
    let t = r.exp_type.as_str();
    let value = |k| r.value(k).unwrap_or("");
    let invalid_grism = t == "nrc_tsgrism"
        && (matches!(value("PUPIL"), "clear" | "gdhs0" | "gdhs60")
            || value("DETECTOR") == "nrcblong");
    let dhs = matches!(
        value("SUBARRAY"),
        "sub260stripe4_dhs" | "sub41stripe1_dhs" | "sub82stripe2_dhs" | "sub164stripe4_dhs"
    );
    let invalid_soss = t == "nis_soss" && (value("NINTS") == "1" || !soss_calibrated(r));
    let invalid_bots = t == "nrs_brightobj" && !fixed_slit_path(r);
    r.is_tso()
        && r.is_set("EXP_TYPE")
        && !matches!(t, "mir_mrs" | "mir_flatmrs" | "nrs_autowave" | "nrs_ifu")
        && !invalid_grism
        && !dhs
        && !invalid_soss
        && !invalid_bots
}

/// A group being gathered by one rule in one candidate. Values borrow from the pool.
#[derive(Debug, Clone)]
struct Group<'p> {
    /// Per key (base, optical, the rule's own): the source index and value, once set.
    values: Vec<Option<(usize, &'p str)>>,
    /// The fixed slit, once an exposure not in S200A1/S200A2 set it.
    slit: Option<&'p str>,
    /// The S200A1/S200A2 slits seen.
    paired_slits: BTreeSet<&'p str>,
    target: Option<usize>,
    /// Rows that joined, in order, with their exptype.
    members: Vec<(usize, ExpType<'static>)>,
    /// The same rows, to tell quickly whether one joined.
    rows: FxHashSet<usize>,
    /// The observations of the members that joined by the rule (not acquisitions).
    observations: BTreeSet<&'p str>,
}

/// The keys a rule groups by, in order.
fn keys_of(rule: &Rule) -> Vec<&'static Key> {
    let optical: &[Key] = if rule.optical { OPTICAL } else { &[] };
    BASE.iter().chain(optical).chain(rule.keys).collect()
}

/// The first of the key's sources that the row has set, or only the one the group fixed.
fn lookup<'r>(row: &'r Row, key: &Key, fixed: Option<usize>) -> Option<(usize, &'r str)> {
    match fixed {
        Some(i) => row.set_value(key.sources[i]).map(|v| (i, v)),
        None => key
            .sources
            .iter()
            .enumerate()
            .find_map(|(i, k)| row.set_value(k).map(|v| (i, v))),
    }
}

/// The member type a rule gives a row: its role's, but science for every member of an
/// auxiliary rule (target acquisitions aside).
fn exptype(rule: &Rule, row: &Row) -> ExpType<'static> {
    match row.role {
        Role::TargetAcquisition => ExpType::TargetAcquisition,
        _ if rule.auxiliary => ExpType::Science,
        role => role.exptype(),
    }
}

/// Whether the rule compares this row's target with the group's.
fn checks_target(rule: &Rule, row: &Row) -> bool {
    match rule.target {
        Target::All => true,
        Target::NotBackground => exptype(rule, row) != ExpType::Background,
        Target::ScienceOnly => exptype(rule, row) == ExpType::Science,
    }
}

/// Whether a fixed slit always passes `Constraint_Optical_Path`: S200A1 and S200A2 may share
/// an association with each other and with any other slit.
fn paired_slit(slit: &str) -> bool {
    matches!(slit, "s200a1" | "s200a2")
}

impl<'p> Group<'p> {
    fn new(keys: usize) -> Group<'p> {
        Group {
            values: vec![None; keys],
            slit: None,
            paired_slits: BTreeSet::new(),
            target: None,
            members: Vec::new(),
            rows: FxHashSet::default(),
            observations: BTreeSet::new(),
        }
    }

    fn holds(&self, row: usize) -> bool {
        self.rows.contains(&row)
    }

    /// Adds `row` when it matches, setting what it sets; says whether it did.
    fn add(&mut self, rule: &Rule, keys: &[&Key], pool: &'p [Row], row: usize) -> bool {
        if self.holds(row) {
            return true;
        }
        let r = &pool[row];
        // Check every key first, then set the ones the group has no value for yet.
        let mut found: Vec<(usize, (usize, &str))> = Vec::new();
        for (at, (key, held)) in keys.iter().zip(&self.values).enumerate() {
            match (lookup(r, key, held.map(|(i, _)| i)), held) {
                (None, _) if key.required => return false,
                (None, _) => {}
                (Some(value), None) => found.push((at, value)),
                (Some((_, v)), Some((_, h))) if v == *h => {}
                _ => return false,
            }
        }
        // `Constraint_Optical_Path`'s slit: S200A1 and S200A2 (or no slit) always pass; any
        // other slit must be the first such slit.
        let mut slit = self.slit;
        let mut paired = None;
        if rule.optical {
            match r.set_value("FXD_SLIT") {
                None => {}
                Some(s) if paired_slit(s) => paired = Some(s),
                Some(s) => match slit {
                    None => slit = Some(s),
                    Some(held) if held == s => {}
                    Some(_) => return false,
                },
            }
        }
        let mut target = self.target;
        if checks_target(rule, r) {
            match target {
                None => target = Some(r.target),
                Some(t) if t == r.target => {}
                Some(_) => return false,
            }
        }
        for (at, value) in found {
            self.values[at] = Some(value);
        }
        self.slit = slit;
        self.paired_slits.extend(paired);
        self.target = target;
        self.members.push((row, exptype(rule, r)));
        self.rows.insert(row);
        if let Some(obs) = r.value("OBSERVTN") {
            self.observations.insert(obs);
        }
        true
    }
}

/// Something a rule compares that an exposure may lack (a wildcard then), or a group may not
/// hold yet (any exposure passes it then): one source of an optional key, the fixed slit, or
/// the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    /// Source `source` of key `key` (an index into [`keys_of`]).
    Source {
        key: usize,
        source: usize,
    },
    Slit,
    Target,
}

/// A field's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Value<'p> {
    Text(&'p str),
    Target(usize),
}

/// Which fields hold a value, one bit per field.
type Mask = u32;

/// The groups one rule gathers in one candidate, found by what the rule compares rather than
/// by trying every group: an exposure matches a group when the required keys are equal and
/// every field that both hold a value for is equal.
///
/// Groups are split by the values of the required keys, then by which fields they hold
/// (usually all, so one class), and looked up by the values of the fields both the exposure
/// and the class hold. Finding is exact or wider; [`Group::add`] decides.
struct Gathering<'p> {
    rule: &'static Rule,
    keys: Vec<&'static Key>,
    fields: Vec<Field>,
    pool: &'p [Row],
    groups: Vec<Group<'p>>,
    /// Per value of the required keys, the groups by the fields they hold.
    partitions: FxHashMap<Vec<&'p str>, Vec<Class<'p>>>,
}

/// Groups of one partition that hold the same fields.
struct Class<'p> {
    held: Mask,
    /// The groups, some of which may have moved to a class holding more since.
    groups: Vec<usize>,
    /// Per mask of fields compared, the groups by those fields' values; made when first asked.
    by: FxHashMap<Mask, FxHashMap<Vec<Value<'p>>, Vec<usize>>>,
}

/// The values of the fields in `mask`, in field order.
fn projection<'p>(values: &[Option<Value<'p>>], mask: Mask) -> Vec<Value<'p>> {
    values
        .iter()
        .enumerate()
        .filter(|(at, _)| mask & (1 << at) != 0)
        .filter_map(|(_, v)| *v)
        .collect()
}

/// The mask of the fields that hold a value.
fn mask_of(values: &[Option<Value<'_>>]) -> Mask {
    values
        .iter()
        .enumerate()
        .filter(|(_, v)| v.is_some())
        .fold(0, |mask, (at, _)| mask | 1 << at)
}

impl<'p> Gathering<'p> {
    fn new(rule: &'static Rule, pool: &'p [Row]) -> Gathering<'p> {
        let keys = keys_of(rule);
        let mut fields: Vec<Field> = keys
            .iter()
            .enumerate()
            .filter(|(_, k)| !k.required)
            .flat_map(|(key, k)| {
                (0..k.sources.len()).map(move |source| Field::Source { key, source })
            })
            .collect();
        if rule.optical {
            fields.push(Field::Slit);
        }
        fields.push(Field::Target);
        Gathering {
            rule,
            keys,
            fields,
            pool,
            groups: Vec::new(),
            partitions: FxHashMap::default(),
        }
    }

    /// The values of the required keys, or `None` when the row lacks one (then it joins no
    /// group and starts none).
    fn partition(&self, row: usize) -> Option<Vec<&'p str>> {
        let r = &self.pool[row];
        self.keys
            .iter()
            .filter(|k| k.required)
            .map(|k| lookup(r, k, None).map(|(_, v)| v))
            .collect()
    }

    /// The row's value of each field; `None` where it passes whatever the group holds.
    fn row_fields(&self, row: usize) -> Vec<Option<Value<'p>>> {
        let r = &self.pool[row];
        self.fields
            .iter()
            .map(|field| match *field {
                Field::Source { key, source } => {
                    r.set_value(self.keys[key].sources[source]).map(Value::Text)
                }
                Field::Slit => r
                    .set_value("FXD_SLIT")
                    .filter(|s| !paired_slit(s))
                    .map(Value::Text),
                Field::Target => checks_target(self.rule, r).then_some(Value::Target(r.target)),
            })
            .collect()
    }

    /// The group's value of each field; `None` where it holds none (or, for a key with
    /// several sources, holds another source's).
    fn group_fields(fields: &[Field], group: &Group<'p>) -> Vec<Option<Value<'p>>> {
        fields
            .iter()
            .map(|field| match *field {
                Field::Source { key, source } => match group.values[key] {
                    Some((s, v)) if s == source => Some(Value::Text(v)),
                    _ => None,
                },
                Field::Slit => group.slit.map(Value::Text),
                Field::Target => group.target.map(Value::Target),
            })
            .collect()
    }

    fn held(&self, group: usize) -> Mask {
        mask_of(&Self::group_fields(&self.fields, &self.groups[group]))
    }

    /// Files `group` under its partition and the fields it holds now.
    fn file(&mut self, partition: &[&'p str], group: usize) {
        let values = Self::group_fields(&self.fields, &self.groups[group]);
        let held = mask_of(&values);
        let classes = self.partitions.entry(partition.to_vec()).or_default();
        let class = match classes.iter().position(|c| c.held == held) {
            Some(at) => &mut classes[at],
            None => {
                classes.push(Class {
                    held,
                    groups: Vec::new(),
                    by: FxHashMap::default(),
                });
                classes.last_mut().expect("a class was just added")
            }
        };
        class.groups.push(group);
        for (&compared, index) in class.by.iter_mut() {
            index
                .entry(projection(&values, compared))
                .or_default()
                .push(group);
        }
    }

    /// The groups the row may match: every one it matches, and perhaps others.
    fn candidates(&mut self, partition: &[&'p str], row: &[Option<Value<'p>>]) -> Vec<usize> {
        let Some(classes) = self.partitions.get_mut(partition) else {
            return Vec::new();
        };
        let (fields, groups) = (&self.fields, &self.groups);
        let current = |g: usize| mask_of(&Self::group_fields(fields, &groups[g]));
        let specified = mask_of(row);
        let mut found = Vec::new();
        for class in classes {
            let compared = specified & class.held;
            let index = class.by.entry(compared).or_insert_with(|| {
                let mut index: FxHashMap<Vec<Value<'p>>, Vec<usize>> = FxHashMap::default();
                for &g in &class.groups {
                    let values = Self::group_fields(fields, &groups[g]);
                    if mask_of(&values) == class.held {
                        index
                            .entry(projection(&values, compared))
                            .or_default()
                            .push(g);
                    }
                }
                index
            });
            if let Some(matching) = index.get(&projection(row, compared)) {
                // A group that has since set more fields is found in its new class.
                found.extend(matching.iter().filter(|&&g| current(g) == class.held));
            }
        }
        found
    }

    /// Adds the row to every group it matches; says whether it joined one.
    fn offer(&mut self, partition: &[&'p str], row: usize) -> bool {
        let fields = self.row_fields(row);
        let mut joined = false;
        for g in self.candidates(partition, &fields) {
            let before = self.held(g);
            if self.groups[g].add(self.rule, &self.keys, self.pool, row) {
                joined = true;
                if self.held(g) != before {
                    self.file(partition, g);
                }
            }
        }
        joined
    }

    /// Starts a group with the row.
    fn start(&mut self, partition: &[&'p str], row: usize) {
        let mut group = Group::new(self.keys.len());
        let added = group.add(self.rule, &self.keys, self.pool, row);
        debug_assert!(added, "a row with every required key starts a group");
        self.groups.push(group);
        self.file(partition, self.groups.len() - 1);
    }
}

/// The Stage 3 associations of `rows`: per observation candidate and in the shared one,
/// validated and pruned as the generator does.
pub fn associations(rows: &[Row]) -> Vec<Planned> {
    // The rows of each observation candidate, in pool order.
    let mut observations: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, r) in rows.iter().enumerate() {
        observations
            .entry(r.observation.as_str())
            .or_default()
            .push(i);
    }
    // Which rules take each row, whatever the candidate: worked out once.
    let takes: Vec<Vec<bool>> = rows
        .iter()
        .map(|r| {
            let any = any_rule_takes(r);
            RULES.iter().map(|rule| any && (rule.accepts)(r)).collect()
        })
        .collect();
    let everything: Vec<usize> = (0..rows.len()).collect();
    let candidates = observations
        .iter()
        .map(|(name, within)| (*name, within))
        .chain([(SHARED_CANDIDATE, &everything)]);
    let mut planned = Vec::new();
    for (candidate, within) in candidates {
        let eligible: Vec<Vec<usize>> = (0..RULES.len())
            .map(|k| within.iter().copied().filter(|&i| takes[i][k]).collect())
            .collect();
        planned.extend(in_one_candidate(rows, within, &eligible, candidate));
    }
    prune(planned)
}

/// Whether a rule may take the row at all: target acquisitions join the groups afterwards
/// ([`acquisitions`]), and no rule takes an imprint.
fn any_rule_takes(r: &Row) -> bool {
    r.role != Role::TargetAcquisition && !r.exposure.imprint_set()
}

/// Program, instrument and observation: what a target acquisition shares with the groups it
/// joins.
type Visit<'p> = (Option<&'p str>, Option<&'p str>, &'p str);

/// The target acquisitions among `rows`, by program, instrument and observation.
fn acquisitions<'p>(pool: &'p [Row], rows: &[usize]) -> FxHashMap<Visit<'p>, Vec<usize>> {
    let mut found: FxHashMap<_, Vec<usize>> = FxHashMap::default();
    for &i in rows {
        let r = &pool[i];
        if r.role != Role::TargetAcquisition || r.exposure.imprint_set() {
            continue;
        }
        if let Some(obs) = r.value("OBSERVTN") {
            found
                .entry((r.value("PROGRAM"), r.value("INSTRUME"), obs))
                .or_default()
                .push(i);
        }
    }
    found
}

/// The groups `rule` makes of `eligible` (rows it takes, in pool order), before target
/// acquisitions join them: each row joins every group it matches, or starts one; then, if the
/// rule reprocesses, every row that passed is offered to every group again.
fn gather<'p>(
    rule: &'static Rule,
    pool: &'p [Row],
    eligible: &[usize],
) -> (Vec<&'static Key>, Vec<Group<'p>>) {
    let mut gathering = Gathering::new(rule, pool);
    let mut passed = Vec::new();
    for &i in eligible {
        let Some(partition) = gathering.partition(i) else {
            continue;
        };
        if !gathering.offer(&partition, i) {
            gathering.start(&partition, i);
        }
        passed.push((i, partition));
    }
    if rule.reprocess {
        for (i, partition) in &passed {
            gathering.offer(partition, *i);
        }
    }
    (gathering.keys, gathering.groups)
}

/// The associations every rule makes in one candidate, holding the rows `rows`, of which
/// `eligible` are those each rule takes.
fn in_one_candidate(
    pool: &[Row],
    rows: &[usize],
    eligible: &[Vec<usize>],
    candidate: &str,
) -> Vec<Planned> {
    let shared = candidate == SHARED_CANDIDATE;
    let acquisitions = acquisitions(pool, rows);
    let mut planned = Vec::new();
    for (rule, eligible) in RULES.iter().zip(eligible) {
        if rule.needs == Needs::CandidateType && shared || eligible.is_empty() {
            continue;
        }
        let (keys, groups) = gather(rule, pool, eligible);
        planned.extend(groups.into_iter().filter_map(|mut group| {
            // Target acquisitions of the observations the group spans, in pool order.
            let first = &pool[group.members[0].0];
            let mut joining: Vec<usize> = group
                .observations
                .iter()
                .filter_map(|obs| {
                    acquisitions.get(&(first.value("PROGRAM"), first.value("INSTRUME"), obs))
                })
                .flatten()
                .copied()
                .collect();
            joining.sort_unstable();
            group
                .members
                .extend(joining.into_iter().map(|i| (i, ExpType::TargetAcquisition)));
            finish(rule, &keys, pool, group, candidate)
        }));
    }
    planned
}

/// The group as an association, if it is a valid one.
fn finish(
    rule: &Rule,
    keys: &[&Key],
    pool: &[Row],
    group: Group,
    candidate: &str,
) -> Option<Planned> {
    let shared = candidate == SHARED_CANDIDATE;
    let has = |t| group.members.iter().any(|(_, e)| *e == t);
    if !has(ExpType::Science) || (rule.needs == Needs::Psf && !has(ExpType::Psf)) {
        return None;
    }
    if shared && rule.several_observations && group.observations.len() < 2 {
        return None;
    }
    if rule.needs == Needs::TwoMembers && group.members.len() < 2 {
        return None;
    }
    let first = &pool[group.members[0].0];
    let program = first.program();
    let shown = |key: &Key, i: usize| {
        group.values[i]
            .as_ref()
            .map(|(s, v)| format!("{}={}", key.sources[*s], v.to_uppercase()))
    };
    let mut described: Vec<String> = keys
        .iter()
        .enumerate()
        .skip(BASE.len())
        .filter_map(|(i, k)| shown(k, i))
        .collect();
    described.extend(
        group
            .slit
            .iter()
            .map(|s| format!("FXD_SLIT={}", s.to_uppercase())),
    );
    if let Some(t) = group.target {
        described.push(format!("TARGETID={t}"));
    }
    let key_text = described.join(" ");
    // Most members are there for one reason: its text is held once.
    let mut reasons: FxHashMap<String, Arc<str>> = FxHashMap::default();
    let mut reason = |text: String| -> Arc<str> {
        reasons
            .entry(text)
            .or_insert_with_key(|text| text.as_str().into())
            .clone()
    };
    let mut members: Vec<Member> = group
        .members
        .iter()
        .map(|&(i, exptype)| {
            Member::row(i, exptype, reason(why(rule, &pool[i], exptype, &key_text)))
                .renamed(pool, |row, t| row.stage3_suffix(t, rule.coronagraphy))
        })
        .collect();
    if rule.x1d_backgrounds {
        let science: Vec<usize> = group
            .members
            .iter()
            .filter(|(_, e)| *e == ExpType::Science)
            .map(|(i, _)| *i)
            .collect();
        if science.len() >= 2 {
            for i in science {
                let name = &pool[i].exposure.name;
                let base = std::path::Path::new(name).file_name().unwrap_or_default();
                let root = crate::naming::stage2_product_name(base);
                members.push(Member::derived(
                    format!("{}_x1d.fits", root.to_string_lossy()),
                    ExpType::Background,
                    format!("the x1d product of nod {}", base.to_string_lossy()).into(),
                ));
            }
        }
    }
    // Science first, the rest in the order they joined.
    members.sort_by_key(|m| m.exptype != ExpType::Science);
    let target = format!(
        "t{:0>3}",
        group.target.map(|t| t.to_string()).unwrap_or_default()
    );
    Some(Planned {
        asn_type: rule.asn_type,
        rule: rule.name,
        asn_id: candidate.to_string(),
        product: product_name(rule, keys, &group, &program, candidate, &target).into(),
        target,
        program,
        keys: Some(key_text),
        members,
    })
}

fn why(rule: &Rule, row: &Row, exptype: ExpType<'_>, keys: &str) -> String {
    match exptype {
        ExpType::TargetAcquisition => format!(
            "target acquisition of observation {}",
            row.value("OBSERVTN").unwrap_or("")
        ),
        ExpType::Psf => format!("IS_PSF=T, same keys but the target ({keys})"),
        ExpType::Background => format!("BKGDTARG=T, same keys but the target ({keys})"),
        _ if rule.auxiliary => format!("BKGDTARG=T, {keys}"),
        _ => keys.to_string(),
    }
}

/// The product's name (`SPEC.md` §3.3), lower-cased.
fn product_name(
    rule: &Rule,
    keys: &[&Key],
    group: &Group,
    program: &str,
    acid: &str,
    target: &str,
) -> String {
    let part = |p: Part| {
        keys.iter()
            .zip(&group.values)
            .find(|(k, _)| k.part == p)
            .and_then(|(_, v)| v.as_ref())
            .map(|(_, v)| escaped(v))
    };
    let instrument = group.values[1]
        .as_ref()
        .map(|(_, v)| escaped(v))
        .unwrap_or_default();
    let optical: Vec<String> = [part(Part::OptElem), part(Part::OptElem2)]
        .into_iter()
        .flatten()
        .collect();
    let mut slits: Vec<String> = Vec::new();
    let paired: Vec<String> = group.paired_slits.iter().map(|s| escaped(s)).collect();
    for names in [group.slit.iter().map(|s| escaped(s)).collect(), paired] {
        let joined = names.join("-");
        if !joined.is_empty() && !slits.contains(&joined) {
            slits.push(joined);
        }
    }
    slits.sort_by_key(|s| s.to_lowercase());
    let name = ProductName {
        head: ProductName::head(program, acid),
        target: target.to_string(),
        instrument,
        optical,
        slit: slits.join("-"),
        subarray: part(Part::Subarray),
    };
    match rule.naming {
        Naming::Base => name.base(),
        Naming::NoOptical => name.without_optical(),
        Naming::Sources => ProductName {
            target: "{source_id}".into(),
            ..name
        }
        .base(),
        Naming::FixedSlitSources => ProductName {
            target: format!("{}-{{source_id}}", name.target),
            slit: "{slit_name}".into(),
            ..name
        }
        .base(),
        Naming::CoronImage => format!(
            "{}-image3",
            ProductName {
                slit: String::new(),
                ..name
            }
            .base()
        ),
        Naming::Wavefront => format!(
            "{}-{}_{{suffix}}-{:0>2}",
            name.base(),
            part(Part::Detector).unwrap_or_default(),
            part(Part::Activity).unwrap_or_default()
        )
        .to_lowercase(),
    }
}

/// `prune` (`jwst/associations/lib/prune.py`): of associations with the same members, the
/// observation candidate's; of associations with the same product name, the one whose members
/// hold the other's.
fn prune(planned: Vec<Planned>) -> Vec<Planned> {
    let memberships: Vec<Membership<'_>> = planned.iter().map(Planned::membership).collect();
    // Same members: the generator keeps the one with the greatest id (`o` over `c`), and of
    // equal ids the one made last, by the rule whose name sorts last.
    let rank = |i: usize| (&planned[i].asn_id, planned[i].rule, i);
    let mut best: BTreeMap<&Membership<'_>, usize> = BTreeMap::new();
    for (i, members) in memberships.iter().enumerate() {
        let kept = best.entry(members).or_insert(i);
        if rank(i) > rank(*kept) {
            *kept = i;
        }
    }
    let mut kept: Vec<usize> = best.into_values().collect();
    kept.sort_unstable();
    // Same product name: the larger of two where one holds the other.
    let mut by_name: FxHashMap<&OsStr, Vec<usize>> = FxHashMap::default();
    for &i in &kept {
        by_name.entry(&planned[i].product).or_default().push(i);
    }
    let mut dropped = BTreeSet::new();
    for same in by_name.values().filter(|v| v.len() > 1) {
        for &a in same {
            for &b in same {
                if a != b && outweighs(&memberships[b], &memberships[a]) {
                    dropped.insert(a);
                }
            }
        }
    }
    drop(memberships);
    let mut planned: Vec<Option<Planned>> = planned.into_iter().map(Some).collect();
    kept.into_iter()
        .filter(|i| !dropped.contains(i))
        .filter_map(|i| planned[i].take())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::exposure::Exposure;
    use super::super::plan::tests::each_rule_takes;
    use super::super::pool::pool;
    use super::super::read::{Header, Keyword};
    use super::*;

    /// For each rule, an exposure it takes, and every rule that takes that exposure.
    const TAKES: &[(&str, &str, &[&str])] = &[
        (
            "Asn_Lv3AMI",
            "INSTRUME=NIRISS EXP~TYPE=NIS~AMI DETECTOR=NIS FILTER=F480M PUPIL=NRM SUBARRAY=SUB80",
            &["Asn_Lv3AMI"],
        ),
        (
            "Asn_Lv3Image",
            "INSTRUME=MIRI EXP~TYPE=MIR~IMAGE DETECTOR=MIRIMAGE FILTER=F770W SUBARRAY=FULL",
            &["Asn_Lv3Image"],
        ),
        (
            "Asn_Lv3ImageBackground",
            "INSTRUME=MIRI EXP~TYPE=MIR~IMAGE DETECTOR=MIRIMAGE FILTER=F770W BKGDTARG=T",
            &["Asn_Lv3ImageBackground"],
        ),
        (
            "Asn_Lv3MIRCoron",
            "INSTRUME=MIRI EXP~TYPE=MIR~4QPM DETECTOR=MIRIMAGE FILTER=F1065C SUBARRAY=MASK1065",
            &["Asn_Lv3MIRCoron"],
        ),
        (
            "Asn_Lv3MIRMRS",
            "INSTRUME=MIRI EXP~TYPE=MIR~MRS DETECTOR=MIRIFUSHORT BAND=SHORT",
            &["Asn_Lv3MIRMRS"],
        ),
        (
            "Asn_Lv3MIRMRSBackground",
            "INSTRUME=MIRI EXP~TYPE=MIR~MRS DETECTOR=MIRIFUSHORT BAND=SHORT BKGDTARG=T",
            &["Asn_Lv3MIRMRS", "Asn_Lv3MIRMRSBackground"],
        ),
        (
            "Asn_Lv3NRCCoron",
            "INSTRUME=NIRCAM EXP~TYPE=NRC~CORON DETECTOR=NRCA2 FILTER=F210M PUPIL=MASKRND \
             SUBARRAY=SUB320A335R CHANNEL=SHORT",
            &["Asn_Lv3NRCCoron"],
        ),
        (
            "Asn_Lv3NRCCoronImage",
            "INSTRUME=NIRCAM EXP~TYPE=NRC~CORON DETECTOR=NRCA2 FILTER=F210M PUPIL=MASKRND \
             SUBARRAY=FULL CHANNEL=SHORT",
            &["Asn_Lv3NRCCoron", "Asn_Lv3NRCCoronImage"],
        ),
        (
            "Asn_Lv3NRSFSS",
            "INSTRUME=NIRSPEC EXP~TYPE=NRS~FIXEDSLIT DETECTOR=NRS1 FILTER=F290LP GRATING=G395H \
             FXD~SLIT=S200A1",
            &["Asn_Lv3NRSFSS"],
        ),
        (
            "Asn_Lv3NRSIFU",
            "INSTRUME=NIRSPEC EXP~TYPE=NRS~IFU DETECTOR=NRS1 FILTER=F290LP GRATING=G395H \
             PATTTYPE=2-POINT-NOD",
            &["Asn_Lv3NRSIFU"],
        ),
        (
            "Asn_Lv3NRSIFUBackground",
            "INSTRUME=NIRSPEC EXP~TYPE=NRS~IFU DETECTOR=NRS1 FILTER=F290LP GRATING=G395H \
             BKGDTARG=T",
            &["Asn_Lv3NRSIFUBackground"],
        ),
        (
            "Asn_Lv3SlitlessSpectral",
            "INSTRUME=NIRISS EXP~TYPE=NIS~SOSS DETECTOR=NIS FILTER=CLEAR PUPIL=GR700XD",
            &["Asn_Lv3SlitlessSpectral"],
        ),
        (
            "Asn_Lv3SpecAux",
            "INSTRUME=MIRI EXP~TYPE=MIR~LRS-FIXEDSLIT DETECTOR=MIRIMAGE FILTER=P750L BKGDTARG=T",
            &["Asn_Lv3SpecAux"],
        ),
        (
            "Asn_Lv3SpectralSource",
            "INSTRUME=NIRSPEC EXP~TYPE=NRS~MSASPEC DETECTOR=NRS1 FILTER=F290LP GRATING=G395M \
             MSAMETFL=msa.fits",
            &["Asn_Lv3SpectralSource"],
        ),
        (
            "Asn_Lv3SpectralTarget",
            "INSTRUME=MIRI EXP~TYPE=MIR~LRS-FIXEDSLIT DETECTOR=MIRIMAGE FILTER=P750L \
             PATTTYPE=ALONG-SLIT-NOD",
            &["Asn_Lv3SpectralTarget"],
        ),
        (
            "Asn_Lv3TSO",
            "INSTRUME=NIRCAM EXP~TYPE=NRC~TSIMAGE DETECTOR=NRCA1 FILTER=F210M SUBARRAY=SUB64P",
            &["Asn_Lv3TSO"],
        ),
        (
            "Asn_Lv3WFSCMB",
            "INSTRUME=NIRCAM EXP~TYPE=NRC~IMAGE DETECTOR=NRCA3 FILTER=F212N PATTTYPE=WFSC \
             VISITYPE=PRIME~WFSC~ROUTINE",
            &["Asn_Lv3WFSCMB"],
        ),
        (
            "Asn_Lv3WFSSMIR",
            "INSTRUME=MIRI EXP~TYPE=MIR~WFSS DETECTOR=MIRIMAGE FILTER=P750L",
            &["Asn_Lv3WFSSMIR"],
        ),
        (
            "Asn_Lv3WFSSNIS",
            "INSTRUME=NIRISS EXP~TYPE=NIS~WFSS DETECTOR=NIS FILTER=GR150R PUPIL=F150W",
            &["Asn_Lv3WFSSNIS"],
        ),
        (
            "Asn_Lv3WFSSNRC",
            "INSTRUME=NIRCAM EXP~TYPE=NRC~WFSS DETECTOR=NRCALONG FILTER=F444W PUPIL=GRISMR",
            &["Asn_Lv3WFSSNRC"],
        ),
    ];

    #[test]
    fn each_rule_takes_its_exposures_and_only_the_rules_meant_to_share_them_do() {
        let takers = |row: &Row| -> Vec<&'static str> {
            RULES
                .iter()
                .filter(|rule| any_rule_takes(row) && (rule.accepts)(row))
                .map(|rule| rule.name)
                .collect()
        };
        each_rule_takes(RULES.iter().map(|r| r.name), TAKES, takers);
    }

    #[test]
    fn required_keys_have_one_source_and_fields_fit_a_mask() {
        for rule in RULES {
            let keys = keys_of(rule);
            for key in keys.iter().filter(|k| k.required) {
                assert_eq!(key.sources.len(), 1, "{}: {:?}", rule.name, key.sources);
            }
            let fields = Gathering::new(rule, &[]).fields.len();
            assert!(
                fields <= Mask::BITS as usize,
                "{}: {fields} fields",
                rule.name
            );
        }
    }

    /// The generator's way: every row is tried against every group.
    fn gather_by_trying_every_group<'p>(
        rule: &'static Rule,
        pool: &'p [Row],
        eligible: &[usize],
    ) -> Vec<Group<'p>> {
        let keys = keys_of(rule);
        let mut groups: Vec<Group> = Vec::new();
        let mut passed = Vec::new();
        for &i in eligible {
            let mut joined = false;
            for group in groups.iter_mut() {
                joined |= group.add(rule, &keys, pool, i);
            }
            if !joined {
                let mut group = Group::new(keys.len());
                if group.add(rule, &keys, pool, i) {
                    groups.push(group);
                    joined = true;
                }
            }
            if joined {
                passed.push(i);
            }
        }
        if rule.reprocess {
            for &i in &passed {
                for group in groups.iter_mut() {
                    group.add(rule, &keys, pool, i);
                }
            }
        }
        groups
    }

    /// Rows whose grouping keys are drawn from a few values each, often missing, so that
    /// groups start without a value and take one later, and rows pass as wildcards.
    fn rows(seed: u64, n: usize) -> Vec<Row> {
        let mut state = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let mut pick = |choices: &[&'static str]| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            choices[(state >> 33) as usize % choices.len()]
        };
        let exposures = (0..n)
            .map(|i| {
                let mut cards: Vec<(String, Keyword)> = Vec::new();
                let mut text = |k: &str, v: &str| {
                    if !v.is_empty() {
                        cards.push((k.to_string(), Keyword::Text(v.to_string())));
                    }
                };
                text("PROGRAM", "1234");
                text("INSTRUME", pick(&["NIRCAM", "NIRCAM", "NIRCAM", ""]));
                text("EXP_TYPE", pick(&["NRC_IMAGE", "NRC_IMAGE", "NRC_WFSS"]));
                text("OBSERVTN", pick(&["001", "002", "003"]));
                text("TARGNAME", pick(&["A", "B", "A"]));
                text("FILTER", pick(&["F150W", "F200W", "", "F150W"]));
                text("PUPIL", pick(&["CLEAR", "", "", "GRISMR"]));
                text("GRATING", pick(&["G140M", "", "N/A"]));
                text("SUBARRAY", pick(&["FULL", "FULL", "SUB64", ""]));
                text(
                    "FXD_SLIT",
                    pick(&["", "", "S200A1", "S200A2", "S1600A1", "S400A1"]),
                );
                text("VISITYPE", pick(&["", "PRIME", "PARALLEL"]));
                text("BKGDTARG", pick(&["F", "F", "F", "T"]));
                text("IS_PSF", pick(&["F", "F", "T"]));
                text("PATTTYPE", pick(&["2-POINT-NOD", "", "CYCLING"]));
                text("DETECTOR", pick(&["NRCA1", "NRCB1"]));
                text("CHANNEL", pick(&["SHORT", "LONG", ""]));
                for key in ["OBS_ID", "ACT_ID", "BKGDTARG"] {
                    text(key, pick(&["1", "2", ""]));
                }
                let name = format!("jw{i:05}_rate.fits");
                Exposure::new(name.clone(), Header::new(name, cards))
            })
            .collect();
        pool(exposures).expect("distinct names")
    }

    #[test]
    fn groups_found_by_their_keys_are_those_found_by_trying_every_group() {
        for seed in 0..40 {
            let pool = rows(seed, 60);
            let eligible: Vec<usize> = (0..pool.len()).collect();
            for rule in RULES {
                let (_, found) = gather(rule, &pool, &eligible);
                let tried = gather_by_trying_every_group(rule, &pool, &eligible);
                let members = |groups: &[Group]| -> Vec<Vec<(usize, ExpType)>> {
                    groups.iter().map(|g| g.members.clone()).collect()
                };
                assert_eq!(
                    members(&found),
                    members(&tried),
                    "{} seed {seed}",
                    rule.name
                );
            }
        }
    }
}
