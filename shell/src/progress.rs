//! Progress reporting for long migration runs: a bar on a terminal, nothing otherwise; a
//! line on stderr while waiting for another run's lock.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use myrmex_core::migrate::{Observer, Step};
use std::io::IsTerminal;

/// Fewer steps than this run without a bar.
const MIN_STEPS_FOR_BAR: usize = 2;

/// An [`Observer`] drawing an indicatif bar on stderr when it is a terminal.
pub struct Bar {
    bar: Option<ProgressBar>,
}

impl Bar {
    /// A bar if stderr is a terminal.
    pub fn new() -> Bar {
        Bar {
            bar: std::io::stderr().is_terminal().then(ProgressBar::hidden),
        }
    }
}

impl Default for Bar {
    fn default() -> Self {
        Bar::new()
    }
}

impl Observer for Bar {
    fn waiting_for_lock(&self, holder: &str) {
        eprintln!("myrmex migrate: waiting for the migration lock, held by {holder}");
    }

    fn start(&self, total: usize) {
        if let Some(b) = &self.bar {
            if total >= MIN_STEPS_FOR_BAR {
                b.set_length(total as u64);
                b.set_style(
                    ProgressStyle::with_template("{bar:30} {pos}/{len} {elapsed} {wide_msg}")
                        .unwrap_or_else(|_| ProgressStyle::default_bar()),
                );
                b.set_draw_target(ProgressDrawTarget::stderr());
            }
        }
    }

    fn step(&self, index: usize, step: &Step) {
        if let Some(b) = &self.bar {
            b.set_position(index as u64);
            b.set_message(format!(
                "{} {}",
                step.direction.as_str(),
                step.migration.label()
            ));
        }
    }

    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }

    fn keep_going(&self) -> bool {
        !crate::interrupt::is_set()
    }
}

/// A progress bar for backups and restores on stderr when it is a terminal: bytes, rows,
/// tables and the elapsed time (and an ETA when the total is known); nothing otherwise.
pub struct BackupBar {
    bar: Option<ProgressBar>,
}

impl BackupBar {
    /// A bar if stderr is a terminal.
    pub fn new() -> BackupBar {
        let bar = std::io::stderr().is_terminal().then(|| {
            let b = ProgressBar::new(0);
            b.set_style(
                ProgressStyle::with_template("{spinner} {elapsed} {bytes} {msg} {wide_bar} {eta}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            b.set_draw_target(ProgressDrawTarget::stderr());
            b
        });
        BackupBar { bar }
    }

    /// The callback to hand a [`myrmex_core::backup::BackupManager`].
    pub fn callback(&self) -> myrmex_core::backup::ProgressFn {
        let bar = self.bar.clone();
        std::sync::Arc::new(move |p: &myrmex_core::backup::Progress| {
            if let Some(b) = &bar {
                b.set_length(p.bytes_total.max(p.bytes));
                b.set_position(p.bytes);
                let tables = if p.tables_total > 0 {
                    format!(" {}/{} tables", p.tables_done, p.tables_total)
                } else {
                    String::new()
                };
                b.set_message(format!("{} {} rows{tables} {}", p.phase, p.rows, p.table));
            }
        })
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

impl Default for BackupBar {
    fn default() -> Self {
        BackupBar::new()
    }
}
