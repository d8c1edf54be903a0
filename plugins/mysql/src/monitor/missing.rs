//! `missing-index` advice, proven before it is given (see [`super::proof`]).
//!
//! Candidates come from the client's workload and, when `performance_schema` is ON, from
//! the statement digests that ran without an index: each simple single-table statement
//! (see [`super::predicate`]) whose leading column no index of its table starts with. A
//! digest has no values: only its equalities are proven, with values sampled from the table.

use super::indexes::Index;
use super::numbers::thousands;
use super::predicate::{shape, Shape, Use};
use super::proof::{prove, Candidate, Proof};
use super::read::{in_scope, qualified, quote, rows, text};
use crate::error::map;
use myrmex_plugin::monitor::Advice;
use myrmex_plugin::{ErrorKind, PluginError};
use mysql::prelude::Queryable;
use mysql::Conn;

/// Statements of the workload looked at at most.
const WORKLOAD: usize = 50;
/// Candidates proven at most (each proof copies a table).
const PROOFS: usize = 5;
/// Key parts of a proposed index at most.
const KEY_PARTS: usize = 3;

/// The `missing-index` advice for `workload` (and the server's statement digests when
/// `digests`), given the indexes of the databases looked at.
pub fn advise(
    conn: &mut Conn,
    workload: &[String],
    digests: bool,
    indexes: &[Index],
) -> Result<Vec<Advice>, PluginError> {
    let mut out = Vec::new();
    let mut proofs = 0;
    for c in candidates(conn, workload, digests)? {
        if proofs == PROOFS {
            break;
        }
        let covered = indexes.iter().any(|i| {
            i.schema == c.schema
                && i.table.eq_ignore_ascii_case(&c.shape.table)
                && i.columns
                    .first()
                    .is_some_and(|f| f.eq_ignore_ascii_case(&c.columns[0]))
        });
        if covered {
            continue;
        }
        match prove(conn, &c, &mut proofs) {
            Ok(Some(proof)) => out.push(advice(&c, &proof)),
            Ok(None) => {}
            // A statement that does not fit this table (a column it lacks, a value of the
            // wrong kind) proves nothing; the session's own failures still count.
            Err(e) if e.kind == ErrorKind::CLOSED || e.kind == ErrorKind::CONNECTION => {
                return Err(e)
            }
            Err(_) => {}
        }
    }
    Ok(out)
}

/// The candidates of the workload, then of the digests, one per table and columns.
fn candidates(
    conn: &mut Conn,
    workload: &[String],
    digests: bool,
) -> Result<Vec<Candidate>, PluginError> {
    let current: Option<String> = conn
        .query_first("SELECT DATABASE()")
        .map_err(map)?
        .flatten();
    let mut found: Vec<Candidate> = Vec::new();
    for sql in workload.iter().take(WORKLOAD) {
        let source = format!("the workload's `{}`", sql.trim());
        add(&mut found, candidate(current.clone(), sql, source));
    }
    if !digests {
        return Ok(found);
    }
    let sql = format!(
        "SELECT SCHEMA_NAME, DIGEST_TEXT \
         FROM performance_schema.events_statements_summary_by_digest \
         WHERE SUM_NO_INDEX_USED > 0 AND DIGEST_TEXT IS NOT NULL AND {} \
         ORDER BY SUM_TIMER_WAIT DESC LIMIT 20",
        in_scope("SCHEMA_NAME")
    );
    // Without the grant to read performance_schema, the workload alone is looked at.
    let read = match rows(conn, &sql, Vec::new()) {
        Err(e) if e.kind == ErrorKind::PERMISSION => Vec::new(),
        other => other?,
    };
    for r in read {
        if let Some(digest) = r.get(1).and_then(text) {
            let source = format!("the statement digest `{}`", digest.trim());
            add(
                &mut found,
                candidate(r.first().and_then(text), &digest, source),
            );
        }
    }
    Ok(found)
}

/// Adds `c` unless one for the same table and columns is there.
fn add(found: &mut Vec<Candidate>, c: Option<Candidate>) {
    let Some(c) = c else { return };
    let seen = found.iter().any(|f| {
        f.schema == c.schema
            && f.shape.table.eq_ignore_ascii_case(&c.shape.table)
            && f.columns == c.columns
    });
    if !seen {
        found.push(c);
    }
}

/// The candidate of statement `sql` run in database `schema`, if it is a simple one.
fn candidate(schema: Option<String>, sql: &str, source: String) -> Option<Candidate> {
    let shape = shape(sql)?;
    let schema = shape.schema.clone().or(schema)?;
    // A digest has no values: only its equalities can be proven, with sampled values.
    let columns = if shape.has_placeholders() {
        Shape {
            conditions: shape
                .conditions
                .iter()
                .filter(|c| c.used == Use::Equality)
                .cloned()
                .collect(),
            ..shape.clone()
        }
        .index_columns(KEY_PARTS)
    } else {
        shape.index_columns(KEY_PARTS)
    };
    (!columns.is_empty()).then_some(Candidate {
        schema,
        shape,
        columns,
        source,
    })
}

/// The advice a proof gives.
fn advice(c: &Candidate, p: &Proof) -> Advice {
    let (t, ix, before, after, sample) = (&p.table, &p.index, &p.before, &p.after, p.sample);
    let table = format!("{}.{}", c.schema, c.shape.table);
    let key = t.key.join(", ");
    let online = t.engine.eq_ignore_ascii_case("InnoDB");
    let copy = match sample {
        Some(n) => format!(
            "a scratch copy of the first {} of ~{} rows (a sample)",
            thousands(n as f64),
            thousands(t.rows)
        ),
        None => "a scratch copy".to_string(),
    };
    let scanned = sample.map_or(before.rows, |n| n as f64);
    let key_quoted = t
        .key
        .iter()
        .map(|k| quote(k))
        .collect::<Vec<_>>()
        .join(", ");
    let mut statement = format!(
        "ALTER TABLE {} ADD INDEX {} ({key_quoted})",
        qualified(&c.schema, &c.shape.table),
        quote(ix)
    );
    if online {
        statement.push_str(", ALGORITHM=INPLACE, LOCK=NONE");
    }
    Advice {
        kind: "missing-index".into(),
        object: table.clone(),
        message: format!("Add index {ix} on {table} ({key}) for {}.", c.source),
        evidence: format!(
            "full scan of {} rows (EXPLAIN access_type {}); with the index on {copy}: {} on \
             {ix} ({key}), {} rows",
            thousands(before.rows),
            before.access,
            after.access,
            thousands(after.rows)
        ),
        expected_gain: format!(
            "rows examined per execution: {} → {} (~{}× fewer)",
            thousands(scanned),
            thousands(after.rows),
            thousands(p.gain)
        ),
        risk: if online {
            format!(
                "the index takes disk and buffer pool space and makes writes to {table} a \
                 little slower; building it reads the whole table while writes go on (a \
                 brief metadata lock at its start and end); replicas build it too"
            )
        } else {
            format!(
                "{} cannot build indexes online: writes to {table} wait while it builds; the \
                 index takes space and makes writes a little slower",
                t.engine
            )
        },
        statements: vec![statement],
        safe: online,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_take_their_database_and_digests_keep_equalities() {
        let c = candidate(
            Some("d".into()),
            "SELECT * FROM t WHERE a > 1 AND b = 2",
            "w".into(),
        )
        .unwrap();
        assert_eq!(
            (c.schema.as_str(), c.columns.clone()),
            ("d", vec!["b".into(), "a".into()])
        );
        let c = candidate(None, "SELECT * FROM x.t WHERE a = 1", "w".into()).unwrap();
        assert_eq!(c.schema, "x");
        assert!(candidate(None, "SELECT * FROM t WHERE a = 1", "w".into()).is_none());
        let d = candidate(
            Some("d".into()),
            "SELECT * FROM `t` WHERE `a` > ? AND `b` = ?",
            "g".into(),
        )
        .unwrap();
        assert_eq!(d.columns, ["b"]);
        assert!(candidate(
            Some("d".into()),
            "SELECT * FROM `t` WHERE `a` > ?",
            "g".into()
        )
        .is_none());
        let mut found = Vec::new();
        add(
            &mut found,
            candidate(Some("d".into()), "SELECT * FROM t WHERE b = 1", "1".into()),
        );
        add(
            &mut found,
            candidate(Some("d".into()), "DELETE FROM T WHERE b = 2", "2".into()),
        );
        assert_eq!(found.len(), 1);
    }
}
