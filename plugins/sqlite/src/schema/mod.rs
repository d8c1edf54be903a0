//! The schema as a [`SchemaDefinition`]: the catalog queries, plus the stored `CREATE TABLE`
//! text for what only it keeps (constraint names, CHECK expressions, partial-index
//! predicates, comments, AUTOINCREMENT).
//!
//! Normalisations: a declared type outside the portable set is a raw `sqlite` type
//! (`DATETIME` reads as `timestamp`, `NVARCHAR(n)` as `varchar(n)`); an AUTOINCREMENT column is
//! a `bigint` identity; primary-key columns are NOT NULL; an unnamed CHECK is named
//! `<table>_check<n>`; a UNIQUE constraint without a name takes its index's name; a foreign
//! key that names only the parent table keeps empty `ref_columns` (the parent's primary key).
//!
//! Generated columns (virtual and stored) carry their expression from the `CREATE TABLE`
//! text, and columns their `COLLATE`; `WITHOUT ROWID` and `STRICT` are read from the text's
//! tail. Views, triggers, virtual tables and index keys are read in [`objects`]; a table
//! whose text cannot be read is listed as unsupported.

mod objects;

use crate::catalog::{self, Object};
use myrmex_plugin::schema::normalize::parse_default;
use myrmex_plugin::schema::sqlite_ddl::{
    self, constraint, index_predicate, leading_ident, parenthesised, ConstraintItem,
};
use myrmex_plugin::schema::{
    Check, Column, ColumnType, FkAction, ForeignKey, Generated, Identity, Index, SchemaDefinition,
    Table, Unique, Unsupported,
};
use myrmex_plugin::{PluginError, SchemaScope};
use rusqlite::Connection;
use std::collections::BTreeMap;

type Result<T> = std::result::Result<T, PluginError>;

/// The tables of `schemas` (none: `main`; other names are attached databases), each
/// database's tables by name. Two databases holding a table of the same name cannot be read
/// together: the definition has no database names.
pub fn read(conn: &Connection, schemas: &[String]) -> Result<SchemaDefinition> {
    // SQLite has no privileges: a request for them reads nothing more.
    let request = SchemaScope::parse(schemas);
    let schemas = if request.all {
        catalog::databases(conn)?
    } else if request.names.is_empty() {
        vec!["main".to_string()]
    } else {
        request.names
    };
    let mut def = SchemaDefinition::default();
    let mut tables: Vec<Table> = Vec::new();
    let mut from: BTreeMap<String, &str> = BTreeMap::new();
    for schema in &schemas {
        catalog::check_database(conn, schema)?;
        let objects = catalog::objects(conn, schema)?;
        let shadow = objects::shadow_tables(conn, schema)?;
        let names: Vec<String> = objects
            .iter()
            .filter(|o| o.kind == "table" || o.kind == "view")
            .map(|o| o.name.clone())
            .collect();
        for o in objects.iter().filter(|o| !o.is_internal()) {
            let read = match o.kind.as_str() {
                "view" => objects::view(o, &names).map(|v| def.views.push(v)),
                "table" if o.is_virtual() => {
                    objects::virtual_table(o).map(|v| def.virtual_tables.push(v))
                }
                "table" if o.sql.as_deref().and_then(sqlite_ddl::table_items).is_none() => None,
                _ => Some(()),
            };
            if read.is_none() {
                def.unsupported.push(Unsupported {
                    kind: if o.is_virtual() {
                        "virtual table".into()
                    } else {
                        o.kind.clone()
                    },
                    name: o.name.clone(),
                    reason: "its CREATE text could not be read".to_string(),
                });
            }
        }
        def.triggers.extend(objects::triggers(conn, schema)?);
        for o in objects.iter().filter(|o| {
            o.kind == "table"
                && !o.is_internal()
                && !o.is_virtual()
                && !shadow.contains(&o.name)
                && o.sql.as_deref().and_then(sqlite_ddl::table_items).is_some()
        }) {
            if let Some(first) = from.insert(o.name.clone(), schema) {
                return Err(PluginError::invalid(format!(
                    "table `{}` is in both `{first}` and `{schema}`; read one database at a time",
                    o.name
                )));
            }
            tables.push(table(conn, schema, o, &objects)?);
        }
    }
    def.tables = tables;
    Ok(def)
}

/// The column names inside the first parentheses of a constraint's text.
fn constraint_columns(rest: &str) -> Vec<String> {
    parenthesised(rest)
        .map(|inner| {
            inner
                .split(',')
                .filter_map(|c| leading_ident(c).map(|(n, _)| n))
                .collect()
        })
        .unwrap_or_default()
}

fn table(conn: &Connection, schema: &str, o: &Object, objects: &[Object]) -> Result<Table> {
    let name = o.name.as_str();
    let (comment, items) = o
        .sql
        .as_deref()
        .and_then(sqlite_ddl::table_items)
        .unwrap_or_default();
    let mut t = Table {
        name: name.to_string(),
        comment,
        ..Table::default()
    };
    let tail = o
        .sql
        .as_deref()
        .and_then(|s| s.rfind(')').map(|i| s[i + 1..].to_ascii_uppercase()))
        .unwrap_or_default();
    t.without_rowid = tail.contains("WITHOUT ROWID");
    t.strict = tail
        .split(|c: char| !c.is_ascii_alphabetic())
        .any(|w| w == "STRICT");
    let mut pk: Vec<(u32, String)> = Vec::new();
    // Hidden columns (of virtual tables) are not part of the definition; generated ones are.
    for r in catalog::columns(conn, schema, name)?
        .into_iter()
        .filter(|c| c.hidden == 0 || c.hidden == 2 || c.hidden == 3)
    {
        let item = items.iter().find(|i| {
            leading_ident(&i.text).is_some_and(|(n, _)| n == r.name)
                && constraint(&i.text).is_none()
        });
        let mut c = Column::new(&r.name, portable_type(&r.decl));
        c.nullable = !r.not_null;
        if item.is_some_and(|i| i.text.to_ascii_uppercase().contains("AUTOINCREMENT")) {
            c.identity = Identity::ByDefault;
            c.ty = ColumnType::BigInt;
            c.nullable = false;
        }
        c.default = r.default.as_deref().and_then(|d| parse_default(d, &c.ty));
        c.comment = item.and_then(|i| i.comment.clone());
        if let Some(text) = item.map(|i| i.text.as_str()) {
            c.collation = word_after(text, "COLLATE");
            if r.hidden == 2 || r.hidden == 3 {
                c.generated = generated_expr(text).map(|expr| Generated {
                    expr,
                    stored: r.hidden == 3,
                });
            }
        }
        if r.pk > 0 {
            pk.push((r.pk, r.name.clone()));
            c.nullable = false;
        }
        t.columns.push(c);
    }
    pk.sort();
    t.primary_key = pk.into_iter().map(|(_, c)| c).collect();

    let named: Vec<ConstraintItem> = items.iter().filter_map(|i| constraint(&i.text)).collect();
    let named_of = |kind: &str, columns: &[String]| -> Option<String> {
        named
            .iter()
            .filter(|c| c.kind == kind)
            .find(|c| constraint_columns(&c.rest) == columns)
            .and_then(|c| c.name.clone())
    };
    for c in named.iter().filter(|c| c.kind == "CHECK") {
        if let Some(expr) = parenthesised(&c.rest) {
            let n = t.checks.len() + 1;
            t.checks.push(Check {
                name: Some(c.name.clone().unwrap_or_else(|| format!("{name}_check{n}"))),
                expr: expr.trim().to_string(),
                ..Default::default()
            });
        }
    }

    for fk in catalog::foreign_keys(conn, schema, name)?.into_iter().rev() {
        t.foreign_keys.push(ForeignKey {
            name: named_of("FOREIGN", &fk.columns),
            ref_table: fk.ref_table,
            ref_columns: fk.ref_columns.into_iter().flatten().collect(),
            on_delete: FkAction::parse(&fk.on_delete).unwrap_or_default(),
            on_update: FkAction::parse(&fk.on_update).unwrap_or_default(),
            columns: fk.columns,
            ..Default::default()
        });
    }

    for ix in catalog::indexes(conn, schema, name)? {
        if ix.origin == "pk" {
            continue;
        }
        let columns: Vec<String> = catalog::index_columns(conn, schema, &ix.name)?
            .into_iter()
            .map(Option::unwrap_or_default)
            .collect();
        if ix.origin == "u" {
            t.unique.push(Unique {
                name: named_of("UNIQUE", &columns).or(Some(ix.name)),
                columns,
                ..Default::default()
            });
        } else {
            let predicate = objects
                .iter()
                .find(|o| o.kind == "index" && o.name == ix.name)
                .and_then(|o| o.sql.as_deref())
                .and_then(index_predicate);
            let sql = objects
                .iter()
                .find(|o| o.kind == "index" && o.name == ix.name)
                .and_then(|o| o.sql.as_deref());
            t.indexes.push(Index {
                columns: self::objects::index_keys(conn, schema, &ix.name, sql)?,
                name: Some(ix.name),
                unique: ix.unique,
                predicate,
                ..Default::default()
            });
        }
    }
    t.unique.reverse();
    t.indexes.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(t)
}

/// The identifier after the keyword `word` in a column's text (`COLLATE NOCASE` → `NOCASE`).
fn word_after(text: &str, word: &str) -> Option<String> {
    let upper = text.to_ascii_uppercase();
    let at = upper
        .match_indices(word)
        .find(|(i, _)| *i > 0 && text.as_bytes()[i - 1] == b' ')?
        .0;
    leading_ident(&text[at + word.len()..]).map(|(n, _)| n)
}

/// The expression of a generated column: `c INT GENERATED ALWAYS AS (a + b) STORED` →
/// `a + b`.
fn generated_expr(text: &str) -> Option<String> {
    let upper = text.to_ascii_uppercase();
    let at = upper
        .match_indices("AS")
        .find(|(i, _)| {
            *i > 0
                && !upper.as_bytes()[i - 1].is_ascii_alphanumeric()
                && upper[i + 2..].trim_start().starts_with('(')
        })?
        .0;
    parenthesised(&text[at + 2..]).map(|e| e.trim().to_string())
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

#[cfg(test)]
mod tests {
    use crate::driver::SqliteDriver;
    use myrmex_plugin::schema::normalize::differences;
    use myrmex_plugin::schema::{generate_schema, Dialect, SchemaDefinition};
    use myrmex_plugin::{Connection, Driver, ErrorKind};

    fn memory() -> crate::conn::SqliteConnection {
        SqliteDriver
            .connect(&crate::testing::options(":memory:", &[]))
            .unwrap()
    }

    #[test]
    fn reads_keys_constraints_indexes_and_comments() {
        let mut c = memory();
        c.execute_batch(
            "CREATE TABLE author (id INTEGER PRIMARY KEY AUTOINCREMENT, \
                name VARCHAR(80) NOT NULL /* shown on covers */, \
                born DATE, CONSTRAINT author_name_key UNIQUE (name)); \
             CREATE TABLE book ( /* what we sell */ \
                id INT NOT NULL, isbn CHAR(13), title TEXT NOT NULL DEFAULT 'untitled', \
                price DECIMAL(8,2) DEFAULT 0, author_id INTEGER, \
                printed DATETIME, total INT GENERATED ALWAYS AS (price * 2), \
                PRIMARY KEY (id), UNIQUE (isbn), \
                CONSTRAINT book_author_fkey FOREIGN KEY (author_id) REFERENCES author (id) \
                    ON DELETE SET NULL, \
                CHECK (price >= 0)); \
             CREATE INDEX book_title_idx ON book (title) WHERE price > 0; \
             CREATE UNIQUE INDEX book_author_title ON book (author_id, title);",
        )
        .unwrap();
        let got = c.schema(&[]).unwrap();
        let want = SchemaDefinition::from_toml_str(
            r#"
            [[tables]]
            name = "author"
            primary_key = ["id"]
            columns = [
              { name = "id", type = "bigint", identity = true, nullable = false },
              { name = "name", type = "varchar(80)", nullable = false, comment = "shown on covers" },
              { name = "born", type = "date" },
            ]
            unique = [{ name = "author_name_key", columns = ["name"] }]

            [[tables]]
            name = "book"
            comment = "what we sell"
            primary_key = ["id"]
            columns = [
              { name = "id", type = "int", nullable = false },
              { name = "isbn", type = "char(13)" },
              { name = "title", type = "text", nullable = false, default = "untitled" },
              { name = "price", type = "decimal(8,2)", default = 0 },
              { name = "author_id", type = "int" },
              { name = "printed", type = "timestamp" },
              { name = "total", type = "int", generated = { expr = "price * 2", stored = false } },
            ]
            unique = [{ name = "sqlite_autoindex_book_2", columns = ["isbn"] }]
            foreign_keys = [
              { name = "book_author_fkey", columns = ["author_id"], ref_table = "author", ref_columns = ["id"], on_delete = "set null" },
            ]
            checks = [{ name = "book_check1", expr = "price >= 0" }]
            indexes = [
              { name = "book_author_title", columns = ["author_id", "title"], unique = true },
              { name = "book_title_idx", columns = ["title"], where = "price > 0" },
            ]
            "#,
            "expected",
        )
        .unwrap();
        assert_eq!(got, want);
    }

    fn fixture(name: &str) -> SchemaDefinition {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/data/schema")
            .join(name);
        SchemaDefinition::load(&path).unwrap()
    }

    #[test]
    fn the_shared_fixture_round_trips() {
        let mut want = fixture("full.toml");
        want.tables.extend(fixture("partial.toml").tables);
        let mut c = memory();
        c.execute_batch(&generate_schema(&want, Dialect::Sqlite).unwrap())
            .unwrap();
        let back = c.schema(&["main".to_string()]).unwrap();
        let diffs = differences(&want, &back, Dialect::Sqlite);
        assert!(diffs.is_empty(), "{}", diffs.join("\n"));
    }

    #[test]
    fn attached_databases_are_read_by_name() {
        let mut c = memory();
        c.execute_batch(
            "CREATE TABLE t (a INT); ATTACH ':memory:' AS aux; \
             CREATE TABLE aux.u (b TEXT); CREATE TABLE aux.t (c INT)",
        )
        .unwrap();
        let aux = c.schema(&["aux".to_string()]).unwrap();
        let names: Vec<&str> = aux.tables.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["t", "u"]);
        assert_eq!(aux.tables[0].columns[0].name, "c");
        let e = c
            .schema(&["main".to_string(), "aux".to_string()])
            .unwrap_err();
        assert!(e.message.contains("`t` is in both `main` and `aux`"), "{e}");
        let e = c.schema(&["nope".to_string()]).unwrap_err();
        assert_eq!(e.kind, ErrorKind::NOT_FOUND);
    }
}
