//! [`DatabaseConnection`]: one named connection through a driver plugin.

use crate::error::abbreviate;
use crate::plugin::{DriverEntry, Registry};
use crate::result::{receive, Columns, Store};
use crate::{ConnectParams, Error, Result, ResultSet, Secret};
use myrmex_abi::{
    CancelHandleBox, CatalogKind, ConnectionBox, DialectInfo, ErrorKind, ExecResult, LockAttempt,
    PluginError, RResult, RSlice, RStr, RVec, SchemaRequest, ServerInfo, TableDetail, TableRef,
    Value, ValueNE,
};
use std::fmt;
use std::sync::Arc;

/// Rows per batch when streaming.
pub const DEFAULT_BATCH_ROWS: u32 = 1000;

/// A named database connection: its [`ConnectParams`] and, once [`connect`]ed, the live
/// connection inside a driver plugin.
///
/// `Debug` and `Display` never show the password.
///
/// [`connect`]: DatabaseConnection::connect
pub struct DatabaseConnection {
    /// Name used in messages and by the manager.
    pub name: String,
    params: ConnectParams,
    live: Option<Live>,
}

struct Live {
    conn: ConnectionBox,
    /// The columns of the open cursor, to name a column in errors.
    cursor: Option<Columns>,
    /// The dialect, asked once per session.
    dialect: Option<DialectInfo>,
    /// Parameters as they cross the contract, reused from statement to statement.
    param_buf: Vec<ValueNE>,
    cancel: Option<CancelToken>,
    poisoned: bool,
    broken: bool,
    /// The server ended the session: every call fails at once until [`DatabaseConnection::reconnect`].
    closed: Option<Box<PluginError>>,
    /// The connection as statement hooks see it, made at the first hooked statement.
    hook_ids: Option<Arc<HookIds>>,
    // Keeps the driver (and so its library) referenced while the connection lives.
    _driver: Arc<DriverEntry>,
}

/// A connection's name, driver and URL as statement hooks see them.
struct HookIds {
    name: String,
    driver: String,
    url: String,
}

impl Clone for DatabaseConnection {
    /// Clones the name and parameters; the clone is not connected.
    fn clone(&self) -> Self {
        DatabaseConnection {
            name: self.name.clone(),
            params: self.params.clone(),
            live: None,
        }
    }
}

impl fmt::Debug for DatabaseConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseConnection")
            .field("name", &self.name)
            .field("params", &self.params)
            .field("connected", &self.is_connected())
            .finish()
    }
}

impl fmt::Display for DatabaseConnection {
    /// `name (url-without-password)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name, self.url())
    }
}

/// Cancels the statement running on a connection, from any thread.
#[derive(Clone)]
pub struct CancelToken(Arc<CancelHandleBox>);

impl CancelToken {
    /// Requests cancellation; harmless when nothing runs.
    pub fn cancel(&self) -> Result<(), PluginError> {
        self.0.cancel().into_result()
    }
}

impl fmt::Debug for CancelToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CancelToken")
    }
}

/// The rows of one batch of a cursor, made the host's.
#[derive(Debug, Clone, Default)]
pub struct Rows {
    /// The values, row-major.
    pub values: Vec<Value>,
    /// True when the cursor is exhausted (these may still be rows).
    pub done: bool,
}

impl DatabaseConnection {
    /// A connection named `name` with `params`, not yet connected.
    pub fn new(name: impl Into<String>, params: ConnectParams) -> Self {
        DatabaseConnection {
            name: name.into(),
            params,
            live: None,
        }
    }

    /// A connection named `name` from a URL, parsed by the driver that owns its scheme in
    /// the process-wide registry.
    pub fn from_url(name: impl Into<String>, url: &str) -> Result<Self> {
        Self::from_url_with(name, url, &Registry::global())
    }

    /// A connection named `name` from a URL, parsed by the driver of `registry` that owns its
    /// scheme.
    pub fn from_url_with(name: impl Into<String>, url: &str, registry: &Registry) -> Result<Self> {
        let options = registry.parse_url(url, std::path::Path::new(""))?;
        Ok(Self::new(name, ConnectParams::from_options(&options)))
    }

    /// The parameters.
    pub fn params(&self) -> &ConnectParams {
        &self.params
    }

    /// The parameters, to change before the next [`DatabaseConnection::connect`].
    pub fn params_mut(&mut self) -> &mut ConnectParams {
        &mut self.params
    }

    /// The driver's name (`sqlite`, `postgres`, …).
    pub fn db_type(&self) -> &str {
        &self.params.db_type
    }

    /// The name of the driver serving this connection (its capability name, `db_type`
    /// before it connects): the same whichever of the driver's URL schemes was used.
    pub fn driver_name(&self) -> &str {
        match &self.live {
            Some(live) => &live._driver.name,
            None => &self.params.db_type,
        }
    }

    /// Sets the password.
    pub fn set_password(&mut self, password: Secret) {
        self.params.set_password(password);
    }

    /// The URL of this connection with the password (and secret options) shown as `***`,
    /// written by its driver.
    pub fn url(&self) -> String {
        let options = self.params.to_options();
        let driver = match &self.live {
            Some(live) => Some(live._driver.clone()),
            // Showing a connection never loads plugins: the registry already in use, if any.
            None => Registry::loaded_global().and_then(|registry| {
                registry
                    .has_scheme(&self.params.db_type)
                    .then(|| registry.driver(&self.params.db_type).ok())
                    .flatten()
            }),
        };
        match driver {
            Some(d) => d.driver.display_url(&options).into(),
            None => myrmex_plugin::url::display(&options),
        }
    }

    /// Connects through the process-wide plugin registry ([`Registry::global`]).
    pub fn connect(&mut self) -> Result<()> {
        self.connect_with(&Registry::global())
    }

    /// Connects through `registry`. Reconnects if already connected.
    pub fn connect_with(&mut self, registry: &Registry) -> Result<()> {
        self.close()?;
        let driver = registry.driver(&self.params.db_type)?;
        self.connect_driver(driver)
    }

    /// Opens a new session with the same parameters and driver, after the server closed the
    /// old one (or at any time: an open transaction of the old session is lost). The old
    /// session is closed first, ignoring any error it gives.
    pub fn reconnect(&mut self) -> Result<()> {
        let driver = match self.live.take() {
            Some(mut live) => {
                if !live.poisoned && live.closed.is_none() {
                    let _ = live.conn.close();
                }
                live._driver.clone()
            }
            None => Registry::global().driver(&self.params.db_type)?,
        };
        self.connect_driver(driver)
    }

    /// A new session with the same name, parameters and driver as this connected one (a
    /// parallel worker's own connection).
    pub fn open_another(&self) -> Result<DatabaseConnection> {
        let driver = self.live_driver()?;
        let mut other = self.clone();
        other.connect_driver(driver)?;
        Ok(other)
    }

    /// A session to another database of the same server (`params`: a scratch database this
    /// connection made), through the same driver.
    pub(crate) fn open_sibling(
        &self,
        name: &str,
        params: ConnectParams,
    ) -> Result<DatabaseConnection> {
        let driver = self.live_driver()?;
        let mut other = DatabaseConnection::new(name, params);
        other.connect_driver(driver)?;
        Ok(other)
    }

    fn connect_driver(&mut self, driver: Arc<DriverEntry>) -> Result<()> {
        let conn = driver
            .driver
            .connect(&self.params.to_options())
            .into_result()
            .map_err(|source| Error::Database {
                connection: self.name.clone(),
                statement: None,
                source: Box::new(source),
            })?;
        let cancel = conn
            .cancel_handle()
            .into_result()
            .ok()
            .map(|h| CancelToken(Arc::new(h)));
        tracing::debug!(connection = %self.name, url = %self.url(), "connected");
        self.live = Some(Live {
            conn,
            cursor: None,
            dialect: None,
            param_buf: Vec::new(),
            cancel,
            poisoned: false,
            broken: false,
            closed: None,
            hook_ids: None,
            _driver: driver,
        });
        Ok(())
    }

    /// True once connected (and not closed).
    pub fn is_connected(&self) -> bool {
        self.live.is_some()
    }

    /// True when the server ended this connection's session (see [`DatabaseConnection::reconnect`]).
    pub fn is_closed_by_server(&self) -> bool {
        self.live.as_ref().is_some_and(|l| l.closed.is_some())
    }

    /// True when the connection must not be reused: closed, lost, or its plugin panicked.
    pub fn is_broken(&self) -> bool {
        self.live.as_ref().is_none_or(|l| l.poisoned || l.broken)
    }

    /// The live session, when it may be called: connected, not poisoned by a panic, not
    /// closed by the server.
    fn usable<'a>(live: Option<&'a mut Live>, name: &str) -> Result<&'a mut Live> {
        let live = live.ok_or_else(|| Error::NotConnected {
            connection: name.to_string(),
        })?;
        if live.poisoned {
            return Err(Error::Poisoned {
                connection: name.to_string(),
            });
        }
        if let Some(source) = &live.closed {
            return Err(Error::Closed {
                connection: name.to_string(),
                source: source.clone(),
            });
        }
        Ok(live)
    }

    /// Runs one plugin call, attaching the connection name and statement to any error.
    pub(crate) fn call<T>(
        &mut self,
        sql: Option<&str>,
        f: impl FnOnce(&mut ConnectionBox) -> RResult<T, PluginError>,
    ) -> Result<T> {
        let name = &self.name;
        let live = Self::usable(self.live.as_mut(), name)?;
        f(&mut live.conn).into_result().map_err(|source| {
            if source.kind == ErrorKind::PANIC {
                live.poisoned = true;
                tracing::error!(connection = %name, "{}", source.message);
            } else if source.kind == ErrorKind::CLOSED {
                let source = Box::new(source);
                live.closed = Some(source.clone());
                live.broken = true;
                return Error::Closed {
                    connection: name.clone(),
                    source,
                };
            } else if source.kind == ErrorKind::CONNECTION {
                live.broken = true;
            }
            Error::Database {
                connection: name.clone(),
                statement: sql.map(abbreviate),
                source: Box::new(source),
            }
        })
    }

    /// Runs a statement that returns no rows; `params` bind to the engine's placeholders.
    pub fn execute(&mut self, sql: &str, params: &[Value]) -> Result<ExecResult> {
        self.hooked(
            sql,
            params.len(),
            |r: &ExecResult| Some(r.rows_affected),
            |this| {
                this.with_params(params, |this, params| {
                    this.call(Some(sql), |c| {
                        c.execute(RStr::from_str(sql), RSlice::from_slice(params))
                    })
                })
            },
        )
    }

    /// Who this connection is, for hooks: made once per session (the URL is written by the
    /// driver), again only if the name changed.
    fn hook_ids(&mut self) -> Arc<HookIds> {
        if let Some(ids) = self.live.as_ref().and_then(|l| l.hook_ids.clone()) {
            if ids.name == self.name {
                return ids;
            }
        }
        let ids = Arc::new(HookIds {
            name: self.name.clone(),
            driver: self.driver_name().to_string(),
            url: self.url(),
        });
        if let Some(live) = self.live.as_mut() {
            live.hook_ids = Some(ids.clone());
        }
        ids
    }

    /// Runs `run` between the installed statement hooks, if any: a hook may refuse the
    /// statement before it is sent, and sees how it ended.
    fn hooked<T>(
        &mut self,
        sql: &str,
        params: usize,
        rows: impl FnOnce(&T) -> Option<u64>,
        run: impl FnOnce(&mut Self) -> Result<T>,
    ) -> Result<T> {
        let Some(hooks) = crate::hook::installed() else {
            return run(self);
        };
        let ids = self.hook_ids();
        let event = crate::hook::StatementEvent {
            connection: &ids.name,
            driver: &ids.driver,
            url: &ids.url,
            sql,
            params,
            prechecked: crate::hook::is_prechecked(),
        };
        let refused = hooks.iter().find_map(|hook| hook.before(&event).err());
        if let Some(refusal) = refused {
            // A refused statement is an event too: the log records that it was refused.
            let outcome = crate::hook::StatementOutcome {
                duration: std::time::Duration::ZERO,
                rows: None,
                error: Some(&refusal),
            };
            for hook in hooks.iter() {
                hook.after(&event, &outcome);
            }
            return Err(refusal);
        }
        let started = std::time::Instant::now();
        let out = run(self);
        let duration = started.elapsed();
        let outcome = crate::hook::StatementOutcome {
            duration,
            rows: out.as_ref().ok().and_then(rows),
            error: out.as_ref().err(),
        };
        for hook in hooks.iter() {
            hook.after(&event, &outcome);
        }
        out
    }

    /// Runs `f` with `params` as they cross the contract, in a buffer the connection keeps
    /// (a point query then allocates nothing for its parameters).
    fn with_params<T>(
        &mut self,
        params: &[Value],
        f: impl FnOnce(&mut Self, &[ValueNE]) -> Result<T>,
    ) -> Result<T> {
        if params.is_empty() {
            return f(self, &[]);
        }
        let mut buf = self
            .live
            .as_mut()
            .map(|l| std::mem::take(&mut l.param_buf))
            .unwrap_or_default();
        buf.extend(params.iter().cloned().map(ValueNE::from));
        let out = f(self, &buf);
        buf.clear();
        if let Some(live) = self.live.as_mut() {
            live.param_buf = buf;
        }
        out
    }

    /// Runs a script of several statements (no parameters).
    pub fn execute_batch(&mut self, sql: &str) -> Result<()> {
        self.hooked(
            sql,
            0,
            |_| None,
            |this| this.call(Some(sql), |c| c.execute_batch(RStr::from_str(sql))),
        )
    }

    /// Runs a query and reads every row. For large results use
    /// [`DatabaseConnection::query_stream`].
    pub fn execute_query(&mut self, sql: &str, params: &[Value]) -> Result<ResultSet> {
        let (columns, first, done) = self.query_raw(sql, params, DEFAULT_BATCH_ROWS)?;
        let first = receive(first, &columns, &self.name)?;
        if done {
            return Ok(ResultSet {
                columns,
                values: Store::Received(first),
            });
        }
        let mut values = first.into_vec();
        loop {
            let batch = self.fetch(DEFAULT_BATCH_ROWS)?;
            values.extend(batch.values);
            if batch.done {
                break;
            }
        }
        Ok(ResultSet {
            columns,
            values: Store::Owned(values),
        })
    }

    /// Runs a query; the columns, the first batch as it crossed the contract, and whether the
    /// cursor is done.
    fn query_raw(
        &mut self,
        sql: &str,
        params: &[Value],
        batch_rows: u32,
    ) -> Result<(Columns, RVec<ValueNE>, bool)> {
        let start = self.hooked(
            sql,
            params.len(),
            |_| None,
            |this| {
                this.with_params(params, |this, params| {
                    this.call(Some(sql), |c| {
                        c.query(RStr::from_str(sql), RSlice::from_slice(params), batch_rows)
                    })
                })
            },
        )?;
        let columns = Columns::new(start.columns);
        let done = start.first.done;
        if let Some(live) = self.live.as_mut() {
            live.cursor = (!done).then(|| columns.clone());
        }
        Ok((columns, start.first.values, done))
    }

    /// Starts a query and returns its columns and first batch: the low-level cursor protocol
    /// behind [`DatabaseConnection::query_stream`]. Follow with [`DatabaseConnection::fetch`]
    /// until a batch says `done`, or [`DatabaseConnection::close_cursor`].
    pub fn query_start(
        &mut self,
        sql: &str,
        params: &[Value],
        batch_rows: u32,
    ) -> Result<(Columns, Rows)> {
        let (columns, values, done) = self.query_raw(sql, params, batch_rows)?;
        let values = receive(values, &columns, &self.name)?.into_vec();
        Ok((columns, Rows { values, done }))
    }

    /// The next batch of the open cursor.
    pub fn fetch(&mut self, batch_rows: u32) -> Result<Rows> {
        let batch = self.call(None, |c| c.fetch(batch_rows))?;
        let columns = self.live.as_mut().and_then(|l| {
            if batch.done {
                l.cursor.take()
            } else {
                l.cursor.clone()
            }
        });
        let values =
            receive(batch.values, columns.as_deref().unwrap_or(&[]), &self.name)?.into_vec();
        Ok(Rows {
            values,
            done: batch.done,
        })
    }

    /// Closes the open cursor, if any.
    pub fn close_cursor(&mut self) {
        if let Some(live) = self.live.as_mut().filter(|l| !l.poisoned) {
            live.cursor = None;
            live.conn.close_cursor();
        }
    }

    /// Runs a query and streams its rows in batches, in bounded memory.
    pub fn query_stream(&mut self, sql: &str, params: &[Value]) -> Result<RowStream<'_>> {
        let (columns, first) = self.query_start(sql, params, DEFAULT_BATCH_ROWS)?;
        Ok(RowStream {
            done: first.done,
            batch: first.values,
            pos: 0,
            columns,
            conn: self,
        })
    }

    /// Starts a transaction. Prefer [`DatabaseConnection::transaction`], which rolls back
    /// when dropped.
    pub fn begin(&mut self) -> Result<()> {
        // Through the hooks, so the statement log shows where transactions end.
        self.hooked(
            "BEGIN",
            0,
            |_| None,
            |this| this.call(Some("BEGIN"), |c| c.begin()),
        )
    }

    /// Starts the transaction a migration runs in: the driver takes the engine's write lock
    /// at once where it has one, and prepares what `script` needs around it.
    pub fn begin_exclusive(&mut self, script: &str) -> Result<()> {
        self.call(Some("BEGIN"), |c| c.begin_exclusive(RStr::from_str(script)))
    }

    /// Commits.
    pub fn commit(&mut self) -> Result<()> {
        // Through the hooks, so the statement log shows where transactions end.
        self.hooked(
            "COMMIT",
            0,
            |_| None,
            |this| this.call(Some("COMMIT"), |c| c.commit()),
        )
    }

    /// Rolls back.
    pub fn rollback(&mut self) -> Result<()> {
        // Through the hooks, so the statement log shows where transactions end.
        self.hooked(
            "ROLLBACK",
            0,
            |_| None,
            |this| this.call(Some("ROLLBACK"), |c| c.rollback()),
        )
    }

    /// True inside a transaction.
    pub fn in_transaction(&self) -> bool {
        self.live
            .as_ref()
            .is_some_and(|l| !l.poisoned && l.conn.in_transaction())
    }

    /// Begins a transaction that rolls back when dropped unless committed.
    ///
    /// ```no_run
    /// # fn demo(db: &mut myrmex_core::DatabaseConnection) -> myrmex_core::Result<()> {
    /// let mut tx = db.transaction()?;
    /// tx.execute("UPDATE t SET n = n + 1", &[])?;
    /// tx.commit()?;
    /// # Ok(()) }
    /// ```
    pub fn transaction(&mut self) -> Result<crate::Transaction<'_>> {
        crate::Transaction::begin(self)
    }

    /// Creates a savepoint.
    pub fn savepoint(&mut self, name: &str) -> Result<()> {
        self.call(Some("SAVEPOINT"), |c| c.savepoint(RStr::from_str(name)))
    }

    /// Releases a savepoint.
    pub fn release_savepoint(&mut self, name: &str) -> Result<()> {
        self.call(Some("RELEASE SAVEPOINT"), |c| {
            c.release_savepoint(RStr::from_str(name))
        })
    }

    /// Rolls back to a savepoint.
    pub fn rollback_to_savepoint(&mut self, name: &str) -> Result<()> {
        self.call(Some("ROLLBACK TO SAVEPOINT"), |c| {
            c.rollback_to_savepoint(RStr::from_str(name))
        })
    }

    /// Tables and views.
    pub fn tables(&mut self) -> Result<Vec<TableRef>> {
        self.call(None, |c| c.tables()).map(RVec::into_vec)
    }

    /// Describes a table; `table` may be qualified as `schema.table`.
    pub fn describe(&mut self, table: &str) -> Result<TableDetail> {
        let (schema, name) = match table.split_once('.') {
            Some((s, t)) if !s.is_empty() && !t.is_empty() => (s, t),
            _ => ("", table),
        };
        self.call(None, |c| {
            c.describe(RStr::from_str(schema), RStr::from_str(name))
        })
    }

    /// Engine and version.
    pub fn server_info(&mut self) -> Result<ServerInfo> {
        self.call(None, |c| c.server_info())
    }

    /// The SQL dialect of this connection, as its driver describes it (asked once per
    /// session).
    pub fn dialect(&mut self) -> Result<DialectInfo> {
        if let Some(d) = self.live.as_ref().and_then(|l| l.dialect.clone()) {
            return Ok(d);
        }
        let d = self.call(None, |c| c.dialect())?;
        if let Some(live) = self.live.as_mut() {
            live.dialect = Some(d.clone());
        }
        Ok(d)
    }

    /// Lends the connection as it crosses the contract to `f` (an audit rule set queries
    /// through it). What `f` returns is the other plugin's answer, for the caller to
    /// attribute: a panic there does not poison this connection (the driver's own guard
    /// poisons it if the driver panicked).
    pub(crate) fn lend<T>(&mut self, f: impl FnOnce(&mut ConnectionBox) -> T) -> Result<T> {
        let live = Self::usable(self.live.as_mut(), &self.name)?;
        live.cursor = None;
        Ok(f(&mut live.conn))
    }

    /// The driver this connection was opened with (while connected).
    pub(crate) fn driver_entry(&self) -> Option<Arc<DriverEntry>> {
        self.live.as_ref().map(|l| l._driver.clone())
    }

    /// The driver of this connected session; not connected is an error naming it.
    fn live_driver(&self) -> Result<Arc<DriverEntry>> {
        self.driver_entry().ok_or_else(|| Error::NotConnected {
            connection: self.name.clone(),
        })
    }

    /// Reads the schema of `schemas` (empty: the current one) as the driver's document.
    pub(crate) fn schema_tree(&mut self, schemas: &[String]) -> Result<myrmex_abi::Tree> {
        let request = SchemaRequest {
            schemas: schemas.iter().map(|s| s.as_str().into()).collect(),
            extensions: RVec::new(),
        };
        self.call(None, |c| c.schema(&request))
    }

    /// Lists catalog objects of `kind` (databases, schemas, views, indexes, functions, roles,
    /// …) the engine's own way; `pattern` filters names with `*` and `?` (empty: all). A driver
    /// built before contract 2.1 answers "unsupported".
    pub fn catalog(&mut self, kind: CatalogKind, pattern: &str) -> Result<ResultSet> {
        let start = self.call(None, |c| c.catalog(kind, RStr::from_str(pattern)))?;
        let columns = Columns::new(start.columns);
        let values = receive(start.first.values, &columns, &self.name)?.into_vec();
        Ok(ResultSet {
            columns,
            values: Store::Owned(values),
        })
    }

    /// Tries once to take the named session lock.
    pub fn try_lock(&mut self, name: &str) -> Result<LockAttempt> {
        self.call(None, |c| c.try_lock(RStr::from_str(name)))
    }

    /// Releases a lock taken by [`DatabaseConnection::try_lock`].
    pub fn unlock(&mut self, name: &str) -> Result<()> {
        self.call(None, |c| c.unlock(RStr::from_str(name)))
    }

    /// Creates an empty scratch database of the same engine and returns its parameters.
    pub fn create_scratch(&mut self) -> Result<ConnectParams> {
        let o = self.call(None, |c| c.create_scratch())?;
        let mut params = ConnectParams::from_options(&o);
        if !params.has_password() {
            params.set_password(self.params.password_secret());
        }
        Ok(params)
    }

    /// Drops a scratch database made by [`DatabaseConnection::create_scratch`].
    pub fn drop_scratch(&mut self, scratch: &ConnectParams) -> Result<()> {
        let o = scratch.to_options();
        self.call(None, |c| c.drop_scratch(&o))
    }

    /// The server's statistics now, as the driver reads them.
    pub fn metrics(&mut self) -> Result<crate::monitor::Snapshot> {
        self.call(None, |c| c.metrics())
            .map(crate::monitor::Snapshot::from_abi)
    }

    /// Tuning advice from the driver, for `request`'s workload and machine.
    pub fn advise(
        &mut self,
        request: &myrmex_abi::AdviceRequest,
    ) -> Result<Vec<crate::monitor::Recommendation>> {
        self.call(None, |c| c.advise(request)).map(|r| {
            r.into_iter()
                .map(crate::monitor::Recommendation::from_abi)
                .collect()
        })
    }

    /// Checks the connection is alive.
    pub fn ping(&mut self) -> Result<()> {
        self.call(Some("ping"), |c| c.ping())
    }

    /// A token that cancels the running statement from another thread.
    pub fn cancel_token(&self) -> Option<CancelToken> {
        self.live.as_ref().and_then(|l| l.cancel.clone())
    }

    /// Closes the connection (no-op when not connected).
    pub fn close(&mut self) -> Result<()> {
        match self.live.take() {
            Some(mut live) if !live.poisoned && live.closed.is_none() => live
                .conn
                .close()
                .into_result()
                .map_err(|source| Error::Database {
                    connection: self.name.clone(),
                    statement: None,
                    source: Box::new(source),
                }),
            _ => Ok(()),
        }
    }
}

/// Rows of a query read batch by batch: memory stays bounded by one batch.
pub struct RowStream<'c> {
    conn: &'c mut DatabaseConnection,
    columns: Columns,
    batch: Vec<Value>,
    pos: usize,
    done: bool,
}

impl RowStream<'_> {
    /// The result columns.
    pub fn columns(&self) -> &[myrmex_abi::ColumnMeta] {
        &self.columns
    }

    /// The next row, or `None` at the end.
    pub fn next_row(&mut self) -> Result<Option<&[Value]>> {
        let width = self.columns.len();
        if width == 0 {
            return Ok(None);
        }
        while self.pos + width > self.batch.len() {
            if self.done {
                return Ok(None);
            }
            let next = self.conn.fetch(DEFAULT_BATCH_ROWS)?;
            self.batch = next.values;
            self.done = next.done;
            self.pos = 0;
        }
        let row = &self.batch[self.pos..self.pos + width];
        self.pos += width;
        Ok(Some(row))
    }
}

impl Drop for RowStream<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.conn.close_cursor();
        }
    }
}

impl Drop for DatabaseConnection {
    fn drop(&mut self) {
        if let Err(e) = self.close() {
            tracing::debug!("closing {} on drop: {e}", self.name);
        }
    }
}
