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
    /// The tables (plain, partitioned and partitions), views and materialized views of
    /// these schemas, leaving out those that belong to an extension.
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

const SCHEMAS: &str = " WHERE c.relkind IN ('r', 'p', 'v', 'm') AND n.nspname = ANY ($1::text[]) \
    AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_class'::regclass \
      AND e.objid = c.oid AND e.deptype = 'e') \
    ORDER BY n.nspname, c.relname";

const COLUMNS: &str = "SELECT a.attrelid, a.attname::text, format_type(a.atttypid, a.atttypmod), \
    a.attnotnull, pg_get_expr(d.adbin, d.adrelid), a.attidentity, \
    col_description(a.attrelid, a.attnum), a.attgenerated, \
    CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation THEN co.collname::text END \
    FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
    JOIN pg_type t ON t.oid = a.atttypid LEFT JOIN pg_collation co ON co.oid = a.attcollation \
    WHERE a.attrelid = ANY ($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped \
    ORDER BY a.attrelid, a.attnum";

const CONSTRAINTS: &str = "SELECT con.conrelid, con.conname::text, con.contype, \
    pg_get_constraintdef(con.oid, true), \
    array(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(n, i) \
      JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.i), \
    fn.nspname::text, fc.relname::text, \
    array(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(n, i) \
      JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.i), \
    con.confupdtype, con.confdeltype, con.condeferrable, con.condeferred, con.convalidated, \
    con.confmatchtype, con.conislocal AND con.conparentid = 0, \
    coalesce((SELECT ix.indnullsnotdistinct FROM pg_index ix WHERE ix.indexrelid = con.conindid), false), \
    coalesce((SELECT am.amname::text FROM pg_class ic JOIN pg_am am ON am.oid = ic.relam \
      WHERE ic.oid = con.conindid AND con.contype = 'x'), ''), \
    array(SELECT pg_get_indexdef(con.conindid, k.i::int, true) || ' WITH ' || op.oprname \
      FROM unnest(con.conexclop) WITH ORDINALITY k(o, i) JOIN pg_operator op ON op.oid = k.o ORDER BY k.i), \
    (SELECT pg_get_expr(ix.indpred, ix.indrelid) FROM pg_index ix \
      WHERE ix.indexrelid = con.conindid AND con.contype = 'x') \
    FROM pg_constraint con LEFT JOIN pg_class fc ON fc.oid = con.confrelid \
    LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace \
    WHERE con.conrelid = ANY ($1::oid[]) AND con.contype IN ('p', 'u', 'f', 'c', 'x') \
    ORDER BY con.conrelid, con.conname";

const INDEXES: &str = "SELECT ix.indrelid, i.relname::text, ix.indisunique, ix.indisprimary, \
    pg_get_expr(ix.indpred, ix.indrelid), \
    array(SELECT pg_get_indexdef(ix.indexrelid, k, true) FROM generate_series(1, ix.indnkeyatts) k ORDER BY k), \
    EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = ix.indexrelid AND c.contype IN ('p', 'u', 'x')), \
    am.amname::text, ix.indoption::int2[], \
    array(SELECT ix.indkey[k - 1] = 0 FROM generate_series(1, ix.indnkeyatts) k ORDER BY k), \
    array(SELECT CASE WHEN oc.opcdefault THEN '' ELSE oc.opcname::text END \
      FROM unnest(ix.indclass::oid[]) WITH ORDINALITY u(o, i) JOIN pg_opclass oc ON oc.oid = u.o ORDER BY u.i), \
    array(SELECT CASE WHEN u.c = 0 OR u.c = coalesce(att.attcollation, 100) \
        OR (ix.indkey[u.i - 1] = 0 AND position(' COLLATE ' in pg_get_indexdef(ix.indexrelid)) = 0) \
        THEN '' ELSE co.collname::text END \
      FROM unnest(ix.indcollation::oid[]) WITH ORDINALITY u(c, i) \
      LEFT JOIN pg_attribute att ON att.attrelid = ix.indrelid AND att.attnum = ix.indkey[u.i - 1] \
      LEFT JOIN pg_collation co ON co.oid = u.c ORDER BY u.i), \
    array(SELECT pg_get_indexdef(ix.indexrelid, k, true) FROM generate_series(ix.indnkeyatts + 1, ix.indnatts) k ORDER BY k), \
    coalesce(i.reloptions, '{}'), ix.indnullsnotdistinct, \
    EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = ix.indexrelid) \
    FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_am am ON am.oid = i.relam \
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
    /// `pg_attribute.attidentity`: `a` always, `d` by default, 0 for none.
    pub identity: u8,
    /// The column comment.
    pub comment: Option<String>,
    /// `pg_attribute.attgenerated`: `s` for a stored generated column, 0 for none.
    pub generated: u8,
    /// Collation, where it is not the type's default.
    pub collation: Option<String>,
}

impl Attribute {
    /// Takes its values by itself: identity, or `serial` (a default drawn from a
    /// sequence), as a table description reports auto-increment.
    pub fn auto_increment(&self) -> bool {
        self.identity != 0
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
    /// DEFERRABLE.
    pub deferrable: bool,
    /// INITIALLY DEFERRED.
    pub deferred: bool,
    /// Validated (false for NOT VALID).
    pub validated: bool,
    /// Foreign keys: `pg_constraint.confmatchtype` (`f` full, `s` simple).
    pub match_type: u8,
    /// Declared on this table (not inherited from a parent or a partitioned table).
    pub local: bool,
    /// Unique: NULLS NOT DISTINCT.
    pub nulls_not_distinct: bool,
    /// Exclusion: the index method.
    pub exclude_method: String,
    /// Exclusion: elements, `expression WITH operator`.
    pub exclude_elements: Vec<String>,
    /// Exclusion: predicate.
    pub exclude_predicate: Option<String>,
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
    /// Index method (`btree`, `hash`, `gin`, …).
    pub method: String,
    /// `pg_index.indoption` per key: bit 1 DESC, bit 2 NULLS FIRST.
    pub options: Vec<i16>,
    /// Per key: an expression rather than a column.
    pub expression: Vec<bool>,
    /// Per key: the operator class when it is not the type's default, else empty.
    pub opclasses: Vec<String>,
    /// Per key: the collation when it is not the column's, else empty.
    pub collations: Vec<String>,
    /// INCLUDE columns.
    pub include: Vec<String>,
    /// Storage parameters, `name=value`.
    pub with: Vec<String>,
    /// NULLS NOT DISTINCT.
    pub nulls_not_distinct: bool,
    /// Attached to an index of a partitioned parent (created with it).
    pub inherited: bool,
}

/// One column of a catalog row. The catalog queries fix every column's type, so a
/// mismatch is a bug here, reported as an error rather than a panic.
pub fn get<'a, T: FromSql<'a>>(row: &'a Row, i: usize) -> Result<T, PluginError> {
    row.try_get(i).map_err(|e| {
        PluginError::new(
            ErrorKind::INTERNAL,
            format!("reading the PostgreSQL catalog, column {}: {e}", i + 1),
        )
    })
}

/// A `"char"` column as its byte.
pub fn code(row: &Row, i: usize) -> Result<u8, PluginError> {
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
                identity: code(&r, 5)?,
                comment: get(&r, 6)?,
                generated: code(&r, 7)?,
                collation: get(&r, 8)?,
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
                deferrable: get(&r, 10)?,
                deferred: get(&r, 11)?,
                validated: get(&r, 12)?,
                match_type: code(&r, 13)?,
                local: get(&r, 14)?,
                nulls_not_distinct: get(&r, 15)?,
                exclude_method: get(&r, 16)?,
                exclude_elements: get(&r, 17)?,
                exclude_predicate: get(&r, 18)?,
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
                method: get(&r, 7)?,
                options: get(&r, 8)?,
                expression: get(&r, 9)?,
                opclasses: get(&r, 10)?,
                collations: get(&r, 11)?,
                include: get(&r, 12)?,
                with: get(&r, 13)?,
                nulls_not_distinct: get(&r, 14)?,
                inherited: get(&r, 15)?,
            });
        }
    }
    Ok(())
}
