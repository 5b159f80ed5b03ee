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
use crate::model::{AsnType, Association, Body, ExpType, Member, MetaKey, Naming, Products};
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
    /// The meta keywords that differ between associations; the others are the same for every
    /// association made from headers and are added when the association is built, so that a
    /// run of 100,000 files does not hold ten strings for each of its associations.
    meta: Identity,
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
            meta: MetaKey::ALL
                .iter()
                .map(|&key| (key, self.meta(key).map(str::to_string)))
                .collect(),
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
        let m = &self.meta;
        match key {
            MetaKey::AsnType => Some(m.asn_type),
            MetaKey::AsnRule => Some(&m.asn_rule),
            MetaKey::VersionId => None,
            MetaKey::CodeVersion => Some(CODE_VERSION),
            MetaKey::DegradedStatus => Some(DEGRADED_STATUS),
            MetaKey::Program => Some(&m.program),
            MetaKey::Constraints => Some(&m.constraints),
            MetaKey::AsnId => Some(&m.asn_id),
            MetaKey::Target => Some(&m.target),
            MetaKey::AsnPool => Some(ASN_POOL),
        }
    }
}

/// What the generator writes as `degraded_status` when no exposure is flagged.
const DEGRADED_STATUS: &str = "No known degraded exposures in association.";
/// The pool an association made from headers names: none, as there is no pool file.
const ASN_POOL: &str = "none";

/// The meta keywords that tell one association made from headers from another, each value
/// shared with every other association that has it (a run has few programs, candidates,
/// targets and rules, and one `constraints`).
#[derive(Debug, Clone)]
struct Identity {
    asn_type: &'static str,
    /// `candidate_` and the rule's name.
    asn_rule: Arc<str>,
    program: Arc<str>,
    constraints: Arc<str>,
    asn_id: Arc<str>,
    target: Arc<str>,
}

/// One shared copy of each distinct text.
#[derive(Default)]
struct Interned(HashMap<String, Arc<str>>);

impl Interned {
    fn get(&mut self, text: &str) -> Arc<str> {
        if let Some(shared) = self.0.get(text) {
            return shared.clone();
        }
        let shared: Arc<str> = text.into();
        self.0.insert(text.to_string(), shared.clone());
        shared
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
    // A member's name: the exposure's, with `uncal` replaced by its suffix in a `*_uncal.*`
    // name as the generator renames it, or a derived name.
    let name = |m: &plan::Member| -> Arc<OsStr> {
        match (&m.name, m.suffix) {
            (Name::Row(i), Some(suffix)) => crate::naming::level2_name(&names[*i], suffix.as_str())
                .map_or_else(|| names[*i].clone(), Arc::from),
            (Name::Row(i), None) => names[*i].clone(),
            (Name::Derived(derived), _) => OsStr::new(&**derived).into(),
        }
    };
    let mut sequence: HashMap<(String, AsnType), usize> = HashMap::new();
    let mut next = |asn_id: &str, asn_type: AsnType| {
        let number = sequence.entry((asn_id.to_string(), asn_type)).or_insert(0);
        *number += 1;
        *number
    };
    let constraints: Arc<str> = format!("{CONSTRAINTS} by {made_by}").into();
    let mut interned = Interned::default();
    let mut meta =
        |asn_type: &'static str, rule: &str, program: &str, asn_id: &str, target: &str| Identity {
            asn_type,
            asn_rule: interned.get(&format!("candidate_{rule}")),
            program: interned.get(program),
            constraints: constraints.clone(),
            asn_id: interned.get(asn_id),
            target: interned.get(target),
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
    // Each plan is dropped once made into an association, and the room the plans take is given
    // back as they go: a run never holds every plan beside every association.
    let mut made = Vec::with_capacity(stage2.len() + stage3.len());
    for mut plans in [stage2, stage3] {
        plans.reverse();
        while let Some(planned) = plans.pop() {
            if plans.len() < plans.capacity() / 2 {
                plans.shrink_to_fit();
            }
            let number = next(&planned.asn_id, planned.asn_type);
            made.push(Made {
                file_name: naming::file_name(
                    &planned.program,
                    &planned.asn_id,
                    planned.asn_type,
                    number,
                ),
                meta: meta(
                    planned.asn_type.as_str(),
                    planned.rule,
                    &planned.program,
                    &planned.asn_id,
                    &planned.target,
                ),
                keys: planned.keys,
                rows: rows_of(planned.members.iter().map(|m| &m.name)),
                members: planned
                    .members
                    .iter()
                    .map(|m| (name(m), m.exptype, m.why.clone()))
                    .collect(),
                product: planned.product,
            });
        }
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
