//! MySQL and MariaDB: `information_schema` of `DATABASE()`.

use super::{boolean, int, named_tables, opt_text, rows, text};
use crate::{DatabaseConnection, Result};
use myrmex_schema::normalize::parse_default;
use myrmex_schema::{
    Check, Column, ColumnType, DefaultValue, Dialect, FkAction, ForeignKey, Index,
    SchemaDefinition, Unique,
};
use std::collections::BTreeMap;

const TABLES: &str = "SELECT TABLE_NAME, TABLE_COMMENT FROM information_schema.TABLES \
    WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME";

const COLUMNS: &str =
    "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA, \
    COLUMN_COMMENT FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() \
    ORDER BY TABLE_NAME, ORDINAL_POSITION";

const KEYS: &str = "SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, tc.CONSTRAINT_TYPE, k.COLUMN_NAME, \
    k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME \
    FROM information_schema.KEY_COLUMN_USAGE k JOIN information_schema.TABLE_CONSTRAINTS tc \
      ON tc.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND tc.TABLE_NAME = k.TABLE_NAME \
     AND tc.CONSTRAINT_NAME = k.CONSTRAINT_NAME \
    WHERE k.TABLE_SCHEMA = DATABASE() \
    ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION";

const RULES: &str = "SELECT TABLE_NAME, CONSTRAINT_NAME, DELETE_RULE, UPDATE_RULE \
    FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE()";

const CHECKS_MARIADB: &str = "SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE, LEVEL \
    FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() \
    ORDER BY TABLE_NAME, CONSTRAINT_NAME";

const CHECKS_MYSQL: &str = "SELECT tc.TABLE_NAME, cc.CONSTRAINT_NAME, cc.CHECK_CLAUSE, 'Table' \
    FROM information_schema.CHECK_CONSTRAINTS cc JOIN information_schema.TABLE_CONSTRAINTS tc \
      ON tc.CONSTRAINT_SCHEMA = cc.CONSTRAINT_SCHEMA AND tc.CONSTRAINT_NAME = cc.CONSTRAINT_NAME \
     AND tc.CONSTRAINT_TYPE = 'CHECK' \
    WHERE cc.CONSTRAINT_SCHEMA = DATABASE() ORDER BY tc.TABLE_NAME, cc.CONSTRAINT_NAME";

const INDEXES: &str = "SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, COLUMN_NAME \
    FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND INDEX_NAME <> 'PRIMARY' \
    ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX";

pub(super) fn inspect(db: &mut DatabaseConnection, dialect: Dialect) -> Result<SchemaDefinition> {
    let mut tables = named_tables(db, TABLES)?;
    for r in rows(db, COLUMNS, &[])? {
        let Some(t) = tables.get_mut(&text(&r[0])) else {
            continue;
        };
        let mut c = Column::new(&text(&r[1]), portable_type(&text(&r[2])));
        c.nullable = text(&r[3]).eq_ignore_ascii_case("YES");
        let extra = text(&r[5]).to_ascii_lowercase();
        c.identity = extra.contains("auto_increment");
        c.default = if r[4].is_null() || c.identity {
            None
        } else if dialect == Dialect::Mysql && !extra.contains("default_generated") {
            // MySQL 8 reports literal defaults unquoted.
            let raw = text(&r[4]);
            parse_default(&raw, &c.ty).map(|d| match d {
                DefaultValue::Expr { expr } => DefaultValue::Text(expr),
                other => other,
            })
        } else {
            parse_default(&text(&r[4]), &c.ty)
        };
        c.comment = opt_text(&r[6]);
        t.columns.push(c);
    }
    let checks = if dialect == Dialect::Mariadb {
        CHECKS_MARIADB
    } else {
        CHECKS_MYSQL
    };
    for r in rows(db, checks, &[])? {
        let Some(t) = tables.get_mut(&text(&r[0])) else {
            continue;
        };
        let name = text(&r[1]);
        let clause = text(&r[2]);
        // MariaDB's JSON is LONGTEXT with a column-level json_valid() check.
        if text(&r[3]).eq_ignore_ascii_case("column")
            && clause.to_ascii_lowercase().starts_with("json_valid(")
        {
            if let Some(c) = t.columns.iter_mut().find(|c| c.name == name) {
                if c.ty == ColumnType::Text {
                    c.ty = ColumnType::Json;
                    continue;
                }
            }
        }
        t.checks.push(Check {
            name: Some(name),
            expr: clause,
        });
    }
    let mut fks: BTreeMap<(String, String), ForeignKey> = BTreeMap::new();
    for r in rows(db, KEYS, &[])? {
        let Some(t) = tables.get_mut(&text(&r[0])) else {
            continue;
        };
        let name = text(&r[1]);
        let col = text(&r[3]);
        match text(&r[2]).as_str() {
            "PRIMARY KEY" => t.primary_key.push(col),
            "UNIQUE" => match t
                .unique
                .iter_mut()
                .find(|u| u.name.as_deref() == Some(&name))
            {
                Some(u) => u.columns.push(col),
                None => t.unique.push(Unique {
                    name: Some(name),
                    columns: vec![col],
                }),
            },
            "FOREIGN KEY" => {
                let fk = fks
                    .entry((t.name.clone(), name.clone()))
                    .or_insert_with(|| ForeignKey {
                        name: Some(name),
                        columns: Vec::new(),
                        ref_table: text(&r[4]),
                        ref_columns: Vec::new(),
                        on_delete: FkAction::NoAction,
                        on_update: FkAction::NoAction,
                    });
                fk.columns.push(col);
                fk.ref_columns.push(text(&r[5]));
            }
            _ => {}
        }
    }
    for r in rows(db, RULES, &[])? {
        if let Some(fk) = fks.get_mut(&(text(&r[0]), text(&r[1]))) {
            fk.on_delete = FkAction::parse(&text(&r[2])).unwrap_or_default();
            fk.on_update = FkAction::parse(&text(&r[3])).unwrap_or_default();
        }
    }
    for ((table, _), fk) in fks {
        if let Some(t) = tables.get_mut(&table) {
            t.foreign_keys.push(fk);
        }
    }
    for r in rows(db, INDEXES, &[])? {
        let Some(t) = tables.get_mut(&text(&r[0])) else {
            continue;
        };
        let name = text(&r[1]);
        if t.unique.iter().any(|u| u.name.as_deref() == Some(&name)) {
            continue;
        }
        let unique = !boolean(&r[2]) && int(&r[2]) == 0;
        match t
            .indexes
            .iter_mut()
            .find(|i| i.name.as_deref() == Some(&name))
        {
            Some(i) => i.columns.push(text(&r[3])),
            None => t.indexes.push(Index {
                name: Some(name),
                columns: vec![text(&r[3])],
                unique,
                predicate: None,
            }),
        }
    }
    // InnoDB creates an index named after a foreign key that has none to use: not ours.
    for t in tables.values_mut() {
        let fks: Vec<(Option<String>, Vec<String>)> = t
            .foreign_keys
            .iter()
            .map(|f| (f.name.clone(), f.columns.clone()))
            .collect();
        t.indexes
            .retain(|i| !fks.iter().any(|(n, c)| *n == i.name && *c == i.columns));
    }
    Ok(SchemaDefinition {
        tables: tables.into_values().collect(),
    })
}

/// `COLUMN_TYPE` → portable type, or raw.
fn portable_type(t: &str) -> ColumnType {
    let lower = t.to_ascii_lowercase();
    let base = lower.split('(').next().unwrap_or("").trim();
    let args: Option<Vec<u32>> = lower
        .split_once('(')
        .and_then(|(_, r)| r.split_once(')'))
        .and_then(|(inner, _)| inner.split(',').map(|a| a.trim().parse().ok()).collect());
    let unsigned = lower.contains("unsigned") || lower.contains("zerofill");
    let raw = || ColumnType::Raw(BTreeMap::from([("mysql".to_string(), t.to_string())]));
    if unsigned {
        return raw();
    }
    match (base, args.as_deref()) {
        ("tinyint", Some([1])) => ColumnType::Bool,
        ("smallint", _) => ColumnType::SmallInt,
        ("int", _) => ColumnType::Int,
        ("bigint", _) => ColumnType::BigInt,
        ("decimal", Some([p, s])) => ColumnType::Decimal {
            precision: *p,
            scale: *s,
        },
        ("float", None) => ColumnType::Real,
        ("double", None) => ColumnType::Double,
        ("char", Some([n])) => ColumnType::Char(*n),
        ("varchar", Some([n])) => ColumnType::Varchar(*n),
        ("longtext", None) => ColumnType::Text,
        ("longblob", None) => ColumnType::Blob,
        ("date", None) => ColumnType::Date,
        ("time", Some([6])) => ColumnType::Time,
        ("datetime", Some([6])) => ColumnType::Timestamp,
        ("timestamp", Some([6])) => ColumnType::TimestampTz,
        ("json", None) => ColumnType::Json,
        ("uuid", None) => ColumnType::Uuid,
        _ => raw(),
    }
}
