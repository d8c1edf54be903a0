//! [`diff()`] and [`diff_with()`]: the ordered statements that turn one schema into another,
//! with what the diff could not compare or migrate named beside them.
//!
//! The plan is built in phases and run in this order (the order migra uses for PostgreSQL):
//! 1. dependants go first: triggers, views, routines and policies that change or go away,
//!    and every view reading a table whose columns change (it is recreated at the end);
//! 2. schemas, extensions, enums (new labels), domains and sequences the tables need;
//! 3. foreign keys, constraints and indexes that change or go away are dropped;
//! 4. tables are dropped and created (foreign-key, parent and partition order);
//! 5. columns are added, changed and dropped;
//! 6. constraints and indexes are added, then foreign keys;
//! 7. sequence ownership, row-level security, virtual tables, routines and views (dependency
//!    order), policies, triggers, events, grants and comments;
//! 8. sequences, domains, enums, extensions and schemas that went away are dropped.

mod code;
mod columns;
mod objects;
mod settings;
mod sqlite;
mod tables;

use crate::definition::{SchemaDefinition, Unsupported};
use crate::dialect::Dialect;
use crate::error::SchemaError;
use crate::generate::{creation_order, SchemaGenerator};
use crate::normalize::normalized;
use crate::validate::validate;
use std::collections::HashSet;

/// One statement of a migration from one schema to another.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// The SQL to run.
    pub sql: String,
    /// What it does, in words (`drop column orders.note`).
    pub description: String,
    /// True when it can lose data: dropping a table or column, narrowing a type, rebuilding a
    /// SQLite table without some of its columns, recreating a generated column.
    pub destructive: bool,
    /// True when the statement must run outside a transaction block, and be committed before
    /// the statements after it use what it made: PostgreSQL `ALTER TYPE … ADD VALUE` (refused
    /// in a transaction block before PostgreSQL 12; a new label cannot be used in the
    /// transaction that added it).
    pub outside_transaction: bool,
}

/// What [`diff_with`] compares besides the schema objects.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DiffOptions {
    /// Compare privileges (`grants`) and migrate them with GRANT/REVOKE; off by default, since
    /// roles differ between environments.
    pub grants: bool,
}

/// A migration plan: the statements, what the diff reports without a statement (notices),
/// and what it could not compare or migrate (unsupported).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DiffPlan {
    /// The statements, in execution order.
    pub changes: Vec<Change>,
    /// Differences no statement makes (`column order differs` where the engine cannot move
    /// columns).
    pub notices: Vec<String>,
    /// Objects either side lists as unsupported (from inspection), and changes this diff
    /// refuses to make, each with its kind, name and reason.
    pub unsupported: Vec<Unsupported>,
}

impl DiffPlan {
    /// True when the two schemas are the same as far as anyone can tell: no statement, no
    /// notice and nothing unsupported or refused.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty() && self.notices.is_empty() && self.unsupported.is_empty()
    }

    /// The `unsupported: <kind> <name>: <reason>` lines, one per entry.
    pub fn unsupported_lines(&self) -> Vec<String> {
        self.unsupported.iter().map(unsupported_line).collect()
    }
}

/// `unsupported: <kind> <name>: <reason>` for one entry.
pub fn unsupported_line(u: &Unsupported) -> String {
    if u.reason.is_empty() {
        format!("unsupported: {} {}", u.kind, u.name)
    } else {
        format!("unsupported: {} {}: {}", u.kind, u.name, u.reason)
    }
}

/// The ordered statements migrating `from` to `to` in `dialect` (see [`diff_with`] for the
/// phases). Notices and unsupported objects are not returned: use [`diff_with`] wherever a
/// user reads the result.
///
/// On SQLite, a change `ALTER TABLE` cannot express (type, nullability, default, keys,
/// constraints, dropped columns) rebuilds the table the way SQLite documents: create the new
/// table, copy the rows, drop the old one, rename, recreate its indexes and triggers — with
/// foreign keys switched off around it (`PRAGMA foreign_keys`, which only takes effect
/// outside a transaction).
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
    Ok(diff_with(from, to, dialect, &DiffOptions::default())?.changes)
}

/// The migration plan from `from` to `to` in `dialect`: the statements in dependency order,
/// the notices, and everything unsupported or refused (enum labels removed or reordered,
/// a domain's base type changed, partitioning changed, …), so that "no changes" is only said
/// when there is nothing at all.
///
/// ```
/// use myrmex_schema::{diff_with, DiffOptions, Dialect, SchemaDefinition};
/// let from = SchemaDefinition::from_toml_str(r#"
///   enums = [{ name = "mood", labels = ["sad", "happy"] }]"#, "from")?;
/// let to = SchemaDefinition::from_toml_str(r#"
///   enums = [{ name = "mood", labels = ["sad", "ok", "happy"] }]"#, "to")?;
/// let plan = diff_with(&from, &to, Dialect::Postgres, &DiffOptions::default())?;
/// assert_eq!(plan.changes[0].sql, "ALTER TYPE mood ADD VALUE 'ok' AFTER 'sad'");
/// assert!(plan.changes[0].outside_transaction);
/// # Ok::<(), myrmex_schema::SchemaError>(())
/// ```
pub fn diff_with(
    from: &SchemaDefinition,
    to: &SchemaDefinition,
    dialect: Dialect,
    options: &DiffOptions,
) -> Result<DiffPlan, SchemaError> {
    validate(to, Some(dialect))?;
    let a = normalized(from, dialect);
    let b = normalized(to, dialect);
    let mut plan = Plan::new(dialect, options.clone());
    for u in from.unsupported.iter().chain(&to.unsupported) {
        if !plan.unsupported.contains(u) {
            plan.unsupported.push(u.clone());
        }
    }
    for ta in &a.tables {
        if !b.tables.iter().any(|t| t.key() == ta.key()) {
            plan.drop_table(ta, &a);
        }
    }
    let (order, _) = creation_order(&b, dialect);
    for tb in &order {
        match a.tables.iter().find(|t| t.key() == tb.key()) {
            None => plan.create_table(&crate::generate::local_part(&b, tb))?,
            Some(ta) => plan.alter_table(ta, tb)?,
        }
    }
    plan.objects(&a, &b)?;
    Ok(plan.finish())
}

/// The phases of a plan (see the module documentation), filled in any order.
struct Plan {
    g: SchemaGenerator,
    d: Dialect,
    options: DiffOptions,
    pre: Vec<Change>,
    types: Vec<Change>,
    drops: Vec<Change>,
    tables: Vec<Change>,
    columns: Vec<Change>,
    adds: Vec<Change>,
    fks: Vec<Change>,
    post: Vec<Change>,
    cleanup: Vec<Change>,
    notices: Vec<String>,
    unsupported: Vec<Unsupported>,
    /// Tables (by key) whose columns change, dropped or rebuilt: views reading them are
    /// recreated.
    touched: HashSet<String>,
    /// Tables (by key) SQLite rebuilds: their triggers are recreated.
    rebuilt: HashSet<String>,
}

fn change(sql: String, description: String, destructive: bool) -> Change {
    Change {
        sql,
        description,
        destructive,
        outside_transaction: false,
    }
}

impl Plan {
    fn new(d: Dialect, options: DiffOptions) -> Self {
        Plan {
            g: SchemaGenerator::new(d),
            d,
            options,
            pre: Vec::new(),
            types: Vec::new(),
            drops: Vec::new(),
            tables: Vec::new(),
            columns: Vec::new(),
            adds: Vec::new(),
            fks: Vec::new(),
            post: Vec::new(),
            cleanup: Vec::new(),
            notices: Vec::new(),
            unsupported: Vec::new(),
            touched: HashSet::new(),
            rebuilt: HashSet::new(),
        }
    }

    fn finish(self) -> DiffPlan {
        let mut out = self.pre;
        for phase in [
            self.types,
            self.drops,
            self.tables,
            self.columns,
            self.adds,
            self.fks,
            self.post,
            self.cleanup,
        ] {
            out.extend(phase);
        }
        DiffPlan {
            changes: out,
            notices: self.notices,
            unsupported: self.unsupported,
        }
    }

    fn q(&self, s: &str) -> String {
        self.d.quote(s)
    }

    /// Records a change this diff will not make, naming the object and why.
    fn refuse(&mut self, kind: &str, name: &str, reason: String) {
        self.unsupported.push(Unsupported {
            kind: kind.to_string(),
            name: name.to_string(),
            reason,
        });
    }
}

#[cfg(test)]
mod tests;
