//! [`MyConnection`]: the `Connection` capability on one MySQL/MariaDB session.

use crate::error::{closed, map};
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
        let fail = |e: mysql::Error| {
            let mut err = map(e);
            if err.kind != ErrorKind::PERMISSION {
                err.kind = ErrorKind::CONNECTION;
            }
            err.message = format!("cannot connect to {target}: {}", err.message).into();
            err
        };
        let tls = opts.ssl != SslMode::Disabled;
        let first: Opts = opts.with_tls(tls).into();
        let (conn, used) = match Conn::new(first.clone()) {
            Ok(c) => (c, first),
            Err(e) if opts.ssl == SslMode::Preferred && is_no_tls(&e) => {
                let plain: Opts = opts.with_tls(false).into();
                (Conn::new(plain.clone()).map_err(fail)?, plain)
            }
            Err(e) => return Err(fail(e)),
        };
        Ok(MyConnection {
            cursor: None,
            last: None,
            stmts: HashMap::new(),
            in_tx: false,
            opts: used,
            conn: Some(Box::new(conn)),
        })
    }

    fn conn(&mut self) -> Result<&mut Conn, PluginError> {
        self.cursor = None;
        self.conn.as_deref_mut().ok_or_else(closed)
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
        guard(|| {
            self.conn()?.query_drop(sql).map_err(map)?;
            self.track(sql);
            Ok(())
        })
    }
}

fn is_no_tls(e: &mysql::Error) -> bool {
    matches!(
        e,
        mysql::Error::DriverError(mysql::DriverError::TlsNotSupported)
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
        guard(|| {
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
        })
    }

    fn execute_batch(&mut self, sql: RStr<'_>) -> RResult<(), PluginError> {
        guard(|| {
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
        })
    }

    fn query(
        &mut self,
        sql: RStr<'_>,
        values: RSlice<'_, Value>,
        batch_size: u32,
    ) -> RResult<QueryStart, PluginError> {
        guard(|| {
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
        })
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
        guard(|| crate::introspect::tables(self.conn()?).map(Into::into))
    }

    fn describe(&mut self, schema: RStr<'_>, table: RStr<'_>) -> RResult<TableDetail, PluginError> {
        guard(|| crate::introspect::describe(self.conn()?, schema.as_str(), table.as_str()))
    }

    fn server_info(&mut self) -> RResult<ServerInfo, PluginError> {
        guard(|| {
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
        })
    }

    fn ping(&mut self) -> RResult<(), PluginError> {
        guard(|| self.conn()?.query_drop("DO 1").map_err(map))
    }

    fn cancel_handle(&self) -> RResult<CancelHandleBox, PluginError> {
        guard(|| {
            let id = self.conn.as_deref().ok_or_else(closed)?.connection_id();
            Ok(CancelHandle_TO::from_value(
                MyCancel {
                    opts: self.opts.clone(),
                    id,
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
}

impl CancelHandle for MyCancel {
    fn cancel(&self) -> RResult<(), PluginError> {
        guard(|| {
            let mut c = Conn::new(self.opts.clone()).map_err(map)?;
            c.query_drop(format!("KILL QUERY {}", self.id)).map_err(map)
        })
    }
}
