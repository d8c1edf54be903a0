//! The Rhai engine with the myrmex API registered (see `docs/rhai-api.md`).

pub mod conn;
pub mod copy_out;
pub mod manager;
pub mod migrate;
pub mod plugins;
pub mod row;
pub mod schema;
pub mod shard;
pub mod value;

use crate::interrupt;
use myrmex_core::plugin::Registry;
use myrmex_core::{Config, Limits};
use rhai::{Dynamic, Engine};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

/// What scripts can reach: the plugins and the loaded config.
pub struct Context {
    /// Loaded plugins.
    pub registry: Arc<Registry>,
    /// The config file, if one was loaded.
    pub config: Option<Config>,
    /// Limits for scripts.
    pub limits: Limits,
}

impl Context {
    /// A context over `registry` and `config`.
    pub fn new(registry: Arc<Registry>, config: Option<Config>, limits: Limits) -> Rc<Context> {
        Rc::new(Context {
            registry,
            config,
            limits,
        })
    }

    /// Starts one evaluation: clears Ctrl-C and timeout flags and arms the time limit, which
    /// lasts until the returned watchdog is dropped.
    pub fn start_clock(&self) -> interrupt::Watchdog {
        interrupt::reset();
        let t = self.limits.timeout_ms;
        interrupt::Watchdog::arm((t > 0).then(|| Duration::from_millis(t)))
    }

    /// The message of a script stopped by its time limit.
    pub fn timeout_message(&self) -> String {
        format!(
            "script timed out after {} ms (a running statement or connect attempt was stopped; raise --timeout or [limits] timeout_ms)",
            self.limits.timeout_ms
        )
    }
}

/// Builds the engine: the myrmex API, limits, and Ctrl-C / timeout checks.
pub fn build(ctx: &Rc<Context>) -> Engine {
    let mut engine = Engine::new();
    apply_limits(&mut engine, &ctx.limits);
    let c = ctx.clone();
    engine.on_progress(move |_| {
        if interrupt::is_set() {
            return Some(Dynamic::from("interrupted"));
        }
        if interrupt::timed_out() {
            return Some(Dynamic::from(c.timeout_message()));
        }
        crate::memory::over_limit(0).map(Dynamic::from)
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
    crate::memory::register(&mut engine);
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
    shard::register(&mut engine, ctx);
    engine
}

/// Sets the engine's limits from `limits`: operations, call depth (capped at what the script
/// thread's stack holds), expression depth and the sizes of strings, arrays and maps.
pub fn apply_limits(engine: &mut Engine, limits: &Limits) {
    engine.set_max_operations(limits.max_operations);
    engine.set_max_call_levels(limits.max_call_levels.min(Limits::MAX_CALL_LEVELS));
    engine.set_max_expr_depths(256, 128);
    engine.set_max_string_size(limits.max_string_size);
    engine.set_max_array_size(limits.max_array_size);
    engine.set_max_map_size(limits.max_map_size);
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
