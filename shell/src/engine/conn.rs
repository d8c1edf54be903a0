//! The `Connection` type of scripts: `connect`, `execute`, `query`, `cursor`,
//! `transaction`, introspection.

use super::row::Row;
use super::value::{params, runtime, to_dynamic};
use super::Context;
use crate::interrupt;
use myrmex_core::{Columns, ConnectParams, DatabaseConnection, PooledConnection, Value};
use rhai::{
    Array, Dynamic, Engine, EvalAltResult, FnPtr, ImmutableString, Map, NativeCallContext, INT,
};
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

fn describe_map(d: &myrmex_core::TableDetail) -> Map {
    let mut m = Map::new();
    m.insert("schema".into(), d.schema.as_str().into());
    m.insert("name".into(), d.name.as_str().into());
    m.insert("kind".into(), format!("{:?}", d.kind).to_lowercase().into());
    let columns: Array = d
        .columns
        .iter()
        .map(|c| {
            let mut cm = Map::new();
            cm.insert("name".into(), c.name.as_str().into());
            cm.insert("type".into(), c.decl_type.as_str().into());
            cm.insert("nullable".into(), c.nullable.into());
            cm.insert(
                "default_value".into(),
                c.default
                    .as_ref()
                    .map(|s| Dynamic::from(s.to_string()))
                    .unwrap_or(Dynamic::UNIT),
            );
            cm.insert("primary_key".into(), (c.primary_key_position > 0).into());
            cm.insert("auto_increment".into(), c.auto_increment.into());
            Dynamic::from_map(cm)
        })
        .collect();
    m.insert("columns".into(), columns.into());
    m.insert(
        "primary_key".into(),
        d.primary_key
            .iter()
            .map(|s| Dynamic::from(s.to_string()))
            .collect::<Array>()
            .into(),
    );
    let indexes: Array = d
        .indexes
        .iter()
        .map(|i| {
            let mut im = Map::new();
            im.insert("name".into(), i.name.as_str().into());
            im.insert(
                "columns".into(),
                i.columns
                    .iter()
                    .map(|s| Dynamic::from(s.to_string()))
                    .collect::<Array>()
                    .into(),
            );
            im.insert("unique".into(), i.unique.into());
            im.insert("primary".into(), i.primary.into());
            im.insert(
                "predicate".into(),
                i.predicate
                    .as_ref()
                    .map(|s| Dynamic::from(s.to_string()))
                    .unwrap_or(Dynamic::UNIT),
            );
            Dynamic::from_map(im)
        })
        .collect();
    m.insert("indexes".into(), indexes.into());
    let fks: Array = d
        .foreign_keys
        .iter()
        .map(|f| {
            let mut fm = Map::new();
            fm.insert("name".into(), f.name.as_str().into());
            fm.insert(
                "columns".into(),
                f.columns
                    .iter()
                    .map(|s| Dynamic::from(s.to_string()))
                    .collect::<Array>()
                    .into(),
            );
            fm.insert("ref_table".into(), f.ref_table.as_str().into());
            fm.insert(
                "ref_columns".into(),
                f.ref_columns
                    .iter()
                    .map(|s| Dynamic::from(s.to_string()))
                    .collect::<Array>()
                    .into(),
            );
            fm.insert("on_update".into(), f.on_update.as_str().into());
            fm.insert("on_delete".into(), f.on_delete.as_str().into());
            Dynamic::from_map(fm)
        })
        .collect();
    m.insert("foreign_keys".into(), fks.into());
    m
}

/// Registers `connect`, `connection` and the `Connection` methods.
pub fn register(engine: &mut Engine, ctx: &Rc<Context>) {
    engine.register_type_with_name::<Db>("Connection");
    engine.register_type_with_name::<Cursor>("Cursor");
    engine.register_iterator_result::<Cursor, Row>();

    let c = ctx.clone();
    engine.register_fn("connect", move |url: &str| -> RhaiResult<Db> {
        let mut conn = DatabaseConnection::from_url("", url).map_err(|e| runtime(e.to_string()))?;
        conn.name = default_name(&conn);
        connect_with(&c, conn)
    });
    let c = ctx.clone();
    engine.register_fn("connect", move |url: &str, name: &str| -> RhaiResult<Db> {
        let conn = DatabaseConnection::from_url(name, url).map_err(|e| runtime(e.to_string()))?;
        connect_with(&c, conn)
    });
    let c = ctx.clone();
    engine.register_fn("connect", move |map: Map| -> RhaiResult<Db> {
        connect_with(&c, from_map(&map)?)
    });
    let c = ctx.clone();
    engine.register_fn("connection", move |name: &str| -> RhaiResult<Db> {
        let config = c.config.as_ref().ok_or_else(|| {
            runtime(format!(
                "connection(\"{name}\"): no config file loaded (use --config or ./myrmex.toml)"
            ))
        })?;
        let conn = config
            .connection(name)
            .map_err(|e| runtime(e.to_string()))?;
        connect_with(&c, conn)
    });

    engine.register_fn("execute", |db: &mut Db, sql: &str| -> RhaiResult<INT> {
        db.with(|c| c.execute(sql, &[]))
            .map(|r| r.rows_affected as INT)
    });
    engine.register_fn(
        "execute",
        |db: &mut Db, sql: &str, args: Array| -> RhaiResult<INT> {
            let args = params(&args)?;
            db.with(|c| c.execute(sql, &args))
                .map(|r| r.rows_affected as INT)
        },
    );
    engine.register_fn(
        "execute_batch",
        |db: &mut Db, sql: &str| -> RhaiResult<()> { db.with(|c| c.execute_batch(sql)) },
    );
    engine.register_fn(
        "last_insert_id",
        |db: &mut Db, sql: &str, args: Array| -> RhaiResult<Dynamic> {
            let args = params(&args)?;
            let r = db.with(|c| c.execute(sql, &args))?;
            Ok(r.last_insert_id
                .into_option()
                .map(Dynamic::from_int)
                .unwrap_or(Dynamic::UNIT))
        },
    );
    engine.register_fn("query", |db: &mut Db, sql: &str| db.query_rows(sql, &[]));
    engine.register_fn("query", |db: &mut Db, sql: &str, args: Array| {
        db.query_rows(sql, &params(&args)?)
    });
    engine.register_fn(
        "query_row",
        |db: &mut Db, sql: &str| -> RhaiResult<Dynamic> { db.query_first(sql, &[]) },
    );
    engine.register_fn(
        "query_row",
        |db: &mut Db, sql: &str, args: Array| -> RhaiResult<Dynamic> {
            db.query_first(sql, &params(&args)?)
        },
    );
    fn value(db: &Db, sql: &str, args: &[Value]) -> RhaiResult<Dynamic> {
        let rs = db.with(|c| c.execute_query(sql, args))?;
        Ok(rs
            .row(0)
            .and_then(|r| r.first())
            .map(to_dynamic)
            .unwrap_or(Dynamic::UNIT))
    }
    engine.register_fn("query_value", |db: &mut Db, sql: &str| value(db, sql, &[]));
    engine.register_fn("query_value", |db: &mut Db, sql: &str, args: Array| {
        value(db, sql, &params(&args)?)
    });
    engine.register_fn("cursor", |db: &mut Db, sql: &str| open_cursor(db, sql, &[]));
    engine.register_fn("cursor", |db: &mut Db, sql: &str, args: Array| {
        open_cursor(db, sql, &params(&args)?)
    });

    engine.register_fn("begin", |db: &mut Db| db.with(|c| c.begin()));
    engine.register_fn("commit", |db: &mut Db| db.with(|c| c.commit()));
    engine.register_fn("rollback", |db: &mut Db| db.with(|c| c.rollback()));
    engine.register_get("in_transaction", |db: &mut Db| {
        db.0.borrow().handle.in_transaction()
    });
    engine.register_fn(
        "transaction",
        |ctx: NativeCallContext, db: &mut Db, f: FnPtr| -> RhaiResult<Dynamic> {
            db.with(|c| c.begin())?;
            match f.call_within_context::<Dynamic>(&ctx, (db.clone(),)) {
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
        },
    );

    engine.register_fn("tables", |db: &mut Db| -> RhaiResult<Array> {
        Ok(db.table_names()?.into_iter().map(Dynamic::from).collect())
    });
    engine.register_fn("describe", |db: &mut Db, table: &str| -> RhaiResult<Map> {
        db.with(|c| c.describe(table)).map(|d| describe_map(&d))
    });
    engine.register_fn("server_info", |db: &mut Db| -> RhaiResult<Map> {
        let info = db.with(|c| c.server_info())?;
        let mut m = Map::new();
        m.insert("engine".into(), info.engine.as_str().into());
        m.insert("version".into(), info.version.as_str().into());
        Ok(m)
    });
    engine.register_fn("ping", |db: &mut Db| db.with(|c| c.ping()));
    let c = ctx.clone();
    engine.register_fn("reconnect", move |db: &mut Db| -> RhaiResult<()> {
        let mut inner =
            db.0.try_borrow_mut()
                .map_err(|_| runtime("connection is busy (used inside its own cursor loop?)"))?;
        inner.generation += 1;
        // A new session with the same parameters, opened like `connect()` (Ctrl-C and the
        // time limit abandon it); the old one is closed when it is replaced.
        let fresh = open(&c, (*inner.handle).clone()).map_err(runtime)?;
        *inner.handle = fresh;
        // A new session has a new cancel key.
        inner.cancel = inner.handle.cancel_token().map(interrupt::register);
        Ok(())
    });
    engine.register_fn("close", |db: &mut Db| db.with(|c| c.close()));
    engine.register_get("name", |db: &mut Db| db.name());
    engine.register_get("db_type", |db: &mut Db| {
        db.0.borrow().handle.db_type().to_string()
    });
    engine.register_get("url", |db: &mut Db| db.0.borrow().handle.url());
    engine.register_fn("to_string", |db: &mut Db| db.describe_self());
    engine.register_fn("to_debug", |db: &mut Db| db.describe_self());
}
