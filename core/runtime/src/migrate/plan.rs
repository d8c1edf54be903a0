//! Deciding which migrations run, in which direction and order (`up`, `down`, `plan`).

use super::history::AppliedMigration;
use super::source::{Migration, MigrationKind, Part};
use super::status::{State, Status};
use crate::{Error, Result};

/// Up or down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Apply the up part.
    Up,
    /// Apply the down part.
    Down,
}

impl Direction {
    /// `up` or `down`.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Up => "up",
            Direction::Down => "down",
        }
    }
}

/// How far `down` goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DownTarget {
    /// The newest `n` applied migrations.
    Count(usize),
    /// Every applied migration newer than this version.
    To(i64),
}

/// One migration to run: its up part, or its down part.
#[derive(Debug, Clone)]
pub struct Step {
    /// The migration.
    pub migration: Migration,
    /// Which part.
    pub direction: Direction,
    /// Statements already done by an interrupted run (resume after them).
    pub resume_from: usize,
    /// True when an interrupted run left a record (the next statement may have run).
    pub resuming: bool,
    /// The checksum of the statements that record says were done.
    pub done_checksum: Option<String>,
    part: Part,
}

impl Step {
    /// Runs the up part of `m` from its start.
    pub fn up(m: &Migration) -> Step {
        Step {
            migration: m.clone(),
            direction: Direction::Up,
            resume_from: 0,
            resuming: false,
            done_checksum: None,
            part: m.up.clone(),
        }
    }

    /// Runs the down part of `m`, if it has one.
    pub fn down(m: &Migration) -> Option<Step> {
        Some(Step {
            part: m.down.clone()?,
            migration: m.clone(),
            direction: Direction::Down,
            resume_from: 0,
            resuming: false,
            done_checksum: None,
        })
    }

    /// The same step continuing the interrupted run that `record` describes.
    pub fn resumed(mut self, record: Option<&AppliedMigration>) -> Step {
        self.resume_from = record.map_or(0, |r| r.statements_done.max(0) as usize);
        self.done_checksum = record.and_then(|r| r.progress_checksum.clone());
        self.resuming = true;
        self
    }

    /// The part this step runs.
    pub fn part(&self) -> &Part {
        &self.part
    }

    /// The exact text that will run, headed by a comment naming the migration and file.
    pub fn script(&self) -> String {
        let part = self.part();
        let m = &self.migration;
        let mut out = format!(
            "-- {} ({}) from {}",
            m.label(),
            self.direction.as_str(),
            part.file.display()
        );
        if part.no_transaction {
            out.push_str(", outside a transaction");
        }
        if self.resume_from > 0 {
            out.push_str(&format!(", resuming after statement {}", self.resume_from));
        }
        out.push('\n');
        match m.kind {
            MigrationKind::Rhai => {
                out.push_str("-- Rhai script, run with the connection as `db`:\n");
                for line in part.text.trim_end().lines() {
                    out.push_str("-- | ");
                    out.push_str(line);
                    out.push('\n');
                }
            }
            MigrationKind::Sql => {
                for s in part.statements().into_iter().skip(self.resume_from) {
                    out.push_str(&s.sql);
                    out.push_str(";\n");
                }
            }
        }
        out
    }
}

/// The whole plan as one SQL script (what `plan` and `--dry-run` print).
pub fn script(steps: &[Step]) -> String {
    steps
        .iter()
        .map(Step::script)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The steps of `up` (to `to` when given).
pub fn up(
    status: &Status,
    disk: &[Migration],
    to: Option<i64>,
    allow_out_of_order: bool,
) -> Result<Vec<Step>> {
    let changed: Vec<String> = status
        .entries
        .iter()
        .filter(|e| {
            e.state == State::Changed
                || matches!(
                    e.state,
                    State::Partial {
                        reverting: true,
                        ..
                    }
                )
        })
        .filter_map(|e| e.explain())
        .collect();
    if !changed.is_empty() {
        return Err(Error::MigrateUpRefused { reasons: changed });
    }
    if !allow_out_of_order {
        let late: Vec<String> = status
            .entries
            .iter()
            .filter(|e| e.state == State::OutOfOrder && to.is_none_or(|t| e.version <= t))
            .filter_map(|e| e.explain())
            .collect();
        if !late.is_empty() {
            return Err(Error::MigrateUpRefused { reasons: late });
        }
    }
    let mut steps = Vec::new();
    for e in &status.entries {
        if to.is_some_and(|t| e.version > t) {
            continue;
        }
        let resume = match e.state {
            State::Pending | State::OutOfOrder => false,
            State::Partial {
                reverting: false, ..
            } => true,
            _ => continue,
        };
        let Some(i) = e.disk else {
            return Err(Error::PartialMigrationMissing {
                version: e.version,
                name: e.name.clone(),
            });
        };
        let step = Step::up(&disk[i]);
        steps.push(if resume {
            step.resumed(e.applied.as_ref())
        } else {
            step
        });
    }
    Ok(steps)
}

/// The steps of `down`.
pub fn down(status: &Status, disk: &[Migration], target: DownTarget) -> Result<Vec<Step>> {
    let applied: Vec<_> = status
        .entries
        .iter()
        .rev()
        .filter(|e| e.state.is_applied())
        .collect();
    let chosen: Vec<_> = match target {
        DownTarget::Count(n) => applied.into_iter().take(n).collect(),
        DownTarget::To(v) => applied.into_iter().take_while(|e| e.version > v).collect(),
    };
    let mut refused = Vec::new();
    let mut steps = Vec::new();
    for e in &chosen {
        let label = format!("V{}__{}", e.version, e.name);
        let migration = e.disk.map(|i| &disk[i]);
        match (&e.state, migration) {
            (State::Partial { reverting: false, done }, _) => refused.push(format!(
                "{label} stopped part way through its up part ({done} statement(s) done); finish it with `up` or clear it with `repair`"
            )),
            (State::Changed, _) => refused.push(e.explain().unwrap_or_default()),
            (_, None) if e.applied.as_ref().is_some_and(|a| a.kind == super::history::BASELINE_KIND) => refused.push(format!(
                "{label} is the baseline: nothing below it was run by myrmex"
            )),
            (_, None) => refused.push(format!("{label} has no file on disk, so no down part")),
            (state, Some(m)) => match (Step::down(m), state) {
                (None, _) => refused.push(format!(
                    "{label} has no down part (add {} or a `-- +down` section)",
                    down_file_hint(m)
                )),
                (Some(step), State::Partial { reverting: true, .. }) => {
                    steps.push(step.resumed(e.applied.as_ref()))
                }
                (Some(step), _) => steps.push(step),
            },
        }
    }
    if !refused.is_empty() {
        return Err(Error::MigrateDownRefused { reasons: refused });
    }
    Ok(steps)
}

fn down_file_hint(m: &Migration) -> String {
    let ext = match m.kind {
        MigrationKind::Sql => "sql",
        MigrationKind::Rhai => "rhai",
    };
    format!("V{}__{}.down.{ext}", m.version, m.name)
}
