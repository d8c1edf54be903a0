//! `myrmex monitor` (a live view, reports, or a Prometheus endpoint) and `myrmex optimize`
//! (tuning advice, applied when asked).
//!
//! Exit codes: 0 done (also when stopped with Ctrl-C, `q` or SIGTERM), 1 an error (a
//! database that cannot be reached, a failed statement of `optimize --apply`), 2 usage.

mod exporter;
mod live;
mod report;

use crate::engine::monitor::{optimize, Advice};
use crate::engine::Context;
use crate::interrupt;
use crate::output::Format;
use crate::script::{EXIT_SCRIPT_ERROR as EXIT_ERROR, EXIT_USAGE};
use clap::Args;
use myrmex_core::monitor::{monitor_database, DatabaseMetrics, OptimizeOptions};
use myrmex_core::DatabaseConnection;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Snapshots behind each report: two, so that counters have rates.
const REPORT_SAMPLES: u32 = 2;

/// `myrmex monitor TARGET… …`.
#[derive(Debug, Args)]
pub struct MonitorArgs {
    /// Connection URLs or connection names from the config (several only with --prometheus).
    #[arg(required = true, value_name = "TARGET")]
    pub targets: Vec<String>,
    /// Print one report (two snapshots an interval apart, for rates) and exit.
    #[arg(long, conflicts_with_all = ["samples", "prometheus"])]
    pub once: bool,
    /// Milliseconds between refreshes (and between the two snapshots of a report).
    #[arg(long, value_name = "MS", default_value_t = 1000,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub interval: u64,
    /// Stop after N refreshes or reports (default: run until stopped).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub samples: Option<u32>,
    /// Serve the metrics of every target at http://ADDR/metrics in the Prometheus text
    /// format, fresh on every scrape, until Ctrl-C or SIGTERM (e.g. 127.0.0.1:9187).
    #[arg(long, value_name = "ADDR")]
    pub prometheus: Option<String>,
}

/// `myrmex optimize TARGET …`.
#[derive(Debug, Args)]
pub struct OptimizeArgs {
    /// A connection URL or a connection name from the config.
    #[arg(value_name = "TARGET")]
    pub target: String,
    /// Run the statements of the recommendations marked safe (they block no writes and
    /// change no data), printing each as it runs.
    #[arg(long)]
    pub apply: bool,
    /// A file of SQL statements to weigh (the workload the database serves).
    #[arg(long, value_name = "FILE")]
    pub workload: Option<PathBuf>,
}

/// A failed command: its exit code and message.
pub struct Failure(u8, String);

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure(EXIT_ERROR, e.to_string())
    }
}

fn usage(msg: impl Into<String>) -> Failure {
    Failure(EXIT_USAGE, msg.into())
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

/// How reports print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Output {
    Text,
    /// Pretty JSON for one report, one line per report otherwise.
    Json,
    /// One JSON line per report.
    Jsonl,
}

fn output(format: Option<Format>, what: &str) -> Result<Output, Failure> {
    match format {
        None | Some(Format::Text) | Some(Format::Table) => Ok(Output::Text),
        Some(Format::Json) => Ok(Output::Json),
        Some(Format::Jsonl) => Ok(Output::Jsonl),
        Some(other) => Err(usage(format!(
            "--format {other:?}: {what} prints as text, json or jsonl"
        ))),
    }
}

/// A URL, a database file or a connection of the config, not yet connected.
fn resolve(ctx: &Context, target: &str) -> Result<DatabaseConnection, Failure> {
    if let Some(config) = ctx
        .config
        .as_ref()
        .filter(|c| c.connections.contains_key(target))
    {
        return Ok(config.connection_with(target, &ctx.registry)?);
    }
    crate::sql_input::resolve(&ctx.registry, target).map_err(usage)
}

/// Resolves and connects `target` (Ctrl-C abandons a slow connect).
fn open(ctx: &Context, target: &str) -> Result<DatabaseConnection, Failure> {
    let conn = resolve(ctx, target)?;
    crate::engine::conn::open(ctx, conn).map_err(|e| {
        Failure(
            EXIT_ERROR,
            format!("cannot open {}: {e}", myrmex_core::url::redact(target)),
        )
    })
}

/// Runs `myrmex monitor`; returns the exit code.
pub fn run_monitor(ctx: &Context, args: &MonitorArgs, format: Option<Format>) -> u8 {
    finish("monitor", monitor(ctx, args, format))
}

fn monitor(ctx: &Context, args: &MonitorArgs, format: Option<Format>) -> Result<u8, Failure> {
    let out = output(format, "a monitor report")?;
    let interval = Duration::from_millis(args.interval);
    if let Some(addr) = &args.prometheus {
        let mut conns = Vec::new();
        for t in &args.targets {
            conns.push(open(ctx, t)?);
        }
        return exporter::serve(addr, conns);
    }
    let [target] = args.targets.as_slice() else {
        return Err(usage(
            "several targets are for --prometheus; monitor one database at a time otherwise",
        ));
    };
    let mut conn = open(ctx, target)?;
    let _cancel = conn.cancel_token().map(interrupt::register);
    interrupt::install_terminate();
    let live = !args.once && out == Output::Text && std::io::stdout().is_terminal();
    if live {
        return live::run(conn, interval, args.samples);
    }
    let reports = if args.once { Some(1) } else { args.samples };
    let mut printed = 0u32;
    while reports.is_none_or(|n| printed < n) {
        let started = Instant::now();
        let m = match monitor_database(&mut conn, REPORT_SAMPLES, interval) {
            Ok(m) => m,
            Err(_) if interrupt::stopping() => break,
            Err(e) => return Err(e.into()),
        };
        print_report(&m, out, args.once)?;
        printed += 1;
        if interrupt::stopping() || reports.is_some_and(|n| printed >= n) {
            break;
        }
        pause_until(started + interval);
    }
    Ok(0)
}

/// Sleeps until `deadline`, or until Ctrl-C or SIGTERM: a report (or refresh) comes at most
/// once an interval, also when the driver reads no statistics and nothing waited.
fn pause_until(deadline: Instant) {
    const STEP: Duration = Duration::from_millis(100);
    while !interrupt::stopping() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return;
        }
        std::thread::sleep(left.min(STEP));
    }
}

/// Prints one report: text, pretty JSON (`single`), or one JSON line.
fn print_report(m: &DatabaseMetrics, out: Output, single: bool) -> Result<(), Failure> {
    let text = match out {
        Output::Text => report::metrics_text(m),
        Output::Json if single => format!("{}\n", serde_json::to_string_pretty(m)?),
        Output::Json | Output::Jsonl => format!("{}\n", serde_json::to_string(m)?),
    };
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    if out == Output::Text && !single {
        stdout.write_all(b"\n")?;
    }
    stdout.flush()?;
    Ok(())
}

/// Runs `myrmex optimize`; returns the exit code.
pub fn run_optimize(ctx: &Context, args: &OptimizeArgs, format: Option<Format>) -> u8 {
    finish("optimize", optimize_cmd(ctx, args, format))
}

fn optimize_cmd(ctx: &Context, args: &OptimizeArgs, format: Option<Format>) -> Result<u8, Failure> {
    let out = output(format, "optimize")?;
    let workload = match &args.workload {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| usage(format!("--workload {}: {e}", path.display())))?;
            myrmex_core::sql::split_statements(&text)
        }
        None => Vec::new(),
    };
    let mut conn = open(ctx, &args.target)?;
    let options = OptimizeOptions {
        apply: args.apply,
        workload,
    };
    let advice: Advice = optimize(&mut conn, &options, |s| {
        // Shown as it runs, on stderr when stdout is JSON.
        if out == Output::Text {
            println!("applying: {s}");
        } else {
            eprintln!("applying: {s}");
        }
    })?;
    match out {
        Output::Text => print!("{}", report::advice_text(&advice)),
        Output::Json => println!("{}", serde_json::to_string_pretty(&advice)?),
        Output::Jsonl => println!("{}", serde_json::to_string(&advice)?),
    }
    let failed: Vec<_> = advice
        .applied
        .iter()
        .filter(|a| a.error.is_some())
        .collect();
    for a in &failed {
        eprintln!(
            "myrmex optimize: {}: {}",
            a.statement,
            a.error.as_deref().unwrap_or_default()
        );
    }
    Ok(if failed.is_empty() { 0 } else { EXIT_ERROR })
}
