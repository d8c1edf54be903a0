//! Errors of the backup strategies, each naming the table, chunk or file it is about.

use myrmex_plugin::{ErrorKind, PluginError};

/// What can go wrong writing or reading a logical backup.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The engine returned a value of a type this format does not know.
    #[error("a value of type {type_name} that the logical format cannot hold")]
    UnknownValue {
        /// Its type name.
        type_name: String,
    },
    /// A file of the backup could not be written or read.
    #[error("{file}: {source}")]
    Io {
        /// The file, relative to the backup directory.
        file: String,
        /// What the system said.
        source: std::io::Error,
    },
    /// A chunk holds bytes that do not decode as rows.
    #[error("chunk {chunk} of table {table} is damaged at byte {offset}")]
    Damaged {
        /// The table.
        table: String,
        /// The chunk file.
        chunk: String,
        /// Where decoding stopped.
        offset: usize,
    },
    /// The manifest's strategy facts do not read.
    #[error("the manifest: {0}")]
    Manifest(String),
    /// The schema recorded in the backup cannot be turned into DDL.
    #[error("the schema: {0}")]
    Schema(String),
    /// The database refused a statement.
    #[error("table {table}: {source}")]
    Table {
        /// The table.
        table: String,
        /// The engine's error.
        source: PluginError,
    },
    /// The target database holds tables and `clean` was not asked for.
    #[error("the target database is not empty (it holds {tables}); restore with clean to drop them first")]
    NotEmpty {
        /// Some of the tables it holds.
        tables: String,
    },
    /// A worker thread stopped abnormally.
    #[error("a backup worker stopped: {0}")]
    Worker(String),
}

impl BackupError {
    /// The error as it crosses the contract.
    pub fn into_plugin(self) -> PluginError {
        match self {
            BackupError::Table { table, source } => {
                PluginError::new(source.kind, format!("table {table}: {}", source.message))
            }
            e @ BackupError::NotEmpty { .. } => {
                PluginError::new(ErrorKind::ALREADY_EXISTS, e.to_string())
            }
            e @ BackupError::Io { .. } => PluginError::new(ErrorKind::IO, e.to_string()),
            e @ BackupError::UnknownValue { .. } => {
                PluginError::new(ErrorKind::TYPE, e.to_string())
            }
            e => PluginError::new(ErrorKind::INVALID_INPUT, e.to_string()),
        }
    }
}

impl From<BackupError> for PluginError {
    fn from(e: BackupError) -> Self {
        e.into_plugin()
    }
}

/// Attaches a table's name to an engine error.
pub fn on_table(table: &str) -> impl FnOnce(PluginError) -> BackupError + '_ {
    move |source| BackupError::Table {
        table: table.to_string(),
        source,
    }
}

/// Attaches a file's name to an I/O error.
pub fn on_file(file: &str) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::Io {
        file: file.to_string(),
        source,
    }
}
