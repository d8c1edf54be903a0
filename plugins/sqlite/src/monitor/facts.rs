//! What the monitor reads about the `main` database: pages, journal, tables, indexes, their
//! sizes (`dbstat`) and the planner's statistics (`sqlite_stat1`).

use crate::catalog;
use crate::error::map;
use myrmex_plugin::sql::quote_ident;
use myrmex_plugin::PluginError;
use rusqlite::Connection;
use std::collections::HashMap;

type Result<T> = std::result::Result<T, PluginError>;

/// Above this size table and index sizes are not read: `dbstat` reads every page.
pub const DBSTAT_LIMIT_BYTES: i64 = 1 << 30;

/// The page counts of the database file.
#[derive(Debug, Clone, Copy)]
pub struct Pages {
    /// Bytes per page.
    pub page_size: i64,
    /// Pages in the file.
    pub page_count: i64,
    /// Pages on the free list: unused, kept in the file until a `VACUUM`.
    pub freelist_count: i64,
}

impl Pages {
    /// The file's size as SQLite counts it.
    pub fn database_bytes(&self) -> i64 {
        self.page_count.saturating_mul(self.page_size)
    }

    /// The bytes of the free pages.
    pub fn freelist_bytes(&self) -> i64 {
        self.freelist_count.saturating_mul(self.page_size)
    }

    /// Free pages over all pages, 0 for an empty file.
    pub fn free_ratio(&self) -> f64 {
        if self.page_count > 0 {
            self.freelist_count as f64 / self.page_count as f64
        } else {
            0.0
        }
    }
}

/// `PRAGMA main.<name>` read as an integer (`name` is one of this module's constants).
pub fn pragma_i64(conn: &Connection, name: &str) -> Result<i64> {
    conn.query_row(&format!("PRAGMA main.{name}"), [], |r| r.get(0))
        .map_err(map)
}

/// Like [`pragma_i64`], with `default` when the pragma answers no row (some do for an
/// in-memory database).
pub fn pragma_i64_or(conn: &Connection, name: &str, default: i64) -> Result<i64> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .query_row(&format!("PRAGMA main.{name}"), [], |r| r.get(0))
        .optional()
        .map_err(map)?
        .unwrap_or(default))
}

/// The page counts of `main`.
pub fn pages(conn: &Connection) -> Result<Pages> {
    Ok(Pages {
        page_size: pragma_i64(conn, "page_size")?,
        page_count: pragma_i64(conn, "page_count")?,
        freelist_count: pragma_i64(conn, "freelist_count")?,
    })
}

/// `main`'s journal mode in lower case (`delete`, `wal`, `memory`, …).
pub fn journal_mode(conn: &Connection) -> Result<String> {
    let mode: String = conn
        .query_row("PRAGMA main.journal_mode", [], |r| r.get(0))
        .map_err(map)?;
    Ok(mode.to_ascii_lowercase())
}

/// The page cache's size in bytes: `cache_size` counts pages when positive and KiB when
/// negative.
pub fn cache_bytes(conn: &Connection, page_size: i64) -> Result<i64> {
    let pages = pragma_i64(conn, "cache_size")?;
    Ok(if pages < 0 {
        pages.saturating_mul(-1024)
    } else {
        pages.saturating_mul(page_size)
    })
}

/// The file holding `main`; `None` for an in-memory or temporary database.
pub fn main_file(conn: &Connection) -> Result<Option<String>> {
    let file: Option<String> = conn
        .query_row(
            "SELECT file FROM pragma_database_list WHERE name = 'main'",
            [],
            |r| r.get(0),
        )
        .map_err(map)?;
    Ok(file.filter(|f| !f.is_empty()))
}

/// The ordinary tables of `main` (SQLite's own and virtual tables left out), by name.
pub fn tables(conn: &Connection) -> Result<Vec<String>> {
    Ok(catalog::objects(conn, "main")?
        .into_iter()
        .filter(|o| o.kind == "table" && !o.is_internal() && !o.is_virtual())
        .map(|o| o.name)
        .collect())
}

/// One key column of an index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    /// The column; `None` for an expression.
    pub column: Option<String>,
    /// Sorted descending.
    pub desc: bool,
    /// The collation (`BINARY`, `NOCASE`, …).
    pub collation: String,
}

/// An index of a table.
#[derive(Debug, Clone)]
pub struct Index {
    /// Its name.
    pub name: String,
    /// Its key columns, in order.
    pub keys: Vec<Key>,
    /// A unique index.
    pub unique: bool,
    /// `c` (`CREATE INDEX`), `u` (behind a UNIQUE constraint), `pk` (behind the PRIMARY
    /// KEY).
    pub origin: String,
    /// A partial index (`… WHERE`).
    pub partial: bool,
}

impl Index {
    /// True when it enforces a constraint of the table: dropping it is not possible.
    pub fn backs_constraint(&self) -> bool {
        self.origin == "u" || self.origin == "pk"
    }

    /// Its key columns for people: `a, b DESC, (expression)`.
    pub fn columns_text(&self) -> String {
        self.keys
            .iter()
            .map(|k| {
                let mut s = k.column.clone().unwrap_or_else(|| "(expression)".into());
                if k.desc {
                    s.push_str(" DESC");
                }
                if !k.collation.eq_ignore_ascii_case("BINARY") {
                    s.push_str(" COLLATE ");
                    s.push_str(&k.collation);
                }
                s
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The indexes of `table` in `main`, in SQLite's order.
pub fn indexes(conn: &Connection, table: &str) -> Result<Vec<Index>> {
    let mut out = Vec::new();
    for row in catalog::indexes(conn, "main", table)? {
        let keys = catalog::rows(
            conn,
            "SELECT name, \"desc\", coll FROM pragma_index_xinfo(?1, 'main') \
             WHERE key = 1 ORDER BY seqno",
            [row.name.as_str()],
            |r| {
                Ok(Key {
                    column: r.get(0)?,
                    desc: r.get::<_, i64>(1)? != 0,
                    collation: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                })
            },
        )?;
        out.push(Index {
            name: row.name,
            keys,
            unique: row.unique,
            origin: row.origin,
            partial: row.partial,
        });
    }
    Ok(out)
}

/// The column that is the table's rowid (a single `INTEGER PRIMARY KEY` of a rowid table).
pub fn rowid_alias(conn: &Connection, table: &str, indexes: &[Index]) -> Result<Option<String>> {
    // A WITHOUT ROWID table's primary key is an index of origin `pk`; a rowid table's
    // INTEGER PRIMARY KEY has none.
    if indexes.iter().any(|i| i.origin == "pk") {
        return Ok(None);
    }
    let pk: Vec<catalog::ColumnRow> = catalog::columns(conn, "main", table)?
        .into_iter()
        .filter(|c| c.pk > 0)
        .collect();
    Ok(match pk.as_slice() {
        [only] if only.decl.eq_ignore_ascii_case("INTEGER") => Some(only.name.clone()),
        _ => None,
    })
}

/// The columns of `table` that hold stored values (generated and hidden ones left out).
pub fn stored_columns(conn: &Connection, table: &str) -> Result<Vec<String>> {
    Ok(catalog::columns(conn, "main", table)?
        .into_iter()
        .filter(|c| c.hidden == 0)
        .map(|c| c.name)
        .collect())
}

/// The exact row count of `table`.
pub fn count_rows(conn: &Connection, table: &str) -> Result<i64> {
    conn.query_row(
        &format!("SELECT count(*) FROM main.{}", quote_ident(table, '"')),
        [],
        |r| r.get(0),
    )
    .map_err(map)
}

/// What `sqlite_stat1` holds: the row counts `ANALYZE` recorded, per table and index.
#[derive(Debug, Default)]
pub struct Stat1 {
    /// `(table, index)` in lower case (index `None` for a table without indexes) → the
    /// table's row count when it was analyzed.
    rows: HashMap<(String, Option<String>), i64>,
}

impl Stat1 {
    /// The table's row count as last analyzed, when it was: the largest of its rows' counts
    /// (a partial index counts only the rows it holds).
    pub fn table_rows(&self, table: &str) -> Option<i64> {
        let table = table.to_lowercase();
        self.rows
            .iter()
            .filter(|((t, _), _)| *t == table)
            .map(|(_, n)| *n)
            .max()
    }

    /// True when `ANALYZE` recorded statistics for `index` of `table`.
    pub fn has_index(&self, table: &str, index: &str) -> bool {
        self.rows
            .contains_key(&(table.to_lowercase(), Some(index.to_lowercase())))
    }
}

/// The statistics of `main`; empty when `ANALYZE` never ran.
pub fn stat1(conn: &Connection) -> Result<Stat1> {
    let exists: i64 = conn
        .query_row(
            "SELECT count(*) FROM main.sqlite_schema WHERE type = 'table' AND name = 'sqlite_stat1'",
            [],
            |r| r.get(0),
        )
        .map_err(map)?;
    if exists == 0 {
        return Ok(Stat1::default());
    }
    let found = catalog::rows(
        conn,
        "SELECT tbl, idx, stat FROM main.sqlite_stat1",
        [],
        |r| {
            Ok((
                r.get::<_, Option<String>>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, Option<String>>(2)?,
            ))
        },
    )?;
    let mut rows = HashMap::new();
    for (tbl, idx, stat) in found {
        let n = stat
            .as_deref()
            .and_then(|s| s.split_whitespace().next())
            .and_then(|n| n.parse::<i64>().ok());
        if let (Some(tbl), Some(n)) = (tbl, n) {
            rows.insert((tbl.to_lowercase(), idx.map(|i| i.to_lowercase())), n);
        }
    }
    Ok(Stat1 { rows })
}

/// The bytes each table and index of `main` takes, by name, from the `dbstat` virtual
/// table; `None` when this SQLite was built without it.
pub fn sizes(conn: &Connection) -> Result<Option<HashMap<String, i64>>> {
    let mut stmt = match conn.prepare("SELECT name, pgsize FROM dbstat('main', 1)") {
        Ok(stmt) => stmt,
        Err(e) if e.to_string().contains("dbstat") => return Ok(None),
        Err(e) => return Err(map(e)),
    };
    let found = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
        .map_err(map)?
        .collect::<rusqlite::Result<HashMap<_, _>>>()
        .map_err(map)?;
    Ok(Some(found))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn memory() -> Connection {
        Connection::open_in_memory().unwrap()
    }

    #[test]
    fn pages_sizes_and_statistics() {
        let c = memory();
        c.execute_batch(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT UNIQUE, b INT); \
             CREATE INDEX t_b ON t (b DESC, a COLLATE NOCASE); \
             CREATE TABLE w (k TEXT PRIMARY KEY, v) WITHOUT ROWID; \
             INSERT INTO t (a, b) VALUES ('x', 1), ('y', 2), ('z', 3);",
        )
        .unwrap();
        let p = pages(&c).unwrap();
        assert!(p.page_size >= 512 && p.page_count > 0);
        assert_eq!(p.database_bytes(), p.page_size * p.page_count);
        assert_eq!(p.freelist_count, 0);
        assert_eq!(p.free_ratio(), 0.0);
        assert_eq!(main_file(&c).unwrap(), None);
        assert_eq!(journal_mode(&c).unwrap(), "memory");
        assert_eq!(tables(&c).unwrap(), ["t", "w"]);

        let ix = indexes(&c, "t").unwrap();
        let t_b = ix.iter().find(|i| i.name == "t_b").unwrap();
        assert_eq!(t_b.columns_text(), "b DESC, a COLLATE NOCASE");
        assert!(!t_b.backs_constraint());
        let auto = ix.iter().find(|i| i.origin == "u").unwrap();
        assert!(auto.unique && auto.backs_constraint());
        assert_eq!(rowid_alias(&c, "t", &ix).unwrap().as_deref(), Some("id"));
        let w = indexes(&c, "w").unwrap();
        assert_eq!(rowid_alias(&c, "w", &w).unwrap(), None);
        assert_eq!(count_rows(&c, "t").unwrap(), 3);
        assert_eq!(stored_columns(&c, "t").unwrap(), ["id", "a", "b"]);

        assert_eq!(stat1(&c).unwrap().table_rows("t"), None);
        c.execute_batch("ANALYZE").unwrap();
        let s = stat1(&c).unwrap();
        assert_eq!(s.table_rows("T"), Some(3));
        assert!(s.has_index("t", "T_B"));
        assert!(!s.has_index("t", "nope"));

        let sizes = sizes(&c).unwrap().expect("the bundled SQLite has dbstat");
        assert_eq!(sizes.get("t"), Some(&p.page_size));
        assert!(sizes.contains_key("t_b"));
    }

    #[test]
    fn cache_size_in_pages_or_kib() {
        let c = memory();
        c.execute_batch("PRAGMA cache_size = -2000").unwrap();
        assert_eq!(cache_bytes(&c, 4096).unwrap(), 2_048_000);
        c.execute_batch("PRAGMA cache_size = 100").unwrap();
        assert_eq!(cache_bytes(&c, 4096).unwrap(), 409_600);
    }
}
