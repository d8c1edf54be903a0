//! tokio-postgres errors → error kinds: by SQLSTATE for the server's errors, by the client
//! library's own error types for everything else (never by message text, which the server
//! translates into its `lc_messages` language).

use crate::types::ParamError;
use myrmex_plugin::{sql, ErrorKind, PluginError};
use std::error::Error as _;

/// The kind of a server error with SQLSTATE `code`, raised by a statement whose first
/// keyword is `keyword` (uppercase; empty when there is no statement, as at connect).
///
/// A missing object is [`ErrorKind::ALREADY_GONE`] when the statement drops or alters it
/// (someone else removed it first), [`ErrorKind::NOT_FOUND`] otherwise.
pub fn kind_of(code: &str, keyword: &str) -> ErrorKind {
    match code {
        // invalid_password, invalid_authorization_specification (no such role, pg_hba refusal)
        "28P01" | "28000" => ErrorKind::AUTHENTICATION,
        "42501" => ErrorKind::PERMISSION,
        // undefined database, schema, table, column, object, function
        "3D000" | "3F000" | "42P01" | "42703" | "42704" | "42883" => {
            if matches!(keyword, "DROP" | "ALTER") {
                ErrorKind::ALREADY_GONE
            } else {
                ErrorKind::NOT_FOUND
            }
        }
        // duplicate database, schema, table, column, object, function
        "42P04" | "42P06" | "42P07" | "42701" | "42710" | "42723" => ErrorKind::ALREADY_EXISTS,
        // serialization_failure, deadlock_detected
        "40001" | "40P01" => ErrorKind::SERIALIZATION,
        // lock_not_available (NOWAIT, lock_timeout), too_many_connections
        "55P03" | "53300" => ErrorKind::BUSY,
        "57014" => ErrorKind::CANCELLED,
        // admin_shutdown, crash_shutdown, cannot_connect_now, database_dropped,
        // idle_session_timeout, idle_in_transaction_session_timeout: the session is over
        "57P01" | "57P02" | "57P03" | "57P04" | "57P05" | "25P03" => ErrorKind::CLOSED,
        "42601" => ErrorKind::SYNTAX,
        "0A000" => ErrorKind::UNSUPPORTED,
        c if c.starts_with("23") => ErrorKind::CONSTRAINT,
        c if c.starts_with("22") => ErrorKind::TYPE,
        c if c.starts_with("08") => ErrorKind::CONNECTION,
        c if c.starts_with("53") => ErrorKind::IO,
        _ => ErrorKind::DATABASE,
    }
}

/// Maps an error of no particular statement (a catalog query, a fetch).
pub fn map(e: tokio_postgres::Error) -> PluginError {
    map_for(e, "")
}

/// Maps an error raised by statement `sql`. The message is the server's, with detail and
/// hint.
pub fn map_for(e: tokio_postgres::Error, sql: &str) -> PluginError {
    let Some(db) = e.as_db_error() else {
        return client_error(&e);
    };
    let code = db.code().code();
    let mut msg = db.message().to_string();
    if let Some(d) = db.detail() {
        msg.push_str(&format!(" ({d})"));
    }
    if let Some(h) = db.hint() {
        msg.push_str(&format!(" hint: {h}"));
    }
    PluginError::new(kind_of(code, &sql::first_keyword(sql)), msg).with_sqlstate(code)
}

/// An error raised by the client library, not the server: the session closed, a parameter
/// that could not be bound, an I/O or TLS failure.
fn client_error(e: &tokio_postgres::Error) -> PluginError {
    if e.is_closed() {
        return server_closed();
    }
    let kind = match e.source() {
        Some(s) if s.is::<ParamError>() => ErrorKind::TYPE,
        // A message that could not be encoded (a NUL in the statement text) never left the
        // client: the caller's input is at fault and the session is intact.
        Some(s)
            if s.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::InvalidInput) =>
        {
            ErrorKind::INVALID_INPUT
        }
        Some(s) if s.is::<std::io::Error>() => ErrorKind::CONNECTION,
        _ => ErrorKind::INTERNAL,
    };
    PluginError::new(kind, error_chain(e))
}

/// True when the server refused a cached statement because the schema under it changed
/// ("cached plan must not change result type"): the server's routine name says so in any
/// message language.
pub fn is_stale_plan(e: &tokio_postgres::Error) -> bool {
    e.as_db_error().is_some_and(|db| {
        db.code().code() == "0A000" && db.routine() == Some("RevalidateCachedQuery")
    })
}

/// The error and its sources on one line.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(src) = cur {
        let t = src.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        cur = src.source();
    }
    s
}

/// The error for any call after the server ended the session.
pub fn server_closed() -> PluginError {
    PluginError::new(
        ErrorKind::CLOSED,
        "the server closed this connection (reconnect to go on)",
    )
}

/// The error for any call on a connection closed by the caller.
pub fn closed() -> PluginError {
    PluginError::new(ErrorKind::CONNECTION, "connection is closed")
}

#[cfg(test)]
mod tests {
    use super::kind_of;
    use crate::testing;
    use myrmex_plugin::{Connection, Driver, ErrorKind, Params, Value};

    #[test]
    fn missing_objects_are_gone_only_for_the_statements_that_drop_or_alter_them() {
        assert_eq!(kind_of("42P01", "SELECT"), ErrorKind::NOT_FOUND);
        assert_eq!(kind_of("42P01", "DROP"), ErrorKind::ALREADY_GONE);
        assert_eq!(kind_of("42703", "ALTER"), ErrorKind::ALREADY_GONE);
        assert_eq!(kind_of("3D000", ""), ErrorKind::NOT_FOUND);
        assert!(kind_of("3D000", "").is_permanent());
    }

    #[test]
    fn codes_name_their_kinds() {
        for (code, kind) in [
            ("28P01", ErrorKind::AUTHENTICATION),
            ("28000", ErrorKind::AUTHENTICATION),
            ("42501", ErrorKind::PERMISSION),
            ("42P07", ErrorKind::ALREADY_EXISTS),
            ("42701", ErrorKind::ALREADY_EXISTS),
            ("40001", ErrorKind::SERIALIZATION),
            ("40P01", ErrorKind::SERIALIZATION),
            ("55P03", ErrorKind::BUSY),
            ("57014", ErrorKind::CANCELLED),
            ("57P01", ErrorKind::CLOSED),
            ("23505", ErrorKind::CONSTRAINT),
            ("42601", ErrorKind::SYNTAX),
            ("08006", ErrorKind::CONNECTION),
            ("22012", ErrorKind::TYPE),
            ("XX000", ErrorKind::DATABASE),
        ] {
            assert_eq!(kind_of(code, "SELECT"), kind, "{code}");
        }
        assert!(kind_of("28P01", "").is_permanent());
        assert!(kind_of("40001", "UPDATE").is_retryable());
    }

    #[test]
    fn a_missing_database_is_not_found_and_permanent() {
        let mut o = testing::options();
        o.database = "myrmex_wt_postgres_missing".into();
        let e = testing::driver().connect(&o).err().unwrap();
        assert_eq!(e.kind, ErrorKind::NOT_FOUND, "{e}");
        assert!(e.kind.is_permanent());
        assert!(e.message.contains("cannot connect to postgres at"), "{e}");
        assert_eq!(
            e.sqlstate.as_ref().map(|s| s.as_str()).into_option(),
            Some("3D000")
        );
    }

    #[test]
    fn a_closed_port_is_a_connection_error() {
        let mut o = testing::options();
        o.host = "127.0.0.1".into();
        o.port = 1;
        let e = testing::driver().connect(&o).err().unwrap();
        assert_eq!(e.kind, ErrorKind::CONNECTION, "{e}");
        assert!(e.kind.is_retryable());
    }

    #[test]
    fn ddl_errors_say_already_exists_or_already_gone() {
        let mut c = testing::in_fresh_schema("t_error_ddl");
        c.execute_batch("CREATE TABLE t (a int)").unwrap();
        let e = c
            .execute("CREATE TABLE t (a int)", Params::none())
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::ALREADY_EXISTS, "{e}");
        let e = c
            .execute_batch("ALTER TABLE t ADD COLUMN a int")
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::ALREADY_EXISTS, "{e}");
        let e = c.execute("DROP TABLE gone", Params::none()).unwrap_err();
        assert_eq!(e.kind, ErrorKind::ALREADY_GONE, "{e}");
        let e = c
            .execute_batch("ALTER TABLE t DROP COLUMN gone")
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::ALREADY_GONE, "{e}");
        let e = c
            .query("SELECT * FROM gone", Params::none(), 1)
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::NOT_FOUND, "{e}");
        // In a script, the statement that failed decides.
        let e = c.execute_batch("SELECT 1; DROP TABLE gone").unwrap_err();
        assert_eq!(e.kind, ErrorKind::ALREADY_GONE, "{e}");
        let e = c
            .execute_batch("DROP TABLE IF EXISTS x; SELECT * FROM gone")
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::NOT_FOUND, "{e}");
    }

    #[test]
    fn statement_errors_name_their_kinds() {
        let mut c = testing::in_fresh_schema("t_error_kinds");
        c.execute_batch("CREATE TABLE t (a int PRIMARY KEY)")
            .unwrap();
        c.execute("INSERT INTO t VALUES (?)", Params::from(&[Value::Int(1)]))
            .unwrap();
        let e = c
            .execute("INSERT INTO t VALUES (?)", Params::from(&[Value::Int(1)]))
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::CONSTRAINT, "{e}");
        assert_eq!(
            e.sqlstate.as_ref().map(|s| s.as_str()).into_option(),
            Some("23505")
        );
        let e = c.execute("SELEC 1", Params::none()).unwrap_err();
        assert_eq!(e.kind, ErrorKind::SYNTAX, "{e}");
        let e = c.query("SELECT 1 / 0", Params::none(), 1).unwrap_err();
        assert_eq!(e.kind, ErrorKind::TYPE, "{e}");
    }

    #[test]
    fn a_lost_serialization_conflict_is_retryable() {
        let mut a = testing::in_fresh_schema("t_error_serial");
        a.execute_batch("CREATE TABLE t (x int); INSERT INTO t VALUES (1)")
            .unwrap();
        let mut b = testing::connect();
        a.execute_batch("BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT x FROM t")
            .unwrap();
        b.execute_batch("UPDATE t_error_serial.t SET x = 2")
            .unwrap();
        let e = a.execute("UPDATE t SET x = 3", Params::none()).unwrap_err();
        assert_eq!(e.kind, ErrorKind::SERIALIZATION, "{e}");
        assert!(e.kind.is_retryable());
        assert!(a.in_transaction());
        a.rollback().unwrap();
    }

    #[test]
    fn a_terminated_session_is_closed() {
        let mut victim = testing::connect();
        let pid = myrmex_plugin::all_rows(&mut victim, "SELECT pg_backend_pid()", Params::none())
            .unwrap()[0][0]
            .clone();
        victim.begin().unwrap();
        let mut admin = testing::connect();
        admin
            .query("SELECT pg_terminate_backend(?)", Params::from(&[pid]), 1)
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(200));
        let e = victim.query("SELECT 1", Params::none(), 1).unwrap_err();
        assert_eq!(e.kind, ErrorKind::CLOSED, "{e}");
        assert!(!victim.in_transaction());
        assert_eq!(victim.ping().unwrap_err().kind, ErrorKind::CLOSED);
    }
}
