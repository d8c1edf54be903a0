//! Indexes: methods, expression keys, partial predicates, INCLUDE, operator classes and
//! prefix lengths, translated where the target has them and dropped with a line where not.

use super::expr;
use super::report::{Action, ObjectKind};
use super::Cx;
use crate::definition::{Index, Table};
use crate::dialect::Dialect;
use crate::types::ColumnType;

/// Index methods only PostgreSQL has.
const PG_METHODS: &[&str] = &["gin", "gist", "brin", "spgist"];
/// Index kinds only MySQL/MariaDB have.
const MYSQL_METHODS: &[&str] = &["fulltext", "spatial"];

pub(crate) fn convert(t: &mut Table, dropped: &[String], cx: &mut Cx) {
    let list = std::mem::take(&mut t.indexes);
    for ix in list {
        if let Some(ix) = convert_index(t, ix, dropped, cx) {
            t.indexes.push(ix);
        }
    }
}

fn drop_index(name: &str, why: String, cx: &mut Cx) -> Option<Index> {
    cx.report
        .push(ObjectKind::Index, name, Action::Dropped, why, true);
    None
}

fn note(name: &str, what: &str, loss: bool, cx: &mut Cx) {
    cx.report
        .push(ObjectKind::Index, name, Action::Mapped, what, loss);
}

fn convert_index(t: &Table, mut ix: Index, dropped: &[String], cx: &mut Cx) -> Option<Index> {
    let name = ix.name.clone().unwrap_or_default();
    let to = cx.to;
    let pg = to == Dialect::Postgres;
    let mysql = to.is_mysql_family();
    if let Some(c) = ix
        .columns
        .iter()
        .filter_map(|k| k.column.as_ref())
        .find(|c| dropped.contains(c))
    {
        return drop_index(&name, format!("dropped with its column {}.{c}", t.name), cx);
    }
    if let Some(m) = ix.method.clone().map(|m| m.to_ascii_lowercase()) {
        let foreign = (PG_METHODS.contains(&m.as_str()) && !pg)
            || (MYSQL_METHODS.contains(&m.as_str()) && !mysql);
        if foreign {
            return drop_index(&name, format!("{m} index has no counterpart in {to}"), cx);
        }
        if m == "hash" && !pg {
            ix.method = None;
            note(&name, "hash method dropped: a B-tree index", false, cx);
        } else if m == "btree" && !pg {
            ix.method = None;
        }
    }
    if let Some(p) = ix.predicate.clone() {
        if mysql {
            return drop_index(
                &name,
                format!("partial index (WHERE {p}): {to} has no partial indexes"),
                cx,
            );
        }
        match expr::translate(&p, &cx.expr(None)) {
            Ok(e) => {
                if e != p.trim() {
                    note(&name, &format!("WHERE {} → WHERE {e}", p.trim()), false, cx);
                }
                ix.predicate = Some(e);
            }
            Err(why) => return drop_index(&name, format!("predicate WHERE {p}: {why}"), cx),
        }
    }
    for k in &mut ix.columns {
        if let Some(e) = k.expr.clone() {
            if to == Dialect::Mariadb {
                return drop_index(
                    &name,
                    format!("expression key ({e}): MariaDB has no expression indexes"),
                    cx,
                );
            }
            match expr::translate(&e, &cx.expr(None)) {
                Ok(out) => {
                    if out != e.trim() {
                        note(&name, &format!("key ({}) → ({out})", e.trim()), false, cx);
                    }
                    k.expr = Some(out);
                }
                Err(why) => return drop_index(&name, format!("expression key ({e}): {why}"), cx),
            }
        }
        if k.opclass.is_some() && !pg {
            let o = k.opclass.take().unwrap_or_default();
            note(&name, &format!("operator class {o} dropped"), false, cx);
        }
        if k.collation.is_some() && cx.other_family() {
            let c = k.collation.take().unwrap_or_default();
            note(&name, &format!("key collation {c} dropped"), false, cx);
        }
        if k.nulls_first.is_some() && !pg {
            k.nulls_first = None;
            note(
                &name,
                "NULLS FIRST/LAST dropped: the target's NULL order applies",
                false,
                cx,
            );
        }
        if k.length.is_some() && !mysql {
            let n = k.length.take().unwrap_or_default();
            note(
                &name,
                &format!("prefix length ({n}) dropped: the whole value is indexed"),
                ix.unique,
                cx,
            );
        }
        let is_text = k
            .column
            .as_ref()
            .and_then(|c| t.column(c))
            .is_some_and(|c| {
                matches!(c.ty, ColumnType::Text | ColumnType::Blob | ColumnType::Json)
            });
        if mysql && is_text && k.length.is_none() {
            k.length = Some(255);
            note(
                &name,
                &format!(
                    "key {} indexed on its first 255 characters: MySQL cannot index LONGTEXT whole",
                    k.label()
                ),
                ix.unique,
                cx,
            );
        }
    }
    if !ix.include.is_empty() && !pg {
        let inc = std::mem::take(&mut ix.include);
        note(
            &name,
            &format!(
                "INCLUDE ({}) dropped: the index no longer covers them",
                inc.join(", ")
            ),
            false,
            cx,
        );
    }
    if ix.nulls_not_distinct && !pg {
        ix.nulls_not_distinct = false;
        note(
            &name,
            "NULLS NOT DISTINCT dropped: the target lets NULLs repeat",
            true,
            cx,
        );
    }
    if !ix.with.is_empty() && !pg {
        ix.with.clear();
        note(&name, "storage parameters dropped", false, cx);
    }
    Some(ix)
}
