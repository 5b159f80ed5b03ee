//! `asn-from-list`: wires the command line to input, builder and output, and is the one place
//! that prints messages and picks the exit code (0 success, 1 failure, 2 usage, 128 + N on
//! signal N).

mod argv;
mod cli;
mod dropin;

use std::ffi::OsString;
use std::fmt::Display;
use std::io::{self, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context};
use asn_from_list::check::Report;
use asn_from_list::error::Causes;
use asn_from_list::header::run;
use asn_from_list::input::Names;
use asn_from_list::paths::{self, MemberPaths};
use asn_from_list::{
    build, json::Json, output, yaml::Yaml, Error, Format, Member, Output, Warning,
};
use clap::FromArgMatches;

use cli::{AutoConfig, CheckConfig, Cli, Command, Config};

/// Who makes the associations of `--auto`, as their `constraints` say.
const MADE_BY: &str = "asn-from-list --auto";

/// Runs the program; `src/bin/asn_from_list.rs` runs it under the reference's name too.
pub fn main() -> ExitCode {
    let mut args = std::env::args_os();
    let program = args.next().unwrap_or_default();
    cli::invoked_as(&program);
    let command = cli::command();
    let args = argv::as_argparse_reads(&command, args.collect());
    let parsed = command
        .try_get_matches_from(std::iter::once(program).chain(args))
        .and_then(|matches| Cli::from_arg_matches(&matches));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => return clap_message(&e),
    };
    match run(cli) {
        Ok(code) => code,
        Err(err) if err.is::<clap::Error>() => {
            clap_message(err.downcast_ref::<clap::Error>().expect("checked"))
        }
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            let hint = err
                .chain()
                .find_map(|cause| cause.downcast_ref::<Error>())
                .and_then(cli::hint);
            match hint {
                Some(hint) => say("error", &format_args!("{err:#}; {hint}")),
                None => say("error", &format_args!("{err:#}")),
            }
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.into_command()? {
        Command::Build(config) => build_and_write(*config).map(|()| ExitCode::SUCCESS),
        Command::ListRules => cli::list_rules(&mut stdout()?.lock())
            .context("cannot write the rule list")
            .map(|()| ExitCode::SUCCESS),
        Command::Generate(what) => cli::generate(what, &mut stdout()?.lock())
            .context("cannot write to standard output")
            .map(|()| ExitCode::SUCCESS),
        Command::Check(config) => check(config),
        Command::Auto(config) => auto(config).map(|()| ExitCode::SUCCESS),
        Command::InstallDropin(dir) => install_dropin(&dir).map(|()| ExitCode::SUCCESS),
    }
}

/// `--install-dropin DIR`: writes the script, says what it runs, and warns when a shell would
/// not find it first.
fn install_dropin(dir: &Path) -> anyhow::Result<()> {
    let made = dropin::install(dir)?;
    let mut out = stdout()?;
    writeln!(
        out,
        "wrote {}: it runs {} as {}",
        made.script.display(),
        made.program.display(),
        cli::DROP_IN
    )
    .context("cannot write to standard output")?;
    if !made.on_path {
        say(
            "warning",
            &format_args!("'{}' is not on PATH; add it to use the name", dir.display()),
        );
    }
    if let Some(other) = made.shadowed_by {
        say(
            "warning",
            &format_args!(
                "'{}' comes first on PATH and runs instead; put '{}' before its folder",
                other.display(),
                dir.display()
            ),
        );
    }
    Ok(())
}

/// Makes the associations of the files from their headers, and writes them into the folder,
/// or, dry, shows them.
fn auto(config: AutoConfig) -> anyhow::Result<()> {
    stop_cleanly_on_signals();
    let loaded = config.sources.load(&mut io::stdin().lock())?;
    let files: Vec<OsString> = {
        let Names { members, warnings } = loaded.members()?;
        warnings.iter().for_each(warn);
        let files = members.iter().map(|m| m.expname.to_os_string()).collect();
        forget(members);
        files
    };
    // The lists as read are megabytes at 100,000 names, and the names are copied out.
    drop(loaded);
    // A count on standard error when there are thousands and someone is watching.
    let counter = |done: usize, total: usize| {
        if done == total {
            let _ = writeln!(io::stderr(), "\rreading headers: {total} of {total}");
        } else if done % 500 == 0 {
            let _ = write!(io::stderr(), "\rreading headers: {done} of {total}");
        }
    };
    let options = run::Options {
        stages: config.stages,
        skip_bad: config.skip_bad,
        made_by: MADE_BY,
        progress: (files.len() >= 1000 && io::stderr().is_terminal())
            .then_some(&counter as run::Progress<'_>),
    };
    let run = match run::run(&files, &config.dir, &options) {
        Ok(run) => run,
        Err(err) => {
            let message = err.to_string();
            match err {
                run::RunError::Unusable(bad) => {
                    let them = if bad.len() == 1 { "it" } else { "them" };
                    for file in &bad {
                        say("error", &Causes(&file.error));
                    }
                    bail!("{message}; --skip-bad leaves {them} out");
                }
                run::RunError::Pool { error, skipped } => {
                    skipped.iter().for_each(say_skipped);
                    return Err(error.into());
                }
                other => return Err(other.into()),
            }
        }
    };
    forget(files);
    run.skipped().iter().for_each(say_skipped);
    let unused: Vec<String> = run
        .unused()
        .map(|(file, exp_type)| format!("{} ({})", file.to_string_lossy(), exp_type.to_uppercase()))
        .collect();
    if !unused.is_empty() {
        say(
            "warning",
            &format_args!("in no association: {}", unused.join(", ")),
        );
    }
    if config.dry_run {
        let out = io::BufWriter::new(stdout()?.lock());
        run::write_plan(run.made(), out).context("cannot write to standard output")?;
    } else {
        run::write_folder(&config.dir, run.made())?;
    }
    if io::stderr().is_terminal() {
        let line = summary(run.made().len(), &config.dir, unused.len(), config.dry_run);
        say_line(&line);
    }
    forget(run);
    Ok(())
}

/// Says that a file is left out, and why.
fn say_skipped(file: &run::BadFile) {
    say("warning", &format_args!("{}; skipped", Causes(&file.error)));
}

/// What a run of `--auto` did, in one line: how many associations, where, and how many files
/// are in none.
fn summary(associations: usize, dir: &Path, unused: usize, dry_run: bool) -> String {
    let verb = if dry_run { "would write" } else { "wrote" };
    let plural = |n: usize, one: &str, many: &str| {
        if n == 1 {
            format!("1 {one}")
        } else {
            format!("{n} {many}")
        }
    };
    let none = match unused {
        0 => "every file is in one".to_string(),
        n => format!("{} in none", plural(n, "file is", "files are")),
    };
    format!(
        "{verb} {} into '{}'; {none}",
        plural(associations, "association", "associations"),
        dir.display()
    )
}

/// Leaves what a run built to the operating system, which frees it at exit faster than
/// dropping it piece by piece.
fn forget<T>(value: T) {
    std::mem::forget(value);
}

/// Checks each association and reports what it finds on standard output: exit 1 when there
/// are errors (or, strictly, warnings).
fn check(config: CheckConfig) -> anyhow::Result<ExitCode> {
    let mut report = Report::default();
    for file in &config.files {
        report.check_file(Path::new(file), config.member_files);
    }
    let mut out = stdout()?.lock();
    if config.json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        for line in report.lines() {
            writeln!(out, "{}", escape_controls(&line))?;
        }
    }
    out.flush()?;
    let clean = report.errors() == 0 && report.warnings() == 0;
    if clean && !config.json && io::stderr().is_terminal() {
        let n = report.files();
        let what = if n == 1 {
            "association"
        } else {
            "associations"
        };
        let _ = writeln!(io::stderr(), "{n} {what} checked: no problems found");
    }
    let failed = report.errors() > 0 || (config.strict && report.warnings() > 0);
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn build_and_write(config: Config) -> anyhow::Result<()> {
    let Config {
        member_paths,
        output,
        format,
        options,
        sources,
        warnings,
    } = config;
    stop_cleanly_on_signals();
    warnings.iter().for_each(|w| say("warning", w));
    if output == Output::Stdout {
        stdout()?;
    }
    let lists = sources.lists.clone();
    let loaded = sources.load(&mut io::stdin().lock())?;
    let Names { members, warnings } = loaded.members()?;
    warnings.iter().for_each(warn);
    let inputs = members.iter().map(|m| Path::new(m.expname));
    output::refuse_inputs(&output, inputs, &lists)?;
    let asn_dir = match &output {
        Output::File(path) => output::folder_of(path),
        Output::Stdout => Path::new("."),
    };
    let rewritten: Vec<OsString>;
    let members = if member_paths == MemberPaths::AsGiven {
        members
    } else {
        let cwd = std::env::current_dir().context("cannot tell the current folder")?;
        rewritten = members
            .iter()
            .map(|m| member_paths.rewrite(m.expname, asn_dir, &cwd))
            .collect();
        let types = members.iter().map(|m| m.exptype);
        rewritten
            .iter()
            .zip(types)
            .map(|(n, t)| Member::new(n, t))
            .collect()
    };
    if let Some(warning) = paths::member_path_warning(&members, asn_dir) {
        warn(&warning);
    }
    let built = build(options, members)?;
    built.warnings.iter().for_each(warn);
    let association = &built.association;
    match format {
        Format::Json => output::write(&output, &Json(association))?,
        Format::Yaml => output::write(&output, &Yaml(association))?,
    }
    Ok(())
}

fn warn(warning: &Warning) {
    match cli::warning_hint(warning) {
        Some(hint) => say("warning", &format_args!("{warning}; {hint}")),
        None => say("warning", warning),
    }
}

/// Prints `PROGRAM: KIND: MESSAGE` on standard error, with control characters escaped
/// so that a file name cannot drive the terminal. A standard error that cannot be written
/// loses the message and nothing else.
fn say(kind: &str, message: &dyn Display) {
    let text = escape_controls(&message.to_string());
    let _ = writeln!(io::stderr(), "{}: {kind}: {text}", cli::program());
}

/// Prints `PROGRAM: LINE` on standard error: a report, neither warning nor error.
fn say_line(line: &str) {
    let _ = writeln!(
        io::stderr(),
        "{}: {}",
        cli::program(),
        escape_controls(line)
    );
}

/// `\x1b` for ESC and the like: every control character written so that it shows and does
/// nothing, as fd's `sanitize` does for names it prints.
fn escape_controls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            c if (c as u32) < 0x80 && c.is_control() => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Prints clap's own message: help and version on standard output (a failure to write them is
/// an error, exit 1), usage errors on standard error (exit 2).
fn clap_message(e: &clap::Error) -> ExitCode {
    let styled = e.render();
    if e.use_stderr() {
        let mut err = io::stderr();
        let _ = if err.is_terminal() {
            write!(err, "{}", styled.ansi())
        } else {
            write!(err, "{styled}")
        };
        return ExitCode::from(2);
    }
    let printed = stdout().and_then(|out| {
        let mut out = out.lock();
        if out.is_terminal() {
            write!(out, "{}", styled.ansi())?;
        } else {
            write!(out, "{styled}")?;
        }
        out.flush().map_err(anyhow::Error::from)
    });
    match printed {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            say(
                "error",
                &format_args!("cannot write to standard output: {err:#}"),
            );
            ExitCode::FAILURE
        }
    }
}

/// Standard output, unless the program was started with it closed (`>&-`): the Rust runtime
/// then puts `/dev/null` in its place, where everything written would vanish unreported.
fn stdout() -> anyhow::Result<io::Stdout> {
    if asn_from_list::sys::stdout_was_closed() {
        bail!("standard output is closed; redirect it to a file or a pipe");
    }
    Ok(io::stdout())
}

/// On SIGINT, SIGTERM or SIGHUP: remove any temporary file, let a rename or in-place write
/// under way finish, and exit with 128 + the signal's number, as shells report it.
fn stop_cleanly_on_signals() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
        // Without a handler a signal still stops the run; an unnamed temporary file then
        // vanishes with it, and only a named one (on file systems without them) stays.
        return;
    };
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            let _held = output::abandon_writes();
            std::process::exit(128 + signal);
        }
    });
}

/// A reader that closed standard output early (`| head`) is not an error: stop quietly.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        let io = match cause.downcast_ref::<Error>() {
            Some(Error::WriteStdout(source) | Error::Write { source, .. }) => Some(source),
            _ => cause.downcast_ref::<io::Error>(),
        };
        io.is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_says_how_many_where_and_how_many_in_none() {
        let dir = Path::new("out");
        assert_eq!(
            summary(12, dir, 3, false),
            "wrote 12 associations into 'out'; 3 files are in none"
        );
        assert_eq!(
            summary(1, dir, 1, false),
            "wrote 1 association into 'out'; 1 file is in none"
        );
        assert_eq!(
            summary(2, dir, 0, true),
            "would write 2 associations into 'out'; every file is in one"
        );
    }

    #[test]
    fn control_characters_are_shown_not_obeyed() {
        assert_eq!(escape_controls("a\x1b[2Jb"), "a\\x1b[2Jb");
        assert_eq!(
            escape_controls("line\nbreak\ttab"),
            "line\\x0abreak\\x09tab"
        );
        assert_eq!(escape_controls("\u{9b}é日本"), "\\u{9b}é日本");
    }
}
