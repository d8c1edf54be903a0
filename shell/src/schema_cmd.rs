//! `myrmex schema generate|inspect|diff|lint`: the schema tools for cron and CI.

use crate::engine::Context;
use crate::output::Format;
use crate::script::{EXIT_SCRIPT_ERROR as EXIT_ERROR, EXIT_USAGE};
use clap::Subcommand;
use myrmex_core::schema_def::{self, lint, Dialect, SchemaDefinition, Severity};
use myrmex_core::DatabaseConnection;
use std::path::Path;

/// `myrmex schema …`.
#[derive(Debug, Subcommand)]
pub enum SchemaCommand {
    /// Print the DDL of a definition (TOML or JSON file) for a dialect.
    Generate {
        /// The definition file.
        file: String,
        /// sqlite, postgres, mysql or mariadb.
        #[arg(long)]
        dialect: String,
    },
    /// Read a live database into a definition (TOML; JSON with --format json).
    Inspect {
        /// A connection URL or a connection name from the config.
        #[arg(long)]
        db: String,
    },
    /// The statements that migrate FROM to TO; each is a definition file, a URL or a
    /// connection name. Destructive statements are marked.
    Diff {
        /// Current schema.
        from: String,
        /// Wanted schema.
        to: String,
        /// Dialect (default: the engine of whichever side is a database).
        #[arg(long)]
        dialect: Option<String>,
    },
    /// Lint a definition file or a database (text, --format json or sarif); exits 1 when
    /// a finding is an error.
    Lint {
        /// Definition file, URL or connection name.
        source: String,
        /// Check for one dialect only (default: all, or the database's).
        #[arg(long)]
        dialect: Option<String>,
    },
    /// Convert a definition file or a database's schema for another engine: the DDL on
    /// stdout, the report of every decision on stderr (both in JSON with --format json).
    Convert(crate::schema_convert::ConvertArgs),
}

pub(crate) struct Failure(pub(crate) u8, pub(crate) String);

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure(EXIT_ERROR, e.to_string())
    }
}

/// Runs a schema command; returns the exit code.
pub fn run(ctx: &Context, cmd: &SchemaCommand, format: Format) -> u8 {
    match exec(ctx, cmd, format) {
        Ok(code) => code,
        Err(Failure(code, msg)) => {
            eprintln!("myrmex schema: {msg}");
            code
        }
    }
}

fn usage(msg: String) -> Failure {
    Failure(EXIT_USAGE, msg)
}

fn dialect(name: &str) -> Result<Dialect, Failure> {
    name.parse::<Dialect>().map_err(|e| usage(e.to_string()))
}

fn is_database(ctx: &Context, s: &str) -> bool {
    s.contains("://")
        || s.starts_with("sqlite:")
        || ctx
            .config
            .as_ref()
            .is_some_and(|c| c.connections.contains_key(s))
}

fn open(ctx: &Context, s: &str) -> Result<DatabaseConnection, Failure> {
    let mut conn = match ctx
        .config
        .as_ref()
        .filter(|c| c.connections.contains_key(s))
    {
        Some(c) => c.connection(s)?,
        None => DatabaseConnection::from_url("schema", s)?,
    };
    conn.connect_with(&ctx.registry)?;
    Ok(conn)
}

/// A definition from a file or a database, with the database's dialect when it is one.
pub(crate) fn source(
    ctx: &Context,
    s: &str,
) -> Result<(SchemaDefinition, Option<Dialect>), Failure> {
    if is_database(ctx, s) {
        let mut conn = open(ctx, s)?;
        let d = conn.schema_dialect()?;
        Ok((conn.schema()?, Some(d)))
    } else {
        Ok((SchemaDefinition::load(Path::new(s))?, None))
    }
}

fn exec(ctx: &Context, cmd: &SchemaCommand, format: Format) -> Result<u8, Failure> {
    match cmd {
        SchemaCommand::Convert(a) => return Ok(crate::schema_convert::run(ctx, a, format)),
        SchemaCommand::Generate { file, dialect: d } => {
            let d = dialect(d)?;
            let (def, _) = source(ctx, file)?;
            let stmts = schema_def::SchemaGenerator::new(d).statements(&def)?;
            match format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&stmts)?),
                _ => print!("{}", schema_def::script(&stmts)),
            }
        }
        SchemaCommand::Inspect { db } => {
            let mut conn = open(ctx, db)?;
            let def = conn.schema()?;
            match format {
                Format::Json => println!("{}", def.to_json()),
                Format::Table | Format::Toml => print!("{}", def.to_toml()),
                other => return Err(usage(format!("inspect prints toml or json, not {other:?}"))),
            }
        }
        SchemaCommand::Diff {
            from,
            to,
            dialect: d,
        } => {
            let (a, da) = source(ctx, from)?;
            let (b, db) = source(ctx, to)?;
            let d = match d {
                Some(d) => dialect(d)?,
                None => da.or(db).ok_or_else(|| {
                    usage("neither side is a database: say which --dialect to diff for".into())
                })?,
            };
            let changes = schema_def::diff(&a, &b, d)?;
            match format {
                Format::Json => {
                    let list: Vec<serde_json::Value> = changes
                        .iter()
                        .map(|c| serde_json::json!({"sql": c.sql, "description": c.description, "destructive": c.destructive}))
                        .collect();
                    println!("{}", serde_json::to_string_pretty(&list)?);
                }
                _ => {
                    if changes.is_empty() {
                        println!("-- no changes");
                    }
                    for c in &changes {
                        let mark = if c.destructive { " [DESTRUCTIVE]" } else { "" };
                        println!("-- {}{mark}\n{};\n", c.description, c.sql);
                    }
                }
            }
        }
        SchemaCommand::Lint {
            source: s,
            dialect: d,
        } => {
            let (def, db_dialect) = source(ctx, s)?;
            let d = match d {
                Some(d) => Some(dialect(d)?),
                None => db_dialect,
            };
            let findings = lint::lint(&def, d);
            match format {
                Format::Json => println!("{}", lint::to_json(&findings)),
                Format::Sarif => println!("{}", lint::to_sarif(&findings, s)),
                Format::Table | Format::Text => print!("{}", lint::to_text(&findings)),
                other => {
                    return Err(usage(format!(
                        "lint prints text, json or sarif, not {other:?}"
                    )))
                }
            }
            if findings.iter().any(|f| f.severity == Severity::Error) {
                return Ok(EXIT_ERROR);
            }
        }
    }
    Ok(0)
}
