//! # myrmex-mysql — the MySQL and MariaDB driver plugin
//!
//! A `cdylib` exporting the `driver` capability `mysql` (URL schemes `mysql`, `mariadb`) on
//! the `mysql` crate, TLS through rustls. Options: `ssl-mode`
//! (`DISABLED|PREFERRED|REQUIRED|VERIFY_CA|VERIFY_IDENTITY`, default `PREFERRED`), `ssl-ca`,
//! `connect_timeout` (s, default 10, bounding TCP, TLS and the handshake), `socket`. Sessions
//! run with `time_zone = '+00:00'`. Types: see [`types`]; dialect features: see [`dialect`].
//!
//! Monitoring and tuning (`metrics`, `advise`): samples from `SHOW GLOBAL STATUS`,
//! `information_schema` and, when it is ON, `performance_schema`; advice on missing indexes
//! (proven on a temporary copy of the table before it is given), duplicate and unused
//! indexes, stale statistics, bloat and settings.
//!
//! It also exports the `audit` capability `mysql`: configuration checks and the MariaDB
//! server_audit log (see [`audit`]).

pub mod audit;
mod cancel;
mod catalog;
mod conn;
mod connect;
mod cursor;
mod describe;
pub mod dialect;
mod driver;
mod error;
mod listing;
mod lock;
pub mod mariabackup;
mod monitor;
pub mod native;
mod options;
mod schema;
mod scratch;
#[cfg(test)]
mod testing;
pub mod types;

pub use conn::MysqlConnection;
pub use driver::{open, MysqlDriver};

myrmex_plugin::plugin! {
    driver "mysql" ("mysql", "mariadb"): "MySQL and MariaDB" => open,
    audit "mysql" ("mysql"): "MySQL/MariaDB configuration checks and the server_audit log" => audit::open,
    backup "mysql-native" ("mysql", "mariadb"):
        "mydumper / myloader from one consistent snapshot (Debian package mydumper)" => native::open,
    backup "mariadb-backup" ("mysql", "mariadb"):
        "mariadb-backup physical copies of a MariaDB server, prepared, restored by copy-back (Debian package mariadb-backup)" => mariabackup::open,
}
