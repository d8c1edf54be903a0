//! The `backup` capability (contract 2.5): strategies that write a database into a backup
//! directory the host hands them, and restore it from one.
//!
//! The host owns the directory's life: it creates it under a temporary name, hands it to the
//! strategy, then checksums (and encrypts) every file the strategy wrote, writes the manifest
//! last and renames the directory into place, so a killed backup never looks complete. A
//! strategy only writes its files and says what it wrote ([`BackupOutcome`]).

use crate::{ConnectOptions, ConnectionBox, Extensions, PluginError};
use abi_stable::sabi_trait;
use abi_stable::std_types::{RBox, RResult, RString, RVec};
use abi_stable::StableAbi;

/// What a strategy can do.
#[repr(C)]
#[derive(StableAbi, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct BackupFeatures {
    /// Writes a full backup.
    pub full: bool,
    /// Writes a backup holding only what changed since an earlier one.
    pub incremental: bool,
    /// Consistent while writers keep running (no lock held for the whole backup).
    pub online: bool,
    /// Uses several connections or processes at once.
    pub parallel: bool,
    /// Restores into an engine other than the one backed up.
    pub cross_engine: bool,
}

/// What to back up and where.
#[repr(C)]
#[derive(StableAbi, Clone, Debug)]
pub struct BackupRequest {
    /// The database backed up (password included, for strategies that run the engine's own
    /// tools or read its files; never to be written anywhere).
    pub source: ConnectOptions,
    /// The directory to write into: it exists and is empty.
    pub directory: RString,
    /// How many connections or processes the strategy may use (at least 1).
    pub parallel: u32,
    /// Compression level, 0 for none (zstd levels 1–22 where the strategy compresses).
    pub compress: i32,
    /// The strategy's own settings as JSON (empty for none).
    pub settings: RString,
    /// Facts a later contract adds.
    pub extensions: Extensions,
}

/// One table as a backup recorded it, or as a restore left it.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq)]
pub struct TableSummary {
    /// The table's name (`schema.name` outside the default schema).
    pub name: RString,
    /// Its rows.
    pub rows: u64,
    /// A checksum of its content that does not depend on row order (hex; empty when the
    /// strategy keeps none).
    pub checksum: RString,
    /// Facts a later contract adds.
    pub extensions: Extensions,
}

/// What a backup wrote.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq)]
pub struct BackupOutcome {
    /// The format of the files (`myrmex-logical/1`, `sqlite-file/1`, `pg-directory`).
    pub format: RString,
    /// The engine backed up (the driver's dialect name: `postgres`, `mariadb`, `sqlite`).
    pub engine: RString,
    /// The server's version.
    pub server_version: RString,
    /// The schema as a definition (JSON), empty when the strategy keeps none.
    pub schema: RString,
    /// Every table with its rows and content checksum.
    pub tables: RVec<TableSummary>,
    /// Strategy facts for the manifest (JSON object, empty for none).
    pub details: RString,
    /// Facts a later contract adds.
    pub extensions: Extensions,
}

/// What to restore and where.
#[repr(C)]
#[derive(StableAbi, Clone, Debug)]
pub struct RestoreRequest {
    /// The database restored into (password included, as for [`BackupRequest::source`]).
    pub target: ConnectOptions,
    /// The backup's directory, its files checked and decrypted by the host.
    pub directory: RString,
    /// The backup's manifest (JSON) as the host wrote it.
    pub manifest: RString,
    /// How many connections or processes the strategy may use (at least 1).
    pub parallel: u32,
    /// Drop what the target holds first; without it a non-empty target is refused.
    pub clean: bool,
    /// The strategy's own settings as JSON (empty for none).
    pub settings: RString,
    /// Facts a later contract adds.
    pub extensions: Extensions,
}

/// What a restore loaded.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq)]
pub struct RestoreOutcome {
    /// Every table restored with its rows and content checksum, read back from the target
    /// after loading (checksum empty when the strategy keeps none).
    pub tables: RVec<TableSummary>,
    /// Facts a later contract adds.
    pub extensions: Extensions,
}

/// Where a running backup or restore is.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq, Default)]
pub struct BackupProgress {
    /// The phase (`schema`, `data`, `indexes`, `copy`).
    pub phase: RString,
    /// The table being worked on, if any.
    pub table: RString,
    /// Rows done so far, over all tables.
    pub rows: u64,
    /// Bytes done so far (written on backup, read on restore).
    pub bytes: u64,
    /// Bytes expected in all, 0 when unknown.
    pub bytes_total: u64,
    /// Tables done.
    pub tables_done: u32,
    /// Tables in all, 0 when unknown.
    pub tables_total: u32,
    /// Facts a later contract adds.
    pub extensions: Extensions,
}

/// What the host offers a running strategy.
#[sabi_trait]
pub trait BackupHost: Send + Sync {
    /// Opens another connection to the same database (for parallel workers).
    fn connect(&self) -> RResult<ConnectionBox, PluginError>;

    /// Reports progress.
    fn progress(&self, progress: &BackupProgress);

    /// True once the user asked to stop: the strategy returns a cancelled error soon.
    #[sabi(last_prefix_field)]
    fn cancelled(&self) -> bool;
}

/// A boxed [`BackupHost`].
pub type BackupHostBox = BackupHost_TO<'static, RBox<()>>;

/// A backup strategy.
#[sabi_trait]
pub trait BackupStrategy: Send + Sync {
    /// What it can do.
    fn features(&self) -> BackupFeatures;

    /// Backs up the database `conn` is connected to into `request.directory`.
    fn backup(
        &self,
        conn: &mut ConnectionBox,
        request: &BackupRequest,
        host: &BackupHostBox,
    ) -> RResult<BackupOutcome, PluginError>;

    /// Restores the backup in `request.directory` into the database `conn` is connected to.
    #[sabi(last_prefix_field)]
    fn restore(
        &self,
        conn: &mut ConnectionBox,
        request: &RestoreRequest,
        host: &BackupHostBox,
    ) -> RResult<RestoreOutcome, PluginError>;
}

/// A boxed [`BackupStrategy`].
pub type BackupStrategyBox = BackupStrategy_TO<'static, RBox<()>>;
