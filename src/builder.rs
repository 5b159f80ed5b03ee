//! Builds an association from its members: Stage 2 (one product per science exposure),
//! Stage 3 (one named product) or the bare rule's name list, and checks that it is valid.

use std::ffi::OsString;

use crate::error::{Error, Warning};
use crate::model::{Association, Body, ExpType, Member, Meta, MetaKey, Naming, Products, Stage};
use crate::rules::{BackgroundCandidates, Needs, Rule};
use crate::suggest::closest;

/// The `code_version` this library writes: its own version.
pub const CODE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The candidate id used when none is given.
pub const DEFAULT_CANDIDATE_ID: &str = "o999";

/// What to do with a member whose type the rule's stage does not take (a `psf` member in
/// Stage 2, say).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OtherStageTypes {
    /// Refuse the association: the caller chose the type and it cannot be right.
    #[default]
    Refuse,
    /// Write the member as given, with a warning: the type came from a list, which may hold
    /// any type string.
    Warn,
}

/// How an association is built, apart from its members.
///
/// ```
/// use asn_from_list::{MetaKey, Options, Rule};
///
/// let options = Options::new(Rule::find("Asn_Lv3Image")?)
///     .product_name("mosaic")
///     .meta(MetaKey::AsnType, "image3");
/// assert_eq!(options.product_name.as_deref(), Some("mosaic".as_ref()));
/// # Ok::<(), asn_from_list::Error>(())
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Options {
    /// The rule, which decides the stage.
    pub rule: Rule,
    /// The Stage 3 product name; Stage 2 and the bare rule ignore it, with a warning.
    pub product_name: Option<OsString>,
    /// The association candidate id, which Stage 2 checks and nothing writes.
    pub candidate_id: String,
    /// Meta keywords to set, in order.
    pub meta: Vec<(MetaKey, String)>,
    /// What to do with a member type the stage does not take.
    pub other_stage_types: OtherStageTypes,
}

impl Options {
    /// Options for `rule`, with the default candidate id, no product name and no meta keywords,
    /// refusing member types the stage does not take.
    pub fn new(rule: Rule) -> Self {
        Options {
            rule,
            product_name: None,
            candidate_id: DEFAULT_CANDIDATE_ID.to_string(),
            meta: Vec::new(),
            other_stage_types: OtherStageTypes::Refuse,
        }
    }

    /// Names the Stage 3 product.
    pub fn product_name(mut self, name: impl Into<OsString>) -> Self {
        self.product_name = Some(name.into());
        self
    }

    /// Sets the association candidate id.
    pub fn candidate_id(mut self, id: impl Into<String>) -> Self {
        self.candidate_id = id.into();
        self
    }

    /// Sets a meta keyword; a later value for the same key wins.
    pub fn meta(mut self, key: MetaKey, value: impl Into<String>) -> Self {
        self.meta.push((key, value.into()));
        self
    }

    /// Chooses what to do with member types the stage does not take.
    pub fn other_stage_types(mut self, policy: OtherStageTypes) -> Self {
        self.other_stage_types = policy;
        self
    }
}

/// Meta keywords by name, for front ends that read them from text.
impl std::str::FromStr for MetaKey {
    type Err = Error;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        MetaKey::from_name(name).ok_or_else(|| Error::UnknownMetaKey {
            key: name.to_string(),
            closest: closest(name, MetaKey::ALL.map(MetaKey::as_str)),
        })
    }
}

/// A built association and the warnings met on the way.
#[derive(Debug, Clone)]
pub struct Built<'a> {
    /// The association, ready to write.
    pub association: Association<'a>,
    /// What the user should hear about, in the order met.
    pub warnings: Vec<Warning>,
}

/// Builds an association of `members` as `options` describe.
///
/// Science members keep their order. Members of other types follow them, grouped by type in
/// [`ExpType::ATTACHED`] order, then other types, in the order given within a type; in Stage 2
/// every product gets them all.
///
/// # Errors
///
/// When the association would not be valid: no science member, a Stage 3 rule without a product
/// name, a rule's own need unmet (a psf member, two members), a bad or unmet Stage 2 candidate
/// id, or (unless `options` say to warn) a member type that the rule's stage does not take.
///
/// # Examples
///
/// ```
/// use asn_from_list::{build, Body, Member, Options, Rule};
///
/// let members = vec![Member::science("a_rate.fits"), Member::science("b_rate.fits")];
/// let built = build(Options::new(Rule::find("DMSLevel2bBase")?), members)?;
/// let Body::Products(products) = &built.association.body else { unreachable!() };
/// let names: Vec<_> = products.iter().map(|p| p.name().to_owned()).collect();
/// assert_eq!(names, ["a", "b"]);
/// # Ok::<(), asn_from_list::Error>(())
/// ```
pub fn build(options: Options, mut members: Vec<Member<'_>>) -> Result<Built<'_>, Error> {
    let Options {
        rule,
        product_name,
        candidate_id,
        meta: meta_overrides,
        other_stage_types,
    } = options;
    let stage = rule.stage();
    let mut warnings = Vec::new();

    check_types(rule, &members, other_stage_types, &mut warnings)?;

    let mut attached = Vec::new();
    members.retain(|member| {
        let science = member.exptype == ExpType::Science;
        if !science {
            attached.push(*member);
        }
        science
    });
    attached.sort_by_key(|member| member.exptype.rank());
    let science = members;
    if science.is_empty() {
        return Err(Error::NoScience);
    }

    let product_name = match product_name {
        Some(_) if stage != Stage::Three => {
            warnings.push(Warning::ProductNameIgnored { stage });
            None
        }
        name => name,
    };
    let body = body_for(rule, product_name, science, attached, &candidate_id)?;

    let mut meta = default_meta(rule);
    for (key, value) in meta_overrides {
        meta.set(key, Some(value));
    }
    Ok(Built {
        association: Association { meta, body },
        warnings,
    })
}

fn body_for<'a>(
    rule: Rule,
    product_name: Option<OsString>,
    science: Vec<Member<'a>>,
    attached: Vec<Member<'a>>,
    candidate_id: &str,
) -> Result<Body<'a>, Error> {
    match rule.stage() {
        Stage::Bare => Ok(Body::Names(science.iter().map(|m| m.expname).collect())),
        Stage::Two => {
            check_candidate_id(rule, candidate_id, &attached)?;
            Ok(Body::Products(Products {
                naming: Naming::PerExposure,
                science,
                attached,
            }))
        }
        Stage::Three => {
            let name = product_name.ok_or(Error::MissingProductName { rule: rule.name() })?;
            check_needs(rule, science.len() + attached.len(), &attached)?;
            Ok(Body::Products(Products {
                naming: Naming::One(name),
                science,
                attached,
            }))
        }
    }
}

/// Refuses a member type the stage does not take, or counts such types for a warning.
fn check_types(
    rule: Rule,
    members: &[Member<'_>],
    policy: OtherStageTypes,
    warnings: &mut Vec<Warning>,
) -> Result<(), Error> {
    let stage = rule.stage();
    let mut undocumented: Vec<(&str, usize)> = Vec::new();
    for member in members {
        let exptype = member.exptype;
        if stage.takes(exptype) {
            continue;
        }
        if policy == OtherStageTypes::Refuse || stage == Stage::Bare {
            check_type(rule, member)?;
        }
        match undocumented
            .iter_mut()
            .find(|(t, _)| *t == exptype.as_str())
        {
            Some((_, count)) => *count += 1,
            None => undocumented.push((exptype.as_str(), 1)),
        }
    }
    warnings.extend(
        undocumented
            .into_iter()
            .map(|(exptype, count)| Warning::UndocumentedType {
                exptype: exptype.to_string(),
                count,
                stage,
            }),
    );
    Ok(())
}

/// Whether `rule`'s stage takes `member`'s type: the bare rule takes science members only, the
/// other stages their documented types. A type no stage documents passes: it may be one the
/// pipeline reads and this library does not know.
///
/// # Errors
///
/// [`Error::TypedMemberInBareRule`] or [`Error::TypeNotInStage`].
pub fn check_type(rule: Rule, member: &Member<'_>) -> Result<(), Error> {
    let stage = rule.stage();
    let exptype = member.exptype;
    if stage.takes(exptype) {
        return Ok(());
    }
    if stage == Stage::Bare {
        return Err(Error::TypedMemberInBareRule {
            expname: member.expname.to_string_lossy().into_owned(),
            exptype: exptype.to_string(),
        });
    }
    match Stage::of_type(exptype) {
        Some(belongs) => Err(Error::TypeNotInStage {
            expname: member.expname.to_string_lossy().into_owned(),
            exptype: exptype.to_string(),
            belongs,
            rule: rule.name(),
            stage,
        }),
        None => Ok(()),
    }
}

/// Stage 2 checks the candidate id as the reference does: an observation candidate (`o...`) is
/// always valid, a background candidate (`c...`) only with a background member.
fn check_candidate_id(
    rule: Rule,
    candidate_id: &str,
    attached: &[Member<'_>],
) -> Result<(), Error> {
    if candidate_id.starts_with('o') {
        Ok(())
    } else if candidate_id.starts_with('c') {
        let needs_background = rule.background_candidates() == BackgroundCandidates::NeedBackground;
        if !needs_background || attached.iter().any(|m| m.exptype == ExpType::Background) {
            Ok(())
        } else {
            Err(Error::BackgroundCandidate(candidate_id.to_string()))
        }
    } else {
        Err(Error::BadCandidateId(candidate_id.to_string()))
    }
}

fn check_needs(rule: Rule, members: usize, attached: &[Member<'_>]) -> Result<(), Error> {
    match rule.needs() {
        Needs::Nothing => Ok(()),
        Needs::Psf if attached.iter().any(|m| m.exptype == ExpType::Psf) => Ok(()),
        Needs::Psf => Err(Error::MissingPsf { rule: rule.name() }),
        Needs::TwoMembers if members >= 2 => Ok(()),
        Needs::TwoMembers => Err(Error::TooFewMembers {
            rule: rule.name(),
            have: members,
        }),
        Needs::CandidateType => Err(Error::NeedsCandidateType { rule: rule.name() }),
    }
}

/// The meta keywords the reference writes for `rule`, in its order.
fn default_meta(rule: Rule) -> Meta {
    use MetaKey::*;
    let text = |s: &str| Some(s.to_string());
    let mut meta: Meta = [
        (AsnType, text("None")),
        (AsnRule, text(rule.name())),
        (VersionId, None),
        (CodeVersion, text(CODE_VERSION)),
    ]
    .into_iter()
    .collect();
    if rule.stage() == Stage::Bare {
        return meta;
    }
    meta.set(
        DegradedStatus,
        text("No known degraded exposures in association."),
    );
    meta.set(Program, text("noprogram"));
    meta.set(Constraints, text("No constraints"));
    meta.set(AsnId, text("a3001"));
    if rule.stage() == Stage::Three {
        meta.set(Target, text("none"));
    }
    meta.set(AsnPool, text("none"));
    meta
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(name: &str) -> Rule {
        Rule::find(name).unwrap()
    }

    fn typed<'a>(expname: &'a str, exptype: &'static str) -> Member<'a> {
        Member::new(expname, ExpType::parse(exptype))
    }

    fn stage3() -> Options {
        Options::new(rule("DMS_Level3_Base")).product_name("p")
    }

    fn products<'b, 'a>(built: &'b Built<'a>) -> &'b Products<'a> {
        match &built.association.body {
            Body::Products(products) => products,
            Body::Names(_) => panic!("expected products"),
        }
    }

    #[test]
    fn stage3_writes_science_then_attached_types_in_order() {
        let members = vec![
            typed("ref.fits", "psf"),
            typed("bg1.fits", "background"),
            Member::science("a.fits"),
            typed("bg2.fits", "background"),
            Member::science("b.fits"),
        ];
        let built = build(stage3(), members).unwrap();
        let product = products(&built).iter().next().unwrap();
        let names: Vec<&std::ffi::OsStr> = product.members().map(|m| m.expname).collect();
        assert_eq!(
            names,
            ["a.fits", "b.fits", "bg1.fits", "bg2.fits", "ref.fits"]
        );
        assert_eq!(product.name(), "p");
    }

    #[test]
    fn stage3_without_a_product_name_is_an_error() {
        let options = Options::new(rule("DMS_Level3_Base"));
        assert!(matches!(
            build(options, vec![Member::science("a")]),
            Err(Error::MissingProductName { .. })
        ));
    }

    #[test]
    fn an_association_without_science_is_an_error() {
        let members = vec![typed("bg.fits", "background")];
        assert!(matches!(build(stage3(), members), Err(Error::NoScience)));
    }

    #[test]
    fn coronagraphy_needs_a_psf_member() {
        let options = || Options::new(rule("Asn_Lv3NRCCoron")).product_name("p");
        assert!(matches!(
            build(options(), vec![Member::science("a")]),
            Err(Error::MissingPsf { .. })
        ));
        assert!(build(options(), vec![Member::science("a"), typed("r", "psf")]).is_ok());
    }

    #[test]
    fn wavefront_combination_needs_two_members_of_any_type() {
        let options = || Options::new(rule("Asn_Lv3WFSCMB")).product_name("p");
        assert!(matches!(
            build(options(), vec![Member::science("a")]),
            Err(Error::TooFewMembers { have: 1, .. })
        ));
        let two = vec![Member::science("a"), typed("bg", "background")];
        assert!(build(options(), two).is_ok());
    }

    #[test]
    fn stage2_checks_the_candidate_id() {
        let options = |id: &str| Options::new(rule("DMSLevel2bBase")).candidate_id(id);
        let science = || vec![Member::science("a_rate.fits")];
        assert!(build(options("o005"), science()).is_ok());
        assert!(matches!(
            build(options("x12"), science()),
            Err(Error::BadCandidateId(_))
        ));
        assert!(matches!(
            build(options("c1001"), science()),
            Err(Error::BackgroundCandidate(_))
        ));
        let with_background = vec![Member::science("a"), typed("bg", "background")];
        assert!(build(options("c1001"), with_background).is_ok());
        let parallel = Options::new(rule("Asn_Lv2WFSSParallel")).candidate_id("c1000");
        assert!(build(parallel.clone(), science()).is_ok());
        assert!(build(parallel.candidate_id("x12"), science()).is_err());
    }

    #[test]
    fn a_type_of_the_other_stage_is_refused_or_written_with_a_warning() {
        let members = || vec![Member::science("a"), typed("p", "psf")];
        let options = Options::new(rule("DMSLevel2bBase"));
        let err = build(options.clone(), members()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "'p': psf members belong to Stage 3, and DMSLevel2bBase makes a Stage 2 association"
        );
        let built = build(options.other_stage_types(OtherStageTypes::Warn), members()).unwrap();
        assert!(matches!(
            &built.warnings[..],
            [Warning::UndocumentedType { count: 1, .. }]
        ));
    }

    #[test]
    fn the_bare_rule_takes_no_typed_members_whatever_the_policy() {
        let options = Options::new(rule("Association")).other_stage_types(OtherStageTypes::Warn);
        assert!(matches!(
            build(
                options,
                vec![Member::science("a"), typed("bg", "background")]
            ),
            Err(Error::TypedMemberInBareRule { .. })
        ));
    }

    #[test]
    fn meta_overrides_keep_their_place_and_new_keys_go_last() {
        let options = Options::new(rule("DMSLevel2bBase"))
            .meta(MetaKey::Target, "9")
            .meta(MetaKey::AsnType, "spec2");
        let built = build(options, vec![Member::science("a")]).unwrap();
        let meta: Vec<_> = built.association.meta.iter().collect();
        assert_eq!(meta[0], (MetaKey::AsnType, Some("spec2")));
        assert_eq!(meta.last(), Some(&(MetaKey::Target, Some("9"))));
    }
}
