//! Build JWST pipeline association files from a list of exposures.
//!
//! This is the library behind the `asn-from-list` command, a drop-in replacement for the
//! `asn_from_list` command of the `jwst` Python package. Data flows one way:
//!
//! - [`input`] turns arguments, patterns and list files into [`Member`]s;
//! - [`build`] makes a Stage 2 (one product per exposure), Stage 3 (one named product) or bare
//!   [`Association`] under a [`Rule`], and checks that it is valid;
//! - [`writer`] writes it as byte-for-byte the JSON text the reference writes.
//!
//! # Example
//!
//! ```
//! use asn_from_list::{build, writer, ExpType, Member, Request, Rule};
//!
//! let members = vec![
//!     Member::science("jw01234001001_02101_00001_nrca1_cal.fits"),
//!     Member { expname: "ref_cal.fits", exptype: ExpType::Psf },
//! ];
//! let request = Request {
//!     product_name: Some("coron_results".to_string()),
//!     ..Request::new(Rule::find("Asn_Lv3NRCCoron")?, members)
//! };
//! let built = build(request)?;
//! let text = writer::to_string(&built.association).unwrap();
//! assert!(text.starts_with("{\n    \"asn_type\": \"None\",\n    \"asn_rule\": \"Asn_Lv3NRCCoron\""));
//! assert!(text.contains("\"exptype\": \"psf\""));
//! # Ok::<(), asn_from_list::Error>(())
//! ```
#![deny(missing_docs)]

pub mod builder;
pub mod error;
pub mod input;
pub mod model;
pub mod naming;
pub mod rules;
pub mod writer;

pub use builder::{build, Built, Request, Warning};
pub use error::Error;
pub use model::{Association, Body, ExpType, Member, Meta, MetaKey, Naming, Product, Products};
pub use rules::{Needs, Rule, Stage};
pub use writer::Output;
