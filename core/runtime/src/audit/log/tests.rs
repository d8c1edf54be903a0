//! The log end to end: written by [`AuditLog`], tampered with in every way, and read back
//! by [`verify_log`].

use super::testing::Dir;
use super::*;
use crate::error::Error;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

fn entry(n: usize) -> LogEntry {
    LogEntry {
        connection: "app".into(),
        url: "db://ann@db.example/app".into(),
        statement: format!("UPDATE t SET a = ? WHERE id = {n}"),
        params: 1,
        duration: Duration::from_micros(1500),
        rows: Some(1),
        outcome: if n.is_multiple_of(5) {
            Outcome::Error("no such table: t".into())
        } else {
            Outcome::Ok
        },
    }
}

/// A log of `n` entries, closed.
fn written(dir: &Dir, n: usize, options: LogOptions) -> PathBuf {
    let path = dir.path().join("audit.log");
    let log = AuditLog::open(&path, options).unwrap();
    for i in 1..=n {
        log.append(&entry(i)).unwrap();
    }
    log.close().unwrap();
    path
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(String::from)
        .collect()
}

fn write_lines(path: &Path, lines: &[String]) {
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
}

fn verify(path: &Path) -> VerifyReport {
    verify_log(path, &VerifyOptions::default()).unwrap()
}

/// The problem of a report that must have one.
fn problem(report: &VerifyReport) -> &Problem {
    report.problem.as_ref().expect("a problem")
}

fn every(n: u64) -> LogOptions {
    LogOptions {
        checkpoint_every: n,
        ..LogOptions::default()
    }
}

#[test]
fn an_untouched_log_verifies() {
    let d = Dir::new("log-ok");
    let path = written(&d, 5, every(2));
    let all = lines(&path);
    // Entries 1 and 2, checkpoint 2, 3, 4, checkpoint 4, 5, checkpoint 5 (on close).
    assert_eq!(all.len(), 8);
    let first: serde_json::Value = serde_json::from_str(&all[0]).unwrap();
    assert_eq!(first["seq"], 1);
    assert_eq!(first["prev"], "0".repeat(64));
    assert_eq!(first["params"], 1);
    assert_eq!(first["duration_ms"], 1.5);
    assert_eq!(first["rows"], 1);
    assert_eq!(first["outcome"], "ok");
    assert_eq!(first["connection"], "app");
    let time = first["time"].as_str().unwrap();
    assert!(time.len() == 24 && time.ends_with('Z') && time.as_bytes()[10] == b'T');
    assert!(!first["user"].as_str().unwrap().is_empty());
    assert!(!first["host"].as_str().unwrap().is_empty());
    let fifth: serde_json::Value = serde_json::from_str(&all[6]).unwrap();
    assert_eq!(fifth["outcome"], "error: no such table: t");
    let second: serde_json::Value = serde_json::from_str(&all[1]).unwrap();
    assert_eq!(second["prev"], first["hash"]);
    let checkpoint: serde_json::Value = serde_json::from_str(&all[2]).unwrap();
    assert_eq!(checkpoint["checkpoint"], 2);
    assert_eq!(checkpoint["hash"], second["hash"]);
    assert!(checkpoint.get("signature").is_none());

    let report = verify(&path);
    assert!(report.is_ok(), "{report}");
    assert_eq!(
        (
            report.entries,
            report.checkpoints,
            report.signed_checkpoints
        ),
        (5, 3, 0)
    );
    assert_eq!((report.files, report.first_seq), (1, None));
    assert_eq!(report.last.as_ref().map(|h| h.seq), Some(5));
}

#[test]
fn reopening_continues_the_chain() {
    let d = Dir::new("log-reopen");
    let path = written(&d, 3, every(0));
    let log = AuditLog::open(&path, every(0)).unwrap();
    assert_eq!(log.head().unwrap().seq, 3);
    assert_eq!(log.append(&entry(4)).unwrap(), 4);
    drop(log);
    let report = verify(&path);
    assert!(report.is_ok(), "{report}");
    assert_eq!((report.entries, report.checkpoints), (4, 2));
}

#[test]
fn an_edited_statement_is_found() {
    let d = Dir::new("log-edit");
    let path = written(&d, 4, every(0));
    let mut all = lines(&path);
    all[2] = all[2].replace("id = 3", "id = 9");
    write_lines(&path, &all);
    let report = verify(&path);
    let p = problem(&report);
    assert_eq!((p.kind, p.line), (ProblemKind::Edited, Some(3)));
    assert_eq!(p.file, path);
    assert!(
        p.message.contains("entry 3") && p.message.contains("edited"),
        "{p}"
    );
    assert_eq!(report.entries, 2);
}

#[test]
fn a_deleted_line_is_found() {
    let d = Dir::new("log-delete");
    let path = written(&d, 4, every(0));
    let mut all = lines(&path);
    all.remove(1);
    write_lines(&path, &all);
    let p = problem(&verify(&path)).clone();
    assert_eq!((p.kind, p.line), (ProblemKind::Sequence, Some(2)));
    assert!(p.message.contains("entry 2 is missing"), "{p}");
}

#[test]
fn a_deleted_first_line_is_found() {
    let d = Dir::new("log-head");
    let path = written(&d, 3, every(0));
    let mut all = lines(&path);
    all.remove(0);
    write_lines(&path, &all);
    let p = problem(&verify(&path)).clone();
    assert_eq!((p.kind, p.line), (ProblemKind::MissingHead, Some(1)));
}

#[test]
fn an_inserted_line_is_found() {
    let d = Dir::new("log-insert");
    let path = written(&d, 4, every(0));
    let mut all = lines(&path);
    let copy = all[0].clone();
    all.insert(2, copy);
    write_lines(&path, &all);
    let p = problem(&verify(&path)).clone();
    assert_eq!((p.kind, p.line), (ProblemKind::Sequence, Some(3)));
    assert!(p.message.contains("inserted"), "{p}");
}

#[test]
fn swapped_lines_are_found() {
    let d = Dir::new("log-swap");
    let path = written(&d, 4, every(0));
    let mut all = lines(&path);
    all.swap(1, 2);
    write_lines(&path, &all);
    let p = problem(&verify(&path)).clone();
    assert_eq!((p.kind, p.line), (ProblemKind::Sequence, Some(2)));
}

#[test]
fn a_re_hashed_line_breaks_the_link() {
    let d = Dir::new("log-link");
    let path = written(&d, 3, every(0));
    let mut all = lines(&path);
    // A line rebuilt with a valid hash of its own, but a prev that is not entry 1's hash.
    let mut record: entry::Record = {
        let Ok(chain::Line::Entry(e)) = chain::parse_line(&all[1]) else {
            panic!()
        };
        e.record
    };
    record.prev = "1".repeat(64);
    all[1] = chain::seal(&record).unwrap().0;
    write_lines(&path, &all);
    let p = problem(&verify(&path)).clone();
    assert_eq!((p.kind, p.line), (ProblemKind::Linkage, Some(2)));
}

#[test]
fn a_tail_cut_after_a_checkpoint_is_found_by_the_anchor() {
    let d = Dir::new("log-truncate");
    let path = written(&d, 7, every(3));
    let all = lines(&path);
    // e1 e2 e3 c3 e4 e5 e6 c6 e7 c7: keep up to checkpoint 3.
    assert!(all[3].starts_with("{\"checkpoint\":3"));
    write_lines(&path, &all[..4]);
    let report = verify(&path);
    let p = problem(&report);
    assert_eq!((p.kind, p.line), (ProblemKind::Truncated, Some(4)));
    assert!(
        p.message
            .starts_with("truncated: the anchor records entry 7 with hash "),
        "{p}"
    );
    assert!(p.message.ends_with("the log ends at entry 3"), "{p}");
    assert_eq!((report.entries, report.checkpoints), (3, 1));
    // The writer refuses to continue (and so to overwrite the anchor).
    let err = AuditLog::open(&path, every(3)).unwrap_err();
    assert!(matches!(err, Error::AuditLog { .. }), "{err}");
    assert!(err.to_string().contains("anchor records entry 7"), "{err}");
    // Without the anchor, the cut goes unseen unless an anchor is required.
    std::fs::remove_file(paths::anchor(&path)).unwrap();
    let p = problem(&verify(&path)).clone();
    assert_eq!(p.kind, ProblemKind::Anchor);
    let lenient = VerifyOptions {
        require_anchor: false,
        ..VerifyOptions::default()
    };
    assert!(verify_log(&path, &lenient).unwrap().is_ok());
}

#[test]
fn a_torn_last_line_is_found() {
    let d = Dir::new("log-torn");
    let path = written(&d, 3, every(0));
    let text = std::fs::read_to_string(&path).unwrap();
    // Cut the closing checkpoint in half.
    let cut = text.len() - 20;
    std::fs::write(&path, &text[..cut]).unwrap();
    let p = problem(&verify(&path)).clone();
    assert_eq!((p.kind, p.line), (ProblemKind::Torn, Some(4)));
    assert!(p.message.starts_with("torn last line"), "{p}");
    let err = AuditLog::open(&path, every(0)).unwrap_err();
    assert!(
        err.to_string().contains(":4: the last line is cut short"),
        "{err}"
    );
}

#[test]
fn a_forged_checkpoint_hash_is_found() {
    let d = Dir::new("log-checkpoint");
    let path = written(&d, 2, every(0));
    let mut all = lines(&path);
    let mut c: Checkpoint = serde_json::from_str(&all[2]).unwrap();
    c.hash = "2".repeat(64);
    all[2] = serde_json::to_string(&c).unwrap();
    write_lines(&path, &all);
    let p = problem(&verify(&path)).clone();
    assert_eq!((p.kind, p.line), (ProblemKind::Checkpoint, Some(3)));
}

/// A log of `n` entries signed with a new key; returns the log and the public key file.
fn signed(d: &Dir, n: usize) -> (PathBuf, PathBuf) {
    let (secret, public) = (d.path().join("key"), d.path().join("key.pub"));
    let id = generate_keypair(&secret, &public).unwrap();
    let options = LogOptions {
        checkpoint_every: 2,
        signing_key: Some(secret),
        ..LogOptions::default()
    };
    let path = d.path().join("audit.log");
    let log = AuditLog::open(&path, options).unwrap();
    assert_eq!(log.key_id(), Some(id.as_str()));
    for i in 1..=n {
        log.append(&entry(i)).unwrap();
    }
    log.close().unwrap();
    (path, public)
}

fn with_key(public: &Path) -> VerifyOptions {
    VerifyOptions {
        public_key: Some(public.to_path_buf()),
        ..VerifyOptions::default()
    }
}

#[test]
fn signed_checkpoints_verify_with_their_public_key() {
    let d = Dir::new("log-signed");
    let (path, public) = signed(&d, 3);
    let report = verify_log(&path, &with_key(&public)).unwrap();
    assert!(report.is_ok(), "{report}");
    assert_eq!((report.checkpoints, report.signed_checkpoints), (2, 2));
}

#[test]
fn a_forged_signature_is_found() {
    let d = Dir::new("log-forged");
    let (path, public) = signed(&d, 3);
    let mut all = lines(&path);
    let mut c: Checkpoint = serde_json::from_str(&all[2]).unwrap();
    let sig = c.signature.take().unwrap();
    let flipped = if sig.starts_with('0') { "1" } else { "0" };
    c.signature = Some(format!("{flipped}{}", &sig[1..]));
    all[2] = serde_json::to_string(&c).unwrap();
    write_lines(&path, &all);
    let p = problem(&verify_log(&path, &with_key(&public)).unwrap()).clone();
    assert_eq!((p.kind, p.line), (ProblemKind::Signature, Some(3)));
    assert!(p.message.contains("does not verify"), "{p}");
    // Without a key the signature is not checked.
    assert!(verify(&path).is_ok());
}

#[test]
fn an_unsigned_checkpoint_fails_when_a_key_is_given() {
    let d = Dir::new("log-unsigned");
    let (path, public) = signed(&d, 3);
    let mut all = lines(&path);
    let mut c: Checkpoint = serde_json::from_str(&all[2]).unwrap();
    (c.signature, c.key_id) = (None, None);
    all[2] = serde_json::to_string(&c).unwrap();
    write_lines(&path, &all);
    let p = problem(&verify_log(&path, &with_key(&public)).unwrap()).clone();
    assert_eq!((p.kind, p.line), (ProblemKind::Signature, Some(3)));
    assert!(p.message.contains("not signed"), "{p}");
}

#[test]
fn another_public_key_does_not_verify() {
    let d = Dir::new("log-wrong-key");
    let (path, _) = signed(&d, 3);
    let (other_secret, other_public) = (d.path().join("other"), d.path().join("other.pub"));
    generate_keypair(&other_secret, &other_public).unwrap();
    let p = problem(&verify_log(&path, &with_key(&other_public)).unwrap()).clone();
    assert_eq!((p.kind, p.line), (ProblemKind::Signature, Some(3)));
    assert!(p.message.contains("not by the given key"), "{p}");
}

#[test]
fn a_bad_signing_key_file_fails_to_open_without_showing_the_key() {
    let d = Dir::new("log-bad-key");
    let key = d.path().join("key");
    std::fs::write(&key, "not-a-key-but-a-secret-s3cr3t").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let options = LogOptions {
        signing_key: Some(key.clone()),
        ..LogOptions::default()
    };
    let err = AuditLog::open(d.path().join("audit.log"), options).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::AuditKey { .. }), "{err:?}");
    assert!(text.contains(&key.display().to_string()), "{text}");
    assert!(!text.contains("s3cr3t") && !format!("{err:?}").contains("s3cr3t"));
}

#[test]
fn rotation_keeps_the_chain_across_files() {
    let d = Dir::new("log-rotate");
    let options = LogOptions {
        checkpoint_every: 0,
        rotate_bytes: 1500,
        ..LogOptions::default()
    };
    let path = written(&d, 22, options);
    assert!(!lines(&path).is_empty());
    let rotated = paths::rotated_files(&path);
    assert!(rotated.len() >= 2, "{rotated:?}");
    // Each file after the first starts where the one before it ends.
    let mut last: Option<ChainHead> = None;
    for file in rotated.iter().chain([&path]) {
        let all = lines(file);
        let Some(first) = all.first() else { continue };
        let Ok(chain::Line::Entry(e)) = chain::parse_line(first) else {
            panic!("{first}")
        };
        if let Some(h) = &last {
            assert_eq!((e.record.seq, &e.record.prev), (h.seq + 1, &h.hash));
        }
        // Every rotated file ends with a checkpoint.
        let tail = chain::parse_line(all.last().unwrap()).unwrap();
        assert!(matches!(tail, chain::Line::Checkpoint(_)), "{file:?}");
        last = Some(tail.head());
    }
    let report = verify(&path);
    assert!(report.is_ok(), "{report}");
    assert_eq!((report.entries, report.files), (22, rotated.len() + 1));
    // The log alone continues the rotated files.
    let alone = VerifyOptions {
        include_rotated: false,
        ..VerifyOptions::default()
    };
    let report = verify_log(&path, &alone).unwrap();
    assert!(report.is_ok(), "{report}");
    assert!(report.first_seq.is_some_and(|s| s > 1));
    // A missing middle file breaks the chain: the oldest file read no longer starts at 1.
    std::fs::remove_file(paths::rotated(&path, 2)).unwrap();
    let p = problem(&verify(&path)).clone();
    assert_eq!(p.kind, ProblemKind::MissingHead);
}

#[test]
fn an_explicit_rotation_leaves_an_empty_log_that_continues() {
    let d = Dir::new("log-rotate-now");
    let path = d.path().join("audit.log");
    let log = AuditLog::open(&path, every(0)).unwrap();
    log.append(&entry(1)).unwrap();
    log.rotate().unwrap();
    drop(log);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);
    assert!(verify(&path).is_ok());
    let alone = VerifyOptions {
        include_rotated: false,
        ..VerifyOptions::default()
    };
    assert!(verify_log(&path, &alone).unwrap().is_ok());
    let log = AuditLog::open(&path, every(0)).unwrap();
    assert_eq!(log.append(&entry(2)).unwrap(), 2);
    drop(log);
    let report = verify(&path);
    assert!(report.is_ok(), "{report}");
    assert_eq!((report.entries, report.files), (2, 2));
}

#[test]
fn two_threads_appending_to_one_log() {
    let d = Dir::new("log-threads");
    let path = d.path().join("audit.log");
    let log = Arc::new(AuditLog::open(&path, every(7)).unwrap());
    let handles: Vec<_> = (0..2)
        .map(|t| {
            let log = Arc::clone(&log);
            std::thread::spawn(move || {
                for i in 0..50 {
                    log.append(&entry(t * 100 + i)).unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    drop(log);
    let report = verify(&path);
    assert!(report.is_ok(), "{report}");
    assert_eq!(report.entries, 100);
}

#[test]
fn two_writers_on_one_file_share_the_chain() {
    // Two logs opened on the same file hold separate descriptors, as two processes would.
    let d = Dir::new("log-processes");
    let path = d.path().join("audit.log");
    let options = LogOptions {
        checkpoint_every: 10,
        rotate_bytes: 8000,
        ..LogOptions::default()
    };
    let handles: Vec<_> = (0..2)
        .map(|t| {
            let (path, options) = (path.clone(), options.clone());
            std::thread::spawn(move || {
                let log = AuditLog::open(&path, options).unwrap();
                for i in 0..40 {
                    log.append(&entry(t * 100 + i)).unwrap();
                }
                log.close().unwrap();
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let report = verify(&path);
    assert!(report.is_ok(), "{report}");
    assert_eq!(report.entries, 80);
    assert!(report.files > 1);
}

#[test]
fn a_rewritten_anchor_is_found() {
    let d = Dir::new("log-anchor");
    let path = written(&d, 2, every(0));
    let mut a = anchor::read(&path).unwrap().unwrap();
    a.hash = "3".repeat(64);
    anchor::write(&path, &a, false).unwrap();
    let p = problem(&verify(&path)).clone();
    assert_eq!((p.kind, p.line), (ProblemKind::Anchor, Some(2)));
}

/// The environment variable naming the log [`child_appends`] writes to.
const CHILD_LOG: &str = "MYRMEX_AUDIT_CHILD_LOG";

fn shared_options() -> LogOptions {
    LogOptions {
        checkpoint_every: 10,
        rotate_bytes: 8000,
        ..LogOptions::default()
    }
}

/// Run in child processes by `processes_appending_to_one_file_share_the_chain`.
#[test]
#[ignore = "run as a child process by another test"]
fn child_appends() {
    let Ok(path) = std::env::var(CHILD_LOG) else {
        return;
    };
    let log = AuditLog::open(&path, shared_options()).unwrap();
    for i in 0..40 {
        log.append(&entry(i)).unwrap();
    }
    log.close().unwrap();
}

#[test]
fn processes_appending_to_one_file_share_the_chain() {
    let d = Dir::new("log-children");
    let path = d.path().join("audit.log");
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..3)
        .map(|_| {
            std::process::Command::new(&exe)
                .args(["--exact", "audit::log::tests::child_appends", "--ignored"])
                .env(CHILD_LOG, &path)
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    let report = verify(&path);
    assert!(report.is_ok(), "{report}");
    assert_eq!(report.entries, 120);
    assert!(report.files > 1);
}
