//! Running SQL text on one connection: `myrmex URL|FILE` with `-c SQL`, `-f FILE` or SQL on
//! standard input, and the database argument itself.

use crate::engine::conn::{self, Db, Handle};
use crate::engine::value::{to_dynamic, SqlValue};
use crate::engine::Context;
use crate::interrupt;
use crate::output::{Format, Tabular};
use crate::script::{EXIT_INTERRUPTED, EXIT_SCRIPT_ERROR, EXIT_USAGE};
use myrmex_core::plugin::Registry;
use myrmex_core::ConnectParams;
use myrmex_core::{sql, DatabaseConnection, Value};
use rhai::Dynamic;
use std::path::Path;

/// File name endings taken as SQLite databases even before the file exists.
const SQLITE_EXTENSIONS: [&str; 3] = ["db", "sqlite", "sqlite3"];

/// The connection a database argument names: a URL whose scheme a loaded driver serves
/// (`postgres://…`, `sqlite::memory:`), or an SQLite file (one that exists, or a path ending
/// .db, .sqlite or .sqlite3). The message of the error says why the argument is neither.
pub fn resolve(registry: &Registry, arg: &str) -> Result<DatabaseConnection, String> {
    let scheme = arg
        .split_once(':')
        .map(|(s, _)| s)
        .filter(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '+'));
    let known = scheme.is_some_and(|s| registry.has_scheme(s));
    if arg.contains("://") || known {
        let mut c = DatabaseConnection::from_url("", arg).map_err(|e| e.to_string())?;
        c.name = conn::default_name(&c);
        return Ok(c);
    }
    let path = Path::new(arg);
    let sqlite_name = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| SQLITE_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()));
    if path.is_file() || sqlite_name {
        // Built directly rather than as a URL: a file name may hold `%` or `?`.
        let mut c = DatabaseConnection::new("", ConnectParams::new("sqlite").database(arg));
        c.name = conn::default_name(&c);
        return Ok(c);
    }
    Err(format!(
        "`{}` is not a command, a connection URL (scheme://…) or a database file \
         (an existing file or a name ending .db, .sqlite or .sqlite3); see myrmex --help",
        myrmex_core::url::redact(arg)
    ))
}

/// Connects `c`; the message of the error is ready to print.
pub fn connect(ctx: &Context, c: DatabaseConnection) -> Result<Db, String> {
    let _watchdog = ctx.start_clock();
    conn::open(ctx, c).map(|c| Db::new(Handle::Owned(c)))
}

/// How a run of SQL text goes on after a failed statement.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Format of results.
    pub format: Format,
    /// Stop at the first failing statement.
    pub bail: bool,
}

/// The outcome of running SQL text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every statement succeeded.
    Ok,
    /// At least one statement failed, and the run went on (no `--bail`).
    Failed,
    /// The run stopped: a statement failed under `--bail`, or Ctrl-C / the time limit.
    Stopped(u8),
}

impl Outcome {
    /// The exit status: 0, 1 after failures, or the status the run stopped with.
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Ok => 0,
            Outcome::Failed => EXIT_SCRIPT_ERROR,
            Outcome::Stopped(code) => code,
        }
    }
}

/// Runs the statements of `text` (split at `;` outside quotes, comments and dollar quotes),
/// printing each result on stdout and each error on stderr as `source:line: message`.
pub fn run_text(ctx: &Context, db: &Db, source: &str, text: &str, opts: Options) -> Outcome {
    let _watchdog = ctx.start_clock();
    let mut outcome = Outcome::Ok;
    for (offset, stmt) in sql::split_statement_spans(text) {
        // The line of the statement itself, past any comments before it.
        let body = sql::without_leading_comments(stmt);
        let start = offset + (stmt.len() - body.len());
        let line = 1 + text[..start.min(text.len())].matches('\n').count();
        match run_statement(db, stmt, opts.format, false) {
            Ok(out) => print!("{out}"),
            Err(message) => {
                if interrupt::is_set() {
                    eprintln!("{source}:{line}: interrupted: {message}");
                    return Outcome::Stopped(EXIT_INTERRUPTED);
                }
                if interrupt::timed_out() {
                    eprintln!("{source}:{line}: {}", ctx.timeout_message());
                    return Outcome::Stopped(EXIT_SCRIPT_ERROR);
                }
                eprintln!("{source}:{line}: {message}");
                if opts.bail {
                    return Outcome::Stopped(EXIT_SCRIPT_ERROR);
                }
                outcome = Outcome::Failed;
            }
        }
    }
    outcome
}

/// Runs the SQL file `path` (`-` is standard input) as [`run_text`] does.
pub fn run_file(ctx: &Context, db: &Db, path: &Path, opts: Options) -> Outcome {
    let (source, text) = if path == Path::new("-") {
        let mut text = String::new();
        match std::io::Read::read_to_string(&mut std::io::stdin(), &mut text) {
            Ok(_) => ("<stdin>".to_string(), text),
            Err(e) => {
                eprintln!("myrmex: cannot read standard input: {e}");
                return Outcome::Stopped(EXIT_USAGE);
            }
        }
    } else {
        match std::fs::read_to_string(path) {
            Ok(text) => (path.display().to_string(), text),
            Err(e) => {
                eprintln!("myrmex: cannot read SQL file {}: {e}", path.display());
                return Outcome::Stopped(EXIT_USAGE);
            }
        }
    };
    run_text(ctx, db, &source, &text, opts)
}

/// Runs one SQL statement on `db` and returns what to print: its rows in `format`
/// (`expanded`: one block per row), or for a statement without rows its command tag
/// (`INSERT 3`, `CREATE`) in table format and nothing in the others, so that CSV and JSON
/// output stays data only. JSON-typed values (json columns, PostgreSQL arrays) keep their
/// type, so JSON output writes them as JSON. The error is the driver's message.
pub fn run_statement(
    db: &Db,
    stmt: &str,
    format: Format,
    expanded: bool,
) -> Result<String, String> {
    if sql::returns_rows(stmt) {
        let rs = db
            .with(|c| Ok(c.execute_query(stmt, &[])))
            .map_err(|e| script_message(&e))?
            .map_err(|e| e.to_string())?;
        return Ok(result_table(&rs).render(format, expanded));
    }
    let r = db
        .with(|c| Ok(c.execute(stmt, &[])))
        .map_err(|e| script_message(&e))?
        .map_err(|e| e.to_string())?;
    if format != Format::Table {
        return Ok(String::new());
    }
    let keyword = sql::first_keyword(stmt);
    Ok(
        if matches!(
            keyword.as_str(),
            "INSERT" | "UPDATE" | "DELETE" | "REPLACE" | "MERGE"
        ) {
            format!("{keyword} {}\n", r.rows_affected)
        } else {
            format!("{keyword}\n")
        },
    )
}

/// A result set ready to print, JSON-typed values (json columns, PostgreSQL arrays) kept as
/// JSON so that JSON output writes them as JSON.
pub fn result_table(rs: &myrmex_core::ResultSet) -> Tabular {
    Tabular {
        columns: rs.column_names().iter().map(|c| c.to_string()).collect(),
        rows: rs
            .rows()
            .map(|r| r.iter().map(result_cell).collect())
            .collect(),
    }
}

/// One result value for output: JSON keeps its type, the rest as scripts see them.
fn result_cell(v: &Value) -> Dynamic {
    match v {
        Value::Json(_) => Dynamic::from(SqlValue(v.clone())),
        other => to_dynamic(other),
    }
}

/// The message of a script error, without Rhai's `Runtime error: ` prefix.
fn script_message(e: &rhai::EvalAltResult) -> String {
    match e {
        rhai::EvalAltResult::ErrorRuntime(v, _) => v.to_string(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry() -> Registry {
        Registry::load(myrmex_core::plugin::SearchPath::standard(&[], &[], None))
    }

    #[test]
    fn database_files_and_urls_are_recognised() {
        let r = registry();
        let c = resolve(&r, "app.db").unwrap();
        assert_eq!(
            (c.db_type(), c.params().database.as_str()),
            ("sqlite", "app.db")
        );
        assert_eq!(c.name, "app");
        let c = resolve(&r, "dir/x%y?.sqlite3").unwrap();
        assert_eq!(c.params().database, "dir/x%y?.sqlite3");
        let c = resolve(&r, "postgres://u:secret@h/shop").unwrap();
        assert_eq!((c.db_type(), c.name.as_str()), ("postgres", "shop"));
        let e = resolve(&r, "nosuch").unwrap_err();
        assert!(e.contains("`nosuch` is not a command"), "{e}");
        let e = resolve(&r, "nosuch:pw@x").unwrap_err();
        assert!(!e.contains("pw"), "{e}");
    }
}
