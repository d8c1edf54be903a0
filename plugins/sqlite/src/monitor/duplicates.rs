//! `duplicate-index`: indexes another index (or the rowid) already serves.
//!
//! An index is redundant when its key columns (with their order and collation) are the
//! leading columns of another index that covers every row: lookups by its columns can use
//! the other one. A unique index is redundant only beside a unique index on exactly its
//! columns. An index that backs a UNIQUE or PRIMARY KEY constraint (origin `u` or `pk`) is
//! never proposed for dropping, nor is a partial or expression index.

use super::facts::Index;
use super::format::{bytes, ident};
use myrmex_plugin::monitor::Advice;
use std::collections::HashMap;

/// The redundant indexes of `table`; `rowid` is its INTEGER PRIMARY KEY column, if any;
/// `sizes` the bytes of indexes by name, when known.
pub fn duplicates(
    table: &str,
    indexes: &[Index],
    rowid: Option<&str>,
    sizes: Option<&HashMap<String, i64>>,
) -> Vec<Advice> {
    let mut out = Vec::new();
    for a in indexes.iter().filter(|i| droppable(i)) {
        let size = sizes.and_then(|s| s.get(&a.name).copied());
        let only_rowid = match (rowid, a.keys.as_slice()) {
            (Some(r), [k]) => k
                .column
                .as_deref()
                .is_some_and(|c| c.eq_ignore_ascii_case(r)),
            _ => false,
        };
        if only_rowid {
            let why = format!(
                "{} ({}) indexes {table}'s INTEGER PRIMARY KEY, which is the rowid: lookups by \
                 it never need an index",
                a.name,
                a.columns_text()
            );
            out.push(advice(table, a, why, size));
            continue;
        }
        let Some(b) = indexes.iter().find(|b| covers(b, a)) else {
            continue;
        };
        let how = if b.keys.len() == a.keys.len() {
            "has the same columns as"
        } else {
            "has the leading columns of"
        };
        let why = format!(
            "{} ({}) {how} {} ({}){}",
            a.name,
            a.columns_text(),
            b.name,
            b.columns_text(),
            if b.backs_constraint() {
                ", which backs a constraint"
            } else {
                ""
            }
        );
        out.push(advice(table, a, why, size));
    }
    out
}

/// True for an index that may be dropped: made by `CREATE INDEX`, on plain columns, over
/// every row.
fn droppable(i: &Index) -> bool {
    !i.backs_constraint() && !i.partial && i.keys.iter().all(|k| k.column.is_some())
}

/// True when `b` serves every lookup `a` serves, and of two equal indexes that may both be
/// dropped, `a` is the one to drop (the later name).
fn covers(b: &Index, a: &Index) -> bool {
    if b.name == a.name || b.partial || b.keys.len() < a.keys.len() {
        return false;
    }
    if b.keys[..a.keys.len()] != a.keys[..] {
        return false;
    }
    let same = b.keys.len() == a.keys.len();
    if a.unique && !(b.unique && same) {
        return false;
    }
    if same && droppable(b) && b.unique == a.unique {
        return a.name > b.name;
    }
    true
}

fn advice(table: &str, a: &Index, why: String, size: Option<i64>) -> Advice {
    let mut gain = format!("writes to {table} maintain one index less");
    if let Some(b) = size {
        gain.push_str(&format!("; frees {} for reuse", bytes(b)));
    }
    Advice {
        kind: "duplicate-index".into(),
        object: a.name.clone(),
        message: format!(
            "Drop index {} of {table}: another index serves its lookups.",
            a.name
        ),
        evidence: why,
        expected_gain: gain,
        risk: format!(
            "Statements that name {} (INDEXED BY) fail once it is gone, and the planner may \
             read a wider index for the same lookups. DROP INDEX takes the write lock briefly.",
            a.name
        ),
        statements: vec![format!("DROP INDEX {}", ident(&a.name))],
        safe: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::facts;
    use rusqlite::Connection;

    fn dropped(sql: &str, table: &str) -> Vec<String> {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch(sql).unwrap();
        let ix = facts::indexes(&c, table).unwrap();
        let rowid = facts::rowid_alias(&c, table, &ix).unwrap();
        duplicates(table, &ix, rowid.as_deref(), None)
            .into_iter()
            .map(|a| {
                assert!(!a.safe);
                a.statements[0].clone()
            })
            .collect()
    }

    #[test]
    fn prefixes_and_twins_but_never_constraints() {
        let mut found = dropped(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, a, b, c, e UNIQUE); \
             CREATE INDEX t_a ON t (a); CREATE INDEX t_ab ON t (a, b); \
             CREATE INDEX t_ab2 ON t (a, b); CREATE INDEX t_b_desc ON t (b DESC); \
             CREATE INDEX t_b ON t (b, c); CREATE INDEX t_e ON t (e); \
             CREATE INDEX t_id ON t (id); CREATE INDEX t_c ON t (c) WHERE c > 0; \
             CREATE INDEX t_cc ON t (c, c + 1);",
            "t",
        );
        found.sort();
        assert_eq!(
            found,
            [
                "DROP INDEX t_a",
                "DROP INDEX t_ab2",
                "DROP INDEX t_e",
                "DROP INDEX t_id"
            ]
        );
    }

    #[test]
    fn unique_indexes_and_constraint_indexes() {
        // The UNIQUE constraint's index is kept; the plain index beside it goes.
        let mut found = dropped(
            "CREATE TABLE u (a, b, UNIQUE (a, b)); CREATE INDEX u_a ON u (a); \
             CREATE UNIQUE INDEX u_ab ON u (a, b); CREATE UNIQUE INDEX u_a_uq ON u (a);",
            "u",
        );
        found.sort();
        assert_eq!(found, ["DROP INDEX u_a", "DROP INDEX u_ab"]);
        // A WITHOUT ROWID table's primary key serves its prefix; the key itself stays.
        let found = dropped(
            "CREATE TABLE w (k1, k2, v, PRIMARY KEY (k1, k2)) WITHOUT ROWID; \
             CREATE INDEX w_k1 ON w (k1);",
            "w",
        );
        assert_eq!(found, ["DROP INDEX w_k1"]);
        assert!(dropped("CREATE TABLE p (a UNIQUE, b PRIMARY KEY)", "p").is_empty());
    }
}
