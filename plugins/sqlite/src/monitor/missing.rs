//! `missing-index`: indexes the workload's statements would use, each proven before it is
//! proposed.
//!
//! A statement qualifies when it is a simple lookup on one table of more than
//! [`MIN_ROWS`] rows (see [`super::predicates`]) and `EXPLAIN QUERY PLAN` shows it reading
//! the whole table (`SCAN t`). The candidate index holds its equality columns, then one
//! range column. It is proposed only when, on a copy of the table ([`super::proof`]), the
//! plan becomes `SEARCH t USING INDEX …`; the statement's run time on the copy before and
//! after the index is the evidence. A candidate that cannot be proven (the copy cannot be
//! made, the statement fails on it) is not proposed.

use super::facts::{self, Index};
use super::format::{bytes, count, ident, millis};
use super::predicates::{self, ColumnRef, Lookup};
use super::proof::{self, SAMPLE_ROWS};
use crate::catalog;
use myrmex_plugin::monitor::Advice;
use myrmex_plugin::sql::{statement_spans, Flavor};
use myrmex_plugin::PluginError;
use rusqlite::Connection;
use std::collections::HashSet;

type Result<T> = std::result::Result<T, PluginError>;

/// Smaller tables are read whole quickly enough: no index is proposed for them.
pub const MIN_ROWS: i64 = 10_000;

/// Building an index on a table this large holds the write lock long enough that the
/// advice is not marked safe.
pub const SAFE_ROWS: i64 = 1_000_000;

/// At most this many equality columns go into a candidate.
const MAX_EQUAL_COLUMNS: usize = 3;

/// The statement as evidence shows it, at most this many characters.
const STATEMENT_CHARS: usize = 200;

/// The proven missing indexes of the workload's statements, one per table and column list.
pub fn missing_indexes(conn: &Connection, workload: &[String]) -> Result<Vec<Advice>> {
    let tables = facts::tables(conn)?;
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for text in workload {
        let statements = statement_spans(text, Flavor::Sqlite);
        let [(_, sql)] = statements.as_slice() else {
            continue;
        };
        let Some(lookup) = predicates::lookup(sql) else {
            continue;
        };
        let Some(table) = tables
            .iter()
            .find(|t| t.eq_ignore_ascii_case(&lookup.table))
        else {
            continue;
        };
        let columns = candidate(conn, table, &lookup)?;
        if columns.is_empty() {
            continue;
        }
        let key = (
            table.to_lowercase(),
            columns.iter().map(|c| c.to_lowercase()).collect::<Vec<_>>(),
        );
        if seen.contains(&key) {
            continue;
        }
        let indexes = facts::indexes(conn, table)?;
        if indexes.iter().any(|i| leads_with(i, &columns)) {
            continue;
        }
        // A statement SQLite cannot plan here (a missing function, a typo) is left out.
        let Ok(now) = proof::plan(conn, sql) else {
            continue;
        };
        if !proof::scans(&now, lookup.plan_name()) {
            continue;
        }
        let rows = facts::count_rows(conn, table)?;
        if rows <= MIN_ROWS {
            continue;
        }
        seen.insert(key);
        let name = index_name(conn, table, &columns)?;
        let candidate = Candidate {
            table,
            columns: &columns,
            name: &name,
            sql,
            plan_name: lookup.plan_name(),
            rows,
            now: &now,
        };
        if let Ok(Some(advice)) = candidate.prove(conn) {
            out.push(advice);
        }
    }
    Ok(out)
}

/// The columns of the candidate index: the statement's equality columns, then one range
/// column, as the table names them; columns of other tables and unknown names left out.
fn candidate(conn: &Connection, table: &str, lookup: &Lookup) -> Result<Vec<String>> {
    let known: Vec<String> = catalog::columns(conn, "main", table)?
        .into_iter()
        .map(|c| c.name)
        .collect();
    let resolve = |c: &ColumnRef| -> Option<String> {
        let ours = c.qualifier.as_deref().is_none_or(|q| {
            q.eq_ignore_ascii_case(table) || lookup.alias.as_deref().is_some_and(|a| a == q)
        });
        ours.then(|| {
            known
                .iter()
                .find(|k| k.eq_ignore_ascii_case(&c.name))
                .cloned()
        })
        .flatten()
    };
    let mut columns: Vec<String> = Vec::new();
    for c in lookup.equal.iter().filter_map(resolve) {
        if columns.len() < MAX_EQUAL_COLUMNS && !columns.contains(&c) {
            columns.push(c);
        }
    }
    if let Some(c) = lookup
        .range
        .iter()
        .filter_map(resolve)
        .find(|c| !columns.contains(c))
    {
        columns.push(c);
    }
    Ok(columns)
}

/// True when `index` already starts with `columns`: the candidate would duplicate it.
fn leads_with(index: &Index, columns: &[String]) -> bool {
    !index.partial
        && index.keys.len() >= columns.len()
        && index.keys.iter().zip(columns).all(|(k, c)| {
            k.column
                .as_deref()
                .is_some_and(|name| name.eq_ignore_ascii_case(c))
        })
}

/// `ix_<table>_<columns>`, letters, digits and `_` only, numbered when the name is taken.
fn index_name(conn: &Connection, table: &str, columns: &[String]) -> Result<String> {
    let base: String = format!("ix_{table}_{}", columns.join("_"))
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let mut name = base.clone();
    for n in 2.. {
        let taken: i64 = conn
            .query_row(
                "SELECT count(*) FROM main.sqlite_schema WHERE name = ?1 COLLATE NOCASE",
                [&name],
                |r| r.get(0),
            )
            .map_err(crate::error::map)?;
        if taken == 0 {
            break;
        }
        name = format!("{base}_{n}");
    }
    Ok(name)
}

/// An index to prove.
struct Candidate<'a> {
    table: &'a str,
    columns: &'a [String],
    name: &'a str,
    /// The workload statement.
    sql: &'a str,
    /// The table's name in query plans (its alias in the statement, if any).
    plan_name: &'a str,
    /// The table's rows.
    rows: i64,
    /// The statement's plan on the real database.
    now: &'a [String],
}

impl Candidate<'_> {
    /// `CREATE INDEX …`.
    fn statement(&self) -> String {
        let columns: Vec<String> = self.columns.iter().map(|c| ident(c)).collect();
        format!(
            "CREATE INDEX {} ON {} ({})",
            ident(self.name),
            ident(self.table),
            columns.join(", ")
        )
    }

    /// The advice, when the copy shows the statement using the index.
    fn prove(&self, conn: &Connection) -> Result<Option<Advice>> {
        let create = self.statement();
        let copy = proof::copy(conn, self.table, self.rows, SAMPLE_ROWS)?;
        let before = copy.run(self.sql)?;
        let build = copy.apply(&create)?;
        let after = copy.run(self.sql)?;
        if !proof::searches(&after.plan, self.plan_name, self.name) {
            return Ok(None);
        }
        let index_bytes = copy.index_bytes(self.name);
        let sampled = self.rows > SAMPLE_ROWS;
        let scale = if sampled && copy.rows > 0 {
            self.rows as f64 / copy.rows as f64
        } else {
            1.0
        };

        let what = if sampled {
            format!(
                "a copy of {} holding a random sample of {} of its {} rows",
                self.table,
                count(copy.rows),
                count(self.rows)
            )
        } else {
            format!("a copy of {} ({} rows)", self.table, count(copy.rows))
        };
        let evidence = format!(
            "EXPLAIN QUERY PLAN now: {}. On {what}: without the index {} in {} (median of {} \
             runs); with it {} in {} (median of {} runs). Statement: {}",
            self.now.join("; "),
            before.plan.join("; "),
            millis(before.median),
            before.runs,
            after.plan.join("; "),
            millis(after.median),
            after.runs,
            shorten(self.sql),
        );
        let speedup = before.median.as_secs_f64() / after.median.as_secs_f64().max(1e-9);
        let mut expected_gain = format!(
            "this statement about {speedup:.0}× faster ({} → {} on the copy)",
            millis(before.median),
            millis(after.median)
        );
        if let Some(b) = index_bytes {
            expected_gain.push_str(&format!(
                "; the index takes about {} on disk",
                bytes((b as f64 * scale) as i64)
            ));
        }
        let build_text = millis(build.mul_f64(scale));
        let safe = self.rows < SAFE_ROWS;
        let risk = if safe {
            format!(
                "CREATE INDEX holds the database's write lock while it builds (about {build_text} \
                 on the copy): other writers wait, readers go on in WAL mode. It changes no \
                 data; writes to {} maintain one more index.",
                self.table
            )
        } else {
            format!(
                "CREATE INDEX holds the database's write lock while it builds, and on {} rows \
                 that is long (about {build_text} on the copy{}): other writers wait or time \
                 out, so run it at a quiet time. It changes no data; writes to {} maintain one \
                 more index.",
                count(self.rows),
                if sampled { ", scaled to the table" } else { "" },
                self.table
            )
        };
        Ok(Some(Advice {
            kind: "missing-index".into(),
            object: self.table.to_string(),
            message: format!(
                "Create an index on {} ({}): the statement reads the whole table now.",
                self.table,
                self.columns.join(", ")
            ),
            evidence,
            expected_gain,
            risk,
            statements: vec![create],
            safe,
        }))
    }
}

/// `sql` on one line, cut to [`STATEMENT_CHARS`] characters.
fn shorten(sql: &str) -> String {
    let one_line = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= STATEMENT_CHARS {
        return one_line;
    }
    let cut: String = one_line.chars().take(STATEMENT_CHARS).collect();
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(c: &Connection, rows: i64) {
        c.execute_batch(&format!(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, customer_id INT, status TEXT, at INT); \
             CREATE INDEX t_status ON t (status); \
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rows}) \
             INSERT INTO t (customer_id, status, at) SELECT i % 5000, 's' || (i % 3), i FROM n;"
        ))
        .unwrap();
    }

    fn advise(c: &Connection, sql: &str) -> Vec<Advice> {
        missing_indexes(c, &[sql.to_string()]).unwrap()
    }

    #[test]
    fn candidates_resolve_names_and_skip_other_tables() {
        let c = Connection::open_in_memory().unwrap();
        table(&c, 10);
        let l = predicates::lookup(
            "SELECT * FROM t AS x WHERE x.CUSTOMER_ID = 1 AND y.status = 'a' AND at > 5 \
             AND nope = 1 AND at < 9",
        )
        .unwrap();
        assert_eq!(candidate(&c, "t", &l).unwrap(), ["customer_id", "at"]);
        assert_eq!(index_name(&c, "t", &["a b".into()]).unwrap(), "ix_t_a_b");
        c.execute_batch("CREATE INDEX ix_t_a_b ON t (at)").unwrap();
        assert_eq!(index_name(&c, "t", &["a b".into()]).unwrap(), "ix_t_a_b_2");
        let ix = facts::indexes(&c, "t").unwrap();
        assert!(ix.iter().any(|i| leads_with(i, &["STATUS".into()])));
        assert!(!ix.iter().any(|i| leads_with(i, &["customer_id".into()])));
        assert_eq!(shorten("SELECT\n  1"), "SELECT 1");
        assert!(shorten(&"x ".repeat(300)).ends_with('…'));
    }

    #[test]
    fn proven_on_a_copy_or_not_proposed() {
        let c = Connection::open_in_memory().unwrap();
        table(&c, 20_000);
        let found = advise(&c, "SELECT * FROM t WHERE customer_id = 42 AND at >= ?");
        assert_eq!(found.len(), 1, "{found:?}");
        let a = &found[0];
        assert_eq!(a.kind, "missing-index");
        assert_eq!(
            a.statements,
            ["CREATE INDEX ix_t_customer_id_at ON t (customer_id, at)"]
        );
        assert!(a.safe);
        assert!(
            a.evidence.contains("EXPLAIN QUERY PLAN now: SCAN t"),
            "{}",
            a.evidence
        );
        assert!(
            a.evidence.contains("USING INDEX ix_t_customer_id_at"),
            "{}",
            a.evidence
        );
        assert!(a.evidence.contains("20,000 rows"), "{}", a.evidence);

        // Already indexed, too small, not a lookup, or not plannable: nothing.
        assert!(advise(&c, "SELECT * FROM t WHERE status = 's1'").is_empty());
        assert!(advise(&c, "SELECT * FROM t WHERE id = 3").is_empty());
        assert!(advise(&c, "SELECT * FROM t WHERE at + 1 = 3").is_empty());
        assert!(advise(&c, "SELECT * FROM t WHERE customer_id = no_such_fn()").is_empty());
        assert!(advise(&c, "SELECT 1; SELECT * FROM t WHERE customer_id = 1").is_empty());
        let small = Connection::open_in_memory().unwrap();
        table(&small, 100);
        assert!(advise(&small, "SELECT * FROM t WHERE customer_id = 42").is_empty());

        // The same index for two statements is proposed once.
        let twice = missing_indexes(
            &c,
            &[
                "SELECT * FROM t WHERE customer_id = 1".into(),
                "DELETE FROM t WHERE customer_id IN (1, 2)".into(),
            ],
        )
        .unwrap();
        assert_eq!(twice.len(), 1, "{twice:?}");
    }
}
