//! Verifying a copied table: a row count and a content checksum computed the same way on
//! rows read back from each side, whatever the engines.
//!
//! Each value is put in a canonical form first, so that what the engines store differently
//! for the same datum compares equal: numbers (integers, booleans, exact decimals, floats)
//! as their shortest decimal text (`1.50` and `1.5` and the double 1.5 agree, `true` is
//! `1`), temporal values as ISO text without trailing fractional zeros (a timestamp with
//! zone as its UTC instant), JSON documents re-serialised with sorted keys, UUIDs in their
//! hyphenated text, text and bytes as they are. Kinds are tagged (number, text, bytes) so
//! that `1` and `'1'` differ.
//!
//! The checksum of a table is the sum (mod 2^128) of the SHA-256 prefixes of its rows: it
//! does not depend on the order rows come back in (engines order text keys by different
//! collations), and a missing, extra or duplicated row changes it.

use super::plan::{self, TablePlan};
use super::CopyObserver;
use crate::bulk::{BulkFormat, CopySource, DEFAULT_CHUNK_BYTES};
use crate::{DatabaseConnection, Error, Result, Value};
use sha2::{Digest, Sha256};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// A table's row count and content checksum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Checksum {
    /// Rows.
    pub rows: u64,
    /// Sum of the rows' hashes.
    pub sum: u128,
}

impl Checksum {
    /// The checksum as 32 hex digits.
    pub fn hex(&self) -> String {
        format!("{:032x}", self.sum)
    }
}

/// Both sides of a verified table.
#[derive(Debug, Clone, Copy)]
pub struct Verified {
    /// The source's.
    pub source: Checksum,
    /// The target's.
    pub target: Checksum,
}

/// Trims `1.500` to `1.5`, `2.000` to `2`, `-0.0` to `0`.
fn trim_number(s: &str) -> String {
    let s = s.trim();
    let (neg, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let mut t = if digits.contains('.') {
        digits
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    } else {
        digits.to_string()
    };
    let int_end = t.find('.').unwrap_or(t.len());
    let lead = t[..int_end].len() - t[..int_end].trim_start_matches('0').len();
    t.drain(..lead.min(int_end.saturating_sub(1)));
    if t.starts_with('.') {
        t.insert(0, '0');
    }
    if t.is_empty() || t == "0" {
        return "0".into();
    }
    if neg {
        format!("-{t}")
    } else {
        t
    }
}

/// `12:00:00.500000` to `12:00:00.5`; `…:00.000000` to `…:00`.
fn trim_fraction(s: &str) -> &str {
    match s.rfind('.') {
        Some(dot) if s[dot + 1..].bytes().all(|b| b.is_ascii_digit()) => {
            let t = s.trim_end_matches('0');
            t.strip_suffix('.').unwrap_or(t)
        }
        _ => s,
    }
}

fn json(text: &str) -> Option<String> {
    let t = text.trim_start();
    if !(t.starts_with('{') || t.starts_with('[')) {
        return None;
    }
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| serde_json::to_string(&v).ok())
}

/// Appends the canonical form of `v` (see the module documentation) to `out`.
pub fn canonical(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Null => out.push(0),
        Value::Bool(b) => {
            out.extend_from_slice(if *b { b"N1" } else { b"N0" });
        }
        Value::Int(i) => {
            out.push(b'N');
            out.extend_from_slice(i.to_string().as_bytes());
        }
        Value::Float(f) => {
            out.push(b'N');
            if f.is_finite() {
                out.extend_from_slice(trim_number(&format!("{f}")).as_bytes());
            } else {
                out.extend_from_slice(format!("{f}").as_bytes());
            }
        }
        Value::Decimal(d) => {
            out.push(b'N');
            out.extend_from_slice(trim_number(d).as_bytes());
        }
        Value::Text(t) => {
            out.push(b'T');
            match json(t) {
                Some(j) => out.extend_from_slice(j.as_bytes()),
                None => out.extend_from_slice(t.as_bytes()),
            }
        }
        Value::Json(t) => {
            out.push(b'T');
            out.extend_from_slice(json(t).as_deref().unwrap_or(t).as_bytes());
        }
        Value::Date(t) | Value::Time(t) | Value::Timestamp(t) => {
            out.push(b'T');
            out.extend_from_slice(trim_fraction(t).as_bytes());
        }
        Value::TimestampTz(t) => {
            out.push(b'T');
            match myrmex_plugin::canonical::parse_timestamp(t) {
                Some(ts) => {
                    let utc = myrmex_plugin::canonical::to_utc(&ts);
                    out.extend_from_slice(trim_fraction(&utc).as_bytes());
                }
                None => out.extend_from_slice(t.as_bytes()),
            }
        }
        Value::Blob(b) => {
            out.push(b'B');
            out.extend_from_slice(b);
        }
        Value::Uuid(u) => {
            out.push(b'T');
            out.extend_from_slice(Value::format_uuid(u).as_bytes());
        }
        other => {
            out.push(b'?');
            out.extend_from_slice(format!("{other:?}").as_bytes());
        }
    }
    // A separator no canonical form contains unescaped at this position.
    out.push(0xff);
}

/// The checksum of the rows `sql` returns on `conn`.
pub fn checksum(conn: &mut DatabaseConnection, sql: &str) -> Result<Checksum> {
    checksum_padded(conn, sql, &[])
}

/// [`checksum`], with the text of the columns `pad` marks (fixed-length `CHAR(n)`) compared
/// without trailing spaces: PostgreSQL keeps a `CHAR(n)` value padded, MySQL strips the pad
/// on reading, and both compare such values without it.
pub fn checksum_padded(conn: &mut DatabaseConnection, sql: &str, pad: &[bool]) -> Result<Checksum> {
    let name = conn.name.clone();
    let mut out = conn.copy_out_start(&CopySource::query(sql), BulkFormat::Rows, false)?;
    let columns = out.columns().to_vec();
    let width = columns.len().max(1);
    let mut sum = Checksum::default();
    let mut buf = Vec::with_capacity(256);
    while let Some(chunk) = out.next_chunk(DEFAULT_CHUNK_BYTES, 5000)? {
        let values = chunk.values(&columns, &name)?;
        for row in values.chunks(width) {
            buf.clear();
            for (i, v) in row.iter().enumerate() {
                match v {
                    Value::Text(t) if pad.get(i) == Some(&true) => {
                        canonical(&mut buf, &Value::from(t.trim_end_matches(' ')))
                    }
                    _ => canonical(&mut buf, v),
                }
            }
            let h = Sha256::digest(&buf);
            let mut first = [0u8; 16];
            first.copy_from_slice(&h[..16]);
            sum.sum = sum.sum.wrapping_add(u128::from_le_bytes(first));
            sum.rows += 1;
        }
    }
    Ok(sum)
}

fn side(conn: &mut DatabaseConnection, p: &TablePlan, target: bool) -> Result<Checksum> {
    let (schema, table, columns) = if target {
        (
            p.target.schema.as_deref(),
            &p.target.name,
            &p.target_columns,
        )
    } else {
        (
            p.source.schema.as_deref(),
            &p.source.name,
            &p.source_columns,
        )
    };
    let cols = columns
        .iter()
        .map(|c| conn.quote_ident(c))
        .collect::<Result<Vec<_>>>()?
        .join(", ");
    let t = plan::qualified(conn, schema, table)?;
    // A column fixed-length on either side compares without its pad on both.
    let fixed = |table: &myrmex_schema::Table, name: &str| {
        table
            .column(name)
            .is_some_and(|c| matches!(c.ty, myrmex_schema::ColumnType::Char(_)))
    };
    let pad: Vec<bool> = p
        .source_columns
        .iter()
        .zip(&p.target_columns)
        .map(|(s, d)| fixed(&p.source, s) || fixed(&p.target, d))
        .collect();
    checksum_padded(conn, &format!("SELECT {cols} FROM {t}"), &pad)
}

/// Verifies every table on `parallel` pairs of connections; results go to `out` by plan
/// index. A table that cannot be read back is an error naming it.
pub fn verify_all(
    src: &DatabaseConnection,
    dst: &DatabaseConnection,
    plans: &[TablePlan],
    parallel: usize,
    observer: &dyn CopyObserver,
    out: &Mutex<Vec<(usize, Verified)>>,
) -> Result<()> {
    let queue = Mutex::new((0..plans.len()).collect::<VecDeque<_>>());
    let stop = AtomicBool::new(false);
    let error: Mutex<Option<Error>> = Mutex::new(None);
    let pairs = (0..parallel.max(1).min(plans.len().max(1)))
        .map(|_| Ok((src.open_another()?, dst.open_another()?)))
        .collect::<Result<Vec<_>>>()?;
    let (queue, stop, errors) = (&queue, &stop, &error);
    std::thread::scope(|scope| {
        for (mut s, mut d) in pairs {
            scope.spawn(move || {
                let fail = |e: Error| {
                    stop.store(true, Ordering::Relaxed);
                    if let Ok(mut slot) = errors.lock() {
                        slot.get_or_insert(e);
                    }
                };
                while !stop.load(Ordering::Relaxed) {
                    let Some(i) = queue.lock().ok().and_then(|mut q| q.pop_front()) else {
                        break;
                    };
                    let p = &plans[i];
                    observer.phase(&format!("verifying {}", p.source.name));
                    let r = side(&mut s, p, false).and_then(|a| Ok((a, side(&mut d, p, true)?)));
                    match r {
                        Ok((source, target)) => {
                            if let Ok(mut v) = out.lock() {
                                v.push((i, Verified { source, target }));
                            }
                        }
                        Err(e) => {
                            return fail(Error::Transfer {
                                table: p.source.name.clone(),
                                chunk: None,
                                reason: format!("verification failed: {e}"),
                            })
                        }
                    }
                }
                let _ = s.close();
                let _ = d.close();
            });
        }
    });
    match error.into_inner().unwrap_or_default() {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(v: Value) -> Vec<u8> {
        let mut out = Vec::new();
        canonical(&mut out, &v);
        out
    }

    #[test]
    fn the_same_datum_is_the_same_across_engines() {
        assert_eq!(c(Value::Decimal("1.50".into())), c(Value::Float(1.5)));
        assert_eq!(c(Value::Decimal("0.99".into())), c(Value::Float(0.99)));
        assert_eq!(c(Value::Decimal("-0.00".into())), c(Value::Int(0)));
        assert_eq!(c(Value::Decimal("100".into())), c(Value::Int(100)));
        assert_eq!(c(Value::Decimal("007.10".into())), c(Value::Float(7.1)));
        assert_eq!(c(Value::Bool(true)), c(Value::Int(1)));
        assert_eq!(
            c(Value::Timestamp("2009-01-01 00:00:00.000000".into())),
            c(Value::Text("2009-01-01 00:00:00".into()))
        );
        assert_eq!(
            c(Value::TimestampTz("2024-01-01 01:30:00+02:00".into())),
            c(Value::Timestamp("2023-12-31 23:30:00".into()))
        );
        assert_eq!(
            c(Value::Json("{\"b\": 1, \"a\": [1, 2]}".into())),
            c(Value::Text("{\"a\":[1,2],\"b\":1}".into()))
        );
        assert_ne!(c(Value::Int(1)), c(Value::Text("1".into())));
        assert_ne!(c(Value::Null), c(Value::Text("".into())));
        assert_ne!(
            c(Value::Decimal("1.05".into())),
            c(Value::Decimal("1.5".into()))
        );
    }
}
