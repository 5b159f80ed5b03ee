//! The words both stages' plans share: the candidates, what a planned member names, and a
//! planned association, which [`super::associations`] makes into one to write.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::pool::{Row, Suffix};
use crate::model::{AsnType, ExpType};

/// The shared background candidate of the policy (`SPEC.md` §4.2 item 3): every input is in
/// it, besides its own observation's candidate `oNNN`.
pub const SHARED_CANDIDATE: &str = "c1000";

/// A member of a planned association: an exposure of the pool, or a name derived from one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Name {
    /// The pool row at this index.
    Row(usize),
    /// A derived file name (a WFSS direct image's Stage 3 products, a MIRI LRS nod's `_x1d`).
    Derived(Box<str>),
}

/// A member of a planned association.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The exposure, or a name derived from one.
    pub name: Name,
    /// Its `exptype`.
    pub exptype: ExpType<'static>,
    /// Why it is there: one text shared by the members there for one reason.
    pub why: Arc<str>,
    /// The suffix that replaces `uncal` in a `*_uncal.*` name (`rate`, `cal`, `x1d`, ...), as
    /// the generator renames such members; `None` for other names, kept as they are.
    pub suffix: Option<Suffix>,
}

impl Member {
    /// Row `row` of the pool as a member of type `exptype`, its suffix not yet known.
    pub fn row(row: usize, exptype: ExpType<'static>, why: Arc<str>) -> Member {
        Member {
            name: Name::Row(row),
            exptype,
            why,
            suffix: None,
        }
    }

    /// A member named `name`, derived from an exposure: never renamed.
    pub fn derived(name: String, exptype: ExpType<'static>, why: Arc<str>) -> Member {
        Member {
            name: Name::Derived(name.into_boxed_str()),
            exptype,
            why,
            suffix: None,
        }
    }

    /// Gives a `*_uncal.*` exposure the suffix `suffix` says its stage renames it with, unless
    /// the rule that attached it knew the suffix already; any other name keeps none.
    pub fn renamed(mut self, pool: &[Row], suffix: impl Fn(&Row, ExpType<'_>) -> Suffix) -> Member {
        if let Name::Row(i) = self.name {
            self.suffix = pool[i].is_uncal().then(|| {
                self.suffix
                    .unwrap_or_else(|| suffix(&pool[i], self.exptype))
            });
        }
        self
    }
}

/// An association, Stage 2 or Stage 3, planned: everything it is written from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    /// Which pipeline it is for.
    pub asn_type: AsnType,
    /// The rule's name, without the generator's `candidate_` prefix.
    pub rule: &'static str,
    /// The candidate: `oNNN` or [`SHARED_CANDIDATE`].
    pub asn_id: String,
    /// The program, five digits.
    pub program: String,
    /// The `target` meta value.
    pub target: String,
    /// The product's name.
    pub product: OsString,
    /// Stage 3: the keys that made the group, for people to read.
    pub keys: Option<String>,
    /// The members, science first.
    pub members: Vec<Member>,
}

/// A member as pruning compares it: the name, its type and its renaming suffix.
pub(crate) type Membership<'a> = BTreeSet<(&'a Name, ExpType<'static>, Option<Suffix>)>;

impl Planned {
    /// The members as pruning compares them.
    pub(crate) fn membership(&self) -> Membership<'_> {
        self.members
            .iter()
            .map(|m| (&m.name, m.exptype, m.suffix))
            .collect()
    }
}

/// Whether the generator prunes membership `b` in favour of `a` of the same product name
/// (`compare_product_membership`, `jwst/associations/lib/diff.py:375-525`): it calls `b` a
/// subset of `a` when `a` has more members and no member name is in both with different types,
/// whether or not every member of `b` is in `a`. So of two MOS groups of one product name
/// (`{source_id}` stands for the target), the larger wins.
pub(crate) fn outweighs(a: &Membership<'_>, b: &Membership<'_>) -> bool {
    if a.len() <= b.len() {
        return false;
    }
    // A membership names each member once.
    let types: FxHashMap<(&Name, Option<Suffix>), ExpType<'_>> =
        a.iter().map(|(n, t, s)| ((*n, *s), *t)).collect();
    b.iter()
        .all(|(n, t, s)| types.get(&(*n, *s)).is_none_or(|u| u == t))
}

/// What the tests of both stages share: exposures written as words, and the rule tables.
#[cfg(test)]
pub(super) mod tests {
    use super::super::pool::{pool, Row};
    use super::super::read::{Header, Keyword};
    use super::super::{stage2, stage3, Exposure};
    use crate::model::{AsnType, Stage};
    use crate::rules::{Needs, Rule};

    /// The keywords every exposure of the rule tests has.
    pub(in crate::header) const BASE: &str = "PROGRAM=01234 OBSERVTN=001 TARGNAME=A";

    /// The pool of exposures named `names`, each with the keywords given as `KEY=VALUE`
    /// words (`T` and `F` are logicals, digits not led by `0` integers; `~` stands for `_`,
    /// so that names read as words).
    pub(in crate::header) fn rows(exposures: &[(&str, &str)]) -> Vec<Row> {
        let exposures = exposures
            .iter()
            .map(|(name, cards)| {
                let keywords = cards.split_whitespace().map(|card| {
                    let (key, value) = card.split_once('=').unwrap();
                    let value = match value {
                        "T" => Keyword::Logical(true),
                        "F" => Keyword::Logical(false),
                        v if !v.starts_with('0') && v.parse::<i64>().is_ok() => {
                            Keyword::Integer(v.parse().unwrap())
                        }
                        v => Keyword::Text(v.replace('~', "_")),
                    };
                    (key.replace('~', "_"), value)
                });
                Exposure::new(*name, Header::new(*name, keywords))
            })
            .collect();
        pool(exposures).unwrap()
    }

    /// For each rule of a stage, in `rules` order: the exposure `takes` says it takes (its
    /// keywords after [`BASE`]) is taken by exactly the rules `takes` lists, as `takers` finds
    /// them. A failure names the rule.
    pub(in crate::header) fn each_rule_takes(
        rules: impl Iterator<Item = &'static str>,
        takes: &[(&str, &str, &[&str])],
        takers: impl Fn(&Row) -> Vec<&'static str>,
    ) {
        for rule in rules {
            let Some((_, cards, all)) = takes.iter().find(|(name, ..)| *name == rule) else {
                panic!("{rule}: no exposure it takes in TAKES");
            };
            let pool = rows(&[(
                "jw01234001001_02101_00001_x_rate.fits",
                &format!("{BASE} {cards}"),
            )]);
            assert_eq!(
                takers(&pool[0]),
                *all,
                "{rule}: the rules that take {cards}"
            );
        }
    }

    /// Every rule the header mode runs: its name, stage, `asn_type` and needs.
    fn header_rules() -> impl Iterator<Item = (&'static str, Stage, AsnType, Needs)> {
        stage2::RULES
            .iter()
            .map(|r| (r.name, Stage::Two, r.asn_type, Needs::Nothing))
            .chain(
                stage3::RULES
                    .iter()
                    .map(|r| (r.name, Stage::Three, r.asn_type, r.needs)),
            )
    }

    #[test]
    fn each_stage_s_rules_are_in_the_order_of_their_names_as_the_generator_runs_them() {
        for names in [
            stage2::RULES.iter().map(|r| r.name).collect::<Vec<_>>(),
            stage3::RULES.iter().map(|r| r.name).collect(),
        ] {
            for pair in names.windows(2) {
                assert!(pair[0] < pair[1], "{} before {}", pair[0], pair[1]);
            }
        }
    }

    #[test]
    fn every_rule_is_in_the_rule_table_of_its_stage_with_the_same_needs() {
        for (name, stage, asn_type, needs) in header_rules() {
            let known = Rule::find(name).unwrap_or_else(|_| panic!("{name}: not in rules::RULES"));
            assert_eq!(known.stage(), stage, "{name}: its stage in rules::RULES");
            assert_eq!(asn_type.stage(), stage, "{name}: the stage of {asn_type}");
            assert_eq!(known.needs(), needs, "{name}: its needs in rules::RULES");
        }
    }
}
