//! Tables: columns (identity, generated, collation), keys, checks, exclusions, indexes,
//! persistence, inheritance, partitioning, storage parameters and row-level security.
//!
//! Types that came from the portable set map back to it (`integer` → `int`,
//! `character varying(80)` → `varchar(80)`); anything else stays a raw `postgres` type.
//! A `serial` column is what PostgreSQL holds: a default drawing from a sequence the column
//! owns (the sequence is listed apart); only `attidentity` makes an identity column.
//! Indexes that back a primary key, unique or exclusion constraint are left out (the
//! constraint stands for them), and so are the indexes and constraints a partition or an
//! inheriting child gets from its parent.

use super::Ctx;
use crate::catalog::{get, Constraint, IndexDef, Relation};
use crate::session::Session;
use myrmex_plugin::schema::normalize::parse_default;
use myrmex_plugin::schema::{
    Check, Column, ColumnType, Deferrable, Exclude, FkAction, ForeignKey, Generated, Identity,
    Index, IndexColumn, PartitionOf, Policy, Table, Unique,
};
use myrmex_plugin::PluginError;
use std::collections::{BTreeMap, HashMap};

const FACTS: &str =
    "SELECT c.oid, c.relpersistence = 'u', c.relrowsecurity, c.relforcerowsecurity, \
    coalesce(c.reloptions, '{}'), CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END, \
    CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END, \
    array(SELECT pn.nspname::text || '.' || pc.relname::text FROM pg_inherits h \
      JOIN pg_class pc ON pc.oid = h.inhparent JOIN pg_namespace pn ON pn.oid = pc.relnamespace \
      WHERE h.inhrelid = c.oid ORDER BY h.inhseqno) \
    FROM pg_class c WHERE c.oid = ANY ($1::oid[])";

/// Per-table facts besides columns and constraints.
struct Facts {
    unlogged: bool,
    row_security: bool,
    force_row_security: bool,
    options: Vec<String>,
    partition_by: Option<String>,
    bound: Option<String>,
    parents: Vec<String>,
}

/// Shapes the tables (plain, partitioned, partitions) of `rels`, sorted by schema and name.
pub fn read(s: &Session, ctx: &Ctx, rels: Vec<Relation>) -> Result<Vec<Table>, PluginError> {
    let oids: Vec<u32> = rels.iter().map(|r| r.oid).collect();
    let mut facts = HashMap::new();
    for r in s.rows(FACTS, &[&oids])? {
        facts.insert(
            get::<u32>(&r, 0)?,
            Facts {
                unlogged: get(&r, 1)?,
                row_security: get(&r, 2)?,
                force_row_security: get(&r, 3)?,
                options: get(&r, 4)?,
                partition_by: get(&r, 5)?,
                bound: get(&r, 6)?,
                parents: get(&r, 7)?,
            },
        );
    }
    let mut tables = Vec::new();
    for rel in rels {
        let f = facts.remove(&rel.oid);
        tables.push(table(ctx, rel, f));
    }
    tables.sort_by(|a, b| (&a.schema, &a.name).cmp(&(&b.schema, &b.name)));
    Ok(tables)
}

/// `schema.name` from the catalog → the definition's spelling of a reference.
fn reference(ctx: &Ctx, qualified: &str) -> String {
    match qualified.split_once('.') {
        Some((schema, name)) => ctx.qualified(schema, name),
        None => qualified.to_string(),
    }
}

/// `name=value` storage parameters as a map.
pub(crate) fn options(list: &[String]) -> BTreeMap<String, String> {
    list.iter()
        .map(|o| match o.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (o.clone(), String::new()),
        })
        .collect()
}

fn table(ctx: &Ctx, rel: Relation, facts: Option<Facts>) -> Table {
    let mut t = Table {
        schema: ctx.field(&rel.schema),
        name: rel.name,
        comment: rel.comment,
        ..Default::default()
    };
    if let Some(f) = facts {
        t.unlogged = f.unlogged;
        t.row_security = f.row_security;
        t.force_row_security = f.force_row_security;
        t.options = options(&f.options);
        t.partition_by = f.partition_by;
        let parents: Vec<String> = f.parents.iter().map(|p| reference(ctx, p)).collect();
        match f.bound {
            Some(bound) => {
                t.partition_of = Some(PartitionOf {
                    parent: parents.first().cloned().unwrap_or_default(),
                    bound,
                })
            }
            None => t.inherits = parents,
        }
    }
    for a in rel.columns {
        let mut c = Column::new(&a.name, portable_type(&a.type_name));
        c.nullable = !a.not_null;
        c.identity = match a.identity {
            b'a' => Identity::Always,
            b'd' => Identity::ByDefault,
            _ => Identity::No,
        };
        if a.generated == b's' {
            c.generated = a.default.map(|expr| Generated { expr, stored: true });
        } else {
            c.default = a.default.and_then(|d| parse_default(&d, &c.ty));
        }
        c.collation = a.collation;
        c.comment = a.comment;
        t.columns.push(c);
    }
    for con in rel.constraints.into_iter().filter(|c| c.local) {
        constraint(ctx, &mut t, con);
    }
    for i in rel
        .indexes
        .into_iter()
        .filter(|i| !i.backs_constraint && !i.inherited)
    {
        t.indexes.push(index(i));
    }
    t
}

/// An index as the definition holds it.
pub(crate) fn index(i: IndexDef) -> Index {
    let columns = i
        .keys
        .iter()
        .enumerate()
        .map(|(k, key)| {
            let opt = i.options.get(k).copied().unwrap_or(0);
            let desc = opt & 1 != 0;
            let nulls_first = opt & 2 != 0;
            let text = |v: &[String]| v.get(k).filter(|s| !s.is_empty()).cloned();
            let mut col = if i.expression.get(k).copied().unwrap_or(false) {
                IndexColumn {
                    expr: Some(key.clone()),
                    ..Default::default()
                }
            } else {
                IndexColumn::named(&unquote(key))
            };
            col.desc = desc;
            col.nulls_first = (nulls_first != desc).then_some(nulls_first);
            col.opclass = text(&i.opclasses);
            col.collation = text(&i.collations);
            col
        })
        .collect();
    Index {
        name: Some(i.name),
        columns,
        unique: i.unique,
        predicate: i.predicate,
        method: (i.method != "btree").then_some(i.method),
        include: i.include.iter().map(|c| unquote(c)).collect(),
        nulls_not_distinct: i.nulls_not_distinct,
        with: options(&i.with),
    }
}

fn deferrable(con: &Constraint) -> Deferrable {
    match (con.deferrable, con.deferred) {
        (false, _) => Deferrable::No,
        (true, false) => Deferrable::Immediate,
        (true, true) => Deferrable::Deferred,
    }
}

fn constraint(ctx: &Ctx, t: &mut Table, con: Constraint) {
    let deferrable = deferrable(&con);
    match con.kind {
        b'p' => t.primary_key = con.columns,
        b'u' => t.unique.push(Unique {
            name: Some(con.name),
            columns: con.columns,
            nulls_not_distinct: con.nulls_not_distinct,
            deferrable,
        }),
        b'c' => t.checks.push(Check {
            name: Some(con.name),
            expr: check_expr(&con.definition),
            not_valid: !con.validated,
        }),
        b'x' => t.excludes.push(Exclude {
            name: Some(con.name),
            using: con.exclude_method,
            elements: con.exclude_elements,
            predicate: con.exclude_predicate,
            deferrable,
        }),
        b'f' => {
            let ref_schema = con.ref_schema.unwrap_or_default();
            let own = t.schema.clone().unwrap_or_else(|| ctx.default.clone());
            t.foreign_keys.push(ForeignKey {
                name: Some(con.name),
                columns: con.columns,
                ref_schema: (ref_schema != own).then_some(ref_schema),
                ref_table: con.ref_table.unwrap_or_default(),
                ref_columns: con.ref_columns,
                on_delete: action(con.on_delete),
                on_update: action(con.on_update),
                match_full: con.match_type == b'f',
                deferrable,
                not_valid: !con.validated,
            })
        }
        _ => {}
    }
}

/// Reads the row-level security policies of `tables`.
pub fn policies(s: &Session, ctx: &Ctx, tables: &mut [Table]) -> Result<(), PluginError> {
    let rows = s.rows(POLICIES_BY_NAME, &[&ctx.schemas])?;
    for r in rows {
        let schema: String = get(&r, 0)?;
        let table: String = get(&r, 1)?;
        let field = ctx.field(&schema);
        let Some(t) = tables
            .iter_mut()
            .find(|t| t.schema == field && t.name == table)
        else {
            continue;
        };
        let cmd = crate::catalog::code(&r, 3)?;
        t.policies.push(Policy {
            name: get(&r, 2)?,
            command: match cmd {
                b'r' => "select",
                b'a' => "insert",
                b'w' => "update",
                b'd' => "delete",
                _ => "all",
            }
            .to_string(),
            restrictive: !get::<bool>(&r, 4)?,
            roles: {
                let roles: Vec<String> = get(&r, 5)?;
                if roles == ["PUBLIC"] {
                    Vec::new()
                } else {
                    roles
                }
            },
            using: get(&r, 6)?,
            with_check: get(&r, 7)?,
        });
    }
    Ok(())
}

const POLICIES_BY_NAME: &str = "SELECT n.nspname::text, c.relname::text, p.polname::text, \
    p.polcmd, p.polpermissive, \
    array(SELECT CASE WHEN r = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(r)) END \
      FROM unnest(p.polroles) r ORDER BY 1), \
    pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid) \
    FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid \
    JOIN pg_namespace n ON n.oid = c.relnamespace \
    WHERE n.nspname = ANY ($1::text[]) ORDER BY n.nspname, c.relname, p.polname";

/// `CHECK ((qty > 0)) NOT VALID` → `(qty > 0)`: the outer parentheses `pg_get_constraintdef`
/// adds come off.
pub(crate) fn check_expr(def: &str) -> String {
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
pub(crate) fn portable_type(t: &str) -> ColumnType {
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
mod tests {
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
}
