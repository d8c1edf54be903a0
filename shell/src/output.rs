//! Rendering results as an aligned table (psql style), CSV, TSV, JSON, JSON lines or a
//! markdown table.

use crate::engine::row::Row;
use crate::engine::value::{json_string, to_json, SqlValue};
use myrmex_core::Value;
use rhai::{Array, Dynamic, Map};
use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;
use unicode_width::UnicodeWidthStr;

static NULL_MARKER: OnceLock<String> = OnceLock::new();
static CSV_CRLF: AtomicBool = AtomicBool::new(false);

/// Ends CSV lines with CRLF instead of LF (`--csv-crlf`).
pub fn set_csv_crlf(on: bool) {
    CSV_CRLF.store(on, Ordering::Relaxed);
}

/// Sets how NULL is shown in table and CSV output (`--null`; empty by default, and in CSV
/// an empty string is then written `""` so the two stay apart, as psql does).
pub fn set_null_marker(marker: String) {
    let _ = NULL_MARKER.set(marker);
}

fn null_marker() -> &'static str {
    NULL_MARKER.get().map_or("", String::as_str)
}

/// Output format of tabular results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum Format {
    /// Aligned columns with a header and a row count (`aligned` is the same).
    #[default]
    #[value(alias = "aligned")]
    Table,
    /// A JSON array of objects (columns in order).
    Json,
    /// One JSON object per row, one row per line.
    Jsonl,
    /// CSV with a header line (RFC 4180).
    Csv,
    /// Tab-separated values with a header line; tab, line break and backslash escaped.
    Tsv,
    /// A markdown pipe table.
    Markdown,
    /// Plain text report (`myrmex schema lint`).
    Text,
    /// TOML (`myrmex schema inspect`).
    Toml,
    /// SARIF 2.1.0 (`myrmex schema lint`, for code-scanning tools).
    Sarif,
}

impl Format {
    /// Whether tabular results (query output, `plugins`) can be printed this way.
    pub fn is_tabular(self) -> bool {
        matches!(
            self,
            Format::Table
                | Format::Json
                | Format::Jsonl
                | Format::Csv
                | Format::Tsv
                | Format::Markdown
        )
    }

    /// The format named `name` as `--format` spells it (`table`, `aligned`, `csv`, …).
    pub fn from_name(name: &str) -> Option<Format> {
        <Format as clap::ValueEnum>::from_str(name, true).ok()
    }
}

/// A result ready to print.
pub struct Tabular {
    /// Column names.
    pub columns: Vec<String>,
    /// Rows of cells.
    pub rows: Vec<Vec<Dynamic>>,
}

impl Tabular {
    /// A tabular view of a script value: an array of rows or maps, one row, or one map.
    pub fn from_dynamic(d: &Dynamic) -> Option<Tabular> {
        if let Some(r) = d.read_lock::<Row>() {
            return Some(Tabular {
                columns: r.columns().iter().map(|c| c.to_string()).collect(),
                rows: vec![r.values().to_vec()],
            });
        }
        if let Some(columns) = crate::engine::row::empty_result_columns(d) {
            return Some(Tabular {
                columns: columns.iter().map(|c| c.to_string()).collect(),
                rows: Vec::new(),
            });
        }
        let arr = d.read_lock::<Array>()?;
        if arr.is_empty() {
            return None;
        }
        if let Some(first) = arr[0].read_lock::<Row>() {
            let columns: Vec<String> = first.columns().iter().map(|c| c.to_string()).collect();
            let mut rows = Vec::with_capacity(arr.len());
            for item in arr.iter() {
                let r = item.read_lock::<Row>()?;
                if r.columns().len() != columns.len() {
                    return None;
                }
                rows.push(r.values().to_vec());
            }
            return Some(Tabular { columns, rows });
        }
        if arr[0].is_map() {
            let mut columns: Vec<String> = Vec::new();
            for item in arr.iter() {
                let m = item.read_lock::<Map>()?;
                for k in m.keys() {
                    if !columns.iter().any(|c| c == k.as_str()) {
                        columns.push(k.to_string());
                    }
                }
            }
            let rows = arr
                .iter()
                .map(|item| {
                    let m = item.read_lock::<Map>().expect("checked above");
                    columns
                        .iter()
                        .map(|c| m.get(c.as_str()).cloned().unwrap_or(Dynamic::UNIT))
                        .collect()
                })
                .collect();
            return Some(Tabular { columns, rows });
        }
        None
    }

    /// Renders in `format`; `expanded` prints one `column | value` block per row.
    pub fn render(&self, format: Format, expanded: bool) -> String {
        match format {
            Format::Table if expanded => self.expanded(),
            Format::Table => self.table(),
            Format::Json => self.json(),
            Format::Jsonl => self.jsonl(),
            Format::Csv => self.csv(),
            Format::Tsv => self.tsv(),
            Format::Markdown => self.markdown(),
            Format::Text | Format::Toml | Format::Sarif => self.table(),
        }
    }

    fn table(&self) -> String {
        // Line breaks inside a value show as `↵` and other control characters as escapes,
        // so every row stays one line and no escape sequence reaches the terminal.
        let cells: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|r| {
                r.iter()
                    .map(|v| {
                        let c = cell(v);
                        match escape_controls(&c) {
                            Cow::Borrowed(_) => c,
                            Cow::Owned(e) => e,
                        }
                    })
                    .collect()
            })
            .collect();
        let columns: Vec<Cow<str>> = self.columns.iter().map(|c| escape_controls(c)).collect();
        let mut widths: Vec<usize> = columns.iter().map(|c| c.width()).collect();
        for row in &cells {
            for (i, c) in row.iter().enumerate() {
                widths[i] = widths[i].max(text_width(c));
            }
        }
        let numeric: Vec<bool> = (0..self.columns.len())
            .map(|i| {
                self.rows
                    .iter()
                    .all(|r| r[i].is_int() || r[i].is_float() || r[i].is_unit())
                    && !self.rows.is_empty()
            })
            .collect();
        let mut out = String::new();
        let header: Vec<String> = columns
            .iter()
            .enumerate()
            .map(|(i, c)| center(c, widths[i]))
            .collect();
        out.push(' ');
        out.push_str(&header.join(" | "));
        out.push_str(" \n");
        out.push_str(
            &widths
                .iter()
                .map(|w| "-".repeat(w + 2))
                .collect::<Vec<_>>()
                .join("+"),
        );
        out.push('\n');
        // Written straight into `out`: tables of many thousand rows (`migrate status`) stay fast.
        for row in &cells {
            out.push(' ');
            for (i, c) in row.iter().enumerate() {
                if i > 0 {
                    out.push_str(" | ");
                }
                let pad = widths[i].saturating_sub(text_width(c));
                if numeric[i] {
                    out.extend(std::iter::repeat_n(' ', pad));
                    out.push_str(c);
                } else {
                    out.push_str(c);
                    out.extend(std::iter::repeat_n(' ', pad));
                }
            }
            out.truncate(out.trim_end_matches(' ').len());
            out.push('\n');
        }
        let n = self.rows.len();
        out.push_str(&format!("({n} row{})\n", if n == 1 { "" } else { "s" }));
        out
    }

    fn expanded(&self) -> String {
        let columns: Vec<Cow<str>> = self.columns.iter().map(|c| escape_controls(c)).collect();
        let w = columns.iter().map(|c| c.width()).max().unwrap_or(0);
        let mut out = String::new();
        for (n, row) in self.rows.iter().enumerate() {
            out.push_str(&format!(
                "-[ RECORD {} ]{}\n",
                n + 1,
                "-".repeat(w.saturating_sub(8).max(4))
            ));
            for (c, v) in columns.iter().zip(row) {
                out.push_str(&format!(
                    "{c}{} | {}\n",
                    " ".repeat(w - c.width()),
                    escape_controls(&cell(v))
                ));
            }
        }
        out
    }

    /// One JSON object per row, columns in order.
    fn json_objects(&self) -> Vec<String> {
        self.rows
            .iter()
            .map(|r| {
                let fields: Vec<String> = self
                    .columns
                    .iter()
                    .zip(r)
                    .map(|(c, v)| format!("{}:{}", json_string(c), json_cell(v)))
                    .collect();
                format!("{{{}}}", fields.join(","))
            })
            .collect()
    }

    fn json(&self) -> String {
        format!("[{}]\n", self.json_objects().join(",\n "))
    }

    fn jsonl(&self) -> String {
        let mut out = String::new();
        for o in self.json_objects() {
            out.push_str(&o);
            out.push('\n');
        }
        out
    }

    /// Tab-separated values with a header line: NULL is the NULL marker, and a tab, line
    /// break, carriage return or backslash in a value is written `\t`, `\n`, `\r`, `\\`, so
    /// every row is one line of exactly one field per column.
    fn tsv(&self) -> String {
        let mut out = String::new();
        let line = |out: &mut String, fields: &mut dyn Iterator<Item = Option<String>>| {
            for (i, f) in fields.enumerate() {
                if i > 0 {
                    out.push('\t');
                }
                match f {
                    None => out.push_str(null_marker()),
                    Some(t) => {
                        for ch in t.chars() {
                            match ch {
                                '\t' => out.push_str("\\t"),
                                '\n' => out.push_str("\\n"),
                                '\r' => out.push_str("\\r"),
                                '\\' => out.push_str("\\\\"),
                                c => out.push(c),
                            }
                        }
                    }
                }
            }
            out.push('\n');
        };
        line(&mut out, &mut self.columns.iter().map(|c| Some(c.clone())));
        for r in &self.rows {
            line(
                &mut out,
                &mut r.iter().map(|v| (!v.is_unit()).then(|| cell(v))),
            );
        }
        out
    }

    /// A markdown (GitHub) pipe table: `|` in a value is written `\|`, a line break `<br>`,
    /// other control characters as escapes.
    fn markdown(&self) -> String {
        fn md(s: &str) -> String {
            let s = s.replace("\r\n", "\n");
            let mut out = String::with_capacity(s.len());
            for part in s.split('\n').enumerate() {
                if part.0 > 0 {
                    out.push_str("<br>");
                }
                out.push_str(&escape_controls(part.1).replace('|', "\\|"));
            }
            out
        }
        let mut out = String::new();
        let row = |out: &mut String, cells: Vec<String>| {
            out.push('|');
            for c in cells {
                out.push(' ');
                out.push_str(&c);
                out.push_str(" |");
            }
            out.push('\n');
        };
        row(&mut out, self.columns.iter().map(|c| md(c)).collect());
        row(
            &mut out,
            self.columns.iter().map(|_| "---".into()).collect(),
        );
        for r in &self.rows {
            row(&mut out, r.iter().map(|v| md(&cell(v))).collect());
        }
        out
    }

    /// CSV with a header line and RFC 4180 quoting (lines end in LF): a field is quoted when
    /// it holds a comma, quote or line break, and an empty string is written `""` so that it
    /// differs from NULL (which is the NULL marker, empty by default).
    fn csv(&self) -> String {
        let eol = if CSV_CRLF.load(Ordering::Relaxed) {
            "\r\n"
        } else {
            "\n"
        };
        let mut out = String::new();
        let line = |out: &mut String, fields: &mut dyn Iterator<Item = Option<String>>| {
            for (i, f) in fields.enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let needs_quotes = |t: &str| t.contains([',', '"', '\n', '\r']);
                match f {
                    None if !needs_quotes(null_marker()) => out.push_str(null_marker()),
                    None => {
                        out.push('"');
                        out.push_str(&null_marker().replace('"', "\"\""));
                        out.push('"');
                    }
                    Some(t) if t.is_empty() || needs_quotes(&t) => {
                        out.push('"');
                        out.push_str(&t.replace('"', "\"\""));
                        out.push('"');
                    }
                    Some(t) => out.push_str(&t),
                }
            }
            out.push_str(eol);
        };
        line(&mut out, &mut self.columns.iter().map(|c| Some(c.clone())));
        for r in &self.rows {
            line(
                &mut out,
                &mut r.iter().map(|v| (!v.is_unit()).then(|| cell(v))),
            );
        }
        out
    }
}

/// `s` with control characters made visible, for output read on a terminal: a line break
/// shows as `↵`, a carriage return as `\r`, a tab as `\t`, other C0 controls and DEL as
/// `\x1b`-style escapes and C1 controls as `\u009b`-style escapes. Borrowed when there is
/// nothing to escape.
pub fn escape_controls(s: &str) -> Cow<'_, str> {
    let is_control = |c: char| c.is_control();
    if !s.contains(is_control) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push('↵'),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x80 && c.is_control() => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// The JSON of one result value: a JSON-typed value (json columns, PostgreSQL arrays) as
/// the JSON itself, NaN and the infinities as the strings `"NaN"`, `"Infinity"`,
/// `"-Infinity"` (JSON has no number for them), anything else as [`to_json`] writes it.
fn json_cell(d: &Dynamic) -> String {
    if let Some(v) = d.read_lock::<SqlValue>() {
        return match &v.0 {
            Value::Json(text) if is_json(text) => {
                // Line breaks outside strings are only whitespace (inside a JSON string they
                // are escaped): drop them so a JSON line stays one line.
                text.replace(['\n', '\r'], " ")
            }
            other => json_string(&other.to_string()),
        };
    }
    if let Ok(f) = d.as_float() {
        if let Some(name) = non_finite_name(f) {
            return json_string(name);
        }
    }
    to_json(d)
}

/// Whether `text` is one well-formed JSON value (a JSON-declared SQLite column may hold
/// anything).
fn is_json(text: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(text).is_ok()
}

/// How NaN and the infinities print: `NaN`, `Infinity`, `-Infinity` (as PostgreSQL writes
/// them); `None` for a finite number.
fn non_finite_name(f: f64) -> Option<&'static str> {
    if f.is_nan() {
        Some("NaN")
    } else if f == f64::INFINITY {
        Some("Infinity")
    } else if f == f64::NEG_INFINITY {
        Some("-Infinity")
    } else {
        None
    }
}

/// Display width; ASCII (the common case) needs no Unicode tables.
fn text_width(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.width()
    }
}

fn center(s: &str, width: usize) -> String {
    let pad = width.saturating_sub(s.width());
    let left = pad / 2;
    format!("{}{s}{}", " ".repeat(left), " ".repeat(pad - left))
}

/// The text of one cell: NULL is the NULL marker (empty by default), blobs are `\x…` hex,
/// strings unquoted.
pub fn cell(d: &Dynamic) -> String {
    if d.is_unit() {
        return null_marker().to_string();
    }
    if let Some(b) = d.read_lock::<rhai::Blob>() {
        let mut s = String::from("\\x");
        for byte in b.iter() {
            s.push_str(&format!("{byte:02x}"));
        }
        return s;
    }
    if d.is_map() || d.is_array() {
        return to_json(d);
    }
    if let Some(v) = d.read_lock::<SqlValue>() {
        return v.0.to_string();
    }
    if let Some(name) = d.as_float().ok().and_then(non_finite_name) {
        return name.to_string();
    }
    d.to_string()
}

/// Renders any script value for `-e` and the REPL: tables for rows, JSON/CSV when asked,
/// plain text otherwise. `None` for `()`.
pub fn render_value(d: &Dynamic, format: Format, expanded: bool) -> Option<String> {
    if d.is_unit() {
        return None;
    }
    if let Some(t) = Tabular::from_dynamic(d) {
        return Some(t.render(format, expanded));
    }
    if d.read_lock::<Array>().is_some_and(|a| a.is_empty()) {
        // No columns are known: no header to print.
        return match format {
            Format::Table => Some("(0 rows)\n".into()),
            Format::Csv | Format::Tsv | Format::Jsonl | Format::Markdown => Some(String::new()),
            Format::Json | Format::Text | Format::Toml | Format::Sarif => Some("[]\n".into()),
        };
    }
    let text = match format {
        Format::Json | Format::Jsonl => to_json(d),
        _ if d.is_map() || d.is_array() => pretty(d),
        _ => d.to_string(),
    };
    Some(format!("{text}\n"))
}

fn pretty(d: &Dynamic) -> String {
    if let Some(r) = d.read_lock::<Row>() {
        return r.to_json();
    }
    format!("{d:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn psql_style_table() {
        let t = Tabular {
            columns: vec!["id".into(), "name".into()],
            rows: vec![
                vec![Dynamic::from_int(1), Dynamic::from("ann")],
                vec![Dynamic::from_int(10), Dynamic::UNIT],
            ],
        };
        assert_eq!(
            t.render(Format::Table, false),
            " id | name \n----+------\n  1 | ann\n 10 |\n(2 rows)\n"
        );
        assert_eq!(t.render(Format::Csv, false), "id,name\n1,ann\n10,\n");
        assert_eq!(
            t.render(Format::Json, false),
            "[{\"id\":1,\"name\":\"ann\"},\n {\"id\":10,\"name\":null}]\n"
        );
        let t = Tabular {
            columns: vec!["a".into(), "b,c".into()],
            rows: vec![vec![Dynamic::from(""), Dynamic::from("x\"y")]],
        };
        assert_eq!(t.render(Format::Csv, false), "a,\"b,c\"\n\"\",\"x\"\"y\"\n");
        let empty = Tabular {
            columns: vec!["id".into()],
            rows: vec![],
        };
        assert_eq!(empty.render(Format::Csv, false), "id\n");
        assert_eq!(empty.render(Format::Table, false), " id \n----\n(0 rows)\n");
    }

    #[test]
    fn control_characters_never_reach_the_terminal() {
        assert_eq!(escape_controls("plain ✓"), Cow::Borrowed("plain ✓"));
        assert_eq!(
            escape_controls("a\r\x1b[31mb\tc\nd\u{7f}\u{9b}"),
            "a\\r\\x1b[31mb\\tc↵d\\x7f\\u009b"
        );
        let t = Tabular {
            columns: vec!["s\x07".into()],
            rows: vec![vec![Dynamic::from("x\ry")]],
        };
        assert_eq!(
            t.render(Format::Table, false),
            " s\\x07 \n-------\n x\\ry\n(1 row)\n"
        );
    }

    #[test]
    fn tsv_markdown_and_json_lines() {
        let t = Tabular {
            columns: vec!["a".into(), "f".into(), "j".into()],
            rows: vec![vec![
                Dynamic::from("x\ty\\z|w\nv"),
                Dynamic::from_float(f64::NAN),
                Dynamic::from(SqlValue(Value::Json("[1,\n2]".into()))),
            ]],
        };
        assert_eq!(
            t.render(Format::Tsv, false),
            "a\tf\tj\nx\\ty\\\\z|w\\nv\tNaN\t[1,\\n2]\n"
        );
        assert_eq!(
            t.render(Format::Markdown, false),
            "| a | f | j |\n| --- | --- | --- |\n| x\\ty\\z\\|w<br>v | NaN | [1,<br>2] |\n"
        );
        assert_eq!(
            t.render(Format::Jsonl, false),
            "{\"a\":\"x\\ty\\\\z|w\\nv\",\"f\":\"NaN\",\"j\":[1, 2]}\n"
        );
        let bad = Tabular {
            columns: vec!["j".into()],
            rows: vec![vec![Dynamic::from(SqlValue(Value::Json(
                "not json".into(),
            )))]],
        };
        assert_eq!(bad.render(Format::Json, false), "[{\"j\":\"not json\"}]\n");
        assert_eq!(Format::from_name("aligned"), Some(Format::Table));
        assert_eq!(Format::from_name("JSONL"), Some(Format::Jsonl));
    }
}
