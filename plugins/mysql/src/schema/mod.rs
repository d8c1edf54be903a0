//! Reading a database back into a [`SchemaDefinition`]: the base tables of the current
//! database (or of the named ones) with their columns, keys, checks and indexes.
//!
//! Types map back to the portable set where the schema generators spell them that way
//! (`int`, `varchar(80)`, `datetime(6)` → timestamp, …); anything else, unsigned and zerofill
//! types included, is a raw `mysql` type. Defaults are read as SQL on MariaDB and as bare
//! values on MySQL 8 (which quotes nothing unless the default is an expression). Tables of
//! the session's database carry no `schema`; tables of any other database read carry its
//! name, and so do foreign keys into it.
//!
//! Besides tables: generated (virtual and stored) and invisible columns, column character
//! sets and collations that differ from the table's, FULLTEXT/SPATIAL/HASH indexes, prefix
//! lengths and descending keys, table options and partitioning, views, triggers, routines
//! and events ([`objects`]); what the definition cannot hold is listed as unsupported.

mod objects;

use crate::catalog::{self, Filter, Scope};
use myrmex_plugin::schema::normalize::parse_default;
use myrmex_plugin::schema::{
    Check, Column, ColumnType, DefaultValue, FkAction, ForeignKey, Generated, Identity, Index,
    IndexColumn, SchemaDefinition, Table, Unique, Unsupported,
};
use myrmex_plugin::{PluginError, SchemaScope};
use mysql::Conn;
use std::collections::BTreeMap;

/// Reads the objects of `schemas` (the current database when empty).
pub fn read(
    conn: &mut Conn,
    schemas: &[String],
    mariadb: bool,
) -> Result<SchemaDefinition, PluginError> {
    let current: Option<String> = {
        use mysql::prelude::Queryable;
        conn.query_first::<Option<String>, _>("SELECT DATABASE()")
            .map_err(crate::error::map)?
            .flatten()
    };
    let field = |schema: &str| -> Option<String> {
        (Some(schema) != current.as_deref()).then(|| schema.to_string())
    };
    let request = SchemaScope::parse(schemas);
    let names = if request.all {
        user_databases(conn)?
    } else {
        request.names
    };
    let f = Filter {
        scope: if request.all || !names.is_empty() {
            Scope::Named(&names)
        } else {
            Scope::Current
        },
        table: None,
    };
    let key = |schema: &str, table: &str| (schema.to_string(), table.to_string());
    let listed = catalog::tables(conn, f)?;
    let mut tables: BTreeMap<(String, String), Table> = listed
        .iter()
        .filter(|t| t.table_type == "BASE TABLE")
        .map(|t| {
            let table = Table {
                schema: field(&t.schema),
                name: t.name.clone(),
                comment: t.comment.clone(),
                ..Default::default()
            };
            (key(&t.schema, &t.name), table)
        })
        .collect();
    let facts = objects::table_facts(conn, f)?;

    for r in catalog::columns(conn, f)? {
        let Some(t) = tables.get_mut(&key(&r.schema, &r.table)) else {
            continue;
        };
        let mut c = Column::new(&r.name, portable_type(&r.column_type));
        c.nullable = r.nullable;
        let extra = r.extra.to_ascii_lowercase();
        c.invisible = extra.contains("invisible");
        if let Some(expr) = r.generation.clone().filter(|_| extra.contains("generated")) {
            c.generated = Some(Generated {
                expr,
                stored: extra.contains("stored") || extra.contains("persistent"),
            });
        }
        if let Some(fact) = facts.get(&(r.schema.clone(), r.table.clone())) {
            if r.collation.is_some() && r.collation != fact.collation {
                c.collation = r.collation.clone();
                if r.charset != fact.charset {
                    c.charset = r.charset.clone();
                }
            }
        }
        c.identity = if extra.contains("auto_increment") {
            Identity::ByDefault
        } else {
            Identity::No
        };
        c.default = match r.default {
            None => None,
            Some(_) if c.generated.is_some() => None,
            Some(_) if c.identity.is_set() => None,
            Some(raw) if !mariadb && !extra.contains("default_generated") => {
                // MySQL 8 reports literal defaults unquoted.
                parse_default(&raw, &c.ty).map(|d| match d {
                    DefaultValue::Expr { expr } => DefaultValue::Text(expr),
                    other => other,
                })
            }
            Some(raw) => parse_default(&raw, &c.ty),
        };
        c.comment = r.comment;
        t.columns.push(c);
    }

    for r in catalog::checks(conn, f, mariadb)? {
        let Some(t) = tables.get_mut(&key(&r.schema, &r.table)) else {
            continue;
        };
        // MariaDB's JSON is LONGTEXT with a column-level json_valid() check.
        if r.level.eq_ignore_ascii_case("column")
            && r.clause.to_ascii_lowercase().starts_with("json_valid(")
        {
            if let Some(c) = t.columns.iter_mut().find(|c| c.name == r.name) {
                if c.ty == ColumnType::Text {
                    // MariaDB's JSON is binary-collated LONGTEXT: the collation is the type's.
                    c.ty = ColumnType::Json;
                    c.collation = None;
                    c.charset = None;
                    continue;
                }
            }
        }
        t.checks.push(Check {
            name: Some(r.name),
            expr: r.clause,
            ..Default::default()
        });
    }

    let mut fks: BTreeMap<((String, String), String), ForeignKey> = BTreeMap::new();
    for r in catalog::keys(conn, f)? {
        let table = key(&r.schema, &r.table);
        let Some(t) = tables.get_mut(&table) else {
            continue;
        };
        match r.constraint_type.as_str() {
            "PRIMARY KEY" => t.primary_key.push(r.column),
            "UNIQUE" => match t
                .unique
                .iter_mut()
                .find(|u| u.name.as_deref() == Some(&r.constraint))
            {
                Some(u) => u.columns.push(r.column),
                None => t.unique.push(Unique {
                    name: Some(r.constraint),
                    columns: vec![r.column],
                    ..Default::default()
                }),
            },
            "FOREIGN KEY" => {
                let fk = fks
                    .entry((table, r.constraint.clone()))
                    .or_insert_with(|| ForeignKey {
                        name: Some(r.constraint),
                        columns: Vec::new(),
                        ref_schema: (r.ref_schema != r.schema).then(|| r.ref_schema.clone()),
                        ref_table: r.ref_table.clone(),
                        ref_columns: Vec::new(),
                        on_delete: FkAction::NoAction,
                        on_update: FkAction::NoAction,
                        ..Default::default()
                    });
                fk.columns.push(r.column);
                fk.ref_columns.push(r.ref_column);
            }
            _ => {}
        }
    }
    for r in catalog::rules(conn, f)? {
        if let Some(fk) = fks.get_mut(&(key(&r.schema, &r.table), r.constraint)) {
            fk.on_delete = FkAction::parse(&r.on_delete).unwrap_or_default();
            fk.on_update = FkAction::parse(&r.on_update).unwrap_or_default();
        }
    }
    for ((table, _), fk) in fks {
        if let Some(t) = tables.get_mut(&table) {
            t.foreign_keys.push(fk);
        }
    }

    for r in catalog::indexes(conn, f)? {
        if r.name == "PRIMARY" {
            continue;
        }
        let Some(t) = tables.get_mut(&key(&r.schema, &r.table)) else {
            continue;
        };
        if t.unique.iter().any(|u| u.name.as_deref() == Some(&r.name)) {
            continue;
        }
        let mut column = IndexColumn::named(&r.column.unwrap_or_default());
        column.desc = r.order == "D";
        // SPATIAL keys report a length the server chose itself.
        column.length = r.sub_part.filter(|_| r.index_type != "SPATIAL");
        match t
            .indexes
            .iter_mut()
            .find(|i| i.name.as_deref() == Some(&r.name))
        {
            Some(i) => i.columns.push(column),
            None => t.indexes.push(Index {
                name: Some(r.name),
                columns: vec![column],
                unique: !r.non_unique,
                method: match r.index_type.as_str() {
                    "BTREE" | "" => None,
                    other => Some(other.to_ascii_lowercase()),
                },
                ..Default::default()
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
        t.indexes.retain(|i| {
            !fks.iter().any(|(n, c)| {
                *n == i.name
                    && c.len() == i.columns.len()
                    && c.iter()
                        .zip(&i.columns)
                        .all(|(a, k)| k.is_plain() && k.label() == a)
            })
        });
    }
    for (k, t) in tables.iter_mut() {
        if let Some(fact) = facts.get(k) {
            t.options = fact.options.clone();
            t.partition_by = fact.partition_by.clone();
            t.partitions = fact.partitions.clone();
        }
    }
    let mut def = SchemaDefinition {
        tables: tables.into_values().collect(),
        ..Default::default()
    };
    objects::read(conn, f, &field, &listed, &facts, &mut def)?;
    if request.grants {
        def.unsupported.push(Unsupported {
            kind: "privileges".into(),
            name: current.unwrap_or_default(),
            reason: "GRANTs are not read from MySQL/MariaDB; a diff with grants compares none"
                .into(),
        });
    }
    Ok(def)
}

/// Every database outside the server's own (`mysql`, `information_schema`, …).
fn user_databases(conn: &mut Conn) -> Result<Vec<String>, PluginError> {
    use mysql::prelude::Queryable;
    conn.query(
        "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME NOT IN \
         ('mysql', 'information_schema', 'performance_schema', 'sys') ORDER BY 1",
    )
    .map_err(crate::error::map)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{self, OwnDatabase};
    use myrmex_plugin::Connection;

    #[test]
    fn column_types_map_back_to_the_portable_set() {
        assert_eq!(portable_type("int(11)"), ColumnType::Int);
        assert_eq!(portable_type("tinyint(1)"), ColumnType::Bool);
        assert_eq!(portable_type("varchar(80)"), ColumnType::Varchar(80));
        assert_eq!(
            portable_type("decimal(12,2)"),
            ColumnType::Decimal {
                precision: 12,
                scale: 2
            }
        );
        assert_eq!(portable_type("datetime(6)"), ColumnType::Timestamp);
        assert_eq!(
            portable_type("int(10) unsigned"),
            ColumnType::Raw(BTreeMap::from([(
                "mysql".to_string(),
                "int(10) unsigned".to_string()
            )]))
        );
    }

    #[test]
    fn reads_keys_checks_indexes_and_identity() {
        let db = OwnDatabase::new("schema");
        let mut c = testing::connect_to(&db.options);
        c.execute_batch(
            "CREATE TABLE parent (
                 id BIGINT AUTO_INCREMENT PRIMARY KEY,
                 code VARCHAR(20) NOT NULL,
                 CONSTRAINT parent_code_key UNIQUE (code)
             ) COMMENT = 'the parents';
             CREATE TABLE child (
                 id INT NOT NULL,
                 parent_id BIGINT,
                 qty INT DEFAULT 1 COMMENT 'how many',
                 label VARCHAR(40) DEFAULT 'none',
                 PRIMARY KEY (id),
                 CONSTRAINT child_parent_fkey FOREIGN KEY (parent_id) REFERENCES parent (id)
                     ON DELETE CASCADE ON UPDATE SET NULL,
                 CONSTRAINT qty_positive CHECK (qty > 0)
             );
             CREATE INDEX child_label_idx ON child (label, qty);
             CREATE VIEW child_view AS SELECT id FROM child",
        )
        .unwrap();
        let def = c.schema(&[]).unwrap();
        let names: Vec<&str> = def.tables.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["child", "parent"], "views are apart");
        assert_eq!(def.views[0].name, "child_view");

        let parent = def.table("parent").unwrap();
        assert_eq!(parent.comment.as_deref(), Some("the parents"));
        assert_eq!(parent.primary_key, ["id"]);
        let id = parent.column("id").unwrap();
        assert!(id.identity.is_set() && !id.nullable);
        assert_eq!(id.ty, ColumnType::BigInt);
        assert_eq!(
            parent.unique,
            [Unique {
                name: Some("parent_code_key".into()),
                columns: vec!["code".into()],
                ..Default::default()
            }]
        );
        assert!(parent.indexes.is_empty(), "{:?}", parent.indexes);

        let child = def.table("child").unwrap();
        assert_eq!(child.primary_key, ["id"]);
        assert_eq!(
            child.foreign_keys,
            [ForeignKey {
                name: Some("child_parent_fkey".into()),
                columns: vec!["parent_id".into()],
                ref_table: "parent".into(),
                ref_columns: vec!["id".into()],
                on_delete: FkAction::Cascade,
                on_update: FkAction::SetNull,
                ..Default::default()
            }]
        );
        assert_eq!(child.checks.len(), 1, "{:?}", child.checks);
        assert_eq!(child.checks[0].name.as_deref(), Some("qty_positive"));
        assert!(child.checks[0].expr.contains("qty"), "{:?}", child.checks);
        assert_eq!(
            child.indexes,
            [Index {
                name: Some("child_label_idx".into()),
                columns: vec!["label".into(), "qty".into()],
                ..Default::default()
            }],
            "the foreign key's own index is not listed"
        );
        let qty = child.column("qty").unwrap();
        assert_eq!(qty.default, Some(DefaultValue::Int(1)));
        assert_eq!(qty.comment.as_deref(), Some("how many"));
        assert_eq!(
            child.column("label").unwrap().default,
            Some(DefaultValue::Text("none".into()))
        );

        // The same database by name, and the table list and description from the same
        // catalog queries.
        let by_name = c.schema(&[db.options.database.to_string()]).unwrap();
        assert_eq!(by_name, def);
        let two = c
            .schema(&[db.options.database.to_string(), "no_such_db_x".into()])
            .unwrap();
        assert_eq!(two.table("child").unwrap().schema, None);
        let listed = c.tables().unwrap();
        assert_eq!(listed.len(), 3);
        let d = c.describe("", "child").unwrap();
        assert_eq!(d.primary_key.len(), 1);
        assert_eq!(d.foreign_keys.len(), 1);
        assert_eq!(d.foreign_keys[0].on_delete.as_str(), "CASCADE");
        assert_eq!(d.foreign_keys[0].ref_schema.as_str(), "");
        assert!(d.indexes.iter().any(|i| i.primary));
        assert!(c.describe("", "nothing_here").is_err());
    }
}
