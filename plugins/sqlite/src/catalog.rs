//! The catalog queries: every fact about databases, tables, columns, keys and indexes is read
//! here, once, for the table list, `describe` and the schema definition alike.
//!
//! `schema` is a database name as SQLite knows it: `main`, or the name of an attached
//! database.

use crate::error::map;
use myrmex_plugin::{ErrorKind, PluginError};
use rusqlite::{Connection, Params};

type Result<T> = std::result::Result<T, PluginError>;

/// A table, view, index or trigger as `sqlite_schema` stores it.
pub struct Object {
    /// Its name.
    pub name: String,
    /// `table`, `view`, `index` or `trigger` (a virtual table is a `table`).
    pub kind: String,
    /// The `CREATE` statement SQLite keeps (none for the indexes it makes itself).
    pub sql: Option<String>,
}

impl Object {
    /// True for SQLite's own objects (`sqlite_sequence`, `sqlite_stat1`, automatic indexes).
    pub fn is_internal(&self) -> bool {
        self.name
            .get(..7)
            .is_some_and(|p| p.eq_ignore_ascii_case("sqlite_"))
    }

    /// True for a `CREATE VIRTUAL TABLE`.
    pub fn is_virtual(&self) -> bool {
        self.sql.as_deref().is_some_and(|s| {
            let words: Vec<&str> = s.split_whitespace().take(2).collect();
            words.len() == 2 && words[1].eq_ignore_ascii_case("VIRTUAL")
        })
    }
}

/// One column, as `pragma_table_xinfo` reports it.
pub struct ColumnRow {
    /// Its name.
    pub name: String,
    /// The declared type as written (empty when none).
    pub decl: String,
    /// Declared `NOT NULL`.
    pub not_null: bool,
    /// The default expression as written, when there is one.
    pub default: Option<String>,
    /// Position in the primary key (1-based), 0 when not part of it.
    pub pk: u32,
    /// 0 for an ordinary column, 1 for a hidden column of a virtual table, 2 and 3 for
    /// generated columns (virtual, stored).
    pub hidden: i64,
}

/// One index of a table, as `pragma_index_list` reports it.
pub struct IndexRow {
    /// Its name (`sqlite_autoindex_…` for the indexes behind UNIQUE and PRIMARY KEY).
    pub name: String,
    /// True for a unique index.
    pub unique: bool,
    /// `c` for `CREATE INDEX`, `u` for a UNIQUE constraint, `pk` for the PRIMARY KEY.
    pub origin: String,
    /// True for a partial index (`… WHERE`).
    pub partial: bool,
}

/// One foreign key of a table (its rows of `pragma_foreign_key_list` together).
pub struct ForeignKeyRow {
    /// The referenced table.
    pub ref_table: String,
    /// The referencing columns, in key order.
    pub columns: Vec<String>,
    /// The referenced columns; `None` where the key names only the table (its primary key).
    pub ref_columns: Vec<Option<String>>,
    /// `ON UPDATE` action as SQLite spells it (`NO ACTION`, `CASCADE`, …).
    pub on_update: String,
    /// `ON DELETE` action.
    pub on_delete: String,
}

/// Runs a catalog query and maps every row.
pub fn rows<T>(
    conn: &Connection,
    sql: &str,
    params: impl Params,
    row: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>> {
    let mut stmt = conn.prepare(sql).map_err(map)?;
    let found = stmt.query_map(params, row).map_err(map)?;
    found.collect::<rusqlite::Result<Vec<T>>>().map_err(map)
}

/// The databases of the connection: `main` first, then the attached ones by name (`temp`,
/// which holds only this connection's temporary objects, is left out).
pub fn databases(conn: &Connection) -> Result<Vec<String>> {
    let mut names = rows(
        conn,
        "SELECT name FROM pragma_database_list WHERE name <> 'temp'",
        [],
        |r| r.get::<_, String>(0),
    )?;
    names.sort_by(|a, b| (a != "main", a).cmp(&(b != "main", b)));
    Ok(names)
}

/// `schema`, or a not-found error listing the databases there are.
pub fn check_database(conn: &Connection, schema: &str) -> Result<()> {
    let all = databases(conn)?;
    if all.iter().any(|d| d == schema) {
        return Ok(());
    }
    Err(PluginError::new(
        ErrorKind::NOT_FOUND,
        format!(
            "no database named `{schema}` is attached (attached: {})",
            all.join(", ")
        ),
    ))
}

/// Every table, view, index and trigger of `schema` that `sqlite_schema` lists, SQLite's
/// own included, by name.
pub fn objects(conn: &Connection, schema: &str) -> Result<Vec<Object>> {
    let sql = format!(
        "SELECT name, type, sql FROM {}.sqlite_schema ORDER BY name",
        myrmex_plugin::sql::quote_ident(schema, '"')
    );
    rows(conn, &sql, [], |r| {
        Ok(Object {
            name: r.get(0)?,
            kind: r.get(1)?,
            sql: r.get(2)?,
        })
    })
}

/// The columns of `table` in `schema`, hidden and generated ones included, in order.
pub fn columns(conn: &Connection, schema: &str, table: &str) -> Result<Vec<ColumnRow>> {
    rows(
        conn,
        "SELECT name, type, \"notnull\", dflt_value, pk, hidden \
         FROM pragma_table_xinfo(?1, ?2) ORDER BY cid",
        [table, schema],
        |r| {
            Ok(ColumnRow {
                name: r.get(0)?,
                decl: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                not_null: r.get::<_, i64>(2)? != 0,
                default: r.get::<_, Option<String>>(3)?.filter(|d| !d.is_empty()),
                pk: u32::try_from(r.get::<_, i64>(4)?).unwrap_or(0),
                hidden: r.get(5)?,
            })
        },
    )
}

/// The indexes of `table` in `schema`, in SQLite's order (`seq`).
pub fn indexes(conn: &Connection, schema: &str, table: &str) -> Result<Vec<IndexRow>> {
    rows(
        conn,
        "SELECT name, \"unique\", origin, partial FROM pragma_index_list(?1, ?2) ORDER BY seq",
        [table, schema],
        |r| {
            Ok(IndexRow {
                name: r.get(0)?,
                unique: r.get::<_, i64>(1)? != 0,
                origin: r.get(2)?,
                partial: r.get::<_, i64>(3)? != 0,
            })
        },
    )
}

/// The key columns of `index` in `schema`, in order; `None` for an expression.
pub fn index_columns(conn: &Connection, schema: &str, index: &str) -> Result<Vec<Option<String>>> {
    rows(
        conn,
        "SELECT name FROM pragma_index_xinfo(?1, ?2) WHERE key = 1 ORDER BY seqno",
        [index, schema],
        |r| r.get(0),
    )
}

/// The foreign keys of `table` in `schema`, by SQLite's key id.
pub fn foreign_keys(conn: &Connection, schema: &str, table: &str) -> Result<Vec<ForeignKeyRow>> {
    let found = rows(
        conn,
        "SELECT id, \"table\", \"from\", \"to\", on_update, on_delete \
         FROM pragma_foreign_key_list(?1, ?2) ORDER BY id, seq",
        [table, schema],
        |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?.filter(|t| !t.is_empty()),
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
            ))
        },
    )?;
    let mut out: Vec<(i64, ForeignKeyRow)> = Vec::new();
    for (id, ref_table, from, to, on_update, on_delete) in found {
        match out.last_mut() {
            Some((last, fk)) if *last == id => {
                fk.columns.push(from);
                fk.ref_columns.push(to);
            }
            _ => out.push((
                id,
                ForeignKeyRow {
                    ref_table,
                    columns: vec![from],
                    ref_columns: vec![to],
                    on_update,
                    on_delete,
                },
            )),
        }
    }
    Ok(out.into_iter().map(|(_, fk)| fk).collect())
}

/// The primary-key columns of `table` in `schema`, in key order.
pub fn primary_key(conn: &Connection, schema: &str, table: &str) -> Result<Vec<String>> {
    let mut pk: Vec<(u32, String)> = columns(conn, schema, table)?
        .into_iter()
        .filter(|c| c.pk > 0)
        .map(|c| (c.pk, c.name))
        .collect();
    pk.sort();
    Ok(pk.into_iter().map(|(_, name)| name).collect())
}
