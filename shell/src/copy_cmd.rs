//! `myrmex copy SRC DST`: copies tables and their rows from one database to another, across
//! engines, converting the schema, verifying every table, resumable after an interruption.
//!
//! Exit codes: 0 copied and verified, 1 an error, 2 a usage error, 3 copied with a table
//! skipped or failing verification.

use crate::engine::Context;
use crate::output::Format;
use crate::script::{EXIT_SCRIPT_ERROR, EXIT_USAGE};
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use myrmex_core::schema_def::convert::CastRules;
use myrmex_core::transfer::{copy_data, CopyObserver, CopyOptions, CopySummary};
use myrmex_core::DatabaseConnection;
use std::io::IsTerminal;
use std::path::PathBuf;

/// Exit code when a table was skipped or did not verify.
const EXIT_INCOMPLETE: u8 = 3;

/// `myrmex copy …`
#[derive(Debug, Args)]
pub struct CopyArgs {
    /// The source: a connection URL, a database file or a connection name of the config.
    pub source: String,
    /// The target (its tables must not exist yet, unless --resume).
    pub target: String,
    /// Only these tables (comma-separated source names).
    #[arg(long, value_delimiter = ',')]
    pub tables: Vec<String>,
    /// Conversion rules file (TOML; see docs/conversion.md).
    #[arg(long = "convert-rules", value_name = "FILE")]
    pub convert_rules: Option<PathBuf>,
    /// A cast rule, pgloader style: 'type tsvector to text' (repeatable).
    #[arg(long = "cast", value_name = "RULE")]
    pub casts: Vec<String>,
    /// Workers, each with its own pair of connections.
    #[arg(long, default_value_t = 2)]
    pub parallel: usize,
    /// Continue an interrupted copy from the state the target holds.
    #[arg(long)]
    pub resume: bool,
    /// Skip the verification by row counts and checksums.
    #[arg(long = "no-verify")]
    pub no_verify: bool,
    /// A table that cannot be copied, or any conversion loss, is an error.
    #[arg(long)]
    pub strict: bool,
    /// Rows per key-range chunk of large tables.
    #[arg(long = "chunk-rows", default_value_t = 200_000)]
    pub chunk_rows: u64,
}

/// A progress bar of rows on a terminal; nothing otherwise.
struct Bar(Option<ProgressBar>);

impl CopyObserver for Bar {
    fn start(&self, _tables: usize, rows: u64) {
        if let Some(b) = &self.0 {
            b.set_length(rows);
            b.set_style(
                ProgressStyle::with_template("{bar:30} {pos}/{len} rows {elapsed} {wide_msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            b.set_draw_target(ProgressDrawTarget::stderr());
        }
    }
    fn rows(&self, rows: u64) {
        if let Some(b) = &self.0 {
            b.inc(rows);
        }
    }
    fn phase(&self, what: &str) {
        if let Some(b) = &self.0 {
            b.set_message(what.to_string());
        }
    }
}

fn open(ctx: &Context, target: &str) -> Result<DatabaseConnection, String> {
    let conn = match ctx
        .config
        .as_ref()
        .filter(|c| c.connections.contains_key(target))
    {
        Some(config) => config
            .connection_with(target, &ctx.registry)
            .map_err(|e| e.to_string())?,
        None => crate::sql_input::resolve(&ctx.registry, target)?,
    };
    crate::engine::conn::open(ctx, conn)
        .map_err(|e| format!("cannot open {}: {e}", myrmex_core::url::redact(target)))
}

/// The rules of `--convert-rules` and `--cast`.
pub fn rules(file: Option<&PathBuf>, casts: &[String], strict: bool) -> Result<CastRules, String> {
    let mut rules = match file {
        Some(f) => CastRules::load(f).map_err(|e| e.to_string())?,
        None => CastRules::default(),
    };
    if !casts.is_empty() {
        rules.merge(CastRules::parse(casts).map_err(|e| e.to_string())?);
    }
    rules.strict = rules.strict || strict;
    Ok(rules)
}

fn print_text(s: &CopySummary) {
    for t in &s.tables {
        match (&t.skipped, t.verified) {
            (Some(why), _) => println!("{:<32} skipped: {why}", t.table),
            (None, v) => println!(
                "{:<32} {:>10} rows  {:>7.2} s  {}{}",
                t.table,
                t.rows_copied,
                t.seconds,
                match v {
                    Some(true) => "verified".to_string(),
                    Some(false) => format!(
                        "MISMATCH: source {} rows {}, target {} rows {}",
                        t.source_rows.unwrap_or(0),
                        t.source_checksum.as_deref().unwrap_or(""),
                        t.target_rows.unwrap_or(0),
                        t.target_checksum.as_deref().unwrap_or("")
                    ),
                    None => "not verified".to_string(),
                },
                if t.chunks_resumed > 0 {
                    format!(" ({} of {} chunks done before)", t.chunks_resumed, t.chunks)
                } else {
                    String::new()
                }
            ),
        }
    }
    for l in &s.losses {
        println!("loss: {l}");
    }
    println!(
        "{} rows in {} table(s), {:.2} s, as {}{}",
        s.rows,
        s.tables.len(),
        s.seconds,
        s.format,
        if s.ok { "" } else { "; INCOMPLETE" }
    );
}

/// Runs `myrmex copy`; returns the exit code.
pub fn run(ctx: &Context, args: &CopyArgs, format: Option<Format>) -> u8 {
    let json = match format {
        None | Some(Format::Table) => false,
        Some(Format::Json) => true,
        Some(other) => {
            eprintln!("myrmex copy: --format {other:?} is not one of table, json");
            return EXIT_USAGE;
        }
    };
    let rules = match rules(args.convert_rules.as_ref(), &args.casts, args.strict) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("myrmex copy: {e}");
            return EXIT_USAGE;
        }
    };
    let (mut src, mut dst) = match (open(ctx, &args.source), open(ctx, &args.target)) {
        (Ok(s), Ok(d)) => (s, d),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("myrmex copy: {e}");
            return EXIT_SCRIPT_ERROR;
        }
    };
    let options = CopyOptions {
        tables: args.tables.clone(),
        rules,
        parallel: args.parallel.max(1),
        resume: args.resume,
        verify: !args.no_verify,
        strict: args.strict,
        chunk_rows: args.chunk_rows.max(1),
    };
    let bar = Bar(std::io::stderr().is_terminal().then(ProgressBar::hidden));
    let out = copy_data(&mut src, &mut dst, &options, &bar);
    if let Some(b) = &bar.0 {
        b.finish_and_clear();
    }
    match out {
        Ok(summary) => {
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&summary.to_json()).unwrap_or_default()
                );
            } else {
                print_text(&summary);
            }
            if summary.ok {
                0
            } else {
                EXIT_INCOMPLETE
            }
        }
        Err(e) => {
            eprintln!("myrmex copy: {e}");
            EXIT_SCRIPT_ERROR
        }
    }
}
