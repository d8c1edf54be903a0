//! mysql crate errors → contract errors, by server error number.
//!
//! The kind comes from the server's error number alone, never from its message text, so the
//! host can decide what to do (stop retrying, run again, skip a DDL step that already
//! happened) from the kind. Messages are the server's own text (its SQLSTATE and error number
//! travel in their own fields) or the plain message of the I/O, TLS or protocol failure:
//! never the client library's debug rendering.

use myrmex_plugin::{ErrorKind, PluginError};
use std::io;

/// The kind of a server error number (MySQL and MariaDB share them, with a few of each
/// engine's own).
pub fn kind_of_code(code: u16) -> ErrorKind {
    match code {
        // Wrong password or unknown user; no matching authentication method (MariaDB
        // unix_socket); password expired; account locked (MySQL, MariaDB).
        1045 | 1698 | 1820 | 1862 | 3118 | 4151 => ErrorKind::AUTHENTICATION,
        // Access to a database, table, column or command denied; host not allowed or
        // blocked.
        1044 | 1142 | 1143 | 1227 | 1370 | 1129 | 1130 => ErrorKind::PERMISSION,
        // The object a CREATE makes is there: database, table, column, key, routine,
        // trigger, foreign key name.
        1007 | 1050 | 1060 | 1061 | 1304 | 1359 | 1826 => ErrorKind::ALREADY_EXISTS,
        // The object a DROP removes is gone: database, table, column or key.
        1008 | 1051 | 1091 => ErrorKind::ALREADY_GONE,
        // Unknown database, table, column, routine.
        1049 | 1146 | 1054 | 1305 => ErrorKind::NOT_FOUND,
        1064 | 1149 => ErrorKind::SYNTAX,
        // Duplicate key, foreign key, NOT NULL, CHECK (MySQL 3819, MariaDB 4025), no default.
        1062 | 1022 | 1169 | 1586 | 1451 | 1452 | 1216 | 1217 | 1048 | 1364 | 3819 | 4025 => {
            ErrorKind::CONSTRAINT
        }
        1213 => ErrorKind::SERIALIZATION,
        // Lock wait timeout; NOWAIT found the row locked.
        1205 | 3572 => ErrorKind::BUSY,
        1317 => ErrorKind::CANCELLED,
        // max_execution_time (MySQL) or max_statement_time (MariaDB) ran out.
        3024 | 1969 => ErrorKind::TIMEOUT,
        1264 | 1265 | 1292 | 1366 | 1406 | 1690 | 3140 => ErrorKind::TYPE,
        // Server gone away, lost during query, disconnected for inactivity (MySQL 8),
        // shutting down, connection killed (MariaDB).
        2006 | 2013 | 4031 | 1053 | 1927 => ErrorKind::CLOSED,
        // Packet errors, too many connections, per-user connection limit.
        1152 | 1153 | 1040 | 1203 => ErrorKind::CONNECTION,
        _ => ErrorKind::DATABASE,
    }
}

/// Maps a `mysql::Error`.
pub fn map(e: mysql::Error) -> PluginError {
    match e {
        mysql::Error::MySqlError(m) => PluginError::new(kind_of_code(m.code), m.message)
            .with_sqlstate(m.state)
            .with_code(m.code.into()),
        mysql::Error::IoError(io) => io_error(&io),
        mysql::Error::DriverError(d) => {
            let kind = match d {
                mysql::DriverError::ConnectTimeout => ErrorKind::TIMEOUT,
                // The statement's parameters do not fit it (`:name` placeholders with no
                // value, mixed styles): the caller's input, found before anything was sent.
                mysql::DriverError::MismatchedStmtParams(..)
                | mysql::DriverError::MixedParams
                | mysql::DriverError::Params(_)
                | mysql::DriverError::BulkExecute(_) => ErrorKind::INVALID_INPUT,
                mysql::DriverError::UnknownAuthPlugin(_)
                | mysql::DriverError::OldMysqlPasswordDisabled
                | mysql::DriverError::CleartextPluginDisabled => ErrorKind::AUTHENTICATION,
                _ => ErrorKind::CONNECTION,
            };
            PluginError::new(kind, d.to_string())
        }
        mysql::Error::CodecError(c) => PluginError::new(ErrorKind::CONNECTION, c.to_string()),
        mysql::Error::TlsError(t) => PluginError::new(ErrorKind::CONNECTION, t.to_string()),
        mysql::Error::UrlError(u) => PluginError::invalid(u.to_string()),
        e @ (mysql::Error::FromValueError(_) | mysql::Error::FromRowError(_)) => {
            PluginError::new(ErrorKind::TYPE, e.to_string())
        }
    }
}

/// The kind a failed connect reports: what the user must change (credentials, rights, the
/// database name) and timeouts keep their kind; anything else is a connection failure.
pub fn connect_kind(kind: ErrorKind) -> ErrorKind {
    match kind {
        ErrorKind::AUTHENTICATION
        | ErrorKind::PERMISSION
        | ErrorKind::NOT_FOUND
        | ErrorKind::INVALID_INPUT
        | ErrorKind::TIMEOUT => kind,
        _ => ErrorKind::CONNECTION,
    }
}

/// An I/O failure: the socket closing under a session means the server ended it.
fn io_error(e: &io::Error) -> PluginError {
    use io::ErrorKind as K;
    match e.kind() {
        K::BrokenPipe
        | K::ConnectionReset
        | K::ConnectionAborted
        | K::UnexpectedEof
        | K::NotConnected => server_closed(),
        K::TimedOut | K::WouldBlock => PluginError::new(ErrorKind::TIMEOUT, e.to_string()),
        _ => PluginError::new(ErrorKind::CONNECTION, e.to_string()),
    }
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
    use super::*;
    use crate::testing;
    use myrmex_plugin::{Connection, Driver, Params};

    #[test]
    fn messages_are_plain_and_closing_is_its_own_kind() {
        let e = map(mysql::Error::IoError(io::Error::new(
            io::ErrorKind::ConnectionRefused,
            "refused",
        )));
        assert_eq!(e.kind, ErrorKind::CONNECTION);
        assert!(!e.message.contains('{'), "{}", e.message);
        let e = map(mysql::Error::server_disconnected());
        assert_eq!(e.kind, ErrorKind::CLOSED);
        let e = map(mysql::Error::DriverError(
            mysql::DriverError::ConnectTimeout,
        ));
        assert_eq!(e.kind, ErrorKind::TIMEOUT);
        assert!(!e.message.contains("DriverError"), "{}", e.message);
    }

    #[test]
    fn codes_name_what_the_host_acts_on() {
        for (codes, kind) in [
            (&[1045, 1698][..], ErrorKind::AUTHENTICATION),
            (&[1044, 1142, 1143, 1227], ErrorKind::PERMISSION),
            (
                &[1007, 1050, 1060, 1061, 1304, 1359, 1826],
                ErrorKind::ALREADY_EXISTS,
            ),
            (&[1008, 1051, 1091], ErrorKind::ALREADY_GONE),
            (&[1049, 1146, 1054], ErrorKind::NOT_FOUND),
            (&[1213], ErrorKind::SERIALIZATION),
            (&[1205], ErrorKind::BUSY),
            (&[1317], ErrorKind::CANCELLED),
            (&[2006, 2013, 4031], ErrorKind::CLOSED),
            (&[1062, 1451, 1452, 1048, 3819, 4025], ErrorKind::CONSTRAINT),
            (&[1064], ErrorKind::SYNTAX),
        ] {
            for code in codes {
                assert_eq!(kind_of_code(*code), kind, "code {code}");
            }
        }
        assert!(kind_of_code(1045).is_permanent());
        assert!(kind_of_code(1213).is_retryable());
        assert_eq!(kind_of_code(1), ErrorKind::DATABASE);
    }

    #[test]
    fn the_server_says_already_exists_and_already_gone() {
        let mut c = testing::connect();
        c.execute_batch("DROP TABLE IF EXISTS error_kinds_t")
            .unwrap();
        c.execute_batch("CREATE TABLE error_kinds_t (id INT PRIMARY KEY)")
            .unwrap();
        let e = c
            .execute("CREATE TABLE error_kinds_t (id INT)", Params::none())
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::ALREADY_EXISTS, "{e}");
        assert_eq!(e.code.into_option(), Some(1050));
        assert_eq!(
            e.sqlstate.as_ref().map(|s| s.as_str()).into_option(),
            Some("42S01")
        );
        let e = c
            .execute(
                "ALTER TABLE error_kinds_t ADD COLUMN id INT",
                Params::none(),
            )
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::ALREADY_EXISTS, "{e}");
        c.execute_batch("DROP TABLE error_kinds_t").unwrap();
        let e = c.execute_batch("DROP TABLE error_kinds_t").unwrap_err();
        assert_eq!(e.kind, ErrorKind::ALREADY_GONE, "{e}");
        assert_eq!(e.code.into_option(), Some(1051));
        let e = c
            .query("SELECT * FROM error_kinds_t", Params::none(), 10)
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::NOT_FOUND, "{e}");
        let e = c.execute_batch("SELEC 1").unwrap_err();
        assert_eq!(e.kind, ErrorKind::SYNTAX, "{e}");
    }

    #[test]
    fn connect_errors_keep_what_the_user_must_change() {
        let base = testing::options();
        let mut unknown_db = base.clone();
        unknown_db.database = format!("{}_no_such_database", base.database).into();
        let e = connect_error(&unknown_db);
        assert_eq!(e.kind, ErrorKind::NOT_FOUND, "{e}");
        assert_eq!(e.code.into_option(), Some(1049));
        assert!(e.kind.is_permanent());

        let mut stranger = base.clone();
        stranger.user = "nosuchuser_x".into();
        stranger.password = "pw".into();
        stranger.database = "x".into();
        let e = connect_error(&stranger);
        assert_eq!(e.kind, ErrorKind::AUTHENTICATION, "{e}");
        assert_eq!(e.code.into_option(), Some(1045));
        assert!(!e.message.contains("pw@"), "{e}");
    }

    /// The error a connect with `options` fails with.
    fn connect_error(options: &myrmex_plugin::ConnectOptions) -> PluginError {
        match crate::MysqlDriver.connect(options) {
            Ok(_) => panic!("connected as {options:?}"),
            Err(e) => e,
        }
    }
}
