//! MySQL and MariaDB migration safety: `ALTER TABLE` that the server may run by copying the
//! table while writes wait. Reported only for tables at or above the size threshold.

use super::alter::{self, Action};
use super::batch::Batch;
use super::{Hit, Sized};
use crate::words::Word;
use myrmex_plugin::audit::{AuditTarget, Rule, Severity};

/// `ALTER TABLE` that cannot, or is not asked to, run online.
pub const ALTER_WITHOUT_ONLINE: Rule = Rule {
    id: "alter-without-online",
    severity: Severity::MEDIUM,
    target: AuditTarget::STATEMENTS,
    summary: "An ALTER TABLE the server may run by copying the table, blocking writes until the \
              copy ends.",
    remedy: "Add ALGORITHM=INSTANT, or ALGORITHM=INPLACE, LOCK=NONE, so that the server refuses \
             a change it cannot make online instead of blocking; change column types with an \
             online schema change tool (gh-ost, pt-online-schema-change).",
};

/// The rules of this module.
pub const RULES: &[Rule] = &[ALTER_WITHOUT_ONLINE];

/// Adds what the statement `words` triggers to `hits`.
pub fn check(words: &[Word], batch: &Batch, hits: &mut Vec<Hit>) {
    let Some(a) = alter::parse(words) else {
        return;
    };
    if batch.is_new(&a.table) || asks_online(words, &a.actions) || only_renames(&a.actions) {
        return;
    }
    let t = a.table.display();
    let copied: Vec<&str> = a
        .actions
        .iter()
        .filter_map(|x| match x {
            Action::Modify { column } | Action::Change { from: column, .. } => {
                Some(column.as_str())
            }
            _ => None,
        })
        .collect();
    let converts = a
        .actions
        .iter()
        .any(|x| matches!(x, Action::Other { keyword } if keyword == "CONVERT"));
    let message = if !copied.is_empty() {
        format!(
            "redefining column {} of {t} (MODIFY/CHANGE) copies the table and blocks writes \
             until the copy ends",
            copied.join(", ")
        )
    } else if converts {
        format!("converting the character set of {t} copies the table and blocks writes until the copy ends")
    } else {
        format!(
            "ALTER TABLE {t} names no ALGORITHM= or LOCK=: the server may copy the table and \
             block writes until the copy ends"
        )
    };
    hits.push(Hit::new(&ALTER_WITHOUT_ONLINE, &t, message).sized(Sized::Table(a.table)));
}

/// True when the statement asks to run online: `ALGORITHM=INSTANT|INPLACE|NOCOPY`,
/// `LOCK=NONE`, or MariaDB's `ALTER ONLINE TABLE`. The server then refuses a change it
/// cannot make that way rather than block.
fn asks_online(words: &[Word], actions: &[Action]) -> bool {
    words.get(1).is_some_and(|w| w.is("ONLINE"))
        || actions.iter().any(|x| match x {
            Action::Setting { name, value } if name == "ALGORITHM" => {
                matches!(value.as_str(), "INSTANT" | "INPLACE" | "NOCOPY")
            }
            Action::Setting { name, value } if name == "LOCK" => value == "NONE",
            _ => false,
        })
}

/// True when every action only renames (the table, a column or an index): metadata the
/// server changes at once.
fn only_renames(actions: &[Action]) -> bool {
    actions.iter().all(|x| {
        matches!(x, Action::RenameTable { .. } | Action::RenameColumn { .. })
            || matches!(x, Action::Other { keyword } if keyword == "RENAME")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::words::words;
    use myrmex_plugin::sql::Flavor;

    fn hits(sqls: &[&str]) -> Vec<(String, String)> {
        let mut batch = Batch::default();
        let mut hits = Vec::new();
        for s in sqls {
            let w = words(s, Flavor::Mysql);
            check(&w, &batch, &mut hits);
            batch.record(&w);
        }
        hits.into_iter().map(|h| (h.object, h.message)).collect()
    }

    #[test]
    fn type_changes_copy_the_table() {
        let h = hits(&["ALTER TABLE t MODIFY COLUMN a bigint NOT NULL"]);
        assert_eq!(h.len(), 1);
        assert!(h[0].1.starts_with("redefining column a of t"), "{h:?}");
        let h = hits(&["ALTER TABLE t CHANGE a b bigint, ALGORITHM=COPY"]);
        assert!(h[0].1.contains("column a"), "{h:?}");
        assert_eq!(
            hits(&["ALTER TABLE t CONVERT TO CHARACTER SET utf8mb4"]).len(),
            1
        );
    }

    #[test]
    fn any_alter_without_online_clauses() {
        let h = hits(&["ALTER TABLE t ADD COLUMN c int"]);
        assert!(h[0].1.contains("names no ALGORITHM= or LOCK="), "{h:?}");
        assert_eq!(hits(&["ALTER TABLE t ADD INDEX (c), LOCK=SHARED"]).len(), 1);
    }

    #[test]
    fn online_requests_and_renames_are_not_reported() {
        for fine in [
            "ALTER TABLE t ADD COLUMN c int, ALGORITHM=INSTANT",
            "ALTER TABLE t MODIFY a bigint, ALGORITHM=INPLACE, LOCK=NONE",
            "ALTER TABLE t ADD INDEX (c), LOCK = NONE",
            "ALTER ONLINE TABLE t ADD INDEX (c)",
            "ALTER TABLE t /*!50600 ALGORITHM=INPLACE */ ADD INDEX (c)",
            "ALTER TABLE t RENAME TO u",
            "ALTER TABLE t RENAME COLUMN a TO b, RENAME INDEX i TO j",
            "SELECT 'ALTER TABLE t MODIFY a int'",
        ] {
            assert!(hits(&[fine]).is_empty(), "{fine}");
        }
    }

    #[test]
    fn new_tables_are_exempt() {
        assert!(hits(&["CREATE TABLE t (a int)", "ALTER TABLE t MODIFY a bigint"]).is_empty());
    }
}
