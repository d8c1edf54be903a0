//! Proving an index on a copy of its table: the statement's query plan and run time before
//! and after the index, in a scratch database beside nothing real.
//!
//! The copy is made in a scratch file of the temporary directory, on a connection of its
//! own: the table is created from the `CREATE TABLE` statement SQLite keeps (in the scratch
//! file it is again in `main`, so the statement runs there as written), its rows are copied
//! (a random sample above [`SAMPLE_ROWS`]), and its indexes are recreated. The real
//! database is only read.

use super::facts;
use crate::error::map;
use myrmex_plugin::sql::quote_ident;
use myrmex_plugin::{ConnectOptions, PluginError};
use rusqlite::types::ToSqlOutput;
use rusqlite::{params_from_iter, Connection};
use std::time::{Duration, Instant};

type Result<T> = std::result::Result<T, PluginError>;

/// Tables larger than this are sampled: the copy holds about this many rows.
pub const SAMPLE_ROWS: i64 = 2_000_000;

/// Each timing runs the statement at most this many times…
const MAX_RUNS: usize = 7;

/// …at least this many…
const MIN_RUNS: usize = 3;

/// …and stops early once the runs took this long.
const TIME_BUDGET: Duration = Duration::from_secs(2);

/// A table copied into a scratch database.
pub struct TableCopy {
    conn: Connection,
    /// The rows copied.
    pub rows: i64,
    /// The scratch database's options, to remove it.
    file: ConnectOptions,
}

impl Drop for TableCopy {
    fn drop(&mut self) {
        // Nothing can be done about a scratch file that cannot be removed: it is in the
        // temporary directory.
        let _ = crate::scratch::drop(&self.file);
    }
}

/// What a statement did on the copy.
#[derive(Debug, Clone)]
pub struct Run {
    /// The lines of `EXPLAIN QUERY PLAN`.
    pub plan: Vec<String>,
    /// The median run time.
    pub median: Duration,
    /// How many runs the median is of.
    pub runs: usize,
}

/// Copies `table` of `conn`'s `main` (`total` rows) into a scratch database; above
/// `sample` rows, a random sample of about `sample` rows ([`SAMPLE_ROWS`] for the advice).
pub fn copy(conn: &Connection, table: &str, total: i64, sample: i64) -> Result<TableCopy> {
    let file = crate::scratch::create(&ConnectOptions::default())?;
    let scratch = Connection::open(file.database.as_str()).map_err(map)?;
    let mut copy = TableCopy {
        conn: scratch,
        rows: 0,
        file,
    };
    copy.conn
        .execute_batch(
            "PRAGMA foreign_keys = OFF; PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF",
        )
        .map_err(map)?;
    let create: String = conn
        .query_row(
            "SELECT sql FROM main.sqlite_schema WHERE type = 'table' AND name = ?1",
            [table],
            |r| r.get(0),
        )
        .map_err(map)?;
    copy.conn.execute_batch(&create).map_err(map)?;

    let columns: Vec<String> = facts::stored_columns(conn, table)?
        .iter()
        .map(|c| quote_ident(c, '"'))
        .collect();
    let list = columns.join(", ");
    let quoted = quote_ident(table, '"');
    let mut select = format!("SELECT {list} FROM main.{quoted}");
    if total > sample {
        // Each row is kept with probability sample / total, without sorting.
        select.push_str(&format!(
            " WHERE ((random() % {total}) + {total}) % {total} < {sample}"
        ));
    }
    let insert = format!(
        "INSERT INTO {quoted} ({list}) VALUES ({})",
        vec!["?"; columns.len()].join(", ")
    );
    copy.conn.execute_batch("BEGIN").map_err(map)?;
    {
        let mut read = conn.prepare(&select).map_err(map)?;
        let mut write = copy.conn.prepare(&insert).map_err(map)?;
        let mut rows = read.query([]).map_err(map)?;
        while let Some(row) = rows.next().map_err(map)? {
            let values = (0..columns.len())
                .map(|i| row.get_ref(i).map(ToSqlOutput::Borrowed))
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(map)?;
            write.execute(params_from_iter(values)).map_err(map)?;
            copy.rows += 1;
        }
    }
    copy.conn.execute_batch("COMMIT").map_err(map)?;

    let indexes = crate::catalog::rows(
        conn,
        "SELECT sql FROM main.sqlite_schema WHERE type = 'index' AND tbl_name = ?1 \
         AND sql IS NOT NULL",
        [table],
        |r| r.get::<_, String>(0),
    )?;
    for sql in indexes {
        copy.conn.execute_batch(&sql).map_err(map)?;
    }
    Ok(copy)
}

impl TableCopy {
    /// The statement's plan and median run time on the copy.
    pub fn run(&self, sql: &str) -> Result<Run> {
        let plan = plan(&self.conn, sql)?;
        let started = Instant::now();
        let mut times = Vec::new();
        while times.len() < MAX_RUNS && (times.len() < MIN_RUNS || started.elapsed() < TIME_BUDGET)
        {
            times.push(self.time_once(sql)?);
        }
        times.sort();
        Ok(Run {
            plan,
            median: times[times.len() / 2],
            runs: times.len(),
        })
    }

    /// Runs `sql` once, every row read, in a transaction rolled back after: a statement
    /// that writes leaves the copy as it was.
    fn time_once(&self, sql: &str) -> Result<Duration> {
        self.conn.execute_batch("BEGIN").map_err(map)?;
        let timed = (|| {
            let mut stmt = self.conn.prepare(sql)?;
            let started = Instant::now();
            let mut rows = stmt.raw_query();
            while rows.next()?.is_some() {}
            Ok(started.elapsed())
        })()
        .map_err(map);
        let rolled_back = self.conn.execute_batch("ROLLBACK").map_err(map);
        let time = timed?;
        rolled_back?;
        Ok(time)
    }

    /// The bytes `index` takes in the copy, when `dbstat` can tell.
    pub fn index_bytes(&self, index: &str) -> Option<i64> {
        self.conn
            .query_row(
                "SELECT pgsize FROM dbstat('main', 1) WHERE name = ?1",
                [index],
                |r| r.get(0),
            )
            .ok()
    }

    /// Runs `sql` (a `CREATE INDEX`) on the copy and says how long it took.
    pub fn apply(&self, sql: &str) -> Result<Duration> {
        let started = Instant::now();
        self.conn.execute_batch(sql).map_err(map)?;
        Ok(started.elapsed())
    }
}

/// The lines of `EXPLAIN QUERY PLAN sql` (parameters left unbound: NULL).
pub fn plan(conn: &Connection, sql: &str) -> Result<Vec<String>> {
    let mut stmt = conn
        .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
        .map_err(map)?;
    let mut rows = stmt.raw_query();
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(map)? {
        out.push(row.get::<_, String>(3).map_err(map)?);
    }
    Ok(out)
}

/// True when `plan` reads all of `name` without an index (`SCAN t`).
pub fn scans(plan: &[String], name: &str) -> bool {
    plan.iter().any(|line| {
        line.strip_prefix("SCAN ")
            .is_some_and(|rest| rest.eq_ignore_ascii_case(name))
    })
}

/// True when `plan` looks rows of `name` up through `index`.
pub fn searches(plan: &[String], name: &str, index: &str) -> bool {
    plan.iter().any(|line| {
        let Some(rest) = line.strip_prefix("SEARCH ") else {
            return false;
        };
        let Some(rest) = rest
            .get(..name.len())
            .filter(|n| n.eq_ignore_ascii_case(name))
            .map(|_| &rest[name.len()..])
        else {
            return false;
        };
        [" USING INDEX ", " USING COVERING INDEX "]
            .iter()
            .any(|using| {
                rest.strip_prefix(using).is_some_and(|r| {
                    r.get(..index.len())
                        .is_some_and(|n| n.eq_ignore_ascii_case(index))
                        && r[index.len()..].chars().next().is_none_or(|c| c == ' ')
                })
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_are_read_by_their_lines() {
        let scan = vec!["SCAN t".to_string()];
        assert!(scans(&scan, "T"));
        assert!(!scans(&scan, "tt"));
        assert!(!scans(&["SCAN t USING COVERING INDEX i".into()], "t"));
        let search = vec!["SEARCH o USING INDEX ix_o_a (a=?)".to_string()];
        assert!(searches(&search, "o", "ix_o_a"));
        assert!(!searches(&search, "o", "ix_o"));
        assert!(!searches(&search, "t", "ix_o_a"));
        assert!(searches(
            &["SEARCH t USING COVERING INDEX ix (a>? AND a<?)".into()],
            "t",
            "ix"
        ));
        assert!(!searches(
            &["SEARCH t USING INTEGER PRIMARY KEY (rowid=?)".into()],
            "t",
            "ix"
        ));
    }

    #[test]
    fn a_copy_keeps_rows_indexes_and_plans_and_leaves_no_file() {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch(
            "PRAGMA foreign_keys = OFF; \
             CREATE TABLE t (id INTEGER PRIMARY KEY, a INT, b TEXT UNIQUE, \
             g INT GENERATED ALWAYS AS (a * 2), p INT REFERENCES parent (id)); \
             CREATE INDEX t_a ON t (a); \
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) \
             INSERT INTO t (a, b, p) SELECT i % 10, 'b' || i, 7 FROM n;",
        )
        .unwrap();
        let copy = copy(&c, "t", 500, SAMPLE_ROWS).unwrap();
        let file = copy.file.database.to_string();
        assert_eq!(copy.rows, 500);
        let run = copy.run("SELECT * FROM t WHERE a = 3").unwrap();
        assert!(searches(&run.plan, "t", "t_a"), "{:?}", run.plan);
        assert!((MIN_RUNS..=MAX_RUNS).contains(&run.runs));
        let run = copy.run("SELECT * FROM t WHERE p = ?").unwrap();
        assert!(scans(&run.plan, "t"), "{:?}", run.plan);
        copy.apply("CREATE INDEX t_p ON t (p)").unwrap();
        assert!(searches(
            &copy.run("SELECT * FROM t WHERE p = ?").unwrap().plan,
            "t",
            "t_p"
        ));
        // A statement that writes leaves the copy as it was.
        copy.run("DELETE FROM t WHERE a = 1").unwrap();
        let n: i64 = copy
            .conn
            .query_row("SELECT count(*) FROM t WHERE g = a * 2", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 500);
        assert!(std::path::Path::new(&file).exists());
        drop(copy);
        assert!(!std::path::Path::new(&file).exists());

        let sampled = super::copy(&c, "t", 500, 100).unwrap();
        assert!(
            (30..=250).contains(&sampled.rows),
            "{} of 500",
            sampled.rows
        );
    }
}
