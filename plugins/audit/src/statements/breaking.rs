//! Schema changes that break running code or existing rows, on every engine: renamed and
//! dropped columns and tables, and NOT NULL columns added without a default.

use super::alter::{self, Action};
use super::batch::Batch;
use super::name::rename_pairs;
use super::Hit;
use crate::engine::Engine;
use crate::words::Word;
use myrmex_plugin::audit::{AuditTarget, Rule, Severity};

/// `ADD COLUMN … NOT NULL` without a default.
pub const ADD_COLUMN_NOT_NULL_WITHOUT_DEFAULT: Rule = Rule {
    id: "add-column-not-null-without-default",
    severity: Severity::HIGH,
    target: AuditTarget::STATEMENTS,
    summary: "Adding a NOT NULL column without a default fails on a table that has rows \
              (PostgreSQL), or fills them with the type's zero value (MySQL, MariaDB).",
    remedy: "Add the column with a DEFAULT, or add it nullable, backfill it, then make it NOT \
             NULL.",
};

/// `RENAME COLUMN`, MySQL's `CHANGE old new`.
pub const RENAME_COLUMN: Rule = Rule {
    id: "rename-column",
    severity: Severity::MEDIUM,
    target: AuditTarget::STATEMENTS,
    summary: "Renaming a column breaks running code that still uses the old name.",
    remedy: "Add the new column, write both while the code moves over, and drop the old one in \
             a later release.",
};

/// `ALTER TABLE … RENAME TO`, MySQL's `RENAME TABLE`.
pub const RENAME_TABLE: Rule = Rule {
    id: "rename-table",
    severity: Severity::MEDIUM,
    target: AuditTarget::STATEMENTS,
    summary: "Renaming a table breaks running code that still uses the old name.",
    remedy: "Rename in a release of its own, with a view under the old name while the code \
             moves over.",
};

/// `DROP COLUMN`.
pub const DROP_COLUMN: Rule = Rule {
    id: "drop-column",
    severity: Severity::HIGH,
    target: AuditTarget::STATEMENTS,
    summary: "Dropping a column loses its data and breaks running code that still reads it.",
    remedy: "Stop using the column in the code first, release, then drop it in a later \
             migration, after a backup.",
};

/// The rules of this module.
pub const RULES: &[Rule] = &[
    ADD_COLUMN_NOT_NULL_WITHOUT_DEFAULT,
    RENAME_COLUMN,
    RENAME_TABLE,
    DROP_COLUMN,
];

/// Adds what the statement `words` triggers on `engine` to `hits`.
pub fn check(words: &[Word], engine: Engine, batch: &Batch, hits: &mut Vec<Hit>) {
    for (from, to) in rename_pairs(words) {
        if !batch.is_new(&from) {
            hits.push(renamed_table(&from.display(), &to.display()));
        }
    }
    let Some(a) = alter::parse(words) else {
        return;
    };
    if batch.is_new(&a.table) {
        return;
    }
    let t = a.table.display();
    for action in &a.actions {
        match action {
            Action::AddColumn { column, def }
                if def.not_null && !def.fills_rows && engine != Engine::Sqlite =>
            {
                let outcome = if engine == Engine::Postgres {
                    format!("fails if {t} has rows")
                } else {
                    "fills existing rows with the type's zero value".to_string()
                };
                hits.push(Hit::new(
                    &ADD_COLUMN_NOT_NULL_WITHOUT_DEFAULT,
                    &t,
                    format!("adding NOT NULL column {column} to {t} without a default {outcome}"),
                ));
            }
            Action::RenameColumn { from, to } => hits.push(renamed_column(&t, from, to)),
            Action::Change { from, to } if !from.eq_ignore_ascii_case(to) => {
                hits.push(renamed_column(&t, from, to))
            }
            Action::RenameTable { to } => hits.push(renamed_table(&t, &to.display())),
            Action::DropColumn { column } => hits.push(Hit::new(
                &DROP_COLUMN,
                &t,
                format!("dropping column {t}.{column} loses its data and breaks code that still reads it"),
            )),
            _ => {}
        }
    }
}

/// A `rename-column` hit.
fn renamed_column(table: &str, from: &str, to: &str) -> Hit {
    Hit::new(
        &RENAME_COLUMN,
        table,
        format!("renaming column {table}.{from} to {to} breaks code that still uses {from}"),
    )
}

/// A `rename-table` hit.
fn renamed_table(from: &str, to: &str) -> Hit {
    Hit::new(
        &RENAME_TABLE,
        from,
        format!("renaming table {from} to {to} breaks code that still uses {from}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::words::words;

    fn hits_in(sqls: &[&str], engine: Engine) -> Vec<(String, String)> {
        let mut batch = Batch::default();
        let mut hits = Vec::new();
        for s in sqls {
            let w = words(s, engine.flavor());
            check(&w, engine, &batch, &mut hits);
            batch.record(&w);
        }
        hits.into_iter()
            .map(|h| (h.rule.id.to_string(), h.message))
            .collect()
    }

    fn ids(sqls: &[&str], engine: Engine) -> Vec<String> {
        hits_in(sqls, engine)
            .into_iter()
            .map(|(id, _)| id)
            .collect()
    }

    #[test]
    fn not_null_columns_without_a_default() {
        let h = hits_in(
            &["ALTER TABLE t ADD COLUMN c int NOT NULL"],
            Engine::Postgres,
        );
        assert_eq!(h[0].0, "add-column-not-null-without-default");
        assert_eq!(
            h[0].1,
            "adding NOT NULL column c to t without a default fails if t has rows"
        );
        let h = hits_in(&["ALTER TABLE t ADD c int NOT NULL"], Engine::Mysql);
        assert!(h[0].1.ends_with("zero value"), "{h:?}");
        for fine in [
            "ALTER TABLE t ADD COLUMN c int NOT NULL DEFAULT 0",
            "ALTER TABLE t ADD COLUMN c int",
            "ALTER TABLE t ADD COLUMN c int CHECK (c IS NOT NULL)",
            "ALTER TABLE t ADD COLUMN c bigint GENERATED ALWAYS AS IDENTITY NOT NULL",
            "ALTER TABLE t ADD COLUMN c text /* NOT NULL */",
            "ALTER TABLE t ADD COLUMN c text DEFAULT 'NOT NULL'",
        ] {
            assert_eq!(
                ids(&[fine], Engine::Postgres),
                Vec::<String>::new(),
                "{fine}"
            );
        }
        assert!(ids(&["ALTER TABLE t ADD c int NOT NULL"], Engine::Sqlite).is_empty());
    }

    #[test]
    fn renames() {
        assert_eq!(
            ids(&["ALTER TABLE t RENAME COLUMN a TO b"], Engine::Postgres),
            ["rename-column"]
        );
        assert_eq!(
            ids(&["ALTER TABLE t RENAME a TO b"], Engine::Sqlite),
            ["rename-column"]
        );
        assert_eq!(
            ids(&["ALTER TABLE t RENAME TO u"], Engine::Sqlite),
            ["rename-table"]
        );
        assert_eq!(
            ids(
                &["ALTER TABLE t CHANGE a b int, CHANGE c c bigint"],
                Engine::Mysql
            ),
            ["rename-column"]
        );
        assert_eq!(
            ids(&["RENAME TABLE a TO b, c TO d"], Engine::Mysql).len(),
            2
        );
        assert!(ids(
            &["ALTER TABLE t RENAME CONSTRAINT a TO b"],
            Engine::Postgres
        )
        .is_empty());
        assert!(ids(&["ALTER INDEX i RENAME TO j"], Engine::Postgres).is_empty());
    }

    #[test]
    fn dropped_columns() {
        assert_eq!(
            ids(&["ALTER TABLE t DROP COLUMN IF EXISTS a"], Engine::Postgres),
            ["drop-column"]
        );
        assert_eq!(
            ids(&["ALTER TABLE t DROP a"], Engine::Mysql),
            ["drop-column"]
        );
        assert!(ids(&["ALTER TABLE t DROP CONSTRAINT a"], Engine::Postgres).is_empty());
        assert!(ids(
            &["ALTER TABLE t DROP INDEX a, DROP PRIMARY KEY"],
            Engine::Mysql
        )
        .is_empty());
        assert!(ids(&["SELECT 'ALTER TABLE t DROP COLUMN a'"], Engine::Postgres).is_empty());
    }

    #[test]
    fn new_tables_are_exempt() {
        let sqls = [
            "CREATE TABLE t_new (a int)",
            "ALTER TABLE t_new ADD COLUMN b int NOT NULL",
            "ALTER TABLE t_new DROP COLUMN a",
            "ALTER TABLE t_new RENAME TO t",
            "ALTER TABLE t RENAME COLUMN b TO c",
        ];
        assert!(ids(&sqls, Engine::Postgres).is_empty());
    }
}
