//! Validation of a [`SchemaDefinition`], for every dialect or one in particular: tables and
//! their keys here, the other object kinds and what each dialect can hold in [`objects`].

mod objects;

use crate::definition::{DefaultValue, FkAction, SchemaDefinition, Table};
use crate::dialect::Dialect;
use crate::error::{Problem, SchemaError};
use crate::types::ColumnType;
use std::collections::HashSet;

/// Checks `def` and returns every problem found at once (empty: valid). With a dialect, also
/// checks what that dialect cannot express (identifier lengths, partial indexes on MySQL, …).
pub fn problems(def: &SchemaDefinition, dialect: Option<Dialect>) -> Vec<Problem> {
    let mut out = Vec::new();
    let named = def.with_names();
    let mut tables = HashSet::new();
    let mut object_names: HashSet<String> = HashSet::new();
    for t in &named.tables {
        let mut p = |item: Option<String>, message: String| {
            out.push(Problem {
                table: t.name.clone(),
                item,
                message,
            })
        };
        if t.name.trim().is_empty() {
            p(None, "table name is empty".into());
        }
        if !tables.insert(t.key().to_ascii_lowercase()) {
            p(None, "duplicate table name".into());
        }
        // PostgreSQL holds tables without columns; the others need one (a partition takes
        // its parent's columns).
        if t.columns.is_empty()
            && t.partition_of.is_none()
            && dialect.is_some_and(|d| d != Dialect::Postgres)
        {
            p(None, "table has no columns".into());
        }
        check_ident(&t.name, "table name", dialect, &mut p, None);
        let mut cols = HashSet::new();
        let mut identities = 0;
        for c in &t.columns {
            let at = Some(format!("column `{}`", c.name));
            if c.name.trim().is_empty() {
                p(at.clone(), "column name is empty".into());
            }
            if !cols.insert(c.name.to_ascii_lowercase()) {
                p(at.clone(), "duplicate column name".into());
            }
            check_ident(&c.name, "column name", dialect, &mut p, at.clone());
            if c.identity.is_set() {
                identities += 1;
                if !c.ty.is_integer() {
                    p(
                        at.clone(),
                        format!("identity needs an integer type, not {}", c.ty),
                    );
                }
                if c.default.is_some() {
                    p(
                        at.clone(),
                        "an identity column cannot have a default".into(),
                    );
                }
                if c.generated.is_some() {
                    p(
                        at.clone(),
                        "a column is identity or generated, not both".into(),
                    );
                }
            }
            if c.generated.is_some() && c.default.is_some() {
                p(
                    at.clone(),
                    "a generated column cannot have a default".into(),
                );
            }
            match (&c.default, &c.ty) {
                (Some(DefaultValue::Expr { expr }), _) if expr.trim().is_empty() => {
                    p(at.clone(), "default expression is empty".into());
                }
                (Some(DefaultValue::Text(s)), ColumnType::Char(n) | ColumnType::Varchar(n))
                    if s.chars().count() > *n as usize =>
                {
                    p(
                        at.clone(),
                        format!("default '{s}' is longer than the column's {n} characters"),
                    );
                }
                (Some(DefaultValue::Bool(_)), ty) if *ty != ColumnType::Bool => {
                    p(at.clone(), format!("boolean default on a {ty} column"));
                }
                _ => {}
            }
            if let (Some(d), ColumnType::Raw(m)) = (dialect, &c.ty) {
                let has =
                    m.contains_key(d.name()) || (d == Dialect::Mariadb && m.contains_key("mysql"));
                if !has {
                    p(at.clone(), format!("raw type has no `{}` entry", d.name()));
                }
            }
            if let ColumnType::Raw(m) = &c.ty {
                for k in m.keys() {
                    if k.parse::<Dialect>().is_err() {
                        p(at.clone(), format!("raw type names unknown dialect `{k}`"));
                    }
                }
            }
        }
        // PostgreSQL allows several identity columns; MySQL one AUTO_INCREMENT, SQLite one rowid.
        if identities > 1 && dialect.is_some_and(|d| d != Dialect::Postgres) {
            p(
                None,
                format!(
                    "more than one identity column ({} allows one)",
                    dialect.map_or("", Dialect::name)
                ),
            );
        }
        let has = |c: &String| t.column(c).is_some();
        for c in &t.primary_key {
            if !has(c) {
                p(Some("primary key".into()), format!("unknown column `{c}`"));
            }
        }
        if let Some(id) = t.columns.iter().find(|c| c.identity.is_set()) {
            match dialect {
                Some(Dialect::Sqlite) if t.primary_key != [id.name.clone()] => p(
                    Some(format!("column `{}`", id.name)),
                    "SQLite allows identity (AUTOINCREMENT) only on a column that is the whole primary key".into(),
                ),
                Some(d) if d.is_mysql_family()
                    && t.primary_key.first() != Some(&id.name)
                    && !t.unique.iter().any(|u| u.columns.first() == Some(&id.name)) =>
                {
                    p(
                        Some(format!("column `{}`", id.name)),
                        "MySQL needs an AUTO_INCREMENT column to lead the primary key or a unique key".into(),
                    )
                }
                _ => {}
            }
        }
        for u in &t.unique {
            let name = u.name.clone().unwrap_or_default();
            let at = Some(format!("unique `{name}`"));
            if u.columns.is_empty() {
                p(at.clone(), "no columns".into());
            }
            for c in u.columns.iter().filter(|c| !has(c)) {
                p(at.clone(), format!("unknown column `{c}`"));
            }
            name_once(
                &name,
                t.schema.as_deref(),
                &mut object_names,
                dialect,
                &mut p,
                at,
            );
        }
        for ix in &t.indexes {
            let name = ix.name.clone().unwrap_or_default();
            let at = Some(format!("index `{name}`"));
            if ix.columns.is_empty() {
                p(at.clone(), "no columns".into());
            }
            for k in &ix.columns {
                match (&k.column, &k.expr) {
                    (Some(c), None) if !has(c) => p(at.clone(), format!("unknown column `{c}`")),
                    (Some(_), Some(_)) | (None, None) => p(
                        at.clone(),
                        "each key is either a `column` or an `expr`, not both or neither".into(),
                    ),
                    _ => {}
                }
            }
            if ix.predicate.is_some() && dialect.is_some_and(Dialect::is_mysql_family) {
                p(
                    at.clone(),
                    "MySQL/MariaDB have no partial indexes (`where`); drop the predicate or use a raw generated column".into(),
                );
            }
            name_once(
                &name,
                t.schema.as_deref(),
                &mut object_names,
                dialect,
                &mut p,
                at,
            );
        }
        for ck in &t.checks {
            let name = ck.name.clone().unwrap_or_default();
            let at = Some(format!("check `{name}`"));
            if ck.expr.trim().is_empty() {
                p(at.clone(), "empty expression".into());
            }
            name_once(
                &name,
                t.schema.as_deref(),
                &mut object_names,
                dialect,
                &mut p,
                at,
            );
        }
        for fk in &t.foreign_keys {
            let name = fk.name.clone().unwrap_or_default();
            let at = Some(format!("foreign key `{name}`"));
            for c in fk.columns.iter().filter(|c| !has(c)) {
                p(at.clone(), format!("unknown column `{c}`"));
            }
            if fk.columns.is_empty() {
                p(at.clone(), "no columns".into());
            }
            name_once(
                &name,
                t.schema.as_deref(),
                &mut object_names,
                dialect,
                &mut p,
                at.clone(),
            );
            if dialect.is_some_and(Dialect::is_mysql_family)
                && (fk.on_delete == FkAction::SetDefault || fk.on_update == FkAction::SetDefault)
            {
                p(
                    at.clone(),
                    "InnoDB does not support SET DEFAULT; use RESTRICT, CASCADE or SET NULL".into(),
                );
            }
            // PostgreSQL and SQLite accept SET NULL on a NOT NULL column (it fails when it
            // fires); MySQL/MariaDB refuse the constraint.
            for (action, which) in [(fk.on_delete, "ON DELETE"), (fk.on_update, "ON UPDATE")] {
                if action == FkAction::SetNull && dialect.is_some_and(Dialect::is_mysql_family) {
                    for c in &fk.columns {
                        if t.column(c).is_some_and(|c| !c.nullable) || t.primary_key.contains(c) {
                            p(
                                at.clone(),
                                format!("{which} SET NULL on NOT NULL column `{c}`"),
                            );
                        }
                    }
                }
            }
            let ref_schema = fk.ref_schema.as_deref().or(t.schema.as_deref());
            let Some(rt) = named
                .tables
                .iter()
                .find(|r| r.name == fk.ref_table && r.schema.as_deref() == ref_schema)
            else {
                // A table in a schema the definition does not describe is the engine's to check.
                let outside = fk.ref_schema.is_some()
                    && !named
                        .tables
                        .iter()
                        .any(|r| r.schema.as_deref() == ref_schema);
                if !outside {
                    p(
                        at.clone(),
                        format!("references unknown table `{}`", fk.ref_table),
                    );
                }
                continue;
            };
            let rcols = if fk.ref_columns.is_empty() {
                rt.primary_key.clone()
            } else {
                fk.ref_columns.clone()
            };
            if rcols.is_empty() {
                p(
                    at.clone(),
                    format!("`{}` has no primary key; name `ref_columns`", rt.name),
                );
                continue;
            }
            for c in rcols.iter().filter(|c| rt.column(c).is_none()) {
                p(
                    at.clone(),
                    format!("references unknown column `{}`.`{c}`", rt.name),
                );
            }
            if rcols.len() != fk.columns.len() {
                p(
                    at.clone(),
                    format!(
                        "{} column(s) reference {} column(s)",
                        fk.columns.len(),
                        rcols.len()
                    ),
                );
            } else if !is_key(rt, &rcols) {
                p(
                    at.clone(),
                    format!(
                        "referenced columns ({}) are not the primary key or a unique constraint of `{}`",
                        rcols.join(", "),
                        rt.name
                    ),
                );
            } else {
                for (c, r) in fk.columns.iter().zip(&rcols) {
                    if let (Some(c), Some(r)) = (t.column(c), rt.column(r)) {
                        if c.ty != r.ty && !(c.ty.is_integer() && r.ty.is_integer()) {
                            p(
                                at.clone(),
                                format!(
                                    "column `{}` is {} but references `{}`.`{}` of type {}",
                                    c.name, c.ty, rt.name, r.name, r.ty
                                ),
                            );
                        }
                    }
                }
            }
        }
        objects::table_features(t, dialect, &mut p);
    }
    objects::check(&named, dialect, &mut out);
    out
}

/// Validates `def` (for `dialect` when given).
pub fn validate(def: &SchemaDefinition, dialect: Option<Dialect>) -> Result<(), SchemaError> {
    let p = problems(def, dialect);
    if p.is_empty() {
        Ok(())
    } else {
        Err(SchemaError::Invalid(p))
    }
}

/// True when `cols` (as a set) is the primary key or a unique constraint/index of `t`.
pub(crate) fn is_key(t: &Table, cols: &[String]) -> bool {
    let same = |k: &[String]| k.len() == cols.len() && k.iter().all(|c| cols.contains(c));
    same(&t.primary_key)
        || t.unique.iter().any(|u| same(&u.columns))
        || t.indexes.iter().any(|i| {
            let plain: Vec<String> = i
                .columns
                .iter()
                .filter(|k| k.is_plain())
                .map(|k| k.label().to_string())
                .collect();
            i.unique && i.predicate.is_none() && plain.len() == i.columns.len() && same(&plain)
        })
}

pub(crate) fn check_ident(
    name: &str,
    what: &str,
    dialect: Option<Dialect>,
    p: &mut impl FnMut(Option<String>, String),
    at: Option<String>,
) {
    let dialects: Vec<Dialect> = match dialect {
        Some(d) => vec![d],
        None => Dialect::ALL.to_vec(),
    };
    for d in dialects {
        if let Some(max) = d.max_identifier() {
            if name.len() > max {
                p(
                    at.clone(),
                    format!("{what} `{name}` is {} bytes; {d} allows {max}", name.len()),
                );
                return;
            }
        }
    }
}

fn name_once(
    name: &str,
    schema: Option<&str>,
    seen: &mut HashSet<String>,
    dialect: Option<Dialect>,
    p: &mut impl FnMut(Option<String>, String),
    at: Option<String>,
) {
    if !seen.insert(crate::names::key(schema, name).to_ascii_lowercase()) {
        p(
            at.clone(),
            "name already used by another constraint or index in the schema".into(),
        );
    }
    check_ident(name, "name", dialect, p, at);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(toml_text: &str) -> SchemaDefinition {
        toml::from_str(toml_text).unwrap()
    }

    #[test]
    fn reports_every_problem_with_table_and_column() {
        let d = def(r#"
            [[tables]]
            name = "orders"
            primary_key = ["id"]
            columns = [
              { name = "id", type = "bigint", identity = true },
              { name = "id", type = "int" },
              { name = "customer", type = "int" },
            ]
            foreign_keys = [{ columns = ["customer"], ref_table = "customers" }]
            indexes = [{ columns = ["nope"] }]
        "#);
        let p = problems(&d, None);
        let text: Vec<String> = p.iter().map(|p| p.to_string()).collect();
        assert!(
            text.iter()
                .any(|t| t.contains("table `orders`, column `id`: duplicate column name")),
            "{text:?}"
        );
        assert!(
            text.iter()
                .any(|t| t.contains("references unknown table `customers`")),
            "{text:?}"
        );
        assert!(
            text.iter()
                .any(|t| t.contains("index `orders_nope_idx`: unknown column `nope`")),
            "{text:?}"
        );
    }

    #[test]
    fn dialect_limits() {
        let long = "x".repeat(70);
        let d = def(&format!(
            r#"
            [[tables]]
            name = "t"
            columns = [{{ name = "{long}", type = "int" }}, {{ name = "a", type = "int" }}]
            indexes = [{{ columns = ["a"], where = "a > 0" }}]
        "#
        ));
        let p = problems(&d, Some(Dialect::Mysql));
        let text: Vec<String> = p.iter().map(|p| p.to_string()).collect();
        assert!(
            text.iter()
                .any(|t| t.contains("is 70 bytes; mysql allows 64")),
            "{text:?}"
        );
        assert!(
            text.iter().any(|t| t.contains("no partial indexes")),
            "{text:?}"
        );
        assert!(problems(&d, Some(Dialect::Sqlite)).is_empty());
    }
}
