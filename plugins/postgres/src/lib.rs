//! # myrmex-postgres — the PostgreSQL driver plugin
//!
//! A `cdylib` exporting the `driver` capability `postgres` (URL schemes `postgres`,
//! `postgresql`, `pg`; a Unix socket directory as a percent-encoded host,
//! `postgres://u@%2Frun%2Fpostgresql/db`, or as `?host=/run/postgresql`) on tokio-postgres,
//! with TLS through rustls.
//!
//! URL options: `sslmode` (`disable|allow|prefer|require|verify-ca|verify-full`, default
//! `prefer`), `sslrootcert`, `connect_timeout` (s, default 10, bounding TCP, TLS and
//! authentication), `application_name`, `host` (a Unix socket directory), `options`,
//! `statement_timeout` (ms). Driver settings: `scratch_prefix` (see [`driver::Settings`]).
//!
//! The dialect it describes is `postgres`: identifiers quoted with `"`, DDL inside
//! transactions, `$1` placeholders (scripts may write `?`: see [`placeholders`]), and the
//! features in [`dialect::FEATURES`]. Types: see [`types`] and `docs/architecture.md`.
//!
//! Monitoring and tuning: `Connection::metrics` reads the server's statistics (sessions,
//! throughput, locks, replication, table and index sizes, `pg_stat_statements`) and
//! `Connection::advise` gives tuning advice, indexes proven by the planner with hypopg
//! before they are proposed; the `monitor` module's documentation lists every metric and
//! kind of advice.
//!
//! It also exports the `audit` capability `postgres` for the driver's connections:
//! configuration, role and grant checks, and pgaudit as the server's audit log (see
//! [`audit`]).

pub mod audit;
mod bulk;
mod cancel;
mod catalog;
mod conn;
pub mod dialect;
pub mod driver;
mod error;
mod introspect;
mod listing;
mod lock;
mod monitor;
pub mod native;
pub mod numeric;
mod options;
pub mod pgbackrest;
pub mod placeholders;
mod schema;
mod scratch;
mod session;
pub mod temporal;
mod tls;
pub mod types;

#[cfg(test)]
mod testing;

pub use conn::PgConnection;
pub use driver::PgDriver;

myrmex_plugin::plugin! {
    driver "postgres" ("postgres", "postgresql", "pg"):
        "PostgreSQL (tokio-postgres, TLS via rustls)" => driver::open,
    audit "postgres" ("postgres"):
        "PostgreSQL configuration checks and pgaudit" => audit::open,
    backup "pg-native" ("postgres"):
        "pg_dump -Fd -j N / pg_restore -j N from one exported snapshot (Debian package postgresql-client)" => native::open,
    backup "pgbackrest" ("postgres"):
        "pgBackRest full/diff/incr physical backups, restored to their end or a point in time (Debian package pgbackrest)" => pgbackrest::open,
}
