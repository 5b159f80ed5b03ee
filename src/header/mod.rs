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
    /// The product's name: the science exposure's file name less extension and suffix.
    pub product: OsString,
    meta: Meta,
    science: OsString,
    attached: Vec<(OsString, ExpType<'static>, String)>,
}

impl Made {
    /// The association, borrowing this one's names.
    pub fn association(&self) -> Association<'_> {
        Association {
            meta: self.meta.clone(),
            body: Body::Products(Products {
                naming: Naming::One(self.product.clone()),
                science: vec![Member::science(&self.science)],
                attached: self
                    .attached
                    .iter()
                    .map(|(name, exptype, _)| Member::new(name, *exptype))
                    .collect(),
            }),
        }
    }

    /// Each attached member, its type and why it was attached.
    pub fn attached(&self) -> impl Iterator<Item = (&OsString, &ExpType<'static>, &str)> {
        self.attached.iter().map(|(n, t, w)| (n, t, w.as_str()))
    }

    /// The science member's name.
    pub fn science(&self) -> &OsString {
        &self.science
    }

    /// A meta keyword's value.
    pub fn meta(&self, key: MetaKey) -> Option<&str> {
        self.meta.get(key).flatten()
    }
}

/// The Stage 2 associations of `pool`, their members written relative to `dir` (where they will
/// be written; relative to `cwd`), numbered per candidate and type in pool order.
pub fn stage2_associations(pool: &[pool::Row], dir: &Path, cwd: &Path) -> Vec<Made> {
    // Each exposure's name, as the associations in `dir` hold it, worked out once.
    let names: Vec<OsString> = pool
        .iter()
        .map(|row| MemberPaths::Relative.rewrite(&row.exposure.name, dir, cwd))
        .collect();
    let mut sequence: HashMap<(String, &'static str), usize> = HashMap::new();
    stage2::associations(pool)
        .into_iter()
        .map(|planned| {
            let row = &pool[planned.science];
            let number = sequence
                .entry((planned.asn_id.clone(), planned.asn_type))
                .or_insert(0);
            *number += 1;
            let text = |s: &str| Some(s.to_string());
            let meta: Meta = [
                (MetaKey::AsnType, text(planned.asn_type)),
                (
                    MetaKey::AsnRule,
                    Some(format!("candidate_{}", planned.rule)),
                ),
                (MetaKey::VersionId, None),
                (MetaKey::CodeVersion, text(CODE_VERSION)),
                (
                    MetaKey::DegradedStatus,
                    text("No known degraded exposures in association."),
                ),
                (MetaKey::Program, Some(row.program())),
                (
                    MetaKey::Constraints,
                    text("made from FITS headers by asn-from-list --auto"),
                ),
                (MetaKey::AsnId, Some(planned.asn_id.clone())),
                (MetaKey::Target, Some(row.target.to_string())),
                (MetaKey::AsnPool, text("none")),
            ]
            .into_iter()
            .collect();
            let attached = planned
                .attached
                .iter()
                .map(|a| {
                    let name = match &a.name {
                        Name::Row(i) => names[*i].clone(),
                        Name::Derived(derived) => OsString::from(derived),
                    };
                    (name, ExpType::parse(a.exptype), a.why.clone())
                })
                .collect();
            let base = Path::new(&row.exposure.name)
                .file_name()
                .unwrap_or_default();
            Made {
                product: crate::naming::stage2_product_name(base).into_owned(),
                file_name: naming::file_name(
                    &row.program(),
                    &planned.asn_id,
                    planned.asn_type,
                    *number,
                ),
                meta,
                science: names[planned.science].clone(),
                attached,
            }
        })
        .collect()
}
