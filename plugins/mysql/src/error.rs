//! mysql crate errors → contract errors, by server error number.
//!
//! Messages are the server's own text (its SQLSTATE and error number travel in their own
//! fields) or the plain message of the I/O, TLS or protocol failure: never the client
//! library's debug rendering.

use myrmex_abi::{ErrorKind, PluginError};
use std::io;

/// Maps a `mysql::Error`.
pub fn map(e: mysql::Error) -> PluginError {
    match e {
        mysql::Error::MySqlError(m) => {
            let kind = match m.code {
                1064 | 1149 => ErrorKind::SYNTAX,
                1146 | 1054 | 1049 | 1051 | 1091 | 1305 => ErrorKind::NOT_FOUND,
                1062 | 1451 | 1452 | 1048 | 3819 | 4025 | 1216 | 1217 | 1364 => {
                    ErrorKind::CONSTRAINT
                }
                1317 | 3024 => ErrorKind::CANCELLED,
                1044 | 1045 | 1142 | 1143 | 1227 | 1370 => ErrorKind::PERMISSION,
                1205 | 1213 => ErrorKind::BUSY,
                1264 | 1265 | 1292 | 1366 | 1406 | 1690 | 3140 => ErrorKind::TYPE,
                // Server gone away, lost during query, server shutting down, connection
                // killed (MariaDB).
                2006 | 2013 | 1053 | 1927 => ErrorKind::CLOSED,
                1152 | 1153 | 1040 => ErrorKind::CONNECTION,
                _ => ErrorKind::DATABASE,
            };
            PluginError::new(kind, m.message)
                .with_sqlstate(m.state)
                .with_code(m.code.into())
        }
        mysql::Error::IoError(io) => io_error(&io),
        mysql::Error::DriverError(d) => {
            let kind = match d {
                mysql::DriverError::ConnectTimeout => ErrorKind::TIMEOUT,
                mysql::DriverError::MismatchedStmtParams(..) | mysql::DriverError::MixedParams => {
                    ErrorKind::INVALID_INPUT
                }
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
}
