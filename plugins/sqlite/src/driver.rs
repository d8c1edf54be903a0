//! [`SqliteDriver`]: SQLite URLs and opening connections.
//!
//! URLs: `sqlite://path/to.db`, `sqlite:///abs/path.db`, `sqlite:path.db`, `sqlite::memory:`
//! (or `sqlite://:memory:`); `sqlite3` is the same scheme. A relative path is resolved against
//! the directory of the config file that names it. Options after `?`: `mode=ro|rw|rwc|memory`,
//! `busy_timeout=MS`, `journal_mode=wal|delete|truncate|persist|memory|off`,
//! `foreign_keys=on|off`, `synchronous=off|normal|full|extra`, `text=strict|lossy|blob` (how
//! TEXT that is not valid UTF-8 is read: an error naming the column and row, U+FFFD
//! replacements, or a `Blob`). An unknown option or value is refused when the URL is parsed.

use crate::conn::SqliteConnection;
use crate::options::SqliteOptions;
use myrmex_plugin::{Config, ConnectOptions, Driver, PluginError};

/// The `sqlite` driver.
pub struct SqliteDriver;

/// Opens the driver; it has no settings.
pub fn open(_config: Config<'_>) -> Result<SqliteDriver, PluginError> {
    Ok(SqliteDriver)
}

impl Driver for SqliteDriver {
    type Connection = SqliteConnection;

    fn parse_url(&self, url: &str, base_dir: &str) -> Result<ConnectOptions, PluginError> {
        let mut options = myrmex_plugin::url::parse_file(url, base_dir)?;
        options.db_type = "sqlite".into();
        SqliteOptions::parse(&options)?;
        Ok(options)
    }

    fn display_url(&self, options: &ConnectOptions) -> String {
        myrmex_plugin::url::display_file(options)
    }

    fn connect(&self, options: &ConnectOptions) -> Result<SqliteConnection, PluginError> {
        SqliteConnection::open(options)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use myrmex_plugin::ErrorKind;

    fn parse(url: &str) -> Result<ConnectOptions, PluginError> {
        SqliteDriver.parse_url(url, "")
    }

    fn database(url: &str) -> String {
        parse(url).unwrap().database.to_string()
    }

    #[test]
    fn memory_and_path_forms() {
        assert_eq!(database("sqlite::memory:"), ":memory:");
        assert_eq!(database("sqlite://:memory:"), ":memory:");
        assert_eq!(database("sqlite://app.db"), "app.db");
        assert_eq!(database("sqlite:///var/x.db"), "/var/x.db");
        assert_eq!(database("sqlite:rel/x.db"), "rel/x.db");
        assert_eq!(database("sqlite://a%20b.db"), "a b.db");
        let o = parse("sqlite3://app.db").unwrap();
        assert_eq!(
            (o.db_type.as_str(), o.database.as_str()),
            ("sqlite", "app.db")
        );
    }

    #[test]
    fn relative_paths_resolve_against_the_config_directory() {
        let rel = SqliteDriver
            .parse_url("sqlite://data/app.db", "/etc/myrmex")
            .unwrap();
        assert_eq!(rel.database.as_str(), "/etc/myrmex/data/app.db");
        let abs = SqliteDriver
            .parse_url("sqlite:///srv/app.db", "/etc/myrmex")
            .unwrap();
        assert_eq!(abs.database.as_str(), "/srv/app.db");
        let mem = SqliteDriver
            .parse_url("sqlite::memory:", "/etc/myrmex")
            .unwrap();
        assert_eq!(mem.database.as_str(), ":memory:");
    }

    #[test]
    fn an_empty_path_names_the_in_memory_form() {
        for url in ["sqlite://", "sqlite:", "sqlite://?mode=ro"] {
            let e = parse(url).unwrap_err();
            assert_eq!(e.kind, ErrorKind::INVALID_INPUT);
            assert!(e.message.contains("sqlite::memory:"), "{url}: {e}");
        }
        let e = parse("sqlite3://").unwrap_err();
        assert!(e.message.contains("sqlite3::memory:"), "{e}");
        let e = parse("sqlite://a%zz.db").unwrap_err();
        assert!(
            e.message.contains("the path") && e.message.contains("two hex digits"),
            "{e}"
        );
    }

    #[test]
    fn options_are_read_and_checked() {
        let o = parse("sqlite://a.db?mode=ro&busy_timeout=10").unwrap();
        assert_eq!(o.option("mode"), Some("ro"));
        assert_eq!(o.option("busy_timeout"), Some("10"));
        let e = parse("sqlite://a.db?jornal_mode=wal").unwrap_err();
        assert!(e.message.contains("jornal_mode"), "{e}");
    }

    #[test]
    fn display_shows_the_url_without_secrets() {
        let o = parse("sqlite://data/app.db?busy_timeout=10").unwrap();
        assert_eq!(
            SqliteDriver.display_url(&o),
            "sqlite://data/app.db?busy_timeout=10"
        );
        let o = parse("sqlite3::memory:").unwrap();
        assert_eq!(SqliteDriver.display_url(&o), "sqlite::memory:");
    }

    #[test]
    fn works_through_the_contract() {
        use myrmex_abi::{RStr, SchemaRequest};
        use myrmex_plugin::schema::SchemaDefinition;
        let boxed = myrmex_plugin::driver_box(SqliteDriver);
        let o = boxed
            .parse_url(RStr::from("sqlite::memory:"), RStr::from(""))
            .unwrap();
        let mut c = boxed.connect(&o).unwrap();
        c.execute_batch(RStr::from(
            "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, at DATETIME, x MONEY)",
        ))
        .unwrap();
        let tree = c
            .schema(&SchemaRequest {
                schemas: Default::default(),
                extensions: Default::default(),
            })
            .unwrap();
        let def: SchemaDefinition = myrmex_plugin::tree::from_tree(&tree).unwrap();
        assert_eq!(def.tables[0].columns.len(), 3);
        assert_eq!(def, schema_read_directly());
        assert_eq!(c.dialect().unwrap().name.as_str(), "sqlite");
    }

    fn schema_read_directly() -> myrmex_plugin::schema::SchemaDefinition {
        use myrmex_plugin::Connection;
        let mut c = SqliteDriver
            .connect(&crate::testing::options(":memory:", &[]))
            .unwrap();
        c.execute_batch(
            "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, at DATETIME, x MONEY)",
        )
        .unwrap();
        c.schema(&[]).unwrap()
    }
}
