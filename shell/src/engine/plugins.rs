//! `plugins()` and `plugin_refusals()`, and how `myrmex plugins` shows them.

use super::Context;
use crate::output::{Format, Tabular};
use myrmex_core::plugin::{FileOutcome, Registry};
use rhai::{Array, Dynamic, Engine, Map, INT};
use std::fmt::Write as _;
use std::rc::Rc;

/// Every loaded plugin as a map: `file`, `name`, `version`, `contract`, `origin` (`flag`,
/// `env`, `config FILE` or `bundled`), `capabilities` (an array of `#{kind, name,
/// description}`).
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
            m.insert("origin".into(), p.origin.to_string().into());
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

/// The plugin list as a table or CSV (capabilities as `kind:name, …`), or as JSON: an array
/// of the maps of [`plugin_maps`], capabilities as an array of objects.
pub fn plugins_table(maps: &Array, format: Format) -> String {
    if format == Format::Json {
        return format!(
            "{}\n",
            super::value::to_json(&Dynamic::from_array(maps.clone()))
        );
    }
    let field = |m: &Map, k: &str| m.get(k).cloned().unwrap_or(Dynamic::UNIT);
    let rows = maps
        .iter()
        .filter_map(|d| d.read_lock::<Map>().map(|m| m.clone()))
        .map(|m| {
            let caps = m
                .get("capabilities")
                .and_then(|c| c.read_lock::<Array>().map(|a| a.clone()))
                .unwrap_or_default()
                .iter()
                .filter_map(|c| {
                    c.read_lock::<Map>()
                        .map(|m| format!("{}:{}", field(&m, "kind"), field(&m, "name")))
                })
                .collect::<Vec<_>>()
                .join(", ");
            vec![
                field(&m, "name"),
                field(&m, "version"),
                field(&m, "contract"),
                Dynamic::from(caps),
                field(&m, "origin"),
                field(&m, "file"),
            ]
        })
        .collect();
    Tabular {
        columns: [
            "name",
            "version",
            "contract",
            "capabilities",
            "origin",
            "file",
        ]
        .map(String::from)
        .to_vec(),
        rows,
    }
    .render(format, false)
}

/// Every searched directory in search order, with its origin and what became of each file
/// in it (`myrmex plugins -v`).
pub fn search_report(registry: &Registry) -> String {
    let mut out = String::from("search path (bundled directories load first):\n");
    for r in registry.reports() {
        let state = if r.readable {
            ""
        } else {
            ": not found or unreadable"
        };
        let _ = writeln!(out, "  {} ({}){state}", r.dir.display(), r.origin);
        for (file, outcome) in &r.files {
            let name = file.file_name().map_or_else(
                || file.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            let what = match outcome {
                FileOutcome::Loaded => "loaded".to_string(),
                FileOutcome::Skipped(why) => format!("skipped: {why}"),
                FileOutcome::Refused(why) => format!("refused: {why}"),
            };
            let _ = writeln!(out, "    {name}: {what}");
        }
    }
    out
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
