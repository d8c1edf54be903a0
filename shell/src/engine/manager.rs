//! The `Manager` type of scripts: `manager()`, `manage_databases(path)`.
//!
//! Connections from a config file are pools; a connection added with `mgr.add(db)` is used
//! as it is (so an in-memory SQLite database stays the same database).

use super::conn::{Db, Handle};

use super::value::{params, runtime};
use super::Context;
use myrmex_core::{Config, DatabaseManager, Value};
use rhai::{Array, Dynamic, Engine, EvalAltResult, Map, INT};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::Path;
use std::rc::Rc;
use std::time::Instant;

type RhaiResult<T> = Result<T, Box<EvalAltResult>>;

/// Named connections for scripts.
#[derive(Clone)]
pub struct Mgr(Rc<RefCell<MgrInner>>);

struct MgrInner {
    pools: DatabaseManager,
    attached: BTreeMap<String, Db>,
}

impl Mgr {
    fn new(pools: DatabaseManager) -> Self {
        Mgr(Rc::new(RefCell::new(MgrInner {
            pools,
            attached: BTreeMap::new(),
        })))
    }

    /// The connection `name`: the attached one, or one borrowed from its pool.
    pub fn get(&self, name: &str) -> RhaiResult<Db> {
        let inner = self.0.borrow();
        if let Some(db) = inner.attached.get(name) {
            return Ok(db.clone());
        }
        let checkout = inner
            .pools
            .checkout(name)
            .map_err(|e| runtime(self.unknown(name, e)))?;
        drop(inner);
        if let Some(pooled) = checkout.ready() {
            return Ok(Db::new(Handle::Pooled(pooled)));
        }
        // A checkout may have to wait or connect: Ctrl-C or the time limit abandons it.
        match crate::interrupt::abandonable(move || checkout.get()) {
            Some(Ok(pooled)) => Ok(Db::new(Handle::Pooled(pooled))),
            Some(Err(e)) => Err(runtime(self.unknown(name, e))),
            None => Err(runtime(format!(
                "{name}: getting a connection was interrupted"
            ))),
        }
    }

    fn unknown(&self, name: &str, e: myrmex_core::Error) -> String {
        match e {
            myrmex_core::Error::UnknownConnection { .. } => {
                format!(
                    "no connection named `{name}` (known: {})",
                    self.names().join(", ")
                )
            }
            other => other.to_string(),
        }
    }

    fn names(&self) -> Vec<String> {
        let inner = self.0.borrow();
        let mut names: Vec<String> = inner.pools.names();
        names.extend(inner.attached.keys().cloned());
        names.sort();
        names.dedup();
        names
    }
}

fn health(mgr: &Mgr) -> Array {
    let mut out = Vec::new();
    for name in mgr.names() {
        let started = Instant::now();
        let result = mgr.get(&name).and_then(|db| {
            db.with(|c| {
                c.ping()?;
                c.server_info()
            })
        });
        let mut m = Map::new();
        m.insert("name".into(), name.into());
        m.insert(
            "latency_ms".into(),
            Dynamic::from_float(started.elapsed().as_secs_f64() * 1000.0),
        );
        match result {
            Ok(info) => {
                m.insert("ok".into(), true.into());
                m.insert(
                    "server".into(),
                    format!("{} {}", info.engine, info.version).into(),
                );
                m.insert("error".into(), Dynamic::UNIT);
            }
            Err(e) => {
                m.insert("ok".into(), false.into());
                m.insert("server".into(), Dynamic::UNIT);
                m.insert("error".into(), e.to_string().into());
            }
        }
        out.push(Dynamic::from_map(m));
    }
    out
}

fn on(mgr: &Mgr, name: &str, sql: &str, args: &[Value]) -> RhaiResult<Dynamic> {
    mgr.get(name)?.query_rows(sql, args)
}

fn exec(mgr: &Mgr, name: &str, sql: &str, args: &[Value]) -> RhaiResult<INT> {
    let db = mgr.get(name)?;
    db.with(|c| c.execute(sql, args))
        .map(|r| r.rows_affected as INT)
}

/// Registers `manager`, `manage_databases` and the `Manager` methods.
pub fn register(engine: &mut Engine, ctx: &Rc<Context>) {
    engine.register_type_with_name::<Mgr>("Manager");
    let c = ctx.clone();
    engine.register_fn("manager", move || {
        Mgr::new(DatabaseManager::with_registry(c.registry.clone()))
    });
    let c = ctx.clone();
    engine.register_fn("manage_databases", move |path: &str| -> RhaiResult<Mgr> {
        let config = Config::load(Path::new(path)).map_err(|e| runtime(e.to_string()))?;
        let pools = DatabaseManager::from_config(&config, c.registry.clone())
            .map_err(|e| runtime(e.to_string()))?;
        Ok(Mgr::new(pools))
    });
    let c = ctx.clone();
    engine.register_fn("manage_databases", move || -> RhaiResult<Mgr> {
        let config = c.config.as_ref().ok_or_else(|| runtime("manage_databases(): no config file loaded (use --config or ./myrmex.toml, or pass a path)"))?;
        let pools = DatabaseManager::from_config(config, c.registry.clone()).map_err(|e| runtime(e.to_string()))?;
        Ok(Mgr::new(pools))
    });
    engine.register_fn("add", |m: &mut Mgr, db: Db| {
        let name = db.name();
        m.0.borrow_mut().attached.insert(name, db);
    });
    engine.register_fn("remove", |m: &mut Mgr, name: &str| {
        let mut inner = m.0.borrow_mut();
        let a = inner.attached.remove(name).is_some();
        inner.pools.remove(name) || a
    });
    engine.register_fn("names", |m: &mut Mgr| -> Array {
        m.names().into_iter().map(Dynamic::from).collect()
    });
    engine.register_fn("get", |m: &mut Mgr, name: &str| m.get(name));
    engine.register_fn("execute", |m: &mut Mgr, name: &str, sql: &str| {
        exec(m, name, sql, &[])
    });
    engine.register_fn(
        "execute",
        |m: &mut Mgr, name: &str, sql: &str, args: Array| exec(m, name, sql, &params(&args)?),
    );
    engine.register_fn("query", |m: &mut Mgr, name: &str, sql: &str| {
        on(m, name, sql, &[])
    });
    engine.register_fn(
        "query",
        |m: &mut Mgr, name: &str, sql: &str, args: Array| on(m, name, sql, &params(&args)?),
    );
    engine.register_fn("health", |m: &mut Mgr| health(m));
    engine.register_fn("pool_stats", |m: &mut Mgr, name: &str| -> RhaiResult<Map> {
        let s =
            m.0.borrow()
                .pools
                .pool_stats(name)
                .map_err(|e| runtime(e.to_string()))?;
        let mut out = Map::new();
        for (k, v) in [
            ("size", s.size as INT),
            ("idle", s.idle as INT),
            ("in_use", s.in_use as INT),
            ("max_size", s.max_size as INT),
            ("checkouts", s.checkouts as INT),
            ("waits", s.waits as INT),
            ("timeouts", s.timeouts as INT),
        ] {
            out.insert(k.into(), Dynamic::from_int(v));
        }
        Ok(out)
    });
    engine.register_fn("to_string", |m: &mut Mgr| {
        format!("Manager({})", m.names().join(", "))
    });
    engine.register_fn("to_debug", |m: &mut Mgr| {
        format!("Manager({})", m.names().join(", "))
    });
}
