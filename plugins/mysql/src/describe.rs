//! The table list and one table's description, as the catalog records of the contract.

use crate::catalog::{self, Filter, Scope};
use myrmex_abi::{RString, RVec};
use myrmex_plugin::{
    ColumnInfo, ErrorKind, ForeignKeyInfo, IndexInfo, PluginError, TableDetail, TableKind, TableRef,
};
use mysql::Conn;

fn kind(table_type: &str) -> TableKind {
    match table_type {
        "BASE TABLE" => TableKind::TABLE,
        "VIEW" | "SYSTEM VIEW" => TableKind::VIEW,
        _ => TableKind::OTHER,
    }
}

/// Tables and views of the current database (of every user database when none is selected).
pub fn tables(conn: &mut Conn) -> Result<Vec<TableRef>, PluginError> {
    let all = Filter {
        scope: Scope::CurrentOrAll,
        table: None,
    };
    Ok(catalog::tables(conn, all)?
        .into_iter()
        .map(|t| TableRef {
            schema: t.schema.into(),
            name: t.name.into(),
            kind: kind(&t.table_type),
            extensions: RVec::new(),
        })
        .collect())
}

/// MariaDB reports defaults as SQL (`'abc'`, `NULL`); MySQL as the bare value. One form:
/// SQL text, `None` for no default.
fn default_of(raw: Option<String>, mariadb: bool) -> Option<String> {
    match raw {
        None => None,
        Some(d) if mariadb && d == "NULL" => None,
        Some(d) if mariadb => Some(d),
        Some(d) if d.parse::<f64>().is_ok() || d.eq_ignore_ascii_case("CURRENT_TIMESTAMP") => {
            Some(d)
        }
        Some(d) => Some(format!("'{}'", d.replace('\'', "''"))),
    }
}

/// One table of `schema` (the current database when empty): columns, primary key, indexes,
/// foreign keys.
pub fn describe(
    conn: &mut Conn,
    schema: &str,
    table: &str,
    mariadb: bool,
) -> Result<TableDetail, PluginError> {
    let named = [schema.to_string()];
    let f = Filter {
        scope: if schema.is_empty() {
            Scope::Current
        } else {
            Scope::Named(&named)
        },
        table: Some(table),
    };
    let Some(found) = catalog::tables(conn, f)?.into_iter().next() else {
        let in_schema = if schema.is_empty() {
            "the current database".to_string()
        } else {
            format!("database {schema}")
        };
        return Err(PluginError::new(
            ErrorKind::NOT_FOUND,
            format!("no table or view named {table} in {in_schema}"),
        ));
    };
    // From here on, the database the table was found in.
    let named = [found.schema.clone()];
    let f = Filter {
        scope: Scope::Named(&named),
        table: Some(table),
    };

    let mut indexes: Vec<IndexInfo> = Vec::new();
    for r in catalog::indexes(conn, f)? {
        let column = r.column.unwrap_or_else(|| "<expression>".into());
        match indexes.last_mut() {
            Some(i) if i.name.as_str() == r.name => i.columns.push(column.into()),
            _ => indexes.push(IndexInfo {
                primary: r.name == "PRIMARY",
                unique: !r.non_unique,
                columns: vec![RString::from(column)].into(),
                predicate: None.into(),
                name: r.name.into(),
                extensions: RVec::new(),
            }),
        }
    }
    let primary_key: Vec<RString> = indexes
        .iter()
        .find(|i| i.primary)
        .map(|i| i.columns.to_vec())
        .unwrap_or_default();

    let columns: Vec<ColumnInfo> = catalog::columns(conn, f)?
        .into_iter()
        .map(|c| ColumnInfo {
            primary_key_position: primary_key
                .iter()
                .position(|p| p.as_str() == c.name)
                .map_or(0, |p| p as u32 + 1),
            auto_increment: c.extra.to_ascii_lowercase().contains("auto_increment"),
            default: default_of(c.default, mariadb).map(RString::from).into(),
            name: c.name.into(),
            decl_type: c.column_type.into(),
            nullable: c.nullable,
            extensions: RVec::new(),
        })
        .collect();

    let rules = catalog::rules(conn, f)?;
    let mut foreign_keys: Vec<ForeignKeyInfo> = Vec::new();
    for k in catalog::keys(conn, f)? {
        if k.constraint_type != "FOREIGN KEY" {
            continue;
        }
        if foreign_keys
            .last()
            .is_none_or(|fk| fk.name.as_str() != k.constraint)
        {
            let rule = rules.iter().find(|r| r.constraint == k.constraint);
            foreign_keys.push(ForeignKeyInfo {
                name: k.constraint.clone().into(),
                columns: RVec::new(),
                ref_schema: if k.ref_schema == found.schema {
                    RString::new()
                } else {
                    k.ref_schema.clone().into()
                },
                ref_table: k.ref_table.clone().into(),
                ref_columns: RVec::new(),
                on_update: rule.map_or("", |r| r.on_update.as_str()).into(),
                on_delete: rule.map_or("", |r| r.on_delete.as_str()).into(),
                extensions: RVec::new(),
            });
        }
        if let Some(fk) = foreign_keys.last_mut() {
            fk.columns.push(k.column.into());
            fk.ref_columns.push(k.ref_column.into());
        }
    }

    Ok(TableDetail {
        kind: kind(&found.table_type),
        schema: found.schema.into(),
        name: found.name.into(),
        columns: columns.into(),
        primary_key: primary_key.into(),
        indexes: indexes.into(),
        foreign_keys: foreign_keys.into(),
        extensions: RVec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_read_as_sql_on_both_engines() {
        assert_eq!(default_of(Some("NULL".into()), true), None);
        assert_eq!(default_of(Some("'a'".into()), true).as_deref(), Some("'a'"));
        assert_eq!(
            default_of(Some("it's".into()), false).as_deref(),
            Some("'it''s'")
        );
        assert_eq!(
            default_of(Some("1.5".into()), false).as_deref(),
            Some("1.5")
        );
        assert_eq!(default_of(None, false), None);
    }
}
