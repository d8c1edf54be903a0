//! [`Error`]: everything `myrmex-core` can fail with.

use crate::migrate::{Direction, State};
use myrmex_abi::PluginError;
use std::path::PathBuf;

/// The longest statement text quoted in an error message.
const MAX_STATEMENT_CHARS: usize = 160;

/// A `myrmex-core` error. Messages name what was wrong (file, line, key, connection,
/// statement) and never contain a password.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A backup, restore, verify or prune failed.
    #[error(transparent)]
    Backup(Box<crate::backup::BackupError>),
    /// A plugin library was refused.
    #[error("{}: {reason}", path.display())]
    PluginRefused {
        /// The library file.
        path: PathBuf,
        /// Why, in one line.
        reason: String,
    },
    /// No loaded plugin provides a driver for a URL scheme.
    #[error("no driver for `{scheme}` (loaded drivers: {known}); is its plugin in the plugin search path? (see `myrmex plugins`)")]
    NoDriver {
        /// The scheme or db_type asked for.
        scheme: String,
        /// Schemes that are available.
        known: String,
    },
    /// No loaded plugin provides a capability.
    #[error("no {kind} capability named `{name}` (loaded: {known})")]
    NoCapability {
        /// Capability kind.
        kind: String,
        /// The name asked for.
        name: String,
        /// Names of that kind that are loaded.
        known: String,
    },
    /// A connection URL could not be parsed.
    #[error("invalid connection URL `{url}`: {reason}")]
    Url {
        /// The URL with any password replaced by `***`.
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// The database or driver reported an error.
    #[error("{connection}: {source}{}", statement_suffix(statement))]
    Database {
        /// Connection name.
        connection: String,
        /// The statement, when one was running.
        statement: Option<String>,
        /// The plugin's error.
        source: Box<PluginError>,
    },
    /// A schema definition is invalid or cannot be expressed in a dialect.
    #[error(transparent)]
    SchemaDefinition(#[from] myrmex_schema::SchemaError),
    /// A driver opened but a capability of its plugin failed to open.
    #[error("{kind} `{name}` ({}) failed to open: {source}", path.display())]
    CapabilityFailed {
        /// Its kind.
        kind: String,
        /// Its name.
        name: String,
        /// The plugin file.
        path: PathBuf,
        /// The plugin's error.
        source: Box<PluginError>,
    },
    /// A capability (a shard router, …) returned an error.
    #[error("{kind} `{name}`: {source}")]
    Capability {
        /// Its kind.
        kind: String,
        /// Its name.
        name: String,
        /// The plugin's error.
        source: Box<PluginError>,
    },
    /// An audit rule set named by the user cannot run on this target.
    #[error("audit rule set `{name}` cannot run here: {reason}")]
    AuditNotApplicable {
        /// The rule set.
        name: String,
        /// Why (it examines other engines, or has no rules for this target).
        reason: String,
    },
    /// The statement guard refused a statement before it reached the server.
    #[error("{0}")]
    GuardRefused(Box<GuardRefusal>),
    /// The driver's dialect has no DDL generator in this host.
    #[error("{connection}: {source}")]
    NoGenerator {
        /// The connection.
        connection: String,
        /// The dialect name the driver gave.
        dialect: String,
        /// What the schema crate said.
        source: myrmex_schema::SchemaError,
    },
    /// The driver's schema document does not fit the schema definition.
    #[error("{connection}: the driver's schema does not fit this host's definition: {reason}")]
    SchemaDocument {
        /// The connection.
        connection: String,
        /// What did not fit (an unknown field, a wrong type), in the definition's words.
        reason: String,
    },
    /// A driver sent a value of a type this host does not know (a plugin built for a later
    /// contract).
    #[error("{connection}: column `{column}` holds a value of a type this myrmex does not know; upgrade myrmex or cast the column in the query")]
    UnknownValueType {
        /// The connection.
        connection: String,
        /// The column.
        column: String,
    },
    /// A connection was used after its plugin panicked.
    #[error("{connection}: connection is unusable after a plugin panic; open a new one")]
    Poisoned {
        /// Connection name.
        connection: String,
    },
    /// The server ended the session (terminated, killed, restarted); the connection fails at
    /// once until it reconnects.
    #[error("{connection}: the server closed this connection{}; reconnect (db.reconnect() in scripts, \\c in the shell)", closed_detail(source))]
    Closed {
        /// Connection name.
        connection: String,
        /// The driver's error when the closing was first seen.
        source: Box<PluginError>,
    },
    /// A connection was used before `connect()` or after `close()`.
    #[error("{connection}: not connected")]
    NotConnected {
        /// Connection name.
        connection: String,
    },
    /// A named connection is not known to the manager.
    #[error("no connection named `{name}` (known: {known})")]
    UnknownConnection {
        /// The name asked for.
        name: String,
        /// Names that exist.
        known: String,
    },
    /// The config file is invalid.
    #[error("{}:{line}:{column}: {message}", path.display())]
    Config {
        /// Config file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong, naming the key.
        message: String,
    },
    /// A secret was to be read from an unset environment variable.
    #[error("connection `{connection}`: environment variable {var} (password_env) is not set")]
    MissingSecret {
        /// Connection name.
        connection: String,
        /// Variable name.
        var: String,
    },
    /// A pool could not hand out a connection within its timeout.
    #[error("pool `{pool}`: no connection available after {} ms ({in_use} of {max_size} in use){}",
            waited.as_millis(), detail.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    PoolTimeout {
        /// Pool (connection) name.
        pool: String,
        /// How long the request waited.
        waited: std::time::Duration,
        /// Connections handed out at the time.
        in_use: u32,
        /// The pool's size limit.
        max_size: u32,
        /// The last error opening a connection, as the pool reported it, when there was one.
        detail: Option<String>,
    },
    /// A name given for a new migration has nothing usable in a file name.
    #[error("migration name `{name}` has no letters or digits")]
    InvalidMigrationName {
        /// The name as given.
        name: String,
    },
    /// The configured history table name is not `table` or `schema.table`.
    #[error("history table name `{name}` must be `table` or `schema.table`")]
    InvalidHistoryTable {
        /// The name as configured.
        name: String,
    },
    /// A thread reading the migration directory panicked, so the directory was not read.
    #[error("{}: reading the migrations failed (a reader thread panicked)", dir.display())]
    MigrationReaderPanicked {
        /// The migration directory.
        dir: PathBuf,
    },
    /// `verify` was asked to check a directory that holds no migrations.
    #[error("{}: no migrations to verify", dir.display())]
    NothingToVerify {
        /// The migration directory.
        dir: PathBuf,
    },
    /// Migrations were started inside an open transaction; they manage their own.
    #[error(
        "{connection}: migrations manage their own transactions; run them outside a transaction"
    )]
    MigrationInTransaction {
        /// Connection name.
        connection: String,
    },
    /// A run was stopped (Ctrl-C) between two migration steps.
    #[error("interrupted: {done} of {total} migration step(s) done, the rest not started")]
    MigrationRunInterrupted {
        /// Steps that completed.
        done: usize,
        /// Steps the run had planned.
        total: usize,
    },
    /// A run was stopped (Ctrl-C) between two statements of one migration; what ran is
    /// recorded, and the same command continues from the next statement.
    #[error("interrupted: {done} of {total} {} statement(s) of V{version}__{name} are applied and recorded; \
             `myrmex migrate {}` continues from statement {}", direction.as_str(), direction.as_str(), done + 1)]
    MigrationInterrupted {
        /// The migration's version.
        version: i64,
        /// The migration's name.
        name: String,
        /// The part that was running.
        direction: Direction,
        /// Statements of that part applied and recorded.
        done: usize,
        /// Statements in that part.
        total: usize,
    },
    /// A migration that stopped part way is to be resumed, but the statements it had already
    /// run differ from the file on disk now.
    #[error("V{version}__{name}: its first {done} {} statement(s) ran before an interruption, \
             but they changed on disk since ({}); restore them, or clear the record with \
             `myrmex migrate repair` after checking the database by hand", direction.as_str(), file.display())]
    ResumedStatementsChanged {
        /// The migration's version.
        version: i64,
        /// The migration's name.
        name: String,
        /// The part that was interrupted.
        direction: Direction,
        /// Statements that had run before the interruption.
        done: usize,
        /// The file of that part.
        file: PathBuf,
    },
    /// A migration stopped part way through its up part and its file is gone, so it cannot
    /// be finished.
    #[error("V{version}__{name} stopped part way and its file is missing; restore it or run `myrmex migrate repair`")]
    PartialMigrationMissing {
        /// The migration's version.
        version: i64,
        /// The migration's name, as recorded.
        name: String,
    },
    /// `up` was refused before running anything: migrations changed on disk, a down part
    /// stopped part way, or pending migrations are older than applied ones.
    #[error("refusing to migrate up:\n  {}", reasons.join("\n  "))]
    MigrateUpRefused {
        /// One explanation per migration at fault, each naming it and what to do.
        reasons: Vec<String>,
    },
    /// `down` was refused before reverting anything: a chosen migration cannot be reverted.
    #[error("refusing to migrate down; nothing was reverted:\n  {}", reasons.join("\n  "))]
    MigrateDownRefused {
        /// One explanation per migration at fault, each naming it and what to do.
        reasons: Vec<String>,
    },
    /// `redo` found no applied migration.
    #[error("nothing is applied, so nothing to redo")]
    NothingToRedo,
    /// `baseline` was refused because the history table already records migrations.
    #[error("{connection}: {recorded} migration(s) are recorded already; baseline adopts a database with no history")]
    BaselineRefused {
        /// Connection name.
        connection: String,
        /// Migrations recorded in the history table.
        recorded: usize,
    },
    /// `accept` named a migration whose file did not change.
    #[error("V{version}__{name} is {state}, not changed: nothing to accept")]
    NotChanged {
        /// The migration's version.
        version: i64,
        /// The migration's name.
        name: String,
        /// Its state instead.
        state: State,
    },
    /// A version was named that neither the directory nor the history table knows.
    #[error("no migration has version {version}")]
    UnknownMigrationVersion {
        /// The version asked for.
        version: i64,
    },
    /// A migration file is malformed.
    #[error("{}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    MigrationFile {
        /// The file.
        path: PathBuf,
        /// 1-based line, when one line is at fault.
        line: Option<usize>,
        /// What is wrong.
        message: String,
    },
    /// A statement of a migration failed.
    #[error("{0}")]
    MigrationStatement(Box<StatementFailure>),
    /// The migration lock could not be taken in time.
    #[error("{connection}: another migration run holds the migration lock: {holder}; gave up after {} s. \
             The lock is released when that run ends (or its process dies); wait, or raise --lock-timeout", waited.as_secs_f64())]
    MigrationLock {
        /// Connection name.
        connection: String,
        /// How long this run waited.
        waited: std::time::Duration,
        /// Who holds it.
        holder: String,
    },
    /// The audit log cannot be appended to as it stands: its last line is cut short or is
    /// not a log line, or it ends before the entry its anchor records.
    #[error("{}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    AuditLog {
        /// The log file (or its anchor).
        path: PathBuf,
        /// 1-based line, when one line is at fault.
        line: Option<usize>,
        /// What is wrong and what to do.
        message: String,
    },
    /// A key file for signing or checking audit log checkpoints is unusable. The message
    /// never quotes the file's content.
    #[error("{}: {reason}", path.display())]
    AuditKey {
        /// The key file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A bulk export or load was refused before it reached the driver.
    #[error("{connection}: bulk copy of `{table}`: {reason}")]
    Bulk {
        /// The connection.
        connection: String,
        /// The table or query.
        table: String,
        /// Why.
        reason: String,
    },
    /// A data copy between two connections failed at a table (and chunk).
    #[error("copy of table `{table}`{}: {reason}", chunk.as_ref().map(|c| format!(" (chunk {c})")).unwrap_or_default())]
    Transfer {
        /// The table.
        table: String,
        /// The key range of the chunk, when the table is copied in chunks.
        chunk: Option<String>,
        /// What failed (it names the connection).
        reason: String,
    },
    /// Reading a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// An audit baseline file is not valid JSON or not a baseline.
    #[error("{}:{line}:{column}: invalid audit baseline: {message}", path.display())]
    BaselineFile {
        /// The baseline file.
        path: PathBuf,
        /// 1-based line of the fault.
        line: usize,
        /// 1-based column of the fault.
        column: usize,
        /// What is wrong.
        message: String,
    },
}

impl Error {
    /// The plugin error inside a [`Error::Database`], if this is one.
    pub fn plugin_error(&self) -> Option<&PluginError> {
        match self {
            Error::Database { source, .. } => Some(source),
            Error::Closed { source, .. } => Some(source),
            Error::Capability { source, .. } => Some(source),
            Error::CapabilityFailed { source, .. } => Some(source),
            Error::MigrationStatement(f) => Some(&f.source),
            _ => None,
        }
    }
}

/// A failed migration statement: where it is, what the engine said, and what state the
/// database is in now.
#[derive(Debug, thiserror::Error)]
#[error("{}:{line}: statement {number} of {total} failed on {connection}: {source} [statement: {statement}]\n{note}", file.display())]
pub struct StatementFailure {
    /// Connection name.
    pub connection: String,
    /// The migration file.
    pub file: PathBuf,
    /// 1-based line where the statement starts.
    pub line: usize,
    /// 1-based statement number within the part.
    pub number: usize,
    /// Statements in the part.
    pub total: usize,
    /// The statement (abbreviated to one line).
    pub statement: String,
    /// The engine's error.
    pub source: PluginError,
    /// What state the database is in now and what to do.
    pub note: String,
}

/// The driver's words on a closed session, unless they only repeat that it closed.
fn closed_detail(source: &PluginError) -> String {
    if source.message.contains("closed this connection") {
        String::new()
    } else {
        format!(" ({source})")
    }
}

fn statement_suffix(statement: &Option<String>) -> String {
    match statement {
        None => String::new(),
        Some(s) => format!(" [statement: {}]", abbreviate(s)),
    }
}

/// One line, at most [`MAX_STATEMENT_CHARS`] characters.
pub(crate) fn abbreviate(sql: &str) -> String {
    let one_line: String = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > MAX_STATEMENT_CHARS {
        let cut: String = one_line.chars().take(MAX_STATEMENT_CHARS).collect();
        format!("{cut}…")
    } else {
        one_line
    }
}

/// What the statement guard refused, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardRefusal {
    /// The connection.
    pub connection: String,
    /// The rule set.
    pub rule_set: String,
    /// The rule.
    pub rule: String,
    /// Its severity.
    pub severity: String,
    /// What is wrong.
    pub message: String,
    /// The statement, abbreviated.
    pub statement: String,
}

impl std::fmt::Display for GuardRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: refused by audit rule {}/{} ({}): {}\n  statement: {}\n  to run it anyway, add the comment `-- myrmex:allow {}` to the statement, or set `\"{}/{}\" = \"warn\"` under [audit.guard.rules] in myrmex.toml",
            self.connection,
            self.rule_set,
            self.rule,
            self.severity,
            self.message,
            self.statement,
            self.rule,
            self.rule_set,
            self.rule
        )
    }
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<crate::backup::BackupError> for Error {
    fn from(e: crate::backup::BackupError) -> Self {
        Error::Backup(Box::new(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interrupted_statement_names_the_migration_and_where_to_continue() {
        let e = Error::MigrationInterrupted {
            version: 2,
            name: "slow".into(),
            direction: Direction::Up,
            done: 1,
            total: 2,
        };
        assert_eq!(
            e.to_string(),
            "interrupted: 1 of 2 up statement(s) of V2__slow are applied and recorded; \
             `myrmex migrate up` continues from statement 2"
        );
    }

    #[test]
    fn resumed_statements_changed_names_the_file() {
        let e = Error::ResumedStatementsChanged {
            version: 3,
            name: "orders".into(),
            direction: Direction::Down,
            done: 4,
            file: PathBuf::from("migrations/V3__orders.down.sql"),
        };
        assert_eq!(
            e.to_string(),
            "V3__orders: its first 4 down statement(s) ran before an interruption, but they \
             changed on disk since (migrations/V3__orders.down.sql); restore them, or clear the \
             record with `myrmex migrate repair` after checking the database by hand"
        );
    }

    #[test]
    fn refusals_list_one_reason_per_line() {
        let up = Error::MigrateUpRefused {
            reasons: vec!["V1__a changed".into(), "V2__b changed".into()],
        };
        assert_eq!(
            up.to_string(),
            "refusing to migrate up:\n  V1__a changed\n  V2__b changed"
        );
        let down = Error::MigrateDownRefused {
            reasons: vec!["V1__a has no down part".into()],
        };
        assert_eq!(
            down.to_string(),
            "refusing to migrate down; nothing was reverted:\n  V1__a has no down part"
        );
    }

    #[test]
    fn accept_and_baseline_refusals() {
        let e = Error::NotChanged {
            version: 5,
            name: "users".into(),
            state: State::Applied,
        };
        assert_eq!(
            e.to_string(),
            "V5__users is applied, not changed: nothing to accept"
        );
        let e = Error::BaselineRefused {
            connection: "app".into(),
            recorded: 3,
        };
        assert_eq!(
            e.to_string(),
            "app: 3 migration(s) are recorded already; baseline adopts a database with no history"
        );
    }

    #[test]
    fn pool_timeout_adds_the_last_connect_error_when_there_is_one() {
        let e = Error::PoolTimeout {
            pool: "app".into(),
            waited: std::time::Duration::from_millis(1500),
            in_use: 4,
            max_size: 4,
            detail: None,
        };
        assert_eq!(
            e.to_string(),
            "pool `app`: no connection available after 1500 ms (4 of 4 in use)"
        );
        let e = Error::PoolTimeout {
            pool: "app".into(),
            waited: std::time::Duration::from_millis(30),
            in_use: 0,
            max_size: 2,
            detail: Some("connection refused".into()),
        };
        assert_eq!(
            e.to_string(),
            "pool `app`: no connection available after 30 ms (0 of 2 in use): connection refused"
        );
    }

    #[test]
    fn run_interrupted_between_steps() {
        let e = Error::MigrationRunInterrupted { done: 2, total: 5 };
        assert_eq!(
            e.to_string(),
            "interrupted: 2 of 5 migration step(s) done, the rest not started"
        );
    }
}
