//! `db.copy_out(sql, path[, params][, options])`: stream a query's rows to a file or standard
//! output without building them as script values, in bounded memory.
//!
//! Formats: `csv` (default; RFC 4180, header line), `text` (PostgreSQL COPY text format: tab
//! separated, `\N` for NULL, backslash escapes; no header), `jsonl` (one JSON object per line).
//! The shell's `\copy … TO` writes through here too. Text and CSV of a driver with a native
//! bulk export (PostgreSQL) stream its COPY output as the server writes it, byte for byte
//! what psql writes; `path` then takes a table name as well as a query.

use super::conn::Db;
use super::package::function;
use super::value::{json_string, params, runtime};
use myrmex_core::bulk::{BulkFormat, CopySource, DEFAULT_CHUNK_BYTES, DEFAULT_CHUNK_ROWS};
use myrmex_core::{DatabaseConnection, Value};
use rhai::{Array, EvalAltResult, Map, Module, INT};
use std::fmt::Write as _;
use std::io::Write;

type RhaiResult<T> = Result<T, Box<EvalAltResult>>;

/// Rows per fetch: exports read whole batches, so larger ones mean fewer calls.
const EXPORT_BATCH_ROWS: u32 = 5000;

/// Bytes gathered before a write.
const FLUSH_BYTES: usize = 64 * 1024;

/// The file formats of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// RFC 4180 CSV with a header line.
    Csv,
    /// PostgreSQL COPY text format.
    Text,
    /// One JSON object per line.
    JsonLines,
}

/// How an export is written.
#[derive(Debug, Clone)]
pub struct Options {
    /// The file format.
    pub format: Format,
    /// A header line of column names (CSV only).
    pub header: bool,
    /// How NULL is written: by default nothing in CSV (an empty string is then written `""`,
    /// so the two stay apart, as psql writes them) and `\N` in text format.
    pub null: Option<String>,
}

impl Options {
    /// The NULL string of the format.
    fn null(&self) -> &str {
        match (&self.null, self.format) {
            (Some(n), _) => n,
            (None, Format::Text) => "\\N",
            (None, _) => "",
        }
    }
}

fn options(map: &Map) -> RhaiResult<Options> {
    let mut o = Options {
        format: Format::Csv,
        header: true,
        null: None,
    };
    for (k, v) in map {
        match k.as_str() {
            "format" => {
                o.format = match v.to_string().as_str() {
                    "csv" => Format::Csv,
                    "text" | "tsv" => Format::Text,
                    "jsonl" | "json" => Format::JsonLines,
                    other => {
                        return Err(runtime(format!(
                            "copy_out(): format `{other}` is not one of csv, text, jsonl"
                        )))
                    }
                }
            }
            "header" => {
                o.header = v
                    .as_bool()
                    .map_err(|_| runtime("copy_out(): `header` must be true or false"))?
            }
            "null" => o.null = Some(v.to_string()),
            other => {
                return Err(runtime(format!(
                    "copy_out(): unknown option `{other}` (known: format, header, null)"
                )))
            }
        }
    }
    if o.format == Format::Text {
        o.header = false;
    }
    Ok(o)
}

/// Appends a value's cell text (as `Display` would) without the formatting machinery for the
/// common types: this runs once per value of an export.
fn push_value(out: &mut String, v: &Value) {
    match v {
        Value::Null => {}
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => {
            if *i < 0 {
                out.push('-');
            }
            myrmex_plugin::canonical::push_digits(out, i.unsigned_abs(), 1);
        }

        other => match other.as_text() {
            Some(s) => out.push_str(s),
            None => {
                let _ = write!(out, "{other}");
            }
        },
    }
}

/// Appends one value in COPY text format.
fn copy_text(out: &mut String, v: &Value, null: &str) {
    if v.is_null() {
        out.push_str(null);
        return;
    }
    let start = out.len();
    push_value(out, v);
    if out[start..].contains(['\\', '\t', '\n', '\r']) {
        let raw: String = out[start..].to_string();
        out.truncate(start);
        for c in raw.chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '\t' => out.push_str("\\t"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                c => out.push(c),
            }
        }
    }
}

/// Appends one CSV field: NULL as the NULL string, and a value quoted when it holds a comma,
/// quote or line break, or when it reads as the NULL string (an empty string by default).
fn csv_field(out: &mut String, v: &Value, null: &str) {
    if v.is_null() {
        csv_text(out, null, "");
        return;
    }
    let start = out.len();
    push_value(out, v);
    if out[start..].contains([',', '"', '\n', '\r']) || out[start..] == *null {
        let raw: String = out[start..].to_string();
        out.truncate(start);
        out.push('"');
        out.push_str(&raw.replace('"', "\"\""));
        out.push('"');
    }
}

/// Appends `text`, quoted when it holds a comma, quote or line break or equals `null`.
fn csv_text(out: &mut String, text: &str, null: &str) {
    if text.contains([',', '"', '\n', '\r']) || (text == null && !text.is_empty()) {
        out.push('"');
        out.push_str(&text.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(text);
    }
}

fn json_field(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(f) if f.is_finite() => {
            let _ = write!(out, "{f}");
        }
        Value::Json(j) => out.push_str(j),
        other => out.push_str(&json_string(&other.to_string())),
    }
}

fn run_export(
    c: &mut DatabaseConnection,
    sql: &str,
    args: &[Value],
    sink: &mut dyn Write,
    o: &Options,
) -> Result<INT, String> {
    let (cols, first) = c
        .query_start(sql, args, EXPORT_BATCH_ROWS)
        .map_err(|e| e.to_string())?;
    let names: Vec<String> = cols.iter().map(|c| c.name.to_string()).collect();
    let width = names.len().max(1);
    let null = o.null();
    let mut line = String::with_capacity(FLUSH_BYTES + 4096);
    if o.header && o.format == Format::Csv {
        for (i, n) in names.iter().enumerate() {
            if i > 0 {
                line.push(',');
            }
            csv_text(&mut line, n, "");
        }
        line.push('\n');
    }
    let mut rows: INT = 0;
    let mut batch = first;
    loop {
        for row in batch.values.chunks(width) {
            match o.format {
                Format::Csv | Format::Text => {
                    for (i, v) in row.iter().enumerate() {
                        if i > 0 {
                            line.push(if o.format == Format::Csv { ',' } else { '\t' });
                        }
                        if o.format == Format::Csv {
                            csv_field(&mut line, v, null)
                        } else {
                            copy_text(&mut line, v, null)
                        }
                    }
                }
                Format::JsonLines => {
                    line.push('{');
                    for (i, v) in row.iter().enumerate() {
                        if i > 0 {
                            line.push(',');
                        }
                        line.push_str(&json_string(&names[i]));
                        line.push(':');
                        json_field(&mut line, v);
                    }
                    line.push('}');
                }
            }
            line.push('\n');
            rows += 1;
            if line.len() > FLUSH_BYTES {
                sink.write_all(line.as_bytes()).map_err(|e| e.to_string())?;
                line.clear();
            }
        }
        if batch.done {
            break;
        }
        batch = c.fetch(EXPORT_BATCH_ROWS).map_err(|e| e.to_string())?;
    }
    sink.write_all(line.as_bytes()).map_err(|e| e.to_string())?;
    sink.flush().map_err(|e| e.to_string())?;
    Ok(rows)
}

/// Rows in COPY text or CSV bytes: line ends outside CSV quotes.
struct RowCounter {
    csv: bool,
    quoted: bool,
    rows: i64,
}

impl RowCounter {
    fn count(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if self.csv && b == b'"' {
                self.quoted = !self.quoted;
            } else if b == b'\n' && !self.quoted {
                self.rows += 1;
            }
        }
    }
}

/// Exports through the driver's native COPY when it has one: `sql` is a table name (one
/// word) or a query. `None` when the driver has no native export (the generic path then
/// writes the rows as before).
fn native_export(
    db: &Db,
    sql: &str,
    o: &Options,
    sink: &mut dyn Write,
    path: &str,
) -> RhaiResult<Option<INT>> {
    let trimmed = sql.trim().trim_end_matches(';');
    let source = if trimmed.split_whitespace().count() == 1 {
        let (schema, table) = match trimmed.split_once('.') {
            Some((s, t)) => (s.to_string(), t.to_string()),
            None => (String::new(), trimmed.to_string()),
        };
        CopySource {
            schema,
            table: super::copy_in::unquote(&table),
            ..Default::default()
        }
    } else {
        CopySource::query(trimmed)
    };
    let (format, csv) = if o.format == Format::Csv {
        (BulkFormat::Csv, true)
    } else {
        (BulkFormat::Text, false)
    };
    let header = csv && o.header;
    let mut failure = None;
    let rows = db.with(|c| {
        let mut out = c.copy_out_start(&source, format, header)?;
        if !out.is_native() {
            return Ok(None);
        }
        let mut counter = RowCounter {
            csv,
            quoted: false,
            rows: if header { -1 } else { 0 },
        };
        while let Some(chunk) = out.next_chunk(DEFAULT_CHUNK_BYTES, DEFAULT_CHUNK_ROWS)? {
            counter.count(chunk.bytes());
            if let Err(e) = sink.write_all(chunk.bytes()) {
                failure = Some(e);
                return Ok(Some(0));
            }
        }
        Ok(Some(counter.rows.max(0)))
    })?;
    if let Some(e) = failure.or_else(|| sink.flush().err()) {
        return Err(runtime(format!("copy_out to {path}: {e}")));
    }
    Ok(rows)
}

/// Writes the rows of `sql` to `path` (`-`: standard output) as `o` says; returns the number
/// of rows written. The error names the file.
pub fn copy_out(db: &Db, sql: &str, args: &[Value], path: &str, o: &Options) -> RhaiResult<INT> {
    // Lines are gathered in `run_export`'s own buffer and written in large chunks, so the
    // sink needs no second buffer.
    let mut sink: Box<dyn Write> = if path == "-" {
        Box::new(std::io::stdout().lock())
    } else {
        Box::new(
            std::fs::File::create(path)
                .map_err(|e| runtime(format!("copy_out(): cannot create {path}: {e}")))?,
        )
    };

    if args.is_empty() && o.null.is_none() && o.format != Format::JsonLines {
        if let Some(rows) = native_export(db, sql, o, &mut sink, path)? {
            return Ok(rows);
        }
    }
    let mut failure = None;
    let rows = db.with(|c| {
        Ok(run_export(c, sql, args, &mut sink, o).unwrap_or_else(|e| {
            failure = Some(e);
            0
        }))
    })?;
    match failure {
        Some(e) => Err(runtime(format!("copy_out to {path}: {e}"))),
        None => Ok(rows),
    }
}

/// Registers `copy_out`.
pub fn register(module: &mut Module) {
    function("copy_out").set_into_module(module, |db: &mut Db, sql: &str, path: &str| {
        copy_out(db, sql, &[], path, &options(&Map::new())?)
    });
    function("copy_out").set_into_module(module, |db: &mut Db, sql: &str, path: &str, o: Map| {
        copy_out(db, sql, &[], path, &options(&o)?)
    });
    function("copy_out").set_into_module(
        module,
        |db: &mut Db, sql: &str, args: Array, path: &str, o: Map| {
            copy_out(db, sql, &params(&args)?, path, &options(&o)?)
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv(values: &[Value], null: &str) -> String {
        let mut out = String::new();
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            csv_field(&mut out, v, null);
        }
        out
    }

    #[test]
    fn csv_keeps_null_and_the_empty_string_apart() {
        let row = [
            Value::Null,
            Value::Text("".into()),
            Value::Text("a,b".into()),
            Value::Text("say \"hi\"".into()),
            Value::Int(-7),
        ];
        assert_eq!(csv(&row, ""), ",\"\",\"a,b\",\"say \"\"hi\"\"\",-7");
        let row = [
            Value::Null,
            Value::Text("NULL".into()),
            Value::Text("".into()),
        ];
        assert_eq!(csv(&row, "NULL"), "NULL,\"NULL\",");
    }

    #[test]
    fn text_format_escapes_and_writes_the_null_string() {
        let mut out = String::new();
        copy_text(&mut out, &Value::Text("a\tb\\c\nd".into()), "\\N");
        out.push('|');
        copy_text(&mut out, &Value::Null, "\\N");
        assert_eq!(out, "a\\tb\\\\c\\nd|\\N");
    }
}
