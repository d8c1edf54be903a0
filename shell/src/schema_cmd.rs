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
        /// Fail (exit 1) when the definition lists unsupported objects.
        #[arg(long)]
        strict: bool,
    },
    /// Read a live database into a definition (TOML; JSON with --format json); what it
    /// cannot express is listed on stderr and in the definition's `unsupported`.
    Inspect {
        /// A connection URL or a connection name from the config.
        #[arg(long)]
        db: String,
        /// Schemas (PostgreSQL) or databases (MySQL/MariaDB, attached SQLite) to read,
        /// comma-separated; `*` reads every non-system one (default: the current one).
        #[arg(long, value_delimiter = ',')]
        schemas: Vec<String>,
        /// Read privileges (GRANTs) too.
        #[arg(long)]
        grants: bool,
        /// Fail (exit 1) when anything is unsupported.
        #[arg(long)]
        strict: bool,
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
        /// Compare privileges (GRANT/REVOKE) too.
        #[arg(long)]
        grants: bool,
        /// Fail (exit 1) when anything is unsupported or refused.
        #[arg(long)]
        strict: bool,
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
    source_with(ctx, s, &[])
}

/// [`source`], reading a database with `request` (schemas and tokens, see
/// `DatabaseConnection::schema_of`).
fn source_with(
    ctx: &Context,
    s: &str,
    request: &[String],
) -> Result<(SchemaDefinition, Option<Dialect>), Failure> {
    if is_database(ctx, s) {
        let mut conn = open(ctx, s)?;
        let d = conn.schema_dialect()?;
        Ok((conn.schema_of(request)?, Some(d)))
    } else {
        Ok((SchemaDefinition::load(Path::new(s))?, None))
    }
}

/// Says every unsupported or refused object on stderr; with `strict`, fails with the list.
fn report(lines: &[String], strict: bool) -> Result<(), Failure> {
    for l in lines {
        eprintln!("{l}");
    }
    if strict && !lines.is_empty() {
        return Err(Failure(
            EXIT_ERROR,
            format!(
                "--strict: {} object(s) unsupported or refused:\n{}",
                lines.len(),
                lines.join("\n")
            ),
        ));
    }
    Ok(())
}

fn unsupported_lines(def: &SchemaDefinition) -> Vec<String> {
    def.unsupported
        .iter()
        .map(schema_def::unsupported_line)
        .collect()
}

fn exec(ctx: &Context, cmd: &SchemaCommand, format: Format) -> Result<u8, Failure> {
    match cmd {
        SchemaCommand::Convert(a) => return Ok(crate::schema_convert::run(ctx, a, format)),
        SchemaCommand::Generate {
            file,
            dialect: d,
            strict,
        } => {
            let d = dialect(d)?;
            let (def, _) = source(ctx, file)?;
            let stmts = schema_def::SchemaGenerator::new(d).statements(&def)?;
            report(&unsupported_lines(&def), *strict)?;
            match format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&stmts)?),
                _ => print!("{}{}", schema_def::header(&def), schema_def::script(&stmts)),
            }
        }
        SchemaCommand::Inspect {
            db,
            schemas,
            grants,
            strict,
        } => {
            let mut conn = open(ctx, db)?;
            let mut request = schemas.clone();
            if *grants {
                request.push(myrmex_core::SCHEMA_GRANTS.to_string());
            }
            let def = conn.schema_of(&request)?;
            report(&unsupported_lines(&def), *strict)?;
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
            grants,
            strict,
        } => {
            let options = schema_def::DiffOptions { grants: *grants };
            let request = myrmex_core::diff_request(&options);
            let (mut a, da) = source_with(ctx, from, &request)?;
            let (mut b, db) = source_with(ctx, to, &request)?;
            // A definition file diffed with a database: its views, routines and triggers in
            // the text that engine keeps, through a scratch database of that server.
            let mut notice = None;
            if da.is_some() != db.is_some() {
                let (server, file) = if da.is_some() {
                    (from, &mut b)
                } else {
                    (to, &mut a)
                };
                let (kept, why) = open(ctx, server)?.in_engine_form(file);
                *file = kept;
                notice = why;
            }
            let d = match d {
                Some(d) => dialect(d)?,
                None => da.or(db).ok_or_else(|| {
                    usage("neither side is a database: say which --dialect to diff for".into())
                })?,
            };
            let mut plan = schema_def::diff_with(&a, &b, d, &options)?;
            plan.notices.extend(notice);
            let lines = plan.unsupported_lines();
            report(&lines, *strict)?;
            match format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&plan_json(&plan))?),
                _ => print!("{}", plan_text(&plan)),
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

/// A diff plan as JSON: `changes` (sql, description, destructive, outside_transaction),
/// `notices` and `unsupported` (kind, name, reason).
fn plan_json(plan: &schema_def::DiffPlan) -> serde_json::Value {
    let changes: Vec<serde_json::Value> = plan
        .changes
        .iter()
        .map(|c| {
            serde_json::json!({
                "sql": c.sql,
                "description": c.description,
                "destructive": c.destructive,
                "outside_transaction": c.outside_transaction,
            })
        })
        .collect();
    serde_json::json!({
        "changes": changes,
        "notices": plan.notices,
        "unsupported": plan.unsupported,
    })
}

/// A diff plan as SQL: `-- unsupported: …` and `-- notice: …` lines first, then each
/// statement under its description; "-- no changes" only when there is nothing at all.
pub(crate) fn plan_text(plan: &schema_def::DiffPlan) -> String {
    let mut s = String::new();
    for l in plan.unsupported_lines() {
        s.push_str(&format!("-- {l}\n"));
    }
    for n in &plan.notices {
        s.push_str(&format!("-- notice: {n}\n"));
    }
    if !plan.unsupported.is_empty() || !plan.notices.is_empty() {
        s.push('\n');
    }
    if plan.is_empty() {
        s.push_str("-- no changes\n");
    }
    for c in &plan.changes {
        let mut mark = String::new();
        if c.destructive {
            mark.push_str(" [DESTRUCTIVE]");
        }
        if c.outside_transaction {
            mark.push_str(" [OUTSIDE TRANSACTION]");
        }
        s.push_str(&format!("-- {}{mark}\n{};\n\n", c.description, c.sql));
    }
    s
}
