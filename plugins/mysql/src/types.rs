//! MySQL/MariaDB values ⇄ contract values.
//!
//! Reading follows each result column's type and flags (`TINYINT(1)` is a boolean, binary
//! strings are blobs, `TIMESTAMP` is an instant: sessions run with `time_zone = '+00:00'`).
//! Writing sends exact text for decimals and temporal values (the server parses it), converts
//! a timestamp with an offset to UTC, and refuses NaN and ±Infinity, which MySQL cannot store.

use myrmex_plugin::canonical::{format_time, parse_timestamp, to_utc};
use myrmex_plugin::{ErrorKind, PluginError, Value};
use mysql::consts::{ColumnFlags, ColumnType};
use mysql::Column;

/// The `binary` character set: a string column with it holds bytes.
const BINARY_CHARSET: u16 = 63;

/// How to read a result column, derived from its metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadKind {
    /// `TINYINT(1)`: a boolean.
    Bool,
    /// Integer types and `YEAR`.
    Int,
    /// `FLOAT`, `DOUBLE`.
    Float,
    /// `DECIMAL`: exact text.
    Decimal,
    /// `DATE`.
    Date,
    /// `DATETIME`: a timestamp without zone.
    DateTime,
    /// `TIMESTAMP`: an instant, read in UTC.
    Timestamp,
    /// `TIME` (beyond a day or negative: text).
    Time,
    /// Character strings, `ENUM`, `SET`.
    Text,
    /// Binary strings and blobs.
    Blob,
    /// `JSON` (MySQL's own type; MariaDB's JSON is text).
    Json,
    /// `BIT(n)`: an integer.
    Bit,
    /// Types with no contract value (`GEOMETRY`): an error naming the column.
    Unsupported,
}

impl ReadKind {
    /// The read kind of a column.
    pub fn of(c: &Column) -> ReadKind {
        use ColumnType::*;
        match c.column_type() {
            MYSQL_TYPE_TINY if c.column_length() == 1 => ReadKind::Bool,
            MYSQL_TYPE_TINY | MYSQL_TYPE_SHORT | MYSQL_TYPE_LONG | MYSQL_TYPE_INT24
            | MYSQL_TYPE_LONGLONG | MYSQL_TYPE_YEAR => ReadKind::Int,
            MYSQL_TYPE_FLOAT | MYSQL_TYPE_DOUBLE => ReadKind::Float,
            MYSQL_TYPE_DECIMAL | MYSQL_TYPE_NEWDECIMAL => ReadKind::Decimal,
            MYSQL_TYPE_DATE | MYSQL_TYPE_NEWDATE => ReadKind::Date,
            MYSQL_TYPE_DATETIME | MYSQL_TYPE_DATETIME2 => ReadKind::DateTime,
            MYSQL_TYPE_TIMESTAMP | MYSQL_TYPE_TIMESTAMP2 => ReadKind::Timestamp,
            MYSQL_TYPE_TIME | MYSQL_TYPE_TIME2 => ReadKind::Time,
            MYSQL_TYPE_JSON => ReadKind::Json,
            MYSQL_TYPE_BIT => ReadKind::Bit,
            MYSQL_TYPE_GEOMETRY => ReadKind::Unsupported,
            MYSQL_TYPE_VARCHAR
            | MYSQL_TYPE_VAR_STRING
            | MYSQL_TYPE_STRING
            | MYSQL_TYPE_TINY_BLOB
            | MYSQL_TYPE_MEDIUM_BLOB
            | MYSQL_TYPE_LONG_BLOB
            | MYSQL_TYPE_BLOB
            | MYSQL_TYPE_ENUM
            | MYSQL_TYPE_SET => {
                if c.character_set() == BINARY_CHARSET
                    && !c.flags().contains(ColumnFlags::ENUM_FLAG)
                {
                    ReadKind::Blob
                } else {
                    ReadKind::Text
                }
            }
            MYSQL_TYPE_NULL => ReadKind::Text,
            _ => ReadKind::Unsupported,
        }
    }
}

/// The declared type name shown for a column.
pub fn type_name(c: &Column) -> String {
    let t = format!("{:?}", c.column_type());
    let t = t.trim_start_matches("MYSQL_TYPE_").to_ascii_lowercase();
    if c.flags().contains(ColumnFlags::UNSIGNED_FLAG) {
        format!("{t} unsigned")
    } else {
        t
    }
}

fn text(b: Vec<u8>) -> Result<String, PluginError> {
    String::from_utf8(b)
        .map_err(|e| PluginError::new(ErrorKind::TYPE, format!("text is not valid UTF-8: {e}")))
}

fn datetime(y: u16, mo: u8, d: u8, h: u8, mi: u8, s: u8, us: u32) -> String {
    let date = format!("{y:04}-{mo:02}-{d:02}");
    let micros =
        ((i64::from(h) * 60 + i64::from(mi)) * 60 + i64::from(s)) * 1_000_000 + i64::from(us);
    format!("{date} {}", format_time(micros))
}

/// Converts one value of a column of kind `kind`; `column` names it in errors.
pub fn read(v: mysql::Value, kind: ReadKind, column: &Column) -> Result<Value, PluginError> {
    use mysql::Value as M;
    let unsupported = || {
        PluginError::unsupported(format!(
            "unsupported MySQL type {} in column `{}`: convert it in the query (e.g. ST_AsText(col))",
            type_name(column),
            column.name_str()
        ))
    };
    Ok(match (v, kind) {
        (M::NULL, _) => Value::Null,
        (_, ReadKind::Unsupported) => return Err(unsupported()),
        (M::Int(i), ReadKind::Bool) => Value::Bool(i != 0),
        (M::Int(i), _) => Value::Int(i),
        (M::UInt(u), _) => match i64::try_from(u) {
            Ok(i) => Value::Int(i),
            Err(_) => Value::Decimal(u.to_string().into()),
        },
        (M::Float(f), _) => Value::Float(f64::from(f)),
        (M::Double(f), _) => Value::Float(f),
        (M::Date(0, 0, 0, ..), _) => Value::Text("0000-00-00".into()),
        (M::Date(y, mo, d, ..), ReadKind::Date) => {
            Value::Date(format!("{y:04}-{mo:02}-{d:02}").into())
        }
        (M::Date(y, mo, d, h, mi, s, us), ReadKind::Timestamp) => {
            Value::TimestampTz(format!("{}+00:00", datetime(y, mo, d, h, mi, s, us)).into())
        }
        (M::Date(y, mo, d, h, mi, s, us), _) => {
            Value::Timestamp(datetime(y, mo, d, h, mi, s, us).into())
        }
        (M::Time(neg, days, h, mi, s, us), _) => {
            let hours = i64::from(days) * 24 + i64::from(h);
            let micros =
                ((hours * 60 + i64::from(mi)) * 60 + i64::from(s)) * 1_000_000 + i64::from(us);
            if !neg && hours < 24 {
                Value::Time(format_time(micros).into())
            } else {
                let t = format_time(micros % 3_600_000_000);
                Value::Text(format!("{}{hours:02}{}", if neg { "-" } else { "" }, &t[2..]).into())
            }
        }
        (M::Bytes(b), ReadKind::Blob) => Value::Blob(b.into()),
        (M::Bytes(b), ReadKind::Bit) => {
            let mut n: i64 = 0;
            for byte in &b {
                n = (n << 8) | i64::from(*byte);
            }
            Value::Int(n)
        }
        (M::Bytes(b), ReadKind::Decimal) => Value::Decimal(text(b)?.into()),
        (M::Bytes(b), ReadKind::Json) => Value::Json(text(b)?.into()),
        // Text protocol (statements that cannot be prepared): parse by kind.
        (M::Bytes(b), ReadKind::Bool) => Value::Bool(text(b)? != "0"),
        (M::Bytes(b), ReadKind::Int) => {
            let t = text(b)?;
            t.parse()
                .map(Value::Int)
                .unwrap_or(Value::Decimal(t.into()))
        }
        (M::Bytes(b), ReadKind::Float) => {
            let t = text(b)?;
            t.parse().map(Value::Float).map_err(|_| {
                PluginError::new(
                    ErrorKind::TYPE,
                    format!("column `{}`: `{t}` is not a number", column.name_str()),
                )
            })?
        }
        (M::Bytes(b), ReadKind::Date) => Value::Date(text(b)?.into()),
        (M::Bytes(b), ReadKind::DateTime) => Value::Timestamp(text(b)?.into()),
        (M::Bytes(b), ReadKind::Timestamp) => {
            Value::TimestampTz(format!("{}+00:00", text(b)?).into())
        }
        (M::Bytes(b), ReadKind::Time) => Value::Time(text(b)?.into()),
        (M::Bytes(b), ReadKind::Text) => Value::Text(text(b)?.into()),
    })
}

/// Converts a parameter; `index` (1-based) names it in errors.
pub fn bind(v: &Value, index: usize) -> Result<mysql::Value, PluginError> {
    use mysql::Value as M;
    Ok(match v {
        Value::Null => M::NULL,
        Value::Bool(b) => M::Int(i64::from(*b)),
        Value::Int(i) => M::Int(*i),
        Value::Float(f) if !f.is_finite() => {
            return Err(PluginError::new(ErrorKind::TYPE, format!("parameter {index}: MySQL cannot store {f} (NaN and ±Infinity are not valid floats there)")))
        }
        Value::Float(f) => M::Double(*f),
        Value::Blob(b) => M::Bytes(b.to_vec()),
        Value::Uuid(u) => M::Bytes(Value::format_uuid(u).into_bytes()),
        Value::TimestampTz(t) => {
            let ts = parse_timestamp(t).ok_or_else(|| PluginError::new(ErrorKind::TYPE, format!("parameter {index}: `{t}` is not a timestamp")))?;
            M::Bytes(to_utc(&ts).into_bytes())
        }
        // The server parses exact text for decimals, temporal values and JSON.
        Value::Text(t)
        | Value::Decimal(t)
        | Value::Date(t)
        | Value::Time(t)
        | Value::Timestamp(t)
        | Value::Json(t) => M::Bytes(t.as_bytes().to_vec()),
        other => {
            return Err(PluginError::new(
                ErrorKind::TYPE,
                format!(
                    "parameter {index}: the MySQL driver cannot send a {} value",
                    other.type_name()
                ),
            ))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binds_offsets_as_utc_and_refuses_non_finite_floats() {
        assert_eq!(
            bind(&Value::TimestampTz("1969-07-20 20:17:40+02:00".into()), 1).unwrap(),
            mysql::Value::Bytes(b"1969-07-20 18:17:40".to_vec())
        );
        assert!(bind(&Value::Float(f64::NAN), 2)
            .unwrap_err()
            .message
            .contains("parameter 2"));
        assert_eq!(
            bind(&Value::Decimal("1.50".into()), 1).unwrap(),
            mysql::Value::Bytes(b"1.50".to_vec())
        );
    }
}
