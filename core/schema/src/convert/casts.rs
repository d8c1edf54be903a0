//! Casts in expressions: dropped where the target coerces a literal anyway, written as the
//! target's `CAST(x AS …)` otherwise.

use super::expr::{render, ExprCtx, Out};
use super::rules::canonical_type_name;
use crate::dialect::Dialect;
use sqlparser::ast::{DataType, Expr, Value};

/// The kinds of type a cast can be to.
#[derive(Debug, PartialEq)]
enum CastClass {
    Numeric(Option<String>),
    Integer,
    Float,
    Text,
    Date,
    Timestamp,
    Time,
    Bool,
    User,
    Other,
}

fn cast_class(t: &DataType, ctx: &ExprCtx) -> CastClass {
    let name = canonical_type_name(&t.to_string());
    let base = name.split('(').next().unwrap_or("").to_string();
    let args = name
        .find('(')
        .map(|i| name[i..].trim_end_matches("tz").to_string());
    if ctx
        .user_types
        .iter()
        .any(|u| u.eq_ignore_ascii_case(&base) || u.eq_ignore_ascii_case(&name))
    {
        return CastClass::User;
    }
    match base.as_str() {
        "numeric" | "decimal" | "dec" => CastClass::Numeric(args),
        "int" | "bigint" | "smallint" | "signed" | "unsigned" | "tinyint" | "mediumint" => {
            CastClass::Integer
        }
        "real" | "double" | "float" => CastClass::Float,
        "text" | "varchar" | "char" | "bpchar" | "string" | "nvarchar" | "nchar" => CastClass::Text,
        "date" => CastClass::Date,
        "timestamp" | "timestamptz" | "datetime" => CastClass::Timestamp,
        "time" | "timetz" => CastClass::Time,
        "bool" => CastClass::Bool,
        _ => CastClass::Other,
    }
}

pub(crate) fn cast(inner: &Expr, t: &DataType, ctx: &ExprCtx) -> Out {
    let to = ctx.to;
    let class = cast_class(t, ctx);
    let lit = literal_of(inner, ctx);
    let text = lit.and_then(|v| v.clone().into_string());
    if class == CastClass::User {
        return render(inner, ctx);
    }
    // `'now'::date`, `'now'::timestamp`: the moment of the insert.
    if text
        .as_deref()
        .is_some_and(|s| s.eq_ignore_ascii_case("now"))
    {
        match class {
            CastClass::Date => return Ok("CURRENT_DATE".into()),
            CastClass::Timestamp => return Ok("CURRENT_TIMESTAMP".into()),
            _ => {}
        }
    }
    if to != Dialect::Postgres {
        // A literal the target would coerce anyway keeps no cast.
        match (&class, lit) {
            (
                CastClass::Numeric(_) | CastClass::Integer | CastClass::Float,
                Some(Value::Number(n, _)),
            ) => return Ok(n.clone()),
            (CastClass::Numeric(_) | CastClass::Integer | CastClass::Float, Some(_))
                if text
                    .as_deref()
                    .is_some_and(|s| s.trim().parse::<f64>().is_ok()) =>
            {
                return Ok(text.unwrap_or_default().trim().to_string())
            }
            (
                CastClass::Text | CastClass::Date | CastClass::Timestamp | CastClass::Time,
                Some(_),
            ) if text.is_some() => return render(inner, ctx),
            _ => {}
        }
    }
    let x = render(inner, ctx)?;
    let unsupported = || Err(format!("cast to `{t}`"));
    let ty = match (to, &class) {
        (Dialect::Postgres, _) if ctx.from == Dialect::Postgres => t.to_string(),
        (Dialect::Postgres, CastClass::Numeric(a)) => {
            format!("NUMERIC{}", a.as_deref().unwrap_or(""))
        }
        (Dialect::Postgres, CastClass::Integer) => "BIGINT".into(),
        (Dialect::Postgres, CastClass::Float) => "DOUBLE PRECISION".into(),
        (Dialect::Postgres, CastClass::Text) => "TEXT".into(),
        (Dialect::Postgres, CastClass::Date) => "DATE".into(),
        (Dialect::Postgres, CastClass::Timestamp) => "TIMESTAMP".into(),
        (Dialect::Postgres, CastClass::Time) => "TIME".into(),
        (Dialect::Postgres, CastClass::Bool) => "BOOLEAN".into(),
        (_, CastClass::Text) => return Ok(x),
        (Dialect::Sqlite, CastClass::Date | CastClass::Timestamp | CastClass::Time) => {
            return Ok(x)
        }
        (Dialect::Sqlite, CastClass::Numeric(_)) => "NUMERIC".into(),
        (Dialect::Sqlite, CastClass::Integer) => "INTEGER".into(),
        (Dialect::Sqlite, CastClass::Float) => "REAL".into(),
        (_, CastClass::Numeric(Some(a))) => format!("DECIMAL{a}"),
        (_, CastClass::Numeric(None)) => "DECIMAL(65,30)".into(),
        (_, CastClass::Integer) => "SIGNED".into(),
        (_, CastClass::Float) => "DOUBLE".into(),
        (_, CastClass::Date) => "DATE".into(),
        (_, CastClass::Timestamp) => "DATETIME(6)".into(),
        (_, CastClass::Time) => "TIME(6)".into(),
        _ => return unsupported(),
    };
    Ok(format!("CAST({x} AS {ty})"))
}

/// The literal under parentheses and casts to text (`('now'::text)`), if that is all `e` is.
fn literal_of<'e>(e: &'e Expr, ctx: &ExprCtx) -> Option<&'e Value> {
    match e {
        Expr::Value(v) => Some(&v.value),
        Expr::Nested(x) => literal_of(x, ctx),
        Expr::Cast {
            expr, data_type, ..
        } if cast_class(data_type, ctx) == CastClass::Text => literal_of(expr, ctx),
        _ => None,
    }
}
