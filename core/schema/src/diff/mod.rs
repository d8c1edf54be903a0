//! [`diff()`]: the ordered statements that turn one schema into another.

use crate::definition::{Column, SchemaDefinition, Table};
use crate::dialect::Dialect;
use crate::error::SchemaError;
use crate::generate::{creation_order, fk_name, SchemaGenerator};
use crate::normalize::{default_key, expr_key, normalized, same_column};
use crate::validate::validate;
use crate::{Check, ForeignKey, Index};

/// One statement of a migration from one schema to another.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// The SQL to run.
    pub sql: String,
    /// What it does, in words (`drop column orders.note`).
    pub description: String,
    /// True when it can lose data: dropping a table or column, narrowing a type, rebuilding a
    /// SQLite table without some of its columns.
    pub destructive: bool,
}

/// The ordered statements migrating `from` to `to` in `dialect`: foreign keys, constraints and
/// indexes that go away are dropped first, then tables, then new tables are created, columns
/// added, changed and dropped, and new constraints, indexes and foreign keys added last.
///
/// On SQLite, a change `ALTER TABLE` cannot express (type, nullability, default, keys,
/// constraints, dropped columns) rebuilds the table the way SQLite documents: create the new
/// table, copy the rows, drop the old one, rename, recreate its indexes — with foreign keys
/// switched off around it (`PRAGMA foreign_keys`, which only takes effect outside a
/// transaction).
///
/// ```
/// use myrmex_schema::{diff, Dialect, SchemaDefinition};
/// let from = SchemaDefinition::from_toml_str(r#"
///   [[tables]]
///   name = "t"
///   columns = [{ name = "a", type = "int" }]"#, "from")?;
/// let to = SchemaDefinition::from_toml_str(r#"
///   [[tables]]
///   name = "t"
///   columns = [{ name = "a", type = "bigint" }, { name = "b", type = "text" }]"#, "to")?;
/// let changes = diff(&from, &to, Dialect::Postgres)?;
/// let sql: Vec<&str> = changes.iter().map(|c| c.sql.as_str()).collect();
/// assert_eq!(sql, ["ALTER TABLE t ADD COLUMN b TEXT", "ALTER TABLE t ALTER COLUMN a TYPE BIGINT USING a::BIGINT"]);
/// assert!(changes.iter().all(|c| !c.destructive));
/// # Ok::<(), myrmex_schema::SchemaError>(())
/// ```
pub fn diff(
    from: &SchemaDefinition,
    to: &SchemaDefinition,
    dialect: Dialect,
) -> Result<Vec<Change>, SchemaError> {
    validate(to, Some(dialect))?;
    let a = normalized(from, dialect);
    let b = normalized(to, dialect);
    let mut plan = Plan {
        g: SchemaGenerator::new(dialect),
        d: dialect,
        drops: Vec::new(),
        tables: Vec::new(),
        columns: Vec::new(),
        adds: Vec::new(),
        fks: Vec::new(),
    };
    for ta in &a.tables {
        if b.table(&ta.name).is_none() {
            plan.drop_table(ta, &a);
        }
    }
    let (order, _) = creation_order(&b, dialect);
    for tb in &order {
        match a.table(&tb.name) {
            None => plan.create_table(tb)?,
            Some(ta) => plan.alter_table(ta, tb)?,
        }
    }
    Ok(plan.finish())
}

struct Plan {
    g: SchemaGenerator,
    d: Dialect,
    drops: Vec<Change>,
    tables: Vec<Change>,
    columns: Vec<Change>,
    adds: Vec<Change>,
    fks: Vec<Change>,
}

fn change(sql: String, description: String, destructive: bool) -> Change {
    Change {
        sql,
        description,
        destructive,
    }
}

impl Plan {
    fn finish(self) -> Vec<Change> {
        let mut out = self.drops;
        out.extend(self.tables);
        out.extend(self.columns);
        out.extend(self.adds);
        out.extend(self.fks);
        out
    }

    fn q(&self, s: &str) -> String {
        self.d.quote(s)
    }

    fn drop_table(&mut self, t: &Table, a: &SchemaDefinition) {
        if self.d != Dialect::Sqlite {
            // Foreign keys between dropped tables would block the drops.
            for f in &t.foreign_keys {
                if a.table(&f.ref_table).is_some() && f.ref_table != t.name {
                    self.drops.push(self.drop_fk(t, f));
                }
            }
        }
        self.tables.insert(
            0,
            change(
                format!("DROP TABLE {}", self.q(&t.name)),
                format!("drop table {}", t.name),
                true,
            ),
        );
    }

    fn create_table(&mut self, t: &Table) -> Result<(), SchemaError> {
        let sqlite = self.d == Dialect::Sqlite;
        let skip: Vec<&ForeignKey> = if sqlite {
            Vec::new()
        } else {
            t.foreign_keys.iter().collect()
        };
        self.tables.push(change(
            self.g.create_table(t, &skip)?,
            format!("create table {}", t.name),
            false,
        ));
        for ix in &t.indexes {
            self.adds.push(self.create_index(t, ix));
        }
        self.comments(t, None);
        if !sqlite {
            for f in &t.foreign_keys {
                self.fks.push(self.add_fk(t, f));
            }
        }
        Ok(())
    }

    fn comments(&mut self, t: &Table, old: Option<&Table>) {
        let d = self.d;
        if d == Dialect::Sqlite {
            return;
        }
        if old.map(|o| &o.comment) != Some(&t.comment) && (old.is_some() || t.comment.is_some()) {
            let text = t.comment.as_deref();
            let sql = match d {
                Dialect::Postgres => format!(
                    "COMMENT ON TABLE {} IS {}",
                    self.q(&t.name),
                    text.map_or("NULL".into(), |c| d.literal(c))
                ),
                _ => format!(
                    "ALTER TABLE {} COMMENT = {}",
                    self.q(&t.name),
                    d.literal(text.unwrap_or(""))
                ),
            };
            if old.is_some() || d == Dialect::Postgres {
                self.adds
                    .push(change(sql, format!("comment on table {}", t.name), false));
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
                            "COMMENT ON COLUMN {}.{} IS {}",
                            self.q(&t.name),
                            self.q(&c.name),
                            c.comment.as_deref().map_or("NULL".into(), |x| d.literal(x))
                        ),
                        format!("comment on column {}.{}", t.name, c.name),
                        false,
                    ));
                }
            }
        }
    }

    fn create_index(&self, t: &Table, ix: &Index) -> Change {
        change(
            self.g.create_index(t, ix),
            format!("create index {}", ix.name.as_deref().unwrap_or_default()),
            false,
        )
    }

    fn drop_index(&self, t: &Table, ix: &Index) -> Change {
        let name = self.q(ix.name.as_deref().unwrap_or_default());
        let sql = if self.d.is_mysql_family() {
            format!("DROP INDEX {name} ON {}", self.q(&t.name))
        } else {
            format!("DROP INDEX {name}")
        };
        change(
            sql,
            format!("drop index {}", ix.name.as_deref().unwrap_or_default()),
            false,
        )
    }

    fn drop_fk(&self, t: &Table, f: &ForeignKey) -> Change {
        let what = if self.d.is_mysql_family() {
            "FOREIGN KEY"
        } else {
            "CONSTRAINT"
        };
        change(
            format!(
                "ALTER TABLE {} DROP {what} {}",
                self.q(&t.name),
                self.q(&fk_name(f))
            ),
            format!("drop foreign key {}.{}", t.name, fk_name(f)),
            false,
        )
    }

    fn add_fk(&self, t: &Table, f: &ForeignKey) -> Change {
        change(
            format!(
                "ALTER TABLE {} ADD {}",
                self.q(&t.name),
                self.g.foreign_key(f)
            ),
            format!("add foreign key {}.{}", t.name, fk_name(f)),
            false,
        )
    }

    fn drop_constraint(&self, t: &Table, name: &str, unique: bool) -> Change {
        let sql = if unique && self.d.is_mysql_family() {
            format!(
                "ALTER TABLE {} DROP INDEX {}",
                self.q(&t.name),
                self.q(name)
            )
        } else {
            format!(
                "ALTER TABLE {} DROP CONSTRAINT {}",
                self.q(&t.name),
                self.q(name)
            )
        };
        change(sql, format!("drop constraint {}.{name}", t.name), false)
    }

    fn alter_table(&mut self, a: &Table, b: &Table) -> Result<(), SchemaError> {
        if self.d == Dialect::Sqlite {
            return self.alter_sqlite(a, b);
        }
        let t = &b.name;
        // Drops of what changed or went away.
        for f in &a.foreign_keys {
            if !b.foreign_keys.contains(f) {
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
        for ix in &a.indexes {
            if !b.indexes.iter().any(|j| same_index(ix, j)) {
                self.drops.push(self.drop_index(a, ix));
            }
        }
        let pk_changed = a.primary_key != b.primary_key;
        if pk_changed && !a.primary_key.is_empty() {
            let sql = match self.d {
                Dialect::Postgres => format!(
                    "ALTER TABLE {} DROP CONSTRAINT {}",
                    self.q(t),
                    self.q(&format!("{t}_pkey"))
                ),
                _ => format!("ALTER TABLE {} DROP PRIMARY KEY", self.q(t)),
            };
            self.drops
                .push(change(sql, format!("drop primary key of {t}"), false));
        }
        // Columns.
        for (i, c) in b.columns.iter().enumerate() {
            if a.column(&c.name).is_none() {
                let mut sql = format!(
                    "ALTER TABLE {} ADD COLUMN {}",
                    self.q(t),
                    self.g.column_def(b, c)?
                );
                if self.d.is_mysql_family() {
                    match i {
                        0 => sql.push_str(" FIRST"),
                        _ => sql.push_str(&format!(" AFTER {}", self.q(&b.columns[i - 1].name))),
                    }
                }
                self.columns
                    .push(change(sql, format!("add column {t}.{}", c.name), false));
            }
        }
        for c in &b.columns {
            if let Some(old) = a.column(&c.name) {
                if !same_column(old, c) {
                    self.alter_column(b, old, c)?;
                }
            }
        }
        for c in &a.columns {
            if b.column(&c.name).is_none() {
                self.columns.push(change(
                    format!("ALTER TABLE {} DROP COLUMN {}", self.q(t), self.q(&c.name)),
                    format!("drop column {t}.{}", c.name),
                    true,
                ));
            }
        }
        if pk_changed && !b.primary_key.is_empty() {
            let cols: Vec<String> = b.primary_key.iter().map(|c| self.q(c)).collect();
            self.adds.push(change(
                format!(
                    "ALTER TABLE {} ADD PRIMARY KEY ({})",
                    self.q(t),
                    cols.join(", ")
                ),
                format!("add primary key of {t}"),
                false,
            ));
        }
        for u in &b.unique {
            if !a.unique.contains(u) {
                self.adds.push(change(
                    format!("ALTER TABLE {} ADD {}", self.q(t), self.g.unique(u)),
                    format!("add unique {}", u.name.as_deref().unwrap_or_default()),
                    false,
                ));
            }
        }
        for c in &b.checks {
            if !a.checks.iter().any(|d| same_check(c, d)) {
                self.adds.push(change(
                    format!("ALTER TABLE {} ADD {}", self.q(t), self.g.check(c)),
                    format!("add check {}", c.name.as_deref().unwrap_or_default()),
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
            if !a.foreign_keys.contains(f) {
                self.fks.push(self.add_fk(b, f));
            }
        }
        self.comments(b, Some(a));
        Ok(())
    }

    fn alter_column(&mut self, t: &Table, old: &Column, new: &Column) -> Result<(), SchemaError> {
        let d = self.d;
        let tn = &t.name;
        let narrowing = !old.ty.widens_to(&new.ty);
        if d.is_mysql_family() {
            self.columns.push(change(
                format!(
                    "ALTER TABLE {} MODIFY COLUMN {}",
                    self.q(tn),
                    self.g.column_def(t, new)?
                ),
                format!("change column {tn}.{} ({} → {})", new.name, old.ty, new.ty),
                narrowing,
            ));
            return Ok(());
        }
        let col = self.q(&new.name);
        let pre = format!("ALTER TABLE {} ALTER COLUMN {col}", self.q(tn));
        if old.identity.is_set() && !new.identity.is_set() {
            self.columns.push(change(
                format!("{pre} DROP IDENTITY"),
                format!("drop identity {tn}.{}", new.name),
                false,
            ));
        }
        if old.ty != new.ty {
            let ty = d.type_sql(&new.ty, tn, &new.name)?;
            self.columns.push(change(
                format!("{pre} TYPE {ty} USING {col}::{ty}"),
                format!("change type of {tn}.{} ({} → {})", new.name, old.ty, new.ty),
                narrowing,
            ));
        }
        if default_key(old) != default_key(new) && !new.identity.is_set() {
            let sql = match &new.default {
                Some(v) => format!("{pre} SET DEFAULT {}", d.default_sql(new, v)),
                None => format!("{pre} DROP DEFAULT"),
            };
            self.columns.push(change(
                sql,
                format!("change default of {tn}.{}", new.name),
                false,
            ));
        }
        if old.nullable != new.nullable {
            let sql = if new.nullable {
                format!("{pre} DROP NOT NULL")
            } else {
                format!("{pre} SET NOT NULL")
            };
            self.columns.push(change(
                sql,
                format!("change nullability of {tn}.{}", new.name),
                false,
            ));
        }
        if !old.identity.is_set() && new.identity.is_set() {
            self.columns.push(change(
                format!("{pre} ADD GENERATED BY DEFAULT AS IDENTITY"),
                format!("add identity {tn}.{}", new.name),
                false,
            ));
        }
        Ok(())
    }

    /// SQLite: index changes and simple added columns in place, anything else by rebuilding.
    fn alter_sqlite(&mut self, a: &Table, b: &Table) -> Result<(), SchemaError> {
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
            !b.primary_key.contains(&c.name)
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
            && a.comment == b.comment;
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
                        self.q(&b.name),
                        self.g.column_def(b, c)?
                    ),
                    format!("add column {}.{}", b.name, c.name),
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
        let common: Vec<String> = b
            .columns
            .iter()
            .filter(|c| a.column(&c.name).is_some())
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
            self.columns.push(change(s, desc.clone(), destructive));
        }
        for ix in &b.indexes {
            self.columns.push(self.create_index(b, ix));
        }
        self.columns.push(change(
            "PRAGMA foreign_keys = ON".into(),
            format!("re-enable foreign keys after rebuilding {t}"),
            false,
        ));
        Ok(())
    }
}

fn same_check(a: &Check, b: &Check) -> bool {
    a.name == b.name && expr_key(&a.expr) == expr_key(&b.expr)
}

fn same_index(a: &Index, b: &Index) -> bool {
    a.name == b.name
        && a.columns == b.columns
        && a.unique == b.unique
        && a.predicate.as_deref().map(expr_key) == b.predicate.as_deref().map(expr_key)
}
