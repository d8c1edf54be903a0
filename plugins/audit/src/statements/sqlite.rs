//! SQLite migration safety: changes its `ALTER TABLE` cannot make in place, which need the
//! table rebuilt. Reported only for tables at or above the size threshold.

use super::alter::{self, Action, ColumnDef};
use super::batch::Batch;
use super::{Hit, Sized};
use crate::words::Word;
use myrmex_plugin::audit::{AuditTarget, Rule, Severity};

/// An `ALTER TABLE` only a rebuild of the table can carry out.
pub const ALTER_REBUILD: Rule = Rule {
    id: "alter-rebuild",
    severity: Severity::MEDIUM,
    target: AuditTarget::STATEMENTS,
    summary: "A change SQLite's ALTER TABLE cannot make in place: the table must be rebuilt \
              (create, copy, drop, rename), holding the write lock while every row is copied.",
    remedy: "Write the rebuild out: create the new table, copy the rows, drop the old table and \
             rename the new one in one transaction, then run PRAGMA foreign_key_check.",
};

/// The rules of this module.
pub const RULES: &[Rule] = &[ALTER_REBUILD];

/// Adds what the statement `words` triggers to `hits`.
pub fn check(words: &[Word], batch: &Batch, hits: &mut Vec<Hit>) {
    let Some(a) = alter::parse(words) else {
        return;
    };
    if batch.is_new(&a.table) {
        return;
    }
    let t = a.table.display();
    for action in &a.actions {
        let Some(why) = needs_rebuild(action) else {
            continue;
        };
        hits.push(
            Hit::new(
                &ALTER_REBUILD,
                &t,
                format!("SQLite cannot {why} in place: {t} must be rebuilt"),
            )
            .sized(Sized::Table(a.table.clone())),
        );
    }
}

/// What an action asks that SQLite can only do by rebuilding the table, if anything.
fn needs_rebuild(action: &Action) -> Option<String> {
    match action {
        Action::RenameTable { .. } | Action::RenameColumn { .. } | Action::DropColumn { .. } => {
            None
        }
        Action::AddColumn { column, def } => added_column(column, def),
        Action::AlterType { column } => Some(format!("change the type of column {column}")),
        Action::SetNotNull { column } => Some(format!("make column {column} NOT NULL")),
        Action::AddConstraint { kind, .. } => Some(format!("add a {kind} constraint")),
        Action::Modify { column } | Action::Change { from: column, .. } => {
            Some(format!("redefine column {column}"))
        }
        Action::Setting { name, .. } => Some(format!("apply {name}")),
        Action::Other { keyword } if keyword.is_empty() => None,
        Action::Other { keyword } => Some(format!("{} …", keyword.to_ascii_lowercase())),
    }
}

/// Why SQLite refuses to add the column `column` defined as `def`, if it does.
fn added_column(column: &str, def: &ColumnDef) -> Option<String> {
    let why = if def.keyed {
        "is PRIMARY KEY or UNIQUE"
    } else if def.stored {
        "is a STORED generated column"
    } else if def.expression_default {
        "has a default that is not a constant"
    } else if def.not_null && !def.fills_rows {
        "is NOT NULL without a default"
    } else {
        return None;
    };
    Some(format!("add column {column}, which {why},"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::words::words;
    use myrmex_plugin::sql::Flavor;

    fn messages(sqls: &[&str]) -> Vec<String> {
        let mut batch = Batch::default();
        let mut hits = Vec::new();
        for s in sqls {
            let w = words(s, Flavor::Sqlite);
            check(&w, &batch, &mut hits);
            batch.record(&w);
        }
        hits.into_iter().map(|h| h.message).collect()
    }

    #[test]
    fn changes_that_need_a_rebuild() {
        assert_eq!(
            messages(&["ALTER TABLE t ALTER COLUMN a TYPE bigint"]),
            ["SQLite cannot change the type of column a in place: t must be rebuilt"]
        );
        assert_eq!(
            messages(&["ALTER TABLE t ADD COLUMN c int NOT NULL"]),
            ["SQLite cannot add column c, which is NOT NULL without a default, in place: t must be rebuilt"]
        );
        for sql in [
            "ALTER TABLE t ADD c int UNIQUE",
            "ALTER TABLE t ADD c int PRIMARY KEY",
            "ALTER TABLE t ADD c text DEFAULT CURRENT_TIMESTAMP",
            "ALTER TABLE t ADD c int DEFAULT (abs(random()))",
            "ALTER TABLE t ADD c int AS (a * 2) STORED",
            "ALTER TABLE t ADD CONSTRAINT k CHECK (a > 0)",
            "ALTER TABLE t DROP CONSTRAINT k",
        ] {
            assert_eq!(messages(&[sql]).len(), 1, "{sql}");
        }
    }

    #[test]
    fn changes_sqlite_makes_in_place() {
        for sql in [
            "ALTER TABLE t ADD COLUMN c int",
            "ALTER TABLE t ADD c int NOT NULL DEFAULT 0",
            "ALTER TABLE t ADD c text DEFAULT 'CURRENT_TIMESTAMP'",
            "ALTER TABLE t ADD c int AS (a * 2) VIRTUAL",
            "ALTER TABLE t ADD c int REFERENCES u (id) -- UNIQUE",
            "ALTER TABLE t RENAME TO u",
            "ALTER TABLE t RENAME COLUMN a TO b",
            "ALTER TABLE t DROP COLUMN a",
        ] {
            assert!(messages(&[sql]).is_empty(), "{sql}");
        }
    }

    #[test]
    fn new_tables_are_exempt() {
        assert!(messages(&["CREATE TABLE t (a)", "ALTER TABLE t ADD c int UNIQUE"]).is_empty());
    }
}
