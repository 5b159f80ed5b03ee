//! Exposures from their FITS primary headers, for associations made from the files alone
//! (`--auto`): reading a header ([`read`]) and typing an exposure as the pipeline's own
//! association generator does ([`exposure`]).
//!
//! Headers are read with `fitsrs` (pure Rust, from CDS): no C library to build, and it stops
//! at the end of the primary header, so a file's data is never read.

pub mod exposure;
pub mod read;

pub use exposure::{Exposure, Role};
pub use read::{read_primary_header, Header, Keyword};
