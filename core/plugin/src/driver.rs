//! The driver traits a plugin author implements, in plain Rust.

use crate::{Params, PluginError, Value};
use myrmex_abi::{
    CatalogKind, ConnectOptions, DialectInfo, ExecResult, LockAttempt, QueryStart, RowBatch,
    ServerInfo, TableDetail, TableRef,
};
use myrmex_schema::SchemaDefinition;

/// A driver: parses its URLs and opens connections.
///
/// Only [`Driver::connect`] is required; URLs default to the common
/// `scheme://user:password@host:port/database?option=value` form ([`crate::url::parse`]).
pub trait Driver: Send + Sync + 'static {
    /// The connection type this driver opens.
    type Connection: Connection;

    /// Parses a URL of one of this driver's schemes. Relative paths resolve against
    /// `base_dir` (empty: the working directory).
    fn parse_url(&self, url: &str, base_dir: &str) -> Result<ConnectOptions, PluginError> {
        let _ = base_dir;
        crate::url::parse(url)
    }

    /// The URL of `options` without its password.
    fn display_url(&self, options: &ConnectOptions) -> String {
        crate::url::display(options)
    }

    /// Opens a connection.
    fn connect(&self, options: &ConnectOptions) -> Result<Self::Connection, PluginError>;
}

/// Cancels the statement running on a connection, from any thread.
pub trait CancelHandle: Send + Sync + 'static {
    /// Requests cancellation; does nothing when nothing runs.
    fn cancel(&self) -> Result<(), PluginError>;
}

/// An open connection.
///
/// Required: [`Connection::dialect`], [`Connection::execute`],
/// [`Connection::execute_batch`], [`Connection::query`], [`Connection::in_transaction`],
/// [`Connection::server_info`]. Everything else has a default: transactions and savepoints
/// are SQL sent through [`Connection::execute_batch`] with names quoted by
/// [`Connection::quote`]; a query answers in one batch; catalog, lock and scratch methods
/// answer "unsupported" naming the method.
pub trait Connection: Send + 'static {
    /// The dialect this connection speaks.
    fn dialect(&mut self) -> Result<DialectInfo, PluginError>;

    /// Runs one statement that returns no rows.
    fn execute(&mut self, sql: &str, params: Params<'_>) -> Result<ExecResult, PluginError>;

    /// Runs a `;`-separated script without parameters.
    fn execute_batch(&mut self, sql: &str) -> Result<(), PluginError>;

    /// Runs a query and returns its columns and up to `batch_size` rows; the rest come from
    /// [`Connection::fetch`].
    fn query(
        &mut self,
        sql: &str,
        params: Params<'_>,
        batch_size: u32,
    ) -> Result<QueryStart, PluginError>;

    /// The next rows of the open cursor. The default has no cursor: every query answered
    /// in its first batch.
    fn fetch(&mut self, batch_size: u32) -> Result<RowBatch, PluginError> {
        let _ = batch_size;
        Ok(RowBatch {
            values: Default::default(),
            done: true,
        })
    }

    /// Closes the open cursor.
    fn close_cursor(&mut self) {}

    /// True while a transaction is open.
    fn in_transaction(&self) -> bool;

    /// Engine and version.
    fn server_info(&mut self) -> Result<ServerInfo, PluginError>;

    /// Quotes an identifier with `"`, doubling any `"` inside.
    fn quote(&self, name: &str) -> String {
        crate::sql::quote_ident(name, '"')
    }

    /// `BEGIN`.
    fn begin(&mut self) -> Result<(), PluginError> {
        self.execute_batch("BEGIN")
    }

    /// The transaction a migration runs in: by default [`Connection::begin`].
    fn begin_exclusive(&mut self, script: &str) -> Result<(), PluginError> {
        let _ = script;
        self.begin()
    }

    /// `COMMIT`.
    fn commit(&mut self) -> Result<(), PluginError> {
        self.execute_batch("COMMIT")
    }

    /// `ROLLBACK`.
    fn rollback(&mut self) -> Result<(), PluginError> {
        self.execute_batch("ROLLBACK")
    }

    /// `SAVEPOINT name`.
    fn savepoint(&mut self, name: &str) -> Result<(), PluginError> {
        let sql = format!("SAVEPOINT {}", self.quote(name));
        self.execute_batch(&sql)
    }

    /// `RELEASE SAVEPOINT name`.
    fn release_savepoint(&mut self, name: &str) -> Result<(), PluginError> {
        let sql = format!("RELEASE SAVEPOINT {}", self.quote(name));
        self.execute_batch(&sql)
    }

    /// `ROLLBACK TO SAVEPOINT name`.
    fn rollback_to_savepoint(&mut self, name: &str) -> Result<(), PluginError> {
        let sql = format!("ROLLBACK TO SAVEPOINT {}", self.quote(name));
        self.execute_batch(&sql)
    }

    /// Tables and views visible to the connection.
    fn tables(&mut self) -> Result<Vec<TableRef>, PluginError> {
        Err(unsupported("listing tables"))
    }

    /// One table's columns, keys and indexes.
    fn describe(&mut self, schema: &str, table: &str) -> Result<TableDetail, PluginError> {
        let _ = (schema, table);
        Err(unsupported("describing a table"))
    }

    /// The schema as the host's typed definition; `schemas` empty for the current one.
    fn schema(&mut self, schemas: &[String]) -> Result<SchemaDefinition, PluginError> {
        let _ = schemas;
        Err(unsupported("reading the schema"))
    }

    /// Tries once to take the named session lock.
    fn try_lock(&mut self, name: &str) -> Result<LockAttempt, PluginError> {
        let _ = name;
        Err(unsupported("locks"))
    }

    /// Releases a lock taken by [`Connection::try_lock`].
    fn unlock(&mut self, name: &str) -> Result<(), PluginError> {
        let _ = name;
        Err(unsupported("locks"))
    }

    /// Creates an empty scratch database of the same engine.
    fn create_scratch(&mut self) -> Result<ConnectOptions, PluginError> {
        Err(unsupported("scratch databases"))
    }

    /// Drops a scratch database made by [`Connection::create_scratch`].
    fn drop_scratch(&mut self, options: &ConnectOptions) -> Result<(), PluginError> {
        let _ = options;
        Err(unsupported("scratch databases"))
    }

    /// Checks that the connection is alive: `SELECT 1`.
    fn ping(&mut self) -> Result<(), PluginError> {
        self.query("SELECT 1", Params::none(), 1).map(|_| ())
    }

    /// A handle that cancels the running statement from another thread.
    fn cancel_handle(&self) -> Result<Box<dyn CancelHandle>, PluginError> {
        Err(unsupported("cancelling a statement"))
    }

    /// Closes the connection; later calls fail.
    fn close(&mut self) -> Result<(), PluginError>;

    /// Lists catalog objects of one kind as a result set, every row in the first batch;
    /// `pattern` filters names with `*` and `?` (empty: all; [`crate::sql::like_pattern`]
    /// turns it into a `LIKE` pattern). The shell's `\l`, `\dn`, `\dv`, `\di`, `\df`
    /// and `\du` show it as it comes.
    fn catalog(&mut self, kind: CatalogKind, pattern: &str) -> Result<QueryStart, PluginError> {
        let _ = pattern;
        Err(unsupported(&format!("listing {}", kind.plural())))
    }

    /// The server's statistics now: connections by state, throughput counters, cache hit
    /// ratio, locks and blocked sessions, table and index sizes, long-running and top
    /// statements. What cannot be read (an extension not loaded, a privilege missing) is a
    /// [`crate::monitor::Snapshot::note`] saying how to enable it.
    fn metrics(&mut self) -> Result<crate::monitor::Snapshot, PluginError> {
        Err(unsupported("reading server statistics"))
    }

    /// Tuning advice for this database, each piece with its evidence.
    fn advise(
        &mut self,
        request: &crate::monitor::AdviceRequest,
    ) -> Result<Vec<crate::monitor::Advice>, PluginError> {
        let _ = request;
        Err(unsupported("tuning advice"))
    }

    /// Starts a native bulk export. `Ok(None)` (the default) lets the kit serve it
    /// generically: it runs `SELECT` of the table (or the request's query) through
    /// [`Connection::query`] and encodes the rows in the requested format.
    fn copy_out_start(
        &mut self,
        request: &crate::bulk::CopyOutRequest,
    ) -> Result<Option<crate::bulk::CopyOutStart>, PluginError> {
        let _ = request;
        Ok(None)
    }

    /// The next chunk of a native export started by [`Connection::copy_out_start`]: whole
    /// rows, about `max_bytes` of them (byte formats) or at most `max_rows` (typed rows).
    fn copy_out_read(
        &mut self,
        max_bytes: u32,
        max_rows: u32,
    ) -> Result<crate::bulk::CopyChunk, PluginError> {
        let _ = (max_bytes, max_rows);
        Err(unsupported("bulk export"))
    }

    /// Starts a native bulk load; `Ok(false)` (the default) lets the kit load generically
    /// with multi-row `INSERT`s in one transaction.
    fn copy_in_start(&mut self, request: &crate::bulk::CopyInRequest) -> Result<bool, PluginError> {
        let _ = request;
        Ok(false)
    }

    /// Loads one chunk of a native load.
    fn copy_in_write(&mut self, chunk: &crate::bulk::CopyChunk) -> Result<(), PluginError> {
        let _ = chunk;
        Err(unsupported("bulk load"))
    }

    /// Ends a native load; returns the rows loaded.
    fn copy_in_finish(&mut self) -> Result<u64, PluginError> {
        Err(unsupported("bulk load"))
    }

    /// Abandons the native export or load in progress.
    fn copy_abort(&mut self) -> Result<(), PluginError> {
        Ok(())
    }

    /// Makes the generator behind `column` continue after the column's largest value. The
    /// default does nothing: right for engines whose counters follow inserted values
    /// (SQLite rowids, MySQL `AUTO_INCREMENT`).
    fn reset_identity(
        &mut self,
        schema: &str,
        table: &str,
        column: &str,
    ) -> Result<(), PluginError> {
        let _ = (schema, table, column);
        Ok(())
    }

    /// Starts a read-only transaction on one consistent snapshot and returns a token other
    /// sessions join with [`Connection::snapshot_import`]; empty when the engine cannot share
    /// its snapshot (then only this session reads it).
    fn snapshot_export(&mut self) -> Result<String, PluginError> {
        Err(unsupported("sharing a snapshot"))
    }

    /// Starts a read-only transaction on the snapshot `token` of another session.
    fn snapshot_import(&mut self, token: &str) -> Result<(), PluginError> {
        let _ = token;
        Err(unsupported("sharing a snapshot"))
    }

    /// Releases what [`Connection::snapshot_export`] holds to keep writers out while other
    /// sessions join; the snapshot stays open.
    fn snapshot_release(&mut self) -> Result<(), PluginError> {
        Ok(())
    }
}

/// A shard router: maps a key to one of `shards` shards.
pub trait ShardRouter: Send + Sync + 'static {
    /// The shard (0-based, below `shards`) that holds `key`. `shards` is at least 1: the kit
    /// refuses 0 before calling the router.
    fn route(&self, key: &Value, shards: u32) -> Result<u32, PluginError>;
}

fn unsupported(what: &str) -> PluginError {
    PluginError::unsupported(format!("this driver does not support {what}"))
}
