//! Reading a live database back into a [`SchemaDefinition`] (`DatabaseConnection::schema`).
//!
//! Each engine is read from its own catalog (`pg_catalog`, `information_schema`, SQLite's
//! pragmas and stored DDL) through ordinary queries, so every driver plugin gets it for free.
//! The result follows the normalisations of [`myrmex_schema::normalize`]: names are filled in,
//! types map back to the portable set where they came from it, anything else is a raw type.

mod mysql;
mod postgres;
mod sqlite;

use crate::{DatabaseConnection, Error, Result, Value};
use myrmex_schema::{Dialect, SchemaDefinition};

impl DatabaseConnection {
    /// The dialect of the connected engine (`mariadb` for a MariaDB server).
    pub fn dialect(&mut self) -> Result<Dialect> {
        let info = self.server_info()?;
        info.engine.as_str().parse().map_err(|_| {
            Error::Schema(format!(
                "{}: no schema dialect for engine `{}`",
                self.name, info.engine
            ))
        })
    }

    /// Reads the tables of the current schema (PostgreSQL `current_schema()`, the MySQL
    /// database, SQLite `main`) into a [`SchemaDefinition`].
    pub fn schema(&mut self) -> Result<SchemaDefinition> {
        let def = match self.dialect()? {
            Dialect::Sqlite => sqlite::inspect(self)?,
            Dialect::Postgres => postgres::inspect(self)?,
            d @ (Dialect::Mysql | Dialect::Mariadb) => mysql::inspect(self, d)?,
        };
        Ok(def)
    }
}

/// Rows of a catalog query as owned values.
pub(crate) fn rows(
    db: &mut DatabaseConnection,
    sql: &str,
    params: &[Value],
) -> Result<Vec<Vec<Value>>> {
    let rs = db.execute_query(sql, params)?;
    Ok(rs.rows().map(|r| r.to_vec()).collect())
}

/// The tables a catalog query lists as `(name, comment)` rows, by name, without columns yet.
pub(crate) fn named_tables(
    db: &mut DatabaseConnection,
    sql: &str,
) -> Result<std::collections::BTreeMap<String, myrmex_schema::Table>> {
    Ok(rows(db, sql, &[])?
        .into_iter()
        .map(|r| {
            let name = text(&r[0]);
            let table = myrmex_schema::Table {
                name: name.clone(),
                comment: opt_text(&r[1]),
                ..Default::default()
            };
            (name, table)
        })
        .collect())
}

/// Text of a catalog value (empty for NULL; numbers printed).
pub(crate) fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::Int(i) => i.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Blob(b) => String::from_utf8_lossy(b).into_owned(),
        other => other
            .as_text()
            .map(str::to_string)
            .unwrap_or_else(|| other.to_string()),
    }
}

/// Text or `None` for NULL / empty.
pub(crate) fn opt_text(v: &Value) -> Option<String> {
    let t = text(v);
    (!v.is_null() && !t.is_empty()).then_some(t)
}

/// An integer from a catalog value (ints, decimals and numeric text).
pub(crate) fn int(v: &Value) -> i64 {
    match v {
        Value::Int(i) => *i,
        Value::Bool(b) => *b as i64,
        other => text(other).trim().parse().unwrap_or(0),
    }
}

/// A boolean from a catalog value (`t`, `YES`, 1, true).
pub(crate) fn boolean(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::Int(i) => *i != 0,
        other => matches!(
            text(other).to_ascii_lowercase().as_str(),
            "t" | "true" | "yes" | "1"
        ),
    }
}

/// A JSON array of strings (PostgreSQL `json_agg` results).
pub(crate) fn string_list(v: &Value) -> Vec<String> {
    serde_json::from_str::<Vec<String>>(&text(v)).unwrap_or_default()
}

impl DatabaseConnection {
    /// Creates the tables of `def` in this database: the DDL of [`myrmex_schema::generate_schema`]
    /// for this engine, one statement at a time, so an error names the statement that failed.
    /// Returns the number of statements run.
    pub fn apply_schema(&mut self, def: &SchemaDefinition) -> Result<usize> {
        let dialect = self.dialect()?;
        let stmts = myrmex_schema::SchemaGenerator::new(dialect).statements(def)?;
        for s in &stmts {
            self.execute(s, &[])?;
        }
        Ok(stmts.len())
    }
}
