//! Command-line arguments.

use crate::output::Format;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// myrmex — database administration for SQLite, PostgreSQL and MySQL/MariaDB.
///
/// With no command: the interactive shell (Rhai, or SQL after \sql). With a URL or database
/// file: the shell connected to it (as `db`), or with -c / -f / piped input, that SQL run on it.
#[derive(Debug, Parser)]
#[command(name = "myrmex", version, about, long_about = None)]
pub struct Cli {
    /// Config file (default: ./myrmex.toml, else the user's, else /etc/myrmex/myrmex.toml;
    /// only a file named here, the user's or the system's may add plugin_dirs).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Extra plugin directory, searched first (repeatable).
    #[arg(long = "plugin-dir", global = true, value_name = "DIR")]
    pub plugin_dirs: Vec<PathBuf>,

    /// More logging (-v info, -vv debug, -vvv trace); RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    /// Output format: table (alias aligned), csv, tsv, json, jsonl or markdown for results
    /// (default: `[shell] format` of the config file, else table); text, json or sarif for
    /// `schema lint`, `audit` and `migrate lint`; toml or json for `schema inspect`; text,
    /// json or jsonl for `monitor` and `optimize`.
    #[arg(long, value_enum, global = true)]
    pub format: Option<Format>,

    /// How NULL is shown in table, CSV, TSV and markdown output (default: `[shell] null` of
    /// the config file, else empty; CSV then writes an empty string as `""`).
    #[arg(long = "null", global = true, value_name = "TEXT")]
    pub null: Option<String>,

    /// End CSV lines with CRLF, as RFC 4180 writes them (default: LF).
    #[arg(long = "csv-crlf", global = true)]
    pub csv_crlf: bool,

    /// Most Rhai operations a script may run (0 = unlimited).
    #[arg(long, global = true, value_name = "N")]
    pub max_operations: Option<u64>,

    /// Deepest function-call nesting of a script (at most 10000).
    #[arg(long, global = true, value_name = "N")]
    pub max_call_levels: Option<usize>,

    /// Most memory (MiB) the process may hold while a script runs (default: an eighth of the
    /// machine's memory; 0 = unlimited).
    #[arg(long = "max-memory", global = true, value_name = "MIB")]
    pub max_memory_mb: Option<u64>,

    /// Longest string a script may build, in bytes (0 = unlimited, the default).
    #[arg(long, global = true, value_name = "BYTES")]
    pub max_string_size: Option<usize>,

    /// Most elements of one array in a script, query results included (0 = unlimited, the default).
    #[arg(long, global = true, value_name = "N")]
    pub max_array_size: Option<usize>,

    /// Most entries of one object map in a script (0 = unlimited, the default).
    #[arg(long, global = true, value_name = "N")]
    pub max_map_size: Option<usize>,

    /// Stop a script after this many milliseconds, cancelling its running statement (0 = never).
    #[arg(long = "timeout", global = true, value_name = "MS")]
    pub timeout_ms: Option<u64>,

    /// Let the statement guard (`[audit.guard]` of the config) pass this rule for every
    /// statement of this run (`rule` or `rule_set/rule`; repeatable).
    #[arg(long = "allow", global = true, value_name = "RULE")]
    pub allow: Vec<String>,

    /// Evaluate CODE and print the result.
    #[arg(short = 'e', long = "eval", value_name = "CODE", conflicts_with_all = ["commands", "files"])]
    pub eval: Option<String>,

    /// Database to open: a connection URL (`postgres://…`, `sqlite::memory:`) or an SQLite
    /// file (an existing file, or a path ending .db, .sqlite or .sqlite3). Command names win.
    #[arg(value_name = "URL|FILE")]
    pub target: Option<String>,

    /// Run SQL on the database given and exit (repeatable; runs in order).
    #[arg(short = 'c', long = "command", value_name = "SQL", requires = "target")]
    pub commands: Vec<String>,

    /// Run the SQL statements of FILE on the database given and exit (repeatable; `-` reads
    /// standard input).
    #[arg(short = 'f', long = "file", value_name = "FILE", requires = "target")]
    pub files: Vec<PathBuf>,

    /// Stop at the first failing SQL statement (exit 1); without it every statement runs and
    /// the exit status is 1 if any failed.
    #[arg(long)]
    pub bail: bool,

    /// Read piped standard input as a Rhai script even when a database is given (`db` is
    /// then connected to it).
    #[arg(long)]
    pub rhai: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a Rhai script; its arguments are in the `ARGS` array.
    Run {
        /// The script (`-` reads it from standard input).
        file: PathBuf,
        /// Arguments for the script.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// List plugins: file, version, capabilities, origin (and refused libraries on stderr);
    /// with -v every directory searched and every file considered in it.
    Plugins,
    /// Schema definitions: generate DDL, inspect a database, diff, lint.
    #[command(subcommand)]
    Schema(crate::schema_cmd::SchemaCommand),
    /// Versioned migrations: status, plan, up, down, redo, baseline, accept, repair, new,
    /// verify, diff (exit 3: `status --check` found a problem).
    Migrate(crate::migrate_cmd::MigrateArgs),
    /// Shard routers from plugins: `shard route NAME KEY --shards N [--settings JSON]`.
    #[command(subcommand)]
    Shard(crate::shard_cmd::ShardCommand),
    /// Security audit: `audit URL` (configuration, roles, grants, schema), `audit statements
    /// FILE`, `audit rules`, `audit log URL`, `audit verify-log FILE`; text, --format json or
    /// sarif; exit 0 clean, 1 findings at or above --fail-on, 2 usage, 3 incomplete.
    Audit(crate::audit_cmd::AuditArgs),
    /// Server statistics and client statement metrics: a live view on a terminal (`q`
    /// quits, `s` sorts), reports with --once or when piped (text, --format json), or a
    /// Prometheus endpoint with --prometheus ADDR; exit 0, 1 on error, 2 usage.
    Monitor(crate::monitor_cmd::MonitorArgs),
    /// Tuning advice with its evidence (indexes, statistics, configuration), for this
    /// machine and a workload; --apply runs the safe recommendations; text or --format
    /// json; exit 0, 1 on error, 2 usage.
    Optimize(crate::monitor_cmd::OptimizeArgs),
    /// Copy tables and rows between databases, across engines: the schema converted, rows
    /// through each engine's bulk path, every table verified by counts and checksums;
    /// --resume continues an interrupted copy; text or --format json; exit 0, 1 on error,
    /// 2 usage, 3 a table skipped or not matching.
    Copy(crate::copy_cmd::CopyArgs),
    /// Back up a database with a strategy plugin into a new directory under --dest
    /// (`backup prune`, `backup schedule`); text or --format json; exit 0, 1 error, 2 usage,
    /// 130 cancelled.
    Backup(crate::backup_cmd::BackupArgs),
    /// Restore a backup into a database (refused when it is not empty, unless --clean).
    Restore(crate::backup_cmd::RestoreArgs),
    /// Verify a backup: manifest, every checksum, and with --drill a restore into a scratch
    /// database compared table by table; exit 3 when the backup is damaged.
    Verify(crate::backup_cmd::VerifyArgs),
    /// List the backups of a directory with status (running, complete, verified, failed)
    /// and size.
    Backups(crate::backup_cmd::BackupsArgs),
}
