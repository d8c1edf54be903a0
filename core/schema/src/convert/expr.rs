//! CHECK, DEFAULT, generated-column and index expressions: parsed with sqlparser in the
//! source dialect and written again for the target, for a documented common subset (see
//! `docs/conversion.md`). Anything outside the subset is an error naming what was met, so
//! that the caller can refuse the constraint by name.

use super::rules::canonical_type_name;
use crate::dialect::Dialect;
use sqlparser::ast::{
    BinaryOperator, CastKind, DataType, Expr, Function, FunctionArg, FunctionArgExpr,
    FunctionArguments, Ident, InTarget, ObjectNamePart, UnaryOperator, Value,
};
use sqlparser::dialect::{MySqlDialect, PostgreSqlDialect, SQLiteDialect};
use sqlparser::parser::Parser;
use sqlparser::tokenizer::Token;

/// What a translation knows besides the text.
pub(crate) struct ExprCtx<'a> {
    /// The dialect the text is written in.
    pub from: Dialect,
    /// The dialect to write it for.
    pub to: Dialect,
    /// In a domain's CHECK, the column `VALUE` stands for.
    pub value_as: Option<&'a str>,
    /// Enum and domain names: a cast to one of them is dropped (the value keeps its base
    /// type in the target).
    pub user_types: &'a [String],
}

type Out = Result<String, String>;

/// Parses one expression written in `from`'s dialect; the whole text must be the expression.
pub(crate) fn parse(sql: &str, from: Dialect) -> Result<Expr, String> {
    let pg = PostgreSqlDialect {};
    let my = MySqlDialect {};
    let lite = SQLiteDialect {};
    let d: &dyn sqlparser::dialect::Dialect = match from {
        Dialect::Postgres => &pg,
        Dialect::Mysql | Dialect::Mariadb => &my,
        Dialect::Sqlite => &lite,
    };
    let mut p = Parser::new(d)
        .try_with_sql(sql)
        .map_err(|e| format!("cannot parse `{sql}`: {e}"))?;
    let e = p
        .parse_expr()
        .map_err(|e| format!("cannot parse `{sql}`: {e}"))?;
    let next = p.peek_token().token;
    if next != Token::EOF {
        return Err(format!("cannot parse `{sql}`: unexpected `{next}`"));
    }
    Ok(e)
}

/// `sql` (in `ctx.from`) written for `ctx.to`, or why it cannot be.
pub(crate) fn translate(sql: &str, ctx: &ExprCtx) -> Out {
    let e = parse(sql, ctx.from)?;
    render(&e, ctx)
}

/// The sequence a `nextval('name'::regclass)` default draws from.
pub(crate) fn nextval_sequence(sql: &str, from: Dialect) -> Option<String> {
    let Expr::Function(f) = parse(sql, from).ok()? else {
        return None;
    };
    if function_name(&f) != "nextval" {
        return None;
    }
    let args = plain_args(&f).ok()?;
    let mut a = args.first()?.clone();
    while let Expr::Cast { expr, .. } = a {
        a = *expr;
    }
    match a {
        Expr::Value(v) => v.value.into_string(),
        _ => None,
    }
}

/// The column names an expression reads (lower-cased for PostgreSQL's unquoted names).
pub(crate) fn columns_used(sql: &str, from: Dialect) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(e) = parse(sql, from) {
        collect_idents(&format!("{e}"), from, &mut out);
    }
    out
}

fn collect_idents(rendered: &str, from: Dialect, out: &mut Vec<String>) {
    // The identifiers of the expression are its word tokens that are not keywords or
    // function names: ask the tokenizer rather than guess with string edits.
    let pg = PostgreSqlDialect {};
    let my = MySqlDialect {};
    let lite = SQLiteDialect {};
    let d: &dyn sqlparser::dialect::Dialect = match from {
        Dialect::Postgres => &pg,
        Dialect::Mysql | Dialect::Mariadb => &my,
        Dialect::Sqlite => &lite,
    };
    let Ok(tokens) = sqlparser::tokenizer::Tokenizer::new(d, rendered).tokenize() else {
        return;
    };
    for (i, t) in tokens.iter().enumerate() {
        if let Token::Word(w) = t {
            let next_is_paren = tokens[i + 1..]
                .iter()
                .find(|t| !matches!(t, Token::Whitespace(_)))
                .is_some_and(|t| *t == Token::LParen);
            if (w.keyword == sqlparser::keywords::Keyword::NoKeyword || w.quote_style.is_some())
                && !next_is_paren
            {
                let name = if w.quote_style.is_none() && from == Dialect::Postgres {
                    w.value.to_lowercase()
                } else {
                    w.value.clone()
                };
                if !out.contains(&name) {
                    out.push(name);
                }
            }
        }
    }
}

fn render(e: &Expr, ctx: &ExprCtx) -> Out {
    let to = ctx.to;
    Ok(match e {
        Expr::Identifier(id) => ident(id, ctx),
        Expr::Nested(inner) => format!("({})", render(inner, ctx)?),
        Expr::Value(v) => value(&v.value, ctx)?,
        Expr::TypedString(ts) => {
            let lit = match ts.value.value.clone().into_string() {
                Some(s) => to.literal(&s),
                None => return Err(format!("typed literal `{e}`")),
            };
            if to == Dialect::Postgres {
                format!("{} {lit}", ts.data_type)
            } else {
                lit
            }
        }
        Expr::Cast {
            kind,
            expr,
            data_type,
            format: None,
        } if matches!(kind, CastKind::Cast | CastKind::DoubleColon) => cast(expr, data_type, ctx)?,
        Expr::BinaryOp { left, op, right } => binary(left, op, right, ctx)?,
        Expr::UnaryOp { op, expr } => {
            let inner = render(expr, ctx)?;
            match op {
                UnaryOperator::Not => format!("NOT ({inner})"),
                UnaryOperator::Minus => format!("-{inner}"),
                UnaryOperator::Plus => inner,
                other => return Err(format!("operator `{other}`")),
            }
        }
        Expr::IsNull(x) => format!("{} IS NULL", render(x, ctx)?),
        Expr::IsNotNull(x) => format!("{} IS NOT NULL", render(x, ctx)?),
        Expr::IsTrue(x) => format!("{} IS TRUE", render(x, ctx)?),
        Expr::IsFalse(x) => format!("{} IS FALSE", render(x, ctx)?),
        Expr::IsNotTrue(x) => format!("{} IS NOT TRUE", render(x, ctx)?),
        Expr::IsNotFalse(x) => format!("{} IS NOT FALSE", render(x, ctx)?),
        Expr::In {
            expr,
            target: InTarget::List(items),
            negated,
            ..
        } => in_list(expr, items, *negated, ctx)?,
        Expr::Between {
            expr,
            negated,
            low,
            high,
        } => format!(
            "{} {}BETWEEN {} AND {}",
            render(expr, ctx)?,
            if *negated { "NOT " } else { "" },
            render(low, ctx)?,
            render(high, ctx)?
        ),
        Expr::Like {
            negated,
            any: false,
            expr,
            pattern,
            escape_char,
        } => like(expr, pattern, escape_char.as_deref(), *negated, false, ctx)?,
        Expr::ILike {
            negated,
            any: false,
            expr,
            pattern,
            escape_char,
        } => like(expr, pattern, escape_char.as_deref(), *negated, true, ctx)?,
        Expr::AnyOp {
            left,
            compare_op: BinaryOperator::Eq,
            right,
            ..
        } => in_list(left, &array_items(right)?, false, ctx)?,
        Expr::AllOp {
            left,
            compare_op: BinaryOperator::NotEq,
            right,
        } => in_list(left, &array_items(right)?, true, ctx)?,
        Expr::Case {
            operand,
            conditions,
            else_result,
            ..
        } => {
            let mut s = "CASE".to_string();
            if let Some(o) = operand {
                s.push_str(&format!(" {}", render(o, ctx)?));
            }
            for w in conditions {
                s.push_str(&format!(
                    " WHEN {} THEN {}",
                    render(&w.condition, ctx)?,
                    render(&w.result, ctx)?
                ));
            }
            if let Some(x) = else_result {
                s.push_str(&format!(" ELSE {}", render(x, ctx)?));
            }
            s.push_str(" END");
            s
        }
        Expr::Function(f) => function(f, ctx)?,
        other => return Err(format!("`{other}` has no translation")),
    })
}

fn ident(id: &Ident, ctx: &ExprCtx) -> String {
    let name = if id.quote_style.is_none() && ctx.from == Dialect::Postgres {
        id.value.to_lowercase()
    } else {
        id.value.clone()
    };
    match ctx.value_as {
        Some(col) if id.quote_style.is_none() && name.eq_ignore_ascii_case("value") => {
            ctx.to.quote(col)
        }
        _ => ctx.to.quote(&name),
    }
}

fn value(v: &Value, ctx: &ExprCtx) -> Out {
    Ok(match v {
        Value::Number(n, _) => n.clone(),
        Value::Boolean(b) => match ctx.to {
            Dialect::Postgres => if *b { "TRUE" } else { "FALSE" }.into(),
            _ => if *b { "1" } else { "0" }.into(),
        },
        Value::Null => "NULL".into(),
        Value::SingleQuotedString(s)
        | Value::EscapedStringLiteral(s)
        | Value::NationalStringLiteral(s) => ctx.to.literal(s),
        Value::DoubleQuotedString(s) if ctx.from.is_mysql_family() => ctx.to.literal(s),
        other => return Err(format!("literal `{other}`")),
    })
}

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

fn cast(inner: &Expr, t: &DataType, ctx: &ExprCtx) -> Out {
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

fn binary(l: &Expr, op: &BinaryOperator, r: &Expr, ctx: &ExprCtx) -> Out {
    use BinaryOperator::*;
    if *op == StringConcat {
        let mut parts = Vec::new();
        concat_parts(l, &mut parts);
        concat_parts(r, &mut parts);
        let parts = parts
            .into_iter()
            .map(|p| render(p, ctx))
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(if ctx.to.is_mysql_family() {
            format!("CONCAT({})", parts.join(", "))
        } else {
            parts.join(" || ")
        });
    }
    let sym = match op {
        Plus => "+",
        Minus => "-",
        Multiply => "*",
        Divide => "/",
        Modulo => "%",
        Gt => ">",
        Lt => "<",
        GtEq => ">=",
        LtEq => "<=",
        Eq => "=",
        NotEq => "<>",
        And => "AND",
        Or => "OR",
        other => return Err(format!("operator `{other}`")),
    };
    Ok(format!("{} {sym} {}", render(l, ctx)?, render(r, ctx)?))
}

/// The operands of a chain of `||`.
fn concat_parts<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
    match e {
        Expr::BinaryOp {
            left,
            op: BinaryOperator::StringConcat,
            right,
        } => {
            concat_parts(left, out);
            concat_parts(right, out);
        }
        other => out.push(other),
    }
}

fn in_list(x: &Expr, items: &[Expr], negated: bool, ctx: &ExprCtx) -> Out {
    let items = items
        .iter()
        .map(|i| render(i, ctx))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(format!(
        "{} {}IN ({})",
        render(x, ctx)?,
        if negated { "NOT " } else { "" },
        items.join(", ")
    ))
}

/// The elements of `ARRAY[…]`, possibly cast (`(ARRAY['a'::text])::text[]`), as
/// PostgreSQL prints an `IN` list back.
fn array_items(e: &Expr) -> Result<Vec<Expr>, String> {
    match e {
        Expr::Nested(x) => array_items(x),
        Expr::Cast { expr, .. } => array_items(expr),
        Expr::Array(a) => Ok(a.elem.clone()),
        other => Err(format!("`= ANY ({other})`")),
    }
}

fn like(
    x: &Expr,
    pattern: &Expr,
    escape: Option<&Expr>,
    negated: bool,
    insensitive: bool,
    ctx: &ExprCtx,
) -> Out {
    let (mut a, mut b) = (render(x, ctx)?, render(pattern, ctx)?);
    let op = if insensitive && ctx.to == Dialect::Postgres {
        "ILIKE"
    } else {
        if insensitive {
            a = format!("LOWER({a})");
            b = format!("LOWER({b})");
        }
        "LIKE"
    };
    let mut s = format!("{a} {}{op} {b}", if negated { "NOT " } else { "" });
    if let Some(esc) = escape {
        s.push_str(&format!(" ESCAPE {}", render(esc, ctx)?));
    }
    Ok(s)
}

fn function_name(f: &Function) -> String {
    f.name
        .0
        .last()
        .map(|p| match p {
            ObjectNamePart::Identifier(i) => i.value.to_ascii_lowercase(),
            other => other.to_string().to_ascii_lowercase(),
        })
        .unwrap_or_default()
}

fn plain_args(f: &Function) -> Result<Vec<Expr>, String> {
    match &f.args {
        FunctionArguments::None => Ok(Vec::new()),
        FunctionArguments::List(l) if l.duplicate_treatment.is_none() && l.clauses.is_empty() => l
            .args
            .iter()
            .map(|a| match a {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Ok(e.clone()),
                other => Err(format!("argument `{other}`")),
            })
            .collect(),
        other => Err(format!("arguments `{other}`")),
    }
}

fn function(f: &Function, ctx: &ExprCtx) -> Out {
    let name = function_name(f);
    if f.filter.is_some() || f.over.is_some() || !f.within_group.is_empty() {
        return Err(format!("function `{f}`"));
    }
    let args = plain_args(f)?;
    let r = args
        .iter()
        .map(|a| render(a, ctx))
        .collect::<Result<Vec<_>, _>>()?;
    let to = ctx.to;
    let arity = |n: usize| -> Result<(), String> {
        if r.len() == n {
            Ok(())
        } else {
            Err(format!("`{f}`: {name} with {} argument(s)", r.len()))
        }
    };
    Ok(match name.as_str() {
        "now"
        | "current_timestamp"
        | "localtimestamp"
        | "transaction_timestamp"
        | "statement_timestamp"
        | "getdate" => {
            if !matches!(r.len(), 0 | 1) {
                arity(0)?;
            }
            "CURRENT_TIMESTAMP".into()
        }
        "current_date" | "curdate" => {
            arity(0)?;
            "CURRENT_DATE".into()
        }
        "current_time" | "curtime" | "localtime" => {
            if !matches!(r.len(), 0 | 1) {
                arity(0)?;
            }
            "CURRENT_TIME".into()
        }
        "length" | "char_length" | "character_length" => {
            arity(1)?;
            let bytes = name == "length" && ctx.from.is_mysql_family();
            match (to, bytes) {
                (Dialect::Postgres, true) => format!("OCTET_LENGTH({})", r[0]),
                (Dialect::Sqlite, true) => format!("LENGTH(CAST({} AS BLOB))", r[0]),
                (Dialect::Mysql | Dialect::Mariadb, true) => format!("LENGTH({})", r[0]),
                (Dialect::Mysql | Dialect::Mariadb, false) => format!("CHAR_LENGTH({})", r[0]),
                (_, false) => format!("LENGTH({})", r[0]),
            }
        }
        "octet_length" => {
            arity(1)?;
            match to {
                Dialect::Sqlite => format!("LENGTH(CAST({} AS BLOB))", r[0]),
                Dialect::Postgres => format!("OCTET_LENGTH({})", r[0]),
                _ => format!("LENGTH({})", r[0]),
            }
        }
        "lower" | "upper" | "abs" => {
            arity(1)?;
            format!("{}({})", name.to_ascii_uppercase(), r[0])
        }
        "round" if matches!(r.len(), 1 | 2) => format!("ROUND({})", r.join(", ")),
        "coalesce" if !r.is_empty() => format!("COALESCE({})", r.join(", ")),
        "nullif" => {
            arity(2)?;
            format!("NULLIF({}, {})", r[0], r[1])
        }
        "concat" if !r.is_empty() => match (ctx.from, to) {
            // PostgreSQL's concat() skips NULLs; MySQL's CONCAT_WS('') does the same.
            (Dialect::Postgres, Dialect::Mysql | Dialect::Mariadb) => {
                format!("CONCAT_WS('', {})", r.join(", "))
            }
            (Dialect::Postgres, _) => format!("CONCAT({})", r.join(", ")),
            (_, Dialect::Mysql | Dialect::Mariadb) => format!("CONCAT({})", r.join(", ")),
            // MySQL's CONCAT is NULL when any part is, as `||` is.
            _ => format!("({})", r.join(" || ")),
        },
        _ => return Err(format!("function `{name}` has no translation")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tr(sql: &str, from: Dialect, to: Dialect) -> Out {
        translate(
            sql,
            &ExprCtx {
                from,
                to,
                value_as: None,
                user_types: &["mpaa_rating".to_string()],
            },
        )
    }

    use Dialect::{Mariadb, Mysql, Postgres as Pg, Sqlite};

    #[test]
    fn numeric_casts_of_literals_go_where_the_target_coerces() {
        assert_eq!(
            tr("(total >= 0::numeric)", Pg, Mariadb).unwrap(),
            "(total >= 0)"
        );
        assert_eq!(
            tr("total >= '0'::numeric", Pg, Sqlite).unwrap(),
            "total >= 0"
        );
        assert_eq!(
            tr("amount::numeric(10,2) > 0", Pg, Mysql).unwrap(),
            "CAST(amount AS DECIMAL(10,2)) > 0"
        );
        assert_eq!(
            tr("amount::numeric > 0", Pg, Mysql).unwrap(),
            "CAST(amount AS DECIMAL(65,30)) > 0"
        );
        assert_eq!(
            tr("amount::integer > 0", Pg, Sqlite).unwrap(),
            "CAST(amount AS INTEGER) > 0"
        );
        assert_eq!(
            tr("CAST(amount AS SIGNED) > 0", Mysql, Pg).unwrap(),
            "CAST(amount AS BIGINT) > 0"
        );
    }

    #[test]
    fn dates_and_now() {
        assert_eq!(tr("now()", Pg, Sqlite).unwrap(), "CURRENT_TIMESTAMP");
        assert_eq!(tr("now()", Pg, Mariadb).unwrap(), "CURRENT_TIMESTAMP");
        assert_eq!(
            tr("CURRENT_TIMESTAMP", Mysql, Pg).unwrap(),
            "CURRENT_TIMESTAMP"
        );
        assert_eq!(
            tr("('now'::text)::date", Pg, Mysql).unwrap(),
            "CURRENT_DATE"
        );
        assert_eq!(tr("current_date", Pg, Sqlite).unwrap(), "CURRENT_DATE");
        assert_eq!(
            tr(
                "((payment_date >= '2007-01-01 00:00:00'::timestamp without time zone) AND (payment_date < '2007-02-01'::timestamp without time zone))",
                Pg,
                Mariadb
            )
            .unwrap(),
            "((payment_date >= '2007-01-01 00:00:00') AND (payment_date < '2007-02-01'))"
        );
    }

    #[test]
    fn booleans_concat_ilike_in_lists() {
        assert_eq!(tr("active = true", Pg, Mysql).unwrap(), "active = 1");
        assert_eq!(tr("active = false", Pg, Sqlite).unwrap(), "active = 0");
        assert_eq!(tr("active = 1", Mysql, Pg).unwrap(), "active = 1");
        assert_eq!(
            tr("first || ' ' || last <> ''", Pg, Mariadb).unwrap(),
            "CONCAT(first, ' ', last) <> ''"
        );
        assert_eq!(
            tr("CONCAT(a, b) <> ''", Mysql, Sqlite).unwrap(),
            "(a || b) <> ''"
        );
        assert_eq!(
            tr("email ILIKE '%@x.org'", Pg, Mysql).unwrap(),
            "LOWER(email) LIKE LOWER('%@x.org')"
        );
        assert_eq!(
            tr("email ILIKE '%@x.org'", Pg, Pg).unwrap(),
            "email ILIKE '%@x.org'"
        );
        assert_eq!(
            tr(
                "((rating)::text = ANY ((ARRAY['G'::character varying, 'PG'::character varying])::text[]))",
                Pg,
                Mysql
            )
            .unwrap(),
            "((rating) IN ('G', 'PG'))"
        );
        assert_eq!(
            tr("status NOT IN ('a', 'b')", Mysql, Pg).unwrap(),
            "status NOT IN ('a', 'b')"
        );
        assert_eq!(
            tr("rating <> ALL (ARRAY['X'::mpaa_rating])", Pg, Sqlite).unwrap(),
            "rating NOT IN ('X')"
        );
    }

    #[test]
    fn functions_arithmetic_null_tests_between() {
        assert_eq!(
            tr("char_length(name) BETWEEN 1 AND 80", Pg, Mysql).unwrap(),
            "CHAR_LENGTH(name) BETWEEN 1 AND 80"
        );
        assert_eq!(
            tr("length(name) > 0", Mysql, Pg).unwrap(),
            "OCTET_LENGTH(name) > 0"
        );
        assert_eq!(
            tr(
                "coalesce(a, 0) * 2 + b % 3 >= 1 OR c IS NOT NULL",
                Pg,
                Sqlite
            )
            .unwrap(),
            "COALESCE(a, 0) * 2 + b % 3 >= 1 OR c IS NOT NULL"
        );
        assert_eq!(
            tr("NOT lower(code) = upper(code)", Pg, Mysql).unwrap(),
            "NOT (LOWER(code) = UPPER(code))"
        );
        assert_eq!(tr("\"Order\" > 0", Pg, Mysql).unwrap(), "`Order` > 0");
        assert_eq!(
            tr("CASE WHEN a > 0 THEN 'x' ELSE 'y' END = 'x'", Pg, Mysql).unwrap(),
            "CASE WHEN a > 0 THEN 'x' ELSE 'y' END = 'x'"
        );
    }

    #[test]
    fn domain_value_becomes_the_column() {
        let ctx = ExprCtx {
            from: Pg,
            to: Mysql,
            value_as: Some("release_year"),
            user_types: &[],
        };
        assert_eq!(
            translate("((VALUE >= 1901) AND (VALUE <= 2155))", &ctx).unwrap(),
            "((release_year >= 1901) AND (release_year <= 2155))"
        );
    }

    #[test]
    fn anything_else_is_refused_with_what_was_met() {
        let e = tr("name ~ '^[a-z]+$'", Pg, Mysql).unwrap_err();
        assert!(e.contains('~'), "{e}");
        let e = tr("to_tsvector(title) IS NOT NULL", Pg, Mysql).unwrap_err();
        assert!(e.contains("to_tsvector"), "{e}");
        let e = tr("a > (SELECT 1)", Pg, Mysql).unwrap_err();
        assert!(e.contains("no translation"), "{e}");
        let e = tr("a > > 1", Pg, Mysql).unwrap_err();
        assert!(e.contains("cannot parse"), "{e}");
        assert!(tr("a > 1 extra", Pg, Mysql).is_err());
    }

    #[test]
    fn nextval_and_columns() {
        assert_eq!(
            nextval_sequence("nextval('actor_actor_id_seq'::regclass)", Pg).as_deref(),
            Some("actor_actor_id_seq")
        );
        assert_eq!(nextval_sequence("now()", Pg), None);
        assert_eq!(
            columns_used("(Total >= 0::numeric) AND lower(\"Name\") <> ''", Pg),
            ["total", "Name"]
        );
    }
}
