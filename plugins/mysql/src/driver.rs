//! [`MysqlDriver`]: reads `mysql://` and `mariadb://` URLs and opens sessions.

use crate::conn::MysqlConnection;
use crate::options::SessionOptions;
use myrmex_plugin::{Config, ConnectOptions, Driver, PluginError};

/// The MySQL/MariaDB driver. It holds no state: every connection carries its own options.
pub struct MysqlDriver;

/// Opens the driver. It takes no settings: any given are an error naming the driver.
pub fn open(config: Config) -> Result<MysqlDriver, PluginError> {
    match config.json().trim() {
        "" | "{}" | "null" => Ok(MysqlDriver),
        other => Err(PluginError::invalid(format!(
            "the mysql driver takes no settings (got {other}); connection options go in the URL"
        ))),
    }
}

impl Driver for MysqlDriver {
    type Connection = MysqlConnection;

    /// `mysql://user:password@host:port/database?option=value` (or `mariadb://…`); a Unix
    /// socket is a percent-encoded path as host or `?socket=/path`. Both schemes name this
    /// driver, and the options are checked here so a wrong one is reported before any
    /// connect.
    fn parse_url(&self, url: &str, _base_dir: &str) -> Result<ConnectOptions, PluginError> {
        let mut options = myrmex_plugin::url::parse(url)?;
        options.db_type = "mysql".into();
        SessionOptions::parse(&options)?;
        Ok(options)
    }

    fn connect(&self, options: &ConnectOptions) -> Result<MysqlConnection, PluginError> {
        MysqlConnection::open(options)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(url: &str) -> Result<ConnectOptions, PluginError> {
        MysqlDriver.parse_url(url, "")
    }

    #[test]
    fn both_schemes_name_the_mysql_driver() {
        let o = parse("mariadb://root@[::1]:3307/test").unwrap();
        assert_eq!(
            (o.db_type.as_str(), o.host.as_str(), o.port),
            ("mysql", "::1", 3307)
        );
        let o = parse("MySQL://ann@db.example/app").unwrap();
        assert_eq!(o.db_type.as_str(), "mysql");
        assert_eq!((o.user.as_str(), o.database.as_str()), ("ann", "app"));
    }

    #[test]
    fn passwords_decode_and_may_hold_colons_and_at_signs() {
        let o = parse("mysql://root:a%3Ab%40c@h/d").unwrap();
        assert_eq!((o.user.as_str(), o.password.as_str()), ("root", "a:b@c"));
        // The user ends at the first `:`, the password at the last `@` before the host.
        let o = parse("mysql://root:a:b@c@h/d").unwrap();
        assert_eq!((o.password.as_str(), o.host.as_str()), ("a:b@c", "h"));
    }

    #[test]
    fn sockets_as_host_or_option() {
        let o = parse("mysql://root@%2Frun%2Fmysqld%2Fmysqld.sock/app").unwrap();
        assert_eq!(o.host.as_str(), "/run/mysqld/mysqld.sock");
        assert_eq!(
            SessionOptions::parse(&o).unwrap().address,
            "/run/mysqld/mysqld.sock"
        );
        let o = parse("mysql://root@localhost/app?socket=/tmp/m.sock").unwrap();
        assert_eq!(SessionOptions::parse(&o).unwrap().address, "/tmp/m.sock");
    }

    #[test]
    fn options_are_checked_and_errors_hide_the_password() {
        let e = parse("mysql://u:topsecret@h/d?sslmode=required&colour=blue").unwrap_err();
        assert!(e.message.contains("`colour`"), "{e}");
        let e = parse("mysql://u:topsecret@h:99999/d").unwrap_err();
        assert!(e.message.contains("99999"), "{e}");
        assert!(!e.message.contains("topsecret"), "{e}");
        assert!(parse("mysql://h/d?ssl-mode=sometimes").is_err());
        assert!(parse("mysql://h/d?connect_timeout=0").is_err());
    }

    #[test]
    fn display_hides_the_password() {
        let o = parse("mariadb://ann:pw@h:3307/app?ssl-mode=REQUIRED").unwrap();
        assert_eq!(
            MysqlDriver.display_url(&o),
            "mysql://ann:***@h:3307/app?ssl-mode=REQUIRED"
        );
    }

    #[test]
    fn settings_are_refused() {
        assert!(open(Config::new("mysql", "")).is_ok());
        assert!(open(Config::new("mysql", r#"{"x": 1}"#)).is_err());
    }
}
