//! The database's counters and size (`pg_stat_database`, `pg_database_size`) and
//! replication lag (`pg_stat_replication` on a primary, the replay position on a replica).

use super::{get, number};
use crate::session::Session;
use myrmex_plugin::monitor::Snapshot;
use myrmex_plugin::PluginError;

/// The counters of `pg_stat_database`: column, metric name, help.
const COUNTERS: [(&str, &str, &str); 11] = [
    (
        "xact_commit",
        "transactions_committed_total",
        "Transactions committed in this database.",
    ),
    (
        "xact_rollback",
        "transactions_rolled_back_total",
        "Transactions rolled back in this database.",
    ),
    (
        "blks_read",
        "blocks_read_total",
        "Data blocks read from outside the server's buffer cache (disk or the OS cache).",
    ),
    (
        "blks_hit",
        "blocks_hit_total",
        "Data blocks found in the server's buffer cache.",
    ),
    (
        "tup_returned",
        "tuples_returned_total",
        "Rows read by sequential scans and index entries read by index scans.",
    ),
    (
        "tup_fetched",
        "tuples_fetched_total",
        "Rows fetched by index scans.",
    ),
    ("tup_inserted", "tuples_inserted_total", "Rows inserted."),
    ("tup_updated", "tuples_updated_total", "Rows updated."),
    ("tup_deleted", "tuples_deleted_total", "Rows deleted."),
    ("deadlocks", "deadlocks_total", "Deadlocks detected."),
    (
        "temp_bytes",
        "temp_bytes_total",
        "Bytes written to temporary files by queries (sorts and hashes larger than work_mem).",
    ),
];

/// Adds the database's samples and the replication lag.
pub fn add(session: &Session, s: &mut Snapshot) -> Result<(), PluginError> {
    let columns: Vec<String> = COUNTERS
        .iter()
        .map(|(c, _, _)| format!("{c}::float8"))
        .collect();
    let rows = session.rows(
        &format!(
            "SELECT {}, pg_database_size(datid)::float8 FROM pg_catalog.pg_stat_database \
             WHERE datname = current_database()",
            columns.join(", ")
        ),
        &[],
    )?;
    if let Some(r) = rows.first() {
        for (i, (_, name, help)) in COUNTERS.iter().enumerate() {
            s.counter(name, help, &[], number(r, i)?);
        }
        let (read, hit) = (number(r, 2)?, number(r, 3)?);
        s.gauge(
            "cache_hit_ratio",
            "Share of data block reads found in the buffer cache, 0..1 (1 before any read).",
            &[],
            hit_ratio(hit, read),
        );
        s.gauge(
            "database_size_bytes",
            "Bytes on disk of this database.",
            &[],
            number(r, COUNTERS.len())?,
        );
    }
    replication(session, s)
}

/// hits / (hits + reads); 1 when nothing was read yet.
pub fn hit_ratio(hit: f64, read: f64) -> f64 {
    if hit + read > 0.0 {
        hit / (hit + read)
    } else {
        1.0
    }
}

const LAG_SECONDS: &str = "Replication delay in seconds: per standby (replay_lag) on a primary; \
     application=\"local\" is this replica's own replay delay.";
const LAG_BYTES: &str = "WAL bytes not replayed yet: per standby on a primary; \
     application=\"local\" is this replica's received but not replayed WAL.";

fn replication(session: &Session, s: &mut Snapshot) -> Result<(), PluginError> {
    let recovering = session.rows("SELECT pg_is_in_recovery()", &[])?;
    let replica = match recovering.first() {
        Some(r) => get::<bool>(r, 0)?,
        None => false,
    };
    let rows = if replica {
        session.rows(
            "SELECT 'local', \
               CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 \
                 ELSE COALESCE(EXTRACT(epoch FROM now() - pg_last_xact_replay_timestamp()), 0) \
               END::float8, \
               COALESCE(pg_wal_lsn_diff(pg_last_wal_receive_lsn(), \
                 pg_last_wal_replay_lsn()), 0)::float8",
            &[],
        )?
    } else {
        session.rows(
            "SELECT COALESCE(application_name, ''), \
               COALESCE(EXTRACT(epoch FROM replay_lag), 0)::float8, \
               COALESCE(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn), 0)::float8 \
             FROM pg_catalog.pg_stat_replication ORDER BY 1",
            &[],
        )?
    };
    for r in &rows {
        let application: String = get(r, 0)?;
        let labels = [("application", application.as_str())];
        s.gauge(
            "replication_lag_seconds",
            LAG_SECONDS,
            &labels,
            number(r, 1)?,
        );
        s.gauge("replication_lag_bytes", LAG_BYTES, &labels, number(r, 2)?);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::hit_ratio;

    #[test]
    fn the_hit_ratio_is_a_share() {
        assert_eq!(hit_ratio(0.0, 0.0), 1.0);
        assert_eq!(hit_ratio(3.0, 1.0), 0.75);
        assert_eq!(hit_ratio(0.0, 5.0), 0.0);
    }
}
