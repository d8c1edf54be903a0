//! [`MysqlConnection`]: one MySQL/MariaDB session.

use crate::cancel::MysqlCancel;
use crate::connect::connect;
use crate::cursor::{Cursor, Meta};
use crate::dialect::Server;
use crate::error::{closed, map, server_closed};
use crate::types::bind;
use crate::{describe, listing, lock, monitor, schema, scratch};
use myrmex_abi::{ROption, RVec};
use myrmex_plugin::blank::{self, Dialect};
use myrmex_plugin::monitor::{Advice, AdviceRequest, Snapshot};
use myrmex_plugin::schema::SchemaDefinition;
use myrmex_plugin::sql::{first_keyword, like_pattern, quote_ident, split_statements};
use myrmex_plugin::{
    Batch, CancelHandle, CatalogKind, ConnectOptions, Connection, DialectInfo, ErrorKind,
    ExecResult, LockAttempt, Params, PluginError, QueryStart, ServerInfo, TableDetail, TableRef,
    Value,
};
use mysql::prelude::Queryable;
use mysql::{Conn, Opts};
use std::collections::HashMap;
use std::time::Duration;

/// Prepared statements kept per session; the cache is emptied when it is full.
const STATEMENT_CACHE: usize = 256;

/// One MySQL/MariaDB session.
///
/// Field order matters: the cursor borrows the boxed connection and is dropped first.
pub struct MysqlConnection {
    cursor: Option<Cursor>,
    last: Option<Meta>,
    /// Prepared statements with their result metadata, by SQL text.
    stmts: HashMap<String, (mysql::Statement, Meta)>,
    in_tx: bool,
    /// What the session was opened with: a scratch database is reached the same way.
    options: ConnectOptions,
    /// The `mysql` options as negotiated, for the cancel connection.
    opts: Opts,
    connect_timeout: Duration,
    /// The server's version, read on first use.
    server: Option<Server>,
    /// Locks this session took, by the caller's name: the server-wide name they were taken
    /// under (it depends on the database current at the time).
    locks: HashMap<String, String>,
    /// Set once the server ended the session: every later call says so.
    gone: bool,
    conn: Option<Box<Conn>>,
}

/// True for statements whose generated id is worth reporting.
fn is_insert(sql: &str) -> bool {
    matches!(first_keyword(sql).as_str(), "INSERT" | "REPLACE")
}

/// The server's parameters, from the host's values.
fn params(values: Params<'_>) -> Result<mysql::Params, PluginError> {
    if values.is_empty() {
        return Ok(mysql::Params::Empty);
    }
    values
        .iter()
        .enumerate()
        .map(|(i, v)| v.and_then(|v| bind(v, i + 1)))
        .collect::<Result<Vec<_>, _>>()
        .map(mysql::Params::Positional)
}

/// "This command is not supported in the prepared statement protocol yet".
fn not_preparable(e: &PluginError) -> bool {
    e.code == ROption::RSome(1295)
}

impl MysqlConnection {
    /// Connects as `options` says; `ssl-mode=PREFERRED` falls back to plain when the server
    /// has no TLS.
    pub fn open(options: &ConnectOptions) -> Result<Self, PluginError> {
        let opened = connect(options)?;
        Ok(MysqlConnection {
            cursor: None,
            last: None,
            stmts: HashMap::new(),
            in_tx: false,
            options: options.clone(),
            opts: opened.opts,
            connect_timeout: opened.connect_timeout,
            server: None,
            locks: HashMap::new(),
            gone: false,
            conn: Some(Box::new(opened.conn)),
        })
    }

    /// The connection, once any open cursor is closed.
    fn conn(&mut self) -> Result<&mut Conn, PluginError> {
        self.cursor = None;
        if self.gone {
            return Err(server_closed());
        }
        self.conn.as_deref_mut().ok_or_else(closed)
    }

    /// Notes an error that ended the session, so later calls report it without touching the
    /// socket.
    fn watch<T>(&mut self, r: Result<T, PluginError>) -> Result<T, PluginError> {
        if let Err(e) = &r {
            if e.kind == ErrorKind::CLOSED {
                self.gone = true;
                self.cursor = None;
            }
        }
        r
    }

    /// Runs `f` on the connection, noting an error that ended the session.
    fn with<T>(
        &mut self,
        f: impl FnOnce(&mut Conn) -> Result<T, PluginError>,
    ) -> Result<T, PluginError> {
        let r = self.conn().and_then(f);
        self.watch(r)
    }

    /// The server's version and flavour, read once.
    fn server(&mut self) -> Result<Server, PluginError> {
        if self.gone {
            return Err(server_closed());
        }
        if self.conn.is_none() {
            return Err(closed());
        }
        // Answered from memory once read, so an open cursor stays open.
        if let Some(s) = &self.server {
            return Ok(s.clone());
        }
        let version: Option<String> =
            self.with(|c| c.query_first("SELECT VERSION()").map_err(map))?;
        let server = Server::from_version(&version.unwrap_or_default());
        self.server = Some(server.clone());
        Ok(server)
    }

    /// Closes any open cursor; true when `sql` holds nothing to run (only blanks, `;` and
    /// comments): such a statement affects nothing and returns no columns.
    fn blank(&mut self, sql: &str, params: usize) -> Result<bool, PluginError> {
        if !blank::is_blank(sql, Dialect::Mysql) {
            return Ok(false);
        }
        self.conn()?;
        if params > 0 {
            return Err(PluginError::invalid(format!(
                "statement takes 0 parameter(s), {params} given"
            )));
        }
        Ok(true)
    }

    /// The metadata of `cols`, the last result's when they are the same columns.
    fn meta(&mut self, cols: &[mysql::Column]) -> Meta {
        match &self.last {
            Some(m) if m.matches(cols) => m.clone(),
            _ => {
                let m = Meta::of(cols);
                self.last = Some(m.clone());
                m
            }
        }
    }

    /// Follows the transaction state through a statement that ran, and forgets prepared
    /// statements when DDL may have changed their results.
    fn track(&mut self, sql: &str) {
        let keyword = first_keyword(sql);
        match keyword.as_str() {
            "BEGIN" | "START" => self.in_tx = true,
            "COMMIT" | "ROLLBACK" => {
                let words: Vec<String> = sql
                    .split_whitespace()
                    .map(|w| w.to_ascii_uppercase())
                    .collect();
                // ROLLBACK TO SAVEPOINT keeps the transaction; so does COMMIT AND CHAIN.
                let chained = words.windows(2).any(|w| w[0] == "AND" && w[1] == "CHAIN");
                let to_savepoint = keyword == "ROLLBACK" && words.iter().any(|w| w == "TO");
                if !chained && !to_savepoint {
                    self.in_tx = false;
                }
            }
            // DDL commits an open transaction implicitly, and may change result shapes.
            "CREATE" | "ALTER" | "DROP" | "TRUNCATE" | "RENAME" => {
                self.in_tx = false;
                self.stmts.clear();
            }
            _ => {}
        }
    }

    fn run_execute(&mut self, sql: &str, values: Params<'_>) -> Result<ExecResult, PluginError> {
        if self.blank(sql, values.len())? {
            return Ok(ExecResult {
                rows_affected: 0,
                last_insert_id: ROption::RNone,
                extensions: RVec::new(),
            });
        }
        let p = params(values)?;
        let conn = self.conn()?;
        match conn.exec_drop(sql, p).map_err(map) {
            Err(e) if not_preparable(&e) && values.is_empty() => {
                conn.query_drop(sql).map_err(map)?
            }
            other => other?,
        }
        let rows_affected = conn.affected_rows();
        let id = conn.last_insert_id();
        self.track(sql);
        Ok(ExecResult {
            rows_affected,
            last_insert_id: match i64::try_from(id) {
                Ok(id) if id > 0 && is_insert(sql) => ROption::RSome(id),
                _ => ROption::RNone,
            },
            extensions: RVec::new(),
        })
    }

    fn run_batch(&mut self, sql: &str) -> Result<(), PluginError> {
        if self.blank(sql, 0)? {
            return Ok(());
        }
        // Walk every result set: an error in a later statement surfaces only there.
        let mut result = self.conn()?.query_iter(sql).map_err(map)?;
        while let Some(set) = result.iter() {
            for row in set {
                row.map_err(map)?;
            }
        }
        drop(result);
        for stmt in split_statements(sql) {
            self.track(&stmt);
        }
        Ok(())
    }

    /// The prepared statement for `sql` and its result metadata, from the cache or the
    /// server.
    fn prepare(
        &mut self,
        sql: &str,
        has_params: bool,
    ) -> Result<(mysql::Statement, Meta), PluginError> {
        if let Some(found) = self.stmts.get(sql) {
            return Ok(found.clone());
        }
        let stmt = match self.conn()?.prep(sql).map_err(map) {
            Ok(stmt) => stmt,
            Err(e) if not_preparable(&e) && !has_params => {
                return Err(PluginError::unsupported(format!(
                    "{} (run it with execute, or as a script with execute_batch)",
                    e.message
                )))
            }
            Err(e) => return Err(e),
        };
        let meta = Meta::of(&stmt.columns());
        if self.stmts.len() >= STATEMENT_CACHE {
            self.stmts.clear();
        }
        self.stmts
            .insert(sql.to_string(), (stmt.clone(), meta.clone()));
        Ok((stmt, meta))
    }

    fn run_query(
        &mut self,
        sql: &str,
        values: Params<'_>,
        batch_size: u32,
    ) -> Result<QueryStart, PluginError> {
        if self.blank(sql, values.len())? {
            return Ok(QueryStart {
                columns: Default::default(),
                first: Batch::default().finish(true),
            });
        }
        let p = params(values)?;
        let (stmt, cached) = self.prepare(sql, !values.is_empty())?;
        let conn: *mut Conn = self.conn()?;
        // SAFETY: the connection is boxed (stable address) and owned by `self`; the result
        // that borrows it lives in `self.cursor`, which every operation clears before
        // touching the connection, and which is dropped before it (field order).
        let conn: &'static mut Conn = unsafe { &mut *conn };
        let result = conn.exec_iter(&stmt, p).map_err(map)?;
        // The server re-prepares after schema changes made elsewhere; trust the result's
        // own columns when they differ from the statement's (a changed type, not only a
        // changed count, changes how values are read).
        let meta = if cached.matches(result.columns().as_ref()) {
            cached
        } else {
            self.meta(result.columns().as_ref())
        };
        let mut cursor = Cursor::new(result, meta);
        let mut out = Batch::default();
        let done = cursor.read_batch(batch_size.max(1) as usize, &mut out)?;
        let columns = cursor.meta.names.clone();
        if !done {
            self.cursor = Some(cursor);
        }
        self.track(sql);
        Ok(QueryStart {
            columns,
            first: out.finish(done),
        })
    }

    fn run_fetch(&mut self, batch_size: u32) -> Result<myrmex_plugin::RowBatch, PluginError> {
        let Some(cursor) = self.cursor.as_mut() else {
            return Ok(Batch::default().finish(true));
        };
        let mut out = Batch::with_capacity(batch_size as usize * cursor.meta.kinds.len());
        match cursor.read_batch(batch_size.max(1) as usize, &mut out) {
            Ok(done) => {
                if done {
                    self.cursor = None;
                }
                Ok(out.finish(done))
            }
            Err(e) => {
                self.cursor = None;
                Err(e)
            }
        }
    }
}

impl Connection for MysqlConnection {
    fn dialect(&mut self) -> Result<DialectInfo, PluginError> {
        Ok(self.server()?.dialect())
    }

    fn execute(&mut self, sql: &str, params: Params<'_>) -> Result<ExecResult, PluginError> {
        let r = self.run_execute(sql, params);
        self.watch(r)
    }

    fn execute_batch(&mut self, sql: &str) -> Result<(), PluginError> {
        let r = self.run_batch(sql);
        self.watch(r)
    }

    fn query(
        &mut self,
        sql: &str,
        params: Params<'_>,
        batch_size: u32,
    ) -> Result<QueryStart, PluginError> {
        let r = self.run_query(sql, params, batch_size);
        self.watch(r)
    }

    fn fetch(&mut self, batch_size: u32) -> Result<myrmex_plugin::RowBatch, PluginError> {
        let r = self.run_fetch(batch_size);
        self.watch(r)
    }

    fn close_cursor(&mut self) {
        self.cursor = None;
    }

    fn in_transaction(&self) -> bool {
        self.in_tx
    }

    fn server_info(&mut self) -> Result<ServerInfo, PluginError> {
        let server = self.server()?;
        Ok(ServerInfo {
            engine: server.engine().into(),
            version: server.version.into(),
            extensions: RVec::new(),
        })
    }

    fn quote(&self, name: &str) -> String {
        quote_ident(name, '`')
    }

    fn tables(&mut self) -> Result<Vec<TableRef>, PluginError> {
        self.with(describe::tables)
    }

    fn describe(&mut self, schema: &str, table: &str) -> Result<TableDetail, PluginError> {
        let mariadb = self.server()?.mariadb;
        self.with(|c| describe::describe(c, schema, table, mariadb))
    }

    fn schema(&mut self, schemas: &[String]) -> Result<SchemaDefinition, PluginError> {
        let mariadb = self.server()?.mariadb;
        self.with(|c| schema::read(c, schemas, mariadb))
    }

    fn try_lock(&mut self, name: &str) -> Result<LockAttempt, PluginError> {
        let full = match self.locks.get(name) {
            Some(full) => full.clone(),
            None => self.with(|c| lock::current_lock_name(c, name))?,
        };
        let attempt = self.with(|c| lock::try_lock(c, &full))?;
        if attempt.acquired {
            self.locks.insert(name.to_string(), full);
        }
        Ok(attempt)
    }

    fn unlock(&mut self, name: &str) -> Result<(), PluginError> {
        let full = match self.locks.get(name) {
            Some(full) => full.clone(),
            None => self.with(|c| lock::current_lock_name(c, name))?,
        };
        self.locks.remove(name);
        self.with(|c| lock::unlock(c, &full))
    }

    fn create_scratch(&mut self) -> Result<ConnectOptions, PluginError> {
        let name = scratch::new_name();
        self.execute_batch(&format!("CREATE DATABASE {}", self.quote(&name)))?;
        let mut options = self.options.clone();
        options.database = name.into();
        Ok(options)
    }

    fn drop_scratch(&mut self, options: &ConnectOptions) -> Result<(), PluginError> {
        let name = scratch::name_of(options)?;
        self.execute_batch(&format!("DROP DATABASE IF EXISTS {}", self.quote(name)))
    }

    fn ping(&mut self) -> Result<(), PluginError> {
        self.with(|c| c.query_drop("DO 1").map_err(map))
    }

    fn cancel_handle(&self) -> Result<Box<dyn CancelHandle>, PluginError> {
        let id = self.conn.as_deref().ok_or_else(closed)?.connection_id();
        Ok(Box::new(MysqlCancel {
            opts: self.opts.clone(),
            id,
            connect_timeout: self.connect_timeout,
        }))
    }

    fn close(&mut self) -> Result<(), PluginError> {
        self.cursor = None;
        self.conn = None;
        Ok(())
    }

    fn catalog(&mut self, kind: CatalogKind, pattern: &str) -> Result<QueryStart, PluginError> {
        let listing = listing::listing(kind, &self.server()?)?;
        if listing.needs_database {
            let current: Option<Option<String>> =
                self.with(|c| c.query_first("SELECT DATABASE()").map_err(map))?;
            if current.flatten().is_none() {
                return Err(listing::no_database(kind));
            }
        }
        let like = [Value::from(like_pattern(pattern))];
        // One batch as large as the listing: the caller reads only the first.
        self.query(&listing.sql, Params::from(&like[..]), u32::MAX)
            .map_err(|e| listing::explain(kind, e))
    }

    fn metrics(&mut self) -> Result<Snapshot, PluginError> {
        let server = self.server()?;
        self.with(|c| monitor::metrics(c, &server))
    }

    fn snapshot_export(&mut self) -> Result<String, PluginError> {
        // Writers wait on the global read lock while the other sessions open their
        // consistent-snapshot transactions; `snapshot_release` lets them go.
        self.execute_batch("FLUSH TABLES WITH READ LOCK")?;
        self.execute_batch("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")?;
        self.execute_batch("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")?;
        Ok("global-read-lock".into())
    }

    fn snapshot_import(&mut self, token: &str) -> Result<(), PluginError> {
        if token != "global-read-lock" {
            return Err(PluginError::new(
                myrmex_plugin::ErrorKind::INVALID_INPUT,
                "not a snapshot this driver exported",
            ));
        }
        self.execute_batch("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")?;
        self.execute_batch("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
    }

    fn snapshot_release(&mut self) -> Result<(), PluginError> {
        self.execute_batch("UNLOCK TABLES")
    }

    fn advise(&mut self, request: &AdviceRequest) -> Result<Vec<Advice>, PluginError> {
        let server = self.server()?;
        let in_tx = self.in_tx;
        self.with(|c| monitor::advise(c, &server, request, in_tx))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;
    use myrmex_plugin::{all_rows, Value};
    use std::time::Instant;

    #[test]
    fn transactions_and_savepoints_follow_the_state() {
        let mut c = testing::connect();
        c.execute_batch(
            "DROP TABLE IF EXISTS conn_tx_t; CREATE TABLE conn_tx_t (id INT PRIMARY KEY)",
        )
        .unwrap();
        assert!(!c.in_transaction());
        c.begin().unwrap();
        assert!(c.in_transaction());
        c.execute("INSERT INTO conn_tx_t VALUES (1)", Params::none())
            .unwrap();
        c.savepoint("before two").unwrap();
        c.execute("INSERT INTO conn_tx_t VALUES (2)", Params::none())
            .unwrap();
        c.rollback_to_savepoint("before two").unwrap();
        assert!(c.in_transaction(), "ROLLBACK TO keeps the transaction");
        c.release_savepoint("before two").unwrap();
        c.commit().unwrap();
        assert!(!c.in_transaction());
        let rows = all_rows(&mut c, "SELECT id FROM conn_tx_t", Params::none()).unwrap();
        assert_eq!(rows, vec![vec![Value::Int(1)]]);

        c.begin().unwrap();
        c.execute("INSERT INTO conn_tx_t VALUES (3)", Params::none())
            .unwrap();
        c.rollback().unwrap();
        assert!(!c.in_transaction());
        // A script's statements are followed one by one, quotes and comments included.
        c.execute_batch("START TRANSACTION; SELECT ';'; -- COMMIT;\n")
            .unwrap();
        assert!(c.in_transaction());
        c.execute_batch("DROP TABLE conn_tx_t").unwrap();
        assert!(!c.in_transaction(), "DDL commits implicitly");
    }

    #[test]
    fn rows_come_in_batches_and_blank_statements_run_nothing() {
        let mut c = testing::connect();
        let start = c
            .query(
                "SELECT n, CAST(n AS CHAR) FROM (SELECT 1 AS n UNION ALL SELECT 2 UNION ALL \
                 SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5) t WHERE n > ?",
                Params::from(&[Value::Int(0)]),
                2,
            )
            .unwrap();
        assert_eq!(start.columns.len(), 2);
        assert_eq!((start.first.values.len(), start.first.done), (4, false));
        let next = c.fetch(10).unwrap();
        assert_eq!((next.values.len(), next.done), (6, true));

        let blank = c.query("  -- nothing\n;", Params::none(), 10).unwrap();
        assert!(blank.columns.is_empty() && blank.first.done);
        let e = c
            .execute("/* x */", Params::from(&[Value::Int(1)]))
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::INVALID_INPUT);

        let e = c
            .execute("SELECT ?", Params::from(&[Value::Float(f64::NAN)]))
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::TYPE);
    }

    #[test]
    fn inserts_report_their_id() {
        let mut c = testing::connect();
        c.execute_batch(
            "DROP TABLE IF EXISTS conn_id_t; \
             CREATE TABLE conn_id_t (id INT AUTO_INCREMENT PRIMARY KEY, v INT)",
        )
        .unwrap();
        let r = c
            .execute(
                "/* why */ INSERT INTO conn_id_t (v) VALUES (?)",
                Params::from(&[Value::Int(7)]),
            )
            .unwrap();
        assert_eq!((r.rows_affected, r.last_insert_id), (1, ROption::RSome(1)));
        let r = c
            .execute("UPDATE conn_id_t SET v = 8", Params::none())
            .unwrap();
        assert_eq!(r.last_insert_id, ROption::RNone);
        c.execute_batch("DROP TABLE conn_id_t").unwrap();
    }

    #[test]
    fn a_running_statement_can_be_cancelled() {
        let mut c = testing::connect();
        let handle = c.cancel_handle().unwrap();
        let canceller = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            handle.cancel()
        });
        let started = Instant::now();
        // SLEEP() interrupted answers 1 instead of failing; either way it stops early.
        let r = all_rows(&mut c, "SELECT SLEEP(20)", Params::none());
        assert!(started.elapsed() < Duration::from_secs(10));
        match r {
            Ok(rows) => assert_eq!(rows, vec![vec![Value::Int(1)]]),
            Err(e) => assert_eq!(e.kind, ErrorKind::CANCELLED, "{e}"),
        }
        canceller.join().unwrap().unwrap();
        c.ping().unwrap();
        c.close().unwrap();
        assert!(c.ping().is_err());
        assert!(c.server_info().is_err());
    }
}
