//! `migrate verify`: every up, every down, every up again on a scratch database, comparing
//! introspected schemas so that each down part provably restores the schema before its up.

use super::history::History;
use super::plan::Step;
use super::MigrationManager;
use crate::{DatabaseConnection, Error, Result};
use myrmex_schema::normalize::differences;
use myrmex_schema::Dialect;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

/// What `verify` found.
#[derive(Debug, Clone, Default)]
pub struct VerifyReport {
    /// One line per check that passed.
    pub checked: Vec<String>,
    /// One entry per check that failed, with the schema differences.
    pub failures: Vec<String>,
    /// Where it ran (the scratch database, already dropped).
    pub scratch: String,
}

impl VerifyReport {
    /// True when every down restored its schema and the second up matched the first.
    pub fn ok(&self) -> bool {
        self.failures.is_empty()
    }
}

/// A database made for the run, dropped afterwards.
struct Scratch {
    conn: DatabaseConnection,
    drop: Box<dyn FnOnce(&mut DatabaseConnection)>,
    label: String,
}

fn unique_suffix() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{}_{nanos}", std::process::id())
}

fn scratch(conn: &mut DatabaseConnection, dialect: Dialect) -> Result<Scratch> {
    let mut fresh = conn.clone();
    fresh.name = format!("{} (verify scratch)", conn.name);
    match dialect {
        Dialect::Sqlite => {
            let path: PathBuf =
                std::env::temp_dir().join(format!("myrmex-verify-{}.db", unique_suffix()));
            fresh.database = path.display().to_string();
            fresh.connect()?;
            let label = fresh.database.clone();
            Ok(Scratch {
                conn: fresh,
                drop: Box::new(move |_| {
                    for suffix in ["", "-wal", "-shm", "-journal", ".myrmex-lock"] {
                        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                    }
                }),
                label,
            })
        }
        _ => {
            let name = format!("myrmex_verify_{}", unique_suffix());
            conn.execute_batch(&format!("CREATE DATABASE {name}"))?;
            fresh.database = name.clone();
            if let Err(e) = fresh.connect() {
                let _ = conn.execute_batch(&format!("DROP DATABASE {name}"));
                return Err(e);
            }
            let label = name.clone();
            Ok(Scratch {
                conn: fresh,
                drop: Box::new(move |owner| {
                    if let Err(e) = owner.execute_batch(&format!("DROP DATABASE IF EXISTS {name}"))
                    {
                        tracing::warn!("could not drop the scratch database {name}: {e}");
                    }
                }),
                label,
            })
        }
    }
}

/// Runs the verification; `conn` only provides the server (and its parameters).
pub fn run(manager: &MigrationManager, conn: &mut DatabaseConnection) -> Result<VerifyReport> {
    let dialect = conn.dialect()?;
    let mut s = scratch(conn, dialect)?;
    let result = check(manager, &mut s.conn, dialect);
    let _ = s.conn.close();
    (s.drop)(conn);
    let mut report = result?;
    report.scratch = s.label;
    Ok(report)
}

fn check(
    manager: &MigrationManager,
    conn: &mut DatabaseConnection,
    dialect: Dialect,
) -> Result<VerifyReport> {
    let history = History::new(&manager.options().table, dialect)?;
    history.ensure(conn)?;
    let all = manager.migrations();
    let mut report = VerifyReport::default();
    let mut snapshots = vec![history.user_schema(conn)?];
    for m in all {
        manager.run_steps_unlocked(conn, &history, &[Step::up(m)])?;
        snapshots.push(history.user_schema(conn)?);
    }
    report.checked.push(format!(
        "{} up part(s) applied to an empty database",
        all.len()
    ));
    let mut lowest_reverted = all.len();
    for (i, m) in all.iter().enumerate().rev() {
        let Some(down) = Step::down(m) else {
            report.failures.push(format!(
                "{} has no down part: cannot check it or anything older",
                m.label()
            ));
            break;
        };
        manager.run_steps_unlocked(conn, &history, &[down])?;
        let now = history.user_schema(conn)?;
        let diff = differences(&now, &snapshots[i], dialect);
        if diff.is_empty() {
            report.checked.push(format!(
                "{} down restores the schema before its up",
                m.label()
            ));
        } else {
            report.failures.push(format!(
                "{} down does not restore the schema before its up (left: after down, right: before up):\n    {}",
                m.label(),
                diff.join("\n    ")
            ));
        }
        lowest_reverted = i;
    }
    for m in &all[lowest_reverted..] {
        manager.run_steps_unlocked(conn, &history, &[Step::up(m)])?;
    }
    let last = history.user_schema(conn)?;
    let diff = differences(&last, &snapshots[all.len()], dialect);
    if diff.is_empty() {
        report
            .checked
            .push("up again after down gives the same schema as the first up".into());
    } else {
        report.failures.push(format!(
            "up again after down gives a different schema (left: second up, right: first up):\n    {}",
            diff.join("\n    ")
        ));
    }
    if report.failures.is_empty() && all.is_empty() {
        return Err(Error::Migration(format!(
            "{}: no migrations to verify",
            manager.dir().display()
        )));
    }
    Ok(report)
}
