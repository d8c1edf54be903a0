//! rusqlite errors → error kinds, with the SQLite extended result code kept as the error's
//! code.
//!
//! The kind comes from the result code wherever SQLite has one (busy, locked, constraint,
//! interrupt, cannot open, authorization, I/O). Plain `SQLITE_ERROR` carries only a message,
//! so for it the fixed message prefixes of SQLite's own source are read: `near "x": syntax
//! error`, `table t already exists`, `duplicate column name: c`, `no such table: t`.

use myrmex_plugin::sql::{first_keyword, split_statements};
use myrmex_plugin::{ErrorKind, PluginError};
use rusqlite::ffi;

/// Maps an error of a query the plugin wrote itself (catalog queries, pragmas).
pub fn map(err: rusqlite::Error) -> PluginError {
    map_sql(err, "")
}

/// Maps an error raised while running `sql`, the statement or script the caller gave: it
/// tells a `DROP` of something already gone from a reference to something that does not
/// exist.
pub fn map_sql(err: rusqlite::Error, sql: &str) -> PluginError {
    use rusqlite::Error as E;
    match err {
        E::SqlInputError {
            error,
            msg,
            offset,
            sql: failed,
        } => {
            // `failed` starts at the statement SQLite could not prepare (the rest of a
            // script), so its first statement is the one the message is about.
            let kind = kind_of(&error, &msg, Some(&failed), sql);
            PluginError::new(kind, format!("{msg} (at byte {offset})"))
                .with_code(error.extended_code.into())
        }
        E::SqliteFailure(error, msg) => {
            let text = msg.unwrap_or_else(|| error.to_string());
            let kind = kind_of(&error, &text, None, sql);
            PluginError::new(kind, text).with_code(error.extended_code.into())
        }
        E::InvalidParameterCount(given, expected) => PluginError::invalid(format!(
            "statement takes {expected} parameter(s), {given} given"
        )),
        E::MultipleStatement => PluginError::invalid(
            "several statements given where one was expected (use execute_batch for scripts)",
        ),
        E::InvalidParameterName(n) => PluginError::invalid(format!("no parameter named {n}")),
        E::ToSqlConversionFailure(e) => PluginError::new(ErrorKind::TYPE, e.to_string()),
        e @ (E::Utf8Error(..) | E::InvalidColumnType(..) | E::IntegralValueOutOfRange(..)) => {
            PluginError::new(ErrorKind::TYPE, e.to_string())
        }
        E::InvalidPath(p) => PluginError::new(
            ErrorKind::CONNECTION,
            format!("invalid path {}", p.display()),
        ),
        other => PluginError::new(ErrorKind::INTERNAL, other.to_string()),
    }
}

/// The kind of an SQLite failure: by result code, and for a plain `SQLITE_ERROR` by
/// message. `failed` is the text from the failing statement on when SQLite reported it;
/// otherwise `sql` is what the caller ran.
fn kind_of(error: &ffi::Error, msg: &str, failed: Option<&str>, sql: &str) -> ErrorKind {
    match error.extended_code & 0xff {
        ffi::SQLITE_BUSY | ffi::SQLITE_LOCKED => ErrorKind::BUSY,
        ffi::SQLITE_CONSTRAINT => ErrorKind::CONSTRAINT,
        ffi::SQLITE_INTERRUPT => ErrorKind::CANCELLED,
        ffi::SQLITE_CANTOPEN | ffi::SQLITE_NOTADB => ErrorKind::CONNECTION,
        ffi::SQLITE_AUTH | ffi::SQLITE_PERM | ffi::SQLITE_READONLY => ErrorKind::PERMISSION,
        ffi::SQLITE_IOERR | ffi::SQLITE_FULL => ErrorKind::IO,
        ffi::SQLITE_MISMATCH | ffi::SQLITE_TOOBIG => ErrorKind::TYPE,
        ffi::SQLITE_RANGE => ErrorKind::INVALID_INPUT,
        ffi::SQLITE_ERROR => kind_of_message(msg, failed, sql),
        _ => ErrorKind::DATABASE,
    }
}

/// `SQLITE_ERROR` has no finer code; these prefixes are fixed in SQLite's source (parse.y,
/// build.c, alter.c), not translated, so reading them is reliable.
fn kind_of_message(msg: &str, failed: Option<&str>, sql: &str) -> ErrorKind {
    if msg.ends_with("syntax error")
        || msg.starts_with("incomplete input")
        || msg.starts_with("unrecognized token")
    {
        return ErrorKind::SYNTAX;
    }
    let created = ["table ", "view ", "index ", "trigger "]
        .iter()
        .any(|kind| msg.starts_with(kind))
        && msg.ends_with(" already exists");
    if created || msg.starts_with("duplicate column name: ") {
        return ErrorKind::ALREADY_EXISTS;
    }
    if !msg.starts_with("no such ") {
        return ErrorKind::DATABASE;
    }
    match failing_statement(failed, sql) {
        Some(stmt) if drops_what_is_missing(&stmt, msg) => ErrorKind::ALREADY_GONE,
        _ => ErrorKind::NOT_FOUND,
    }
}

/// The statement an error is about, when that is certain: the first one of the text SQLite
/// reported, or the caller's text when it holds a single statement.
fn failing_statement(failed: Option<&str>, sql: &str) -> Option<String> {
    match failed {
        Some(failed) => split_statements(failed).into_iter().next(),
        None => {
            let mut all = split_statements(sql);
            (all.len() == 1).then(|| all.remove(0))
        }
    }
}

/// True when `stmt` drops the very kind of object `msg` says does not exist: `DROP TABLE`
/// and "no such table", `ALTER TABLE … DROP COLUMN` and "no such column". A missing object
/// in any other statement (a `SELECT`, an `ALTER TABLE … RENAME`) is not found, not gone.
fn drops_what_is_missing(stmt: &str, msg: &str) -> bool {
    let words: Vec<String> = myrmex_plugin::sql::without_leading_comments(stmt)
        .split_whitespace()
        .take(6)
        .map(str::to_ascii_uppercase)
        .collect();
    let word = |i: usize| words.get(i).map_or("", String::as_str);
    match first_keyword(stmt).as_str() {
        "DROP" => {
            let object = word(1).to_ascii_lowercase();
            ["table", "index", "view", "trigger"].contains(&object.as_str())
                && msg.starts_with(&format!("no such {object}: "))
        }
        "ALTER" => {
            // ALTER TABLE name DROP [COLUMN] column: the table exists (else "no such
            // table"), the column is gone.
            word(1) == "TABLE" && word(3) == "DROP" && msg.starts_with("no such column: ")
        }
        _ => false,
    }
}

/// The error for any call on a closed connection.
pub fn closed() -> PluginError {
    PluginError::new(ErrorKind::CLOSED, "the connection is closed")
}

/// An I/O error on `path`, naming it.
pub fn io(what: &str, path: &std::path::Path, e: std::io::Error) -> PluginError {
    PluginError::new(ErrorKind::IO, format!("{what} {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use crate::driver::SqliteDriver;
    use myrmex_plugin::{ConnectOptions, Connection, Driver, ErrorKind, Params, Value};

    fn memory() -> crate::conn::SqliteConnection {
        let o = ConnectOptions {
            database: ":memory:".into(),
            ..Default::default()
        };
        SqliteDriver.connect(&o).unwrap()
    }

    fn kind(c: &mut crate::conn::SqliteConnection, sql: &str) -> ErrorKind {
        let by_batch = c.execute_batch(sql).unwrap_err().kind;
        if myrmex_plugin::sql::split_statements(sql).len() == 1 {
            let by_execute = c.execute(sql, Params::none()).unwrap_err().kind;
            assert_eq!(by_batch, by_execute, "{sql}");
        }
        by_batch
    }

    #[test]
    fn kinds_from_codes_and_messages() {
        let mut c = memory();
        c.execute_batch(
            "CREATE TABLE p (id INTEGER PRIMARY KEY); \
             CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT UNIQUE, p INT REFERENCES p(id)); \
             CREATE INDEX t_a ON t (a); INSERT INTO t (id, a) VALUES (1, 'x')",
        )
        .unwrap();
        assert_eq!(kind(&mut c, "SELEC 1"), ErrorKind::SYNTAX);
        assert_eq!(kind(&mut c, "SELECT 'a"), ErrorKind::SYNTAX);
        assert_eq!(
            kind(&mut c, "INSERT INTO t (id, a) VALUES (2, 'x')"),
            ErrorKind::CONSTRAINT
        );
        assert_eq!(
            kind(&mut c, "INSERT INTO t (id, p) VALUES (3, 9)"),
            ErrorKind::CONSTRAINT
        );
        assert_eq!(
            kind(&mut c, "CREATE TABLE t (x)"),
            ErrorKind::ALREADY_EXISTS
        );
        assert_eq!(
            kind(&mut c, "CREATE INDEX t_a ON t (id)"),
            ErrorKind::ALREADY_EXISTS
        );
        assert_eq!(
            kind(&mut c, "ALTER TABLE t ADD COLUMN a TEXT"),
            ErrorKind::ALREADY_EXISTS
        );
        assert_eq!(kind(&mut c, "DROP TABLE gone"), ErrorKind::ALREADY_GONE);
        assert_eq!(kind(&mut c, "DROP INDEX gone"), ErrorKind::ALREADY_GONE);
        assert_eq!(kind(&mut c, "DROP VIEW gone"), ErrorKind::ALREADY_GONE);
        assert_eq!(
            kind(&mut c, "ALTER TABLE t DROP COLUMN gone"),
            ErrorKind::ALREADY_GONE
        );
        assert_eq!(
            kind(&mut c, "ALTER TABLE gone DROP COLUMN a"),
            ErrorKind::NOT_FOUND
        );
        assert_eq!(
            kind(&mut c, "ALTER TABLE t RENAME COLUMN gone TO b"),
            ErrorKind::NOT_FOUND
        );
        assert_eq!(kind(&mut c, "SELECT * FROM gone"), ErrorKind::NOT_FOUND);
        assert_eq!(kind(&mut c, "SELECT gone FROM t"), ErrorKind::NOT_FOUND);
        // In a script, the statement SQLite names decides; when it names none, a missing
        // object is only "not found".
        assert_eq!(
            kind(&mut c, "DROP TABLE IF EXISTS nope; SELECT * FROM gone"),
            ErrorKind::NOT_FOUND
        );
        assert_eq!(
            kind(&mut c, "SELECT 1; ALTER TABLE t DROP COLUMN gone"),
            ErrorKind::ALREADY_GONE
        );
        assert_eq!(
            kind(
                &mut c,
                "DROP TABLE IF EXISTS nope; ALTER TABLE gone DROP COLUMN a"
            ),
            ErrorKind::NOT_FOUND
        );
        assert_eq!(
            kind(&mut c, "SELECT 1; DROP TABLE gone"),
            ErrorKind::NOT_FOUND
        );
        let e = c.execute_batch("DROP TABLE gone").unwrap_err();
        assert_eq!(e.code.into_option(), Some(1), "SQLITE_ERROR: {e}");
    }

    #[test]
    fn busy_when_another_connection_writes() {
        let path = crate::testing::db_path("busy");
        let o = crate::testing::options(&path, &[("busy_timeout", "0")]);
        let mut a = SqliteDriver.connect(&o).unwrap();
        let mut b = SqliteDriver.connect(&o).unwrap();
        a.execute_batch("CREATE TABLE t (x)").unwrap();
        a.begin_exclusive("").unwrap();
        let e = b.execute_batch("BEGIN IMMEDIATE").unwrap_err();
        assert_eq!(e.kind, ErrorKind::BUSY, "{e}");
        a.rollback().unwrap();
    }

    #[test]
    fn permission_cancel_and_open_failures() {
        let path = crate::testing::db_path("ro");
        let mut rw = SqliteDriver
            .connect(&crate::testing::options(&path, &[]))
            .unwrap();
        rw.execute_batch("CREATE TABLE t (x)").unwrap();
        let mut ro = SqliteDriver
            .connect(&crate::testing::options(&path, &[("mode", "ro")]))
            .unwrap();
        let e = ro
            .execute("INSERT INTO t VALUES (1)", Params::none())
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::PERMISSION, "{e}");

        let missing = crate::testing::options("/nonexistent-dir/x/y.db", &[]);
        let e = SqliteDriver.connect(&missing).err().unwrap();
        assert_eq!(e.kind, ErrorKind::CONNECTION, "{e}");

        let mut c = memory();
        let cancel = c.cancel_handle().unwrap();
        let running = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let still = running.clone();
        // An interrupt reaches only a running statement: repeat it until the query ends.
        let stop = std::thread::spawn(move || {
            while still.load(std::sync::atomic::Ordering::Relaxed) {
                std::thread::sleep(std::time::Duration::from_millis(50));
                cancel.cancel().unwrap();
            }
        });
        let e = c
            .query(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) \
                 SELECT count(*) FROM n",
                Params::none(),
                10,
            )
            .err()
            .unwrap();
        running.store(false, std::sync::atomic::Ordering::Relaxed);
        stop.join().unwrap();
        assert_eq!(e.kind, ErrorKind::CANCELLED, "{e}");
        c.close().unwrap();
        let e = c.execute("SELECT 1", Params::none()).unwrap_err();
        assert_eq!(e.kind, ErrorKind::CLOSED);
    }

    #[test]
    fn parameter_count_and_authorization() {
        let mut c = memory();
        let e = c
            .execute("SELECT ?", Params::from(&[Value::Int(1), Value::Int(2)]))
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::INVALID_INPUT, "{e}");
        let code = rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_AUTH);
        assert_eq!(
            super::kind_of(&code, "not authorized", None, ""),
            ErrorKind::PERMISSION
        );
    }
}
