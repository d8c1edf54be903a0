//! The table list and `describe`, from the catalog queries.

use crate::catalog::{self, Object};
use myrmex_abi::RString;
use myrmex_plugin::schema::sqlite_ddl::index_predicate;
use myrmex_plugin::{
    ColumnInfo, ErrorKind, ForeignKeyInfo, IndexInfo, PluginError, TableDetail, TableKind, TableRef,
};
use rusqlite::Connection;

fn kind_of(o: &Object) -> TableKind {
    match o.kind.as_str() {
        "view" => TableKind::VIEW,
        "table" if o.is_virtual() => TableKind::VIRTUAL,
        "table" => TableKind::TABLE,
        _ => TableKind::OTHER,
    }
}

fn is_relation(o: &Object) -> bool {
    o.kind == "table" || o.kind == "view"
}

/// Every table and view except SQLite's own: `main` first, then the attached databases.
pub fn tables(conn: &Connection) -> Result<Vec<TableRef>, PluginError> {
    let mut out = Vec::new();
    for schema in catalog::databases(conn)? {
        for o in catalog::objects(conn, &schema)? {
            if is_relation(&o) && !o.is_internal() {
                out.push(TableRef {
                    schema: schema.as_str().into(),
                    name: o.name.as_str().into(),
                    kind: kind_of(&o),
                    extensions: Default::default(),
                });
            }
        }
    }
    Ok(out)
}

/// Columns, primary key, indexes and foreign keys of one table or view; `schema` empty for
/// `main`. The name matches without regard to ASCII case, as SQLite matches names.
pub fn describe(conn: &Connection, schema: &str, table: &str) -> Result<TableDetail, PluginError> {
    let schema = if schema.is_empty() { "main" } else { schema };
    catalog::check_database(conn, schema)?;
    let objects = catalog::objects(conn, schema)?;
    let found = objects
        .iter()
        .find(|o| is_relation(o) && o.name.eq_ignore_ascii_case(table))
        .ok_or_else(|| {
            PluginError::new(
                ErrorKind::NOT_FOUND,
                format!("no table or view named {table} in schema {schema}"),
            )
        })?;
    let name = found.name.as_str();

    let mut columns: Vec<ColumnInfo> = catalog::columns(conn, schema, name)?
        .into_iter()
        // Hidden columns of virtual tables are not the table's own.
        .filter(|c| c.hidden != 1)
        .map(|c| ColumnInfo {
            nullable: !c.not_null && c.pk == 0,
            default: c.default.map(RString::from).into(),
            primary_key_position: c.pk,
            auto_increment: false,
            decl_type: c.decl.into(),
            name: c.name.into(),
            extensions: Default::default(),
        })
        .collect();
    let mut pk: Vec<(u32, RString)> = columns
        .iter()
        .filter(|c| c.primary_key_position > 0)
        .map(|c| (c.primary_key_position, c.name.clone()))
        .collect();
    pk.sort();
    // A single INTEGER PRIMARY KEY is the rowid: SQLite assigns it.
    if pk.len() == 1 {
        if let Some(c) = columns.iter_mut().find(|c| c.primary_key_position == 1) {
            c.auto_increment = c.decl_type.eq_ignore_ascii_case("INTEGER");
        }
    }

    let mut indexes = Vec::new();
    for ix in catalog::indexes(conn, schema, name)? {
        let columns: Vec<RString> = catalog::index_columns(conn, schema, &ix.name)?
            .into_iter()
            .map(|c| c.unwrap_or_else(|| "<expression>".into()).into())
            .collect();
        let predicate = if ix.partial {
            objects
                .iter()
                .find(|o| o.kind == "index" && o.name == ix.name)
                .and_then(|o| o.sql.as_deref())
                .and_then(index_predicate)
        } else {
            None
        };
        indexes.push(IndexInfo {
            primary: ix.origin == "pk",
            unique: ix.unique,
            name: ix.name.into(),
            columns: columns.into(),
            predicate: predicate.map(RString::from).into(),
            extensions: Default::default(),
        });
    }
    indexes.sort_by(|a, b| a.name.cmp(&b.name));

    let mut foreign_keys = Vec::new();
    for fk in catalog::foreign_keys(conn, schema, name)? {
        // A key that names only the parent table references its primary key.
        let ref_columns: Vec<String> = if fk.ref_columns.iter().all(Option::is_some) {
            fk.ref_columns.into_iter().flatten().collect()
        } else {
            catalog::primary_key(conn, schema, &fk.ref_table)?
        };
        foreign_keys.push(ForeignKeyInfo {
            name: RString::new(),
            columns: fk.columns.into_iter().map(RString::from).collect(),
            ref_schema: RString::new(),
            ref_table: fk.ref_table.into(),
            ref_columns: ref_columns.into_iter().map(RString::from).collect(),
            on_update: fk.on_update.into(),
            on_delete: fk.on_delete.into(),
            extensions: Default::default(),
        });
    }

    Ok(TableDetail {
        schema: schema.into(),
        name: name.into(),
        kind: kind_of(found),
        columns: columns.into(),
        primary_key: pk.into_iter().map(|(_, n)| n).collect(),
        indexes: indexes.into(),
        foreign_keys: foreign_keys.into(),
        extensions: Default::default(),
    })
}

#[cfg(test)]
mod tests {
    use crate::driver::SqliteDriver;
    use myrmex_plugin::{Connection, Driver, TableKind};

    #[test]
    fn lists_and_describes_tables_of_main_and_attached_databases() {
        let mut c = SqliteDriver
            .connect(&crate::testing::options(":memory:", &[]))
            .unwrap();
        c.execute_batch(
            "CREATE TABLE p (a INT, b INT, PRIMARY KEY (a, b)); \
             CREATE TABLE c (id INTEGER PRIMARY KEY, x INT, y INT, note TEXT DEFAULT 'n', \
                FOREIGN KEY (x, y) REFERENCES p ON DELETE CASCADE); \
             CREATE INDEX c_note ON c (lower(note)) WHERE note IS NOT NULL; \
             CREATE VIEW v AS SELECT id FROM c; \
             ATTACH ':memory:' AS aux; CREATE TABLE aux.other (z)",
        )
        .unwrap();
        let listed: Vec<(String, String, TableKind)> = c
            .tables()
            .unwrap()
            .into_iter()
            .map(|t| (t.schema.to_string(), t.name.to_string(), t.kind))
            .collect();
        let names: Vec<(&str, &str, TableKind)> = listed
            .iter()
            .map(|(s, n, k)| (s.as_str(), n.as_str(), *k))
            .collect();
        assert_eq!(
            names,
            [
                ("main", "c", TableKind::TABLE),
                ("main", "p", TableKind::TABLE),
                ("main", "v", TableKind::VIEW),
                ("aux", "other", TableKind::TABLE)
            ]
        );

        let d = c.describe("", "C").unwrap();
        assert_eq!(d.name.as_str(), "c");
        assert_eq!(d.primary_key.as_slice(), ["id"]);
        let id = &d.columns[0];
        assert!(id.auto_increment && !id.nullable);
        assert_eq!(
            d.columns[3]
                .default
                .as_ref()
                .map(|s| s.as_str())
                .into_option(),
            Some("'n'")
        );
        assert_eq!(d.indexes.len(), 1);
        let ix = &d.indexes[0];
        assert_eq!(ix.columns.as_slice(), ["<expression>"]);
        assert_eq!(
            ix.predicate.as_ref().map(|s| s.as_str()).into_option(),
            Some("note IS NOT NULL")
        );
        let fk = &d.foreign_keys[0];
        assert_eq!(
            fk.ref_columns.as_slice(),
            ["a", "b"],
            "the parent's primary key"
        );
        assert_eq!(fk.on_delete.as_str(), "CASCADE");

        assert_eq!(c.describe("aux", "other").unwrap().schema.as_str(), "aux");
        let e = c.describe("nope", "other").unwrap_err();
        assert!(e.message.contains("attached: main, aux"), "{e}");
        assert!(c.describe("", "missing").is_err());
    }
}
