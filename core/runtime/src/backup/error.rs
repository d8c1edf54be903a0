//! [`BackupError`]: what creating, listing, verifying, restoring and pruning backups can
//! fail with. Messages name the backup, file or table; never a key or its contents.

use myrmex_abi::PluginError;
use std::path::PathBuf;

/// A backup error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackupError {
    /// A file or directory could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The directory holds no complete backup.
    #[error("{}: not a complete backup (no manifest.json)", path.display())]
    NotABackup {
        /// The directory.
        path: PathBuf,
    },
    /// The manifest does not read, or contradicts the files.
    #[error("{}: the manifest is damaged: {reason}", path.display())]
    Manifest {
        /// The backup directory.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A file's SHA-256 differs from the one the manifest recorded.
    #[error("{}: {file} is damaged (SHA-256 {found}, the manifest recorded {expected})", path.display())]
    Checksum {
        /// The backup directory.
        path: PathBuf,
        /// The file.
        file: String,
        /// What the manifest recorded.
        expected: String,
        /// What the file hashes to now.
        found: String,
    },
    /// A file the manifest lists is missing, or one it does not list is present.
    #[error("{}: {file} {what}", path.display())]
    Files {
        /// The backup directory.
        path: PathBuf,
        /// The file.
        file: String,
        /// `is missing` or `is not listed in the manifest`.
        what: &'static str,
    },
    /// The backup is encrypted and no key was given.
    #[error("{}: the backup is encrypted; give its key (--key-env VAR or --key-file FILE)", path.display())]
    KeyMissing {
        /// The backup directory.
        path: PathBuf,
    },
    /// The key given does not open the backup.
    #[error("{}: the key given does not open this backup (a different key encrypted it)", path.display())]
    WrongKey {
        /// The backup directory.
        path: PathBuf,
    },
    /// The key could not be read or has the wrong form.
    #[error("the encryption key from {origin}: {reason}")]
    KeyInvalid {
        /// Where it was read from (`environment variable X`, `file Y`).
        origin: String,
        /// What is wrong with it (never its contents).
        reason: String,
    },
    /// An encrypted file does not decrypt.
    #[error("{}: {file} does not decrypt (damaged or cut short)", path.display())]
    Decrypt {
        /// The backup directory.
        path: PathBuf,
        /// The file.
        file: String,
    },
    /// The strategy asked for is not loaded, or does not handle this engine.
    #[error(
        "backup strategy `{strategy}` does not back up {driver} databases (it handles: {handles})"
    )]
    WrongEngine {
        /// The strategy.
        strategy: String,
        /// The connection's driver.
        driver: String,
        /// The drivers it handles.
        handles: String,
    },
    /// The strategy failed.
    #[error("backup strategy `{strategy}`: {}", source.message)]
    Strategy {
        /// The strategy.
        strategy: String,
        /// Its error.
        source: PluginError,
    },
    /// A restore drill found a table that differs from the backup.
    #[error("{}: restore drill: table {table}: {what}", path.display())]
    Drill {
        /// The backup directory.
        path: PathBuf,
        /// The table.
        table: String,
        /// What differs.
        what: String,
    },
    /// The backup is of another engine and its strategy cannot restore across engines.
    #[error("{}: this backup is of a {from} database; strategy `{strategy}` restores only into the same engine, not {to} (back up with the logical strategy to restore into another engine)", path.display())]
    CrossEngine {
        /// The backup directory.
        path: PathBuf,
        /// The strategy that wrote it.
        strategy: String,
        /// The engine backed up.
        from: String,
        /// The engine restored into.
        to: String,
    },
    /// A backup of that name exists already.
    #[error("{}: a backup of that name exists already", path.display())]
    Exists {
        /// The directory.
        path: PathBuf,
    },
    /// A retention policy or schedule entry is not usable.
    #[error("{0}")]
    Invalid(String),
    /// No loaded object store opens locations of this scheme.
    #[error("no loaded object store plugin opens {scheme}:// locations (`myrmex plugins` lists the store:NAME capabilities)")]
    NoStore {
        /// The location's scheme.
        scheme: String,
    },
    /// The object store failed.
    #[error("backup store {location}: {}", source.message)]
    Store {
        /// The location (no credentials: those never appear in one).
        location: String,
        /// Its error.
        source: PluginError,
    },
    /// Another process holds the lock.
    #[error("{what} is locked by another running process")]
    Locked {
        /// What is locked.
        what: String,
    },
}

/// Attaches a path to an I/O error.
pub(crate) fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::Io {
        path: path.to_path_buf(),
        source,
    }
}
