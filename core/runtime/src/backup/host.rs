//! What the host offers a running strategy: more connections to the same database,
//! progress reports and cancellation.

use crate::plugin::DriverEntry;
use myrmex_abi::{
    BackupHost, BackupHostBox, BackupHost_TO, BackupProgress, ConnectOptions, ConnectionBox,
    PluginError, RResult,
};
use serde::Serialize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Where a running backup or restore is.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Progress {
    /// The phase (`data`, `schema`, `checksum`, `encrypt`, `decrypt`, `copy`).
    pub phase: String,
    /// The table being worked on.
    pub table: String,
    /// Rows done.
    pub rows: u64,
    /// Bytes done.
    pub bytes: u64,
    /// Bytes expected, 0 when unknown.
    pub bytes_total: u64,
    /// Tables done.
    pub tables_done: u32,
    /// Tables in all, 0 when unknown.
    pub tables_total: u32,
}

/// A progress callback.
pub type ProgressFn = Arc<dyn Fn(&Progress) + Send + Sync>;

/// A progress callback that ignores every report.
pub fn no_progress() -> ProgressFn {
    Arc::new(|_| {})
}

struct HostImpl {
    driver: Arc<DriverEntry>,
    options: ConnectOptions,
    progress: ProgressFn,
    cancel: Arc<AtomicBool>,
}

impl BackupHost for HostImpl {
    fn connect(&self) -> RResult<ConnectionBox, PluginError> {
        self.driver.driver.connect(&self.options)
    }

    fn progress(&self, p: &BackupProgress) {
        (self.progress)(&Progress {
            phase: p.phase.to_string(),
            table: p.table.to_string(),
            rows: p.rows,
            bytes: p.bytes,
            bytes_total: p.bytes_total,
            tables_done: p.tables_done,
            tables_total: p.tables_total,
        })
    }

    fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }
}

/// The host handed to a strategy working on the database `options` reaches.
pub(crate) fn host_box(
    driver: Arc<DriverEntry>,
    options: ConnectOptions,
    progress: ProgressFn,
    cancel: Arc<AtomicBool>,
) -> BackupHostBox {
    BackupHost_TO::from_value(
        HostImpl {
            driver,
            options,
            progress,
            cancel,
        },
        abi_stable::sabi_trait::TD_Opaque,
    )
}
