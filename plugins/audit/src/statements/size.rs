//! How many rows a table holds, looked up on the connection the statements are meant for:
//! PostgreSQL's planner estimate (`pg_class.reltuples`), MySQL's
//! (`information_schema.tables.table_rows`), SQLite's `count(*)`.

use super::name::Name;
use super::Sized;
use crate::engine::Engine;
use myrmex_plugin::audit::HostConnection;
use myrmex_plugin::{ErrorKind, PluginError, Value};
use std::collections::HashMap;

/// A table's row count as looked up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rows {
    /// The engine's estimate.
    About(u64),
    /// Counted.
    Exactly(u64),
    /// Counted up to a bound and the bound was reached.
    AtLeast(u64),
}

impl Rows {
    /// The number of rows.
    pub fn count(self) -> u64 {
        match self {
            Rows::About(n) | Rows::Exactly(n) | Rows::AtLeast(n) => n,
        }
    }

    /// The count as a message says it (`about 1200 rows`).
    pub fn phrase(self) -> String {
        match self {
            Rows::About(n) => format!("about {n} rows"),
            Rows::Exactly(n) => format!("{n} rows"),
            Rows::AtLeast(n) => format!("at least {n} rows"),
        }
    }
}

/// Looks sizes up once per object.
pub struct Sizes<'c, 'h> {
    conn: Option<&'c mut HostConnection<'h>>,
    engine: Engine,
    /// Counting stops here (tables of this size or more are large).
    bound: u64,
    known: HashMap<String, Option<Rows>>,
}

impl<'c, 'h> Sizes<'c, 'h> {
    /// Sizes from `conn` (none: every size is unknown), read as `engine` keeps them;
    /// counting stops at `bound` rows.
    pub fn new(conn: Option<&'c mut HostConnection<'h>>, engine: Engine, bound: u64) -> Self {
        Sizes {
            conn,
            engine,
            bound,
            known: HashMap::new(),
        }
    }

    /// The rows of what `of` names; `None` when there is no connection, the engine has no
    /// way to tell, or the object is not there.
    pub fn rows(&mut self, of: &Sized) -> Result<Option<Rows>, PluginError> {
        let key = match of {
            Sized::Table(n) => format!("table {}", n.display()),
            Sized::Index(n) => format!("index {}", n.display()),
        };
        if let Some(known) = self.known.get(&key) {
            return Ok(*known);
        }
        let Some(conn) = self.conn.as_deref_mut() else {
            return Ok(None);
        };
        let rows = match (self.engine, of) {
            (Engine::Postgres, Sized::Table(t)) => postgres_table(conn, t, self.bound)?,
            (Engine::Postgres, Sized::Index(i)) => postgres_index(conn, i, self.bound)?,
            (Engine::Mysql, Sized::Table(t)) => mysql_table(conn, t)?,
            (Engine::Sqlite, Sized::Table(t)) => sqlite_table(conn, t)?,
            _ => None,
        };
        self.known.insert(key, rows);
        Ok(rows)
    }
}

/// A count or estimate read from a query result.
fn number(v: &Value) -> Option<i64> {
    match v {
        Value::Int(i) => Some(*i),
        Value::Float(f) => Some(*f as i64),
        Value::Text(s) | Value::Decimal(s) => s.as_str().trim().parse().ok(),
        _ => None,
    }
}

/// The first value of the first row of `sql` with `params`, as a number.
fn first_number(
    conn: &mut HostConnection<'_>,
    sql: &str,
    params: &[Value],
) -> Result<Option<i64>, PluginError> {
    let rows = conn.rows(sql, params)?;
    Ok(rows.first().and_then(|r| r.first()).and_then(number))
}

/// `reltuples` of the table, or a bounded count when it was never analyzed (`-1`).
fn postgres_table(
    conn: &mut HostConnection<'_>,
    t: &Name,
    bound: u64,
) -> Result<Option<Rows>, PluginError> {
    let quoted = t.quoted('"');
    let estimate = first_number(
        conn,
        "SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass($1)",
        &[Value::Text(quoted.as_str().into())],
    )?;
    match estimate {
        None => Ok(None),
        Some(n) if n >= 0 => Ok(Some(Rows::About(u64::try_from(n).unwrap_or(0)))),
        Some(_) => bounded_count(conn, &quoted, bound),
    }
}

/// `reltuples` of the table an index belongs to (or a bounded count, as for a table).
fn postgres_index(
    conn: &mut HostConnection<'_>,
    i: &Name,
    bound: u64,
) -> Result<Option<Rows>, PluginError> {
    let rows = conn.rows(
        "SELECT t.reltuples::bigint, t.oid::regclass::text FROM pg_index x \
         JOIN pg_class t ON t.oid = x.indrelid WHERE x.indexrelid = to_regclass($1)",
        &[Value::Text(i.quoted('"').as_str().into())],
    )?;
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    match (row.first().and_then(number), row.get(1)) {
        (Some(n), _) if n >= 0 => Ok(Some(Rows::About(u64::try_from(n).unwrap_or(0)))),
        // `regclass` text is the table's name quoted as it needs to be.
        (Some(_), Some(Value::Text(table))) => bounded_count(conn, table.as_str(), bound),
        _ => Ok(None),
    }
}

/// The rows of `table` (already quoted), counted up to `bound`; unknown when the table may
/// not be read.
fn bounded_count(
    conn: &mut HostConnection<'_>,
    table: &str,
    bound: u64,
) -> Result<Option<Rows>, PluginError> {
    let sql = format!("SELECT count(*) FROM (SELECT 1 FROM {table} LIMIT {bound}) AS s");
    let counted = match first_number(conn, &sql, &[]) {
        Err(e) if e.kind == ErrorKind::PERMISSION => return Ok(None),
        other => other?,
    };
    Ok(counted.map(|n| {
        let n = u64::try_from(n).unwrap_or(0);
        if n >= bound {
            Rows::AtLeast(n)
        } else {
            Rows::Exactly(n)
        }
    }))
}

/// `information_schema.tables.table_rows` of the table, in its database or the current one.
fn mysql_table(conn: &mut HostConnection<'_>, t: &Name) -> Result<Option<Rows>, PluginError> {
    let table = Value::Text(t.object().into());
    let n = match t.qualifier() {
        Some(db) => first_number(
            conn,
            "SELECT table_rows FROM information_schema.tables \
             WHERE table_schema = ? AND table_name = ?",
            &[Value::Text(db.into()), table],
        )?,
        None => first_number(
            conn,
            "SELECT table_rows FROM information_schema.tables \
             WHERE table_schema = DATABASE() AND table_name = ?",
            &[table],
        )?,
    };
    Ok(n.map(|n| Rows::About(u64::try_from(n).unwrap_or(0))))
}

/// `count(*)` of the table, when the database holds it and it may be read.
fn sqlite_table(conn: &mut HostConnection<'_>, t: &Name) -> Result<Option<Rows>, PluginError> {
    let schema = t
        .qualifier()
        .map(|s| format!("{}.", myrmex_plugin::sql::quote_ident(s, '"')))
        .unwrap_or_default();
    let exists = first_number(
        conn,
        &format!(
            "SELECT count(*) FROM {schema}sqlite_master WHERE type = 'table' AND name = ? COLLATE NOCASE"
        ),
        &[Value::Text(t.object().into())],
    )?;
    if exists.unwrap_or(0) == 0 {
        return Ok(None);
    }
    let n = first_number(
        conn,
        &format!("SELECT count(*) FROM {}", t.quoted('"')),
        &[],
    )?;
    Ok(n.map(|n| Rows::Exactly(u64::try_from(n).unwrap_or(0))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phrases() {
        assert_eq!(Rows::About(5).phrase(), "about 5 rows");
        assert_eq!(Rows::Exactly(5).phrase(), "5 rows");
        assert_eq!(Rows::AtLeast(5).phrase(), "at least 5 rows");
        assert_eq!(Rows::AtLeast(5).count(), 5);
    }

    #[test]
    fn numbers_from_values() {
        assert_eq!(number(&Value::Int(3)), Some(3));
        assert_eq!(number(&Value::Decimal("12".into())), Some(12));
        assert_eq!(number(&Value::Null), None);
    }

    #[test]
    fn no_connection_no_size() {
        let mut s = Sizes::new(None, Engine::Postgres, 10);
        let t = Name {
            parts: vec![("t".into(), false)],
        };
        assert_eq!(s.rows(&Sized::Table(t)).unwrap(), None);
    }
}
