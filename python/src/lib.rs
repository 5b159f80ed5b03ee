//! The Python module `asn_from_list._native`: the asn-from-list library, as Python calls it.
//! The package `asn_from_list` (python/asn_from_list) re-exports what is public here and holds
//! the thin Python layer (the `Association` mapping, keyword handling).

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use asn_from_list::{BackgroundCandidates, Needs, Rule, Stage};

mod auto;
mod check;
mod products;
mod render;
mod schema;

/// What the package needs to know of a rule, by name: `(stage, needs, any_candidate)`, where
/// stage is `"2"`, `"3"` or `"bare"`; needs is `"nothing"`, `"psf"`, `"two members"` or
/// `"candidate type"`; any_candidate is whether a Stage 2 background candidate needs no
/// background member. Raises ValueError, naming the closest rules, for an unknown name.
#[pyfunction]
fn rule_info(name: &str) -> PyResult<(&'static str, &'static str, bool)> {
    let rule = Rule::find(name).map_err(|e| PyValueError::new_err(e.to_string()))?;
    let stage = match rule.stage() {
        Stage::Two => "2",
        Stage::Three => "3",
        Stage::Bare => "bare",
    };
    let needs = match rule.needs() {
        Needs::Nothing => "nothing",
        Needs::Psf => "psf",
        Needs::TwoMembers => "two members",
        Needs::CandidateType => "candidate type",
    };
    let any_candidate = rule.background_candidates() == BackgroundCandidates::Accepted;
    Ok((stage, needs, any_candidate))
}

/// The native half of the `asn_from_list` package.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("CODE_VERSION", asn_from_list::builder::CODE_VERSION)?;
    let names: Vec<&str> = Rule::all().iter().map(Rule::name).collect();
    m.add("RULE_NAMES", names)?;
    m.add_function(wrap_pyfunction!(rule_info, m)?)?;
    m.add_function(wrap_pyfunction!(products::stage3, m)?)?;
    m.add_function(wrap_pyfunction!(products::stage2, m)?)?;
    m.add_function(wrap_pyfunction!(render::dumps, m)?)?;
    m.add_function(wrap_pyfunction!(schema::schema_problem, m)?)?;
    m.add_function(wrap_pyfunction!(schema::names_have_directories, m)?)?;
    m.add_function(wrap_pyfunction!(auto::auto_run, m)?)?;
    m.add_function(wrap_pyfunction!(check::check_files, m)?)?;
    m.add_function(wrap_pyfunction!(check::check_text, m)?)?;
    m.add_class::<check::Finding>()?;
    m.add_class::<products::Products>()?;
    m.add_class::<products::Found>()?;
    Ok(())
}
