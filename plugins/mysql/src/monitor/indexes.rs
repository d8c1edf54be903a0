//! Index definitions and the advice read from them alone: indexes that repeat another
//! (`duplicate-index`: the same columns, or a prefix of another's) and indexes nothing read
//! since the server started (`unused-index`).
//!
//! An index is never proposed for dropping when it is the primary key, enforces a `UNIQUE`
//! constraint that no identical index also enforces, or backs a foreign key (the index
//! InnoDB checks the key with).

use super::numbers::duration;
use super::read::{in_scope, num, qualified, quote, rows, text};
use myrmex_plugin::monitor::Advice;
use myrmex_plugin::PluginError;
use mysql::Conn;
use std::collections::BTreeMap;

/// An index of a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Index {
    /// The table's database.
    pub schema: String,
    /// The table.
    pub table: String,
    /// The index's name (`PRIMARY` for the primary key).
    pub name: String,
    /// Its key parts in order, lowercased, with a prefix length when it has one (`name(10)`).
    pub columns: Vec<String>,
    /// True for the primary key and unique indexes.
    pub unique: bool,
    /// `BTREE`, `HASH`, `FULLTEXT`, `SPATIAL`.
    pub kind: String,
}

impl Index {
    /// True for the primary key.
    pub fn primary(&self) -> bool {
        self.name == "PRIMARY"
    }

    /// `db.table`.
    pub fn table_name(&self) -> String {
        format!("{}.{}", self.schema, self.table)
    }
}

/// A foreign key of a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignKey {
    /// The table's database.
    pub schema: String,
    /// The table.
    pub table: String,
    /// The constraint's name.
    pub name: String,
    /// Its columns in order, lowercased.
    pub columns: Vec<String>,
}

/// Every index of the databases looked at (see [`in_scope`]), by table, then name.
pub fn read_indexes(conn: &mut Conn) -> Result<Vec<Index>, PluginError> {
    let sql = format!(
        "SELECT TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, NON_UNIQUE, COLUMN_NAME, SUB_PART, \
         INDEX_TYPE FROM information_schema.STATISTICS WHERE {} \
         ORDER BY TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX",
        in_scope("TABLE_SCHEMA")
    );
    let mut out: Vec<Index> = Vec::new();
    for r in rows(conn, &sql, Vec::new())? {
        let t = |i: usize| r.get(i).and_then(text).unwrap_or_default();
        let (schema, table, name) = (t(0), t(1), t(2));
        let column = match (r.get(4).and_then(text), r.get(5).and_then(num)) {
            (Some(c), Some(len)) => format!("{}({len})", c.to_lowercase()),
            (Some(c), None) => c.to_lowercase(),
            // A functional key part: equal to no other.
            (None, _) => format!("<expression of {name}>"),
        };
        match out.last_mut() {
            Some(last) if last.schema == schema && last.table == table && last.name == name => {
                last.columns.push(column)
            }
            _ => out.push(Index {
                unique: r.get(3).and_then(num) == Some(0.0),
                kind: t(6),
                schema,
                table,
                name,
                columns: vec![column],
            }),
        }
    }
    Ok(out)
}

/// Every foreign key of the databases looked at.
pub fn read_foreign_keys(conn: &mut Conn) -> Result<Vec<ForeignKey>, PluginError> {
    let sql = format!(
        "SELECT TABLE_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, COLUMN_NAME \
         FROM information_schema.KEY_COLUMN_USAGE \
         WHERE REFERENCED_TABLE_NAME IS NOT NULL AND {} \
         ORDER BY TABLE_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION",
        in_scope("TABLE_SCHEMA")
    );
    let mut out: Vec<ForeignKey> = Vec::new();
    for r in rows(conn, &sql, Vec::new())? {
        let t = |i: usize| r.get(i).and_then(text).unwrap_or_default();
        let (schema, table, name, column) = (t(0), t(1), t(2), t(3).to_lowercase());
        match out.last_mut() {
            Some(last) if last.schema == schema && last.table == table && last.name == name => {
                last.columns.push(column)
            }
            _ => out.push(ForeignKey {
                schema,
                table,
                name,
                columns: vec![column],
            }),
        }
    }
    Ok(out)
}

/// True when `index` can check foreign key `fk`: the key's columns start the index.
pub fn serves(index: &Index, fk: &ForeignKey) -> bool {
    index.schema == fk.schema
        && index.table == fk.table
        && index.columns.len() >= fk.columns.len()
        && index.columns.iter().zip(&fk.columns).all(|(a, b)| a == b)
}

/// The index that backs `fk` among `indexes`: the one named after the constraint (InnoDB
/// creates it so), else the primary key, else a unique index, else the first by name.
fn backing<'a>(fk: &ForeignKey, indexes: &'a [Index]) -> Option<&'a Index> {
    let serving: Vec<&Index> = indexes.iter().filter(|i| serves(i, fk)).collect();
    serving
        .iter()
        .find(|i| i.name == fk.name)
        .or_else(|| serving.iter().find(|i| i.primary()))
        .or_else(|| serving.iter().find(|i| i.unique))
        .or_else(|| serving.first())
        .copied()
}

/// True when `index` backs one of `fks`.
fn backs_fk(index: &Index, indexes: &[Index], fks: &[ForeignKey]) -> bool {
    fks.iter()
        .any(|fk| backing(fk, indexes).is_some_and(|b| b == index))
}

/// What makes an index worth keeping, best first: primary key, unique, backing a foreign
/// key, none.
fn rank(index: &Index, indexes: &[Index], fks: &[ForeignKey]) -> u8 {
    if index.primary() {
        0
    } else if index.unique {
        1
    } else if backs_fk(index, indexes, fks) {
        2
    } else {
        3
    }
}

/// One index that repeats another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repeat {
    /// The index to drop.
    pub drop: Index,
    /// The index that keeps serving its lookups.
    pub kept: Index,
    /// True for the same columns; false when the dropped one's columns are a prefix.
    pub identical: bool,
}

/// The indexes that repeat another of the same table (`indexes` as [`read_indexes`] orders
/// them), each reported once.
pub fn repeats(indexes: &[Index], fks: &[ForeignKey]) -> Vec<Repeat> {
    let mut by_table: BTreeMap<(&str, &str), Vec<&Index>> = BTreeMap::new();
    for i in indexes.iter().filter(|i| i.kind == "BTREE") {
        by_table.entry((&i.schema, &i.table)).or_default().push(i);
    }
    let mut out: Vec<Repeat> = Vec::new();
    let dropped = |out: &[Repeat], i: &Index| out.iter().any(|r| r.drop == *i);
    for group in by_table.values() {
        // Identical columns: keep the best ranked, drop the other.
        for (n, a) in group.iter().enumerate() {
            for b in &group[n + 1..] {
                if a.columns != b.columns || dropped(&out, a) || dropped(&out, b) {
                    continue;
                }
                let (keep, drop) = if rank(b, indexes, fks) < rank(a, indexes, fks) {
                    (b, a)
                } else {
                    (a, b)
                };
                // Two unique indexes on the same columns enforce one rule twice.
                if !drop.primary() && (!drop.unique || keep.unique) {
                    out.push(Repeat {
                        drop: (*drop).clone(),
                        kept: (*keep).clone(),
                        identical: true,
                    });
                }
            }
        }
        // A prefix of a longer index: only a plain index that backs no foreign key.
        for a in group {
            if dropped(&out, a) || rank(a, indexes, fks) < 3 {
                continue;
            }
            let longer = group.iter().find(|b| {
                b.columns.len() > a.columns.len()
                    && b.columns.starts_with(&a.columns)
                    && !dropped(&out, b)
            });
            if let Some(b) = longer {
                out.push(Repeat {
                    drop: (*a).clone(),
                    kept: (*b).clone(),
                    identical: false,
                });
            }
        }
    }
    out
}

/// `a, b` from lowercased key parts.
fn list(columns: &[String]) -> String {
    columns.join(", ")
}

/// The `duplicate-index` advice for one repeat.
pub fn repeat_advice(r: &Repeat) -> Advice {
    let table = r.drop.table_name();
    let why = if r.identical {
        format!(
            "it has the same columns ({}) as {}",
            list(&r.drop.columns),
            r.kept.name
        )
    } else {
        format!(
            "its columns ({}) start {} ({}), which serves the same lookups",
            list(&r.drop.columns),
            r.kept.name,
            list(&r.kept.columns)
        )
    };
    Advice {
        kind: "duplicate-index".into(),
        object: format!("{table}.{}", r.drop.name),
        message: format!("Drop index {} on {table}: {why}.", r.drop.name),
        evidence: format!(
            "{} ({}) and {} ({}) on {table}",
            r.drop.name,
            list(&r.drop.columns),
            r.kept.name,
            list(&r.kept.columns)
        ),
        expected_gain: "less disk and buffer pool space, and cheaper writes: every insert, \
                        update and delete maintains one index fewer"
            .into(),
        risk: format!(
            "statements naming {} in an index hint (FORCE INDEX, USE INDEX) fail; a few \
             queries may read the larger {} instead; replicas apply the drop too",
            r.drop.name, r.kept.name
        ),
        statements: vec![format!(
            "ALTER TABLE {} DROP INDEX {}",
            qualified(&r.drop.schema, &r.drop.table),
            quote(&r.drop.name)
        )],
        safe: false,
    }
}

/// Indexes of the databases looked at that `performance_schema` saw no read or write
/// through since the server started (it must be ON), with the server's uptime in seconds.
pub fn unused(
    conn: &mut Conn,
    indexes: &[Index],
    fks: &[ForeignKey],
    uptime: f64,
) -> Result<Vec<Advice>, PluginError> {
    let sql = format!(
        "SELECT OBJECT_SCHEMA, OBJECT_NAME, INDEX_NAME \
         FROM performance_schema.table_io_waits_summary_by_index_usage \
         WHERE INDEX_NAME IS NOT NULL AND COUNT_STAR = 0 AND {} \
         ORDER BY OBJECT_SCHEMA, OBJECT_NAME, INDEX_NAME",
        in_scope("OBJECT_SCHEMA")
    );
    let mut out = Vec::new();
    for r in rows(conn, &sql, Vec::new())? {
        let t = |i: usize| r.get(i).and_then(text).unwrap_or_default();
        let (schema, table, name) = (t(0), t(1), t(2));
        let Some(index) = indexes
            .iter()
            .find(|i| i.schema == schema && i.table == table && i.name == name)
        else {
            continue;
        };
        let needed = fks.iter().any(|fk| serves(index, fk));
        if index.unique || needed {
            continue;
        }
        out.push(unused_advice(index, uptime));
    }
    Ok(out)
}

fn unused_advice(index: &Index, uptime: f64) -> Advice {
    let table = index.table_name();
    Advice {
        kind: "unused-index".into(),
        object: format!("{table}.{}", index.name),
        message: format!(
            "Index {} on {table} ({}) was not used since the server started: consider \
             dropping it.",
            index.name,
            list(&index.columns)
        ),
        evidence: format!(
            "performance_schema.table_io_waits_summary_by_index_usage: no reads or writes \
             through {} in {} of uptime",
            index.name,
            duration(uptime)
        ),
        expected_gain: "cheaper writes and less disk and buffer pool space".into(),
        risk: format!(
            "usage counts only since the server started {} ago (Uptime): a monthly report, \
             a rare batch job or queries sent to replicas may still need it; check them \
             before dropping",
            duration(uptime)
        ),
        statements: Vec::new(),
        safe: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ix(name: &str, cols: &[&str], unique: bool) -> Index {
        Index {
            schema: "d".into(),
            table: "t".into(),
            name: name.into(),
            columns: cols.iter().map(|c| c.to_string()).collect(),
            unique: unique || name == "PRIMARY",
            kind: "BTREE".into(),
        }
    }

    fn fk(name: &str, cols: &[&str]) -> ForeignKey {
        ForeignKey {
            schema: "d".into(),
            table: "t".into(),
            name: name.into(),
            columns: cols.iter().map(|c| c.to_string()).collect(),
        }
    }

    fn dropped(indexes: &[Index], fks: &[ForeignKey]) -> Vec<(String, String, bool)> {
        repeats(indexes, fks)
            .into_iter()
            .map(|r| (r.drop.name, r.kept.name, r.identical))
            .collect()
    }

    #[test]
    fn prefixes_and_duplicates_are_found_and_constraints_kept() {
        let indexes = [
            ix("PRIMARY", &["id"], true),
            ix("ix_a", &["a"], false),
            ix("ix_ab", &["a", "b"], false),
            ix("ix_c", &["c"], false),
            ix("uq_c", &["c"], true),
            ix("ix_id", &["id"], false),
        ];
        assert_eq!(
            dropped(&indexes, &[]),
            [
                ("ix_id".into(), "PRIMARY".into(), true),
                ("ix_c".into(), "uq_c".into(), true),
                ("ix_a".into(), "ix_ab".into(), false),
            ]
        );
        // The prefix that backs a foreign key stays.
        assert_eq!(
            dropped(&indexes, &[fk("fk_a", &["a"])]),
            [
                ("ix_id".into(), "PRIMARY".into(), true),
                ("ix_c".into(), "uq_c".into(), true),
            ]
        );
        // A unique prefix stays: it enforces a rule the longer index does not.
        assert!(dropped(
            &[ix("u_a", &["a"], true), ix("ix_ab", &["a", "b"], false)],
            &[]
        )
        .is_empty());
    }

    #[test]
    fn identical_indexes_keep_the_one_a_foreign_key_was_built_on() {
        let indexes = [ix("fk_x", &["x"], false), ix("another", &["x"], false)];
        assert_eq!(
            dropped(&indexes, &[fk("fk_x", &["x"])]),
            [("another".into(), "fk_x".into(), true)]
        );
        // Other kinds and prefix lengths are not the same key.
        let mut fulltext = ix("ft", &["x"], false);
        fulltext.kind = "FULLTEXT".into();
        assert!(dropped(
            &[
                fulltext,
                ix("ix_x", &["x(10)"], false),
                ix("iy", &["x"], false)
            ],
            &[]
        )
        .is_empty());
    }

    #[test]
    fn advice_names_the_statement() {
        let r = &repeats(
            &[ix("ix_a", &["a"], false), ix("ix_ab", &["a", "b"], false)],
            &[],
        )[0];
        let a = repeat_advice(r);
        assert_eq!(a.statements, ["ALTER TABLE `d`.`t` DROP INDEX `ix_a`"]);
        assert!(!a.safe);
        assert!(a.message.contains("start ix_ab (a, b)"), "{}", a.message);
    }
}
