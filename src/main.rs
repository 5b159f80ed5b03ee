//! `asn-from-list`: wires the command line to input, builder and writer, and is the one place
//! that prints errors and picks the exit code (0 success, 1 failure, 2 usage, from clap).

mod cli;

use std::io;
use std::process::ExitCode;

use anyhow::Context;
use asn_from_list::{build, input::Names, writer, Error, Request};
use clap::Parser;

use cli::{Cli, Command, Config};

/// Runs the program; `src/bin/asn_from_list.rs` runs it under the reference's name too.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("asn-from-list: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.into_command()? {
        Command::Build(config) => build_and_write(config),
        Command::ListRules => {
            cli::list_rules(&mut io::stdout().lock()).context("cannot write the rule list")
        }
        Command::Generate(what) => {
            cli::generate(what, &mut io::stdout().lock()).context("cannot write to standard output")
        }
    }
}

fn build_and_write(config: Config) -> anyhow::Result<()> {
    let Config {
        output,
        rule,
        product_name,
        candidate_id,
        sources,
        meta,
        warnings,
    } = config;
    warnings.iter().for_each(|w| warn(w));
    let loaded = sources.load(&mut io::stdin().lock())?;
    let Names {
        members,
        from_command_line,
    } = loaded.members()?;
    let built = build(Request {
        rule,
        product_name,
        candidate_id,
        members,
        from_command_line,
        meta,
    })?;
    built.warnings.iter().for_each(|w| warn(w));
    writer::write(&output, &built.association)?;
    Ok(())
}

fn warn(message: &dyn std::fmt::Display) {
    eprintln!("asn-from-list: warning: {message}");
}

/// A reader that closed standard output early (`| head`) is not an error: stop quietly.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        let io = match cause.downcast_ref::<Error>() {
            Some(Error::WriteStdout(source)) => Some(source),
            _ => cause.downcast_ref::<io::Error>(),
        };
        io.is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}
