//! Rhai schema functions: `generate_schema`, `schema_diff`, `lint_schema`, `load_schema`,
//! `db.schema()`, `db.dialect()`, `db.apply_schema()`.

use super::conn::Db;
use super::package::function;
use super::value::runtime;
use myrmex_core::schema_def::{self, Dialect, SchemaDefinition};
use rhai::{Dynamic, Module, INT};
use serde::Serialize;
use std::path::Path;

type RhaiResult<T> = Result<T, Box<rhai::EvalAltResult>>;

/// A definition from a Rhai map, or from the TOML/JSON file a string names.
pub fn definition(v: &Dynamic) -> RhaiResult<SchemaDefinition> {
    if let Some(path) = v.read_lock::<rhai::ImmutableString>() {
        return SchemaDefinition::load(Path::new(path.as_str()))
            .map_err(|e| runtime(e.to_string()));
    }
    rhai::serde::from_dynamic::<SchemaDefinition>(v)
        .map_err(|e| runtime(format!("schema definition: {e}")))
}

fn dialect(name: &str) -> RhaiResult<Dialect> {
    name.parse()
        .map_err(|e: schema_def::SchemaError| runtime(e.to_string()))
}

fn to_map(def: &SchemaDefinition) -> RhaiResult<Dynamic> {
    rhai::serde::to_dynamic(def).map_err(|e| runtime(format!("schema definition: {e}")))
}

/// One statement of `schema_diff` as scripts see it.
#[derive(Serialize)]
struct ChangeView<'a> {
    sql: &'a str,
    description: &'a str,
    destructive: bool,
}

/// One finding of `lint_schema` as scripts see it: `item` is `()` when the finding is about
/// the whole table.
#[derive(Serialize)]
struct FindingView<'a> {
    rule: &'a str,
    severity: schema_def::Severity,
    table: &'a str,
    item: Option<&'a str>,
    message: &'a str,
}

fn changes(list: &[schema_def::Change]) -> RhaiResult<Dynamic> {
    let views: Vec<ChangeView> = list
        .iter()
        .map(|c| ChangeView {
            sql: &c.sql,
            description: &c.description,
            destructive: c.destructive,
        })
        .collect();
    rhai::serde::to_dynamic(views)
}

fn findings(list: &[schema_def::Finding]) -> RhaiResult<Dynamic> {
    let views: Vec<FindingView> = list
        .iter()
        .map(|f| FindingView {
            rule: f.rule,
            severity: f.severity,
            table: &f.table,
            item: f.item.as_deref(),
            message: &f.message,
        })
        .collect();
    rhai::serde::to_dynamic(views)
}

/// Registers the schema functions.
pub fn register(module: &mut Module) {
    function("load_schema").set_into_module(module, |path: &str| -> RhaiResult<Dynamic> {
        let def = SchemaDefinition::load(Path::new(path)).map_err(|e| runtime(e.to_string()))?;
        to_map(&def)
    });
    function("generate_schema").set_into_module(
        module,
        |def: Dynamic, d: &str| -> RhaiResult<String> {
            schema_def::generate_schema(&definition(&def)?, dialect(d)?)
                .map_err(|e| runtime(e.to_string()))
        },
    );
    function("schema_diff").set_into_module(
        module,
        |from: Dynamic, to: Dynamic, d: &str| -> RhaiResult<Dynamic> {
            let list = schema_def::diff(&definition(&from)?, &definition(&to)?, dialect(d)?)
                .map_err(|e| runtime(e.to_string()))?;
            changes(&list)
        },
    );
    function("lint_schema").set_into_module(module, |def: Dynamic| -> RhaiResult<Dynamic> {
        findings(&schema_def::lint(&definition(&def)?, None))
    });
    function("lint_schema").set_into_module(
        module,
        |def: Dynamic, d: &str| -> RhaiResult<Dynamic> {
            findings(&schema_def::lint(&definition(&def)?, Some(dialect(d)?)))
        },
    );
    function("schema").set_into_module(module, |db: &mut Db| -> RhaiResult<Dynamic> {
        let def = db.with(|c| c.schema())?;
        to_map(&def)
    });
    function("dialect").set_into_module(module, |db: &mut Db| -> RhaiResult<String> {
        Ok(db.with(|c| c.dialect())?.name.to_string())
    });
    function("apply_schema").set_into_module(
        module,
        |db: &mut Db, def: Dynamic| -> RhaiResult<INT> {
            let def = definition(&def)?;
            db.with(|c| c.apply_schema(&def)).map(|n| n as INT)
        },
    );
}
