//! Build JWST pipeline association files from a list of exposures.
//!
//! This is the library behind the `asn-from-list` command, a drop-in replacement for the
//! `asn_from_list` command of the `jwst` Python package. Data flows one way:
//!
//! - [`input`] turns arguments, patterns and list files into [`Member`]s;
//! - [`build`] makes a Stage 2 (one product per exposure), Stage 3 (one named product) or bare
//!   [`Association`] under a [`Rule`], and checks that it is valid;
//! - [`json`] renders it as byte-for-byte the JSON text the reference writes, and [`yaml`] as
//!   its YAML text;
//! - [`output`] puts that text where it belongs without ever destroying anything.
//!
//! [`check`] reads an association as the pipeline will, and [`header`] reads exposures' FITS
//! primary headers for associations made from the files alone ([`header::run`] does a whole
//! run, for any front end).
//!
//! # Example
//!
//! ```
//! use asn_from_list::{build, json, ExpType, Member, Options, Rule};
//!
//! let members = vec![
//!     Member::science("jw01234001001_02101_00001_nrca1_cal.fits"),
//!     Member::new("ref_cal.fits", ExpType::Psf),
//! ];
//! let options = Options::new(Rule::find("Asn_Lv3NRCCoron")?).product_name("coron_results");
//! let built = build(options, members)?;
//! let text = json::to_string(&built.association).unwrap();
//! assert!(text.starts_with("{\n    \"asn_type\": \"None\",\n    \"asn_rule\": \"Asn_Lv3NRCCoron\""));
//! assert!(text.contains("\"exptype\": \"psf\""));
//! # Ok::<(), asn_from_list::Error>(())
//! ```
#![deny(missing_docs)]

pub mod builder;
pub mod check;
pub mod cores;
pub mod error;
pub mod header;
pub mod input;
pub mod json;
pub mod model;
pub mod naming;
pub mod output;
pub mod paths;
pub mod rules;
mod suggest;
pub mod sys;
pub mod yaml;

pub use builder::{build, Built, Options, OtherStageTypes};
pub use error::{Error, Warning};
pub use model::{
    Association, Body, ExpType, Member, Meta, MetaKey, Naming, Product, Products, Stage,
};
pub use output::Output;
pub use rules::{BackgroundCandidates, Needs, Rule};

/// The text an association is written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// JSON, as the reference writes it ([`json`]): what the pipeline reads.
    #[default]
    Json,
    /// YAML, as the reference writes it ([`yaml`]); deprecated upstream.
    Yaml,
}

impl std::str::FromStr for Format {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name {
            "json" => Ok(Format::Json),
            "yaml" => Ok(Format::Yaml),
            _ => Err(format!(
                "unknown format '{name}': the formats are json and yaml"
            )),
        }
    }
}
