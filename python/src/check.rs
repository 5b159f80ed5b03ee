//! `check()`: what `asn-from-list --check` reports, as Python objects.

use std::path::PathBuf;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use asn_from_list::check::{self, Finding as LibFinding, MemberFiles, Report, Severity};

/// One problem found in an association: the file, how much it matters (``"error"`` or
/// ``"warning"``), the product and member it concerns (or None), what is wrong, and how to fix
/// it (or None). ``str(finding)`` is the line ``asn-from-list --check`` prints.
#[pyclass(frozen, module = "asn_from_list._native", name = "Finding")]
#[derive(Debug)]
pub(crate) struct Finding {
    #[pyo3(get)]
    file: String,
    inner: LibFinding,
}

#[pymethods]
impl Finding {
    /// ``"error"``: the pipeline will fail or do something else than asked; ``"warning"``: it
    /// will run, but the association is doubtful.
    #[getter]
    fn severity(&self) -> &'static str {
        match self.inner.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }

    /// The product's name (or its position, ``#2``), when the finding concerns one.
    #[getter]
    fn product(&self) -> Option<&str> {
        self.inner.product.as_deref()
    }

    /// The member's ``expname``, when the finding concerns one.
    #[getter]
    fn member(&self) -> Option<&str> {
        self.inner.member.as_deref()
    }

    /// What is wrong.
    #[getter]
    fn message(&self) -> &str {
        &self.inner.message
    }

    /// How to fix it, when that is known.
    #[getter]
    fn fix(&self) -> Option<&str> {
        self.inner.fix.as_deref()
    }

    fn __str__(&self) -> String {
        self.inner.line(&self.file)
    }

    fn __repr__(&self) -> String {
        format!("<Finding {}>", self.inner.line(&self.file))
    }
}

fn member_files(look: bool) -> MemberFiles {
    if look {
        MemberFiles::Check
    } else {
        MemberFiles::Skip
    }
}

/// Checks the association files at `paths` as ``asn-from-list --check`` does (a file that
/// cannot be read is an error of its own), without the GIL.
#[pyfunction]
pub(crate) fn check_files(
    py: Python<'_>,
    paths: Vec<PathBuf>,
    look_for_members: bool,
) -> PyResult<Vec<Finding>> {
    let report = py.detach(|| {
        let mut report = Report::default();
        for path in &paths {
            report.check_file(path, member_files(look_for_members));
        }
        serde_json::to_value(&report)
    });
    let report = report.map_err(|e| PyValueError::new_err(e.to_string()))?;
    let mut found = Vec::new();
    // The report's own JSON (`--check --format json`) is how it lists files and findings.
    for file in report["files"].as_array().into_iter().flatten() {
        let name = file["file"].as_str().unwrap_or_default();
        for finding in file["findings"].as_array().into_iter().flatten() {
            let text = |key: &str| finding[key].as_str().map(str::to_owned);
            let severity = match finding["severity"].as_str() {
                Some("warning") => Severity::Warning,
                _ => Severity::Error,
            };
            found.push(Finding {
                file: name.to_owned(),
                inner: LibFinding {
                    severity,
                    product: text("product"),
                    member: text("member"),
                    message: text("message").unwrap_or_default(),
                    fix: text("fix"),
                },
            });
        }
    }
    Ok(found)
}

/// Checks the association `text` as if it were the file at `path`.
#[pyfunction]
pub(crate) fn check_text(
    py: Python<'_>,
    path: PathBuf,
    text: Vec<u8>,
    look_for_members: bool,
) -> Vec<Finding> {
    let findings = py.detach(|| check::check(&path, &text, member_files(look_for_members)));
    let file = path.display().to_string();
    findings
        .into_iter()
        .map(|inner| Finding {
            file: file.clone(),
            inner,
        })
        .collect()
}
