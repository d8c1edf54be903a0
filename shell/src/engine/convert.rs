//! Rhai `convert_schema(def, to)` and `convert_schema(def, to, #{ from, cast, strict, … })`:
//! a definition converted for another engine, with the report of every decision. Without
//! `from`, the source dialect is the one the definition's raw types name, else PostgreSQL.

use super::package::function;
use super::schema::definition;
use super::value::runtime;
use myrmex_core::schema_def::convert::{convert_schema, guess_dialect, CastRules, Conversion};
use myrmex_core::schema_def::Dialect;
use rhai::{Dynamic, Map, Module};

type RhaiResult<T> = Result<T, Box<rhai::EvalAltResult>>;

fn dialect(name: &str) -> RhaiResult<Dialect> {
    name.parse::<Dialect>().map_err(|e| runtime(e.to_string()))
}

/// `#{ definition, report, losses }`: the converted definition as a map, the decisions as
/// maps (`kind`, `object`, `action`, `detail`, `loss`) and the number of losses.
fn result(c: &Conversion) -> RhaiResult<Dynamic> {
    let mut m = Map::new();
    m.insert("definition".into(), rhai::serde::to_dynamic(&c.definition)?);
    m.insert("report".into(), rhai::serde::to_dynamic(&c.report)?);
    m.insert(
        "losses".into(),
        Dynamic::from(c.losses().len() as rhai::INT),
    );
    Ok(Dynamic::from_map(m))
}

/// Rules from the options map: `cast` (array of rule strings), `rules` (a TOML rules file),
/// `strict`, `drop_unconvertible_checks`, `drop_unconvertible_defaults`, `enum_as_check`.
fn rules(opts: &Map) -> RhaiResult<CastRules> {
    let mut r = CastRules::default();
    for (k, v) in opts {
        let flag = || -> RhaiResult<bool> {
            v.as_bool()
                .map_err(|t| runtime(format!("convert_schema: `{k}` must be a bool, not {t}")))
        };
        match k.as_str() {
            "from" => {}
            "cast" => {
                let list: Vec<String> = rhai::serde::from_dynamic(v)
                    .map_err(|e| runtime(format!("convert_schema: `cast`: {e}")))?;
                r.merge(CastRules::parse(&list).map_err(|e| runtime(e.to_string()))?);
            }
            "rules" => {
                let path = v.to_string();
                r.merge(
                    CastRules::load(std::path::Path::new(&path))
                        .map_err(|e| runtime(e.to_string()))?,
                );
            }
            "strict" => r.strict = flag()?,
            "drop_unconvertible_checks" => r.drop_unconvertible_checks = flag()?,
            "drop_unconvertible_defaults" => r.drop_unconvertible_defaults = flag()?,
            "enum_as_check" => r.enum_as_check = flag()?,
            other => {
                return Err(runtime(format!(
                    "convert_schema: unknown option `{other}` (from, cast, rules, strict, drop_unconvertible_checks, drop_unconvertible_defaults, enum_as_check)"
                )))
            }
        }
    }
    Ok(r)
}

/// Registers `convert_schema`.
pub fn register(module: &mut Module) {
    function("convert_schema").set_into_module(
        module,
        |def: Dynamic, to: &str| -> RhaiResult<Dynamic> {
            let def = definition(&def)?;
            let from = guess_dialect(&def).unwrap_or(Dialect::Postgres);
            let c = convert_schema(&def, from, dialect(to)?, &CastRules::default())
                .map_err(|e| runtime(e.to_string()))?;
            result(&c)
        },
    );
    function("convert_schema").set_into_module(
        module,
        |def: Dynamic, to: &str, opts: Map| -> RhaiResult<Dynamic> {
            let def = definition(&def)?;
            let from = match opts.get("from") {
                Some(f) => dialect(&f.to_string())?,
                None => guess_dialect(&def).unwrap_or(Dialect::Postgres),
            };
            let c = convert_schema(&def, from, dialect(to)?, &rules(&opts)?)
                .map_err(|e| runtime(e.to_string()))?;
            result(&c)
        },
    );
}
