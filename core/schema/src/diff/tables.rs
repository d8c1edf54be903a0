//! Table-level diff: tables created and dropped, keys, constraints, indexes, partitioning,
//! inheritance, table options, comments, and the order of columns.

use super::{change, Change, Plan};
use crate::definition::{Check, Exclude, ForeignKey, Index, IndexColumn, SchemaDefinition, Table};
use crate::dialect::Dialect;
use crate::error::SchemaError;
use crate::generate::{fk_name, ref_key};
use crate::normalize::{expr_key, same_column};

impl Plan {
    pub(super) fn drop_table(&mut self, t: &Table, a: &SchemaDefinition) {
        self.touched.insert(t.key());
        if self.d != Dialect::Sqlite {
            // Foreign keys between dropped tables would block the drops.
            for f in &t.foreign_keys {
                let r = ref_key(t, f);
                if r != t.key() && a.tables.iter().any(|x| x.key() == r) {
                    self.drops.push(self.drop_fk(t, f));
                }
            }
        }
        let sql = if t.partition_of.is_some() && self.d == Dialect::Postgres {
            // Dropping the parent first drops its partitions.
            format!("DROP TABLE IF EXISTS {}", t.sql_name(self.d))
        } else {
            format!("DROP TABLE {}", t.sql_name(self.d))
        };
        self.tables
            .insert(0, change(sql, format!("drop table {}", t.key()), true));
    }

    pub(super) fn create_table(&mut self, t: &Table) -> Result<(), SchemaError> {
        let sqlite = self.d == Dialect::Sqlite;
        let skip: Vec<&ForeignKey> = if sqlite {
            Vec::new()
        } else {
            t.foreign_keys.iter().collect()
        };
        self.tables.push(change(
            self.g.create_table(t, &skip)?,
            format!("create table {}", t.key()),
            false,
        ));
        if t.partition_of.is_none() || self.d != Dialect::Postgres {
            for ix in &t.indexes {
                self.adds.push(self.create_index(t, ix));
            }
        }
        for ck in t.checks.iter().filter(|c| c.not_valid) {
            self.adds.push(change(
                self.g.add_constraint(t, &self.g.check(ck), true),
                format!("add check {}", ck.name.as_deref().unwrap_or_default()),
                false,
            ));
        }
        self.comments(t, None);
        if !sqlite {
            for f in &t.foreign_keys {
                self.fks.push(self.add_fk(t, f));
            }
        }
        Ok(())
    }

    pub(super) fn comments(&mut self, t: &Table, old: Option<&Table>) {
        let d = self.d;
        if d == Dialect::Sqlite {
            return;
        }
        let name = t.sql_name(d);
        if old.map(|o| &o.comment) != Some(&t.comment) && (old.is_some() || t.comment.is_some()) {
            let text = t.comment.as_deref();
            let sql = match d {
                Dialect::Postgres => format!(
                    "COMMENT ON TABLE {name} IS {}",
                    text.map_or("NULL".into(), |c| d.literal(c))
                ),
                _ => format!(
                    "ALTER TABLE {name} COMMENT = {}",
                    d.literal(text.unwrap_or(""))
                ),
            };
            if old.is_some() || d == Dialect::Postgres {
                self.adds
                    .push(change(sql, format!("comment on table {}", t.key()), false));
            }
        }
        if d == Dialect::Postgres {
            for c in &t.columns {
                let before = old
                    .and_then(|o| o.column(&c.name))
                    .and_then(|c| c.comment.clone());
                if before != c.comment {
                    self.adds.push(change(
                        format!(
                            "COMMENT ON COLUMN {name}.{} IS {}",
                            self.q(&c.name),
                            c.comment.as_deref().map_or("NULL".into(), |x| d.literal(x))
                        ),
                        format!("comment on column {}.{}", t.key(), c.name),
                        false,
                    ));
                }
            }
        }
    }

    pub(super) fn create_index(&self, t: &Table, ix: &Index) -> Change {
        change(
            self.g.create_index(t, ix),
            format!("create index {}", ix.name.as_deref().unwrap_or_default()),
            false,
        )
    }

    pub(super) fn drop_index(&self, t: &Table, ix: &Index) -> Change {
        let name = ix.name.as_deref().unwrap_or_default();
        let sql = if self.d.is_mysql_family() {
            format!("DROP INDEX {} ON {}", self.q(name), t.sql_name(self.d))
        } else {
            format!(
                "DROP INDEX {}",
                crate::names::qualified(self.d, t.schema.as_deref(), name)
            )
        };
        change(sql, format!("drop index {name}"), false)
    }

    pub(super) fn drop_fk(&self, t: &Table, f: &ForeignKey) -> Change {
        let what = if self.d.is_mysql_family() {
            "FOREIGN KEY"
        } else {
            "CONSTRAINT"
        };
        change(
            format!(
                "ALTER TABLE {} DROP {what} {}",
                t.sql_name(self.d),
                self.q(&fk_name(f))
            ),
            format!("drop foreign key {}.{}", t.key(), fk_name(f)),
            false,
        )
    }

    pub(super) fn add_fk(&self, t: &Table, f: &ForeignKey) -> Change {
        change(
            self.g
                .add_constraint(t, &self.g.foreign_key(t, f), f.not_valid),
            format!("add foreign key {}.{}", t.key(), fk_name(f)),
            false,
        )
    }

    pub(super) fn drop_constraint(&self, t: &Table, name: &str, unique: bool) -> Change {
        let sql = if unique && self.d.is_mysql_family() {
            format!(
                "ALTER TABLE {} DROP INDEX {}",
                t.sql_name(self.d),
                self.q(name)
            )
        } else {
            format!(
                "ALTER TABLE {} DROP CONSTRAINT {}",
                t.sql_name(self.d),
                self.q(name)
            )
        };
        change(sql, format!("drop constraint {}.{name}", t.key()), false)
    }

    fn validate_constraint(&self, t: &Table, name: &str) -> Change {
        change(
            format!(
                "ALTER TABLE {} VALIDATE CONSTRAINT {}",
                t.sql_name(self.d),
                self.q(name)
            ),
            format!("validate constraint {}.{name}", t.key()),
            false,
        )
    }

    pub(super) fn alter_table(&mut self, a: &Table, b: &Table) -> Result<(), SchemaError> {
        if self.d == Dialect::Sqlite {
            return self.alter_sqlite(a, b);
        }
        let tn = b.sql_name(self.d);
        let key = b.key();
        if self.d == Dialect::Postgres {
            self.partitioning(a, b);
            if b.partition_of.is_some() {
                // A partition's columns, keys and indexes are its parent's.
                self.comments(b, Some(a));
                return Ok(());
            }
        }
        // Drops of what changed or went away.
        for f in &a.foreign_keys {
            if !b.foreign_keys.iter().any(|g| same_fk(f, g)) {
                self.drops.push(self.drop_fk(a, f));
            }
        }
        for u in &a.unique {
            if !b.unique.contains(u) {
                self.drops.push(self.drop_constraint(
                    a,
                    u.name.as_deref().unwrap_or_default(),
                    true,
                ));
            }
        }
        for c in &a.checks {
            if !b.checks.iter().any(|d| same_check(c, d)) {
                self.drops.push(self.drop_constraint(
                    a,
                    c.name.as_deref().unwrap_or_default(),
                    false,
                ));
            }
        }
        for x in &a.excludes {
            if !b.excludes.iter().any(|y| same_exclude(x, y)) {
                self.drops.push(self.drop_constraint(
                    a,
                    x.name.as_deref().unwrap_or_default(),
                    false,
                ));
            }
        }
        for ix in &a.indexes {
            if !b.indexes.iter().any(|j| same_index(ix, j)) {
                self.drops.push(self.drop_index(a, ix));
            }
        }
        let pk_changed = a.primary_key != b.primary_key;
        if pk_changed && !a.primary_key.is_empty() {
            let sql = match self.d {
                Dialect::Postgres => format!(
                    "ALTER TABLE {tn} DROP CONSTRAINT {}",
                    self.q(&format!("{}_pkey", b.name))
                ),
                _ => format!("ALTER TABLE {tn} DROP PRIMARY KEY"),
            };
            self.drops
                .push(change(sql, format!("drop primary key of {key}"), false));
        }
        let before = self.columns.len();
        // Columns.
        // New columns and columns recreated for their generated expression, in table order,
        // so that they land in it.
        for (i, c) in b.columns.iter().enumerate() {
            if let Some(old) = a.column(&c.name) {
                if !crate::normalize::same_generated(old, c) {
                    self.alter_column(b, old, c)?;
                }
                continue;
            }
            {
                let mut sql = format!("ALTER TABLE {tn} ADD COLUMN {}", self.g.column_def(b, c)?);
                if self.d.is_mysql_family() {
                    match i {
                        0 => sql.push_str(" FIRST"),
                        _ => sql.push_str(&format!(" AFTER {}", self.q(&b.columns[i - 1].name))),
                    }
                }
                self.columns
                    .push(change(sql, format!("add column {key}.{}", c.name), false));
            }
        }
        for c in &b.columns {
            if let Some(old) = a.column(&c.name) {
                if !same_column(old, c) && crate::normalize::same_generated(old, c) {
                    self.alter_column(b, old, c)?;
                }
            }
        }
        for c in &a.columns {
            if b.column(&c.name).is_none() {
                self.columns.push(change(
                    format!("ALTER TABLE {tn} DROP COLUMN {}", self.q(&c.name)),
                    format!("drop column {key}.{}", c.name),
                    true,
                ));
            }
        }
        if self.columns.len() > before {
            self.touched.insert(key.clone());
        }
        self.column_order(a, b)?;
        self.table_settings(a, b)?;
        if pk_changed && !b.primary_key.is_empty() {
            self.adds.push(change(
                format!(
                    "ALTER TABLE {tn} ADD PRIMARY KEY ({})",
                    self.g.cols(&b.primary_key)
                ),
                format!("add primary key of {key}"),
                false,
            ));
        }
        for u in &b.unique {
            if !a.unique.contains(u) {
                self.adds.push(change(
                    self.g.add_constraint(b, &self.g.unique(u), false),
                    format!("add unique {}", u.name.as_deref().unwrap_or_default()),
                    false,
                ));
            }
        }
        for c in &b.checks {
            match a.checks.iter().find(|d| same_check(c, d)) {
                None => self.adds.push(change(
                    self.g.add_constraint(b, &self.g.check(c), c.not_valid),
                    format!("add check {}", c.name.as_deref().unwrap_or_default()),
                    false,
                )),
                Some(old) if old.not_valid && !c.not_valid => self
                    .adds
                    .push(self.validate_constraint(b, c.name.as_deref().unwrap_or_default())),
                Some(_) => {}
            }
        }
        for x in &b.excludes {
            if !a.excludes.iter().any(|y| same_exclude(x, y)) {
                self.adds.push(change(
                    self.g.add_constraint(b, &self.g.exclude(x), false),
                    format!("add exclude {}", x.name.as_deref().unwrap_or_default()),
                    false,
                ));
            }
        }
        for ix in &b.indexes {
            if !a.indexes.iter().any(|j| same_index(ix, j)) {
                self.adds.push(self.create_index(b, ix));
            }
        }
        for f in &b.foreign_keys {
            match a.foreign_keys.iter().find(|g| same_fk(f, g)) {
                None => self.fks.push(self.add_fk(b, f)),
                Some(old) if old.not_valid && !f.not_valid => {
                    self.fks.push(self.validate_constraint(b, &fk_name(f)))
                }
                Some(_) => {}
            }
        }
        self.comments(b, Some(a));
        Ok(())
    }
}

/// Two checks are the same constraint (NOT VALID aside: a valid check satisfies it).
pub(super) fn same_check(a: &Check, b: &Check) -> bool {
    a.name == b.name && expr_key(&a.expr) == expr_key(&b.expr)
}

/// Two foreign keys are the same constraint (NOT VALID aside).
pub(super) fn same_fk(a: &ForeignKey, b: &ForeignKey) -> bool {
    let mut x = a.clone();
    x.not_valid = b.not_valid;
    x == *b
}

fn same_exclude(a: &Exclude, b: &Exclude) -> bool {
    let els = |e: &Exclude| e.elements.iter().map(|x| expr_key(x)).collect::<Vec<_>>();
    a.name == b.name
        && a.using.eq_ignore_ascii_case(&b.using)
        && els(a) == els(b)
        && a.predicate.as_deref().map(expr_key) == b.predicate.as_deref().map(expr_key)
        && a.deferrable == b.deferrable
}

fn same_key(a: &IndexColumn, b: &IndexColumn) -> bool {
    a.column == b.column
        && a.expr.as_deref().map(expr_key) == b.expr.as_deref().map(expr_key)
        && a.desc == b.desc
        && a.nulls_first == b.nulls_first
        && a.opclass == b.opclass
        && a.collation.as_deref().map(str::to_ascii_lowercase)
            == b.collation.as_deref().map(str::to_ascii_lowercase)
        && a.length == b.length
}

/// Two indexes are the same (name, keys, method, INCLUDE, parameters, predicate).
pub(super) fn same_index(a: &Index, b: &Index) -> bool {
    a.name == b.name
        && a.columns.len() == b.columns.len()
        && a.columns
            .iter()
            .zip(&b.columns)
            .all(|(x, y)| same_key(x, y))
        && a.unique == b.unique
        && a.method.as_deref().map(str::to_ascii_lowercase)
            == b.method.as_deref().map(str::to_ascii_lowercase)
        && a.include == b.include
        && a.nulls_not_distinct == b.nulls_not_distinct
        && a.with == b.with
        && a.predicate.as_deref().map(expr_key) == b.predicate.as_deref().map(expr_key)
}
