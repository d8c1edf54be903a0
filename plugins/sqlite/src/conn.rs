//! [`SqliteConnection`]: one SQLite database, its statements, cursor, locks and migration
//! transaction.

use crate::cursor::{Cursor, StmtCache};
use crate::error::{closed, map, map_sql};
use crate::exclusive::Exclusive;
use crate::lock::SessionLock;
use crate::options::SqliteOptions;
use crate::types::TextMode;
use myrmex_abi::{RArc, ROption, RVec};
use myrmex_plugin::monitor::{Advice, AdviceRequest, Snapshot};
use myrmex_plugin::schema::SchemaDefinition;
use myrmex_plugin::{
    Batch, CancelHandle, CatalogKind, ConnectOptions, Connection, DialectInfo, ErrorKind,
    ExecResult, LockAttempt, Params, PluginError, QueryStart, RowBatch, ServerInfo, TableDetail,
    TableRef,
};

type Result<T> = std::result::Result<T, PluginError>;

/// One SQLite connection and its open cursor.
///
/// Field order matters: the cursor points into the statement cache, whose statements borrow
/// the boxed connection, so they are dropped in this order.
pub struct SqliteConnection {
    cursor: Option<Cursor>,
    stmts: StmtCache,
    text: TextMode,
    /// The options it was opened with: a scratch database copies them.
    options: ConnectOptions,
    /// The database file, or `:memory:`: it names the lock file.
    path: String,
    lock: SessionLock,
    exclusive: Exclusive,
    conn: Option<Box<rusqlite::Connection>>,
}

// SAFETY: a `rusqlite::Connection` is `Send`; the cursor's statement and rows point into that
// connection only and always move together with it, and the contract gives one thread at a
// time access to a connection (`&mut self`), which SQLite's multi-thread mode permits.
unsafe impl Send for SqliteConnection {}

impl SqliteConnection {
    /// Opens the database named by `options`.
    pub fn open(options: &ConnectOptions) -> Result<Self> {
        let o = SqliteOptions::parse(options)?;
        let conn = rusqlite::Connection::open_with_flags(&o.path, o.flags).map_err(|e| {
            let mut err = map(e);
            err.kind = ErrorKind::CONNECTION;
            err.message = format!("cannot open SQLite database {}: {}", o.path, err.message).into();
            err
        })?;
        conn.busy_timeout(o.busy_timeout).map_err(map)?;
        // Set either way: the bundled SQLite enforces foreign keys by default, so `off`
        // must say so.
        conn.execute_batch(if o.foreign_keys {
            "PRAGMA foreign_keys = ON"
        } else {
            "PRAGMA foreign_keys = OFF"
        })
        .map_err(map)?;
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
            options: options.clone(),
            path: o.path,
            lock: SessionLock::default(),
            exclusive: Exclusive::default(),
            conn: Some(Box::new(conn)),
        })
    }

    /// The open connection, closing any open cursor first.
    fn conn(&mut self) -> Result<&rusqlite::Connection> {
        self.cursor = None;
        self.conn.as_deref().ok_or_else(closed)
    }

    /// Closes any open cursor; true when `sql` holds nothing to run (only blanks, `;` and
    /// comments). SQLite prepares no statement for such text, so it is answered here: it
    /// affects nothing and returns no columns.
    fn blank(&mut self, sql: &str, params: usize) -> Result<bool> {
        if !myrmex_plugin::blank::is_blank(sql, myrmex_plugin::blank::Dialect::Sqlite) {
            return Ok(false);
        }
        self.conn()?;
        crate::cursor::no_params(params)?;
        Ok(true)
    }
}

fn nothing_run() -> ExecResult {
    ExecResult {
        rows_affected: 0,
        last_insert_id: ROption::RNone,
        extensions: Default::default(),
    }
}

fn no_rows() -> QueryStart {
    QueryStart {
        columns: RArc::new(RVec::new()),
        first: Batch::default().finish(true),
    }
}

impl Connection for SqliteConnection {
    fn dialect(&mut self) -> Result<DialectInfo> {
        self.conn()?;
        Ok(crate::dialect::info())
    }

    fn execute(&mut self, sql: &str, params: Params<'_>) -> Result<ExecResult> {
        if self.blank(sql, params.len())? {
            return Ok(nothing_run());
        }
        self.cursor = None;
        let conn = self.conn.as_deref().ok_or_else(closed)?;
        // SAFETY: the connection is boxed (stable address) and owned by `self`, and no
        // cursor is open (cleared above).
        let Some(rows_affected) = (unsafe { self.stmts.execute(conn, sql, params)? }) else {
            return Ok(nothing_run());
        };
        let inserts = matches!(
            myrmex_plugin::sql::first_keyword(sql).as_str(),
            "INSERT" | "REPLACE"
        );
        let last_insert_id = if inserts && rows_affected > 0 {
            ROption::RSome(conn.last_insert_rowid())
        } else {
            ROption::RNone
        };
        Ok(ExecResult {
            rows_affected,
            last_insert_id,
            extensions: Default::default(),
        })
    }

    fn execute_batch(&mut self, sql: &str) -> Result<()> {
        self.conn()?.execute_batch(sql).map_err(|e| map_sql(e, sql))
    }

    fn query(&mut self, sql: &str, params: Params<'_>, batch_size: u32) -> Result<QueryStart> {
        if self.blank(sql, params.len())? {
            return Ok(no_rows());
        }
        self.cursor = None;
        let conn = self.conn.as_deref().ok_or_else(closed)?;
        // SAFETY: the connection is boxed (stable address) and owned by `self`; the cursor
        // lives in `self.cursor`, which every operation clears before it touches the
        // statement cache or the connection, and which is dropped first.
        let opened = unsafe { self.stmts.open_cursor(conn, sql, params, self.text)? };
        let Some(mut cursor) = opened else {
            return Ok(no_rows());
        };
        let mut batch = Batch::default();
        let done = cursor.read_batch(batch_size.max(1) as usize, &mut batch)?;
        let columns = cursor.columns();
        if !done {
            self.cursor = Some(cursor);
        }
        Ok(QueryStart {
            columns,
            first: batch.finish(done),
        })
    }

    fn fetch(&mut self, batch_size: u32) -> Result<RowBatch> {
        let mut batch = Batch::default();
        let Some(cursor) = self.cursor.as_mut() else {
            return Ok(batch.finish(true));
        };
        let done = cursor.read_batch(batch_size.max(1) as usize, &mut batch)?;
        if done {
            self.cursor = None;
        }
        Ok(batch.finish(done))
    }

    fn close_cursor(&mut self) {
        self.cursor = None;
    }

    fn in_transaction(&self) -> bool {
        self.conn.as_deref().is_some_and(|c| !c.is_autocommit())
    }

    fn server_info(&mut self) -> Result<ServerInfo> {
        self.conn()?;
        Ok(ServerInfo {
            engine: "sqlite".into(),
            version: rusqlite::version().into(),
            extensions: Default::default(),
        })
    }

    fn begin_exclusive(&mut self, script: &str) -> Result<()> {
        self.cursor = None;
        let conn = self.conn.as_deref().ok_or_else(closed)?;
        self.exclusive.begin(conn, script)
    }

    fn commit(&mut self) -> Result<()> {
        self.cursor = None;
        let conn = self.conn.as_deref().ok_or_else(closed)?;
        self.exclusive.check(conn)?;
        let committed = conn
            .execute_batch("COMMIT")
            .map_err(|e| map_sql(e, "COMMIT"));
        // A failed COMMIT may leave the transaction open; `restore` waits for its end.
        let restored = self.exclusive.restore(conn);
        committed.and(restored)
    }

    fn rollback(&mut self) -> Result<()> {
        self.cursor = None;
        let conn = self.conn.as_deref().ok_or_else(closed)?;
        let rolled_back = conn
            .execute_batch("ROLLBACK")
            .map_err(|e| map_sql(e, "ROLLBACK"));
        let restored = self.exclusive.restore(conn);
        rolled_back.and(restored)
    }

    fn tables(&mut self) -> Result<Vec<TableRef>> {
        crate::introspect::tables(self.conn()?)
    }

    fn describe(&mut self, schema: &str, table: &str) -> Result<TableDetail> {
        crate::introspect::describe(self.conn()?, schema, table)
    }

    fn schema(&mut self, schemas: &[String]) -> Result<SchemaDefinition> {
        crate::schema::read(self.conn()?, schemas)
    }

    fn catalog(&mut self, kind: CatalogKind, pattern: &str) -> Result<QueryStart> {
        crate::listing::list(self.conn()?, kind, pattern)
    }

    fn metrics(&mut self) -> Result<Snapshot> {
        crate::monitor::metrics(self.conn()?)
    }

    fn snapshot_export(&mut self) -> Result<String> {
        // One read transaction: its snapshot starts at the first read, taken here. SQLite
        // cannot hand it to another connection, so the token is empty.
        self.cursor = None;
        let conn = self.conn.as_deref().ok_or_else(closed)?;
        conn.execute_batch("BEGIN")
            .map_err(|e| map_sql(e, "BEGIN"))?;
        conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
            r.get::<_, i64>(0)
        })
        .map_err(|e| map_sql(e, "SELECT count(*) FROM sqlite_master"))?;
        Ok(String::new())
    }

    fn snapshot_release(&mut self) -> Result<()> {
        Ok(())
    }

    fn advise(&mut self, request: &AdviceRequest) -> Result<Vec<Advice>> {
        crate::monitor::advise(self.conn()?, request)
    }

    /// Loads through the kit's prepared multi-row `INSERT`s in one transaction, with
    /// foreign keys checked at the commit rather than row by row
    /// (`PRAGMA defer_foreign_keys`, which ends with the transaction): rows of a table that
    /// refer to each other load in any order.
    fn copy_in_start(&mut self, request: &myrmex_plugin::bulk::CopyInRequest) -> Result<bool> {
        let _ = request;
        self.execute_batch("PRAGMA defer_foreign_keys = ON")?;
        Ok(false)
    }

    fn try_lock(&mut self, name: &str) -> Result<LockAttempt> {
        self.conn()?;
        self.lock.try_lock(&self.path, name)
    }

    fn unlock(&mut self, name: &str) -> Result<()> {
        self.conn()?;
        self.lock.unlock(&self.path, name)
    }

    fn create_scratch(&mut self) -> Result<ConnectOptions> {
        self.conn()?;
        crate::scratch::create(&self.options)
    }

    fn drop_scratch(&mut self, options: &ConnectOptions) -> Result<()> {
        self.conn()?;
        crate::scratch::drop(options)
    }

    fn cancel_handle(&self) -> Result<Box<dyn CancelHandle>> {
        let conn = self.conn.as_deref().ok_or_else(closed)?;
        Ok(Box::new(Interrupt(conn.get_interrupt_handle())))
    }

    fn close(&mut self) -> Result<()> {
        self.cursor = None;
        self.stmts.clear();
        // Dropping the lock file releases the session's locks, as the end of the process
        // would.
        self.lock = SessionLock::default();
        match self.conn.take() {
            Some(conn) => (*conn).close().map_err(|(_, e)| map(e)),
            None => Ok(()),
        }
    }
}

/// Cancels through `sqlite3_interrupt`.
struct Interrupt(rusqlite::InterruptHandle);

impl CancelHandle for Interrupt {
    fn cancel(&self) -> Result<()> {
        self.0.interrupt();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::driver::SqliteDriver;
    use myrmex_plugin::{all_rows, Connection, Driver, ErrorKind, Params, Value};

    #[test]
    fn statements_cursors_and_savepoints() {
        let mut c = SqliteDriver
            .connect(&crate::testing::options(":memory:", &[]))
            .unwrap();
        c.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
            .unwrap();
        let r = c
            .execute(
                "INSERT INTO t (v) VALUES (?)",
                Params::from(&[Value::from("a")]),
            )
            .unwrap();
        assert_eq!(
            (r.rows_affected, r.last_insert_id.into_option()),
            (1, Some(1))
        );
        let r = c
            .execute(
                "/* note */ INSERT INTO t (v) VALUES ('b'), ('c') RETURNING id",
                Params::none(),
            )
            .unwrap();
        assert_eq!(
            (r.rows_affected, r.last_insert_id.into_option()),
            (2, Some(3))
        );
        assert_eq!(
            c.execute("-- nothing", Params::none())
                .unwrap()
                .rows_affected,
            0
        );

        let start = c
            .query("SELECT id, v FROM t ORDER BY id", Params::none(), 2)
            .unwrap();
        assert_eq!(start.columns.len(), 2);
        assert_eq!((start.first.values.len(), start.first.done), (4, false));
        let rest = c.fetch(10).unwrap();
        assert_eq!((rest.values.len(), rest.done), (2, true));

        c.begin().unwrap();
        assert!(c.in_transaction());
        c.savepoint("s 1").unwrap();
        c.execute_batch("DELETE FROM t").unwrap();
        c.rollback_to_savepoint("s 1").unwrap();
        c.release_savepoint("s 1").unwrap();
        c.commit().unwrap();
        assert!(!c.in_transaction());
        let n = all_rows(&mut c, "SELECT count(*) FROM t", Params::none()).unwrap();
        assert_eq!(n, [[Value::Int(3)]]);
        c.ping().unwrap();
        assert_eq!(c.server_info().unwrap().engine.as_str(), "sqlite");
    }

    #[test]
    fn unbindable_values_are_type_errors() {
        let mut c = SqliteDriver
            .connect(&crate::testing::options(":memory:", &[]))
            .unwrap();
        let e = c
            .execute("SELECT ?", Params::from(&[Value::Float(f64::NAN)]))
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::TYPE, "{e}");
        let e = c
            .query(
                "SELECT ?",
                Params::from(&[Value::Decimal("1234567890.1234567".into())]),
                1,
            )
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::TYPE, "{e}");
    }
}
