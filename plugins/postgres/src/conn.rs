//! [`PgConnection`]: the `Connection` capability on one PostgreSQL session.

use crate::blank;
use crate::deadline::{self, Missed};
use crate::error::{closed, error_chain, map, server_closed};
use crate::options::PgOptions;
use crate::tls::{self, SslMode};
use crate::types::{Param, PgValue};
use myrmex_abi::abi_stable::sabi_trait::TD_Opaque;
use myrmex_abi::{
    guard, CancelHandle, CancelHandleBox, CancelHandle_TO, ColumnMeta, ConnectOptions, Connection,
    ErrorKind, ExecResult, Nullability, PluginError, QueryStart, RArc, ROption, RResult, RSlice,
    RStr, RVec, RowBatch, ServerInfo, TableDetail, TableRef, Value,
};
use postgres::fallible_iterator::FallibleIterator;
use postgres::{Client, NoTls, RowIter, Statement};
use std::collections::HashMap;
use std::mem::ManuallyDrop;
use std::time::Duration;
use tokio_postgres_rustls::MakeRustlsConnect;

/// Prepared statements kept per connection before the cache is emptied.
const STATEMENT_CACHE: usize = 256;

/// How the session was secured (cancel requests use the same).
#[derive(Clone)]
enum Tls {
    Plain,
    Rustls(MakeRustlsConnect),
}

struct Prepared {
    stmt: Statement,
    columns: RArc<RVec<ColumnMeta>>,
}

/// An open result streaming from the server (extended protocol; TCP back-pressure keeps
/// memory bounded by the batch size).
struct PgCursor {
    rows: ManuallyDrop<RowIter<'static>>,
    names: RArc<RVec<ColumnMeta>>,
}

impl PgCursor {
    fn read_batch(&mut self, max: usize, out: &mut Vec<Value>) -> Result<bool, PluginError> {
        let width = self.names.len();
        for _ in 0..max {
            let Some(row) = self.rows.next().map_err(map)? else {
                return Ok(true);
            };
            for i in 0..width {
                let v: PgValue = row.try_get(i).map_err(|e| {
                    let col = &self.names[i];
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
                out.push(v.0);
            }
        }
        Ok(false)
    }
}

impl Drop for PgCursor {
    fn drop(&mut self) {
        // SAFETY: dropped exactly once, here, before the client it borrows (field order of
        // `PgConnection` and every operation clearing the cursor first).
        unsafe { ManuallyDrop::drop(&mut self.rows) }
    }
}

/// One PostgreSQL session. Field order matters: the cursor borrows the boxed client.
pub struct PgConnection {
    cursor: Option<PgCursor>,
    /// Prepared statements by SQL text: `[without parameters, with parameters]` (the `?`
    /// rewrite applies only to the second).
    stmts: [HashMap<String, Prepared>; 2],
    in_tx: bool,
    cancel: postgres::CancelToken,
    tls: Tls,
    connect_timeout: Duration,
    client: Option<Box<Client>>,
}

impl PgConnection {
    /// Connects as `options` says.
    pub fn open(o: &ConnectOptions) -> Result<Self, PluginError> {
        let opts = PgOptions::parse(o)?;
        let target = format!(
            "postgres at {}:{}/{} as {}",
            if o.host.is_empty() {
                "localhost"
            } else {
                o.host.as_str()
            },
            if o.port == 0 { 5432 } else { o.port },
            o.database,
            if o.user.is_empty() {
                "(default user)"
            } else {
                o.user.as_str()
            }
        );
        let tls = if opts.ssl == SslMode::Disable {
            Tls::Plain
        } else {
            Tls::Rustls(MakeRustlsConnect::new(tls::client_config(
                opts.ssl,
                opts.root_cert.as_deref(),
            )?))
        };
        let config = opts.config.clone();
        let mode = tls.clone();
        let limit = opts.connect_timeout;
        let connected = deadline::within(limit, move || match mode {
            Tls::Plain => config.connect(NoTls),
            Tls::Rustls(mk) => config.connect(mk),
        });
        let fail = |kind: ErrorKind, why: String| {
            PluginError::new(kind, format!("cannot connect to {target}: {why}"))
        };
        let client = match connected {
            Ok(Ok(client)) => client,
            Ok(Err(e)) => {
                let wrong_protocol = is_wrong_protocol(&e);
                let mut err = map(e);
                if wrong_protocol {
                    err.message = format!(
                        "the server at {} did not answer as a PostgreSQL server ({})",
                        opts.address,
                        if err.kind == ErrorKind::CLOSED {
                            "it closed the connection"
                        } else {
                            err.message.as_str()
                        }
                    )
                    .into();
                }
                err.kind = if err.kind == ErrorKind::PERMISSION {
                    ErrorKind::PERMISSION
                } else if err.message.contains("timed out") {
                    ErrorKind::TIMEOUT
                } else {
                    ErrorKind::CONNECTION
                };
                err.message = format!("cannot connect to {target}: {}", err.message).into();
                return Err(err);
            }
            Err(Missed::TimedOut) => {
                return Err(fail(
                    ErrorKind::TIMEOUT,
                    format!(
                        "the server at {} did not answer within {} s (connect_timeout)",
                        opts.address,
                        limit.as_secs()
                    ),
                ))
            }
            Err(Missed::Failed(why)) => return Err(fail(ErrorKind::CONNECTION, why)),
        };
        Ok(PgConnection {
            cursor: None,
            stmts: Default::default(),
            in_tx: false,
            cancel: client.cancel_token(),
            tls,
            connect_timeout: limit,
            client: Some(Box::new(client)),
        })
    }

    fn client(&mut self) -> Result<&mut Client, PluginError> {
        self.cursor = None;
        let client = self.client.as_deref_mut().ok_or_else(closed)?;
        if client.is_closed() {
            return Err(server_closed());
        }
        Ok(client)
    }

    /// Closes any open cursor; true when `sql` holds nothing to run (only blanks, `;` and
    /// comments): such a statement affects nothing and returns no columns.
    fn blank(&mut self, sql: &str, params: usize) -> Result<bool, PluginError> {
        if !blank::is_blank(sql, blank::Dialect::Postgres) {
            return Ok(false);
        }
        self.client()?;
        if params > 0 {
            return Err(PluginError::invalid(format!(
                "statement takes 0 parameter(s), {params} given"
            )));
        }
        Ok(true)
    }

    /// The prepared statement for `sql` with `n` parameters (`?` rewritten to `$n`).
    fn prepare(
        &mut self,
        sql: &str,
        n: usize,
    ) -> Result<(Statement, RArc<RVec<ColumnMeta>>), PluginError> {
        let slot = usize::from(n > 0);
        if let Some(p) = self.stmts[slot].get(sql) {
            return Ok((p.stmt.clone(), p.columns.clone()));
        }
        let text = crate::placeholders::rewrite(sql, n);
        let stmt = self.client()?.prepare(&text).map_err(map)?;
        if stmt.params().len() != n {
            return Err(PluginError::invalid(format!(
                "statement takes {} parameter(s), {n} given",
                stmt.params().len()
            )));
        }
        let columns: RArc<RVec<ColumnMeta>> = RArc::new(
            stmt.columns()
                .iter()
                .map(|c| ColumnMeta {
                    name: c.name().into(),
                    decl_type: c.type_().name().into(),
                    nullable: Nullability::Unknown,
                })
                .collect(),
        );
        if self.stmts[slot].len() >= STATEMENT_CACHE {
            self.stmts[slot].clear();
        }
        self.stmts[slot].insert(
            sql.to_string(),
            Prepared {
                stmt: stmt.clone(),
                columns: columns.clone(),
            },
        );

        Ok((stmt, columns))
    }

    /// Runs `f` with a prepared statement; when the server says the cached plan no longer
    /// fits (the schema changed under it), prepares again and retries once.
    fn with_statement<T>(
        &mut self,
        sql: &str,
        n: usize,
        mut f: impl FnMut(&mut Self, Statement, RArc<RVec<ColumnMeta>>) -> Result<T, PluginError>,
    ) -> Result<T, PluginError> {
        let (stmt, cols) = self.prepare(sql, n)?;
        match f(self, stmt, cols) {
            Err(e)
                if matches!(&e.sqlstate, ROption::RSome(s) if s.as_str() == "0A000")
                    && e.message.contains("cached plan") =>
            {
                self.stmts.iter_mut().for_each(HashMap::clear);
                let (stmt, cols) = self.prepare(sql, n)?;
                f(self, stmt, cols)
            }
            other => other,
        }
    }

    fn track(&mut self, sql: &str) {
        let kw: String = sql
            .trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphabetic())
            .collect::<String>()
            .to_ascii_uppercase();
        match kw.as_str() {
            "BEGIN" | "START" => self.in_tx = true,
            "COMMIT" | "END" | "ABORT" => self.in_tx = false,
            "ROLLBACK" if !sql.to_ascii_uppercase().contains(" TO ") => self.in_tx = false,
            "CREATE" | "ALTER" | "DROP" | "TRUNCATE" | "COMMENT" => {
                self.stmts.iter_mut().for_each(HashMap::clear)
            }
            _ => {}
        }
    }

    fn simple(&mut self, sql: &str) -> RResult<(), PluginError> {
        guard(|| {
            self.client()?.batch_execute(sql).map_err(map)?;
            self.track(sql);
            Ok(())
        })
    }
}

/// True when the peer spoke something other than the PostgreSQL protocol during the startup:
/// it answered with bytes that are no PostgreSQL message, or dropped the connection without a
/// PostgreSQL error message (a MySQL server resets a connection whose first packet is not its
/// handshake answer).
fn is_wrong_protocol(e: &postgres::Error) -> bool {
    if e.as_db_error().is_some() {
        return false;
    }
    if e.is_closed() {
        return true;
    }
    let text = error_chain(e).to_ascii_lowercase();
    [
        "unexpected message",
        "unexpected response",
        "invalid message",
        "unknown message",
        "invalid response",
        "connection reset",
        "unexpected eof",
        "early eof",
    ]
    .iter()
    .any(|t| text.contains(t))
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

impl Connection for PgConnection {
    fn execute(
        &mut self,
        sql: RStr<'_>,
        params: RSlice<'_, Value>,
    ) -> RResult<ExecResult, PluginError> {
        guard(|| {
            if self.blank(sql.as_str(), params.len())? {
                return Ok(ExecResult {
                    rows_affected: 0,
                    last_insert_id: ROption::RNone,
                });
            }
            let n = self.with_statement(sql.as_str(), params.len(), |me, stmt, _| {
                let bound: Vec<Param<'_>> = params.iter().map(Param).collect();
                let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
                    bound.iter().map(|p| p as _).collect();
                me.client()?.execute(&stmt, &refs).map_err(map)
            })?;
            self.track(sql.as_str());
            Ok(ExecResult {
                rows_affected: n,
                last_insert_id: ROption::RNone,
            })
        })
    }

    fn execute_batch(&mut self, sql: RStr<'_>) -> RResult<(), PluginError> {
        guard(|| {
            self.client()?.batch_execute(sql.as_str()).map_err(map)?;
            for stmt in sql.as_str().split(';') {
                self.track(stmt);
            }
            Ok(())
        })
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
                    columns: RArc::new(RVec::new()),
                    first: RowBatch {
                        values: RVec::new(),
                        done: true,
                    },
                });
            }
            let (mut cursor, columns) =
                self.with_statement(sql.as_str(), params.len(), |me, stmt, columns| {
                    let client: *mut Client = me.client()?;
                    // SAFETY: the client is boxed (stable address) and owned by `self`; the cursor
                    // that borrows it lives in `self.cursor`, which every operation clears before
                    // touching the client, and which is dropped before it (field order).
                    let client: &'static mut Client = unsafe { &mut *client };
                    let rows = client
                        .query_raw(&stmt, params.iter().map(Param))
                        .map_err(map)?;
                    Ok((
                        PgCursor {
                            rows: ManuallyDrop::new(rows),
                            names: columns.clone(),
                        },
                        columns,
                    ))
                })?;
            let mut values = Vec::new();
            let done = cursor.read_batch(batch_size.max(1) as usize, &mut values)?;
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
            let mut values = Vec::with_capacity(batch_size as usize * cursor.names.len());
            let result = cursor.read_batch(batch_size.max(1) as usize, &mut values);
            match result {
                Ok(done) => {
                    if done {
                        self.cursor = None;
                    }
                    Ok(RowBatch {
                        values: values.into(),
                        done,
                    })
                }
                Err(e) => {
                    self.cursor = None;
                    Err(e)
                }
            }
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
        self.in_tx
    }

    fn tables(&mut self) -> RResult<RVec<TableRef>, PluginError> {
        guard(|| crate::introspect::tables(self.client()?).map(Into::into))
    }

    fn describe(&mut self, schema: RStr<'_>, table: RStr<'_>) -> RResult<TableDetail, PluginError> {
        guard(|| crate::introspect::describe(self.client()?, schema.as_str(), table.as_str()))
    }

    fn server_info(&mut self) -> RResult<ServerInfo, PluginError> {
        guard(|| {
            let row = self
                .client()?
                .query_one("SELECT current_setting('server_version')", &[])
                .map_err(map)?;
            Ok(ServerInfo {
                engine: "postgres".into(),
                version: row.get::<_, String>(0).into(),
            })
        })
    }

    fn ping(&mut self) -> RResult<(), PluginError> {
        guard(|| {
            self.client()?
                .is_valid(Duration::from_secs(10))
                .map_err(map)
        })
    }

    fn cancel_handle(&self) -> RResult<CancelHandleBox, PluginError> {
        guard(|| {
            Ok(CancelHandle_TO::from_value(
                PgCancel {
                    token: self.cancel.clone(),
                    tls: self.tls.clone(),
                    connect_timeout: self.connect_timeout,
                },
                TD_Opaque,
            ))
        })
    }

    fn close(&mut self) -> RResult<(), PluginError> {
        guard(|| {
            self.cursor = None;
            self.stmts.iter_mut().for_each(HashMap::clear);
            match self.client.take() {
                Some(c) => (*c).close().map_err(map),
                None => Ok(()),
            }
        })
    }
}

/// Cancels through PostgreSQL's cancel request (a separate connection with the secret key).
struct PgCancel {
    token: postgres::CancelToken,
    tls: Tls,
    connect_timeout: Duration,
}

impl CancelHandle for PgCancel {
    fn cancel(&self) -> RResult<(), PluginError> {
        guard(|| {
            let token = self.token.clone();
            let tls = self.tls.clone();
            // The cancel request is a connection of its own: it gets the connect deadline too.
            match deadline::within(self.connect_timeout, move || match tls {
                Tls::Plain => token.cancel_query(NoTls),
                Tls::Rustls(mk) => token.cancel_query(mk),
            }) {
                Ok(r) => r.map_err(map),
                Err(Missed::TimedOut) => Err(PluginError::new(
                    ErrorKind::TIMEOUT,
                    format!(
                        "the cancel request got no answer within {} s (connect_timeout)",
                        self.connect_timeout.as_secs()
                    ),
                )),
                Err(Missed::Failed(why)) => Err(PluginError::new(ErrorKind::CONNECTION, why)),
            }
        })
    }
}
