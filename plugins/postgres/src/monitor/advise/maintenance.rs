//! `stale-statistics` and `bloat`, from `pg_stat_user_tables`.

use super::{grouped, size};
use crate::monitor::relations::{size_without_waiting, LOCKED};
use crate::monitor::{get, number, value};
use crate::session::Session;
use myrmex_plugin::monitor::Advice;
use myrmex_plugin::{PluginError, Value};

/// Share of a table's rows changed since its last analyze that makes its statistics stale.
pub const STALE_SHARE: f64 = 0.10;

/// Share of dead rows that makes a table bloated.
pub const BLOAT_SHARE: f64 = 0.20;

/// Rows (live and dead) a table must have before its bloat matters.
pub const BLOAT_MIN_ROWS: f64 = 1_000.0;

/// Tables never analyzed (and not empty), or with more than [`STALE_SHARE`] of their live
/// rows changed since their last analyze.
pub fn stale_statistics(session: &Session) -> Result<Vec<Advice>, PluginError> {
    let rows = session.rows(
        "SELECT format('%I.%I', schemaname, relname), n_live_tup::float8, \
           n_mod_since_analyze::float8, GREATEST(last_analyze, last_autoanalyze) \
         FROM pg_catalog.pg_stat_user_tables \
         WHERE (last_analyze IS NULL AND last_autoanalyze IS NULL \
                AND n_live_tup + n_mod_since_analyze > 0) \
            OR n_mod_since_analyze > $1::float8 * n_live_tup \
         ORDER BY n_mod_since_analyze DESC, 1",
        &[&STALE_SHARE],
    )?;
    let mut out = Vec::new();
    for r in &rows {
        let table: String = get(r, 0)?;
        let (live, changed) = (number(r, 1)?, number(r, 2)?);
        let last = match value(r, 3)? {
            Value::Null => "never".to_string(),
            Value::TimestampTz(t) | Value::Timestamp(t) | Value::Text(t) => t.to_string(),
            other => format!("{other:?}"),
        };
        let share = if live > 0.0 {
            format!(" ({:.0}% of them)", 100.0 * changed / live)
        } else {
            String::new()
        };
        out.push(Advice {
            kind: "stale-statistics".into(),
            object: table.clone(),
            message: format!("Analyze {table}: its statistics no longer describe its rows."),
            evidence: format!(
                "rows changed since the last analyze: {} of {} live rows{share}; \
                 last analyze: {last}",
                grouped(changed),
                grouped(live)
            ),
            expected_gain: "row estimates that match the data again, so the planner picks \
                            joins, indexes and memory for the real sizes"
                .into(),
            risk: "reads a sample of the table (some I/O); its lock (SHARE UPDATE EXCLUSIVE) \
                   blocks no reads or writes, only other maintenance of the table"
                .into(),
            statements: vec![format!("ANALYZE {table}")],
            safe: true,
        });
    }
    Ok(out)
}

/// Tables of more than [`BLOAT_MIN_ROWS`] rows whose dead rows are more than
/// [`BLOAT_SHARE`] of them.
pub fn bloat(session: &Session) -> Result<Vec<Advice>, PluginError> {
    let bytes = size_without_waiting(
        "pg_table_size",
        "relid",
        "relid",
        "(SELECT relpages FROM pg_catalog.pg_class WHERE oid = relid)",
    );
    let rows = session.rows(
        &format!(
            "{LOCKED}SELECT format('%I.%I', schemaname, relname), n_live_tup::float8, \
               n_dead_tup::float8, {bytes}, GREATEST(last_vacuum, last_autovacuum) \
             FROM pg_catalog.pg_stat_user_tables \
             WHERE n_live_tup + n_dead_tup > $1::float8 \
               AND n_dead_tup > $2::float8 * (n_live_tup + n_dead_tup) \
             ORDER BY n_dead_tup DESC, 1"
        ),
        &[&BLOAT_MIN_ROWS, &BLOAT_SHARE],
    )?;
    let mut out = Vec::new();
    for r in &rows {
        let table: String = get(r, 0)?;
        let (live, dead, bytes) = (number(r, 1)?, number(r, 2)?, number(r, 3)?);
        let last = match value(r, 4)? {
            Value::Null => "never".to_string(),
            Value::TimestampTz(t) | Value::Timestamp(t) | Value::Text(t) => t.to_string(),
            other => format!("{other:?}"),
        };
        out.push(Advice {
            kind: "bloat".into(),
            object: table.clone(),
            message: format!("Vacuum {table}: a large share of its rows are dead."),
            evidence: format!(
                "dead rows {} of {} ({:.0}%, an estimate from pg_stat_user_tables); table \
                 size {}; last vacuum: {last}",
                grouped(dead),
                grouped(live + dead),
                100.0 * dead / (live + dead),
                size(bytes)
            ),
            expected_gain: "the dead rows' space reused by new rows, scans that skip fewer \
                            dead rows, fresh statistics"
                .into(),
            risk: "VACUUM takes no lock that blocks reads or writes (SHARE UPDATE EXCLUSIVE) \
                   but it is heavy: it reads the whole table and its indexes and writes many \
                   pages; it cannot run inside a transaction; it does not shrink the file \
                   (VACUUM FULL would, under a lock that blocks every read and write, and is \
                   not proposed)"
                .into(),
            statements: vec![format!("VACUUM (ANALYZE) {table}")],
            safe: false,
        });
    }
    Ok(out)
}
