//! [`DatabaseConnection`]: one named connection through a driver plugin.

use crate::error::abbreviate;
use crate::plugin::{DriverEntry, Registry};
use crate::{Error, Result, ResultSet, Secret};
use myrmex_abi::{
    CancelHandleBox, ColumnMeta, ConnectOptions, ConnectionBox, ErrorKind, ExecResult, PluginError,
    RArc, RResult, RSlice, RStr, RVec, RowBatch, ServerInfo, TableDetail, TableRef, Tuple2, Value,
};
use std::fmt;
use std::sync::Arc;

/// Rows per batch when streaming.
pub const DEFAULT_BATCH_ROWS: u32 = 1000;

/// A database connection: its parameters (the seed's fields) and, once [`connect`]ed, the
/// live connection inside a driver plugin.
///
/// `Debug` and `Display` never show the password.
///
/// [`connect`]: DatabaseConnection::connect
pub struct DatabaseConnection {
    /// Name used in messages and by the manager.
    pub name: String,
    /// Engine: `sqlite`, `postgres`, `mysql` (or any scheme a loaded driver accepts).
    pub db_type: String,
    /// Host; empty for SQLite.
    pub host: String,
    /// Port; `None` for the engine default.
    pub port: Option<u16>,
    /// Database name; the file path for SQLite.
    pub database: String,
    /// User name.
    pub user: String,
    password: Secret,
    /// Further options (`sslmode`, `busy_timeout`, …).
    pub options: Vec<(String, String)>,
    live: Option<Live>,
}

struct Live {
    conn: ConnectionBox,
    cancel: Option<CancelToken>,
    poisoned: bool,
    broken: bool,
    /// The server ended the session: every call fails at once until [`DatabaseConnection::reconnect`].
    closed: Option<Box<PluginError>>,
    // Keeps the driver (and so its library) referenced while the connection lives.
    _driver: Arc<DriverEntry>,
}

impl Clone for DatabaseConnection {
    /// Clones the parameters; the clone is not connected.
    fn clone(&self) -> Self {
        DatabaseConnection {
            name: self.name.clone(),
            db_type: self.db_type.clone(),
            host: self.host.clone(),
            port: self.port,
            database: self.database.clone(),
            user: self.user.clone(),
            password: self.password.clone(),
            options: self.options.clone(),
            live: None,
        }
    }
}

impl fmt::Debug for DatabaseConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseConnection")
            .field("name", &self.name)
            .field("db_type", &self.db_type)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("database", &self.database)
            .field("user", &self.user)
            .field("password", &self.password)
            .field("options", &shown_options(&self.options))
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

impl DatabaseConnection {
    /// A connection named `name` to `db_type`, with every other parameter empty.
    pub fn new(name: impl Into<String>, db_type: impl Into<String>) -> Self {
        DatabaseConnection {
            name: name.into(),
            db_type: db_type.into(),
            host: String::new(),
            port: None,
            database: String::new(),
            user: String::new(),
            password: Secret::default(),
            options: Vec::new(),
            live: None,
        }
    }

    /// A connection named `name` from a URL (see [`crate::url`]).
    ///
    /// ```
    /// let c = myrmex_core::DatabaseConnection::from_url("pg", "postgres://ann:pw@db/app").unwrap();
    /// assert_eq!(c.to_string(), "pg (postgres://ann:***@db/app)");
    /// ```
    pub fn from_url(name: impl Into<String>, url: &str) -> Result<Self> {
        Ok(Self::from_options(name, &crate::url::parse(url)?))
    }

    /// A connection from parsed options.
    pub fn from_options(name: impl Into<String>, o: &ConnectOptions) -> Self {
        DatabaseConnection {
            name: name.into(),
            db_type: o.db_type.to_string(),
            host: o.host.to_string(),
            port: (o.port != 0).then_some(o.port),
            database: o.database.to_string(),
            user: o.user.to_string(),
            password: Secret::new(o.password.as_str()),
            options: o
                .options
                .iter()
                .map(|t| (t.0.to_string(), t.1.to_string()))
                .collect(),
            live: None,
        }
    }

    /// Sets the password.
    pub fn set_password(&mut self, password: Secret) {
        self.password = password;
    }

    /// The URL of this connection with the password (and secret options) shown as `***`.
    pub fn url(&self) -> String {
        if self.db_type == "sqlite" {
            let mut u = format!("sqlite://{}", self.database);
            if self.database == ":memory:" {
                u = "sqlite::memory:".into();
            }
            return with_query(u, &self.options);
        }
        let mut u = format!("{}://", self.db_type);
        if !self.user.is_empty() {
            u.push_str(&self.user);
            if !self.password.is_empty() {
                u.push_str(":***");
            }
            u.push('@');
        }
        if self.host.contains(':') {
            u.push_str(&format!("[{}]", self.host));
        } else {
            u.push_str(&self.host);
        }
        if let Some(p) = self.port {
            u.push_str(&format!(":{p}"));
        }
        u.push('/');
        u.push_str(&self.database);
        with_query(u, &self.options)
    }

    /// The parameters as the driver receives them (includes the password: never log this).
    pub(crate) fn connect_options(&self) -> ConnectOptions {
        ConnectOptions {
            db_type: self.db_type.as_str().into(),
            host: self.host.as_str().into(),
            port: self.port.unwrap_or(0),
            database: self.database.as_str().into(),
            user: self.user.as_str().into(),
            password: self.password.expose().into(),
            options: self
                .options
                .iter()
                .map(|(k, v)| Tuple2(k.as_str().into(), v.as_str().into()))
                .collect(),
        }
    }

    /// Connects through the process-wide plugin registry ([`Registry::global`]).
    pub fn connect(&mut self) -> Result<()> {
        self.connect_with(&Registry::global())
    }

    /// Connects through `registry`. Reconnects if already connected.
    pub fn connect_with(&mut self, registry: &Registry) -> Result<()> {
        self.close()?;
        let driver = registry.driver(&self.db_type)?;
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
            None => Registry::global().driver(&self.db_type)?,
        };
        self.connect_driver(driver)
    }

    fn connect_driver(&mut self, driver: Arc<DriverEntry>) -> Result<()> {
        let conn = driver
            .driver
            .connect(&self.connect_options())
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
            cancel,
            poisoned: false,
            broken: false,
            closed: None,
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

    /// Runs one plugin call, attaching the connection name and statement to any error.
    fn call<T>(
        &mut self,
        sql: Option<&str>,
        f: impl FnOnce(&mut ConnectionBox) -> RResult<T, PluginError>,
    ) -> Result<T> {
        let name = &self.name;
        let live = self.live.as_mut().ok_or_else(|| Error::NotConnected {
            connection: name.clone(),
        })?;
        if live.poisoned {
            return Err(Error::Poisoned {
                connection: name.clone(),
            });
        }
        if let Some(source) = &live.closed {
            return Err(Error::Closed {
                connection: name.clone(),
                source: source.clone(),
            });
        }
        f(&mut live.conn).into_result().map_err(|source| {
            if source.kind == ErrorKind::PANIC {
                live.poisoned = true;
                tracing::error!(connection = %name, "plugin panicked: {}", source.message);
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
        self.call(Some(sql), |c| {
            c.execute(RStr::from_str(sql), RSlice::from_slice(params))
        })
    }

    /// Runs a script of several statements (no parameters).
    pub fn execute_batch(&mut self, sql: &str) -> Result<()> {
        self.call(Some(sql), |c| c.execute_batch(RStr::from_str(sql)))
    }

    /// Runs a query and reads every row (the seed's `execute_query`). For large results use
    /// [`DatabaseConnection::query_stream`].
    pub fn execute_query(&mut self, sql: &str, params: &[Value]) -> Result<ResultSet> {
        let (columns, first) = self.query_start(sql, params, DEFAULT_BATCH_ROWS)?;
        let mut values = first.values;
        let mut done = first.done;
        while !done {
            let batch = self.fetch(DEFAULT_BATCH_ROWS)?;
            values.extend(batch.values);
            done = batch.done;
        }
        Ok(ResultSet { columns, values })
    }

    /// Starts a query and returns its columns and first batch: the low-level cursor protocol
    /// behind [`DatabaseConnection::query_stream`]. Follow with [`DatabaseConnection::fetch`]
    /// until a batch says `done`, or [`DatabaseConnection::close_cursor`].
    pub fn query_start(
        &mut self,
        sql: &str,
        params: &[Value],
        batch_rows: u32,
    ) -> Result<(RArc<RVec<ColumnMeta>>, RowBatch)> {
        let start = self.call(Some(sql), |c| {
            c.query(RStr::from_str(sql), RSlice::from_slice(params), batch_rows)
        })?;
        Ok((start.columns, start.first))
    }

    /// The next batch of the open cursor.
    pub fn fetch(&mut self, batch_rows: u32) -> Result<RowBatch> {
        self.call(None, |c| c.fetch(batch_rows))
    }

    /// Closes the open cursor, if any.
    pub fn close_cursor(&mut self) {
        if let Some(live) = self.live.as_mut().filter(|l| !l.poisoned) {
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

    /// Starts a transaction.
    pub fn begin(&mut self) -> Result<()> {
        self.call(Some("BEGIN"), |c| c.begin())
    }

    /// Commits.
    pub fn commit(&mut self) -> Result<()> {
        self.call(Some("COMMIT"), |c| c.commit())
    }

    /// Rolls back.
    pub fn rollback(&mut self) -> Result<()> {
        self.call(Some("ROLLBACK"), |c| c.rollback())
    }

    /// True inside a transaction.
    pub fn in_transaction(&self) -> bool {
        self.live
            .as_ref()
            .is_some_and(|l| !l.poisoned && l.conn.in_transaction())
    }

    /// Runs `f` in a transaction: commits when it returns `Ok`, rolls back when it returns
    /// `Err` (the error is returned unchanged).
    pub fn transaction<T, E: From<Error>>(
        &mut self,
        f: impl FnOnce(&mut Self) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        self.begin()?;
        match f(self) {
            Ok(v) => {
                self.commit()?;
                Ok(v)
            }
            Err(e) => {
                if let Err(rb) = self.rollback() {
                    tracing::warn!(connection = %self.name, "rollback failed: {rb}");
                }
                Err(e)
            }
        }
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

/// The options with secret values (`password`, `sslpassword`, …) shown as `***`.
fn shown_options(options: &[(String, String)]) -> Vec<(&str, &str)> {
    options
        .iter()
        .map(|(k, v)| {
            let v = if crate::url::is_secret_option(k) {
                "***"
            } else {
                v.as_str()
            };
            (k.as_str(), v)
        })
        .collect()
}

/// Appends the options as a query; secret ones (`password`, `sslpassword`, …) show `***`.
fn with_query(mut url: String, options: &[(String, String)]) -> String {
    for (i, (k, v)) in shown_options(options).into_iter().enumerate() {
        url.push(if i == 0 { '?' } else { '&' });
        url.push_str(k);
        url.push('=');
        url.push_str(v);
    }
    url
}

/// Rows of a query read batch by batch: memory stays bounded by one batch.
pub struct RowStream<'c> {
    conn: &'c mut DatabaseConnection,
    columns: RArc<RVec<ColumnMeta>>,
    batch: RVec<Value>,
    pos: usize,
    done: bool,
}

impl RowStream<'_> {
    /// The result columns.
    pub fn columns(&self) -> &[ColumnMeta] {
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
