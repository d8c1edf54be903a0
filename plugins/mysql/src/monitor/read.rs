//! Reading the server's statistics: rows as plain values, global status and variables, and
//! which databases a snapshot or a piece of advice looks at.

use crate::error::map;
use myrmex_plugin::{PluginError, Value};
use mysql::prelude::Queryable;
use mysql::{Conn, Row};
use std::collections::HashMap;

/// The `WHERE` condition selecting the databases looked at, on column `column`: the
/// session's database, or every user database when none is selected.
pub fn in_scope(column: &str) -> String {
    format!(
        "({column} = DATABASE() OR (DATABASE() IS NULL AND {column} NOT IN \
         ('mysql', 'information_schema', 'performance_schema', 'sys')))"
    )
}

/// The rows of `sql` with the names of their columns. Queries run as prepared statements, so
/// numbers come as numbers; `SHOW` statements and `EXPLAIN` run as text.
pub fn named_rows(
    conn: &mut Conn,
    sql: &str,
    params: Vec<mysql::Value>,
) -> Result<(Vec<String>, Vec<Vec<mysql::Value>>), PluginError> {
    let word = sql.split_whitespace().next().unwrap_or_default();
    let text = word.eq_ignore_ascii_case("SHOW") || word.eq_ignore_ascii_case("EXPLAIN");
    let rows: Vec<Row> = if text && params.is_empty() {
        conn.query(sql).map_err(map)?
    } else {
        conn.exec(sql, mysql::Params::Positional(params))
            .map_err(map)?
    };
    let names = rows
        .first()
        .map(|r| {
            r.columns_ref()
                .iter()
                .map(|c| c.name_str().into_owned())
                .collect()
        })
        .unwrap_or_default();
    Ok((names, rows.into_iter().map(Row::unwrap).collect()))
}

/// The rows of `sql` (see [`named_rows`]).
pub fn rows(
    conn: &mut Conn,
    sql: &str,
    params: Vec<mysql::Value>,
) -> Result<Vec<Vec<mysql::Value>>, PluginError> {
    Ok(named_rows(conn, sql, params)?.1)
}

/// Runs statements whose results nobody reads.
pub fn run(conn: &mut Conn, sql: &str) -> Result<(), PluginError> {
    conn.query_drop(sql).map_err(map)
}

/// The text of a value (numbers and dates written out); `None` for NULL.
pub fn text(v: &mysql::Value) -> Option<String> {
    use mysql::Value as V;
    match v {
        V::NULL => None,
        V::Bytes(b) => Some(String::from_utf8_lossy(b).into_owned()),
        V::Int(i) => Some(i.to_string()),
        V::UInt(u) => Some(u.to_string()),
        V::Float(f) => Some(f.to_string()),
        V::Double(f) => Some(f.to_string()),
        V::Date(y, mo, d, h, mi, s, us) => Some(if *us > 0 {
            format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}.{us:06}")
        } else {
            format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
        }),
        V::Time(neg, d, h, mi, s, _) => {
            let hours = u64::from(*d) * 24 + u64::from(*h);
            Some(format!(
                "{}{hours:02}:{mi:02}:{s:02}",
                if *neg { "-" } else { "" }
            ))
        }
    }
}

/// The number a value holds; `None` for NULL or text that is not a number.
pub fn num(v: &mysql::Value) -> Option<f64> {
    use mysql::Value as V;
    match v {
        V::Int(i) => Some(*i as f64),
        V::UInt(u) => Some(*u as f64),
        V::Float(f) => Some(f64::from(*f)),
        V::Double(f) => Some(*f),
        V::Bytes(b) => std::str::from_utf8(b).ok()?.trim().parse().ok(),
        _ => None,
    }
}

/// A value as a cell of a snapshot's table: integers stay integers, other numbers are
/// floats, everything else is text.
pub fn cell(v: &mysql::Value) -> Value {
    use mysql::Value as V;
    match v {
        V::NULL => Value::Null,
        V::Int(i) => Value::Int(*i),
        V::UInt(u) => i64::try_from(*u).map_or(Value::Float(*u as f64), Value::Int),
        V::Float(f) => Value::Float(f64::from(*f)),
        V::Double(f) => Value::Float(*f),
        other => text(other).map_or(Value::Null, Value::from),
    }
}

/// `SHOW GLOBAL STATUS` or `SHOW GLOBAL VARIABLES` (`what`), by name.
pub fn globals(conn: &mut Conn, what: &str) -> Result<HashMap<String, String>, PluginError> {
    let rows = rows(conn, &format!("SHOW GLOBAL {what}"), Vec::new())?;
    Ok(rows
        .into_iter()
        .filter_map(|r| Some((text(r.first()?)?, text(r.get(1)?).unwrap_or_default())))
        .collect())
}

/// True when `performance_schema` is collecting (`@@performance_schema` is ON).
pub fn performance_schema_on(conn: &mut Conn) -> Result<bool, PluginError> {
    let on: Option<mysql::Value> = conn
        .query_first("SELECT @@performance_schema")
        .map_err(map)?;
    Ok(on.as_ref().and_then(num).is_some_and(|n| n != 0.0))
}

/// The line saying that `performance_schema` is OFF, what is missing for it and how to
/// switch it on.
pub fn performance_schema_off(missing: &str) -> String {
    format!(
        "performance_schema is OFF, so {missing} cannot be read: set performance_schema=ON \
         in the [mysqld] section of the server's configuration and restart the server"
    )
}

/// The qualified, quoted name of a table.
pub fn qualified(schema: &str, table: &str) -> String {
    format!("{}.{}", quote(schema), quote(table))
}

/// A quoted identifier.
pub fn quote(name: &str) -> String {
    myrmex_plugin::sql::quote_ident(name, '`')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_as_text_numbers_and_cells() {
        use mysql::Value as V;
        assert_eq!(text(&V::Bytes(b"abc".to_vec())).as_deref(), Some("abc"));
        assert_eq!(text(&V::NULL), None);
        assert_eq!(
            text(&V::Date(2024, 1, 2, 3, 4, 5, 0)).as_deref(),
            Some("2024-01-02 03:04:05")
        );
        assert_eq!(num(&V::Bytes(b" 42 ".to_vec())), Some(42.0));
        assert_eq!(num(&V::Bytes(b"ON".to_vec())), None);
        assert_eq!(num(&V::UInt(7)), Some(7.0));
        assert_eq!(cell(&V::UInt(u64::MAX)), Value::Float(u64::MAX as f64));
        assert_eq!(qualified("d", "a`b"), "`d`.`a``b`");
    }
}
