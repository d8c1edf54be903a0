//! [`SqliteConnection`]: the `Connection` capability on one SQLite database.

use crate::cursor::{Cursor, StmtCache};
use crate::error::{closed, map};
use crate::options::SqliteOptions;
use crate::types::{Bind, TextMode};
use myrmex_abi::abi_stable::sabi_trait::TD_Opaque;
use myrmex_abi::{
    guard, CancelHandle, CancelHandleBox, CancelHandle_TO, ConnectOptions, Connection, ExecResult,
    PluginError, QueryStart, RResult, RSlice, RStr, RVec, RowBatch, ServerInfo, TableDetail,
    TableRef, Value,
};

/// One SQLite connection and its open cursor.
///
/// Field order matters: the cursor points into the statement cache, whose statements borrow
/// the boxed connection, so they are dropped in this order.
pub struct SqliteConnection {
    cursor: Option<Cursor>,
    stmts: StmtCache,
    text: TextMode,
    conn: Option<Box<rusqlite::Connection>>,
}

// SAFETY: a `rusqlite::Connection` is `Send`; the cursor's statement and rows point into that
// connection only and always move together with it, and the contract gives one thread at a
// time access to a connection (`&mut self`), which SQLite's multi-thread mode permits.
unsafe impl Send for SqliteConnection {}

impl SqliteConnection {
    /// Opens the database named by `options`.
    pub fn open(options: &ConnectOptions) -> Result<Self, PluginError> {
        let o = SqliteOptions::parse(options)?;
        let conn = rusqlite::Connection::open_with_flags(&o.path, o.flags).map_err(|e| {
            let mut err = map(e);
            err.kind = myrmex_abi::ErrorKind::CONNECTION;
            err.message = format!("cannot open SQLite database {}: {}", o.path, err.message).into();
            err
        })?;
        conn.busy_timeout(o.busy_timeout).map_err(map)?;
        conn.set_prepared_statement_cache_capacity(256);
        if o.foreign_keys {
            conn.execute_batch("PRAGMA foreign_keys = ON")
                .map_err(map)?;
        }
        if let Some(mode) = o.journal_mode {
            // `mode` comes from a fixed list, never from user text.
            conn.query_row(&format!("PRAGMA journal_mode = {mode}"), [], |_| Ok(()))
                .map_err(map)?;
        }
        if let Some(sync) = o.synchronous {
            conn.execute_batch(&format!("PRAGMA synchronous = {sync}"))
                .map_err(map)?;
        }
        Ok(SqliteConnection {
            cursor: None,
            stmts: StmtCache::default(),
            text: o.text,
            conn: Some(Box::new(conn)),
        })
    }

    /// The open connection, closing any open cursor first.
    fn conn(&mut self) -> Result<&rusqlite::Connection, PluginError> {
        self.cursor = None;
        self.conn.as_deref().ok_or_else(closed)
    }

    /// Closes any open cursor; true when `sql` holds nothing to run (only blanks, `;` and
    /// comments). SQLite prepares no statement for such text, so it is answered here: it
    /// affects nothing and returns no columns.
    fn blank(&mut self, sql: &str, params: usize) -> Result<bool, PluginError> {
        if !crate::blank::is_blank(sql, crate::blank::Dialect::Sqlite) {
            return Ok(false);
        }
        self.conn()?;
        crate::cursor::no_params(params)?;
        Ok(true)
    }

    fn simple(&mut self, sql: &str) -> RResult<(), PluginError> {
        guard(|| self.conn()?.execute_batch(sql).map_err(map))
    }
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn starts_with_keyword(sql: &str, kw: &str) -> bool {
    let s = sql.trim_start();
    s.len() >= kw.len() && s[..kw.len()].eq_ignore_ascii_case(kw)
}

impl Connection for SqliteConnection {
    fn execute(
        &mut self,
        sql: RStr<'_>,
        params: RSlice<'_, Value>,
    ) -> RResult<ExecResult, PluginError> {
        guard(|| {
            if self.blank(sql.as_str(), params.len())? {
                return Ok(ExecResult {
                    rows_affected: 0,
                    last_insert_id: myrmex_abi::ROption::RNone,
                });
            }
            let conn = self.conn()?;
            let mut stmt = conn.prepare_cached(sql.as_str()).map_err(map)?;
            if crate::cursor::is_empty(&stmt) {
                crate::cursor::no_params(params.len())?;
                return Ok(ExecResult {
                    rows_affected: 0,
                    last_insert_id: myrmex_abi::ROption::RNone,
                });
            }
            let bound = rusqlite::params_from_iter(params.iter().map(Bind));
            let rows_affected = if stmt.column_count() == 0 {
                stmt.execute(bound).map_err(map)? as u64
            } else {
                // A statement that returns rows (PRAGMA, INSERT … RETURNING): run it to the end.
                let mut rows = stmt.query(bound).map_err(map)?;
                while rows.next().map_err(map)?.is_some() {}
                drop(rows);
                conn.changes()
            };
            let is_insert = starts_with_keyword(sql.as_str(), "insert")
                || starts_with_keyword(sql.as_str(), "replace");
            let last_insert_id = if is_insert && rows_affected > 0 {
                myrmex_abi::ROption::RSome(conn.last_insert_rowid())
            } else {
                myrmex_abi::ROption::RNone
            };
            Ok(ExecResult {
                rows_affected,
                last_insert_id,
            })
        })
    }

    fn execute_batch(&mut self, sql: RStr<'_>) -> RResult<(), PluginError> {
        self.simple(sql.as_str())
    }

    fn query(
        &mut self,
        sql: RStr<'_>,
        params: RSlice<'_, Value>,
        batch_size: u32,
    ) -> RResult<QueryStart, PluginError> {
        guard(|| {
            if self.blank(sql.as_str(), params.len())? {
                return Ok(QueryStart {
                    columns: myrmex_abi::RArc::new(RVec::new()),
                    first: RowBatch {
                        values: RVec::new(),
                        done: true,
                    },
                });
            }
            self.cursor = None;
            let conn = self.conn.as_deref().ok_or_else(closed)?;
            // SAFETY: the connection is boxed (stable address) and owned by `self`; the cursor
            // lives in `self.cursor`, which every operation clears before it touches the
            // statement cache or the connection, and which is dropped first.
            let opened = unsafe {
                self.stmts
                    .open_cursor(conn, sql.as_str(), params.as_slice(), self.text)?
            };
            let Some(mut cursor) = opened else {
                return Ok(QueryStart {
                    columns: myrmex_abi::RArc::new(RVec::new()),
                    first: RowBatch {
                        values: RVec::new(),
                        done: true,
                    },
                });
            };
            let mut values = Vec::new();
            let done = cursor.read_batch(batch_size.max(1) as usize, &mut values)?;
            let columns = cursor.columns();
            if !done {
                self.cursor = Some(cursor);
            }
            Ok(QueryStart {
                columns,
                first: RowBatch {
                    values: values.into(),
                    done,
                },
            })
        })
    }

    fn fetch(&mut self, batch_size: u32) -> RResult<RowBatch, PluginError> {
        guard(|| {
            let Some(cursor) = self.cursor.as_mut() else {
                return Ok(RowBatch {
                    values: RVec::new(),
                    done: true,
                });
            };
            let mut values = Vec::new();
            let done = cursor.read_batch(batch_size.max(1) as usize, &mut values)?;
            if done {
                self.cursor = None;
            }
            Ok(RowBatch {
                values: values.into(),
                done,
            })
        })
    }

    fn close_cursor(&mut self) {
        myrmex_abi::guard_unit(|| self.cursor = None)
    }

    fn begin(&mut self) -> RResult<(), PluginError> {
        self.simple("BEGIN")
    }

    fn commit(&mut self) -> RResult<(), PluginError> {
        self.simple("COMMIT")
    }

    fn rollback(&mut self) -> RResult<(), PluginError> {
        self.simple("ROLLBACK")
    }

    fn savepoint(&mut self, name: RStr<'_>) -> RResult<(), PluginError> {
        self.simple(&format!("SAVEPOINT {}", quote_ident(name.as_str())))
    }

    fn release_savepoint(&mut self, name: RStr<'_>) -> RResult<(), PluginError> {
        self.simple(&format!("RELEASE SAVEPOINT {}", quote_ident(name.as_str())))
    }

    fn rollback_to_savepoint(&mut self, name: RStr<'_>) -> RResult<(), PluginError> {
        self.simple(&format!(
            "ROLLBACK TO SAVEPOINT {}",
            quote_ident(name.as_str())
        ))
    }

    fn in_transaction(&self) -> bool {
        self.conn.as_deref().is_some_and(|c| !c.is_autocommit())
    }

    fn tables(&mut self) -> RResult<RVec<TableRef>, PluginError> {
        guard(|| crate::introspect::tables(self.conn()?).map(Into::into))
    }

    fn describe(&mut self, schema: RStr<'_>, table: RStr<'_>) -> RResult<TableDetail, PluginError> {
        guard(|| crate::introspect::describe(self.conn()?, schema.as_str(), table.as_str()))
    }

    fn server_info(&mut self) -> RResult<ServerInfo, PluginError> {
        guard(|| {
            self.conn()?;
            Ok(ServerInfo {
                engine: "sqlite".into(),
                version: rusqlite::version().into(),
            })
        })
    }

    fn ping(&mut self) -> RResult<(), PluginError> {
        guard(|| {
            self.conn()?
                .query_row("SELECT 1", [], |_| Ok(()))
                .map_err(map)
        })
    }

    fn cancel_handle(&self) -> RResult<CancelHandleBox, PluginError> {
        guard(|| {
            let conn = self.conn.as_deref().ok_or_else(closed)?;
            Ok(CancelHandle_TO::from_value(
                Interrupt(conn.get_interrupt_handle()),
                TD_Opaque,
            ))
        })
    }

    fn close(&mut self) -> RResult<(), PluginError> {
        guard(|| {
            self.cursor = None;
            self.stmts.clear();
            match self.conn.take() {
                Some(conn) => (*conn).close().map_err(|(_, e)| map(e)),
                None => Ok(()),
            }
        })
    }
}

/// Cancels through `sqlite3_interrupt`.
struct Interrupt(rusqlite::InterruptHandle);

impl CancelHandle for Interrupt {
    fn cancel(&self) -> RResult<(), PluginError> {
        guard(|| {
            self.0.interrupt();
            Ok(())
        })
    }
}
