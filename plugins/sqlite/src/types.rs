//! The SQLite type mapping, both ways.
//!
//! SQLite stores five storage classes (NULL, INTEGER, REAL, TEXT, BLOB); the richer contract
//! types are recovered from the column's *declared* type when reading:
//!
//! | declared type contains | stored as | read back as |
//! |---|---|---|
//! | `BOOL` | INTEGER 0/1 | `Bool` |
//! | `DECIMAL`, `NUMERIC` | TEXT (exact) or INTEGER/REAL (NUMERIC affinity) | `Decimal`, padded to the declared scale |
//! | `DATE` (exactly) | TEXT `YYYY-MM-DD` | `Date` |
//! | `TIME` (exactly) | TEXT `HH:MM:SS[.ffffff]` | `Time` |
//! | `DATETIME`, `TIMESTAMP` | TEXT `YYYY-MM-DD HH:MM:SS[.ffffff]` | `Timestamp` |
//! | `TIMESTAMPTZ`, `WITH TIME ZONE` | TEXT with offset | `TimestampTz` |
//! | `JSON` | TEXT | `Json` |
//! | `UUID` | TEXT (canonical) or BLOB(16) | `Uuid` |
//! | anything else | its storage class | `Int`, `Float`, `Text`, `Blob` |
//!
//! Decimals are bound as text; SQLite's NUMERIC affinity stores them as REAL, exact to 15
//! significant digits, so a wider decimal is refused with an error rather than rounded.
//!
//! A value whose storage does not fit its declared type (text in a BOOLEAN column, a date
//! stored as a number) is returned as stored, never coerced. NaN cannot be stored by SQLite
//! (it becomes NULL), so binding NaN is an error.

use myrmex_plugin::{ErrorKind, PluginError, Value};
use rusqlite::types::{ToSql, ToSqlOutput, ValueRef};

/// How to read a column, derived once from its declared type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadKind {
    /// By storage class.
    Plain,
    /// INTEGER → Bool.
    Bool,
    /// → Decimal, with the declared scale when known.
    Decimal(Option<u32>),
    /// TEXT → Date.
    Date,
    /// TEXT → Time.
    Time,
    /// TEXT → Timestamp.
    Timestamp,
    /// TEXT → TimestampTz.
    TimestampTz,
    /// TEXT → Json.
    Json,
    /// TEXT/BLOB(16) → Uuid.
    Uuid,
}

impl ReadKind {
    /// The read kind for a declared type (`None` for expressions).
    pub fn from_decl(decl: Option<&str>) -> Self {
        let Some(decl) = decl else {
            return ReadKind::Plain;
        };
        let d = decl.trim().to_ascii_uppercase();
        let base = d.split('(').next().unwrap_or("").trim();
        if d.contains("BOOL") {
            ReadKind::Bool
        } else if base == "DECIMAL" || base == "NUMERIC" {
            ReadKind::Decimal(scale_of(&d))
        } else if base == "DATE" {
            ReadKind::Date
        } else if base == "TIME" {
            ReadKind::Time
        } else if base == "TIMESTAMPTZ" || d.contains("WITH TIME ZONE") {
            ReadKind::TimestampTz
        } else if base == "DATETIME" || base == "TIMESTAMP" || d.starts_with("TIMESTAMP") {
            ReadKind::Timestamp
        } else if base == "JSON" || base == "JSONB" {
            ReadKind::Json
        } else if base == "UUID" {
            ReadKind::Uuid
        } else {
            ReadKind::Plain
        }
    }
}

fn scale_of(decl: &str) -> Option<u32> {
    let inner = decl.split_once('(')?.1.split_once(')')?.0;
    let (_, scale) = inner.split_once(',')?;
    scale.trim().parse().ok()
}

fn looks_numeric(t: &str) -> bool {
    let t = t.strip_prefix(['-', '+']).unwrap_or(t);
    !t.is_empty()
        && t.chars().any(|c| c.is_ascii_digit())
        && t.chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == 'e' || c == 'E' || c == '-' || c == '+')
}

fn decimal_from_f64(f: f64, scale: Option<u32>) -> String {
    match scale {
        Some(s) => format!("{f:.*}", s as usize),
        None => format!("{f}"),
    }
}

fn decimal_from_i64(i: i64, scale: Option<u32>) -> String {
    match scale {
        Some(s) if s > 0 => format!("{i}.{}", "0".repeat(s as usize)),
        _ => i.to_string(),
    }
}

fn text(bytes: &[u8]) -> Result<&str, PluginError> {
    std::str::from_utf8(bytes)
        .map_err(|e| PluginError::new(ErrorKind::TYPE, format!("text is not valid UTF-8: {e}")))
}

/// What to do with a TEXT value that is not valid UTF-8 (SQLite stores whatever bytes it is
/// given): the `text` option of the URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TextMode {
    /// Fail the query, naming the column and the row.
    #[default]
    Strict,
    /// Replace each invalid sequence with U+FFFD.
    Lossy,
    /// Return the bytes as a `Blob`.
    Blob,
}

/// Reads a TEXT value that [`read`] refused because it is not valid UTF-8, as `mode` says;
/// `column` and `row` (1-based) name it in the error.
pub fn read_invalid_text(
    bytes: &[u8],
    mode: TextMode,
    column: &str,
    row: u64,
) -> Result<Value, PluginError> {
    match mode {
        TextMode::Lossy => Ok(Value::Text(String::from_utf8_lossy(bytes).as_ref().into())),
        TextMode::Blob => Ok(Value::Blob(bytes.to_vec().into())),
        TextMode::Strict => {
            let why = std::str::from_utf8(bytes)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            Err(PluginError::new(
                ErrorKind::TYPE,
                format!(
                    "column \"{column}\" of row {row} is not valid UTF-8 ({why}); read it as a \
                     blob (CAST(x AS BLOB)) or open with ?text=lossy or ?text=blob"
                ),
            ))
        }
    }
}

/// Normalises `YYYY-MM-DDTHH:MM:SS` to the canonical space separator.
fn canonical_timestamp(t: &str) -> String {
    if t.len() > 10 && t.as_bytes()[10] == b'T' {
        let mut s = t.to_string();
        s.replace_range(10..11, " ");
        s
    } else {
        t.to_string()
    }
}

fn has_offset(t: &str) -> bool {
    t.ends_with('Z') || t.len() > 19 && (t[19..].contains('+') || t[19..].contains('-'))
}

/// Reads one stored value according to its column's [`ReadKind`].
pub fn read(v: ValueRef<'_>, kind: ReadKind) -> Result<Value, PluginError> {
    Ok(match (v, kind) {
        (ValueRef::Null, _) => Value::Null,
        (ValueRef::Integer(i), ReadKind::Bool) => Value::Bool(i != 0),
        (ValueRef::Integer(i), ReadKind::Decimal(s)) => {
            Value::Decimal(decimal_from_i64(i, s).into())
        }
        (ValueRef::Real(f), ReadKind::Decimal(s)) if f.is_finite() => {
            Value::Decimal(decimal_from_f64(f, s).into())
        }
        (ValueRef::Text(t), ReadKind::Decimal(_)) => {
            let t = text(t)?;
            if looks_numeric(t) {
                Value::Decimal(t.into())
            } else {
                Value::Text(t.into())
            }
        }
        (ValueRef::Text(t), ReadKind::Date) => Value::Date(text(t)?.into()),
        (ValueRef::Text(t), ReadKind::Time) => Value::Time(text(t)?.into()),
        (ValueRef::Text(t), ReadKind::Timestamp) => {
            let t = text(t)?;
            if has_offset(t) {
                Value::TimestampTz(canonical_timestamp(t).into())
            } else {
                Value::Timestamp(canonical_timestamp(t).into())
            }
        }
        (ValueRef::Text(t), ReadKind::TimestampTz) => {
            let t = canonical_timestamp(text(t)?);
            match t.strip_suffix('Z') {
                Some(base) => Value::TimestampTz(format!("{base}+00:00").into()),
                None => Value::TimestampTz(t.into()),
            }
        }
        (ValueRef::Text(t), ReadKind::Json) => Value::Json(text(t)?.into()),
        (ValueRef::Text(t), ReadKind::Uuid) => {
            let t = text(t)?;
            match Value::parse_uuid(t) {
                Some(u) => Value::Uuid(u),
                None => Value::Text(t.into()),
            }
        }
        (ValueRef::Blob(b), ReadKind::Uuid) if b.len() == 16 => {
            let mut u = [0u8; 16];
            u.copy_from_slice(b);
            Value::Uuid(u)
        }
        (ValueRef::Integer(i), _) => Value::Int(i),
        (ValueRef::Real(f), _) => Value::Float(f),
        (ValueRef::Text(t), _) => Value::Text(text(t)?.into()),
        (ValueRef::Blob(b), _) => Value::Blob(b.to_vec().into()),
    })
}

/// Most significant digits SQLite keeps exactly: NUMERIC/DECIMAL columns convert decimal text
/// to REAL (an IEEE double, exact to 15 significant digits).
pub const MAX_EXACT_DECIMAL_DIGITS: usize = 15;

/// Significant digits of a decimal literal (leading and trailing zeros do not count).
pub fn significant_digits(dec: &str) -> usize {
    let digits: String = dec.chars().filter(|c| c.is_ascii_digit()).collect();
    digits.trim_start_matches('0').trim_end_matches('0').len()
}

/// A contract value bound as a statement parameter.
pub struct Bind<'a>(pub &'a Value);

impl ToSql for Bind<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self.0 {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Bool(b) => ToSqlOutput::Borrowed(ValueRef::Integer(i64::from(*b))),
            Value::Int(i) => ToSqlOutput::Borrowed(ValueRef::Integer(*i)),
            Value::Float(f) if f.is_nan() => {
                return Err(rusqlite::Error::ToSqlConversionFailure(
                    "SQLite cannot store NaN (it would become NULL)".into(),
                ))
            }
            Value::Float(f) => ToSqlOutput::Borrowed(ValueRef::Real(*f)),
            Value::Blob(b) => ToSqlOutput::Borrowed(ValueRef::Blob(b.as_slice())),
            Value::Uuid(u) => {
                ToSqlOutput::Owned(rusqlite::types::Value::Text(Value::format_uuid(u)))
            }
            Value::Decimal(d) if significant_digits(d) > MAX_EXACT_DECIMAL_DIGITS => {
                return Err(rusqlite::Error::ToSqlConversionFailure(
                    format!(
                        "decimal {d} has {} significant digits; SQLite keeps at most {MAX_EXACT_DECIMAL_DIGITS} exactly in a NUMERIC/DECIMAL column (store it in a TEXT column, bound as text, to keep every digit)",
                        significant_digits(d)
                    )
                    .into(),
                ))
            }
            Value::Text(s)
            | Value::Decimal(s)
            | Value::Date(s)
            | Value::Time(s)
            | Value::Timestamp(s)
            | Value::TimestampTz(s)
            | Value::Json(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_str().as_bytes())),
            other => {
                return Err(rusqlite::Error::ToSqlConversionFailure(
                    format!("SQLite cannot store a {} value", other.type_name()).into(),
                ))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_kinds_from_declared_types() {
        assert_eq!(ReadKind::from_decl(Some("BOOLEAN")), ReadKind::Bool);
        assert_eq!(
            ReadKind::from_decl(Some("NUMERIC(10,2)")),
            ReadKind::Decimal(Some(2))
        );
        assert_eq!(
            ReadKind::from_decl(Some("decimal")),
            ReadKind::Decimal(None)
        );
        assert_eq!(ReadKind::from_decl(Some("DATETIME")), ReadKind::Timestamp);
        assert_eq!(
            ReadKind::from_decl(Some("timestamp with time zone")),
            ReadKind::TimestampTz
        );
        assert_eq!(ReadKind::from_decl(Some("NVARCHAR(40)")), ReadKind::Plain);
        assert_eq!(ReadKind::from_decl(None), ReadKind::Plain);
    }

    #[test]
    fn decimals_keep_declared_scale() {
        assert_eq!(
            read(ValueRef::Real(0.99), ReadKind::Decimal(Some(2))).unwrap(),
            Value::Decimal("0.99".into())
        );
        assert_eq!(
            read(ValueRef::Real(1.5), ReadKind::Decimal(Some(2))).unwrap(),
            Value::Decimal("1.50".into())
        );
        assert_eq!(
            read(ValueRef::Integer(3), ReadKind::Decimal(Some(2))).unwrap(),
            Value::Decimal("3.00".into())
        );
        let exact = "12345678901234567890.0123456789";
        assert_eq!(
            read(
                ValueRef::Text(exact.as_bytes()),
                ReadKind::Decimal(Some(10))
            )
            .unwrap(),
            Value::Decimal(exact.into())
        );
    }

    #[test]
    fn mismatched_storage_is_returned_as_stored() {
        assert_eq!(
            read(ValueRef::Text(b"yes"), ReadKind::Bool).unwrap(),
            Value::Text("yes".into())
        );
        assert_eq!(
            read(ValueRef::Integer(1_700_000_000), ReadKind::Timestamp).unwrap(),
            Value::Int(1_700_000_000)
        );
        assert_eq!(
            read(ValueRef::Text(b"n/a"), ReadKind::Uuid).unwrap(),
            Value::Text("n/a".into())
        );
    }

    #[test]
    fn timestamps_are_canonical() {
        assert_eq!(
            read(ValueRef::Text(b"2024-01-02T03:04:05"), ReadKind::Timestamp).unwrap(),
            Value::Timestamp("2024-01-02 03:04:05".into())
        );
        assert_eq!(
            read(
                ValueRef::Text(b"2024-01-02T03:04:05Z"),
                ReadKind::TimestampTz
            )
            .unwrap(),
            Value::TimestampTz("2024-01-02 03:04:05+00:00".into())
        );
    }

    #[test]
    fn wide_decimals_are_refused_not_rounded() {
        assert_eq!(significant_digits("-000123.4500"), 5);
        assert_eq!(significant_digits("100000000000000000000"), 1);
        assert!(Bind(&Value::Decimal("123456789012345.6".into()))
            .to_sql()
            .is_err());
        assert!(Bind(&Value::Decimal("12345678901234.5".into()))
            .to_sql()
            .is_ok());
    }

    #[test]
    fn nan_is_refused() {
        assert!(Bind(&Value::Float(f64::NAN)).to_sql().is_err());
        assert!(Bind(&Value::Float(f64::INFINITY)).to_sql().is_ok());
    }
}
