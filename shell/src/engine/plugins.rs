//! `plugins()` and `plugin_refusals()`.

use super::Context;
use rhai::{Array, Dynamic, Engine, Map, INT};
use std::rc::Rc;

/// Every loaded plugin as a map: `file`, `name`, `version`, `contract`, `capabilities`
/// (an array of `#{kind, name, description}`).
pub fn plugin_maps(ctx: &Context) -> Array {
    ctx.registry
        .plugins()
        .iter()
        .map(|p| {
            let mut m = Map::new();
            m.insert("file".into(), p.path.display().to_string().into());
            m.insert("name".into(), p.name.clone().into());
            m.insert("version".into(), p.version.clone().into());
            m.insert("contract".into(), Dynamic::from_int(p.contract as INT));
            let caps: Array = p
                .capabilities
                .iter()
                .map(|c| {
                    let mut cm = Map::new();
                    cm.insert("kind".into(), c.kind.name().into());
                    cm.insert("name".into(), c.name.clone().into());
                    cm.insert("description".into(), c.description.clone().into());
                    Dynamic::from_map(cm)
                })
                .collect();
            m.insert("capabilities".into(), caps.into());
            Dynamic::from_map(m)
        })
        .collect()
}

/// Registers the functions.
pub fn register(engine: &mut Engine, ctx: &Rc<Context>) {
    let c = ctx.clone();
    engine.register_fn("plugins", move || plugin_maps(&c));
    let c = ctx.clone();
    engine.register_fn("plugin_refusals", move || -> Array {
        c.registry
            .refusals()
            .iter()
            .map(|r| Dynamic::from(r.to_string()))
            .collect()
    });
}
