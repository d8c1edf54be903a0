//! Before/after schema pairs against the real engines, judged by the engines' own catalogs.
//!
//! For every pair in `tests/fixtures/schema_pairs/<engine>/NN-name/`: database A is loaded
//! from `before.sql` and B from `after.sql` with the engine's client; myrmex inspects both,
//! diffs A's definition to B's and applies the plan to A; then the engine's own dump of A
//! (`pg_dump --schema-only`, `mariadb-dump --no-data` with `information_schema`,
//! `sqlite_schema`) must equal B's, and a second diff must be empty. B's definition is also
//! generated into an empty database C, whose dump must equal B's too: whatever inspect
//! writes, diff and generate accept.
//!
//! A pair whose objects myrmex cannot carry says so in `expect.toml`:
//! `refused = ["name", …]` — each name must then appear in an `unsupported` entry of the
//! inspected definitions or in the diff's error, and the dumps may differ. `grants = true`
//! asks inspection for privileges. A loud refusal a pair does not expect is a failure, as
//! is any difference myrmex does not name. Each test lists every failing pair.

#[path = "schema_pairs/engine.rs"]
mod engine;

use engine::Engine;
use myrmex_core::schema_def::{self, SchemaDefinition};
use std::path::Path;

/// What a pair declares in `expect.toml`.
#[derive(Default)]
struct Expect {
    refused: Vec<String>,
    grants: bool,
}

fn expect(dir: &Path) -> Expect {
    let Ok(text) = std::fs::read_to_string(dir.join("expect.toml")) else {
        return Expect::default();
    };
    let v: toml::Table =
        toml::from_str(&text).unwrap_or_else(|e| panic!("{}/expect.toml: {e}", dir.display()));
    Expect {
        refused: v
            .get("refused")
            .and_then(|r| r.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        grants: v.get("grants").and_then(|g| g.as_bool()).unwrap_or(false),
    }
}

/// The first lines where two dumps differ, for the failure message.
fn first_difference(want: &str, got: &str) -> String {
    let w: Vec<&str> = want.lines().collect();
    let g: Vec<&str> = got.lines().collect();
    let at = w
        .iter()
        .zip(&g)
        .position(|(a, b)| a != b)
        .unwrap_or(w.len().min(g.len()));
    let from = at.saturating_sub(2);
    format!(
        "after.sql has:\n    {}\n  myrmex's database has:\n    {}",
        w[from..(at + 4).min(w.len())].join("\n    "),
        g[from..(at + 4).min(g.len())].join("\n    ")
    )
}

/// Everything myrmex named as beyond it: unsupported entries and the diff's error.
fn refusals(defs: &[&SchemaDefinition], error: Option<&str>) -> Vec<String> {
    let mut out: Vec<String> = defs
        .iter()
        .flat_map(|d| d.unsupported.iter())
        .map(|u| format!("{} {}: {}", u.kind, u.name, u.reason))
        .collect();
    out.extend(error.map(str::to_string));
    out
}

/// Runs one pair; `Err` says why it fails.
fn run_pair(e: &Engine, worker: usize, dir: &Path) -> Result<(), String> {
    let exp = expect(dir);
    let a = e.fresh(&format!("pa{worker}"));
    let b = e.fresh(&format!("pb{worker}"));
    e.load(&a, &dir.join("before.sql"))?;
    e.load(&b, &dir.join("after.sql"))?;
    let mut request = vec!["*".to_string()];
    if exp.grants {
        request.push("+grants".to_string());
    }
    if e.name != "postgres" {
        request.clear();
    }
    let mut ca = e.connect(&a);
    let mut cb = e.connect(&b);
    let dialect = ca.schema_dialect().map_err(|x| x.to_string())?;
    let def_a = ca
        .schema_of(&request)
        .map_err(|x| format!("inspecting before: {x}"))?;
    let def_b = cb
        .schema_of(&request)
        .map_err(|x| format!("inspecting after: {x}"))?;
    let options = schema_def::DiffOptions { grants: exp.grants };
    let plan = schema_def::diff_with(&def_a, &def_b, dialect, &options);
    let error = plan.as_ref().err().map(|x| x.to_string());
    let mut named = refusals(&[&def_a, &def_b], error.as_deref());
    if let Ok(p) = &plan {
        named.extend(p.unsupported_lines());
    }
    let missing: Vec<&String> = exp
        .refused
        .iter()
        .filter(|r| !named.iter().any(|n| n.contains(r.as_str())))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "expected myrmex to name {missing:?} as beyond it; it named {named:?}"
        ));
    }
    let refused = !exp.refused.is_empty();
    if !refused && !named.is_empty() {
        return Err(format!("myrmex refused: {}", named.join("; ")));
    }
    let want = e.dump(&b);
    if let Ok(plan) = &plan {
        // A plan myrmex declared partial may fail; it has said why already.
        if let Err(x) = ca.apply_changes(&plan.changes) {
            if !refused {
                let sql: Vec<&str> = plan.changes.iter().map(|c| c.sql.as_str()).collect();
                return Err(format!("applying the plan {sql:?}: {x}"));
            }
        }
        if !refused {
            let got = e.dump(&a);
            if got != want {
                let sql: Vec<&str> = plan.changes.iter().map(|c| c.sql.as_str()).collect();
                return Err(format!(
                    "catalogs differ after the diff was applied\n  plan: {sql:?}\n  notices: {:?}\n  {}",
                    plan.notices,
                    first_difference(&want, &got)
                ));
            }
            let again = ca.schema_of(&request).map_err(|x| x.to_string())?;
            let rest = schema_def::diff_with(&again, &def_b, dialect, &options)
                .map_err(|x| x.to_string())?;
            if !rest.is_empty() {
                let sql: Vec<&str> = rest.changes.iter().map(|c| c.sql.as_str()).collect();
                return Err(format!(
                    "a second diff is not empty: {sql:?}, notices {:?}, unsupported {:?}",
                    rest.notices,
                    rest.unsupported_lines()
                ));
            }
        }
    }
    drop(ca);
    // Whatever inspect writes, generate accepts, and it makes the same database.
    let c = e.fresh(&format!("pc{worker}"));
    let mut cc = e.connect(&c);
    let stmts = schema_def::SchemaGenerator::new(dialect)
        .statements(&def_b)
        .map_err(|x| format!("generating after's definition: {x}"))?;
    for s in &stmts {
        if let Err(x) = cc.execute_batch(s) {
            if refused {
                break;
            }
            return Err(format!("generating after's definition, `{s}`: {x}"));
        }
    }
    if !refused {
        let got = e.dump(&c);
        if got != want {
            return Err(format!(
                "the generated after-definition differs from after.sql\n  {}",
                first_difference(&want, &got)
            ));
        }
    }
    Ok(())
}

/// Pairs run on this many workers at once, each with its own databases
/// (`MYRMEX_PAIR_WORKERS`, default 3).
fn workers() -> usize {
    std::env::var("MYRMEX_PAIR_WORKERS")
        .ok()
        .and_then(|w| w.parse().ok())
        .filter(|w| *w > 0)
        .unwrap_or(3)
}

fn run_engine(name: &'static str, at_least: usize) {
    let Some(probe) = Engine::new(name) else {
        return;
    };
    drop(probe);
    let pairs = engine::pairs(name);
    assert!(
        pairs.len() >= at_least,
        "{name}: {} pairs, at least {at_least} wanted",
        pairs.len()
    );
    // `MYRMEX_PAIRS=part` runs only the pairs whose directory name contains `part`.
    let only = std::env::var("MYRMEX_PAIRS").unwrap_or_default();
    let chosen: Vec<&std::path::PathBuf> = pairs
        .iter()
        .filter(|d| d.to_string_lossy().contains(&only))
        .collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let failed = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for worker in 0..workers() {
            let (next, failed, chosen) = (&next, &failed, &chosen);
            scope.spawn(move || {
                let Some(e) = Engine::new(name) else { return };
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(dir) = chosen.get(i) else { break };
                    let label = dir.file_name().unwrap().to_string_lossy().to_string();
                    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        run_pair(&e, worker, dir)
                    }))
                    .unwrap_or_else(|p| {
                        Err(p
                            .downcast_ref::<String>()
                            .cloned()
                            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                            .unwrap_or_else(|| "panicked".to_string()))
                    });
                    if let Err(why) = result {
                        failed
                            .lock()
                            .unwrap()
                            .push(format!("{name}/{label}: {why}"));
                    }
                }
                for l in ["pa", "pb", "pc"] {
                    e.drop_db(&format!("{l}{worker}"));
                }
            });
        }
    });
    let mut failed = failed.into_inner().unwrap();
    failed.sort();
    assert!(
        failed.is_empty(),
        "{} of {} {name} pairs fail:\n\n{}",
        failed.len(),
        chosen.len(),
        failed.join("\n\n")
    );
}

#[test]
fn postgres_pairs() {
    run_engine("postgres", 40);
}

#[test]
fn mysql_pairs() {
    run_engine("mysql", 40);
}

#[test]
fn sqlite_pairs() {
    run_engine("sqlite", 15);
}
