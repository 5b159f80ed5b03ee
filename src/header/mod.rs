//! Exposures from their FITS primary headers, for associations made from the files alone
//! (`--auto`): reading a header ([`read`]) and typing an exposure as the pipeline's own
//! association generator does ([`exposure`]).
//!
//! Headers are read with `fitsrs` (pure Rust, from CDS): no C library to build, and it stops
//! at the end of the primary header, so a file's data is never read.

pub mod exposure;
pub mod naming;
pub mod pool;
pub mod read;
pub mod stage2;
pub mod stage3;

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::Path;

pub use exposure::{Exposure, Role};
pub use read::{read_primary_header, Header, Keyword};

use crate::builder::CODE_VERSION;
use crate::model::{Association, Body, ExpType, Member, Meta, MetaKey, Naming, Products};
use crate::paths::MemberPaths;
use stage2::Name;

/// An association made from headers, owning its member names, ready to be written.
#[derive(Debug, Clone)]
pub struct Made {
    /// The file name the generator would give it.
    pub file_name: String,
    /// The product's name.
    pub product: OsString,
    /// Stage 3: the keys that made the group, for people to read.
    pub keys: Option<String>,
    meta: Meta,
    /// Every member with its type and why it is there; science members first.
    members: Vec<(OsString, ExpType<'static>, String)>,
}

impl Made {
    /// The association, borrowing this one's names.
    pub fn association(&self) -> Association<'_> {
        let (science, attached): (Vec<_>, Vec<_>) = self
            .members
            .iter()
            .map(|(name, exptype, _)| Member::new(name, *exptype))
            .partition(|m| m.exptype == ExpType::Science);
        Association {
            meta: self.meta.clone(),
            body: Body::Products(Products {
                naming: Naming::One(self.product.clone()),
                science,
                attached,
            }),
        }
    }

    /// Each member, its type and why it is there; science members first.
    pub fn members(&self) -> impl Iterator<Item = (&OsString, &ExpType<'static>, &str)> {
        self.members.iter().map(|(n, t, w)| (n, t, w.as_str()))
    }

    /// A meta keyword's value.
    pub fn meta(&self, key: MetaKey) -> Option<&str> {
        self.meta.get(key).flatten()
    }
}

/// Which stages `--auto` makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stages {
    /// Stage 2 and Stage 3.
    Both,
    /// Stage 2 only.
    Two,
    /// Stage 3 only.
    Three,
}

/// The associations of `pool` for `stages`, Stage 2 first, their members written relative to
/// `dir` (where they will be written; relative to `cwd`), numbered per candidate and type in
/// the order made.
pub fn associations(pool: &[pool::Row], stages: Stages, dir: &Path, cwd: &Path) -> Vec<Made> {
    // Each exposure's name, as the associations in `dir` hold it, worked out once.
    let names: Vec<OsString> = pool
        .iter()
        .map(|row| MemberPaths::Relative.rewrite(&row.exposure.name, dir, cwd))
        .collect();
    let name = |n: &Name| match n {
        Name::Row(i) => names[*i].clone(),
        Name::Derived(derived) => OsString::from(derived),
    };
    let mut sequence: HashMap<(String, &'static str), usize> = HashMap::new();
    let mut next = |asn_id: &str, asn_type: &'static str| {
        let number = sequence.entry((asn_id.to_string(), asn_type)).or_insert(0);
        *number += 1;
        *number
    };
    let meta =
        |asn_type: &str, rule: &str, program: String, asn_id: &str, target: String| -> Meta {
            let text = |s: &str| Some(s.to_string());
            [
                (MetaKey::AsnType, text(asn_type)),
                (MetaKey::AsnRule, Some(format!("candidate_{rule}"))),
                (MetaKey::VersionId, None),
                (MetaKey::CodeVersion, text(CODE_VERSION)),
                (
                    MetaKey::DegradedStatus,
                    text("No known degraded exposures in association."),
                ),
                (MetaKey::Program, Some(program)),
                (
                    MetaKey::Constraints,
                    text("made from FITS headers by asn-from-list --auto"),
                ),
                (MetaKey::AsnId, text(asn_id)),
                (MetaKey::Target, Some(target)),
                (MetaKey::AsnPool, text("none")),
            ]
            .into_iter()
            .collect()
        };
    let mut made = Vec::new();
    if stages != Stages::Three {
        for planned in stage2::associations(pool) {
            let row = &pool[planned.science];
            let number = next(&planned.asn_id, planned.asn_type);
            let base = Path::new(&row.exposure.name)
                .file_name()
                .unwrap_or_default();
            let members = std::iter::once((
                names[planned.science].clone(),
                ExpType::Science,
                String::new(),
            ))
            .chain(
                planned
                    .attached
                    .iter()
                    .map(|a| (name(&a.name), ExpType::parse(a.exptype), a.why.clone())),
            )
            .collect();
            made.push(Made {
                product: crate::naming::stage2_product_name(base).into_owned(),
                file_name: naming::file_name(
                    &row.program(),
                    &planned.asn_id,
                    planned.asn_type,
                    number,
                ),
                keys: None,
                meta: meta(
                    planned.asn_type,
                    planned.rule,
                    row.program(),
                    &planned.asn_id,
                    row.target.to_string(),
                ),
                members,
            });
        }
    }
    if stages != Stages::Two {
        for planned in stage3::associations(pool) {
            let number = next(&planned.asn_id, planned.asn_type);
            let mut members: Vec<_> = planned
                .members
                .iter()
                .map(|m| (name(&m.name), ExpType::parse(m.exptype), m.why.clone()))
                .collect();
            // Science first, the rest in the order they joined.
            members.sort_by_key(|(_, t, _)| *t != ExpType::Science);
            made.push(Made {
                product: OsString::from(&planned.product),
                file_name: naming::file_name(
                    &planned.program,
                    &planned.asn_id,
                    planned.asn_type,
                    number,
                ),
                keys: Some(planned.keys.clone()),
                meta: meta(
                    planned.asn_type,
                    planned.rule,
                    planned.program.clone(),
                    &planned.asn_id,
                    planned.target.clone(),
                ),
                members,
            });
        }
    }
    made
}
