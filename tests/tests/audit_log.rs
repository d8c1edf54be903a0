//! The tamper-evident statement log through the binary: `[audit.log]` records every
//! statement myrmex runs (passwords hidden), `audit keygen` makes the signing key,
//! `audit verify-log` passes on the untouched log and names the first bad line after each
//! kind of tampering (edit, delete, insert, reorder, truncate).

use myrmex_tests::*;
use std::path::Path;

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

#[test]
fn every_statement_is_logged_and_any_tampering_is_found() {
    let work = temp_dir("audit-log");
    let secret = work.join("audit.key");
    let public = work.join("audit.pub");
    let out = run(myrmex().args(["audit", "keygen"]).arg(&secret).arg(&public));
    assert_eq!(out.code, 0, "{}", out.stderr);

    let log = work.join("audit.log");
    let config = work.join("myrmex.toml");
    std::fs::write(
        &config,
        format!(
            "[audit.log]\npath = {:?}\nsigning_key = {:?}\ncheckpoint_every = 3\n",
            log.display().to_string(),
            secret.display().to_string()
        ),
    )
    .unwrap();
    let url = format!("sqlite://{}", work.join("app.db").display());
    let script = format!(
        r#"let db = connect("{url}");
db.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT)");
for i in 0..5 {{ db.execute("INSERT INTO t(name) VALUES (?)", [`n${{i}}`]); }}
db.query("SELECT count(*) AS n FROM t");
try {{ db.execute("CREATE USER bob WITH PASSWORD 'hunter2-secret'"); }} catch {{ }}
"#
    );
    let out = run(myrmex().arg("--config").arg(&config).args(["-e", &script]));
    assert_eq!(out.code, 0, "{}", out.stderr);

    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        !text.contains("hunter2-secret"),
        "the password is hidden: {text}"
    );
    assert!(
        text.contains("CREATE USER bob WITH PASSWORD '***'"),
        "{text}"
    );
    assert!(text.contains("INSERT INTO t(name) VALUES (?)"), "{text}");
    assert!(text.contains(r#""params":1"#), "{text}");
    assert!(
        text.contains(r#""outcome":"error: "#),
        "the failed statement is logged: {text}"
    );
    assert!(text.contains(r#""checkpoint""#), "{text}");
    assert!(
        text.lines().last().unwrap().contains(r#""checkpoint""#),
        "the log is sealed with a checkpoint when myrmex exits: {text}"
    );

    let verify = || {
        run(myrmex()
            .args(["audit", "verify-log"])
            .arg(&log)
            .arg("--key")
            .arg(&public))
    };
    let out = verify();
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);

    let original = lines(&log);
    let entry_lines: Vec<usize> = original
        .iter()
        .enumerate()
        .filter(|(_, l)| l.contains(r#""seq""#))
        .map(|(i, _)| i)
        .collect();
    let second = entry_lines[1];
    let third = entry_lines[2];

    // Edited.
    let mut edited = original.clone();
    edited[second] = edited[second].replacen("INSERT INTO t", "INSERT INTO u", 1);
    assert_ne!(edited[second], original[second]);
    write_lines(&log, &edited);
    let out = verify();
    assert_eq!(out.code, 1, "edit: {}", out.stdout);
    assert!(
        out.stdout.contains(&format!("audit.log:{}:", second + 1)),
        "{}",
        out.stdout
    );

    // Deleted.
    let mut deleted = original.clone();
    deleted.remove(second);
    write_lines(&log, &deleted);
    let out = verify();
    assert_eq!(out.code, 1, "delete: {}", out.stdout);

    // Inserted (a copy of another entry).
    let mut inserted = original.clone();
    inserted.insert(third, original[second].clone());
    write_lines(&log, &inserted);
    let out = verify();
    assert_eq!(out.code, 1, "insert: {}", out.stdout);

    // Reordered.
    let mut swapped = original.clone();
    swapped.swap(second, third);
    write_lines(&log, &swapped);
    let out = verify();
    assert_eq!(out.code, 1, "reorder: {}", out.stdout);

    // Truncated after a checkpoint: the anchor knows the log went further.
    let first_checkpoint = original
        .iter()
        .position(|l| l.contains(r#""checkpoint""#))
        .unwrap();
    assert!(first_checkpoint + 2 < original.len(), "entries follow it");
    write_lines(&log, &original[..=first_checkpoint]);
    let out = verify();
    assert_eq!(out.code, 1, "truncate: {}", out.stdout);
    assert!(
        out.stdout.to_lowercase().contains("truncated"),
        "{}",
        out.stdout
    );

    // Restored, it verifies again, also from Rhai.
    write_lines(&log, &original);
    let out = run(myrmex().args([
        "-e",
        &format!(
            r#"let r = verify_log({:?}, #{{ key: {:?} }}); `${{r.ok}} ${{r.signed_checkpoints > 0}}`"#,
            log.display().to_string(),
            public.display().to_string()
        ),
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout.trim(), "true true");
}

#[test]
fn a_statement_the_guard_refuses_is_logged_as_refused() {
    let work = temp_dir("audit-log-guard");
    let log = work.join("audit.log");
    let config = work.join("myrmex.toml");
    std::fs::write(
        &config,
        format!(
            "[audit.log]\npath = {:?}\n[audit.guard]\nenabled = true\n",
            log.display().to_string()
        ),
    )
    .unwrap();
    let url = format!("sqlite://{}", work.join("app.db").display());
    let out = run(myrmex().arg("--config").arg(&config).args([
        "-e",
        &format!(
            r#"let db = connect("{url}"); db.execute("CREATE TABLE t(id INTEGER PRIMARY KEY)"); db.execute("DELETE FROM t")"#
        ),
    ]));
    assert_ne!(out.code, 0);
    assert!(
        out.stderr.contains("delete-without-where"),
        "{}",
        out.stderr
    );
    let text = std::fs::read_to_string(&log).unwrap();
    let refused = text
        .lines()
        .find(|l| l.contains(r#""statement":"DELETE FROM t""#))
        .unwrap_or_else(|| panic!("the refused statement is logged: {text}"));
    assert!(
        refused.contains("refused by audit rule statements/delete-without-where"),
        "{refused}"
    );
    let out = run(myrmex().args(["audit", "verify-log"]).arg(&log));
    assert_eq!(out.code, 0, "{}", out.stdout);
}
