//! [`ConnectOptions`]: what the host hands a driver to open a connection.

use crate::Extensions;
use abi_stable::std_types::{RString, RVec, Tuple2};
use abi_stable::StableAbi;
use std::fmt;

/// Parsed connection parameters: what [`crate::Driver::parse_url`] makes of a URL and what
/// [`crate::Driver::connect`] opens.
///
/// `Debug` never shows the password.
#[repr(C)]
#[derive(StableAbi, Clone, Default)]
pub struct ConnectOptions {
    /// The driver's name (`sqlite`, `postgres`, `mysql`, …).
    pub db_type: RString,
    /// Host name or IP; for a Unix socket, the socket directory or path. Empty when unused.
    pub host: RString,
    /// TCP port; 0 means the engine's default.
    pub port: u16,
    /// Database name; for SQLite the file path or `:memory:`.
    pub database: RString,
    /// User name; empty when unused.
    pub user: RString,
    /// Password; empty when none. Never log it.
    pub password: RString,
    /// Remaining options (`sslmode`, `busy_timeout`, …) in the order given.
    pub options: RVec<Tuple2<RString, RString>>,
    /// Facts a later contract adds.
    pub extensions: Extensions,
}

impl ConnectOptions {
    /// The value of option `key`, if given (last one wins).
    pub fn option(&self, key: &str) -> Option<&str> {
        self.options
            .iter()
            .rev()
            .find(|t| t.0.as_str() == key)
            .map(|t| t.1.as_str())
    }
}

impl ConnectOptions {
    /// True for option names whose value is a secret (`password`, `sslpassword`, `passwd`,
    /// `pwd`, `secret`, `token`…): never shown, in `Debug` or anywhere else.
    pub fn is_secret_key(name: &str) -> bool {
        let n = name.to_ascii_lowercase();
        ["pass", "pwd", "secret", "token"]
            .iter()
            .any(|w| n.contains(w))
    }
}

impl fmt::Debug for ConnectOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let opts: Vec<(&str, &str)> = self
            .options
            .iter()
            .map(|t| {
                let v = if Self::is_secret_key(&t.0) {
                    "***"
                } else {
                    t.1.as_str()
                };
                (t.0.as_str(), v)
            })
            .collect();
        f.debug_struct("ConnectOptions")
            .field("db_type", &self.db_type.as_str())
            .field("host", &self.host.as_str())
            .field("port", &self.port)
            .field("database", &self.database.as_str())
            .field("user", &self.user.as_str())
            .field(
                "password",
                &if self.password.is_empty() { "" } else { "***" },
            )
            .field("options", &opts)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_password_and_option_lookup_takes_last() {
        let o = ConnectOptions {
            password: "hunter2".into(),
            options: vec![
                Tuple2("a".into(), "1".into()),
                Tuple2("a".into(), "2".into()),
            ]
            .into(),
            ..Default::default()
        };
        assert!(!format!("{o:?}").contains("hunter2"));
        assert_eq!(o.option("a"), Some("2"));
        assert_eq!(o.option("b"), None);
    }
}
