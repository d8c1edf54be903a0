//! Rendering results as an aligned table (psql style), JSON or CSV.

use crate::engine::row::Row;
use crate::engine::value::{json_string, to_json};
use rhai::{Array, Dynamic, Map};
use std::sync::OnceLock;
use unicode_width::UnicodeWidthStr;

static NULL_MARKER: OnceLock<String> = OnceLock::new();

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
    /// Aligned columns with a header and a row count.
    #[default]
    Table,
    /// A JSON array of objects (columns in order).
    Json,
    /// CSV with a header line.
    Csv,
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
        matches!(self, Format::Table | Format::Json | Format::Csv)
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
            Format::Csv => self.csv(),
            Format::Text | Format::Toml | Format::Sarif => self.table(),
        }
    }

    fn table(&self) -> String {
        // Line breaks inside a value show as `↵`, so every row stays one line.
        let cells: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|r| {
                r.iter()
                    .map(|v| {
                        let c = cell(v);
                        if c.contains('\n') {
                            c.replace('\n', "↵")
                        } else {
                            c
                        }
                    })
                    .collect()
            })
            .collect();
        let mut widths: Vec<usize> = self.columns.iter().map(|c| c.width()).collect();
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
        let header: Vec<String> = self
            .columns
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
        let w = self.columns.iter().map(|c| c.width()).max().unwrap_or(0);
        let mut out = String::new();
        for (n, row) in self.rows.iter().enumerate() {
            out.push_str(&format!(
                "-[ RECORD {} ]{}\n",
                n + 1,
                "-".repeat(w.saturating_sub(8).max(4))
            ));
            for (c, v) in self.columns.iter().zip(row) {
                out.push_str(&format!("{c}{} | {}\n", " ".repeat(w - c.width()), cell(v)));
            }
        }
        out
    }

    fn json(&self) -> String {
        let rows: Vec<String> = self
            .rows
            .iter()
            .map(|r| {
                let fields: Vec<String> = self
                    .columns
                    .iter()
                    .zip(r)
                    .map(|(c, v)| format!("{}:{}", json_string(c), to_json(v)))
                    .collect();
                format!("{{{}}}", fields.join(","))
            })
            .collect();
        format!("[{}]\n", rows.join(",\n "))
    }

    /// CSV with a header line and RFC 4180 quoting (lines end in LF): a field is quoted when
    /// it holds a comma, quote or line break, and an empty string is written `""` so that it
    /// differs from NULL (which is the NULL marker, empty by default).
    fn csv(&self) -> String {
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
            Format::Csv => Some(String::new()),
            _ => Some("[]\n".into()),
        };
    }
    let text = match format {
        Format::Json => to_json(d),
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
        let quoted = Tabular {
            columns: vec!["a".into(), "b,c".into()],
            rows: vec![vec![Dynamic::from(""), Dynamic::from("x\"y")]],
        };
        assert_eq!(
            quoted.render(Format::Csv, false),
            "a,\"b,c\"\n\"\",\"x\"\"y\"\n"
        );
        let empty = Tabular {
            columns: vec!["id".into()],
            rows: vec![],
        };
        assert_eq!(empty.render(Format::Csv, false), "id\n");
        assert_eq!(empty.render(Format::Table, false), " id \n----\n(0 rows)\n");
        assert_eq!(
            t.render(Format::Json, false),
            "[{\"id\":1,\"name\":\"ann\"},\n {\"id\":10,\"name\":null}]\n"
        );
    }
}
