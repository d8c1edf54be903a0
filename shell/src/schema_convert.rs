//! `myrmex schema convert (FILE|URL) --to DIALECT [--from DIALECT] [--cast RULE]…
//! [--rules FILE] [--strict]`: a definition converted for another engine. The DDL (or, with
//! `--format toml|json`, the definition) goes to stdout and the report to stderr; with
//! `--format json` both are in one JSON object on stdout. Exits 1 when something is refused
//! or, with `--strict`, lost.

use crate::engine::Context;
use crate::output::Format;
use crate::script::{EXIT_SCRIPT_ERROR, EXIT_USAGE};
use clap::Args;
use myrmex_core::schema_def::convert::{convert_schema, guess_dialect, CastRules};
use myrmex_core::schema_def::{self, Dialect};
use std::path::Path;

/// Arguments of `myrmex schema convert`.
#[derive(Debug, Args)]
pub struct ConvertArgs {
    /// Definition file (TOML or JSON), connection URL or connection name.
    pub source: String,
    /// Target dialect: sqlite, postgres, mysql or mariadb.
    #[arg(long)]
    pub to: String,
    /// Source dialect (default: the database's engine; for a file, the dialect its raw types
    /// name, else postgres).
    #[arg(long)]
    pub from: Option<String>,
    /// A cast rule, repeatable: `type tsvector to text`, `column film.fulltext drop`,
    /// `check NAME drop`, `default TABLE.COLUMN drop`, `drop unconvertible checks`,
    /// `enum as check`.
    #[arg(long = "cast")]
    pub cast: Vec<String>,
    /// A TOML rules file (`cast = [...]`, `strict`, `drop_unconvertible_checks`, …).
    #[arg(long)]
    pub rules: Option<String>,
    /// Fail (exit 1) listing every loss instead of converting with losses.
    #[arg(long)]
    pub strict: bool,
    /// Drop CHECK constraints whose expression cannot be translated (one loss line each).
    #[arg(long)]
    pub drop_unconvertible_checks: bool,
}

/// Runs the conversion; returns the exit code.
pub fn run(ctx: &Context, a: &ConvertArgs, format: Format) -> u8 {
    match exec(ctx, a, format) {
        Ok(code) => code,
        Err((code, msg)) => {
            eprintln!("myrmex schema convert: {msg}");
            code
        }
    }
}

fn exec(ctx: &Context, a: &ConvertArgs, format: Format) -> Result<u8, (u8, String)> {
    let usage = |m: String| (EXIT_USAGE, m);
    let failed = |m: String| (EXIT_SCRIPT_ERROR, m);
    let to: Dialect =
        a.to.parse()
            .map_err(|e: schema_def::SchemaError| usage(e.to_string()))?;
    let mut rules = CastRules::parse(&a.cast).map_err(|e| usage(e.to_string()))?;
    if let Some(path) = &a.rules {
        rules.merge(CastRules::load(Path::new(path)).map_err(|e| usage(e.to_string()))?);
    }
    rules.strict |= a.strict;
    rules.drop_unconvertible_checks |= a.drop_unconvertible_checks;
    let (def, db_dialect) = crate::schema_cmd::source(ctx, &a.source).map_err(|f| (f.0, f.1))?;
    let from = match &a.from {
        Some(f) => f
            .parse()
            .map_err(|e: schema_def::SchemaError| usage(e.to_string()))?,
        None => db_dialect
            .or_else(|| guess_dialect(&def))
            .unwrap_or(Dialect::Postgres),
    };
    let c = convert_schema(&def, from, to, &rules).map_err(|e| failed(e.to_string()))?;
    match format {
        Format::Json => {
            let mut v = c.to_json();
            let ddl = schema_def::generate_schema(&c.definition, to)
                .map_err(|e| failed(e.to_string()))?;
            if let Some(m) = v.as_object_mut() {
                m.insert("ddl".into(), ddl.into());
            }
            println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        }
        Format::Toml => {
            print!("{}", c.definition.to_toml());
            eprint!("{}", c.report_text());
        }
        Format::Table | Format::Text => {
            let ddl = schema_def::generate_schema(&c.definition, to)
                .map_err(|e| failed(e.to_string()))?;
            print!("{ddl}");
            eprint!("{}", c.report_text());
        }
        other => {
            return Err(usage(format!(
                "convert prints text (DDL), toml or json, not {other:?}"
            )))
        }
    }
    Ok(0)
}
