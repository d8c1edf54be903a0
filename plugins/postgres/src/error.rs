//! rust-postgres errors → contract errors, by SQLSTATE class.

use myrmex_abi::{ErrorKind, PluginError};

/// Maps a `postgres::Error`. The message is the server's, with detail and hint.
pub fn map(e: postgres::Error) -> PluginError {
    if let Some(db) = e.as_db_error() {
        let code = db.code().code();
        let kind = match code {
            "42601" => ErrorKind::SYNTAX,
            "42P01" | "42703" | "42883" | "3D000" | "3F000" | "42704" => ErrorKind::NOT_FOUND,
            "57014" => ErrorKind::CANCELLED,
            "42501" => ErrorKind::PERMISSION,
            "40001" | "40P01" | "55P03" => ErrorKind::BUSY,
            "0A000" => ErrorKind::UNSUPPORTED,
            // Terminated by an administrator, crash of another backend, server shutting down.
            "57P01" | "57P02" | "57P03" => ErrorKind::CLOSED,
            c if c.starts_with("23") => ErrorKind::CONSTRAINT,
            c if c.starts_with("22") => ErrorKind::TYPE,
            c if c.starts_with("08") => ErrorKind::CONNECTION,
            c if c.starts_with("28") => ErrorKind::PERMISSION,
            c if c.starts_with("53") => ErrorKind::IO,
            _ => ErrorKind::DATABASE,
        };
        let mut msg = db.message().to_string();
        if let Some(d) = db.detail() {
            msg.push_str(&format!(" ({d})"));
        }
        if let Some(h) = db.hint() {
            msg.push_str(&format!(" hint: {h}"));
        }
        return PluginError::new(kind, msg).with_sqlstate(code);
    }
    if e.is_closed() {
        return server_closed();
    }
    let text = error_chain(&e);
    let kind = if text.contains("connection") || text.contains("TLS") || text.contains("tls") {
        ErrorKind::CONNECTION
    } else if text.contains("error deserializing") || text.contains("error serializing") {
        ErrorKind::TYPE
    } else {
        ErrorKind::INTERNAL
    };
    PluginError::new(kind, text)
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
