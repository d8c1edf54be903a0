//! `shard_router(name[, config])` and `router.route(key, shards)`: shard routers from
//! plugins, for scripts.

use super::value::{from_dynamic, runtime, to_json};
use super::Context;
use myrmex_core::ShardRouter;
use rhai::{Dynamic, Engine, EvalAltResult, Map, INT};
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

/// Registers the functions.
pub fn register(engine: &mut Engine, ctx: &Rc<Context>) {
    engine.register_type_with_name::<Router>("ShardRouter");
    let c = ctx.clone();
    engine.register_fn("shard_router", move |name: &str| open(&c, name, ""));
    let c = ctx.clone();
    engine.register_fn("shard_router", move |name: &str, config: Map| {
        open(&c, name, &to_json(&Dynamic::from_map(config)))
    });
    engine.register_fn("route", route);
    engine.register_get("name", |r: &mut Router| r.0.name().to_string());
    engine.register_fn("to_string", |r: &mut Router| format!("ShardRouter({})", r.0.name()));
}
