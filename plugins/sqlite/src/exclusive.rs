//! The transaction a migration runs in: `BEGIN IMMEDIATE` (the write lock is taken at once,
//! not at the first write, so two writers cannot deadlock upgrading), with foreign keys
//! switched off around it when the migration's script switches them off.
//!
//! SQLite ignores `PRAGMA foreign_keys` inside a transaction. A migration that switches them
//! off (a table rebuild, as `schema diff` writes it) gets what it means, the way SQLite
//! documents it: off before `BEGIN`, `PRAGMA foreign_key_check` before `COMMIT` (a violation
//! fails the commit and leaves the transaction open, for the caller to roll back), and the
//! previous setting back once the transaction has ended.

use crate::error::{map, map_sql};
use myrmex_plugin::sql::{split_statements, without_leading_comments};
use myrmex_plugin::{ErrorKind, PluginError};
use rusqlite::Connection;

/// How many violations the error names.
const NAMED: usize = 5;

/// The foreign-key handling of the open migration transaction.
#[derive(Default)]
pub struct Exclusive {
    /// Set while foreign keys are switched off for a transaction: whether they were on
    /// before.
    restore: Option<bool>,
}

impl Exclusive {
    /// Begins the migration transaction for `script`.
    pub fn begin(&mut self, conn: &Connection, script: &str) -> Result<(), PluginError> {
        // A transaction ended by a plain `COMMIT` statement still owes the setting back.
        self.restore(conn)?;
        // Inside a transaction the pragma does nothing, and BEGIN below reports the
        // transaction already open.
        if conn.is_autocommit() && switches_foreign_keys_off(script) {
            let before = foreign_keys_on(conn)?;
            if before {
                set_foreign_keys(conn, false)?;
            }
            self.restore = Some(before);
        }
        if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
            let begun = map_sql(e, "BEGIN IMMEDIATE");
            self.restore(conn)?;
            return Err(begun);
        }
        Ok(())
    }

    /// Before `COMMIT`: the rows the transaction left without a parent while foreign keys
    /// were off, as a [`ErrorKind::CONSTRAINT`] error naming them.
    pub fn check(&self, conn: &Connection) -> Result<(), PluginError> {
        if self.restore.is_none() {
            return Ok(());
        }
        let mut stmt = conn.prepare("PRAGMA foreign_key_check").map_err(map)?;
        let mut rows = stmt.query([]).map_err(map)?;
        let mut named = Vec::new();
        let mut count = 0u64;
        while let Some(r) = rows.next().map_err(map)? {
            count += 1;
            if named.len() < NAMED {
                let table: String = r.get(0).map_err(map)?;
                let rowid: Option<i64> = r.get(1).map_err(map)?;
                let parent: String = r.get(2).map_err(map)?;
                let rowid = rowid.map_or_else(|| "(without rowid)".to_string(), |i| i.to_string());
                named.push(format!("{table} row {rowid} -> {parent}"));
            }
        }
        if count == 0 {
            return Ok(());
        }
        let more = if count > named.len() as u64 {
            ", …"
        } else {
            ""
        };
        Err(PluginError::new(
            ErrorKind::CONSTRAINT,
            format!(
                "the transaction ran with foreign keys off and leaves {count} row(s) without a \
                 parent ({}{more}); it is still open: roll it back",
                named.join(", ")
            ),
        ))
    }

    /// After the transaction has ended: switches foreign keys back on when they were on
    /// before. Does nothing while the transaction is still open.
    pub fn restore(&mut self, conn: &Connection) -> Result<(), PluginError> {
        if !conn.is_autocommit() {
            return Ok(());
        }
        match self.restore.take() {
            Some(true) => set_foreign_keys(conn, true),
            _ => Ok(()),
        }
    }
}

/// True when `script` holds a statement that switches foreign keys off.
pub fn switches_foreign_keys_off(script: &str) -> bool {
    split_statements(script)
        .iter()
        .any(|s| fk_pragma(s) == Some(false))
}

/// `Some(on)` for `PRAGMA foreign_keys = ON|OFF|1|0|true|false|yes|no`.
fn fk_pragma(sql: &str) -> Option<bool> {
    let flat: String = without_leading_comments(sql)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_lowercase();
    let value = flat
        .strip_prefix("pragma foreign_keys")?
        .trim_start()
        .strip_prefix('=')?
        .trim()
        .trim_matches(['\'', '"']);
    match value {
        "on" | "1" | "true" | "yes" => Some(true),
        "off" | "0" | "false" | "no" => Some(false),
        _ => None,
    }
}

fn foreign_keys_on(conn: &Connection) -> Result<bool, PluginError> {
    conn.query_row("PRAGMA foreign_keys", [], |r| r.get::<_, i64>(0))
        .map(|v| v == 1)
        .map_err(map)
}

fn set_foreign_keys(conn: &Connection, on: bool) -> Result<(), PluginError> {
    let sql = if on {
        "PRAGMA foreign_keys = ON"
    } else {
        "PRAGMA foreign_keys = OFF"
    };
    conn.execute_batch(sql).map_err(map)
}

#[cfg(test)]
mod tests {
    use super::fk_pragma;
    use crate::driver::SqliteDriver;
    use myrmex_plugin::{all_rows, Connection, Driver, ErrorKind, Params, Value};

    #[test]
    fn foreign_key_pragmas() {
        assert_eq!(
            fk_pragma("-- rebuild t\nPRAGMA foreign_keys = OFF"),
            Some(false)
        );
        assert_eq!(fk_pragma("pragma  FOREIGN_KEYS=1"), Some(true));
        assert_eq!(fk_pragma("PRAGMA foreign_keys = 'no'"), Some(false));
        assert_eq!(fk_pragma("PRAGMA foreign_key_check"), None);
        assert_eq!(fk_pragma("PRAGMA foreign_keys"), None);
        assert!(super::switches_foreign_keys_off(
            "CREATE TABLE x (a); /* ; */ PRAGMA foreign_keys = false; SELECT 'PRAGMA foreign_keys = OFF'"
        ));
        assert!(!super::switches_foreign_keys_off(
            "SELECT 'PRAGMA foreign_keys = OFF'; -- PRAGMA foreign_keys = OFF"
        ));
    }

    fn foreign_keys(c: &mut crate::conn::SqliteConnection) -> Value {
        all_rows(c, "PRAGMA foreign_keys", Params::none()).unwrap()[0][0].clone()
    }

    fn setup(name: &str) -> crate::conn::SqliteConnection {
        let path = crate::testing::db_path(name);
        let mut c = SqliteDriver
            .connect(&crate::testing::options(&path, &[]))
            .unwrap();
        c.execute_batch(
            "CREATE TABLE parent (id INTEGER PRIMARY KEY); \
             CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INT REFERENCES parent (id)); \
             INSERT INTO parent VALUES (1); INSERT INTO child VALUES (10, 1)",
        )
        .unwrap();
        c
    }

    #[test]
    fn a_rebuild_with_foreign_keys_off_commits_and_restores_them() {
        let mut c = setup("rebuild");
        let script = "PRAGMA foreign_keys = OFF; \
            CREATE TABLE parent_new (id INTEGER PRIMARY KEY, name TEXT); \
            INSERT INTO parent_new (id) SELECT id FROM parent; DROP TABLE parent; \
            ALTER TABLE parent_new RENAME TO parent; PRAGMA foreign_keys = ON";
        c.begin_exclusive(script).unwrap();
        assert!(c.in_transaction());
        assert_eq!(foreign_keys(&mut c), Value::Int(0));
        c.execute_batch(script).unwrap();
        c.commit().unwrap();
        assert!(!c.in_transaction());
        assert_eq!(foreign_keys(&mut c), Value::Int(1));
    }

    #[test]
    fn violations_fail_the_commit_and_leave_the_transaction_open() {
        let mut c = setup("violations");
        let script = "PRAGMA foreign_keys = OFF; DELETE FROM parent";
        c.begin_exclusive(script).unwrap();
        c.execute_batch(script).unwrap();
        let e = c.commit().unwrap_err();
        assert_eq!(e.kind, ErrorKind::CONSTRAINT);
        assert!(
            e.message
                .contains("1 row(s) without a parent (child row 10 -> parent)"),
            "{e}"
        );
        assert!(c.in_transaction(), "left open for the caller");
        c.rollback().unwrap();
        assert_eq!(foreign_keys(&mut c), Value::Int(1));
        let left = all_rows(&mut c, "SELECT count(*) FROM parent", Params::none()).unwrap();
        assert_eq!(left, [[Value::Int(1)]]);
    }

    #[test]
    fn without_the_pragma_foreign_keys_stay_on() {
        let mut c = setup("pragma-absent");
        c.begin_exclusive("DELETE FROM child").unwrap();
        assert_eq!(foreign_keys(&mut c), Value::Int(1));
        let e = c.execute_batch("DELETE FROM parent").unwrap_err();
        assert_eq!(e.kind, ErrorKind::CONSTRAINT);
        c.rollback().unwrap();
        // BEGIN inside a transaction fails and leaves the setting as it was.
        c.begin().unwrap();
        assert!(c.begin_exclusive("PRAGMA foreign_keys = OFF").is_err());
        c.rollback().unwrap();
        assert_eq!(foreign_keys(&mut c), Value::Int(1));
    }
}
