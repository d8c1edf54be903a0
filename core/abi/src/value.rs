//! [`Value`]: one SQL value as it crosses the contract.

use abi_stable::nonexhaustive_enum::NonExhaustive;
use abi_stable::std_types::{RString, RVec};
use abi_stable::StableAbi;
use std::fmt;

/// A [`Value`] as it crosses the contract: room for variants a later contract appends.
pub type ValueNE = Value_NE;

impl From<Value> for ValueNE {
    #[inline]
    fn from(v: Value) -> Self {
        NonExhaustive::new(v)
    }
}

/// One SQL value.
///
/// Temporal values travel as canonical ISO-8601 text so that no engine's range or precision
/// is lost on the way (dates before 1970 or after 2038, microseconds, any zone offset):
///
/// | variant | canonical text |
/// |---|---|
/// | `Date` | `YYYY-MM-DD` |
/// | `Time` | `HH:MM:SS[.ffffff]` |
/// | `Timestamp` | `YYYY-MM-DD HH:MM:SS[.ffffff]` (no zone) |
/// | `TimestampTz` | `YYYY-MM-DD HH:MM:SS[.ffffff]+HH:MM` (an instant with its offset) |
///
/// `Decimal` is the exact decimal text (`-12.3400`); it never goes through `f64`.
/// `Json` is the JSON document as text. `Uuid` is the 16 raw bytes.
///
/// The set of variants is open: values cross the contract as [`ValueNE`] (abi_stable's
/// `NonExhaustive`), so a later contract may append a variant and a plugin or host built
/// before it keeps loading. A host that meets a variant it does not know gets an error from
/// [`ValueNE::as_enum`], never undefined behaviour; match arms need a `_` case.
#[repr(u8)]
#[derive(StableAbi, Clone, PartialEq)]
#[sabi(kind(WithNonExhaustive(size = [usize; 6], align = usize, traits(Clone, Debug, PartialEq))))]
#[non_exhaustive]
pub enum Value {
    /// SQL NULL.
    Null,
    /// A boolean.
    Bool(bool),
    /// A 64-bit signed integer.
    Int(i64),
    /// A 64-bit float (NaN and ±Infinity included).
    Float(f64),
    /// Text (may contain NUL).
    Text(RString),
    /// Binary data.
    Blob(RVec<u8>),
    /// An exact decimal number as text, e.g. `"12345678901234567890.0123456789"`.
    Decimal(RString),
    /// A calendar date, `YYYY-MM-DD`.
    Date(RString),
    /// A time of day, `HH:MM:SS[.ffffff]`.
    Time(RString),
    /// A timestamp without zone, `YYYY-MM-DD HH:MM:SS[.ffffff]`.
    Timestamp(RString),
    /// A timestamp with zone offset, `YYYY-MM-DD HH:MM:SS[.ffffff]+HH:MM`.
    TimestampTz(RString),
    /// A JSON document as text.
    Json(RString),
    /// A UUID as its 16 bytes.
    Uuid([u8; 16]),
}

impl Value {
    /// The name of this value's type, as used in error messages and docs.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Text(_) => "text",
            Value::Blob(_) => "blob",
            Value::Decimal(_) => "decimal",
            Value::Date(_) => "date",
            Value::Time(_) => "time",
            Value::Timestamp(_) => "timestamp",
            Value::TimestampTz(_) => "timestamptz",
            Value::Json(_) => "json",
            Value::Uuid(_) => "uuid",
        }
    }

    /// True for [`Value::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The text of every text-carrying variant (text, decimal, temporal, json).
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(s)
            | Value::Decimal(s)
            | Value::Date(s)
            | Value::Time(s)
            | Value::Timestamp(s)
            | Value::TimestampTz(s)
            | Value::Json(s) => Some(s.as_str()),
            _ => None,
        }
    }

    /// Formats a UUID's bytes in the canonical lowercase hyphenated form.
    pub fn format_uuid(bytes: &[u8; 16]) -> String {
        let mut s = String::with_capacity(36);
        for (i, b) in bytes.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                s.push('-');
            }
            s.push_str(&format!("{b:02x}"));
        }
        s
    }

    /// Parses a UUID written as 32 hex digits, with or without hyphens or braces.
    ///
    /// ```
    /// use myrmex_abi::Value;
    /// let b = Value::parse_uuid("{67E55044-10B1-426F-9247-BB680E5FE0C8}").unwrap();
    /// assert_eq!(Value::format_uuid(&b), "67e55044-10b1-426f-9247-bb680e5fe0c8");
    /// assert!(Value::parse_uuid("not-a-uuid").is_none());
    /// ```
    pub fn parse_uuid(text: &str) -> Option<[u8; 16]> {
        let t = text.trim().trim_start_matches('{').trim_end_matches('}');
        let hex: Vec<u8> = t.bytes().filter(|b| *b != b'-').collect();
        if hex.len() != 32 || t.len() > 36 {
            return None;
        }
        let mut out = [0u8; 16];
        for (i, pair) in hex.chunks(2).enumerate() {
            let s = std::str::from_utf8(pair).ok()?;
            out[i] = u8::from_str_radix(s, 16).ok()?;
        }
        Some(out)
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("Null"),
            Value::Bool(b) => write!(f, "Bool({b})"),
            Value::Int(i) => write!(f, "Int({i})"),
            Value::Float(x) => write!(f, "Float({x:?})"),
            Value::Blob(b) => write!(f, "Blob({} bytes)", b.len()),
            Value::Uuid(u) => write!(f, "Uuid({})", Value::format_uuid(u)),
            other => write!(
                f,
                "{}({:?})",
                other.type_name(),
                other.as_text().unwrap_or_default()
            ),
        }
    }
}

impl fmt::Display for Value {
    /// The value as a user reads it in a table cell (NULL prints as an empty string).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => Ok(()),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => write!(f, "{x}"),
            Value::Blob(b) => {
                f.write_str("\\x")?;
                for byte in b.iter() {
                    write!(f, "{byte:02x}")?;
                }
                Ok(())
            }
            Value::Uuid(u) => f.write_str(&Value::format_uuid(u)),
            other => f.write_str(other.as_text().unwrap_or_default()),
        }
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}
impl From<i32> for Value {
    fn from(v: i32) -> Self {
        Value::Int(v.into())
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Float(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.into())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v.into())
    }
}
impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Value::Blob(v.into())
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_round_trip_and_rejects() {
        let b = Value::parse_uuid("67e55044-10b1-426f-9247-bb680e5fe0c8").unwrap();
        assert_eq!(
            Value::format_uuid(&b),
            "67e55044-10b1-426f-9247-bb680e5fe0c8"
        );
        assert!(Value::parse_uuid("67e55044-10b1-426f-9247-bb680e5fe0c").is_none());
        assert!(Value::parse_uuid("zze55044-10b1-426f-9247-bb680e5fe0c8").is_none());
    }

    #[test]
    fn display_is_cell_text() {
        assert_eq!(Value::Null.to_string(), "");
        assert_eq!(Value::Blob(vec![0xde, 0xad].into()).to_string(), "\\xdead");
        assert_eq!(Value::Decimal("1.50".into()).to_string(), "1.50");
        assert_eq!(
            format!("{:?}", Value::Date("2020-01-02".into())),
            "date(\"2020-01-02\")"
        );
    }
}
