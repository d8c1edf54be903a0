//! Tables, columns, keys and indexes from `pg_catalog`.

use crate::error::map;
use myrmex_abi::{
    ColumnInfo, ErrorKind, ForeignKeyInfo, IndexInfo, PluginError, RString, TableDetail, TableKind,
    TableRef,
};
use postgres::Client;

fn kind(relkind: i8) -> TableKind {
    match relkind as u8 {
        b'r' | b'p' => TableKind::Table,
        b'v' => TableKind::View,
        _ => TableKind::Other,
    }
}

fn action(code: i8) -> RString {
    match code as u8 {
        b'r' => "RESTRICT",
        b'c' => "CASCADE",
        b'n' => "SET NULL",
        b'd' => "SET DEFAULT",
        _ => "NO ACTION",
    }
    .into()
}

/// Tables, views, materialized and foreign tables outside the system schemas; the current
/// schema first.
pub fn tables(c: &mut Client) -> Result<Vec<TableRef>, PluginError> {
    let rows = c
        .query(
            "SELECT n.nspname::text, c.relname::text, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind IN ('r','p','v','m','f') AND n.nspname NOT IN ('pg_catalog','information_schema') \
             AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%' \
             ORDER BY n.nspname <> current_schema(), n.nspname, c.relname",
            &[],
        )
        .map_err(map)?;
    Ok(rows
        .iter()
        .map(|r| TableRef {
            schema: r.get::<_, String>(0).into(),
            name: r.get::<_, String>(1).into(),
            kind: kind(r.get(2)),
        })
        .collect())
}

/// One table: columns, primary key, indexes, foreign keys.
pub fn describe(c: &mut Client, schema: &str, table: &str) -> Result<TableDetail, PluginError> {
    let found = c
        .query_opt(
            "SELECT c.oid, n.nspname::text, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relname = $2 AND c.relkind IN ('r','p','v','m','f') \
             AND (n.nspname = $1 OR ($1 = '' AND n.oid = ANY (current_schemas(false)::regnamespace[]))) \
             ORDER BY array_position(current_schemas(false), n.nspname::text) LIMIT 1",
            &[&schema, &table],
        )
        .map_err(map)?;
    let Some(found) = found else {
        let in_schema = if schema.is_empty() {
            "the search path".to_string()
        } else {
            format!("schema {schema}")
        };
        return Err(PluginError::new(
            ErrorKind::NOT_FOUND,
            format!("no table or view named {table} in {in_schema}"),
        ));
    };
    let oid: u32 = found.get(0);
    let schema: String = found.get(1);
    let relkind: i8 = found.get(2);

    let cols = c
        .query(
            "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull, pg_get_expr(d.adbin, d.adrelid), \
             a.attidentity <> '' OR coalesce(pg_get_expr(d.adbin, d.adrelid) LIKE 'nextval(%', false) \
             FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
             WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
            &[&oid],
        )
        .map_err(map)?;
    let pk_rows = c
        .query(
            "SELECT a.attname::text FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY k(attnum, ord) \
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum \
             WHERE i.indrelid = $1 AND i.indisprimary ORDER BY k.ord",
            &[&oid],
        )
        .map_err(map)?;
    let primary_key: Vec<String> = pk_rows.iter().map(|r| r.get(0)).collect();
    let columns = cols
        .iter()
        .map(|r| {
            let name: String = r.get(0);
            ColumnInfo {
                primary_key_position: primary_key
                    .iter()
                    .position(|p| *p == name)
                    .map_or(0, |p| p as u32 + 1),
                name: name.into(),
                decl_type: r.get::<_, String>(1).into(),
                nullable: r.get(2),
                default: r.get::<_, Option<String>>(3).map(RString::from).into(),
                auto_increment: r.get(4),
            }
        })
        .collect::<Vec<_>>();

    let idx = c
        .query(
            "SELECT ic.relname::text, i.indisunique, i.indisprimary, pg_get_expr(i.indpred, i.indrelid), \
             array(SELECT pg_get_indexdef(i.indexrelid, k, true) FROM generate_series(1, i.indnkeyatts) k ORDER BY k) \
             FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid WHERE i.indrelid = $1 ORDER BY ic.relname",
            &[&oid],
        )
        .map_err(map)?;
    let indexes = idx
        .iter()
        .map(|r| IndexInfo {
            name: r.get::<_, String>(0).into(),
            unique: r.get(1),
            primary: r.get(2),
            predicate: r.get::<_, Option<String>>(3).map(RString::from).into(),
            columns: r
                .get::<_, Vec<String>>(4)
                .into_iter()
                .map(RString::from)
                .collect(),
        })
        .collect::<Vec<_>>();

    let fks = c
        .query(
            "SELECT con.conname::text, \
             array(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(n, o) JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.o), \
             fn.nspname::text, fc.relname::text, \
             array(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(n, o) JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.o), \
             con.confupdtype, con.confdeltype \
             FROM pg_constraint con JOIN pg_class fc ON fc.oid = con.confrelid JOIN pg_namespace fn ON fn.oid = fc.relnamespace \
             WHERE con.conrelid = $1 AND con.contype = 'f' ORDER BY con.conname",
            &[&oid],
        )
        .map_err(map)?;
    let foreign_keys = fks
        .iter()
        .map(|r| {
            let ref_schema: String = r.get(2);
            ForeignKeyInfo {
                name: r.get::<_, String>(0).into(),
                columns: r
                    .get::<_, Vec<String>>(1)
                    .into_iter()
                    .map(RString::from)
                    .collect(),
                ref_schema: if ref_schema == schema {
                    RString::new()
                } else {
                    ref_schema.into()
                },
                ref_table: r.get::<_, String>(3).into(),
                ref_columns: r
                    .get::<_, Vec<String>>(4)
                    .into_iter()
                    .map(RString::from)
                    .collect(),
                on_update: action(r.get(5)),
                on_delete: action(r.get(6)),
            }
        })
        .collect::<Vec<_>>();
    Ok(TableDetail {
        schema: schema.into(),
        name: table.into(),
        kind: kind(relkind),
        columns: columns.into(),
        primary_key: primary_key.into_iter().map(RString::from).collect(),
        indexes: indexes.into(),
        foreign_keys: foreign_keys.into(),
    })
}
