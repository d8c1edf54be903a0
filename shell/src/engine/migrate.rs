//! Rhai migration functions (`run_migrations`, `migrations(dir)` and its methods) and the
//! runner that executes `.rhai` migrations with the connection as `db`.

use super::conn::{lend, Db};
use super::package::function;
use super::value::runtime;
use super::Context;
use crate::progress::Bar;
use myrmex_core::migrate::{
    self, DownTarget, Entry, MigrateOptions, MigrationManager, Part, Report, ScriptRunner,
};
use myrmex_core::DatabaseConnection;
use rhai::{Dynamic, Engine, Map, Module, NativeCallContext, Scope, INT};
use serde::Serialize;
use std::cell::OnceCell;
use std::path::PathBuf;
use std::rc::Rc;
use std::time::Duration;

type RhaiResult<T> = Result<T, Box<rhai::EvalAltResult>>;

/// Runs `.rhai` migrations with the shell's API and limits, each with the connection as `db`.
/// One engine, built at the first `.rhai` migration, runs every one of a run.
pub struct RhaiScripts {
    ctx: Rc<Context>,
    engine: OnceCell<Engine>,
}

impl RhaiScripts {
    /// A runner over the shell's context.
    pub fn new(ctx: &Rc<Context>) -> Self {
        RhaiScripts {
            ctx: ctx.clone(),
            engine: OnceCell::new(),
        }
    }
}

impl ScriptRunner for RhaiScripts {
    fn run(&self, conn: &mut DatabaseConnection, part: &Part) -> Result<(), String> {
        let engine = self.engine.get_or_init(|| super::build(&self.ctx));
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

/// One entry of `m.status(db)` as scripts see it; the fields of the history row are `()`
/// while the migration is not applied.
#[derive(Serialize)]
struct EntryView<'a> {
    version: i64,
    name: &'a str,
    state: &'a str,
    applied_at: Option<&'a str>,
    applied_by: Option<&'a str>,
    execution_ms: Option<i64>,
    checksum: Option<&'a str>,
    file_checksum: Option<&'a str>,
    /// What is wrong, for a problem state.
    problem: Option<String>,
}

impl<'a> EntryView<'a> {
    fn of(e: &'a Entry) -> Self {
        let a = e.applied.as_ref();
        EntryView {
            version: e.version,
            name: &e.name,
            state: e.state.name(),
            applied_at: a.map(|a| a.applied_at.as_str()),
            applied_by: a.map(|a| a.applied_by.as_str()),
            execution_ms: a.map(|a| a.execution_ms),
            checksum: a.map(|a| a.checksum.as_str()),
            file_checksum: e.disk_checksum.as_deref(),
            problem: e.explain(),
        }
    }
}

/// What a migration command did, as scripts see it.
#[derive(Serialize)]
struct ReportView<'a> {
    applied: Vec<DoneView<'a>>,
    reverted: Vec<DoneView<'a>>,
    recorded: &'a [String],
    /// The report in words, one line per step.
    summary: String,
}

/// One migration of [`ReportView`] that ran.
#[derive(Serialize)]
struct DoneView<'a> {
    version: i64,
    name: &'a str,
    ms: i64,
}

fn done(list: &[migrate::Done]) -> Vec<DoneView<'_>> {
    list.iter()
        .map(|d| DoneView {
            version: d.version,
            name: &d.name,
            ms: d.ms,
        })
        .collect()
}

fn report(r: &Report) -> RhaiResult<Dynamic> {
    rhai::serde::to_dynamic(ReportView {
        applied: done(&r.applied),
        reverted: done(&r.reverted),
        recorded: &r.recorded,
        summary: r.summary(),
    })
}

/// What `m.verify(db)` found, as scripts see it.
#[derive(Serialize)]
struct VerifyView<'a> {
    ok: bool,
    checked: &'a [String],
    failures: &'a [String],
}

/// One migration of `m.list()` as scripts see it.
#[derive(Serialize)]
struct MigrationView<'a> {
    version: i64,
    name: &'a str,
    /// `sql` or `rhai`.
    kind: &'a str,
    has_down: bool,
    checksum: &'a str,
}

/// `migrations(dir[, options])` over the engine's context; fails now when the directory
/// cannot be read.
fn open(call: &NativeCallContext, dir: &str, options: MigrateOptions) -> RhaiResult<Migrations> {
    let m = Migrations {
        dir: dir.into(),
        options,
        ctx: super::context(call)?,
    };
    m.manager()?;
    Ok(m)
}

/// Registers `migrations`, `run_migrations` and the `Migrations` methods.
pub fn register(module: &mut Module) {
    module.set_custom_type::<Migrations>("Migrations");
    function("migrations").set_into_module(
        module,
        |call: NativeCallContext, dir: &str| -> RhaiResult<Migrations> {
            open(&call, dir, MigrateOptions::default())
        },
    );
    function("migrations").set_into_module(
        module,
        |call: NativeCallContext, dir: &str, opts: Map| -> RhaiResult<Migrations> {
            open(&call, dir, options(&opts)?)
        },
    );
    function("run_migrations").set_into_module(
        module,
        |call: NativeCallContext, db: &mut Db, dir: &str| -> RhaiResult<Dynamic> {
            let m = Migrations {
                dir: dir.into(),
                options: MigrateOptions::default(),
                ctx: super::context(&call)?,
            }
            .manager()?;
            report(&db.with(|c| m.up(c, None))?)
        },
    );
    function("list").set_into_module(module, |m: &mut Migrations| -> RhaiResult<Dynamic> {
        let mgr = m.manager()?;
        let views: Vec<MigrationView> = mgr
            .migrations()
            .iter()
            .map(|x| MigrationView {
                version: x.version,
                name: &x.name,
                kind: x.kind.as_str(),
                has_down: x.down.is_some(),
                checksum: &x.checksum,
            })
            .collect();
        rhai::serde::to_dynamic(views)
    });
    function("status").set_into_module(
        module,
        |m: &mut Migrations, db: Db| -> RhaiResult<Dynamic> {
            let mgr = m.manager()?;
            let s = db.with(|c| mgr.status(c))?;
            let views: Vec<EntryView> = s.entries.iter().map(EntryView::of).collect();
            rhai::serde::to_dynamic(views)
        },
    );
    function("plan").set_into_module(module, |m: &mut Migrations, db: Db| -> RhaiResult<String> {
        let mgr = m.manager()?;
        let steps = db.with(|c| mgr.plan_up(c, None))?;
        Ok(migrate::plan::script(&steps))
    });
    function("up").set_into_module(
        module,
        |m: &mut Migrations, db: Db| -> RhaiResult<Dynamic> {
            let mgr = m.manager()?;
            report(&db.with(|c| mgr.up(c, None))?)
        },
    );
    function("up").set_into_module(
        module,
        |m: &mut Migrations, db: Db, to: INT| -> RhaiResult<Dynamic> {
            let mgr = m.manager()?;
            report(&db.with(|c| mgr.up(c, Some(to)))?)
        },
    );
    function("down").set_into_module(
        module,
        |m: &mut Migrations, db: Db| -> RhaiResult<Dynamic> {
            let mgr = m.manager()?;
            report(&db.with(|c| mgr.down(c, DownTarget::Count(1)))?)
        },
    );
    function("down").set_into_module(
        module,
        |m: &mut Migrations, db: Db, n: INT| -> RhaiResult<Dynamic> {
            let mgr = m.manager()?;
            let n =
                usize::try_from(n).map_err(|_| runtime(format!("down(db, {n}): n must be ≥ 0")))?;
            report(&db.with(|c| mgr.down(c, DownTarget::Count(n)))?)
        },
    );
    function("down_to").set_into_module(
        module,
        |m: &mut Migrations, db: Db, v: INT| -> RhaiResult<Dynamic> {
            let mgr = m.manager()?;
            report(&db.with(|c| mgr.down(c, DownTarget::To(v)))?)
        },
    );
    function("redo").set_into_module(
        module,
        |m: &mut Migrations, db: Db| -> RhaiResult<Dynamic> {
            let mgr = m.manager()?;
            report(&db.with(|c| mgr.redo(c))?)
        },
    );
    function("baseline").set_into_module(
        module,
        |m: &mut Migrations, db: Db, v: INT| -> RhaiResult<Dynamic> {
            let mgr = m.manager()?;
            report(&db.with(|c| mgr.baseline(c, v))?)
        },
    );
    function("accept").set_into_module(
        module,
        |m: &mut Migrations, db: Db, v: INT| -> RhaiResult<Dynamic> {
            let mgr = m.manager()?;
            report(&db.with(|c| mgr.accept(c, &[v]))?)
        },
    );
    function("repair").set_into_module(
        module,
        |m: &mut Migrations, db: Db| -> RhaiResult<Dynamic> {
            let mgr = m.manager()?;
            report(&db.with(|c| mgr.repair(c))?)
        },
    );
    function("verify").set_into_module(
        module,
        |m: &mut Migrations, db: Db| -> RhaiResult<Dynamic> {
            let mgr = m.manager()?;
            let r = db.with(|c| mgr.verify(c))?;
            rhai::serde::to_dynamic(VerifyView {
                ok: r.ok(),
                checked: &r.checked,
                failures: &r.failures,
            })
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::value::test_maps::*;
    use myrmex_core::migrate::{AppliedMigration, State};
    use myrmex_core::plugin::{Registry, SearchPath};
    use myrmex_core::{ConnectParams, Limits};
    use std::sync::Arc;

    fn part(line: usize, text: &str) -> Part {
        Part {
            file: "V9__check.up.rhai".into(),
            first_line: line,
            text: text.into(),
            no_transaction: false,
            single_statement: false,
        }
    }

    #[test]
    fn one_engine_runs_every_rhai_migration_of_a_run() {
        let registry = Registry::load(SearchPath::standard(&[], &[], None));
        let ctx = Context::new(Arc::new(registry), None, Limits::default());
        let scripts = RhaiScripts::new(&ctx);
        let mut conn = DatabaseConnection::new("test", ConnectParams::new("sqlite"));
        scripts
            .run(
                &mut conn,
                &part(1, "let n = db.name; if n != \"test\" { throw n }"),
            )
            .expect("first migration runs");
        let engine = scripts.engine.get().map(|e| e as *const Engine);
        assert!(engine.is_some());
        let err = scripts
            .run(&mut conn, &part(3, "throw \"stop\";"))
            .expect_err("second migration fails");
        assert_eq!(err, "V9__check.up.rhai:3:1: stop");
        assert_eq!(scripts.engine.get().map(|e| e as *const Engine), engine);
        assert_eq!(conn.name, "test", "the connection comes back");
    }

    const ENTRY_KEYS: [&str; 9] = [
        "applied_at",
        "applied_by",
        "checksum",
        "execution_ms",
        "file_checksum",
        "name",
        "problem",
        "state",
        "version",
    ];

    #[test]
    fn a_pending_entry_has_every_key_with_unit_history() {
        let e = Entry {
            version: 3,
            name: "add_email".into(),
            state: State::Pending,
            disk: Some(0),
            applied: None,
            disk_checksum: Some("abc".into()),
        };
        let d = rhai::serde::to_dynamic(EntryView::of(&e)).expect("converts");
        assert_eq!(keys(&d), ENTRY_KEYS);
        assert_eq!(field(&d, "version").as_int(), Ok(3));
        assert_eq!(field(&d, "state").to_string(), "pending");
        assert!(field(&d, "applied_at").is_unit());
        assert!(field(&d, "execution_ms").is_unit());
        assert!(field(&d, "problem").is_unit());
        assert_eq!(field(&d, "file_checksum").to_string(), "abc");
    }

    #[test]
    fn an_applied_entry_carries_its_history_row() {
        let e = Entry {
            version: 1,
            name: "init".into(),
            state: State::Applied,
            disk: Some(0),
            applied: Some(AppliedMigration {
                version: 1,
                name: "init".into(),
                kind: "sql".into(),
                checksum: "abc".into(),
                checksum_algorithm: 1,
                applied_at: "2026-01-01 00:00:00".into(),
                applied_by: "me@host".into(),
                execution_ms: 12,
                state: "applied".into(),
                statements_done: 0,
                progress_checksum: None,
            }),
            disk_checksum: Some("abc".into()),
        };
        let d = rhai::serde::to_dynamic(EntryView::of(&e)).expect("converts");
        assert_eq!(keys(&d), ENTRY_KEYS);
        assert_eq!(field(&d, "execution_ms").as_int(), Ok(12));
        assert_eq!(field(&d, "applied_by").to_string(), "me@host");
    }

    #[test]
    fn a_report_lists_what_ran() {
        let r = Report {
            applied: vec![migrate::Done {
                version: 2,
                name: "posts".into(),
                ms: 5,
            }],
            reverted: Vec::new(),
            recorded: vec!["baseline V1".into()],
        };
        let d = report(&r).expect("converts");
        assert_eq!(keys(&d), ["applied", "recorded", "reverted", "summary"]);
        let applied = field(&d, "applied").into_array().expect("an array");
        assert_eq!(keys(&applied[0]), ["ms", "name", "version"]);
        assert_eq!(field(&applied[0], "ms").as_int(), Ok(5));
        assert!(field(&d, "reverted").is_array());
        assert_eq!(field(&d, "recorded").to_string(), r#"["baseline V1"]"#);
        assert_eq!(field(&d, "summary").to_string(), r.summary());
    }
}
