//! CHECK, DEFAULT, generated-column and index expressions: parsed with sqlparser in the
//! source dialect and written again for the target, for a documented common subset (see
//! `docs/conversion.md`). Anything outside the subset is an error naming what was met, so
//! that the caller can refuse the constraint by name.

use crate::dialect::Dialect;
use sqlparser::ast::{BinaryOperator, CastKind, Expr, Ident, InTarget, UnaryOperator, Value};
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
    /// When set, every column name the expression reads is added to it.
    pub seen: Option<&'a std::cell::RefCell<Vec<String>>>,
}

pub(crate) type Out = Result<String, String>;

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
    let e = parse(check_body(sql), ctx.from)?;
    render(&e, ctx)
}

/// A constraint's expression without the `CHECK` keyword and `NOT VALID` that catalogs print
/// around it (`CHECK ((x > 0)) NOT VALID` → `(x > 0)`); other text unchanged.
fn check_body(sql: &str) -> &str {
    let t = sql.trim();
    let Some(rest) = t
        .get(..5)
        .filter(|k| k.eq_ignore_ascii_case("check"))
        .map(|_| t[5..].trim_start())
        .filter(|r| r.starts_with('('))
    else {
        return t;
    };
    match rest.len().checked_sub(9).and_then(|i| rest.get(i..)) {
        Some(tail) if tail.eq_ignore_ascii_case("NOT VALID") => rest[..rest.len() - 9].trim_end(),
        _ => rest,
    }
}

/// The sequence a `nextval('name'::regclass)` default draws from.
pub(crate) fn nextval_sequence(sql: &str, from: Dialect) -> Option<String> {
    let Expr::Function(f) = parse(sql, from).ok()? else {
        return None;
    };
    if super::functions::function_name(&f) != "nextval" {
        return None;
    }
    let args = super::functions::plain_args(&f).ok()?;
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
    let Ok(e) = parse(check_body(sql), from) else {
        return Vec::new();
    };
    // Render for the source itself, noting the identifiers met on the way; an expression
    // outside the subset falls back to the tokens that are not keywords.
    let seen = std::cell::RefCell::new(Vec::new());
    let ctx = ExprCtx {
        from,
        to: from,
        value_as: None,
        user_types: &[],
        seen: Some(&seen),
    };
    if render(&e, &ctx).is_ok() {
        return seen.into_inner();
    }
    let mut out = Vec::new();
    collect_idents(&format!("{e}"), from, &mut out);
    out
}

fn collect_idents(rendered: &str, from: Dialect, out: &mut Vec<String>) {
    // The identifiers of the expression are its word tokens that are not operators,
    // function names or type names (after `::` or `AS`): ask the tokenizer rather than
    // guess with string edits.
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
    const OPERATORS: &[&str] = &[
        "AND", "OR", "NOT", "NULL", "IS", "IN", "BETWEEN", "LIKE", "ILIKE", "SIMILAR", "CASE",
        "WHEN", "THEN", "ELSE", "END", "TRUE", "FALSE", "CAST", "AS", "ESCAPE", "ANY", "ALL",
        "SOME", "ARRAY", "DISTINCT", "FROM", "COLLATE",
    ];
    let mut after_type_marker = false;
    for (i, t) in tokens.iter().enumerate() {
        match t {
            Token::Whitespace(_) => continue,
            Token::DoubleColon => {
                after_type_marker = true;
                continue;
            }
            Token::Word(w) => {
                let next_is_paren = tokens[i + 1..]
                    .iter()
                    .find(|t| !matches!(t, Token::Whitespace(_)))
                    .is_some_and(|t| *t == Token::LParen);
                let upper = w.value.to_ascii_uppercase();
                let keyword = w.quote_style.is_none() && OPERATORS.contains(&upper.as_str());
                if !keyword && !next_is_paren && !after_type_marker {
                    let name = if w.quote_style.is_none() && from == Dialect::Postgres {
                        w.value.to_lowercase()
                    } else {
                        w.value.clone()
                    };
                    if !out.contains(&name) {
                        out.push(name);
                    }
                }
                after_type_marker = upper == "AS" && w.quote_style.is_none();
            }
            _ => after_type_marker = false,
        }
    }
}

pub(crate) fn render(e: &Expr, ctx: &ExprCtx) -> Out {
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
            kind: CastKind::Cast | CastKind::DoubleColon,
            expr,
            data_type,
            format: None,
        } => super::casts::cast(expr, data_type, ctx)?,
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
        Expr::Function(f) => super::functions::function(f, ctx)?,
        other => return Err(format!("`{other}` has no translation")),
    })
}

fn ident(id: &Ident, ctx: &ExprCtx) -> String {
    let name = if id.quote_style.is_none() && ctx.from == Dialect::Postgres {
        id.value.to_lowercase()
    } else {
        id.value.clone()
    };
    if let Some(seen) = ctx.seen {
        let mut v = seen.borrow_mut();
        if !v.contains(&name) {
            v.push(name.clone());
        }
    }
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

#[cfg(test)]
#[path = "expr_tests.rs"]
mod tests;
