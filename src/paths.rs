//! Member paths as the pipeline resolves them: relative to the association's folder. How a
//! member's path is written ([`MemberPaths`]), and the warning when a member will not be found
//! from there.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

use crate::error::Warning;
use crate::model::Member;

/// How member paths are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MemberPaths {
    /// As given, byte for byte (what the reference writes).
    #[default]
    AsGiven,
    /// Relative to the association's folder, where the pipeline looks (`../img2/a_cal.fits`).
    Relative,
    /// Absolute.
    Absolute,
    /// The file name alone, for associations written beside their members.
    Basename,
}

impl MemberPaths {
    /// `name`, given relative to `cwd` (or absolute), as this policy writes it into an
    /// association in `asn_dir` (relative to `cwd`, or absolute). Paths are worked out as
    /// text: `..` steps back over the folder before it, links are not followed.
    pub fn rewrite(self, name: &OsStr, asn_dir: &Path, cwd: &Path) -> OsString {
        match self {
            MemberPaths::AsGiven => name.to_os_string(),
            MemberPaths::Basename => Path::new(name).file_name().unwrap_or(name).to_os_string(),
            MemberPaths::Absolute => absolute(Path::new(name), cwd).into_os_string(),
            MemberPaths::Relative => {
                let from = absolute(asn_dir, cwd);
                let to = absolute(Path::new(name), cwd);
                relative(&to, &from).into_os_string()
            }
        }
    }
}

/// `path` made absolute against `cwd`, with `.` and `..` worked out as text.
fn absolute(path: &Path, cwd: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in cwd.join(path).components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// The path from folder `from` to `to`, both absolute.
fn relative(to: &Path, from: &Path) -> PathBuf {
    let to: Vec<Component> = to.components().collect();
    let from: Vec<Component> = from.components().collect();
    let common = to.iter().zip(&from).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..from.len() {
        out.push("..");
    }
    for component in &to[common..] {
        out.push(component);
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

/// The warning, if any, about where the pipeline will look for `members` of an association
/// written in `asn_dir` (relative to the current folder): members that exist from here but
/// not from there, or else members whose names have a folder part and are not there.
///
/// Folders are compared by identity (device and inode), so `-o /abs/path/to/here/asn.json` is
/// written beside its members too. Beside them, only names with a folder part are looked up,
/// once each. From another folder, a member is looked up once, and a second time only where
/// the first cannot settle it (a bare name found here, a name with a folder part not found
/// from there).
pub fn member_path_warning(members: &[Member<'_>], asn_dir: &Path) -> Option<Warning> {
    let here = is_current_folder(asn_dir);
    let mut lost: Option<(&Member<'_>, usize)> = None;
    let mut with_dir: Option<(&Member<'_>, usize)> = None;
    for m in members {
        let name = Path::new(m.expname);
        let has_dir = m.expname.as_bytes().contains(&b'/');
        if here && !has_dir {
            continue;
        }
        if here || name.is_absolute() {
            if !name.exists() {
                tally(&mut with_dir, m);
            }
            continue;
        }
        // A bare name that is not here cannot be lost: one lookup settles it.
        if !has_dir && !name.exists() {
            continue;
        }
        if asn_dir.join(name).exists() {
            continue;
        }
        if !has_dir || name.exists() {
            tally(&mut lost, m);
        } else {
            tally(&mut with_dir, m);
        }
    }
    if let Some((first, count)) = lost {
        let cwd = std::env::current_dir().unwrap_or_default();
        let fix = MemberPaths::Relative.rewrite(first.expname, asn_dir, &cwd);
        return Some(Warning::MemberNotFromAssociation {
            count,
            first: first.expname.to_string_lossy().into_owned(),
            tried: asn_dir.join(first.expname).display().to_string(),
            relative: fix.to_string_lossy().into_owned(),
        });
    }
    let (first, count) = with_dir?;
    Some(Warning::PathsInNames {
        count,
        first: first.expname.to_string_lossy().into_owned(),
    })
}

/// Counts `m` in `found`, which keeps the first.
fn tally<'m, 'a>(found: &mut Option<(&'m Member<'a>, usize)>, m: &'m Member<'a>) {
    match found {
        Some((_, n)) => *n += 1,
        None => *found = Some((m, 1)),
    }
}

/// Whether `dir` is the current folder: by its name (`.`, or none), or else by identity.
fn is_current_folder(dir: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    if dir.as_os_str().is_empty() || dir == Path::new(".") {
        return true;
    }
    match (std::fs::metadata(dir), std::fs::metadata(".")) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewrite(policy: MemberPaths, name: &str, asn_dir: &str) -> String {
        policy
            .rewrite(OsStr::new(name), Path::new(asn_dir), Path::new("/work/run"))
            .into_string()
            .unwrap()
    }

    #[test]
    fn relative_paths_start_from_the_association_s_folder() {
        let relative = |name, dir| rewrite(MemberPaths::Relative, name, dir);
        assert_eq!(relative("img2/a_cal.fits", "img3"), "../img2/a_cal.fits");
        assert_eq!(relative("a_cal.fits", "."), "a_cal.fits");
        assert_eq!(relative("a_cal.fits", ""), "a_cal.fits");
        assert_eq!(relative("./x/../a_cal.fits", "out/l3"), "../../a_cal.fits");
        assert_eq!(
            relative("/data/a_cal.fits", "img3"),
            "../../../data/a_cal.fits"
        );
        assert_eq!(relative("img3/a_cal.fits", "img3"), "a_cal.fits");
    }

    #[test]
    fn names_with_a_folder_part_draw_one_warning_that_counts_them() {
        let members = [
            Member::science("dir/a"),
            Member::science("b"),
            Member::science("/c"),
        ];
        assert_eq!(
            member_path_warning(&members, Path::new(".")),
            Some(Warning::PathsInNames {
                count: 2,
                first: "dir/a".into()
            })
        );
        assert_eq!(member_path_warning(&members[1..2], Path::new("")), None);
    }

    #[test]
    fn absolute_and_basename_paths() {
        assert_eq!(
            rewrite(MemberPaths::Absolute, "img2/./a_cal.fits", "img3"),
            "/work/run/img2/a_cal.fits"
        );
        assert_eq!(
            rewrite(MemberPaths::Absolute, "/d/a.fits", "x"),
            "/d/a.fits"
        );
        assert_eq!(
            rewrite(MemberPaths::Basename, "img2/a_cal.fits", "x"),
            "a_cal.fits"
        );
        assert_eq!(
            rewrite(MemberPaths::AsGiven, "./img2//a.fits", "x"),
            "./img2//a.fits"
        );
    }
}
