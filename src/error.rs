//! The library's diagnostics: errors, which stop a run, and warnings, which do not. One line
//! each, the subject first, in the domain's words: no message names a command-line flag, so a
//! front end adds its own hint (the command line's is `cli::hint`).
//!
//! An error caused by an I/O error does not repeat it in its message: it is the error's
//! [`source`](std::error::Error::source), which a caller prints after it (as `anyhow`'s `{:#}`
//! does: `cannot read 'list.txt': No such file or directory (os error 2)`).

use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::model::{MetaKey, Stage};
use crate::suggest::DidYouMean;

/// Everything that can go wrong while reading names, building or writing an association.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No rule has this name.
    #[error("unknown rule '{name}'{hint}", hint = DidYouMean(closest))]
    UnknownRule {
        /// The name given.
        name: String,
        /// The nearest rule names, nearest first.
        closest: Vec<&'static str>,
    },

    /// No meta keyword has this name.
    #[error("unknown meta keyword '{key}'{hint}; the keywords are {all}", hint = DidYouMean(closest), all = KeyList)]
    UnknownMetaKey {
        /// The key given.
        key: String,
        /// The nearest keys, nearest first.
        closest: Vec<&'static str>,
    },

    /// A Stage 3 rule was asked for without a product name.
    #[error("{rule} makes a Stage 3 association, which needs a product name")]
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
    #[error("candidate id '{0}' is a background candidate, which needs a background member")]
    BackgroundCandidate(String),

    /// A rule that needs a psf member got none.
    #[error("{rule} needs a psf member")]
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

    /// A member type that the rule's stage does not take, asked for where only the stage's own
    /// types are accepted.
    #[error("'{expname}': {exptype} members belong to {belongs}, and {rule} makes a {stage} association")]
    TypeNotInStage {
        /// The member's name.
        expname: String,
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
    #[error(
        "'{expname}': the Association rule lists member names only and takes no {exptype} members"
    )]
    TypedMemberInBareRule {
        /// The member's name.
        expname: String,
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

    /// A list of lines holds a NUL byte, which no file name can.
    #[error("'{path}' line {line}: a NUL byte, which no file name holds; this looks like a list of NUL-separated names", path = .path.display())]
    ListHasNul {
        /// The list's path.
        path: PathBuf,
        /// The 1-based line.
        line: usize,
    },

    /// A list line, or a NUL-separated name, longer than any path can be.
    #[error("'{path}' line {line}: longer than {limit} bytes, which no file path is; is this a list of names?", path = .path.display())]
    ListLineTooLong {
        /// The list's path.
        path: PathBuf,
        /// The 1-based line (or name, in a NUL-separated list).
        line: usize,
        /// The longest path the system takes.
        limit: usize,
    },

    /// A NUL-separated list with an empty name: two NUL bytes in a row.
    #[error("'{path}' name {index}: empty (two NUL bytes in a row)", path = .path.display())]
    ListEmptyName {
        /// The list's path.
        path: PathBuf,
        /// The 1-based position of the empty name.
        index: usize,
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
    #[error("standard input can be read only once as a list")]
    StdinTwice,

    /// A pattern that matches no file.
    #[error("'{0}': no file matches this pattern")]
    NoMatch(String),

    /// A pattern that is not a valid glob.
    #[error("'{pattern}': invalid pattern: {reason}")]
    BadPattern {
        /// The pattern.
        pattern: String,
        /// Why it is invalid.
        reason: String,
    },

    /// The output path is a directory.
    #[error("'{}' is a directory, not a file", .0.display())]
    OutputIsDirectory(PathBuf),

    /// The output path's directory does not exist.
    #[error("cannot write '{path}': directory '{dir}' does not exist", path = .path.display(), dir = .dir.display())]
    OutputDirMissing {
        /// The output path.
        path: PathBuf,
        /// Its directory.
        dir: PathBuf,
    },

    /// The output path holds FITS data: an exposure, which an association must never replace.
    #[error("'{}' holds FITS data (it starts with 'SIMPLE  ='): an exposure, not an association, so it is left as it is", .0.display())]
    OutputIsFits(PathBuf),

    /// The output path is one of the inputs.
    #[error("'{output}' is also an input ('{input}'): writing the association there would destroy it", output = .output.display(), input = .input.display())]
    OutputIsInput {
        /// The output path.
        output: PathBuf,
        /// The input it names.
        input: PathBuf,
    },

    /// The name a file written in place keeps its old content under is taken by something
    /// this tool did not make there.
    #[error("'{}' is in the way: writing in place keeps the old content under that name, and what is there is not such a copy", .0.display())]
    BackupInTheWay(PathBuf),

    /// A symbolic link that the kernel's `fs.protected_symlinks` rule would not follow.
    #[error("'{link}' is a symbolic link in a sticky world-writable folder, owned by user {owner}, who owns neither this process nor the folder; it is not followed, as the kernel's protected_symlinks rule would not", link = .link.display())]
    ProtectedSymlink {
        /// The link.
        link: PathBuf,
        /// The user id of its owner.
        owner: u32,
    },

    /// Writing to standard output failed. A reader that closed the pipe early gives a source
    /// of kind [`io::ErrorKind::BrokenPipe`], which is not worth reporting.
    #[error("cannot write to standard output")]
    WriteStdout(#[source] io::Error),

    /// A folder of associations to be replaced holds something else, which replacing it
    /// would remove; nothing was written.
    #[error("'{}': not an association made from headers, and replacing the folder '{}' would remove it; move it elsewhere or write to another folder", .file.display(), .dir.display())]
    FolderHoldsOther {
        /// What the folder holds.
        file: PathBuf,
        /// The folder.
        dir: PathBuf,
    },

    /// Another process is writing into the folder; nothing was written.
    #[error("'{}': another run (process {pid}) is writing into this folder; wait for it to finish", .dir.display())]
    FolderInUse {
        /// The folder.
        dir: PathBuf,
        /// The other run's process id.
        pid: u32,
    },

    /// The folder a folder of associations goes into cannot be made.
    #[error("cannot make the folder '{}'", .path.display())]
    MakeFolder {
        /// The folder.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },

    /// Writing the output failed; an existing file at the output path is as it was.
    #[error("cannot write '{path}'", path = .path.display())]
    Write {
        /// The output path.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
}

/// Something worth telling the user that does not stop the association from being written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Warning {
    /// A product name was given to a rule that does not use one.
    #[error("the product name is ignored: {}", match .stage {
        Stage::Bare => "the Association rule writes member names only".to_string(),
        stage => format!("{stage} products are named after their exposures"),
    })]
    ProductNameIgnored {
        /// The rule's stage.
        stage: Stage,
    },

    /// A file given both as a science member and as a member of another type (a pattern for
    /// the science names that matches a background too): it is written as both.
    #[error("'{name}' is both a science member and a {exptype} member{}; it is written as both, so it is also a science exposure (in Stage 2, a product of its own)", match .count {
        1 => String::new(),
        n => format!(" ({} more such files)", n - 1),
    })]
    ScienceAndTyped {
        /// The first such file.
        name: String,
        /// Its other type.
        exptype: String,
        /// How many such files.
        count: usize,
    },

    /// Member names with a directory part.
    #[error("{}; the pipeline looks for members beside the association file", match .count {
        1 => format!("member name '{first}' has a directory part"),
        n => format!("{n} member names have a directory part, the first '{first}'"),
    })]
    PathsInNames {
        /// How many.
        count: usize,
        /// The first of them.
        first: String,
    },

    /// Members that exist from the current folder but not from the association's, where the
    /// pipeline looks for them.
    #[error("{} not found from the association's folder, where the pipeline looks ('{tried}'); written relative to that folder, it is '{relative}'", match .count {
        1 => format!("member '{first}' is"),
        n => format!("{n} members, the first '{first}', are"),
    })]
    MemberNotFromAssociation {
        /// How many.
        count: usize,
        /// The first of them, as given.
        first: String,
        /// Where the pipeline will look for it.
        tried: String,
        /// Its path relative to the association's folder.
        relative: String,
    },

    /// Members of a type that the stage does not document.
    #[error("{count} member(s) of type '{exptype}', which {stage} associations do not document; written as given")]
    UndocumentedType {
        /// The type.
        exptype: String,
        /// How many members have it.
        count: usize,
        /// The stage.
        stage: Stage,
    },

    /// A list line that seems to give a member type after spaces instead of a tab.
    #[error("'{path}' line {line}: '{text}' looks like a name and a member type separated by spaces; it is taken as one name; put a tab before the type", path = .path.display())]
    TypeAfterSpaces {
        /// The list's path.
        path: PathBuf,
        /// The 1-based line.
        line: usize,
        /// The line.
        text: String,
    },

    /// A list line whose member type is none the pipeline knows.
    #[error("'{path}' line {line}: unknown member type '{exptype}'{hint}; written as given", path = .path.display(), hint = DidYouMean(closest))]
    UnknownType {
        /// The list's path.
        path: PathBuf,
        /// The 1-based line.
        line: usize,
        /// The type given.
        exptype: String,
        /// The nearest known types, nearest first.
        closest: Vec<&'static str>,
    },

    /// A list line whose name starts or ends with spaces, which are kept as part of it.
    #[error("'{path}' line {line}: the name '{name}' starts or ends with spaces, which are kept as part of it", path = .path.display())]
    SpacesAroundName {
        /// The list's path.
        path: PathBuf,
        /// The 1-based line.
        line: usize,
        /// The name, spaces and all.
        name: String,
    },

    /// A folder that a pattern's walk could not read, skipped as the shell skips it.
    #[error("'{pattern}': cannot read '{path}' ({reason}); skipped", path = .path.display())]
    UnreadableFolder {
        /// The pattern.
        pattern: String,
        /// The folder.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

/// `asn_type, asn_id, ... and code_version`: the meta keywords that can be set.
struct KeyList;

impl fmt::Display for KeyList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys: Vec<&str> = MetaKey::settable().map(MetaKey::as_str).collect();
        let (last, rest) = keys.split_last().expect("there are meta keywords");
        write!(f, "{} and {last}", rest.join(", "))
    }
}

/// An error and each of its causes, one after another: `cannot read 'a.fits': No such file or
/// directory (os error 2)`, as `anyhow`'s `{:#}` shows them.
#[derive(Debug, Clone, Copy)]
pub struct Causes<'a>(pub &'a (dyn std::error::Error + 'static));

impl fmt::Display for Causes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut cause = self.0.source();
        while let Some(e) = cause {
            write!(f, ": {e}")?;
            cause = e.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_follow_the_error() {
        let err = Error::MakeFolder {
            path: "out".into(),
            source: io::Error::new(io::ErrorKind::PermissionDenied, "denied"),
        };
        assert_eq!(
            Causes(&err).to_string(),
            "cannot make the folder 'out': denied"
        );
    }

    #[test]
    fn unknown_rule_lists_the_near_names() {
        let e = Error::UnknownRule {
            name: "Nope".into(),
            closest: vec!["A", "B", "C"],
        };
        assert_eq!(
            e.to_string(),
            "unknown rule 'Nope' (did you mean 'A', 'B' or 'C'?)"
        );
    }

    #[test]
    fn unknown_meta_key_lists_every_settable_key() {
        let e = Error::UnknownMetaKey {
            key: "x".into(),
            closest: vec![],
        };
        assert_eq!(
            e.to_string(),
            "unknown meta keyword 'x'; the keywords are asn_type, version_id, code_version, \
             degraded_status, program, constraints, asn_id, target and asn_pool"
        );
    }
}
