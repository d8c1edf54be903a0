//! Running one step: in a transaction where the engine allows DDL in one (PostgreSQL,
//! SQLite), otherwise statement by statement with the progress recorded after each one
//! (MySQL/MariaDB, and `-- myrmex: no-transaction` parts everywhere).

use super::checksum;
use super::history::{state, History};
use super::plan::{Direction, Step};
use super::source::{MigrationKind, Part, Statement};
use super::{Observer, ScriptRunner};
use crate::error::StatementFailure;
use crate::sql::first_keyword;
use crate::{DatabaseConnection, Error, Result};
use myrmex_schema::Dialect;
use std::time::Instant;

/// MySQL error codes meaning "this DDL already happened": table/column/key/constraint
/// exists, or the thing to drop is gone.
const MYSQL_ALREADY_DONE: &[i64] = &[1007, 1008, 1050, 1051, 1060, 1061, 1091, 1304, 1359, 1826];

/// Runs steps against one connection.
pub struct Runner<'a> {
    /// The connection (holding the migration lock).
    pub conn: &'a mut DatabaseConnection,
    /// The history table.
    pub history: &'a History,
    /// Runs `.rhai` migrations.
    pub scripts: Option<&'a dyn ScriptRunner>,
    /// Recorded in `applied_by`.
    pub applied_by: &'a str,
    /// Asked between statements of a statement-by-statement run (Ctrl-C).
    pub observer: &'a dyn Observer,
}

impl Runner<'_> {
    fn dialect(&self) -> Dialect {
        self.history.dialect
    }

    fn is_mysql(&self) -> bool {
        matches!(self.dialect(), Dialect::Mysql | Dialect::Mariadb)
    }

    /// Runs a step; returns its duration in milliseconds.
    pub fn run(&mut self, step: &Step) -> Result<i64> {
        let started = Instant::now();
        let part = step.part();
        // Split once; a Rhai part has no statements.
        let statements = match step.migration.kind {
            MigrationKind::Sql => part.statements(),
            MigrationKind::Rhai => Vec::new(),
        };
        if !part.no_transaction {
            refuse_transaction_control(part, &statements)?;
        }
        let transactional = !part.no_transaction
            && (step.migration.kind == MigrationKind::Rhai || !self.is_mysql());
        if transactional && !step.resuming {
            self.in_transaction(step, &statements, started)?;
        } else {
            self.by_statement(step, &statements, started)?;
        }
        Ok(started.elapsed().as_millis() as i64)
    }

    fn begin(&mut self) -> Result<()> {
        match self.dialect() {
            // Take the write lock now, not at the first write (no upgrade deadlocks).
            Dialect::Sqlite => self.conn.execute_batch("BEGIN IMMEDIATE"),
            _ => self.conn.begin(),
        }
    }

    fn in_transaction(
        &mut self,
        step: &Step,
        statements: &[Statement],
        started: Instant,
    ) -> Result<()> {
        // SQLite ignores `PRAGMA foreign_keys` inside a transaction. A migration that switches
        // them off (a table rebuild, as `schema diff` writes it) gets what it means, the way
        // SQLite documents it: off before BEGIN, `foreign_key_check` before COMMIT, back after.
        let fk_off = self.dialect() == Dialect::Sqlite
            && statements.iter().any(|s| fk_pragma(&s.sql) == Some(false));
        if !fk_off {
            return self.transaction(step, statements, started, false);
        }
        let before = crate::schema::rows(self.conn, "PRAGMA foreign_keys", &[])?
            .first()
            .is_some_and(|r| crate::schema::int(&r[0]) == 1);
        self.conn.execute_batch("PRAGMA foreign_keys = OFF")?;
        let result = self.transaction(step, statements, started, true);
        if before {
            let restored = self.conn.execute_batch("PRAGMA foreign_keys = ON");
            // The migration's own error, if any, is the one to report.
            return result.and(restored);
        }
        result
    }

    fn transaction(
        &mut self,
        step: &Step,
        statements: &[Statement],
        started: Instant,
        fk_off: bool,
    ) -> Result<()> {
        self.begin()?;
        let result = self
            .body(step, statements, fk_off)
            .and_then(|()| {
                if fk_off {
                    self.foreign_key_check(step)
                } else {
                    Ok(())
                }
            })
            .and_then(|()| {
                let m = &step.migration;
                match step.direction {
                    Direction::Up => self.history.insert(
                        self.conn,
                        m,
                        self.applied_by,
                        started.elapsed().as_millis() as i64,
                        state::APPLIED,
                    ),
                    Direction::Down => self.history.delete(self.conn, m.version),
                }
            });
        match result {
            Ok(()) => self.conn.commit(),
            Err(e) => {
                if self.conn.in_transaction() {
                    if let Err(rb) = self.conn.rollback() {
                        tracing::warn!("rollback after a failed migration failed: {rb}");
                    }
                }
                Err(e)
            }
        }
    }

    /// Runs the part's statements (or script), without transaction control; `skip_fk` leaves
    /// out `PRAGMA foreign_keys` statements (handled around the transaction).
    fn body(&mut self, step: &Step, statements: &[Statement], skip_fk: bool) -> Result<()> {
        let part = step.part();
        match step.migration.kind {
            MigrationKind::Rhai => self.script(part),
            MigrationKind::Sql => {
                let total = statements.len();
                for (i, s) in statements.iter().enumerate() {
                    if skip_fk && fk_pragma(&s.sql).is_some() {
                        continue;
                    }
                    self.conn
                        .execute_batch(&s.sql)
                        .map_err(|e| statement_error(e, part, s, i, total, None))?;
                }
                Ok(())
            }
        }
    }

    /// SQLite: the rows a migration run with foreign keys off left without a parent.
    fn foreign_key_check(&mut self, step: &Step) -> Result<()> {
        let bad = crate::schema::rows(self.conn, "PRAGMA foreign_key_check", &[])?;
        if bad.is_empty() {
            return Ok(());
        }
        let list: Vec<String> = bad
            .iter()
            .take(5)
            .map(|r| {
                let t = crate::schema::text;
                format!("{} row {} -> {}", t(&r[0]), t(&r[1]), t(&r[2]))
            })
            .collect();
        Err(Error::MigrationFile {
            path: step.part().file.clone(),
            line: None,
            message: format!(
                "ran with foreign keys off but leaves {} row(s) without a parent ({}); rolled back",
                bad.len(),
                list.join(", ")
            ),
        })
    }

    fn script(&mut self, part: &Part) -> Result<()> {
        let runner = self.scripts.ok_or_else(|| Error::MigrationFile {
            path: part.file.clone(),
            line: None,
            message: "a Rhai migration needs the myrmex shell to run it (`myrmex migrate`), \
                      or a ScriptRunner given to MigrationManager::with_script_runner"
                .into(),
        })?;
        runner
            .run(self.conn, part)
            .map_err(|message| Error::MigrationFile {
                path: part.file.clone(),
                line: None,
                message,
            })
    }

    /// Statement by statement, recording progress after each one.
    fn by_statement(
        &mut self,
        step: &Step,
        statements: &[Statement],
        started: Instant,
    ) -> Result<()> {
        let m = &step.migration;
        let part = step.part();
        let (run_state, direction) = match step.direction {
            Direction::Up => (state::RUNNING, "up"),
            Direction::Down => (state::REVERTING, "down"),
        };
        let done = step.resume_from.min(statements.len());
        // The checksum of the statements done so far, extended one statement at a time.
        let mut progress = checksum::Progress::default();
        for s in &statements[..done] {
            progress.push(&s.sql);
        }
        if step.resuming {
            if done > 0 && step.done_checksum.as_deref() != Some(progress.hex().as_str()) {
                return Err(Error::Migration(format!(
                    "{}: its first {done} {direction} statement(s) ran before an interruption, \
                     but they changed on disk since ({}); restore them, or clear the record with \
                     `myrmex migrate repair` after checking the database by hand",
                    m.label(),
                    part.file.display()
                )));
            }
            tracing::info!("{}: resuming {direction} after statement {done}", m.label());
        } else {
            match step.direction {
                Direction::Up => {
                    self.history
                        .insert(self.conn, m, self.applied_by, 0, state::RUNNING)?
                }
                Direction::Down => self.history.progress(
                    self.conn,
                    m.version,
                    state::REVERTING,
                    0,
                    &progress.hex(),
                )?,
            }
        }
        if m.kind == MigrationKind::Rhai {
            self.script(part)?;
        }
        let total = statements.len();
        for (i, s) in statements.iter().enumerate().skip(done) {
            if i > done && !self.observer.keep_going() {
                return Err(Error::Migration(format!(
                    "interrupted: {i} of {total} {direction} statement(s) of {} are applied and recorded; \
                     `myrmex migrate {direction}` continues from statement {}",
                    m.label(),
                    i + 1
                )));
            }
            let first_after_crash = step.resuming && i == done;
            let dml = self.is_mysql()
                && matches!(
                    first_keyword(&s.sql).as_str(),
                    "INSERT"
                        | "UPDATE"
                        | "DELETE"
                        | "REPLACE"
                        | "SELECT"
                        | "WITH"
                        | "CALL"
                        | "DO"
                        | "SET"
                );
            if dml {
                // Statement and progress commit together: exactly once.
                self.conn.begin()?;
            }
            let outcome = self.conn.execute_batch(&s.sql);
            match outcome {
                Ok(()) => {}
                Err(e) if first_after_crash && self.is_mysql() && !dml && already_done(&e) => {
                    tracing::warn!(
                        "{}: statement {} was applied before the interruption ({e}); recording it",
                        m.label(),
                        i + 1
                    );
                }
                Err(e) => {
                    if dml && self.conn.in_transaction() {
                        let _ = self.conn.rollback();
                    }
                    let note = format!(
                        "{} of {total} {direction} statement(s) of {} are applied and recorded; \
                         fix statement {} and run `myrmex migrate {direction}` again to continue from it",
                        i,
                        m.label(),
                        i + 1
                    );
                    return Err(statement_error(e, part, s, i, total, Some(note)));
                }
            }
            progress.push(&s.sql);
            self.history
                .progress(self.conn, m.version, run_state, i + 1, &progress.hex())?;
            if dml {
                self.conn.commit()?;
            }
        }
        match step.direction {
            Direction::Up => self.history.finish(
                self.conn,
                m.version,
                &m.checksum,
                started.elapsed().as_millis() as i64,
            ),
            Direction::Down => self.history.delete(self.conn, m.version),
        }
    }
}

/// myrmex owns the transactions of a migration: a `BEGIN`/`COMMIT` in the file would commit
/// half of it and the history row outside it.
fn refuse_transaction_control(part: &Part, statements: &[Statement]) -> Result<()> {
    for s in statements {
        let kw = first_keyword(&s.sql);
        let control = matches!(kw.as_str(), "BEGIN" | "COMMIT" | "ROLLBACK" | "END")
            || (kw == "START" && s.sql.to_ascii_uppercase().contains("TRANSACTION"));
        if control {
            return Err(Error::MigrationFile {
                path: part.file.clone(),
                line: Some(s.line),
                message: format!(
                    "`{kw}`: myrmex runs each migration in its own transaction (statement by \
                     statement on MySQL); remove the transaction control, or add \
                     `-- myrmex: no-transaction` to manage it yourself"
                ),
            });
        }
    }
    Ok(())
}

/// `Some(on)` for `PRAGMA foreign_keys = ON|OFF|1|0|true|false`.
fn fk_pragma(sql: &str) -> Option<bool> {
    let flat: String = crate::sql::without_leading_comments(sql)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_lowercase();
    let value = flat
        .strip_prefix("pragma foreign_keys")?
        .trim_start()
        .strip_prefix('=')?
        .trim();
    match value {
        "on" | "1" | "true" | "yes" => Some(true),
        "off" | "0" | "false" | "no" => Some(false),
        _ => None,
    }
}

fn already_done(e: &Error) -> bool {
    e.plugin_error()
        .and_then(|p| p.code.into_option())
        .is_some_and(|c| MYSQL_ALREADY_DONE.contains(&c))
}

fn statement_error(
    e: Error,
    part: &Part,
    s: &Statement,
    index: usize,
    total: usize,
    note: Option<String>,
) -> Error {
    let (connection, source) = match e {
        Error::Database {
            connection, source, ..
        } => (connection, source),
        other => return other,
    };
    Error::MigrationStatement(Box::new(StatementFailure {
        connection,
        file: part.file.clone(),
        line: s.line,
        number: index + 1,
        total,
        statement: crate::error::abbreviate(&s.sql),
        source: *source,
        note: note
            .unwrap_or_else(|| "the migration was rolled back; nothing of it is applied".into()),
    }))
}

#[cfg(test)]
mod tests {
    use super::fk_pragma;

    #[test]
    fn foreign_key_pragmas() {
        assert_eq!(
            fk_pragma("-- rebuild t\nPRAGMA foreign_keys = OFF"),
            Some(false)
        );
        assert_eq!(fk_pragma("pragma  FOREIGN_KEYS=1"), Some(true));
        assert_eq!(fk_pragma("PRAGMA foreign_key_check"), None);
        assert_eq!(fk_pragma("PRAGMA foreign_keys"), None);
    }
}
