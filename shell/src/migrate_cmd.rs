//! `myrmex migrate …`: versioned migrations for cron and CI.
//!
//! Exit codes: 0 done, 1 failed, 2 usage error, 3 `status --check` found changed,
//! out-of-order, missing or partly applied migrations.

use crate::engine::migrate::RhaiScripts;
use crate::engine::Context;
use crate::output::{Format, Tabular};
use crate::progress::Bar;
use crate::script::{EXIT_SCRIPT_ERROR as EXIT_ERROR, EXIT_USAGE};
use clap::{Args, Subcommand};
use myrmex_core::migrate::{
    self, plan, source, DownTarget, History, MigrateOptions, Migration, MigrationKind,
    MigrationManager, Status,
};
use myrmex_core::schema_def::{self, SchemaDefinition};
use myrmex_core::DatabaseConnection;
use rhai::Dynamic;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::Duration;

/// Exit status of `status --check` when something needs attention.
pub const EXIT_CHECK: u8 = 3;

/// `myrmex migrate [--db NAME] [--dir DIR] COMMAND`.
#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// Connection name from the config, or a URL.
    #[arg(long, global = true)]
    pub db: Option<String>,
    /// Migrations directory (default: [migrations] dir in the config, else ./migrations).
    #[arg(long, global = true, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// History table (default: myrmex_migrations).
    #[arg(long, global = true, value_name = "NAME")]
    pub table: Option<String>,
    /// Seconds to wait for another run's lock before failing (default 60).
    #[arg(long = "lock-timeout", global = true, value_name = "SECS")]
    pub lock_timeout: Option<f64>,
    /// What to do.
    #[command(subcommand)]
    pub command: MigrateCommand,
}

/// Migration commands.
#[derive(Debug, Subcommand)]
pub enum MigrateCommand {
    /// Applied, pending, changed, missing-on-disk and out-of-order migrations.
    Status {
        /// Exit 3 when a migration changed, is out of order, missing or partly applied.
        #[arg(long)]
        check: bool,
    },
    /// The exact SQL `up` would run, in order.
    Plan {
        /// Stop after this version.
        #[arg(long)]
        to: Option<i64>,
        /// Plan out-of-order migrations too.
        #[arg(long)]
        allow_out_of_order: bool,
    },
    /// Apply pending migrations.
    Up {
        /// Stop after this version.
        #[arg(long)]
        to: Option<i64>,
        /// Print the SQL instead of running it.
        #[arg(long)]
        dry_run: bool,
        /// Apply pending migrations older than the newest applied one.
        #[arg(long)]
        allow_out_of_order: bool,
    },
    /// Revert the newest N applied migrations (default 1), or down to a version.
    Down {
        /// How many.
        n: Option<usize>,
        /// Revert everything newer than this version.
        #[arg(long, conflicts_with = "n")]
        to: Option<i64>,
        /// Print the SQL instead of running it.
        #[arg(long)]
        dry_run: bool,
    },
    /// Revert the newest applied migration and apply it again.
    Redo,
    /// Adopt an existing database: record migrations up to VERSION as applied without running them.
    Baseline {
        /// The version the database is at.
        version: i64,
    },
    /// Record the new checksum of changed migrations (all changed ones when none is named).
    Accept {
        /// Versions.
        versions: Vec<i64>,
    },
    /// Accept changed checksums and clear records of runs that stopped part way.
    Repair,
    /// Create V<next>__NAME.up.sql and .down.sql in the directory.
    New {
        /// What the migration does, e.g. add_users.
        name: String,
        /// Create .rhai files instead of .sql.
        #[arg(long)]
        rhai: bool,
    },
    /// Apply every up, every down and every up again on a scratch database; check with schema
    /// introspection that each down restores the schema before its up.
    Verify,
    /// Check the up parts with the audit rule sets (destructive statements, locking DDL,
    /// squawk-style safety rules) for --engine, or for the database --db (its engine and
    /// table sizes); text, --format json or sarif; exit 1 on findings at or above --fail-on.
    Lint {
        /// The migrations directory (default: --dir, else the config's, else ./migrations).
        #[arg(value_name = "DIR")]
        path: Option<PathBuf>,
        /// The engine the migrations are written for (a driver name), when --db is not given.
        #[arg(long)]
        engine: Option<String>,
        /// How findings are reported.
        #[command(flatten)]
        report: crate::audit_cmd::ReportArgs,
    },
    /// Write a new migration taking the database (--db) to a schema definition.
    Diff {
        /// Name of the new migration.
        name: String,
        /// The wanted schema (TOML or JSON definition).
        #[arg(long, value_name = "FILE")]
        to: PathBuf,
    },
}

struct Failure(u8, String);

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure(EXIT_ERROR, e.to_string())
    }
}

fn usage(msg: impl Into<String>) -> Failure {
    Failure(EXIT_USAGE, msg.into())
}

/// Runs a migrate command; returns the exit code.
pub fn run(ctx: &Rc<Context>, args: &MigrateArgs, format: Format) -> u8 {
    match exec(ctx, args, format) {
        Ok(code) => code,
        Err(Failure(code, msg)) => {
            eprintln!("myrmex migrate: {msg}");
            if crate::interrupt::is_set() {
                crate::script::EXIT_INTERRUPTED
            } else {
                code
            }
        }
    }
}

fn dir(ctx: &Context, args: &MigrateArgs) -> PathBuf {
    args.dir
        .clone()
        .or_else(|| ctx.config.as_ref().and_then(|c| c.migrations.dir.clone()))
        .unwrap_or_else(|| PathBuf::from("migrations"))
}

fn options(
    ctx: &Context,
    args: &MigrateArgs,
    allow_out_of_order: bool,
) -> Result<MigrateOptions, Failure> {
    let cfg = ctx
        .config
        .as_ref()
        .map(|c| c.migrations.clone())
        .unwrap_or_default();
    let mut o = MigrateOptions {
        allow_out_of_order,
        ..MigrateOptions::default()
    };
    if let Some(t) = args.table.clone().or(cfg.table) {
        o.table = t;
    }
    if let Some(ms) = cfg.lock_timeout_ms {
        o.lock_timeout = Duration::from_millis(ms);
    }
    if let Some(s) = args.lock_timeout {
        if !(s.is_finite() && s >= 0.0) {
            return Err(usage(format!(
                "--lock-timeout {s}: give a number of seconds ≥ 0"
            )));
        }
        o.lock_timeout = Duration::from_secs_f64(s);
    }
    Ok(o)
}

fn open_db(ctx: &Context, args: &MigrateArgs) -> Result<DatabaseConnection, Failure> {
    let name = args
        .db
        .as_deref()
        .ok_or_else(|| usage("--db NAME (a connection from the config, or a URL) is required"))?;
    let mut conn = match ctx
        .config
        .as_ref()
        .filter(|c| c.connections.contains_key(name))
    {
        Some(c) => c.connection(name)?,
        None if name.contains(':') => DatabaseConnection::from_url("migrate", name)?,
        None => {
            return Err(usage(format!(
                "--db {name}: not a connection in the config and not a URL"
            )))
        }
    };
    conn.connect_with(&ctx.registry)?;
    Ok(conn)
}

fn manager(
    ctx: &Rc<Context>,
    dir: &Path,
    migrations: Vec<Migration>,
    options: MigrateOptions,
) -> Result<MigrationManager, Failure> {
    Ok(MigrationManager::from_migrations(dir, migrations)
        .with_options(options)
        .with_script_runner(Box::new(RhaiScripts::new(ctx)))
        .with_observer(Box::new(Bar::new())))
}

/// Columns of `status`: all of them for json/csv, the readable ones for a table.
const STATUS_COLUMNS: [&str; 9] = [
    "version",
    "name",
    "state",
    "applied_at",
    "applied_by",
    "execution_ms",
    "checksum",
    "file_checksum",
    "problem",
];

fn print_status(status: &Status, format: Format) {
    if status.entries.is_empty() {
        println!(
            "{}",
            if format == Format::Json {
                "[]"
            } else {
                "no migrations"
            }
        );
        return;
    }
    let full = matches!(format, Format::Json | Format::Csv);
    let width = if full { STATUS_COLUMNS.len() } else { 6 };
    let text = |s: &str| Dynamic::from(s.to_string());
    let opt = |s: Option<&str>| s.map_or(Dynamic::UNIT, text);
    let rows = status
        .entries
        .iter()
        .map(|e| {
            let a = e.applied.as_ref();
            let mut row = vec![
                Dynamic::from(e.version),
                text(&e.name),
                Dynamic::from(e.state.name()),
                opt(a.map(|a| a.applied_at.as_str())),
                opt(a.map(|a| a.applied_by.as_str())),
                a.map_or(Dynamic::UNIT, |a| Dynamic::from(a.execution_ms)),
            ];
            if full {
                row.push(opt(a.map(|a| a.checksum.as_str())));
                row.push(opt(e.disk_checksum.as_deref()));
                row.push(e.explain().map_or(Dynamic::UNIT, Dynamic::from));
            }
            row
        })
        .collect();
    let mut columns: Vec<String> = STATUS_COLUMNS[..width]
        .iter()
        .map(|c| c.to_string())
        .collect();
    if !full {
        columns[5] = "ms".into();
    }
    print!("{}", Tabular { columns, rows }.render(format, false));
    if !full {
        println!("{}", status.summary());
        for e in status.problems() {
            if let Some(x) = e.explain() {
                println!("! {x}");
            }
        }
    }
}

/// `migrate new NAME`: the up and down files with the next version (no database needed).
fn new_files(dir: &Path, name: &str, rhai: bool) -> Result<u8, Failure> {
    let existing = if dir.exists() {
        source::load_dir(dir)?
    } else {
        Vec::new()
    };
    let (kind, up, down) = if rhai {
        (
            MigrationKind::Rhai,
            format!("// {name}: up. The connection is `db`.\n"),
            format!("// {name}: down. Undo the up part.\n"),
        )
    } else {
        (
            MigrationKind::Sql,
            format!("-- {name}: up\n"),
            format!("-- {name}: down (undo the up part)\n"),
        )
    };
    for p in migrate::write_migration(dir, &existing, name, kind, &up, &down)? {
        println!("{}", p.display());
    }
    Ok(0)
}

fn exec(ctx: &Rc<Context>, args: &MigrateArgs, format: Format) -> Result<u8, Failure> {
    let dir = dir(ctx, args);
    if let MigrateCommand::New { name, rhai } = &args.command {
        return new_files(&dir, name, *rhai);
    }
    if let MigrateCommand::Lint {
        path,
        engine,
        report,
    } = &args.command
    {
        return Ok(crate::audit_cmd::lint(
            ctx,
            path.as_deref().unwrap_or(&dir),
            args.db.as_deref(),
            engine.as_deref(),
            report,
            Some(format).filter(|f| matches!(f, Format::Json | Format::Sarif)),
        ));
    }
    let allow = matches!(
        args.command,
        MigrateCommand::Up {
            allow_out_of_order: true,
            ..
        } | MigrateCommand::Plan {
            allow_out_of_order: true,
            ..
        }
    );
    let options = options(ctx, args, allow)?;
    // Reading thousands of files and connecting (and, for status, reading the history)
    // overlap: the files load on another thread.
    let status_only = matches!(args.command, MigrateCommand::Status { .. });
    let (loaded, connected) = std::thread::scope(|s| {
        let files = s.spawn(|| source::load_dir(&dir));
        let connected = open_db(ctx, args).and_then(|mut conn| {
            let rows = if status_only {
                migrate::applied(&mut conn, &options.table)?
            } else {
                Vec::new()
            };
            Ok((conn, rows))
        });
        let loaded = files.join().unwrap_or_else(|_| {
            Err(myrmex_core::Error::MigrationReaderPanicked { dir: dir.clone() })
        });
        (loaded, connected)
    });
    let mgr = manager(ctx, &dir, loaded?, options)?;
    let (mut conn, rows) = connected?;
    // Ctrl-C cancels the running statement (the migration then fails cleanly) and stops the
    // run before the next migration.
    let _cancel = conn.cancel_token().map(crate::interrupt::register);
    let report = match &args.command {
        // Handled above, before connecting.
        MigrateCommand::New { .. } | MigrateCommand::Lint { .. } => return Ok(0),
        MigrateCommand::Status { check } => {
            let status = Status::compute(mgr.migrations(), &rows);
            print_status(&status, format);
            let problems = status.problems().count() > 0;
            return Ok(if *check && problems { EXIT_CHECK } else { 0 });
        }
        MigrateCommand::Plan { to, .. }
        | MigrateCommand::Up {
            to, dry_run: true, ..
        } => {
            let steps = mgr.plan_up(&mut conn, *to)?;
            print_plan(&steps);
            return Ok(0);
        }
        MigrateCommand::Down {
            n,
            to,
            dry_run: true,
        } => {
            let steps = mgr.plan_down(&mut conn, down_target(*n, *to))?;
            print_plan(&steps);
            return Ok(0);
        }
        MigrateCommand::Up { to, .. } => mgr.up(&mut conn, *to)?,
        MigrateCommand::Down { n, to, .. } => mgr.down(&mut conn, down_target(*n, *to))?,
        MigrateCommand::Redo => mgr.redo(&mut conn)?,
        MigrateCommand::Baseline { version } => mgr.baseline(&mut conn, *version)?,
        MigrateCommand::Accept { versions } => mgr.accept(&mut conn, versions)?,
        MigrateCommand::Repair => mgr.repair(&mut conn)?,
        MigrateCommand::Verify => {
            let r = mgr.verify(&mut conn)?;
            for line in &r.checked {
                println!("ok   {line}");
            }
            for line in &r.failures {
                println!("FAIL {line}");
            }
            return Ok(if r.ok() { 0 } else { EXIT_ERROR });
        }
        MigrateCommand::Diff { name, to } => return diff(&mgr, &mut conn, &dir, name, to),
    };
    println!("{}", report.summary());
    Ok(0)
}

fn down_target(n: Option<usize>, to: Option<i64>) -> DownTarget {
    match to {
        Some(v) => DownTarget::To(v),
        None => DownTarget::Count(n.unwrap_or(1)),
    }
}

fn print_plan(steps: &[myrmex_core::migrate::Step]) {
    if steps.is_empty() {
        println!("-- nothing to do");
    } else {
        print!("{}", plan::script(steps));
    }
}

/// `migrate diff NAME --to FILE`: up = diff(database, file), down = diff(file, database).
fn diff(
    mgr: &MigrationManager,
    conn: &mut DatabaseConnection,
    dir: &Path,
    name: &str,
    to: &Path,
) -> Result<u8, Failure> {
    let pending = mgr.status(conn)?.pending().count();
    if pending > 0 {
        return Err(Failure(
            EXIT_ERROR,
            format!("{pending} migration(s) are pending: apply them first (`myrmex migrate up`), or the new migration would repeat them"),
        ));
    }
    let target = SchemaDefinition::load(to)?;
    let dialect = conn.schema_dialect()?;
    let current = History::new(&mgr.options().table, dialect)?.user_schema(conn)?;
    let options = schema_def::DiffOptions::default();
    let up = schema_def::diff_with(&current, &target, dialect, &options)?;
    for l in up.unsupported_lines() {
        eprintln!("{l}");
    }
    if up.is_empty() {
        println!(
            "-- the database already matches {}: no migration written",
            to.display()
        );
        return Ok(0);
    }
    let down = schema_def::diff_with(&target, &current, dialect, &options)?;
    let text = |plan: &schema_def::DiffPlan, what: &str| {
        let mut s = String::new();
        // A statement that cannot run in a transaction block makes the whole part run
        // statement by statement (pragmas aside: the runner applies the foreign-key pragma
        // around its transaction).
        if plan
            .changes
            .iter()
            .any(|c| c.outside_transaction && !c.sql.starts_with("PRAGMA"))
        {
            s.push_str("-- myrmex: no-transaction\n");
        }
        s.push_str(&format!(
            "-- {name}: {what}, written by `myrmex migrate diff` from {}\n",
            to.display()
        ));
        for l in plan.unsupported_lines() {
            s.push_str(&format!("-- {l}\n"));
        }
        for n in &plan.notices {
            s.push_str(&format!("-- notice: {n}\n"));
        }
        for c in &plan.changes {
            let mark = if c.destructive { " [DESTRUCTIVE]" } else { "" };
            s.push_str(&format!("\n-- {}{mark}\n{};\n", c.description, c.sql));
        }
        s
    };
    let written = migrate::write_migration(
        dir,
        mgr.migrations(),
        name,
        MigrationKind::Sql,
        &text(&up, "up"),
        &text(&down, "down"),
    )?;
    for p in written {
        println!("{}", p.display());
    }
    Ok(0)
}
