//! Writes that never destroy: special files written through, durable replacement that keeps
//! what the old file had, guards against the mistakes users make, signals, standard streams.
//!
//! Device nodes are made in each test's own folder (never the machine's `/dev`). Tests that
//! need root, or a capability the machine lacks, say so on standard error and skip.

use std::fs;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::{Command as StdCommand, Stdio};
use std::time::Duration;

use crate::common::*;
use predicates::prelude::*;

/// What `asn-from-list -o - --product-name p a_cal.fits` writes, less its newline.
fn association_text(env: &Env) -> Vec<u8> {
    let out = env
        .cmd()
        .args(["-o", "-", "--product-name", "p", "a_cal.fits"])
        .assert()
        .success();
    let mut text = out.get_output().stdout.clone();
    assert_eq!(text.pop(), Some(b'\n'));
    text
}

fn ino(path: &Path) -> u64 {
    fs::metadata(path).unwrap().ino()
}

mod special_files {
    use super::*;
    use std::io::Read;
    use std::thread;

    #[test]
    fn a_character_device_is_written_through_and_stays_a_device() {
        if !needs_root("mknod") {
            return;
        }
        let env = Env::new();
        mknod_char(&env.join("null"), 1, 3);
        env.run("-o null --product-name p a_cal.fits").success();
        let meta = fs::symlink_metadata(env.join("null")).unwrap();
        assert!(meta.file_type().is_char_device());
        assert_eq!(meta.rdev(), rustix::fs::makedev(1, 3));
        assert_eq!(env.entries(), ["null"]);
    }

    #[test]
    fn a_full_device_is_an_error_and_stays_a_device() {
        if !needs_root("mknod") {
            return;
        }
        let env = Env::new();
        mknod_char(&env.join("full"), 1, 7);
        env.run("-o full --product-name p a_cal.fits")
            .code(1)
            .stderr(predicate::str::contains(
                "cannot write 'full': No space left",
            ));
        assert!(fs::symlink_metadata(env.join("full"))
            .unwrap()
            .file_type()
            .is_char_device());
    }

    #[test]
    fn a_fifo_s_reader_gets_the_association_and_the_fifo_stays() {
        let env = Env::new();
        let fifo = env.join("pipe");
        mkfifo(&fifo);
        let reader = {
            let fifo = fifo.clone();
            thread::spawn(move || {
                let mut bytes = Vec::new();
                fs::File::open(fifo)
                    .unwrap()
                    .read_to_end(&mut bytes)
                    .unwrap();
                bytes
            })
        };
        env.cmd()
            .args(["-o", "pipe", "--product-name", "p", "a_cal.fits"])
            .timeout(Duration::from_secs(20))
            .assert()
            .success();
        assert_eq!(reader.join().unwrap(), association_text(&env));
        assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
    }

    #[test]
    fn a_run_that_fails_never_opens_the_fifo() {
        // Opening a FIFO for writing blocks until a reader comes: a probe would hang here.
        let env = Env::new();
        mkfifo(&env.join("pipe"));
        env.cmd()
            .args(["-o", "pipe", "-r", "Asn_Lv3AMI", "--product-name", "p", "a"])
            .timeout(Duration::from_secs(20))
            .assert()
            .code(1)
            .stderr(predicate::str::contains("needs a psf member"));
        assert!(fs::symlink_metadata(env.join("pipe"))
            .unwrap()
            .file_type()
            .is_fifo());
    }

    #[test]
    fn standard_output_by_its_proc_name_is_written_through() {
        // `-o /dev/stdout` and `-o /dev/fd/1` lead here; /proc keeps the test off /dev.
        let env = Env::new();
        let out = env
            .cmd()
            .args(["-o", "/proc/self/fd/1", "--product-name", "p", "a_cal.fits"])
            .assert()
            .success();
        assert_eq!(out.get_output().stdout, association_text(&env));
    }

    #[test]
    fn a_process_substitution_gets_the_association() {
        // What `-o >(jq .)` hands over: a pipe's name, here fd 3 through /proc.
        let env = Env::new();
        let bin = assert_cmd::cargo::cargo_bin!("asn-from-list");
        let script = format!(
            "'{}' -o /proc/self/fd/3 --product-name p a_cal.fits 3>&1 | cat > got.json",
            bin.display()
        );
        let status = StdCommand::new("sh")
            .args(["-c", &script])
            .current_dir(env.path())
            .status()
            .unwrap();
        assert!(status.success());
        assert_eq!(env.read("got.json"), association_text(&env));
    }

    #[test]
    fn a_reader_that_stops_early_ends_the_run_quietly() {
        let env = Env::new();
        let list = big_list(&env, 200_000);
        let bin = assert_cmd::cargo::cargo_bin!("asn-from-list");
        let script = format!(
            "'{}' -o /proc/self/fd/1 --product-name p --files-from {list} | head -c 100 > head.txt; \
             echo \"${{PIPESTATUS[0]}}\"",
            bin.display()
        );
        let out = StdCommand::new("bash")
            .args(["-c", &script])
            .current_dir(env.path())
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), "0\n");
        assert_eq!(String::from_utf8_lossy(&out.stderr), "");
        assert!(env.read("head.txt").starts_with(b"{\n    \"asn_type\""));
    }

    #[test]
    fn a_socket_is_refused_and_left_a_socket() {
        let env = Env::new();
        let _listener = std::os::unix::net::UnixListener::bind(env.join("sock")).unwrap();
        env.run("-o sock --product-name p a_cal.fits")
            .code(1)
            .stderr(predicate::str::contains("cannot write 'sock'"));
        assert!(fs::symlink_metadata(env.join("sock"))
            .unwrap()
            .file_type()
            .is_socket());
    }
}

mod metadata {
    use super::*;

    #[test]
    fn permission_bits_are_kept() {
        let env = Env::new();
        let out = env.write("out.json", "old");
        fs::set_permissions(&out, fs::Permissions::from_mode(0o640)).unwrap();
        env.written("--product-name p a_cal.fits");
        assert_eq!(fs::metadata(&out).unwrap().mode() & 0o7777, 0o640);
    }

    #[test]
    fn a_new_file_gets_the_usual_permissions_not_a_temporary_file_s() {
        let env = Env::new();
        // Under a known umask, so the expected mode does not depend on the caller's.
        let status = StdCommand::new("sh")
            .current_dir(env.path())
            .args([
                "-c",
                "umask 022 && exec \"$0\" -o out.json --product-name p a",
            ])
            .arg(assert_cmd::cargo::cargo_bin!("asn-from-list"))
            .status()
            .unwrap();
        assert!(status.success());
        assert_eq!(
            fs::metadata(env.join("out.json")).unwrap().mode() & 0o777,
            0o644
        );
    }

    #[test]
    fn a_read_only_output_is_refused_and_kept() {
        let env = Env::new();
        let out = env.write("out.json", "precious");
        fs::set_permissions(&out, fs::Permissions::from_mode(0o444)).unwrap();
        let output = as_nobody(&["-o", "out.json", "--product-name", "p", "a"])
            .current_dir(env.path())
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1));
        assert_eq!(
            String::from_utf8_lossy(&output.stderr),
            "asn-from-list: error: cannot write 'out.json': Permission denied (os error 13)\n"
        );
        assert_eq!(env.read("out.json"), b"precious");
        assert_eq!(env.entries(), ["out.json"]);
    }

    #[test]
    fn root_replacing_another_user_s_file_keeps_its_owner_and_group() {
        if !needs_root("chown") {
            return;
        }
        let env = Env::new();
        let out = env.write("out.json", "old");
        std::os::unix::fs::chown(&out, Some(NOBODY), Some(NOBODY)).unwrap();
        env.written("--product-name p a_cal.fits");
        let meta = fs::metadata(&out).unwrap();
        assert_eq!((meta.uid(), meta.gid()), (NOBODY, NOBODY));
    }

    /// A POSIX access ACL as the kernel stores it in `system.posix_acl_access`: user::rw-,
    /// user:NOBODY:r--, group::r--, mask::r--, other::---.
    fn acl() -> Vec<u8> {
        let mut acl = 2u32.to_le_bytes().to_vec();
        let undefined = u32::MAX;
        for (tag, perm, id) in [
            (0x01u16, 6u16, undefined),
            (0x02, 4, NOBODY),
            (0x04, 4, undefined),
            (0x10, 4, undefined),
            (0x20, 0, undefined),
        ] {
            acl.extend(tag.to_le_bytes());
            acl.extend(perm.to_le_bytes());
            acl.extend(id.to_le_bytes());
        }
        acl
    }

    fn xattr(path: &Path, name: &str) -> Option<Vec<u8>> {
        let mut value = vec![0u8; 4096];
        let len = rustix::fs::getxattr(path, name, &mut value[..]).ok()?;
        value.truncate(len);
        Some(value)
    }

    #[test]
    fn an_acl_is_kept_and_never_widened() {
        let env = Env::new();
        let out = env.write("out.json", "old");
        if let Err(e) = rustix::fs::setxattr(
            &out,
            "system.posix_acl_access",
            &acl(),
            rustix::fs::XattrFlags::empty(),
        ) {
            eprintln!("skipped: this file system takes no ACL ({e})");
            return;
        }
        let before = fs::metadata(&out).unwrap().mode();
        env.written("--product-name p a_cal.fits");
        assert_eq!(xattr(&out, "system.posix_acl_access"), Some(acl()));
        assert_eq!(fs::metadata(&out).unwrap().mode(), before);
    }

    #[test]
    fn extended_attributes_are_kept() {
        let env = Env::new();
        let out = env.write("out.json", "old");
        if let Err(e) = rustix::fs::setxattr(
            &out,
            "user.origin",
            b"pipeline run 7",
            rustix::fs::XattrFlags::empty(),
        ) {
            eprintln!("skipped: this file system takes no user xattrs ({e})");
            return;
        }
        env.written("--product-name p a_cal.fits");
        assert_eq!(
            xattr(&out, "user.origin").as_deref(),
            Some(&b"pipeline run 7"[..])
        );
    }

    #[test]
    fn a_file_the_user_may_write_in_a_folder_they_may_not_is_written_in_place() {
        let env = Env::new();
        let dir = env.join("locked");
        fs::create_dir(&dir).unwrap();
        let out = dir.join("out.json");
        fs::write(&out, "old").unwrap();
        if is_root() {
            std::os::unix::fs::chown(&out, Some(NOBODY), Some(NOBODY)).unwrap();
        }
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o555)).unwrap();
        let status = as_nobody(&["-o", "locked/out.json", "--product-name", "p", "a_cal.fits"])
            .current_dir(env.path())
            .status()
            .unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        assert!(status.success());
        let asn: serde_json::Value = serde_json::from_slice(&fs::read(&out).unwrap()).unwrap();
        assert_eq!(asn["products"][0]["name"], "p");
        assert_eq!(entries(&dir), ["out.json"]);
    }

    #[test]
    fn another_user_s_file_in_a_sticky_folder_is_written_in_place() {
        if !needs_root("a file owned by a third user") {
            return;
        }
        let env = Env::new();
        let dir = env.join("shared");
        fs::create_dir(&dir).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o1777)).unwrap();
        let out = dir.join("out.json");
        fs::write(&out, "old").unwrap();
        fs::set_permissions(&out, fs::Permissions::from_mode(0o666)).unwrap();
        std::os::unix::fs::chown(&out, Some(4321), Some(4321)).unwrap();
        let status = as_nobody(&["-o", "shared/out.json", "--product-name", "p", "a_cal.fits"])
            .current_dir(env.path())
            .status()
            .unwrap();
        assert!(status.success());
        let meta = fs::metadata(&out).unwrap();
        assert_eq!((meta.uid(), meta.mode() & 0o777), (4321, 0o666));
        assert!(fs::read_to_string(&out)
            .unwrap()
            .contains("\"name\": \"p\""));
        // The copy of the old content, made and removed by the caller.
        assert_eq!(entries(&dir), ["out.json"]);
    }

    #[test]
    fn a_bind_mounted_file_is_written_in_place() {
        if !needs_root("mount --bind") {
            return;
        }
        let env = Env::new();
        let source = env.write("source.json", "old");
        let out = env.write("out.json", "");
        let mounted = StdCommand::new("mount")
            .arg("--bind")
            .args([&source, &out])
            .status();
        if !mounted.is_ok_and(|s| s.success()) {
            eprintln!("skipped: mount --bind is not allowed here");
            return;
        }
        let run = env
            .cmd()
            .args(["-o", "out.json", "--product-name", "p", "a_cal.fits"])
            .ok();
        let _ = StdCommand::new("umount").arg(&out).status();
        run.unwrap();
        assert!(fs::read_to_string(&source)
            .unwrap()
            .contains("\"name\": \"p\""));
    }
}

mod hard_links {
    use super::*;
    use std::io::Read as _;
    use std::thread;
    use std::time::Instant;

    const BACKUP: &str = ".out.json.asn-from-list.bak";

    #[test]
    fn every_hard_link_sees_the_new_association_and_no_copy_is_left() {
        let env = Env::new();
        let out = env.write("out.json", "old");
        fs::hard_link(&out, env.join("other.json")).unwrap();
        let before = ino(&out);
        let asn = env.written("--product-name p a_cal.fits");
        assert_eq!(ino(&out), before);
        assert_eq!(env.json("other.json"), asn);
        assert_eq!(env.entries(), ["other.json", "out.json"]);
    }

    #[test]
    fn a_copy_an_interrupted_run_left_is_kept_until_a_run_writes_the_file_whole() {
        let env = Env::new();
        let out = env.write("out.json", "{\"asn_type\": \"No");
        fs::hard_link(&out, env.join("other.json")).unwrap();
        env.write(BACKUP, "old whole content");
        // A run that fails keeps both, and never puts the part in the copy's place.
        env.fails(1, "-r Asn_Lv3Image a_cal.fits");
        assert_eq!(env.read(BACKUP), b"old whole content");
        let asn = env.written("--product-name p a_cal.fits");
        assert_eq!(env.json("other.json"), asn);
        assert_eq!(env.entries(), ["other.json", "out.json"]);
    }

    #[test]
    fn a_copy_is_removed_by_a_run_that_replaces_the_file_too() {
        let env = Env::new();
        env.write("out.json", "{\"asn_type\": \"No");
        env.write(BACKUP, "old whole content");
        env.written("--product-name p a_cal.fits");
        assert_eq!(env.entries(), ["out.json"]);
    }

    #[test]
    fn something_else_under_the_copy_s_name_is_refused_and_left() {
        let env = Env::new();
        let out = env.write("out.json", "old");
        fs::hard_link(&out, env.join("other.json")).unwrap();
        let target = env.write("elsewhere", "keep");
        std::os::unix::fs::symlink(&target, env.join(BACKUP)).unwrap();
        let err = stderr_of(&env.fails(1, "--product-name p a_cal.fits"));
        assert_eq!(
            err,
            format!(
                "asn-from-list: error: '{BACKUP}' is in the way: writing in place keeps the old \
                 content under that name, and what is there is not such a copy; move it away\n"
            )
        );
        assert_eq!(env.read("elsewhere"), b"keep");
        assert_eq!(env.read("other.json"), b"old");
    }

    #[test]
    fn the_copy_has_the_old_file_s_permissions() {
        let env = Env::new();
        let out = env.write("out.json", "secret");
        fs::set_permissions(&out, fs::Permissions::from_mode(0o640)).unwrap();
        fs::hard_link(&out, env.join("other.json")).unwrap();
        // Stop the run as soon as the copy is there, to look at it.
        let mut child = StdCommand::new(assert_cmd::cargo::cargo_bin!("asn-from-list"))
            .current_dir(env.path())
            .args(["-o", "out.json", "--product-name", "p", "--files-from"])
            .arg(big_list(&env, 100_000))
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let backup = env.join(BACKUP);
        let seen = loop {
            if let Ok(meta) = fs::symlink_metadata(&backup) {
                // SAFETY: kill() on a child's pid that has not been reaped yet.
                unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
                break Some(meta);
            }
            if child.try_wait().unwrap().is_some() {
                break None;
            }
            thread::sleep(Duration::from_micros(200));
        };
        child.wait().unwrap();
        let meta = seen.expect("the copy was seen during the run");
        assert_eq!(meta.permissions().mode() & 0o7777, 0o640);
        assert_eq!(fs::read(&backup).unwrap(), b"secret");
    }

    /// Kills a run rewriting a hard-linked file of tens of MB at random moments: half anywhere
    /// in the run, half once the in-place write has begun. Afterwards the file
    /// is whole, old or new, or the copy holds the whole old content; a later run then
    /// finishes the job and removes the copy.
    #[test]
    fn a_hard_linked_file_killed_mid_write_is_whole_or_its_copy_is() {
        let env = Env::new();
        let n = 150_000;
        let list = big_list(&env, n);
        let run = |name: &str| {
            StdCommand::new(assert_cmd::cargo::cargo_bin!("asn-from-list"))
                .current_dir(env.path())
                .args([
                    "-o",
                    "out.json",
                    "--product-name",
                    name,
                    "--files-from",
                    list,
                ])
                .stderr(Stdio::null())
                .spawn()
                .unwrap()
        };
        let started = Instant::now();
        assert!(run("old").wait().unwrap().success());
        let whole_run = started.elapsed();
        let old = env.read("out.json");
        assert!(old.len() > 10_000_000, "tens of MB: {}", old.len());
        fs::hard_link(env.join("out.json"), env.join("link.json")).unwrap();
        let mut random = Random::from_clock();
        let (mut left_a_copy, mut left_new) = (0, 0);
        for kill in 0..16 {
            let mut child = run("new");
            if kill % 2 == 0 {
                let at = random.below(whole_run.as_millis() as u64 * 5 / 4);
                thread::sleep(Duration::from_millis(at));
            } else {
                // The write has begun once the copy is there or the file has changed size.
                let begun = || {
                    env.join(BACKUP).exists()
                        || fs::metadata(env.join("out.json")).unwrap().len() != old.len() as u64
                };
                while !begun() && child.try_wait().unwrap().is_none() {
                    thread::sleep(Duration::from_micros(100));
                }
                // Half of these kill as soon as the write has begun, so that some kill lands
                // inside it however fast the machine writes; the others somewhat later.
                let later = if kill % 4 == 1 { 1_000 } else { 150_000 };
                thread::sleep(Duration::from_micros(random.below(later)));
            }
            // SAFETY: kill() on a child's pid that has not been reaped yet.
            unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
            child.wait().unwrap();

            assert_eq!(ino(&env.join("out.json")), ino(&env.join("link.json")));
            let mut text = Vec::new();
            fs::File::open(env.join("out.json"))
                .unwrap()
                .read_to_end(&mut text)
                .unwrap();
            if env.join(BACKUP).exists() {
                assert_eq!(
                    env.read(BACKUP),
                    old,
                    "kill {kill}: the copy is the old content"
                );
                left_a_copy += 1;
            } else if text != old {
                let asn: serde_json::Value = serde_json::from_slice(&text)
                    .unwrap_or_else(|e| panic!("kill {kill}: neither old nor whole new: {e}"));
                assert_eq!(asn["products"][0]["name"], "new");
                left_new += 1;
            }
            let mut expected = vec!["link.json", "names.txt", "out.json"];
            if env.join(BACKUP).exists() {
                expected.insert(0, BACKUP);
            }
            // The portable path has named temporaries only, which SIGKILL cannot remove.
            let portable = cfg!(feature = "portable-sys");
            let left = || -> Vec<String> {
                env.entries()
                    .into_iter()
                    .filter(|e| {
                        !(portable && e.starts_with(".asn-from-list.") && e.ends_with(".tmp"))
                    })
                    .collect()
            };
            assert_eq!(left(), expected, "kill {kill}");

            if left_a_copy == 1 && env.join(BACKUP).exists() {
                // The next run, left alone, makes the file whole and removes the copy.
                assert!(run("next").wait().unwrap().success());
                assert_eq!(env.json("link.json")["products"][0]["name"], "next");
                assert_eq!(left(), ["link.json", "names.txt", "out.json"]);
            }
            // Back to the old content, in place, for the next kill.
            fs::write(env.join("out.json"), &old).unwrap();
        }
        eprintln!("{left_a_copy} kills left the copy, {left_new} the new file");
        assert!(left_a_copy > 0, "no kill landed inside the in-place write");
    }
}

mod names {
    use super::*;

    #[test]
    fn a_255_byte_output_name_works() {
        let env = Env::new();
        let name = format!("{}.json", "a".repeat(250));
        env.write(&name, "old");
        env.cmd()
            .args(["-o", &name, "--product-name", "p", "a_cal.fits"])
            .assert()
            .success();
        assert_eq!(env.json(&name)["products"][0]["name"], "p");
        assert_eq!(env.entries(), [name]);
    }

    #[test]
    fn a_trailing_slash_or_dot_names_the_file_as_pathlib_does() {
        let env = Env::new();
        for arg in ["out.json/", "out.json/.", "out.json//"] {
            env.cmd()
                .args(["-o", arg, "--product-name", "p", "a_cal.fits"])
                .assert()
                .success();
            assert_eq!(env.entries(), ["out.json"]);
        }
    }
}

mod symlinks {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn a_link_is_written_through_and_stays_a_link() {
        let env = Env::new();
        env.write("target.json", "old");
        symlink("target.json", env.join("out.json")).unwrap();
        env.written("--product-name p a_cal.fits");
        assert!(fs::symlink_metadata(env.join("out.json"))
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(env.json("target.json")["products"][0]["name"], "p");
    }

    /// Root writing into a sticky world-writable folder where another user planted a link to a
    /// file only root may write: the kernel's protected_symlinks rule.
    #[test]
    fn a_link_into_another_folder_leaves_no_temporary_there() {
        let env = Env::new();
        env.write("real/target.json", "old");
        symlink("real/target.json", env.join("link.json")).unwrap();
        env.run("-o link.json --product-name p a").success();
        assert!(String::from_utf8(env.read("real/target.json"))
            .unwrap()
            .contains("\"expname\": \"a\""));
        assert_eq!(entries(&env.join("real")), ["target.json"]);
    }

    #[test]
    fn a_dangling_link_creates_its_target() {
        let env = Env::new();
        symlink("made.json", env.join("link.json")).unwrap();
        env.run("-o link.json --product-name p a").success();
        assert!(env.join("made.json").is_file());
        assert!(fs::symlink_metadata(env.join("link.json"))
            .unwrap()
            .file_type()
            .is_symlink());
    }

    #[test]
    fn a_link_planted_in_a_sticky_folder_by_another_user_is_refused() {
        if !needs_root("links owned by another user") {
            return;
        }
        let env = Env::new();
        let secret = env.write("secret", "root only");
        fs::set_permissions(&secret, fs::Permissions::from_mode(0o600)).unwrap();
        let shared = env.join("shared");
        fs::create_dir(&shared).unwrap();
        fs::set_permissions(&shared, fs::Permissions::from_mode(0o1777)).unwrap();
        let link = shared.join("asn.json");
        symlink(&secret, &link).unwrap();
        std::os::unix::fs::lchown(&link, Some(NOBODY), Some(NOBODY)).unwrap();
        env.run("-o shared/asn.json --product-name p a_cal.fits")
            .code(1)
            .stderr(predicate::str::contains(
                "'shared/asn.json' is a symbolic link in a sticky world-writable folder, owned by \
                 user 65534",
            ));
        assert_eq!(fs::read_to_string(&secret).unwrap(), "root only");
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());

        // The caller's own link, or the folder owner's, is followed as the kernel follows it.
        std::os::unix::fs::lchown(&link, Some(0), Some(0)).unwrap();
        env.run("-o shared/asn.json --product-name p a_cal.fits")
            .success();
        assert!(fs::read_to_string(&secret)
            .unwrap()
            .contains("\"name\": \"p\""));
    }
}

mod protected_symlinks {
    use super::*;
    use std::os::unix::fs::{lchown, symlink};

    /// A sticky, world-writable folder (as `/tmp` is) in the test's folder, and a victim's
    /// folder elsewhere.
    fn sticky(env: &Env) -> (std::path::PathBuf, std::path::PathBuf) {
        let shared = env.join("shared");
        fs::create_dir(&shared).unwrap();
        fs::set_permissions(&shared, fs::Permissions::from_mode(0o1777)).unwrap();
        let victim = env.join("victim");
        fs::create_dir(&victim).unwrap();
        (shared, victim)
    }

    #[test]
    fn a_folder_link_planted_by_another_user_is_refused_at_any_component() {
        if !needs_root("links owned by another user") {
            return;
        }
        let env = Env::new();
        let (shared, victim) = sticky(&env);
        let link = shared.join("planted_dir_link");
        symlink(&victim, &link).unwrap();
        lchown(&link, Some(12345), Some(12345)).unwrap();
        // Reached directly, through another link, and with more folders after it.
        symlink("shared", env.join("via")).unwrap();
        fs::create_dir(victim.join("deeper")).unwrap();
        for (output, named) in [
            (
                "shared/planted_dir_link/out.json",
                "shared/planted_dir_link",
            ),
            ("via/planted_dir_link/out.json", "shared/planted_dir_link"),
            (
                "shared/planted_dir_link/deeper/out.json",
                "shared/planted_dir_link",
            ),
        ] {
            let absolute = env.join(output);
            for out in [output, absolute.to_str().unwrap()] {
                let run = env
                    .cmd()
                    .args(["-o", out, "--product-name", "p", "a_cal.fits"])
                    .assert()
                    .code(1);
                let err = stderr_of(&run);
                assert_eq!(err.lines().count(), 1, "{err}");
                assert!(
                    err.contains(&format!(
                        "{named}' is a symbolic link in a sticky world-writable folder, owned \
                         by user 12345"
                    )),
                    "{err}"
                );
            }
        }
        assert_eq!(entries(&victim), ["deeper"]);
        assert_eq!(entries(&victim.join("deeper")), Vec::<String>::new());

        // The caller's own link is followed, as the kernel follows it.
        lchown(&link, Some(0), Some(0)).unwrap();
        env.run("-o shared/planted_dir_link/out.json --product-name p a_cal.fits")
            .success();
        assert_eq!(entries(&victim), ["deeper", "out.json"]);
    }

    #[test]
    fn a_link_in_a_folder_that_is_not_sticky_and_open_is_followed() {
        if !needs_root("links owned by another user") {
            return;
        }
        let env = Env::new();
        let (shared, victim) = sticky(&env);
        fs::set_permissions(&shared, fs::Permissions::from_mode(0o1775)).unwrap();
        let link = shared.join("dir_link");
        symlink(&victim, &link).unwrap();
        lchown(&link, Some(12345), Some(12345)).unwrap();
        env.run("-o shared/dir_link/out.json --product-name p a_cal.fits")
            .success();
        assert_eq!(entries(&victim), ["out.json"]);
    }
}

mod guards {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn an_output_that_is_one_of_the_exposures_is_refused() {
        let env = Env::new();
        env.write("a_cal.fits", "exposure");
        for line in [
            "-o a_cal.fits --product-name p a_cal.fits b_cal.fits",
            "-o ./a_cal.fits --product-name p b_cal.fits a_cal.fits",
            "-o a_cal.fits -r DMSLevel2bBase x_rate.fits --background ./a_cal.fits",
        ] {
            env.run(line)
                .code(1)
                .stderr(predicate::str::contains("is also an input").and(
                    predicate::str::contains("would destroy it; give -o another path"),
                ));
            assert_eq!(env.read("a_cal.fits"), b"exposure");
        }
        symlink("a_cal.fits", env.join("link.json")).unwrap();
        env.run("-o link.json --product-name p a_cal.fits")
            .code(1)
            .stderr(predicate::str::contains(
                "'link.json' is also an input ('a_cal.fits')",
            ));
        assert_eq!(env.read("a_cal.fits"), b"exposure");
    }

    #[test]
    fn an_output_that_is_the_list_is_refused() {
        let env = Env::new();
        env.write("list.txt", "a_cal.fits\n");
        env.run("-o list.txt --product-name p --files-from list.txt")
            .code(1)
            .stderr(predicate::str::contains("'list.txt' is also an input"));
        assert_eq!(env.read("list.txt"), b"a_cal.fits\n");
    }

    #[test]
    fn inputs_are_compared_as_files_not_names() {
        let env = Env::new();
        env.write("names.txt", "a_cal.fits\n");
        env.write("cat.ecsv", "# a source catalog, no FITS");
        symlink("names.txt", env.join("link_to_names.txt")).unwrap();
        fs::hard_link(env.join("names.txt"), env.join("hard_names.txt")).unwrap();
        fs::hard_link(env.join("cat.ecsv"), env.join("out.json")).unwrap();
        fs::create_dir(env.join("sub")).unwrap();
        symlink("..", env.join("sub/up")).unwrap();
        env.write("single.json", "an association");
        symlink("single.json", env.join("alias.json")).unwrap();
        for (line, input) in [
            // A list, by a link, a hard link and another spelling.
            (
                "-o names.txt --files-from link_to_names.txt",
                "link_to_names.txt",
            ),
            ("-o names.txt --files-from hard_names.txt", "hard_names.txt"),
            (
                "-o link_to_names.txt --files-from sub/up/names.txt",
                "sub/up/names.txt",
            ),
            // A positional name, a typed member and a pattern's match, by a hard link.
            ("-o out.json cat.ecsv", "cat.ecsv"),
            (
                "-o out.json -r DMSLevel2bBase a_rate.fits --sourcecat cat.ecsv",
                "cat.ecsv",
            ),
            ("-o out.json c*.ecsv", "cat.ecsv"),
            // A member that is a link to an output with no other name, in its folder or
            // reached through a folder link.
            ("-o single.json alias.json", "alias.json"),
            (
                "-o single.json a_cal.fits sub/up/alias.json",
                "sub/up/alias.json",
            ),
        ] {
            env.run(&format!("--product-name p {line}"))
                .code(1)
                .stderr(predicate::str::contains(format!(
                    "is also an input ('{input}'): writing the association there would \
                     destroy it; give -o another path"
                )));
        }
        // Standard input, when it is the list.
        let run = StdCommand::new(assert_cmd::cargo::cargo_bin!("asn-from-list"))
            .current_dir(env.path())
            .args([
                "-o",
                "names.txt",
                "--product-name",
                "p",
                "--files-from",
                "-",
            ])
            .stdin(fs::File::open(env.join("hard_names.txt")).unwrap())
            .output()
            .unwrap();
        assert_eq!(run.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&run.stderr).contains("is also an input ('-')"));
        assert_eq!(env.read("names.txt"), b"a_cal.fits\n");
        assert_eq!(env.read("cat.ecsv"), b"# a source catalog, no FITS");
        assert_eq!(env.read("single.json"), b"an association");
        // Another file of the same name is no input.
        env.write("sub/names.txt", "other");
        env.run("-o sub/names.txt --product-name p --files-from names.txt")
            .success();
    }

    #[test]
    fn a_forgotten_output_value_never_overwrites_an_exposure() {
        let env = Env::new();
        let fits = format!("{:<80}", "SIMPLE  =                    T");
        env.write("b_cal.fits", &fits);
        env.run("-o b_cal.fits a_cal.fits --product-name p")
            .code(1)
            .stderr(predicate::str::contains(
                "'b_cal.fits' holds FITS data (it starts with 'SIMPLE  =')",
            ))
            .stderr(predicate::str::contains("-o takes the association's path"));
        assert_eq!(env.read("b_cal.fits"), fits.as_bytes());
    }
}

mod bad_paths {
    use super::*;

    #[test]
    fn a_directory_is_an_error() {
        let env = Env::new();
        fs::create_dir(env.join("sub")).unwrap();
        env.run("-o sub --product-name p a").code(1).stderr(
            "asn-from-list: error: 'sub' is a directory, not a file; give -o a file path\n",
        );
        assert!(entries(&env.join("sub")).is_empty());
    }

    #[test]
    fn a_missing_directory_is_an_error() {
        let env = Env::new();
        env.run("-o nowhere/out.json --product-name p a")
            .code(1)
            .stderr(predicate::str::contains(
                "directory 'nowhere' does not exist",
            ));
        assert!(env.entries().is_empty());
    }

    #[test]
    fn a_place_nobody_may_create_files_in_is_an_error() {
        // Nobody, root included, can create files in /proc.
        Env::new()
            .run("-o /proc/asn_out.json --product-name p a")
            .code(1)
            .stderr(predicate::str::starts_with(
                "asn-from-list: error: cannot write '/proc/asn_out.json'",
            ));
        assert!(!Path::new("/proc/asn_out.json").exists());
    }

    #[test]
    fn a_path_under_a_file_is_an_error() {
        let env = Env::new();
        env.write("plain", "x");
        env.run("-o plain/out.json --product-name p a")
            .code(1)
            .stderr(predicate::str::contains("'plain/out.json'"));
        assert_eq!(env.entries(), ["plain"]);
    }

    #[test]
    fn concurrent_runs_to_one_path_leave_one_whole_association() {
        let env = Env::new();
        let list = big_list(&env, 20_000);
        let children: Vec<_> = (0..8)
            .map(|i| {
                StdCommand::new(assert_cmd::cargo::cargo_bin!("asn-from-list"))
                    .current_dir(env.path())
                    .args(["-o", "out.json", "--product-name", &format!("run{i}")])
                    .args(["--files-from", list])
                    .spawn()
                    .unwrap()
            })
            .collect();
        for mut child in children {
            assert!(child.wait().unwrap().success());
        }
        let asn = env.json("out.json");
        assert!(asn["products"][0]["name"]
            .as_str()
            .unwrap()
            .starts_with("run"));
        assert_eq!(
            asn["products"][0]["members"].as_array().unwrap().len(),
            20_000
        );
        assert_eq!(env.entries(), ["names.txt", "out.json"]);
    }
}

mod durability {
    use super::*;

    /// `EXT4_IOC_SHUTDOWN`, `_IOR('X', 125, __u32)`, and its flag that drops the journal's
    /// unwritten blocks: what a power cut does to what was not flushed.
    const EXT4_IOC_SHUTDOWN: libc::c_ulong = 0x8004_587d;
    const EXT4_GOING_FLAGS_NOLOGFLUSH: u32 = 2;

    fn sh(cmd: &str, args: &[&std::ffi::OsStr]) -> bool {
        StdCommand::new(cmd)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    fn shut_down(mount: &Path) {
        let dir = fs::File::open(mount).unwrap();
        let mut flags = EXT4_GOING_FLAGS_NOLOGFLUSH;
        // SAFETY: the ioctl reads one u32 from a valid pointer on an open descriptor.
        let r = unsafe {
            libc::ioctl(
                std::os::fd::AsRawFd::as_raw_fd(&dir),
                EXT4_IOC_SHUTDOWN as _,
                &mut flags,
            )
        };
        assert_eq!(
            r,
            0,
            "EXT4_IOC_SHUTDOWN: {}",
            std::io::Error::last_os_error()
        );
    }

    #[test]
    fn a_power_cut_right_after_a_run_keeps_the_whole_association() {
        if !needs_root("mounting an ext4 image") {
            return;
        }
        let env = Env::new();
        let image = env.join("disk.img");
        let mount = env.join("mnt");
        fs::create_dir(&mount).unwrap();
        fs::File::create(&image).unwrap().set_len(32 << 20).unwrap();
        if !sh(
            "mkfs.ext4",
            &["-q".as_ref(), "-F".as_ref(), image.as_os_str()],
        ) {
            eprintln!("skipped: mkfs.ext4 is not available");
            return;
        }
        let mount_it = || {
            sh(
                "mount",
                &[
                    "-o".as_ref(),
                    "loop".as_ref(),
                    image.as_os_str(),
                    mount.as_os_str(),
                ],
            )
        };
        if !mount_it() {
            eprintln!("skipped: loop mounts are not allowed here");
            return;
        }
        fs::write(mount.join("old.json"), "old").unwrap();
        rustix::fs::sync();
        let result = std::panic::catch_unwind(|| {
            for name in ["old.json", "new.json"] {
                env.cmd()
                    .args([
                        "-o",
                        &format!("mnt/{name}"),
                        "--product-name",
                        name,
                        "a_cal.fits",
                    ])
                    .assert()
                    .success();
            }
            shut_down(&mount);
        });
        assert!(sh("umount", &[mount.as_os_str()]));
        result.unwrap();
        assert!(mount_it());
        let read = |name: &str| fs::read_to_string(mount.join(name)).unwrap_or_default();
        let (old, new) = (read("old.json"), read("new.json"));
        assert!(sh("umount", &[mount.as_os_str()]));
        assert!(
            old.contains("\"name\": \"old.json\""),
            "old.json after the cut: {old:?}"
        );
        assert!(
            new.contains("\"name\": \"new.json\""),
            "new.json after the cut: {new:?}"
        );
    }
}

mod signals {
    use super::*;
    use std::thread;
    use std::time::Instant;

    /// Starts a run that writes a large association over `out.json`, waits `after`, sends
    /// `signal`, and returns the exit code, or 1000 + the signal that ended the run.
    fn interrupt(env: &Env, list: &str, signal: i32, after: Duration) -> i32 {
        let child = StdCommand::new(assert_cmd::cargo::cargo_bin!("asn-from-list"))
            .current_dir(env.path())
            .args([
                "-o",
                "out.json",
                "--product-name",
                "p",
                "--files-from",
                list,
            ])
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        thread::sleep(after);
        // SAFETY: kill() on a child's pid that has not been reaped yet.
        unsafe { libc::kill(child.id() as i32, signal) };
        let status = child.wait_with_output().unwrap().status;
        use std::os::unix::process::ExitStatusExt;
        status.code().or(status.signal().map(|s| 1000 + s)).unwrap()
    }

    /// The old text, or a whole new association of `n` members: never a part.
    fn old_or_whole(env: &Env, n: usize) {
        let text = env.read("out.json");
        if text != b"old" {
            let asn: serde_json::Value =
                serde_json::from_slice(&text).expect("a whole association");
            assert_eq!(asn["products"][0]["members"].as_array().unwrap().len(), n);
        }
    }

    #[test]
    fn interrupt_terminate_and_hangup_leave_nothing_behind_and_exit_as_shells_expect() {
        let env = Env::new();
        let n = 300_000;
        let list = big_list(&env, n);
        let started = Instant::now();
        env.cmd()
            .args([
                "-o",
                "timing.json",
                "--product-name",
                "p",
                "--files-from",
                list,
            ])
            .assert()
            .success();
        let run = started.elapsed();
        fs::remove_file(env.join("timing.json")).unwrap();
        for (signal, code) in [
            (libc::SIGINT, 130),
            (libc::SIGTERM, 143),
            (libc::SIGHUP, 129),
        ] {
            for step in 1..=6u32 {
                env.write("out.json", "old");
                let got = interrupt(&env, list, signal, run * step / 8);
                assert!(got == code || got == 0, "signal {signal}: exit {got}");
                old_or_whole(&env, n);
                assert_eq!(
                    env.entries(),
                    ["names.txt", "out.json"],
                    "after signal {signal}"
                );
            }
        }
    }

    #[test]
    fn a_killed_run_leaves_the_old_file_or_a_whole_new_one_and_nothing_else() {
        let env = Env::new();
        let n = 300_000;
        let list = big_list(&env, n);
        for step in 0..12u32 {
            env.write("out.json", "old");
            interrupt(
                &env,
                list,
                libc::SIGKILL,
                Duration::from_millis(u64::from(step) * 25),
            );
            old_or_whole(&env, n);
            assert_eq!(
                env.entries(),
                ["names.txt", "out.json"],
                "killed after {}ms",
                step * 25
            );
        }
    }
}

mod standard_streams {
    use super::*;

    fn sh_in(env: &Env, script: &str) -> std::process::Output {
        let bin = assert_cmd::cargo::cargo_bin!("asn-from-list");
        StdCommand::new("sh")
            .args(["-c", script, "sh"])
            .arg(bin)
            .current_dir(env.path())
            .output()
            .unwrap()
    }

    #[test]
    fn printing_to_a_closed_standard_output_is_an_error() {
        let env = Env::new();
        for args in [
            "-o - --product-name p a_cal.fits",
            "--list-rules",
            "--generate man",
            "--help",
            "--version",
        ] {
            let out = sh_in(&env, &format!("exec \"$1\" {args} >&-"));
            assert_eq!(out.status.code(), Some(1), "{args}");
            assert!(
                String::from_utf8_lossy(&out.stderr).contains("standard output is closed"),
                "{args}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        // Writing a file needs no standard output.
        let out = sh_in(
            &env,
            "exec \"$1\" -o out.json --product-name p a_cal.fits >&-",
        );
        assert_eq!(out.status.code(), Some(0));
    }

    #[test]
    fn printing_to_a_full_standard_output_is_an_error() {
        if !needs_root("mknod") {
            return;
        }
        let env = Env::new();
        mknod_char(&env.join("full"), 1, 7);
        for args in [
            "-o - --product-name p a_cal.fits",
            "--list-rules",
            "--generate man",
            "--help",
        ] {
            let out = sh_in(&env, &format!("exec \"$1\" {args} > full"));
            assert_eq!(out.status.code(), Some(1), "{args}");
            assert!(
                String::from_utf8_lossy(&out.stderr).contains("No space left"),
                "{args}"
            );
        }
    }

    #[test]
    fn a_standard_error_that_cannot_be_written_costs_only_the_message() {
        if !needs_root("mknod") {
            return;
        }
        let env = Env::new();
        mknod_char(&env.join("full"), 1, 7);
        // A warning that cannot be printed: the association is still written.
        let out = sh_in(
            &env,
            "exec \"$1\" -o out.json -r DMSLevel2bBase --product-name x a_rate.fits 2> full",
        );
        assert_eq!(out.status.code(), Some(0));
        assert_eq!(env.json("out.json")["products"][0]["name"], "a");
        // An error that cannot be printed: still exit 1, never a panic's 101.
        let out = sh_in(
            &env,
            "exec \"$1\" -o bad.json -r Asn_Lv3AMI --product-name p a 2> full",
        );
        assert_eq!(out.status.code(), Some(1));
    }

    #[test]
    fn a_reader_that_closes_the_pipe_stops_the_run_quietly() {
        let env = Env::new();
        let list = big_list(&env, 200_000);
        let mut child = StdCommand::new(assert_cmd::cargo::cargo_bin!("asn-from-list"))
            .current_dir(env.path())
            .args(["-o", "-", "--product-name", "p", "--files-from", list])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut head = [0u8; 100];
        std::io::Read::read_exact(&mut child.stdout.take().unwrap(), &mut head).unwrap();
        // The pipe's read end is dropped here, as `head` does once it has its lines.
        let out = child.wait_with_output().unwrap();
        assert!(head.starts_with(b"{\n    \"asn_type\""));
        assert_eq!(out.status.code(), Some(0));
        assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    }

    #[test]
    fn control_characters_in_names_never_reach_the_terminal_raw() {
        let env = Env::new();
        let out = env
            .cmd()
            .args([
                "-o",
                "out.json",
                "--product-name",
                "p",
                "--files-from",
                "evil\x1b[2J.txt",
            ])
            .assert()
            .code(1);
        let err = stderr_of(&out);
        assert!(!err.contains('\x1b'), "{err:?}");
        assert!(err.contains("cannot read 'evil\\x1b[2J.txt'"), "{err}");
    }
}
