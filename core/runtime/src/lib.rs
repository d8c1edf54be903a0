//! # myrmex-core — the host
//!
//! Loads plugins ([`plugin::Registry`]), reads `myrmex.toml` ([`config::Config`]), and offers
//! the managers: [`DatabaseConnection`] (one connection through a driver plugin),
//! [`DatabaseManager`] (named, pooled connections), [`MigrationManager`] (versioned
//! migrations) and the entry points [`manage_databases`] and [`run_migrations`]. Rust programs embed this crate; the `myrmex` shell is built on it.
//!
//! ## Quick start
//!
//! ```no_run
//! use myrmex_core::{DatabaseConnection, Value};
//!
//! // Plugins are found with --plugin-dir, MYRMEX_PLUGIN_PATH, or next to the executable.
//! let mut db = DatabaseConnection::from_url("app_db", "sqlite://app.db")?;
//! db.connect()?;
//! db.execute("CREATE TABLE IF NOT EXISTS users(id INTEGER PRIMARY KEY, name TEXT)", &[])?;
//! db.execute("INSERT INTO users(name) VALUES (?)", &["ann".into()])?;
//! let rows = db.execute_query("SELECT id, name FROM users WHERE name = ?", &[Value::from("ann")])?;
//! assert_eq!(rows.get(0, "name"), Some(&Value::from("ann")));
//! # Ok::<(), myrmex_core::Error>(())
//! ```
//!
//! The full Quick Start is `core/runtime/examples/quickstart.rs`, which the tests run against
//! the real SQLite plugin.

pub mod audit;
pub mod backup;
pub mod bulk;
pub mod config;
mod connection;
mod error;
mod hex;
pub mod hook;
mod manager;
pub mod migrate;
pub mod monitor;
mod params;
pub mod plugin;
mod received;
mod result;
mod schema;
mod secret;
mod shard;
mod transaction;
pub mod transfer;
pub mod url;

/// The SQL lexer shared with the drivers: statement splitting, keywords, quoting.
pub use myrmex_plugin::sql;

pub use config::{Config, Limits, MigrationsConfig, PoolConfig};
pub use connection::{CancelToken, DatabaseConnection, RowStream, Rows, DEFAULT_BATCH_ROWS};
pub use error::{Error, GuardRefusal, Result, StatementFailure};
pub use manager::{
    manage_databases, Checkout, DatabaseManager, Health, PluginConnector, PoolStats,
    PooledConnection,
};
pub use migrate::{run_migrations, Migration, MigrationManager};
pub use monitor::{monitor_database, optimize_database, DatabaseMetrics};
pub use myrmex_abi::{
    CatalogKind, ColumnMeta, DialectInfo, ErrorKind, ExecResult, LockAttempt, Nullability,
    PluginError, ServerInfo, TableDetail, TableKind, TableRef, Value, SCHEMA_ALL, SCHEMA_GRANTS,
};
pub use myrmex_schema::{
    self as schema_def, diff, generate_schema, lint, Dialect, SchemaDefinition, SchemaError,
    SchemaGenerator,
};
pub use params::ConnectParams;
pub use result::{Columns, ResultSet};
pub use schema::diff_request;
pub use secret::Secret;
pub use shard::ShardRouter;
pub use transaction::{Savepoint, Transaction};
