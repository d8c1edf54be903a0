//! One column: user rules, domains, enums, the type rules, its default and generated
//! expression.

use super::expr;
use super::report::{Action, ObjectKind};
use super::rules::{CastAction, CastType};
use super::types::{self, AddedCheck, TypeMap};
use super::Cx;
use crate::definition::{Check, Column, DefaultValue, EnumType, Table};
use crate::dialect::Dialect;
use crate::types::ColumnType;

/// A converted column and the CHECKs it brought (domains, enums, unsigned, JSON).
pub(crate) struct Converted {
    pub column: Option<Column>,
    pub checks: Vec<Check>,
}

pub(crate) fn convert_column(t: &Table, c: &Column, cx: &mut Cx) -> Converted {
    let obj = format!("{}.{}", t.name, c.name);
    let mut col = c.clone();
    let mut checks = Vec::new();
    let source = types::source_name(&c.ty, cx.from);
    let rule = cx
        .rules
        .for_column(&t.name, &c.name, std::slice::from_ref(&source));
    if let Some(rule) = rule {
        match &rule.action {
            CastAction::Drop => {
                cx.report.push(
                    ObjectKind::Column,
                    &obj,
                    Action::Dropped,
                    format!("{source} column dropped by rule `{}`", rule.text),
                    true,
                );
                return Converted {
                    column: None,
                    checks,
                };
            }
            CastAction::To(ct) => {
                col.ty = match ct {
                    CastType::Portable(p) => p.clone(),
                    CastType::Raw(s) => types::raw(cx.to, s),
                };
                cx.report.push(
                    ObjectKind::Column,
                    &obj,
                    Action::Mapped,
                    format!(
                        "{source} → {} by rule `{}`",
                        type_label(&col.ty, cx.to),
                        rule.text
                    ),
                    false,
                );
            }
        }
    } else {
        convert_type(t, &mut col, &source, &mut checks, cx);
    }
    convert_default(t, &mut col, cx);
    convert_generated(t, &mut col, cx);
    convert_attributes(&obj, &mut col, cx);
    Converted {
        column: Some(col),
        checks,
    }
}

/// The target's spelling of a type, for report lines.
fn type_label(ty: &ColumnType, to: Dialect) -> String {
    to.type_sql(ty, "", "").unwrap_or_else(|_| ty.to_string())
}

fn check_name(t: &Table, col: &str, suffix: &str) -> String {
    format!("{}_{}_{}", t.name, col, suffix)
}

fn convert_type(t: &Table, col: &mut Column, source: &str, checks: &mut Vec<Check>, cx: &mut Cx) {
    let obj = format!("{}.{}", t.name, col.name);
    let is_raw = matches!(col.ty, ColumnType::Raw(_)) && !types::raw_has_target(&col.ty, cx.to);
    let bare = source.trim().trim_matches('"').to_string();
    let unqualified = bare.rsplit('.').next().unwrap_or(&bare).to_string();
    // A domain: its base type, nullability, default and checks move onto the column.
    if let Some(d) = cx
        .domains
        .iter()
        .find(|d| is_raw && d.name.eq_ignore_ascii_case(&unqualified))
        .cloned()
    {
        col.ty = d.ty.clone();
        col.nullable &= d.nullable;
        if col.default.is_none() {
            col.default = d.default.clone();
        }
        let mut added = Vec::new();
        for (i, ck) in d.checks.iter().enumerate() {
            let suffix = ck.name.clone().unwrap_or_else(|| format!("check{}", i + 1));
            let name = check_name(t, &col.name, &suffix);
            match expr::translate(&ck.expr, &cx.expr(Some(&col.name))) {
                Ok(e) => {
                    added.push(e.clone());
                    checks.push(Check {
                        name: Some(name),
                        expr: e,
                        not_valid: false,
                    });
                }
                Err(why) => check_failed(&name, &why, cx),
            }
        }
        cx.report.push(
            ObjectKind::Column,
            &obj,
            Action::Mapped,
            format!(
                "domain {} → {}{}{}",
                d.name,
                d.ty,
                if d.nullable { "" } else { " NOT NULL" },
                if added.is_empty() {
                    String::new()
                } else {
                    format!(" with CHECK ({})", added.join(") AND ("))
                }
            ),
            false,
        );
        let base = types::source_name(&col.ty, cx.from);
        return convert_type(t, col, &base, checks, cx);
    }
    // An enum type of the source (PostgreSQL), or a MySQL `enum(…)` column type.
    let labels = cx
        .enums
        .iter()
        .find(|e| is_raw && e.name.eq_ignore_ascii_case(&unqualified))
        .map(|e| (e.name.clone(), e.labels.clone()))
        .or_else(|| {
            (is_raw && cx.from.is_mysql_family())
                .then(|| enum_labels(source))
                .flatten()
                .map(|l| (format!("enum({})", l.len()), l))
        });
    if let Some((what, labels)) = labels {
        if cx.to.is_mysql_family() && cx.from.is_mysql_family() {
            // Same family: the raw type is carried as is below.
        } else {
            convert_enum(t, col, &what, labels, checks, cx);
            return;
        }
    }
    match types::map_type(&col.ty, cx.from, cx.to) {
        TypeMap::Keep => {}
        TypeMap::To {
            ty,
            check,
            detail,
            loss,
        } => {
            let changed = ty != col.ty;
            col.ty = ty;
            if let Some(ch) = check {
                let (e, suffix) = ch.sql(&col.name, cx.to);
                checks.push(Check {
                    name: Some(check_name(t, &col.name, suffix)),
                    expr: e,
                    not_valid: false,
                });
            }
            if changed || loss {
                cx.report
                    .push(ObjectKind::Column, &obj, Action::Mapped, detail, loss);
            }
        }
        TypeMap::Refuse(why) => {
            cx.report
                .push(ObjectKind::Column, &obj, Action::Refused, why, true);
        }
    }
}

fn convert_enum(
    t: &Table,
    col: &mut Column,
    what: &str,
    labels: Vec<String>,
    checks: &mut Vec<Check>,
    cx: &mut Cx,
) {
    let obj = format!("{}.{}", t.name, col.name);
    let quoted: Vec<String> = labels.iter().map(|l| cx.to.literal(l)).collect();
    if cx.to.is_mysql_family() {
        col.ty = types::raw(cx.to, &format!("ENUM({})", quoted.join(",")));
        cx.report.push(
            ObjectKind::Column,
            &obj,
            Action::Mapped,
            format!("{what} → ENUM({})", quoted.join(",")),
            false,
        );
    } else if cx.to == Dialect::Postgres && !cx.rules.enum_as_check {
        let name = format!("{}_{}", t.name, col.name);
        cx.new_enums.push(EnumType {
            schema: None,
            name: name.clone(),
            labels,
            comment: None,
        });
        col.ty = types::raw(Dialect::Postgres, &Dialect::Postgres.quote(&name));
        cx.report.push(
            ObjectKind::Column,
            &obj,
            Action::Mapped,
            format!(
                "{what} → CREATE TYPE {name} AS ENUM ({})",
                quoted.join(", ")
            ),
            false,
        );
    } else {
        col.ty = ColumnType::Text;
        let (e, suffix) = AddedCheck::OneOf(labels).sql(&col.name, cx.to);
        cx.report.push(
            ObjectKind::Column,
            &obj,
            Action::Mapped,
            format!("{what} → text with CHECK ({e})"),
            false,
        );
        checks.push(Check {
            name: Some(check_name(t, &col.name, suffix)),
            expr: e,
            not_valid: false,
        });
    }
}

/// The labels of `enum('a','b')` (quotes doubled or backslash-escaped inside).
pub(crate) fn enum_labels(ty: &str) -> Option<Vec<String>> {
    let t = ty.trim();
    let inner = t
        .get(..5)
        .filter(|p| p.eq_ignore_ascii_case("enum("))
        .and_then(|_| t[5..].strip_suffix(')'))?;
    let mut labels = Vec::new();
    let mut chars = inner.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace() || *c == ',') {
            chars.next();
        }
        match chars.next() {
            None => break,
            Some('\'') => {}
            Some(_) => return None,
        }
        let mut s = String::new();
        loop {
            match chars.next()? {
                '\'' if chars.peek() == Some(&'\'') => {
                    chars.next();
                    s.push('\'');
                }
                '\'' => break,
                '\\' => s.push(chars.next()?),
                c => s.push(c),
            }
        }
        labels.push(s);
    }
    (!labels.is_empty()).then_some(labels)
}

fn check_failed(name: &str, why: &str, cx: &mut Cx) {
    if cx.rules.drops_check(name) || cx.rules.drop_unconvertible_checks {
        cx.report.push(
            ObjectKind::Check,
            name,
            Action::Dropped,
            format!("{why}; dropped as the rules ask"),
            true,
        );
    } else {
        cx.report.push(
            ObjectKind::Check,
            name,
            Action::Refused,
            format!(
                "{why}; drop it with --cast 'check {name} drop' or --drop-unconvertible-checks"
            ),
            true,
        );
    }
}

/// A CHECK of the source written for the target, or None (dropped or refused, reported).
pub(crate) fn convert_check(ck: &Check, cx: &mut Cx) -> Option<Check> {
    let name = ck.name.clone().unwrap_or_default();
    if cx.rules.drops_check(&name) {
        cx.report.push(
            ObjectKind::Check,
            &name,
            Action::Dropped,
            format!("CHECK ({}) dropped by rule", ck.expr),
            true,
        );
        return None;
    }
    match expr::translate(&ck.expr, &cx.expr(None)) {
        Ok(e) => {
            if e != ck.expr.trim() {
                cx.report.push(
                    ObjectKind::Check,
                    &name,
                    Action::Rewritten,
                    format!("CHECK ({}) → CHECK ({e})", ck.expr.trim()),
                    false,
                );
            }
            let mut out = ck.clone();
            out.expr = e;
            if out.not_valid && cx.to != Dialect::Postgres {
                out.not_valid = false;
                cx.report.push(
                    ObjectKind::Check,
                    &name,
                    Action::Mapped,
                    "NOT VALID dropped: the target checks every row",
                    false,
                );
            }
            Some(out)
        }
        Err(why) => {
            check_failed(&name, &why, cx);
            None
        }
    }
}

fn convert_default(t: &Table, col: &mut Column, cx: &mut Cx) {
    let obj = format!("{}.{}", t.name, col.name);
    let Some(DefaultValue::Expr { expr: e }) = col.default.clone() else {
        return;
    };
    if let Some(seq) = expr::nextval_sequence(&e, cx.from) {
        col.default = None;
        if col.ty.is_integer() && !col.identity.is_set() {
            col.identity = crate::definition::Identity::ByDefault;
            cx.nextval_sequences.push(seq.clone());
            cx.report.push(
                ObjectKind::Default,
                &obj,
                Action::Rewritten,
                format!("DEFAULT nextval('{seq}') → identity"),
                false,
            );
        } else {
            cx.report.push(
                ObjectKind::Default,
                &obj,
                Action::Dropped,
                format!("DEFAULT nextval('{seq}') on a column that cannot be an identity"),
                true,
            );
        }
        return;
    }
    match expr::translate(&e, &cx.expr(None)) {
        Ok(mut out) => {
            if cx.to == Dialect::Mysql && matches!(out.as_str(), "CURRENT_DATE" | "CURRENT_TIME") {
                // MySQL takes only CURRENT_TIMESTAMP bare; other expressions in parentheses.
                out = format!("({out})");
            }
            if out != e.trim() {
                cx.report.push(
                    ObjectKind::Default,
                    &obj,
                    Action::Rewritten,
                    format!("DEFAULT {} → DEFAULT {out}", e.trim()),
                    false,
                );
            }
            col.default = Some(DefaultValue::Expr { expr: out });
        }
        Err(why) => {
            col.default = None;
            let drop =
                cx.rules.drops_default(&t.name, &col.name) || cx.rules.drop_unconvertible_defaults;
            cx.report.push(
                ObjectKind::Default,
                &obj,
                if drop {
                    Action::Dropped
                } else {
                    Action::Refused
                },
                if drop {
                    format!("DEFAULT {}: {why}; dropped as the rules ask", e.trim())
                } else {
                    format!(
                        "DEFAULT {}: {why}; drop it with --cast 'default {obj} drop'",
                        e.trim()
                    )
                },
                true,
            );
        }
    }
}

fn convert_generated(t: &Table, col: &mut Column, cx: &mut Cx) {
    let obj = format!("{}.{}", t.name, col.name);
    let Some(g) = col.generated.clone() else {
        return;
    };
    match expr::translate(&g.expr, &cx.expr(None)) {
        Ok(e) => {
            if e != g.expr.trim() {
                cx.report.push(
                    ObjectKind::Generated,
                    &obj,
                    Action::Rewritten,
                    format!("AS ({}) → AS ({e})", g.expr.trim()),
                    false,
                );
            }
            let mut g2 = g.clone();
            g2.expr = e;
            if !g2.stored && cx.to == Dialect::Postgres {
                g2.stored = true;
                cx.report.push(
                    ObjectKind::Generated,
                    &obj,
                    Action::Mapped,
                    "VIRTUAL → STORED (PostgreSQL stores generated columns)",
                    false,
                );
            }
            col.generated = Some(g2);
        }
        Err(why) => cx.report.push(
            ObjectKind::Generated,
            &obj,
            Action::Refused,
            format!("AS ({}): {why}; cast the column to a plain type with --cast 'column {obj} to TYPE'", g.expr.trim()),
            true,
        ),
    }
}

fn convert_attributes(obj: &str, col: &mut Column, cx: &mut Cx) {
    if col.collation.is_some() && cx.other_family() {
        let c = col.collation.take().unwrap_or_default();
        if cx.from.is_mysql_family() && is_charset_default(&c) {
            // The same comparison rules every MySQL text column has by default, which no
            // conversion keeps either: said, not counted as a loss of this column.
            cx.report.push(
                ObjectKind::Column,
                obj,
                Action::Dropped,
                format!("collation {c} is its character set's default, like the table's: the target's default collation applies"),
                false,
            );
        } else {
            cx.report.push(
                ObjectKind::Column,
                obj,
                Action::Dropped,
                format!("collation {c} has no counterpart: the target's default collation applies"),
                true,
            );
        }
    }
    if col.charset.is_some() && !cx.to.is_mysql_family() {
        let c = col.charset.take().unwrap_or_default();
        cx.report.push(
            ObjectKind::Column,
            obj,
            Action::Dropped,
            format!("character set {c} dropped: the target stores UTF-8"),
            false,
        );
    }
    if col.invisible && !cx.to.is_mysql_family() {
        col.invisible = false;
        cx.report.push(
            ObjectKind::Column,
            obj,
            Action::Dropped,
            "INVISIBLE dropped: the column shows in SELECT *",
            false,
        );
    }
}

/// A MySQL/MariaDB collation that is its character set's default (`utf8mb3_general_ci`, what
/// `NVARCHAR` gets; `utf8mb4_0900_ai_ci` on MySQL 8; `latin1_swedish_ci`).
fn is_charset_default(collation: &str) -> bool {
    let c = collation.to_ascii_lowercase();
    let general = [
        "utf8", "utf8mb3", "utf8mb4", "ucs2", "utf16", "utf32", "ascii",
    ]
    .iter()
    .any(|cs| c == format!("{cs}_general_ci"));
    general || c == "utf8mb4_0900_ai_ci" || c == "latin1_swedish_ci"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charset_default_collations() {
        assert!(is_charset_default("utf8mb3_general_ci"));
        assert!(is_charset_default("utf8mb4_0900_ai_ci"));
        assert!(!is_charset_default("utf8mb4_bin"));
        assert!(!is_charset_default("utf8mb4_unicode_ci"));
    }

    #[test]
    fn enum_labels_with_quotes() {
        assert_eq!(
            enum_labels("enum('G','PG-13','it''s','a\\'b')").unwrap(),
            ["G", "PG-13", "it's", "a'b"]
        );
        assert_eq!(enum_labels("ENUM('x')").unwrap(), ["x"]);
        assert!(enum_labels("set('x')").is_none());
        assert!(enum_labels("enum('x'").is_none());
    }
}
