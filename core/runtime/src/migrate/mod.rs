//! Versioned migrations: a directory of `V<version>__<name>` files applied up and down,
//! recorded in a history table, under a lock, crash-safe on every engine.
//!
//! ```no_run
//! use myrmex_core::{migrate::MigrationManager, DatabaseConnection};
//!
//! let mut db = DatabaseConnection::from_url("app", "sqlite://app.db")?;
//! db.connect()?;
//! let manager = MigrationManager::open("migrations")?;
//! for e in &manager.status(&mut db)?.entries {
//!     println!("V{} {} {}", e.version, e.name, e.state);
//! }
//! let report = manager.up(&mut db, None)?;
//! println!("applied {}", report.applied.len());
//! # Ok::<(), myrmex_core::Error>(())
//! ```
//!
//! The modules: [`source`] reads the files, `checksum` fingerprints them ([`checksum()`]),
//! [`history`] is the table, [`lock`] the lock, [`status`] compares disk and table, [`plan`]
//! orders the steps, `run` executes one, `verify` checks down parts on a scratch database and
//! `create` writes new files, `manager` holds [`MigrationManager`] and `identity` says who ran
//! a migration.

mod checksum;
mod create;
pub mod history;
mod identity;
pub mod lock;
mod manager;
pub mod plan;
mod run;
pub mod source;
pub mod status;
mod verify;

pub use checksum::{of as checksum, ALGORITHM as CHECKSUM_ALGORITHM};
pub use create::{next_version, write_migration};
pub use history::{AppliedMigration, History, DEFAULT_TABLE};
pub use identity::applied_by;
pub use manager::{applied, run_migrations, MigrationManager};
pub use plan::{Direction, DownTarget, Step};
pub use source::{Migration, MigrationKind, Part};
pub use status::{Entry, State, Status};
pub use verify::VerifyReport;

use crate::DatabaseConnection;
use std::time::Duration;

/// Runs a `.rhai` migration. The shell provides one; Rust programs may provide their own.
pub trait ScriptRunner {
    /// Runs `part.text` with `conn` available to the script; `Err` carries the message
    /// (with the script's line and column).
    fn run(&self, conn: &mut DatabaseConnection, part: &Part) -> std::result::Result<(), String>;
}

/// Hears about a run as it goes (the shell draws a progress bar).
pub trait Observer {
    /// The lock is held by `holder`; this run waits.
    fn waiting_for_lock(&self, _holder: &str) {}
    /// `total` steps are about to run.
    fn start(&self, _total: usize) {}
    /// Step `index` (0-based) starts.
    fn step(&self, _index: usize, _step: &Step) {}
    /// Every step is done (or one failed).
    fn finish(&self) {}
    /// Asked before each step; `false` stops the run there (Ctrl-C), leaving the rest pending.
    fn keep_going(&self) -> bool {
        true
    }
}

/// An observer that ignores everything.
pub struct Quiet;
impl Observer for Quiet {}

/// Settings of a [`MigrationManager`].
#[derive(Debug, Clone)]
pub struct MigrateOptions {
    /// History table (`schema.table` allowed). Default `myrmex_migrations`.
    pub table: String,
    /// How long to wait for another run's lock. Default 60 s.
    pub lock_timeout: Duration,
    /// Apply pending migrations older than the newest applied one instead of refusing.
    pub allow_out_of_order: bool,
}

impl Default for MigrateOptions {
    fn default() -> Self {
        MigrateOptions {
            table: DEFAULT_TABLE.to_string(),
            lock_timeout: Duration::from_secs(60),
            allow_out_of_order: false,
        }
    }
}

/// One migration that ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Done {
    /// Version.
    pub version: i64,
    /// Name.
    pub name: String,
    /// Milliseconds it took.
    pub ms: i64,
}

/// What a command did.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Up parts run, in order.
    pub applied: Vec<Done>,
    /// Down parts run, in order.
    pub reverted: Vec<Done>,
    /// Other changes to the history table (baseline, accept, repair), one line each.
    pub recorded: Vec<String>,
}

impl Report {
    /// A one-paragraph summary for people.
    pub fn summary(&self) -> String {
        let mut lines = Vec::new();
        for d in &self.applied {
            lines.push(format!("applied  V{}__{} ({} ms)", d.version, d.name, d.ms));
        }
        for d in &self.reverted {
            lines.push(format!("reverted V{}__{} ({} ms)", d.version, d.name, d.ms));
        }
        lines.extend(self.recorded.iter().cloned());
        if lines.is_empty() {
            lines.push("nothing to do".into());
        }
        lines.join("\n")
    }
}
