//! Rhai schema functions: `generate_schema`, `schema_diff`, `schema_plan`, `lint_schema`,
//! `load_schema`, `db.schema()`, `db.dialect()`, `db.apply_schema()`, `db.apply_diff()`.

use super::conn::Db;
use super::package::function;
use super::value::runtime;
use myrmex_core::schema_def::{self, Dialect, SchemaDefinition};
use rhai::{Array, Dynamic, Map, Module, INT};
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
    outside_transaction: bool,
}

/// A plan as scripts see it (`schema_plan`, `db.apply_diff`).
#[derive(Serialize)]
struct PlanView<'a> {
    changes: Vec<ChangeView<'a>>,
    notices: &'a [String],
    unsupported: &'a [schema_def::Unsupported],
}

/// The options of `schema_diff`, `schema_plan` and `db.apply_diff`.
#[derive(Default)]
struct DiffOpts {
    diff: schema_def::DiffOptions,
    strict: bool,
}

fn diff_opts(fname: &str, map: &Map) -> RhaiResult<DiffOpts> {
    let mut o = DiffOpts::default();
    for (k, v) in map {
        let flag = || {
            v.as_bool()
                .map_err(|t| runtime(format!("{fname}(): {k} must be true or false, not {t}")))
        };
        match k.as_str() {
            "grants" => o.diff.grants = flag()?,
            "strict" => o.strict = flag()?,
            other => {
                return Err(runtime(format!(
                    "{fname}(): unknown option `{other}` (known: grants, strict)"
                )))
            }
        }
    }
    Ok(o)
}

/// Says what is unsupported, refused or only noticed on stderr (never silent); with
/// `strict`, anything unsupported or refused is an error listing it.
fn say(fname: &str, unsupported: &[String], notices: &[String], strict: bool) -> RhaiResult<()> {
    if strict && !unsupported.is_empty() {
        return Err(runtime(format!(
            "{fname}(): strict: {} object(s) unsupported or refused:\n{}",
            unsupported.len(),
            unsupported.join("\n")
        )));
    }
    for l in unsupported {
        eprintln!("{l}");
    }
    for n in notices {
        eprintln!("notice: {n}");
    }
    Ok(())
}

fn plan_of(
    fname: &str,
    from: &Dynamic,
    to: &Dynamic,
    d: &str,
    opts: &DiffOpts,
) -> RhaiResult<schema_def::DiffPlan> {
    let plan = schema_def::diff_with(
        &definition(from)?,
        &definition(to)?,
        dialect(d)?,
        &opts.diff,
    )
    .map_err(|e| runtime(e.to_string()))?;
    say(fname, &plan.unsupported_lines(), &plan.notices, opts.strict)?;
    Ok(plan)
}

fn plan_map(plan: &schema_def::DiffPlan) -> RhaiResult<Dynamic> {
    rhai::serde::to_dynamic(PlanView {
        changes: views(&plan.changes),
        notices: &plan.notices,
        unsupported: &plan.unsupported,
    })
}

fn views(list: &[schema_def::Change]) -> Vec<ChangeView<'_>> {
    list.iter()
        .map(|c| ChangeView {
            sql: &c.sql,
            description: &c.description,
            destructive: c.destructive,
            outside_transaction: c.outside_transaction,
        })
        .collect()
}

/// `db.schema(#{ schemas: [...], grants: bool, strict: bool })`.
fn read_schema(db: &mut Db, opts: &Map) -> RhaiResult<Dynamic> {
    let mut schemas = Vec::new();
    let mut strict = false;
    let mut grants = false;
    for (k, v) in opts {
        match k.as_str() {
            "schemas" => {
                let list = v.clone().try_cast::<Array>().ok_or_else(|| {
                    runtime("schema(): schemas must be an array of names".to_string())
                })?;
                schemas = list.iter().map(|s| s.to_string()).collect();
            }
            "strict" => {
                strict = v.as_bool().map_err(|t| {
                    runtime(format!("schema(): strict must be true or false, not {t}"))
                })?
            }
            "grants" => {
                grants = v.as_bool().map_err(|t| {
                    runtime(format!("schema(): grants must be true or false, not {t}"))
                })?
            }
            other => {
                return Err(runtime(format!(
                    "schema(): unknown option `{other}` (known: schemas, grants, strict)"
                )))
            }
        }
    }
    if grants {
        schemas.push(myrmex_core::SCHEMA_GRANTS.to_string());
    }
    let def = db.with(|c| c.schema_of(&schemas))?;
    let lines: Vec<String> = def
        .unsupported
        .iter()
        .map(schema_def::unsupported_line)
        .collect();
    say("schema", &lines, &[], strict)?;
    to_map(&def)
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
    rhai::serde::to_dynamic(views(list))
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
            changes(&plan_of("schema_diff", &from, &to, d, &DiffOpts::default())?.changes)
        },
    );
    function("schema_diff").set_into_module(
        module,
        |from: Dynamic, to: Dynamic, d: &str, opts: Map| -> RhaiResult<Dynamic> {
            let opts = diff_opts("schema_diff", &opts)?;
            changes(&plan_of("schema_diff", &from, &to, d, &opts)?.changes)
        },
    );
    function("schema_plan").set_into_module(
        module,
        |from: Dynamic, to: Dynamic, d: &str| -> RhaiResult<Dynamic> {
            plan_map(&plan_of(
                "schema_plan",
                &from,
                &to,
                d,
                &DiffOpts::default(),
            )?)
        },
    );
    function("schema_plan").set_into_module(
        module,
        |from: Dynamic, to: Dynamic, d: &str, opts: Map| -> RhaiResult<Dynamic> {
            let opts = diff_opts("schema_plan", &opts)?;
            plan_map(&plan_of("schema_plan", &from, &to, d, &opts)?)
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
        read_schema(db, &Map::new())
    });
    function("schema").set_into_module(module, |db: &mut Db, opts: Map| -> RhaiResult<Dynamic> {
        read_schema(db, &opts)
    });
    function("apply_diff").set_into_module(
        module,
        |db: &mut Db, want: Dynamic| -> RhaiResult<Dynamic> {
            apply_diff(db, &want, DiffOpts::default())
        },
    );
    function("apply_diff").set_into_module(
        module,
        |db: &mut Db, want: Dynamic, opts: Map| -> RhaiResult<Dynamic> {
            apply_diff(db, &want, diff_opts("apply_diff", &opts)?)
        },
    );
    function("dialect").set_into_module(module, |db: &mut Db| -> RhaiResult<String> {
        Ok(db.with(|c| c.dialect())?.name.to_string())
    });
    function("apply_schema").set_into_module(
        module,
        |db: &mut Db, def: Dynamic| -> RhaiResult<INT> {
            let def = definition(&def)?;
            // What the definition lists as unsupported is not created: say so.
            let lines: Vec<String> = def
                .unsupported
                .iter()
                .map(schema_def::unsupported_line)
                .collect();
            say("apply_schema", &lines, &[], false)?;
            db.with(|c| c.apply_schema(&def)).map(|n| n as INT)
        },
    );
}

/// `db.apply_diff(want[, opts])`: diff the live schema to `want` and run the statements,
/// grouped in transactions where the engine allows (`DatabaseConnection::apply_changes`).
fn apply_diff(db: &mut Db, want: &Dynamic, opts: DiffOpts) -> RhaiResult<Dynamic> {
    let want = definition(want)?;
    let current = db.with(|c| c.schema_of(&myrmex_core::diff_request(&opts.diff)))?;
    let plan = db.with(|c| c.diff_to(&current, &want, &opts.diff))?;
    say(
        "apply_diff",
        &plan.unsupported_lines(),
        &plan.notices,
        opts.strict,
    )?;
    db.with(|c| c.apply_changes(&plan.changes))?;
    plan_map(&plan)
}
