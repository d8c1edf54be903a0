//! `myrmex backup`, `restore`, `verify`, `backups`: backups through strategy plugins, with a
//! progress bar on a terminal and `--format json` for machines.
//!
//! Exit codes: 0 done; 1 error (connection, strategy, I/O, key); 2 usage; 3 `verify` found
//! the backup damaged (a checksum, the manifest, a file, or the restore drill); 130 cancelled.

use crate::engine::Context;
use crate::interrupt;
use crate::output::Format;
use crate::progress::BackupBar;
use crate::script::{EXIT_SCRIPT_ERROR as EXIT_ERROR, EXIT_USAGE};
use clap::{Args, Subcommand};
use myrmex_core::backup::{
    BackupError, BackupManager, BackupOptions, KeySource, RestoreOptions, Retention,
};
use myrmex_core::{DatabaseConnection, Error};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

/// Exit code of `verify` when the backup is damaged.
pub const EXIT_DAMAGED: u8 = 3;
/// Exit code of a cancelled run.
pub const EXIT_CANCELLED: u8 = 130;

/// The key of an encrypted backup.
#[derive(Debug, Args, Clone)]
pub struct KeyArgs {
    /// Read the key (64 hex digits) from this environment variable.
    #[arg(long = "key-env", value_name = "VAR", conflicts_with = "key_file")]
    pub key_env: Option<String>,
    /// Read the key (32 raw bytes or 64 hex digits) from this file.
    #[arg(long = "key-file", value_name = "FILE")]
    pub key_file: Option<PathBuf>,
}

impl KeyArgs {
    fn source(&self) -> Option<KeySource> {
        match (&self.key_env, &self.key_file) {
            (Some(v), _) => Some(KeySource::Env(v.clone())),
            (_, Some(f)) => Some(KeySource::File(f.clone())),
            _ => None,
        }
    }
}

/// `myrmex backup …`
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct BackupArgs {
    #[command(subcommand)]
    pub command: Option<BackupCommand>,
    /// The database: a URL, an SQLite file, or a connection of the config.
    pub target: Option<String>,
    /// The destination directory (a new backup directory is made in it).
    #[arg(long, value_name = "DIR")]
    pub dest: Option<PathBuf>,
    /// The strategy plugin (`myrmex plugins` lists them).
    #[arg(long, default_value = "logical")]
    pub strategy: String,
    /// Connections or processes the strategy may use.
    #[arg(long, default_value_t = 2)]
    pub parallel: u32,
    /// zstd level, 0 for none.
    #[arg(long, default_value_t = 3)]
    pub compress: i32,
    /// The backup's name (default: UTC time and database name).
    #[arg(long)]
    pub name: Option<String>,
    /// The strategy's settings as JSON.
    #[arg(long)]
    pub settings: Option<String>,
    /// Encrypt every file at rest with the key given by --key-env or --key-file.
    #[command(flatten)]
    pub key: KeyArgs,
}

/// `myrmex backup prune` and `myrmex backup schedule`.
#[derive(Debug, Subcommand)]
pub enum BackupCommand {
    /// Delete the backups a retention policy does not keep (never the newest verified).
    Prune {
        /// The destination directory.
        #[arg(long, value_name = "DIR")]
        dest: PathBuf,
        /// Keep the newest N.
        #[arg(long)]
        keep_last: Option<u32>,
        /// Keep the newest of each of the last N days.
        #[arg(long)]
        keep_daily: Option<u32>,
        /// Keep the newest of each of the last N weeks.
        #[arg(long)]
        keep_weekly: Option<u32>,
        /// Keep the newest of each of the last N months.
        #[arg(long)]
        keep_monthly: Option<u32>,
        /// Show what would be deleted, delete nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Run the `[backups.<job>]` entries of the config on their cron schedules, in the
    /// foreground (SIGTERM or Ctrl-C stops it cleanly).
    Schedule {
        /// Run only these jobs (repeatable; default: every job).
        #[arg(long = "job")]
        jobs: Vec<String>,
    },
}

/// `myrmex restore PATH TARGET`
#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The backup directory.
    pub path: PathBuf,
    /// The database restored into: a URL, an SQLite file, or a connection of the config.
    pub target: String,
    /// Drop what the target holds first (without it a non-empty target is refused).
    #[arg(long)]
    pub clean: bool,
    /// Connections or processes the strategy may use.
    #[arg(long, default_value_t = 2)]
    pub parallel: u32,
    #[command(flatten)]
    pub key: KeyArgs,
    /// A backup of another engine: conversion rules file (TOML; see docs/conversion.md).
    #[arg(long = "convert-rules", value_name = "FILE")]
    pub convert_rules: Option<PathBuf>,
    /// A backup of another engine: a cast rule, 'type tsvector to text' (repeatable).
    #[arg(long = "cast", value_name = "RULE")]
    pub casts: Vec<String>,
    /// A backup of another engine: any conversion loss is an error.
    #[arg(long)]
    pub strict: bool,
    /// PostgreSQL: load tables in parallel, each in its own transaction (as `pg_restore -j`),
    /// instead of the whole restore in one; a failure drops what the restore created.
    #[arg(long = "no-single-transaction")]
    pub no_single_transaction: bool,
    /// The strategy's restore settings as a JSON object (pgbackrest: `pg_path`,
    /// `target_time`, `start`…; see docs/backup.md).
    #[arg(long)]
    pub settings: Option<String>,
}

/// The restore settings: `--settings` with `--no-single-transaction` folded in.
fn restore_settings(args: &RestoreArgs) -> Result<String, Failure> {
    let mut map = match &args.settings {
        None => serde_json::Map::new(),
        Some(text) => match serde_json::from_str::<serde_json::Value>(text) {
            Ok(serde_json::Value::Object(m)) => m,
            Ok(_) => return Err(Failure(EXIT_USAGE, "--settings: not a JSON object".into())),
            Err(e) => return Err(Failure(EXIT_USAGE, format!("--settings: {e}"))),
        },
    };
    if args.no_single_transaction {
        map.insert("single_transaction".into(), false.into());
    }
    Ok(if map.is_empty() {
        String::new()
    } else {
        serde_json::Value::Object(map).to_string()
    })
}

/// `myrmex verify PATH`
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The backup directory.
    pub path: PathBuf,
    /// Also restore it into a scratch database made through this connection (same engine)
    /// and compare every table's rows and content checksum.
    #[arg(long, value_name = "URL|NAME")]
    pub drill: Option<String>,
    #[command(flatten)]
    pub key: KeyArgs,
}

/// `myrmex backups DIR`
#[derive(Debug, Args)]
pub struct BackupsArgs {
    /// The destination directory.
    pub dest: PathBuf,
}

/// A failure: exit code and message.
pub struct Failure(pub u8, pub String);

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        let code = match &e {
            Error::Backup(b)
                if matches!(&**b, BackupError::Strategy { source, .. }
                    if source.kind == myrmex_core::ErrorKind::CANCELLED) =>
            {
                EXIT_CANCELLED
            }
            _ => EXIT_ERROR,
        };
        Failure(code, e.to_string())
    }
}

fn finish(what: &str, out: Result<u8, Failure>) -> u8 {
    match out {
        Ok(code) => code,
        Err(Failure(code, msg)) => {
            eprintln!("myrmex {what}: {msg}");
            code
        }
    }
}

fn json(format: Option<Format>) -> bool {
    matches!(format, Some(Format::Json) | Some(Format::Jsonl))
}

/// A URL, an SQLite file or a connection of the config, connected.
pub fn open(ctx: &Context, target: &str) -> Result<DatabaseConnection, Failure> {
    let conn = match ctx
        .config
        .as_ref()
        .filter(|c| c.connections.contains_key(target))
    {
        Some(config) => config.connection_with(target, &ctx.registry)?,
        None => crate::sql_input::resolve(&ctx.registry, target)
            .map_err(|e| Failure(EXIT_USAGE, e.to_string()))?,
    };
    crate::engine::conn::open(ctx, conn).map_err(|e| {
        Failure(
            EXIT_ERROR,
            format!("cannot open {}: {e}", myrmex_core::url::redact(target)),
        )
    })
}

/// The manager of `dest` (a directory or a store location such as `s3://bucket/prefix`).
fn open_dest(ctx: &Context, dest: &Path) -> Result<BackupManager, Failure> {
    Ok(BackupManager::open(
        &dest.to_string_lossy(),
        ctx.registry.clone(),
    )?)
}

/// The manager of the destination holding the backup at `path`, and the path to hand it.
fn open_backup(ctx: &Context, path: &Path) -> Result<(BackupManager, PathBuf), Failure> {
    Ok(BackupManager::for_backup(
        &path.to_string_lossy(),
        ctx.registry.clone(),
    )?)
}

/// `m` with a progress bar, cancelled by Ctrl-C or SIGTERM.
fn watched(m: BackupManager, bar: &BackupBar) -> BackupManager {
    let m = m.on_progress(bar.callback());
    let flag = m.cancel_flag();
    interrupt::install_terminate();
    std::thread::spawn(move || loop {
        if interrupt::stopping() {
            flag.store(true, Ordering::SeqCst);
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    });
    m
}

fn print_json(v: &impl serde::Serialize) {
    println!(
        "{}",
        serde_json::to_string_pretty(v).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    );
}

/// Runs `myrmex backup`; returns the exit code.
pub fn run_backup(ctx: &Context, args: &BackupArgs, format: Option<Format>) -> u8 {
    finish("backup", backup(ctx, args, format))
}

fn backup(ctx: &Context, args: &BackupArgs, format: Option<Format>) -> Result<u8, Failure> {
    match &args.command {
        Some(BackupCommand::Prune {
            dest,
            keep_last,
            keep_daily,
            keep_weekly,
            keep_monthly,
            dry_run,
        }) => {
            let policy = Retention {
                keep_last: *keep_last,
                keep_daily: *keep_daily,
                keep_weekly: *keep_weekly,
                keep_monthly: *keep_monthly,
            };
            let plan = open_dest(ctx, dest)?
                .prune(&policy, *dry_run)
                .map_err(|e| match e {
                    Error::Backup(b) if matches!(*b, BackupError::Invalid(_)) => {
                        Failure(EXIT_USAGE, b.to_string())
                    }
                    e => e.into(),
                })?;
            if json(format) {
                print_json(&plan);
            } else {
                let verb = if *dry_run { "would delete" } else { "deleted" };
                for b in &plan.delete {
                    println!("{verb} {} ({})", b.name, b.status.name());
                }
                for (b, why) in &plan.keep {
                    println!("kept {} ({})", b.name, why.join(", "));
                }
            }
            Ok(0)
        }
        Some(BackupCommand::Schedule { jobs }) => crate::backup_schedule::run(ctx, jobs),
        None => {
            let target = args
                .target
                .as_deref()
                .ok_or_else(|| Failure(EXIT_USAGE, "name the database to back up".into()))?;
            let dest = args
                .dest
                .as_deref()
                .ok_or_else(|| Failure(EXIT_USAGE, "--dest DIR is required".into()))?;
            let mut db = open(ctx, target)?;
            let options = BackupOptions {
                strategy: args.strategy.clone(),
                parallel: args.parallel,
                compress: args.compress,
                encrypt: args.key.source(),
                name: args.name.clone(),
                settings: args.settings.clone().unwrap_or_default(),
            };
            let bar = BackupBar::new();
            let started = std::time::Instant::now();
            let done = watched(open_dest(ctx, dest)?, &bar).backup(&mut db, &options);
            bar.finish();
            let b = done?;
            if json(format) {
                print_json(&b);
            } else {
                println!(
                    "backup {} complete: {} tables, {} rows, {} bytes in {:.1}s ({})",
                    b.name,
                    b.tables,
                    b.rows,
                    b.bytes,
                    started.elapsed().as_secs_f64(),
                    b.path.display()
                );
            }
            Ok(0)
        }
    }
}

/// Runs `myrmex restore`; returns the exit code.
pub fn run_restore(ctx: &Context, args: &RestoreArgs, format: Option<Format>) -> u8 {
    finish(
        "restore",
        (|| {
            let mut db = open(ctx, &args.target)?;
            let rules =
                crate::copy_cmd::rules(args.convert_rules.as_ref(), &args.casts, args.strict)
                    .map_err(|e| Failure(EXIT_USAGE, e))?;
            let options = RestoreOptions {
                clean: args.clean,
                parallel: args.parallel,
                key: args.key.source(),
                settings: restore_settings(args)?,
                rules,
            };
            let bar = BackupBar::new();
            let (m, path) = open_backup(ctx, &args.path)?;
            let done = watched(m, &bar).restore_report(&path, &mut db, &options);
            bar.finish();
            let done = done?;
            if json(format) {
                print_json(&serde_json::json!({
                    "tables": done.tables,
                    "conversion": done.conversion.as_ref().map(|c| c.to_json()),
                }));
            } else {
                if let Some(c) = &done.conversion {
                    eprint!("{}", c.report_text());
                }
                let rows: u64 = done.tables.iter().map(|t| t.rows).sum();
                println!(
                    "restored {} tables, {} rows into {}",
                    done.tables.len(),
                    rows,
                    db.url()
                );
            }
            Ok(0)
        })(),
    )
}

/// Runs `myrmex verify`; returns the exit code.
pub fn run_verify(ctx: &Context, args: &VerifyArgs, format: Option<Format>) -> u8 {
    finish(
        "verify",
        (|| {
            let mut drill = args.drill.as_deref().map(|t| open(ctx, t)).transpose()?;
            let bar = BackupBar::new();
            let key = args.key.source();
            let (m, path) = open_backup(ctx, &args.path)?;
            let done = watched(m, &bar).verify(&path, key.as_ref(), drill.as_mut());
            bar.finish();
            let report = done.map_err(|e| {
                let damaged = matches!(
                    &e,
                    Error::Backup(b) if matches!(
                        &**b,
                        BackupError::Checksum { .. }
                            | BackupError::Manifest { .. }
                            | BackupError::Files { .. }
                            | BackupError::Drill { .. }
                            | BackupError::NotABackup { .. }
                            | BackupError::Decrypt { .. }
                    )
                );
                let f = Failure::from(e);
                if damaged {
                    Failure(EXIT_DAMAGED, f.1)
                } else {
                    f
                }
            })?;
            if json(format) {
                print_json(&report);
            } else {
                println!(
                    "backup {} verified: {} files, {} bytes{}",
                    report.name,
                    report.files,
                    report.bytes,
                    if report.drill {
                        format!(", restore drill of {} tables matched", report.tables.len())
                    } else {
                        String::new()
                    }
                );
            }
            Ok(0)
        })(),
    )
}

/// Runs `myrmex backups`; returns the exit code.
pub fn run_backups(ctx: &Context, args: &BackupsArgs, format: Option<Format>) -> u8 {
    finish(
        "backups",
        (|| {
            let list = open_dest(ctx, &args.dest)?.list()?;
            if json(format) {
                print_json(&list);
            } else {
                println!(
                    "{:<40} {:<9} {:<14} {:<9} {:>12} started",
                    "name", "status", "strategy", "engine", "bytes"
                );
                for b in &list {
                    println!(
                        "{:<40} {:<9} {:<14} {:<9} {:>12} {}",
                        b.name,
                        b.status.name(),
                        b.strategy,
                        b.engine,
                        b.bytes,
                        b.started
                    );
                }
            }
            Ok(0)
        })(),
    )
}
