//! [`PgDriver`]: parses PostgreSQL URLs and opens sessions.

use crate::conn::PgConnection;
use myrmex_plugin::{Config, ConnectOptions, Driver, PluginError};
use serde::Deserialize;
use std::sync::Arc;

/// The driver's settings (the `postgres` table of `myrmex.toml`, or a Rhai map).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Name prefix of the scratch databases the driver creates (`migrate verify`) and the
    /// only databases it agrees to drop as scratch; default `myrmex_verify_`.
    pub scratch_prefix: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            scratch_prefix: "myrmex_verify_".into(),
        }
    }
}

/// The PostgreSQL driver.
#[derive(Debug, Clone, Default)]
pub struct PgDriver {
    settings: Arc<Settings>,
}

impl PgDriver {
    /// A driver with `settings`. A scratch prefix must be a plain lowercase name start
    /// (letters, digits, `_`), so that scratch names never need quoting and stay readable.
    pub fn new(settings: Settings) -> Result<Self, PluginError> {
        let p = &settings.scratch_prefix;
        let plain = p.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
            && p.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !plain || p.len() > 32 {
            return Err(PluginError::invalid(format!(
                "settings of `postgres`: scratch_prefix `{p}` must be at most 32 lowercase \
                 letters, digits and `_`, starting with a letter or `_`"
            )));
        }
        Ok(PgDriver {
            settings: Arc::new(settings),
        })
    }
}

/// Opens the driver with the user's settings.
pub fn open(config: Config<'_>) -> Result<PgDriver, PluginError> {
    PgDriver::new(config.parse()?)
}

impl Driver for PgDriver {
    type Connection = PgConnection;

    fn parse_url(&self, url: &str, _base_dir: &str) -> Result<ConnectOptions, PluginError> {
        let mut options = myrmex_plugin::url::parse(url)?;
        options.db_type = "postgres".into();
        Ok(options)
    }

    fn connect(&self, options: &ConnectOptions) -> Result<PgConnection, PluginError> {
        PgConnection::open(options, self.settings.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(url: &str) -> Result<ConnectOptions, PluginError> {
        PgDriver::default().parse_url(url, "")
    }

    #[test]
    fn every_scheme_names_the_postgres_driver() {
        for scheme in ["postgres", "postgresql", "pg", "PostgreSQL"] {
            let o = parse(&format!(
                "{scheme}://ann:p%40ss@db.example:5433/app?sslmode=require"
            ))
            .unwrap();
            assert_eq!(o.db_type.as_str(), "postgres");
            assert_eq!((o.host.as_str(), o.port), ("db.example", 5433));
            assert_eq!((o.user.as_str(), o.password.as_str()), ("ann", "p@ss"));
            assert_eq!(o.database.as_str(), "app");
            assert_eq!(o.option("sslmode"), Some("require"));
        }
    }

    #[test]
    fn unix_sockets_as_encoded_host_or_host_option() {
        let o = parse("postgresql://u@%2Frun%2Fpostgresql/db").unwrap();
        assert_eq!(o.host.as_str(), "/run/postgresql");
        assert_eq!(o.database.as_str(), "db");
        let o = parse("pg://u@/db?host=/run/postgresql").unwrap();
        assert_eq!(o.host.as_str(), "");
        assert_eq!(o.option("host"), Some("/run/postgresql"));
        let shown = PgDriver::default().display_url(&parse("pg://u:pw@%2Ftmp/db").unwrap());
        assert_eq!(shown, "postgres://u:***@%2Ftmp/db");
    }

    #[test]
    fn ipv6_hosts_and_passwords_with_reserved_characters() {
        let o = parse("postgres://root@[::1]:5433/test").unwrap();
        assert_eq!((o.host.as_str(), o.port), ("::1", 5433));
        let o = parse("postgres://root:a:b@c@h/d").unwrap();
        assert_eq!((o.password.as_str(), o.host.as_str()), ("a:b@c", "h"));
    }

    #[test]
    fn errors_never_show_the_password() {
        for url in [
            "postgres://ann:topsecret@h:99999/db",
            "postgres://u:se/topsecret@host/db",
            "postgres://u:topsecret%zz@h/db",
        ] {
            let e = parse(url).unwrap_err();
            assert!(!e.message.contains("topsecret"), "{url}: {e}");
        }
        assert!(parse("no-scheme-here").is_err());
    }

    #[test]
    fn settings_are_checked() {
        let ok = open(Config::new("postgres", r#"{"scratch_prefix": "mine_"}"#)).unwrap();
        assert_eq!(ok.settings.scratch_prefix, "mine_");
        assert_eq!(
            open(Config::new("postgres", ""))
                .unwrap()
                .settings
                .scratch_prefix,
            "myrmex_verify_"
        );
        for bad in [
            r#"{"scratch_prefix": "Bad"}"#,
            r#"{"scratch_prefix": ""}"#,
            r#"{"prefix": "x"}"#,
        ] {
            assert!(open(Config::new("postgres", bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn works_through_the_contract_and_the_schema_survives_the_crossing() {
        use myrmex_abi::{RStr, SchemaRequest};
        use myrmex_plugin::schema::SchemaDefinition;
        let mut direct = crate::testing::in_fresh_schema("t_driver_abi");
        myrmex_plugin::Connection::execute_batch(&mut *direct, crate::schema::tests::SHOP).unwrap();
        // Read from a session with the default search path, as the contract's one has.
        let want = myrmex_plugin::Connection::schema(
            &mut crate::testing::connect(),
            &["t_driver_abi".into()],
        )
        .unwrap();

        let boxed = myrmex_plugin::driver_box(crate::testing::driver());
        let url = crate::testing::url();
        let options = boxed
            .parse_url(RStr::from_str(&url), RStr::from_str(""))
            .unwrap();
        assert_eq!(options.db_type.as_str(), "postgres");
        let mut conn = boxed.connect(&options).unwrap();
        let dialect = conn.dialect().unwrap();
        assert_eq!(dialect.name.as_str(), "postgres");
        let request = SchemaRequest {
            schemas: vec!["t_driver_abi".into()].into(),
            ..Default::default()
        };
        let tree = conn.schema(&request).unwrap();
        let got: SchemaDefinition = myrmex_plugin::tree::from_tree(&tree).unwrap();
        assert_eq!(got, want);
        conn.close().unwrap();
    }
}
