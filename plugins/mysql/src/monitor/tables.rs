//! The tables of a snapshot: long-running statements, sessions waiting for a lock, tables,
//! indexes and the statements that took the most time.

use super::read::{cell, in_scope, performance_schema_off, rows, text};
use myrmex_plugin::monitor::Snapshot;
use myrmex_plugin::{ErrorKind, PluginError, Value};
use mysql::Conn;

/// Rows of `tables` and of `indexes` at most.
const LIMIT: usize = 500;
/// Rows of `top_statements`.
const TOP_STATEMENTS: usize = 20;

/// Adds every table; what cannot be read becomes a note. `performance_schema` says whether
/// the server collects statement and index statistics; `mariadb` picks the lock views.
pub fn collect(
    conn: &mut Conn,
    s: &mut Snapshot,
    performance_schema: bool,
    mariadb: bool,
) -> Result<(), PluginError> {
    long_running(conn, s)?;
    blocking(conn, s, performance_schema, mariadb)?;
    tables(conn, s)?;
    // performance_schema's tables take a grant of their own: without it, a note.
    let usage = performance_schema && readable(indexes(conn, s, true), s, "index usage")?;
    if !usage {
        indexes(conn, s, false)?;
    }
    if performance_schema {
        readable(top_statements(conn, s), s, "top_statements")?;
    } else {
        s.note(performance_schema_off(
            "top_statements (events_statements_summary_by_digest) and the index usage \
             column of indexes",
        ));
    }
    Ok(())
}

/// True when `read` succeeded; a refusal becomes a note naming `what` (other errors stay).
fn readable(
    read: Result<(), PluginError>,
    s: &mut Snapshot,
    what: &str,
) -> Result<bool, PluginError> {
    match read {
        Ok(()) => Ok(true),
        Err(e) if e.kind == ErrorKind::PERMISSION => {
            s.note(format!(
                "{what} cannot be read: {} (grant SELECT ON performance_schema.* to this \
                 account)",
                e.message
            ));
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

/// Builds a table from rows read as they come.
fn table_of(s: &mut Snapshot, name: &str, columns: &[&str], found: Vec<Vec<mysql::Value>>) {
    let rows = found
        .iter()
        .map(|r| r.iter().map(cell).collect::<Vec<Value>>())
        .collect();
    s.table(name, columns, rows);
}

/// Statements running for more than a second, other than this session's and the server's
/// own threads, the longest first.
fn long_running(conn: &mut Conn, s: &mut Snapshot) -> Result<(), PluginError> {
    let sql = "SELECT ID, USER, HOST, DB, TIME, STATE, INFO FROM information_schema.PROCESSLIST \
               WHERE ID <> CONNECTION_ID() AND TIME > 1 AND COMMAND NOT IN ('Sleep', 'Daemon', \
               'Binlog Dump', 'Binlog Dump GTID', 'Slave_IO', 'Slave_SQL', 'Slave_worker', \
               'Connect') AND USER NOT IN ('system user', 'event_scheduler') \
               ORDER BY TIME DESC";
    let found = rows(conn, sql, Vec::new())?;
    table_of(
        s,
        "long_running",
        &["id", "user", "host", "db", "seconds", "state", "query"],
        found,
    );
    Ok(())
}

/// Sessions waiting for an InnoDB row lock and who holds it.
fn blocking(
    conn: &mut Conn,
    s: &mut Snapshot,
    performance_schema: bool,
    mariadb: bool,
) -> Result<(), PluginError> {
    let columns = [
        "waiting_pid",
        "waiting_query",
        "wait_seconds",
        "blocking_pid",
        "blocking_query",
        "locked_table",
        "lock_mode",
    ];
    let sql = if mariadb {
        // MariaDB keeps the lock views in information_schema, with or without
        // performance_schema.
        "SELECT r.trx_mysql_thread_id, r.trx_query, \
         TIMESTAMPDIFF(SECOND, r.trx_wait_started, NOW()), b.trx_mysql_thread_id, b.trx_query, \
         l.lock_table, l.lock_mode \
         FROM information_schema.INNODB_LOCK_WAITS w \
         JOIN information_schema.INNODB_TRX r ON r.trx_id = w.requesting_trx_id \
         JOIN information_schema.INNODB_TRX b ON b.trx_id = w.blocking_trx_id \
         LEFT JOIN information_schema.INNODB_LOCKS l ON l.lock_id = w.requested_lock_id \
         ORDER BY r.trx_wait_started"
    } else if performance_schema {
        // MySQL 8 moved them to performance_schema.data_lock_waits; sys joins them.
        "SELECT waiting_pid, waiting_query, wait_age_secs, blocking_pid, blocking_query, \
         locked_table, waiting_lock_mode FROM sys.innodb_lock_waits ORDER BY wait_started"
    } else {
        s.note(performance_schema_off(
            "blocking (performance_schema.data_lock_waits)",
        ));
        return Ok(());
    };
    match rows(conn, sql, Vec::new()) {
        Ok(found) => table_of(s, "blocking", &columns, found),
        Err(e) => s.note(format!("lock waits cannot be read: {}", e.message)),
    }
    Ok(())
}

/// Tables with their engine, row estimate and sizes, the largest first.
fn tables(conn: &mut Conn, s: &mut Snapshot) -> Result<(), PluginError> {
    let sql = format!(
        "SELECT CONCAT(TABLE_SCHEMA, '.', TABLE_NAME), ENGINE, TABLE_ROWS, DATA_LENGTH, \
         INDEX_LENGTH, DATA_FREE FROM information_schema.TABLES \
         WHERE TABLE_TYPE = 'BASE TABLE' AND {} \
         ORDER BY COALESCE(DATA_LENGTH, 0) + COALESCE(INDEX_LENGTH, 0) DESC, 1 LIMIT {LIMIT}",
        in_scope("TABLE_SCHEMA")
    );
    let found = rows(conn, &sql, Vec::new())?;
    table_of(
        s,
        "tables",
        &[
            "table",
            "engine",
            "rows_estimate",
            "data_bytes",
            "index_bytes",
            "free_bytes",
        ],
        found,
    );
    Ok(())
}

/// Indexes with their columns, uniqueness and cardinality; with `performance_schema`, the
/// reads through each since the server started (`reads`, NULL without it).
fn indexes(conn: &mut Conn, s: &mut Snapshot, performance_schema: bool) -> Result<(), PluginError> {
    let (usage, join) = if performance_schema {
        (
            "u.COUNT_READ",
            "LEFT JOIN performance_schema.table_io_waits_summary_by_index_usage u \
             ON u.OBJECT_SCHEMA = x.TABLE_SCHEMA AND u.OBJECT_NAME = x.TABLE_NAME \
             AND u.INDEX_NAME = x.INDEX_NAME",
        )
    } else {
        ("NULL", "")
    };
    let sql = format!(
        "SELECT x.INDEX_NAME, CONCAT(x.TABLE_SCHEMA, '.', x.TABLE_NAME), x.cols, \
         IF(x.NON_UNIQUE = 0, 'YES', 'NO'), x.card, {usage} \
         FROM (SELECT TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, NON_UNIQUE, \
               GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX SEPARATOR ', ') AS cols, \
               MAX(CARDINALITY) AS card \
               FROM information_schema.STATISTICS WHERE {} \
               GROUP BY TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, NON_UNIQUE) x {join} \
         ORDER BY x.TABLE_SCHEMA, x.TABLE_NAME, x.INDEX_NAME LIMIT {LIMIT}",
        in_scope("TABLE_SCHEMA")
    );
    let found = rows(conn, &sql, Vec::new())?;
    table_of(
        s,
        "indexes",
        &[
            "index",
            "table",
            "columns",
            "unique",
            "cardinality",
            "reads",
        ],
        found,
    );
    Ok(())
}

/// The statements (by digest) that took the most time since the server started or the
/// statistics were reset.
fn top_statements(conn: &mut Conn, s: &mut Snapshot) -> Result<(), PluginError> {
    let sql = format!(
        "SELECT SCHEMA_NAME, DIGEST_TEXT, COUNT_STAR, SUM_TIMER_WAIT / 1e9, \
         AVG_TIMER_WAIT / 1e9, SUM_ROWS_EXAMINED, SUM_ROWS_SENT \
         FROM performance_schema.events_statements_summary_by_digest \
         WHERE DIGEST_TEXT IS NOT NULL ORDER BY SUM_TIMER_WAIT DESC LIMIT {TOP_STATEMENTS}"
    );
    let found = rows(conn, &sql, Vec::new())?;
    if found.is_empty() {
        let consumer = rows(
            conn,
            "SELECT ENABLED FROM performance_schema.setup_consumers \
             WHERE NAME = 'statements_digest'",
            Vec::new(),
        )?;
        let enabled = consumer.first().and_then(|r| r.first()).and_then(text);
        if enabled.as_deref() == Some("NO") {
            s.note(
                "statement digests are not collected: UPDATE performance_schema.setup_consumers \
                 SET ENABLED = 'YES' WHERE NAME = 'statements_digest' (or \
                 performance-schema-consumer-statements-digest=ON in the configuration)",
            );
        }
    }
    table_of(
        s,
        "top_statements",
        &[
            "database",
            "digest_text",
            "count_star",
            "sum_ms",
            "avg_ms",
            "rows_examined",
            "rows_sent",
        ],
        found,
    );
    Ok(())
}
