//! `stale-statistics` and `optimize`: the planner's statistics in `sqlite_stat1`.
//!
//! `ANALYZE` records each index's row count and selectivity; the planner chooses indexes by
//! them. They are missing when an index of a non-empty table has no `sqlite_stat1` row
//! (`ANALYZE` writes none for an empty table or an empty partial index, so those are not
//! counted), and stale when the recorded row count is off by more than [`STALE_FACTOR`]
//! from `count(*)`.

use super::facts::{Index, Stat1};
use super::format::{count, ident};
use myrmex_plugin::monitor::Advice;

/// Statistics whose row count is off by more than this factor are stale.
pub const STALE_FACTOR: i64 = 2;

/// The indexes of a non-empty `table` (`rows` rows) that have no statistics.
pub fn unanalyzed<'a>(
    table: &str,
    indexes: &'a [Index],
    rows: i64,
    stat1: &Stat1,
) -> Vec<&'a Index> {
    if rows == 0 {
        return Vec::new();
    }
    indexes
        .iter()
        .filter(|i| !i.partial && !stat1.has_index(table, &i.name))
        .collect()
}

/// `ANALYZE table` when the statistics of `table` (`rows` rows, by `count(*)`) are missing
/// or stale.
pub fn stale(table: &str, indexes: &[Index], rows: i64, stat1: &Stat1) -> Option<Advice> {
    if indexes.is_empty() {
        return None;
    }
    let missing = unanalyzed(table, indexes, rows, stat1);
    let evidence = if !missing.is_empty() {
        let names: Vec<&str> = missing.iter().map(|i| i.name.as_str()).collect();
        format!(
            "no sqlite_stat1 row for {} of {table} ({} rows): the planner guesses their \
             selectivity",
            names.join(", "),
            count(rows)
        )
    } else {
        let recorded = stat1.table_rows(table)?;
        let (low, high) = (recorded.min(rows), recorded.max(rows));
        if high <= low.max(1).saturating_mul(STALE_FACTOR) {
            return None;
        }
        format!(
            "sqlite_stat1 records {} rows for {table}, count(*) finds {}",
            count(recorded),
            count(rows)
        )
    };
    Some(Advice {
        kind: "stale-statistics".into(),
        object: table.to_string(),
        message: format!("Run ANALYZE on {table} so the planner sees its current data."),
        evidence,
        expected_gain: "index choices based on the table's real size and selectivity".into(),
        risk: "ANALYZE reads the table's indexes and takes the write lock briefly to store \
               its results; it changes no data. On a very large table set PRAGMA \
               analysis_limit first to bound the reading."
            .into(),
        statements: vec![format!("ANALYZE {}", ident(table))],
        safe: true,
    })
}

/// `PRAGMA optimize`, always offered; `unanalyzed` names the tables it would analyze now.
pub fn optimize(unanalyzed: &[String]) -> Advice {
    let evidence = if unanalyzed.is_empty() {
        "every index of a non-empty table has statistics: it has nothing to do now, and \
         re-analyzes tables whose size changed tenfold since"
            .to_string()
    } else {
        format!(
            "it would run ANALYZE on {}, whose indexes have no statistics",
            unanalyzed.join(", ")
        )
    };
    Advice {
        kind: "optimize".into(),
        object: "database".into(),
        message: "Run PRAGMA optimize now and then (and before closing long-lived \
                  connections): it analyzes the tables that need it."
            .into(),
        evidence,
        expected_gain: "up-to-date statistics for the planner at a bounded cost".into(),
        risk: "It runs ANALYZE with a row limit on the tables it picks: brief reads and the \
               write lock while it stores the results; it changes no data."
            .into(),
        statements: vec!["PRAGMA optimize".into()],
        safe: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::facts;
    use rusqlite::Connection;

    fn check(c: &Connection, table: &str) -> Option<Advice> {
        let ix = facts::indexes(c, table).unwrap();
        let rows = facts::count_rows(c, table).unwrap();
        stale(table, &ix, rows, &facts::stat1(c).unwrap())
    }

    #[test]
    fn missing_then_fresh_then_stale() {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch(
            "CREATE TABLE t (a, b); CREATE INDEX t_a ON t (a); \
             CREATE INDEX t_p ON t (b) WHERE b > 100; CREATE TABLE n (x); \
             CREATE TABLE e (x); CREATE INDEX e_x ON e (x); \
             WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 100) \
             INSERT INTO t SELECT i, i FROM s;",
        )
        .unwrap();
        let a = check(&c, "t").unwrap();
        assert_eq!(a.statements, ["ANALYZE t"]);
        assert!(a.safe);
        assert!(
            a.evidence.contains("t_a") && !a.evidence.contains("t_p"),
            "{}",
            a.evidence
        );
        assert!(check(&c, "n").is_none(), "no indexes");
        assert!(check(&c, "e").is_none(), "empty");

        c.execute_batch("ANALYZE").unwrap();
        assert!(check(&c, "t").is_none(), "fresh");
        c.execute_batch(
            "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 150) \
             INSERT INTO t SELECT i, i FROM s;",
        )
        .unwrap();
        let a = check(&c, "t").unwrap();
        assert_eq!(
            a.evidence,
            "sqlite_stat1 records 100 rows for t, count(*) finds 250"
        );
        c.execute_batch("DELETE FROM t WHERE rowid > 40").unwrap();
        assert!(check(&c, "t").is_some(), "shrunk: 100 recorded, 40 found");
    }

    #[test]
    fn optimize_says_what_it_would_do() {
        let a = optimize(&["t".into(), "u".into()]);
        assert_eq!(a.statements, ["PRAGMA optimize"]);
        assert!(a.safe && a.evidence.contains("t, u"));
        assert!(optimize(&[]).evidence.starts_with("every index"));
    }
}
