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
use crate::{DatabaseConnection, Error, Result, Transaction};
use std::time::Instant;

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
    /// True when DDL commits on its own (MySQL, MariaDB): a migration then runs statement
    /// by statement, its progress recorded after each one, instead of in one transaction.
    fn ddl_autocommits(&mut self) -> Result<bool> {
        Ok(!self.conn.dialect()?.transactional_ddl)
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
            && (step.migration.kind == MigrationKind::Rhai || !self.ddl_autocommits()?);
        if transactional && !step.resuming {
            self.transaction(step, &statements, started)?;
        } else {
            self.by_statement(step, &statements, started)?;
        }
        Ok(started.elapsed().as_millis() as i64)
    }

    fn transaction(
        &mut self,
        step: &Step,
        statements: &[Statement],
        started: Instant,
    ) -> Result<()> {
        let script = match step.migration.kind {
            MigrationKind::Sql => step.part().text.as_str(),
            MigrationKind::Rhai => "",
        };
        let mut tx = Transaction::begin_exclusive(self.conn, script)?;
        Self::body(&mut tx, self.scripts, step, statements)?;
        let m = &step.migration;
        match step.direction {
            Direction::Up => self.history.insert(
                &mut tx,
                m,
                self.applied_by,
                started.elapsed().as_millis() as i64,
                state::APPLIED,
            )?,
            Direction::Down => self.history.delete(&mut tx, m.version)?,
        }
        // The driver checks what it deferred (SQLite: foreign keys switched off by the
        // script) before committing; a failure rolls everything back.
        tx.commit().map_err(|e| Error::MigrationFile {
            path: step.part().file.clone(),
            line: None,
            message: format!("cannot commit: {e}; rolled back"),
        })
    }

    /// Runs the part's statements (or script), without transaction control.
    fn body(
        conn: &mut DatabaseConnection,
        scripts: Option<&dyn ScriptRunner>,
        step: &Step,
        statements: &[Statement],
    ) -> Result<()> {
        let part = step.part();
        match step.migration.kind {
            MigrationKind::Rhai => Self::script(conn, scripts, part),
            MigrationKind::Sql => {
                let total = statements.len();
                for (i, s) in statements.iter().enumerate() {
                    conn.execute_batch(&s.sql)
                        .map_err(|e| statement_error(e, part, s, i, total, None))?;
                }
                Ok(())
            }
        }
    }

    fn script(
        conn: &mut DatabaseConnection,
        scripts: Option<&dyn ScriptRunner>,
        part: &Part,
    ) -> Result<()> {
        let runner = scripts.ok_or_else(|| Error::MigrationFile {
            path: part.file.clone(),
            line: None,
            message: "a Rhai migration needs the myrmex shell to run it (`myrmex migrate`), \
                      or a ScriptRunner given to MigrationManager::with_script_runner"
                .into(),
        })?;
        runner
            .run(conn, part)
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
                return Err(Error::ResumedStatementsChanged {
                    version: m.version,
                    name: m.name.clone(),
                    direction: step.direction,
                    done,
                    file: part.file.clone(),
                });
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
            Self::script(self.conn, self.scripts, part)?;
        }
        let autocommit = self.ddl_autocommits()?;
        let total = statements.len();
        for (i, s) in statements.iter().enumerate().skip(done) {
            if i > done && !self.observer.keep_going() {
                return Err(Error::MigrationInterrupted {
                    version: m.version,
                    name: m.name.clone(),
                    direction: step.direction,
                    done: i,
                    total,
                });
            }
            let first_after_crash = step.resuming && i == done;
            // Where DDL commits on its own, each data statement gets a transaction with its
            // progress row, so a crash cannot apply it twice.
            let dml = autocommit
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
                Err(e) if first_after_crash && autocommit && !dml && already_done(&e) => {
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
                     statement where DDL commits on its own); remove the transaction control, or add \
                     `-- myrmex: no-transaction` to manage it yourself"
                ),
            });
        }
    }
    Ok(())
}

/// True when a DDL statement failed because it already happened before an interruption: what
/// it creates exists, or what it drops is gone (the driver classifies its engine's codes).
fn already_done(e: &Error) -> bool {
    e.plugin_error().is_some_and(|p| {
        p.kind == myrmex_abi::ErrorKind::ALREADY_EXISTS
            || p.kind == myrmex_abi::ErrorKind::ALREADY_GONE
    })
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
