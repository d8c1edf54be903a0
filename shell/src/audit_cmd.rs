//! `myrmex audit …` and `myrmex migrate lint`: security audit for cron and CI.
//!
//! Exit codes: 0 clean, 1 a finding at or above `--fail-on` (default high), 2 usage error
//! (a bad flag, an unknown rule set, an unreadable baseline), 3 the audit could not complete
//! (the database could not be reached; with `--strict`, also when a rule set did not run or
//! a file could not be checked, which the report always names).

use crate::engine::Context;
use crate::output::Format;
use crate::script::EXIT_USAGE;
use clap::{Args, Subcommand};
use myrmex_core::audit::{self, AuditOptions, AuditTargetInfo, Baseline, Report, Severity};
use myrmex_core::DatabaseConnection;
use std::path::{Path, PathBuf};

/// Exit status when the audit could not complete.
pub const EXIT_INCOMPLETE: u8 = 3;

/// How findings are reported, shared by every command that produces a report.
#[derive(Debug, Args, Clone)]
pub struct ReportArgs {
    /// Rule sets to run, comma-separated (default: `[audit] rule_sets`, else every loaded
    /// rule set that examines the target).
    #[arg(long = "rules", value_delimiter = ',', value_name = "SET,…")]
    pub rule_sets: Vec<String>,
    /// Exit 1 when a finding is at or above this severity: info, low, medium, high,
    /// critical (default: `[audit] fail_on`, else high).
    #[arg(long = "fail-on", value_name = "SEVERITY")]
    pub fail_on: Option<String>,
    /// Accepted findings (a file written by --write-baseline): they are not reported.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Write every finding of this run to FILE as the new baseline.
    #[arg(long = "write-baseline", value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// Settings of one rule set as JSON (repeatable), e.g. statements='{"large_table_rows": 1000}'.
    #[arg(long = "settings", value_name = "SET=JSON")]
    pub settings: Vec<String>,
    /// Exit 3 when anything was not checked: a rule set that could not run, a Rhai
    /// migration (without it they are listed in the report and the exit code follows the
    /// findings).
    #[arg(long)]
    pub strict: bool,
}

/// `myrmex audit [TARGET] …`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct AuditArgs {
    /// A connection URL or a connection name from the config: audit its configuration,
    /// roles, grants and schema.
    pub target: Option<String>,
    /// How findings are reported.
    #[command(flatten)]
    pub report: ReportArgs,
    /// What else to do.
    #[command(subcommand)]
    pub command: Option<AuditCommand>,
}

/// Audit commands other than auditing a database.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the statements of a SQL file (`-`: standard input) before they run.
    Statements {
        /// The SQL file.
        file: PathBuf,
        /// The engine they are meant for (a driver name: `myrmex plugins` lists them).
        #[arg(long)]
        engine: Option<String>,
        /// The database they are meant for (a URL or connection name): its engine, and the
        /// sizes of the tables they touch.
        #[arg(long)]
        db: Option<String>,
        /// How findings are reported.
        #[command(flatten)]
        report: ReportArgs,
    },
    /// List every rule of every loaded rule set.
    Rules {
        /// Only the rule sets that examine this engine.
        #[arg(long)]
        engine: Option<String>,
    },
    /// Read the server's own audit log (pgaudit, server_audit).
    Log {
        /// A connection URL or name.
        target: String,
        /// Only entries at or after this instant (RFC 3339).
        #[arg(long, default_value = "")]
        since: String,
        /// At most this many of the newest entries.
        #[arg(long, default_value_t = 0)]
        limit: u32,
        /// The rule set that reads it (default: the first of the engine's that can).
        #[arg(long = "rule-set")]
        rule_set: Option<String>,
    },
    /// Check a statement log written by `[audit.log]`: every line, the hash chain, the
    /// checkpoints (and their signatures with --key), rotated files, and the anchor that
    /// reveals a cut tail; names the first bad line. Exit 0 intact, 1 tampered.
    VerifyLog {
        /// The log file.
        file: PathBuf,
        /// The Ed25519 public key file (`keygen` writes it): checkpoints must be signed by it.
        #[arg(long)]
        key: Option<PathBuf>,
        /// Check only FILE, not the rotated files before it.
        #[arg(long = "no-rotated")]
        no_rotated: bool,
    },
    /// Write a new Ed25519 key pair for signing the statement log's checkpoints (the secret
    /// readable only by you).
    Keygen {
        /// Where the secret key goes (`signing_key` of `[audit.log]`).
        secret: PathBuf,
        /// Where the public key goes (for `verify-log --key`).
        public: PathBuf,
    },
    /// Switch the server's own audit log on; prints the statements it ran.
    ConfigureLog {
        /// A connection URL or name.
        target: String,
        /// The rule set's settings as JSON.
        #[arg(long)]
        settings: Option<String>,
    },
}

impl AuditArgs {
    /// True for the commands that send no statement to a database (they run without the
    /// statement hooks).
    pub fn is_offline(&self) -> bool {
        matches!(
            self.command,
            Some(AuditCommand::VerifyLog { .. })
                | Some(AuditCommand::Keygen { .. })
                | Some(AuditCommand::Rules { .. })
        )
    }
}

struct Failure(u8, String);

/// A failed audit: naming an unknown rule set, or one that cannot run on the target, is a
/// usage error; anything else means the audit could not complete.
fn audit_failure(e: myrmex_core::Error) -> Failure {
    match e {
        myrmex_core::Error::NoCapability { .. } | myrmex_core::Error::AuditNotApplicable { .. } => {
            usage(e.to_string())
        }
        other => Failure(EXIT_INCOMPLETE, other.to_string()),
    }
}

/// The driver an `--engine` name means (any of its URL schemes or its name), by its
/// capability name; an unknown one is a usage error.
fn engine(ctx: &Context, name: Option<&str>) -> Result<String, Failure> {
    let Some(name) = name else {
        return Ok(String::new());
    };
    ctx.registry
        .driver(&name.to_ascii_lowercase())
        .map(|d| d.name.clone())
        .map_err(|e| usage(format!("--engine {name}: {e}")))
}

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure(EXIT_INCOMPLETE, e.to_string())
    }
}

fn usage(msg: impl Into<String>) -> Failure {
    Failure(EXIT_USAGE, msg.into())
}

/// Runs an audit command; returns the exit code.
pub fn run(ctx: &Context, args: &AuditArgs, format: Option<Format>) -> u8 {
    finish("audit", exec(ctx, args, format))
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

/// Opens a URL or a connection of the config.
fn open(ctx: &Context, target: &str) -> Result<DatabaseConnection, Failure> {
    let mut conn = match ctx
        .config
        .as_ref()
        .filter(|c| c.connections.contains_key(target))
    {
        Some(c) => c.connection_with(target, &ctx.registry)?,
        None if target.contains(':') => {
            DatabaseConnection::from_url_with("audit", target, &ctx.registry)
                .map_err(|e| usage(e.to_string()))?
        }
        None => {
            return Err(usage(format!(
                "{target}: not a connection in the config and not a URL"
            )))
        }
    };
    conn.connect_with(&ctx.registry)?;
    Ok(conn)
}

/// The rule sets and their settings: the flags over `[audit]` of the config.
fn options(ctx: &Context, args: &ReportArgs) -> Result<(AuditOptions, Severity), Failure> {
    let config = ctx.config.as_ref().map(|c| &c.audit);
    let mut opts = AuditOptions {
        rule_sets: config.map(|c| c.rule_sets.clone()).unwrap_or_default(),
        settings: config.map(|c| c.settings_json()).unwrap_or_default(),
    };
    if !args.rule_sets.is_empty() {
        opts.rule_sets = args.rule_sets.clone();
    }
    for s in &args.settings {
        let (set, json) = s
            .split_once('=')
            .ok_or_else(|| usage(format!("--settings {s}: write SET=JSON")))?;
        serde_json::from_str::<serde_json::Value>(json)
            .map_err(|e| usage(format!("--settings {set}: not JSON: {e}")))?;
        opts.settings.insert(set.to_string(), json.to_string());
    }
    let fail_on = match &args.fail_on {
        Some(s) => s
            .parse()
            .map_err(|e: String| usage(format!("--fail-on: {e}")))?,
        None => config.and_then(|c| c.fail_on).unwrap_or(Severity::High),
    };
    Ok((opts, fail_on))
}

/// Applies the baseline, writes the new one, prints the report and gives the exit code.
fn conclude(
    mut report: Report,
    args: &ReportArgs,
    fail_on: Severity,
    format: Option<Format>,
) -> Result<u8, Failure> {
    if let Some(path) = &args.write_baseline {
        Baseline::from_report(&report).save(path)?;
        eprintln!(
            "myrmex: wrote {} finding(s) to the baseline {}",
            report.findings.len(),
            path.display()
        );
    }
    if let Some(path) = &args.baseline {
        Baseline::load(path)
            .map_err(|e| usage(e.to_string()))?
            .apply(&mut report);
    }
    match format.unwrap_or(Format::Text) {
        Format::Json => println!("{}", report.to_json()),
        Format::Sarif => println!("{}", report.to_sarif()),
        Format::Text | Format::Table => print!("{}", report.to_text()),
        other => {
            return Err(usage(format!(
                "--format {other:?}: an audit report prints as text, json or sarif"
            )))
        }
    }
    Ok(if report.exit_code(fail_on) != 0 {
        1
    } else if args.strict && !report.all_ran() {
        EXIT_INCOMPLETE
    } else {
        0
    })
}

fn read_sql(file: &Path) -> Result<(String, String), Failure> {
    if file == Path::new("-") {
        let mut sql = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut sql)
            .map_err(|e| usage(format!("cannot read standard input: {e}")))?;
        Ok((sql, "<stdin>".into()))
    } else {
        let sql =
            std::fs::read_to_string(file).map_err(|e| usage(format!("{}: {e}", file.display())))?;
        Ok((sql, file.display().to_string()))
    }
}

fn exec(ctx: &Context, args: &AuditArgs, format: Option<Format>) -> Result<u8, Failure> {
    match (&args.target, &args.command) {
        (Some(target), None) => {
            let (opts, fail_on) = options(ctx, &args.report)?;
            let mut conn = open(ctx, target)?;
            let report = audit::audit_connection(&ctx.registry, &mut conn, &opts)
                .map_err(audit_failure)?;
            conclude(report, &args.report, fail_on, format)
        }
        (None, Some(AuditCommand::Statements {
            file,
            engine,
            db,
            report,
        })) => {
            let (opts, fail_on) = options(ctx, report)?;
            let (sql, name) = read_sql(file)?;
            let statements = audit::split(&sql, Some(&name));
            let out = match db {
                Some(db) => {
                    let mut conn = open(ctx, db)?;
                    let info = AuditTargetInfo::of(&mut conn)?;
                    audit::audit_statements(
                        &ctx.registry,
                        &statements,
                        &info,
                        Some(&mut conn),
                        &opts,
                    )
                }
                None => audit::audit_statements(
                    &ctx.registry,
                    &statements,
                    &AuditTargetInfo::driver(&self::engine(ctx, engine.as_deref())?),
                    None,
                    &opts,
                ),
            }
            .map_err(audit_failure)?;
            conclude(out, report, fail_on, format)
        }
        (None, Some(AuditCommand::Rules { engine })) => {
            let (rules, not_run) = audit::rules(&ctx.registry, engine.as_deref());
            if format == Some(Format::Json) {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&rules).unwrap_or_default()
                );
            } else {
                for r in &rules {
                    println!(
                        "{:<8} {:<10} {}/{}\n         {}",
                        r.severity.name(),
                        format!("{:?}", r.target).to_lowercase(),
                        r.rule_set,
                        r.id,
                        r.summary
                    );
                }
            }
            for n in &not_run {
                eprintln!("myrmex audit: rule set {} not opened: {}", n.rule_set, n.reason);
            }
            Ok(if not_run.is_empty() { 0 } else { EXIT_INCOMPLETE })
        }
        (None, Some(AuditCommand::Log {
            target,
            since,
            limit,
            rule_set,
        })) => {
            let mut conn = open(ctx, target)?;
            let records =
                audit::server_log(&ctx.registry, &mut conn, rule_set.as_deref(), since, *limit)?;
            if format == Some(Format::Json) {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&records).unwrap_or_default()
                );
            } else {
                for r in &records {
                    println!(
                        "{} {}@{} {} {} [{}] {}",
                        r.time, r.user, r.client, r.database, r.class, r.outcome, r.statement
                    );
                }
                eprintln!("{} entr{}", records.len(), if records.len() == 1 { "y" } else { "ies" });
            }
            Ok(0)
        }
        (None, Some(AuditCommand::ConfigureLog { target, settings })) => {
            let mut conn = open(ctx, target)?;
            for s in audit::configure_server_log(
                &ctx.registry,
                &mut conn,
                None,
                settings.as_deref().unwrap_or(""),
            )? {
                println!("{s};");
            }
            Ok(0)
        }
        (None, Some(AuditCommand::VerifyLog {
            file,
            key,
            no_rotated,
        })) => {
            let options = audit::VerifyOptions {
                public_key: key.clone(),
                include_rotated: !no_rotated,
                ..audit::VerifyOptions::default()
            };
            let report = audit::verify_log(file, &options).map_err(|e| usage(e.to_string()))?;
            if format == Some(Format::Json) {
                println!("{}", verify_json(&report));
            } else {
                println!("{report}");
            }
            Ok(if report.is_ok() { 0 } else { 1 })
        }
        (None, Some(AuditCommand::Keygen { secret, public })) => {
            let id = audit::generate_keypair(secret, public).map_err(|e| usage(e.to_string()))?;
            println!("key {id}: secret {}, public {}", secret.display(), public.display());
            Ok(0)
        }
        (None, None) => Err(usage(
            "give a database to audit (URL or connection name), or a command: statements, rules, log, configure-log, verify-log, keygen",
        )),
        (Some(_), Some(_)) => Err(usage("a database cannot be combined with a command")),
    }
}

/// Installs the statement hooks the config asks for: the guard of `[audit.guard]` (with the
/// rules `allow` lets through), then the statement log of `[audit.log]` (so that a statement
/// the guard refuses never reaches the log as run).
pub fn install_hooks(
    registry: &myrmex_core::plugin::Registry,
    config: Option<&myrmex_core::Config>,
    allow: &[String],
) -> myrmex_core::Result<()> {
    let Some(audit) = config.map(|c| &c.audit) else {
        return Ok(());
    };
    if audit.guard.enabled {
        let warn: audit::WarnFn = Box::new(|event, f| {
            eprintln!(
                "myrmex: warning: {}: {}/{} ({}): {}",
                event.connection, f.rule_set, f.rule, f.severity, f.message
            )
        });
        let mut guard =
            audit::Guard::open(registry, audit.guard.clone(), &audit.settings_json(), warn)?;
        for rule in allow {
            guard.allow(rule.clone());
        }
        myrmex_core::hook::install(std::sync::Arc::new(guard));
    }
    if let Some(log) = &audit.log {
        let on_error: Box<dyn Fn(&myrmex_core::Error) + Send + Sync> =
            Box::new(|e| eprintln!("myrmex: the audit log could not record a statement: {e}"));
        let hook = audit::StatementLog::open(log, on_error)?;
        myrmex_core::hook::install(std::sync::Arc::new(hook));
    }
    Ok(())
}

/// A verification report as JSON.
pub fn verify_json(r: &audit::VerifyReport) -> serde_json::Value {
    serde_json::json!({
        "ok": r.is_ok(),
        "entries": r.entries,
        "checkpoints": r.checkpoints,
        "signed_checkpoints": r.signed_checkpoints,
        "files": r.files,
        "last_seq": r.last.as_ref().map(|h| h.seq),
        "problem": r.problem.as_ref().map(|p| serde_json::json!({
            "file": p.file.display().to_string(),
            "line": p.line,
            "kind": format!("{:?}", p.kind).to_lowercase(),
            "message": p.message,
        })),
    })
}

/// `myrmex migrate lint`: the migrations of `dir` checked by the statement rule sets, for
/// `engine` or the database `db` (its engine and table sizes).
pub fn lint(
    ctx: &Context,
    dir: &Path,
    db: Option<&str>,
    engine: Option<&str>,
    args: &ReportArgs,
    format: Option<Format>,
) -> u8 {
    let out = (|| {
        let (opts, fail_on) = options(ctx, args)?;
        let report = match db {
            Some(db) => {
                let mut conn = open(ctx, db)?;
                let info = AuditTargetInfo::of(&mut conn)?;
                audit::lint_migrations(&ctx.registry, dir, &info, Some(&mut conn), &opts)
            }
            None => audit::lint_migrations(
                &ctx.registry,
                dir,
                &AuditTargetInfo::driver(&self::engine(ctx, engine)?),
                None,
                &opts,
            ),
        }
        .map_err(audit_failure)?;
        conclude(report, args, fail_on, format)
    })();
    finish("migrate lint", out)
}
