//! Contract values ⇄ Rhai values.
//!
//! Reading: NULL → `()`, bool, int, float, text → string, blob → Blob; decimal, date, time,
//! timestamp, timestamptz, json and uuid → their canonical text (exact, nothing rounded).
//! Binding: `()`, bool, int, float, string, char, Blob, and the typed values made by
//! `decimal()`, `date()`, `time()`, `timestamp()`, `timestamptz()`, `json()`, `uuid()`;
//! maps and arrays bind as JSON.

use super::package::function;
use myrmex_core::Value;
use rhai::{Array, Blob, Dynamic, EvalAltResult, ImmutableString, Map, Module, Position};

/// A value with an explicit SQL type, made by `decimal("1.20")`, `date(...)`, `uuid(...)`….
#[derive(Clone, Debug, PartialEq)]
pub struct SqlValue(pub Value);

/// Converts one result value for scripts.
pub fn to_dynamic(v: &Value) -> Dynamic {
    match v {
        Value::Null => Dynamic::UNIT,
        Value::Bool(b) => Dynamic::from_bool(*b),
        Value::Int(i) => Dynamic::from_int(*i),
        Value::Float(f) => Dynamic::from_float(*f),
        Value::Blob(b) => Dynamic::from_blob(b.to_vec()),
        Value::Uuid(u) => Dynamic::from(ImmutableString::from(Value::format_uuid(u))),
        Value::Text(s)
        | Value::Decimal(s)
        | Value::Date(s)
        | Value::Time(s)
        | Value::Timestamp(s)
        | Value::TimestampTz(s)
        | Value::Json(s) => Dynamic::from(ImmutableString::from(s.as_str())),
        // A variant a later contract adds reaches scripts as its display text.
        other => Dynamic::from(ImmutableString::from(other.to_string())),
    }
}

/// Converts one script value to a parameter; `index` (1-based) names it in errors.
pub fn from_dynamic(d: &Dynamic, index: usize) -> Result<Value, Box<EvalAltResult>> {
    if d.is_unit() {
        return Ok(Value::Null);
    }
    if let Ok(b) = d.as_bool() {
        return Ok(Value::Bool(b));
    }
    if let Ok(i) = d.as_int() {
        return Ok(Value::Int(i));
    }
    if let Ok(f) = d.as_float() {
        return Ok(Value::Float(f));
    }
    if let Some(s) = d.read_lock::<ImmutableString>() {
        return Ok(Value::Text(s.as_str().into()));
    }
    if let Ok(c) = d.as_char() {
        return Ok(Value::Text(c.to_string().into()));
    }
    if let Some(b) = d.read_lock::<Blob>() {
        return Ok(Value::Blob(b.clone().into()));
    }
    if let Some(v) = d.read_lock::<SqlValue>() {
        return Ok(v.0.clone());
    }
    if d.is_map() || d.is_array() {
        return Ok(Value::Json(to_json(d).into()));
    }
    Err(runtime(format!(
        "parameter {index}: cannot bind a value of type {} (use a string, number, bool, (), blob, map, array or a typed value such as decimal(\"1.0\"))",
        d.type_name()
    )))
}

/// Converts a parameter array.
pub fn params(arr: &Array) -> Result<Vec<Value>, Box<EvalAltResult>> {
    arr.iter()
        .enumerate()
        .map(|(i, d)| from_dynamic(d, i + 1))
        .collect()
}

/// JSON text of a map, array or scalar.
pub fn to_json(d: &Dynamic) -> String {
    if let Some(m) = d.read_lock::<Map>() {
        let items: Vec<String> = m
            .iter()
            .map(|(k, v)| format!("{}:{}", json_string(k), to_json(v)))
            .collect();
        return format!("{{{}}}", items.join(","));
    }
    if let Some(a) = d.read_lock::<Array>() {
        let items: Vec<String> = a.iter().map(to_json).collect();
        return format!("[{}]", items.join(","));
    }
    if let Some(r) = d.read_lock::<super::row::Row>() {
        return r.to_json();
    }
    if let Some(b) = d.read_lock::<Blob>() {
        let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
        return json_string(&format!("\\x{hex}"));
    }

    if d.is_unit() {
        return "null".into();
    }
    if d.is_bool() || d.is_int() {
        return d.to_string();
    }
    if let Ok(f) = d.as_float() {
        return if f.is_finite() {
            format!("{f}")
        } else {
            "null".into()
        };
    }
    json_string(&d.to_string())
}

/// A JSON string literal.
pub fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A Rhai runtime error with `msg`.
pub fn runtime(msg: impl Into<String>) -> Box<EvalAltResult> {
    Box::new(EvalAltResult::ErrorRuntime(
        Dynamic::from(msg.into()),
        Position::NONE,
    ))
}

/// Registers `SqlValue` and the typed-value constructors.
pub fn register(module: &mut Module) {
    module.set_custom_type::<SqlValue>("SqlValue");
    function("to_string").set_into_module(module, |v: &mut SqlValue| v.0.to_string());
    function("to_debug").set_into_module(module, |v: &mut SqlValue| {
        format!("{}({})", v.0.type_name(), v.0)
    });
    module.set_getter_fn(
        "sql_type",
        |v: &mut SqlValue| -> Result<String, Box<EvalAltResult>> {
            Ok(v.0.type_name().to_string())
        },
    );
    function("decimal").set_into_module(
        module,
        |s: &str| -> Result<SqlValue, Box<EvalAltResult>> {
            let t = s.trim();
            let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
            let ok = !digits.is_empty()
                && digits.chars().filter(|c| *c == '.').count() <= 1
                && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
                && digits.chars().any(|c| c.is_ascii_digit());
            if ok {
                Ok(SqlValue(Value::Decimal(t.into())))
            } else {
                Err(runtime(format!("decimal(\"{s}\"): not a decimal number")))
            }
        },
    );
    function("decimal").set_into_module(module, |i: rhai::INT| {
        SqlValue(Value::Decimal(i.to_string().into()))
    });
    function("date").set_into_module(module, |s: &str| SqlValue(Value::Date(s.into())));
    function("time").set_into_module(module, |s: &str| SqlValue(Value::Time(s.into())));
    function("timestamp").set_into_module(module, |s: &str| {
        SqlValue(Value::Timestamp(s.replacen('T', " ", 1).into()))
    });
    function("timestamptz").set_into_module(module, |s: &str| {
        SqlValue(Value::TimestampTz(s.replacen('T', " ", 1).into()))
    });
    function("json").set_into_module(module, |d: Dynamic| {
        if let Some(s) = d.read_lock::<ImmutableString>() {
            return SqlValue(Value::Json(s.as_str().into()));
        }
        SqlValue(Value::Json(to_json(&d).into()))
    });
    function("uuid").set_into_module(module, |s: &str| -> Result<SqlValue, Box<EvalAltResult>> {
        Value::parse_uuid(s)
            .map(|u| SqlValue(Value::Uuid(u)))
            .ok_or_else(|| runtime(format!("uuid(\"{s}\"): not a UUID")))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_scalars() {
        for v in [
            Value::Null,
            Value::Bool(true),
            Value::Int(-5),
            Value::Float(1.5),
            Value::Text("x".into()),
        ] {
            assert_eq!(from_dynamic(&to_dynamic(&v), 1).unwrap(), v);
        }
    }

    #[test]
    fn maps_bind_as_json() {
        let mut m = Map::new();
        m.insert("a".into(), Dynamic::from_int(1));
        m.insert("b".into(), Dynamic::from("x\"y"));
        assert_eq!(
            from_dynamic(&Dynamic::from_map(m), 1).unwrap(),
            Value::Json("{\"a\":1,\"b\":\"x\\\"y\"}".into())
        );
    }
}

/// Reading script maps in tests.
#[cfg(test)]
pub(crate) mod test_maps {
    use rhai::{Dynamic, Map};

    /// The keys of a map value, in order.
    pub fn keys(d: &Dynamic) -> Vec<String> {
        d.read_lock::<Map>()
            .map(|m| m.keys().map(|k| k.to_string()).collect())
            .unwrap_or_default()
    }

    /// The value of key `k` of a map value (panics naming a missing key).
    pub fn field(d: &Dynamic, k: &str) -> Dynamic {
        d.read_lock::<Map>()
            .and_then(|m| m.get(k).cloned())
            .unwrap_or_else(|| panic!("no key `{k}`"))
    }
}
