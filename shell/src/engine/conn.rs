//! The `Connection` type of scripts: `connect`, `execute`, `query`, `cursor`,
//! `transaction`, introspection.

use super::package::function;
use super::row::Row;
use super::value::{params, runtime, to_dynamic};
use super::Context;
use crate::interrupt;
use myrmex_abi::RString;
use myrmex_core::{
    Columns, ConnectParams, DatabaseConnection, PooledConnection, TableDetail, Value,
};
use rhai::{
    Array, Dynamic, EvalAltResult, FnPtr, ImmutableString, Map, Module, NativeCallContext, INT,
};
use serde::Serialize;
use std::cell::RefCell;
use std::ops::{Deref, DerefMut};
use std::rc::Rc;

type RhaiResult<T> = Result<T, Box<EvalAltResult>>;

/// Rows fetched per batch by `cursor()`.
const CURSOR_BATCH_ROWS: u32 = 1000;

/// A connection owned by the script, or borrowed from a pool.
pub enum Handle {
    /// Opened by `connect()`.
    Owned(DatabaseConnection),
    /// Borrowed by `mgr.get(name)`; returns to its pool when the last reference goes.
    Pooled(PooledConnection),
}

impl Deref for Handle {
    type Target = DatabaseConnection;
    fn deref(&self) -> &DatabaseConnection {
        match self {
            Handle::Owned(c) => c,
            Handle::Pooled(c) => c,
        }
    }
}

impl DerefMut for Handle {
    fn deref_mut(&mut self) -> &mut DatabaseConnection {
        match self {
            Handle::Owned(c) => c,
            Handle::Pooled(c) => c,
        }
    }
}

/// A result's column list as the plugin shares it.
type SharedColumns = Columns;

/// State behind a script's connection value.
pub struct DbInner {
    handle: Handle,
    /// Bumped by every statement; a cursor opened earlier notices it was closed.
    generation: u64,
    /// Column names of the last result, keyed by the plugin's shared column list (the same
    /// list comes back for the same prepared statement), so repeated queries reuse them.
    names: Option<(SharedColumns, Rc<[ImmutableString]>)>,
    cancel: Option<interrupt::Registration>,
}

/// Lends `conn` to a script as a [`Db`] for the duration of `f`, then takes it back (with
/// any transaction it is in). Used to run `.rhai` migrations on the migration's connection.
pub fn lend<T>(conn: &mut DatabaseConnection, f: impl FnOnce(&Db) -> T) -> T {
    let placeholder = DatabaseConnection::new(conn.name.clone(), conn.params().clone());
    let db = Db::new(Handle::Owned(std::mem::replace(conn, placeholder)));
    let out = f(&db);
    let mut inner = db.0.borrow_mut();
    if let Handle::Owned(c) = &mut inner.handle {
        std::mem::swap(conn, c);
    }
    out
}

/// A connection as scripts see it (cheap to clone; clones share the connection).
#[derive(Clone)]
pub struct Db(pub Rc<RefCell<DbInner>>);

impl Db {
    /// Wraps a connected handle and registers it for Ctrl-C cancellation.
    pub fn new(handle: Handle) -> Db {
        let cancel = handle.cancel_token().map(interrupt::register);
        Db(Rc::new(RefCell::new(DbInner {
            handle,
            generation: 0,
            names: None,
            cancel,
        })))
    }

    /// The connection's name.
    pub fn name(&self) -> String {
        self.0.borrow().handle.name.clone()
    }

    /// Runs `f` on the connection, turning its error into a script exception.
    pub fn with<T>(
        &self,
        f: impl FnOnce(&mut DatabaseConnection) -> myrmex_core::Result<T>,
    ) -> RhaiResult<T> {
        let mut inner = self
            .0
            .try_borrow_mut()
            .map_err(|_| runtime("connection is busy (used inside its own cursor loop?)"))?;
        inner.generation += 1;
        f(&mut inner.handle).map_err(|e| runtime(e.to_string()))
    }

    /// Runs a query and returns its rows (the engine of `query`).
    pub fn query_rows(&self, sql: &str, args: &[Value]) -> RhaiResult<Dynamic> {
        let rs = self.with(|c| c.execute_query(sql, args))?;
        let names = self.names_for(rs.columns_shared());
        let rows: Array = rs
            .rows()
            .map(|r| Dynamic::from(Row::new(names.clone(), r.iter().map(to_dynamic).collect())))
            .collect();
        Ok(super::row::rows_value(rows, &names))
    }

    /// Catalog objects of a kind (`databases`, `schemas`, `tables`, `views`, `indexes`,
    /// `functions`, `roles`, `sequences`) as rows, the engine's own way (the engine of
    /// `catalog`).
    pub fn catalog_rows(&self, kind: &str, pattern: &str) -> RhaiResult<Dynamic> {
        let k = myrmex_core::CatalogKind::parse(kind).ok_or_else(|| {
            runtime(format!(
                "catalog(): unknown kind `{kind}` (known: {})",
                myrmex_core::CatalogKind::ALL
                    .iter()
                    .map(|k| k.plural())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
        let rs = self.with(|c| c.catalog(k, pattern))?;
        let names = self.names_for(rs.columns_shared());
        let rows: Array = rs
            .rows()
            .map(|r| Dynamic::from(Row::new(names.clone(), r.iter().map(to_dynamic).collect())))
            .collect();
        Ok(super::row::rows_value(rows, &names))
    }

    /// The first row of a query, or `()` (the engine of `query_row`).
    pub fn query_first(&self, sql: &str, args: &[Value]) -> RhaiResult<Dynamic> {
        let rs = self.with(|c| c.execute_query(sql, args))?;
        let names = self.names_for(rs.columns_shared());
        Ok(rs.row(0).map_or(Dynamic::UNIT, |r| {
            Dynamic::from(Row::new(names, r.iter().map(to_dynamic).collect()))
        }))
    }

    /// Shared column names for a result's columns: the plugin returns the same list for the
    /// same prepared statement, so repeated queries reuse the names instead of rebuilding them.
    fn names_for(&self, cols: Columns) -> Rc<[ImmutableString]> {
        let mut inner = self.0.borrow_mut();
        if let Some((last, names)) = &inner.names {
            if last.same_as(&cols) {
                return names.clone();
            }
        }
        let names = column_names(&cols);
        inner.names = Some((cols, names.clone()));
        names
    }

    /// The display form: `Connection(name, url)` with no password.
    pub fn describe_self(&self) -> String {
        let inner = self.0.borrow();
        format!("Connection({}, {})", inner.handle.name, inner.handle.url())
    }

    /// Table names, qualified only outside the default schema.
    pub fn table_names(&self) -> RhaiResult<Vec<String>> {
        let (tables, default_db) = self.with(|c| Ok((c.tables()?, c.params().database.clone())))?;
        Ok(tables
            .iter()
            .map(|t| {
                let s = t.schema.as_str();
                if s.is_empty() || s == "main" || s == "public" || s == default_db {
                    t.name.to_string()
                } else {
                    format!("{s}.{}", t.name)
                }
            })
            .collect())
    }
}

/// Column names of a result, shared by its rows.
pub fn column_names(cols: &[myrmex_core::ColumnMeta]) -> Rc<[ImmutableString]> {
    cols.iter()
        .map(|c| ImmutableString::from(c.name.as_str()))
        .collect()
}

/// Rows of `db.cursor(sql)`, fetched in batches as the loop advances.
pub struct Cursor {
    db: Db,
    generation: u64,
    columns: Rc<[ImmutableString]>,
    batch: std::vec::IntoIter<Value>,
    done: bool,
    width: usize,
}

impl Iterator for Cursor {
    type Item = RhaiResult<Row>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.width == 0 {
            return None;
        }
        if self.batch.len() < self.width {
            if self.done {
                return None;
            }
            let mut inner = match self.db.0.try_borrow_mut() {
                Ok(i) => i,
                Err(_) => return Some(Err(runtime("connection is busy"))),
            };
            if inner.generation != self.generation {
                self.done = true;
                return Some(Err(runtime(format!(
                    "{}: cursor closed because another statement ran on the same connection inside the loop (use a second connection)",
                    inner.handle.name
                ))));
            }
            match inner.handle.fetch(CURSOR_BATCH_ROWS) {
                Ok(b) => {
                    self.done = b.done;
                    self.batch = b.values.into_iter();
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(runtime(e.to_string())));
                }
            }
            if self.batch.len() < self.width {
                return None;
            }
        }
        let values: Vec<Dynamic> = self
            .batch
            .by_ref()
            .take(self.width)
            .map(|v| to_dynamic(&v))
            .collect();
        Some(Ok(Row::new(self.columns.clone(), values)))
    }
}

impl Drop for Cursor {
    fn drop(&mut self) {
        if !self.done {
            if let Ok(mut inner) = self.db.0.try_borrow_mut() {
                if inner.generation == self.generation {
                    inner.handle.close_cursor();
                }
            }
        }
    }
}

impl Clone for Cursor {
    fn clone(&self) -> Self {
        // Rhai requires Clone for iterable types; a cloned cursor is exhausted.
        Cursor {
            db: self.db.clone(),
            generation: u64::MAX,
            columns: self.columns.clone(),
            batch: Vec::new().into_iter(),
            done: true,
            width: self.width,
        }
    }
}

fn open_cursor(db: &Db, sql: &str, args: &[Value]) -> RhaiResult<Cursor> {
    let (cols, first) = db.with(|c| c.query_start(sql, args, CURSOR_BATCH_ROWS))?;
    let generation = db.0.borrow().generation;
    Ok(Cursor {
        db: db.clone(),
        generation,
        width: cols.len(),
        columns: column_names(&cols),
        done: first.done,
        batch: first.values.into_iter(),
    })
}

/// The name a URL connection gets: the file stem of its database (`app` for
/// `…/app.db` or for a server database `app`, `memory` for `:memory:`), else the driver's
/// name.
pub fn default_name(c: &DatabaseConnection) -> String {
    std::path::Path::new(&c.params().database)
        .file_stem()
        .map(|s| {
            s.to_string_lossy()
                .trim_start_matches(':')
                .trim_end_matches(':')
                .to_string()
        })
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| c.db_type().to_string())
}

fn from_map(map: &Map) -> RhaiResult<DatabaseConnection> {
    const KEYS: [&str; 9] = [
        "name", "db_type", "host", "port", "database", "user", "password", "options", "url",
    ];
    for k in map.keys() {
        if !KEYS.contains(&k.as_str()) {
            return Err(runtime(format!(
                "connect(): unknown key `{k}` (known: {})",
                KEYS.join(", ")
            )));
        }
    }
    let text = |k: &str| -> RhaiResult<Option<String>> {
        match map.get(k) {
            None => Ok(None),
            Some(d) if d.is_unit() => Ok(None),
            Some(d) if d.is_string() => Ok(Some(d.to_string())),
            Some(d) => Err(runtime(format!(
                "connect(): key `{k}` must be a string, not {}",
                d.type_name()
            ))),
        }
    };
    let mut c = match text("url")? {
        Some(url) => {
            // A URL carries every field: a separate one would silently override it.
            let both: Vec<&str> = ["db_type", "host", "port", "database", "user"]
                .into_iter()
                .filter(|k| map.get(*k).is_some_and(|d| !d.is_unit()))
                .collect();
            if !both.is_empty() {
                return Err(runtime(format!(
                    "connect(): `url` cannot be combined with {} (put them in the URL, or drop `url` and give `db_type`)",
                    both.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
                )));
            }
            DatabaseConnection::from_url("", &url).map_err(|e| runtime(e.to_string()))?
        }
        None => {
            let db_type = text("db_type")?
                .ok_or_else(|| runtime("connect(): the map needs `url` or `db_type`"))?;
            DatabaseConnection::new("", ConnectParams::new(db_type))
        }
    };
    if let Some(v) = text("host")? {
        c.params_mut().host = v;
    }
    if let Some(v) = text("database")? {
        c.params_mut().database = v;
    }
    if let Some(v) = text("user")? {
        c.params_mut().user = v;
    }
    if let Some(v) = text("password")? {
        c.set_password(myrmex_core::Secret::new(v));
    }
    if let Some(p) = map.get("port").filter(|d| !d.is_unit()) {
        let p = p
            .as_int()
            .map_err(|t| runtime(format!("connect(): key `port` must be an integer, not {t}")))?;
        c.params_mut().port = Some(
            u16::try_from(p)
                .map_err(|_| runtime(format!("connect(): port {p} is out of range")))?,
        );
    }
    if let Some(opts) = map.get("options").filter(|d| !d.is_unit()) {
        let opts = opts
            .read_lock::<Map>()
            .ok_or_else(|| runtime("connect(): key `options` must be a map"))?;
        for (k, v) in opts.iter() {
            c.params_mut().options.push((k.to_string(), v.to_string()));
        }
    }
    c.name = match text("name")? {
        Some(n) => n,
        None => default_name(&c),
    };
    Ok(c)
}

fn connect_with(ctx: &Context, c: DatabaseConnection) -> RhaiResult<Db> {
    let c = open(ctx, c).map_err(runtime)?;
    Ok(Db::new(Handle::Owned(c)))
}

/// Opens `c` on a helper thread, so that Ctrl-C or the script's time limit returns at once
/// even while a server is slow to answer (the abandoned attempt ends with its own connect
/// timeout).
pub fn open(ctx: &Context, mut c: DatabaseConnection) -> Result<DatabaseConnection, String> {
    let registry = ctx.registry.clone();
    let name = c.name.clone();
    match interrupt::abandonable(move || c.connect_with(&registry).map(|()| c)) {
        Some(Ok(c)) => Ok(c),
        Some(Err(e)) => Err(e.to_string()),
        None if interrupt::timed_out() => Err(format!("{name}: {}", ctx.timeout_message())),
        None => Err(format!("{name}: connecting was interrupted")),
    }
}

/// `db.describe(table)` as scripts see it.
#[derive(Serialize)]
struct TableView<'a> {
    schema: &'a str,
    name: &'a str,
    /// `table`, `view`, `materialized view`, … (see `TableKind::name`).
    kind: &'static str,
    columns: Vec<ColumnView<'a>>,
    primary_key: Vec<&'a str>,
    indexes: Vec<IndexView<'a>>,
    foreign_keys: Vec<ForeignKeyView<'a>>,
}

/// One column of [`TableView`].
#[derive(Serialize)]
struct ColumnView<'a> {
    name: &'a str,
    /// The declared type.
    #[serde(rename = "type")]
    decl_type: &'a str,
    nullable: bool,
    default_value: Option<&'a str>,
    /// True when the column is part of the primary key.
    primary_key: bool,
    auto_increment: bool,
}

/// One index of [`TableView`].
#[derive(Serialize)]
struct IndexView<'a> {
    name: &'a str,
    columns: Vec<&'a str>,
    unique: bool,
    primary: bool,
    predicate: Option<&'a str>,
}

/// One foreign key of [`TableView`].
#[derive(Serialize)]
struct ForeignKeyView<'a> {
    name: &'a str,
    columns: Vec<&'a str>,
    ref_table: &'a str,
    ref_columns: Vec<&'a str>,
    on_update: &'a str,
    on_delete: &'a str,
}

/// Borrowed names, for the views.
fn names(list: &[RString]) -> Vec<&str> {
    list.iter().map(RString::as_str).collect()
}

impl<'a> TableView<'a> {
    fn of(d: &'a TableDetail) -> Self {
        TableView {
            schema: &d.schema,
            name: &d.name,
            kind: d.kind.name(),
            columns: d
                .columns
                .iter()
                .map(|c| ColumnView {
                    name: &c.name,
                    decl_type: &c.decl_type,
                    nullable: c.nullable,
                    default_value: c.default.as_ref().map(RString::as_str).into_option(),
                    primary_key: c.primary_key_position > 0,
                    auto_increment: c.auto_increment,
                })
                .collect(),
            primary_key: names(&d.primary_key),
            indexes: d
                .indexes
                .iter()
                .map(|i| IndexView {
                    name: &i.name,
                    columns: names(&i.columns),
                    unique: i.unique,
                    primary: i.primary,
                    predicate: i.predicate.as_ref().map(RString::as_str).into_option(),
                })
                .collect(),
            foreign_keys: d
                .foreign_keys
                .iter()
                .map(|f| ForeignKeyView {
                    name: &f.name,
                    columns: names(&f.columns),
                    ref_table: &f.ref_table,
                    ref_columns: names(&f.ref_columns),
                    on_update: &f.on_update,
                    on_delete: &f.on_delete,
                })
                .collect(),
        }
    }
}

/// `db.server_info()` as scripts see it.
#[derive(Serialize)]
struct ServerInfoView<'a> {
    engine: &'a str,
    version: &'a str,
}

/// `connect(url)`: a connection named after its database.
fn connect_url(call: NativeCallContext, url: &str) -> RhaiResult<Db> {
    let mut conn = DatabaseConnection::from_url("", url).map_err(|e| runtime(e.to_string()))?;
    conn.name = default_name(&conn);
    connect_with(&*super::context(&call)?, conn)
}

/// `connect(url, name)`.
fn connect_named(call: NativeCallContext, url: &str, name: &str) -> RhaiResult<Db> {
    let conn = DatabaseConnection::from_url(name, url).map_err(|e| runtime(e.to_string()))?;
    connect_with(&*super::context(&call)?, conn)
}

/// `connect(#{...})`.
fn connect_map(call: NativeCallContext, map: Map) -> RhaiResult<Db> {
    connect_with(&*super::context(&call)?, from_map(&map)?)
}

/// `connection(name)`: a connection of the loaded config file.
fn connection(call: NativeCallContext, name: &str) -> RhaiResult<Db> {
    let ctx = super::context(&call)?;
    let config = ctx.config.as_ref().ok_or_else(|| {
        runtime(format!(
            "connection(\"{name}\"): no config file loaded (use --config or ./myrmex.toml)"
        ))
    })?;
    let conn = config
        .connection(name)
        .map_err(|e| runtime(e.to_string()))?;
    connect_with(&ctx, conn)
}

/// `db.reconnect()`: a new session with the same parameters, opened like `connect()` (Ctrl-C
/// and the time limit abandon it); the old one is closed when it is replaced.
fn reconnect(call: NativeCallContext, db: &mut Db) -> RhaiResult<()> {
    let ctx = super::context(&call)?;
    let mut inner =
        db.0.try_borrow_mut()
            .map_err(|_| runtime("connection is busy (used inside its own cursor loop?)"))?;
    inner.generation += 1;
    let fresh = open(&ctx, (*inner.handle).clone()).map_err(runtime)?;
    *inner.handle = fresh;
    // A new session has a new cancel key.
    inner.cancel = inner.handle.cancel_token().map(interrupt::register);
    Ok(())
}

/// `db.transaction(|db| ...)`: commits when the function returns, rolls back when it throws.
fn transaction(call: NativeCallContext, db: &mut Db, f: FnPtr) -> RhaiResult<Dynamic> {
    db.with(|c| c.begin())?;
    match f.call_within_context::<Dynamic>(&call, (db.clone(),)) {
        Ok(v) => {
            db.with(|c| c.commit())?;
            Ok(v)
        }
        Err(e) => {
            if let Err(rb) = db.with(|c| c.rollback()) {
                tracing::warn!("rollback after a failed transaction failed: {rb}");
            }
            Err(e)
        }
    }
}

/// The first value of a query's first row, or `()` (the engine of `query_value`).
fn first_value(db: &Db, sql: &str, args: &[Value]) -> RhaiResult<Dynamic> {
    let rs = db.with(|c| c.execute_query(sql, args))?;
    Ok(rs
        .row(0)
        .and_then(|r| r.first())
        .map(to_dynamic)
        .unwrap_or(Dynamic::UNIT))
}

/// Registers `connect`, `connection`, `Connection` and its methods, and `Cursor`.
pub fn register(module: &mut Module) {
    module.set_custom_type::<Db>("Connection");
    module.set_custom_type::<Cursor>("Cursor");
    module.set_iterable_result::<Cursor, Row>();

    function("connect").set_into_module(module, connect_url);
    function("connect").set_into_module(module, connect_named);
    function("connect").set_into_module(module, connect_map);
    function("connection").set_into_module(module, connection);

    function("execute").set_into_module(module, |db: &mut Db, sql: &str| -> RhaiResult<INT> {
        db.with(|c| c.execute(sql, &[]))
            .map(|r| r.rows_affected as INT)
    });
    function("execute").set_into_module(
        module,
        |db: &mut Db, sql: &str, args: Array| -> RhaiResult<INT> {
            let args = params(&args)?;
            db.with(|c| c.execute(sql, &args))
                .map(|r| r.rows_affected as INT)
        },
    );
    function("execute_batch").set_into_module(module, |db: &mut Db, sql: &str| -> RhaiResult<()> {
        db.with(|c| c.execute_batch(sql))
    });
    function("last_insert_id").set_into_module(
        module,
        |db: &mut Db, sql: &str, args: Array| -> RhaiResult<Dynamic> {
            let args = params(&args)?;
            let r = db.with(|c| c.execute(sql, &args))?;
            Ok(r.last_insert_id
                .into_option()
                .map(Dynamic::from_int)
                .unwrap_or(Dynamic::UNIT))
        },
    );
    function("query").set_into_module(module, |db: &mut Db, sql: &str| db.query_rows(sql, &[]));
    function("query").set_into_module(module, |db: &mut Db, sql: &str, args: Array| {
        db.query_rows(sql, &params(&args)?)
    });
    function("query_row")
        .set_into_module(module, |db: &mut Db, sql: &str| -> RhaiResult<Dynamic> {
            db.query_first(sql, &[])
        });
    function("query_row").set_into_module(
        module,
        |db: &mut Db, sql: &str, args: Array| -> RhaiResult<Dynamic> {
            db.query_first(sql, &params(&args)?)
        },
    );
    function("query_value")
        .set_into_module(module, |db: &mut Db, sql: &str| first_value(db, sql, &[]));
    function("query_value").set_into_module(module, |db: &mut Db, sql: &str, args: Array| {
        first_value(db, sql, &params(&args)?)
    });
    function("cursor").set_into_module(module, |db: &mut Db, sql: &str| open_cursor(db, sql, &[]));
    function("cursor").set_into_module(module, |db: &mut Db, sql: &str, args: Array| {
        open_cursor(db, sql, &params(&args)?)
    });

    function("begin").set_into_module(module, |db: &mut Db| db.with(|c| c.begin()));
    function("commit").set_into_module(module, |db: &mut Db| db.with(|c| c.commit()));
    function("rollback").set_into_module(module, |db: &mut Db| db.with(|c| c.rollback()));
    module.set_getter_fn("in_transaction", |db: &mut Db| -> RhaiResult<bool> {
        Ok(db.0.borrow().handle.in_transaction())
    });
    function("transaction").set_into_module(module, transaction);

    function("tables").set_into_module(module, |db: &mut Db| -> RhaiResult<Array> {
        Ok(db.table_names()?.into_iter().map(Dynamic::from).collect())
    });
    function("catalog")
        .set_into_module(module, |db: &mut Db, kind: &str| db.catalog_rows(kind, ""));
    function("catalog").set_into_module(module, |db: &mut Db, kind: &str, pattern: &str| {
        db.catalog_rows(kind, pattern)
    });
    function("describe").set_into_module(
        module,
        |db: &mut Db, table: &str| -> RhaiResult<Dynamic> {
            let detail = db.with(|c| c.describe(table))?;
            rhai::serde::to_dynamic(TableView::of(&detail))
        },
    );
    function("server_info").set_into_module(module, |db: &mut Db| -> RhaiResult<Dynamic> {
        let info = db.with(|c| c.server_info())?;
        rhai::serde::to_dynamic(ServerInfoView {
            engine: &info.engine,
            version: &info.version,
        })
    });
    function("ping").set_into_module(module, |db: &mut Db| db.with(|c| c.ping()));
    function("reconnect").set_into_module(module, reconnect);
    function("close").set_into_module(module, |db: &mut Db| db.with(|c| c.close()));
    module.set_getter_fn("name", |db: &mut Db| -> RhaiResult<String> {
        Ok(db.name())
    });
    module.set_getter_fn("db_type", |db: &mut Db| -> RhaiResult<String> {
        Ok(db.0.borrow().handle.db_type().to_string())
    });
    module.set_getter_fn("url", |db: &mut Db| -> RhaiResult<String> {
        Ok(db.0.borrow().handle.url())
    });
    function("to_string").set_into_module(module, |db: &mut Db| db.describe_self());
    function("to_debug").set_into_module(module, |db: &mut Db| db.describe_self());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::value::test_maps::*;
    use myrmex_abi::{ColumnInfo, ForeignKeyInfo, IndexInfo, ROption, TableKind};

    fn detail() -> TableDetail {
        TableDetail {
            schema: "public".into(),
            name: "orders".into(),
            kind: TableKind::VIEW,
            columns: vec![ColumnInfo {
                name: "id".into(),
                decl_type: "integer".into(),
                nullable: false,
                default: ROption::RNone,
                primary_key_position: 1,
                auto_increment: true,
                extensions: Default::default(),
            }]
            .into(),
            primary_key: vec!["id".into()].into(),
            indexes: vec![IndexInfo {
                name: "orders_pk".into(),
                columns: vec!["id".into()].into(),
                unique: true,
                primary: true,
                predicate: ROption::RSome("id > 0".into()),
                extensions: Default::default(),
            }]
            .into(),
            foreign_keys: vec![ForeignKeyInfo {
                name: "fk".into(),
                columns: vec!["id".into()].into(),
                ref_schema: "public".into(),
                ref_table: "users".into(),
                ref_columns: vec!["id".into()].into(),
                on_update: "NO ACTION".into(),
                on_delete: "CASCADE".into(),
                extensions: Default::default(),
            }]
            .into(),
            extensions: Default::default(),
        }
    }

    #[test]
    fn describe_keeps_its_shape() {
        let d = rhai::serde::to_dynamic(TableView::of(&detail())).expect("converts");
        assert_eq!(
            keys(&d),
            [
                "columns",
                "foreign_keys",
                "indexes",
                "kind",
                "name",
                "primary_key",
                "schema"
            ]
        );
        assert_eq!(field(&d, "kind").to_string(), "view");
        let columns = field(&d, "columns").into_array().expect("an array");
        assert_eq!(
            keys(&columns[0]),
            [
                "auto_increment",
                "default_value",
                "name",
                "nullable",
                "primary_key",
                "type"
            ]
        );
        assert_eq!(field(&columns[0], "type").to_string(), "integer");
        assert!(field(&columns[0], "default_value").is_unit());
        assert!(field(&columns[0], "primary_key").as_bool().expect("a bool"));
        let indexes = field(&d, "indexes").into_array().expect("an array");
        assert_eq!(
            keys(&indexes[0]),
            ["columns", "name", "predicate", "primary", "unique"]
        );
        assert_eq!(field(&indexes[0], "predicate").to_string(), "id > 0");
        let fks = field(&d, "foreign_keys").into_array().expect("an array");
        assert_eq!(
            keys(&fks[0]),
            [
                "columns",
                "name",
                "on_delete",
                "on_update",
                "ref_columns",
                "ref_table"
            ]
        );
        assert_eq!(field(&d, "primary_key").to_string(), r#"["id"]"#);
    }
}
