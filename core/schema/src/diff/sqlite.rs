//! SQLite: what `ALTER TABLE` can do in place (added columns, index changes), and the
//! documented rebuild for everything else.

use super::tables::{same_check, same_index};
use super::{change, Plan};
use crate::definition::{Column, Table};
use crate::error::SchemaError;
use crate::normalize::same_column;

impl Plan {
    pub(super) fn alter_sqlite(&mut self, a: &Table, b: &Table) -> Result<(), SchemaError> {
        let added: Vec<&Column> = b
            .columns
            .iter()
            .filter(|c| a.column(&c.name).is_none())
            .collect();
        let kept_same = a
            .columns
            .iter()
            .all(|c| b.column(&c.name).is_some_and(|n| same_column(c, n)));
        let prefix = b.columns.len() >= a.columns.len()
            && a.columns
                .iter()
                .zip(&b.columns)
                .all(|(x, y)| x.name == y.name);
        let simple_add = added.iter().all(|c| {
            c.generated.as_ref().is_none_or(|g| !g.stored)
                && !b.primary_key.contains(&c.name)
                && !c.identity.is_set()
                && (c.nullable || c.default.is_some())
                && !matches!(&c.default, Some(crate::DefaultValue::Expr { .. }))
                && !b.unique.iter().any(|u| u.columns.contains(&c.name))
                && !b.foreign_keys.iter().any(|f| f.columns.contains(&c.name))
        });
        let constraints_same = a.primary_key == b.primary_key
            && a.unique == b.unique
            && a.checks.len() == b.checks.len()
            && a.checks
                .iter()
                .all(|c| b.checks.iter().any(|d| same_check(c, d)))
            && a.foreign_keys.len() == b.foreign_keys.len()
            && a.foreign_keys.iter().all(|f| b.foreign_keys.contains(f))
            && a.comment == b.comment
            && a.without_rowid == b.without_rowid
            && a.strict == b.strict;
        if kept_same && prefix && simple_add && constraints_same {
            for ix in &a.indexes {
                if !b.indexes.iter().any(|j| same_index(ix, j)) {
                    self.drops.push(self.drop_index(a, ix));
                }
            }
            for c in added {
                self.columns.push(change(
                    format!(
                        "ALTER TABLE {} ADD COLUMN {}",
                        b.sql_name(self.d),
                        self.g.column_def(b, c)?
                    ),
                    format!("add column {}.{}", b.key(), c.name),
                    false,
                ));
            }
            for ix in &b.indexes {
                if !a.indexes.iter().any(|j| same_index(ix, j)) {
                    self.adds.push(self.create_index(b, ix));
                }
            }
            return Ok(());
        }
        self.rebuild_sqlite(a, b)
    }

    fn rebuild_sqlite(&mut self, a: &Table, b: &Table) -> Result<(), SchemaError> {
        let t = &b.name;
        self.touched.insert(b.key());
        self.rebuilt.insert(b.key());
        let tmp = format!("_myrmex_new_{t}");
        let mut shadow = b.clone();
        shadow.name = tmp.clone();
        let lost: Vec<&str> = a
            .columns
            .iter()
            .filter(|c| b.column(&c.name).is_none())
            .map(|c| c.name.as_str())
            .collect();
        let narrowed = b
            .columns
            .iter()
            .any(|c| a.column(&c.name).is_some_and(|o| !o.ty.widens_to(&c.ty)));
        // Generated columns compute themselves: they are never copied.
        let common: Vec<String> = b
            .columns
            .iter()
            .filter(|c| c.generated.is_none())
            .filter(|c| a.column(&c.name).is_some_and(|o| o.generated.is_none()))
            .map(|c| self.q(&c.name))
            .collect();
        let desc = if lost.is_empty() {
            format!("rebuild table {t}")
        } else {
            format!("rebuild table {t} without column(s) {}", lost.join(", "))
        };
        let destructive = !lost.is_empty() || narrowed;
        let steps = [
            "PRAGMA foreign_keys = OFF".to_string(),
            self.g.create_table(&shadow, &[])?,
            format!(
                "INSERT INTO {} ({cols}) SELECT {cols} FROM {}",
                self.q(&tmp),
                self.q(t),
                cols = common.join(", ")
            ),
            format!("DROP TABLE {}", self.q(t)),
            format!("ALTER TABLE {} RENAME TO {}", self.q(&tmp), self.q(t)),
        ];
        for s in steps {
            let mut c = change(s, desc.clone(), destructive);
            // The pragma is a no-op inside a transaction.
            c.outside_transaction = c.sql.starts_with("PRAGMA");
            self.columns.push(c);
        }
        for ix in &b.indexes {
            self.columns.push(self.create_index(b, ix));
        }
        let mut on = change(
            "PRAGMA foreign_keys = ON".into(),
            format!("re-enable foreign keys after rebuilding {t}"),
            false,
        );
        on.outside_transaction = true;
        self.columns.push(on);
        Ok(())
    }
}
