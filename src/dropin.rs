//! `--install-dropin DIR`: the reference's name, `asn_from_list`, as a small script in a folder
//! the user names. The wheel never installs that name, so that installing or uninstalling this
//! package never replaces or deletes jwst's own script; a script no installer knows of survives
//! either package's uninstall, and is removed by removing it.

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use super::cli::DROP_IN;

/// What [`install`] made.
pub struct Installed {
    /// The script, `DIR/asn_from_list`.
    pub script: PathBuf,
    /// The program it runs: this one.
    pub program: PathBuf,
    /// Another `asn_from_list` that comes first on `PATH`, which a shell would run instead.
    pub shadowed_by: Option<PathBuf>,
    /// Whether `DIR` is on `PATH` at all.
    pub on_path: bool,
}

/// Writes `dir/asn_from_list`, a script that runs this program under the reference's name.
///
/// # Errors
///
/// Anything at `dir/asn_from_list` already (never replaced), a missing folder, or the error of
/// writing.
pub fn install(dir: &Path) -> anyhow::Result<Installed> {
    let program = std::env::current_exe().context("cannot tell where this program is")?;
    let script = dir.join(DROP_IN);
    let opened = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o777)
        .open(&script);
    let mut file = match opened {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => bail!(
            "'{}' exists already and is left as it is; remove it first if it should run \
             this tool",
            script.display()
        ),
        Err(e) if e.kind() == io::ErrorKind::NotFound => bail!(
            "'{}': no such folder; make it first (mkdir -p)",
            dir.display()
        ),
        Err(e) => return Err(e).with_context(|| format!("cannot write '{}'", script.display())),
    };
    let written = file
        .write_all(&script_text(&program))
        .and_then(|()| asn_from_list::sys::sync_all(&file));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&script);
        return Err(e).with_context(|| format!("cannot write '{}'", script.display()));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    let folders: Vec<PathBuf> = std::env::split_paths(&path).collect();
    let same = |a: &Path, b: &Path| a.canonicalize().ok() == b.canonicalize().ok();
    let on_path = folders.iter().any(|f| same(f, dir));
    let shadowed_by = folders
        .iter()
        .take_while(|f| !same(f, dir))
        .map(|f| f.join(DROP_IN))
        .find(|p| is_executable(p));
    Ok(Installed {
        script,
        program,
        shadowed_by,
        on_path,
    })
}

/// The script: it runs `program` as `asn_from_list` (messages and `--version` then name the
/// reference), and says what to do when `program` is gone.
fn script_text(program: &Path) -> Vec<u8> {
    let mut quoted = b"'".to_vec();
    for &b in program.as_os_str().as_bytes() {
        match b {
            b'\'' => quoted.extend_from_slice(b"'\\''"),
            b => quoted.push(b),
        }
    }
    quoted.push(b'\'');
    let mut text = Vec::new();
    text.extend_from_slice(
        b"#!/usr/bin/env bash\n\
          # jwst's command name, running asn-from-list instead: written by\n\
          # `asn-from-list --install-dropin`. Remove this file to undo it.\n\
          program=",
    );
    text.extend_from_slice(&quoted);
    text.extend_from_slice(
        b"\n\
          if [ ! -x \"$program\" ]; then\n\
          \x20   echo \"asn_from_list: $program is gone; reinstall asn-from-list, or remove $0\" >&2\n\
          \x20   exit 127\n\
          fi\n\
          exec -a asn_from_list \"$program\" \"$@\"\n",
    );
    text
}

fn is_executable(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_quotes_any_program_path() {
        let text = script_text(Path::new("/opt/it's here/asn-from-list"));
        let text = String::from_utf8(text).unwrap();
        assert!(text.contains("program='/opt/it'\\''s here/asn-from-list'\n"));
        assert!(text.ends_with("exec -a asn_from_list \"$program\" \"$@\"\n"));
    }
}
