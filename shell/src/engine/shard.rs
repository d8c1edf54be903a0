//! `shard_router(name[, config])` and `router.route(key, shards)`: shard routers from
//! plugins, for scripts.

use super::package::function;
use super::value::{from_dynamic, runtime, to_json};
use super::Context;
use myrmex_core::ShardRouter;
use rhai::{Dynamic, EvalAltResult, Map, Module, NativeCallContext, INT};
use std::rc::Rc;

/// A shard router as scripts hold it (clones share it).
#[derive(Clone)]
pub struct Router(Rc<ShardRouter>);

fn open(ctx: &Context, name: &str, config: &str) -> Result<Router, Box<EvalAltResult>> {
    ShardRouter::open(&ctx.registry, name, config)
        .map(|r| Router(Rc::new(r)))
        .map_err(|e| runtime(e.to_string()))
}

fn route(router: &mut Router, key: Dynamic, shards: INT) -> Result<INT, Box<EvalAltResult>> {
    let shards = u32::try_from(shards)
        .map_err(|_| runtime(format!("route(): shard count {shards} is out of range")))?;
    let key = from_dynamic(&key, 1)?;
    router
        .0
        .route(&key, shards)
        .map(INT::from)
        .map_err(|e| runtime(e.to_string()))
}

/// Registers `shard_router` and `ShardRouter`.
pub fn register(module: &mut Module) {
    module.set_custom_type::<Router>("ShardRouter");
    function("shard_router").set_into_module(module, |call: NativeCallContext, name: &str| {
        open(&*super::context(&call)?, name, "")
    });
    function("shard_router").set_into_module(
        module,
        |call: NativeCallContext, name: &str, config: Map| {
            open(
                &*super::context(&call)?,
                name,
                &to_json(&Dynamic::from_map(config)),
            )
        },
    );
    function("route").set_into_module(module, route);
    module.set_getter_fn(
        "name",
        |r: &mut Router| -> Result<String, Box<EvalAltResult>> { Ok(r.0.name().to_string()) },
    );
    function("to_string").set_into_module(module, |r: &mut Router| {
        format!("ShardRouter({})", r.0.name())
    });
}
