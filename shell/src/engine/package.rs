//! The myrmex API as a Rhai package, and the packages every engine of the shell gets.
//!
//! Rhai's standard library and the myrmex functions, types and iterators are built into shared
//! modules once per context; an engine only links them (see [`super::build`]). Functions that
//! need the plugins or the config take them from the engine's context ([`super::context`]), so
//! the package itself holds no context.

use super::value::runtime;
use rhai::packages::{Package, StandardPackage};
use rhai::{
    def_package, Array, Dynamic, Engine, EvalAltResult, FuncRegistration, Module, NativeCallContext,
};

def_package! {
    /// Every function, type and iterator of the myrmex API (`docs/rhai-api.md`).
    pub MyrmexPackage(module) {
        register(module);
        crate::memory::register(module);
        super::value::register(module);
        super::row::register(module);
        super::conn::register(module);
        super::copy_out::register(module);
        super::bulk::register(module);
        super::schema::register(module);
        super::convert::register(module);
        super::migrate::register(module);
        super::manager::register(module);
        super::plugins::register(module);
        super::shard::register(module);
        super::audit::register(module);
        super::backup::register(module);
        super::monitor::register(module);
    }
}

/// Rhai's standard library and the myrmex API, each built once and linked into every engine.
pub struct Packages {
    standard: StandardPackage,
    myrmex: MyrmexPackage,
}

impl Packages {
    /// Builds both packages.
    pub fn new() -> Self {
        Packages {
            standard: StandardPackage::new(),
            myrmex: MyrmexPackage::new(),
        }
    }

    /// Links both into `engine`; the myrmex API last, so that its functions win over the
    /// standard library's of the same signature (the memory-checked `pad` and `blob`).
    pub fn register_into(&self, engine: &mut Engine) {
        self.standard.register_into_engine(engine);
        self.myrmex.register_into_engine(engine);
    }
}

impl Default for Packages {
    fn default() -> Self {
        Packages::new()
    }
}

/// The registration of a native function `name` callable from scripts without a namespace,
/// as `Engine::register_fn` makes it; `.set_into_module(module, f)` adds it.
pub fn function(name: &str) -> FuncRegistration {
    FuncRegistration::new(name).in_global_namespace()
}

/// Registers `read_file`, `env` and `functions`.
fn register(module: &mut Module) {
    function("read_file").set_into_module(
        module,
        |path: &str| -> Result<String, Box<EvalAltResult>> {
            std::fs::read_to_string(path)
                .map_err(|e| runtime(format!("read_file(\"{path}\"): {e}")))
        },
    );
    function("env").set_into_module(module, |name: &str| -> Dynamic {
        std::env::var(name)
            .map(Dynamic::from)
            .unwrap_or(Dynamic::UNIT)
    });
    // Listed from the engine the call runs in: nothing is built to answer it.
    function("functions").set_into_module(module, |call: NativeCallContext| -> Array {
        super::function_names(call.engine())
            .into_iter()
            .map(Dynamic::from)
            .collect()
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_package_lists_the_api() {
        let mut engine = Engine::new_raw();
        Packages::new().register_into(&mut engine);
        let names = super::super::function_names(&engine);
        for name in [
            "connect",
            "functions",
            "read_file",
            "pad",
            "migrations",
            "plugins",
        ] {
            assert!(names.iter().any(|n| n == name), "{name} missing");
        }
        // The standard library is linked but not listed.
        assert!(!names.iter().any(|n| n == "abs"));
    }

    #[test]
    fn functions_answers_from_the_running_engine() {
        let mut engine = Engine::new_raw();
        Packages::new().register_into(&mut engine);
        let listed: Array = engine.eval("functions()").expect("functions() runs");
        assert_eq!(listed.len(), super::super::function_names(&engine).len());
    }
}
