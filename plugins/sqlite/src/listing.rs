//! The catalog listings (`\l`, `\dn`, `\dt`, `\dv`, `\di`, `\df`, `\ds` in the shell), read
//! from `PRAGMA database_list`, each database's `sqlite_schema`, `PRAGMA index_list`,
//! `PRAGMA function_list` and `sqlite_sequence`, as the `sqlite3` shell's `.databases`,
//! `.tables` and `.indexes` read them.
//!
//! Tables, views, indexes and sequences are listed for every database of the connection
//! (`main`, `temp`, the attached ones) in `PRAGMA database_list` order. The name pattern is a
//! `LIKE` pattern with `\` as the escape character: SQLite compares names without regard to
//! ASCII case, and so does `LIKE`. SQLite's own tables (`sqlite_sequence`, `sqlite_stat1`)
//! are left out unless a pattern is given.

use crate::catalog::{self, Object};
use crate::types::{self, ReadKind};
use myrmex_plugin::sql::{like_pattern, quote_ident};
use myrmex_plugin::{rows, CatalogKind, PluginError, QueryStart, Value};
use rusqlite::Connection;

type Result<T> = std::result::Result<T, PluginError>;

/// `name LIKE ?1` with `\` as the escape character.
const MATCHES: &str = "LIKE ?1 ESCAPE '\\'";

/// Lists the objects of `kind` whose names match `pattern` (`*` and `?` wildcards; empty:
/// all), every row in the one batch.
///
/// SQLite has no schemas apart from its databases: [`CatalogKind::SCHEMAS`] lists them, as
/// [`CatalogKind::DATABASES`] does. It has no users or roles: [`CatalogKind::ROLES`] is
/// unsupported.
pub fn list(conn: &Connection, kind: CatalogKind, pattern: &str) -> Result<QueryStart> {
    let like = like_pattern(pattern);
    let with_internal = !pattern.is_empty();
    match kind {
        CatalogKind::DATABASES | CatalogKind::SCHEMAS => databases(conn, &like),
        CatalogKind::TABLES => tables(conn, &like, with_internal),
        CatalogKind::VIEWS => views(conn, &like),
        CatalogKind::INDEXES => indexes(conn, &like),
        CatalogKind::FUNCTIONS => functions(conn, &like),
        CatalogKind::SEQUENCES => sequences(conn, &like),
        CatalogKind::ROLES => Err(PluginError::unsupported(
            "SQLite has no users or roles: access is whatever the database file's permissions allow",
        )),
        other => Err(PluginError::unsupported(format!(
            "the SQLite driver cannot list {}",
            other.plural()
        ))),
    }
}

/// One value of a row as the contract carries it (by storage class).
fn value(row: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Value> {
    let v = row.get_ref(i)?;
    types::read(v, ReadKind::Plain).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(
            i,
            v.data_type(),
            Box::new(std::io::Error::other(e.message.to_string())),
        )
    })
}

/// The databases of the connection: `(seq, name, file)`, in `PRAGMA database_list` order.
fn database_list(conn: &Connection, like: &str) -> Result<Vec<(i64, String, String)>> {
    catalog::rows(
        conn,
        &format!(
            "SELECT seq, name, file FROM pragma_database_list WHERE name {MATCHES} ORDER BY seq"
        ),
        [like],
        |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get::<_, Option<String>>(2)?.unwrap_or_default(),
            ))
        },
    )
}

/// The names of the connection's databases, in order.
fn database_names(conn: &Connection) -> Result<Vec<String>> {
    Ok(database_list(conn, "%")?
        .into_iter()
        .map(|(_, name, _)| name)
        .collect())
}

fn databases(conn: &Connection, like: &str) -> Result<QueryStart> {
    let rows = database_list(conn, like)?
        .into_iter()
        .map(|(seq, name, file)| vec![Value::Int(seq), name.into(), file.into()])
        .collect();
    Ok(rows::result(&["seq", "name", "file"], rows))
}

/// The objects of type `kind` in database `schema` whose names match `like`, by name.
fn objects(conn: &Connection, schema: &str, kind: &str, like: &str) -> Result<Vec<Object>> {
    let sql = format!(
        "SELECT name, type, sql FROM {}.sqlite_schema WHERE type = ?2 AND name {MATCHES} \
         ORDER BY name",
        quote_ident(schema, '"')
    );
    catalog::rows(conn, &sql, [like, kind], |r| {
        Ok(Object {
            name: r.get(0)?,
            kind: r.get(1)?,
            sql: r.get(2)?,
        })
    })
}

fn tables(conn: &Connection, like: &str, with_internal: bool) -> Result<QueryStart> {
    let mut rows = Vec::new();
    for schema in database_names(conn)? {
        for o in objects(conn, &schema, "table", like)? {
            if o.is_internal() && !with_internal {
                continue;
            }
            let kind = if o.is_virtual() {
                "virtual table"
            } else {
                "table"
            };
            rows.push(vec![schema.as_str().into(), o.name.into(), kind.into()]);
        }
    }
    Ok(rows::result(&["schema", "name", "type"], rows))
}

fn views(conn: &Connection, like: &str) -> Result<QueryStart> {
    let mut rows = Vec::new();
    for schema in database_names(conn)? {
        for o in objects(conn, &schema, "view", like)? {
            rows.push(vec![
                schema.as_str().into(),
                o.name.into(),
                o.sql.map_or(Value::Null, Value::from),
            ]);
        }
    }
    Ok(rows::result(&["schema", "name", "definition"], rows))
}

fn indexes(conn: &Connection, like: &str) -> Result<QueryStart> {
    let mut rows = Vec::new();
    for schema in database_names(conn)? {
        let sql = format!(
            "SELECT s.name, s.tbl_name, l.\"unique\", l.partial \
             FROM {}.sqlite_schema s JOIN pragma_index_list(s.tbl_name, ?2) l ON l.name = s.name \
             WHERE s.type = 'index' AND s.name {MATCHES} ORDER BY s.name",
            quote_ident(&schema, '"')
        );
        let found = catalog::rows(conn, &sql, [like, schema.as_str()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)? != 0,
                r.get::<_, i64>(3)? != 0,
            ))
        })?;
        for (name, table, unique, partial) in found {
            let columns: Vec<String> = catalog::index_columns(conn, &schema, &name)?
                .into_iter()
                .map(|c| c.unwrap_or_else(|| "(expression)".into()))
                .collect();
            rows.push(vec![
                schema.as_str().into(),
                name.into(),
                table.into(),
                columns.join(", ").into(),
                Value::Bool(unique),
                Value::Bool(partial),
            ]);
        }
    }
    Ok(rows::result(
        &["schema", "name", "table", "columns", "unique", "partial"],
        rows,
    ))
}

/// Functions as `PRAGMA function_list` reports them, one row per name, kind and argument
/// count (`-1`: any number).
fn functions(conn: &Connection, like: &str) -> Result<QueryStart> {
    let sql = format!(
        "SELECT DISTINCT name, builtin, type, narg FROM pragma_function_list \
         WHERE name {MATCHES} ORDER BY name, narg, type"
    );
    let found = catalog::rows(conn, &sql, [like], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, i64>(1)? != 0,
            r.get::<_, String>(2)?,
            r.get::<_, i64>(3)?,
        ))
    })
    .map_err(|e| {
        if e.message.contains("pragma_function_list") {
            PluginError::unsupported(format!(
                "this SQLite build cannot list its functions ({})",
                e.message
            ))
        } else {
            e
        }
    })?;
    let rows = found
        .into_iter()
        .map(|(name, builtin, kind, narg)| {
            let kind = match kind.as_str() {
                "s" => "scalar",
                "a" => "aggregate",
                "w" => "window",
                other => other,
            };
            vec![
                name.into(),
                Value::Bool(builtin),
                kind.into(),
                Value::Int(narg),
            ]
        })
        .collect();
    Ok(rows::result(&["name", "builtin", "type", "narg"], rows))
}

/// The counters of `AUTOINCREMENT` tables, from each database's `sqlite_sequence` (which
/// SQLite creates with the first such table).
fn sequences(conn: &Connection, like: &str) -> Result<QueryStart> {
    let mut rows = Vec::new();
    for schema in database_names(conn)? {
        if objects(conn, &schema, "table", "sqlite\\_sequence")?.is_empty() {
            continue;
        }
        let sql = format!(
            "SELECT name, seq FROM {}.sqlite_sequence WHERE name {MATCHES} ORDER BY name",
            quote_ident(&schema, '"')
        );
        for (table, seq) in catalog::rows(conn, &sql, [like], |r| Ok((value(r, 0)?, value(r, 1)?)))?
        {
            rows.push(vec![schema.as_str().into(), table, seq]);
        }
    }
    Ok(rows::result(&["schema", "table", "seq"], rows))
}

#[cfg(test)]
mod tests {
    use crate::driver::SqliteDriver;
    use crate::testing;
    use myrmex_plugin::{CatalogKind, Connection, Driver, ErrorKind, QueryStart, Value};

    fn t(s: &str) -> Value {
        Value::from(s)
    }

    /// The listing's column names and rows.
    fn list(
        c: &mut crate::conn::SqliteConnection,
        kind: CatalogKind,
        pattern: &str,
    ) -> (Vec<String>, Vec<Vec<Value>>) {
        let r: QueryStart = c
            .catalog(kind, pattern)
            .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
        assert!(r.first.done, "every row comes in the first batch");
        myrmex_plugin::rows::table(&r).expect("values of this contract's types")
    }

    #[test]
    fn every_kind_lists_what_the_test_created_and_the_pattern_filters() {
        let main = testing::db_path("listing_main");
        let other = testing::db_path("listing_other");
        let mut c = SqliteDriver.connect(&testing::options(&main, &[])).unwrap();
        c.execute_batch(&format!(
            "CREATE TABLE cat_t (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT UNIQUE, w INT); \
             CREATE TABLE catxt (x); \
             CREATE INDEX cat_w ON cat_t (w, lower(v)) WHERE w > 0; \
             CREATE VIEW cat_v AS SELECT id FROM cat_t; \
             INSERT INTO cat_t (v) VALUES ('a'), ('b'); \
             ATTACH DATABASE '{}' AS other; \
             CREATE TABLE other.cat_t (id INTEGER PRIMARY KEY AUTOINCREMENT); \
             INSERT INTO other.cat_t DEFAULT VALUES;",
            other.replace('\'', "''")
        ))
        .unwrap();

        let (cols, rows) = list(&mut c, CatalogKind::DATABASES, "");
        assert_eq!(cols, ["seq", "name", "file"]);
        let names: Vec<&Value> = rows.iter().map(|r| &r[1]).collect();
        assert_eq!(names, [&t("main"), &t("other")]);
        assert!(matches!(&rows[1][2], Value::Text(f) if f.ends_with("listing_other.db")));
        assert_eq!(
            list(&mut c, CatalogKind::SCHEMAS, "ma*"),
            list(&mut c, CatalogKind::DATABASES, "MA*"),
            "schemas are the databases; names match without regard to case"
        );
        assert_eq!(list(&mut c, CatalogKind::SCHEMAS, "ma*").1.len(), 1);

        let (cols, rows) = list(&mut c, CatalogKind::TABLES, "cat_*");
        assert_eq!(cols, ["schema", "name", "type"]);
        assert_eq!(
            rows,
            [
                vec![t("main"), t("cat_t"), t("table")],
                vec![t("other"), t("cat_t"), t("table")],
            ],
            "`_` is literal: catxt does not match"
        );
        let all = list(&mut c, CatalogKind::TABLES, "").1;
        assert!(!all.iter().any(|r| r[1] == t("sqlite_sequence")), "{all:?}");
        assert_eq!(list(&mut c, CatalogKind::TABLES, "sqlite_seq*").1.len(), 2);

        let (cols, rows) = list(&mut c, CatalogKind::VIEWS, "CAT?V");
        assert_eq!(cols, ["schema", "name", "definition"]);
        assert_eq!(rows[0][..2], [t("main"), t("cat_v")]);
        assert!(list(&mut c, CatalogKind::VIEWS, "cat_t").1.is_empty());

        let (cols, rows) = list(&mut c, CatalogKind::INDEXES, "");
        assert_eq!(
            cols,
            ["schema", "name", "table", "columns", "unique", "partial"]
        );
        assert_eq!(
            rows,
            [
                vec![
                    t("main"),
                    t("cat_w"),
                    t("cat_t"),
                    t("w, (expression)"),
                    Value::Bool(false),
                    Value::Bool(true)
                ],
                vec![
                    t("main"),
                    t("sqlite_autoindex_cat_t_1"),
                    t("cat_t"),
                    t("v"),
                    Value::Bool(true),
                    Value::Bool(false)
                ],
            ]
        );
        assert_eq!(list(&mut c, CatalogKind::INDEXES, "cat*").1.len(), 1);

        let (cols, rows) = list(&mut c, CatalogKind::FUNCTIONS, "group_concat");
        assert_eq!(cols, ["name", "builtin", "type", "narg"]);
        assert!(rows.contains(&vec![
            t("group_concat"),
            Value::Bool(true),
            t("window"),
            Value::Int(1)
        ]));
        assert!(list(&mut c, CatalogKind::FUNCTIONS, "no_such_fn*")
            .1
            .is_empty());

        let (cols, rows) = list(&mut c, CatalogKind::SEQUENCES, "cat*");
        assert_eq!(cols, ["schema", "table", "seq"]);
        assert_eq!(
            rows,
            [
                vec![t("main"), t("cat_t"), Value::Int(2)],
                vec![t("other"), t("cat_t"), Value::Int(1)],
            ]
        );
        assert!(list(&mut c, CatalogKind::SEQUENCES, "x*").1.is_empty());
    }

    #[test]
    fn without_autoincrement_there_are_no_sequences_and_never_any_roles() {
        let mut c = SqliteDriver
            .connect(&testing::options(":memory:", &[]))
            .unwrap();
        let (cols, rows) = list(&mut c, CatalogKind::SEQUENCES, "");
        assert_eq!(
            (cols.len(), rows.len()),
            (3, 0),
            "columns even without rows"
        );
        let e = c.catalog(CatalogKind::ROLES, "").unwrap_err();
        assert_eq!(e.kind, ErrorKind::UNSUPPORTED);
        assert!(e.message.contains("SQLite has no users or roles"), "{e}");
        let e = c.catalog(CatalogKind(42), "").unwrap_err();
        assert_eq!(e.kind, ErrorKind::UNSUPPORTED);
        assert!(e.message.contains("objects of kind 42"), "{e}");
        // A quote in a pattern is data, never SQL.
        assert!(list(&mut c, CatalogKind::TABLES, "x' OR ''='").1.is_empty());
    }
}
