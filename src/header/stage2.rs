//! Stage 2 associations from a pool, as jwst 3.0.0's generator makes them under the candidate
//! policy (`SPEC.md` §2): which exposures get one, under which rule, and what each attaches.
//!
//! Every rule that takes an exposure as its science proposes an association in each of the
//! exposure's candidates, its observation (`oNNN`) and the shared background candidate
//! (`c1000`, valid only with a background member). Pruning then keeps, for each science
//! exposure, the proposals no other proposal's members strictly contain; among equal ones, the
//! observation candidate, then the rule whose name sorts last (the generator runs its rules in
//! the order of their names, and keeps the one it made last).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use super::exposure::Role;
use super::pool::{
    coron_detector, fixed_slit_path, ifu_path, lamp_path, soss_calibrated, Row, Suffix,
    ACQUISITIONS, IMAGE2_NONSCIENCE, IMAGE2_SCIENCE, MODE_KEYS, SPEC2_SCIENCE,
};
use crate::model::{AsnType, ExpType};

use super::plan::{outweighs, Member, Name, Planned, SHARED_CANDIDATE};

/// The pool's rows, with the rows some rules look through picked out once.
struct Pool<'a> {
    rows: &'a [Row],
    /// Rows of background exposures (`BKGDTARG` set; PSF references too), in classes of one
    /// mode (equal values of every keyword of [`MODE_KEYS`]), each in pool order: a science exposure's mode is compared
    /// once per class.
    backgrounds: Vec<Vec<usize>>,
    /// Per list of [`Pool::same_required`], which of those classes have its values of the
    /// required mode keys: a science exposure looks at those of its own values only, not at
    /// every class of every program.
    by_required: Vec<Vec<usize>>,
    /// Every row by the values of its required mode keys ([`required_keys`]: a row may be in
    /// several lists), each list in pool order: the rows that can share a science exposure's
    /// mode (an optional key may still differ), so that no rule looks through every row of the
    /// pool for each science exposure.
    same_required: Vec<Vec<usize>>,
    /// Per row, the list of its own keys' values; `None` when it lacks a required key.
    required_of: Vec<Option<usize>>,
    /// Each key of [`required_keys`] with its list in [`Pool::same_required`].
    lists: HashMap<Vec<(u8, &'a str)>, usize>,
    /// Rows of MIRI target acquisition confirmations.
    ta_confirms: Vec<usize>,
    /// Rows of MIRI LRS fixed-slit exposures of an along-slit nod with a `PATT_NUM`.
    lrs_nods: Vec<usize>,
    /// Per candidate (whether the shared one) and grism exposure, its WFSS association.
    wfss: HashMap<(bool, usize), Wfss>,
    /// Per candidate and science row, what `Asn_Lv2SpecSpecial` attaches to it.
    special: HashMap<usize, Vec<usize>>,
}

impl std::ops::Index<usize> for Pool<'_> {
    type Output = Row;

    fn index(&self, i: usize) -> &Row {
        &self.rows[i]
    }
}

impl Pool<'_> {
    fn len(&self) -> usize {
        self.rows.len()
    }

    /// The rows whose required mode keys equal the science's, in pool order: a superset of
    /// the rows of its mode ([`same_mode`]); none when it lacks a required key, as then no
    /// row has its mode.
    fn same_required(&self, science: usize) -> &[usize] {
        self.required_of[science].map_or(&[], |at| &self.same_required[at])
    }

    /// Whether `within` is the shared candidate's: only it holds the row past the end, as the
    /// candidates of [`associations`] are made (even where the pool has one observation, and
    /// the two hold the same rows). Ask it only of those, not of a narrower closure.
    fn is_shared(&self, within: &dyn Fn(usize) -> bool) -> bool {
        within(self.len())
    }

    /// Those of [`Pool::same_required`] before the science in pool order.
    fn earlier_same_required(&self, science: usize) -> &[usize] {
        let rows = self.same_required(science);
        &rows[..rows.partition_point(|&j| j < science)]
    }

    /// Every list of [`Pool::same_required`] the row is in, its own first.
    fn lists_of(&self, row: usize) -> impl Iterator<Item = usize> + '_ {
        required_keys(&self[row])
            .into_iter()
            .filter_map(|key| self.lists.get(&key).copied())
    }
}

/// `members` in classes of equal mode keyword values (every keyword of each key, so that a
/// science exposure reading any of them finds the class alike), each class in pool order.
fn classes(rows: &[Row], members: Vec<usize>) -> Vec<Vec<usize>> {
    let mut classes: HashMap<Vec<Option<&str>>, Vec<usize>> = HashMap::new();
    for i in members {
        let values = MODE_KEYS
            .iter()
            .flat_map(|(keys, _)| keys.iter().map(|k| rows[i].set_value(k)))
            .collect();
        classes.entry(values).or_default().push(i);
    }
    let mut classes: Vec<Vec<usize>> = classes.into_values().collect();
    classes.sort_unstable();
    classes
}

/// The keys a row is listed under in [`Pool::same_required`]: first its values of the required
/// mode keys, each with the keyword it came from, when it has them all; then, for each other
/// keyword of a required key that it sets, the same with that keyword's value, where a
/// science exposure whose value came from that keyword finds it.
fn required_keys(row: &Row) -> Vec<Vec<(u8, &str)>> {
    let own: Option<Vec<(u8, &str)>> = MODE_KEYS
        .iter()
        .enumerate()
        .filter(|(_, (_, required))| *required)
        .map(|(k, _)| Some((row.mode_source[k], row.mode[k].as_deref()?)))
        .collect();
    let Some(own) = own else {
        return Vec::new();
    };
    let mut keys = vec![own.clone()];
    for (at, (k, (keywords, _))) in MODE_KEYS
        .iter()
        .enumerate()
        .filter(|(_, (_, required))| *required)
        .enumerate()
    {
        for (source, keyword) in keywords.iter().enumerate() {
            let source = u8::try_from(source).expect("a mode key has few keywords");
            if source == row.mode_source[k] {
                continue;
            }
            if let Some(value) = row.set_value(keyword) {
                let mut other = own.clone();
                other[at] = (source, value);
                keys.push(other);
            }
        }
    }
    keys
}

/// The Stage 2 associations of `rows`, in pool order of their science exposures.
pub fn associations(rows: &[Row]) -> Vec<Planned> {
    let backgrounds = classes(
        rows,
        (0..rows.len())
            .filter(|&i| {
                matches!(rows[i].role, Role::Background | Role::Psf) && rows[i].is_set("BKGDTARG")
            })
            .collect(),
    );
    let mut lists: HashMap<Vec<(u8, &str)>, usize> = HashMap::new();
    let mut same_required: Vec<Vec<usize>> = Vec::new();
    let mut required_of = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let mut own = None;
        for key in required_keys(row) {
            let at = *lists.entry(key).or_insert(same_required.len());
            if at == same_required.len() {
                same_required.push(Vec::new());
            }
            same_required[at].push(i);
            own.get_or_insert(at);
        }
        required_of.push(own);
    }
    let mut by_required = vec![Vec::new(); same_required.len()];
    for (at, class) in backgrounds.iter().enumerate() {
        for key in required_keys(&rows[class[0]]) {
            by_required[lists[&key]].push(at);
        }
    }
    let pool = &Pool {
        rows,
        backgrounds,
        by_required,
        same_required,
        required_of,
        lists,
        ta_confirms: (0..rows.len())
            .filter(|&i| rows[i].exp_type == "mir_taconfirm")
            .collect(),
        lrs_nods: (0..rows.len())
            .filter(|&i| {
                let r = &rows[i];
                r.exp_type == "mir_lrs-fixedslit"
                    && patttype(r) == "along-slit-nod"
                    && r.is_set("PATT_NUM")
            })
            .collect(),
        wfss: wfss_gathered(rows),
        special: special_spectral(rows),
    };
    let nothing: Arc<str> = "".into();
    let mut planned = Vec::new();
    for science in 0..pool.len() {
        let s = &pool[science];
        // Named after the science exposure, as the generator names Stage 2 products.
        let product = crate::naming::stage2_product_name(
            Path::new(&s.exposure.name).file_name().unwrap_or_default(),
        )
        .into_owned();
        let program = s.program();
        let mut proposals = Vec::new();
        // A rule of one mode takes no science exposure without a required mode key set, nor
        // one with `FILTER=OPAQUE`: `Constraint_Mode` refuses it whatever the detector (it
        // means to refuse NIRSpec's, but tests the two with `notany`).
        let one_mode = pool.required_of[science].is_some() && s.value("FILTER") != Some("opaque");
        let rules = RULES
            .iter()
            .filter(|rule| (rule.accepts)(s) && (one_mode || !rule.mode));
        for rule in rules {
            for candidate in [pool[science].observation.as_str(), SHARED_CANDIDATE] {
                // The shared candidate holds every row, and the one past the end
                // ([`Pool::is_shared`]); `Constraint_Base` holds every member of every
                // Stage 2 rule to the science's program.
                let in_candidate = |i: usize| match pool.rows.get(i) {
                    Some(r) => {
                        (candidate == SHARED_CANDIDATE || r.observation == candidate)
                            && r.value("PROGRAM") == s.value("PROGRAM")
                    }
                    None => candidate == SHARED_CANDIDATE,
                };
                let Some(Attached {
                    members: attached,
                    started_by,
                }) = (rule.attach)(pool, science, &in_candidate)
                else {
                    continue;
                };
                let shared = candidate == SHARED_CANDIDATE;
                // A background candidate's association is valid only with a background
                // exposure (`BKGDTARG`) among the members it gathered; nod partners turned
                // backgrounds when it is split do not count (`validate_candidates`,
                // `jwst/associations/lib/rules_level2_base.py:364-392`).
                let has_background = attached.iter().any(|a| {
                    a.exptype == ExpType::Background
                        && matches!(a.name, Name::Row(i) if pool[i].role == Role::Background)
                });
                if shared && (!has_background || !rule.background_candidates) {
                    continue;
                }
                let first = first_member(pool, rule, science, &in_candidate, &attached, started_by);
                let target = pool[first].target;
                // `Constraint_Base` holds the first `TSOVISIT=T` of the association
                // (`is_tso`), and an exposure renamed after that takes the per-integration
                // suffix, a background too. Those joined before the science, when another
                // member started the association, did not see the science's.
                let tso = s.value("TSOVISIT") == Some("t");
                let joined_before = |i: usize| first != science && i < science;
                let science_after_tso =
                    (rule.science_after_time_series)(pool, science, &in_candidate);
                let members =
                    std::iter::once(Member::row(science, ExpType::Science, nothing.clone()))
                        .chain(attached)
                        .map(|m| {
                            let after = !matches!(m.name, Name::Row(i) if joined_before(i));
                            let renamed_after_tso = (tso && after)
                                || (science_after_tso && m.name == Name::Row(science));
                            m.renamed(rows, |row, _| {
                                if renamed_after_tso
                                    && !ACQUISITIONS.contains(&row.exp_type.as_str())
                                {
                                    Suffix::Rateints
                                } else {
                                    row.stage2_suffix(rule.coronagraphy)
                                }
                            })
                        })
                        .collect();
                proposals.push(Planned {
                    asn_type: rule.asn_type,
                    rule: rule.name,
                    asn_id: candidate.to_string(),
                    program: program.clone(),
                    target: target.to_string(),
                    product: product.clone(),
                    keys: None,
                    members,
                });
            }
        }
        planned.extend(prune(proposals));
    }
    planned
}

/// Keeps, of the proposals for one science exposure (one product name), those no larger one
/// outweighs, one of each set of equal ones (`prune_duplicate_products`,
/// `jwst/associations/lib/prune.py:94-178`).
fn prune(proposals: Vec<Planned>) -> Vec<Planned> {
    let sets: Vec<_> = proposals.iter().map(Planned::membership).collect();
    let mut kept: Vec<usize> = Vec::new();
    for (i, set) in sets.iter().enumerate() {
        if sets.iter().any(|other| outweighs(other, set)) {
            continue;
        }
        match kept.iter_mut().find(|k| sets[**k] == *set) {
            Some(held) => {
                // The observation candidate's; of one candidate's, the one the generator
                // made last: its rules run in the order of their names.
                let rank = |p: &Planned| (p.asn_id.starts_with('o'), p.rule);
                if rank(&proposals[i]) > rank(&proposals[*held]) {
                    *held = i;
                }
            }
            None => kept.push(i),
        }
    }
    drop(sets);
    let mut proposals: Vec<Option<Planned>> = proposals.into_iter().map(Some).collect();
    kept.into_iter()
        .filter_map(|i| proposals[i].take())
        .collect()
}

/// What a rule attaches to the science row (the `usize`) of the pool, among the rows the
/// candidate holds (the closure); `None`: the rule makes nothing there.
type Attach = fn(&Pool<'_>, usize, &dyn Fn(usize) -> bool) -> Option<Attached>;

/// The members a rule attaches to a science exposure.
struct Attached {
    members: Vec<Member>,
    /// For a rule that attaches [`backgrounds`], the exposure that started the association
    /// ([`background_start`]): the science, or a background before it.
    started_by: Option<usize>,
}

impl From<Vec<Member>> for Attached {
    fn from(members: Vec<Member>) -> Attached {
        Attached {
            members,
            started_by: None,
        }
    }
}

/// A Stage 2 rule of `jwst/associations/lib/rules_level2b.py`: which exposures it takes as
/// its science, and what it attaches to each.
pub(super) struct Rule {
    pub(super) name: &'static str,
    pub(super) asn_type: AsnType,
    /// The exposures it calibrates, each as the science of an association of its own.
    accepts: fn(&Row) -> bool,
    attach: Attach,
    /// Whether a background candidate may hold its associations.
    background_candidates: bool,
    /// Whether it holds its members to one mode (`Constraint_Mode`), which its science
    /// exposure must then have: every required mode key set ([`MODE_KEYS`]), and a `FILTER`
    /// that is not `OPAQUE`.
    mode: bool,
    /// Whether coronagraphic members are per-integration products.
    coronagraphy: bool,
    /// Whether it gathers a whole nod set in one association and splits it per science
    /// (`AsnMixin_Lv2Nod`).
    nods: bool,
    /// Whether a time series (`TSOVISIT=T`) joined the science's association before the
    /// science did, as the rule gathers it (in the candidate the closure holds); then a
    /// `*_uncal.*` science is renamed `_rateints` ([`associations`]).
    science_after_time_series: fn(&Pool<'_>, usize, &dyn Fn(usize) -> bool) -> bool,
}

const fn rule(name: &'static str, asn_type: AsnType, accepts: fn(&Row) -> bool) -> Rule {
    Rule {
        name,
        asn_type,
        accepts,
        attach: nothing,
        background_candidates: true,
        mode: true,
        coronagraphy: true,
        nods: false,
        science_after_time_series: |_, _, _| false,
    }
}

fn nothing(_: &Pool<'_>, _: usize, _: &dyn Fn(usize) -> bool) -> Option<Attached> {
    Some(Vec::new().into())
}

/// The Stage 2 rules, in the order of their names: the order the generator runs them in, which
/// decides between equal proposals (`SPEC.md` §2.3).
pub(super) static RULES: &[Rule] = &[
    // Full-frame NIRCam coronagraphy on the occulted detector, as plain `rate` images too. Its
    // members differ from `Asn_Lv2Image`'s only when `*_uncal.*` names are renamed;
    // otherwise pruning keeps `Asn_Lv2Image`'s (`rules_level2b.py:74-134`).
    Rule {
        attach: backgrounds,
        coronagraphy: false,
        ..rule("Asn_Lv2CoronAsRate", AsnType::Image2, |r| {
            imaging(r)
                && !r.is_tso()
                && matches!(r.role, Role::Science | Role::Psf)
                && r.exp_type == "nrc_coron"
                && r.value("SUBARRAY") == Some("full")
                && coron_detector(r)
        })
    },
    // FGS imaging and focus, but for a wavefront-sensing visit; guiding, acquisition and
    // dark exposures get nothing (`rules_level2b.py:268-297`).
    Rule {
        mode: false,
        ..rule("Asn_Lv2FGS", AsnType::Image2, |r| {
            calibrated(r)
                && is_science(r)
                && matches!(r.exp_type.as_str(), "fgs_image" | "fgs_focus")
                && !is_wfsc_visit(r)
        })
    },
    // Imaging science, PSF references calibrated as science too (`rules_level2b.py:138-173`).
    Rule {
        attach: image_backgrounds,
        ..rule("Asn_Lv2Image", AsnType::Image2, |r| {
            imaging(r) && !r.is_tso() && matches!(r.role, Role::Science | Role::Psf)
        })
    },
    // Acquisitions, focus and other non-science images, alone (`rules_level2b.py:177-200`).
    Rule {
        mode: false,
        ..rule("Asn_Lv2ImageNonScience", AsnType::Image2, |r| {
            non_science(r) || open_msa_image(r)
        })
    },
    // Background and PSF-reference images, as science (`rules_level2b.py:204-230`).
    rule("Asn_Lv2ImageSpecial", AsnType::Image2, |r| {
        imaging(r) && matches!(r.role, Role::Background | Role::Psf)
    }),
    rule("Asn_Lv2ImageTSO", AsnType::TsoImage2, |r| {
        imaging(r) && r.is_tso() && is_science(r)
    }),
    // MIRI LRS slit along-slit nods; never in a background candidate (`rules_level2b.py:648-765`).
    Rule {
        attach: lrs_nods,
        background_candidates: false,
        mode: false,
        ..rule("Asn_Lv2MIRLRSFixedSlitNod", AsnType::Spec2, |r| {
            spectral_science(r)
                && r.exp_type == "mir_lrs-fixedslit"
                && patttype(r) == "along-slit-nod"
                && r.is_set("PATT_NUM")
        })
    },
    Rule {
        nods: true,
        attach: slit_nods,
        ..rule("Asn_Lv2NRSFSS", AsnType::Spec2, |r| {
            // The nod pattern's counts are required of every science exposure
            // (`rules_level2b.py:1146-1160`).
            spectral_science(r)
                && r.exp_type == "nrs_fixedslit"
                && fixed_slit_path(r)
                && r.is_set("NUMDTHPT")
                && (r.is_set("SUBPXPNS") || r.is_set("SUBPXPTS"))
        })
    },
    Rule {
        nods: true,
        attach: ifu_nods,
        ..rule("Asn_Lv2NRSIFUNod", AsnType::Spec2, |r| {
            spectral_science(r)
                && r.exp_type == "nrs_ifu"
                && matches!(patttype(r), "2-point-nod" | "4-point-nod")
        })
    },
    // NIRSpec lamp exposures, calibrated as science, alone (`rules_level2b.py:769-862`).
    Rule {
        mode: false,
        ..rule("Asn_Lv2NRSLAMPImage", AsnType::Image2, |r| {
            let value = |k| r.set_value(k);
            r.exp_type == "nrs_lamp"
                && value("GRATING") == Some("mirror")
                && value("OPMODE").is_none_or(|m| m == "image")
        })
    },
    Rule {
        mode: false,
        ..rule("Asn_Lv2NRSLAMPSpectral", AsnType::NrslampSpec2, |r| {
            let value = |k| r.set_value(k);
            let opmode_ok = match value("OPMODE") {
                Some("msaspec") => value("MSAMETFL").is_some(),
                _ => true,
            };
            is_lamp(r)
                && value("FILTER") == Some("opaque")
                && lamp_path(r)
                && opmode_ok
                && value("LAMP").is_some_and(|l| l != "nolamp")
                && value("GRATING") != Some("mirror")
                && value("OPMODE") != Some("grating-only")
        })
    },
    // MOS needs the metadata file (`SPEC.md` §4.5 item 5).
    Rule {
        nods: true,
        attach: slit_nods,
        ..rule("Asn_Lv2NRSMSA", AsnType::Spec2, |r| {
            spectral_science(r) && r.exp_type == "nrs_msaspec" && r.is_set("MSAMETFL")
        })
    },
    // Spectroscopy no dedicated rule takes (`rules_level2b.py:301-377`).
    Rule {
        attach: spec,
        ..rule("Asn_Lv2Spec", AsnType::Spec2, |r| {
            spectral_science(r)
                && !grism(r)
                && !r.is_tso()
                && !is_nod_pattern(r)
                && !matches!(
                    r.exp_type.as_str(),
                    "nrs_fixedslit" | "nrs_msaspec" | "mir_lrs-fixedslit" | "mir_lrs-slitless"
                )
        })
    },
    // Every imprint, a PSF reference's too, calibrated on its own (`rules_level2b.py:381-411`).
    rule("Asn_Lv2SpecImprint", AsnType::Spec2, |r| {
        spectral(r) && r.exposure.imprint_set()
    }),
    // Background and PSF-reference spectra as science, and imprints of a background or
    // PSF-reference observation the rule takes as science (`rules_level2b.py:415-458`;
    // `SPEC.md` §4.5 item 4).
    Rule {
        attach: special_imprints,
        ..rule("Asn_Lv2SpecSpecial", AsnType::Spec2, |r| {
            spectral(r)
                && matches!(r.role, Role::Background | Role::Psf | Role::Imprint)
                && !long_wave_grism_time_series(r)
        })
    },
    rule("Asn_Lv2SpecTSO", AsnType::TsoSpec2, |r| {
        let t = r.exp_type.as_str();
        let excluded = (t == "nis_soss" && !soss_calibrated(r))
            || (t == "nrs_brightobj" && !fixed_slit_path(r))
            || (t == "nrc_tsgrism" && r.value("PUPIL") == Some("clear"))
            || long_wave_grism_time_series(r);
        // Any spectral type but those with rules of their own, grisms included, on any path:
        // pruning keeps a larger association of the same product when there is one.
        calibrated(r)
            && SPEC2_SCIENCE.contains(&t)
            && is_science(r)
            && r.is_tso()
            && !matches!(
                t,
                "nrs_fixedslit" | "nrs_msaspec" | "mir_lrs-fixedslit" | "mir_lrs-slitless"
            )
            && !excluded
    }),
    // Science images of a wavefront-sensing visit, which `Asn_Lv2FGS` leaves out and
    // `Asn_Lv2Image` takes as well (`rules_level2b.py:1241-1283`). The rule leaves out NIRCam
    // line-of-sight jitter by `DMS_NOTE`, which `asn_make_pool` always sets to "" (`mkpool.py:
    // 20-28, 120-139`): no header's `DMS_NOTE` reaches it.
    Rule {
        mode: false,
        ..rule("Asn_Lv2WFSC", AsnType::Image2, |r| {
            calibrated(r)
                && IMAGE2_SCIENCE.contains(&r.exp_type.as_str())
                && r.role == Role::Science
                && is_wfsc_visit(r)
        })
    },
    // MIRI's slitless prism; pruning keeps it over `Asn_Lv2Spec` when it has a direct image.
    Rule {
        attach: wfss,
        mode: false,
        science_after_time_series: wfss_after_time_series,
        ..rule("Asn_Lv2WFSSMIR", AsnType::Spec2, |r| {
            spectral_science(r) && r.exp_type == "mir_wfss"
        })
    },
    Rule {
        attach: wfss,
        mode: false,
        science_after_time_series: wfss_after_time_series,
        ..rule("Asn_Lv2WFSSNIS", AsnType::Spec2, |r| {
            calibrated(r) && r.exp_type == "nis_wfss"
        })
    },
    Rule {
        attach: wfss,
        mode: false,
        science_after_time_series: wfss_after_time_series,
        ..rule("Asn_Lv2WFSSNRC", AsnType::Spec2, |r| {
            calibrated(r) && r.exp_type == "nrc_wfss"
        })
    },
    Rule {
        attach: lrs_ta_confirm,
        ..rule("Asn_MIRLRSTAConfirm", AsnType::Spec2, |r| {
            spectral_science(r) && r.exp_type.starts_with("mir_lrs-")
        })
    },
];

/// Acquisitions and the other exposures `Asn_Lv2ImageNonScience` takes
/// (`IMAGE2_NONSCIENCE_EXP_TYPES`).
fn non_science(r: &Row) -> bool {
    let t = r.exp_type.as_str();
    r.role == Role::TargetAcquisition || ACQUISITIONS.contains(&t) || IMAGE2_NONSCIENCE.contains(&t)
}

/// A MOS exposure through the mirror with every shutter open, which `Asn_Lv2ImageNonScience`
/// takes as well (`Constraint_Image_Nonscience`, `rules_level2_base.py:783-806`); with its
/// metadata file `Asn_Lv2NRSMSA` takes it too, and pruning keeps that one.
fn open_msa_image(r: &Row) -> bool {
    r.exp_type == "nrs_msaspec"
        && r.value("MSASTATE") == Some("primarypark_allopen")
        && r.value("GRATING") == Some("mirror")
}

/// NIRSpec lamp exposures, which only the lamp rules take.
fn is_lamp(r: &Row) -> bool {
    matches!(
        r.exp_type.as_str(),
        "nrs_lamp" | "nrs_autoflat" | "nrs_autowave"
    )
}

/// Whether any science rule may take the exposure: no acquisition or other non-science type,
/// no lamp, dark, flat or engineering exposure.
fn calibrated(r: &Row) -> bool {
    !non_science(r)
        && !is_lamp(r)
        && !matches!(
            r.role,
            Role::Dark | Role::Flat | Role::Engineering | Role::Autoflat | Role::Autowave
        )
}

/// Imaging science types, FGS aside (`IMAGE2_SCIENCE_EXP_TYPES`).
fn imaging(r: &Row) -> bool {
    calibrated(r)
        && IMAGE2_SCIENCE.contains(&r.exp_type.as_str())
        && !r.exp_type.starts_with("fgs_")
}

/// Spectroscopic types (`SPEC2_SCIENCE_EXP_TYPES`), on a path that gives light.
fn spectral(r: &Row) -> bool {
    calibrated(r) && SPEC2_SCIENCE.contains(&r.exp_type.as_str()) && ifu_path(r)
}

/// NIRCam grism time series on the long-wave detector, which `Constraint_Mode` leaves out of
/// every rule that has it (`jwst/associations/lib/rules_level2_base.py:749-755`).
fn long_wave_grism_time_series(r: &Row) -> bool {
    r.exp_type == "nrc_tsgrism" && r.value("DETECTOR") == Some("nrcblong")
}

/// The NIRISS and NIRCam grisms, whose science only the WFSS rules take.
fn grism(r: &Row) -> bool {
    matches!(r.exp_type.as_str(), "nis_wfss" | "nrc_wfss")
}

/// Spectroscopic science: no background or imprint; PSF references are science at Stage 2
/// (`jwst/associations/lib/rules_level2_base.py:113-140`).
fn spectral_science(r: &Row) -> bool {
    spectral(r) && is_science(r)
}

/// Whether Stage 2 types the exposure science: PSF references are calibrated as science.
fn is_science(r: &Row) -> bool {
    matches!(r.role, Role::Science | Role::Psf)
}

/// `Constraint_WFSC`: a `VISITYPE` with `wfsc` inside it.
fn is_wfsc_visit(row: &Row) -> bool {
    row.value("VISITYPE").is_some_and(|v| {
        v.match_indices("wfsc")
            .any(|(at, _)| at > 0 && at + "wfsc".len() < v.len())
    })
}

fn patttype(row: &Row) -> &str {
    row.value("PATTTYPE").unwrap_or("")
}

/// `Asn_Lv2Spec` takes no nodded exposure (`jwst/associations/lib/rules_level2b.py:334-344`).
fn is_nod_pattern(row: &Row) -> bool {
    matches!(
        patttype(row),
        "2-point-nod" | "4-point-nod" | "along-slit-nod"
    )
}

/// The Level 2 mode keys (`Constraint_Mode`, `jwst/associations/lib/rules_level2_base.py:713-771`)
/// of `other` in an association `first` started: the first exposure sets each, and the keyword
/// it came from (`constraint.py:586-590`), which later ones are read from and must match; an
/// optional key absent on either side passes.
fn same_mode(first: &Row, other: &Row) -> bool {
    MODE_KEYS
        .iter()
        .enumerate()
        .all(|(k, (keywords, required))| match first.mode[k].as_deref() {
            Some(x) => {
                let source = first.mode_source[k];
                let y = match other.mode[k].as_deref() {
                    Some(y) if other.mode_source[k] == source => Some(y),
                    Some(_) => other.set_value(keywords[usize::from(source)]),
                    None => None,
                };
                y.map_or(!required, |y| x == y)
            }
            None => !required,
        })
}

fn mode_keys(row: &Row) -> String {
    let parts: Vec<String> = [
        &["DETECTOR"][..],
        &["FILTER", "BAND"][..],
        &["PUPIL", "GRATING"][..],
        &["SUBARRAY"][..],
    ]
    .iter()
    .filter_map(|keys| {
        keys.iter()
            .find_map(|k| row.value(k).map(|v| format!("{k}={}", v.to_uppercase())))
    })
    .collect();
    parts.join(" ")
}

/// The background exposures (`BKGDTARG` set) of the science's mode in the candidate.
fn backgrounds(
    pool: &Pool<'_>,
    science: usize,
    within: &dyn Fn(usize) -> bool,
) -> Option<Attached> {
    backgrounds_but(pool, science, within, &|_| true)
}

/// [`backgrounds`], of the rows `background` allows as one: a rule may hold its backgrounds to
/// more than its science exposures (time series, for MIRI LRS).
fn backgrounds_but(
    pool: &Pool<'_>,
    science: usize,
    within: &dyn Fn(usize) -> bool,
    background: &dyn Fn(usize) -> bool,
) -> Option<Attached> {
    let s = &pool[science];
    // Every member has the `EXP_TYPE` of the first: each rule that attaches these
    // backgrounds constrains it with one value, which the first member pins.
    let within = |i: usize| within(i) && pool[i].exp_type == s.exp_type;
    // A PSF reference with `BKGDTARG` set joins the association of an earlier science exposure
    // of its mode through the background constraint, so it starts none of its own.
    if s.role == Role::Psf && s.is_set("BKGDTARG") && joins_earlier_science(pool, science, &within)
    {
        return None;
    }
    // The association's first member pins the mode every other one is read against.
    let first = background_start(pool, science, &within, background);
    let f = &pool[first];
    let why: Arc<str> = format!("BKGDTARG=T, same {}", mode_keys(f)).into();
    // Only classes with the first member's required mode values can have its mode.
    let classes = pool.required_of[first].map_or(&[][..], |list| &pool.by_required[list]);
    let mut rows: Vec<usize> = classes
        .iter()
        .map(|&at| &pool.backgrounds[at])
        .filter(|class| same_mode(f, &pool[class[0]]))
        .flatten()
        .copied()
        .filter(|&i| i != science && within(i) && background(i))
        .collect();
    rows.sort_unstable();
    // Members keep their Stage 2 type: a PSF reference is science there, even one that
    // joined as a background.
    let members = rows
        .into_iter()
        .map(|i| {
            let exptype = match pool[i].role {
                Role::Psf => ExpType::Science,
                _ => ExpType::Background,
            };
            Member::row(i, exptype, why.clone())
        })
        .collect();
    Some(Attached {
        members,
        started_by: Some(first),
    })
}

/// Whether a science exposure of the row's mode comes before it in the candidate (`within`),
/// whose association a PSF reference with `BKGDTARG` then joins as a background.
fn joins_earlier_science(pool: &Pool<'_>, row: usize, within: &dyn Fn(usize) -> bool) -> bool {
    pool.earlier_same_required(row)
        .iter()
        .any(|&j| within(j) && is_science(&pool[j]) && same_mode(&pool[row], &pool[j]))
}

/// The exposure that started the association a rule attaching [`backgrounds`] made for
/// `science` in the candidate (`within`): the science, or a background before it.
///
/// The generator goes through the candidate in pool order (`generate_from_item`,
/// `jwst/associations/generator/generate.py`). An exposure joins each association of the rule
/// whose first member's mode it has ([`same_mode`]), one science exposure each at most
/// (`Constraint_Single_Science`), and starts one only when it joined none. So a background of
/// the science's mode before it started the association it joins when no earlier exposure took
/// that background, and no science exposure joined it in between; backgrounds later in the
/// pool are offered again, and join by that first member's mode.
fn background_start(
    pool: &Pool<'_>,
    science: usize,
    within: &dyn Fn(usize) -> bool,
    background: &dyn Fn(usize) -> bool,
) -> usize {
    let s = &pool[science];
    let joins_as_science = |i: usize| is_science(&pool[i]) && !pool[i].is_set("BKGDTARG");
    // Whether a science exposure among the rows `range` would join the association `first`
    // started (`reads_first`: read against `first`), or would have taken `first` into its
    // own (else); looked for in the lists of `first`'s required mode values.
    let science_in = |first: usize, range: std::ops::Range<usize>, reads_first: bool| {
        pool.lists_of(first).any(|list| {
            let rows = &pool.same_required[list];
            let start = rows.partition_point(|&j| j < range.start);
            rows[start..]
                .iter()
                .take_while(|&&j| j < range.end)
                .any(|&j| {
                    j != science
                        && joins_as_science(j)
                        && within(j)
                        && if reads_first {
                            same_mode(&pool[first], &pool[j])
                        } else {
                            same_mode(&pool[j], &pool[first])
                        }
                })
        })
    };
    // The backgrounds before the science that share one of its required mode values.
    let mut earlier: Vec<usize> = pool
        .lists_of(science)
        .flat_map(|list| &pool.by_required[list])
        .flat_map(|&at| &pool.backgrounds[at])
        .copied()
        .filter(|&i| i < science && within(i) && background(i))
        .collect();
    if earlier.is_empty() {
        return science;
    }
    earlier.sort_unstable();
    earlier.dedup();
    let mut started: Vec<usize> = Vec::new();
    for &b in &earlier {
        let taken =
            started.iter().any(|&c| same_mode(&pool[c], &pool[b])) || science_in(b, 0..b, false);
        if taken {
            continue;
        }
        started.push(b);
        if same_mode(&pool[b], s) && !science_in(b, b + 1..science, true) {
            return b;
        }
    }
    science
}

/// `Asn_Lv2Image`'s backgrounds: those of [`backgrounds`] that are no time series, as
/// `Constraint_NotTSO` holds for every member (`rules_level2b.py:162-170`).
fn image_backgrounds(
    pool: &Pool<'_>,
    science: usize,
    within: &dyn Fn(usize) -> bool,
) -> Option<Attached> {
    backgrounds(pool, science, &|i| within(i) && !pool[i].is_tso())
}

/// Imprints of the science's mode, pruned ([`pruned_imprints`]).
fn imprints(pool: &Pool<'_>, science: usize, within: &dyn Fn(usize) -> bool) -> Vec<Member> {
    let s = &pool[science];
    let all: Vec<usize> = pool
        .same_required(science)
        .iter()
        .copied()
        .filter(|&i| pool[i].exposure.imprint_set() && i != science && within(i))
        // The rule's `EXP_TYPE` constraint pins the first member's, as for backgrounds.
        .filter(|&i| pool[i].exp_type == s.exp_type && same_mode(s, &pool[i]))
        .collect();
    pruned_imprints(pool, science, all)
}

/// `Asn_Lv2SpecSpecial`: the imprints it gathered for this exposure, pruned
/// ([`pruned_imprints`]); nothing when it did not take the exposure as science.
fn special_imprints(
    pool: &Pool<'_>,
    science: usize,
    within: &dyn Fn(usize) -> bool,
) -> Option<Attached> {
    let gathered = pool.special.get(&science)?;
    let rows = gathered.iter().copied().filter(|&i| within(i)).collect();
    Some(pruned_imprints(pool, science, rows).into())
}

/// The exposures that joined `science` by `IS_IMPRT` (`rows`, in pool order), pruned as
/// `prune_imprints` does (`jwst/associations/lib/rules_level2_base.py:926-1017`): when one
/// of the science's kind (a background or not) has its target, those of that kind with
/// another target go. A PSF reference with `IS_IMPRT` joins as the science it is at Stage 2,
/// and is not pruned.
fn pruned_imprints(pool: &Pool<'_>, science: usize, rows: Vec<usize>) -> Vec<Member> {
    let s = &pool[science];
    let why: Arc<str> = format!("IS_IMPRT=T, same {}", mode_keys(s)).into();
    let imprint = |i: usize| pool[i].role == Role::Imprint;
    let checked = |i: usize| imprint(i) && pool[i].is_set("BKGDTARG") == s.is_set("BKGDTARG");
    let same_target = rows
        .iter()
        .any(|&i| checked(i) && pool[i].target == s.target);
    rows.into_iter()
        .filter(|&i| !(checked(i) && same_target && pool[i].target != s.target))
        .map(|i| {
            let exptype = if imprint(i) {
                ExpType::Imprint
            } else {
                ExpType::Science
            };
            Member::row(i, exptype, why.clone())
        })
        .collect()
}

/// `Asn_Lv2Spec`: backgrounds and imprints, none of a time series or a nod pattern, which
/// the rule excludes for every member (`rules_level2b.py:334-344`).
fn spec(pool: &Pool<'_>, science: usize, within: &dyn Fn(usize) -> bool) -> Option<Attached> {
    let within = |i: usize| within(i) && !pool[i].is_tso() && !is_nod_pattern(&pool[i]);
    let mut attached = backgrounds(pool, science, &within)?;
    attached.members.extend(imprints(pool, science, &within));
    Some(attached)
}

/// MIRI LRS: backgrounds (not of a time series, same `EXP_TYPE`; the science may be one) and
/// the target acquisition confirmation.
fn lrs_ta_confirm(
    pool: &Pool<'_>,
    science: usize,
    within: &dyn Fn(usize) -> bool,
) -> Option<Attached> {
    // `Constraint_NotTSO` applies to the background, not to the science. A PSF reference with
    // `BKGDTARG` before the science that started an association of its own, as science (which
    // this rule tries first), was never offered to others again through the background branch.
    let same_exp_type = |i: usize| within(i) && pool[i].exp_type == pool[science].exp_type;
    let started_its_own = |i: usize| {
        pool[i].role == Role::Psf && i < science && !joins_earlier_science(pool, i, &same_exp_type)
    };
    let background = |i: usize| !pool[i].is_tso() && !started_its_own(i);
    let mut attached = backgrounds_but(pool, science, within, &background)?;
    // The science passes the rule's first branch and leaves its `OBS_ID` constraint unset:
    // the first confirmation to join sets it, and those of another `OBS_ID` stay out
    // (`rules_level2b.py:589-643`). Those after the association's first exposure come first,
    // then those before it, offered again.
    let confirms = ta_confirm(pool, &|i| within(i) && pool[i].is_set("OBS_ID"));
    let row = |m: &Member| match m.name {
        Name::Row(i) => Some(i),
        _ => None,
    };
    // The association's first exposure may be a background before the science.
    let start = attached.started_by.unwrap_or(science);
    let first = confirms
        .iter()
        .filter_map(row)
        .find(|&i| i > start)
        .or_else(|| confirms.first().and_then(row))
        .and_then(|i| pool[i].value("OBS_ID"));
    attached.members.extend(
        confirms
            .into_iter()
            .filter(|m| matches!(m.name, Name::Row(i) if pool[i].value("OBS_ID") == first)),
    );
    Some(attached)
}

/// The MIRI target acquisition confirmations in the candidate.
fn ta_confirm(pool: &Pool<'_>, within: &dyn Fn(usize) -> bool) -> Vec<Member> {
    pool.ta_confirms
        .iter()
        .copied()
        .filter(|&i| within(i))
        .map(|i| {
            Member::row(
                i,
                ExpType::TargetAcquisition,
                "EXP_TYPE=MIR_TACONFIRM".into(),
            )
        })
        .collect()
}

/// MIRI LRS along-slit nod: the nods of one other position are backgrounds
/// (`jwst/associations/lib/rules_level2b.py:648-765`). A nod joins when its `PATT_NUM` does not
/// hold the science's (`is_current_patt_num`), and that constraint then pins the `PATT_NUM` of
/// the first nod that joined: those after the science in pool order come first, then the
/// science nods before and after it as the generator offers them again (in pool order).
fn lrs_nods(pool: &Pool<'_>, science: usize, within: &dyn Fn(usize) -> bool) -> Option<Attached> {
    let s = &pool[science];
    let own = s.value("PATT_NUM").unwrap_or_default();
    let other = |i: usize| {
        i != science && within(i) && !pool[i].value("PATT_NUM").is_some_and(|p| p.contains(own))
    };
    let after = pool
        .lrs_nods
        .iter()
        .copied()
        .filter(|&i| i > science && other(i));
    let again = pool
        .lrs_nods
        .iter()
        .copied()
        .filter(|&i| is_science(&pool[i]) && other(i));
    let mut rows: Vec<usize> = Vec::new();
    let mut pinned = None;
    for i in after.chain(again) {
        let position = pool[i].value("PATT_NUM");
        if *pinned.get_or_insert(position) == position {
            rows.push(i);
        }
    }
    // Those after the science are offered twice.
    rows.sort_unstable();
    rows.dedup();
    let mut members: Vec<Member> = rows
        .into_iter()
        .map(|i| {
            Member::row(
                i,
                ExpType::Background,
                "another ALONG-SLIT-NOD position (PATT_NUM)".into(),
            )
        })
        .collect();
    // Its TA confirmation constraint is the `EXP_TYPE` alone: no `OBS_ID` needed
    // (`rules_level2b.py:718-719`).
    members.extend(ta_confirm(pool, within));
    Some(members.into())
}

/// NIRSpec fixed slit and MOS: the other exposures of the nod set are backgrounds unless they
/// overlap the science (`AsnMixin_Lv2Nod`, `jwst/associations/lib/rules_level2_base.py:1053-1230`).
fn slit_nods(pool: &Pool<'_>, science: usize, within: &dyn Fn(usize) -> bool) -> Option<Attached> {
    let s = &pool[science];
    let why: Arc<str> = format!("another nod position (PATT_NUM), same {}", mode_keys(s)).into();
    let background_why: Arc<str> = format!("BKGDTARG=T, same {}", mode_keys(s)).into();
    let imprint_why: Arc<str> = format!("IS_IMPRT=T, same {}", mode_keys(s)).into();
    let mut members = Vec::new();
    // The other science exposures are backgrounds unless they overlap; the rest come along as
    // they are: backgrounds (`BKGDTARG=T`, `SPEC.md` §4.5 item 2) and imprints, not pruned
    // (neither rule prunes them).
    for i in nod_set(pool, science, within).filter(|&i| i != science) {
        let b = &pool[i];
        match b.role {
            _ if is_science(b) && !overlap(s, b) => {
                members.push(Member::row(i, ExpType::Background, why.clone()))
            }
            Role::Background => {
                members.push(Member::row(i, ExpType::Background, background_why.clone()))
            }
            Role::Imprint => members.push(Member::row(i, ExpType::Imprint, imprint_why.clone())),
            _ => {}
        }
    }
    Some(members.into())
}

/// The exposures a nod rule gathers with `science` into one association before splitting it
/// per science exposure, in pool order, `science` included.
fn nod_set<'a>(
    pool: &'a Pool<'a>,
    science: usize,
    within: &'a dyn Fn(usize) -> bool,
) -> impl Iterator<Item = usize> + 'a {
    let s = &pool[science];
    let fs = s.exp_type == "nrs_fixedslit";
    let ifu = s.exp_type == "nrs_ifu";
    // Every member of a MOS association needs the science's metadata file, a unique key of
    // the rule (`SPEC.md` §4.5 item 5); `patttype` is one of the IFU rule (item 3).
    let takes = move |b: &Row| {
        b.exp_type == s.exp_type
            && same_mode(s, b)
            && (fs || ifu || (b.is_set("MSAMETFL") && b.value("MSAMETFL") == s.value("MSAMETFL")))
            && (!ifu || patttype(b) == patttype(s))
    };
    // Fixed-slit science exposures share the nod pattern's counts too, each read from the
    // keyword the science has (the constraint keeps the source it first read).
    let same_counts = move |b: &Row| {
        !fs || [&["NUMDTHPT"][..], &["SUBPXPNS", "SUBPXPTS"][..]]
            .iter()
            .all(
                |keys| match keys.iter().find(|k| s.set_value(k).is_some()) {
                    Some(k) => b.set_value(k) == s.set_value(k),
                    None => b.first_of(keys).is_none(),
                },
            )
    };
    let rows = pool.same_required(science);
    let in_set = move |i: usize| {
        let b = &pool[i];
        within(i) && takes(b) && is_science(b) && same_counts(b)
    };
    // Backgrounds and imprints join the associations there when they come, and are not
    // offered again (`rules_level2b.py:1170-1193`): a fixed-slit nod set after a science
    // exposure of the mode with other counts finds those before it in that one's.
    let first = rows.iter().copied().find(|&i| in_set(i)).unwrap_or(science);
    let taken = fs
        && rows[..rows.partition_point(|&j| j < first)]
            .iter()
            .any(|&j| {
                let b = &pool[j];
                let counted =
                    b.is_set("NUMDTHPT") && (b.is_set("SUBPXPNS") || b.is_set("SUBPXPTS"));
                within(j)
                    && takes(b)
                    && is_science(b)
                    && fixed_slit_path(b)
                    && counted
                    && !same_counts(b)
            });
    rows.iter().copied().filter(move |&i| {
        let b = &pool[i];
        match b.role {
            Role::Background | Role::Imprint => within(i) && takes(b) && !(taken && i < first),
            _ => in_set(i),
        }
    })
}

/// The exposure that started the association the generator made for `science` under
/// `rule`: for a nod rule, the first of the nod set; for a rule of one science, the
/// background that started it (`started_by`, when the rule attaches backgrounds) or the first
/// imprint (background, for other rules) attached before the science when the science is
/// the first of its mode the rule takes in the candidate (the association that member started
/// takes it; after a science of the mode it would have joined that one's), whichever came
/// first, else the science.
fn first_member(
    pool: &Pool<'_>,
    rule: &Rule,
    science: usize,
    within: &dyn Fn(usize) -> bool,
    attached: &[Member],
    started_by: Option<usize>,
) -> usize {
    if rule.nods {
        return nod_set(pool, science, within).next().unwrap_or(science);
    }
    let s = &pool[science];
    let earliest = attached
        .iter()
        .filter_map(|a| match a.name {
            // A target acquisition joins whatever association is there first. A background
            // or imprint whose mode keys would not take the science started none it joined.
            Name::Row(i)
                if (pool[i].role == Role::Imprint
                    || (pool[i].role == Role::Background && started_by.is_none()))
                    && i < science
                    && same_mode(&pool[i], s) =>
            {
                Some(i)
            }
            _ => None,
        })
        .min()
        .filter(|_| {
            !pool.earlier_same_required(science).iter().rev().any(|&j| {
                within(j)
                    && is_science(&pool[j])
                    && (rule.accepts)(&pool[j])
                    && same_mode(s, &pool[j])
            })
        });
    match (earliest, started_by.filter(|&b| b != science)) {
        (Some(i), Some(b)) => i.min(b),
        (Some(first), None) | (None, Some(first)) => first,
        (None, None) => science,
    }
}

/// Whether nod partner `b` overlaps science `s`, so that it cannot be its background.
fn overlap(s: &Row, b: &Row) -> bool {
    let fs = s.exp_type == "nrs_fixedslit";
    if s.target != b.target {
        return true;
    }
    let subpx = |r: &Row| r.integer("SUBPXPTS").or_else(|| r.integer("SUBPXPNS"));
    let numbers = (
        s.integer("NUMDTHPT"),
        s.integer("PATT_NUM"),
        b.integer("PATT_NUM"),
        subpx(s),
        subpx(b),
    );
    let (Some(numdthpt), Some(ps), Some(pb), Some(ss), Some(sb)) = numbers else {
        return fs;
    };
    if ss == 0 || sb == 0 {
        return fs;
    }
    let (position_s, position_b) = ((ps - 1) / ss, (pb - 1) / sb);
    if position_s == position_b {
        return true;
    }
    fs && s.value("FXD_SLIT") == Some("s1600a1")
        && numdthpt / ss == 5
        && (position_s - position_b).abs() <= 1
}

/// NIRSpec IFU nods: every other nod is a background, and so is every background exposure.
fn ifu_nods(pool: &Pool<'_>, science: usize, within: &dyn Fn(usize) -> bool) -> Option<Attached> {
    let s = &pool[science];
    let why: Arc<str> = format!("another {} position", patttype(s).to_uppercase()).into();
    let background_why: Arc<str> = format!("BKGDTARG=T, same {}", mode_keys(s)).into();
    let imprint_why: Arc<str> = format!("IS_IMPRT=T, same {}", mode_keys(s)).into();
    let set: Vec<usize> = nod_set(pool, science, within).collect();
    // `prune_imprints` runs before the split, on every science exposure of the set: imprints
    // of the science's kind (background or not) are kept only for the targets of the set's
    // science exposures, if any are (`jwst/associations/lib/rules_level2_base.py:926-1017`).
    let sciences: Vec<&Row> = set
        .iter()
        .map(|&i| &pool[i])
        .filter(|b| is_science(b))
        .collect();
    let background_science = sciences.iter().any(|b| b.is_set("BKGDTARG"));
    let checked = |b: &Row| b.is_set("BKGDTARG") == background_science;
    let imprints: Vec<usize> = set
        .iter()
        .copied()
        .filter(|&i| pool[i].role == Role::Imprint)
        .collect();
    let matches = |b: &Row| sciences.iter().any(|t| t.target == b.target);
    let any_match = imprints
        .iter()
        .any(|&i| checked(&pool[i]) && matches(&pool[i]));
    let mut members = Vec::new();
    for i in set.into_iter().filter(|&i| i != science) {
        let b = &pool[i];
        match b.role {
            _ if is_science(b) => members.push(Member::row(i, ExpType::Background, why.clone())),
            Role::Background => {
                members.push(Member::row(i, ExpType::Background, background_why.clone()))
            }
            Role::Imprint if !(any_match && checked(b) && !matches(b)) => {
                members.push(Member::row(i, ExpType::Imprint, imprint_why.clone()))
            }
            _ => {}
        }
    }
    Some(members.into())
}

/// WFSS: the direct image the generator's association for this grism exposure holds first,
/// as its Stage 3 products' names, and the backgrounds that joined that association (worked
/// out once, [`wfss_gathered`]); no direct image, no association
/// (`jwst/associations/lib/rules_level2_base.py:1307-1470`).
fn wfss(pool: &Pool<'_>, science: usize, within: &dyn Fn(usize) -> bool) -> Option<Attached> {
    let s = &pool[science];
    let (shared, gathered) = wfss_of(pool, science, within)?;
    let direct = gathered.direct;
    let acid = if shared {
        SHARED_CANDIDATE
    } else {
        s.observation.as_str()
    };
    let root = super::naming::wfss_direct_image_root(&pool[direct], acid, s.exp_type == "nis_wfss");
    // Background exposures of the association's keys that joined it, as they are.
    let background_why: Arc<str> = "BKGDTARG=T, same target and keys".into();
    let backgrounds = gathered
        .backgrounds
        .iter()
        .copied()
        .filter(|&(i, _)| i != science && within(i))
        .map(|(i, after_time_series)| {
            let mut member = Member::row(i, ExpType::Background, background_why.clone());
            if after_time_series {
                member.suffix = Some(Suffix::Rateints);
            }
            member
        });
    let why: Arc<str> = format!(
        "direct image {}",
        pool[direct].exposure.name.to_string_lossy()
    )
    .into();
    Some(
        [
            ("_i2d.fits", ExpType::DirectImage),
            ("_cat.ecsv", ExpType::Sourcecat),
            ("_segm.fits", ExpType::Segmap),
        ]
        .into_iter()
        .map(|(suffix, exptype)| Member::derived(format!("{root}{suffix}"), exptype, why.clone()))
        .chain(backgrounds)
        .collect::<Vec<_>>()
        .into(),
    )
}

/// The WFSS association of a grism exposure in the candidate `within` holds, and whether that
/// candidate is the shared one; `None` without a direct image there.
fn wfss_of<'p>(
    pool: &'p Pool<'_>,
    science: usize,
    within: &dyn Fn(usize) -> bool,
) -> Option<(bool, &'p Wfss)> {
    let shared = pool.is_shared(within);
    let gathered = pool
        .wfss
        .get(&(shared, science))
        .filter(|g| within(g.direct))?;
    Some((shared, gathered))
}

/// Whether a time series joined the grism exposure's WFSS association before it.
fn wfss_after_time_series(pool: &Pool<'_>, science: usize, within: &dyn Fn(usize) -> bool) -> bool {
    wfss_of(pool, science, within).is_some_and(|(_, g)| g.grism_after_time_series)
}

/// The rows of each observation candidate, each in pool order.
fn by_observation(rows: &[Row]) -> Vec<Vec<usize>> {
    let mut candidates: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, row) in rows.iter().enumerate() {
        candidates.entry(&row.observation).or_default().push(i);
    }
    candidates.into_values().collect()
}

/// The WFSS rules' grism exposure type, direct image type and the keys grism and direct image
/// share beyond program, target and instrument (`jwst/associations/lib/rules_level2b.py:866-1080`).
const WFSS: &[(&str, &str, &[&str])] = &[
    ("nis_wfss", "nis_image", &["PUPIL", "SUBARRAY"]),
    ("nrc_wfss", "nrc_image", &["DETECTOR"]),
    ("mir_wfss", "mir_image", &["DETECTOR"]),
];

/// What the WFSS rule's association for a grism exposure holds besides it.
struct Wfss {
    /// Its first direct image.
    direct: usize,
    /// The background exposures that joined it, in pool order, each with whether a time
    /// series had joined before it (then a `*_uncal.*` one is renamed `_rateints`).
    backgrounds: Vec<(usize, bool)>,
    /// Whether a time series had joined before the grism exposure did.
    grism_after_time_series: bool,
}

/// The association each WFSS grism exposure gets, as the generator gathers them: its first
/// direct image (`AsnMixin_Lv2WFSS.find_closest_direct` falls back to the first one when every
/// `EXPSPCIN` is equal) and its backgrounds. In pool order an exposure joins every association
/// of its keys that takes it (a grism one only while the association has no grism exposure)
/// and starts one when none does; direct images are then offered once more to the
/// associations made after them, and so are backgrounds of the direct image's type (a
/// grism-type background is not). So a grism exposure gets the next direct
/// image of its keys after it, or the one that started its association, or the first before
/// it: with several filters, its own filter's (`SPEC.md` §4.5 item 1); and the backgrounds
/// that came while its association was open, with those of the direct image's type before it.
fn wfss_gathered(rows: &[Row]) -> HashMap<(bool, usize), Wfss> {
    /// An association the WFSS rule gathers.
    struct Gathered {
        grism: Option<usize>,
        direct: Option<usize>,
        backgrounds: Vec<(usize, bool)>,
        /// Whether a time series has joined it (`Constraint_Base`'s `is_tso`).
        time_series: bool,
        grism_after_time_series: bool,
    }
    /// The associations of one set of keys: all of them, and those still open to a grism
    /// exposure and without a direct image, so that each exposure is offered only to those it
    /// changes.
    #[derive(Default)]
    struct Keyed {
        all: Vec<usize>,
        without_grism: Vec<usize>,
        without_direct: Vec<usize>,
        first_direct: Option<usize>,
        /// Backgrounds of the direct image's type, each with how many associations there were
        /// once it had been offered.
        image_backgrounds: Vec<(usize, usize)>,
    }
    /// What a grism exposure and its direct image share: program, instrument, the mode's keys,
    /// target.
    fn keys<'r>(r: &'r Row, shared: &[&str]) -> (Vec<Option<&'r str>>, usize) {
        let values = ["PROGRAM", "INSTRUME"]
            .iter()
            .chain(shared)
            .map(|k| r.value(k))
            .collect();
        (values, r.target)
    }
    let mut chosen = HashMap::new();
    let candidates = by_observation(rows)
        .into_iter()
        .map(|c| (false, c))
        .chain([(true, (0..rows.len()).collect())]);
    for (in_shared, candidate) in candidates {
        for (grism_type, image_type, shared) in WFSS {
            // PSF references are science at Stage 2, and science images direct images.
            let is_grism = |r: &Row| r.exp_type == *grism_type && is_science(r);
            if !candidate.iter().any(|&i| is_grism(&rows[i])) {
                continue;
            }
            let mut gathered: Vec<Gathered> = Vec::new();
            let mut by_keys: HashMap<_, Keyed> = HashMap::new();
            for &i in &candidate {
                let r = &rows[i];
                let direct = r.exp_type == *image_type && is_science(r);
                let background = r.role == Role::Background
                    && (r.exp_type == *grism_type || r.exp_type == *image_type);
                if !(direct || background || is_grism(r)) {
                    continue;
                }
                let keyed = by_keys.entry(keys(r, shared)).or_default();
                let time_series = r.value("TSOVISIT") == Some("t");
                if direct {
                    keyed.first_direct.get_or_insert(i);
                }
                if (direct || background) && time_series {
                    for &g in &keyed.all {
                        gathered[g].time_series = true;
                    }
                }
                // A direct image or a background joins every association of its keys; a
                // grism exposure every one that has none yet.
                if direct && !keyed.all.is_empty() {
                    for g in keyed.without_direct.drain(..) {
                        gathered[g].direct = Some(i);
                    }
                    continue;
                }
                if background && r.exp_type == *image_type {
                    keyed
                        .image_backgrounds
                        .push((i, gathered.len() + usize::from(keyed.all.is_empty())));
                }
                if background && !keyed.all.is_empty() {
                    for &g in &keyed.all {
                        let before = gathered[g].time_series && !time_series;
                        gathered[g].backgrounds.push((i, before));
                    }
                    continue;
                }
                if !direct && !background && !keyed.without_grism.is_empty() {
                    for g in keyed.without_grism.drain(..) {
                        let g = &mut gathered[g];
                        g.grism = Some(i);
                        g.grism_after_time_series = g.time_series;
                        g.time_series |= time_series;
                    }
                    continue;
                }
                let at = gathered.len();
                keyed.all.push(at);
                if !direct {
                    keyed.without_direct.push(at);
                }
                if direct || background {
                    keyed.without_grism.push(at);
                }
                gathered.push(Gathered {
                    grism: (!direct && !background).then_some(i),
                    direct: direct.then_some(i),
                    backgrounds: if background {
                        vec![(i, false)]
                    } else {
                        Vec::new()
                    },
                    time_series,
                    grism_after_time_series: false,
                });
            }
            // Exposures of the direct image's type are offered once more: an association
            // that had no direct image takes the first of its keys, and one made after a
            // background of that type takes it too.
            for keyed in by_keys.into_values() {
                for g in keyed.without_direct {
                    gathered[g].direct = keyed.first_direct;
                }
                for (b, seen_by) in keyed.image_backgrounds {
                    for &g in keyed.all.iter().filter(|&&g| g >= seen_by) {
                        let before = gathered[g].time_series;
                        gathered[g].backgrounds.push((b, before));
                    }
                }
            }
            for g in gathered {
                if let (Some(grism), Some(direct)) = (g.grism, g.direct) {
                    let mut backgrounds = g.backgrounds;
                    backgrounds.sort_unstable();
                    chosen.insert(
                        (in_shared, grism),
                        Wfss {
                            direct,
                            backgrounds,
                            grism_after_time_series: g.grism_after_time_series,
                        },
                    );
                }
            }
        }
    }
    chosen
}

/// The imprints `Asn_Lv2SpecSpecial` attaches to each background, PSF-reference or imprint
/// spectral exposure it takes as science, in its observation candidate (a background
/// candidate's association would hold no background member, so it is never made). The
/// rule takes imprints through `Constraint_Imprint_Special`, which reads the exposure type the
/// association worked out last, for whichever exposure it was asked about
/// (`jwst/associations/lib/rules_level2_base.py:676-711,1256-1295`); so the outcome depends on
/// the order the generator offers exposures in, and is worked out here in that order
/// (`SPEC.md` §4.5 item 4): the first imprint joins every association of its mode, a later one
/// starts its own, as science; imprints are offered once more at the end.
fn special_spectral(rows: &[Row]) -> HashMap<usize, Vec<usize>> {
    struct Gathered {
        first: usize,
        members: Vec<usize>,
        /// The type of the exposure it was last asked about, as the rule's mixin keeps it.
        last_imprint: bool,
    }
    impl Gathered {
        fn holds(&self, i: usize) -> bool {
            self.members.contains(&i)
        }
        /// Offers exposure `i`; says whether it joined through the imprint constraint.
        fn offer(&mut self, i: usize, imprint: bool) -> (bool, bool) {
            if imprint && !self.last_imprint {
                self.last_imprint = true;
                self.members.push(i);
                return (true, true);
            }
            self.last_imprint = imprint;
            (false, false)
        }
    }
    let mut planned = HashMap::new();
    for candidate in by_observation(rows) {
        let eligible: Vec<usize> = candidate
            .into_iter()
            .filter(|&i| {
                let r = &rows[i];
                SPEC2_SCIENCE.contains(&r.exp_type.as_str())
                    && (r.is_set("BKGDTARG") || r.is_set("IS_PSF"))
                    && ifu_path(r)
            })
            .collect();
        // `Constraint_Special` reads `BKGDTARG`, else `IS_PSF`, and the first member pins
        // which: a PSF reference joins no association a background started, nor the reverse.
        let special = |i: usize| {
            if rows[i].is_set("BKGDTARG") {
                "BKGDTARG"
            } else {
                "IS_PSF"
            }
        };
        let takes = |g: &Gathered, i: usize| {
            same_mode(&rows[g.first], &rows[i]) && rows[i].is_set(special(g.first))
        };
        let mut gathered: Vec<Gathered> = Vec::new();
        let mut again = Vec::new();
        for &i in &eligible {
            let imprint = rows[i].exposure.imprint_set();
            let mut joined = false;
            let mut through_imprint = false;
            for g in gathered.iter_mut().filter(|g| takes(g, i)) {
                let (j, by_imprint) = g.offer(i, imprint);
                joined |= j;
                through_imprint |= by_imprint;
            }
            if !joined {
                // A new association: its first exposure is its science, whatever it is.
                through_imprint |= imprint;
                gathered.push(Gathered {
                    first: i,
                    members: Vec::new(),
                    last_imprint: imprint,
                });
            }
            if through_imprint {
                again.push(i);
            }
        }
        for i in again {
            for g in gathered
                .iter_mut()
                .filter(|g| g.first != i && !g.holds(i) && takes(g, i))
            {
                g.offer(i, true);
            }
        }
        for g in gathered {
            planned.insert(g.first, g.members);
        }
    }
    planned
}

#[cfg(test)]
mod tests {
    use super::super::plan::tests::{each_rule_takes, rows, BASE};
    use super::*;

    /// The names of the rules that take `row` as their science.
    fn takers(row: &Row) -> Vec<&'static str> {
        RULES
            .iter()
            .filter(|r| (r.accepts)(row))
            .map(|r| r.name)
            .collect()
    }

    /// For each rule, an exposure it takes, and every rule that takes that exposure.
    const TAKES: &[(&str, &str, &[&str])] = &[
        (
            "Asn_Lv2CoronAsRate",
            "INSTRUME=NIRCAM EXP~TYPE=NRC~CORON DETECTOR=NRCA2 FILTER=F210M PUPIL=MASKRND SUBARRAY=FULL",
            &["Asn_Lv2CoronAsRate", "Asn_Lv2Image"],
        ),
        ("Asn_Lv2FGS", "INSTRUME=FGS EXP~TYPE=FGS~FOCUS DETECTOR=GUIDER1", &["Asn_Lv2FGS"]),
        (
            "Asn_Lv2Image",
            "INSTRUME=MIRI EXP~TYPE=MIR~IMAGE DETECTOR=MIRIMAGE FILTER=F770W SUBARRAY=FULL",
            &["Asn_Lv2Image"],
        ),
        (
            "Asn_Lv2ImageNonScience",
            "INSTRUME=MIRI EXP~TYPE=MIR~TACQ DETECTOR=MIRIMAGE FILTER=F560W BKGDTARG=T",
            &["Asn_Lv2ImageNonScience"],
        ),
        (
            "Asn_Lv2ImageSpecial",
            "INSTRUME=NIRCAM EXP~TYPE=NRC~IMAGE DETECTOR=NRCB1 FILTER=F200W BKGDTARG=T",
            &["Asn_Lv2ImageSpecial"],
        ),
        (
            "Asn_Lv2ImageTSO",
            "INSTRUME=NIRCAM EXP~TYPE=NRC~TSIMAGE DETECTOR=NRCA1 FILTER=F210M",
            &["Asn_Lv2ImageTSO"],
        ),
        (
            "Asn_Lv2MIRLRSFixedSlitNod",
            "INSTRUME=MIRI EXP~TYPE=MIR~LRS-FIXEDSLIT DETECTOR=MIRIMAGE FILTER=P750L \
             PATTTYPE=ALONG-SLIT-NOD PATT~NUM=1",
            &["Asn_Lv2MIRLRSFixedSlitNod", "Asn_MIRLRSTAConfirm"],
        ),
        (
            "Asn_Lv2NRSFSS",
            "INSTRUME=NIRSPEC EXP~TYPE=NRS~FIXEDSLIT DETECTOR=NRS1 FILTER=F290LP GRATING=G395H \
             FXD~SLIT=S200A1 NUMDTHPT=2 SUBPXPTS=1",
            &["Asn_Lv2NRSFSS"],
        ),
        (
            "Asn_Lv2NRSIFUNod",
            "INSTRUME=NIRSPEC EXP~TYPE=NRS~IFU DETECTOR=NRS1 FILTER=F290LP GRATING=G395H \
             PATTTYPE=2-POINT-NOD",
            &["Asn_Lv2NRSIFUNod"],
        ),
        (
            "Asn_Lv2NRSLAMPImage",
            "INSTRUME=NIRSPEC EXP~TYPE=NRS~LAMP DETECTOR=NRS1 FILTER=OPAQUE GRATING=MIRROR \
             OPMODE=IMAGE LAMP=FLAT1",
            &["Asn_Lv2NRSLAMPImage"],
        ),
        (
            "Asn_Lv2NRSLAMPSpectral",
            "INSTRUME=NIRSPEC EXP~TYPE=NRS~LAMP DETECTOR=NRS1 FILTER=OPAQUE GRATING=G395H \
             OPMODE=FIXEDSLIT LAMP=FLAT3",
            &["Asn_Lv2NRSLAMPSpectral"],
        ),
        (
            "Asn_Lv2NRSMSA",
            "INSTRUME=NIRSPEC EXP~TYPE=NRS~MSASPEC DETECTOR=NRS1 FILTER=F290LP GRATING=G395M \
             MSAMETFL=msa.fits",
            &["Asn_Lv2NRSMSA"],
        ),
        (
            "Asn_Lv2Spec",
            "INSTRUME=MIRI EXP~TYPE=MIR~MRS DETECTOR=MIRIFUSHORT BAND=SHORT",
            &["Asn_Lv2Spec"],
        ),
        (
            "Asn_Lv2SpecImprint",
            "INSTRUME=NIRSPEC EXP~TYPE=NRS~IFU DETECTOR=NRS1 FILTER=F290LP GRATING=G395H \
             IS~IMPRT=T",
            &["Asn_Lv2SpecImprint", "Asn_Lv2SpecSpecial"],
        ),
        (
            "Asn_Lv2SpecSpecial",
            "INSTRUME=MIRI EXP~TYPE=MIR~MRS DETECTOR=MIRIFUSHORT BAND=SHORT BKGDTARG=T",
            &["Asn_Lv2SpecSpecial"],
        ),
        (
            "Asn_Lv2SpecTSO",
            "INSTRUME=NIRSPEC EXP~TYPE=NRS~BRIGHTOBJ DETECTOR=NRS1 FILTER=F290LP GRATING=G395H \
             FXD~SLIT=S1600A1",
            &["Asn_Lv2SpecTSO"],
        ),
        (
            "Asn_Lv2WFSC",
            "INSTRUME=NIRCAM EXP~TYPE=NRC~IMAGE DETECTOR=NRCA3 FILTER=F212N \
             VISITYPE=PRIME~WFSC~ROUTINE",
            &["Asn_Lv2Image", "Asn_Lv2WFSC"],
        ),
        (
            "Asn_Lv2WFSSMIR",
            "INSTRUME=MIRI EXP~TYPE=MIR~WFSS DETECTOR=MIRIMAGE FILTER=P750L",
            &["Asn_Lv2Spec", "Asn_Lv2WFSSMIR"],
        ),
        (
            "Asn_Lv2WFSSNIS",
            "INSTRUME=NIRISS EXP~TYPE=NIS~WFSS DETECTOR=NIS FILTER=GR150R PUPIL=F150W",
            &["Asn_Lv2WFSSNIS"],
        ),
        (
            "Asn_Lv2WFSSNRC",
            "INSTRUME=NIRCAM EXP~TYPE=NRC~WFSS DETECTOR=NRCALONG FILTER=F444W PUPIL=GRISMR",
            &["Asn_Lv2WFSSNRC"],
        ),
        (
            "Asn_MIRLRSTAConfirm",
            "INSTRUME=MIRI EXP~TYPE=MIR~LRS-SLITLESS DETECTOR=MIRIMAGE FILTER=P750L",
            &["Asn_MIRLRSTAConfirm"],
        ),
    ];

    #[test]
    fn each_rule_takes_its_exposures_and_only_the_rules_meant_to_share_them_do() {
        each_rule_takes(RULES.iter().map(|r| r.name), TAKES, takers);
    }

    /// The Stage 2 associations of `exposures`: (rule, asn_id, science name, members as
    /// `type:name` sorted).
    fn planned(exposures: &[(&str, &str)]) -> Vec<(&'static str, String, String, Vec<String>)> {
        let pool = rows(exposures);
        let name = |n: &Name| match n {
            Name::Row(i) => pool[*i].exposure.name.to_string_lossy().into_owned(),
            Name::Derived(d) => d.to_string(),
        };
        associations(&pool)
            .into_iter()
            .map(|p| {
                let (science, attached) = p.members.split_first().expect("a science member");
                let mut members: Vec<String> = attached
                    .iter()
                    .map(|a| format!("{}:{}", a.exptype, name(&a.name)))
                    .collect();
                members.sort();
                (p.rule, p.asn_id, name(&science.name), members)
            })
            .collect()
    }

    #[test]
    fn asn_lv2_image_attaches_the_backgrounds_of_its_mode_from_the_shared_candidate() {
        let image = "INSTRUME=MIRI EXP~TYPE=MIR~IMAGE DETECTOR=MIRIMAGE SUBARRAY=FULL";
        let made = planned(&[
            ("a_rate.fits", &format!("{BASE} {image} FILTER=F770W")),
            (
                "b_rate.fits",
                &format!("{BASE} {image} FILTER=F770W BKGDTARG=T OBSERVTN=002"),
            ),
            (
                "c_rate.fits",
                &format!("{BASE} {image} FILTER=F560W BKGDTARG=T OBSERVTN=002"),
            ),
        ]);
        assert!(
            made.contains(&(
                "Asn_Lv2Image",
                "c1000".into(),
                "a_rate.fits".into(),
                vec!["background:b_rate.fits".into()]
            )),
            "Asn_Lv2Image: {made:?}"
        );
    }

    #[test]
    fn asn_lv2_wfssnrc_takes_the_direct_image_of_the_grism_s_own_filter() {
        let nrc = "INSTRUME=NIRCAM DETECTOR=NRCALONG SUBARRAY=FULL";
        let made = planned(&[
            (
                "a1_rate.fits",
                &format!("{BASE} {nrc} EXP~TYPE=NRC~WFSS FILTER=F356W PUPIL=GRISMR"),
            ),
            (
                "a2_rate.fits",
                &format!("{BASE} {nrc} EXP~TYPE=NRC~IMAGE FILTER=F356W PUPIL=CLEAR"),
            ),
            (
                "b1_rate.fits",
                &format!("{BASE} {nrc} EXP~TYPE=NRC~WFSS FILTER=F444W PUPIL=GRISMR"),
            ),
            (
                "b2_rate.fits",
                &format!("{BASE} {nrc} EXP~TYPE=NRC~IMAGE FILTER=F444W PUPIL=CLEAR"),
            ),
        ]);
        let wfss: Vec<_> = made.iter().filter(|m| m.0 == "Asn_Lv2WFSSNRC").collect();
        assert_eq!(wfss.len(), 2, "Asn_Lv2WFSSNRC: {made:?}");
        assert!(
            wfss[0]
                .3
                .contains(&"direct_image:jw01234-o001_t001_nircam_clear-f356w_i2d.fits".into()),
            "Asn_Lv2WFSSNRC: {wfss:?}"
        );
        assert!(
            wfss[1]
                .3
                .contains(&"direct_image:jw01234-o001_t001_nircam_clear-f444w_i2d.fits".into()),
            "Asn_Lv2WFSSNRC: {wfss:?}"
        );
    }

    #[test]
    fn asn_lv2_nrsifunod_attaches_backgrounds_of_its_own_pattern_only() {
        let ifu = "INSTRUME=NIRSPEC EXP~TYPE=NRS~IFU DETECTOR=NRS1 FILTER=F290LP GRATING=G395H";
        let made = planned(&[
            (
                "a1_rate.fits",
                &format!("{BASE} {ifu} PATTTYPE=2-POINT-NOD PATT~NUM=1"),
            ),
            (
                "a2_rate.fits",
                &format!("{BASE} {ifu} PATTTYPE=2-POINT-NOD PATT~NUM=2"),
            ),
            (
                "b_rate.fits",
                &format!("{BASE} {ifu} PATTTYPE=CYCLING BKGDTARG=T OBSERVTN=002"),
            ),
        ]);
        assert!(
            made.contains(&(
                "Asn_Lv2NRSIFUNod",
                "o001".into(),
                "a1_rate.fits".into(),
                vec!["background:a2_rate.fits".into()]
            )),
            "Asn_Lv2NRSIFUNod: {made:?}"
        );
    }

    #[test]
    fn asn_lv2_nrsmsa_leaves_out_an_exposure_without_its_metadata_file() {
        let mos =
            "INSTRUME=NIRSPEC EXP~TYPE=NRS~MSASPEC DETECTOR=NRS1 FILTER=F290LP GRATING=G395M \
                   NUMDTHPT=3 SUBPXPTS=1";
        let made = planned(&[
            (
                "a1_rate.fits",
                &format!("{BASE} {mos} PATT~NUM=1 MSAMETFL=m.fits"),
            ),
            ("a2_rate.fits", &format!("{BASE} {mos} PATT~NUM=2")),
            (
                "a3_rate.fits",
                &format!("{BASE} {mos} PATT~NUM=3 MSAMETFL=m.fits"),
            ),
        ]);
        assert_eq!(made.len(), 2, "Asn_Lv2NRSMSA: {made:?}");
        assert_eq!(
            made[0].3,
            ["background:a3_rate.fits"],
            "Asn_Lv2NRSMSA: {made:?}"
        );
    }

    #[test]
    fn asn_lv2_specspecial_attaches_only_the_first_imprint_of_a_background_observation() {
        let ifu = "INSTRUME=NIRSPEC EXP~TYPE=NRS~IFU DETECTOR=NRS1 FILTER=F290LP GRATING=G395H \
                   PATTTYPE=2-POINT-DITHER BKGDTARG=T";
        let made = planned(&[
            ("a_rate.fits", &format!("{BASE} {ifu}")),
            ("b1_rate.fits", &format!("{BASE} {ifu} IS~IMPRT=T")),
            ("b2_rate.fits", &format!("{BASE} {ifu} IS~IMPRT=T")),
        ]);
        let special: Vec<_> = made
            .iter()
            .filter(|m| m.0 == "Asn_Lv2SpecSpecial")
            .collect();
        assert_eq!(
            special,
            [
                &(
                    "Asn_Lv2SpecSpecial",
                    "o001".into(),
                    "a_rate.fits".into(),
                    vec!["imprint:b1_rate.fits".into()]
                ),
                &(
                    "Asn_Lv2SpecSpecial",
                    "o001".into(),
                    "b2_rate.fits".into(),
                    vec![]
                ),
            ],
            "Asn_Lv2SpecSpecial: {made:?}"
        );
    }

    #[test]
    fn asn_lv2spec_reads_backgrounds_against_the_background_that_started_the_association() {
        // The first background has BAND only: it starts the association, and the first
        // science exposure with FILTER joins it by BAND, as does every background of that
        // BAND. The second science exposure, its FILTER read, takes those of its FILTER.
        let mrs = "INSTRUME=MIRI EXP~TYPE=MIR~MRS DETECTOR=MIRIFULONG BAND=LONG CHANNEL=34";
        let sky = "BKGDTARG=T OBSERVTN=002";
        let made = planned(&[
            ("b1_rate.fits", &format!("{BASE} {mrs} {sky}")),
            ("b2_rate.fits", &format!("{BASE} {mrs} {sky} FILTER=F560W")),
            ("b3_rate.fits", &format!("{BASE} {mrs} {sky} FILTER=F770W")),
            ("s1_rate.fits", &format!("{BASE} {mrs} FILTER=F770W")),
            ("s2_rate.fits", &format!("{BASE} {mrs} FILTER=F770W")),
        ]);
        let attached = |science: &str| {
            made.iter()
                .find(|(rule, id, s, _)| *rule == "Asn_Lv2Spec" && id == "c1000" && s == science)
                .map(|(.., members)| members.clone())
        };
        assert_eq!(
            attached("s1_rate.fits"),
            Some(vec![
                "background:b1_rate.fits".into(),
                "background:b2_rate.fits".into(),
                "background:b3_rate.fits".into()
            ]),
            "Asn_Lv2Spec: {made:?}"
        );
        assert_eq!(
            attached("s2_rate.fits"),
            Some(vec!["background:b3_rate.fits".into()]),
            "Asn_Lv2Spec: {made:?}"
        );
    }

    #[test]
    fn asn_lv2_nrsfss_attaches_the_background_targets_of_its_mode() {
        let fs = "INSTRUME=NIRSPEC EXP~TYPE=NRS~FIXEDSLIT DETECTOR=NRS1 FILTER=F290LP \
                  GRATING=G395H FXD~SLIT=S200A1 SUBARRAY=SUBS200A1 NUMDTHPT=2 SUBPXPTS=1";
        let made = planned(&[
            ("a1_rate.fits", &format!("{BASE} {fs} PATT~NUM=1")),
            ("a2_rate.fits", &format!("{BASE} {fs} PATT~NUM=2")),
            (
                "b_rate.fits",
                &format!("{BASE} {fs} PATT~NUM=1 BKGDTARG=T OBSERVTN=002"),
            ),
        ]);
        assert!(
            made.contains(&(
                "Asn_Lv2NRSFSS",
                "c1000".into(),
                "a1_rate.fits".into(),
                vec![
                    "background:a2_rate.fits".into(),
                    "background:b_rate.fits".into()
                ]
            )),
            "Asn_Lv2NRSFSS: {made:?}"
        );
    }
}
