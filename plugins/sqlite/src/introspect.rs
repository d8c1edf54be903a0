//! Tables, columns, keys and indexes from SQLite's schema pragmas.

use crate::error::map;
use myrmex_abi::{
    ColumnInfo, ErrorKind, ForeignKeyInfo, IndexInfo, PluginError, RString, TableDetail, TableKind,
    TableRef,
};
use rusqlite::Connection;

fn kind_of(t: &str) -> TableKind {
    match t {
        "table" => TableKind::Table,
        "view" => TableKind::View,
        _ => TableKind::Other,
    }
}

/// Every table and view except SQLite's own, main schema first.
pub fn tables(conn: &Connection) -> Result<Vec<TableRef>, PluginError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT schema, name, type FROM pragma_table_list \
             WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND schema <> 'temp' \
             ORDER BY schema <> 'main', schema, name",
        )
        .map_err(map)?;
    let rows = stmt
        .query_map([], |r| {
            Ok(TableRef {
                schema: r.get::<_, String>(0)?.into(),
                name: r.get::<_, String>(1)?.into(),
                kind: kind_of(&r.get::<_, String>(2)?),
            })
        })
        .map_err(map)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(map)
}

/// Columns, primary key, indexes and foreign keys of one table.
pub fn describe(conn: &Connection, schema: &str, table: &str) -> Result<TableDetail, PluginError> {
    let schema = if schema.is_empty() { "main" } else { schema };
    let (kind, create_sql): (String, Option<String>) = conn
        .query_row(
            &format!(
                "SELECT type, sql FROM \"{}\".sqlite_schema WHERE name = ?1 COLLATE NOCASE AND type IN ('table','view')",
                schema.replace('"', "\"\"")
            ),
            [table],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .map_err(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => PluginError::new(
                ErrorKind::NOT_FOUND,
                format!("no table or view named {table} in schema {schema}"),
            ),
            other => map(other),
        })?;
    let has_autoincrement = create_sql
        .as_deref()
        .is_some_and(|s| s.to_ascii_uppercase().contains("AUTOINCREMENT"));

    let mut columns = Vec::new();
    {
        let mut stmt = conn
            .prepare_cached(
                "SELECT name, type, \"notnull\", dflt_value, pk, hidden FROM pragma_table_xinfo(?1, ?2) ORDER BY cid",
            )
            .map_err(map)?;
        let mut rows = stmt.query([table, schema]).map_err(map)?;
        while let Some(r) = rows.next().map_err(map)? {
            let hidden: i64 = r.get(5).map_err(map)?;
            if hidden == 1 {
                continue; // hidden columns of virtual tables
            }
            let decl: String = r.get(1).map_err(map)?;
            let pk: i64 = r.get(4).map_err(map)?;
            columns.push(ColumnInfo {
                name: r.get::<_, String>(0).map_err(map)?.into(),
                nullable: r.get::<_, i64>(2).map_err(map)? == 0 && pk == 0,
                default: r
                    .get::<_, Option<String>>(3)
                    .map_err(map)?
                    .map(RString::from)
                    .into(),
                primary_key_position: pk as u32,
                auto_increment: false,
                decl_type: decl.into(),
            });
        }
    }
    let mut pk: Vec<&ColumnInfo> = columns
        .iter()
        .filter(|c| c.primary_key_position > 0)
        .collect();
    pk.sort_by_key(|c| c.primary_key_position);
    let primary_key: Vec<RString> = pk.iter().map(|c| c.name.clone()).collect();
    // A single INTEGER PRIMARY KEY is the rowid: SQLite assigns it.
    if primary_key.len() == 1 {
        if let Some(c) = columns.iter_mut().find(|c| c.primary_key_position == 1) {
            c.auto_increment = c.decl_type.eq_ignore_ascii_case("INTEGER") || has_autoincrement;
        }
    }

    let indexes = indexes(conn, schema, table)?;
    let foreign_keys = foreign_keys(conn, schema, table)?;
    Ok(TableDetail {
        schema: schema.into(),
        name: table.into(),
        kind: kind_of(&kind),
        columns: columns.into(),
        primary_key: primary_key.into(),
        indexes: indexes.into(),
        foreign_keys: foreign_keys.into(),
    })
}

fn indexes(conn: &Connection, schema: &str, table: &str) -> Result<Vec<IndexInfo>, PluginError> {
    let mut list = conn
        .prepare_cached(
            "SELECT name, \"unique\", origin, partial FROM pragma_index_list(?1, ?2) ORDER BY name",
        )
        .map_err(map)?;
    let found: Vec<(String, bool, String, bool)> = list
        .query_map([table, schema], |r| {
            Ok((
                r.get(0)?,
                r.get::<_, i64>(1)? == 1,
                r.get(2)?,
                r.get::<_, i64>(3)? == 1,
            ))
        })
        .map_err(map)?
        .collect::<Result<_, _>>()
        .map_err(map)?;
    let mut out = Vec::with_capacity(found.len());
    for (name, unique, origin, partial) in found {
        let mut cols = conn
            .prepare_cached(
                "SELECT name FROM pragma_index_xinfo(?1, ?2) WHERE key = 1 ORDER BY seqno",
            )
            .map_err(map)?;
        let columns: Vec<RString> = cols
            .query_map([name.as_str(), schema], |r| {
                Ok(r.get::<_, Option<String>>(0)?
                    .unwrap_or_else(|| "<expression>".into())
                    .into())
            })
            .map_err(map)?
            .collect::<Result<_, _>>()
            .map_err(map)?;
        let predicate = if partial {
            partial_predicate(conn, schema, &name)?
        } else {
            None
        };
        out.push(IndexInfo {
            name: name.into(),
            columns: columns.into(),
            unique,
            primary: origin == "pk",
            predicate: predicate.map(RString::from).into(),
        });
    }
    Ok(out)
}

/// The `WHERE` clause of a partial index, from its CREATE INDEX text.
fn partial_predicate(
    conn: &Connection,
    schema: &str,
    index: &str,
) -> Result<Option<String>, PluginError> {
    let sql: Option<String> = conn
        .query_row(
            &format!(
                "SELECT sql FROM \"{}\".sqlite_schema WHERE type = 'index' AND name = ?1",
                schema.replace('"', "\"\"")
            ),
            [index],
            |r| r.get(0),
        )
        .map_err(map)?;
    Ok(sql.and_then(|s| {
        let upper = s.to_ascii_uppercase();
        upper
            .rfind(" WHERE ")
            .map(|i| s[i + 7..].trim().to_string())
    }))
}

fn foreign_keys(
    conn: &Connection,
    schema: &str,
    table: &str,
) -> Result<Vec<ForeignKeyInfo>, PluginError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT id, \"table\", \"from\", \"to\", on_update, on_delete FROM pragma_foreign_key_list(?1, ?2) ORDER BY id, seq",
        )
        .map_err(map)?;
    let rows: Vec<(i64, String, String, Option<String>, String, String)> = stmt
        .query_map([table, schema], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })
        .map_err(map)?
        .collect::<Result<_, _>>()
        .map_err(map)?;
    let mut out: Vec<(i64, ForeignKeyInfo)> = Vec::new();
    for (id, ref_table, from, to, on_update, on_delete) in rows {
        if out.last().map(|(i, _)| *i) != Some(id) {
            out.push((
                id,
                ForeignKeyInfo {
                    name: RString::new(),
                    columns: Default::default(),
                    ref_schema: RString::new(),
                    ref_table: ref_table.clone().into(),
                    ref_columns: Default::default(),
                    on_update: on_update.into(),
                    on_delete: on_delete.into(),
                },
            ));
        }
        let fk = &mut out.last_mut().expect("pushed above").1;
        fk.columns.push(from.into());
        if let Some(to) = to {
            fk.ref_columns.push(to.into());
        }
    }
    // `to` is NULL when the key references the parent's primary key implicitly.
    for (_, fk) in out.iter_mut() {
        if fk.ref_columns.is_empty() {
            let parent = describe_pk(conn, schema, fk.ref_table.as_str())?;
            fk.ref_columns = parent.into();
        }
    }
    Ok(out.into_iter().map(|(_, fk)| fk).collect())
}

fn describe_pk(conn: &Connection, schema: &str, table: &str) -> Result<Vec<RString>, PluginError> {
    let mut stmt = conn
        .prepare_cached("SELECT name FROM pragma_table_info(?1, ?2) WHERE pk > 0 ORDER BY pk")
        .map_err(map)?;
    let names = stmt
        .query_map([table, schema], |r| {
            Ok(RString::from(r.get::<_, String>(0)?))
        })
        .map_err(map)?
        .collect::<Result<_, _>>()
        .map_err(map)?;
    Ok(names)
}
