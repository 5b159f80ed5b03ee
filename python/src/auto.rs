//! `auto()`: the associations `asn-from-list --auto` would write, made by the library from the
//! files' FITS headers, as file names and text; nothing is written.

use std::ffi::OsString;
use std::path::PathBuf;

use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;

use asn_from_list::error::Causes;
use asn_from_list::header::{run, Stages};

/// Who made the associations, in their `constraints`.
const MADE_BY: &str = "asn_from_list.auto()";

/// The associations of `files` for writing into `folder`, as `(file name, JSON text)`; the
/// files left out as `(file, why)`; the files in no association as `(file, EXP_TYPE)`.
/// Headers are read on every core, without the GIL.
#[pyfunction]
#[pyo3(signature = (files, folder, stage=None, skip_bad=false))]
#[allow(clippy::type_complexity)]
pub(crate) fn auto_run(
    py: Python<'_>,
    files: Vec<PathBuf>,
    folder: PathBuf,
    stage: Option<u8>,
    skip_bad: bool,
) -> PyResult<(
    Vec<(String, String)>,
    Vec<(String, String)>,
    Vec<(String, String)>,
)> {
    let stages = match stage {
        None => Stages::Both,
        Some(2) => Stages::Two,
        Some(3) => Stages::Three,
        Some(other) => {
            return Err(PyValueError::new_err(format!(
                "stage must be 2, 3 or None (both), not {other}"
            )))
        }
    };
    let files: Vec<OsString> = files.into_iter().map(PathBuf::into_os_string).collect();
    let options = run::Options {
        stages,
        skip_bad,
        made_by: MADE_BY,
        progress: None,
    };
    let made = py.detach(|| {
        run::run(&files, &folder, &options).map(|run| {
            let made: Vec<(String, String)> = run
                .made()
                .iter()
                .map(|m| (m.file_name.clone(), m.json()))
                .collect();
            let skipped: Vec<(String, String)> = run
                .skipped()
                .iter()
                .map(|bad| {
                    (
                        bad.file.to_string_lossy().into_owned(),
                        Causes(&bad.error).to_string(),
                    )
                })
                .collect();
            let unused: Vec<(String, String)> = run
                .unused()
                .map(|(file, exp_type)| {
                    (file.to_string_lossy().into_owned(), exp_type.to_uppercase())
                })
                .collect();
            (made, skipped, unused)
        })
    });
    made.map_err(|err| {
        let message = err.to_string();
        match err {
            run::RunError::Unusable(bad) => {
                let them = if bad.len() == 1 { "it" } else { "them" };
                let mut message = format!("{message}; skip_bad=True leaves {them} out");
                for file in &bad {
                    message += &format!("\n  {}", Causes(&file.error));
                }
                PyValueError::new_err(message)
            }
            run::RunError::Pool { error, .. } => PyValueError::new_err(Causes(&error).to_string()),
            other => PyOSError::new_err(Causes(&other).to_string()),
        }
    })
}
