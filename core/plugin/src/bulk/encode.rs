//! Encoding typed rows as PostgreSQL COPY text and CSV, for engines without a native COPY.
//!
//! The forms follow what PostgreSQL writes for its own types: booleans `t`/`f`, bytes as
//! `\x` hex, NULL as `\N` in text and as an empty unquoted field in CSV (an empty string is
//! then quoted, `""`, so the two stay apart).

use crate::canonical::push_digits;
use myrmex_abi::Value;
use std::fmt::Write as _;

/// Appends a value's text as PostgreSQL would print it (NULL appends nothing).
pub fn push_plain(out: &mut String, v: &Value) {
    match v {
        Value::Null => {}
        Value::Bool(b) => out.push(if *b { 't' } else { 'f' }),
        Value::Int(i) => {
            if *i < 0 {
                out.push('-');
            }
            push_digits(out, i.unsigned_abs(), 1);
        }
        Value::Float(f) => {
            if f.is_nan() {
                out.push_str("NaN");
            } else if f.is_infinite() {
                out.push_str(if *f > 0.0 { "Infinity" } else { "-Infinity" });
            } else {
                let _ = write!(out, "{f}");
            }
        }
        Value::Blob(b) => {
            out.push_str("\\x");
            for byte in b.iter() {
                let _ = write!(out, "{byte:02x}");
            }
        }
        Value::Uuid(u) => out.push_str(&Value::format_uuid(u)),
        other => match other.as_text() {
            Some(s) => out.push_str(s),
            None => {
                let _ = write!(out, "{other}");
            }
        },
    }
}

/// Appends one field in COPY text format: `\N` for NULL, backslash, tab, newline and
/// carriage return escaped.
pub fn push_text_field(out: &mut String, v: &Value) {
    if v.is_null() {
        out.push_str("\\N");
        return;
    }
    let start = out.len();
    push_plain(out, v);
    if out[start..].contains(['\\', '\t', '\n', '\r']) {
        let raw = out.split_off(start);
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

/// Appends one CSV field: NULL empty and unquoted; a value quoted when it holds a comma,
/// quote or line break, or is empty, or is `\.` (which would read as the end marker).
pub fn push_csv_field(out: &mut String, v: &Value) {
    if v.is_null() {
        return;
    }
    let start = out.len();
    push_plain(out, v);
    push_csv_quoted_from(out, start);
}

/// Appends a CSV header field (a column name).
pub fn push_csv_name(out: &mut String, name: &str) {
    let start = out.len();
    out.push_str(name);
    push_csv_quoted_from(out, start);
}

fn push_csv_quoted_from(out: &mut String, start: usize) {
    let field = &out[start..];
    if field.is_empty() || field == "\\." || field.contains([',', '"', '\n', '\r']) {
        let raw = out.split_off(start);
        out.push('"');
        out.push_str(&raw.replace('"', "\"\""));
        out.push('"');
    }
}

/// Appends one row (no line end is missing: the row ends with `\n`).
pub fn push_row(out: &mut String, row: &[Value], csv: bool) {
    for (i, v) in row.iter().enumerate() {
        if i > 0 {
            out.push(if csv { ',' } else { '\t' });
        }
        if csv {
            push_csv_field(out, v);
        } else {
            push_text_field(out, v);
        }
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(row: &[Value], csv: bool) -> String {
        let mut s = String::new();
        push_row(&mut s, row, csv);
        s
    }

    #[test]
    fn text_escapes_and_nulls() {
        let row = [
            Value::Int(-3),
            Value::Null,
            Value::from("a\tb\nc\\d"),
            Value::Bool(true),
            Value::Blob(vec![0, 255].into()),
        ];
        assert_eq!(line(&row, false), "-3\t\\N\ta\\tb\\nc\\\\d\tt\t\\x00ff\n");
    }

    #[test]
    fn csv_keeps_null_and_empty_apart() {
        let row = [
            Value::Null,
            Value::from(""),
            Value::from("a,\"b\""),
            Value::from("x"),
        ];
        assert_eq!(line(&row, true), ",\"\",\"a,\"\"b\"\"\",x\n");
    }
}
