//! What every integration test shares: a folder to run in, the command, and the checks a
//! person would make afterwards. Like fd's `TestEnv`.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use assert_cmd::assert::Assert;
use assert_cmd::cargo::cargo_bin_cmd;
use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

/// A fresh folder that commands run in.
pub struct Env {
    dir: TempDir,
}

impl Env {
    pub fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        // Other users (tests that drop root) must reach what is in it.
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
        Env { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn join(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `asn-from-list`, run in this folder.
    pub fn cmd(&self) -> Command {
        let mut cmd = cargo_bin_cmd!("asn-from-list");
        cmd.current_dir(self.path());
        cmd
    }

    /// `asn-from-list` with the words of `line` (none of which may hold a space).
    pub fn run(&self, line: &str) -> Assert {
        self.cmd().args(words(line)).assert()
    }

    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.join(name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).unwrap();
        }
        fs::write(&path, contents).unwrap();
        path
    }

    /// Creates each of the space-separated files, empty.
    pub fn touch(&self, names: &str) {
        for name in words(names) {
            self.write(name, "");
        }
    }

    pub fn read(&self, name: &str) -> Vec<u8> {
        fs::read(self.join(name)).unwrap()
    }

    pub fn json(&self, name: &str) -> Value {
        serde_json::from_slice(&self.read(name)).unwrap()
    }

    /// The names in the folder, sorted, hidden ones included.
    pub fn entries(&self) -> Vec<String> {
        entries(self.path())
    }

    /// Runs `asn-from-list -o out.json ARGS`, which must succeed, and returns what it wrote.
    pub fn written(&self, args: &str) -> Value {
        self.cmd()
            .args(["-o", "out.json"])
            .args(words(args))
            .assert()
            .success();
        self.json("out.json")
    }

    /// Runs `asn-from-list -o out.json ARGS`, which must exit with `code` and leave `out.json`
    /// as it was (absent, or with its old content).
    pub fn fails(&self, code: i32, args: &str) -> Assert {
        let out = self.join("out.json");
        let before = fs::read(&out).ok();
        let assert = self
            .cmd()
            .args(["-o", "out.json"])
            .args(words(args))
            .assert()
            .code(code);
        assert_eq!(fs::read(&out).ok(), before, "a failed run changed out.json");
        assert
    }
}

pub fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The words of a command line.
pub fn words(line: &str) -> Vec<&str> {
    line.split_whitespace().collect()
}

pub fn stderr_of(assert: &Assert) -> String {
    String::from_utf8(assert.get_output().stderr.clone()).unwrap()
}

pub fn stdout_of(assert: &Assert) -> String {
    String::from_utf8(assert.get_output().stdout.clone()).unwrap()
}

/// `(expname, exptype)` of each member of each product.
pub fn members(asn: &Value) -> Vec<Vec<(String, String)>> {
    let member = |m: &Value| {
        (
            m["expname"].as_str().unwrap().into(),
            m["exptype"].as_str().unwrap().into(),
        )
    };
    asn["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            p["members"]
                .as_array()
                .unwrap()
                .iter()
                .map(member)
                .collect()
        })
        .collect()
}

pub fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// Whether the test can go on as root; if not, says on standard error that it is skipped, and
/// why, so that a run without root is never silently a pass.
pub fn needs_root(what: &str) -> bool {
    if !is_root() {
        eprintln!("skipped: {what} needs root");
    }
    is_root()
}

/// The user id tests drop to, to see what an unprivileged user sees.
pub const NOBODY: u32 = 65534;

/// `cmd`'s program and arguments, run as user and group `nobody` when the tests run as root
/// (root reads and writes everything, so permissions are tested as another user).
pub fn as_nobody(args: &[&str]) -> std::process::Command {
    let bin = assert_cmd::cargo::cargo_bin!("asn-from-list");
    if is_root() {
        let mut cmd = std::process::Command::new("setpriv");
        cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"]);
        cmd.arg(bin).args(args);
        cmd
    } else {
        let mut cmd = std::process::Command::new(bin);
        cmd.args(args);
        cmd
    }
}

/// A device node in a test's own folder, never the machine's own `/dev` entry. (Linux only, as
/// the tests of special files are: macOS has no `mknodat`.)
#[cfg(target_os = "linux")]
pub fn mknod_char(path: &Path, major: u32, minor: u32) {
    rustix::fs::mknodat(
        rustix::fs::CWD,
        path,
        rustix::fs::FileType::CharacterDevice,
        rustix::fs::Mode::from_raw_mode(0o666),
        rustix::fs::makedev(major, minor),
    )
    .unwrap();
}

#[cfg(target_os = "linux")]
pub fn mkfifo(path: &Path) {
    rustix::fs::mknodat(
        rustix::fs::CWD,
        path,
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o666),
        0,
    )
    .unwrap();
}

/// A list of `n` exposure names, written to `names.txt`, for outputs large enough to take time.
pub fn big_list(env: &Env, n: usize) -> &'static str {
    let text: String = (0..n)
        .map(|i| format!("jw{i:011}_02101_00001_nrca1_cal.fits\n"))
        .collect();
    env.write("names.txt", text);
    "names.txt"
}

/// The header-mode scenario folders copied into `tests/fixtures`, in name order.
pub fn scenarios() -> Vec<PathBuf> {
    scenarios_in("scenarios")
}

/// Our own header-mode scenarios, made with the oracle (`tests/fixtures/header-mode/own`).
pub fn own_scenarios() -> Vec<PathBuf> {
    scenarios_in("own")
}

/// Scenarios that reach every generator rule a header can, and the situations of `SPEC.md`
/// §4.5, made with the oracle (`tests/fixtures/header-mode/rules`).
pub fn rule_scenarios() -> Vec<PathBuf> {
    scenarios_in("rules")
}

fn scenarios_in(folder: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/header-mode")
        .join(folder);
    let mut dirs: Vec<_> = fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// A small random number generator (xorshift), seeded from the clock; the seed is printed and
/// kept, so that a failure can be replayed.
pub struct Random {
    seed: u64,
    state: u64,
}

impl Random {
    pub fn from_clock() -> Random {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let seed = nanos as u64 | 1;
        eprintln!("random seed {seed}");
        Random { seed, state: seed }
    }

    /// The seed it started from.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        self.state % n
    }
}
