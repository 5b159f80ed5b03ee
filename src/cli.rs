//! The command line: clap's derive struct, whose doc comments are `--help`, its conversion into
//! a clap-free [`Command`], and what is printed from the definition itself (rules, man page,
//! completions).

use std::ffi::OsString;
use std::io::{self, Write};
use std::path::PathBuf;

use anyhow::bail;
use asn_from_list::check::MemberFiles;
use asn_from_list::input::{Separator, Sources};
use asn_from_list::paths::MemberPaths;
use asn_from_list::{
    builder, Error, ExpType, Format, Member, MetaKey, Needs, Options, OtherStageTypes, Output,
    Rule, Stage, Warning,
};
use clap::builder::{PossibleValue, TypedValueParser};
use clap::{CommandFactory, Parser, ValueEnum};

/// The command's name, and the reference's, under which it is installed too.
pub const NAME: &str = "asn-from-list";
/// The reference's name.
pub const DROP_IN: &str = "asn_from_list";

static INVOKED_AS: std::sync::OnceLock<&'static str> = std::sync::OnceLock::new();

/// Notes the name the program was run under (its `argv[0]`): the reference's, or its own.
pub fn invoked_as(arg0: &std::ffi::OsStr) {
    let base = std::path::Path::new(arg0).file_name();
    let name = if base.is_some_and(|b| b == DROP_IN) {
        DROP_IN
    } else {
        NAME
    };
    let _ = INVOKED_AS.set(name);
}

/// The name messages, usage and `--version` use: the one the program was run under.
pub fn program() -> &'static str {
    INVOKED_AS.get().copied().unwrap_or(NAME)
}

/// The command line's definition, named as the program was run.
pub fn command() -> clap::Command {
    Cli::command().name(program()).bin_name(program())
}

/// The examples of `--help` and of the man page: what each does, and the command, one line
/// each (a long command goes on after a `\`, so that no line is wrapped in a terminal).
const EXAMPLES: &[(&str, &[&str])] = &[
    (
        "Stage 3: one product from every calibrated exposure",
        &["asn-from-list -o l3_asn.json --product-name l3_results *_cal.fits"],
    ),
    (
        "Stage 2: one product per exposure, each with a background",
        &[
            "asn-from-list -o l2_asn.json -r DMSLevel2bBase *_rate.fits \\",
            "    --background bg_rate.fits",
        ],
    ),
    (
        "Coronagraphy with a PSF reference, written to standard output",
        &[
            "asn-from-list -o - -r Asn_Lv3NRCCoron --product-name coron \\",
            "    sci_calints.fits --psf ref_calints.fits",
        ],
    ),
    (
        "A hundred thousand names from a list, the image3 pipeline named",
        &[
            "asn-from-list -o mosaic_asn.json --product-name mosaic \\",
            "    --files-from names.txt --meta asn_type=image3",
        ],
    ),
];

/// The examples as `--help` shows them.
fn examples_help() -> String {
    let mut text = String::from("Examples:");
    for (what, lines) in EXAMPLES {
        text += &format!("\n  {what}\n");
        for line in *lines {
            text += &format!("    {line}\n");
        }
    }
    text.trim_end().to_string()
}

/// The modes other than building an association; a flag only building uses is refused beside
/// any of them.
const NOT_BUILDING: [&str; 4] = ["auto", "check", "list_rules", "generate"];

/// Build a JWST association file from a list of exposures.
///
/// A drop-in replacement for the `asn_from_list` command of the jwst package: the same flags
/// and, for the same command line, the same file byte for byte (only `code_version` differs).
/// It adds typed members (--background, --psf, ...), list files, patterns, standard output and
/// meta keywords. On any error it writes nothing and leaves an existing file as it was.
#[derive(Debug, Parser)]
#[command(
    name = "asn-from-list",
    version,
    after_help = examples_help(),
    args_override_self = true,
    infer_long_args = true,
    max_term_width = 100,
    group = clap::ArgGroup::new("mode").args(["auto", "check", "list_rules", "generate"]).multiple(false)
)]
pub struct Cli {
    /// Write the association to PATH ('-' for standard output)
    ///
    /// A regular file is replaced atomically and durably: it holds the old association or the
    /// whole new one, never a part, even after a power cut, and keeps its owner, mode, ACLs and
    /// extended attributes. A file that replacing would change (one with other hard links, a
    /// bind mount, another user's file in a sticky folder) is rewritten in place instead: its
    /// old content is first copied, durably, to .NAME.asn-from-list.bak beside it, and the copy
    /// is removed once the new content is on disk, so after a crash the file is whole or the
    /// copy holds the whole old association (a later run keeps that copy until it has written
    /// the file). In a folder you may not write no copy can be made, and a crash mid-write can
    /// leave a part. Devices, FIFOs and /dev/stdout are written through. A file of FITS data,
    /// or one of the inputs, is never overwritten. On standard output the association is
    /// followed by a newline.
    #[arg(
        conflicts_with_all = ["check", "list_rules", "generate"],
        short = 'o',
        long,
        value_name = "PATH",
        required_unless_present_any = ["list_rules", "generate", "check", "install_dropin", "dry_run"]
    )]
    output_file: Option<OsString>,

    /// Make the associations from the files' FITS headers, into the folder given by -o
    ///
    /// Reads each file's primary header (never its data) and writes the Stage 2 and Stage 3
    /// associations that jwst's own association generator makes for these files, one file
    /// each, into the folder -o names (made if missing). The folder then holds exactly this
    /// run's associations, swapped in whole; one that holds anything else is refused.
    #[arg(long, help_heading = "From headers")]
    auto: bool,

    /// With --auto, print the associations and why each member is in them; write nothing
    ///
    /// -o may be left out; member paths are then shown relative to the current folder.
    #[arg(long, requires = "auto", help_heading = "From headers")]
    dry_run: bool,

    /// With --auto, skip files that cannot be read or lack a needed keyword, with a warning
    #[arg(long, requires = "auto", help_heading = "From headers")]
    skip_bad: bool,

    /// With --auto, make only the associations of this stage (2 or 3)
    #[arg(
        long,
        value_name = "N",
        requires = "auto",
        value_parser = ["2", "3"],
        help_heading = "From headers"
    )]
    stage: Option<String>,

    /// The name of the Stage 3 product
    ///
    /// Stage 3 rules need it. Stage 2 rules name each product after its exposure, and the bare
    /// Association rule writes no products: both ignore it, with a warning.
    #[arg(conflicts_with_all = NOT_BUILDING, long, value_name = "NAME")]
    product_name: Option<OsString>,

    /// The rule to build the association with [default: DMS_Level3_Base]
    ///
    /// DMS_Level3_Base and the Asn_Lv3* rules make Stage 3 associations (one product),
    /// DMSLevel2bBase and the Asn_Lv2* rules Stage 2 (one product per exposure), and
    /// Association a bare list of member names. --list-rules lists every rule.
    #[arg(
        conflicts_with_all = NOT_BUILDING,
        short,
        long,
        value_name = "RULE",
        default_value = Rule::DEFAULT,
        hide_default_value = true,
        hide_possible_values = true,
        value_parser = Completed(|| Rule::all().iter().map(|r| r.name().to_string()).collect())
    )]
    rule: String,

    /// The association candidate id [default: o999]
    ///
    /// Stage 2 checks it: 'o...' is an observation candidate; 'c...' a background candidate,
    /// valid only with a background member. The file does not record it (asn_id stays "a3001",
    /// as in the reference); set that with --meta asn_id=ID.
    #[arg(
        conflicts_with_all = NOT_BUILDING,
        short = 'i',
        long = "id",
        value_name = "ACID",
        default_value = asn_from_list::builder::DEFAULT_CANDIDATE_ID,
        hide_default_value = true
    )]
    id: OsString,

    /// The output format: json (the default) or yaml; with --check, text or json
    ///
    /// YAML is written as the reference writes it (PyYAML's yaml.dump: keys sorted, block
    /// style). jwst deprecates it: the pipeline reads JSON associations. With --check, json
    /// writes the report as JSON, for CI jobs.
    #[arg(
        conflicts_with_all = ["auto", "list_rules", "generate"],
        short = 'f',
        long,
        value_name = "FMT",
        value_parser = Completed(|| ["json", "yaml", "text"].map(String::from).to_vec())
    )]
    format: Option<String>,

    /// Not supported: rule files are Python, which this tool does not run
    ///
    /// Use one of the built-in rules instead (--list-rules).
    #[arg(conflicts_with_all = NOT_BUILDING, long, value_name = "FILE")]
    ruledefs: Vec<PathBuf>,

    /// Add FILE as a background member (repeatable)
    ///
    /// Stage 2 and Stage 3. In Stage 2 every product gets it.
    #[arg(conflicts_with_all = NOT_BUILDING, long, value_name = "FILE", help_heading = "Typed members")]
    background: Vec<OsString>,

    /// Add FILE as an imprint member (Stage 2, repeatable)
    #[arg(conflicts_with_all = NOT_BUILDING, long, value_name = "FILE", help_heading = "Typed members")]
    imprint: Vec<OsString>,

    /// Add FILE as a psf member (Stage 3, repeatable)
    ///
    /// Coronagraphy (Asn_Lv3NRCCoron, Asn_Lv3MIRCoron) and AMI (Asn_Lv3AMI) need one.
    #[arg(conflicts_with_all = NOT_BUILDING, long, value_name = "FILE", help_heading = "Typed members")]
    psf: Vec<OsString>,

    /// Add FILE as a sourcecat member (Stage 2, repeatable)
    #[arg(conflicts_with_all = NOT_BUILDING, long, value_name = "FILE", help_heading = "Typed members")]
    sourcecat: Vec<OsString>,

    /// Add FILE as a segmap member (Stage 2, repeatable)
    #[arg(conflicts_with_all = NOT_BUILDING, long, value_name = "FILE", help_heading = "Typed members")]
    segmap: Vec<OsString>,

    /// Add FILE as a direct_image member (Stage 2, repeatable)
    #[arg(conflicts_with_all = NOT_BUILDING, long, value_name = "FILE", help_heading = "Typed members")]
    direct_image: Vec<OsString>,

    /// Add FILE as a selfcal member (Stage 2, repeatable)
    ///
    /// calwebb_spec2's bad-pixel self-calibration reads them.
    #[arg(conflicts_with_all = NOT_BUILDING, long, value_name = "FILE", help_heading = "Typed members")]
    selfcal: Vec<OsString>,

    /// Add FILE as a target_acquisition member (Stage 2, repeatable)
    ///
    /// calwebb_spec2 reads them for MIRI LRS.
    #[arg(conflicts_with_all = NOT_BUILDING, long, value_name = "FILE", help_heading = "Typed members")]
    target_acquisition: Vec<OsString>,

    /// How member paths are written: as-given, relative, absolute or basename
    ///
    /// The pipeline looks for members relative to the association's folder. as-given (the
    /// default) writes them as the reference does; relative writes each relative to the
    /// association's folder (-o img3/l3.json img2/a_cal.fits gives ../img2/a_cal.fits);
    /// absolute and basename write what they say.
    #[arg(
        conflicts_with_all = NOT_BUILDING,
        long,
        value_name = "HOW",
        default_value = "as-given",
        hide_default_value = true,
        hide_possible_values = true,
        value_parser = Completed(|| ["as-given", "relative", "absolute", "basename"].map(String::from).to_vec())
    )]
    member_paths: String,

    /// Read member names from LIST, one a line ('-' for standard input; repeatable)
    ///
    /// Blank lines and lines starting with '#' are skipped. A line may give the member's type
    /// after a tab, as in 'ref_cal.fits<TAB>psf'. Names given as arguments come first, then each
    /// list's names in order.
    #[arg(conflicts_with_all = ["check", "list_rules", "generate"], long, value_name = "LIST", help_heading = "Input")]
    files_from: Vec<PathBuf>,

    /// Names in the lists are separated by NUL bytes, not lines
    ///
    /// As `find -print0` writes them: each name is taken as it is, with no comments, types or
    /// line ends. Without it, a NUL byte in a list is an error.
    #[arg(conflicts_with_all = ["check", "list_rules", "generate"], long, help_heading = "Input")]
    null: bool,

    /// Take every name literally, never as a pattern
    ///
    /// Without it, an argument that names no existing file and holds '*', '?' or '[' is
    /// expanded, sorted, as the shell would; a pattern that matches nothing is an error.
    #[arg(conflicts_with_all = ["auto", "check", "list_rules", "generate"], long, help_heading = "Input")]
    no_glob: bool,

    /// Set a meta keyword to a string (repeatable)
    #[arg(
        conflicts_with_all = NOT_BUILDING,
        long,
        value_name = "KEY=VALUE",
        long_help = meta_help(),
        hide_possible_values = true,
        value_parser = Completed(|| MetaKey::settable().map(|k| format!("{k}=")).collect())
    )]
    meta: Vec<String>,

    /// Check the associations FILES as the pipeline will read them, then exit
    ///
    /// Reports every problem that would stop or mislead a run, one line each (FILE: error:
    /// ... or FILE: warning: ...), with the product and member and the fix. Exits 1 if there
    /// are errors. --format json writes the report as JSON.
    #[arg(long, help_heading = "Checking")]
    check: bool,

    /// With --check, warnings count as errors
    #[arg(long, requires = "check", help_heading = "Checking")]
    strict: bool,

    /// With --check, do not look for the member files
    ///
    /// For associations made elsewhere, or for files not there yet.
    #[arg(long, requires = "check", help_heading = "Checking")]
    no_files: bool,

    /// List every rule with its stage and what it needs, then exit
    #[arg(long)]
    list_rules: bool,

    /// Print a man page or shell completions, then exit
    #[arg(long, value_name = "WHAT")]
    generate: Option<Generate>,

    /// Write DIR/asn_from_list, a script that runs this tool under jwst's name, then exit
    ///
    /// For scripts written for jwst's asn_from_list. Installing this package never puts that
    /// name in an environment, where it would replace jwst's own script (and an uninstall of
    /// either would delete the other's); a script in a folder you name belongs to neither
    /// package. It is never written over anything already there. Where DIR comes before jwst's
    /// folder on PATH, asn_from_list runs this tool; remove the script to undo it.
    #[arg(long, value_name = "DIR", value_hint = clap::ValueHint::DirPath)]
    install_dropin: Option<PathBuf>,

    /// The exposures: file names or patterns, as science members (with --check: associations)
    #[arg(
        conflicts_with_all = ["list_rules", "generate"],
        value_name = "FILES",
        required_unless_present_any = ["files_from", "list_rules", "generate", "install_dropin"]
    )]
    files: Vec<OsString>,
}

/// What `--generate` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Generate {
    /// A roff man page
    Man,
    /// Completions for bash
    CompleteBash,
    /// Completions for zsh
    CompleteZsh,
    /// Completions for fish
    CompleteFish,
    /// Completions for PowerShell
    CompletePowershell,
}

/// What the command line asks for.
#[derive(Debug)]
pub enum Command {
    /// Build an association and write it.
    Build(Box<Config>),
    /// Print the rule table.
    ListRules,
    /// Print a man page or completions.
    Generate(Generate),
    /// Check associations.
    Check(CheckConfig),
    /// Make associations from headers.
    Auto(AutoConfig),
    /// Write the drop-in script into a folder.
    InstallDropin(PathBuf),
}

/// What `--auto` is asked.
#[derive(Debug)]
pub struct AutoConfig {
    pub dir: PathBuf,
    /// The exposures: arguments, patterns and list files.
    pub sources: Sources,
    pub dry_run: bool,
    pub skip_bad: bool,
    pub stages: asn_from_list::header::Stages,
}

/// What `--check` is asked.
#[derive(Debug)]
pub struct CheckConfig {
    pub files: Vec<OsString>,
    pub json: bool,
    pub strict: bool,
    pub member_files: MemberFiles,
}

/// Everything needed to build and write an association, free of clap.
#[derive(Debug)]
pub struct Config {
    pub member_paths: MemberPaths,
    pub output: Output,
    pub format: Format,
    pub options: Options,
    pub sources: Sources,
    /// Warnings about the command line itself.
    pub warnings: Vec<&'static str>,
}

impl Cli {
    /// What the command line asks for.
    ///
    /// # Errors
    ///
    /// `--ruledefs`, which this tool cannot honour.
    pub fn into_command(self) -> anyhow::Result<Command> {
        if let Some(dir) = self.install_dropin {
            return Ok(Command::InstallDropin(dir));
        }
        if let Some(what) = self.generate {
            return Ok(Command::Generate(what));
        }
        if self.list_rules {
            return Ok(Command::ListRules);
        }
        if self.auto {
            let dir =
                match self.output_file {
                    Some(dir) if dir == "-" => return Err(usage_error(
                        "invalid value '-' for '--output-file <PATH>': --auto writes a folder of \
                         associations, never standard output; --dry-run prints them"
                            .into(),
                    )),
                    Some(dir) => PathBuf::from(dir),
                    // clap requires -o with --auto unless it is --dry-run, which shows members
                    // relative to here.
                    None => PathBuf::from("."),
                };
            let args = self.files.into_iter().map(|f| (ExpType::Science, f));
            return Ok(Command::Auto(AutoConfig {
                dir,
                sources: sources(args.collect(), self.files_from, self.null, self.no_glob),
                dry_run: self.dry_run,
                skip_bad: self.skip_bad,
                stages: match self.stage.as_deref() {
                    Some("2") => asn_from_list::header::Stages::Two,
                    Some("3") => asn_from_list::header::Stages::Three,
                    _ => asn_from_list::header::Stages::Both,
                },
            }));
        }
        if self.check {
            let json = match self.format.as_deref() {
                None | Some("text") => false,
                Some("json") => true,
                Some(other) => {
                    return Err(usage_error(format!(
                        "invalid value '{other}' for '--format <FMT>': with --check the formats \
                         are text and json"
                    )))
                }
            };
            return Ok(Command::Check(CheckConfig {
                files: self.files,
                json,
                strict: self.strict,
                member_files: if self.no_files {
                    MemberFiles::Skip
                } else {
                    MemberFiles::Check
                },
            }));
        }
        if let Some(file) = self.ruledefs.first() {
            bail!(
                "--ruledefs '{}': rule files are Python, which this tool cannot load; \
                 use a built-in rule (--list-rules lists them)",
                file.display()
            );
        }
        // Values are checked here, not by clap, so that a repeated option's last value wins
        // even when an earlier one is invalid, as in argparse.
        let rule = Rule::find(&self.rule).map_err(|e| {
            usage_error(format!(
                "invalid value '{}' for '--rule <RULE>': {e}; --list-rules lists them all",
                self.rule
            ))
        })?;
        let mut warnings = Vec::new();
        let format = match &self.format {
            None => Format::Json,
            Some(name) => {
                let format = name.parse().map_err(|_| {
                    usage_error(format!(
                        "invalid value '{name}' for '--format <FMT>': the formats are json and yaml"
                    ))
                })?;
                warnings.push(match format {
                    Format::Json => "-f/--format is deprecated upstream; JSON is the default",
                    Format::Yaml => {
                        "YAML associations are deprecated upstream: the pipeline reads JSON"
                    }
                });
                format
            }
        };
        let meta = self
            .meta
            .iter()
            .map(|arg| {
                parse_meta(arg).map_err(|e| {
                    usage_error(format!(
                        "invalid value '{arg}' for '--meta <KEY=VALUE>': {e}"
                    ))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let typed = [
            (ExpType::Background, self.background),
            (ExpType::Imprint, self.imprint),
            (ExpType::Psf, self.psf),
            (ExpType::Sourcecat, self.sourcecat),
            (ExpType::Segmap, self.segmap),
            (ExpType::DirectImage, self.direct_image),
            (ExpType::Selfcal, self.selfcal),
            (ExpType::TargetAcquisition, self.target_acquisition),
        ];
        // A type chosen by a flag must suit the rule; a list may hold any type, with a warning.
        for (exptype, names) in &typed {
            if let Some(name) = names.first() {
                builder::check_type(rule, &Member::new(name, *exptype))?;
            }
        }
        let science = self.files.into_iter().map(|name| (ExpType::Science, name));
        let args = science
            .chain(
                typed
                    .into_iter()
                    .flat_map(|(exptype, names)| names.into_iter().map(move |n| (exptype, n))),
            )
            .collect();
        let mut options = Options::new(rule)
            // Only checked, never written: a name that is not UTF-8 is checked as the
            // reference checks it, by its first character.
            .candidate_id(self.id.to_string_lossy())
            .other_stage_types(OtherStageTypes::Warn);
        options.product_name = self.product_name;
        options.meta = meta;
        let sources = sources(args, self.files_from, self.null, self.no_glob);
        let member_paths = match self.member_paths.as_str() {
            "as-given" => MemberPaths::AsGiven,
            "relative" => MemberPaths::Relative,
            "absolute" => MemberPaths::Absolute,
            "basename" => MemberPaths::Basename,
            other => {
                return Err(usage_error(format!(
                    "invalid value '{other}' for '--member-paths <HOW>': it is as-given, \
                     relative, absolute or basename"
                )))
            }
        };
        Ok(Command::Build(Box::new(Config {
            member_paths,
            // clap requires -o whenever it builds an association.
            output: Output::from_arg(self.output_file.unwrap_or_default()),
            format,
            options,
            sources,
            warnings,
        })))
    }
}

/// Where the names come from: arguments (with their types) and list files.
fn sources(
    args: Vec<(ExpType<'static>, OsString)>,
    lists: Vec<PathBuf>,
    null: bool,
    no_glob: bool,
) -> Sources {
    let mut sources = Sources::default();
    sources.args = args;
    sources.lists = lists;
    sources.separator = if null {
        Separator::Nul
    } else {
        Separator::Lines
    };
    sources.glob = !no_glob;
    sources
}

/// A usage error (exit 2), as clap reports its own.
fn usage_error(message: String) -> anyhow::Error {
    command()
        .error(clap::error::ErrorKind::InvalidValue, message)
        .into()
}

/// The command line's own advice for a library warning.
pub fn warning_hint(warning: &Warning) -> Option<&'static str> {
    match warning {
        Warning::ProductNameIgnored { .. } => Some("drop --product-name"),
        Warning::ScienceAndTyped { .. } => Some(
            "leave it out of the science names: give a narrower pattern, or the names themselves",
        ),
        _ => None,
    }
}

/// The command line's own advice for a library error: the flag that fixes it.
pub fn hint(err: &Error) -> Option<String> {
    let flag = |exptype: &str| format!("--{}", exptype.replace('_', "-"));
    Some(match err {
        Error::UnknownRule { .. } => "--list-rules lists them all".into(),
        Error::MissingProductName { .. } => "add --product-name NAME".into(),
        Error::BackgroundCandidate(_) => "add --background FILE or use an 'o' id".into(),
        Error::MissingPsf { .. } => "add --psf FILE".into(),
        Error::TypeNotInStage {
            exptype, belongs, ..
        } => format!("drop {}, or choose a {belongs} rule with -r", flag(exptype)),
        Error::TypedMemberInBareRule { .. } => {
            "choose a Stage 2 or Stage 3 rule with -r to write typed members".into()
        }
        Error::NoMatch(_) | Error::BadPattern { .. } => "use --no-glob to take it as a name".into(),
        Error::ListHasNul { .. } => "read a list of NUL-separated names with --null".into(),
        Error::StdinTwice => "give --files-from - once".into(),
        Error::OutputIsDirectory(_) => "give -o a file path".into(),
        Error::OutputIsFits(_) => {
            "was it meant as an input? -o takes the association's path, as in -o asn.json".into()
        }
        Error::OutputIsInput { .. } => "give -o another path".into(),
        Error::BackupInTheWay(_) => "move it away".into(),
        _ => return None,
    })
}

/// Prints the rule table: each rule, its stage, and what it needs beyond a science member.
///
/// # Errors
///
/// Any error of `out`.
pub fn list_rules(out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{:<26} {:<8} NEEDS", "RULE", "STAGE")?;
    for rule in Rule::all() {
        let stage = match rule.stage() {
            Stage::Two => "2",
            Stage::Three => "3",
            Stage::Bare => "bare",
        };
        let needs = match rule.needs() {
            Needs::Nothing => "",
            Needs::Psf => "a psf member",
            Needs::TwoMembers => "two members",
            Needs::CandidateType => "a candidate type a list cannot give (always refused)",
        };
        writeln!(out, "{:<26} {:<8} {needs}", rule.name(), stage)?;
    }
    out.flush()
}

/// Prints a man page or a shell's completions for this command line.
///
/// # Errors
///
/// Any error of `out`.
pub fn generate(what: Generate, out: &mut dyn Write) -> io::Result<()> {
    use clap_complete::Shell;
    let shell = match what {
        Generate::Man => return man_page(out),
        Generate::CompleteBash => Shell::Bash,
        Generate::CompleteZsh => Shell::Zsh,
        Generate::CompleteFish => Shell::Fish,
        Generate::CompletePowershell => Shell::PowerShell,
    };
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), NAME, &mut script);
    let script = String::from_utf8(script).expect("completions are text");
    out.write_all(for_both_names(shell, &script).as_bytes())?;
    out.flush()
}

/// The completion script, made for `asn-from-list`, made to serve the drop-in name too.
fn for_both_names(shell: clap_complete::Shell, script: &str) -> String {
    use clap_complete::Shell;
    match shell {
        // `complete -F _asn__from__list ... asn-from-list`: the same function for both.
        // `--meta`'s values are `KEY=`, to be followed by the value: no space after them.
        Shell::Bash => script
            .lines()
            .map(|line| {
                if line.trim_start().starts_with("complete ") && line.ends_with(NAME) {
                    format!("{line} {DROP_IN}\n")
                } else if line.contains(&format!("compgen -W \"{}=", MetaKey::AsnType)) {
                    let indent = &line[..line.len() - line.trim_start().len()];
                    format!("{indent}compopt -o nospace 2>/dev/null\n{line}\n")
                } else {
                    format!("{line}\n")
                }
            })
            .collect(),
        // `#compdef` names every command the function completes.
        Shell::Zsh => script.replacen(
            &format!("#compdef {NAME}"),
            &format!("#compdef {NAME} {DROP_IN}"),
            1,
        ),
        Shell::Fish => {
            let again = script.replace(
                &format!("complete -c {NAME} "),
                &format!("complete -c {DROP_IN} "),
            );
            format!("{script}{again}")
        }
        Shell::PowerShell => script.replace(
            &format!("-CommandName '{NAME}'"),
            &format!("-CommandName '{NAME}', '{DROP_IN}'"),
        ),
        _ => script.to_string(),
    }
}

/// The man page: clap's sections, with the examples in an EXAMPLES section of their own.
fn man_page(out: &mut dyn Write) -> io::Result<()> {
    let command = Cli::command().after_help("");
    let man = clap_mangen::Man::new(command);
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    man.render_options_section(out)?;
    writeln!(out, ".SH EXAMPLES")?;
    for (what, lines) in EXAMPLES {
        writeln!(out, ".PP\n{}\n.PP\n.RS 4\n.nf", roff_text(what))?;
        for line in *lines {
            writeln!(out, "{}", roff_text(line))?;
        }
        writeln!(out, ".fi\n.RE")?;
    }
    man.render_version_section(out)?;
    out.flush()
}

/// Text as roff shows it: backslashes doubled, a leading dot or quote kept from being a request.
fn roff_text(text: &str) -> String {
    let text = text.replace('\\', "\\e").replace('-', "\\-");
    if text.starts_with(['.', '\'']) {
        format!("\\&{text}")
    } else {
        text
    }
}

/// A value taken as it is, and checked after parsing, so that a repeated option's last value
/// wins as in argparse; its known values are what shells complete.
#[derive(Clone, Copy)]
struct Completed(fn() -> Vec<String>);

impl TypedValueParser for Completed {
    type Value = String;

    fn parse_ref(
        &self,
        command: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        clap::builder::StringValueParser::new().parse_ref(command, arg, value)
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new((self.0)().into_iter().map(PossibleValue::new)))
    }
}

/// The long help of --meta, with the keys the library takes.
fn meta_help() -> String {
    let keys: Vec<&str> = MetaKey::settable().map(MetaKey::as_str).collect();
    let (last, rest) = keys.split_last().expect("there are meta keywords");
    format!(
        "Set a meta keyword to a string (repeatable)\n\nKEY is one of {} and {last}. A keyword \
         the rule writes keeps its place; another goes just before the products.",
        rest.join(", ")
    )
}

fn parse_meta(arg: &str) -> Result<(MetaKey, String), String> {
    let Some((key, value)) = arg.split_once('=') else {
        return Err("expected KEY=VALUE, as in asn_type=image3".to_string());
    };
    match key.parse::<MetaKey>() {
        Ok(MetaKey::AsnRule) => Err("asn_rule is the rule's name: choose it with --rule".into()),
        Ok(_) if value.is_empty() => Err(format!(
            "the value is empty; give one, as in {key}=VALUE, or leave --meta {key} out"
        )),
        Ok(key) => Ok((key, value.to_string())),
        Err(e) => Err(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_example_pastes_as_a_command_line_that_parses() {
        for (what, lines) in EXAMPLES {
            let joined = lines.join("\n").replace("\\\n", " ");
            let words: Vec<&str> = joined.split_whitespace().collect();
            assert_eq!(words[0], NAME, "{what}");
            Cli::try_parse_from(&words).unwrap_or_else(|e| panic!("{what}: {e}"));
        }
    }

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("asn-from-list").chain(args.iter().copied()))
    }

    #[test]
    fn a_repeated_option_takes_the_last_value() {
        let cli = parse(&[
            "-o",
            "a.json",
            "-o",
            "b.json",
            "--product-name=x",
            "-rAsn_Lv3Image",
            "f",
        ])
        .unwrap();
        assert_eq!(cli.output_file, Some(OsString::from("b.json")));
        assert_eq!(cli.rule, "Asn_Lv3Image");
    }

    #[test]
    fn typed_flags_repeat_and_files_interleave() {
        let cli = parse(&[
            "--background",
            "b1",
            "f1",
            "--background",
            "b2",
            "-o",
            "x",
            "f2",
        ])
        .unwrap();
        assert_eq!(cli.background, ["b1", "b2"]);
        assert_eq!(cli.files, ["f1", "f2"]);
    }

    #[test]
    fn meta_needs_a_known_key_and_an_equals_sign() {
        assert!(parse_meta("asn_type=image3").is_ok());
        assert!(parse_meta("asn_type").unwrap_err().contains("KEY=VALUE"));
        assert!(parse_meta("asn_typ=x")
            .unwrap_err()
            .contains("did you mean 'asn_type'"));
        assert!(parse_meta("asn_rule=x").unwrap_err().contains("--rule"));
        assert_eq!(parse_meta("program=a=b").unwrap().1, "a=b");
        assert!(parse_meta("program=").unwrap_err().contains("empty"));
    }

    #[test]
    fn list_rules_needs_no_output_or_files() {
        assert!(parse(&["--list-rules"]).is_ok());
        assert!(parse(&["-o", "x.json"]).is_err());
        assert!(parse(&["-o", "x.json", "--files-from", "l.txt"]).is_ok());
    }
}
