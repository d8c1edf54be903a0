//! rusqlite errors → contract errors.

use myrmex_abi::{ErrorKind, PluginError};
use rusqlite::ffi;

/// Maps a rusqlite error to a [`PluginError`] with the SQLite extended code.
pub fn map(err: rusqlite::Error) -> PluginError {
    use rusqlite::Error as E;
    match &err {
        E::SqlInputError {
            error, msg, offset, ..
        } => {
            let kind = if msg.contains("syntax error") || msg.contains("incomplete input") {
                ErrorKind::SYNTAX
            } else if msg.starts_with("no such") {
                ErrorKind::NOT_FOUND
            } else {
                ErrorKind::DATABASE
            };
            PluginError::new(kind, format!("{msg} (at byte {offset})"))
                .with_code(error.extended_code.into())
        }
        E::SqliteFailure(e, msg) => {
            let text = msg.clone().unwrap_or_else(|| e.to_string());
            let kind = match e.code {
                ffi::ErrorCode::ConstraintViolation => ErrorKind::CONSTRAINT,
                ffi::ErrorCode::DatabaseBusy | ffi::ErrorCode::DatabaseLocked => ErrorKind::BUSY,
                ffi::ErrorCode::OperationInterrupted => ErrorKind::CANCELLED,
                ffi::ErrorCode::CannotOpen | ffi::ErrorCode::NotADatabase => ErrorKind::CONNECTION,
                ffi::ErrorCode::PermissionDenied
                | ffi::ErrorCode::ReadOnly
                | ffi::ErrorCode::AuthorizationForStatementDenied => ErrorKind::PERMISSION,
                ffi::ErrorCode::SystemIoFailure | ffi::ErrorCode::DiskFull => ErrorKind::IO,
                ffi::ErrorCode::TypeMismatch | ffi::ErrorCode::TooBig => ErrorKind::TYPE,
                _ if text.contains("syntax error") || text.contains("incomplete input") => {
                    ErrorKind::SYNTAX
                }
                _ if text.starts_with("no such") => ErrorKind::NOT_FOUND,
                _ => ErrorKind::DATABASE,
            };
            PluginError::new(kind, text).with_code(e.extended_code.into())
        }
        E::InvalidParameterCount(given, expected) => PluginError::invalid(format!(
            "statement takes {expected} parameter(s), {given} given"
        )),
        E::MultipleStatement => PluginError::invalid(
            "several statements given where one was expected (use execute_batch for scripts)",
        ),
        E::InvalidParameterName(n) => PluginError::invalid(format!("no parameter named {n}")),
        E::ToSqlConversionFailure(e) => PluginError::new(ErrorKind::TYPE, e.to_string()),
        E::Utf8Error(..) | E::InvalidColumnType(..) | E::IntegralValueOutOfRange(..) => {
            PluginError::new(ErrorKind::TYPE, err.to_string())
        }
        E::InvalidPath(p) => PluginError::new(
            ErrorKind::CONNECTION,
            format!("invalid path {}", p.display()),
        ),
        _ => PluginError::new(ErrorKind::INTERNAL, err.to_string()),
    }
}

/// The error for any call on a closed connection.
pub fn closed() -> PluginError {
    PluginError::new(ErrorKind::CONNECTION, "connection is closed")
}
