//! Rhai migration functions (`run_migrations`, `migrations(dir)` and its methods) and the
//! runner that executes `.rhai` migrations with the connection as `db`.

use super::conn::{lend, Db};
use super::value::runtime;
use super::Context;
use crate::progress::Bar;
use myrmex_core::migrate::{
    self, DownTarget, Entry, MigrateOptions, MigrationManager, Part, Report, ScriptRunner,
    VerifyReport,
};
use myrmex_core::DatabaseConnection;
use rhai::{Array, Dynamic, Engine, Map, Scope, INT};
use std::path::PathBuf;
use std::rc::Rc;
use std::time::Duration;

type RhaiResult<T> = Result<T, Box<rhai::EvalAltResult>>;

/// Runs `.rhai` migrations in a fresh engine with the shell's API and limits.
pub struct RhaiScripts {
    ctx: Rc<Context>,
}

impl RhaiScripts {
    /// A runner over the shell's context.
    pub fn new(ctx: &Rc<Context>) -> Self {
        RhaiScripts { ctx: ctx.clone() }
    }
}

impl ScriptRunner for RhaiScripts {
    fn run(&self, conn: &mut DatabaseConnection, part: &Part) -> Result<(), String> {
        let engine = super::build(&self.ctx);
        // Leading newlines keep Rhai's line numbers those of the file.
        let code = format!("{}{}", "\n".repeat(part.first_line - 1), part.text);
        let source = part.file.display().to_string();
        let ast = engine
            .compile(&code)
            .map_err(|e| crate::script::parse_error(&source, &e))?;
        lend(conn, |db| {
            let mut scope = Scope::new();
            scope.push("db", db.clone());
            engine
                .run_ast_with_scope(&mut scope, &ast)
                .map_err(|e| crate::script::runtime_error(&source, &e))
        })
    }
}

/// `migrations(dir)`: a directory of migrations and the options to run them with.
#[derive(Clone)]
pub struct Migrations {
    dir: PathBuf,
    options: MigrateOptions,
    ctx: Rc<Context>,
}

impl Migrations {
    /// Opens the manager (re-reading the directory), with the Rhai runner and a progress bar.
    fn manager(&self) -> RhaiResult<MigrationManager> {
        let m = MigrationManager::open(&self.dir).map_err(|e| runtime(e.to_string()))?;
        Ok(m.with_options(self.options.clone())
            .with_script_runner(Box::new(RhaiScripts::new(&self.ctx)))
            .with_observer(Box::new(Bar::new())))
    }
}

fn options(map: &Map) -> RhaiResult<MigrateOptions> {
    let mut o = MigrateOptions::default();
    for (k, v) in map {
        match k.as_str() {
            "table" => o.table = v.to_string(),
            "lock_timeout_ms" => {
                let ms = v
                    .as_int()
                    .map_err(|t| runtime(format!("migrations(): lock_timeout_ms must be an integer, not {t}")))?;
                o.lock_timeout = Duration::from_millis(ms.max(0) as u64);
            }
            "allow_out_of_order" => {
                o.allow_out_of_order = v
                    .as_bool()
                    .map_err(|t| runtime(format!("migrations(): allow_out_of_order must be true or false, not {t}")))?;
            }
            other => {
                return Err(runtime(format!(
                    "migrations(): unknown option `{other}` (known: table, lock_timeout_ms, allow_out_of_order)"
                )))
            }
        }
    }
    Ok(o)
}

/// A status entry as a map.
fn entry_map(e: &Entry) -> Map {
    let mut m = Map::new();
    m.insert("version".into(), (e.version as INT).into());
    m.insert("name".into(), e.name.clone().into());
    m.insert("state".into(), e.state.name().into());
    let a = e.applied.as_ref();
    let opt = |v: Option<String>| v.map_or(Dynamic::UNIT, Dynamic::from);
    m.insert("applied_at".into(), opt(a.map(|a| a.applied_at.clone())));
    m.insert("applied_by".into(), opt(a.map(|a| a.applied_by.clone())));
    m.insert(
        "execution_ms".into(),
        a.map_or(Dynamic::UNIT, |a| Dynamic::from(a.execution_ms as INT)),
    );
    m.insert("checksum".into(), opt(a.map(|a| a.checksum.clone())));
    m.insert("file_checksum".into(), opt(e.disk_checksum.clone()));
    m.insert("problem".into(), opt(e.explain()));
    m
}

fn report_map(r: &Report) -> Map {
    let done = |list: &[migrate::Done]| -> Array {
        list.iter()
            .map(|d| {
                let mut m = Map::new();
                m.insert("version".into(), (d.version as INT).into());
                m.insert("name".into(), d.name.clone().into());
                m.insert("ms".into(), (d.ms as INT).into());
                Dynamic::from_map(m)
            })
            .collect()
    };
    let mut m = Map::new();
    m.insert("applied".into(), done(&r.applied).into());
    m.insert("reverted".into(), done(&r.reverted).into());
    m.insert(
        "recorded".into(),
        r.recorded
            .iter()
            .cloned()
            .map(Dynamic::from)
            .collect::<Array>()
            .into(),
    );
    m.insert("summary".into(), r.summary().into());
    m
}

fn verify_map(r: &VerifyReport) -> Map {
    let list = |v: &[String]| v.iter().cloned().map(Dynamic::from).collect::<Array>();
    let mut m = Map::new();
    m.insert("ok".into(), r.ok().into());
    m.insert("checked".into(), list(&r.checked).into());
    m.insert("failures".into(), list(&r.failures).into());
    m
}

/// Registers the functions.
pub fn register(engine: &mut Engine, ctx: &Rc<Context>) {
    engine.register_type_with_name::<Migrations>("Migrations");
    let c = ctx.clone();
    engine.register_fn("migrations", move |dir: &str| -> RhaiResult<Migrations> {
        let m = Migrations {
            dir: dir.into(),
            options: MigrateOptions::default(),
            ctx: c.clone(),
        };
        m.manager()?;
        Ok(m)
    });
    let c = ctx.clone();
    engine.register_fn(
        "migrations",
        move |dir: &str, opts: Map| -> RhaiResult<Migrations> {
            let m = Migrations {
                dir: dir.into(),
                options: options(&opts)?,
                ctx: c.clone(),
            };
            m.manager()?;
            Ok(m)
        },
    );
    let c = ctx.clone();
    engine.register_fn(
        "run_migrations",
        move |db: &mut Db, dir: &str| -> RhaiResult<Map> {
            let m = Migrations {
                dir: dir.into(),
                options: MigrateOptions::default(),
                ctx: c.clone(),
            }
            .manager()?;
            db.with(|c| m.up(c, None)).map(|r| report_map(&r))
        },
    );
    engine.register_fn("list", |m: &mut Migrations| -> RhaiResult<Array> {
        Ok(m.manager()?
            .migrations()
            .iter()
            .map(|x| {
                let mut map = Map::new();
                map.insert("version".into(), (x.version as INT).into());
                map.insert("name".into(), x.name.clone().into());
                map.insert("kind".into(), x.kind.as_str().into());
                map.insert("has_down".into(), x.down.is_some().into());
                map.insert("checksum".into(), x.checksum.clone().into());
                Dynamic::from_map(map)
            })
            .collect())
    });
    engine.register_fn(
        "status",
        |m: &mut Migrations, db: Db| -> RhaiResult<Array> {
            let mgr = m.manager()?;
            let s = db.with(|c| mgr.status(c))?;
            Ok(s.entries
                .iter()
                .map(|e| Dynamic::from_map(entry_map(e)))
                .collect())
        },
    );
    engine.register_fn("plan", |m: &mut Migrations, db: Db| -> RhaiResult<String> {
        let mgr = m.manager()?;
        let steps = db.with(|c| mgr.plan_up(c, None))?;
        Ok(migrate::plan::script(&steps))
    });
    engine.register_fn("up", |m: &mut Migrations, db: Db| -> RhaiResult<Map> {
        let mgr = m.manager()?;
        db.with(|c| mgr.up(c, None)).map(|r| report_map(&r))
    });
    engine.register_fn(
        "up",
        |m: &mut Migrations, db: Db, to: INT| -> RhaiResult<Map> {
            let mgr = m.manager()?;
            db.with(|c| mgr.up(c, Some(to))).map(|r| report_map(&r))
        },
    );
    engine.register_fn("down", |m: &mut Migrations, db: Db| -> RhaiResult<Map> {
        let mgr = m.manager()?;
        db.with(|c| mgr.down(c, DownTarget::Count(1)))
            .map(|r| report_map(&r))
    });
    engine.register_fn(
        "down",
        |m: &mut Migrations, db: Db, n: INT| -> RhaiResult<Map> {
            let mgr = m.manager()?;
            let n =
                usize::try_from(n).map_err(|_| runtime(format!("down(db, {n}): n must be ≥ 0")))?;
            db.with(|c| mgr.down(c, DownTarget::Count(n)))
                .map(|r| report_map(&r))
        },
    );
    engine.register_fn(
        "down_to",
        |m: &mut Migrations, db: Db, v: INT| -> RhaiResult<Map> {
            let mgr = m.manager()?;
            db.with(|c| mgr.down(c, DownTarget::To(v)))
                .map(|r| report_map(&r))
        },
    );
    engine.register_fn("redo", |m: &mut Migrations, db: Db| -> RhaiResult<Map> {
        let mgr = m.manager()?;
        db.with(|c| mgr.redo(c)).map(|r| report_map(&r))
    });
    engine.register_fn(
        "baseline",
        |m: &mut Migrations, db: Db, v: INT| -> RhaiResult<Map> {
            let mgr = m.manager()?;
            db.with(|c| mgr.baseline(c, v)).map(|r| report_map(&r))
        },
    );
    engine.register_fn(
        "accept",
        |m: &mut Migrations, db: Db, v: INT| -> RhaiResult<Map> {
            let mgr = m.manager()?;
            db.with(|c| mgr.accept(c, &[v])).map(|r| report_map(&r))
        },
    );
    engine.register_fn("repair", |m: &mut Migrations, db: Db| -> RhaiResult<Map> {
        let mgr = m.manager()?;
        db.with(|c| mgr.repair(c)).map(|r| report_map(&r))
    });
    engine.register_fn("verify", |m: &mut Migrations, db: Db| -> RhaiResult<Map> {
        let mgr = m.manager()?;
        db.with(|c| mgr.verify(c)).map(|r| verify_map(&r))
    });
}
