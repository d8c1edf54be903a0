//! Loading a CSV or COPY text file into a table (`\copy TABLE FROM 'file'`): the rows go in
//! as multi-row `INSERT`s in the dialect's placeholder style, all inside one transaction, so
//! a bad row leaves the table as it was and the error names its line.

use super::copy_read::{ReadError, Record, Records, Syntax};
use crate::interrupt;
use myrmex_abi::PlaceholderStyle;
use myrmex_core::{DatabaseConnection, Value};
use std::io::BufReader;
use std::path::PathBuf;

/// Most parameters one `INSERT` binds: SQLite before 3.32 allows 999, the lowest limit of
/// the engines served.
const MAX_PARAMETERS: usize = 999;

/// Most rows one `INSERT` carries.
const MAX_BATCH_ROWS: usize = 500;

/// The savepoint each batch runs under, so the row at fault can be found after a failure.
const BATCH_SAVEPOINT: &str = "myrmex_copy_batch";

/// The savepoint the whole load runs under when a transaction is already open.
const LOAD_SAVEPOINT: &str = "myrmex_copy";

/// What to load, and how the file is written.
#[derive(Debug, Clone)]
pub struct Load {
    /// The table, as typed (SQL: quote a name that needs it).
    pub table: String,
    /// Its columns as typed, in the file's order; `None`: every column, in table order.
    pub columns: Option<Vec<String>>,
    /// The file.
    pub path: PathBuf,
    /// CSV or COPY text.
    pub syntax: Syntax,
    /// The first record is a header line, skipped.
    pub header: bool,
    /// The NULL string (default: empty for CSV, `\N` for text).
    pub null: Option<String>,
}

/// Why a load failed; nothing of the file is left in the table.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The driver's dialect marks parameters in a way this loader cannot write.
    #[error("the driver marks parameters as `{style}`, which \\copy cannot write yet")]
    Placeholders {
        /// The style, as the contract names it.
        style: String,
    },
    /// The file could not be opened or read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A record of the file is malformed or has the wrong number of fields.
    #[error("{} line {line}, column {column}: {message}", path.display())]
    Record {
        /// The file.
        path: PathBuf,
        /// The line the record starts on.
        line: usize,
        /// The column (name, or field number when it has none).
        column: String,
        /// What is wrong.
        message: String,
    },
    /// The database refused a row.
    #[error("{} line {line}{}: {message}", path.display(), column.as_ref().map(|c| format!(", column {c}")).unwrap_or_default())]
    Row {
        /// The file.
        path: PathBuf,
        /// The line the row starts on.
        line: usize,
        /// The column whose value the engine's message quotes, when exactly one does.
        column: Option<String>,
        /// The engine's message.
        message: String,
    },
    /// A statement around the rows failed (describing the table, the transaction).
    #[error("{0}")]
    Database(String),
    /// Ctrl-C or the time limit stopped the load.
    #[error("interrupted")]
    Interrupted,
}

impl From<myrmex_core::Error> for LoadError {
    fn from(e: myrmex_core::Error) -> Self {
        LoadError::Database(e.to_string())
    }
}

/// Loads the file into the table and returns the number of rows inserted. Outside a
/// transaction it runs in one of its own; inside one, under a savepoint; either way an
/// error undoes every row of the file.
pub fn load(conn: &mut DatabaseConnection, spec: &Load) -> Result<u64, LoadError> {
    let file = std::fs::File::open(&spec.path).map_err(|source| LoadError::Read {
        path: spec.path.clone(),
        source,
    })?;
    let records = Records::new(BufReader::new(file), spec.syntax, spec.null.clone());
    let dialect = conn.dialect()?;
    let columns = match &spec.columns {
        Some(c) => c.clone(),
        None => conn
            .describe(&unquote(&spec.table))?
            .columns
            .iter()
            .map(|c| myrmex_plugin::sql::quote_ident(&c.name, dialect.quote_char()))
            .collect(),
    };
    let insert = Insert {
        prefix: format!(
            "INSERT INTO {} ({}) VALUES ",
            spec.table,
            columns.join(", ")
        ),
        names: columns.iter().map(|c| unquote(c)).collect(),
        dollar: match dialect.placeholders {
            PlaceholderStyle::DOLLAR => true,
            PlaceholderStyle::QUESTION => false,
            other => {
                return Err(LoadError::Placeholders {
                    style: format!("{other:?}"),
                })
            }
        },
    };
    if conn.in_transaction() {
        conn.savepoint(LOAD_SAVEPOINT)?;
        match insert.run(conn, records, spec) {
            Ok(n) => {
                conn.release_savepoint(LOAD_SAVEPOINT)?;
                Ok(n)
            }
            Err(e) => {
                let undone = conn
                    .rollback_to_savepoint(LOAD_SAVEPOINT)
                    .and_then(|()| conn.release_savepoint(LOAD_SAVEPOINT));
                if let Err(u) = undone {
                    tracing::warn!("undoing a failed \\copy failed: {u}");
                }
                Err(e)
            }
        }
    } else {
        // Dropped without commit on any error: the rows inserted so far are rolled back.
        let mut tx = conn.transaction()?;
        let n = insert.run(&mut tx, records, spec)?;
        tx.commit()?;
        Ok(n)
    }
}

/// The `INSERT` the rows go through.
struct Insert {
    /// `INSERT INTO t (a, b) VALUES `.
    prefix: String,
    /// The column names, for messages.
    names: Vec<String>,
    /// `$1, $2, …` placeholders rather than `?`.
    dollar: bool,
}

impl Insert {
    /// The statement for `rows` rows.
    fn sql(&self, rows: usize) -> String {
        let width = self.names.len();
        let mut sql = String::with_capacity(self.prefix.len() + rows * width * 4);
        sql.push_str(&self.prefix);
        let mut n = 0;
        for r in 0..rows {
            if r > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            for c in 0..width {
                if c > 0 {
                    sql.push_str(", ");
                }
                n += 1;
                if self.dollar {
                    sql.push('$');
                    sql.push_str(&n.to_string());
                } else {
                    sql.push('?');
                }
            }
            sql.push(')');
        }
        sql
    }

    /// Reads every record and inserts the rows in batches; returns the rows inserted.
    fn run<R: std::io::BufRead>(
        &self,
        conn: &mut DatabaseConnection,
        mut records: Records<R>,
        spec: &Load,
    ) -> Result<u64, LoadError> {
        let width = self.names.len();
        let per_batch = (MAX_PARAMETERS / width.max(1)).clamp(1, MAX_BATCH_ROWS);
        let full_batch = self.sql(per_batch);
        let read_error = |e: ReadError| match e {
            ReadError::Io(source) => LoadError::Read {
                path: spec.path.clone(),
                source,
            },
            ReadError::Malformed {
                line,
                column,
                message,
            } => LoadError::Record {
                path: spec.path.clone(),
                line,
                column: self.column_name(column),
                message,
            },
        };
        if spec.header {
            records.next_record().map_err(read_error)?;
        }
        let mut batch: Vec<Record> = Vec::with_capacity(per_batch);
        let mut total = 0u64;
        loop {
            let record = records.next_record().map_err(read_error)?;
            let end = record.is_none();
            if let Some(r) = record {
                self.check_width(&r, spec)?;
                batch.push(r);
            }
            if batch.len() == per_batch || (end && !batch.is_empty()) {
                if interrupt::is_set() || interrupt::timed_out() {
                    return Err(LoadError::Interrupted);
                }
                let sql = if batch.len() == per_batch {
                    full_batch.as_str()
                } else {
                    &self.sql(batch.len())
                };
                self.insert_batch(conn, sql, &batch, spec)?;
                total += batch.len() as u64;
                batch.clear();
            }
            if end {
                return Ok(total);
            }
        }
    }

    /// A record with other than one field per column is refused, naming the first column
    /// missing or the first field too many.
    fn check_width(&self, r: &Record, spec: &Load) -> Result<(), LoadError> {
        let width = self.names.len();
        let n = r.fields.len();
        if n == width {
            return Ok(());
        }
        let (column, message) = if n < width {
            (
                self.column_name(n + 1),
                format!("missing data: {n} fields for {width} columns"),
            )
        } else {
            (
                format!("{}", width + 1),
                format!("extra data: {n} fields for {width} columns"),
            )
        };
        Err(LoadError::Record {
            path: spec.path.clone(),
            line: r.line,
            column,
            message,
        })
    }

    /// The name of the 1-based column `n`, or its number past the last.
    fn column_name(&self, n: usize) -> String {
        self.names
            .get(n.wrapping_sub(1))
            .cloned()
            .unwrap_or_else(|| n.to_string())
    }

    /// Inserts one batch under a savepoint; when the engine refuses it, the savepoint is
    /// rolled back and the rows are tried one at a time to find the one at fault.
    fn insert_batch(
        &self,
        conn: &mut DatabaseConnection,
        sql: &str,
        batch: &[Record],
        spec: &Load,
    ) -> Result<(), LoadError> {
        let params: Vec<Value> = batch.iter().flat_map(values).collect();
        conn.savepoint(BATCH_SAVEPOINT)?;
        let Err(batch_error) = conn.execute(sql, &params) else {
            conn.release_savepoint(BATCH_SAVEPOINT)?;
            return Ok(());
        };
        if interrupt::is_set() || interrupt::timed_out() {
            return Err(LoadError::Interrupted);
        }
        conn.rollback_to_savepoint(BATCH_SAVEPOINT)?;
        let one = self.sql(1);
        for r in batch {
            if let Err(e) = conn.execute(&one, &values(r).collect::<Vec<_>>()) {
                return Err(self.row_error(r, &e, spec));
            }
        }
        // Each row alone went in: the batch as a whole was at fault (a limit of the
        // engine); name its first line.
        Err(self.row_error(&batch[0], &batch_error, spec))
    }

    fn row_error(&self, r: &Record, e: &myrmex_core::Error, spec: &Load) -> LoadError {
        let message = e
            .plugin_error()
            .map_or_else(|| e.to_string(), |p| p.to_string());
        LoadError::Row {
            path: spec.path.clone(),
            line: r.line,
            column: quoted_column(&self.names, r, &message),
            message,
        }
    }
}

/// The parameters of one record: its fields as text, NULL where the format says so.
fn values(r: &Record) -> impl Iterator<Item = Value> + '_ {
    r.fields.iter().map(|f| {
        if f.null {
            Value::Null
        } else {
            Value::Text(f.text.as_str().into())
        }
    })
}

/// The column an engine's message is about: one it names (`column "n"`, ``column `n` ``,
/// `column t.n`), else the only one whose value the message quotes (PostgreSQL's
/// `invalid input syntax for type integer: "abc"`).
fn quoted_column(names: &[String], r: &Record, message: &str) -> Option<String> {
    let lower = message.to_ascii_lowercase();
    let named: Vec<&String> = names
        .iter()
        .filter(|n| {
            let n = n.to_ascii_lowercase();
            [
                format!("column \"{n}\""),
                format!("column `{n}`"),
                format!("column '{n}'"),
            ]
            .iter()
            .any(|p| lower.contains(p.as_str()))
                || lower.contains(&format!(".{n} "))
                || lower.ends_with(&format!(".{n}"))
        })
        .collect();
    if let [one] = named.as_slice() {
        return Some((*one).clone());
    }
    let quoting: Vec<&String> = names
        .iter()
        .zip(&r.fields)
        .filter(|(_, f)| {
            !f.null
                && !f.text.is_empty()
                && (message.contains(&format!("\"{}\"", f.text))
                    || message.contains(&format!("'{}'", f.text)))
        })
        .map(|(n, _)| n)
        .collect();
    match quoting.as_slice() {
        [one] => Some((*one).clone()),
        _ => None,
    }
}

/// A name as typed without its quotes, for describing the table and for messages:
/// `"My Table"` → `My Table`, `` `t` `` → `t`; each part of `schema.table` alike.
pub fn unquote(name: &str) -> String {
    let mut out = String::new();
    let mut chars = name.trim().chars().peekable();
    while let Some(c) = chars.next() {
        if c == '"' || c == '`' {
            while let Some(d) = chars.next() {
                if d == c {
                    if chars.peek() == Some(&c) {
                        chars.next();
                        out.push(c);
                    } else {
                        break;
                    }
                } else {
                    out.push(d);
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::copy_read::Field;

    fn insert(dollar: bool) -> Insert {
        Insert {
            prefix: "INSERT INTO t (\"a\", \"b\") VALUES ".into(),
            names: vec!["a".into(), "b".into()],
            dollar,
        }
    }

    #[test]
    fn placeholders_follow_the_dialect() {
        assert_eq!(
            insert(true).sql(2),
            "INSERT INTO t (\"a\", \"b\") VALUES ($1, $2), ($3, $4)"
        );
        assert_eq!(
            insert(false).sql(2),
            "INSERT INTO t (\"a\", \"b\") VALUES (?, ?), (?, ?)"
        );
    }

    #[test]
    fn names_lose_their_quotes() {
        assert_eq!(unquote("\"My \"\"T\"\"\""), "My \"T\"");
        assert_eq!(unquote("public.\"t\""), "public.t");
        assert_eq!(unquote("`a``b`"), "a`b");
        assert_eq!(unquote("plain"), "plain");
    }

    #[test]
    fn the_column_at_fault_is_found_in_the_message() {
        let names = vec!["id".to_string(), "n".to_string()];
        let r = Record {
            line: 3,
            fields: vec![
                Field {
                    text: "7".into(),
                    null: false,
                },
                Field {
                    text: "abc".into(),
                    null: false,
                },
            ],
        };
        let pg = "invalid input syntax for type integer: \"abc\"";
        assert_eq!(quoted_column(&names, &r, pg).as_deref(), Some("n"));
        let my = "Incorrect integer value: 'abc' for column `n` at row 1";
        assert_eq!(quoted_column(&names, &r, my).as_deref(), Some("n"));
        let lite = "NOT NULL constraint failed: t.n";
        assert_eq!(quoted_column(&names, &r, lite).as_deref(), Some("n"));
        assert_eq!(quoted_column(&names, &r, "disk full"), None);
    }
}
