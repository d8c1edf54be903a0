//! The Rhai engines of the shell: Rhai's standard library and the myrmex API (see
//! `docs/rhai-api.md`), both built once per [`Context`] as packages and shared by every engine
//! built over it (the REPL's, a script's, the one running `.rhai` migrations).

pub mod audit;
pub mod backup;
pub mod bulk;
pub mod conn;
pub mod convert;
pub mod copy_in;
pub mod copy_out;
pub mod copy_read;
pub mod manager;
pub mod migrate;
pub mod monitor;
pub mod package;
pub mod plugins;
pub mod row;
pub mod schema;
pub mod shard;
pub mod value;

use crate::interrupt;
use myrmex_core::plugin::Registry;
use myrmex_core::{Config, Limits};
use package::Packages;
use rhai::module_resolvers::FileModuleResolver;
use rhai::{Dynamic, Engine, EvalAltResult, NativeCallContext};
use std::cell::OnceCell;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

/// How many strings an engine keeps interned (what `Engine::new` sets).
const STRINGS_INTERNED: usize = 256;

/// What scripts can reach: the plugins and the loaded config.
pub struct Context {
    /// Loaded plugins.
    pub registry: Arc<Registry>,
    /// The config file, if one was loaded.
    pub config: Option<Config>,
    /// Limits for scripts.
    pub limits: Limits,
    /// The packages every engine over this context gets, built by the first engine.
    packages: OnceCell<Packages>,
}

impl Context {
    /// A context over `registry` and `config`.
    pub fn new(registry: Arc<Registry>, config: Option<Config>, limits: Limits) -> Rc<Context> {
        Rc::new(Context {
            registry,
            config,
            limits,
            packages: OnceCell::new(),
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

    /// The standard library and the myrmex API, built on first use.
    fn packages(&self) -> &Packages {
        self.packages.get_or_init(Packages::new)
    }
}

/// The context of the engine running a native function: [`build`] makes it the engine's
/// custom state, so that the shared package's functions reach the plugins and the config of
/// the engine they run in.
pub fn context(call: &NativeCallContext) -> Result<Rc<Context>, Box<EvalAltResult>> {
    call.tag()
        .and_then(|tag| tag.read_lock::<Rc<Context>>().map(|c| Rc::clone(&c)))
        .ok_or_else(|| {
            value::runtime(format!(
                "{}(): not available here (the engine has no myrmex context)",
                call.fn_name()
            ))
        })
}

/// Builds an engine: what `Engine::new` sets up (module resolver, string interning, `print`
/// and `debug` to standard output), the shared packages, the context, limits, and Ctrl-C /
/// timeout checks. Building one registers no function: the packages are built once per
/// context.
pub fn build(ctx: &Rc<Context>) -> Engine {
    let mut engine = Engine::new_raw();
    engine.set_module_resolver(FileModuleResolver::new());
    engine.set_max_strings_interned(STRINGS_INTERNED);
    engine.on_print(|s| println!("{s}"));
    engine.on_debug(|s, source, pos| match (source, pos.is_none()) {
        (Some(source), true) => println!("{source} | {s}"),
        (Some(source), false) => println!("{source} @ {pos:?} | {s}"),
        (None, true) => println!("{s}"),
        (None, false) => println!("{pos:?} | {s}"),
    });
    ctx.packages().register_into(&mut engine);
    engine.set_default_tag(Dynamic::from(Rc::clone(ctx)));
    apply_limits(&mut engine, &ctx.limits);
    let c = Rc::clone(ctx);
    engine.on_progress(move |_| {
        if interrupt::is_set() {
            return Some(Dynamic::from("interrupted"));
        }
        if interrupt::timed_out() {
            return Some(Dynamic::from(c.timeout_message()));
        }
        crate::memory::over_limit(0).map(Dynamic::from)
    });
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

#[cfg(test)]
mod tests {
    use super::*;
    use myrmex_core::plugin::SearchPath;

    fn context() -> Rc<Context> {
        let registry = Registry::load(SearchPath::standard(&[], &[], None));
        Context::new(Arc::new(registry), None, Limits::default())
    }

    #[test]
    fn engines_share_the_packages_of_their_context() {
        let ctx = context();
        let a = build(&ctx);
        let b = build(&ctx);
        assert_eq!(function_names(&a), function_names(&b));
        let first = ctx.packages() as *const Packages;
        assert!(std::ptr::eq(first, ctx.packages()));
    }

    #[test]
    fn functions_reach_the_context_of_their_engine() {
        let ctx = context();
        let engine = build(&ctx);
        let refusals: rhai::Array = engine
            .eval("plugin_refusals()")
            .expect("the context is there");
        assert_eq!(refusals.len(), ctx.registry.refusals().len());
        let err = engine
            .eval::<Dynamic>(r#"connection("main")"#)
            .expect_err("no config is loaded");
        assert!(err.to_string().contains("no config file loaded"), "{err}");
    }

    #[test]
    fn an_engine_without_a_context_says_so() {
        let mut engine = Engine::new_raw();
        Packages::new().register_into(&mut engine);
        let err = engine.eval::<Dynamic>("plugins()").expect_err("no context");
        assert!(
            err.to_string().contains("plugins(): not available here"),
            "{err}"
        );
    }
}
