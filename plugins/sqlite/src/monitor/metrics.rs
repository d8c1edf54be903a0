//! The snapshot: file and page counts, the write-ahead log, the connection's page cache,
//! table and index sizes and row counts.

use super::facts::{self, Pages, DBSTAT_LIMIT_BYTES};
use super::{format, status};
use myrmex_plugin::monitor::Snapshot;
use myrmex_plugin::{PluginError, Value};
use rusqlite::Connection;

/// Tables without statistics are counted with `count(*)` up to this size.
const COUNT_LIMIT_BYTES: i64 = 64 << 20;

/// What the snapshot says about statement statistics.
const NO_STATEMENT_STATISTICS: &str =
    "SQLite keeps no statement statistics: myrmex's client metrics cover it";

/// Reads the statistics of the connection's `main` database.
pub fn metrics(conn: &Connection) -> Result<Snapshot, PluginError> {
    let mut s = Snapshot::default();
    s.gauge(
        "connections",
        "This connection: SQLite has no server, other processes' connections cannot be seen.",
        &[],
        1.0,
    );
    let pages = facts::pages(conn)?;
    file(conn, &mut s, &pages)?;
    cache(conn, &mut s, &pages)?;
    objects(conn, &mut s, &pages)?;
    s.note(NO_STATEMENT_STATISTICS);
    Ok(s)
}

/// The file's size, free pages and write-ahead log.
fn file(conn: &Connection, s: &mut Snapshot, pages: &Pages) -> Result<(), PluginError> {
    s.gauge(
        "database_size_bytes",
        "Size of the main database: page_count × page_size.",
        &[],
        pages.database_bytes() as f64,
    );
    s.gauge(
        "page_size_bytes",
        "Bytes per database page.",
        &[],
        pages.page_size as f64,
    );
    s.gauge(
        "freelist_bytes",
        "Bytes of free pages kept in the file (freelist_count × page_size); VACUUM returns them.",
        &[],
        pages.freelist_bytes() as f64,
    );
    s.gauge(
        "free_ratio",
        "Free pages over all pages (0..1): the file's bloat.",
        &[],
        pages.free_ratio(),
    );
    if facts::journal_mode(conn)? != "wal" {
        return Ok(());
    }
    let Some(file) = facts::main_file(conn)? else {
        return Ok(());
    };
    let wal = format!("{file}-wal");
    match std::fs::metadata(&wal) {
        Ok(m) => s.gauge(
            "wal_size_bytes",
            "Size of the write-ahead log file (-wal) beside the database.",
            &[],
            m.len() as f64,
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => s.gauge(
            "wal_size_bytes",
            "Size of the write-ahead log file (-wal) beside the database.",
            &[],
            0.0,
        ),
        Err(e) => s.note(format!("cannot read the size of {wal}: {e}")),
    }
    Ok(())
}

/// The connection's page cache: its configured size and what `sqlite3_db_status` counts.
fn cache(conn: &Connection, s: &mut Snapshot, pages: &Pages) -> Result<(), PluginError> {
    s.gauge(
        "cache_size_bytes",
        "Page cache limit of this connection (PRAGMA cache_size: pages, or KiB when negative).",
        &[],
        facts::cache_bytes(conn, pages.page_size)? as f64,
    );
    let Some(c) = status::cache(conn) else {
        s.note("SQLite did not report this connection's page cache counters (sqlite3_db_status)");
        return Ok(());
    };
    s.gauge(
        "cache_used_bytes",
        "Heap bytes this connection's page cache holds.",
        &[],
        c.used_bytes as f64,
    );
    s.counter(
        "cache_hits_total",
        "Page reads this connection served from its cache.",
        &[],
        c.hits as f64,
    );
    s.counter(
        "cache_misses_total",
        "Page reads this connection had to make from the file.",
        &[],
        c.misses as f64,
    );
    s.counter(
        "cache_writes_total",
        "Pages this connection wrote to the file.",
        &[],
        c.writes as f64,
    );
    if let Some(ratio) = c.hit_ratio() {
        s.gauge(
            "cache_hit_ratio",
            "Page reads served from this connection's cache over all its page reads (0..1).",
            &[],
            ratio,
        );
    }
    Ok(())
}

/// Sizes and row counts of tables and indexes, as samples and as the `tables` and `indexes`
/// tables.
fn objects(conn: &Connection, s: &mut Snapshot, pages: &Pages) -> Result<(), PluginError> {
    let sizes = if pages.database_bytes() > DBSTAT_LIMIT_BYTES {
        s.note(format!(
            "table and index sizes are left out above {}: dbstat reads every page",
            format::bytes(DBSTAT_LIMIT_BYTES)
        ));
        None
    } else {
        let found = facts::sizes(conn)?;
        if found.is_none() {
            s.note(
                "SQLite was built without SQLITE_ENABLE_DBSTAT_VTAB: table and index sizes \
                 cannot be read",
            );
        }
        found
    };
    let size = |name: &str| sizes.as_ref().and_then(|m| m.get(name).copied());
    let stat1 = facts::stat1(conn)?;
    let mut table_rows = Vec::new();
    let mut index_rows = Vec::new();
    for table in facts::tables(conn)? {
        let bytes = size(&table);
        if let Some(b) = bytes {
            s.gauge(
                "table_size_bytes",
                "Bytes of the table's own pages (dbstat).",
                &[("table", &table)],
                b as f64,
            );
        }
        let analyzed = stat1.table_rows(&table);
        let rows = match analyzed {
            Some(n) => Some(n),
            None if bytes.unwrap_or(pages.database_bytes()) <= COUNT_LIMIT_BYTES => {
                Some(facts::count_rows(conn, &table)?)
            }
            None => None,
        };
        if let Some(n) = rows {
            s.gauge(
                "table_rows",
                &format!(
                    "Rows of the table: from sqlite_stat1 where ANALYZE has run, else \
                     count(*) for tables up to {} (larger ones are left out).",
                    format::bytes(COUNT_LIMIT_BYTES)
                ),
                &[("table", &table)],
                n as f64,
            );
        }
        table_rows.push(vec![
            Value::from(table.as_str()),
            rows.map_or(Value::Null, Value::Int),
            bytes.map_or(Value::Null, Value::Int),
            Value::Bool(analyzed.is_some()),
        ]);
        for index in facts::indexes(conn, &table)? {
            let bytes = size(&index.name);
            if let Some(b) = bytes {
                s.gauge(
                    "index_size_bytes",
                    "Bytes of the index's pages (dbstat).",
                    &[("index", &index.name), ("table", &table)],
                    b as f64,
                );
            }
            index_rows.push(vec![
                Value::from(index.name.as_str()),
                Value::from(table.as_str()),
                Value::from(index.columns_text()),
                Value::Bool(index.unique),
                Value::from(index.origin.as_str()),
                bytes.map_or(Value::Null, Value::Int),
            ]);
        }
    }
    s.table(
        "tables",
        &["table", "rows", "bytes", "has_stat1"],
        table_rows,
    );
    s.table(
        "indexes",
        &["index", "table", "columns", "unique", "origin", "bytes"],
        index_rows,
    );
    Ok(())
}

/// Names and values of a snapshot's samples, for the tests.
#[cfg(test)]
pub fn values(s: Snapshot) -> std::collections::HashMap<String, f64> {
    s.into_abi()
        .samples
        .iter()
        .map(|m| {
            let labels: Vec<String> = m
                .labels
                .iter()
                .map(|t| format!("{}={}", t.0, t.1))
                .collect();
            let key = if labels.is_empty() {
                m.name.to_string()
            } else {
                format!("{}{{{}}}", m.name, labels.join(","))
            };
            (key, m.value)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_memory_database_has_no_wal_and_counted_rows() {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT UNIQUE); \
             INSERT INTO t (a) VALUES ('x'), ('y');",
        )
        .unwrap();
        let snap = metrics(&c).unwrap();
        let abi = snap.clone().into_abi();
        assert_eq!(abi.notes.len(), 1, "{:?}", abi.notes);
        assert_eq!(abi.notes[0].as_str(), NO_STATEMENT_STATISTICS);
        let v = values(snap);
        assert_eq!(v["connections"], 1.0);
        assert!(!v.contains_key("wal_size_bytes"));
        assert_eq!(v["table_rows{table=t}"], 2.0);
        assert_eq!(v["free_ratio"], 0.0);
        assert!(v.contains_key("index_size_bytes{index=sqlite_autoindex_t_1,table=t}"));
        let names: Vec<&str> = abi.tables.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["tables", "indexes"]);
    }
}
