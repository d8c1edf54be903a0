//! The numbers of a snapshot: sessions, the server's counters from `SHOW GLOBAL STATUS`,
//! replication lag, and the sizes of databases, tables and indexes.

use super::read::{globals, in_scope, named_rows, num, rows, text};
use myrmex_plugin::monitor::Snapshot;
use myrmex_plugin::{ErrorKind, PluginError};
use mysql::Conn;
use std::collections::{BTreeMap, HashMap};

/// Counters read from `SHOW GLOBAL STATUS`: the status variable, the metric, its help, and
/// the factor turning the server's unit into the base unit.
const COUNTERS: &[(&str, &str, &str, f64)] = &[
    (
        "Queries",
        "queries_total",
        "Statements the server ran (Queries).",
        1.0,
    ),
    (
        "Com_commit",
        "transactions_committed_total",
        "Explicit COMMIT statements (Com_commit); autocommitted statements are not counted.",
        1.0,
    ),
    (
        "Com_rollback",
        "transactions_rolled_back_total",
        "ROLLBACK statements (Com_rollback).",
        1.0,
    ),
    (
        "Slow_queries",
        "slow_queries_total",
        "Statements that took longer than long_query_time (Slow_queries).",
        1.0,
    ),
    (
        "Aborted_connects",
        "aborted_connects_total",
        "Failed attempts to connect: wrong password, no privilege, bad packets (Aborted_connects).",
        1.0,
    ),
    (
        "Innodb_buffer_pool_reads",
        "innodb_buffer_pool_reads_total",
        "Page reads the buffer pool could not answer and read from disk.",
        1.0,
    ),
    (
        "Innodb_buffer_pool_read_requests",
        "innodb_buffer_pool_read_requests_total",
        "Logical page reads asked of the buffer pool.",
        1.0,
    ),
    (
        "Innodb_row_lock_waits",
        "innodb_row_lock_waits_total",
        "Times a statement waited for an InnoDB row lock.",
        1.0,
    ),
    (
        "Innodb_row_lock_time",
        "innodb_row_lock_time_seconds_total",
        "Time spent waiting for InnoDB row locks.",
        0.001,
    ),
    (
        "Bytes_received",
        "bytes_received_total",
        "Bytes received from clients.",
        1.0,
    ),
    (
        "Bytes_sent",
        "bytes_sent_total",
        "Bytes sent to clients.",
        1.0,
    ),
];

/// How many tables get samples of their own (the largest first).
const TABLE_SAMPLES: usize = 200;

/// Adds every sample; what cannot be read becomes a note.
pub fn collect(conn: &mut Conn, s: &mut Snapshot) -> Result<(), PluginError> {
    connections(conn, s)?;
    let status = globals(conn, "STATUS")?;
    let variables = globals(conn, "VARIABLES")?;
    server(&status, &variables, s);
    replication(conn, s)?;
    sizes(conn, s)
}

/// Sessions by state: `active` (running a statement), `idle`, `idle_in_transaction` (idle
/// with an open InnoDB transaction), `background` (the server's own threads) and the
/// lowercased command of anything else (`binlog_dump`, `connect`).
fn connections(conn: &mut Conn, s: &mut Snapshot) -> Result<(), PluginError> {
    let sql = "SELECT p.COMMAND, p.USER, COUNT(t.trx_id) > 0 \
               FROM information_schema.PROCESSLIST p \
               LEFT JOIN information_schema.INNODB_TRX t ON t.trx_mysql_thread_id = p.ID \
               GROUP BY p.ID, p.COMMAND, p.USER";
    let found = match rows(conn, sql, Vec::new()) {
        Err(e) if e.kind == ErrorKind::PERMISSION => {
            s.note(
                "sessions idle in a transaction are counted as idle: reading \
                 information_schema.INNODB_TRX needs the PROCESS privilege, which also shows \
                 other accounts' sessions",
            );
            rows(
                conn,
                "SELECT COMMAND, USER, 0 FROM information_schema.PROCESSLIST",
                Vec::new(),
            )?
        }
        other => other?,
    };
    let mut by_state: BTreeMap<String, f64> = ["active", "idle", "idle_in_transaction"]
        .iter()
        .map(|k| (k.to_string(), 0.0))
        .collect();
    for r in found {
        let command = r.first().and_then(text).unwrap_or_default();
        let user = r.get(1).and_then(text).unwrap_or_default();
        let in_tx = r.get(2).and_then(num).unwrap_or(0.0) > 0.0;
        *by_state
            .entry(session_state(&command, &user, in_tx))
            .or_default() += 1.0;
    }
    for (state, n) in by_state {
        s.gauge(
            "connections",
            "Sessions by state (information_schema.PROCESSLIST).",
            &[("state", &state)],
            n,
        );
    }
    Ok(())
}

/// The state label of a session running `command` as `user`.
pub fn session_state(command: &str, user: &str, in_transaction: bool) -> String {
    match command {
        "Sleep" if in_transaction => "idle_in_transaction".into(),
        "Sleep" => "idle".into(),
        "Query" | "Execute" | "Fetch" | "Prepare" => "active".into(),
        "Daemon" => "background".into(),
        _ if user == "system user" || user == "event_scheduler" => "background".into(),
        other => other.to_ascii_lowercase().replace([' ', '-'], "_"),
    }
}

/// The status variable `name` as a number.
fn number(map: &HashMap<String, String>, name: &str) -> Option<f64> {
    map.get(name)?.trim().parse().ok()
}

/// Settings, threads, counters and the buffer pool's hit ratio.
fn server(status: &HashMap<String, String>, variables: &HashMap<String, String>, s: &mut Snapshot) {
    if let Some(v) = number(variables, "max_connections") {
        s.gauge(
            "max_connections",
            "Sessions the server accepts at most (max_connections).",
            &[],
            v,
        );
    }
    if let Some(v) = number(status, "Threads_running") {
        s.gauge(
            "threads_running",
            "Sessions running a statement now (Threads_running).",
            &[],
            v,
        );
    }
    if let Some(v) = number(status, "Threads_connected") {
        s.gauge(
            "threads_connected",
            "Open client connections (Threads_connected).",
            &[],
            v,
        );
    }
    if let Some(v) = number(status, "Uptime") {
        s.gauge(
            "uptime_seconds",
            "Time since the server started (Uptime): counters count from then.",
            &[],
            v,
        );
    }
    for (var, name, help, factor) in COUNTERS {
        if let Some(v) = number(status, var) {
            s.counter(name, help, &[], v * factor);
        }
    }
    let reads = number(status, "Innodb_buffer_pool_reads");
    let requests = number(status, "Innodb_buffer_pool_read_requests");
    if let (Some(reads), Some(requests)) = (reads, requests) {
        s.gauge(
            "cache_hit_ratio",
            "Share of InnoDB page reads answered by the buffer pool since the server \
             started (1 - reads / read requests; 1 when nothing was read).",
            &[],
            hit_ratio(reads, requests),
        );
    }
}

/// `1 - reads / requests`, within 0..1; 1 when nothing was asked.
pub fn hit_ratio(reads: f64, requests: f64) -> f64 {
    if requests <= 0.0 {
        1.0
    } else {
        (1.0 - reads / requests).clamp(0.0, 1.0)
    }
}

/// The replica's lag behind its source, one sample per replication channel; nothing on a
/// server that replicates from nobody.
fn replication(conn: &mut Conn, s: &mut Snapshot) -> Result<(), PluginError> {
    let status = match named_rows(conn, "SHOW REPLICA STATUS", Vec::new()) {
        Err(e) if e.kind == ErrorKind::SYNTAX => named_rows(conn, "SHOW SLAVE STATUS", Vec::new()),
        other => other,
    };
    let (names, channels) = match status {
        Ok(found) => found,
        Err(e) if e.kind == ErrorKind::PERMISSION => {
            s.note(format!(
                "replication status cannot be read ({}): grant REPLICATION CLIENT \
                 (MariaDB: SLAVE MONITOR) to this account",
                e.message
            ));
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    let at = |wanted: &[&str]| names.iter().position(|n| wanted.contains(&n.as_str()));
    let lag = at(&["Seconds_Behind_Master", "Seconds_Behind_Source"]);
    let channel = at(&["Connection_name", "Channel_Name", "Channel_name"]);
    for row in channels {
        let name = channel
            .and_then(|i| row.get(i))
            .and_then(text)
            .unwrap_or_default();
        match lag.and_then(|i| row.get(i)).and_then(num) {
            Some(v) => s.gauge(
                "replication_lag_seconds",
                "How far this replica's applied changes are behind its source \
                 (Seconds_Behind_Master).",
                &[("channel", &name)],
                v,
            ),
            None => s.note(format!(
                "replication channel '{name}' has no lag to report: its threads are stopped \
                 (SHOW REPLICA STATUS gives Seconds_Behind_Master NULL)"
            )),
        }
    }
    Ok(())
}

/// Database, table and index sizes and free space, from `information_schema.TABLES`.
fn sizes(conn: &mut Conn, s: &mut Snapshot) -> Result<(), PluginError> {
    let sql = format!(
        "SELECT TABLE_SCHEMA, TABLE_NAME, COALESCE(DATA_LENGTH, 0), COALESCE(INDEX_LENGTH, 0), \
         COALESCE(DATA_FREE, 0) FROM information_schema.TABLES \
         WHERE TABLE_TYPE = 'BASE TABLE' AND {} \
         ORDER BY COALESCE(DATA_LENGTH, 0) + COALESCE(INDEX_LENGTH, 0) DESC, TABLE_SCHEMA, TABLE_NAME",
        in_scope("TABLE_SCHEMA")
    );
    let mut databases: BTreeMap<String, f64> = BTreeMap::new();
    for (i, r) in rows(conn, &sql, Vec::new())?.into_iter().enumerate() {
        let schema = r.first().and_then(text).unwrap_or_default();
        let table = format!("{schema}.{}", r.get(1).and_then(text).unwrap_or_default());
        let [data, index, free] = [2, 3, 4].map(|c| r.get(c).and_then(num).unwrap_or(0.0));
        *databases.entry(schema).or_default() += data + index;
        if i >= TABLE_SAMPLES {
            continue;
        }
        s.gauge(
            "table_size_bytes",
            "Bytes of a table's rows (DATA_LENGTH; the clustered index for InnoDB).",
            &[("table", &table)],
            data,
        );
        s.gauge(
            "index_size_bytes",
            "Bytes of a table's secondary indexes (INDEX_LENGTH).",
            &[("table", &table)],
            index,
        );
        s.gauge(
            "table_free_bytes",
            "Bytes allocated to a table but unused (DATA_FREE): an estimate of bloat that \
             OPTIMIZE TABLE would give back.",
            &[("table", &table)],
            free,
        );
    }
    if databases.is_empty() {
        // An empty database is a database of size zero, not an absent one.
        let current: Option<String> = rows(conn, "SELECT DATABASE()", Vec::new())?
            .first()
            .and_then(|r| r.first())
            .and_then(text);
        if let Some(db) = current {
            databases.insert(db, 0.0);
        }
    }
    for (db, bytes) in databases {
        s.gauge(
            "database_size_bytes",
            "Bytes of a database's tables and indexes.",
            &[("database", &db)],
            bytes,
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_get_their_state() {
        assert_eq!(session_state("Sleep", "app", false), "idle");
        assert_eq!(session_state("Sleep", "app", true), "idle_in_transaction");
        assert_eq!(session_state("Query", "app", false), "active");
        assert_eq!(session_state("Daemon", "system user", false), "background");
        assert_eq!(session_state("Binlog Dump", "repl", false), "binlog_dump");
    }

    #[test]
    fn the_hit_ratio_stays_within_0_and_1() {
        assert_eq!(hit_ratio(0.0, 0.0), 1.0);
        assert_eq!(hit_ratio(25.0, 100.0), 0.75);
        assert_eq!(hit_ratio(200.0, 100.0), 0.0);
    }
}
