//! SQLite: pragmas, plus the stored `CREATE TABLE` text for what only it keeps (constraint
//! names, CHECK expressions, partial-index predicates, comments, AUTOINCREMENT).

use super::{int, opt_text, rows, text};
use crate::{DatabaseConnection, Result, Value};
use myrmex_schema::normalize::parse_default;
use myrmex_schema::sqlite_ddl::{self, constraint, index_predicate, leading_ident, parenthesised};
use myrmex_schema::{
    Check, Column, ColumnType, FkAction, ForeignKey, Index, SchemaDefinition, Table, Unique,
};
use std::collections::BTreeMap;

pub(super) fn inspect(db: &mut DatabaseConnection) -> Result<SchemaDefinition> {
    let mut out = Vec::new();
    let list = rows(
        db,
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
        &[],
    )?;
    for r in list {
        let name = text(&r[0]);
        let sql = text(&r[1]);
        out.push(table(db, &name, &sql)?);
    }
    Ok(SchemaDefinition { tables: out })
}

fn table(db: &mut DatabaseConnection, name: &str, sql: &str) -> Result<Table> {
    let p = [Value::from(name)];
    let (comment, items) = sqlite_ddl::table_items(sql).unwrap_or_default();
    let mut t = Table {
        name: name.to_string(),
        comment,
        ..Table::default()
    };
    let mut pk: Vec<(i64, String)> = Vec::new();
    for r in rows(
        db,
        "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?)",
        &p,
    )? {
        let cname = text(&r[0]);
        let item = items.iter().find(|i| {
            leading_ident(&i.text).is_some_and(|(n, _)| n == cname) && constraint(&i.text).is_none()
        });
        let mut c = Column::new(&cname, portable_type(&text(&r[1])));
        c.nullable = int(&r[2]) == 0;
        c.identity = item.is_some_and(|i| i.text.to_ascii_uppercase().contains("AUTOINCREMENT"));
        if c.identity {
            c.ty = ColumnType::BigInt;
            c.nullable = false;
        }
        c.default = opt_text(&r[3]).and_then(|d| parse_default(&d, &c.ty));
        c.comment = item.and_then(|i| i.comment.clone());
        if int(&r[4]) > 0 {
            pk.push((int(&r[4]), cname.clone()));
            c.nullable = false;
        }
        t.columns.push(c);
    }
    pk.sort();
    t.primary_key = pk.into_iter().map(|(_, c)| c).collect();
    let named: Vec<sqlite_ddl::ConstraintItem> =
        items.iter().filter_map(|i| constraint(&i.text)).collect();
    let cols_of = |rest: &str| -> Vec<String> {
        parenthesised(rest)
            .map(|inner| {
                inner
                    .split(',')
                    .filter_map(|c| leading_ident(c).map(|(n, _)| n))
                    .collect()
            })
            .unwrap_or_default()
    };
    for c in named.iter().filter(|c| c.kind == "CHECK") {
        if let Some(expr) = parenthesised(&c.rest) {
            let n = t.checks.len() + 1;
            t.checks.push(Check {
                name: Some(c.name.clone().unwrap_or_else(|| format!("{name}_check{n}"))),
                expr: expr.trim().to_string(),
            });
        }
    }
    let mut fks: BTreeMap<i64, ForeignKey> = BTreeMap::new();
    for r in rows(db, "SELECT id, \"table\", \"from\", \"to\", on_update, on_delete FROM pragma_foreign_key_list(?) ORDER BY id, seq", &p)? {
        let fk = fks.entry(int(&r[0])).or_insert_with(|| ForeignKey {
            name: None,
            columns: Vec::new(),
            ref_table: text(&r[1]),
            ref_columns: Vec::new(),
            on_delete: FkAction::parse(&text(&r[5])).unwrap_or_default(),
            on_update: FkAction::parse(&text(&r[4])).unwrap_or_default(),
        });
        fk.columns.push(text(&r[2]));
        if let Some(to) = opt_text(&r[3]) {
            fk.ref_columns.push(to);
        }
    }
    for mut fk in fks.into_values() {
        fk.name = named
            .iter()
            .filter(|c| c.kind == "FOREIGN")
            .find(|c| cols_of(&c.rest) == fk.columns)
            .and_then(|c| c.name.clone());
        t.foreign_keys.push(fk);
    }
    t.foreign_keys.reverse();
    let index_list = rows(
        db,
        "SELECT name, \"unique\", origin FROM pragma_index_list(?) ORDER BY seq",
        &p,
    )?;
    for r in index_list {
        let iname = text(&r[0]);
        let origin = text(&r[2]);
        if origin == "pk" {
            continue;
        }
        let cols: Vec<String> = rows(
            db,
            "SELECT name FROM pragma_index_info(?) ORDER BY seqno",
            &[Value::from(iname.as_str())],
        )?
        .iter()
        .map(|r| text(&r[0]))
        .collect();
        if origin == "u" {
            let cname = named
                .iter()
                .filter(|c| c.kind == "UNIQUE")
                .find(|c| cols_of(&c.rest) == cols)
                .and_then(|c| c.name.clone());
            t.unique.push(Unique {
                name: cname.or(Some(iname)),
                columns: cols,
            });
        } else {
            let sql = rows(
                db,
                "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?",
                &[Value::from(iname.as_str())],
            )?;
            let predicate = sql.first().and_then(|r| index_predicate(&text(&r[0])));
            t.indexes.push(Index {
                name: Some(iname),
                columns: cols,
                unique: int(&r[1]) != 0,
                predicate,
            });
        }
    }
    t.unique.reverse();
    t.indexes.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(t)
}

/// Declared type → portable type, or raw (`DATETIME` reads as `timestamp`, `NVARCHAR(n)` as
/// `varchar(n)`: the driver reads them the same way).
fn portable_type(decl: &str) -> ColumnType {
    let upper = decl.trim().to_ascii_uppercase();
    match upper.as_str() {
        "INTEGER" | "INT" => ColumnType::Int,
        "DOUBLE" | "DOUBLE PRECISION" => ColumnType::Double,
        "BOOLEAN" => ColumnType::Bool,
        "TEXT" => ColumnType::Text,
        "TIMESTAMPTZ" => ColumnType::TimestampTz,
        // SQL Server spellings common in SQLite files (Chinook uses them): same storage.
        _ if upper.starts_with("NVARCHAR(") || upper.starts_with("NCHAR(") => {
            portable_type(&upper[1..])
        }
        _ => match ColumnType::parse(&upper) {
            Ok(t) if upper != "FLOAT" => t,
            _ => ColumnType::Raw(BTreeMap::from([("sqlite".to_string(), decl.to_string())])),
        },
    }
}
