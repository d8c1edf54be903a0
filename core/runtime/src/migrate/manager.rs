//! [`MigrationManager`]: the migrations of one directory and every command on a database.

use super::history::{self, AppliedMigration, History};
use super::identity::applied_by;
use super::plan::{self, Direction, DownTarget, Step};
use super::source::{self, Migration, MigrationKind};
use super::status::{State, Status};
use super::verify::{self, VerifyReport};
use super::{checksum, lock, run, Done, MigrateOptions, Observer, Quiet, Report, ScriptRunner};
use crate::{DatabaseConnection, Error, Result};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The migrations of one directory and the operations on a database (the seed's
/// `MigrationManager`).
pub struct MigrationManager {
    dir: PathBuf,
    migrations: Vec<Migration>,
    options: MigrateOptions,
    scripts: Option<Box<dyn ScriptRunner>>,
    observer: Box<dyn Observer>,
}

impl std::fmt::Debug for MigrationManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MigrationManager")
            .field("dir", &self.dir)
            .field("migrations", &self.migrations.len())
            .field("options", &self.options)
            .finish()
    }
}

impl MigrationManager {
    /// Reads every migration in `dir` (errors name the file and line).
    pub fn open(dir: impl AsRef<Path>) -> Result<MigrationManager> {
        let migrations = source::load_dir(dir.as_ref())?;
        Ok(Self::from_migrations(dir, migrations))
    }

    /// A manager over migrations already read with [`source::load_dir`] (e.g. on another
    /// thread while connecting).
    pub fn from_migrations(dir: impl AsRef<Path>, migrations: Vec<Migration>) -> MigrationManager {
        let dir = dir.as_ref().to_path_buf();
        MigrationManager {
            dir,
            migrations,
            options: MigrateOptions::default(),
            scripts: None,
            observer: Box::new(Quiet),
        }
    }

    /// Replaces the options.
    pub fn with_options(mut self, options: MigrateOptions) -> Self {
        self.options = options;
        self
    }

    /// Sets the runner of `.rhai` migrations.
    pub fn with_script_runner(mut self, runner: Box<dyn ScriptRunner>) -> Self {
        self.scripts = Some(runner);
        self
    }

    /// Sets the observer (progress reporting).
    pub fn with_observer(mut self, observer: Box<dyn Observer>) -> Self {
        self.observer = observer;
        self
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The options.
    pub fn options(&self) -> &MigrateOptions {
        &self.options
    }

    /// The migrations on disk, by version.
    pub fn migrations(&self) -> &[Migration] {
        &self.migrations
    }

    fn history(&self, conn: &mut DatabaseConnection) -> Result<History> {
        History::new(&self.options.table, conn.schema_dialect()?)
    }

    /// Disk versus history table. Takes no lock and creates nothing.
    pub fn status(&self, conn: &mut DatabaseConnection) -> Result<Status> {
        let rows = applied(conn, &self.options.table)?;
        Ok(Status::compute(&self.migrations, &rows))
    }

    /// The steps `up` would run (to `to` when given).
    pub fn plan_up(&self, conn: &mut DatabaseConnection, to: Option<i64>) -> Result<Vec<Step>> {
        let status = self.status(conn)?;
        plan::up(
            &status,
            &self.migrations,
            to,
            self.options.allow_out_of_order,
        )
    }

    /// The steps `down` would run.
    pub fn plan_down(
        &self,
        conn: &mut DatabaseConnection,
        target: DownTarget,
    ) -> Result<Vec<Step>> {
        let status = self.status(conn)?;
        plan::down(&status, &self.migrations, target)
    }

    /// Takes the lock, makes sure the history table exists, runs `f`, releases the lock.
    fn locked<T>(
        &self,
        conn: &mut DatabaseConnection,
        f: impl FnOnce(&mut DatabaseConnection, &History, Status) -> Result<T>,
    ) -> Result<T> {
        if conn.in_transaction() {
            return Err(Error::MigrationInTransaction {
                connection: conn.name.clone(),
            });
        }
        let history = self.history(conn)?;
        let lock = lock::acquire(conn, &history, self.options.lock_timeout, &*self.observer)?;
        let result = history
            .ensure(conn)
            .and_then(|()| history.load(conn))
            .and_then(|rows| f(conn, &history, Status::compute(&self.migrations, &rows)));
        if conn.in_transaction() {
            let _ = conn.rollback();
        }
        let released = lock.release(conn);
        let value = result?;
        released?;
        Ok(value)
    }

    fn execute(
        &self,
        conn: &mut DatabaseConnection,
        history: &History,
        steps: &[Step],
        report: &mut Report,
    ) -> Result<()> {
        let by = applied_by();
        let mut runner = run::Runner {
            conn,
            history,
            scripts: self.scripts.as_deref(),
            applied_by: &by,
            observer: &*self.observer,
        };
        precheck(runner.conn, steps)?;
        self.observer.start(steps.len());
        let outcome = steps.iter().enumerate().try_for_each(|(i, step)| {
            if !self.observer.keep_going() {
                return Err(Error::MigrationRunInterrupted {
                    done: i,
                    total: steps.len(),
                });
            }
            self.observer.step(i, step);
            // The statements of SQL up parts were shown to the hooks before the run, and a
            // down part is the author's own undo: neither is checked again one by one. A
            // Rhai up part's statements are only known as it runs, so they are.
            let checked =
                step.direction == Direction::Down || step.migration.kind == MigrationKind::Sql;
            let ms = if checked {
                crate::hook::prechecked(|| runner.run(step))?
            } else {
                runner.run(step)?
            };
            let done = Done {
                version: step.migration.version,
                name: step.migration.name.clone(),
                ms,
            };
            match step.direction {
                Direction::Up => report.applied.push(done),
                Direction::Down => report.reverted.push(done),
            }
            Ok(())
        });
        self.observer.finish();
        outcome
    }

    /// Applies pending migrations in version order (up to and including `to`). Refuses when
    /// a file changed since it was applied, or when a pending migration is out of order and
    /// the options do not allow that.
    pub fn up(&self, conn: &mut DatabaseConnection, to: Option<i64>) -> Result<Report> {
        self.locked(conn, |conn, history, status| {
            let steps = plan::up(
                &status,
                &self.migrations,
                to,
                self.options.allow_out_of_order,
            )?;
            let mut report = Report::default();
            self.execute(conn, history, &steps, &mut report)?;
            Ok(report)
        })
    }

    /// Reverts applied migrations, newest first. Refuses, before reverting anything, when
    /// one of them has no down part.
    pub fn down(&self, conn: &mut DatabaseConnection, target: DownTarget) -> Result<Report> {
        self.locked(conn, |conn, history, status| {
            let steps = plan::down(&status, &self.migrations, target)?;
            let mut report = Report::default();
            self.execute(conn, history, &steps, &mut report)?;
            Ok(report)
        })
    }

    /// Reverts the newest applied migration and applies it again.
    pub fn redo(&self, conn: &mut DatabaseConnection) -> Result<Report> {
        self.locked(conn, |conn, history, status| {
            let down = plan::down(&status, &self.migrations, DownTarget::Count(1))?;
            let Some(last) = down.first() else {
                return Err(Error::NothingToRedo);
            };
            let up = Step::up(&last.migration);
            let mut report = Report::default();
            self.execute(conn, history, &[last.clone(), up], &mut report)?;
            Ok(report)
        })
    }

    /// Adopts an existing database: records every migration up to `version` as applied
    /// (state `baseline`) without running it. Refused when anything is recorded already.
    pub fn baseline(&self, conn: &mut DatabaseConnection, version: i64) -> Result<Report> {
        self.locked(conn, |conn, history, status| {
            let recorded = status
                .entries
                .iter()
                .filter(|e| e.applied.is_some())
                .count();
            if recorded > 0 {
                return Err(Error::BaselineRefused {
                    connection: conn.name.clone(),
                    recorded,
                });
            }
            let by = applied_by();
            let mut report = Report::default();
            let mut tx = conn.transaction()?;
            for m in self.migrations.iter().filter(|m| m.version <= version) {
                history.insert(&mut tx, m, &by, 0, history::state::BASELINE)?;
                report
                    .recorded
                    .push(format!("baseline V{}__{}", m.version, m.name));
            }
            if !self.migrations.iter().any(|m| m.version == version) {
                history.insert_baseline_marker(&mut tx, version, &by)?;
                report
                    .recorded
                    .push(format!("baseline marker at version {version}"));
            }
            tx.commit()?;
            Ok(report)
        })
    }

    /// Records the current file checksum of changed migrations (`versions`, or every
    /// changed one when empty), deliberately accepting the edit.
    pub fn accept(&self, conn: &mut DatabaseConnection, versions: &[i64]) -> Result<Report> {
        self.locked(conn, |conn, history, status| {
            let mut report = Report::default();
            let mut tx = conn.transaction()?;
            accept_changed(&mut tx, history, &status, versions, &mut report)?;
            tx.commit()?;
            Ok(report)
        })
    }

    /// Aligns the history table with the directory, deliberately, in one transaction:
    /// accepts every changed checksum, clears the records of runs that stopped part way
    /// (check the database by hand first) and forgets records whose file is gone.
    pub fn repair(&self, conn: &mut DatabaseConnection) -> Result<Report> {
        self.locked(conn, |conn, history, status| {
            let mut report = Report::default();
            let mut tx = conn.transaction()?;
            {
                let conn = &mut *tx;
                accept_changed(conn, history, &status, &[], &mut report)?;
                for e in &status.entries {
                    match e.state {
                        State::Partial { done, reverting } => {
                            if reverting {
                                // The down part stopped: the migration still counts as applied.
                                let checksum = e.disk_checksum.clone().unwrap_or_default();
                                history.finish(conn, e.version, &checksum, 0)?;
                            } else {
                                history.delete(conn, e.version)?;
                            }
                            report.recorded.push(format!(
                                "cleared the partial {} record of V{}__{} ({done} statement(s) had run)",
                                if reverting { "down" } else { "up" },
                                e.version,
                                e.name
                            ));
                        }
                        State::MissingOnDisk => {
                            history.delete(conn, e.version)?;
                            report.recorded.push(format!(
                                "forgot V{}__{}: recorded as applied but its file is gone (its effects stay in the database)",
                                e.version, e.name
                            ));
                        }
                        _ => {}
                    }
                }
            }
            tx.commit()?;
            Ok(report)
        })
    }

    /// Applies every up, then every down, then every up again on a scratch database made
    /// next to `conn`'s (a temporary file for SQLite, a new database on a server), checking
    /// with schema introspection that each down restores the schema before its up.
    pub fn verify(&self, conn: &mut DatabaseConnection) -> Result<VerifyReport> {
        verify::run(self, conn)
    }

    pub(crate) fn run_steps_unlocked(
        &self,
        conn: &mut DatabaseConnection,
        history: &History,
        steps: &[Step],
    ) -> Result<Report> {
        let mut report = Report::default();
        self.execute(conn, history, steps, &mut report)?;
        Ok(report)
    }
}

/// Shows the statements of the SQL up parts of `steps` to the statement hooks before
/// anything runs, so that a guard refuses a migration run as a whole rather than half way.
fn precheck(conn: &mut DatabaseConnection, steps: &[Step]) -> Result<()> {
    if crate::hook::installed().is_none() {
        return Ok(());
    }
    let statements: Vec<crate::hook::MigrationStatement> = steps
        .iter()
        .filter(|s| s.direction == Direction::Up && s.migration.kind == MigrationKind::Sql)
        .flat_map(|s| {
            let file = s.part().file.display().to_string();
            s.part()
                .statements()
                .into_iter()
                .skip(s.resume_from)
                .map(move |st| crate::hook::MigrationStatement {
                    sql: st.sql,
                    file: file.clone(),
                    line: st.line as u32,
                })
        })
        .collect();
    if statements.is_empty() {
        return Ok(());
    }
    let url = conn.url();
    crate::hook::before_migration(&crate::hook::MigrationEvent {
        connection: &conn.name,
        driver: conn.driver_name(),
        url: &url,
        statements: &statements,
    })
}

/// Records the disk checksum of the changed migrations among `versions` (all when empty);
/// a named version that is not changed is an error.
fn accept_changed(
    conn: &mut DatabaseConnection,
    history: &History,
    status: &Status,
    versions: &[i64],
    report: &mut Report,
) -> Result<()> {
    for v in versions {
        match status.get(*v) {
            Some(e) if e.state == State::Changed => {}
            Some(e) => {
                return Err(Error::NotChanged {
                    version: *v,
                    name: e.name.clone(),
                    state: e.state.clone(),
                })
            }
            None => return Err(Error::UnknownMigrationVersion { version: *v }),
        }
    }
    let chosen = status.entries.iter().filter(|e| {
        e.state == State::Changed && (versions.is_empty() || versions.contains(&e.version))
    });
    for e in chosen {
        let new = e.disk_checksum.as_deref().unwrap_or_default();
        let old = e.applied.as_ref().map_or("", |a| a.checksum.as_str());
        history.set_checksum(conn, e.version, new)?;
        report.recorded.push(format!(
            "accepted V{}__{}: checksum {} -> {}",
            e.version,
            e.name,
            checksum::short(old),
            checksum::short(new)
        ));
    }
    Ok(())
}

/// The rows of history table `table` (none when it does not exist yet). Takes no lock.
pub fn applied(conn: &mut DatabaseConnection, table: &str) -> Result<Vec<AppliedMigration>> {
    let history = History::new(table, conn.schema_dialect()?)?;
    if history.exists(conn)? {
        history.load(conn)
    } else {
        Ok(Vec::new())
    }
}

/// Applies every pending migration in `dir` to `conn` (the seed's `run_migrations`).
pub fn run_migrations(conn: &mut DatabaseConnection, dir: impl AsRef<Path>) -> Result<Report> {
    let started = Instant::now();
    let report = MigrationManager::open(dir)?.up(conn, None)?;
    tracing::info!(
        "applied {} migration(s) in {} ms",
        report.applied.len(),
        started.elapsed().as_millis()
    );
    Ok(report)
}
