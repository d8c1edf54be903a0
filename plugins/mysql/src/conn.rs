//! [`MyConnection`]: the `Connection` capability on one MySQL/MariaDB session.

use crate::blank;
use crate::deadline::{self, Missed};
use crate::error::{closed, map, server_closed};
use crate::options::{MyOptions, SslMode};
use crate::types::{bind, read, type_name, ReadKind};
use myrmex_abi::abi_stable::sabi_trait::TD_Opaque;
use myrmex_abi::{
    guard, CancelHandle, CancelHandleBox, CancelHandle_TO, ColumnMeta, ConnectOptions, Connection,
    ErrorKind, ExecResult, Nullability, PluginError, QueryStart, RArc, ROption, RResult, RSlice,
    RStr, RVec, RowBatch, ServerInfo, TableDetail, TableRef, Value,
};
use mysql::prelude::Queryable;
use mysql::{Binary, Column, Conn, Opts, Params, QueryResult};
use std::collections::HashMap;
use std::mem::ManuallyDrop;

/// Column metadata of the last result, reused while the next result has the same columns.
#[derive(Clone)]
struct Meta {
    names: RArc<RVec<ColumnMeta>>,
    kinds: Vec<ReadKind>,
    columns: Vec<Column>,
}

impl Meta {
    fn of(cols: &[Column]) -> Meta {
        Meta {
            names: RArc::new(
                cols.iter()
                    .map(|c| ColumnMeta {
                        name: c.name_str().as_ref().into(),
                        decl_type: type_name(c).into(),
                        nullable: Nullability::Unknown,
                    })
                    .collect(),
            ),
            kinds: cols.iter().map(ReadKind::of).collect(),
            columns: cols.to_vec(),
        }
    }

    fn matches(&self, cols: &[Column]) -> bool {
        self.columns.len() == cols.len()
            && self.columns.iter().zip(cols).all(|(a, b)| {
                a.name_ref() == b.name_ref()
                    && a.column_type() == b.column_type()
                    && a.flags() == b.flags()
                    && a.column_length() == b.column_length()
            })
    }
}

/// An open result read row by row from the socket (unbuffered).
struct MyCursor {
    result: ManuallyDrop<QueryResult<'static, 'static, 'static, Binary>>,
    meta: Meta,
}

impl MyCursor {
    fn read_batch(&mut self, max: usize, out: &mut Vec<Value>) -> Result<bool, PluginError> {
        for _ in 0..max {
            let Some(row) = self.result.next() else {
                return Ok(true);
            };
            let mut row = row.map_err(map)?;
            for (i, kind) in self.meta.kinds.iter().enumerate() {
                let v = row.take(i).unwrap_or(mysql::Value::NULL);
                out.push(read(v, *kind, &self.meta.columns[i])?);
            }
        }
        Ok(false)
    }
}

impl Drop for MyCursor {
    fn drop(&mut self) {
        // SAFETY: dropped once, here, before the connection it borrows (field order of
        // `MyConnection`, and every operation clears the cursor first). Dropping reads the
        // rest of the result off the wire, as the protocol requires.
        unsafe { ManuallyDrop::drop(&mut self.result) }
    }
}

/// One MySQL/MariaDB session. Field order matters: the cursor borrows the boxed connection.
pub struct MyConnection {
    cursor: Option<MyCursor>,
    last: Option<Meta>,
    /// Prepared statements with their result metadata, by SQL text.
    stmts: HashMap<String, (mysql::Statement, Meta)>,
    in_tx: bool,
    opts: Opts,
    connect_timeout: std::time::Duration,
    /// Set once the server ended the session: every later call says so.
    gone: bool,
    conn: Option<Box<Conn>>,
}

fn is_insert(sql: &str) -> bool {
    let kw: String = sql
        .trim_start()
        .chars()
        .take(7)
        .collect::<String>()
        .to_ascii_uppercase();
    kw.starts_with("INSERT") || kw.starts_with("REPLACE")
}

impl MyConnection {
    /// Connects as `options` says; `ssl-mode=PREFERRED` falls back to plain when the server
    /// has no TLS.
    pub fn open(o: &ConnectOptions) -> Result<Self, PluginError> {
        let opts = MyOptions::parse(o)?;
        let target = format!(
            "mysql at {}:{}/{} as {}",
            if o.host.is_empty() {
                "localhost"
            } else {
                o.host.as_str()
            },
            if o.port == 0 { 3306 } else { o.port },
            o.database,
            if o.user.is_empty() {
                "root"
            } else {
                o.user.as_str()
            }
        );
        let limit = opts.connect_timeout;
        let address = opts.address.clone();
        let tls = opts.ssl != SslMode::Disabled;
        let first: Opts = opts.with_tls(tls).into();
        let plain: Opts = opts.with_tls(false).into();
        let preferred = opts.ssl == SslMode::Preferred;
        let connected = deadline::within(limit, move || match Conn::new(first.clone()) {
            Ok(c) => Ok((c, first)),
            Err(e) if preferred && is_no_tls(&e) => Conn::new(plain.clone()).map(|c| (c, plain)),
            Err(e) => Err(e),
        });
        let (conn, used) = match connected {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => {
                let wrong_protocol = is_wrong_protocol(&e);
                let mut err = map(e);
                if wrong_protocol || err.kind == ErrorKind::CLOSED {
                    err.message = format!(
                        "the server at {address} did not answer as a MySQL server ({})",
                        if err.kind == ErrorKind::CLOSED {
                            "it closed the connection"
                        } else {
                            err.message.as_str()
                        }
                    )
                    .into();
                }
                if err.kind != ErrorKind::PERMISSION && err.kind != ErrorKind::TIMEOUT {
                    err.kind = ErrorKind::CONNECTION;
                }
                err.message = format!("cannot connect to {target}: {}", err.message).into();
                return Err(err);
            }
            Err(Missed::TimedOut) => {
                return Err(PluginError::new(
                    ErrorKind::TIMEOUT,
                    format!(
                        "cannot connect to {target}: the server at {address} did not answer as a \
                         MySQL server within {} s (connect_timeout)",
                        limit.as_secs()
                    ),
                ))
            }
            Err(Missed::Failed(why)) => {
                return Err(PluginError::new(
                    ErrorKind::CONNECTION,
                    format!("cannot connect to {target}: {why}"),
                ))
            }
        };
        Ok(MyConnection {
            cursor: None,
            last: None,
            stmts: HashMap::new(),
            in_tx: false,
            opts: used,
            connect_timeout: limit,
            gone: false,
            conn: Some(Box::new(conn)),
        })
    }

    fn conn(&mut self) -> Result<&mut Conn, PluginError> {
        self.cursor = None;
        if self.gone {
            return Err(server_closed());
        }
        self.conn.as_deref_mut().ok_or_else(closed)
    }

    /// Notes an error that ended the session, so later calls report it without touching the
    /// socket.
    fn watch<T>(&mut self, r: RResult<T, PluginError>) -> RResult<T, PluginError> {
        if let RResult::RErr(e) = &r {
            if e.kind == ErrorKind::CLOSED {
                self.gone = true;
                self.cursor = None;
            }
        }
        r
    }

    /// Closes any open cursor; true when `sql` holds nothing to run (only blanks, `;` and
    /// comments): such a statement affects nothing and returns no columns.
    fn blank(&mut self, sql: &str, params: usize) -> Result<bool, PluginError> {
        if !blank::is_blank(sql, blank::Dialect::Mysql) {
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

    fn meta(&mut self, cols: &[Column]) -> Meta {
        match &self.last {
            Some(m) if m.matches(cols) => m.clone(),
            _ => {
                let m = Meta::of(cols);
                self.last = Some(m.clone());
                m
            }
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
            "COMMIT" => self.in_tx = false,
            "ROLLBACK" if !sql.to_ascii_uppercase().contains(" TO ") => self.in_tx = false,
            // DDL commits an open transaction implicitly in MySQL, and may change result shapes.
            "CREATE" | "ALTER" | "DROP" | "TRUNCATE" | "RENAME" => {
                self.in_tx = false;
                self.stmts.clear();
            }
            _ => {}
        }
    }

    fn simple(&mut self, sql: &str) -> RResult<(), PluginError> {
        let r = guard(|| {
            self.conn()?.query_drop(sql).map_err(map)?;
            self.track(sql);
            Ok(())
        });
        self.watch(r)
    }
}

fn is_no_tls(e: &mysql::Error) -> bool {
    matches!(
        e,
        mysql::Error::DriverError(mysql::DriverError::TlsNotSupported)
    )
}

/// True when the peer sent bytes that are no MySQL handshake. (A peer that hangs up during
/// the handshake maps to `closed`, which the connect reports the same way; a PostgreSQL
/// server sends no greeting at all, which the connect deadline catches.)
fn is_wrong_protocol(e: &mysql::Error) -> bool {
    matches!(
        e,
        mysql::Error::DriverError(
            mysql::DriverError::UnsupportedProtocol(_)
                | mysql::DriverError::PacketOutOfSync
                | mysql::DriverError::UnexpectedPacket
                | mysql::DriverError::Protocol41NotSet
        ) | mysql::Error::CodecError(_)
    )
}

fn params(values: &[Value]) -> Result<Params, PluginError> {
    if values.is_empty() {
        return Ok(Params::Empty);
    }
    values
        .iter()
        .enumerate()
        .map(|(i, v)| bind(v, i + 1))
        .collect::<Result<Vec<_>, _>>()
        .map(Params::Positional)
}

/// "This command is not supported in the prepared statement protocol yet".
fn not_preparable(e: &PluginError) -> bool {
    e.code == ROption::RSome(1295)
}

fn quote_ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

impl Connection for MyConnection {
    fn execute(
        &mut self,
        sql: RStr<'_>,
        values: RSlice<'_, Value>,
    ) -> RResult<ExecResult, PluginError> {
        let r = guard(|| {
            if self.blank(sql.as_str(), values.len())? {
                return Ok(ExecResult {
                    rows_affected: 0,
                    last_insert_id: ROption::RNone,
                });
            }
            let p = params(&values)?;
            let conn = self.conn()?;
            let r = conn.exec_drop(sql.as_str(), p).map_err(map);
            match r {
                Err(e) if not_preparable(&e) && values.is_empty() => {
                    conn.query_drop(sql.as_str()).map_err(map)?
                }
                other => other?,
            }
            let rows_affected = conn.affected_rows();
            let id = conn.last_insert_id();
            self.track(sql.as_str());
            Ok(ExecResult {
                rows_affected,
                last_insert_id: if is_insert(sql.as_str()) && id > 0 {
                    ROption::RSome(id as i64)
                } else {
                    ROption::RNone
                },
            })
        });
        self.watch(r)
    }

    fn execute_batch(&mut self, sql: RStr<'_>) -> RResult<(), PluginError> {
        let r = guard(|| {
            if self.blank(sql.as_str(), 0)? {
                return Ok(());
            }
            // Walk every result set: an error in a later statement surfaces only there.
            let mut result = self.conn()?.query_iter(sql.as_str()).map_err(map)?;
            while let Some(set) = result.iter() {
                for row in set {
                    row.map_err(map)?;
                }
            }
            drop(result);

            for stmt in sql.as_str().split(';') {
                self.track(stmt);
            }
            Ok(())
        });
        self.watch(r)
    }

    fn query(
        &mut self,
        sql: RStr<'_>,
        values: RSlice<'_, Value>,
        batch_size: u32,
    ) -> RResult<QueryStart, PluginError> {
        let r = guard(|| {
            if self.blank(sql.as_str(), values.len())? {
                return Ok(QueryStart {
                    columns: RArc::new(RVec::new()),
                    first: RowBatch {
                        values: RVec::new(),
                        done: true,
                    },
                });
            }
            let p = params(&values)?;
            if !self.stmts.contains_key(sql.as_str()) {
                match self.conn()?.prep(sql.as_str()).map_err(map) {
                    Ok(stmt) => {
                        let meta = Meta::of(&stmt.columns());
                        if self.stmts.len() >= 256 {
                            self.stmts.clear();
                        }
                        self.stmts.insert(sql.to_string(), (stmt, meta));
                    }
                    Err(e) if not_preparable(&e) && values.is_empty() => {
                        return Err(PluginError::unsupported(format!(
                            "{} (run it with execute, or as a script with execute_batch)",
                            e.message
                        )))
                    }
                    Err(e) => return Err(e),
                }
            }
            let (stmt, cached) = self
                .stmts
                .get(sql.as_str())
                .cloned()
                .expect("prepared above");
            let conn: *mut Conn = self.conn()?;
            // SAFETY: the connection is boxed (stable address) and owned by `self`; the result
            // that borrows it lives in `self.cursor`, which every operation clears before
            // touching the connection, and which is dropped before it (field order).
            let conn: &'static mut Conn = unsafe { &mut *conn };
            let result = conn.exec_iter(&stmt, p).map_err(map)?;
            // The server re-prepares after schema changes made elsewhere; trust the result's
            // own columns when their count differs from the statement's.
            let meta = if result.columns().as_ref().len() == cached.kinds.len() {
                cached
            } else {
                self.meta(result.columns().as_ref())
            };

            let mut cursor = MyCursor {
                result: ManuallyDrop::new(result),
                meta,
            };
            let mut out = Vec::new();
            let done = cursor.read_batch(batch_size.max(1) as usize, &mut out)?;
            let columns = cursor.meta.names.clone();
            if !done {
                self.cursor = Some(cursor);
            }
            self.track(sql.as_str());
            Ok(QueryStart {
                columns,
                first: RowBatch {
                    values: out.into(),
                    done,
                },
            })
        });
        self.watch(r)
    }

    fn fetch(&mut self, batch_size: u32) -> RResult<RowBatch, PluginError> {
        let r = guard(|| {
            let Some(cursor) = self.cursor.as_mut() else {
                return Ok(RowBatch {
                    values: RVec::new(),
                    done: true,
                });
            };
            let mut out = Vec::with_capacity(batch_size as usize * cursor.meta.kinds.len());
            match cursor.read_batch(batch_size.max(1) as usize, &mut out) {
                Ok(done) => {
                    if done {
                        self.cursor = None;
                    }
                    Ok(RowBatch {
                        values: out.into(),
                        done,
                    })
                }
                Err(e) => {
                    self.cursor = None;
                    Err(e)
                }
            }
        });
        self.watch(r)
    }

    fn close_cursor(&mut self) {
        myrmex_abi::guard_unit(|| self.cursor = None)
    }

    fn begin(&mut self) -> RResult<(), PluginError> {
        self.simple("START TRANSACTION")
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
        let r = guard(|| crate::introspect::tables(self.conn()?).map(Into::into));
        self.watch(r)
    }

    fn describe(&mut self, schema: RStr<'_>, table: RStr<'_>) -> RResult<TableDetail, PluginError> {
        let r =
            guard(|| crate::introspect::describe(self.conn()?, schema.as_str(), table.as_str()));
        self.watch(r)
    }

    fn server_info(&mut self) -> RResult<ServerInfo, PluginError> {
        let r = guard(|| {
            let v: String = self
                .conn()?
                .query_first("SELECT VERSION()")
                .map_err(map)?
                .unwrap_or_default();
            let engine = if v.contains("MariaDB") {
                "mariadb"
            } else {
                "mysql"
            };
            Ok(ServerInfo {
                engine: engine.into(),
                version: v.into(),
            })
        });
        self.watch(r)
    }

    fn ping(&mut self) -> RResult<(), PluginError> {
        let r = guard(|| self.conn()?.query_drop("DO 1").map_err(map));
        self.watch(r)
    }

    fn cancel_handle(&self) -> RResult<CancelHandleBox, PluginError> {
        guard(|| {
            let id = self.conn.as_deref().ok_or_else(closed)?.connection_id();
            Ok(CancelHandle_TO::from_value(
                MyCancel {
                    opts: self.opts.clone(),
                    id,
                    connect_timeout: self.connect_timeout,
                },
                TD_Opaque,
            ))
        })
    }

    fn close(&mut self) -> RResult<(), PluginError> {
        guard(|| {
            self.cursor = None;
            self.conn = None;
            Ok(())
        })
    }
}

/// Cancels with `KILL QUERY` from a second connection.
struct MyCancel {
    opts: Opts,
    id: u32,
    connect_timeout: std::time::Duration,
}

impl CancelHandle for MyCancel {
    fn cancel(&self) -> RResult<(), PluginError> {
        guard(|| {
            let opts = self.opts.clone();
            let id = self.id;
            // The side connection gets the connect deadline, like any connect.
            match deadline::within(self.connect_timeout, move || {
                Conn::new(opts)?.query_drop(format!("KILL QUERY {id}"))
            }) {
                Ok(r) => r.map_err(map),
                Err(Missed::TimedOut) => Err(PluginError::new(
                    ErrorKind::TIMEOUT,
                    format!(
                        "the cancel connection got no answer within {} s (connect_timeout)",
                        self.connect_timeout.as_secs()
                    ),
                )),
                Err(Missed::Failed(why)) => Err(PluginError::new(ErrorKind::CONNECTION, why)),
            }
        })
    }
}
