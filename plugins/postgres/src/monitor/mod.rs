//! Monitoring and tuning: the server's statistics as a [`Snapshot`] (from
//! `pg_stat_activity`, `pg_stat_database`, `pg_locks`, `pg_stat_replication`, the
//! per-table and per-index statistics and, when it is there, `pg_stat_statements`), and
//! tuning [`Advice`] built on them (see [`advise`]).
//!
//! # Samples
//!
//! | name | kind | labels | from |
//! |------|------|--------|------|
//! | `connections` | gauge | `state` | this database's client sessions by state |
//! | `server_connections` | gauge | | client sessions of every database |
//! | `max_connections` | gauge | | the setting |
//! | `transactions_committed_total`, `transactions_rolled_back_total` | counter | | `pg_stat_database` |
//! | `blocks_read_total`, `blocks_hit_total` | counter | | `pg_stat_database` |
//! | `cache_hit_ratio` | gauge | | hits / (hits + reads) |
//! | `tuples_{returned,fetched,inserted,updated,deleted}_total` | counter | | `pg_stat_database` |
//! | `deadlocks_total`, `temp_bytes_total` | counter | | `pg_stat_database` |
//! | `database_size_bytes` | gauge | | `pg_database_size` |
//! | `locks` | gauge | `mode` | locks held by this database's other sessions |
//! | `blocked_sessions` | gauge | | sessions waiting for another's lock |
//! | `replication_lag_seconds`, `replication_lag_bytes` | gauge | `application` | per standby on a primary; `application="local"` on a replica |
//! | `table_size_bytes`, `table_bloat_ratio`, `seq_scans_total` | gauge, gauge, counter | `table` | the largest tables |
//! | `index_size_bytes`, `index_scans_total` | gauge, counter | `index` (`table`) | the largest indexes |
//!
//! # Tables
//!
//! `long_running`, `blocking`, `tables`, `indexes` and, with `pg_stat_statements`
//! installed in the database and loaded by the server, `top_statements` (else a note
//! says which is missing and how to enable it).

mod activity;
pub mod advise;
mod database;
pub mod pieces;
pub mod predicate;
pub mod relations;
mod statements;

use crate::session::Session;
use crate::types::PgValue;
use myrmex_plugin::monitor::Snapshot;
use myrmex_plugin::{ErrorKind, PluginError, Value};
use tokio_postgres::types::FromSql;
use tokio_postgres::Row;

pub use advise::advise;

/// Rows of a snapshot's tables, at most.
pub const TABLE_ROWS: i64 = 50;

/// The server's statistics now, as seen from this session's database.
pub fn metrics(session: &Session, server_version: i32) -> Result<Snapshot, PluginError> {
    needs_version(server_version)?;
    let mut s = Snapshot::default();
    activity::add(session, &mut s)?;
    database::add(session, &mut s)?;
    relations::add(session, &mut s)?;
    let status = statements::Status::read(session)?;
    match status.readable() {
        Some(schema) => statements::add_top(session, schema, &mut s)?,
        None => {
            if let Some(note) = status.note() {
                s.note(note);
            }
        }
    }
    if let Some(note) = activity::privilege_note(session)? {
        s.note(note);
    }
    Ok(s)
}

/// Refuses servers older than PostgreSQL 10, whose statistics views differ.
pub(crate) fn needs_version(server_version: i32) -> Result<(), PluginError> {
    if server_version < 100_000 {
        return Err(PluginError::unsupported(format!(
            "server statistics need PostgreSQL 10 or later (this server is {server_version})"
        )));
    }
    Ok(())
}

/// Column `i` of a statistics row; `None` for NULL.
pub(crate) fn get<'a, T: FromSql<'a>>(row: &'a Row, i: usize) -> Result<T, PluginError> {
    row.try_get(i).map_err(|e| {
        PluginError::new(
            ErrorKind::INTERNAL,
            format!("reading column {i} of a statistics row: {e}"),
        )
    })
}

/// A numeric column as a float, NULL as 0.
pub(crate) fn number(row: &Row, i: usize) -> Result<f64, PluginError> {
    Ok(get::<Option<f64>>(row, i)?.unwrap_or(0.0))
}

/// Column `i` as the contract's value.
pub(crate) fn value(row: &Row, i: usize) -> Result<Value, PluginError> {
    Ok(get::<PgValue>(row, i)?.0)
}

/// Every column of `row` as the contract's values.
pub(crate) fn values(row: &Row) -> Result<Vec<Value>, PluginError> {
    (0..row.len()).map(|i| value(row, i)).collect()
}
