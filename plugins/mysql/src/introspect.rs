//! Tables, columns, keys and indexes from `information_schema`.

use crate::error::map;
use myrmex_abi::{
    ColumnInfo, ErrorKind, ForeignKeyInfo, IndexInfo, PluginError, RString, TableDetail, TableKind,
    TableRef,
};
use mysql::prelude::Queryable;
use mysql::{Conn, Row};

fn s(row: &Row, i: usize) -> String {
    row.get_opt::<Option<String>, usize>(i)
        .and_then(|r| r.ok())
        .flatten()
        .unwrap_or_default()
}

fn opt(row: &Row, i: usize) -> Option<String> {
    row.get_opt::<Option<String>, usize>(i)
        .and_then(|r| r.ok())
        .flatten()
}

fn kind(t: &str) -> TableKind {
    match t {
        "BASE TABLE" => TableKind::Table,
        "VIEW" => TableKind::View,
        _ => TableKind::Other,
    }
}

/// Tables and views of the current database (of every user database when none is selected).
pub fn tables(c: &mut Conn) -> Result<Vec<TableRef>, PluginError> {
    let rows: Vec<Row> = c
        .query(
            "SELECT table_schema, table_name, table_type FROM information_schema.tables \
             WHERE (table_schema = DATABASE() OR (DATABASE() IS NULL AND table_schema NOT IN ('mysql','information_schema','performance_schema','sys'))) \
             ORDER BY table_schema, table_name",
        )
        .map_err(map)?;
    Ok(rows
        .iter()
        .map(|r| TableRef {
            schema: s(r, 0).into(),
            name: s(r, 1).into(),
            kind: kind(&s(r, 2)),
        })
        .collect())
}

/// MariaDB reports defaults as SQL (`'abc'`, `NULL`); MySQL as the bare value. One form:
/// SQL text, `None` for no default.
fn default_of(raw: Option<String>, mariadb: bool) -> Option<String> {
    match raw {
        None => None,
        Some(d) if mariadb && d == "NULL" => None,
        Some(d) if mariadb => Some(d),
        Some(d) if d.parse::<f64>().is_ok() || d.eq_ignore_ascii_case("CURRENT_TIMESTAMP") => {
            Some(d)
        }
        Some(d) => Some(format!("'{}'", d.replace('\'', "''"))),
    }
}

/// One table: columns, primary key, indexes, foreign keys.
pub fn describe(c: &mut Conn, schema: &str, table: &str) -> Result<TableDetail, PluginError> {
    let found: Option<Row> = c
        .exec_first(
            "SELECT table_schema, table_type FROM information_schema.tables WHERE table_schema = COALESCE(NULLIF(?, ''), DATABASE()) AND table_name = ?",
            (schema, table),
        )
        .map_err(map)?;
    let Some(found) = found else {
        let in_schema = if schema.is_empty() {
            "the current database".to_string()
        } else {
            format!("database {schema}")
        };
        return Err(PluginError::new(
            ErrorKind::NOT_FOUND,
            format!("no table or view named {table} in {in_schema}"),
        ));
    };
    let schema = s(&found, 0);
    let mariadb = c
        .query_first::<String, _>("SELECT VERSION()")
        .map_err(map)?
        .unwrap_or_default()
        .contains("MariaDB");
    let cols: Vec<Row> = c
        .exec(
            "SELECT column_name, column_type, is_nullable, column_default, extra FROM information_schema.columns \
             WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
            (&schema, table),
        )
        .map_err(map)?;
    let stats: Vec<Row> = c
        .exec(
            "SELECT index_name, non_unique, column_name, seq_in_index FROM information_schema.statistics \
             WHERE table_schema = ? AND table_name = ? ORDER BY index_name = 'PRIMARY' DESC, index_name, seq_in_index",
            (&schema, table),
        )
        .map_err(map)?;
    let mut indexes: Vec<IndexInfo> = Vec::new();
    for r in &stats {
        let name = s(r, 0);
        let non_unique: i64 = r.get_opt(1).and_then(|v| v.ok()).unwrap_or(1);
        let column = opt(r, 2).unwrap_or_else(|| "<expression>".into());
        match indexes.last_mut() {
            Some(i) if i.name.as_str() == name => i.columns.push(column.into()),
            _ => indexes.push(IndexInfo {
                primary: name == "PRIMARY",
                unique: non_unique == 0,
                columns: vec![RString::from(column)].into(),
                predicate: None.into(),
                name: name.into(),
            }),
        }
    }
    let primary_key: Vec<RString> = indexes
        .iter()
        .find(|i| i.primary)
        .map(|i| i.columns.to_vec())
        .unwrap_or_default();
    let columns = cols
        .iter()
        .map(|r| {
            let name = s(r, 0);
            ColumnInfo {
                primary_key_position: primary_key
                    .iter()
                    .position(|p| p.as_str() == name)
                    .map_or(0, |p| p as u32 + 1),
                name: name.into(),
                decl_type: s(r, 1).into(),
                nullable: s(r, 2) == "YES",
                default: default_of(opt(r, 3), mariadb).map(RString::from).into(),
                auto_increment: s(r, 4).contains("auto_increment"),
            }
        })
        .collect::<Vec<_>>();
    let fk_rows: Vec<Row> = c
        .exec(
            "SELECT k.constraint_name, k.column_name, k.referenced_table_schema, k.referenced_table_name, k.referenced_column_name, \
             r.update_rule, r.delete_rule FROM information_schema.key_column_usage k \
             JOIN information_schema.referential_constraints r ON r.constraint_schema = k.constraint_schema \
             AND r.constraint_name = k.constraint_name AND r.table_name = k.table_name \
             WHERE k.table_schema = ? AND k.table_name = ? AND k.referenced_table_name IS NOT NULL \
             ORDER BY k.constraint_name, k.ordinal_position",
            (&schema, table),
        )
        .map_err(map)?;
    let mut foreign_keys: Vec<ForeignKeyInfo> = Vec::new();
    for r in &fk_rows {
        let name = s(r, 0);
        if foreign_keys.last().is_none_or(|f| f.name.as_str() != name) {
            let ref_schema = s(r, 2);
            foreign_keys.push(ForeignKeyInfo {
                name: name.clone().into(),
                columns: Default::default(),
                ref_schema: if ref_schema == schema {
                    RString::new()
                } else {
                    ref_schema.into()
                },
                ref_table: s(r, 3).into(),
                ref_columns: Default::default(),
                on_update: s(r, 5).into(),
                on_delete: s(r, 6).into(),
            });
        }
        let fk = foreign_keys.last_mut().expect("pushed above");
        fk.columns.push(s(r, 1).into());
        fk.ref_columns.push(s(r, 4).into());
    }
    Ok(TableDetail {
        kind: kind(&s(&found, 1)),
        schema: schema.into(),
        name: table.into(),
        columns: columns.into(),
        primary_key: primary_key.into(),
        indexes: indexes.into(),
        foreign_keys: foreign_keys.into(),
    })
}
