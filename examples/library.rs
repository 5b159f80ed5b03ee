//! Builds a Stage 2 spectroscopy association with the library and prints it as the reference
//! would write it.
//!
//!     cargo run --example library

use std::io::{self, Write};

use asn_from_list::{build, json, ExpType, Member, Options, Rule};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let members = vec![
        Member::science("jw02345001001_03101_00001_nrs1_rate.fits"),
        Member::new(
            "jw02345001001_03101_00002_nrs1_rate.fits",
            ExpType::Background,
        ),
        Member::new("jw02345001001_03101_00003_nrs1_rate.fits", ExpType::Imprint),
    ];
    let built = build(Options::new(Rule::find("Asn_Lv2Spec")?), members)?;
    for warning in &built.warnings {
        eprintln!("warning: {warning}");
    }
    let mut out = io::stdout().lock();
    json::to_writer(&mut out, &built.association)?;
    writeln!(out)?;
    Ok(())
}
