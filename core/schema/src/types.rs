//! [`ColumnType`]: the portable column types and the per-dialect raw escape.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;
use std::fmt;

/// A column type: one of the portable types, or a raw type per dialect.
///
/// Written as a string (`"bigint"`, `"varchar(80)"`, `"decimal(12,2)"`) or, for a raw type, a
/// table of dialect → type (`{ postgres = "tsvector", sqlite = "TEXT" }`); a raw type is only
/// valid for the dialects it names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ColumnType {
    /// 16-bit integer.
    SmallInt,
    /// 32-bit integer.
    Int,
    /// 64-bit integer.
    BigInt,
    /// Exact decimal with precision and scale.
    Decimal {
        /// Total digits (1..=65; PostgreSQL allows up to 1000).
        precision: u32,
        /// Digits after the point.
        scale: u32,
    },
    /// 32-bit float.
    Real,
    /// 64-bit float.
    Double,
    /// Boolean.
    Bool,
    /// Fixed-length text.
    Char(u32),
    /// Variable-length text with a limit.
    Varchar(u32),
    /// Unlimited text.
    Text,
    /// Binary.
    Blob,
    /// Calendar date.
    Date,
    /// Time of day (microseconds).
    Time,
    /// Date and time without zone (microseconds).
    Timestamp,
    /// An instant (stored as UTC, microseconds).
    TimestampTz,
    /// JSON document.
    Json,
    /// UUID.
    Uuid,
    /// A dialect-specific type, by dialect name (`sqlite`, `postgres`, `mysql`, `mariadb`).
    Raw(BTreeMap<String, String>),
}

impl ColumnType {
    /// Parses a portable type name (case-insensitive; common synonyms accepted).
    pub fn parse(s: &str) -> Result<Self, String> {
        let t = s.trim().to_ascii_lowercase();
        let (base, args) = match t.split_once('(') {
            Some((b, rest)) => {
                let inner = rest
                    .strip_suffix(')')
                    .ok_or_else(|| format!("type `{s}`: missing `)`"))?;
                let args: Result<Vec<u32>, _> =
                    inner.split(',').map(|a| a.trim().parse::<u32>()).collect();
                let args =
                    args.map_err(|_| format!("type `{s}`: arguments must be whole numbers"))?;
                (b.trim().to_string(), args)
            }
            None => (t.clone(), Vec::new()),
        };
        let arity = |n: usize| -> Result<(), String> {
            if args.len() == n {
                Ok(())
            } else if n == 0 {
                Err(format!("type `{s}` takes no arguments"))
            } else {
                Err(format!(
                    "type `{s}` needs {n} argument(s), as in `{base}({})`",
                    if n == 1 { "80" } else { "12,2" }
                ))
            }
        };
        let ty = match base.as_str() {
            "smallint" | "int2" => ColumnType::SmallInt,
            "int" | "integer" | "int4" => ColumnType::Int,
            "bigint" | "int8" => ColumnType::BigInt,
            "decimal" | "numeric" => {
                arity(2)?;
                if args[1] > args[0] {
                    return Err(format!("type `{s}`: scale is larger than precision"));
                }
                if args[0] == 0 {
                    return Err(format!("type `{s}`: precision must be at least 1"));
                }
                return Ok(ColumnType::Decimal {
                    precision: args[0],
                    scale: args[1],
                });
            }
            "real" | "float4" => ColumnType::Real,
            "double" | "double precision" | "float8" => ColumnType::Double,
            "bool" | "boolean" => ColumnType::Bool,
            "char" | "character" => {
                arity(1)?;
                return Ok(ColumnType::Char(args[0]));
            }
            "varchar" | "character varying" => {
                arity(1)?;
                if args[0] == 0 {
                    return Err(format!("type `{s}`: length must be at least 1"));
                }
                return Ok(ColumnType::Varchar(args[0]));
            }
            "text" => ColumnType::Text,
            "blob" | "bytea" | "binary" => ColumnType::Blob,
            "date" => ColumnType::Date,
            "time" => ColumnType::Time,
            "timestamp" | "datetime" => ColumnType::Timestamp,
            "timestamptz" => ColumnType::TimestampTz,
            "json" | "jsonb" => ColumnType::Json,
            "uuid" => ColumnType::Uuid,
            "float" => {
                return Err(format!(
                    "type `{s}` is ambiguous: write `real` (32-bit) or `double` (64-bit)"
                ))
            }
            _ => {
                return Err(format!(
                    "unknown type `{s}` (portable types: smallint, int, bigint, decimal(p,s), real, double, bool, char(n), varchar(n), text, blob, date, time, timestamp, timestamptz, json, uuid; or a raw type {{ postgres = \"…\", … }})"
                ))
            }
        };
        arity(0)?;
        Ok(ty)
    }

    /// True for the integer types.
    pub fn is_integer(&self) -> bool {
        matches!(
            self,
            ColumnType::SmallInt | ColumnType::Int | ColumnType::BigInt
        )
    }

    /// True for text types (char, varchar, text).
    pub fn is_text(&self) -> bool {
        matches!(
            self,
            ColumnType::Char(_) | ColumnType::Varchar(_) | ColumnType::Text
        )
    }

    /// Whether every value of `self` fits `to` unchanged (a widening or equal change).
    pub fn widens_to(&self, to: &ColumnType) -> bool {
        use ColumnType::*;
        if self == to {
            return true;
        }
        match (self, to) {
            (SmallInt, Int | BigInt) | (Int, BigInt) => true,
            (SmallInt | Int | BigInt, Decimal { precision, scale }) => {
                let digits = match self {
                    SmallInt => 5,
                    Int => 10,
                    _ => 19,
                };
                precision - scale >= digits
            }
            (Real, Double) => true,
            (
                Decimal {
                    precision: p1,
                    scale: s1,
                },
                Decimal {
                    precision: p2,
                    scale: s2,
                },
            ) => s2 >= s1 && p2 - s2 >= p1 - s1,
            (Varchar(a), Varchar(b)) => b >= a,
            (Char(_) | Varchar(_), Text) => true,
            (Timestamp, TimestampTz) => false,
            _ => false,
        }
    }
}

impl fmt::Display for ColumnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ColumnType::SmallInt => f.write_str("smallint"),
            ColumnType::Int => f.write_str("int"),
            ColumnType::BigInt => f.write_str("bigint"),
            ColumnType::Decimal { precision, scale } => write!(f, "decimal({precision},{scale})"),
            ColumnType::Real => f.write_str("real"),
            ColumnType::Double => f.write_str("double"),
            ColumnType::Bool => f.write_str("bool"),
            ColumnType::Char(n) => write!(f, "char({n})"),
            ColumnType::Varchar(n) => write!(f, "varchar({n})"),
            ColumnType::Text => f.write_str("text"),
            ColumnType::Blob => f.write_str("blob"),
            ColumnType::Date => f.write_str("date"),
            ColumnType::Time => f.write_str("time"),
            ColumnType::Timestamp => f.write_str("timestamp"),
            ColumnType::TimestampTz => f.write_str("timestamptz"),
            ColumnType::Json => f.write_str("json"),
            ColumnType::Uuid => f.write_str("uuid"),
            ColumnType::Raw(m) => {
                let parts: Vec<String> = m.iter().map(|(d, t)| format!("{d}: {t}")).collect();
                write!(f, "raw {{{}}}", parts.join(", "))
            }
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum TypeRepr {
    Name(String),
    Raw(BTreeMap<String, String>),
}

impl Serialize for ColumnType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            ColumnType::Raw(m) => TypeRepr::Raw(m.clone()).serialize(s),
            other => TypeRepr::Name(other.to_string()).serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for ColumnType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match TypeRepr::deserialize(d)? {
            TypeRepr::Name(n) => ColumnType::parse(&n).map_err(serde::de::Error::custom),
            TypeRepr::Raw(m) => {
                if m.is_empty() {
                    return Err(serde::de::Error::custom(
                        "a raw type needs at least one dialect, as in { postgres = \"tsvector\" }",
                    ));
                }
                Ok(ColumnType::Raw(m))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_portable_types() {
        for s in [
            "smallint",
            "int",
            "bigint",
            "decimal(12,2)",
            "real",
            "double",
            "bool",
            "char(3)",
            "varchar(80)",
            "text",
            "blob",
            "date",
            "time",
            "timestamp",
            "timestamptz",
            "json",
            "uuid",
        ] {
            assert_eq!(ColumnType::parse(s).unwrap().to_string(), s);
        }
        assert_eq!(ColumnType::parse("INTEGER").unwrap(), ColumnType::Int);
        assert!(ColumnType::parse("decimal")
            .unwrap_err()
            .contains("needs 2"));
        assert!(ColumnType::parse("float")
            .unwrap_err()
            .contains("ambiguous"));
        assert!(ColumnType::parse("varchar(x)")
            .unwrap_err()
            .contains("whole numbers"));
        assert!(ColumnType::parse("geometry")
            .unwrap_err()
            .contains("unknown type"));
    }

    #[test]
    fn widening() {
        assert!(ColumnType::Int.widens_to(&ColumnType::BigInt));
        assert!(!ColumnType::BigInt.widens_to(&ColumnType::Int));
        assert!(ColumnType::Varchar(10).widens_to(&ColumnType::Text));
        assert!(!ColumnType::Varchar(10).widens_to(&ColumnType::Varchar(5)));
        let d = |p, s| ColumnType::Decimal {
            precision: p,
            scale: s,
        };
        assert!(d(10, 2).widens_to(&d(12, 2)));
        assert!(!d(10, 2).widens_to(&d(10, 3)));
    }
}
