//! The library's errors: one line each, the subject first, with the fix where it is known.
//!
//! An error caused by an I/O error does not repeat it in its message: it is the error's
//! [`source`](std::error::Error::source), which a caller prints after it (as `anyhow`'s `{:#}`
//! does: `cannot read 'list.txt': No such file or directory (os error 2)`).

use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::rules::Stage;

/// Everything that can go wrong while reading names, building or writing an association.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No rule has this name.
    #[error("unknown rule '{name}'{hint}; --list-rules lists them all", hint = DidYouMean(closest))]
    UnknownRule {
        /// The name given.
        name: String,
        /// The nearest rule names, nearest first.
        closest: Vec<&'static str>,
    },

    /// No meta keyword has this name.
    #[error("unknown meta keyword '{key}'{hint}; the keywords are asn_type, asn_id, asn_pool, program, target, version_id, constraints, degraded_status and code_version", hint = DidYouMean(closest))]
    UnknownMetaKey {
        /// The key given.
        key: String,
        /// The nearest keys, nearest first.
        closest: Vec<&'static str>,
    },

    /// A Stage 3 rule was asked for without a product name.
    #[error(
        "{rule} makes a Stage 3 association, which needs a product name; add --product-name NAME"
    )]
    MissingProductName {
        /// The rule's name.
        rule: &'static str,
    },

    /// There is no science member.
    #[error("no science member: an association needs at least one science exposure")]
    NoScience,

    /// A Stage 2 candidate id that starts with neither `o` nor `c`.
    #[error("invalid association candidate id '{0}': it must start with 'o' (observation, like o001) or 'c' (background, like c1001)")]
    BadCandidateId(String),

    /// A background candidate without a background member.
    #[error("candidate id '{0}' is a background candidate, which needs a background member; add --background FILE or use an 'o' id")]
    BackgroundCandidate(String),

    /// A rule that needs a psf member got none.
    #[error("{rule} needs a psf member; add --psf FILE")]
    MissingPsf {
        /// The rule's name.
        rule: &'static str,
    },

    /// A rule that needs two members got one.
    #[error("{rule} needs at least two members, and there is {have}")]
    TooFewMembers {
        /// The rule's name.
        rule: &'static str,
        /// How many members there are.
        have: usize,
    },

    /// A rule that needs a candidate type that a list of files cannot give.
    #[error("{rule} is valid only for a candidate type that a list of files cannot give; the reference cannot write it either: use Asn_Lv3Image or DMS_Level3_Base")]
    NeedsCandidateType {
        /// The rule's name.
        rule: &'static str,
    },

    /// A member type asked for on the command line that the rule's stage does not take.
    #[error(
        "{what}: {exptype} members belong to {belongs}, and {rule} makes a {stage} association"
    )]
    TypeNotInStage {
        /// The flag that asked for it.
        what: String,
        /// The member type.
        exptype: String,
        /// The stage that takes such members.
        belongs: Stage,
        /// The rule's name.
        rule: &'static str,
        /// The rule's stage.
        stage: Stage,
    },

    /// A typed member for the bare `Association` rule, which lists names only.
    #[error("{what}: the Association rule lists member names only and takes no {exptype} members")]
    TypedMemberInBareRule {
        /// The flag or list line that asked for it.
        what: String,
        /// The member type.
        exptype: String,
    },

    /// A list file (or standard input) could not be read.
    #[error("cannot read '{path}'", path = .path.display())]
    ReadList {
        /// The list's path (`-` for standard input).
        path: PathBuf,
        /// Why.
        source: io::Error,
    },

    /// A list file is not UTF-8.
    #[error("'{path}' line {line}: not valid UTF-8", path = .path.display())]
    ListNotUtf8 {
        /// The list's path.
        path: PathBuf,
        /// The 1-based line of the first invalid byte.
        line: usize,
    },

    /// A list file holds no names.
    #[error("'{path}': the list has no file names (only blank lines and comments, or nothing)", path = .path.display())]
    EmptyList {
        /// The list's path.
        path: PathBuf,
    },

    /// A list line that cannot be read as `NAME` or `NAME<TAB>EXPTYPE`.
    #[error("'{path}' line {line}: {problem}", path = .path.display())]
    BadListLine {
        /// The list's path.
        path: PathBuf,
        /// The 1-based line.
        line: usize,
        /// What is wrong with it.
        problem: &'static str,
    },

    /// Standard input was named twice as a list.
    #[error("--files-from -: standard input can be read only once")]
    StdinTwice,

    /// A file name that is not UTF-8, which JSON cannot hold.
    #[error(
        "'{0}': file name is not valid UTF-8, which an association cannot hold; rename the file"
    )]
    NameNotUtf8(String),

    /// A pattern that matches no file.
    #[error("'{0}': no file matches this pattern (use --no-glob to take it as a name)")]
    NoMatch(String),

    /// A pattern that is not a valid glob.
    #[error("'{pattern}': invalid pattern: {reason} (use --no-glob to take it as a name)")]
    BadPattern {
        /// The pattern.
        pattern: String,
        /// Why it is invalid.
        reason: String,
    },

    /// A directory could not be read while expanding a pattern.
    #[error("'{pattern}': cannot read '{path}' while expanding the pattern", path = .path.display())]
    PatternRead {
        /// The pattern.
        pattern: String,
        /// The path that could not be read.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },

    /// The output path is a directory.
    #[error("'{}' is a directory; give a file path to -o", .0.display())]
    OutputIsDirectory(PathBuf),

    /// The output path's directory does not exist.
    #[error("cannot write '{path}': directory '{dir}' does not exist", path = .path.display(), dir = .dir.display())]
    OutputDirMissing {
        /// The output path.
        path: PathBuf,
        /// Its directory.
        dir: PathBuf,
    },

    /// Writing to standard output failed. A reader that closed the pipe early gives a source
    /// of kind [`io::ErrorKind::BrokenPipe`], which is not worth reporting.
    #[error("cannot write to standard output")]
    WriteStdout(#[source] io::Error),

    /// Writing the output failed; nothing was written at the output path.
    #[error("cannot write '{path}'", path = .path.display())]
    Write {
        /// The output path.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
}

/// ` (did you mean 'a' or 'b'?)`, or nothing when there is no near name.
struct DidYouMean<'a>(&'a [&'static str]);

impl fmt::Display for DidYouMean<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some((first, rest)) = self.0.split_first() else {
            return Ok(());
        };
        write!(f, " (did you mean '{first}'")?;
        for (i, name) in rest.iter().enumerate() {
            let sep = if i + 1 == rest.len() { " or" } else { "," };
            write!(f, "{sep} '{name}'")?;
        }
        f.write_str("?)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_rule_lists_the_near_names() {
        let e = Error::UnknownRule {
            name: "Nope".into(),
            closest: vec!["A", "B", "C"],
        };
        assert_eq!(
            e.to_string(),
            "unknown rule 'Nope' (did you mean 'A', 'B' or 'C'?); --list-rules lists them all"
        );
        let e = Error::UnknownRule {
            name: "Nope".into(),
            closest: vec![],
        };
        assert_eq!(
            e.to_string(),
            "unknown rule 'Nope'; --list-rules lists them all"
        );
    }
}
