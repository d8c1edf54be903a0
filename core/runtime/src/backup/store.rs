//! The backups in a destination directory: complete ones (`NAME/manifest.json`, verified
//! when `verified.json` sits beside it) and unfinished ones (`.NAME.partial`, running while
//! the process writing it holds its lock, failed otherwise).

use super::error::{io, BackupError};
use super::manifest::{Manifest, VERIFIED};
use serde::Serialize;
use std::fs::File;
use std::path::{Path, PathBuf};

/// Where a backup is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Being written now.
    Running,
    /// Complete: its manifest is written.
    Complete,
    /// Complete and verified.
    Verified,
    /// Stopped before it was complete (an error, or the process was killed).
    Failed,
}

impl Status {
    /// `running`, `complete`, `verified`, `failed`.
    pub fn name(self) -> &'static str {
        match self {
            Status::Running => "running",
            Status::Complete => "complete",
            Status::Verified => "verified",
            Status::Failed => "failed",
        }
    }
}

/// One backup as listed.
#[derive(Clone, Debug, Serialize)]
pub struct BackupInfo {
    /// Its name.
    pub name: String,
    /// Its directory.
    pub path: PathBuf,
    /// Its status.
    pub status: Status,
    /// Bytes on disk.
    pub bytes: u64,
    /// The strategy (empty when unknown: a failed backup).
    pub strategy: String,
    /// The engine backed up.
    pub engine: String,
    /// When it started (RFC 3339).
    pub started: String,
    /// Unix seconds when it started (0 when unknown).
    #[serde(skip)]
    pub started_unix: u64,
    /// Rows in all.
    pub rows: u64,
    /// Tables.
    pub tables: usize,
    /// True when its files are encrypted.
    pub encrypted: bool,
    /// Why it failed, when it did and the reason was recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The name of the unfinished directory for backup `name`.
pub fn partial_name(name: &str) -> String {
    format!(".{name}.partial")
}

/// The lock file inside an unfinished backup.
pub const LOCK: &str = ".lock";
/// The error a failed backup recorded.
pub const ERROR: &str = ".error";

/// An exclusive lock on a file, held until dropped (or the process ends, however it ends).
pub struct FileLock {
    _file: File,
}

impl FileLock {
    /// Takes the lock on `path` without waiting; `None` when another process holds it.
    pub fn try_take(path: &Path) -> Result<Option<FileLock>, BackupError> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(io(path))?;
        #[cfg(unix)]
        {
            use std::os::unix::io::AsRawFd;
            // SAFETY: flock on a file descriptor this function owns.
            let r = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
            if r != 0 {
                return Ok(None);
            }
        }
        Ok(Some(FileLock { _file: file }))
    }
}

fn dir_bytes(dir: &Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            match e.metadata() {
                Ok(m) if m.is_dir() => stack.push(e.path()),
                Ok(m) => total += m.len(),
                Err(_) => {}
            }
        }
    }
    total
}

/// Every backup in `dest`, oldest first.
pub fn list(dest: &Path) -> Result<Vec<BackupInfo>, BackupError> {
    let mut out = Vec::new();
    let rd = match std::fs::read_dir(dest) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(io(dest)(e)),
    };
    for e in rd {
        let e = e.map_err(io(dest))?;
        let path = e.path();
        if !path.is_dir() {
            continue;
        }
        let file = e.file_name().to_string_lossy().into_owned();
        if let Some(name) = file
            .strip_prefix('.')
            .and_then(|n| n.strip_suffix(".partial"))
        {
            let running = FileLock::try_take(&path.join(LOCK))?.is_none();
            let started_unix = e
                .metadata()
                .ok()
                .and_then(|m| m.modified().ok())
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_secs());
            out.push(BackupInfo {
                name: name.to_string(),
                bytes: dir_bytes(&path),
                path,
                status: if running {
                    Status::Running
                } else {
                    Status::Failed
                },
                strategy: String::new(),
                engine: String::new(),
                started: super::manifest::rfc3339(started_unix),
                started_unix,
                rows: 0,
                tables: 0,
                encrypted: false,
                error: std::fs::read_to_string(e.path().join(ERROR)).ok(),
            });
            continue;
        }
        if file.starts_with('.') {
            continue;
        }
        let m = match Manifest::read(&path) {
            Ok(m) => m,
            Err(BackupError::NotABackup { .. }) => continue,
            Err(err) => {
                out.push(BackupInfo {
                    name: file,
                    bytes: dir_bytes(&path),
                    path,
                    status: Status::Failed,
                    strategy: String::new(),
                    engine: String::new(),
                    started: String::new(),
                    started_unix: 0,
                    rows: 0,
                    tables: 0,
                    encrypted: false,
                    error: Some(err.to_string()),
                });
                continue;
            }
        };
        out.push(info_of(&path, &m));
    }
    out.sort_by(|a, b| (a.started_unix, &a.name).cmp(&(b.started_unix, &b.name)));
    Ok(out)
}

/// The listing of a complete backup.
pub fn info_of(path: &Path, m: &Manifest) -> BackupInfo {
    BackupInfo {
        name: m.name.clone(),
        path: path.to_path_buf(),
        status: if path.join(VERIFIED).exists() {
            Status::Verified
        } else {
            Status::Complete
        },
        bytes: dir_bytes(path),
        strategy: m.strategy.clone(),
        engine: m.engine.clone(),
        started: m.started.clone(),
        started_unix: m.started_unix,
        rows: m.rows(),
        tables: m.tables.len(),
        encrypted: m.encryption.is_some(),
        error: None,
    }
}
