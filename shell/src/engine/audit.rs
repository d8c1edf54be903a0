//! Security audit for scripts: `audit(db)`, `audit_statements(sql)`, `lint_migrations(dir,
//! db)`, `audit_rules()`,
//! `audit_log(db)`, `audit_configure_log(db)` and `verify_log(path)`.

use super::conn::Db;
use super::package::function;
use super::value::{runtime, to_json};
use super::Context;
use myrmex_core::audit::{self, AuditOptions, AuditTargetInfo, Report, Severity};
use myrmex_core::plugin::Registry;
use myrmex_core::DatabaseConnection;
use rhai::{Array, Dynamic, EvalAltResult, Map, Module, NativeCallContext};

type RhaiResult<T> = Result<T, Box<EvalAltResult>>;

/// What a script may pass in an options map.
struct Options {
    audit: AuditOptions,
    fail_on: Severity,
    since: String,
    limit: u32,
    rule_set: Option<String>,
    key: Option<String>,
}

fn options(ctx: &Context, fname: &str, map: Option<Map>) -> RhaiResult<Options> {
    let config = ctx.config.as_ref().map(|c| &c.audit);
    let mut out = Options {
        audit: AuditOptions {
            rule_sets: config.map(|c| c.rule_sets.clone()).unwrap_or_default(),
            settings: config.map(|c| c.settings_json()).unwrap_or_default(),
        },
        fail_on: config.and_then(|c| c.fail_on).unwrap_or(Severity::High),
        since: String::new(),
        limit: 0,
        rule_set: None,
        key: None,
    };
    for (k, v) in map.unwrap_or_default() {
        let bad = |what: &str| runtime(format!("{fname}(): `{k}` must be {what}"));
        match k.as_str() {
            "rules" | "rule_sets" => {
                out.audit.rule_sets = if let Some(s) = v.clone().try_cast::<String>() {
                    vec![s]
                } else {
                    v.try_cast::<Array>()
                        .ok_or_else(|| bad("a rule set name or an array of names"))?
                        .into_iter()
                        .map(|d| d.to_string())
                        .collect()
                }
            }
            "fail_on" => {
                out.fail_on = v
                    .to_string()
                    .parse()
                    .map_err(|e: String| runtime(format!("{fname}(): {e}")))?
            }
            "settings" => {
                let m = v.try_cast::<Map>().ok_or_else(|| bad("a map of rule set settings"))?;
                for (set, s) in m {
                    out.audit.settings.insert(set.to_string(), to_json(&s));
                }
            }
            "since" => out.since = v.to_string(),
            "limit" => {
                out.limit = v
                    .as_int()
                    .ok()
                    .and_then(|n| u32::try_from(n).ok())
                    .ok_or_else(|| bad("a non-negative integer"))?
            }
            "rule_set" => out.rule_set = Some(v.to_string()),
            "key" => out.key = Some(v.to_string()),
            _ => {
                return Err(runtime(format!(
                    "{fname}(): unknown option `{k}` (known: rules, fail_on, settings, since, limit, rule_set, key)"
                )))
            }
        }
    }
    Ok(out)
}

/// A report as scripts see it: its fields plus `max_severity` and `passed` (no finding at
/// or above `fail_on`).
fn report_map(report: &Report, fail_on: Severity) -> RhaiResult<Dynamic> {
    let mut value = report.to_json_value();
    if let Some(obj) = value.as_object_mut() {
        obj.insert(
            "max_severity".into(),
            report
                .max_severity()
                .map_or(serde_json::Value::Null, |s| s.name().into()),
        );
        obj.insert("fail_on".into(), fail_on.name().into());
        obj.insert("passed".into(), (report.exit_code(fail_on) == 0).into());
    }
    rhai::serde::to_dynamic(value)
}

fn registry(
    call: &NativeCallContext,
) -> RhaiResult<(std::rc::Rc<Context>, std::sync::Arc<Registry>)> {
    let ctx = super::context(call)?;
    let registry = ctx.registry.clone();
    Ok((ctx, registry))
}

fn audit_db(call: NativeCallContext, db: &mut Db, map: Option<Map>) -> RhaiResult<Dynamic> {
    let (ctx, registry) = registry(&call)?;
    let opts = options(&ctx, "audit", map)?;
    let report = db.with(|c| audit::audit_connection(&registry, c, &opts.audit))?;
    report_map(&report, opts.fail_on)
}

/// Runs `check` for the target a script named: a connection (its engine, and the
/// connection itself for table sizes), an engine name (any of its driver's URL schemes or
/// its name; an unknown one is an error naming it), or `()` for no engine.
fn on_target(
    fname: &str,
    registry: &Registry,
    target: Dynamic,
    check: impl FnOnce(&AuditTargetInfo, Option<&mut DatabaseConnection>) -> myrmex_core::Result<Report>,
) -> RhaiResult<Report> {
    if let Some(db) = target.clone().try_cast::<Db>() {
        return db.with(|c: &mut DatabaseConnection| {
            let info = AuditTargetInfo::of(c)?;
            check(&info, Some(c))
        });
    }
    let driver = if target.is_unit() {
        String::new()
    } else {
        let name = target.to_string();
        registry
            .driver(&name.to_ascii_lowercase())
            .map(|d| d.name.clone())
            .map_err(|e| runtime(format!("{fname}(): engine `{name}`: {e}")))?
    };
    check(&AuditTargetInfo::driver(&driver), None).map_err(|e| runtime(e.to_string()))
}

fn audit_sql(
    call: NativeCallContext,
    sql: &str,
    target: Dynamic,
    map: Option<Map>,
) -> RhaiResult<Dynamic> {
    let (ctx, registry) = registry(&call)?;
    let opts = options(&ctx, "audit_statements", map)?;
    let statements = audit::split(sql, None);
    let report = on_target("audit_statements", &registry, target, |info, conn| {
        audit::audit_statements(&registry, &statements, info, conn, &opts.audit)
    })?;
    report_map(&report, opts.fail_on)
}

fn lint(
    call: NativeCallContext,
    dir: &str,
    target: Dynamic,
    map: Option<Map>,
) -> RhaiResult<Dynamic> {
    let (ctx, registry) = registry(&call)?;
    let opts = options(&ctx, "lint_migrations", map)?;
    let dir = std::path::Path::new(dir);
    let report = on_target("lint_migrations", &registry, target, |info, conn| {
        audit::lint_migrations(&registry, dir, info, conn, &opts.audit)
    })?;
    report_map(&report, opts.fail_on)
}

fn rules(call: NativeCallContext) -> RhaiResult<Dynamic> {
    let (_, registry) = registry(&call)?;
    let (rules, not_run) = audit::rules(&registry, None);
    if let Some(n) = not_run.first() {
        return Err(runtime(format!(
            "audit_rules(): rule set `{}` could not be opened: {}",
            n.rule_set, n.reason
        )));
    }
    rhai::serde::to_dynamic(rules)
}

fn server_log(call: NativeCallContext, db: &mut Db, map: Option<Map>) -> RhaiResult<Dynamic> {
    let (ctx, registry) = registry(&call)?;
    let opts = options(&ctx, "audit_log", map)?;
    let records = db.with(|c| {
        audit::server_log(
            &registry,
            c,
            opts.rule_set.as_deref(),
            &opts.since,
            opts.limit,
        )
    })?;
    rhai::serde::to_dynamic(records)
}

fn configure_log(call: NativeCallContext, db: &mut Db, settings: Option<Map>) -> RhaiResult<Array> {
    let (_, registry) = registry(&call)?;
    let json = settings
        .map(|m| to_json(&Dynamic::from_map(m)))
        .unwrap_or_default();
    let ran = db.with(|c| audit::configure_server_log(&registry, c, None, &json))?;
    Ok(ran.into_iter().map(Dynamic::from).collect())
}

fn verify(call: NativeCallContext, path: &str, map: Option<Map>) -> RhaiResult<Dynamic> {
    let (ctx, _) = registry(&call)?;
    let opts = options(&ctx, "verify_log", map)?;
    let options = audit::VerifyOptions {
        public_key: opts.key.map(Into::into),
        ..audit::VerifyOptions::default()
    };
    let report = audit::verify_log(path, &options).map_err(|e| runtime(e.to_string()))?;
    rhai::serde::to_dynamic(crate::audit_cmd::verify_json(&report))
}

/// Registers the audit functions.
pub fn register(module: &mut Module) {
    function("audit").set_into_module(module, |call: NativeCallContext, db: &mut Db| {
        audit_db(call, db, None)
    });
    function("audit").set_into_module(module, |call: NativeCallContext, db: &mut Db, map: Map| {
        audit_db(call, db, Some(map))
    });
    function("audit_statements").set_into_module(module, |call: NativeCallContext, sql: &str| {
        audit_sql(call, sql, Dynamic::UNIT, None)
    });
    function("audit_statements").set_into_module(
        module,
        |call: NativeCallContext, sql: &str, target: Dynamic| audit_sql(call, sql, target, None),
    );
    function("audit_statements").set_into_module(
        module,
        |call: NativeCallContext, sql: &str, target: Dynamic, map: Map| {
            audit_sql(call, sql, target, Some(map))
        },
    );
    function("audit_rules").set_into_module(module, rules);
    function("lint_migrations").set_into_module(
        module,
        |call: NativeCallContext, dir: &str, target: Dynamic| lint(call, dir, target, None),
    );
    function("lint_migrations").set_into_module(
        module,
        |call: NativeCallContext, dir: &str, target: Dynamic, map: Map| {
            lint(call, dir, target, Some(map))
        },
    );
    function("verify_log").set_into_module(module, |call: NativeCallContext, path: &str| {
        verify(call, path, None)
    });
    function("verify_log")
        .set_into_module(module, |call: NativeCallContext, path: &str, map: Map| {
            verify(call, path, Some(map))
        });
    function("audit_log").set_into_module(module, |call: NativeCallContext, db: &mut Db| {
        server_log(call, db, None)
    });
    function("audit_log")
        .set_into_module(module, |call: NativeCallContext, db: &mut Db, map: Map| {
            server_log(call, db, Some(map))
        });
    function("audit_configure_log")
        .set_into_module(module, |call: NativeCallContext, db: &mut Db| {
            configure_log(call, db, None)
        });
    function("audit_configure_log").set_into_module(
        module,
        |call: NativeCallContext, db: &mut Db, settings: Map| {
            configure_log(call, db, Some(settings))
        },
    );
}
