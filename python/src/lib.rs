//! The Python module `asn_from_list._native`: the asn-from-list library, as Python calls it.
//! The package `asn_from_list` (python/asn_from_list) re-exports what is public here.

use pyo3::prelude::*;

/// The native half of the `asn_from_list` package.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
