//! The row encoding of the logical format and the content checksum of a table.
//!
//! A row is its values one after the other, each a tag byte and its payload: integers and
//! floats as 8 little-endian bytes, text-carrying values and blobs as a LEB128 length and the
//! bytes, a UUID as its 16 bytes. The encoding is the same for every engine, so a chunk
//! written from one engine can be read for another.

use crate::error::BackupError;
use myrmex_plugin::Value;
use sha2::{Digest, Sha256};

const NULL: u8 = 0;
const BOOL: u8 = 1;
const INT: u8 = 2;
const FLOAT: u8 = 3;
const TEXT: u8 = 4;
const BLOB: u8 = 5;
const DECIMAL: u8 = 6;
const DATE: u8 = 7;
const TIME: u8 = 8;
const TIMESTAMP: u8 = 9;
const TIMESTAMPTZ: u8 = 10;
const JSON: u8 = 11;
const UUID: u8 = 12;

/// Appends one value to `out`.
pub fn encode_value(v: &Value, out: &mut Vec<u8>) -> Result<(), BackupError> {
    match v {
        Value::Null => out.push(NULL),
        Value::Bool(b) => out.extend_from_slice(&[BOOL, u8::from(*b)]),
        Value::Int(i) => {
            out.push(INT);
            out.extend_from_slice(&i.to_le_bytes());
        }
        Value::Float(f) => {
            out.push(FLOAT);
            out.extend_from_slice(&f.to_bits().to_le_bytes());
        }
        Value::Blob(b) => bytes(out, BLOB, b),
        Value::Uuid(u) => {
            out.push(UUID);
            out.extend_from_slice(u);
        }
        Value::Text(s) => bytes(out, TEXT, s.as_bytes()),
        Value::Decimal(s) => bytes(out, DECIMAL, s.as_bytes()),
        Value::Date(s) => bytes(out, DATE, s.as_bytes()),
        Value::Time(s) => bytes(out, TIME, s.as_bytes()),
        Value::Timestamp(s) => bytes(out, TIMESTAMP, s.as_bytes()),
        Value::TimestampTz(s) => bytes(out, TIMESTAMPTZ, s.as_bytes()),
        Value::Json(s) => bytes(out, JSON, s.as_bytes()),
        other => {
            return Err(BackupError::UnknownValue {
                type_name: other.type_name().to_string(),
            })
        }
    }
    Ok(())
}

fn bytes(out: &mut Vec<u8>, tag: u8, b: &[u8]) {
    out.push(tag);
    let mut n = b.len() as u64;
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            break;
        }
        out.push(byte | 0x80);
    }
    out.extend_from_slice(b);
}

/// Reads values from an encoded buffer.
pub struct Decoder<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Decoder<'a> {
    /// A decoder at the start of `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Decoder { buf, pos: 0 }
    }

    /// True when every byte was read.
    pub fn is_empty(&self) -> bool {
        self.pos >= self.buf.len()
    }

    /// Where the decoder is, in bytes.
    pub fn position(&self) -> usize {
        self.pos
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let s = self.buf.get(self.pos..end)?;
        self.pos = end;
        Some(s)
    }

    fn len(&mut self) -> Option<usize> {
        let mut n: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = *self.take(1)?.first()?;
            n |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return usize::try_from(n).ok();
            }
        }
        None
    }

    fn text(&mut self) -> Option<String> {
        let n = self.len()?;
        String::from_utf8(self.take(n)?.to_vec()).ok()
    }

    /// The next value; `None` when the buffer ends inside one or holds an unknown tag.
    pub fn value(&mut self) -> Option<Value> {
        let tag = *self.take(1)?.first()?;
        Some(match tag {
            NULL => Value::Null,
            BOOL => Value::Bool(*self.take(1)?.first()? != 0),
            INT => Value::Int(i64::from_le_bytes(self.take(8)?.try_into().ok()?)),
            FLOAT => Value::Float(f64::from_bits(u64::from_le_bytes(
                self.take(8)?.try_into().ok()?,
            ))),
            BLOB => {
                let n = self.len()?;
                Value::Blob(self.take(n)?.to_vec().into())
            }
            UUID => Value::Uuid(self.take(16)?.try_into().ok()?),
            TEXT => Value::Text(self.text()?.into()),
            DECIMAL => Value::Decimal(self.text()?.into()),
            DATE => Value::Date(self.text()?.into()),
            TIME => Value::Time(self.text()?.into()),
            TIMESTAMP => Value::Timestamp(self.text()?.into()),
            TIMESTAMPTZ => Value::TimestampTz(self.text()?.into()),
            JSON => Value::Json(self.text()?.into()),
            _ => return None,
        })
    }
}

/// The content checksum of a table: the sum of the SHA-256 of every encoded row (its first
/// 16 bytes as a number), so it does not depend on the order rows are read in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TableSum {
    /// Rows summed.
    pub rows: u64,
    sum: u128,
}

impl TableSum {
    /// Adds one encoded row.
    pub fn add(&mut self, encoded_row: &[u8]) {
        let digest = Sha256::digest(encoded_row);
        let mut first = [0u8; 16];
        first.copy_from_slice(&digest[..16]);
        self.sum = self.sum.wrapping_add(u128::from_le_bytes(first));
        self.rows += 1;
    }

    /// Adds another partial sum.
    pub fn merge(&mut self, other: TableSum) {
        self.sum = self.sum.wrapping_add(other.sum);
        self.rows += other.rows;
    }

    /// The checksum as hex.
    pub fn hex(&self) -> String {
        format!("{:032x}", self.sum)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_round_trips() {
        let values = vec![
            Value::Null,
            Value::Bool(true),
            Value::Int(-42),
            Value::Float(f64::NAN),
            Value::Text("héllo\0".into()),
            Value::Blob(vec![0u8; 300].into()),
            Value::Decimal("-12.3400".into()),
            Value::Date("1969-07-20".into()),
            Value::Time("12:00:00.5".into()),
            Value::Timestamp("2038-01-20 00:00:00".into()),
            Value::TimestampTz("2000-01-01 00:00:00+05:30".into()),
            Value::Json("{\"a\":1}".into()),
            Value::Uuid([7; 16]),
        ];
        let mut buf = Vec::new();
        for v in &values {
            encode_value(v, &mut buf).unwrap();
        }
        let mut d = Decoder::new(&buf);
        for v in &values {
            let got = d.value().unwrap();
            match (v, &got) {
                (Value::Float(a), Value::Float(b)) => assert_eq!(a.to_bits(), b.to_bits()),
                _ => assert_eq!(v, &got),
            }
        }
        assert!(d.is_empty());
        assert!(Decoder::new(&buf[..buf.len() - 3]).value().is_some());
    }

    #[test]
    fn checksum_ignores_row_order_but_not_content() {
        let (mut a, mut b, mut c) = (
            TableSum::default(),
            TableSum::default(),
            TableSum::default(),
        );
        a.add(b"one");
        a.add(b"two");
        b.add(b"two");
        b.add(b"one");
        c.add(b"one");
        c.add(b"twp");
        assert_eq!(a, b);
        assert_ne!(a.hex(), c.hex());
    }
}
