//! Backups for scripts: `backup_database(db, #{ dest, strategy, parallel, compress, encrypt
//! })`, `restore(db, path, #{ clean, parallel, key })`, `verify(path, #{ drill, key })`,
//! `backups(dest)` and `prune_backups(dest, #{ keep_last, …, dry_run })`.

use super::conn::Db;
use super::package::function;
use super::value::{runtime, to_json};
use super::Context;
use myrmex_core::backup::{BackupManager, BackupOptions, KeySource, RestoreOptions, Retention};
use rhai::{Dynamic, EvalAltResult, Map, Module, NativeCallContext};
use std::path::PathBuf;
use std::rc::Rc;

type RhaiResult<T> = Result<T, Box<EvalAltResult>>;

/// A key source written `env:VAR` or `file:PATH`.
fn key(fname: &str, v: &Dynamic) -> RhaiResult<KeySource> {
    let s = v.to_string();
    match s.split_once(':') {
        Some(("env", var)) => Ok(KeySource::Env(var.to_string())),
        Some(("file", path)) => Ok(KeySource::File(path.into())),
        _ => Err(runtime(format!(
            "{fname}(): a key is written \"env:VARIABLE\" or \"file:PATH\""
        ))),
    }
}

fn int(fname: &str, k: &str, v: &Dynamic) -> RhaiResult<i64> {
    v.as_int()
        .map_err(|_| runtime(format!("{fname}(): `{k}` must be an integer")))
}

fn unknown(fname: &str, k: &str, known: &str) -> Box<EvalAltResult> {
    runtime(format!("{fname}(): unknown option `{k}` (known: {known})"))
}

/// The manager of `dest` (a directory or a store location such as `s3://bucket/prefix`).
fn manager(call: &NativeCallContext, dest: &str) -> RhaiResult<(Rc<Context>, BackupManager)> {
    let ctx = super::context(call)?;
    let m = BackupManager::open(dest, ctx.registry.clone()).map_err(|e| runtime(e.to_string()))?;
    Ok((ctx, m))
}

/// The manager of the destination holding the backup at `path`, and the path to hand it.
fn manager_of(call: &NativeCallContext, path: &str) -> RhaiResult<(BackupManager, PathBuf)> {
    let ctx = super::context(call)?;
    BackupManager::for_backup(path, ctx.registry.clone()).map_err(|e| runtime(e.to_string()))
}

fn backup_database(call: NativeCallContext, db: &mut Db, map: Map) -> RhaiResult<Dynamic> {
    const F: &str = "backup_database";
    let mut options = BackupOptions::default();
    let mut dest = None;
    for (k, v) in map {
        match k.as_str() {
            "dest" => dest = Some(v.to_string()),
            "strategy" => options.strategy = v.to_string(),
            "parallel" => options.parallel = int(F, &k, &v)?.clamp(1, 256) as u32,
            "compress" => options.compress = int(F, &k, &v)?.clamp(0, 22) as i32,
            "encrypt" => options.encrypt = Some(key(F, &v)?),
            "name" => options.name = Some(v.to_string()),
            "settings" => options.settings = to_json(&v),
            _ => {
                return Err(unknown(
                    F,
                    &k,
                    "dest, strategy, parallel, compress, encrypt, name, settings",
                ))
            }
        }
    }
    let dest = dest.ok_or_else(|| runtime(format!("{F}(): `dest` (a directory) is required")))?;
    let (_, m) = manager(&call, &dest)?;
    let b = db.with(|c| m.backup(c, &options))?;
    rhai::serde::to_dynamic(b)
}

fn restore(call: NativeCallContext, db: &mut Db, path: &str, map: Map) -> RhaiResult<Dynamic> {
    const F: &str = "restore";
    let mut options = RestoreOptions::default();
    let mut settings = serde_json::Map::new();
    for (k, v) in map {
        match k.as_str() {
            "clean" => {
                options.clean = v
                    .as_bool()
                    .map_err(|_| runtime(format!("{F}(): `clean` must be true or false")))?
            }
            "parallel" => options.parallel = int(F, &k, &v)?.clamp(1, 256) as u32,
            "key" => options.key = Some(key(F, &v)?),
            "cast" => {
                let list: Vec<String> = v
                    .try_cast::<rhai::Array>()
                    .ok_or_else(|| runtime(format!("{F}(): `cast` must be an array of rules")))?
                    .iter()
                    .map(|r| r.to_string())
                    .collect();
                let strict = options.rules.strict;
                options.rules = myrmex_core::schema_def::convert::CastRules::parse(&list)
                    .map_err(|e| runtime(format!("{F}(): {e}")))?;
                options.rules.strict = strict;
            }
            "strict" => {
                options.rules.strict = v
                    .as_bool()
                    .map_err(|_| runtime(format!("{F}(): `strict` must be true or false")))?
            }
            "single_transaction" => {
                let one = v.as_bool().map_err(|_| {
                    runtime(format!("{F}(): `single_transaction` must be true or false"))
                })?;
                settings.insert("single_transaction".into(), one.into());
            }
            "settings" => match serde_json::from_str(&to_json(&v)) {
                Ok(serde_json::Value::Object(m)) => settings.extend(m),
                _ => return Err(runtime(format!("{F}(): `settings` must be a map"))),
            },
            _ => {
                return Err(unknown(
                    F,
                    &k,
                    "clean, parallel, key, cast, strict, single_transaction, settings",
                ))
            }
        }
    }
    if !settings.is_empty() {
        options.settings = serde_json::Value::Object(settings).to_string();
    }
    let (m, path) = manager_of(&call, path)?;
    let path = path.as_path();
    let done = db.with(|c| m.restore_report(path, c, &options))?;
    // A backup of another engine: every conversion decision on stderr, never silent.
    if let Some(c) = &done.conversion {
        eprint!("{}", c.report_text());
    }
    rhai::serde::to_dynamic(done.tables)
}

fn verify(call: NativeCallContext, path: &str, map: Map) -> RhaiResult<Dynamic> {
    const F: &str = "verify";
    let mut drill: Option<Db> = None;
    let mut key_source = None;
    for (k, v) in map {
        match k.as_str() {
            "drill" => {
                drill = Some(v.try_cast::<Db>().ok_or_else(|| {
                    runtime(format!("{F}(): `drill` must be a connection (`db`)"))
                })?)
            }
            "key" => key_source = Some(key(F, &v)?),
            _ => return Err(unknown(F, &k, "drill, key")),
        }
    }
    let (m, path) = manager_of(&call, path)?;
    let path = path.as_path();
    let report = match drill {
        Some(db) => db.with(|c| m.verify(path, key_source.as_ref(), Some(c)))?,
        None => m
            .verify(path, key_source.as_ref(), None)
            .map_err(|e| runtime(e.to_string()))?,
    };
    rhai::serde::to_dynamic(report)
}

fn backups(call: NativeCallContext, dest: &str) -> RhaiResult<Dynamic> {
    let (_, m) = manager(&call, dest)?;
    rhai::serde::to_dynamic(m.list().map_err(|e| runtime(e.to_string()))?)
}

fn prune(call: NativeCallContext, dest: &str, map: Map) -> RhaiResult<Dynamic> {
    const F: &str = "prune_backups";
    let mut policy = Retention::default();
    let mut dry_run = false;
    for (k, v) in map {
        let n = || -> RhaiResult<Option<u32>> {
            Ok(Some(int(F, &k, &v)?.clamp(0, u32::MAX as i64) as u32))
        };
        match k.as_str() {
            "keep_last" => policy.keep_last = n()?,
            "keep_daily" => policy.keep_daily = n()?,
            "keep_weekly" => policy.keep_weekly = n()?,
            "keep_monthly" => policy.keep_monthly = n()?,
            "dry_run" => dry_run = v.as_bool().unwrap_or(false),
            _ => {
                return Err(unknown(
                    F,
                    &k,
                    "keep_last, keep_daily, keep_weekly, keep_monthly, dry_run",
                ))
            }
        }
    }
    let (_, m) = manager(&call, dest)?;
    let plan = m
        .prune(&policy, dry_run)
        .map_err(|e| runtime(e.to_string()))?;
    let names = |v: Vec<String>| Dynamic::from_array(v.into_iter().map(Dynamic::from).collect());
    let mut out = Map::new();
    out.insert(
        "keep".into(),
        names(plan.keep.iter().map(|(b, _)| b.name.clone()).collect()),
    );
    out.insert(
        "delete".into(),
        names(plan.delete.iter().map(|b| b.name.clone()).collect()),
    );
    Ok(Dynamic::from_map(out))
}

/// Registers the backup functions.
pub fn register(module: &mut Module) {
    function("backup_database").set_into_module(module, backup_database);
    function("restore").set_into_module(
        module,
        |call: NativeCallContext, db: &mut Db, path: &str| restore(call, db, path, Map::new()),
    );
    function("restore").set_into_module(module, restore);
    function("verify").set_into_module(module, |call: NativeCallContext, path: &str| {
        verify(call, path, Map::new())
    });
    function("verify").set_into_module(module, verify);
    function("backups").set_into_module(module, backups);
    function("prune_backups").set_into_module(module, prune);
}
