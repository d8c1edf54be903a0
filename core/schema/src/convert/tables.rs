//! One table: its columns, keys, constraints and table-level options; identity columns; and
//! the MySQL rules for keys on text columns.

use super::columns;
use super::indexes;
use super::report::{Action, ObjectKind};
use super::Cx;
use crate::definition::{Deferrable, FkAction, Identity, SchemaDefinition, Table, Unique};
use crate::dialect::Dialect;
use crate::types::ColumnType;

pub(crate) fn convert_table(t: &Table, cx: &mut Cx) -> Table {
    let mut out = t.clone();
    out.columns.clear();
    out.checks.clear();
    let mut added_checks = Vec::new();
    let mut dropped: Vec<String> = Vec::new();
    for c in &t.columns {
        let conv = columns::convert_column(t, c, cx);
        match conv.column {
            Some(col) => out.columns.push(col),
            None => dropped.push(c.name.clone()),
        }
        added_checks.extend(conv.checks);
    }
    let uses_dropped = |cols: &[String]| cols.iter().find(|c| dropped.contains(c)).cloned();
    if let Some(c) = uses_dropped(&out.primary_key) {
        cx.report.push(
            ObjectKind::Table,
            &t.name,
            Action::Dropped,
            format!("primary key dropped with its column {c}"),
            true,
        );
        out.primary_key.clear();
    }
    out.unique.retain(|u| match uses_dropped(&u.columns) {
        Some(c) => {
            cx.report.push(
                ObjectKind::Unique,
                u.name.clone().unwrap_or_default(),
                Action::Dropped,
                format!("dropped with its column {}.{c}", t.name),
                true,
            );
            false
        }
        None => true,
    });
    out.foreign_keys.retain(|f| match uses_dropped(&f.columns) {
        Some(c) => {
            cx.report.push(
                ObjectKind::ForeignKey,
                f.name.clone().unwrap_or_default(),
                Action::Dropped,
                format!("dropped with its column {}.{c}", t.name),
                true,
            );
            false
        }
        None => true,
    });
    for ck in &t.checks {
        let name = ck.name.clone().unwrap_or_default();
        let used = super::expr::columns_used(&ck.expr, cx.from);
        if let Some(c) = used
            .iter()
            .find(|u| dropped.iter().any(|d| d.eq_ignore_ascii_case(u)))
        {
            cx.report.push(
                ObjectKind::Check,
                &name,
                Action::Dropped,
                format!("dropped with its column {}.{c}", t.name),
                true,
            );
            continue;
        }
        if let Some(c) = columns::convert_check(ck, cx) {
            out.checks.push(c);
        }
    }
    out.checks.extend(added_checks);
    convert_constraints(&mut out, cx);
    indexes::convert(&mut out, &dropped, cx);
    convert_identity(&mut out, cx);
    convert_options(&mut out, cx);
    out
}

fn convert_constraints(t: &mut Table, cx: &mut Cx) {
    let pg = cx.to == Dialect::Postgres;
    for u in &mut t.unique {
        let name = u.name.clone().unwrap_or_default();
        if u.nulls_not_distinct && !pg {
            u.nulls_not_distinct = false;
            cx.report.push(
                ObjectKind::Unique,
                &name,
                Action::Mapped,
                "NULLS NOT DISTINCT dropped: the target lets NULLs repeat",
                true,
            );
        }
        if u.deferrable != Deferrable::No && !pg {
            u.deferrable = Deferrable::No;
            cx.report.push(
                ObjectKind::Unique,
                &name,
                Action::Mapped,
                "DEFERRABLE dropped: checked at each statement",
                true,
            );
        }
    }
    for f in &mut t.foreign_keys {
        let name = f.name.clone().unwrap_or_default();
        if f.deferrable != Deferrable::No && cx.to.is_mysql_family() {
            f.deferrable = Deferrable::No;
            cx.report.push(
                ObjectKind::ForeignKey,
                &name,
                Action::Mapped,
                "DEFERRABLE dropped: MySQL checks at each statement",
                true,
            );
        }
        if f.match_full && cx.to != Dialect::Postgres {
            f.match_full = false;
            cx.report.push(
                ObjectKind::ForeignKey,
                &name,
                Action::Mapped,
                "MATCH FULL dropped: the target matches SIMPLE",
                true,
            );
        }
        if f.not_valid && !pg {
            f.not_valid = false;
            cx.report.push(
                ObjectKind::ForeignKey,
                &name,
                Action::Mapped,
                "NOT VALID dropped: the target checks every row",
                false,
            );
        }
        if cx.to.is_mysql_family() {
            for (action, which) in [
                (&mut f.on_delete, "ON DELETE"),
                (&mut f.on_update, "ON UPDATE"),
            ] {
                if *action == FkAction::SetDefault {
                    *action = FkAction::Restrict;
                    cx.report.push(
                        ObjectKind::ForeignKey,
                        &name,
                        Action::Mapped,
                        format!("{which} SET DEFAULT → RESTRICT (InnoDB has no SET DEFAULT)"),
                        true,
                    );
                }
            }
        }
    }
    for x in std::mem::take(&mut t.excludes) {
        if pg {
            t.excludes.push(x);
        } else {
            cx.report.push(
                ObjectKind::Exclude,
                x.name.clone().unwrap_or_else(|| t.name.clone()),
                Action::NotConverted,
                format!(
                    "EXCLUDE USING {} ({}) has no counterpart",
                    x.using,
                    x.elements.join(", ")
                ),
                true,
            );
        }
    }
    if !pg {
        for p in std::mem::take(&mut t.policies) {
            cx.report.push(
                ObjectKind::Policy,
                format!("{}.{}", t.name, p.name),
                Action::NotConverted,
                "row-level security policy has no counterpart",
                true,
            );
        }
        if t.row_security || t.force_row_security {
            t.row_security = false;
            t.force_row_security = false;
            cx.report.push(
                ObjectKind::Table,
                &t.name,
                Action::NotConverted,
                "row-level security has no counterpart",
                true,
            );
        }
    }
}

fn convert_identity(t: &mut Table, cx: &mut Cx) {
    let ids: Vec<usize> = (0..t.columns.len())
        .filter(|i| t.columns[*i].identity.is_set())
        .collect();
    let to = cx.to;
    for (n, i) in ids.into_iter().enumerate() {
        let obj = format!("{}.{}", t.name, t.columns[i].name);
        let name = t.columns[i].name.clone();
        if n > 0 && to != Dialect::Postgres {
            t.columns[i].identity = Identity::No;
            cx.report.push(
                ObjectKind::Column,
                &obj,
                Action::Dropped,
                format!("second identity column: {to} allows one per table; values are no longer generated"),
                true,
            );
            continue;
        }
        if to == Dialect::Sqlite && t.primary_key != [name.clone()] {
            t.columns[i].identity = Identity::No;
            cx.report.push(
                ObjectKind::Column,
                &obj,
                Action::Dropped,
                "identity dropped: SQLite generates values only for a column that is the whole primary key",
                true,
            );
            continue;
        }
        if t.columns[i].identity == Identity::Always && to != Dialect::Postgres {
            t.columns[i].identity = Identity::ByDefault;
            cx.report.push(
                ObjectKind::Column,
                &obj,
                Action::Mapped,
                "GENERATED ALWAYS AS IDENTITY → auto-increment (explicit values are accepted)",
                false,
            );
        }
        if t.columns[i].identity_options.is_some() && to != Dialect::Postgres {
            t.columns[i].identity_options = None;
            cx.report.push(
                ObjectKind::Column,
                &obj,
                Action::Mapped,
                "identity sequence options dropped (the copy sets the counter)",
                false,
            );
        }
        if to.is_mysql_family()
            && t.primary_key.first() != Some(&name)
            && !t.unique.iter().any(|u| u.columns.first() == Some(&name))
        {
            let uname = format!("{}_{}_key", t.name, name);
            t.unique.push(Unique {
                name: Some(uname.clone()),
                columns: vec![name.clone()],
                ..Default::default()
            });
            cx.report.push(
                ObjectKind::Unique,
                &uname,
                Action::Mapped,
                format!("added: MySQL's AUTO_INCREMENT column {obj} must lead a key"),
                false,
            );
        }
        cx.identity_columns.push(obj);
    }
}

fn convert_options(t: &mut Table, cx: &mut Cx) {
    let name = t.name.clone();
    if t.unlogged && cx.to != Dialect::Postgres {
        t.unlogged = false;
        cx.report.push(
            ObjectKind::Table,
            &name,
            Action::Dropped,
            "UNLOGGED dropped: the table is logged",
            false,
        );
    }
    if (t.without_rowid || t.strict) && cx.to != Dialect::Sqlite {
        t.without_rowid = false;
        t.strict = false;
        cx.report.push(
            ObjectKind::Table,
            &name,
            Action::Dropped,
            "SQLite WITHOUT ROWID/STRICT dropped",
            false,
        );
    }
    if !t.options.is_empty() && cx.other_family() {
        let opts: Vec<String> = t.options.iter().map(|(k, v)| format!("{k}={v}")).collect();
        t.options.clear();
        cx.report.push(
            ObjectKind::Table,
            &name,
            Action::Dropped,
            format!(
                "table options {} dropped: the target's defaults apply",
                opts.join(", ")
            ),
            false,
        );
    }
    if t.schema.is_some() && cx.to == Dialect::Sqlite {
        let s = t.schema.take().unwrap_or_default();
        cx.report.push(
            ObjectKind::Table,
            &name,
            Action::Mapped,
            format!("schema {s} dropped: SQLite keeps the table in the main database"),
            false,
        );
    }
}

/// MySQL cannot key a TEXT or BLOB column without a length: a text column in a primary key,
/// unique constraint or foreign key (either side) becomes `varchar(255)`; in a plain index it
/// gets a 255-character prefix (see `indexes`).
pub(crate) fn fix_foreign_keys(def: &mut SchemaDefinition, cx: &mut Cx) {
    if !cx.to.is_mysql_family() {
        return;
    }
    let mut keyed: Vec<(String, String)> = Vec::new();
    for t in &def.tables {
        let mut add = |table: &str, cols: &[String]| {
            for c in cols {
                keyed.push((table.to_string(), c.clone()));
            }
        };
        add(&t.name, &t.primary_key);
        for u in &t.unique {
            add(&t.name, &u.columns);
        }
        for f in &t.foreign_keys {
            add(&t.name, &f.columns);
            add(&f.ref_table, &f.ref_columns);
        }
        for ix in t.indexes.iter().filter(|i| i.unique) {
            let cols: Vec<String> = ix.columns.iter().filter_map(|k| k.column.clone()).collect();
            add(&t.name, &cols);
        }
    }
    for t in &mut def.tables {
        for c in &mut t.columns {
            let is_keyed = keyed.iter().any(|(tn, cn)| *tn == t.name && *cn == c.name);
            if is_keyed && matches!(c.ty, ColumnType::Text | ColumnType::Json) {
                let was = c.ty.to_string();
                c.ty = ColumnType::Varchar(255);
                cx.report.push(
                    ObjectKind::Column,
                    format!("{}.{}", t.name, c.name),
                    Action::Mapped,
                    format!("{was} in a key → VARCHAR(255): MySQL cannot key LONGTEXT (longer values do not fit)"),
                    true,
                );
            }
        }
    }
}
