//! `plugins()` and `plugin_refusals()`, and how `myrmex plugins` shows them.

use super::package::function;
use super::Context;
use crate::output::{Format, Tabular};
use myrmex_core::plugin::{FileOutcome, LoadedPlugin, Registry};
use rhai::{Array, Dynamic, EvalAltResult, Map, Module, NativeCallContext};
use serde::Serialize;
use std::fmt::Write as _;

/// A loaded plugin as scripts see it.
#[derive(Serialize)]
struct PluginView<'a> {
    /// The library file.
    file: String,
    name: &'a str,
    version: &'a str,
    contract: u32,
    /// `flag`, `env`, `config FILE` or `bundled`.
    origin: String,
    capabilities: Vec<CapabilityView<'a>>,
}

/// One capability of [`PluginView`].
#[derive(Serialize)]
struct CapabilityView<'a> {
    kind: &'static str,
    name: &'a str,
    description: &'a str,
}

impl<'a> PluginView<'a> {
    fn of(p: &'a LoadedPlugin) -> Self {
        PluginView {
            file: p.path.display().to_string(),
            name: &p.name,
            version: &p.version,
            contract: p.contract,
            origin: p.origin.to_string(),
            capabilities: p
                .capabilities
                .iter()
                .map(|c| CapabilityView {
                    kind: c.kind.name(),
                    name: &c.name,
                    description: &c.description,
                })
                .collect(),
        }
    }
}

/// Every loaded plugin as a map: `file`, `name`, `version`, `contract`, `origin` (`flag`,
/// `env`, `config FILE` or `bundled`), `capabilities` (an array of `#{kind, name,
/// description}`).
pub fn plugin_maps(ctx: &Context) -> Array {
    ctx.registry
        .plugins()
        .iter()
        .filter_map(|p| match rhai::serde::to_dynamic(PluginView::of(p)) {
            Ok(map) => Some(map),
            // Strings and integers always convert; should one not, the plugin is left out
            // of the list rather than shown wrong.
            Err(e) => {
                tracing::warn!("plugin {}: cannot list it: {e}", p.name);
                None
            }
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

/// Registers `plugins` and `plugin_refusals`.
pub fn register(module: &mut Module) {
    function("plugins").set_into_module(
        module,
        |call: NativeCallContext| -> Result<Array, Box<EvalAltResult>> {
            Ok(plugin_maps(&*super::context(&call)?))
        },
    );
    function("plugin_refusals").set_into_module(
        module,
        |call: NativeCallContext| -> Result<Array, Box<EvalAltResult>> {
            Ok(super::context(&call)?
                .registry
                .refusals()
                .iter()
                .map(|r| Dynamic::from(r.to_string()))
                .collect())
        },
    );
}
