//! The `pg_catalog` queries behind table listings, table descriptions and schema reading:
//! one query per kind of object (relations, columns, constraints, indexes), read into plain
//! records that [`crate::introspect`] and [`crate::schema`] shape for their callers.

use crate::session::Session;
use myrmex_plugin::{ErrorKind, PluginError};
use std::collections::HashMap;
use tokio_postgres::types::FromSql;
use tokio_postgres::Row;

/// The relations a caller asks for.
pub enum Scope<'a> {
    /// Tables, views, materialized views and foreign tables outside the system schemas,
    /// the current schema first.
    Listing,
    /// One relation of any of those kinds by name; an empty schema searches the search
    /// path in order.
    Table {
        /// Schema name, or empty.
        schema: &'a str,
        /// Relation name.
        name: &'a str,
    },
    /// The tables (plain and partitioned, without their partitions) of these schemas, or
    /// of `current_schema()` when the list is empty.
    Schemas(&'a [String]),
}

const RELATION: &str = "SELECT c.oid, n.nspname::text, c.relname::text, c.relkind, \
    obj_description(c.oid, 'pg_class') \
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace";

const LISTING: &str = " WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') \
    AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
    AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%' \
    ORDER BY n.nspname <> current_schema(), n.nspname, c.relname";

const ONE_TABLE: &str = " WHERE c.relname = $2 AND c.relkind IN ('r', 'p', 'v', 'm', 'f') \
    AND (n.nspname = $1 OR ($1 = '' AND n.oid = ANY (current_schemas(false)::regnamespace[]))) \
    ORDER BY array_position(current_schemas(false), n.nspname::text) LIMIT 1";

const SCHEMAS: &str = " WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition \
    AND (n.nspname = ANY ($1::text[]) OR (cardinality($1::text[]) = 0 AND n.nspname = current_schema())) \
    ORDER BY n.nspname, c.relname";

const COLUMNS: &str = "SELECT a.attrelid, a.attname::text, format_type(a.atttypid, a.atttypmod), \
    a.attnotnull, pg_get_expr(d.adbin, d.adrelid), a.attidentity <> '', \
    col_description(a.attrelid, a.attnum) \
    FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
    WHERE a.attrelid = ANY ($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped \
    ORDER BY a.attrelid, a.attnum";

const CONSTRAINTS: &str = "SELECT con.conrelid, con.conname::text, con.contype, \
    pg_get_constraintdef(con.oid, true), \
    array(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(n, i) \
      JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.i), \
    fn.nspname::text, fc.relname::text, \
    array(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(n, i) \
      JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.i), \
    con.confupdtype, con.confdeltype \
    FROM pg_constraint con LEFT JOIN pg_class fc ON fc.oid = con.confrelid \
    LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace \
    WHERE con.conrelid = ANY ($1::oid[]) AND con.contype IN ('p', 'u', 'f', 'c') \
    ORDER BY con.conrelid, con.conname";

const INDEXES: &str = "SELECT ix.indrelid, i.relname::text, ix.indisunique, ix.indisprimary, \
    pg_get_expr(ix.indpred, ix.indrelid), \
    array(SELECT pg_get_indexdef(ix.indexrelid, k, true) FROM generate_series(1, ix.indnkeyatts) k ORDER BY k), \
    EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = ix.indexrelid AND c.contype IN ('p', 'u', 'x')) \
    FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid \
    WHERE ix.indrelid = ANY ($1::oid[]) ORDER BY ix.indrelid, i.relname";

/// A table, view or other relation, with its parts once [`details`] has read them.
#[derive(Debug, Default)]
pub struct Relation {
    /// The relation's oid.
    pub oid: u32,
    /// Its schema.
    pub schema: String,
    /// Its name.
    pub name: String,
    /// `pg_class.relkind`: `r` table, `p` partitioned, `v` view, `m` materialized, `f` foreign.
    pub kind: u8,
    /// The table comment.
    pub comment: Option<String>,
    /// Columns in table order.
    pub columns: Vec<Attribute>,
    /// Primary key, unique, foreign key and check constraints, by name.
    pub constraints: Vec<Constraint>,
    /// Indexes, by name.
    pub indexes: Vec<IndexDef>,
}

/// One column.
#[derive(Debug)]
pub struct Attribute {
    /// Column name.
    pub name: String,
    /// The type as `format_type` spells it (`character varying(80)`).
    pub type_name: String,
    /// NOT NULL.
    pub not_null: bool,
    /// The default expression as the server prints it.
    pub default: Option<String>,
    /// An identity column (`GENERATED … AS IDENTITY`).
    pub identity: bool,
    /// The column comment.
    pub comment: Option<String>,
}

impl Attribute {
    /// Identity, or `serial` (a default drawn from a sequence).
    pub fn generated(&self) -> bool {
        self.identity
            || self
                .default
                .as_deref()
                .is_some_and(|d| d.starts_with("nextval("))
    }
}

/// One constraint.
#[derive(Debug)]
pub struct Constraint {
    /// Constraint name.
    pub name: String,
    /// `p` primary key, `u` unique, `f` foreign key, `c` check.
    pub kind: u8,
    /// The definition as `pg_get_constraintdef` prints it (`CHECK ((qty > 0))`).
    pub definition: String,
    /// Constrained columns in key order.
    pub columns: Vec<String>,
    /// Foreign keys: the referenced table's schema.
    pub ref_schema: Option<String>,
    /// Foreign keys: the referenced table.
    pub ref_table: Option<String>,
    /// Foreign keys: the referenced columns in key order.
    pub ref_columns: Vec<String>,
    /// Foreign keys: `pg_constraint.confupdtype` (`a` no action, `r`, `c`, `n`, `d`).
    pub on_update: u8,
    /// Foreign keys: `pg_constraint.confdeltype`.
    pub on_delete: u8,
}

/// One index.
#[derive(Debug)]
pub struct IndexDef {
    /// Index name.
    pub name: String,
    /// UNIQUE.
    pub unique: bool,
    /// Backs the primary key.
    pub primary: bool,
    /// Predicate of a partial index.
    pub predicate: Option<String>,
    /// Key columns or expressions as `pg_get_indexdef` prints them (names quoted when needed).
    pub keys: Vec<String>,
    /// Backs a primary key, unique or exclusion constraint.
    pub backs_constraint: bool,
}

/// One column of a catalog row. The catalog queries fix every column's type, so a
/// mismatch is a bug here, reported as an error rather than a panic.
fn get<'a, T: FromSql<'a>>(row: &'a Row, i: usize) -> Result<T, PluginError> {
    row.try_get(i).map_err(|e| {
        PluginError::new(
            ErrorKind::INTERNAL,
            format!("reading the PostgreSQL catalog, column {}: {e}", i + 1),
        )
    })
}

/// A `"char"` column as its byte.
fn code(row: &Row, i: usize) -> Result<u8, PluginError> {
    get::<i8>(row, i).map(|c| c as u8)
}

/// The relations in `scope`, without their parts.
pub fn relations(s: &Session, scope: Scope<'_>) -> Result<Vec<Relation>, PluginError> {
    let rows = match scope {
        Scope::Listing => s.rows(&format!("{RELATION}{LISTING}"), &[])?,
        Scope::Table { schema, name } => {
            s.rows(&format!("{RELATION}{ONE_TABLE}"), &[&schema, &name])?
        }
        Scope::Schemas(list) => s.rows(&format!("{RELATION}{SCHEMAS}"), &[&list])?,
    };
    rows.iter()
        .map(|r| {
            Ok(Relation {
                oid: get(r, 0)?,
                schema: get(r, 1)?,
                name: get(r, 2)?,
                kind: code(r, 3)?,
                comment: get(r, 4)?,
                ..Default::default()
            })
        })
        .collect()
}

/// Reads the columns, constraints and indexes of `rels`.
pub fn details(s: &Session, rels: &mut [Relation]) -> Result<(), PluginError> {
    let oids: Vec<u32> = rels.iter().map(|r| r.oid).collect();
    let at: HashMap<u32, usize> = oids.iter().enumerate().map(|(i, o)| (*o, i)).collect();
    let slot =
        |r: &Row| -> Result<Option<usize>, PluginError> { Ok(at.get(&get::<u32>(r, 0)?).copied()) };
    for r in s.rows(COLUMNS, &[&oids])? {
        if let Some(i) = slot(&r)? {
            rels[i].columns.push(Attribute {
                name: get(&r, 1)?,
                type_name: get(&r, 2)?,
                not_null: get(&r, 3)?,
                default: get(&r, 4)?,
                identity: get(&r, 5)?,
                comment: get(&r, 6)?,
            });
        }
    }
    for r in s.rows(CONSTRAINTS, &[&oids])? {
        if let Some(i) = slot(&r)? {
            rels[i].constraints.push(Constraint {
                name: get(&r, 1)?,
                kind: code(&r, 2)?,
                definition: get(&r, 3)?,
                columns: get(&r, 4)?,
                ref_schema: get(&r, 5)?,
                ref_table: get(&r, 6)?,
                ref_columns: get(&r, 7)?,
                on_update: code(&r, 8)?,
                on_delete: code(&r, 9)?,
            });
        }
    }
    for r in s.rows(INDEXES, &[&oids])? {
        if let Some(i) = slot(&r)? {
            rels[i].indexes.push(IndexDef {
                name: get(&r, 1)?,
                unique: get(&r, 2)?,
                primary: get(&r, 3)?,
                predicate: get(&r, 4)?,
                keys: get(&r, 5)?,
                backs_constraint: get(&r, 6)?,
            });
        }
    }
    Ok(())
}
