//! Table listings and table descriptions, from the [`crate::catalog`] records.

use crate::catalog::{self, Relation, Scope};
use crate::session::Session;
use myrmex_abi::{RString, RVec};
use myrmex_plugin::{
    ColumnInfo, ErrorKind, ForeignKeyInfo, IndexInfo, PluginError, TableDetail, TableKind, TableRef,
};

fn kind(relkind: u8) -> TableKind {
    match relkind {
        b'r' => TableKind::TABLE,
        b'p' => TableKind::PARTITIONED,
        b'v' => TableKind::VIEW,
        b'm' => TableKind::MATERIALIZED_VIEW,
        b'f' => TableKind::FOREIGN,
        _ => TableKind::OTHER,
    }
}

fn action(code: u8) -> RString {
    match code {
        b'r' => "RESTRICT",
        b'c' => "CASCADE",
        b'n' => "SET NULL",
        b'd' => "SET DEFAULT",
        _ => "NO ACTION",
    }
    .into()
}

fn names(list: &[String]) -> RVec<RString> {
    list.iter().map(|s| RString::from(s.as_str())).collect()
}

/// Tables, views, materialized and foreign tables outside the system schemas; the current
/// schema first.
pub fn tables(s: &Session) -> Result<Vec<TableRef>, PluginError> {
    Ok(catalog::relations(s, Scope::Listing)?
        .into_iter()
        .map(|r| TableRef {
            schema: r.schema.into(),
            name: r.name.into(),
            kind: kind(r.kind),
            extensions: RVec::new(),
        })
        .collect())
}

/// One table: columns, primary key, indexes (those of its constraints included), foreign
/// keys. An empty `schema` searches the search path.
pub fn describe(s: &Session, schema: &str, table: &str) -> Result<TableDetail, PluginError> {
    let mut found = catalog::relations(
        s,
        Scope::Table {
            schema,
            name: table,
        },
    )?;
    if found.is_empty() {
        let in_schema = if schema.is_empty() {
            "the search path".to_string()
        } else {
            format!("schema {schema}")
        };
        return Err(PluginError::new(
            ErrorKind::NOT_FOUND,
            format!("no table or view named {table} in {in_schema}"),
        ));
    }
    catalog::details(s, &mut found)?;
    let rel: Relation = found.swap_remove(0);
    let primary_key: Vec<String> = rel
        .constraints
        .iter()
        .find(|c| c.kind == b'p')
        .map(|c| c.columns.clone())
        .unwrap_or_default();
    let columns = rel
        .columns
        .iter()
        .map(|c| ColumnInfo {
            primary_key_position: primary_key
                .iter()
                .position(|p| *p == c.name)
                .map_or(0, |p| p as u32 + 1),
            name: c.name.as_str().into(),
            decl_type: c.type_name.as_str().into(),
            nullable: !c.not_null,
            default: c.default.as_deref().map(RString::from).into(),
            auto_increment: c.auto_increment(),
            extensions: RVec::new(),
        })
        .collect();
    let indexes = rel
        .indexes
        .iter()
        .map(|i| IndexInfo {
            name: i.name.as_str().into(),
            columns: names(&i.keys),
            unique: i.unique,
            primary: i.primary,
            predicate: i.predicate.as_deref().map(RString::from).into(),
            extensions: RVec::new(),
        })
        .collect();
    let foreign_keys = rel
        .constraints
        .iter()
        .filter(|c| c.kind == b'f')
        .map(|c| ForeignKeyInfo {
            name: c.name.as_str().into(),
            columns: names(&c.columns),
            ref_schema: match &c.ref_schema {
                Some(s) if *s != rel.schema => s.as_str().into(),
                _ => RString::new(),
            },
            ref_table: c.ref_table.as_deref().unwrap_or_default().into(),
            ref_columns: names(&c.ref_columns),
            on_update: action(c.on_update),
            on_delete: action(c.on_delete),
            extensions: RVec::new(),
        })
        .collect();
    Ok(TableDetail {
        schema: rel.schema.as_str().into(),
        name: rel.name.as_str().into(),
        kind: kind(rel.kind),
        columns,
        primary_key: names(&primary_key),
        indexes,
        foreign_keys,
        extensions: RVec::new(),
    })
}

#[cfg(test)]
mod tests {
    use crate::testing;
    use myrmex_plugin::{Connection, TableKind};

    #[test]
    fn describes_a_table_with_its_keys_and_lists_every_kind_of_relation() {
        let mut c = testing::in_fresh_schema("t_introspect");
        c.execute_batch(crate::schema::tests::SHOP).unwrap();
        c.execute_batch(
            "CREATE VIEW cheap AS SELECT * FROM books WHERE price < 10; \
             CREATE MATERIALIZED VIEW counts AS SELECT count(*) FROM books; \
             CREATE TABLE parts (d date) PARTITION BY RANGE (d)",
        )
        .unwrap();
        let d = c.describe("", "books").unwrap();
        assert_eq!(
            (d.schema.as_str(), d.kind),
            ("t_introspect", TableKind::TABLE)
        );
        assert_eq!(d.primary_key.len(), 1);
        let id = &d.columns[0];
        assert!(id.auto_increment && !id.nullable && id.primary_key_position == 1);
        assert_eq!(d.columns[3].decl_type.as_str(), "numeric(10,2)");
        let idx: Vec<&str> = d.indexes.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(
            idx,
            [
                "Books Tags",
                "books_cheap_idx",
                "books_pkey",
                "books_title_key"
            ]
        );
        assert!(d.indexes.iter().any(|i| i.primary && i.unique));
        let fk = &d.foreign_keys[0];
        assert_eq!(
            (fk.ref_schema.as_str(), fk.ref_table.as_str()),
            ("", "authors")
        );
        assert_eq!(fk.on_delete.as_str(), "CASCADE");

        let e = c.describe("", "nowhere").unwrap_err();
        assert_eq!(e.kind, myrmex_plugin::ErrorKind::NOT_FOUND);

        let kinds: Vec<(String, TableKind)> = c
            .tables()
            .unwrap()
            .into_iter()
            .filter(|t| t.schema.as_str() == "t_introspect")
            .map(|t| (t.name.to_string(), t.kind))
            .collect();
        assert_eq!(
            kinds,
            [
                ("authors".to_string(), TableKind::TABLE),
                ("books".to_string(), TableKind::TABLE),
                ("cheap".to_string(), TableKind::VIEW),
                ("counts".to_string(), TableKind::MATERIALIZED_VIEW),
                ("parts".to_string(), TableKind::PARTITIONED),
            ]
        );
        assert_eq!(
            c.describe("t_introspect", "cheap").unwrap().kind,
            TableKind::VIEW
        );
    }
}
