//! The schema as the host's typed definition, from the [`crate::catalog`] records.
//!
//! Types that came from the portable set map back to it (`integer` → `int`,
//! `character varying(80)` → `varchar(80)`); anything else stays a raw `postgres` type.
//! Identity and `serial` columns are `identity` without a default; other defaults are read
//! back with the definition's own default parser. Indexes that back a primary key, unique or
//! exclusion constraint are left out (the constraint stands for them).

use crate::catalog::{self, Constraint, Relation, Scope};
use crate::session::Session;
use myrmex_plugin::schema::normalize::parse_default;
use myrmex_plugin::schema::{
    Check, Column, ColumnType, FkAction, ForeignKey, Index, IndexColumn, SchemaDefinition, Table,
    Unique,
};
use myrmex_plugin::PluginError;
use std::collections::BTreeMap;

/// Reads the tables of `schemas` (`current_schema()` when empty). With more than one schema,
/// table names are qualified (`schema.table`) so that tables of the same name stay apart.
pub fn read(s: &Session, schemas: &[String]) -> Result<SchemaDefinition, PluginError> {
    let mut rels = catalog::relations(s, Scope::Schemas(schemas))?;
    catalog::details(s, &mut rels)?;
    let qualify = schemas.len() > 1;
    let mut tables: Vec<Table> = rels.into_iter().map(|r| table(r, qualify)).collect();
    tables.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(SchemaDefinition {
        tables,
        ..Default::default()
    })
}

fn table(rel: Relation, qualify: bool) -> Table {
    let mut t = Table {
        name: if qualify {
            format!("{}.{}", rel.schema, rel.name)
        } else {
            rel.name
        },
        comment: rel.comment,
        ..Default::default()
    };
    for a in rel.columns {
        let identity = a.generated();
        let mut c = Column::new(&a.name, portable_type(&a.type_name));
        c.nullable = !a.not_null;
        c.identity = if identity {
            myrmex_plugin::schema::Identity::ByDefault
        } else {
            myrmex_plugin::schema::Identity::No
        };
        c.default = if identity {
            None
        } else {
            a.default.and_then(|d| parse_default(&d, &c.ty))
        };
        c.comment = a.comment;
        t.columns.push(c);
    }
    for con in rel.constraints {
        constraint(&mut t, con, qualify);
    }
    for i in rel.indexes.into_iter().filter(|i| !i.backs_constraint) {
        t.indexes.push(Index {
            name: Some(i.name),
            columns: i
                .keys
                .iter()
                .map(|k| IndexColumn::named(&unquote(k)))
                .collect(),
            unique: i.unique,
            predicate: i.predicate,
            ..Default::default()
        });
    }
    t
}

fn constraint(t: &mut Table, con: Constraint, qualify: bool) {
    match con.kind {
        b'p' => t.primary_key = con.columns,
        b'u' => t.unique.push(Unique {
            name: Some(con.name),
            columns: con.columns,
            ..Default::default()
        }),
        b'c' => t.checks.push(Check {
            name: Some(con.name),
            expr: check_expr(&con.definition),
            ..Default::default()
        }),
        b'f' => {
            let table = con.ref_table.unwrap_or_default();
            t.foreign_keys.push(ForeignKey {
                name: Some(con.name),
                columns: con.columns,
                ref_table: match con.ref_schema {
                    Some(schema) if qualify => format!("{schema}.{table}"),
                    _ => table,
                },
                ref_columns: con.ref_columns,
                on_delete: action(con.on_delete),
                on_update: action(con.on_update),
                ..Default::default()
            })
        }
        _ => {}
    }
}

/// `CHECK ((qty > 0)) NOT VALID` → `(qty > 0)`: the outer parentheses `pg_get_constraintdef`
/// adds come off.
fn check_expr(def: &str) -> String {
    def.trim()
        .strip_prefix("CHECK ")
        .map(|e| e.trim_end_matches(" NOT VALID").trim())
        .and_then(|e| e.strip_prefix('(').and_then(|e| e.strip_suffix(')')))
        .unwrap_or(def)
        .to_string()
}

fn action(code: u8) -> FkAction {
    match code {
        b'r' => FkAction::Restrict,
        b'c' => FkAction::Cascade,
        b'n' => FkAction::SetNull,
        b'd' => FkAction::SetDefault,
        _ => FkAction::NoAction,
    }
}

/// `"Name"` → `Name`; expressions and plain names unchanged.
fn unquote(s: &str) -> String {
    match s.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        Some(inner) if !inner.contains("\"\"") || inner.replace("\"\"", "").find('"').is_none() => {
            inner.replace("\"\"", "\"")
        }
        _ => s.to_string(),
    }
}

/// `format_type()` text → portable type, or raw.
fn portable_type(t: &str) -> ColumnType {
    let args = |s: &str| -> Option<Vec<u32>> {
        let inner = s.split_once('(')?.1.strip_suffix(')')?;
        inner.split(',').map(|a| a.trim().parse().ok()).collect()
    };
    match t {
        "smallint" => ColumnType::SmallInt,
        "integer" => ColumnType::Int,
        "bigint" => ColumnType::BigInt,
        "real" => ColumnType::Real,
        "double precision" => ColumnType::Double,
        "boolean" => ColumnType::Bool,
        "text" => ColumnType::Text,
        "bytea" => ColumnType::Blob,
        "date" => ColumnType::Date,
        "time without time zone" => ColumnType::Time,
        "timestamp without time zone" => ColumnType::Timestamp,
        "timestamp with time zone" => ColumnType::TimestampTz,
        "jsonb" => ColumnType::Json,
        "uuid" => ColumnType::Uuid,
        _ => {
            let a = args(t);
            match (t.split('(').next().unwrap_or(""), a.as_deref()) {
                ("numeric", Some([p, s])) => ColumnType::Decimal {
                    precision: *p,
                    scale: *s,
                },
                ("character varying", Some([n])) => ColumnType::Varchar(*n),
                ("character", Some([n])) => ColumnType::Char(*n),
                _ => ColumnType::Raw(BTreeMap::from([("postgres".to_string(), t.to_string())])),
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn types_map_back_to_the_portable_set() {
        assert_eq!(portable_type("integer"), ColumnType::Int);
        assert_eq!(
            portable_type("numeric(12,2)"),
            ColumnType::Decimal {
                precision: 12,
                scale: 2
            }
        );
        assert_eq!(
            portable_type("character varying(80)"),
            ColumnType::Varchar(80)
        );
        assert_eq!(
            portable_type("inet"),
            ColumnType::Raw(BTreeMap::from([("postgres".into(), "inet".into())]))
        );
    }

    #[test]
    fn check_definitions_and_quoted_names() {
        assert_eq!(check_expr("CHECK ((qty > 0))"), "(qty > 0)");
        assert_eq!(check_expr("CHECK ((qty > 0)) NOT VALID"), "(qty > 0)");
        assert_eq!(unquote("\"Mixed\""), "Mixed");
        assert_eq!(unquote("\"a\"\"b\""), "a\"b");
        assert_eq!(unquote("lower(name)"), "lower(name)");
    }

    /// Two small tables with every kind of column, key and index the definition holds.
    pub(crate) const SHOP: &str = "\
        CREATE TABLE authors (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, \
          name varchar(80) NOT NULL UNIQUE, born date); \
        CREATE TABLE books (id serial PRIMARY KEY, \
          author_id bigint NOT NULL REFERENCES authors (id) ON DELETE CASCADE, \
          title text NOT NULL, price numeric(10,2) DEFAULT 0 CHECK (price >= 0), tags jsonb, \
          CONSTRAINT books_title_key UNIQUE (author_id, title)); \
        CREATE INDEX books_cheap_idx ON books (lower(title)) WHERE price < 10; \
        CREATE INDEX \"Books Tags\" ON books (tags); \
        COMMENT ON TABLE books IS 'for sale'; \
        COMMENT ON COLUMN books.title IS 'as printed'";

    #[test]
    fn reads_keys_checks_indexes_and_identity_of_the_current_schema() {
        use crate::testing;
        use myrmex_plugin::Connection;
        let mut c = testing::in_fresh_schema("t_schema_shop");
        c.execute_batch(SHOP).unwrap();
        let def = c.schema(&[]).unwrap();
        let names: Vec<&str> = def.tables.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["authors", "books"]);

        let authors = def.table("authors").unwrap();
        assert_eq!(authors.primary_key, ["id"]);
        let id = authors.column("id").unwrap();
        assert!(id.identity.is_set() && !id.nullable && id.default.is_none());
        assert_eq!(id.ty, ColumnType::BigInt);
        assert_eq!(authors.column("name").unwrap().ty, ColumnType::Varchar(80));
        assert!(authors.column("born").unwrap().nullable);
        assert_eq!(authors.unique.len(), 1);
        assert_eq!(authors.unique[0].columns, ["name"]);
        assert!(authors.indexes.is_empty(), "{:?}", authors.indexes);

        let books = def.table("books").unwrap();
        assert_eq!(books.comment.as_deref(), Some("for sale"));
        assert!(
            books.column("id").unwrap().identity.is_set(),
            "serial is identity"
        );
        assert_eq!(
            books.column("title").unwrap().comment.as_deref(),
            Some("as printed")
        );
        let price = books.column("price").unwrap();
        assert_eq!(
            price.ty,
            ColumnType::Decimal {
                precision: 10,
                scale: 2
            }
        );
        assert!(price.default.is_some());
        assert_eq!(books.unique[0].name.as_deref(), Some("books_title_key"));
        assert_eq!(books.unique[0].columns, ["author_id", "title"]);
        assert_eq!(books.checks.len(), 1);
        assert!(
            books.checks[0].expr.contains("price >= "),
            "{:?}",
            books.checks
        );
        let fk = &books.foreign_keys[0];
        assert_eq!(
            (fk.columns.as_slice(), fk.ref_table.as_str()),
            (&["author_id".to_string()][..], "authors")
        );
        assert_eq!(fk.ref_columns, ["id"]);
        assert_eq!(
            (fk.on_delete, fk.on_update),
            (FkAction::Cascade, FkAction::NoAction)
        );
        let idx: Vec<(&str, Vec<String>, bool)> = books
            .indexes
            .iter()
            .map(|i| {
                (
                    i.name.as_deref().unwrap_or(""),
                    i.columns
                        .iter()
                        .map(|k| k.label().to_string())
                        .collect::<Vec<_>>(),
                    i.predicate.is_some(),
                )
            })
            .collect();
        assert_eq!(
            idx,
            [
                ("Books Tags", vec!["tags".to_string()], false),
                ("books_cheap_idx", vec!["lower(title)".to_string()], true),
            ]
        );
    }

    #[test]
    fn several_schemas_qualify_their_tables() {
        use crate::testing;
        use myrmex_plugin::Connection;
        let mut c = testing::in_fresh_schema("t_schema_a");
        c.execute_batch(
            "DROP SCHEMA IF EXISTS t_schema_b CASCADE; CREATE SCHEMA t_schema_b; \
             CREATE TABLE t_schema_a.t (id int PRIMARY KEY); \
             CREATE TABLE t_schema_b.t (id int PRIMARY KEY, a int REFERENCES t_schema_a.t)",
        )
        .unwrap();
        let one = c.schema(&["t_schema_b".to_string()]).unwrap();
        assert_eq!(one.tables.len(), 1);
        assert_eq!(one.tables[0].name, "t");
        let both = c
            .schema(&["t_schema_a".to_string(), "t_schema_b".to_string()])
            .unwrap();
        let names: Vec<&str> = both.tables.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["t_schema_a.t", "t_schema_b.t"]);
        assert_eq!(both.tables[1].foreign_keys[0].ref_table, "t_schema_a.t");
        c.execute_batch("DROP SCHEMA t_schema_b CASCADE").unwrap();
    }
}
