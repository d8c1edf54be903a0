//! mysql crate errors → contract errors, by server error number.

use myrmex_abi::{ErrorKind, PluginError};

/// Maps a `mysql::Error`.
pub fn map(e: mysql::Error) -> PluginError {
    match &e {
        mysql::Error::MySqlError(m) => {
            let kind = match m.code {
                1064 | 1149 => ErrorKind::SYNTAX,
                1146 | 1054 | 1049 | 1051 | 1091 | 1305 => ErrorKind::NOT_FOUND,
                1062 | 1451 | 1452 | 1048 | 3819 | 4025 | 1216 | 1217 | 1364 => {
                    ErrorKind::CONSTRAINT
                }
                1317 | 3024 | 1927 => ErrorKind::CANCELLED,
                1044 | 1045 | 1142 | 1143 | 1227 | 1370 => ErrorKind::PERMISSION,
                1205 | 1213 => ErrorKind::BUSY,
                1264 | 1265 | 1292 | 1366 | 1406 | 1690 | 3140 => ErrorKind::TYPE,
                2006 | 2013 | 1053 | 1152 | 1153 | 1040 => ErrorKind::CONNECTION,
                _ => ErrorKind::DATABASE,
            };
            PluginError::new(kind, m.message.clone())
                .with_sqlstate(m.state.clone())
                .with_code(m.code.into())
        }
        mysql::Error::IoError(_) | mysql::Error::DriverError(_) | mysql::Error::TlsError(_) => {
            PluginError::new(ErrorKind::CONNECTION, e.to_string())
        }
        mysql::Error::UrlError(_) => PluginError::invalid(e.to_string()),
        mysql::Error::FromValueError(_) | mysql::Error::FromRowError(_) => {
            PluginError::new(ErrorKind::TYPE, e.to_string())
        }
        _ => PluginError::new(ErrorKind::INTERNAL, e.to_string()),
    }
}

/// The error for any call on a closed connection.
pub fn closed() -> PluginError {
    PluginError::new(ErrorKind::CONNECTION, "connection is closed")
}
