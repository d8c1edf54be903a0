//! The backup strategy trait a plugin author implements, in plain Rust, and what the host
//! offers a running strategy ([`Host`]).
//!
//! A strategy receives a connection lent by the host (to the database backed up or restored
//! into), the request, and the host: further connections for parallel workers, progress
//! reports and cancellation. It writes its files into the request's directory; the host
//! checksums, encrypts and publishes them.

use crate::guard::guard;
use crate::{ErrorKind, PluginError};
use myrmex_abi::{self as abi, BackupHostBox, ConnectionBox, RResult};

pub use myrmex_abi::{
    BackupFeatures, BackupOutcome, BackupProgress, BackupRequest, RestoreOutcome, RestoreRequest,
    TableSummary,
};

/// What the host offers a running strategy.
#[derive(Clone, Copy)]
pub struct Host<'a> {
    inner: &'a BackupHostBox,
}

impl<'a> Host<'a> {
    /// Wraps the host as it crossed the contract.
    pub fn new(inner: &'a BackupHostBox) -> Self {
        Host { inner }
    }

    /// Another connection to the same database, for a parallel worker.
    pub fn connect(&self) -> Result<ConnectionBox, PluginError> {
        self.inner.connect().into_result()
    }

    /// Reports progress.
    pub fn progress(&self, progress: &BackupProgress) {
        self.inner.progress(progress)
    }

    /// True once the user asked to stop.
    pub fn cancelled(&self) -> bool {
        self.inner.cancelled()
    }

    /// A cancelled error once the user asked to stop.
    pub fn check_cancelled(&self) -> Result<(), PluginError> {
        if self.cancelled() {
            Err(PluginError::new(
                ErrorKind::CANCELLED,
                "cancelled at the user's request",
            ))
        } else {
            Ok(())
        }
    }
}

/// A backup strategy.
pub trait BackupStrategy: Send + Sync + 'static {
    /// What it can do.
    fn features(&self) -> BackupFeatures;

    /// Backs up the database `conn` reaches into `request.directory`.
    fn backup(
        &self,
        conn: &mut ConnectionBox,
        request: &BackupRequest,
        host: Host<'_>,
    ) -> Result<BackupOutcome, PluginError>;

    /// Restores the backup in `request.directory` into the database `conn` reaches.
    fn restore(
        &self,
        conn: &mut ConnectionBox,
        request: &RestoreRequest,
        host: Host<'_>,
    ) -> Result<RestoreOutcome, PluginError>;
}

pub(crate) struct Adapter<B>(pub(crate) B);

impl<B: BackupStrategy> abi::BackupStrategy for Adapter<B> {
    fn features(&self) -> BackupFeatures {
        self.0.features()
    }

    fn backup(
        &self,
        conn: &mut ConnectionBox,
        request: &BackupRequest,
        host: &BackupHostBox,
    ) -> RResult<BackupOutcome, PluginError> {
        guard(|| self.0.backup(conn, request, Host::new(host)))
    }

    fn restore(
        &self,
        conn: &mut ConnectionBox,
        request: &RestoreRequest,
        host: &BackupHostBox,
    ) -> RResult<RestoreOutcome, PluginError> {
        guard(|| self.0.restore(conn, request, Host::new(host)))
    }
}
