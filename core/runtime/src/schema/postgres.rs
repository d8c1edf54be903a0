//! PostgreSQL: `pg_catalog` of `current_schema()`.

use super::{boolean, named_tables, opt_text, rows, string_list, text};
use crate::{DatabaseConnection, Result};
use myrmex_schema::normalize::parse_default;
use myrmex_schema::{
    Check, Column, ColumnType, FkAction, ForeignKey, Index, SchemaDefinition, Unique,
};
use std::collections::BTreeMap;

const TABLES: &str = "SELECT c.relname, obj_description(c.oid, 'pg_class') \
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
    WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition \
    ORDER BY c.relname";

const COLUMNS: &str = "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, \
    pg_get_expr(d.adbin, d.adrelid), a.attidentity::text, col_description(c.oid, a.attnum) \
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
    JOIN pg_namespace n ON n.oid = c.relnamespace \
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
    WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped \
    ORDER BY c.relname, a.attnum";

const CONSTRAINTS: &str =
    "SELECT c.relname, con.conname, con.contype::text, pg_get_constraintdef(con.oid, true), \
    (SELECT json_agg(a.attname ORDER BY k.i) FROM unnest(con.conkey) WITH ORDINALITY k(n, i) \
       JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n), \
    (SELECT relname FROM pg_class WHERE oid = con.confrelid), \
    (SELECT json_agg(a.attname ORDER BY k.i) FROM unnest(con.confkey) WITH ORDINALITY k(n, i) \
       JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n), \
    con.confdeltype::text, con.confupdtype::text \
    FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid \
    JOIN pg_namespace n ON n.oid = c.relnamespace \
    WHERE n.nspname = current_schema() AND con.contype IN ('p', 'u', 'f', 'c') \
    ORDER BY c.relname, con.conname";

const INDEXES: &str = "SELECT t.relname, i.relname, ix.indisunique, pg_get_expr(ix.indpred, ix.indrelid), \
    (SELECT json_agg(pg_get_indexdef(ix.indexrelid, k, true) ORDER BY k) \
       FROM generate_series(1, ix.indnkeyatts) k) \
    FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid \
    JOIN pg_class t ON t.oid = ix.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace \
    WHERE n.nspname = current_schema() AND t.relkind IN ('r', 'p') \
    AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = ix.indexrelid AND c.contype IN ('p', 'u', 'x')) \
    ORDER BY t.relname, i.relname";

pub(super) fn inspect(db: &mut DatabaseConnection) -> Result<SchemaDefinition> {
    let mut tables = named_tables(db, TABLES)?;
    for r in rows(db, COLUMNS, &[])? {
        let Some(t) = tables.get_mut(&text(&r[0])) else {
            continue;
        };
        let ty = portable_type(&text(&r[2]));
        let default = opt_text(&r[4]);
        let serial = default
            .as_deref()
            .is_some_and(|d| d.starts_with("nextval("));
        let identity = !text(&r[5]).is_empty() || serial;
        let mut c = Column::new(&text(&r[1]), ty);
        c.nullable = !boolean(&r[3]);
        c.identity = identity;
        c.default = if identity {
            None
        } else {
            default.and_then(|d| parse_default(&d, &c.ty))
        };
        c.comment = opt_text(&r[6]);
        t.columns.push(c);
    }
    for r in rows(db, CONSTRAINTS, &[])? {
        let Some(t) = tables.get_mut(&text(&r[0])) else {
            continue;
        };
        let name = text(&r[1]);
        let cols = string_list(&r[4]);
        match text(&r[2]).as_str() {
            "p" => t.primary_key = cols,
            "u" => t.unique.push(Unique {
                name: Some(name),
                columns: cols,
            }),
            "c" => {
                let def = text(&r[3]);
                let expr = def
                    .trim()
                    .strip_prefix("CHECK ")
                    .map(|e| e.trim_end_matches(" NOT VALID").trim())
                    .and_then(|e| e.strip_prefix('(').and_then(|e| e.strip_suffix(')')))
                    .unwrap_or(def.as_str())
                    .to_string();
                t.checks.push(Check {
                    name: Some(name),
                    expr,
                });
            }
            "f" => t.foreign_keys.push(ForeignKey {
                name: Some(name),
                columns: cols,
                ref_table: text(&r[5]),
                ref_columns: string_list(&r[6]),
                on_delete: action(&text(&r[7])),
                on_update: action(&text(&r[8])),
            }),
            _ => {}
        }
    }
    for r in rows(db, INDEXES, &[])? {
        let Some(t) = tables.get_mut(&text(&r[0])) else {
            continue;
        };
        t.indexes.push(Index {
            name: Some(text(&r[1])),
            columns: string_list(&r[4]).iter().map(|c| unquote(c)).collect(),
            unique: boolean(&r[2]),
            predicate: opt_text(&r[3]),
        });
    }
    Ok(SchemaDefinition {
        tables: tables.into_values().collect(),
    })
}

fn action(code: &str) -> FkAction {
    match code {
        "r" => FkAction::Restrict,
        "c" => FkAction::Cascade,
        "n" => FkAction::SetNull,
        "d" => FkAction::SetDefault,
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
