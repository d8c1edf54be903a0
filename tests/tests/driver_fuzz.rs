//! Property test: random SQL-ish text and random parameters through the host to each real
//! driver. Whatever the input, a driver answers with rows or a typed error: never a panic,
//! never a poisoned connection, and the connection still runs `SELECT 1` afterwards.
//! Bounded (a few hundred cases per engine) so it runs in every `cargo test`.

use myrmex_abi::ErrorKind;
use myrmex_core::{DatabaseConnection, Value};
use myrmex_tests::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::cell::RefCell;

/// Pieces that make statements, half-statements, comments, quotes and odd characters.
const FRAGMENTS: &[&str] = &[
    "SELECT",
    " ",
    "1",
    "?",
    "$1",
    "$2",
    "'a'",
    "'",
    "\"",
    "`",
    "--",
    "-- x\n",
    "/*",
    "*/",
    "/*!",
    "#",
    ";",
    "$$",
    "ü漢🐜",
    "\0",
    "\n",
    "\t",
    "FROM",
    "(",
    ")",
    ",",
    "NULL",
    "x'ff'",
    "CAST(",
    " AS TEXT)",
    " AS BLOB)",
    "WHERE",
    "1=1",
    "+",
    "*",
    "::",
    "::text",
    "E'\\\\'",
    "\\",
    "AS",
    "t",
    "VALUES",
    "UNION ALL",
    "0.5",
    "-9223372036854775808",
    "1e400",
    "N'x'",
    "\u{feff}",
    "\u{0301}",
    "EXPLAIN ",
    "SHOW ",
    "SELECT ?",
    "VALUES (?)",
    ":name",
    "@x",
    "U&'",
    "$tag$",
    "ROLLBACK",
    "RETURNING",
    "?1",
];

fn sql() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            4 => prop::sample::select(FRAGMENTS).prop_map(str::to_string),
            1 => any::<char>().prop_map(String::from),
        ],
        0..10,
    )
    .prop_map(|parts| parts.concat())
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::Int),
        any::<f64>().prop_map(Value::Float),
        ".{0,8}".prop_map(|s: String| Value::Text(s.into())),
        prop::collection::vec(any::<u8>(), 0..8).prop_map(|b| Value::Blob(b.into())),
        "-?[0-9]{1,20}(\\.[0-9]{0,10})?".prop_map(|s: String| Value::Decimal(s.into())),
        ".{0,12}".prop_map(|s: String| Value::Date(s.into())),
        ".{0,12}".prop_map(|s: String| Value::Time(s.into())),
        ".{0,20}".prop_map(|s: String| Value::Timestamp(s.into())),
        ".{0,20}".prop_map(|s: String| Value::TimestampTz(s.into())),
        ".{0,12}".prop_map(|s: String| Value::Json(s.into())),
        any::<[u8; 16]>().prop_map(Value::Uuid),
    ]
}

fn fuzz(engine: &str, url: &str) {
    let open = || {
        let mut conn = DatabaseConnection::from_url(engine, url).unwrap();
        conn.connect_with(&registry())
            .unwrap_or_else(|e| panic!("connect {engine}: {e}"));
        conn
    };
    let conn = RefCell::new(open());
    let mut runner = TestRunner::new(Config {
        cases: 300,
        failure_persistence: None,
        max_shrink_iters: 500,
        ..Config::default()
    });
    let input = (sql(), prop::collection::vec(value(), 0..3), 0..3u8);
    runner
        .run(&input, |(sql, params, how)| {
            let mut c = conn.borrow_mut();
            let err = match how {
                0 => c.execute(&sql, &params).err(),
                1 => c.execute_query(&sql, &params).err(),
                _ => match c.query_stream(&sql, &params) {
                    Ok(mut rows) => loop {
                        match rows.next_row() {
                            Ok(Some(_)) => {}
                            Ok(None) => break None,
                            Err(e) => break Some(e),
                        }
                    },
                    Err(e) => Some(e),
                },
            };
            let mut failure = None;
            if let Some(e) = &err {
                if e.plugin_error().map(|p| p.kind) == Some(ErrorKind::PANIC) {
                    failure = Some(format!("panic: {e}"));
                }
            }
            if failure.is_none() && c.is_broken() {
                failure = Some("connection poisoned".to_string());
            }
            if failure.is_none() {
                match c.execute_query("SELECT 1", &[]) {
                    Ok(one) if one.len() == 1 => {}
                    Ok(_) => failure = Some("SELECT 1 gave no row".to_string()),
                    Err(e) => failure = Some(format!("unusable afterwards: {e}")),
                }
            }
            if let Some(why) = failure {
                // A fresh connection for the next case, so shrinking finds the input that
                // broke this one rather than any input after it.
                *c = open();
                return Err(TestCaseError::fail(format!(
                    "{engine}: {why} (input {sql:?})"
                )));
            }
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{engine}: {e}"));
}

#[test]
fn sqlite_survives_random_input() {
    fuzz("sqlite", "sqlite::memory:");
}

#[test]
fn postgres_survives_random_input() {
    if let Some(url) = server_url("MYRMEX_TEST_POSTGRES_URL") {
        fuzz("postgres", &url);
    }
}

#[test]
fn mysql_survives_random_input() {
    if let Some(url) = server_url("MYRMEX_TEST_MYSQL_URL") {
        fuzz("mysql", &url);
    }
}
