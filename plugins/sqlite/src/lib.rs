//! # myrmex-sqlite — the SQLite driver plugin
//!
//! The `driver` capability `sqlite` (schemes `sqlite`, `sqlite3`) on rusqlite with SQLite
//! bundled. URLs and options are described at [`driver`], the type mapping at [`types`].
//! The `audit` capability `sqlite` checks database file permissions and the connection's
//! safety pragmas ([`audit`]).

pub mod audit;
mod catalog;
mod conn;
mod cursor;
mod dialect;
pub mod driver;
mod error;
mod exclusive;
mod introspect;
mod listing;
mod lock;
mod monitor;
pub mod online;
mod options;
mod schema;
mod scratch;
pub mod types;

#[cfg(test)]
mod testing;

myrmex_plugin::plugin! {
    driver "sqlite" ("sqlite", "sqlite3"): "SQLite (bundled)" => driver::open,
    audit "sqlite" ("sqlite"): "SQLite file permissions and safety pragmas" => audit::open,
    backup "sqlite-online" ("sqlite"): "SQLite online backup API in steps (writers keep running), optional VACUUM INTO compaction" => online::open,
}
