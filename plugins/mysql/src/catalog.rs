//! The catalog queries (`information_schema`), one set for everything that reads the
//! structure of a database: the table list, one table's description and the schema
//! definition ([`crate::schema`]).
//!
//! Each query reads the tables a [`Filter`] selects and returns typed rows ordered by
//! database, then table.

use crate::error::map;
use myrmex_plugin::PluginError;
use mysql::prelude::Queryable;
use mysql::{Conn, Row};

/// The databases a query reads.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    /// The session's database (`DATABASE()`); nothing when none is selected.
    Current,
    /// The session's database, or every user database when none is selected.
    CurrentOrAll,
    /// These databases.
    Named(&'a [String]),
}

/// Which tables a catalog query reads.
#[derive(Debug, Clone, Copy)]
pub struct Filter<'a> {
    /// The databases.
    pub scope: Scope<'a>,
    /// One table only.
    pub table: Option<&'a str>,
}

impl Filter<'_> {
    /// The `WHERE` condition on the view's `schema` and `table` columns, with its parameters.
    pub(crate) fn condition(&self, schema: &str, table: &str) -> (String, Vec<mysql::Value>) {
        let mut params = Vec::new();
        let mut sql = match self.scope {
            Scope::Current => format!("{schema} = DATABASE()"),
            Scope::CurrentOrAll => format!(
                "({schema} = DATABASE() OR (DATABASE() IS NULL AND {schema} NOT IN \
                 ('mysql', 'information_schema', 'performance_schema', 'sys')))"
            ),
            Scope::Named([]) => "FALSE".to_string(),
            Scope::Named(names) => {
                params.extend(names.iter().map(|n| mysql::Value::from(n.as_str())));
                format!("{schema} IN ({})", vec!["?"; names.len()].join(", "))
            }
        };
        if let Some(t) = self.table {
            sql.push_str(&format!(" AND {table} = ?"));
            params.push(mysql::Value::from(t));
        }
        (sql, params)
    }
}

/// A table or view.
#[derive(Debug, Clone)]
pub struct TableRow {
    /// Its database.
    pub schema: String,
    /// Its name.
    pub name: String,
    /// `BASE TABLE`, `VIEW`, `SYSTEM VIEW`, `SEQUENCE`, ….
    pub table_type: String,
    /// Its comment; `None` when empty.
    pub comment: Option<String>,
}

/// A column of a table or view.
#[derive(Debug, Clone)]
pub struct ColumnRow {
    /// The table's database.
    pub schema: String,
    /// The table.
    pub table: String,
    /// The column's name.
    pub name: String,
    /// `COLUMN_TYPE` (`int(11)`, `varchar(80)`, `decimal(12,2) unsigned`).
    pub column_type: String,
    /// NULL allowed.
    pub nullable: bool,
    /// `COLUMN_DEFAULT` as the server gives it (MariaDB: SQL text; MySQL: the bare value).
    pub default: Option<String>,
    /// `EXTRA` (`auto_increment`, `DEFAULT_GENERATED`, `on update …`).
    pub extra: String,
    /// Its comment; `None` when empty.
    pub comment: Option<String>,
    /// `GENERATION_EXPRESSION` of a generated column; `None` otherwise.
    pub generation: Option<String>,
    /// Character set.
    pub charset: Option<String>,
    /// Collation.
    pub collation: Option<String>,
}

/// One column of a primary key, unique or foreign key constraint.
#[derive(Debug, Clone)]
pub struct KeyRow {
    /// The table's database.
    pub schema: String,
    /// The table.
    pub table: String,
    /// The constraint's name.
    pub constraint: String,
    /// `PRIMARY KEY`, `UNIQUE` or `FOREIGN KEY`.
    pub constraint_type: String,
    /// The column.
    pub column: String,
    /// For a foreign key: the referenced table's database.
    pub ref_schema: String,
    /// For a foreign key: the referenced table.
    pub ref_table: String,
    /// For a foreign key: the referenced column.
    pub ref_column: String,
}

/// The referential actions of a foreign key.
#[derive(Debug, Clone)]
pub struct RuleRow {
    /// The table's database.
    pub schema: String,
    /// The table.
    pub table: String,
    /// The constraint's name.
    pub constraint: String,
    /// `ON DELETE` action.
    pub on_delete: String,
    /// `ON UPDATE` action.
    pub on_update: String,
}

/// A CHECK constraint.
#[derive(Debug, Clone)]
pub struct CheckRow {
    /// The table's database.
    pub schema: String,
    /// The table.
    pub table: String,
    /// The constraint's name (MariaDB: the column's name for a column-level check).
    pub name: String,
    /// The condition.
    pub clause: String,
    /// `Table` or `Column` (MariaDB; always `Table` on MySQL).
    pub level: String,
}

/// One column of an index (the primary key's included, as `PRIMARY`).
#[derive(Debug, Clone)]
pub struct IndexRow {
    /// The table's database.
    pub schema: String,
    /// The table.
    pub table: String,
    /// The index's name.
    pub name: String,
    /// False for a UNIQUE index.
    pub non_unique: bool,
    /// The column; `None` for an expression (MySQL functional index).
    pub column: Option<String>,
    /// `BTREE`, `HASH`, `FULLTEXT`, `SPATIAL`, ….
    pub index_type: String,
    /// Prefix length.
    pub sub_part: Option<u32>,
    /// `A` ascending, `D` descending.
    pub order: String,
}

/// The text of column `i` (empty for NULL; numbers printed).
pub(crate) fn text(row: &Row, i: usize) -> String {
    opt(row, i).unwrap_or_default()
}

/// The text of column `i`; `None` for NULL.
pub(crate) fn opt(row: &Row, i: usize) -> Option<String> {
    match row.as_ref(i)? {
        mysql::Value::NULL => None,
        mysql::Value::Bytes(b) => Some(String::from_utf8_lossy(b).into_owned()),
        mysql::Value::Int(n) => Some(n.to_string()),
        mysql::Value::UInt(n) => Some(n.to_string()),
        other => Some(other.as_sql(true)),
    }
}

/// The text of column `i`; `None` for NULL or empty.
pub(crate) fn nonempty(row: &Row, i: usize) -> Option<String> {
    opt(row, i).filter(|s| !s.is_empty())
}

/// Runs a catalog query; `{}` in `sql` is replaced by the filter's condition.
pub(crate) fn rows(
    conn: &mut Conn,
    sql: &str,
    cond: (String, Vec<mysql::Value>),
) -> Result<Vec<Row>, PluginError> {
    let (cond, params) = cond;
    let sql = sql.replace("{}", &cond);
    let params = if params.is_empty() {
        mysql::Params::Empty
    } else {
        mysql::Params::Positional(params)
    };
    conn.exec(sql, params).map_err(map)
}

/// Tables and views.
pub fn tables(conn: &mut Conn, f: Filter) -> Result<Vec<TableRow>, PluginError> {
    let sql = "SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE, TABLE_COMMENT \
        FROM information_schema.TABLES WHERE {} ORDER BY TABLE_SCHEMA, TABLE_NAME";
    let rows = rows(conn, sql, f.condition("TABLE_SCHEMA", "TABLE_NAME"))?;
    Ok(rows
        .iter()
        .map(|r| TableRow {
            schema: text(r, 0),
            name: text(r, 1),
            table_type: text(r, 2),
            comment: nonempty(r, 3),
        })
        .collect())
}

/// Columns, in table order.
pub fn columns(conn: &mut Conn, f: Filter) -> Result<Vec<ColumnRow>, PluginError> {
    let sql = "SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, \
        COLUMN_DEFAULT, EXTRA, COLUMN_COMMENT, GENERATION_EXPRESSION, CHARACTER_SET_NAME, \
        COLLATION_NAME FROM information_schema.COLUMNS WHERE {} \
        ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION";
    let rows = rows(conn, sql, f.condition("TABLE_SCHEMA", "TABLE_NAME"))?;
    Ok(rows
        .iter()
        .map(|r| ColumnRow {
            schema: text(r, 0),
            table: text(r, 1),
            name: text(r, 2),
            column_type: text(r, 3),
            nullable: text(r, 4).eq_ignore_ascii_case("YES"),
            default: opt(r, 5),
            extra: text(r, 6),
            comment: nonempty(r, 7),
            generation: nonempty(r, 8),
            charset: nonempty(r, 9),
            collation: nonempty(r, 10),
        })
        .collect())
}

/// Primary key, unique and foreign key columns, in key order.
pub fn keys(conn: &mut Conn, f: Filter) -> Result<Vec<KeyRow>, PluginError> {
    let sql = "SELECT k.TABLE_SCHEMA, k.TABLE_NAME, k.CONSTRAINT_NAME, tc.CONSTRAINT_TYPE, \
        k.COLUMN_NAME, k.REFERENCED_TABLE_SCHEMA, k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME \
        FROM information_schema.KEY_COLUMN_USAGE k JOIN information_schema.TABLE_CONSTRAINTS tc \
          ON tc.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND tc.TABLE_NAME = k.TABLE_NAME \
         AND tc.CONSTRAINT_NAME = k.CONSTRAINT_NAME \
        WHERE {} ORDER BY k.TABLE_SCHEMA, k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION";
    let rows = rows(conn, sql, f.condition("k.TABLE_SCHEMA", "k.TABLE_NAME"))?;
    Ok(rows
        .iter()
        .map(|r| KeyRow {
            schema: text(r, 0),
            table: text(r, 1),
            constraint: text(r, 2),
            constraint_type: text(r, 3),
            column: text(r, 4),
            ref_schema: text(r, 5),
            ref_table: text(r, 6),
            ref_column: text(r, 7),
        })
        .collect())
}

/// The referential actions of foreign keys.
pub fn rules(conn: &mut Conn, f: Filter) -> Result<Vec<RuleRow>, PluginError> {
    let sql = "SELECT CONSTRAINT_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, DELETE_RULE, UPDATE_RULE \
        FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE {}";
    let rows = rows(conn, sql, f.condition("CONSTRAINT_SCHEMA", "TABLE_NAME"))?;
    Ok(rows
        .iter()
        .map(|r| RuleRow {
            schema: text(r, 0),
            table: text(r, 1),
            constraint: text(r, 2),
            on_delete: text(r, 3),
            on_update: text(r, 4),
        })
        .collect())
}

/// CHECK constraints. MariaDB lists the table of each check and whether it was written on
/// a column; MySQL names the table through `TABLE_CONSTRAINTS`.
pub fn checks(conn: &mut Conn, f: Filter, mariadb: bool) -> Result<Vec<CheckRow>, PluginError> {
    let (sql, cond) = if mariadb {
        (
            "SELECT CONSTRAINT_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE, LEVEL \
             FROM information_schema.CHECK_CONSTRAINTS WHERE {} \
             ORDER BY CONSTRAINT_SCHEMA, TABLE_NAME, CONSTRAINT_NAME",
            f.condition("CONSTRAINT_SCHEMA", "TABLE_NAME"),
        )
    } else {
        (
            "SELECT cc.CONSTRAINT_SCHEMA, tc.TABLE_NAME, cc.CONSTRAINT_NAME, cc.CHECK_CLAUSE, \
             'Table' FROM information_schema.CHECK_CONSTRAINTS cc \
             JOIN information_schema.TABLE_CONSTRAINTS tc \
               ON tc.CONSTRAINT_SCHEMA = cc.CONSTRAINT_SCHEMA \
              AND tc.CONSTRAINT_NAME = cc.CONSTRAINT_NAME AND tc.CONSTRAINT_TYPE = 'CHECK' \
             WHERE {} ORDER BY cc.CONSTRAINT_SCHEMA, tc.TABLE_NAME, cc.CONSTRAINT_NAME",
            f.condition("cc.CONSTRAINT_SCHEMA", "tc.TABLE_NAME"),
        )
    };
    let rows = rows(conn, sql, cond)?;
    Ok(rows
        .iter()
        .map(|r| CheckRow {
            schema: text(r, 0),
            table: text(r, 1),
            name: text(r, 2),
            clause: text(r, 3),
            level: text(r, 4),
        })
        .collect())
}

/// Index columns, the primary key's first in each table, then by index name and position.
pub fn indexes(conn: &mut Conn, f: Filter) -> Result<Vec<IndexRow>, PluginError> {
    let sql = "SELECT TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, NON_UNIQUE, COLUMN_NAME, INDEX_TYPE, \
        SUB_PART, COLLATION FROM information_schema.STATISTICS WHERE {} \
        ORDER BY TABLE_SCHEMA, TABLE_NAME, INDEX_NAME = 'PRIMARY' DESC, INDEX_NAME, SEQ_IN_INDEX";
    let rows = rows(conn, sql, f.condition("TABLE_SCHEMA", "TABLE_NAME"))?;
    Ok(rows
        .iter()
        .map(|r| IndexRow {
            schema: text(r, 0),
            table: text(r, 1),
            name: text(r, 2),
            non_unique: text(r, 3).trim() != "0",
            column: opt(r, 4),
            index_type: text(r, 5),
            sub_part: opt(r, 6).and_then(|n| n.parse().ok()),
            order: text(r, 7),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_bind_names_as_parameters() {
        let names = vec!["a".to_string(), "b'c".to_string()];
        let f = Filter {
            scope: Scope::Named(&names),
            table: Some("t"),
        };
        let (sql, params) = f.condition("S", "T");
        assert_eq!(sql, "S IN (?, ?) AND T = ?");
        assert_eq!(params.len(), 3);
        let f = Filter {
            scope: Scope::Current,
            table: None,
        };
        assert_eq!(
            f.condition("S", "T"),
            ("S = DATABASE()".to_string(), vec![])
        );
    }
}
