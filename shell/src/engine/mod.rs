//! The Rhai engine with the myrmex API registered (see `docs/rhai-api.md`).

pub mod conn;
pub mod copy_out;
pub mod manager;
pub mod migrate;
pub mod plugins;
pub mod row;
pub mod schema;
pub mod value;

use crate::interrupt;
use myrmex_core::plugin::Registry;
use myrmex_core::{Config, Limits};
use rhai::{Dynamic, Engine};
use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What scripts can reach: the plugins and the loaded config.
pub struct Context {
    /// Loaded plugins.
    pub registry: Arc<Registry>,
    /// The config file, if one was loaded.
    pub config: Option<Config>,
    /// Limits for scripts.
    pub limits: Limits,
    deadline: Cell<Option<Instant>>,
}

impl Context {
    /// A context over `registry` and `config`.
    pub fn new(registry: Arc<Registry>, config: Option<Config>, limits: Limits) -> Rc<Context> {
        Rc::new(Context {
            registry,
            config,
            limits,
            deadline: Cell::new(None),
        })
    }

    /// Starts the wall-clock limit for one evaluation.
    pub fn start_clock(&self) {
        let t = self.limits.timeout_ms;
        self.deadline
            .set((t > 0).then(|| Instant::now() + Duration::from_millis(t)));
    }
}

/// Builds the engine: the myrmex API, limits, and Ctrl-C / timeout checks.
pub fn build(ctx: &Rc<Context>) -> Engine {
    let mut engine = Engine::new();
    engine.set_max_operations(ctx.limits.max_operations);
    engine.set_max_call_levels(ctx.limits.max_call_levels);
    engine.set_max_expr_depths(256, 128);
    let c = ctx.clone();
    let timeout_ms = ctx.limits.timeout_ms;
    engine.on_progress(move |ops| {
        if interrupt::is_set() {
            return Some(Dynamic::from("interrupted"));
        }
        if ops % 4096 == 0 {
            if let Some(d) = c.deadline.get() {
                if Instant::now() > d {
                    return Some(Dynamic::from(format!("script timed out after {timeout_ms} ms (raise --timeout or [limits] timeout_ms)")));
                }
            }
        }
        None
    });
    engine.register_fn(
        "read_file",
        |path: &str| -> Result<String, Box<rhai::EvalAltResult>> {
            std::fs::read_to_string(path)
                .map_err(|e| value::runtime(format!("read_file(\"{path}\"): {e}")))
        },
    );
    engine.register_fn("env", |name: &str| -> Dynamic {
        std::env::var(name)
            .map(Dynamic::from)
            .unwrap_or(Dynamic::UNIT)
    });
    value::register(&mut engine);
    // Listed on demand, from an engine built the same way: nothing added to start-up.
    let c = ctx.clone();
    engine.register_fn("functions", move || -> rhai::Array {
        function_names(&build(&c))
            .into_iter()
            .map(Dynamic::from)
            .collect()
    });

    row::register(&mut engine);
    conn::register(&mut engine, ctx);
    copy_out::register(&mut engine);
    schema::register(&mut engine);
    migrate::register(&mut engine, ctx);
    manager::register(&mut engine, ctx);
    plugins::register(&mut engine, ctx);
    engine
}

/// Names of every function scripts can call, for completion and `\help`.
pub fn function_names(engine: &Engine) -> Vec<String> {
    let mut names: Vec<String> = engine
        .gen_fn_signatures(false)
        .into_iter()
        .filter_map(|sig| {
            let name = sig
                .split('(')
                .next()?
                .trim()
                .rsplit(' ')
                .next()?
                .to_string();
            (!name.is_empty()
                && name.chars().all(|c| c.is_alphanumeric() || c == '_')
                && !name.starts_with("get$")
                && !name.starts_with("set$"))
            .then_some(name)
        })
        .collect();
    names.sort();
    names.dedup();
    names
}
