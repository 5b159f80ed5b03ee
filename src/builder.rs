//! Builds an association from its members: Stage 2 (one product per science exposure),
//! Stage 3 (one named product) or the bare rule's name list, and checks that it is valid.

use std::fmt;

use crate::error::Error;
use crate::model::{Association, Body, ExpType, Member, Meta, MetaKey, Naming, Products};
use crate::rules::{Needs, Rule, Stage};

/// The `code_version` this library writes: its own version.
pub const CODE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The candidate id used when none is given.
pub const DEFAULT_CANDIDATE_ID: &str = "o999";

/// Everything an association is built from.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// The rule, which decides the stage.
    pub rule: Rule,
    /// The Stage 3 product name (`--product-name`); Stage 2 and the bare rule ignore it.
    pub product_name: Option<String>,
    /// The association candidate id (`--id`), which Stage 2 checks and nothing writes.
    pub candidate_id: String,
    /// The members, in the order given.
    pub members: Vec<Member<'a>>,
    /// How many of `members`, from the first, were named on the command line. A type that the
    /// stage does not take is an error there; further members come from lists, which may use any
    /// type string, and such a type draws a warning.
    pub from_command_line: usize,
    /// Meta keywords to set (`--meta`), in order.
    pub meta: Vec<(MetaKey, String)>,
}

impl<'a> Request<'a> {
    /// A request for `rule` over `members`, all named on the command line, with the default
    /// candidate id and no product name or meta keywords.
    pub fn new(rule: Rule, members: Vec<Member<'a>>) -> Self {
        Request {
            rule,
            product_name: None,
            candidate_id: DEFAULT_CANDIDATE_ID.to_string(),
            from_command_line: members.len(),
            members,
            meta: Vec::new(),
        }
    }
}

/// Something worth telling the user that does not stop the association from being written.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Warning {
    /// A product name was given to a rule that does not use one.
    ProductNameIgnored {
        /// The rule's stage.
        stage: Stage,
    },
    /// Member names with a directory part.
    PathsInNames {
        /// How many.
        count: usize,
        /// The first of them.
        first: String,
    },
    /// Members of a type that the stage does not document.
    UndocumentedType {
        /// The type.
        exptype: String,
        /// How many members have it.
        count: usize,
        /// The stage.
        stage: Stage,
    },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::ProductNameIgnored { stage: Stage::Bare } => f.write_str(
                "--product-name is ignored: the Association rule writes member names only",
            ),
            Warning::ProductNameIgnored { stage } => write!(
                f,
                "--product-name is ignored: {stage} products are named after their exposures"
            ),
            Warning::PathsInNames { count: 1, first } => write!(
                f,
                "member name '{first}' has a directory part; the pipeline looks for members \
                 beside the association file"
            ),
            Warning::PathsInNames { count, first } => write!(
                f,
                "{count} member names have a directory part, the first '{first}'; the pipeline \
                 looks for members beside the association file"
            ),
            Warning::UndocumentedType {
                exptype,
                count,
                stage,
            } => write!(
                f,
                "{count} member(s) of type '{exptype}', which {stage} associations do not \
                 document; written as given"
            ),
        }
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

/// Builds the association `request` describes.
///
/// Science members keep their order. Members of other types follow them, grouped by type in
/// [`ExpType::ATTACHED`] order, then other types, in the order given within a type; in Stage 2
/// every product gets them all.
///
/// # Errors
///
/// When the association would not be valid: no science member, a Stage 3 rule without a product
/// name, a rule's own need unmet (a psf member, two members), a bad or unmet Stage 2 candidate
/// id, or a member type named on the command line that the rule's stage does not take.
///
/// # Examples
///
/// ```
/// use asn_from_list::{build, Body, Member, Request, Rule};
///
/// let members = vec![Member::science("a_rate.fits"), Member::science("b_rate.fits")];
/// let built = build(Request::new(Rule::find("DMSLevel2bBase")?, members))?;
/// let Body::Products(products) = &built.association.body else { unreachable!() };
/// let names: Vec<String> = products.iter().map(|p| p.name().to_string()).collect();
/// assert_eq!(names, ["a", "b"]);
/// # Ok::<(), asn_from_list::Error>(())
/// ```
pub fn build(request: Request<'_>) -> Result<Built<'_>, Error> {
    let Request {
        rule,
        product_name,
        candidate_id,
        mut members,
        from_command_line,
        meta: meta_overrides,
    } = request;
    let stage = rule.stage();
    let mut warnings = Vec::new();

    check_types(rule, &members, from_command_line, &mut warnings)?;
    if let Some(warning) = paths_warning(&members) {
        warnings.push(warning);
    }

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
    product_name: Option<String>,
    science: Vec<Member<'a>>,
    attached: Vec<Member<'a>>,
    candidate_id: &str,
) -> Result<Body<'a>, Error> {
    match rule.stage() {
        Stage::Bare => Ok(Body::Names(science.iter().map(|m| m.expname).collect())),
        Stage::Two => {
            check_candidate_id(candidate_id, &attached)?;
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

/// Refuses a type the stage does not take when the command line asked for it, and counts such
/// types from lists for a warning.
fn check_types(
    rule: Rule,
    members: &[Member<'_>],
    from_command_line: usize,
    warnings: &mut Vec<Warning>,
) -> Result<(), Error> {
    let stage = rule.stage();
    let mut undocumented: Vec<(&str, usize)> = Vec::new();
    for (index, member) in members.iter().enumerate() {
        let exptype = member.exptype;
        if stage.takes(exptype) {
            continue;
        }
        let on_command_line = index < from_command_line;
        let what = || {
            if on_command_line {
                format!("--{}", exptype.as_str().replace('_', "-"))
            } else {
                format!("'{}'", member.expname)
            }
        };
        if stage == Stage::Bare {
            return Err(Error::TypedMemberInBareRule {
                what: what(),
                exptype: exptype.to_string(),
            });
        }
        match Stage::of_type(exptype) {
            Some(belongs) if on_command_line => {
                return Err(Error::TypeNotInStage {
                    what: what(),
                    exptype: exptype.to_string(),
                    belongs,
                    rule: rule.name(),
                    stage,
                })
            }
            _ => match undocumented
                .iter_mut()
                .find(|(t, _)| *t == exptype.as_str())
            {
                Some((_, count)) => *count += 1,
                None => undocumented.push((exptype.as_str(), 1)),
            },
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

fn paths_warning(members: &[Member<'_>]) -> Option<Warning> {
    let mut with_dir = members.iter().filter(|m| m.expname.contains('/'));
    let first = with_dir.next()?;
    Some(Warning::PathsInNames {
        count: 1 + with_dir.count(),
        first: first.expname.to_string(),
    })
}

/// Stage 2 checks the candidate id as the reference does: an observation candidate (`o...`) is
/// always valid, a background candidate (`c...`) only with a background member.
fn check_candidate_id(candidate_id: &str, attached: &[Member<'_>]) -> Result<(), Error> {
    if candidate_id.starts_with('o') {
        Ok(())
    } else if candidate_id.starts_with('c') {
        if attached.iter().any(|m| m.exptype == ExpType::Background) {
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
        Member {
            expname,
            exptype: ExpType::parse(exptype),
        }
    }

    fn stage3(members: Vec<Member<'_>>) -> Request<'_> {
        Request {
            product_name: Some("p".into()),
            ..Request::new(rule("DMS_Level3_Base"), members)
        }
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
        let built = build(stage3(members)).unwrap();
        let product = products(&built).iter().next().unwrap();
        let names: Vec<&str> = product.members().map(|m| m.expname).collect();
        assert_eq!(
            names,
            ["a.fits", "b.fits", "bg1.fits", "bg2.fits", "ref.fits"]
        );
        assert_eq!(product.name(), "p");
    }

    #[test]
    fn stage3_without_a_product_name_is_an_error() {
        let request = Request::new(rule("DMS_Level3_Base"), vec![Member::science("a")]);
        assert!(matches!(
            build(request),
            Err(Error::MissingProductName { .. })
        ));
    }

    #[test]
    fn an_association_without_science_is_an_error() {
        let request = stage3(vec![typed("bg.fits", "background")]);
        assert!(matches!(build(request), Err(Error::NoScience)));
    }

    #[test]
    fn coronagraphy_needs_a_psf_member() {
        let mut request = stage3(vec![Member::science("a")]);
        request.rule = rule("Asn_Lv3NRCCoron");
        assert!(matches!(
            build(request.clone()),
            Err(Error::MissingPsf { .. })
        ));
        request.members.push(typed("r", "psf"));
        request.from_command_line = 2;
        assert!(build(request).is_ok());
    }

    #[test]
    fn wavefront_combination_needs_two_members_of_any_type() {
        let mut request = stage3(vec![Member::science("a")]);
        request.rule = rule("Asn_Lv3WFSCMB");
        assert!(matches!(
            build(request.clone()),
            Err(Error::TooFewMembers { have: 1, .. })
        ));
        request.members.push(typed("bg", "background"));
        assert!(build(request).is_ok());
    }

    #[test]
    fn stage2_checks_the_candidate_id() {
        let request = |id: &str, members| Request {
            candidate_id: id.to_string(),
            ..Request::new(rule("DMSLevel2bBase"), members)
        };
        let science = || vec![Member::science("a_rate.fits")];
        assert!(build(request("o005", science())).is_ok());
        assert!(matches!(
            build(request("x12", science())),
            Err(Error::BadCandidateId(_))
        ));
        assert!(matches!(
            build(request("c1001", science())),
            Err(Error::BackgroundCandidate(_))
        ));
        let with_background = vec![Member::science("a"), typed("bg", "background")];
        assert!(build(request("c1001", with_background)).is_ok());
    }

    #[test]
    fn a_flag_type_of_the_other_stage_is_an_error_but_a_listed_one_warns() {
        let mut request = Request::new(
            rule("DMSLevel2bBase"),
            vec![Member::science("a"), typed("p", "psf")],
        );
        let err = build(request.clone()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "--psf: psf members belong to Stage 3, and DMSLevel2bBase makes a Stage 2 association"
        );
        request.from_command_line = 1;
        let built = build(request).unwrap();
        assert!(matches!(
            &built.warnings[..],
            [Warning::UndocumentedType { count: 1, .. }]
        ));
    }

    #[test]
    fn the_bare_rule_takes_no_typed_members() {
        let request = Request::new(
            rule("Association"),
            vec![Member::science("a"), typed("bg", "background")],
        );
        assert!(matches!(
            build(request),
            Err(Error::TypedMemberInBareRule { .. })
        ));
    }

    #[test]
    fn meta_overrides_keep_their_place_and_new_keys_go_last() {
        let mut request = Request::new(rule("DMSLevel2bBase"), vec![Member::science("a")]);
        request.meta = vec![
            (MetaKey::Target, "9".into()),
            (MetaKey::AsnType, "spec2".into()),
        ];
        let built = build(request).unwrap();
        let meta: Vec<_> = built.association.meta.iter().collect();
        assert_eq!(meta[0], (MetaKey::AsnType, Some("spec2")));
        assert_eq!(meta.last(), Some(&(MetaKey::Target, Some("9"))));
    }

    #[test]
    fn paths_draw_one_warning_that_counts_them() {
        let built = build(stage3(vec![
            Member::science("dir/a"),
            Member::science("b"),
            Member::science("/c"),
        ]))
        .unwrap();
        assert_eq!(
            built.warnings,
            [Warning::PathsInNames {
                count: 2,
                first: "dir/a".into()
            }]
        );
    }
}
