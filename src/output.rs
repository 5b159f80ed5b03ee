//! Where an association goes, and every rule about writing it there: standard output, a special
//! file written through, or a regular file replaced durably with its owner, mode, ACLs and
//! extended attributes kept, or written in place where replacing it could not keep them.
//!
//! The text itself comes from a [`Render`] (the JSON or YAML writer); this module never
//! looks inside it.

use std::collections::{HashMap, HashSet};
use std::ffi::{OsStr, OsString};
use std::fs::{self, File, Metadata, OpenOptions};
use std::io::{self, BufWriter, Read, Seek, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use rustix::fs::{Gid, Mode, OFlags, Uid, XattrFlags};
use rustix::io::Errno;

use crate::error::Error;
use crate::sys;

/// Where an association goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Standard output, followed by one newline.
    Stdout,
    /// A file path, with no newline after the text.
    File(PathBuf),
}

impl Output {
    /// `-` is standard output; anything else is a file path, read as Python's `pathlib` reads
    /// it, as the reference does: `out.json/`, `out.json/.` and `out.json//` all name
    /// `out.json`, and `a//b` names `a/b`.
    pub fn from_arg(arg: impl Into<PathBuf>) -> Self {
        let path = arg.into();
        if path.as_os_str() == "-" {
            Output::Stdout
        } else {
            Output::File(path.components().collect())
        }
    }
}

/// Text that can be written more than once: to a temporary file first, and again in place when
/// replacing the file could not keep what it had.
pub trait Render {
    /// Writes the text to `out`.
    ///
    /// # Errors
    ///
    /// Any error of `out`.
    fn render(&self, out: &mut dyn Write) -> io::Result<()>;

    /// Whether the text ends in a newline already; on standard output one is added if not.
    fn ends_in_newline(&self) -> bool {
        false
    }
}

/// A buffer large enough that writing a million members takes few system calls.
const BUFFER: usize = 1 << 20;

/// Writes `text` to `output`.
///
/// - Standard output gets the text, ending in a newline.
/// - A path that exists and is no regular file (a device, a FIFO, `/dev/stdout`, `/dev/fd/N`, a
///   process substitution) is opened and written through, as `open(path, "w")` would.
/// - A regular file, or a new one, is written to an unnamed temporary file in its folder (a
///   named one where the file system has none), flushed to disk, given the old file's owner,
///   group, mode, ACLs and extended attributes, and renamed over it; the folder is then flushed.
///   A symbolic link is written through to its target and stays a link.
/// - Where that cannot keep what the old file had (hard links, a bind mount, a folder the user
///   may not write, another user's file in a sticky folder, metadata that cannot be carried),
///   the file is rewritten in place, from text rendered before the first byte is written.
///
/// # Errors
///
/// [`Error::WriteStdout`], [`Error::OutputIsDirectory`], [`Error::OutputDirMissing`],
/// [`Error::OutputIsFits`], [`Error::ProtectedSymlink`], or [`Error::Write`] with the I/O
/// error. On any error an existing regular file is as it was and no temporary file is left.
pub fn write(output: &Output, text: &dyn Render) -> Result<(), Error> {
    match output {
        Output::Stdout => {
            let stdout = io::stdout();
            let mut out = BufWriter::with_capacity(BUFFER, stdout.lock());
            let end: &[u8] = if text.ends_in_newline() { b"" } else { b"\n" };
            text.render(&mut out)
                .and_then(|()| out.write_all(end))
                .and_then(|()| out.flush())
                .map_err(Error::WriteStdout)
        }
        Output::File(path) => write_file(path, text),
    }
}

/// How many new files a batch keeps open before it flushes them to disk together.
const BATCH: usize = 256;

/// Writes each text to its path, as [`write()`] does, but new files with one flush to disk per
/// batch of them instead of one each: each is written to a temporary file in its folder, the file system is flushed once ([`sys::sync_written`]), then each is linked into place and the
/// folders are flushed. A path that exists already goes through [`write()`], keeping what it had.
///
/// # Errors
///
/// The errors of [`write()`]. Files written before a failure stay, each whole.
pub fn write_all(items: &[(PathBuf, &dyn Render)]) -> Result<(), Error> {
    for chunk in items.chunks(BATCH) {
        let mut made = Vec::with_capacity(chunk.len());
        for (path, text) in chunk {
            let fail = |source| Error::Write {
                path: path.clone(),
                source,
            };
            if fs::symlink_metadata(path).is_ok() {
                write(&Output::File(path.clone()), *text)?;
                continue;
            }
            let dir = folder_of(path).to_path_buf();
            // Unnamed where the file system has them, so that even a SIGKILL leaves nothing.
            let temp = Temp::create(&dir).map_err(fail)?;
            let mut out = BufWriter::new(temp.file());
            text.render(&mut out)
                .and_then(|()| out.flush())
                .and_then(|()| sys::write_out(temp.file()))
                .map_err(fail)?;
            drop(out);
            made.push((path, temp, dir));
        }
        let mut folders: Vec<PathBuf> = made.iter().map(|(_, _, dir)| dir.clone()).collect();
        folders.dedup();
        for dir in &folders {
            let folder = File::open(dir).map_err(|source| Error::Write {
                path: dir.clone(),
                source,
            })?;
            sys::sync_written(&folder).map_err(|source| Error::Write {
                path: dir.clone(),
                source,
            })?;
        }
        for (path, temp, _) in made {
            temp.persist(path).map_err(|source| Error::Write {
                path: path.clone(),
                source,
            })?;
        }
        for dir in &folders {
            let sync = File::open(dir).and_then(|folder| sys::sync_all(&folder));
            match sync {
                Err(e) if e.raw_os_error() == Some(Errno::INVAL.raw_os_error()) => {}
                other => other.map_err(|source| Error::Write {
                    path: dir.clone(),
                    source,
                })?,
            }
        }
    }
    Ok(())
}

/// Writes the folder `dir` so that it holds exactly `items` (each text in a file of the given
/// name) and nothing else, removing what an earlier run wrote there:
///
/// 1. A staging folder beside `dir` that a killed run left (`.DIR.asn-from-list.PID.staging`,
///    its process gone) is removed.
/// 2. An existing `dir` is looked through: everything in it must be a file `replaceable` takes
///    (a leftover temporary file of a run that is gone is too); anything else is refused by
///    name, before anything is written.
/// 3. The files are written into a new staging folder beside `dir`, and the file system is
///    flushed once.
/// 4. A new `dir` is the staging folder renamed into place. An existing one is exchanged with
///    it in one step (`renameat2(RENAME_EXCHANGE)` on Linux, `RENAME_SWAP` on macOS), after it
///    is given the old folder's owner, mode and extended attributes; the old set, now in the
///    staging folder's place, is then removed.
///
/// Where an exchange is not possible (a file system without it, a mount point, metadata that
/// cannot be carried, a parent folder the user may not write), each file is moved or written
/// into `dir` on its own, atomically, and the earlier files no longer wanted are removed after.
///
/// A signal that [`abandon_writes`] handles removes the staging folder, leaving `dir` with its
/// old set or, once the exchange is made, its new one.
///
/// # Errors
///
/// [`Error::FolderHoldsOther`] and [`Error::FolderInUse`], having written nothing;
/// [`Error::Write`] naming the path that failed, with the staging folder removed.
pub fn write_folder(
    dir: &Path,
    items: &[(&OsStr, &(dyn Render + Sync))],
    replaceable: &(dyn Fn(&Path) -> bool + Sync),
) -> Result<(), Error> {
    // A link to a folder: the folder it leads to is the one replaced, and the link stays.
    // `.` and `..` are replaced under their own names, beside them.
    let resolved;
    let is_link = fs::symlink_metadata(dir).is_ok_and(|m| m.file_type().is_symlink());
    let dir = if is_link || dir.file_name().is_none() {
        resolved = fs::canonicalize(dir).map_err(write_error(dir))?;
        &resolved
    } else {
        dir
    };
    let parent = folder_of(dir);
    let name = dir.file_name().unwrap_or(dir.as_os_str());
    remove_stale_staging(parent, name);
    let staging = match make_staging(parent, name) {
        Ok(staging) => staging,
        // A folder the user may write, in one they may not: file by file.
        Err(e) if is_refusal(&e) && fs::metadata(dir).is_ok_and(|m| m.is_dir()) => {
            let old = replaced_files(dir, replaceable)?;
            return write_each(dir, items, &old);
        }
        Err(e) => return Err(write_error(dir)(e)),
    };
    let result = fill_and_swap(&staging, dir, items, replaceable);
    let _ = remove_folder(&staging);
    pending().retain(|p| *p != Pending::Folder(staging.clone()));
    match result? {
        Swapped::Done => Ok(()),
        Swapped::Not(old) => write_each(dir, items, &old),
    }
}

/// How [`fill_and_swap`] ended, when it did not fail.
enum Swapped {
    /// The folder holds the new set.
    Done,
    /// The folder could not be exchanged and is as it was: write into it file by file,
    /// replacing these.
    Not(Vec<PathBuf>),
}

/// The staging folder's name: `.DIR.asn-from-list.PID.staging`, so that a later run can tell
/// whose it is and whether that run is gone.
fn staging_name(name: &OsStr, pid: u32) -> std::ffi::OsString {
    let mut hidden = std::ffi::OsString::from(".");
    hidden.push(name);
    hidden.push(format!("{TEMP_PREFIX}{pid}{STAGING}"));
    hidden
}

const STAGING: &str = ".staging";

/// Makes this run's staging folder beside the folder `name`, listed in [`PENDING`]. One of
/// that name is another process's that had this pid and is gone: it is removed first.
fn make_staging(parent: &Path, name: &OsStr) -> io::Result<PathBuf> {
    let path = parent.join(staging_name(name, std::process::id()));
    let mut pending = pending();
    match fs::DirBuilder::new().create(&path) {
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            remove_folder(&path)?;
            fs::DirBuilder::new().create(&path)?;
        }
        other => other?,
    }
    pending.push(Pending::Folder(path.clone()));
    Ok(path)
}

/// The process id in a leftover name: `PREFIX` + digits + `SUFFIX`.
fn pid_in(name: &[u8], prefix: &[u8], suffix: &[u8]) -> Option<u32> {
    let digits = name.strip_prefix(prefix)?.strip_suffix(suffix)?;
    let digits = match digits.iter().position(|&b| b == b'.') {
        // A temporary file's name goes on after the pid: `.asn-from-list.PID.N.tmp`.
        Some(dot) if suffix == b".tmp" => &digits[..dot],
        Some(_) => return None,
        None => digits,
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// Whether the process `pid` is gone: never this one, nor one of another user's that is alive.
fn is_gone(pid: u32) -> bool {
    if pid == std::process::id() {
        // The pid was another process's before it was this one's.
        return true;
    }
    let Some(pid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    else {
        return false;
    };
    matches!(rustix::process::test_kill_process(pid), Err(Errno::SRCH))
}

/// Removes the staging folders beside `name` of runs that are gone (killed, or a power cut);
/// those of runs still alive are theirs. Nothing can be done about one that cannot be removed,
/// and the run goes on.
fn remove_stale_staging(parent: &Path, name: &OsStr) {
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    let mut prefix = b".".to_vec();
    prefix.extend(name.as_bytes());
    prefix.extend(TEMP_PREFIX.as_bytes());
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let stale = pid_in(file_name.as_bytes(), &prefix, STAGING.as_bytes()).is_some_and(is_gone);
        if stale && entry.file_type().is_ok_and(|t| t.is_dir()) {
            let _ = remove_folder(&entry.path());
        }
    }
}

/// Removes a staging folder and what it holds. After an exchange it is the old folder, with
/// that folder's mode, which may deny its owner writing: it is made writable first.
fn remove_folder(path: &Path) -> io::Result<()> {
    let _ = fs::set_permissions(path, fs::Permissions::from_mode(0o700));
    fs::remove_dir_all(path)
}

/// The files of the existing folder `dir` that the new set replaces: each one `replaceable`
/// takes, and leftover temporary files of runs that are gone.
///
/// # Errors
///
/// [`Error::FolderHoldsOther`] naming the first file that is neither (by name, so the message
/// is the same each run), [`Error::FolderInUse`] for a temporary file of a run still alive.
fn replaced_files(
    dir: &Path,
    replaceable: &(dyn Fn(&Path) -> bool + Sync),
) -> Result<Vec<PathBuf>, Error> {
    let mut paths: Vec<PathBuf> = fs::read_dir(dir)
        .and_then(|entries| entries.map(|e| e.map(|e| e.path())).collect())
        .map_err(write_error(dir))?;
    paths.sort();
    // Reading each file's text is the slow part: on every core.
    let verdicts = crate::cores::per_core(&paths, |_, part| {
        part.iter()
            .map(|path| {
                let name = path.file_name().unwrap_or_default().as_bytes();
                match pid_in(name, TEMP_PREFIX.as_bytes(), b".tmp") {
                    Some(pid) if is_gone(pid) => Ok(()),
                    Some(pid) => Err(Error::FolderInUse {
                        dir: dir.to_path_buf(),
                        pid,
                    }),
                    None if replaceable(path) => Ok(()),
                    None => Err(Error::FolderHoldsOther {
                        file: path.clone(),
                        dir: dir.to_path_buf(),
                    }),
                }
            })
            .collect::<Vec<_>>()
    });
    verdicts
        .into_iter()
        .flatten()
        .collect::<Result<(), Error>>()?;
    Ok(paths)
}

/// Fills `staging`, then renames it to `dir`, or exchanges the two when `dir` exists.
fn fill_and_swap(
    staging: &Path,
    dir: &Path,
    items: &[(&OsStr, &(dyn Render + Sync))],
    replaceable: &(dyn Fn(&Path) -> bool + Sync),
) -> Result<Swapped, Error> {
    // Looked through before anything is written, so a refusal costs nothing.
    let mut old = match fs::symlink_metadata(dir) {
        Ok(meta) if meta.is_dir() => Some(replaced_files(dir, replaceable)?),
        Ok(_) => {
            return Err(write_error(dir)(io::Error::from_raw_os_error(
                Errno::NOTDIR.raw_os_error(),
            )))
        }
        Err(_) => None,
    };
    let fail = write_error(dir);
    let folder = File::open(staging).map_err(&fail)?;
    fill(&folder, dir, items)?;
    sys::sync_written(&folder).map_err(&fail)?;
    if old.is_none() {
        // Never onto a folder that appeared meanwhile: that one is exchanged, as any other.
        let renamed = {
            let _held = pending();
            sys::rename_noreplace(staging, dir)
        };
        match renamed {
            Ok(()) => return synced(folder_of(dir)).map(|()| Swapped::Done),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                old = Some(replaced_files(dir, replaceable)?)
            }
            Err(e) => return Err(fail(e)),
        }
    }
    let old = old.unwrap_or_default();
    // The new folder takes the old one's owner, extended attributes and mode; where it cannot,
    // the old folder stays and is written into file by file.
    let kept = File::open(dir).and_then(|was| {
        let meta = was.metadata()?;
        keep_metadata(&folder, &was, &meta)
    });
    if kept.is_err() {
        return Ok(Swapped::Not(old));
    }
    let exchanged = {
        let _held = pending();
        sys::exchange(staging, dir)
    };
    match exchanged {
        Ok(()) => {}
        // No exchange here: each file is moved in on its own.
        Err(e) if e.kind() == io::ErrorKind::Unsupported => {
            move_each(staging, dir, &old)?;
            return Ok(Swapped::Done);
        }
        // A mount point, or a folder in use or not ours to rename: written into, file by file.
        Err(e)
            if [Errno::XDEV, Errno::BUSY, Errno::PERM, Errno::ACCESS]
                .iter()
                .any(|errno| e.raw_os_error() == Some(errno.raw_os_error())) =>
        {
            return Ok(Swapped::Not(old))
        }
        Err(e) => return Err(fail(e)),
    }
    synced(folder_of(dir))?;
    // The old set is where the staging folder was. A file that appeared in `dir` after it was
    // looked through goes back: it was never this tool's to remove. (An association another
    // run put there meanwhile is as replaceable as the rest.)
    let looked_at: std::collections::HashSet<&OsStr> =
        old.iter().filter_map(|p| p.file_name()).collect();
    if let Ok(entries) = fs::read_dir(staging) {
        for entry in entries.flatten() {
            let name = entry.file_name();
            if !looked_at.contains(name.as_os_str()) && !replaceable(&entry.path()) {
                let _held = pending();
                let _ = sys::rename_noreplace(&entry.path(), &dir.join(&name));
            }
        }
    }
    Ok(Swapped::Done)
}

/// Writes each text into a file of its name in the open staging folder, each made by its name
/// there (its path is not looked up again): the folder is no one's yet.
///
/// Making a file holds the folder's lock in the kernel, so threads making files side by side
/// only take turns on it, spinning as they wait (a tenth of the CPU time 100,000 files
/// took). One thread makes every file, then, while the others render and write the texts.
fn fill(folder: &File, dir: &Path, items: &[(&OsStr, &(dyn Render + Sync))]) -> Result<(), Error> {
    let failed = |i: usize| write_error(&dir.join(items[i].0));
    let make = |i: usize| -> Result<File, Error> {
        let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::CLOEXEC;
        // Held while the file is made, so that none appears once a signal has emptied the
        // folder.
        let _held = pending();
        rustix::fs::openat(folder, items[i].0, flags, Mode::from_raw_mode(0o666))
            .map(File::from)
            .map_err(|e| failed(i)(e.into()))
    };
    let write = |i: usize, mut file: File, text_bytes: &mut Vec<u8>| -> Result<(), Error> {
        text_bytes.clear();
        items[i].1.render(text_bytes).map_err(failed(i))?;
        file.write_all(text_bytes)
            .and_then(|()| sys::write_out(&file))
            .map_err(failed(i))
    };
    let writers = crate::cores::threads() - 1;
    if writers == 0 {
        let mut text_bytes = Vec::new();
        return (0..items.len()).try_for_each(|i| write(i, make(i)?, &mut text_bytes));
    }
    // Files go to the writers a batch at a time, so that the threads seldom wait on each
    // other; one batch waits while each writer has one and the maker fills the next.
    let per_batch = files_per_batch(writers);
    let (queue, made) = std::sync::mpsc::sync_channel::<Vec<(usize, File)>>(1);
    // A writer that fails drops the queue's end, which stops the making and the others.
    let made = Mutex::new(Some(made));
    let next = || match &*made.lock().unwrap_or_else(PoisonError::into_inner) {
        Some(made) => made.recv().ok(),
        None => None,
    };
    std::thread::scope(|scope| {
        let writing: Vec<_> = (0..writers)
            .map(|_| {
                scope.spawn(|| {
                    let mut text_bytes = Vec::new();
                    while let Some(batch) = next() {
                        let written = batch
                            .into_iter()
                            .try_for_each(|(i, file)| write(i, file, &mut text_bytes));
                        if written.is_err() {
                            made.lock().unwrap_or_else(PoisonError::into_inner).take();
                            return written;
                        }
                    }
                    Ok(())
                })
            })
            .collect();
        // Stopped early by a failed writer, whose error is the one to report.
        let making = (0..items.len()).step_by(per_batch).try_for_each(|first| {
            let batch = (first..items.len().min(first + per_batch))
                .map(|i| Ok((i, make(i)?)))
                .collect::<Result<Vec<_>, Error>>()
                .map_err(Some)?;
            queue.send(batch).map_err(|_| None)
        });
        drop(queue);
        let written = writing
            .into_iter()
            .try_for_each(|w| w.join().expect("a writer does not panic"));
        written.and(making.or_else(|e| e.map_or(Ok(()), Err)))
    })
}

/// How many files [`fill`] hands a writer at a time: 16, or fewer where the limit on open files
/// is low, so that the files open at once (a batch for each writer, one waiting and one being
/// made) take at most a quarter of it.
fn files_per_batch(writers: usize) -> usize {
    let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile).current;
    let share = limit.unwrap_or(u64::MAX) / (4 * (writers as u64 + 2));
    usize::try_from(share).unwrap_or(usize::MAX).clamp(1, 16)
}

/// Moves each file of `staging` into `dir`, replacing its namesake, then removes the files of
/// `old` that the new set does not hold: where folders cannot be exchanged. Signals wait for
/// the whole move, so that only a `SIGKILL` leaves a folder with some files of each set.
fn move_each(staging: &Path, dir: &Path, old: &[PathBuf]) -> Result<(), Error> {
    let names: Vec<_> = fs::read_dir(staging)
        .and_then(|entries| {
            entries
                .map(|e| e.map(|e| e.file_name()))
                .collect::<io::Result<_>>()
        })
        .map_err(write_error(dir))?;
    let new: std::collections::HashSet<&OsStr> = names.iter().map(|n| n.as_os_str()).collect();
    // Held until the old set's leftovers are gone as well: a signal between the moves and the
    // removals would leave some of each set.
    let _held = pending();
    for name in &names {
        let target = dir.join(name);
        fs::rename(staging.join(name), &target).map_err(write_error(&target))?;
    }
    remove_unwanted(dir, old, &new)
}

/// Removes the files of `old` whose names `new` does not hold, then flushes `dir`.
fn remove_unwanted(
    dir: &Path,
    old: &[PathBuf],
    new: &std::collections::HashSet<&OsStr>,
) -> Result<(), Error> {
    for path in old {
        if !path.file_name().is_some_and(|n| new.contains(n)) {
            match fs::remove_file(path) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(write_error(path)(e)),
                _ => {}
            }
        }
    }
    synced(dir)
}

/// Writes each text into `dir` on its own ([`write_all`]), then removes the files of `old` the
/// new set does not replace: for a folder that cannot be exchanged.
fn write_each(
    dir: &Path,
    items: &[(&OsStr, &(dyn Render + Sync))],
    old: &[PathBuf],
) -> Result<(), Error> {
    let paths: Vec<(PathBuf, &dyn Render)> = items
        .iter()
        .map(|(name, text)| (dir.join(name), *text as &dyn Render))
        .collect();
    write_all(&paths)?;
    let new: std::collections::HashSet<&OsStr> = items.iter().map(|(n, _)| *n).collect();
    remove_unwanted(dir, old, &new)
}

/// [`sync_folder`], its error naming the folder.
fn synced(dir: &Path) -> Result<(), Error> {
    sync_folder(dir).map_err(write_error(dir))
}

/// What a failed write of `path` is.
fn write_error(path: &Path) -> impl Fn(io::Error) -> Error {
    let path = path.to_path_buf();
    move |source| Error::Write {
        path: path.clone(),
        source,
    }
}

/// The folder a path is in, as the kernel reads it: `.` for a bare name.
pub fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// Refuses an output path that is one of the inputs: an exposure, or a list of names.
///
/// Files are compared, not names: when the output exists, each input is looked up (through
/// any links) and compared by device and inode, so a link, a hard link or another spelling of
/// an input is caught, and a list read from standard input (`-`) is compared by the file
/// standard input is. The lookups run on every core. When the output does not exist, nothing
/// can be destroyed, and only an input named exactly as the output is refused.
///
/// # Errors
///
/// [`Error::OutputIsInput`] naming the input.
pub fn refuse_inputs<'a>(
    output: &Output,
    members: impl IntoIterator<Item = &'a Path>,
    lists: &'a [PathBuf],
) -> Result<(), Error> {
    let Output::File(path) = output else {
        return Ok(());
    };
    let refuse = |input: &Path| Error::OutputIsInput {
        output: path.clone(),
        input: input.to_path_buf(),
    };
    let out = match fs::metadata(path) {
        Ok(meta) if meta.is_file() => meta,
        // Devices and FIFOs are written through: naming one twice destroys nothing.
        Ok(_) => return Ok(()),
        Err(_) => {
            let mut inputs = members
                .into_iter()
                .chain(lists.iter().map(PathBuf::as_path));
            return match inputs.find(|input| input.components().eq(path.components())) {
                Some(input) => Err(refuse(input)),
                None => Ok(()),
            };
        }
    };
    let is_output = |meta: &Metadata| meta.dev() == out.dev() && meta.ino() == out.ino();
    for list in lists {
        let meta = if list.as_os_str() == "-" {
            use std::os::fd::AsFd;
            io::stdin()
                .as_fd()
                .try_clone_to_owned()
                .and_then(|fd| File::from(fd).metadata())
                .ok()
                .map(|m| (m.dev(), m.ino()))
        } else {
            fs::metadata(list).ok().map(|m| (m.dev(), m.ino()))
        };
        if meta == Some((out.dev(), out.ino())) {
            return Err(refuse(list));
        }
    }
    // A file with one name is reached only by that name or through a link: only members
    // named so, or that are links, need a lookup, and one listing of each member folder tells
    // the links apart. A file with more names is looked for among all the members.
    let name = match follow_links(path) {
        Ok(resolved) if out.nlink() == 1 => resolved.file_name().map(OsStr::to_os_string),
        _ => None,
    };
    let mut links = Links::default();
    let members: Vec<&Path> = members
        .into_iter()
        .filter(|member| match &name {
            Some(name) => member.file_name() == Some(name) || links.may_be_link(member),
            None => true,
        })
        .collect();
    let found = crate::cores::per_core(&members, |_, part| {
        part.iter()
            .find(|member| fs::metadata(member).is_ok_and(|m| is_output(&m)))
            .copied()
    });
    match found.into_iter().flatten().next() {
        Some(member) => Err(refuse(member)),
        None => Ok(()),
    }
}

/// The symbolic links of the folders members are in, each folder listed once: one listing
/// costs far less than a lookup of each of a million members.
#[derive(Default)]
struct Links {
    /// Each folder's links; `None` for a folder that could not be listed.
    folders: Vec<Option<HashSet<OsString>>>,
    /// Where each folder is in `folders`.
    index: HashMap<PathBuf, usize>,
    /// The last folder asked about: members come folder by folder.
    last: Option<(PathBuf, usize)>,
}

impl Links {
    /// Whether `member` is, or may be, a symbolic link: it is one in its folder's listing, its
    /// name is not a plain one (`..`), or its folder exists but cannot be listed.
    fn may_be_link(&mut self, member: &Path) -> bool {
        let Some(name) = member.file_name() else {
            return true;
        };
        let dir = folder_of(member);
        let i = match &self.last {
            Some((last, i)) if last == dir => *i,
            _ => {
                let folders = &mut self.folders;
                let i = *self.index.entry(dir.to_path_buf()).or_insert_with(|| {
                    folders.push(links_in(dir));
                    folders.len() - 1
                });
                self.last = Some((dir.to_path_buf(), i));
                i
            }
        };
        self.folders[i]
            .as_ref()
            .is_none_or(|links| links.contains(name))
    }
}

/// The names of the links in `dir` (and of entries whose type the listing does not give);
/// `None` when `dir` exists but cannot be listed. A folder that does not exist has none.
fn links_in(dir: &Path) -> Option<HashSet<OsString>> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Some(Default::default()),
        Err(_) => return None,
    };
    let mut links = HashSet::new();
    for entry in entries {
        let entry = entry.ok()?;
        if entry.file_type().map_or(true, |t| t.is_symlink()) {
            links.insert(entry.file_name());
        }
    }
    Some(links)
}

fn write_file(path: &Path, text: &dyn Render) -> Result<(), Error> {
    let fail = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    if path.as_os_str().is_empty() {
        return Err(fail(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the output path is empty",
        )));
    }
    let resolved = follow_links(path)?;
    match fs::metadata(path) {
        Ok(meta) if meta.is_dir() => Err(Error::OutputIsDirectory(path.to_path_buf())),
        Ok(meta) if !meta.is_file() => write_through(path, text).map_err(fail),
        Ok(meta) => {
            refuse_fits(path)?;
            // A rename needs no permission to write the file it replaces. Opening it for
            // writing (without truncating it) refuses a file the user may not write, as the
            // reference's own open() would, and is the handle an in-place write uses.
            let file = OpenOptions::new().write(true).open(path).map_err(fail)?;
            let replaceable = meta.nlink() == 1
                && fs::metadata(&resolved)
                    .is_ok_and(|r| r.dev() == meta.dev() && r.ino() == meta.ino());
            if replaceable {
                match replace(&resolved, Some((&file, &meta)), text) {
                    // The file is whole again: a copy left by an interrupted in-place write
                    // has nothing left to keep.
                    Ok(Replaced::Done) => return remove_backup(&resolved, &meta),
                    Ok(Replaced::KeepsLess) => {}
                    Err(e) => return Err(e.into_error(path)),
                }
            }
            write_in_place(file, &resolved, &meta, text)
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => match replace(&resolved, None, text) {
            Ok(_) => Ok(()),
            Err(e) => Err(e.into_error(path)),
        },
        Err(e) => Err(fail(e)),
    }
}

/// Opens a special file and writes straight into it, as `open(path, "w")` does: nothing is
/// renamed over it and nothing opens it before this one write.
fn write_through(path: &Path, text: &dyn Render) -> io::Result<()> {
    let file = OpenOptions::new().write(true).truncate(true).open(path)?;
    let mut out = BufWriter::with_capacity(BUFFER, file);
    text.render(&mut out)?;
    out.flush()
}

/// A file that starts as FITS data does (`SIMPLE  =`) is an exposure, never an association:
/// most likely the value of `-o` was forgotten and the exposure's name took its place.
fn refuse_fits(path: &Path) -> Result<(), Error> {
    const FITS: &[u8] = b"SIMPLE  =";
    let mut head = [0u8; FITS.len()];
    let is_fits = File::open(path)
        .and_then(|mut file| file.read_exact(&mut head))
        .is_ok_and(|()| head == FITS);
    if is_fits {
        return Err(Error::OutputIsFits(path.to_path_buf()));
    }
    Ok(())
}

/// Follows `path` through every symbolic link on the way, at any of its components, to the
/// file it names, which need not exist, as the kernel would, including its
/// `fs.protected_symlinks` rule (which this rule applies whether the machine has it on or not):
/// a link in a sticky world-writable folder is followed only when the caller or the folder's
/// owner owns it. A link whose target cannot be followed in user space (`/proc/self/fd/1`
/// reads as `pipe:[123]`) ends the walk; the caller then finds the path and the walk's end
/// differ.
fn follow_links(path: &Path) -> Result<PathBuf, Error> {
    let fail = write_error(path);
    // The components still to walk, the next one last.
    let mut todo: Vec<PathBuf> = Vec::new();
    push_components(&mut todo, path);
    // What is walked so far, with no link left in it.
    let mut walked = PathBuf::new();
    let mut links = 0;
    while let Some(part) = todo.pop() {
        match part.components().next() {
            Some(Component::RootDir) => walked = PathBuf::from("/"),
            Some(Component::CurDir) | None => {}
            Some(Component::ParentDir) => match walked.components().next_back() {
                Some(Component::Normal(_)) => {
                    walked.pop();
                }
                Some(Component::RootDir) => {}
                _ => walked.push(".."),
            },
            Some(Component::Normal(_) | Component::Prefix(_)) => {
                let next = walked.join(&part);
                let meta = match fs::symlink_metadata(&next) {
                    Ok(meta) if meta.file_type().is_symlink() => meta,
                    _ => {
                        walked = next;
                        continue;
                    }
                };
                // Linux gives up after 40 links; so do we.
                links += 1;
                if links > 40 {
                    return Err(fail(io::Error::from_raw_os_error(
                        Errno::LOOP.raw_os_error(),
                    )));
                }
                refuse_protected(&next, &meta)?;
                let target = fs::read_link(&next).map_err(&fail)?;
                if target.is_absolute() {
                    walked = PathBuf::new();
                }
                push_components(&mut todo, &target);
            }
        }
    }
    if walked.as_os_str().is_empty() {
        walked.push(".");
    }
    Ok(walked)
}

/// Puts the components of `path` on `todo`, the first one last.
fn push_components(todo: &mut Vec<PathBuf>, path: &Path) {
    todo.extend(
        path.components()
            .rev()
            .map(|c| PathBuf::from(c.as_os_str())),
    );
}

/// Refuses the link `link` (with metadata `meta`) when the kernel's `protected_symlinks` rule
/// would: it is in a sticky world-writable folder, and neither the caller nor the folder's
/// owner owns it.
fn refuse_protected(link: &Path, meta: &Metadata) -> Result<(), Error> {
    let Ok(dir) = fs::metadata(folder_of(link)) else {
        return Ok(());
    };
    let sticky_and_open = dir.mode() & 0o1002 == 0o1002;
    let caller = rustix::process::geteuid().as_raw();
    if sticky_and_open && meta.uid() != caller && meta.uid() != dir.uid() {
        return Err(Error::ProtectedSymlink {
            link: link.to_path_buf(),
            owner: meta.uid(),
        });
    }
    Ok(())
}

/// How a replacement ended, when it did not fail.
enum Replaced {
    /// The new file is in place, durably, with the old one's metadata.
    Done,
    /// Replacing would lose something the old file had: write it in place instead.
    KeepsLess,
}

/// Why a replacement failed, before it is given the path the user named.
enum ReplaceError {
    DirMissing(PathBuf),
    Io(io::Error),
}

impl ReplaceError {
    fn into_error(self, path: &Path) -> Error {
        match self {
            ReplaceError::DirMissing(dir) => Error::OutputDirMissing {
                path: path.to_path_buf(),
                dir,
            },
            ReplaceError::Io(source) => Error::Write {
                path: path.to_path_buf(),
                source,
            },
        }
    }
}

impl From<io::Error> for ReplaceError {
    fn from(e: io::Error) -> Self {
        ReplaceError::Io(e)
    }
}

/// Writes `text` to a new file beside `target` and renames it over `target`, carrying over
/// what `existing` (the old file and its metadata) had.
fn replace(
    target: &Path,
    existing: Option<(&File, &Metadata)>,
    text: &dyn Render,
) -> Result<Replaced, ReplaceError> {
    let dir = folder_of(target).to_path_buf();
    let folder = match File::open(&dir) {
        Ok(folder) if folder.metadata().is_ok_and(|m| m.is_dir()) => folder,
        Ok(_) => return Err(ReplaceError::DirMissing(dir)),
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
            ) =>
        {
            return Err(ReplaceError::DirMissing(dir))
        }
        Err(_) if existing.is_some() => return Ok(Replaced::KeepsLess),
        Err(e) => return Err(e.into()),
    };
    let temp = match Temp::create(&dir) {
        Ok(temp) => temp,
        // A folder the user may not write, holding a file the user may.
        Err(e) if existing.is_some() && is_refusal(&e) => return Ok(Replaced::KeepsLess),
        Err(e) => return Err(e.into()),
    };
    {
        let mut out = BufWriter::with_capacity(BUFFER, temp.file());
        text.render(&mut out)?;
        out.flush()?;
    }
    if let Some((old, meta)) = existing {
        if keep_metadata(temp.file(), old, meta).is_err() {
            return Ok(Replaced::KeepsLess);
        }
    }
    sys::sync_all(temp.file())?;
    match temp.persist(target) {
        Ok(()) => {}
        // A bind-mounted file (EBUSY), another user's file in a sticky folder (EPERM).
        Err(e)
            if existing.is_some()
                && (is_refusal(&e) || e.raw_os_error() == Some(Errno::BUSY.raw_os_error())) =>
        {
            return Ok(Replaced::KeepsLess)
        }
        Err(e) => return Err(e.into()),
    }
    match sys::sync_all(&folder) {
        // Some file systems cannot flush a folder; the rename is as durable as they make it.
        Err(e) if e.raw_os_error() == Some(Errno::INVAL.raw_os_error()) => Ok(Replaced::Done),
        Err(e) => Err(e.into()),
        Ok(()) => Ok(Replaced::Done),
    }
}

fn is_refusal(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::PermissionDenied
        || e.raw_os_error() == Some(Errno::PERM.raw_os_error())
}

/// Gives `new` the owner, group, extended attributes (ACLs among them) and mode of `old`.
/// Owner first, because a change of owner clears the set-user-ID bit; mode last, because it
/// also sets the ACL mask, to what it was.
fn keep_metadata(new: &File, old: &File, meta: &Metadata) -> io::Result<()> {
    let now = new.metadata()?;
    if now.uid() != meta.uid() || now.gid() != meta.gid() {
        rustix::fs::fchown(
            new,
            Some(Uid::from_raw(meta.uid())),
            Some(Gid::from_raw(meta.gid())),
        )?;
    }
    let wanted = xattr_names(old)?;
    for name in xattr_names(new)? {
        if !wanted.contains(&name) {
            rustix::fs::fremovexattr(new, name.as_slice())?;
        }
    }
    for name in &wanted {
        let size = rustix::fs::fgetxattr_query(old, name.as_slice())?;
        let mut value = vec![0u8; size];
        let len = rustix::fs::fgetxattr(old, name.as_slice(), &mut value[..])?;
        rustix::fs::fsetxattr(new, name.as_slice(), &value[..len], XattrFlags::empty())?;
    }
    new.set_permissions(fs::Permissions::from_mode(meta.mode() & 0o7777))?;
    Ok(())
}

/// The names of a file's extended attributes; none where the file system has none.
fn xattr_names(file: &File) -> io::Result<Vec<Vec<u8>>> {
    let size = match rustix::fs::flistxattr_query(file) {
        Ok(size) => size,
        Err(Errno::NOTSUP) => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    let mut list = vec![0u8; size];
    let len = rustix::fs::flistxattr(file, &mut list[..])?;
    Ok(list[..len]
        .split(|&b| b == 0)
        .filter(|name| !name.is_empty())
        .map(<[u8]>::to_vec)
        .collect())
}

/// Rewrites `file` (the regular file `target`, with metadata `meta`) in place, which keeps its
/// hard links, its inode and everything on it. The text is rendered first, so that every error
/// comes before the first byte. The old content is first copied, durably, to
/// [`backup_path`] beside the file; the file is then truncated, written and flushed to disk,
/// with signals held off, and only then is the copy removed. A crash at any moment leaves the
/// file whole (old or new) or the copy holding the whole old content.
///
/// A copy already there is what an interrupted run left: the content from before that run,
/// while the file itself may be a part. It is kept as this write's copy (never replaced by
/// the part) and removed once this write is on disk. Where no copy can be made (a folder the
/// user may not write, a file the user may write but not read) the file is rewritten as
/// before, with no copy.
fn write_in_place(
    mut file: File,
    target: &Path,
    meta: &Metadata,
    text: &dyn Render,
) -> Result<(), Error> {
    let fail = write_error(target);
    let mut rendered = Vec::new();
    text.render(&mut rendered).map_err(&fail)?;
    let backup = backup_path(target);
    let made = match existing_backup(&backup, meta)? {
        true => false,
        false => make_backup(target, &backup, meta).map_err(write_error(&backup))?,
    };
    let mut critical = pending();
    let written = rewrite(&mut file, &rendered);
    if made {
        critical.retain(|p| *p != Pending::File(backup.clone()));
    }
    drop(critical);
    if let Err(e) = written {
        // A full disk, most likely: put the old content back; where even that fails, the
        // copy stays beside the file.
        if let Ok(mut old) = File::open(&backup) {
            let mut content = Vec::new();
            if old.read_to_end(&mut content).is_ok() && rewrite(&mut file, &content).is_ok() {
                let _ = remove_backup(target, meta);
            }
        }
        return Err(fail(e));
    }
    remove_backup(target, meta)
}

/// Truncates `file` and writes `content` into it, durably.
fn rewrite(file: &mut File, content: &[u8]) -> io::Result<()> {
    file.set_len(0)?;
    file.seek(io::SeekFrom::Start(0))?;
    file.write_all(content)?;
    sys::sync_all(file)
}

/// The copy of `target`'s old content while it is rewritten in place:
/// `.NAME.asn-from-list.bak` beside it, NAME cut short where the whole would be longer than a
/// file name may be (255 bytes).
pub fn backup_path(target: &Path) -> PathBuf {
    const SUFFIX: &str = ".asn-from-list.bak";
    let name = target.file_name().unwrap_or(target.as_os_str()).as_bytes();
    let room = 255 - 1 - SUFFIX.len();
    let mut backup = b".".to_vec();
    backup.extend_from_slice(&name[..name.len().min(room)]);
    backup.extend_from_slice(SUFFIX.as_bytes());
    target.with_file_name(OsStr::from_bytes(&backup))
}

/// Whether a copy an interrupted in-place write left is at `backup`. Only a regular file with
/// no other link, owned by this user or by the file's owner, is taken as one: anything else
/// (a link or a file another user planted in a shared folder) is in the way.
fn existing_backup(backup: &Path, meta: &Metadata) -> Result<bool, Error> {
    match fs::symlink_metadata(backup) {
        Ok(found) => {
            let caller = rustix::process::geteuid().as_raw();
            let ours = found.is_file()
                && found.nlink() == 1
                && (found.uid() == caller || found.uid() == meta.uid());
            if ours {
                Ok(true)
            } else {
                Err(Error::BackupInTheWay(backup.to_path_buf()))
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(write_error(backup)(e)),
    }
}

/// Copies `target` to `backup` (an unnamed file until it is whole and on disk, so the name
/// only ever shows a whole copy), with the old file's owner, group and permissions, and
/// flushes the folder, so that the copy is there before the file is touched. Returns whether
/// a copy was made; `false` where the folder or the file does not allow one.
fn make_backup(target: &Path, backup: &Path, meta: &Metadata) -> io::Result<bool> {
    let mut old = match File::open(target) {
        Ok(old) => old,
        Err(e) if is_refusal(&e) => return Ok(false),
        Err(e) => return Err(e),
    };
    let dir = folder_of(target);
    let temp = match Temp::create(dir) {
        Ok(temp) => temp,
        Err(e) if is_refusal(&e) => return Ok(false),
        Err(e) => return Err(e),
    };
    // Private until its owner and mode are the old file's.
    temp.file()
        .set_permissions(fs::Permissions::from_mode(0o600))?;
    io::copy(&mut old, &mut temp.file())?;
    if keep_metadata(temp.file(), &old, meta).is_err() {
        temp.file()
            .set_permissions(fs::Permissions::from_mode(0o600))?;
    }
    sys::sync_all(temp.file())?;
    temp.persist(backup)?;
    pending().push(Pending::File(backup.to_path_buf()));
    sync_folder(dir)?;
    Ok(true)
}

/// Removes the copy of `target`'s old content, if one is there and is this tool's, now that
/// `target` is whole and on disk.
fn remove_backup(target: &Path, meta: &Metadata) -> Result<(), Error> {
    let backup = backup_path(target);
    match existing_backup(&backup, meta) {
        Ok(true) => {
            fs::remove_file(&backup).map_err(write_error(&backup))?;
            // A removal lost to a power cut brings back a copy the next run removes.
            sync_folder(folder_of(target)).map_err(write_error(target))
        }
        // Nothing of ours to remove; what is in the way matters only to an in-place write.
        Ok(false) | Err(Error::BackupInTheWay(_)) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Flushes a folder's entries to disk; some file systems cannot, and make them as durable as
/// they can without.
fn sync_folder(dir: &Path) -> io::Result<()> {
    match File::open(dir).and_then(|folder| sys::sync_all(&folder)) {
        Err(e) if e.raw_os_error() == Some(Errno::INVAL.raw_os_error()) => Ok(()),
        other => other,
    }
}

/// The new file, before it takes the target's name.
enum Temp {
    /// An unnamed file (`O_TMPFILE`): a run killed before it is linked leaves nothing.
    Unnamed { file: sys::Unnamed, dir: PathBuf },
    /// A named file, for file systems without unnamed ones; removed on drop or on a signal.
    Named(Named),
}

/// Temporary names are short, so that a 255-byte output name still leaves room.
const TEMP_PREFIX: &str = ".asn-from-list.";

impl Temp {
    /// An unnamed file in `dir` where its file system has them, a named one otherwise.
    fn create(dir: &Path) -> io::Result<Temp> {
        // A new output gets the permissions any new file gets (0666 less the umask), not the
        // 0600 of a private temporary file.
        match sys::Unnamed::create(dir)? {
            Some(file) => Ok(Temp::Unnamed {
                file,
                dir: dir.to_path_buf(),
            }),
            None => Temp::named(dir),
        }
    }

    fn named(dir: &Path) -> io::Result<Temp> {
        let mut pending = pending();
        // The pid in the name tells a later run whether the file's run is gone.
        let file = tempfile::Builder::new()
            .prefix(&format!("{TEMP_PREFIX}{}.", std::process::id()))
            .suffix(".tmp")
            .permissions(fs::Permissions::from_mode(0o666))
            .tempfile_in(dir)?;
        pending.push(Pending::File(file.path().to_path_buf()));
        Ok(Temp::Named(Named(Some(file))))
    }

    fn file(&self) -> &File {
        match self {
            Temp::Unnamed { file, .. } => file.file(),
            Temp::Named(Named(Some(named))) => named.as_file(),
            Temp::Named(Named(None)) => {
                unreachable!("a named temporary file is taken only to persist it")
            }
        }
    }

    /// Gives the file `target`'s name, replacing what was there, with signals held off.
    fn persist(self, target: &Path) -> io::Result<()> {
        let mut pending = pending();
        match self {
            Temp::Unnamed { file, dir } => {
                // linkat() cannot replace a name: link under a temporary name, then rename.
                let mut attempt = 0u32;
                let name = loop {
                    let name =
                        dir.join(format!("{TEMP_PREFIX}{}.{attempt}.tmp", std::process::id()));
                    match file.link(&name) {
                        Ok(()) => break name,
                        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => attempt += 1,
                        Err(e) => return Err(e),
                    }
                };
                let renamed = fs::rename(&name, target);
                if renamed.is_err() {
                    let _ = fs::remove_file(&name);
                }
                renamed
            }
            Temp::Named(mut named) => {
                let Some(file) = named.0.take() else {
                    unreachable!("a named temporary file is persisted once")
                };
                let temp_path = file.path().to_path_buf();
                // On failure the file is dropped, and so removed.
                let persisted = file.persist(target).map(drop).map_err(|e| e.error);
                pending.retain(|p| *p != Pending::File(temp_path.clone()));
                persisted
            }
        }
    }
}

/// A named temporary file, listed in [`PENDING`] while it exists.
struct Named(Option<tempfile::NamedTempFile>);

impl Drop for Named {
    fn drop(&mut self) {
        if let Some(file) = &self.0 {
            let path = file.path().to_path_buf();
            pending().retain(|p| *p != Pending::File(path.clone()));
        }
    }
}

/// A temporary file, or a folder being filled, that a signal must remove. The lock on the list
/// ([`PENDING`]) is also held while a file is renamed into place or rewritten in place, so a
/// signal waits for that to finish.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Pending {
    File(PathBuf),
    Folder(PathBuf),
}

static PENDING: Mutex<Vec<Pending>> = Mutex::new(Vec::new());

/// The list of [`PENDING`], for changing it, or for making, renaming or writing with signals
/// held off.
fn pending() -> MutexGuard<'static, Vec<Pending>> {
    PENDING.lock().unwrap_or_else(PoisonError::into_inner)
}

/// For a front end that is stopping on a signal: removes every temporary file a write has
/// made and not yet renamed, and returns a guard that holds off any further rename or
/// in-place write for as long as it lives. Call it from a signal-handling thread, then exit.
pub fn abandon_writes() -> impl Drop {
    let mut pending = pending();
    for made in pending.drain(..) {
        // Nothing more can be done about a failure here: the process is stopping.
        let _ = match made {
            Pending::File(path) => fs::remove_file(path),
            // Files may still be appearing in it: try again while it is not empty.
            Pending::Folder(path) => (0..5)
                .map(|_| remove_folder(&path))
                .find(Result::is_ok)
                .unwrap_or(Ok(())),
        };
    }
    pending
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tests that look at [`PENDING`], one at a time.
    static SERIAL: Mutex<()> = Mutex::new(());

    struct Text(&'static str);

    impl Render for Text {
        fn render(&self, out: &mut dyn Write) -> io::Result<()> {
            out.write_all(self.0.as_bytes())
        }
    }

    struct Failing;

    impl Render for Failing {
        fn render(&self, out: &mut dyn Write) -> io::Result<()> {
            out.write_all(b"partial")?;
            Err(io::Error::other("disk on fire"))
        }
    }

    fn entries(dir: &Path) -> usize {
        fs::read_dir(dir).unwrap().count()
    }

    fn items<'a>(texts: &'a [(&'static str, Text)]) -> Vec<(&'a OsStr, &'a (dyn Render + Sync))> {
        texts
            .iter()
            .map(|(n, t)| (OsStr::new(*n), t as &(dyn Render + Sync)))
            .collect()
    }

    fn json_only(path: &Path) -> bool {
        path.extension().is_some_and(|e| e == "json")
    }

    fn contents(dir: &Path) -> Vec<(String, String)> {
        let mut files: Vec<_> = fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let text = fs::read_to_string(e.path()).unwrap();
                (e.file_name().into_string().unwrap(), text)
            })
            .collect();
        files.sort();
        files
    }

    #[test]
    fn a_new_folder_appears_whole_with_every_file() {
        let _serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("asn");
        let texts = [
            ("a.json", Text("one")),
            ("b.json", Text("two")),
            ("c.json", Text("three")),
        ];
        write_folder(&dir, &items(&texts), &json_only).unwrap();
        assert_eq!(fs::read_to_string(dir.join("b.json")).unwrap(), "two");
        assert_eq!(entries(&dir), 3);
        // Nothing else beside it, and the folder has the mode mkdir gives.
        assert_eq!(entries(parent.path()), 1);
        let plain = parent.path().join("plain");
        fs::create_dir(&plain).unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode();
        assert_eq!(mode(&dir), mode(&plain));
        assert!(pending().is_empty());
    }

    #[test]
    fn a_failed_new_folder_leaves_nothing() {
        let _serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("asn");
        let items: Vec<(&OsStr, &(dyn Render + Sync))> = vec![
            (OsStr::new("a.json"), &Text("one")),
            (OsStr::new("b.json"), &Failing),
        ];
        assert!(write_folder(&dir, &items, &json_only).is_err());
        assert_eq!(entries(parent.path()), 0);
        assert!(pending().is_empty());
    }

    /// The path a failed write names.
    fn failed_path(result: Result<(), Error>) -> PathBuf {
        match result {
            Err(Error::Write { path, .. }) => path,
            other => panic!("expected a failed write, got {other:?}"),
        }
    }

    #[test]
    fn many_files_are_made_and_written_whole_and_a_failure_names_its_file() {
        let staging = tempfile::tempdir().unwrap();
        let dir = Path::new("asn");
        let names: Vec<String> = (0..1000).map(|i| format!("{i:04}.json")).collect();
        struct Numbered(usize);
        impl Render for Numbered {
            fn render(&self, out: &mut dyn Write) -> io::Result<()> {
                write!(out, "text {}", self.0)
            }
        }
        let texts: Vec<Numbered> = (0..1000).map(Numbered).collect();
        let mut items: Vec<(&OsStr, &(dyn Render + Sync))> = names
            .iter()
            .zip(&texts)
            .map(|(n, t)| (OsStr::new(n), t as &(dyn Render + Sync)))
            .collect();
        fill(&File::open(staging.path()).unwrap(), dir, &items).unwrap();
        assert_eq!(entries(staging.path()), 1000);
        assert_eq!(
            fs::read_to_string(staging.path().join("0731.json")).unwrap(),
            "text 731"
        );

        // A text that cannot be rendered, far into the set: its file is named.
        let again = tempfile::tempdir().unwrap();
        items[617].1 = &Failing;
        let failed = failed_path(fill(&File::open(again.path()).unwrap(), dir, &items));
        assert_eq!(failed, dir.join("0617.json"));

        // A file that cannot be made: named too, and nothing after it is made.
        let again = tempfile::tempdir().unwrap();
        items[617].1 = &texts[617];
        items[500].0 = OsStr::new("no such folder/0500.json");
        let failed = failed_path(fill(&File::open(again.path()).unwrap(), dir, &items));
        assert_eq!(failed, dir.join("no such folder/0500.json"));
        assert!(entries(again.path()) <= 500);
    }

    /// A folder `asn` in `parent` holding an earlier run's a, b and c.
    fn earlier_run(parent: &Path) -> PathBuf {
        let dir = parent.join("asn");
        fs::create_dir(&dir).unwrap();
        for name in ["a.json", "b.json", "c.json"] {
            fs::write(dir.join(name), "old").unwrap();
        }
        dir
    }

    #[test]
    fn an_existing_folder_is_exchanged_for_exactly_the_new_set_and_keeps_its_mode() {
        let _serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
        let parent = tempfile::tempdir().unwrap();
        let dir = earlier_run(parent.path());
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o750)).unwrap();
        let before = fs::metadata(&dir).unwrap().ino();
        let texts = [("b.json", Text("new b")), ("d.json", Text("new d"))];
        write_folder(&dir, &items(&texts), &json_only).unwrap();
        let pair = |n: &str, t: &str| (n.to_string(), t.to_string());
        assert_eq!(
            contents(&dir),
            [pair("b.json", "new b"), pair("d.json", "new d")]
        );
        // Another folder took its place, where folders can be exchanged (elsewhere the files
        // were moved in), with its mode; nothing is left beside it.
        let meta = fs::metadata(&dir).unwrap();
        let exchanged = cfg!(any(
            all(target_os = "linux", not(feature = "portable-sys")),
            target_vendor = "apple"
        ));
        assert_eq!(meta.ino() != before, exchanged);
        assert_eq!(meta.mode() & 0o7777, 0o750);
        assert_eq!(entries(parent.path()), 1);
        assert!(pending().is_empty());
    }

    #[test]
    fn a_read_only_folder_is_exchanged_and_its_old_set_still_removed() {
        let _serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
        let parent = tempfile::tempdir().unwrap();
        let dir = earlier_run(parent.path());
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o555)).unwrap();
        let texts = [("d.json", Text("new d"))];
        write_folder(&dir, &items(&texts), &json_only).unwrap();
        assert_eq!(
            contents(&dir),
            [("d.json".to_string(), "new d".to_string())]
        );
        assert_eq!(fs::metadata(&dir).unwrap().mode() & 0o7777, 0o555);
        assert_eq!(entries(parent.path()), 1);
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
    }

    #[test]
    fn anything_else_in_the_folder_is_refused_before_a_byte_is_written() {
        let _serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
        let parent = tempfile::tempdir().unwrap();
        let dir = earlier_run(parent.path());
        fs::write(dir.join("notes.txt"), "mine").unwrap();
        let texts = [("d.json", Text("new d"))];
        let err = write_folder(&dir, &items(&texts), &json_only).unwrap_err();
        assert!(
            matches!(&err, Error::FolderHoldsOther { file, .. } if file.ends_with("notes.txt")),
            "{err}"
        );
        assert_eq!(contents(&dir).len(), 4);
        assert_eq!(fs::read_to_string(dir.join("a.json")).unwrap(), "old");
        assert_eq!(entries(parent.path()), 1);
    }

    #[test]
    fn a_staging_folder_of_a_run_that_is_gone_is_removed_and_a_live_one_s_kept() {
        let _serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
        let parent = tempfile::tempdir().unwrap();
        let mut gone = std::process::Command::new("true").spawn().unwrap();
        gone.wait().unwrap();
        let mut alive = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let name = OsStr::new("asn");
        let stale = parent.path().join(staging_name(name, gone.id()));
        let live = parent.path().join(staging_name(name, alive.id()));
        for folder in [&stale, &live] {
            fs::create_dir(folder).unwrap();
            fs::write(folder.join("a.json"), "half").unwrap();
        }
        let texts = [("a.json", Text("new"))];
        write_folder(&parent.path().join("asn"), &items(&texts), &json_only).unwrap();
        let _ = alive.kill();
        let _ = alive.wait();
        assert!(!stale.exists());
        assert!(live.exists());
    }

    #[test]
    fn a_temporary_file_of_a_live_run_in_the_folder_is_refused() {
        let _serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
        let parent = tempfile::tempdir().unwrap();
        let dir = earlier_run(parent.path());
        let mut alive = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        fs::write(dir.join(format!("{TEMP_PREFIX}{}.0.tmp", alive.id())), "").unwrap();
        let texts = [("d.json", Text("new d"))];
        let err = write_folder(&dir, &items(&texts), &json_only).unwrap_err();
        let _ = alive.kill();
        let _ = alive.wait();
        assert!(matches!(err, Error::FolderInUse { .. }), "{err}");
        assert_eq!(contents(&dir).len(), 4);
    }

    /// The portable path, where folders cannot be exchanged, run on Linux too: each file moved
    /// in, the old ones no longer wanted removed.
    #[test]
    fn without_an_exchange_each_file_is_moved_in_and_the_stale_ones_removed() {
        let _serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
        let parent = tempfile::tempdir().unwrap();
        let dir = earlier_run(parent.path());
        let old = replaced_files(&dir, &json_only).unwrap();
        let staging = parent.path().join("staging");
        fs::create_dir(&staging).unwrap();
        fs::write(staging.join("b.json"), "new b").unwrap();
        fs::write(staging.join("d.json"), "new d").unwrap();
        move_each(&staging, &dir, &old).unwrap();
        let pair = |n: &str, t: &str| (n.to_string(), t.to_string());
        assert_eq!(
            contents(&dir),
            [pair("b.json", "new b"), pair("d.json", "new d")]
        );
        assert_eq!(entries(&staging), 0);
    }

    /// The last resort, for a folder whose parent the user may not write: file by file.
    #[test]
    fn file_by_file_the_folder_ends_with_exactly_the_new_set() {
        let _serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
        let parent = tempfile::tempdir().unwrap();
        let dir = earlier_run(parent.path());
        let old = replaced_files(&dir, &json_only).unwrap();
        let texts = [("b.json", Text("new b")), ("d.json", Text("new d"))];
        write_each(&dir, &items(&texts), &old).unwrap();
        let pair = |n: &str, t: &str| (n.to_string(), t.to_string());
        assert_eq!(
            contents(&dir),
            [pair("b.json", "new b"), pair("d.json", "new d")]
        );
        assert!(pending().is_empty());
    }

    #[test]
    fn a_signal_removes_a_folder_being_filled() {
        let _serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
        let parent = tempfile::tempdir().unwrap();
        let staging = parent.path().join(".asn.tmp");
        fs::create_dir(&staging).unwrap();
        fs::write(staging.join("a.json"), "x").unwrap();
        pending().push(Pending::Folder(staging.clone()));
        drop(abandon_writes());
        assert!(!staging.exists());
    }

    #[test]
    fn a_file_is_replaced_and_no_temporary_is_left() {
        // Named temporaries (the portable path's only kind) are listed in PENDING.
        let _serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.json");
        fs::write(&path, "old").unwrap();
        write(&Output::File(path.clone()), &Text("new")).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(entries(dir.path()), 1);
    }

    #[test]
    fn a_failed_render_keeps_the_old_file_and_leaves_no_temporary() {
        // Named temporaries (the portable path's only kind) are listed in PENDING.
        let _serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.json");
        fs::write(&path, "old").unwrap();
        let err = write(&Output::File(path.clone()), &Failing).unwrap_err();
        let source = std::error::Error::source(&err).map(ToString::to_string);
        assert_eq!(source.as_deref(), Some("disk on fire"));
        assert_eq!(fs::read_to_string(&path).unwrap(), "old");
        assert_eq!(entries(dir.path()), 1);
    }

    #[test]
    fn the_named_fallback_leaves_no_temporary_either() {
        let _serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
        let dir = tempfile::tempdir().unwrap();
        let temp = Temp::named(dir.path()).unwrap();
        assert_eq!(pending().len(), 1);
        (&mut temp.file()).write_all(b"x").unwrap();
        temp.persist(&dir.path().join("out.json")).unwrap();
        assert_eq!(entries(dir.path()), 1);
        assert!(pending().is_empty());
        drop(Temp::named(dir.path()).unwrap());
        assert_eq!(entries(dir.path()), 1);
        assert!(pending().is_empty());
    }

    #[test]
    fn abandoning_writes_removes_named_temporaries_and_holds_off_renames() {
        let _serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
        let dir = tempfile::tempdir().unwrap();
        let temp = Temp::named(dir.path()).unwrap();
        let held = abandon_writes();
        assert_eq!(entries(dir.path()), 0);
        assert!(PENDING.try_lock().is_err(), "the guard holds renames off");
        drop(held);
        drop(temp);
        assert!(pending().is_empty());
    }

    #[test]
    fn the_copy_of_a_file_written_in_place_is_hidden_beside_it_and_fits_a_file_name() {
        assert_eq!(
            backup_path(Path::new("out.json")),
            Path::new(".out.json.asn-from-list.bak")
        );
        assert_eq!(
            backup_path(Path::new("/a/b/x.json")),
            Path::new("/a/b/.x.json.asn-from-list.bak")
        );
        let long = "n".repeat(255);
        let backup = backup_path(Path::new(&long));
        let name = backup.file_name().unwrap().as_bytes();
        assert_eq!(name.len(), 255);
        assert!(name.starts_with(b".nnn") && name.ends_with(b"nnn.asn-from-list.bak"));
    }

    #[test]
    fn dash_is_standard_output_and_paths_are_read_as_pathlib_reads_them() {
        assert_eq!(Output::from_arg("-"), Output::Stdout);
        let file = |s: &str| Output::File(PathBuf::from(s));
        assert_eq!(Output::from_arg("./-"), file("./-"));
        assert_eq!(Output::from_arg("out.json/"), file("out.json"));
        assert_eq!(Output::from_arg("out.json/."), file("out.json"));
        assert_eq!(Output::from_arg("out.json//"), file("out.json"));
        assert_eq!(Output::from_arg("a//b/./c"), file("a/b/c"));
        assert_eq!(Output::from_arg("/x/../y"), file("/x/../y"));
    }
}
