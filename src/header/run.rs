//! A whole run from exposure files to associations: reading their headers on every core,
//! planning both stages, naming the files no association holds, showing the plan, and writing
//! the folder. Front ends (the command line, Python) call these and only translate.

use std::ffi::{OsStr, OsString};
use std::io::{self, Write};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::pool::{self, PoolError, Row};
use super::read::ReadError;
use super::{Exposure, Made, Stages};
use crate::json::Json;
use crate::model::{ExpType, MetaKey};
use crate::output::{self, Render};
use crate::Error;

/// Told how many files have been read of how many, from the calling thread.
pub type Progress<'a> = &'a (dyn Fn(usize, usize) + Sync);

/// What a run is asked.
#[derive(Clone, Copy)]
pub struct Options<'a> {
    /// Which stages to make.
    pub stages: Stages,
    /// Whether files that cannot be used are left out ([`Run::skipped`]) rather than failing
    /// the run ([`RunError::Unusable`]).
    pub skip_bad: bool,
    /// Who makes the associations, for their `constraints`: "made from FITS headers by
    /// {made_by}".
    pub made_by: &'a str,
    /// Called as headers are read with how many are done and the total, now and then from the
    /// calling thread, and once at the end with both equal.
    pub progress: Option<Progress<'a>>,
}

impl std::fmt::Debug for Options<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("stages", &self.stages)
            .field("skip_bad", &self.skip_bad)
            .field("made_by", &self.made_by)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

/// A file that cannot be used, and why.
#[derive(Debug)]
pub struct BadFile {
    /// The file, as given.
    pub file: OsString,
    /// Why it cannot be used.
    pub error: BadFileError,
}

/// Why a file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum BadFileError {
    /// Its primary header cannot be read.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// It lacks a keyword its associations need.
    #[error(transparent)]
    Keywords(#[from] PoolError),
}

/// Why a run made nothing.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Some files cannot be used, and [`Options::skip_bad`] was not asked; in the files' order.
    #[error("{} cannot be used", Files(.0.len()))]
    Unusable(Vec<BadFile>),
    /// The usable files cannot make a pool (two with one name); `skipped` are the files left
    /// out before that.
    #[error("{error}")]
    Pool {
        /// Why.
        error: PoolError,
        /// The files left out, as [`Run::skipped`] would have held them.
        skipped: Vec<BadFile>,
    },
    /// The current folder, which member names are written relative to, cannot be told.
    #[error("cannot tell the current folder")]
    CurrentDir(#[source] io::Error),
}

/// `1 file`, `7 files`.
struct Files(usize);

impl std::fmt::Display for Files {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            1 => f.write_str("1 file"),
            n => write!(f, "{n} files"),
        }
    }
}

/// What a run made: the associations, the files left out, and the files in no association.
#[derive(Debug)]
pub struct Run {
    made: Vec<Made>,
    skipped: Vec<BadFile>,
    rows: Vec<Row>,
    unused: Vec<usize>,
}

impl Run {
    /// The associations, Stage 2 first, in the order the generator makes them.
    pub fn made(&self) -> &[Made] {
        &self.made
    }

    /// The files that could not be used and were left out ([`Options::skip_bad`]), in the
    /// files' order.
    pub fn skipped(&self) -> &[BadFile] {
        &self.skipped
    }

    /// The files no association holds (darks, flats, modes no rule takes), in the files'
    /// order, each with its `EXP_TYPE` as the pool holds it (lower case).
    pub fn unused(&self) -> impl ExactSizeIterator<Item = (&OsStr, &str)> {
        self.unused.iter().map(|&i| {
            let row = &self.rows[i];
            (row.exposure.name.as_os_str(), row.exp_type.as_str())
        })
    }

    /// The associations, given up by the run.
    pub fn into_made(self) -> Vec<Made> {
        self.made
    }
}

/// The associations of `files` for writing into `dir`: each file's primary header read (on
/// every core, in the files' order), checked, pooled and planned as the pipeline's
/// generator does; member names are written relative to `dir`.
///
/// # Errors
///
/// [`RunError::Unusable`] with every file that cannot be used, unless
/// [`Options::skip_bad`]; [`RunError::Pool`] for two files with one name;
/// [`RunError::CurrentDir`].
pub fn run(files: &[OsString], dir: &Path, options: &Options<'_>) -> Result<Run, RunError> {
    let mut exposures = Vec::with_capacity(files.len());
    let mut bad = Vec::new();
    for (file, exposure) in files.iter().zip(read_exposures(files, options.progress)) {
        match exposure {
            Ok(exposure) => exposures.push(exposure),
            Err(error) => bad.push(BadFile {
                file: file.clone(),
                error,
            }),
        }
    }
    if !bad.is_empty() && !options.skip_bad {
        return Err(RunError::Unusable(bad));
    }
    let rows = match pool::pool(exposures) {
        Ok(rows) => rows,
        Err(error) => {
            return Err(RunError::Pool {
                error,
                skipped: bad,
            })
        }
    };
    let cwd = std::env::current_dir().map_err(RunError::CurrentDir)?;
    let made = super::associations(&rows, options.stages, dir, &cwd, options.made_by);
    let mut used = vec![false; rows.len()];
    for &i in made.iter().flat_map(|m| m.rows()) {
        used[i] = true;
    }
    let unused = (0..rows.len()).filter(|&i| !used[i]).collect();
    Ok(Run {
        made,
        skipped: bad,
        rows,
        unused,
    })
}

/// Reads the primary header of each file and checks it has the keywords its mode needs, on
/// every core, in the files' order.
fn read_exposures(
    files: &[OsString],
    progress: Option<Progress<'_>>,
) -> Vec<Result<Exposure, BadFileError>> {
    let done = AtomicUsize::new(0);
    let total = files.len();
    let read = |part: &[OsString], report: bool| -> Vec<_> {
        part.iter()
            .map(|file| {
                let exposure = super::read_primary_header(Path::new(file))
                    .map_err(BadFileError::from)
                    .and_then(|h| {
                        let exposure = Exposure::new(file.clone(), h);
                        pool::check_keywords(&exposure)?;
                        Ok(exposure)
                    });
                let count = done.fetch_add(1, Ordering::Relaxed) + 1;
                if let Some(progress) = progress.filter(|_| report && count < total) {
                    progress(count, total);
                }
                exposure
            })
            .collect()
    };
    // The calling thread's run says how far all have got.
    let exposures = crate::cores::per_core(files, |run, part| read(part, run == 0))
        .into_iter()
        .flatten()
        .collect();
    if let Some(progress) = progress {
        progress(total, total);
    }
    exposures
}

/// Writes the plan of `made` into `out`: each association with its members and why each is
/// there, and for Stage 3 the keys that made the group.
///
/// # Errors
///
/// Any error of `out`.
pub fn write_plan<W: Write>(made: &[Made], mut out: W) -> io::Result<()> {
    for (n, m) in made.iter().enumerate() {
        let meta = |k| m.meta(k).unwrap_or("");
        if n > 0 {
            writeln!(out)?;
        }
        writeln!(
            out,
            "{}  {} {} {}",
            m.file_name,
            meta(MetaKey::AsnType),
            meta(MetaKey::AsnId),
            meta(MetaKey::AsnRule)
        )?;
        match &m.keys {
            Some(keys) => writeln!(
                out,
                "  product {}  (grouped by {keys})",
                m.product.to_string_lossy()
            )?,
            None => writeln!(out, "  product {}", m.product.to_string_lossy())?,
        }
        for (name, exptype, why) in m.members() {
            let name = name.to_string_lossy();
            if why.is_empty() || (m.keys.is_some() && *exptype == ExpType::Science) {
                writeln!(out, "    {:<19} {name}", exptype.as_str())?;
            } else {
                writeln!(out, "    {:<19} {name}  <- {why}", exptype.as_str())?;
            }
        }
    }
    out.flush()
}

/// Writes each association into `dir` (made if missing), which then holds exactly these; the
/// files it held that a run made from headers are replaced or removed, and anything else
/// stops the write (see [`output::write_folder`]).
///
/// # Errors
///
/// [`Error::MakeFolder`] when the folder's parent cannot be made; any error of
/// [`output::write_folder`].
pub fn write_folder(dir: &Path, made: &[Made]) -> Result<(), Error> {
    let texts: Vec<MadeJson<'_>> = made.iter().map(MadeJson).collect();
    let parent = output::folder_of(dir);
    std::fs::create_dir_all(parent).map_err(|source| Error::MakeFolder {
        path: parent.to_path_buf(),
        source,
    })?;
    let named: Vec<(&OsStr, &(dyn Render + Sync))> = made
        .iter()
        .zip(&texts)
        .map(|(m, text)| (OsStr::new(&m.file_name), text as &(dyn Render + Sync)))
        .collect();
    output::write_folder(dir, &named, &super::made_from_headers)
}

impl Made {
    /// The association as the JSON text written into its file.
    pub fn json(&self) -> String {
        // Into memory, and the formatter writes ASCII only: neither can fail.
        crate::json::to_string(&self.association()).expect("JSON text into memory")
    }
}

/// An association made from headers, as JSON: its model is built when it is written, so that a
/// run holds the models of the files being written only, not of all of them.
struct MadeJson<'a>(&'a Made);

impl Render for MadeJson<'_> {
    fn render(&self, out: &mut dyn Write) -> io::Result<()> {
        Json(&self.0.association()).render(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(skip_bad: bool) -> Options<'static> {
        Options {
            stages: Stages::Both,
            skip_bad,
            made_by: "a test",
            progress: None,
        }
    }

    #[test]
    fn a_missing_file_fails_the_run_or_is_skipped_with_its_reason() {
        let dir = tempfile::tempdir().unwrap();
        let files = [dir.path().join("gone.fits").into_os_string()];
        match run(&files, dir.path(), &options(false)) {
            Err(RunError::Unusable(bad)) => {
                assert_eq!(bad.len(), 1);
                assert_eq!(bad[0].file, files[0]);
                assert!(matches!(bad[0].error, BadFileError::Read(_)));
            }
            other => panic!("expected unusable files, got {other:?}"),
        }
        let made = run(&files, dir.path(), &options(true)).unwrap();
        assert_eq!(made.skipped().len(), 1);
        assert!(made.made().is_empty());
        assert_eq!(made.unused().len(), 0);
    }

    #[test]
    fn progress_ends_with_every_file_read() {
        let dir = tempfile::tempdir().unwrap();
        let files = [dir.path().join("gone.fits").into_os_string()];
        let last = std::sync::Mutex::new(None);
        let progress = |done, total| *last.lock().unwrap() = Some((done, total));
        let options = Options {
            progress: Some(&progress),
            ..options(true)
        };
        run(&files, dir.path(), &options).unwrap();
        assert_eq!(*last.lock().unwrap(), Some((1, 1)));
    }

    #[test]
    fn an_empty_plan_writes_nothing() {
        let mut out = Vec::new();
        write_plan(&[], &mut out).unwrap();
        assert!(out.is_empty());
    }
}
