//! Tuning advice: which kinds are looked for, and the ones read from a single view each:
//! `stale-statistics`, `bloat` and `configuration`. Index advice lives in
//! [`super::indexes`] (duplicate, unused) and [`super::missing`] (missing, proven).

use super::indexes;
use super::missing;
use super::numbers::thousands;
use super::read::{globals, in_scope, num, performance_schema_on, qualified, rows, text};
use crate::dialect::Server;
use myrmex_plugin::monitor::{Advice, AdviceRequest};
use myrmex_plugin::{ErrorKind, PluginError};
use mysql::Conn;
use std::collections::HashMap;

/// Rows changed since the last statistics, at least, before they count as stale.
const STALE_ROWS: f64 = 1_000.0;
/// And as a share of the rows the statistics counted.
const STALE_SHARE: f64 = 0.10;
/// Free space in a table worth rebuilding it for: more than this many bytes and this share
/// of its data.
const BLOAT_BYTES: f64 = 10.0 * 1024.0 * 1024.0;
const BLOAT_SHARE: f64 = 0.20;
const MIB: f64 = 1024.0 * 1024.0;

/// Every piece of advice for the databases looked at (the session's, or every user database
/// when none is selected).
pub fn advise(
    conn: &mut Conn,
    server: &Server,
    request: &AdviceRequest,
) -> Result<Vec<Advice>, PluginError> {
    let performance_schema = performance_schema_on(conn)?;
    let status = globals(conn, "STATUS")?;
    let variables = globals(conn, "VARIABLES")?;
    let all = indexes::read_indexes(conn)?;
    let fks = indexes::read_foreign_keys(conn)?;
    let mut out = missing::advise(conn, &request.workload, performance_schema, &all)?;
    out.extend(
        indexes::repeats(&all, &fks)
            .iter()
            .map(indexes::repeat_advice),
    );
    if performance_schema {
        let uptime = number(&status, "Uptime").unwrap_or(0.0);
        out.extend(optional(indexes::unused(conn, &all, &fks, uptime))?);
    }
    out.extend(optional(stale_statistics(conn, server))?);
    out.extend(bloat(conn)?);
    out.extend(configuration(conn, &status, &variables, request)?);
    Ok(out)
}

/// Advice read from views this account may not see: none when it is refused.
fn optional(found: Result<Vec<Advice>, PluginError>) -> Result<Vec<Advice>, PluginError> {
    match found {
        Err(e) if matches!(e.kind, ErrorKind::PERMISSION | ErrorKind::NOT_FOUND) => Ok(Vec::new()),
        other => other,
    }
}

fn number(map: &HashMap<String, String>, name: &str) -> Option<f64> {
    map.get(name)?.trim().parse().ok()
}

/// True when statistics counted `counted` rows and `modified` changed since are stale.
pub fn is_stale(counted: f64, modified: f64) -> bool {
    modified >= STALE_ROWS && modified > counted * STALE_SHARE
}

/// InnoDB tables with many rows changed since their statistics were last computed
/// (`MODIFIED_COUNTER` of the InnoDB table statistics view), which happens when automatic
/// recalculation is off for them or lags behind.
fn stale_statistics(conn: &mut Conn, server: &Server) -> Result<Vec<Advice>, PluginError> {
    let view = if server.mariadb {
        "information_schema.INNODB_SYS_TABLESTATS"
    } else {
        "information_schema.INNODB_TABLESTATS"
    };
    let sql = format!(
        "SELECT t.TABLE_SCHEMA, t.TABLE_NAME, s.NUM_ROWS, s.MODIFIED_COUNTER FROM {view} s \
         JOIN information_schema.TABLES t ON s.NAME = CONCAT(t.TABLE_SCHEMA, '/', t.TABLE_NAME) \
         WHERE t.TABLE_TYPE = 'BASE TABLE' AND {} ORDER BY 1, 2",
        in_scope("t.TABLE_SCHEMA")
    );
    let found = rows(conn, &sql, Vec::new())?;
    // What the persistent statistics counted, and when (readable with SELECT on mysql).
    let persistent: HashMap<(String, String), (f64, String)> = rows(
        conn,
        "SELECT database_name, table_name, n_rows, last_update FROM mysql.innodb_table_stats",
        Vec::new(),
    )
    .unwrap_or_default()
    .into_iter()
    .filter_map(|r| {
        let key = (r.first().and_then(text)?, r.get(1).and_then(text)?);
        Some((
            key,
            (
                r.get(2).and_then(num)?,
                r.get(3).and_then(text).unwrap_or_default(),
            ),
        ))
    })
    .collect();
    let mut out = Vec::new();
    for r in found {
        let (Some(schema), Some(table)) = (r.first().and_then(text), r.get(1).and_then(text))
        else {
            continue;
        };
        let now = r.get(2).and_then(num).unwrap_or(0.0);
        let modified = r.get(3).and_then(num).unwrap_or(0.0);
        let stats = persistent.get(&(schema.clone(), table.clone()));
        let counted = stats.map_or(now, |s| s.0);
        if !is_stale(counted, modified) {
            continue;
        }
        let when = stats.map_or(String::new(), |s| format!(" (statistics from {})", s.1));
        let name = format!("{schema}.{table}");
        out.push(Advice {
            kind: "stale-statistics".into(),
            object: name.clone(),
            message: format!(
                "Run ANALYZE TABLE on {name}: its statistics predate most of its changes."
            ),
            evidence: format!(
                "{} rows changed since the statistics counted {} rows{when}; the table now \
                 holds ~{} rows",
                thousands(modified),
                thousands(counted),
                thousands(now)
            ),
            expected_gain: "row estimates and index choices that match the data".into(),
            risk: "reads a few index pages per index (innodb_stats_persistent_sample_pages); \
                   plans may change, usually for the better; replicas run it too"
                .into(),
            statements: vec![format!("ANALYZE TABLE {}", qualified(&schema, &table))],
            safe: true,
        });
    }
    Ok(out)
}

/// True when `free` bytes unused in a table of `data` bytes are worth a rebuild.
pub fn is_bloated(data: f64, free: f64) -> bool {
    free > BLOAT_BYTES && free > data * BLOAT_SHARE
}

/// Tables whose unused space (`DATA_FREE`) is large against their data.
fn bloat(conn: &mut Conn) -> Result<Vec<Advice>, PluginError> {
    let sql = format!(
        "SELECT TABLE_SCHEMA, TABLE_NAME, DATA_LENGTH, DATA_FREE, ENGINE \
         FROM information_schema.TABLES WHERE TABLE_TYPE = 'BASE TABLE' AND DATA_FREE > 0 AND {} \
         ORDER BY DATA_FREE DESC",
        in_scope("TABLE_SCHEMA")
    );
    let mut out = Vec::new();
    for r in rows(conn, &sql, Vec::new())? {
        let t = |i: usize| r.get(i).and_then(text).unwrap_or_default();
        let (data, free) = (
            r.get(2).and_then(num).unwrap_or(0.0),
            r.get(3).and_then(num).unwrap_or(0.0),
        );
        if !is_bloated(data, free) {
            continue;
        }
        let name = format!("{}.{}", t(0), t(1));
        out.push(Advice {
            kind: "bloat".into(),
            object: name.clone(),
            message: format!("Rebuild {name} with OPTIMIZE TABLE to give back its unused space."),
            evidence: format!(
                "{:.0} MB unused (DATA_FREE, an estimate) against {:.0} MB of data ({:.0}%)",
                free / MIB,
                data / MIB,
                100.0 * free / data.max(1.0)
            ),
            expected_gain: format!(
                "up to {:.0} MB of disk, and denser pages to read",
                free / MIB
            ),
            risk: format!(
                "OPTIMIZE TABLE rebuilds the whole table ({} does it as ALTER TABLE … FORCE): \
                 it needs room for a second copy, loads the disks for its duration, blocks \
                 writes briefly at its start and end (longer on engines other than InnoDB), \
                 and replicas rebuild it too",
                t(4)
            ),
            statements: vec![format!("OPTIMIZE TABLE {}", qualified(&t(0), &t(1)))],
            safe: false,
        });
    }
    Ok(out)
}

/// Settings against the machine: the buffer pool against memory and data, connections
/// against the peak, the redo log against the buffer pool. Reported only.
fn configuration(
    conn: &mut Conn,
    status: &HashMap<String, String>,
    variables: &HashMap<String, String>,
    request: &AdviceRequest,
) -> Result<Vec<Advice>, PluginError> {
    let mut out = Vec::new();
    let setting = |name: &str, message: String, evidence: String, gain: &str, risk: &str| Advice {
        kind: "configuration".into(),
        object: format!("setting {name}"),
        message,
        evidence,
        expected_gain: gain.into(),
        risk: risk.into(),
        statements: Vec::new(),
        safe: false,
    };
    let pool = number(variables, "innodb_buffer_pool_size").unwrap_or(0.0);
    let memory = request.memory_bytes as f64;
    if pool > 0.0 && memory > 0.0 {
        let data: f64 = rows(
            conn,
            "SELECT COALESCE(SUM(DATA_LENGTH + INDEX_LENGTH), 0) FROM information_schema.TABLES \
             WHERE ENGINE = 'InnoDB'",
            Vec::new(),
        )?
        .first()
        .and_then(|r| r.first())
        .and_then(num)
        .unwrap_or(0.0);
        let share = pool / memory;
        let target = (memory * 0.6 / (128.0 * MIB)).floor().max(1.0) * 128.0 * MIB;
        let evidence = format!(
            "innodb_buffer_pool_size {:.0} MB is {:.0}% of the machine's {:.0} MB; InnoDB \
             data and indexes: {:.0} MB",
            pool / MIB,
            100.0 * share,
            memory / MIB,
            data / MIB
        );
        if share > 0.8 {
            out.push(setting(
                "innodb_buffer_pool_size",
                format!(
                    "Lower innodb_buffer_pool_size to about {:.0} MB (50–70% of memory): \
                     the server, its sessions and the system need the rest.",
                    target / MIB
                ),
                evidence,
                "no swapping or out-of-memory kills under load",
                "a smaller pool holds less data: reads from disk may grow",
            ));
        } else if share < 0.5 && data > pool {
            out.push(setting(
                "innodb_buffer_pool_size",
                format!(
                    "Raise innodb_buffer_pool_size to about {:.0} MB (50–70% of memory on a \
                     server dedicated to the database): the data does not fit in it.",
                    target.min(data * 1.2).max(pool) / MIB
                ),
                evidence,
                "fewer page reads from disk (see cache_hit_ratio)",
                "only on a machine the database has to itself; other programs there need \
                 their memory; resizing online (SET GLOBAL) takes a while on a busy server",
            ));
        }
    }
    let max = number(variables, "max_connections").unwrap_or(0.0);
    let peak = number(status, "Max_used_connections").unwrap_or(0.0);
    if max > 0.0 && peak >= 0.85 * max {
        out.push(setting(
            "max_connections",
            format!(
                "Raise max_connections above {max:.0}, or pool connections in the \
                 application: the peak came close to the limit."
            ),
            format!("Max_used_connections {peak:.0} of max_connections {max:.0}"),
            "no `Too many connections` refusals at peaks",
            "every session takes memory (sort, join and read buffers): more sessions need \
             more memory",
        ));
    }
    // MySQL 8.0.30+ sizes the redo log as a whole; others per file (MySQL before 8.0.30
    // keeps innodb_log_files_in_group of them).
    let redo = number(variables, "innodb_redo_log_capacity").or_else(|| {
        let file = number(variables, "innodb_log_file_size")?;
        Some(file * number(variables, "innodb_log_files_in_group").unwrap_or(1.0))
    });
    if let Some(redo) = redo {
        if pool > 0.0 && redo < pool / 4.0 {
            out.push(setting(
                "innodb_log_file_size",
                format!(
                    "Raise the redo log to about {:.0} MB (a quarter of the buffer pool or \
                     more): a small one forces frequent checkpoints under write load.",
                    pool / 4.0 / MIB
                ),
                format!(
                    "redo log {:.0} MB against innodb_buffer_pool_size {:.0} MB",
                    redo / MIB,
                    pool / MIB
                ),
                "smoother write throughput, fewer flush storms",
                "a larger redo log makes crash recovery take longer",
            ));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds() {
        assert!(is_stale(1_000.0, 5_000.0));
        assert!(is_stale(0.0, 1_000.0));
        assert!(!is_stale(1_000_000.0, 50_000.0));
        assert!(!is_stale(100.0, 500.0));
        assert!(is_bloated(30.0 * MIB, 11.0 * MIB));
        assert!(!is_bloated(100.0 * MIB, 11.0 * MIB));
        assert!(!is_bloated(1.0 * MIB, 5.0 * MIB));
    }
}
