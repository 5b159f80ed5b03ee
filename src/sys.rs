//! The one home of platform differences, as std's `sys` modules and ripgrep's `crates/cli` keep
//! theirs: every call that exists on one operating system only is made here, beside a portable
//! path that keeps the same promise, and callers never see `#[cfg(target_os)]`.
//!
//! | promise | Linux | elsewhere (macOS, other Unix) |
//! |---|---|---|
//! | a file reaches the disk | `fsync` | `F_FULLFSYNC` on macOS, or `fsync` where a file system refuses it |
//! | a batch of new files reaches the disk | one `syncfs` | `fsync` each, then one `F_FULLFSYNC` on macOS (as git's batch mode does) |
//! | a killed run leaves no temporary file | `O_TMPFILE` | none: callers use a named temporary, removed on signals |
//! | a folder is never renamed onto another | `renameat2(RENAME_NOREPLACE)` | `renamex_np(RENAME_EXCL)` on macOS; a look, then `rename`, elsewhere |
//! | a closed standard output is told from `/dev/null` | `.init_array` | `__mod_init_func` (Mach-O), `.init_array` (other ELF) |
//!
//! The `portable-sys` feature makes a Linux build take the portable paths, so that the tests
//! of writes, faults and signals run through them on Linux too.

use std::fs::File;
use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use rustix::io::Errno;

#[cfg(all(target_os = "linux", not(feature = "portable-sys")))]
use linux as imp;
#[cfg(not(all(target_os = "linux", not(feature = "portable-sys"))))]
use portable as imp;

/// Flushes a file, or a folder's entries, to the disk itself, as `fsync` does on Linux.
///
/// On macOS that is `F_FULLFSYNC` (plain `fsync` stops at the drive's cache), and `fsync` where
/// the file system has no `F_FULLFSYNC` (SMB and WebDAV mounts refuse it), as SQLite, libuv and
/// Go do. std's `File::sync_all` has no such fallback.
///
/// # Errors
///
/// The flush's error.
pub fn sync_all(file: &File) -> io::Result<()> {
    imp::sync_all(file)
}

/// Starts a new file's data on its way to the disk; [`sync_written`] on its folder, once the
/// whole batch is written out so, finishes the flush for every file of the batch.
///
/// # Errors
///
/// The flush's error.
pub fn write_out(file: &File) -> io::Result<()> {
    imp::write_out(file)
}

/// Makes every file of the folder's batch (each passed to [`write_out`]) durable. The names
/// the files will take are not covered: flush the folder after renaming them.
///
/// # Errors
///
/// The flush's error.
pub fn sync_written(folder: &File) -> io::Result<()> {
    imp::sync_written(folder)
}

/// A file with no name in a folder, which a killed run leaves nothing of; it takes a name
/// with [`Unnamed::link`].
pub struct Unnamed(imp::Unnamed);

impl Unnamed {
    /// An unnamed file in `dir`, writable, with the mode a new file gets (0666 less the
    /// umask); `None` where the platform or the file system has none.
    ///
    /// # Errors
    ///
    /// The error of opening it, other than its being unsupported.
    pub fn create(dir: &Path) -> io::Result<Option<Unnamed>> {
        Ok(imp::Unnamed::create(dir)?.map(Unnamed))
    }

    /// The open file.
    pub fn file(&self) -> &File {
        self.0.file()
    }

    /// Gives the file the name `path`, which must not exist.
    ///
    /// # Errors
    ///
    /// [`io::ErrorKind::AlreadyExists`] when `path` exists, or the error of linking.
    pub fn link(&self, path: &Path) -> io::Result<()> {
        self.0.link(path)
    }
}

/// Renames `from` to `to`, failing with [`io::ErrorKind::AlreadyExists`] rather than replace
/// anything at `to`, even a folder that appears meanwhile. Where the file system cannot refuse
/// in the same call, `to` is looked at first, which leaves a moment for a race.
///
/// # Errors
///
/// [`io::ErrorKind::AlreadyExists`], or the error of renaming.
pub fn rename_noreplace(from: &Path, to: &Path) -> io::Result<()> {
    match imp::rename_noreplace(from, to) {
        Err(e) if is_unsupported(&e) => {
            if std::fs::symlink_metadata(to).is_ok() {
                return Err(io::Error::from(io::ErrorKind::AlreadyExists));
            }
            std::fs::rename(from, to)
        }
        other => other,
    }
}

/// Exchanges the names of two folders in one step, so that each path holds the other's folder
/// and no moment shows neither: `renameat2(RENAME_EXCHANGE)` on Linux, `renameatx_np(RENAME_SWAP)`
/// on macOS.
///
/// # Errors
///
/// [`io::ErrorKind::Unsupported`] where the platform or the file system has no such exchange
/// (the caller then moves each file on its own), or the error of renaming.
pub fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    match imp::exchange(a, b) {
        Err(e) if is_unsupported(&e) => Err(io::Error::from(io::ErrorKind::Unsupported)),
        other => other,
    }
}

/// Whether an error says that the call, or one of its flags, is not supported here.
fn is_unsupported(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::Unsupported
        || [Errno::INVAL, Errno::NOSYS, Errno::NOTSUP, Errno::OPNOTSUPP]
            .iter()
            .any(|errno| e.raw_os_error() == Some(errno.raw_os_error()))
}

/// Whether the program was started with standard output closed (`>&-`). The Rust runtime puts
/// `/dev/null` in its place before `main`, where everything written would vanish unreported,
/// so this is noted by a constructor that runs before the runtime does.
pub fn stdout_was_closed() -> bool {
    STDOUT_WAS_CLOSED.load(Ordering::Relaxed)
}

static STDOUT_WAS_CLOSED: AtomicBool = AtomicBool::new(false);

/// Runs before `main` and before the Rust runtime fills closed standard streams with
/// `/dev/null`: the one moment a closed standard output can be told from an open one. The
/// loader runs the functions listed in `__mod_init_func` (Mach-O) or `.init_array` (ELF).
#[used]
#[cfg_attr(target_vendor = "apple", link_section = "__DATA,__mod_init_func")]
#[cfg_attr(not(target_vendor = "apple"), link_section = ".init_array")]
static NOTE_CLOSED_STDOUT: extern "C" fn() = {
    extern "C" fn note_closed_stdout() {
        let closed = rustix::io::fcntl_getfd(rustix::stdio::stdout()).is_err();
        STDOUT_WAS_CLOSED.store(closed, Ordering::Relaxed);
    }
    note_closed_stdout
};

#[cfg(all(target_os = "linux", not(feature = "portable-sys")))]
mod linux {
    use std::fs::File;
    use std::io;
    use std::os::fd::AsRawFd;
    use std::path::Path;

    use rustix::fs::{AtFlags, Mode, OFlags, RenameFlags, CWD};
    use rustix::io::Errno;

    /// `syncfs` in [`sync_written`] flushes the whole file system: nothing to do per file.
    pub fn write_out(_file: &File) -> io::Result<()> {
        Ok(())
    }

    pub fn sync_written(folder: &File) -> io::Result<()> {
        Ok(rustix::fs::syncfs(folder)?)
    }

    pub fn sync_all(file: &File) -> io::Result<()> {
        file.sync_all()
    }

    pub struct Unnamed(File);

    impl Unnamed {
        pub fn create(dir: &Path) -> io::Result<Option<Unnamed>> {
            let flags = OFlags::WRONLY | OFlags::TMPFILE | OFlags::CLOEXEC;
            match rustix::fs::openat(CWD, dir, flags, Mode::from_raw_mode(0o666)) {
                Ok(fd) => Ok(Some(Unnamed(File::from(fd)))),
                Err(Errno::OPNOTSUPP | Errno::ISDIR | Errno::INVAL) => Ok(None),
                Err(e) => Err(e.into()),
            }
        }

        pub fn file(&self) -> &File {
            &self.0
        }

        pub fn link(&self, path: &Path) -> io::Result<()> {
            // Without CAP_DAC_READ_SEARCH linkat() cannot take the descriptor itself
            // (AT_EMPTY_PATH); its /proc link, followed, is allowed to anyone.
            let proc_path = format!("/proc/self/fd/{}", self.0.as_raw_fd());
            let linked =
                rustix::fs::linkat(CWD, proc_path.as_str(), CWD, path, AtFlags::SYMLINK_FOLLOW);
            Ok(linked?)
        }
    }

    pub fn rename_noreplace(from: &Path, to: &Path) -> io::Result<()> {
        Ok(rustix::fs::renameat_with(
            CWD,
            from,
            CWD,
            to,
            RenameFlags::NOREPLACE,
        )?)
    }

    pub fn exchange(a: &Path, b: &Path) -> io::Result<()> {
        Ok(rustix::fs::renameat_with(
            CWD,
            a,
            CWD,
            b,
            RenameFlags::EXCHANGE,
        )?)
    }
}

#[cfg(not(all(target_os = "linux", not(feature = "portable-sys"))))]
mod portable {
    use std::convert::Infallible;
    use std::fs::File;
    use std::io;
    use std::path::Path;

    /// `fsync` writes the file out; on macOS only as far as the drive's cache, which the one
    /// `F_FULLFSYNC` of [`sync_written`] then flushes for the whole batch.
    pub fn write_out(file: &File) -> io::Result<()> {
        Ok(rustix::fs::fsync(file)?)
    }

    /// One `F_FULLFSYNC` on macOS flushes the drive's cache, holding every file written out;
    /// elsewhere each file was flushed whole already, and this flushes the folder.
    pub fn sync_written(folder: &File) -> io::Result<()> {
        sync_all(folder)
    }

    #[cfg(target_vendor = "apple")]
    pub fn sync_all(file: &File) -> io::Result<()> {
        // Any error: SMB answers ENOTSUP, WebDAV ENOTTY, and neither is documented as the
        // only one. fsync then reports what is really wrong, if anything is.
        rustix::fs::fcntl_fullfsync(file).or_else(|_| rustix::fs::fsync(file))?;
        Ok(())
    }

    #[cfg(not(target_vendor = "apple"))]
    pub fn sync_all(file: &File) -> io::Result<()> {
        file.sync_all()
    }

    /// No unnamed files here: this type has no values.
    pub struct Unnamed(Infallible);

    impl Unnamed {
        pub fn create(_dir: &Path) -> io::Result<Option<Unnamed>> {
            Ok(None)
        }

        pub fn file(&self) -> &File {
            match self.0 {}
        }

        pub fn link(&self, _path: &Path) -> io::Result<()> {
            match self.0 {}
        }
    }

    #[cfg(target_vendor = "apple")]
    pub fn rename_noreplace(from: &Path, to: &Path) -> io::Result<()> {
        use rustix::fs::{RenameFlags, CWD};
        // renameatx_np(RENAME_EXCL), as Linux's renameat2(RENAME_NOREPLACE).
        Ok(rustix::fs::renameat_with(
            CWD,
            from,
            CWD,
            to,
            RenameFlags::NOREPLACE,
        )?)
    }

    /// No rename that refuses to replace: the caller looks first, then renames.
    #[cfg(not(target_vendor = "apple"))]
    pub fn rename_noreplace(_from: &Path, _to: &Path) -> io::Result<()> {
        Err(io::Error::from(io::ErrorKind::Unsupported))
    }

    #[cfg(target_vendor = "apple")]
    pub fn exchange(a: &Path, b: &Path) -> io::Result<()> {
        use rustix::fs::{RenameFlags, CWD};
        // renameatx_np(RENAME_SWAP), as Linux's renameat2(RENAME_EXCHANGE).
        Ok(rustix::fs::renameat_with(
            CWD,
            a,
            CWD,
            b,
            RenameFlags::EXCHANGE,
        )?)
    }

    /// No exchange: the caller moves each file on its own.
    #[cfg(not(target_vendor = "apple"))]
    pub fn exchange(_a: &Path, _b: &Path) -> io::Result<()> {
        Err(io::Error::from(io::ErrorKind::Unsupported))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::io::Write;

    #[test]
    fn rename_noreplace_refuses_an_existing_folder_and_moves_onto_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let (from, to) = (dir.path().join("from"), dir.path().join("to"));
        fs::create_dir(&from).unwrap();
        fs::create_dir(&to).unwrap();
        let err = rename_noreplace(&from, &to).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert!(from.is_dir(), "nothing moved");
        fs::remove_dir(&to).unwrap();
        rename_noreplace(&from, &to).unwrap();
        assert!(to.is_dir() && !from.exists());
    }

    #[test]
    fn exchange_swaps_two_folders_where_the_platform_can() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        fs::create_dir(&a).unwrap();
        fs::create_dir(&b).unwrap();
        fs::write(a.join("in_a"), "").unwrap();
        let linux = cfg!(all(target_os = "linux", not(feature = "portable-sys")));
        match exchange(&a, &b) {
            Ok(()) => assert!(b.join("in_a").exists() && !a.join("in_a").exists()),
            Err(e) => {
                assert_eq!(e.kind(), io::ErrorKind::Unsupported);
                assert!(!linux, "Linux's own path exchanges");
                assert!(a.join("in_a").exists(), "nothing moved");
            }
        }
    }

    #[test]
    fn a_batch_written_out_and_synced_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a");
        let mut file = File::create(&path).unwrap();
        file.write_all(b"text").unwrap();
        write_out(&file).unwrap();
        sync_written(&File::open(dir.path()).unwrap()).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"text");
    }

    #[test]
    fn an_unnamed_file_takes_a_name_once_where_there_are_unnamed_files() {
        let dir = tempfile::tempdir().unwrap();
        let unnamed = Unnamed::create(dir.path()).unwrap();
        let linux = cfg!(all(target_os = "linux", not(feature = "portable-sys")));
        let Some(unnamed) = unnamed else {
            // The portable path never makes one: callers then make a named temporary.
            if linux {
                eprintln!(
                    "skipped: the file system of {} has none",
                    dir.path().display()
                );
            }
            return;
        };
        assert!(linux, "only Linux's own path makes unnamed files");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
        (&mut unnamed.file()).write_all(b"x").unwrap();
        let path = dir.path().join("named");
        unnamed.link(&path).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"x");
        let again = unnamed.link(&path).unwrap_err();
        assert_eq!(again.kind(), io::ErrorKind::AlreadyExists);
    }
}
