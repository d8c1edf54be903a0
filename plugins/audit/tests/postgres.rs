//! The rule sets on a real PostgreSQL database (`MYRMEX_TEST_POSTGRES_URL`), each test in a
//! schema of its own.

mod common;

use common::{context, message, summary};
use myrmex_abi::ConnectionBox;
use myrmex_audit::schema::SchemaRules;
use myrmex_audit::statements::StatementRules;
use myrmex_plugin::audit::{AuditRuleSet, HostConnection, Severity, Statement};
use myrmex_postgres::driver::PgDriver;

/// A connection whose search path is the new, empty schema `name`; `None` without a server.
fn in_schema(name: &str) -> Option<ConnectionBox> {
    let url = common::server_url("MYRMEX_TEST_POSTGRES_URL")?;
    let mut c = common::connect(PgDriver::default(), &url, None);
    for sql in [
        format!("DROP SCHEMA IF EXISTS {name} CASCADE"),
        format!("CREATE SCHEMA {name}"),
        format!("SET search_path TO {name}"),
    ] {
        run(&mut c, &sql);
    }
    Some(c)
}

fn drop_schema(c: &mut ConnectionBox, name: &str) {
    run(c, &format!("DROP SCHEMA IF EXISTS {name} CASCADE"));
}

fn run(c: &mut ConnectionBox, sql: &str) {
    HostConnection::new(c)
        .execute(sql)
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// `(1), (2), …, (n)`.
fn values(n: u32) -> String {
    (1..=n)
        .map(|i| format!("({i})"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[test]
fn schema_rules() {
    let schema = "audit_schema_rules";
    let Some(mut c) = in_schema(schema) else {
        return;
    };
    for sql in [
        "CREATE TABLE users (name text, password text, card_number varchar(25))",
        "INSERT INTO users VALUES ('ann', 'hunter2', '4111111111111111'), ('bob', 'pw', NULL)",
        "CREATE TABLE accounts (id int PRIMARY KEY, token text)",
        "INSERT INTO accounts VALUES (1, 'a94a8fe5ccb19ba61c4c0873d391e987982fbbd3')",
        "CREATE TABLE orders (id int PRIMARY KEY, account_id int REFERENCES accounts (id))",
        "CREATE TABLE items (id int PRIMARY KEY, account_id int REFERENCES accounts (id))",
        "CREATE INDEX items_account ON items (account_id)",
        "GRANT SELECT, UPDATE ON users TO PUBLIC",
    ] {
        run(&mut c, sql);
    }
    let found = SchemaRules::default()
        .check_connection(
            &mut HostConnection::new(&mut c),
            &context("postgres", "postgres", ""),
        )
        .unwrap();
    let users = format!("{schema}.users");
    assert_eq!(
        summary(&found),
        [
            ("broad-grants".into(), Severity::MEDIUM, users.clone()),
            (
                "card-number-column".into(),
                Severity::HIGH,
                "users.card_number".into()
            ),
            (
                "foreign-key-without-index".into(),
                Severity::LOW,
                "orders".into()
            ),
            (
                "plaintext-password-column".into(),
                Severity::HIGH,
                "users.password".into()
            ),
            (
                "table-without-primary-key".into(),
                Severity::MEDIUM,
                "users".into()
            ),
        ]
    );
    assert_eq!(
        message(&found, "broad-grants", &users),
        format!("PUBLIC (every role) holds SELECT, UPDATE on {users}")
    );
    assert_eq!(
        message(&found, "plaintext-password-column", "users.password"),
        "users.password holds values that do not look like hashes (2 of 2 sampled)"
    );

    // A role that may not read `accounts` cannot tell whether its token is hashed.
    let reader = "myrmex_wt_astmt_reader";
    for sql in [
        format!("DROP ROLE IF EXISTS {reader}"),
        format!("CREATE ROLE {reader}"),
        format!("GRANT USAGE ON SCHEMA {schema} TO {reader}"),
        format!("SET ROLE {reader}"),
    ] {
        run(&mut c, &sql);
    }
    let found = SchemaRules::default()
        .check_connection(
            &mut HostConnection::new(&mut c),
            &context("postgres", "postgres", ""),
        )
        .unwrap();
    let f = found
        .iter()
        .find(|f| f.object == "accounts.token")
        .expect("a finding about accounts.token");
    assert_eq!(f.severity, Severity::LOW);
    assert_eq!(
        f.message,
        "accounts.token is named like a secret but may not be read: cannot tell whether its \
         values are hashed"
    );
    run(&mut c, "RESET ROLE");
    drop_schema(&mut c, schema);
    run(&mut c, &format!("DROP ROLE IF EXISTS {reader}"));
}

#[test]
fn statements_against_table_sizes() {
    let schema = "audit_statement_sizes";
    let Some(mut c) = in_schema(schema) else {
        return;
    };
    for sql in [
        "CREATE TABLE big (a int)".to_string(),
        format!("INSERT INTO big VALUES {}", values(150)),
        "CREATE INDEX big_a ON big (a)".into(),
        "CREATE TABLE small (a int)".into(),
        format!("INSERT INTO small VALUES {}", values(10)),
        "ANALYZE big".into(),
        "ANALYZE small".into(),
        "CREATE TABLE never_analyzed (a int)".into(),
        format!("INSERT INTO never_analyzed VALUES {}", values(120)),
    ] {
        run(&mut c, &sql);
    }
    let statements: Vec<Statement> = [
        "CREATE INDEX i1 ON big (a)",
        "CREATE INDEX i2 ON small (a)",
        "CREATE INDEX i3 ON never_analyzed (a)",
        "DROP INDEX big_a",
        "ALTER TABLE big ALTER COLUMN a SET NOT NULL",
        "ALTER TABLE nowhere ALTER COLUMN a TYPE bigint",
        "CREATE TABLE fresh (a int)",
        "CREATE INDEX i4 ON fresh (a)",
        "CREATE INDEX CONCURRENTLY i5 ON big (a)",
        "DELETE FROM small",
    ]
    .iter()
    .map(|s| Statement {
        sql: s.to_string(),
        location: None,
    })
    .collect();
    let found = StatementRules::default()
        .check_statements(
            &statements,
            &context("postgres", "postgres", r#"{"large_table_rows": 100}"#),
            Some(&mut HostConnection::new(&mut c)),
        )
        .unwrap();
    let got: Vec<(&str, &str)> = found
        .iter()
        .map(|f| (f.rule.as_str(), f.message.as_str()))
        .collect();
    assert_eq!(got.len(), 6, "{got:#?}");
    assert_eq!(
        got[0],
        (
            "index-without-concurrently",
            "CREATE INDEX on big without CONCURRENTLY blocks writes to big while the index builds (about 150 rows)"
        )
    );
    // Never analyzed: counted up to the threshold (or estimated, if autovacuum got there).
    assert!(
        got[1].1.ends_with("(at least 100 rows)") || got[1].1.ends_with("(about 120 rows)"),
        "{got:#?}"
    );
    assert_eq!(
        got[2],
        (
            "index-without-concurrently",
            "DROP INDEX big_a without CONCURRENTLY blocks reads and writes of its table (about 150 rows)"
        )
    );
    assert_eq!(got[3].0, "set-not-null");
    assert_eq!(
        got[4],
        (
            "alter-column-type",
            "changing the type of nowhere.a rewrites nowhere under an ACCESS EXCLUSIVE lock (size unknown)"
        )
    );
    assert_eq!(
        got[5],
        (
            "delete-without-where",
            "DELETE without WHERE removes every row of small"
        )
    );
    drop_schema(&mut c, schema);
}
