//! Backups: [`BackupManager`] creates backups with a strategy plugin (`logical`,
//! `sqlite-online`, …), lists them with their status and size, verifies them (checksums,
//! manifest, restore drill), restores them and prunes them by a [`Retention`] policy.
//!
//! A backup is a directory under the destination: the strategy's files and `manifest.json`.
//! It is written as `.NAME.partial` and renamed to `NAME` once its manifest is complete, so
//! a backup that was killed never looks complete and never touches an older one. With a key
//! every file is encrypted at rest (AES-256-GCM in 1 MiB segments).
//!
//! ```no_run
//! use myrmex_core::backup::{BackupManager, BackupOptions, RestoreOptions};
//! use myrmex_core::DatabaseConnection;
//!
//! let mut db = DatabaseConnection::from_url("app", "sqlite://app.db")?;
//! db.connect()?;
//! let backups = BackupManager::new("backups");
//! let b = backups.backup(&mut db, &BackupOptions::default())?;
//! backups.verify(&b.path, None, Some(&mut db))?;
//! let mut copy = DatabaseConnection::from_url("copy", "sqlite://copy.db")?;
//! copy.connect()?;
//! backups.restore(&b.path, &mut copy, &RestoreOptions::default())?;
//! # Ok::<(), myrmex_core::Error>(())
//! ```

mod crypto;
mod digest;
mod error;
mod host;
mod manifest;
mod remote;
mod retention;
mod run;
pub mod schedule;
mod store;
mod verify;

pub use crypto::KeySource;
pub use error::BackupError;
pub use host::{no_progress, Progress, ProgressFn};
pub use manifest::{Compression, Encryption, FileEntry, Manifest, TableEntry};
pub use retention::{PrunePlan, Retention};
pub use store::{BackupInfo, Status};
pub use verify::VerifyReport;

use crate::plugin::Registry;
use crate::{DatabaseConnection, Result};
use myrmex_schema::convert::{CastRules, Conversion};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// How to back up.
#[derive(Clone, Debug)]
pub struct BackupOptions {
    /// The strategy plugin (`logical`, `sqlite-online`).
    pub strategy: String,
    /// Connections or processes the strategy may use.
    pub parallel: u32,
    /// zstd level (0: none).
    pub compress: i32,
    /// Encrypt every file with this key.
    pub encrypt: Option<KeySource>,
    /// The backup's name (default: UTC time and database name).
    pub name: Option<String>,
    /// The strategy's own settings as JSON (empty for none).
    pub settings: String,
}

impl Default for BackupOptions {
    fn default() -> Self {
        BackupOptions {
            strategy: "logical".into(),
            parallel: 2,
            compress: 3,
            encrypt: None,
            name: None,
            settings: String::new(),
        }
    }
}

/// How to restore.
#[derive(Clone, Debug)]
pub struct RestoreOptions {
    /// Drop what the target holds first (without it a non-empty target is refused).
    pub clean: bool,
    /// Connections or processes the strategy may use.
    pub parallel: u32,
    /// The key of an encrypted backup.
    pub key: Option<KeySource>,
    /// The strategy's own settings as JSON (empty for none).
    pub settings: String,
    /// How the schema is converted when the backup is of another engine (cast rules,
    /// strict).
    pub rules: CastRules,
}

impl Default for RestoreOptions {
    fn default() -> Self {
        RestoreOptions {
            clean: false,
            parallel: 2,
            key: None,
            settings: String::new(),
            rules: CastRules::default(),
        }
    }
}

/// What a restore did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Restored {
    /// Every table restored, with its rows (and content checksum when the strategy read it
    /// back).
    pub tables: Vec<TableEntry>,
    /// The schema conversion when the backup was of another engine: every decision, losses
    /// included.
    pub conversion: Option<Conversion>,
}

/// Creates, lists, verifies, restores and prunes the backups of one destination: a local
/// directory, or an object store location (`s3://bucket/prefix`) opened through the store
/// plugin of its scheme.
pub struct BackupManager {
    dest: PathBuf,
    remote: Option<remote::Remote>,
    registry: Arc<Registry>,
    progress: ProgressFn,
    cancel: Arc<AtomicBool>,
}

impl BackupManager {
    /// A manager of the backups in `dest`, with the process-wide plugin registry.
    pub fn new(dest: impl Into<PathBuf>) -> Self {
        Self::with_registry(dest, Registry::global())
    }

    /// A manager of the backups in directory `dest`, with `registry`.
    pub fn with_registry(dest: impl Into<PathBuf>, registry: Arc<Registry>) -> Self {
        BackupManager {
            dest: dest.into(),
            remote: None,
            registry,
            progress: no_progress(),
            cancel: Arc::new(AtomicBool::new(false)),
        }
    }

    /// A manager of the backups at `dest`: an object store location (`s3://bucket/prefix`,
    /// opened by the loaded store plugin of that scheme) or a local directory.
    pub fn open(dest: &str, registry: Arc<Registry>) -> Result<Self> {
        let Some(scheme) = remote::scheme_of(dest) else {
            return Ok(Self::with_registry(dest, registry));
        };
        let remote = remote::Remote::open(&registry, dest, scheme)?;
        Ok(BackupManager {
            dest: remote.staging.clone(),
            remote: Some(remote),
            registry,
            progress: no_progress(),
            cancel: Arc::new(AtomicBool::new(false)),
        })
    }

    /// The manager of the destination holding the backup at `path` (its directory's parent,
    /// or the store location it is under) and the path to hand its methods.
    pub fn for_backup(path: &str, registry: Arc<Registry>) -> Result<(Self, PathBuf)> {
        if remote::scheme_of(path).is_some() {
            let (dest, name) = remote::split(path);
            return Ok((Self::open(&dest, registry)?, PathBuf::from(name)));
        }
        let p = Path::new(path);
        let parent = p.parent().unwrap_or(Path::new("."));
        Ok((Self::with_registry(parent, registry), p.to_path_buf()))
    }

    /// Reports progress of every later operation to `f`.
    pub fn on_progress(mut self, f: ProgressFn) -> Self {
        self.progress = f;
        self
    }

    /// The flag that cancels a running operation when set (from another thread, or a
    /// signal handler's thread).
    pub fn cancel_flag(&self) -> Arc<AtomicBool> {
        self.cancel.clone()
    }

    /// The destination directory.
    pub fn dest(&self) -> &Path {
        &self.dest
    }

    /// Backs up `db` (connected) into a new backup of this destination.
    pub fn backup(
        &self,
        db: &mut DatabaseConnection,
        options: &BackupOptions,
    ) -> Result<BackupInfo> {
        let (path, manifest) = run::backup(
            &self.registry,
            db,
            &self.dest,
            options,
            self.progress.clone(),
            self.cancel.clone(),
        )?;
        let mut info = store::info_of(&path, &manifest);
        if let Some(remote) = &self.remote {
            let uploaded = remote.upload(&path, &manifest.name);
            let _ = std::fs::remove_dir_all(&path);
            uploaded?;
            info.path = remote.path_of(&manifest.name);
        }
        Ok(info)
    }

    /// Every backup of this destination, oldest first, with its status.
    pub fn list(&self) -> Result<Vec<BackupInfo>> {
        match &self.remote {
            Some(remote) => remote.list(),
            None => Ok(store::list(&self.dest)?),
        }
    }

    /// The local directory of the backup at `path`, downloaded first from a store; the
    /// backup's name in the store, if it came from one.
    fn local(&self, path: &Path) -> Result<(PathBuf, Option<String>)> {
        match &self.remote {
            Some(remote) => {
                let name = path.to_string_lossy();
                let (_, name) = if remote::scheme_of(&name).is_some() {
                    remote::split(&name)
                } else {
                    (String::new(), name.into_owned())
                };
                Ok((remote.download(&name)?, Some(name)))
            }
            None => Ok((self.resolve(path), None)),
        }
    }

    /// A backup's directory: `path` itself when it holds a backup, else the backup of that
    /// name in this destination.
    pub fn resolve(&self, path: &Path) -> PathBuf {
        if path.join(manifest::MANIFEST).exists() || path.is_absolute() {
            path.to_path_buf()
        } else {
            let named = self.dest.join(path);
            if named.exists() {
                named
            } else {
                path.to_path_buf()
            }
        }
    }

    /// Restores the backup at `path` into `db` (connected); the tables restored.
    pub fn restore(
        &self,
        path: &Path,
        db: &mut DatabaseConnection,
        options: &RestoreOptions,
    ) -> Result<Vec<TableEntry>> {
        Ok(self.restore_report(path, db, options)?.tables)
    }

    /// Restores the backup at `path` into `db` (connected). A backup of another engine is
    /// restored through the schema conversion (`options.rules`), when its strategy can
    /// restore across engines; the conversion's decisions come back with the tables.
    pub fn restore_report(
        &self,
        path: &Path,
        db: &mut DatabaseConnection,
        options: &RestoreOptions,
    ) -> Result<Restored> {
        let (dir, from_store) = self.local(path)?;
        let done = run::restore(
            &self.registry,
            &dir,
            db,
            options,
            self.progress.clone(),
            self.cancel.clone(),
        );
        if from_store.is_some() {
            let _ = std::fs::remove_dir_all(&dir);
        }
        done
    }

    /// Verifies the backup at `path`: manifest, checksums, and with `drill` a restore into a
    /// scratch database of that connection's engine compared table by table.
    pub fn verify(
        &self,
        path: &Path,
        key: Option<&KeySource>,
        drill: Option<&mut DatabaseConnection>,
    ) -> Result<VerifyReport> {
        let (dir, from_store) = self.local(path)?;
        let report = verify::verify(
            &self.registry,
            &dir,
            key,
            drill,
            self.progress.clone(),
            self.cancel.clone(),
        );
        let (Some(remote), Some(name)) = (&self.remote, from_store) else {
            return report;
        };
        // The verified mark goes back to the store beside the manifest.
        let marked = report.and_then(|mut r| {
            remote.upload_file(&name, &dir.join(manifest::VERIFIED), manifest::VERIFIED)?;
            r.path = remote.path_of(&name);
            Ok(r)
        });
        let _ = std::fs::remove_dir_all(&dir);
        marked
    }

    /// Applies `policy`: deletes what it does not keep (nothing on a dry run) and returns
    /// the plan.
    pub fn prune(&self, policy: &Retention, dry_run: bool) -> Result<PrunePlan> {
        let plan = policy.plan(&self.list()?)?;
        if !dry_run {
            for b in &plan.delete {
                match &self.remote {
                    Some(remote) => remote.delete(&b.name)?,
                    None => std::fs::remove_dir_all(&b.path).map_err(error::io(&b.path))?,
                }
            }
        }
        Ok(plan)
    }
}
