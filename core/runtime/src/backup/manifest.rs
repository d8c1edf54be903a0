//! The manifest of a backup (`manifest.json`): written last, it is what makes a backup
//! complete. It names the strategy, engine, server and tool versions, the schema, every
//! table's rows and content checksum, every file's size and SHA-256, and the compression
//! and encryption parameters.

use super::error::{io, BackupError};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The manifest's file name.
pub const MANIFEST: &str = "manifest.json";
/// The marker a successful verify writes next to the manifest.
pub const VERIFIED: &str = "verified.json";
/// This manifest format.
pub const MANIFEST_VERSION: u32 = 2;

/// A backup's manifest.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Manifest {
    /// The manifest format (1).
    pub manifest_version: u32,
    /// The backup's name (its directory's).
    pub name: String,
    /// The strategy that wrote it.
    pub strategy: String,
    /// The strategy's file format.
    pub format: String,
    /// The driver of the database backed up.
    pub driver: String,
    /// The engine (dialect) backed up.
    pub engine: String,
    /// The server's version.
    pub server_version: String,
    /// The database's URL without its password.
    pub source: String,
    /// The myrmex version that wrote it.
    pub tool_version: String,
    /// When it started and finished (RFC 3339, UTC).
    pub started: String,
    /// When it finished.
    pub finished: String,
    /// Seconds since the Unix epoch when it started (for retention).
    pub started_unix: u64,
    /// Compression.
    pub compression: Compression,
    /// Encryption, when the files are encrypted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption: Option<Encryption>,
    /// The schema as a definition, when the strategy keeps it.
    #[serde(default)]
    pub schema: serde_json::Value,
    /// Every table: rows and content checksum.
    pub tables: Vec<TableEntry>,
    /// Every file of the backup besides the manifest.
    pub files: Vec<FileEntry>,
    /// The strategy's own facts (layout of its files).
    #[serde(default)]
    pub details: serde_json::Value,
}

/// Compression parameters.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Compression {
    /// `zstd`, or `none`.
    pub algorithm: String,
    /// The level.
    pub level: i32,
}

/// Encryption parameters.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Encryption {
    /// `aes-256-gcm-stream`.
    pub algorithm: String,
    /// Plaintext bytes per segment.
    pub segment: u32,
    /// Tells a wrong key from a damaged file (nonce and ciphertext of a fixed text).
    pub key_check: String,
}

/// One table in the manifest.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct TableEntry {
    /// Its name.
    pub name: String,
    /// Its rows.
    pub rows: u64,
    /// Its content checksum (empty when the strategy keeps none).
    #[serde(default)]
    pub checksum: String,
}

/// One file in the manifest.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct FileEntry {
    /// Path relative to the backup directory, `/`-separated.
    pub name: String,
    /// Size in bytes (as stored: encrypted when encryption is on).
    pub bytes: u64,
    /// SHA-256 of the stored bytes, hex; for a file of several 64 MiB segments, the SHA-256
    /// of the segments' digests one after the other.
    pub sha256: String,
    /// Each 64 MiB segment's SHA-256 (absent for a file of one segment).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub segments: Vec<String>,
}

impl Manifest {
    /// Reads the manifest of the backup in `dir`.
    pub fn read(dir: &Path) -> Result<Manifest, BackupError> {
        let path = dir.join(MANIFEST);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(BackupError::NotABackup {
                    path: dir.to_path_buf(),
                })
            }
            Err(e) => return Err(io(&path)(e)),
        };
        let m: Manifest = serde_json::from_str(&text).map_err(|e| BackupError::Manifest {
            path: dir.to_path_buf(),
            reason: e.to_string(),
        })?;
        // Version 2 added segment checksums of big files; version 1 manifests read as they are.
        if !(1..=MANIFEST_VERSION).contains(&m.manifest_version) {
            return Err(BackupError::Manifest {
                path: dir.to_path_buf(),
                reason: format!(
                    "manifest version {} (this myrmex reads {MANIFEST_VERSION})",
                    m.manifest_version
                ),
            });
        }
        Ok(m)
    }

    /// Total bytes of the backup's files.
    pub fn bytes(&self) -> u64 {
        self.files.iter().map(|f| f.bytes).sum()
    }

    /// Total rows.
    pub fn rows(&self) -> u64 {
        self.tables.iter().map(|t| t.rows).sum()
    }
}

/// Writes `bytes` to `path` atomically: a temporary file, synced, renamed over it, and the
/// directory synced.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), BackupError> {
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::File::create(&tmp).map_err(io(&tmp))?;
    f.write_all(bytes).map_err(io(&tmp))?;
    f.sync_all().map_err(io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io(path))?;
    sync_dir(path.parent().unwrap_or(Path::new(".")))
}

/// Syncs a directory, so a rename in it survives a crash.
pub fn sync_dir(dir: &Path) -> Result<(), BackupError> {
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io(dir))
}

/// Every file under `dir` (recursively) except the host's own (names starting with `.`) and
/// the manifest and verify marker, as `/`-separated relative names, sorted.
pub fn payload_files(dir: &Path) -> Result<Vec<(String, PathBuf)>, BackupError> {
    let mut out = Vec::new();
    let mut stack = vec![(String::new(), dir.to_path_buf())];
    while let Some((prefix, d)) = stack.pop() {
        for e in std::fs::read_dir(&d).map_err(io(&d))? {
            let e = e.map_err(io(&d))?;
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with('.')
                || (prefix.is_empty() && (name == MANIFEST || name == VERIFIED))
            {
                continue;
            }
            let rel = if prefix.is_empty() {
                name
            } else {
                format!("{prefix}/{name}")
            };
            let ty = e.file_type().map_err(io(&e.path()))?;
            if ty.is_dir() {
                stack.push((rel, e.path()));
            } else {
                out.push((rel, e.path()));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Now as RFC 3339 UTC and as Unix seconds.
pub fn now() -> (String, u64) {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    (rfc3339(secs), secs)
}

/// Unix seconds as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn rfc3339(secs: u64) -> String {
    let (y, m, d) = myrmex_plugin::canonical::civil_from_days((secs / 86_400) as i64);
    let s = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        s % 3600 / 60,
        s % 60
    )
}
