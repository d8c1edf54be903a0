//! Functions in expressions: the documented set, spelled for the target.

use super::expr::{render, ExprCtx, Out};
use crate::dialect::Dialect;
use sqlparser::ast::{
    Expr, Function, FunctionArg, FunctionArgExpr, FunctionArguments, ObjectNamePart,
};

pub(crate) fn function_name(f: &Function) -> String {
    f.name
        .0
        .last()
        .map(|p| match p {
            ObjectNamePart::Identifier(i) => i.value.to_ascii_lowercase(),
            other => other.to_string().to_ascii_lowercase(),
        })
        .unwrap_or_default()
}

pub(crate) fn plain_args(f: &Function) -> Result<Vec<Expr>, String> {
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

pub(crate) fn function(f: &Function, ctx: &ExprCtx) -> Out {
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
