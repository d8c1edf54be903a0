//! PostgreSQL values ⇄ contract values.
//!
//! Reading decodes the binary result format by type (see the mapping table in
//! `docs/architecture.md`). Writing sends exact matches in binary (bool, integers, floats,
//! bytea, uuid) and everything else in *text* format, which the server parses itself: decimals,
//! dates, times, timestamps, json and text reach their columns exactly, and a value the server
//! cannot read as the parameter's type is the server's clear error.

use crate::{numeric, temporal};
use bytes::{BufMut, BytesMut};
use myrmex_plugin::Value;
use std::error::Error;
use tokio_postgres::types::{to_sql_checked, Format, FromSql, IsNull, Kind, ToSql, Type};

type BoxError = Box<dyn Error + Sync + Send>;

/// Why a parameter could not be bound: the client library reports it as the source of its
/// error, and the driver turns it into an [`myrmex_plugin::ErrorKind::TYPE`] error.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ParamError(pub String);

fn refuse(why: String) -> BoxError {
    Box::new(ParamError(why))
}

/// A decoded column value.
pub struct PgValue(pub Value);

impl<'a> FromSql<'a> for PgValue {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, BoxError> {
        decode(ty, raw).map(PgValue)
    }

    fn from_sql_null(_: &Type) -> Result<Self, BoxError> {
        Ok(PgValue(Value::Null))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

fn be<const N: usize>(raw: &[u8], at: usize) -> Result<[u8; N], BoxError> {
    raw.get(at..at + N)
        .and_then(|s| s.try_into().ok())
        .ok_or_else(|| "truncated value".into())
}

fn utf8(raw: &[u8]) -> Result<String, BoxError> {
    Ok(std::str::from_utf8(raw)?.to_string())
}

/// Decodes one non-NULL binary value of type `ty`.
/// Whether [`decode`] reads values of `ty` from the binary format (a bulk export casts the
/// others to text in its query, so that a `tsvector` or a geometric column still copies).
pub fn decodable(ty: &Type) -> bool {
    match *ty {
        Type::BOOL
        | Type::INT2
        | Type::INT4
        | Type::INT8
        | Type::OID
        | Type::XID
        | Type::CID
        | Type::REGPROC
        | Type::REGTYPE
        | Type::REGCLASS
        | Type::FLOAT4
        | Type::FLOAT8
        | Type::NUMERIC
        | Type::TEXT
        | Type::VARCHAR
        | Type::BPCHAR
        | Type::NAME
        | Type::UNKNOWN
        | Type::XML
        | Type::CHAR
        | Type::BYTEA
        | Type::DATE
        | Type::TIME
        | Type::TIMETZ
        | Type::TIMESTAMP
        | Type::TIMESTAMPTZ
        | Type::INTERVAL
        | Type::JSON
        | Type::JSONB
        | Type::UUID
        | Type::INET
        | Type::CIDR
        | Type::VOID
        | Type::MACADDR => true,
        _ => match ty.kind() {
            Kind::Enum(_) => true,
            Kind::Domain(base) => decodable(base),
            Kind::Array(elem) => decodable(elem),
            _ => ty.name() == "citext",
        },
    }
}

pub fn decode(ty: &Type, raw: &[u8]) -> Result<Value, BoxError> {
    Ok(match *ty {
        Type::BOOL => Value::Bool(raw.first().copied().unwrap_or(0) != 0),
        Type::INT2 => Value::Int(i16::from_be_bytes(be(raw, 0)?).into()),
        Type::INT4 => Value::Int(i32::from_be_bytes(be(raw, 0)?).into()),
        Type::INT8 => Value::Int(i64::from_be_bytes(be(raw, 0)?)),
        Type::OID | Type::XID | Type::CID | Type::REGPROC | Type::REGTYPE | Type::REGCLASS => {
            Value::Int(u32::from_be_bytes(be(raw, 0)?).into())
        }
        Type::FLOAT4 => Value::Float(f32::from_be_bytes(be(raw, 0)?).into()),
        Type::FLOAT8 => Value::Float(f64::from_be_bytes(be(raw, 0)?)),
        Type::NUMERIC => Value::Decimal(numeric::decode(raw).ok_or("malformed numeric")?.into()),
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN | Type::XML => {
            Value::Text(utf8(raw)?.into())
        }
        Type::CHAR => Value::Text(
            char::from(raw.first().copied().unwrap_or(0))
                .to_string()
                .into(),
        ),
        Type::BYTEA => Value::Blob(raw.to_vec().into()),
        Type::DATE => Value::Date(temporal::date(i32::from_be_bytes(be(raw, 0)?)).into()),
        Type::TIME => Value::Time(temporal::time(i64::from_be_bytes(be(raw, 0)?)).into()),
        Type::TIMETZ => Value::Text(
            temporal::timetz(
                i64::from_be_bytes(be(raw, 0)?),
                i32::from_be_bytes(be(raw, 8)?),
            )
            .into(),
        ),
        Type::TIMESTAMP => {
            Value::Timestamp(temporal::timestamp(i64::from_be_bytes(be(raw, 0)?)).into())
        }
        Type::TIMESTAMPTZ => {
            Value::TimestampTz(temporal::timestamptz(i64::from_be_bytes(be(raw, 0)?)).into())
        }
        Type::INTERVAL => Value::Text(
            temporal::interval(
                i64::from_be_bytes(be(raw, 0)?),
                i32::from_be_bytes(be(raw, 8)?),
                i32::from_be_bytes(be(raw, 12)?),
            )
            .into(),
        ),
        Type::JSON => Value::Json(utf8(raw)?.into()),
        Type::JSONB => match raw.split_first() {
            Some((1, rest)) => Value::Json(utf8(rest)?.into()),
            _ => return Err("unknown jsonb version".into()),
        },
        Type::UUID => Value::Uuid(be(raw, 0)?),
        Type::INET | Type::CIDR => Value::Text(inet(raw, *ty == Type::CIDR)?.into()),
        // `void` (the result of `pg_sleep()` and other procedures-as-functions) has no value.
        Type::VOID => Value::Null,
        Type::MACADDR => Value::Text(
            raw.iter()
                .map(|b| format!("{b:02x}"))
                .collect::<Vec<_>>()
                .join(":")
                .into(),
        ),
        _ => match ty.kind() {
            Kind::Enum(_) => Value::Text(utf8(raw)?.into()),
            Kind::Domain(base) => decode(base, raw)?,
            Kind::Array(elem) => Value::Json(array_json(elem, raw)?.into()),
            _ if ty.name() == "citext" => Value::Text(utf8(raw)?.into()),
            _ => {
                return Err(format!(
                    "unsupported PostgreSQL type {}: cast it in the query (e.g. col::text)",
                    ty.name()
                )
                .into())
            }
        },
    })
}

fn inet(raw: &[u8], cidr: bool) -> Result<String, BoxError> {
    let (family, bits, n) = (
        raw.first().copied(),
        raw.get(1).copied().unwrap_or(0),
        raw.get(3).copied().unwrap_or(0) as usize,
    );
    let addr = raw.get(4..4 + n).ok_or("truncated inet")?;
    let (text, full) = match family {
        Some(2) => (
            addr.iter().map(u8::to_string).collect::<Vec<_>>().join("."),
            32,
        ),
        _ => {
            let words: [u8; 16] = addr.try_into().map_err(|_| "bad inet6")?;
            (std::net::Ipv6Addr::from(words).to_string(), 128)
        }
    };
    Ok(if cidr || bits != full {
        format!("{text}/{bits}")
    } else {
        text
    })
}

/// A binary array as a JSON array (nested for several dimensions).
fn array_json(elem: &Type, raw: &[u8]) -> Result<String, BoxError> {
    let ndim = i32::from_be_bytes(be(raw, 0)?) as usize;
    if ndim == 0 {
        return Ok("[]".into());
    }
    let mut dims = Vec::with_capacity(ndim);
    for d in 0..ndim {
        dims.push(i32::from_be_bytes(be(raw, 12 + 8 * d)?) as usize);
    }
    let mut pos = 12 + 8 * ndim;
    let mut items = Vec::new();
    let total: usize = dims.iter().product();
    for _ in 0..total {
        let len = i32::from_be_bytes(be(raw, pos)?);
        pos += 4;
        if len < 0 {
            items.push("null".to_string());
        } else {
            let bytes = raw.get(pos..pos + len as usize).ok_or("truncated array")?;
            pos += len as usize;
            items.push(json_of(&decode(elem, bytes)?));
        }
    }
    fn nest(items: &[String], dims: &[usize]) -> String {
        if dims.len() == 1 {
            return format!("[{}]", items.join(","));
        }
        let step = items.len() / dims[0].max(1);
        let parts: Vec<String> = items
            .chunks(step.max(1))
            .map(|c| nest(c, &dims[1..]))
            .collect();
        format!("[{}]", parts.join(","))
    }
    Ok(nest(&items, &dims))
}

fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn json_of(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) if f.is_finite() => format!("{f}"),
        Value::Json(j) => j.to_string(),
        other => json_string(&other.to_string()),
    }
}

/// A contract value bound as a parameter whose type the server inferred.
#[derive(Debug)]
pub struct Param<'a>(pub &'a Value);

impl Param<'_> {
    fn binary(&self, ty: &Type) -> bool {
        matches!(
            (self.0, ty),
            (Value::Bool(_), &Type::BOOL)
                | (Value::Int(_), &Type::INT2 | &Type::INT4 | &Type::INT8)
                | (Value::Float(_), &Type::FLOAT4 | &Type::FLOAT8)
                | (Value::Blob(_), &Type::BYTEA)
                | (Value::Uuid(_), &Type::UUID)
        )
    }
}

impl ToSql for Param<'_> {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        if self.binary(ty) {
            match (self.0, ty) {
                (Value::Bool(b), _) => out.put_u8(u8::from(*b)),
                (Value::Int(i), &Type::INT2) => out.put_i16(
                    i16::try_from(*i)
                        .map_err(|_| refuse(format!("{i} is out of range for smallint")))?,
                ),
                (Value::Int(i), &Type::INT4) => out.put_i32(
                    i32::try_from(*i)
                        .map_err(|_| refuse(format!("{i} is out of range for integer")))?,
                ),
                (Value::Int(i), _) => out.put_i64(*i),
                (Value::Float(f), &Type::FLOAT4) => out.put_f32(*f as f32),
                (Value::Float(f), _) => out.put_f64(*f),
                (Value::Blob(b), _) => out.put_slice(b),
                (Value::Uuid(u), _) => out.put_slice(u),
                (other, ty) => {
                    return Err(refuse(format!(
                        "cannot bind a {} value in binary to a parameter of type {}",
                        other.type_name(),
                        ty.name()
                    )))
                }
            }
            return Ok(IsNull::No);
        }
        let text = match self.0 {
            Value::Null => return Ok(IsNull::Yes),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) if f.is_nan() => "NaN".into(),
            Value::Float(f) if f.is_infinite() => {
                if *f > 0.0 {
                    "Infinity".into()
                } else {
                    "-Infinity".into()
                }
            }
            Value::Float(f) => format!("{f:?}"),
            Value::Uuid(u) => Value::format_uuid(u),
            Value::Text(s)
            | Value::Decimal(s)
            | Value::Date(s)
            | Value::Time(s)
            | Value::Timestamp(s)
            | Value::TimestampTz(s)
            | Value::Json(s) => {
                if s.contains('\0') {
                    return Err(refuse(
                        "PostgreSQL text cannot contain the NUL character (U+0000)".into(),
                    ));
                }
                s.to_string()
            }
            other => {
                return Err(refuse(format!(
                    "cannot bind a {} value to a parameter of type {}",
                    other.type_name(),
                    ty.name()
                )))
            }
        };
        out.put_slice(text.as_bytes());
        Ok(IsNull::No)
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    fn encode_format(&self, ty: &Type) -> Format {
        if self.binary(ty) {
            Format::Binary
        } else {
            Format::Text
        }
    }

    to_sql_checked!();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_scalars_and_arrays() {
        assert_eq!(decode(&Type::VOID, &[]).unwrap(), Value::Null);
        assert_eq!(
            decode(&Type::INT4, &7i32.to_be_bytes()).unwrap(),
            Value::Int(7)
        );
        assert_eq!(
            decode(&Type::JSONB, b"\x01{\"a\":1}").unwrap(),
            Value::Json("{\"a\":1}".into())
        );
        // int4[] {1,NULL,3}
        let mut raw = Vec::new();
        for x in [1i32, 1, 23] {
            raw.extend(x.to_be_bytes());
        }
        raw.extend(3i32.to_be_bytes());
        raw.extend(1i32.to_be_bytes());
        for v in [Some(1i32), None, Some(3)] {
            match v {
                Some(v) => {
                    raw.extend(4i32.to_be_bytes());
                    raw.extend(v.to_be_bytes());
                }
                None => raw.extend((-1i32).to_be_bytes()),
            }
        }
        assert_eq!(
            decode(&Type::INT4_ARRAY, &raw).unwrap(),
            Value::Json("[1,null,3]".into())
        );
        assert_eq!(
            decode(&Type::INET, &[2, 32, 0, 4, 10, 0, 0, 1]).unwrap(),
            Value::Text("10.0.0.1".into())
        );
        assert!(decode(&Type::POINT, &[0; 16])
            .unwrap_err()
            .to_string()
            .contains("unsupported PostgreSQL type point"));
    }

    #[test]
    fn params_pick_binary_only_for_exact_matches() {
        let v = Value::Int(5);
        assert!(matches!(
            Param(&v).encode_format(&Type::INT8),
            Format::Binary
        ));
        assert!(matches!(
            Param(&v).encode_format(&Type::NUMERIC),
            Format::Text
        ));
        let d = Value::Decimal("1.5".into());
        assert!(matches!(
            Param(&d).encode_format(&Type::NUMERIC),
            Format::Text
        ));
        let mut out = BytesMut::new();
        assert!(Param(&Value::Int(70_000))
            .to_sql(&Type::INT2, &mut out)
            .is_err());
        assert!(Param(&Value::Text("a\0b".into()))
            .to_sql(&Type::TEXT, &mut out)
            .is_err());
    }
}
