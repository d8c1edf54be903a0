//! Tables and indexes: their sizes and scans as samples, and the `tables` and `indexes`
//! tables, the largest first.

use super::{get, number, value, TABLE_ROWS};
use crate::session::Session;
use myrmex_plugin::monitor::Snapshot;
use myrmex_plugin::{PluginError, Value};

/// The columns of the `tables` table.
pub const TABLE_COLUMNS: [&str; 9] = [
    "table",
    "rows",
    "bytes",
    "seq_scans",
    "idx_scans",
    "live_tuples",
    "dead_tuples",
    "last_analyze",
    "last_autoanalyze",
];

/// The columns of the `indexes` table; `constraint` names the constraints the index backs
/// (its own, or a foreign key referencing it), NULL when none.
pub const INDEX_COLUMNS: [&str; 7] = [
    "index",
    "table",
    "bytes",
    "scans",
    "unique",
    "primary",
    "constraint",
];

/// The estimated rows of table `c` with statistics `s`: the planner's `reltuples`, or the
/// live rows counted while the table was never vacuumed nor analyzed.
pub const ROWS_ESTIMATE: &str =
    "(CASE WHEN c.reltuples >= 0 THEN c.reltuples ELSE s.n_live_tup END)::float8";

/// The relations other sessions hold or wait for an ACCESS EXCLUSIVE lock on: reading
/// their size would wait behind that lock, so their size is estimated from `relpages`.
pub const LOCKED: &str = "WITH locked AS (SELECT relation FROM pg_catalog.pg_locks \
     WHERE locktype = 'relation' AND mode = 'AccessExclusiveLock' \
       AND pid <> pg_backend_pid() \
       AND database = (SELECT oid FROM pg_catalog.pg_database \
         WHERE datname = current_database())) ";

/// The size of relation `oid` (of table `table`, or the table itself) read by `function`
/// (`pg_table_size`, `pg_relation_size`), or `pages` × the block size when a lock would
/// make it wait (the query starts with [`LOCKED`]).
pub fn size_without_waiting(function: &str, oid: &str, table: &str, pages: &str) -> String {
    format!(
        "(CASE WHEN EXISTS (SELECT 1 FROM locked WHERE relation IN ({oid}, {table})) \
           THEN {pages}::float8 * current_setting('block_size')::float8 \
           ELSE {function}({oid})::float8 END)"
    )
}

const BLOAT_HELP: &str = "Estimated bloat: dead rows / (live + dead rows) of \
     pg_stat_user_tables, 0..1 (an estimate from statistics, not a measure of the file).";

/// Adds the table and index samples and tables.
pub fn add(session: &Session, s: &mut Snapshot) -> Result<(), PluginError> {
    tables(session, s)?;
    indexes(session, s)
}

fn tables(session: &Session, s: &mut Snapshot) -> Result<(), PluginError> {
    let bytes = size_without_waiting("pg_table_size", "s.relid", "s.relid", "c.relpages");
    let rows = session.rows(
        &format!(
            "{LOCKED}SELECT format('%I.%I', s.schemaname, s.relname), {ROWS_ESTIMATE}, \
               {bytes} AS bytes, s.seq_scan::float8, \
               COALESCE(s.idx_scan, 0)::float8, s.n_live_tup::float8, s.n_dead_tup::float8, \
               s.last_analyze, s.last_autoanalyze \
             FROM pg_catalog.pg_stat_user_tables s \
             JOIN pg_catalog.pg_class c ON c.oid = s.relid \
             ORDER BY bytes DESC, 1 LIMIT $1"
        ),
        &[&TABLE_ROWS],
    )?;
    let mut table = Vec::with_capacity(rows.len());
    for r in &rows {
        let name: String = get(r, 0)?;
        let labels = [("table", name.as_str())];
        let (bytes, seq, idx) = (number(r, 2)?, number(r, 3)?, number(r, 4)?);
        let (live, dead) = (number(r, 5)?, number(r, 6)?);
        s.gauge(
            "table_size_bytes",
            "Bytes of a table without its indexes (TOAST included).",
            &labels,
            bytes,
        );
        s.gauge(
            "table_bloat_ratio",
            BLOAT_HELP,
            &labels,
            dead_ratio(live, dead),
        );
        s.counter(
            "seq_scans_total",
            "Sequential scans of a table.",
            &labels,
            seq,
        );
        table.push(vec![
            Value::from(name.as_str()),
            Value::Int(number(r, 1)?.round() as i64),
            Value::Int(bytes as i64),
            Value::Int(seq as i64),
            Value::Int(idx as i64),
            Value::Int(live as i64),
            Value::Int(dead as i64),
            value(r, 7)?,
            value(r, 8)?,
        ]);
    }
    s.table("tables", &TABLE_COLUMNS, table);
    Ok(())
}

/// dead / (live + dead); 0 for an empty table.
pub fn dead_ratio(live: f64, dead: f64) -> f64 {
    if live + dead > 0.0 {
        dead / (live + dead)
    } else {
        0.0
    }
}

fn indexes(session: &Session, s: &mut Snapshot) -> Result<(), PluginError> {
    let bytes = size_without_waiting(
        "pg_relation_size",
        "s.indexrelid",
        "s.relid",
        "(SELECT relpages FROM pg_catalog.pg_class WHERE oid = s.indexrelid)",
    );
    let rows = session.rows(
        &format!(
            "{LOCKED}SELECT format('%I.%I', s.schemaname, s.indexrelname), \
           format('%I.%I', s.schemaname, s.relname), \
           {bytes} AS bytes, s.idx_scan::float8, \
           i.indisunique, i.indisprimary, \
           (SELECT string_agg(k.conname::text, ', ' ORDER BY k.conname) \
              FROM pg_catalog.pg_constraint k WHERE k.conindid = s.indexrelid) \
         FROM pg_catalog.pg_stat_user_indexes s \
         JOIN pg_catalog.pg_index i ON i.indexrelid = s.indexrelid \
         ORDER BY bytes DESC, 1 LIMIT $1"
        ),
        &[&TABLE_ROWS],
    )?;
    let mut table = Vec::with_capacity(rows.len());
    for r in &rows {
        let index: String = get(r, 0)?;
        let on: String = get(r, 1)?;
        let labels = [("index", index.as_str()), ("table", on.as_str())];
        let (bytes, scans) = (number(r, 2)?, number(r, 3)?);
        s.gauge("index_size_bytes", "Bytes of an index.", &labels, bytes);
        s.counter(
            "index_scans_total",
            "Scans started on an index.",
            &labels[..1],
            scans,
        );
        table.push(vec![
            Value::from(index.as_str()),
            Value::from(on.as_str()),
            Value::Int(bytes as i64),
            Value::Int(scans as i64),
            value(r, 4)?,
            value(r, 5)?,
            value(r, 6)?,
        ]);
    }
    s.table("indexes", &INDEX_COLUMNS, table);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::dead_ratio;

    #[test]
    fn the_bloat_estimate_is_a_share_of_dead_rows() {
        assert_eq!(dead_ratio(0.0, 0.0), 0.0);
        assert_eq!(dead_ratio(75.0, 25.0), 0.25);
    }
}
