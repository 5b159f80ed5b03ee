//! Exposures from their FITS primary headers, for associations made from the files alone
//! (`--auto`): reading a header ([`read`]) and typing an exposure as the pipeline's own
//! association generator does ([`exposure`]).
//!
//! Headers are read with `fitsrs` (pure Rust, from CDS): no C library to build, and it stops
//! at the end of the primary header, so a file's data is never read.

pub mod exposure;
pub mod naming;
pub mod plan;
pub mod pool;
pub mod read;
pub mod run;
pub mod stage2;
pub mod stage3;

use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::path::Path;
use std::sync::Arc;

pub use exposure::{Exposure, Role};
pub use read::{read_primary_header, Header, Keyword};

use crate::builder::CODE_VERSION;
use crate::model::{Association, Body, ExpType, Member, Meta, MetaKey, Naming, Products};
use crate::paths::MemberPaths;
use plan::Name;

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
    members: Vec<(Arc<OsStr>, ExpType<'static>, Arc<str>)>,
    /// The pool rows of the exposures it holds.
    rows: Vec<usize>,
}

impl Made {
    /// The association, borrowing this one's names.
    pub fn association(&self) -> Association<'_> {
        let (science, attached): (Vec<_>, Vec<_>) = self
            .members
            .iter()
            .map(|(name, exptype, _)| Member::new(&**name, *exptype))
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
    pub fn members(&self) -> impl Iterator<Item = (&OsStr, &ExpType<'static>, &str)> {
        self.members.iter().map(|(n, t, w)| (&**n, t, &**w))
    }

    /// The pool rows of the exposures it holds (members made from them may be renamed).
    pub fn rows(&self) -> &[usize] {
        &self.rows
    }

    /// A meta keyword's value.
    pub fn meta(&self, key: MetaKey) -> Option<&str> {
        self.meta.get(key).flatten()
    }
}

/// How the `constraints` of every association made from headers starts, followed by " by "
/// and who made it: how a folder's own associations are told from anything else in it.
pub const CONSTRAINTS: &str = "made from FITS headers";

/// Whether the file at `path` is an association made from headers, and so one a new run into
/// its folder may replace or remove: a regular file (not a link) named as the generator names
/// associations (`jw*_asn.json`, lower case, no blanks) whose JSON `constraints` starts with
/// [`CONSTRAINTS`], whoever made it. Anything else, an association made another way included, is not.
pub fn made_from_headers(path: &Path) -> bool {
    #[derive(serde::Deserialize)]
    struct Marked {
        constraints: String,
    }
    let named = path
        .file_name()
        .and_then(OsStr::to_str)
        .is_some_and(is_association_name);
    named
        && std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file())
        && std::fs::read(path)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Marked>(&bytes).ok())
            .is_some_and(|m| m.constraints.starts_with(CONSTRAINTS))
}

/// Whether `name` has the form of an association's file name ([`naming::file_name`]):
/// `jw`, then lower-case letters, digits, `-`, `_` and `.`, ending `_asn.json`.
pub fn is_association_name(name: &str) -> bool {
    name.starts_with("jw")
        && name.ends_with("_asn.json")
        && name.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.')
        })
}

/// The pool rows among `names`.
fn rows_of<'a>(names: impl Iterator<Item = &'a Name>) -> Vec<usize> {
    names
        .filter_map(|n| match n {
            Name::Row(i) => Some(*i),
            Name::Derived(_) => None,
        })
        .collect()
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
/// the order made; their `constraints` say they were made from headers by `made_by`.
pub fn associations(
    pool: &[pool::Row],
    stages: Stages,
    dir: &Path,
    cwd: &Path,
    made_by: &str,
) -> Vec<Made> {
    // Each exposure's name, as the associations in `dir` hold it, worked out once.
    let names: Vec<Arc<OsStr>> = pool
        .iter()
        .map(|row| {
            MemberPaths::Relative
                .rewrite(&row.exposure.name, dir, cwd)
                .into()
        })
        .collect();
    // Which of those the generator renames, worked out once: the `*_uncal.*` names.
    let renamed: Vec<bool> = names
        .iter()
        .map(|n| crate::naming::level2_name(n, "").is_some())
        .collect();
    // A member's name: the exposure's, with `uncal` replaced by `suffix` in a `*_uncal.*` name
    // as the generator renames it, or a derived name. `suffix` is asked only for those.
    let name = |n: &Name, suffix: &dyn Fn(usize) -> Option<&'static str>| -> Arc<OsStr> {
        match n {
            Name::Row(i) if renamed[*i] => suffix(*i)
                .and_then(|s| crate::naming::level2_name(&names[*i], s))
                .map_or_else(|| names[*i].clone(), Arc::from),
            Name::Row(i) => names[*i].clone(),
            Name::Derived(derived) => OsStr::new(derived).into(),
        }
    };
    // Members attached for one reason share its text.
    let nothing: Arc<str> = "".into();
    let mut sequence: HashMap<(String, &'static str), usize> = HashMap::new();
    let mut next = |asn_id: &str, asn_type: &'static str| {
        let number = sequence.entry((asn_id.to_string(), asn_type)).or_insert(0);
        *number += 1;
        *number
    };
    let constraints = format!("{CONSTRAINTS} by {made_by}");
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
                (MetaKey::Constraints, text(&constraints)),
                (MetaKey::AsnId, text(asn_id)),
                (MetaKey::Target, Some(target)),
                (MetaKey::AsnPool, text("none")),
            ]
            .into_iter()
            .collect()
        };
    // The two stages are planned side by side.
    let (stage2, stage3) = std::thread::scope(|scope| {
        let stage3 = scope.spawn(|| match stages {
            Stages::Two => Vec::new(),
            _ => stage3::associations(pool),
        });
        let stage2 = match stages {
            Stages::Three => Vec::new(),
            _ => stage2::associations(pool),
        };
        (
            stage2,
            stage3.join().expect("Stage 3 planning does not panic"),
        )
    });
    // Each plan is dropped once made into an association: a run holds one of them at a time.
    let mut made = Vec::with_capacity(stage2.len() + stage3.len());
    for planned in stage2 {
        let row = &pool[planned.science];
        let number = next(&planned.asn_id, planned.asn_type.as_str());
        let base = Path::new(&row.exposure.name)
            .file_name()
            .unwrap_or_default();
        let suffix = |i: usize| Some(pool[i].stage2_suffix(planned.coronagraphy));
        let science = Name::Row(planned.science);
        let members = std::iter::once((name(&science, &suffix), ExpType::Science, nothing.clone()))
            .chain(
                planned
                    .attached
                    .iter()
                    .map(|a| (name(&a.name, &suffix), a.exptype, a.why.clone())),
            )
            .collect();
        made.push(Made {
            product: crate::naming::stage2_product_name(base).into_owned(),
            file_name: naming::file_name(
                &row.program(),
                &planned.asn_id,
                planned.asn_type.as_str(),
                number,
            ),
            keys: None,
            rows: rows_of(
                std::iter::once(&science).chain(planned.attached.iter().map(|a| &a.name)),
            ),
            meta: meta(
                planned.asn_type.as_str(),
                planned.rule,
                row.program(),
                &planned.asn_id,
                planned.target.to_string(),
            ),
            members,
        });
    }
    for planned in stage3 {
        let number = next(&planned.asn_id, planned.asn_type);
        let mut members: Vec<_> = planned
            .members
            .iter()
            .map(|m| {
                (
                    name(&m.name, &|_| m.suffix),
                    ExpType::parse(m.exptype),
                    m.why.clone(),
                )
            })
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
            rows: rows_of(planned.members.iter().map(|m| &m.name)),
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
    made
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_associations_made_from_headers_are_replaceable() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            path
        };
        // As this version writes it for any front end, and as earlier versions wrote it.
        let ours = format!("{{\"asn_type\": \"image2\", \"constraints\": \"{CONSTRAINTS} by x\"}}");
        let earlier = r#"{"constraints": "made from FITS headers by asn-from-list --auto"}"#;
        assert!(made_from_headers(&write(
            "jw01234-o001_image2_00005_asn.json",
            earlier
        )));
        assert!(made_from_headers(&write(
            "jw01234-o001_image2_00001_asn.json",
            &ours
        )));
        // The generator's own, another name, text that is not JSON, a link to ours.
        let theirs = r#"{"constraints": "DMSAttrConstraint({'name': 'program'})"}"#;
        assert!(!made_from_headers(&write(
            "jw01234-o001_image2_00002_asn.json",
            theirs
        )));
        assert!(!made_from_headers(&write("notes_asn.json", &ours)));
        assert!(!made_from_headers(&write(
            "jw01234-o001_image2_00003_asn.json",
            "{"
        )));
        let link = dir.path().join("jw01234-o001_image2_00004_asn.json");
        std::os::unix::fs::symlink("jw01234-o001_image2_00001_asn.json", &link).unwrap();
        assert!(!made_from_headers(&link));
        assert!(!is_association_name("JW01234-o001_image2_00001_asn.json"));
    }
}
