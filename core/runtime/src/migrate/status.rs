//! Comparing the migrations on disk with the history table.

use super::checksum::short;
use super::history::{state, AppliedMigration};
use super::source::Migration;
use std::fmt;

/// Where one migration stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// Applied, and the file is unchanged.
    Applied,
    /// Adopted by `baseline` (never run by myrmex).
    Baseline,
    /// Not applied yet.
    Pending,
    /// Not applied, but older than the newest applied migration.
    OutOfOrder,
    /// Applied, but the file changed since (both checksums are in the entry).
    Changed,
    /// Recorded as applied, but no file has this version.
    MissingOnDisk,
    /// A statement-by-statement run stopped part way (`reverting` when it was a down part).
    Partial {
        /// Statements done.
        done: i64,
        /// True for an interrupted down part.
        reverting: bool,
    },
}

impl State {
    /// The short name shown by `myrmex migrate status`.
    pub fn name(&self) -> &'static str {
        match self {
            State::Applied => "applied",
            State::Baseline => "baseline",
            State::Pending => "pending",
            State::OutOfOrder => "out-of-order",
            State::Changed => "changed",
            State::MissingOnDisk => "missing-on-disk",
            State::Partial {
                reverting: false, ..
            } => "partial",
            State::Partial {
                reverting: true, ..
            } => "partial-down",
        }
    }

    /// True for states that `status --check` reports (exit code 3).
    pub fn is_problem(&self) -> bool {
        matches!(
            self,
            State::OutOfOrder | State::Changed | State::MissingOnDisk | State::Partial { .. }
        )
    }

    /// True when the database holds this migration's effects (fully or partly).
    pub fn is_applied(&self) -> bool {
        matches!(
            self,
            State::Applied
                | State::Baseline
                | State::Changed
                | State::MissingOnDisk
                | State::Partial { .. }
        )
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One version in the status report.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Version.
    pub version: i64,
    /// Name (from the file, or from the history table when the file is missing).
    pub name: String,
    /// Where it stands.
    pub state: State,
    /// Index into the manager's migrations, when it exists on disk.
    pub disk: Option<usize>,
    /// The history row, when applied.
    pub applied: Option<AppliedMigration>,
    /// Checksum of the file on disk.
    pub disk_checksum: Option<String>,
}

impl Entry {
    /// One line explaining a problem state, naming both checksums for a changed file.
    pub fn explain(&self) -> Option<String> {
        let label = format!("V{}__{}", self.version, self.name);
        Some(match &self.state {
            State::Changed => format!(
                "{label} changed on disk since it was applied: recorded checksum {}, file checksum {}; \
                 restore the file, or record the new checksum with `myrmex migrate accept {}` (or `repair`)",
                short(self.applied.as_ref().map_or("", |a| &a.checksum)),
                short(self.disk_checksum.as_deref().unwrap_or("")),
                self.version
            ),
            State::OutOfOrder => format!(
                "{label} is pending but older than the newest applied migration; \
                 apply it with --allow-out-of-order, or give it a newer version"
            ),
            State::MissingOnDisk => format!(
                "{label} is recorded as applied but no file has version {}",
                self.version
            ),
            State::Partial { done, reverting } => format!(
                "{label} stopped part way through its {} part after {done} statement(s); \
                 `myrmex migrate {}` continues from the next statement, `repair` clears the record",
                if *reverting { "down" } else { "up" },
                if *reverting { "down" } else { "up" }
            ),
            _ => return None,
        })
    }
}

/// Every version on disk or in the history table, in version order.
#[derive(Debug, Clone, Default)]
pub struct Status {
    /// The entries.
    pub entries: Vec<Entry>,
}

impl Status {
    /// Merges the files and the history rows (both sorted by version).
    pub fn compute(disk: &[Migration], history: &[AppliedMigration]) -> Status {
        let newest_applied = history.iter().map(|h| h.version).max();
        let mut entries = Vec::with_capacity(disk.len().max(history.len()));
        let (mut i, mut j) = (0, 0);
        loop {
            match (disk.get(i), history.get(j)) {
                (Some(d), Some(h)) if d.version == h.version => {
                    let state = match h.state.as_str() {
                        state::RUNNING => State::Partial {
                            done: h.statements_done,
                            reverting: false,
                        },
                        state::REVERTING => State::Partial {
                            done: h.statements_done,
                            reverting: true,
                        },
                        _ if h.checksum != d.checksum => State::Changed,
                        state::BASELINE => State::Baseline,
                        _ => State::Applied,
                    };
                    entries.push(Entry {
                        version: d.version,
                        name: d.name.clone(),
                        state,
                        disk: Some(i),
                        applied: Some(h.clone()),
                        disk_checksum: Some(d.checksum.clone()),
                    });
                    i += 1;
                    j += 1;
                }
                (Some(d), h) if h.is_none_or(|h| d.version < h.version) => {
                    let state = match newest_applied {
                        Some(n) if d.version < n => State::OutOfOrder,
                        _ => State::Pending,
                    };
                    entries.push(Entry {
                        version: d.version,
                        name: d.name.clone(),
                        state,
                        disk: Some(i),
                        applied: None,
                        disk_checksum: Some(d.checksum.clone()),
                    });
                    i += 1;
                }
                (_, Some(h)) => {
                    let state = if h.kind == super::history::BASELINE_KIND {
                        State::Baseline
                    } else if h.state == state::RUNNING || h.state == state::REVERTING {
                        State::Partial {
                            done: h.statements_done,
                            reverting: h.state == state::REVERTING,
                        }
                    } else {
                        State::MissingOnDisk
                    };
                    entries.push(Entry {
                        version: h.version,
                        name: h.name.clone(),
                        state,
                        disk: None,
                        applied: Some(h.clone()),
                        disk_checksum: None,
                    });
                    j += 1;
                }
                (_, None) => break,
            }
        }
        Status { entries }
    }

    /// Entries not applied yet (pending and out-of-order).
    pub fn pending(&self) -> impl Iterator<Item = &Entry> {
        self.entries
            .iter()
            .filter(|e| matches!(e.state, State::Pending | State::OutOfOrder))
    }

    /// Entries with a problem `status --check` reports.
    pub fn problems(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(|e| e.state.is_problem())
    }

    /// The entry for `version`.
    pub fn get(&self, version: i64) -> Option<&Entry> {
        self.entries
            .binary_search_by_key(&version, |e| e.version)
            .ok()
            .map(|i| &self.entries[i])
    }

    /// Counts per state name, e.g. `3 applied, 2 pending`.
    pub fn summary(&self) -> String {
        let mut counts: Vec<(&str, usize)> = Vec::new();
        for e in &self.entries {
            match counts.iter_mut().find(|(n, _)| *n == e.state.name()) {
                Some((_, c)) => *c += 1,
                None => counts.push((e.state.name(), 1)),
            }
        }
        if counts.is_empty() {
            return "no migrations".into();
        }
        counts
            .iter()
            .map(|(n, c)| format!("{c} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::super::source::{MigrationKind, Part};
    use super::*;

    fn disk(version: i64, checksum: &str) -> Migration {
        Migration {
            version,
            name: format!("m{version}"),
            kind: MigrationKind::Sql,
            up: Part {
                file: "f".into(),
                first_line: 1,
                text: String::new(),
                no_transaction: false,
                single_statement: false,
            },
            down: None,
            checksum: checksum.into(),
        }
    }

    fn row(version: i64, checksum: &str, st: &str) -> AppliedMigration {
        AppliedMigration {
            version,
            name: format!("m{version}"),
            kind: "sql".into(),
            checksum: checksum.into(),
            checksum_algorithm: 1,
            applied_at: String::new(),
            applied_by: String::new(),
            execution_ms: 0,
            state: st.into(),
            statements_done: 2,
            progress_checksum: None,
        }
    }

    #[test]
    fn every_state() {
        let d = [
            disk(1, "a"),
            disk(2, "b"),
            disk(3, "c"),
            disk(5, "e"),
            disk(6, "f"),
            disk(7, "g"),
        ];
        let h = [
            row(1, "a", "applied"),
            row(2, "B", "applied"),
            row(4, "d", "applied"),
            row(5, "e", "running"),
        ];
        let s = Status::compute(&d, &h);
        let states: Vec<(i64, &str)> = s
            .entries
            .iter()
            .map(|e| (e.version, e.state.name()))
            .collect();
        assert_eq!(
            states,
            [
                (1, "applied"),
                (2, "changed"),
                (3, "out-of-order"),
                (4, "missing-on-disk"),
                (5, "partial"),
                (6, "pending"),
                (7, "pending")
            ]
        );
        assert_eq!(s.problems().count(), 4);
        assert!(s
            .get(2)
            .unwrap()
            .explain()
            .unwrap()
            .contains("recorded checksum B, file checksum b"));
        assert_eq!(
            s.summary(),
            "1 applied, 1 changed, 1 out-of-order, 1 missing-on-disk, 1 partial, 2 pending"
        );
    }
}
