//! The `Manager` type of scripts: `manager()`, `manage_databases(path)`.
//!
//! Connections from a config file are pools; a connection added with `mgr.add(db)` is used
//! as it is (so an in-memory SQLite database stays the same database).

use super::conn::{Db, Handle};
use super::package::function;
use super::value::{params, runtime};
use myrmex_core::{Config, DatabaseManager, PoolStats, Value};
use rhai::{Array, Dynamic, EvalAltResult, Module, NativeCallContext, INT};
use serde::Serialize;
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

/// One entry of `mgr.health()`: `server` is set when the connection answered, `error` when
/// it did not.
#[derive(Serialize)]
struct HealthView {
    name: String,
    latency_ms: f64,
    ok: bool,
    server: Option<String>,
    error: Option<String>,
}

/// `mgr.pool_stats(name)` as scripts see it.
#[derive(Serialize)]
struct PoolStatsView {
    size: u32,
    idle: u32,
    in_use: u32,
    max_size: u32,
    checkouts: u64,
    waits: u64,
    timeouts: u64,
}

impl From<PoolStats> for PoolStatsView {
    fn from(s: PoolStats) -> Self {
        PoolStatsView {
            size: s.size,
            idle: s.idle,
            in_use: s.in_use,
            max_size: s.max_size,
            checkouts: s.checkouts,
            waits: s.waits,
            timeouts: s.timeouts,
        }
    }
}

fn health(mgr: &Mgr) -> RhaiResult<Dynamic> {
    let views: Vec<HealthView> = mgr
        .names()
        .into_iter()
        .map(|name| {
            let started = Instant::now();
            let result = mgr.get(&name).and_then(|db| {
                db.with(|c| {
                    c.ping()?;
                    c.server_info()
                })
            });
            let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
            match result {
                Ok(info) => HealthView {
                    name,
                    latency_ms,
                    ok: true,
                    server: Some(format!("{} {}", info.engine, info.version)),
                    error: None,
                },
                Err(e) => HealthView {
                    name,
                    latency_ms,
                    ok: false,
                    server: None,
                    error: Some(e.to_string()),
                },
            }
        })
        .collect();
    rhai::serde::to_dynamic(views)
}

fn on(mgr: &Mgr, name: &str, sql: &str, args: &[Value]) -> RhaiResult<Dynamic> {
    mgr.get(name)?.query_rows(sql, args)
}

fn exec(mgr: &Mgr, name: &str, sql: &str, args: &[Value]) -> RhaiResult<INT> {
    let db = mgr.get(name)?;
    db.with(|c| c.execute(sql, args))
        .map(|r| r.rows_affected as INT)
}

/// `manager()`: an empty manager over the engine's plugins.
fn manager(call: NativeCallContext) -> RhaiResult<Mgr> {
    let ctx = super::context(&call)?;
    Ok(Mgr::new(DatabaseManager::with_registry(
        ctx.registry.clone(),
    )))
}

/// `manage_databases(path)`: pools for the connections of a config file.
fn manage_file(call: NativeCallContext, path: &str) -> RhaiResult<Mgr> {
    let ctx = super::context(&call)?;
    let config = Config::load(Path::new(path)).map_err(|e| runtime(e.to_string()))?;
    let pools = DatabaseManager::from_config(&config, ctx.registry.clone())
        .map_err(|e| runtime(e.to_string()))?;
    Ok(Mgr::new(pools))
}

/// `manage_databases()`: pools for the connections of the loaded config file.
fn manage_loaded(call: NativeCallContext) -> RhaiResult<Mgr> {
    let ctx = super::context(&call)?;
    let config = ctx.config.as_ref().ok_or_else(|| {
        runtime("manage_databases(): no config file loaded (use --config or ./myrmex.toml, or pass a path)")
    })?;
    let pools = DatabaseManager::from_config(config, ctx.registry.clone())
        .map_err(|e| runtime(e.to_string()))?;
    Ok(Mgr::new(pools))
}

/// Registers `manager`, `manage_databases` and the `Manager` methods.
pub fn register(module: &mut Module) {
    module.set_custom_type::<Mgr>("Manager");
    function("manager").set_into_module(module, manager);
    function("manage_databases").set_into_module(module, manage_file);
    function("manage_databases").set_into_module(module, manage_loaded);
    function("add").set_into_module(module, |m: &mut Mgr, db: Db| {
        let name = db.name();
        m.0.borrow_mut().attached.insert(name, db);
    });
    function("remove").set_into_module(module, |m: &mut Mgr, name: &str| {
        let mut inner = m.0.borrow_mut();
        let a = inner.attached.remove(name).is_some();
        inner.pools.remove(name) || a
    });
    function("names").set_into_module(module, |m: &mut Mgr| -> Array {
        m.names().into_iter().map(Dynamic::from).collect()
    });
    function("get").set_into_module(module, |m: &mut Mgr, name: &str| m.get(name));
    function("execute").set_into_module(module, |m: &mut Mgr, name: &str, sql: &str| {
        exec(m, name, sql, &[])
    });
    function("execute")
        .set_into_module(module, |m: &mut Mgr, name: &str, sql: &str, args: Array| {
            exec(m, name, sql, &params(&args)?)
        });
    function("query").set_into_module(module, |m: &mut Mgr, name: &str, sql: &str| {
        on(m, name, sql, &[])
    });
    function("query").set_into_module(module, |m: &mut Mgr, name: &str, sql: &str, args: Array| {
        on(m, name, sql, &params(&args)?)
    });
    function("health").set_into_module(module, |m: &mut Mgr| health(m));
    function("pool_stats").set_into_module(
        module,
        |m: &mut Mgr, name: &str| -> RhaiResult<Dynamic> {
            let stats =
                m.0.borrow()
                    .pools
                    .pool_stats(name)
                    .map_err(|e| runtime(e.to_string()))?;
            rhai::serde::to_dynamic(PoolStatsView::from(stats))
        },
    );
    function("to_string").set_into_module(module, |m: &mut Mgr| {
        format!("Manager({})", m.names().join(", "))
    });
    function("to_debug").set_into_module(module, |m: &mut Mgr| {
        format!("Manager({})", m.names().join(", "))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::value::test_maps::*;
    use rhai::Map;

    #[test]
    fn pool_stats_are_integers() {
        let stats = PoolStats {
            size: 2,
            idle: 1,
            in_use: 1,
            max_size: 8,
            checkouts: 10,
            waits: 0,
            timeouts: 0,
        };
        let d = rhai::serde::to_dynamic(PoolStatsView::from(stats)).expect("converts");
        assert_eq!(
            keys(&d),
            [
                "checkouts",
                "idle",
                "in_use",
                "max_size",
                "size",
                "timeouts",
                "waits"
            ]
        );
        let m = d.read_lock::<Map>().expect("a map");
        assert!(m.values().all(|v| v.is_int()));
        assert_eq!(m.get("max_size").and_then(|v| v.as_int().ok()), Some(8));
    }

    #[test]
    fn an_unreachable_connection_reports_its_error() {
        let d = rhai::serde::to_dynamic(HealthView {
            name: "main".into(),
            latency_ms: 1.5,
            ok: false,
            server: None,
            error: Some("refused".into()),
        })
        .expect("converts");
        assert_eq!(keys(&d), ["error", "latency_ms", "name", "ok", "server"]);
        let m = d.read_lock::<Map>().expect("a map");
        assert!(m.get("server").is_some_and(Dynamic::is_unit));
        assert!(m.get("latency_ms").is_some_and(Dynamic::is_float));
    }
}
