//! Keys: tables without a primary key, and foreign keys no index serves.

use myrmex_plugin::audit::{AuditTarget, Finding, Rule, Severity};
use myrmex_plugin::schema::{SchemaDefinition, Table};

/// A table without a primary key.
pub const TABLE_WITHOUT_PRIMARY_KEY: Rule = Rule {
    id: "table-without-primary-key",
    severity: Severity::MEDIUM,
    target: AuditTarget::CONNECTION,
    summary: "A table without a primary key: its rows cannot be addressed one by one, and \
              replication and tools that need a key fail or slow down.",
    remedy: "Add a primary key (a surrogate id column when nothing else is unique).",
};

/// A foreign key whose columns lead no index.
pub const FOREIGN_KEY_WITHOUT_INDEX: Rule = Rule {
    id: "foreign-key-without-index",
    severity: Severity::LOW,
    target: AuditTarget::CONNECTION,
    summary: "A foreign key whose columns lead no index: deleting or updating a parent row scans \
              the child table, under locks.",
    remedy: "Create an index whose leading columns are the foreign key's columns.",
};

/// The rules of this module.
pub const RULES: &[Rule] = &[TABLE_WITHOUT_PRIMARY_KEY, FOREIGN_KEY_WITHOUT_INDEX];

/// Adds what the tables of `def` show to `found`.
pub fn check(def: &SchemaDefinition, found: &mut Vec<Finding>) {
    for t in &def.tables {
        if t.primary_key.is_empty() {
            found.push(
                TABLE_WITHOUT_PRIMARY_KEY
                    .finding(&t.name, format!("{} has no primary key", t.name)),
            );
        }
        for fk in t.foreign_keys.iter().filter(|fk| !fk.columns.is_empty()) {
            if !indexed(t, &fk.columns) {
                let cols = fk.columns.join(", ");
                found.push(FOREIGN_KEY_WITHOUT_INDEX.finding(
                    &t.name,
                    format!(
                        "{}({cols}) references {} but no index starts with these columns",
                        t.name, fk.ref_table
                    ),
                ));
            }
        }
    }
}

/// True when `columns` lead the primary key, a unique constraint or an index of `t`.
fn indexed(t: &Table, columns: &[String]) -> bool {
    leads(&t.primary_key, columns)
        || t.unique.iter().any(|u| leads(&u.columns, columns))
        || t.indexes.iter().any(|i| {
            let keys: Vec<String> = i
                .columns
                .iter()
                .map_while(|k| k.column.clone().filter(|_| k.expr.is_none()))
                .collect();
            leads(&keys, columns)
        })
}

/// True when `columns`, in any order, are the first columns of `key`.
fn leads(key: &[String], columns: &[String]) -> bool {
    key.len() >= columns.len() && columns.iter().all(|c| key[..columns.len()].contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use myrmex_plugin::schema::{Column, ColumnType, ForeignKey, Index, IndexColumn};

    fn fk(columns: &[&str]) -> ForeignKey {
        ForeignKey {
            name: None,
            columns: columns.iter().map(|c| c.to_string()).collect(),
            ref_table: "parent".into(),
            ref_columns: Vec::new(),
            on_delete: Default::default(),
            on_update: Default::default(),
            ..Default::default()
        }
    }

    fn table(pk: &[&str], fks: Vec<ForeignKey>, indexes: &[&[&str]]) -> Table {
        Table {
            name: "child".into(),
            columns: vec![Column::new("a", ColumnType::Int)],
            primary_key: pk.iter().map(|c| c.to_string()).collect(),
            foreign_keys: fks,
            indexes: indexes
                .iter()
                .map(|cols| Index {
                    name: None,
                    columns: cols.iter().map(|c| IndexColumn::named(c)).collect(),
                    ..Default::default()
                })
                .collect(),
            ..Table::default()
        }
    }

    fn ids(t: Table) -> Vec<(String, String)> {
        let mut found = Vec::new();
        check(
            &SchemaDefinition {
                tables: vec![t],
                ..Default::default()
            },
            &mut found,
        );
        found.into_iter().map(|f| (f.rule, f.message)).collect()
    }

    #[test]
    fn tables_without_a_primary_key() {
        assert_eq!(
            ids(table(&[], vec![], &[])),
            [(
                "table-without-primary-key".to_string(),
                "child has no primary key".to_string()
            )]
        );
        assert!(ids(table(&["id"], vec![], &[])).is_empty());
    }

    #[test]
    fn foreign_keys_need_a_leading_index() {
        let h = ids(table(&["id"], vec![fk(&["p"])], &[&["x", "p"]]));
        assert_eq!(h[0].0, "foreign-key-without-index");
        assert_eq!(
            h[0].1,
            "child(p) references parent but no index starts with these columns"
        );
        assert!(ids(table(&["id"], vec![fk(&["p"])], &[&["p", "x"]])).is_empty());
        assert!(ids(table(&["p", "id"], vec![fk(&["p"])], &[])).is_empty());
        assert!(ids(table(&["id"], vec![fk(&["a", "b"])], &[&["b", "a", "c"]])).is_empty());
        assert_eq!(
            ids(table(&["id"], vec![fk(&["a", "b"])], &[&["a"]])).len(),
            1
        );
    }
}
