//! The integration tests, in one binary (as fd keeps them): the command run as a user runs it,
//! and the library's public API. One module a concern; `common` is what they share.
//!
//! Run one part with a filter: `cargo test --test integration auto::`. Most parts run on
//! Linux only, where the tools and file systems they use are.

#[cfg(target_os = "linux")]
mod auto;
#[cfg(target_os = "linux")]
mod check;
#[cfg(target_os = "linux")]
mod cli;
#[cfg(target_os = "linux")]
mod common;
mod conformance;
#[cfg(target_os = "linux")]
mod fidelity;
#[cfg(target_os = "linux")]
mod header;
#[cfg(target_os = "linux")]
mod lists;
#[cfg(target_os = "linux")]
mod packaging;
mod writer_props;
#[cfg(target_os = "linux")]
mod writes;
