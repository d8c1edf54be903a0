//! [`PgConnection`]: the driver's connection on one PostgreSQL session.

use crate::driver::Settings;
use crate::error::{self, error_chain};
use crate::session::{Live, Session};
use crate::types::{Param, PgValue};
use crate::{dialect, introspect, listing, monitor, placeholders, schema};
use futures_util::StreamExt;
use myrmex_abi::{RArc, ROption, RVec};
use myrmex_plugin::monitor::{Advice, AdviceRequest, Snapshot};
use myrmex_plugin::schema::SchemaDefinition;
use myrmex_plugin::{
    blank, sql, Batch, CancelHandle, CatalogKind, ColumnMeta, ConnectOptions, Connection,
    DialectInfo, ErrorKind, ExecResult, LockAttempt, Params, PluginError, QueryStart, RowBatch,
    ServerInfo, TableDetail, TableRef, Value,
};
use std::collections::HashMap;
use std::pin::{pin, Pin};
use std::sync::Arc;
use std::time::Duration;
use tokio_postgres::{RowStream, SimpleQueryMessage, Statement};

/// Prepared statements kept per connection before the cache is emptied.
const STATEMENT_CACHE: usize = 256;

/// How long [`Connection::ping`] waits for the server.
const PING_WAIT: Duration = Duration::from_secs(10);

/// A result's columns, shared by every query of the same prepared statement.
type Columns = RArc<RVec<ColumnMeta>>;

struct Prepared {
    stmt: Statement,
    columns: Columns,
}

/// Prepared statements by SQL text: `[without parameters, with parameters]` (the `?`
/// rewrite applies only to the second).
#[derive(Default)]
struct Statements([HashMap<String, Prepared>; 2]);

impl Statements {
    fn clear(&mut self) {
        self.0.iter_mut().for_each(HashMap::clear);
    }
}

/// An open result streaming from the server (extended protocol). The stream owns its end of
/// the session's channel, so it borrows nothing; rows wait in the socket until fetched.
struct Cursor {
    rows: Pin<Box<RowStream>>,
    columns: Columns,
}

/// One PostgreSQL session as a driver connection.
pub struct PgConnection {
    cursor: Option<Cursor>,
    /// The COPY in progress, if any; any other request ends it.
    pub(crate) copy: Option<crate::bulk::Copy>,
    pub(crate) session: Session,
    statements: Statements,
    in_tx: bool,
    /// What this connection was opened with (a scratch database is reached the same way).
    pub(crate) options: ConnectOptions,
    pub(crate) settings: Arc<Settings>,
    /// `server_version_num`, once read.
    pub(crate) server_version: Option<i32>,
    /// True once the session asked the server to notice a vanished client (lock holders).
    pub(crate) liveness_checked: bool,
}

impl PgConnection {
    /// Connects as `options` says.
    pub fn open(options: &ConnectOptions, settings: Arc<Settings>) -> Result<Self, PluginError> {
        Ok(PgConnection {
            cursor: None,
            copy: None,
            session: Session::connect(options)?,
            statements: Statements::default(),
            in_tx: false,
            options: options.clone(),
            settings,
            server_version: None,
            liveness_checked: false,
        })
    }

    /// The open session for a new request: any open cursor closes first.
    pub(crate) fn live(&mut self) -> Result<Live<'_>, PluginError> {
        self.cursor = None;
        self.copy = None;
        self.session.live()
    }

    /// The server's `server_version_num` (150004 for 15.4).
    pub(crate) fn server_version(&mut self) -> Result<i32, PluginError> {
        if let Some(v) = self.server_version {
            return Ok(v);
        }
        self.cursor = None;
        let rows = self
            .session
            .rows("SELECT current_setting('server_version_num')::int4", &[])?;
        let v = rows
            .first()
            .and_then(|r| r.try_get::<_, i32>(0).ok())
            .ok_or_else(|| {
                PluginError::new(ErrorKind::INTERNAL, "the server did not say its version")
            })?;
        self.server_version = Some(v);
        Ok(v)
    }

    /// True when a transaction is open (also after an error aborted it, until it ends).
    pub(crate) fn in_tx(&self) -> bool {
        self.in_tx
    }

    /// True when `sql` holds nothing to run (only blanks, `;` and comments): such a
    /// statement affects nothing and returns no columns.
    fn blank(&mut self, sql: &str, params: usize) -> Result<bool, PluginError> {
        if !blank::is_blank(sql, blank::Dialect::Postgres) {
            return Ok(false);
        }
        self.live()?;
        if params > 0 {
            return Err(PluginError::invalid(format!(
                "statement takes 0 parameter(s), {params} given"
            )));
        }
        Ok(true)
    }

    /// The prepared statement for `sql` with `n` parameters (`?` rewritten to `$n`).
    fn prepare(&mut self, sql: &str, n: usize) -> Result<(Statement, Columns), PluginError> {
        let slot = usize::from(n > 0);
        if let Some(p) = self.statements.0[slot].get(sql) {
            return Ok((p.stmt.clone(), p.columns.clone()));
        }
        let text = placeholders::rewrite(sql, n);
        let live = self.live()?;
        let stmt = live
            .wait(live.client.prepare(&text))
            .map_err(|e| error::map_for(e, sql))?;
        if stmt.params().len() != n {
            return Err(PluginError::invalid(format!(
                "statement takes {} parameter(s), {n} given",
                stmt.params().len()
            )));
        }
        let columns: Columns = RArc::new(
            stmt.columns()
                .iter()
                .map(|c| ColumnMeta::new(c.name(), c.type_().name()))
                .collect(),
        );
        let cache = &mut self.statements.0[slot];
        if cache.len() >= STATEMENT_CACHE {
            cache.clear();
        }
        cache.insert(
            sql.to_string(),
            Prepared {
                stmt: stmt.clone(),
                columns: columns.clone(),
            },
        );
        Ok((stmt, columns))
    }

    /// Runs `f` with the prepared statement for `sql`. When the server says the cached plan
    /// no longer fits (the schema changed under it), the cache is emptied; outside a
    /// transaction the statement is prepared again and retried once (inside one, the
    /// failure has aborted the transaction and the error stands).
    fn run<T>(
        &mut self,
        sql: &str,
        n: usize,
        mut f: impl FnMut(&Live<'_>, &Statement) -> Result<T, tokio_postgres::Error>,
    ) -> Result<(T, Columns), PluginError> {
        let (stmt, columns) = self.prepare(sql, n)?;
        let first = f(&self.live()?, &stmt);
        let (outcome, columns) = match first {
            Err(e) if error::is_stale_plan(&e) => {
                self.statements.clear();
                if self.in_tx {
                    (Err(e), columns)
                } else {
                    let (stmt, columns) = self.prepare(sql, n)?;
                    (f(&self.live()?, &stmt), columns)
                }
            }
            other => (other, columns),
        };
        outcome
            .map(|t| (t, columns))
            .map_err(|e| error::map_for(e, sql))
    }

    /// Follows a statement that succeeded: transaction state, and the statement cache
    /// after DDL.
    fn track(&mut self, stmt: &str) {
        let words: Vec<String> = sql::without_leading_comments(stmt)
            .split_whitespace()
            .take(6)
            .map(|w| w.trim_end_matches(';').to_ascii_uppercase())
            .collect();
        let has = |w: &str| words.iter().any(|x| x == w);
        // `COMMIT AND CHAIN` / `ROLLBACK AND CHAIN` open the next transaction at once.
        let chained = has("CHAIN") && !has("NO");
        match sql::first_keyword(stmt).as_str() {
            "BEGIN" | "START" => self.in_tx = true,
            "COMMIT" | "END" | "ABORT" => self.in_tx = chained,
            "ROLLBACK" if !has("TO") => self.in_tx = chained,
            "PREPARE" if has("TRANSACTION") => self.in_tx = false,
            "CREATE" | "ALTER" | "DROP" | "TRUNCATE" | "COMMENT" => self.statements.clear(),
            _ => {}
        }
    }

    /// Follows a statement that failed: a failed `COMMIT` or `PREPARE TRANSACTION` ends the
    /// transaction (the server rolled it back), and so does the end of the session.
    fn track_failure(&mut self, stmt: &str, e: &PluginError) {
        let kw = sql::first_keyword(stmt);
        if e.kind == ErrorKind::CLOSED || matches!(kw.as_str(), "COMMIT" | "END" | "PREPARE") {
            self.in_tx = false;
        }
    }

    /// Follows the outcome of statement `sql`.
    fn after<T>(&mut self, sql: &str, outcome: &Result<T, PluginError>) {
        match outcome {
            Ok(_) => self.track(sql),
            Err(e) => self.track_failure(sql, e),
        }
    }
}

/// The parameters as the client library binds them.
fn bind(params: Params<'_>) -> Result<Vec<Param<'_>>, PluginError> {
    params.iter().map(|v| v.map(Param)).collect()
}

/// Reads up to `max` rows of `cursor` into a batch; `done` when the result is exhausted.
fn read(session: &Session, cursor: &mut Cursor, max: u32) -> Result<RowBatch, PluginError> {
    let live = session.live()?;
    let columns = &cursor.columns;
    let rows = &mut cursor.rows;
    let width = columns.len();
    let max = max.max(1) as usize;
    let mut batch = Batch::with_capacity(max.min(1024) * width);
    let done = live.wait(async {
        for _ in 0..max {
            let Some(row) = rows.next().await else {
                return Ok(true);
            };
            let row = row.map_err(error::map)?;
            for (i, col) in columns.iter().enumerate() {
                let v: PgValue = row.try_get(i).map_err(|e| {
                    PluginError::new(
                        ErrorKind::TYPE,
                        format!(
                            "column `{}` ({}): {}",
                            col.name,
                            col.decl_type,
                            error_chain(&e)
                        ),
                    )
                })?;
                batch.push(v.0);
            }
        }
        Ok::<_, PluginError>(false)
    })?;
    Ok(batch.finish(done))
}

fn nothing_affected() -> ExecResult {
    ExecResult {
        rows_affected: 0,
        last_insert_id: ROption::RNone,
        extensions: RVec::new(),
    }
}

impl Connection for PgConnection {
    fn dialect(&mut self) -> Result<DialectInfo, PluginError> {
        Ok(dialect::info())
    }

    fn execute(&mut self, sql: &str, params: Params<'_>) -> Result<ExecResult, PluginError> {
        if self.blank(sql, params.len())? {
            return Ok(nothing_affected());
        }
        let bound = bind(params)?;
        let outcome = self.run(sql, bound.len(), |live, stmt| {
            live.wait(live.client.execute_raw(stmt, bound.iter()))
        });
        self.after(sql, &outcome);
        let (n, _) = outcome?;
        Ok(ExecResult {
            rows_affected: n,
            ..nothing_affected()
        })
    }

    fn execute_batch(&mut self, script: &str) -> Result<(), PluginError> {
        let live = self.live()?;
        // The simple query protocol answers each statement with its own completion, so the
        // statement that failed is the one after the last completed.
        let mut completed = 0usize;
        let outcome = live.wait(async {
            let mut messages = pin!(live.client.simple_query_raw(script).await?);
            while let Some(m) = messages.next().await {
                if let SimpleQueryMessage::CommandComplete(_) = m? {
                    completed += 1;
                }
            }
            Ok::<_, tokio_postgres::Error>(())
        });
        let statements = sql::split_statements(script);
        for s in statements.iter().take(completed) {
            self.track(s);
        }
        if let Err(e) = outcome {
            let failed = statements.get(completed).map_or("", String::as_str);
            let e = error::map_for(e, failed);
            self.track_failure(failed, &e);
            return Err(e);
        }
        Ok(())
    }

    fn query(
        &mut self,
        sql: &str,
        params: Params<'_>,
        batch_size: u32,
    ) -> Result<QueryStart, PluginError> {
        if self.blank(sql, params.len())? {
            return Ok(QueryStart {
                columns: RArc::new(RVec::new()),
                first: Batch::default().finish(true),
            });
        }
        let bound = bind(params)?;
        let outcome = self.run(sql, bound.len(), |live, stmt| {
            live.wait(live.client.query_raw(stmt, bound.iter()))
        });
        self.after(sql, &outcome);
        let (rows, columns) = outcome?;
        let mut cursor = Cursor {
            rows: Box::pin(rows),
            columns: columns.clone(),
        };
        let first = read(&self.session, &mut cursor, batch_size)?;
        if !first.done {
            self.cursor = Some(cursor);
        }
        Ok(QueryStart { columns, first })
    }

    fn fetch(&mut self, batch_size: u32) -> Result<RowBatch, PluginError> {
        let Some(mut cursor) = self.cursor.take() else {
            return Ok(Batch::default().finish(true));
        };
        // On an error the cursor stays closed: the result cannot go on.
        let batch = read(&self.session, &mut cursor, batch_size)?;
        if !batch.done {
            self.cursor = Some(cursor);
        }
        Ok(batch)
    }

    fn close_cursor(&mut self) {
        self.cursor = None;
    }

    fn in_transaction(&self) -> bool {
        self.in_tx
    }

    fn server_info(&mut self) -> Result<ServerInfo, PluginError> {
        self.cursor = None;
        let rows = self
            .session
            .rows("SELECT current_setting('server_version')", &[])?;
        let version: String = rows
            .first()
            .and_then(|r| r.try_get(0).ok())
            .unwrap_or_default();
        Ok(ServerInfo {
            engine: "postgres".into(),
            version: version.into(),
            extensions: RVec::new(),
        })
    }

    fn tables(&mut self) -> Result<Vec<TableRef>, PluginError> {
        self.cursor = None;
        introspect::tables(&self.session)
    }

    fn describe(&mut self, schema: &str, table: &str) -> Result<TableDetail, PluginError> {
        self.cursor = None;
        introspect::describe(&self.session, schema, table)
    }

    fn schema(&mut self, schemas: &[String]) -> Result<SchemaDefinition, PluginError> {
        self.cursor = None;
        schema::read(&self.session, schemas)
    }

    fn try_lock(&mut self, name: &str) -> Result<LockAttempt, PluginError> {
        self.take_lock(name)
    }

    fn unlock(&mut self, name: &str) -> Result<(), PluginError> {
        self.release_lock(name)
    }

    fn create_scratch(&mut self) -> Result<ConnectOptions, PluginError> {
        self.new_scratch()
    }

    fn drop_scratch(&mut self, options: &ConnectOptions) -> Result<(), PluginError> {
        self.remove_scratch(options)
    }

    fn ping(&mut self) -> Result<(), PluginError> {
        let live = self.live()?;
        match live.wait_at_most(PING_WAIT, live.client.simple_query("")) {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(error::map(e)),
            Err(_) => Err(PluginError::new(
                ErrorKind::TIMEOUT,
                format!("the server did not answer within {} s", PING_WAIT.as_secs()),
            )),
        }
    }

    fn cancel_handle(&self) -> Result<Box<dyn CancelHandle>, PluginError> {
        Ok(Box::new(self.session.canceller()))
    }

    fn close(&mut self) -> Result<(), PluginError> {
        self.cursor = None;
        self.copy = None;
        self.statements.clear();
        self.session.close();
        Ok(())
    }

    fn catalog(&mut self, kind: CatalogKind, pattern: &str) -> Result<QueryStart, PluginError> {
        let listing = listing::listing(kind, self.server_version()?)?;
        let mut params = vec![Value::from(sql::like_pattern(pattern))];
        if listing.shows_system_on_pattern {
            params.push(Value::Bool(!pattern.is_empty()));
        }
        // One batch as large as the listing: the caller reads only the first.
        self.query(&listing.sql, Params::from(&params[..]), u32::MAX)
    }

    fn metrics(&mut self) -> Result<Snapshot, PluginError> {
        let version = self.server_version()?;
        self.live()?;
        monitor::metrics(&self.session, version)
    }

    fn snapshot_export(&mut self) -> Result<String, PluginError> {
        self.execute_batch("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")?;
        let rows = myrmex_plugin::all_rows(self, "SELECT pg_export_snapshot()", Params::none())?;
        match rows.first().and_then(|r| r.first()) {
            Some(myrmex_plugin::Value::Text(t)) => Ok(t.to_string()),
            _ => Err(PluginError::new(
                myrmex_plugin::ErrorKind::DATABASE,
                "pg_export_snapshot() returned no snapshot name",
            )),
        }
    }

    fn snapshot_import(&mut self, token: &str) -> Result<(), PluginError> {
        // A snapshot name is hex digits and dashes; anything else is not one.
        if token.is_empty() || !token.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
            return Err(PluginError::new(
                myrmex_plugin::ErrorKind::INVALID_INPUT,
                "not a PostgreSQL snapshot name",
            ));
        }
        self.execute_batch(&format!(
            "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; SET TRANSACTION SNAPSHOT '{token}'"
        ))
    }

    fn snapshot_release(&mut self) -> Result<(), PluginError> {
        // The exported snapshot holds no lock: writers were never kept out.
        Ok(())
    }

    fn advise(&mut self, request: &AdviceRequest) -> Result<Vec<Advice>, PluginError> {
        let version = self.server_version()?;
        self.live()?;
        monitor::advise(&self.session, version, self.in_tx, request)
    }

    fn copy_out_start(
        &mut self,
        request: &myrmex_plugin::bulk::CopyOutRequest,
    ) -> Result<Option<myrmex_plugin::bulk::CopyOutStart>, PluginError> {
        self.bulk_out_start(request).map(Some)
    }

    fn copy_out_read(
        &mut self,
        max_bytes: u32,
        max_rows: u32,
    ) -> Result<myrmex_plugin::bulk::CopyChunk, PluginError> {
        self.bulk_out_read(max_bytes, max_rows)
    }

    fn copy_in_start(
        &mut self,
        request: &myrmex_plugin::bulk::CopyInRequest,
    ) -> Result<bool, PluginError> {
        self.bulk_in_start(request).map(|()| true)
    }

    fn copy_in_write(&mut self, chunk: &myrmex_plugin::bulk::CopyChunk) -> Result<(), PluginError> {
        self.bulk_in_write(chunk)
    }

    fn copy_in_finish(&mut self) -> Result<u64, PluginError> {
        self.bulk_in_finish()
    }

    fn copy_abort(&mut self) -> Result<(), PluginError> {
        self.bulk_abort();
        Ok(())
    }

    fn reset_identity(
        &mut self,
        schema: &str,
        table: &str,
        column: &str,
    ) -> Result<(), PluginError> {
        self.bulk_reset_identity(schema, table, column)
    }
}

#[cfg(test)]
mod tests {
    use crate::testing;
    use myrmex_plugin::{all_rows, Connection, ErrorKind, Params, Value};

    fn one(c: &mut super::PgConnection, sql: &str, params: &[Value]) -> Vec<Vec<Value>> {
        all_rows(c, sql, Params::from(params)).unwrap()
    }

    #[test]
    fn results_stream_in_batches_and_another_statement_closes_the_cursor() {
        let mut c = testing::connect();
        let start = c
            .query(
                "SELECT g, g::text FROM generate_series(1, 2500) g",
                Params::none(),
                1000,
            )
            .unwrap();
        assert_eq!(start.columns.len(), 2);
        assert_eq!(start.columns[0].decl_type.as_str(), "int4");
        assert_eq!(start.first.values.len(), 2000);
        assert!(!start.first.done);
        let next = c.fetch(1000).unwrap();
        assert_eq!((next.values.len(), next.done), (2000, false));
        assert_eq!(next.values[0].as_enum().unwrap(), &Value::Int(1001));
        let last = c.fetch(1000).unwrap();
        assert_eq!((last.values.len(), last.done), (1000, true));

        c.query("SELECT generate_series(1, 5000)", Params::none(), 10)
            .unwrap();
        assert_eq!(one(&mut c, "SELECT 7", &[]), vec![vec![Value::Int(7)]]);
        let after = c.fetch(10).unwrap();
        assert!(after.done && after.values.is_empty());
    }

    #[test]
    fn question_marks_bind_every_value_type() {
        let mut c = testing::connect();
        let uuid = Value::parse_uuid("67e55044-10b1-426f-9247-bb680e5fe0c8").unwrap();
        let values = [
            Value::Int(42),
            Value::from("it's"),
            Value::Decimal("12345678901234567890.0123456789".into()),
            Value::Date("2024-02-29".into()),
            Value::Timestamp("1969-07-20 20:17:40.000001".into()),
            Value::Json("{\"a\": [1, 2]}".into()),
            Value::Uuid(uuid),
            Value::Blob(vec![0, 255].into()),
            Value::Null,
            Value::Float(f64::INFINITY),
        ];
        let got = one(
            &mut c,
            "SELECT ?::int8, ?::text, ?::numeric, ?::date, ?::timestamp, ?::jsonb, ?::uuid, \
             ?::bytea, ?::int4, ?::float8",
            &values,
        );
        assert_eq!(got, vec![values.to_vec()]);
    }

    #[test]
    fn wrong_parameters_are_refused_with_their_kind() {
        let mut c = testing::connect();
        let e = c.query("SELECT $1::int", Params::none(), 10).unwrap_err();
        assert_eq!(e.kind, ErrorKind::INVALID_INPUT, "{e}");
        let e = c
            .query(
                "SELECT ?::int4",
                Params::from(&[Value::Blob(vec![1].into())]),
                10,
            )
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::TYPE, "{e}");
        assert!(e.message.contains("blob"), "{e}");
        let e = c
            .query("SELECT ?::int2", Params::from(&[Value::Int(70_000)]), 10)
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::TYPE, "{e}");
        // The session goes on.
        assert_eq!(one(&mut c, "SELECT 1", &[]), vec![vec![Value::Int(1)]]);
    }

    #[test]
    fn blank_statements_do_nothing() {
        let mut c = testing::connect();
        assert_eq!(
            c.execute("  -- nothing\n;", Params::none())
                .unwrap()
                .rows_affected,
            0
        );
        let q = c.query("/* x */", Params::none(), 10).unwrap();
        assert!(q.columns.is_empty() && q.first.done);
        assert!(c.execute("", Params::from(&[Value::Int(1)])).is_err());
    }

    #[test]
    fn transaction_state_follows_every_way_of_ending_a_transaction() {
        let mut c = testing::in_fresh_schema("t_conn_tx");
        c.execute_batch("CREATE TABLE t (x int)").unwrap();
        c.begin().unwrap();
        assert!(c.in_transaction());
        c.savepoint("a b").unwrap();
        c.execute("INSERT INTO t VALUES (?)", Params::from(&[Value::Int(1)]))
            .unwrap();
        c.rollback_to_savepoint("a b").unwrap();
        assert!(c.in_transaction());
        c.execute_batch("INSERT INTO t VALUES (2); COMMIT AND CHAIN")
            .unwrap();
        assert!(c.in_transaction());
        c.execute_batch("ROLLBACK; SELECT 1").unwrap();
        assert!(!c.in_transaction());
        assert_eq!(
            one(&mut c, "SELECT x FROM t", &[]),
            vec![vec![Value::Int(2)]]
        );

        // A statement failing inside a transaction leaves it open (aborted) until it ends.
        let e = c
            .execute_batch("BEGIN; INSERT INTO t VALUES ('x')")
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::TYPE, "{e}");
        assert!(c.in_transaction());
        c.rollback().unwrap();
        assert!(!c.in_transaction());

        // A failed COMMIT ends the transaction.
        c.execute_batch(
            "CREATE TABLE u (x int UNIQUE DEFERRABLE INITIALLY DEFERRED); \
             BEGIN; INSERT INTO u VALUES (1), (1)",
        )
        .unwrap();
        assert!(c.in_transaction());
        assert_eq!(c.commit().unwrap_err().kind, ErrorKind::CONSTRAINT);
        assert!(!c.in_transaction());
    }

    #[test]
    fn scripts_run_whole_with_dollar_quoted_bodies() {
        let mut c = testing::in_fresh_schema("t_conn_script");
        c.execute_batch(
            "CREATE FUNCTION two() RETURNS int AS $$ SELECT 1; SELECT 2; $$ LANGUAGE sql; \
             CREATE TABLE t AS SELECT two() AS x",
        )
        .unwrap();
        assert_eq!(
            one(&mut c, "SELECT x FROM t", &[]),
            vec![vec![Value::Int(2)]]
        );
    }

    #[test]
    fn a_statement_prepared_before_a_schema_change_is_prepared_again() {
        let mut c = testing::in_fresh_schema("t_conn_stale");
        c.execute_batch("CREATE TABLE t (a int); INSERT INTO t VALUES (1)")
            .unwrap();
        assert_eq!(one(&mut c, "SELECT * FROM t", &[]).len(), 1);
        let mut other = testing::connect();
        other
            .execute_batch("ALTER TABLE t_conn_stale.t ADD COLUMN b text DEFAULT 'x'")
            .unwrap();
        assert_eq!(
            one(&mut c, "SELECT * FROM t", &[]),
            vec![vec![Value::Int(1), Value::from("x")]]
        );
    }

    #[test]
    fn a_closed_connection_says_so() {
        let mut c = testing::connect();
        c.close().unwrap();
        let e = c.query("SELECT 1", Params::none(), 1).unwrap_err();
        assert_eq!(e.kind, ErrorKind::CONNECTION);
        assert!(c.ping().is_err());
    }
}
