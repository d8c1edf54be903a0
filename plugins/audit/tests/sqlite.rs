//! The rule sets on real SQLite files: a weak database and a hardened one, and statements
//! checked against the sizes of real tables.

mod common;

use common::{context, message, summary};
use myrmex_abi::{AuditContext, ConnectionBox};
use myrmex_audit::schema::SchemaRules;
use myrmex_audit::statements::StatementRules;
use myrmex_plugin::audit::{AuditRuleSet, Finding, HostConnection, Severity, Statement};
use myrmex_sqlite::audit::SqliteRules;
use myrmex_sqlite::driver::SqliteDriver;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// A fresh directory of mode `mode` for the test `name`.
fn dir(name: &str, mode: u32) -> PathBuf {
    let d = std::env::temp_dir().join(format!("myrmex-audit-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    std::fs::set_permissions(&d, std::fs::Permissions::from_mode(mode)).unwrap();
    d
}

fn connect(path: &Path, foreign_keys: &str) -> ConnectionBox {
    let url = format!("sqlite://{}?foreign_keys={foreign_keys}", path.display());
    common::connect(SqliteDriver, &url, None)
}

fn run(conn: &mut ConnectionBox, sql: &str) {
    HostConnection::new(conn)
        .execute(sql)
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// Both connection rule sets' findings.
fn audit(conn: &mut ConnectionBox) -> Vec<Finding> {
    let ctx = context("sqlite", "sqlite", "");
    let mut host = HostConnection::new(conn);
    let mut found = SchemaRules::default()
        .check_connection(&mut host, &ctx)
        .unwrap();
    found.extend(SqliteRules.check_connection(&mut host, &ctx).unwrap());
    found
}

const WEAK: &[&str] = &[
    "CREATE TABLE users (name TEXT, password TEXT, card_number TEXT)",
    "INSERT INTO users VALUES ('ann', 'hunter2', '4111 1111 1111 1111'), \
     ('bob', 'correct horse', '5500000000000004'), ('cy', 'letmein', '378282246310005')",
    "CREATE TABLE orders (id INTEGER PRIMARY KEY, user_name TEXT REFERENCES users (name))",
];

const HARDENED: &[&str] = &[
    "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, password_hash TEXT NOT NULL)",
    "INSERT INTO users (name, password_hash) VALUES \
     ('ann', '$2b$12$C6UzMDM.H6dfI/f/IKxGhuQ8sDWYtIh1sQRxVEJtoDo5Z1gqLtx8W'), \
     ('bob', '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA')",
    "CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id), \
     note TEXT)",
    "CREATE INDEX orders_user ON orders (user_id)",
    "INSERT INTO orders (user_id, note) VALUES (1, 'gift wrap'), (2, NULL)",
];

#[test]
fn a_weak_database() {
    let d = dir("weak", 0o755);
    let path = d.join("weak.db");
    let mut c = connect(&path, "on");
    for sql in WEAK {
        run(&mut c, sql);
    }
    drop(c);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).unwrap();
    let mut c = connect(&path, "off");
    run(&mut c, "PRAGMA trusted_schema = ON");
    run(&mut c, "PRAGMA secure_delete = OFF");
    let found = audit(&mut c);
    let shown = path.display().to_string();
    assert_eq!(
        summary(&found),
        [
            (
                "card-number-column".into(),
                Severity::HIGH,
                "users.card_number".into()
            ),
            ("file-permissions".into(), Severity::HIGH, shown.clone()),
            (
                "foreign-key-without-index".into(),
                Severity::LOW,
                "orders".into()
            ),
            (
                "foreign-keys-off".into(),
                Severity::MEDIUM,
                "setting foreign_keys".into()
            ),
            (
                "plaintext-password-column".into(),
                Severity::HIGH,
                "users.password".into()
            ),
            (
                "secure-delete-off".into(),
                Severity::LOW,
                "setting secure_delete".into()
            ),
            (
                "table-without-primary-key".into(),
                Severity::MEDIUM,
                "users".into()
            ),
            (
                "trusted-schema".into(),
                Severity::MEDIUM,
                "setting trusted_schema".into()
            ),
        ]
    );
    assert_eq!(
        message(&found, "plaintext-password-column", "users.password"),
        "users.password holds values that do not look like hashes (3 of 3 sampled)"
    );
    assert_eq!(
        message(&found, "card-number-column", "users.card_number"),
        "users.card_number is named for card numbers and 3 of 3 sampled values are card numbers"
    );
    assert_eq!(
        message(&found, "file-permissions", &shown),
        format!("{shown} is readable and writable by every user (mode 0666)")
    );
    for f in &found {
        for secret in ["hunter2", "letmein", "4111", "5500000000000004"] {
            assert!(!f.message.contains(secret), "{f:?}");
        }
    }
    let _ = std::fs::remove_dir_all(d);
}

#[test]
fn a_hardened_database() {
    let d = dir("hardened", 0o700);
    let path = d.join("hardened.db");
    let mut c = connect(&path, "on");
    for sql in HARDENED {
        run(&mut c, sql);
    }
    drop(c);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let mut c = connect(&path, "on");
    run(&mut c, "PRAGMA trusted_schema = OFF");
    run(&mut c, "PRAGMA secure_delete = ON");
    assert_eq!(audit(&mut c), []);
    let _ = std::fs::remove_dir_all(d);
}

#[test]
fn secrets_with_nothing_to_sample_and_card_numbers_by_value() {
    let mut c = common::connect(SqliteDriver, "sqlite::memory:", None);
    run(
        &mut c,
        "CREATE TABLE keys (id INTEGER PRIMARY KEY, api_key TEXT)",
    );
    run(
        &mut c,
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)",
    );
    run(
        &mut c,
        "INSERT INTO notes (body) VALUES ('4111111111111111'), ('6011111111111117'), ('hi')",
    );
    let ctx = context("sqlite", "sqlite", "");
    let found = SchemaRules::default()
        .check_connection(&mut HostConnection::new(&mut c), &ctx)
        .unwrap();
    assert_eq!(
        summary(&found),
        [
            (
                "card-number-column".into(),
                Severity::HIGH,
                "notes.body".into()
            ),
            (
                "plaintext-password-column".into(),
                Severity::LOW,
                "keys.api_key".into()
            ),
        ]
    );
    assert!(message(&found, "plaintext-password-column", "keys.api_key").contains("cannot tell"));
}

#[test]
fn statements_against_real_table_sizes() {
    let mut c = common::connect(SqliteDriver, "sqlite::memory:", None);
    run(&mut c, "CREATE TABLE big (id INTEGER PRIMARY KEY, a)");
    run(&mut c, "INSERT INTO big (a) VALUES (1), (2), (3), (4), (5)");
    run(&mut c, "CREATE TABLE small (id INTEGER PRIMARY KEY, a)");
    run(&mut c, "INSERT INTO small (a) VALUES (1)");
    let statements: Vec<Statement> = [
        "ALTER TABLE big ADD COLUMN b INTEGER UNIQUE",
        "ALTER TABLE small ADD COLUMN b INTEGER UNIQUE",
        "ALTER TABLE later ADD COLUMN b INTEGER UNIQUE",
        "ALTER TABLE big RENAME COLUMN a TO z",
    ]
    .iter()
    .map(|s| Statement {
        sql: s.to_string(),
        location: None,
    })
    .collect();
    let ctx = context("sqlite", "sqlite", r#"{"large_table_rows": 3}"#);
    let rules = StatementRules::default();
    let found = rules
        .check_statements(&statements, &ctx, Some(&mut HostConnection::new(&mut c)))
        .unwrap();
    let got: Vec<(&str, &str)> = found
        .iter()
        .map(|f| (f.rule.as_str(), f.message.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (
                "alter-rebuild",
                "SQLite cannot add column b, which is PRIMARY KEY or UNIQUE, in place: big must be rebuilt (5 rows)"
            ),
            (
                "alter-rebuild",
                "SQLite cannot add column b, which is PRIMARY KEY or UNIQUE, in place: later must be rebuilt (size unknown)"
            ),
            (
                "rename-column",
                "renaming column big.a to z breaks code that still uses a"
            ),
        ]
    );
    let without_sizes = rules.check_statements(&statements, &ctx, None).unwrap();
    assert_eq!(without_sizes.len(), 4);
}

#[test]
fn through_the_contract() {
    let mut c = common::connect(SqliteDriver, "sqlite::memory:", None);
    run(&mut c, "CREATE TABLE t (a TEXT)");
    let boxed = myrmex_plugin::audit_box(SchemaRules::default());
    let ctx = AuditContext {
        driver: "sqlite".into(),
        dialect: "sqlite".into(),
        server_version: "".into(),
        url: "".into(),
        settings: "".into(),
        extensions: Default::default(),
    };
    let found = boxed.check_connection(&mut c, &ctx).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].rule.as_str(), "table-without-primary-key");
    assert_eq!(boxed.rules().len(), 5);
}
