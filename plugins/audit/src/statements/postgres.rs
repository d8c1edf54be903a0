//! PostgreSQL migration safety: statements that hold strong locks for as long as they scan
//! or rewrite a table. Each is reported only for tables at or above the size threshold.

use super::alter::{self, Action};
use super::batch::Batch;
use super::index::{create_index, drop_index};
use super::name::{name_at, skip, skip_any, split_commas};
use super::{Hit, Sized};
use crate::words::Word;
use myrmex_plugin::audit::{AuditTarget, Rule, Severity};

/// `CREATE INDEX` / `DROP INDEX` without `CONCURRENTLY`.
pub const INDEX_WITHOUT_CONCURRENTLY: Rule = Rule {
    id: "index-without-concurrently",
    severity: Severity::MEDIUM,
    target: AuditTarget::STATEMENTS,
    summary: "CREATE INDEX or DROP INDEX without CONCURRENTLY blocks writes to the table for as \
              long as it runs.",
    remedy: "Use CREATE INDEX CONCURRENTLY or DROP INDEX CONCURRENTLY, outside a transaction \
             block.",
};

/// `ALTER COLUMN … SET NOT NULL`.
pub const SET_NOT_NULL: Rule = Rule {
    id: "set-not-null",
    severity: Severity::MEDIUM,
    target: AuditTarget::STATEMENTS,
    summary: "SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock, blocking reads \
              and writes.",
    remedy: "Add CHECK (col IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT it in a later statement, \
             then SET NOT NULL (PostgreSQL 12 and later use the check and skip the scan) and \
             drop the check.",
};

/// `ADD FOREIGN KEY` without `NOT VALID`.
pub const FOREIGN_KEY_WITHOUT_NOT_VALID: Rule = Rule {
    id: "foreign-key-without-not-valid",
    severity: Severity::MEDIUM,
    target: AuditTarget::STATEMENTS,
    summary: "Adding a foreign key checks every row while blocking writes to both tables.",
    remedy: "Add it NOT VALID, then VALIDATE CONSTRAINT in a separate statement, which does not \
             block writes.",
};

/// `ADD CHECK` without `NOT VALID`.
pub const CHECK_WITHOUT_NOT_VALID: Rule = Rule {
    id: "check-without-not-valid",
    severity: Severity::MEDIUM,
    target: AuditTarget::STATEMENTS,
    summary: "Adding a CHECK constraint scans the whole table under an ACCESS EXCLUSIVE lock.",
    remedy: "Add it NOT VALID, then VALIDATE CONSTRAINT in a separate statement, which does not \
             block reads or writes.",
};

/// `ALTER COLUMN … TYPE`.
pub const ALTER_COLUMN_TYPE: Rule = Rule {
    id: "alter-column-type",
    severity: Severity::HIGH,
    target: AuditTarget::STATEMENTS,
    summary: "Changing a column's type rewrites the table and its indexes under an ACCESS \
              EXCLUSIVE lock.",
    remedy: "Add a column of the new type, backfill it in batches, move the code over, then \
             drop the old column.",
};

/// `VACUUM FULL`.
pub const VACUUM_FULL: Rule = Rule {
    id: "vacuum-full",
    severity: Severity::MEDIUM,
    target: AuditTarget::STATEMENTS,
    summary: "VACUUM FULL rewrites the table under an ACCESS EXCLUSIVE lock, blocking reads and \
              writes.",
    remedy: "Use plain VACUUM, or rebuild online with a tool such as pg_repack.",
};

/// `CLUSTER`.
pub const CLUSTER: Rule = Rule {
    id: "cluster",
    severity: Severity::MEDIUM,
    target: AuditTarget::STATEMENTS,
    summary: "CLUSTER rewrites the table under an ACCESS EXCLUSIVE lock, blocking reads and \
              writes.",
    remedy: "Reorder online with a tool such as pg_repack, or run it in a maintenance window.",
};

/// The rules of this module.
pub const RULES: &[Rule] = &[
    INDEX_WITHOUT_CONCURRENTLY,
    SET_NOT_NULL,
    FOREIGN_KEY_WITHOUT_NOT_VALID,
    CHECK_WITHOUT_NOT_VALID,
    ALTER_COLUMN_TYPE,
    VACUUM_FULL,
    CLUSTER,
];

/// Adds what the statement `words` triggers to `hits`.
pub fn check(words: &[Word], batch: &Batch, hits: &mut Vec<Hit>) {
    indexes(words, batch, hits);
    alter_table(words, batch, hits);
    vacuum(words, hits);
    cluster(words, hits);
}

/// `CREATE INDEX` and `DROP INDEX` without `CONCURRENTLY`, except on tables new in the batch.
fn indexes(words: &[Word], batch: &Batch, hits: &mut Vec<Hit>) {
    if let Some(ix) = create_index(words) {
        if !ix.concurrently && !batch.is_new(&ix.table) {
            let t = ix.table.display();
            hits.push(
                Hit::new(
                    &INDEX_WITHOUT_CONCURRENTLY,
                    &t,
                    format!("CREATE INDEX on {t} without CONCURRENTLY blocks writes to {t} while the index builds"),
                )
                .sized(Sized::Table(ix.table)),
            );
        }
    } else if let Some((names, false)) = drop_index(words) {
        for ix in names.into_iter().filter(|n| !batch.index_is_new(n)) {
            let i = ix.display();
            hits.push(
                Hit::new(
                    &INDEX_WITHOUT_CONCURRENTLY,
                    &i,
                    format!(
                        "DROP INDEX {i} without CONCURRENTLY blocks reads and writes of its table"
                    ),
                )
                .sized(Sized::Index(ix)),
            );
        }
    }
}

/// The locking actions of an `ALTER TABLE` on a table that is not new in the batch.
fn alter_table(words: &[Word], batch: &Batch, hits: &mut Vec<Hit>) {
    let Some(a) = alter::parse(words) else {
        return;
    };
    if batch.is_new(&a.table) {
        return;
    }
    let t = a.table.display();
    for action in &a.actions {
        let (rule, message) = match action {
            Action::SetNotNull { column } => (
                &SET_NOT_NULL,
                format!("SET NOT NULL on {t}.{column} scans {t} under an ACCESS EXCLUSIVE lock"),
            ),
            Action::AddConstraint { kind, not_valid: false } if kind == "FOREIGN" => (
                &FOREIGN_KEY_WITHOUT_NOT_VALID,
                format!("a foreign key added to {t} without NOT VALID checks every row while blocking writes"),
            ),
            Action::AddConstraint { kind, not_valid: false } if kind == "CHECK" => (
                &CHECK_WITHOUT_NOT_VALID,
                format!("a CHECK added to {t} without NOT VALID scans it under an ACCESS EXCLUSIVE lock"),
            ),
            Action::AlterType { column } => (
                &ALTER_COLUMN_TYPE,
                format!("changing the type of {t}.{column} rewrites {t} under an ACCESS EXCLUSIVE lock"),
            ),
            _ => continue,
        };
        hits.push(Hit::new(rule, &t, message).sized(Sized::Table(a.table.clone())));
    }
}

/// `VACUUM FULL [table, …]` and `VACUUM (FULL [true]) [table, …]`.
fn vacuum(words: &[Word], hits: &mut Vec<Hit>) {
    if !words.first().is_some_and(|w| w.is("VACUUM")) {
        return;
    }
    let (full, i) = if words.get(1).is_some_and(|w| w.is_punct('(')) {
        let end = super::name::group_end(words, 2);
        let full = (2..end).any(|j| {
            words[j].is("FULL")
                && !words
                    .get(j + 1)
                    .is_some_and(|v| v.is("FALSE") || v.is("OFF") || v.text == "0")
        });
        (full, end + 1)
    } else {
        let i = skip_any(
            words,
            1,
            &["FULL", "FREEZE", "VERBOSE", "ANALYZE", "ANALYSE"],
        );
        ((1..i).any(|j| words[j].is("FULL")), i)
    };
    if full {
        rewrites(&VACUUM_FULL, "VACUUM FULL", words, i, hits);
    }
}

/// `CLUSTER [VERBOSE] [(options)] [table [USING index]]`.
fn cluster(words: &[Word], hits: &mut Vec<Hit>) {
    if !words.first().is_some_and(|w| w.is("CLUSTER")) {
        return;
    }
    let mut i = skip(words, 1, &["VERBOSE"]);
    if words.get(i).is_some_and(|w| w.is_punct('(')) {
        i = super::name::group_end(words, i + 1) + 1;
    }
    rewrites(&CLUSTER, "CLUSTER", words, i, hits);
}

/// A hit of `rule` for each table listed from `words[i]`, or one for the whole database.
fn rewrites(rule: &'static Rule, what: &str, words: &[Word], i: usize, hits: &mut Vec<Hit>) {
    let tables: Vec<_> = split_commas(&words[i.min(words.len())..], 0)
        .into_iter()
        .filter_map(|item| name_at(item, 0).map(|(n, _)| n))
        .collect();
    if tables.is_empty() {
        hits.push(Hit::new(
            rule,
            "statement",
            format!("{what} with no table rewrites every table it applies to, each under an ACCESS EXCLUSIVE lock"),
        ));
    }
    for t in tables {
        let name = t.display();
        hits.push(
            Hit::new(
                rule,
                &name,
                format!("{what} rewrites {name} under an ACCESS EXCLUSIVE lock"),
            )
            .sized(Sized::Table(t)),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::words::words;
    use myrmex_plugin::sql::Flavor;

    fn hits(sqls: &[&str]) -> Vec<(String, String, bool)> {
        let mut batch = Batch::default();
        let mut hits = Vec::new();
        for s in sqls {
            let w = words(s, Flavor::Postgres);
            check(&w, &batch, &mut hits);
            batch.record(&w);
        }
        hits.into_iter()
            .map(|h| (h.rule.id.to_string(), h.object, h.size_of.is_some()))
            .collect()
    }

    fn ids(sql: &str) -> Vec<String> {
        hits(&[sql]).into_iter().map(|(id, _, _)| id).collect()
    }

    #[test]
    fn indexes_without_concurrently() {
        assert_eq!(
            hits(&["CREATE INDEX i ON orders (a)"]),
            [("index-without-concurrently".into(), "orders".into(), true)]
        );
        assert_eq!(
            ids("CREATE UNIQUE INDEX IF NOT EXISTS i ON app.t (a)").len(),
            1
        );
        assert!(ids("CREATE INDEX CONCURRENTLY i ON t (a)").is_empty());
        assert!(ids("CREATE INDEX /* CONCURRENTLY */ i ON t (a)").len() == 1);
        assert_eq!(
            hits(&["DROP INDEX IF EXISTS i"]),
            [("index-without-concurrently".into(), "i".into(), true)]
        );
        assert!(ids("DROP INDEX CONCURRENTLY i").is_empty());
        assert!(ids("SELECT 'CREATE INDEX i ON t (a)'").is_empty());
    }

    #[test]
    fn indexes_on_tables_created_in_the_batch_are_exempt() {
        let sqls = [
            "CREATE TABLE t (a int)",
            "CREATE INDEX t_a ON t (a)",
            "DROP INDEX t_a",
            "CREATE INDEX old_a ON old (a)",
        ];
        assert_eq!(
            hits(&sqls),
            [("index-without-concurrently".into(), "old".into(), true)]
        );
    }

    #[test]
    fn locking_alter_table_actions() {
        assert_eq!(
            ids("ALTER TABLE t ALTER COLUMN a SET NOT NULL"),
            ["set-not-null"]
        );
        assert!(ids("ALTER TABLE t ALTER COLUMN a DROP NOT NULL").is_empty());
        assert_eq!(
            ids("ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES u (id)"),
            ["foreign-key-without-not-valid"]
        );
        assert!(
            ids("ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES u (id) NOT VALID")
                .is_empty()
        );
        assert_eq!(
            ids("ALTER TABLE t ADD CHECK (a > 0)"),
            ["check-without-not-valid"]
        );
        assert!(ids("ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID").is_empty());
        assert!(ids("ALTER TABLE t VALIDATE CONSTRAINT c").is_empty());
        assert_eq!(
            ids("ALTER TABLE t ALTER a TYPE bigint"),
            ["alter-column-type"]
        );
        assert_eq!(
            ids("ALTER TABLE t ALTER COLUMN a SET DATA TYPE bigint, ALTER b SET NOT NULL"),
            ["alter-column-type", "set-not-null"]
        );
        assert!(ids("ALTER TABLE t ALTER COLUMN a SET DEFAULT 'TYPE'").is_empty());
        assert!(hits(&[
            "CREATE TABLE t (a int)",
            "ALTER TABLE t ALTER a TYPE bigint"
        ])
        .is_empty());
    }

    #[test]
    fn vacuum_full_and_cluster() {
        assert_eq!(hits(&["VACUUM FULL ANALYZE orders, items"]).len(), 2);
        assert_eq!(ids("VACUUM (FULL, ANALYZE) orders"), ["vacuum-full"]);
        assert!(ids("VACUUM (FULL false) orders").is_empty());
        assert!(ids("VACUUM ANALYZE orders").is_empty());
        assert_eq!(
            hits(&["VACUUM FULL"]),
            [("vacuum-full".into(), "statement".into(), false)]
        );
        assert_eq!(
            hits(&["CLUSTER VERBOSE orders USING orders_pkey"]),
            [("cluster".into(), "orders".into(), true)]
        );
        assert_eq!(ids("CLUSTER"), ["cluster"]);
        assert!(ids("SELECT 1 -- CLUSTER orders").is_empty());
    }
}
