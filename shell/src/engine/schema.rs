//! Rhai schema functions: `generate_schema`, `schema_diff`, `lint_schema`, `load_schema`,
//! `db.schema()`, `db.dialect()`, `db.apply_schema()`.

use super::conn::Db;
use super::value::runtime;
use myrmex_core::schema_def::{self, Dialect, SchemaDefinition};
use rhai::{Array, Dynamic, Engine, Map, INT};
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

fn changes(list: Vec<schema_def::Change>) -> Array {
    list.into_iter()
        .map(|c| {
            let mut m = Map::new();
            m.insert("sql".into(), c.sql.into());
            m.insert("description".into(), c.description.into());
            m.insert("destructive".into(), c.destructive.into());
            Dynamic::from_map(m)
        })
        .collect()
}

fn findings(list: Vec<schema_def::Finding>) -> Array {
    list.into_iter()
        .map(|f| {
            let mut m = Map::new();
            m.insert("rule".into(), f.rule.into());
            m.insert("severity".into(), f.severity.to_string().into());
            m.insert("table".into(), f.table.into());
            m.insert("item".into(), f.item.map_or(Dynamic::UNIT, Dynamic::from));
            m.insert("message".into(), f.message.into());
            Dynamic::from_map(m)
        })
        .collect()
}

/// Registers the schema functions.
pub fn register(engine: &mut Engine) {
    engine.register_fn("load_schema", |path: &str| -> RhaiResult<Dynamic> {
        let def = SchemaDefinition::load(Path::new(path)).map_err(|e| runtime(e.to_string()))?;
        to_map(&def)
    });
    engine.register_fn(
        "generate_schema",
        |def: Dynamic, d: &str| -> RhaiResult<String> {
            schema_def::generate_schema(&definition(&def)?, dialect(d)?)
                .map_err(|e| runtime(e.to_string()))
        },
    );
    engine.register_fn(
        "schema_diff",
        |from: Dynamic, to: Dynamic, d: &str| -> RhaiResult<Array> {
            let list = schema_def::diff(&definition(&from)?, &definition(&to)?, dialect(d)?)
                .map_err(|e| runtime(e.to_string()))?;
            Ok(changes(list))
        },
    );
    engine.register_fn("lint_schema", |def: Dynamic| -> RhaiResult<Array> {
        Ok(findings(schema_def::lint(&definition(&def)?, None)))
    });
    engine.register_fn(
        "lint_schema",
        |def: Dynamic, d: &str| -> RhaiResult<Array> {
            Ok(findings(schema_def::lint(
                &definition(&def)?,
                Some(dialect(d)?),
            )))
        },
    );
    engine.register_fn("schema", |db: &mut Db| -> RhaiResult<Dynamic> {
        let def = db.with(|c| c.schema())?;
        to_map(&def)
    });
    engine.register_fn("dialect", |db: &mut Db| -> RhaiResult<String> {
        Ok(db.with(|c| c.dialect())?.name.to_string())
    });
    engine.register_fn(
        "apply_schema",
        |db: &mut Db, def: Dynamic| -> RhaiResult<INT> {
            let def = definition(&def)?;
            db.with(|c| c.apply_schema(&def)).map(|n| n as INT)
        },
    );
}
