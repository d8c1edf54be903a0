//! `migrate verify`: every up, every down, every up again on a scratch database, comparing
//! introspected schemas so that each down part provably restores the schema before its up.

use super::history::History;
use super::plan::Step;
use super::MigrationManager;
use crate::{DatabaseConnection, Error, Result};
use myrmex_schema::normalize::differences;
use myrmex_schema::Dialect;

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

/// A database made for the run by the driver, dropped afterwards.
struct Scratch {
    conn: DatabaseConnection,
    params: crate::ConnectParams,
    label: String,
}

fn scratch(conn: &mut DatabaseConnection) -> Result<Scratch> {
    let params = conn.create_scratch()?;
    let label = params.database.clone();
    let mut fresh =
        DatabaseConnection::new(format!("{} (verify scratch)", conn.name), params.clone());
    if let Err(e) = fresh.connect() {
        let _ = conn.drop_scratch(&params);
        return Err(e);
    }
    Ok(Scratch {
        conn: fresh,
        params,
        label,
    })
}

/// Runs the verification; `conn` only provides the server (and its parameters).
pub fn run(manager: &MigrationManager, conn: &mut DatabaseConnection) -> Result<VerifyReport> {
    let dialect = conn.schema_dialect()?;
    let mut s = scratch(conn)?;
    let result = check(manager, &mut s.conn, dialect);
    let _ = s.conn.close();
    if let Err(e) = conn.drop_scratch(&s.params) {
        tracing::warn!("could not drop the scratch database {}: {e}", s.label);
    }
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
        return Err(Error::NothingToVerify {
            dir: manager.dir().to_path_buf(),
        });
    }
    Ok(report)
}
