//! Monitoring and tuning for scripts: `monitor_database(db[, options])`, `db.metrics()`,
//! `client_metrics()` and `optimize_database(db[, options])`.

use super::conn::Db;
use super::package::function;
use super::value::runtime;
use myrmex_core::monitor::{self, ClientMetrics, OptimizeOptions, OptimizeReport, Snapshot};
use myrmex_core::{DatabaseConnection, ErrorKind};
use rhai::{Dynamic, EvalAltResult, Map, Module};
use serde::Serialize;
use std::time::Duration;

type RhaiResult<T> = Result<T, Box<EvalAltResult>>;

/// Snapshots `monitor_database` takes unless told otherwise (one: no waiting, no rates).
const DEFAULT_SAMPLES: u32 = 1;
/// Milliseconds between snapshots unless told otherwise.
const DEFAULT_INTERVAL_MS: u64 = 1000;

/// What [`optimize`] returns to scripts and `myrmex optimize` prints: the report, and why it
/// may be empty.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Advice {
    /// Every recommendation with its evidence.
    pub recommendations: Vec<monitor::Recommendation>,
    /// The statements applied, in order, each with its error if it failed.
    pub applied: Vec<monitor::Applied>,
    /// Why there is no advice (a driver that gives none), never silent.
    pub notes: Vec<String>,
}

impl From<OptimizeReport> for Advice {
    fn from(r: OptimizeReport) -> Advice {
        Advice {
            recommendations: r.recommendations,
            applied: r.applied,
            notes: Vec::new(),
        }
    }
}

/// True for the error of a driver that does not implement what was asked.
pub fn is_unsupported(e: &myrmex_core::Error) -> bool {
    e.plugin_error()
        .is_some_and(|p| p.kind == ErrorKind::UNSUPPORTED)
}

/// Asks `conn`'s driver for advice (see [`monitor::optimize_database`]); a driver that gives
/// none answers an empty report with a note instead of an error.
pub fn optimize(
    conn: &mut DatabaseConnection,
    options: &OptimizeOptions,
    on_statement: impl FnMut(&str),
) -> myrmex_core::Result<Advice> {
    match monitor::optimize_database(conn, options, on_statement) {
        Ok(r) => Ok(r.into()),
        Err(e) if is_unsupported(&e) => Ok(Advice {
            notes: vec![format!(
                "{}: the driver gives no tuning advice: {}",
                conn.driver_name(),
                e.plugin_error()
                    .map_or(String::new(), |p| p.message.to_string())
            )],
            ..Advice::default()
        }),
        Err(e) => Err(e),
    }
}

/// The message of a failed call: the function, the connection, the error.
fn failure(fname: &str, db: &Db, e: &EvalAltResult) -> Box<EvalAltResult> {
    let name = db.name();
    let msg = match e {
        EvalAltResult::ErrorRuntime(d, _) => d.to_string(),
        other => other.to_string(),
    };
    if msg.starts_with(&format!("{name}:")) {
        runtime(format!("{fname}(): {msg}"))
    } else {
        runtime(format!("{fname}(): {name}: {msg}"))
    }
}

/// Runs `f` on `db`'s connection; its error names the function and the connection.
fn on<T>(
    fname: &str,
    db: &Db,
    f: impl FnOnce(&mut DatabaseConnection) -> myrmex_core::Result<T>,
) -> RhaiResult<T> {
    db.with(f).map_err(|e| failure(fname, db, &e))
}

fn to_dynamic<T: Serialize>(fname: &str, value: &T) -> RhaiResult<Dynamic> {
    rhai::serde::to_dynamic(value).map_err(|e| runtime(format!("{fname}(): {e}")))
}

/// A non-negative integer option of a map.
fn count(fname: &str, key: &str, v: &Dynamic) -> RhaiResult<u64> {
    v.as_int()
        .ok()
        .and_then(|n| u64::try_from(n).ok())
        .ok_or_else(|| runtime(format!("{fname}(): `{key}` must be a non-negative integer")))
}

fn monitor_db(db: &mut Db, map: Option<Map>) -> RhaiResult<Dynamic> {
    const FNAME: &str = "monitor_database";
    let mut samples = DEFAULT_SAMPLES;
    let mut interval = DEFAULT_INTERVAL_MS;
    for (k, v) in map.unwrap_or_default() {
        match k.as_str() {
            "samples" => {
                samples = u32::try_from(count(FNAME, "samples", &v)?)
                    .map_err(|_| runtime(format!("{FNAME}(): `samples` is too large")))?
                    .max(1)
            }
            "interval_ms" => interval = count(FNAME, "interval_ms", &v)?,
            _ => {
                return Err(runtime(format!(
                    "{FNAME}(): unknown option `{k}` (known: samples, interval_ms)"
                )))
            }
        }
    }
    let m = on(FNAME, db, |c| {
        monitor::monitor_database(c, samples, Duration::from_millis(interval))
    })?;
    to_dynamic(FNAME, &m)
}

/// The server's statistics now; a driver that reads none answers an empty snapshot whose
/// note says so, as `monitor_database` does.
fn metrics(db: &mut Db) -> RhaiResult<Dynamic> {
    let snapshot: Snapshot = on("metrics", db, |c| match c.metrics() {
        Err(e) if is_unsupported(&e) => Ok(Snapshot {
            notes: vec![format!(
                "{}: the driver reads no server statistics: {}",
                c.driver_name(),
                e.plugin_error()
                    .map_or(String::new(), |p| p.message.to_string())
            )],
            ..Snapshot::default()
        }),
        other => other,
    })?;
    to_dynamic("metrics", &snapshot)
}

fn client_metrics() -> RhaiResult<Dynamic> {
    to_dynamic("client_metrics", &ClientMetrics::global().stats())
}

fn optimize_db(db: &mut Db, map: Option<Map>) -> RhaiResult<Dynamic> {
    const FNAME: &str = "optimize_database";
    let mut options = OptimizeOptions::default();
    for (k, v) in map.unwrap_or_default() {
        match k.as_str() {
            "apply" => {
                options.apply = v
                    .as_bool()
                    .map_err(|_| runtime(format!("{FNAME}(): `apply` must be true or false")))?
            }
            "workload" => {
                let bad = || {
                    runtime(format!(
                        "{FNAME}(): `workload` must be an array of SQL strings"
                    ))
                };
                options.workload = v
                    .try_cast::<rhai::Array>()
                    .ok_or_else(bad)?
                    .into_iter()
                    .map(|s| s.into_string().map_err(|_| bad()))
                    .collect::<RhaiResult<_>>()?;
            }
            _ => {
                return Err(runtime(format!(
                    "{FNAME}(): unknown option `{k}` (known: apply, workload)"
                )))
            }
        }
    }
    let advice = on(FNAME, db, |c| {
        optimize(c, &options, |s| println!("applying: {s}"))
    })?;
    to_dynamic(FNAME, &advice)
}

/// Registers the monitoring functions.
pub fn register(module: &mut Module) {
    function("monitor_database").set_into_module(module, |db: &mut Db| monitor_db(db, None));
    function("monitor_database")
        .set_into_module(module, |db: &mut Db, map: Map| monitor_db(db, Some(map)));
    function("metrics").set_into_module(module, metrics);
    function("client_metrics").set_into_module(module, client_metrics);
    function("optimize_database").set_into_module(module, |db: &mut Db| optimize_db(db, None));
    function("optimize_database")
        .set_into_module(module, |db: &mut Db, map: Map| optimize_db(db, Some(map)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advice_serializes_with_its_notes() {
        let advice = Advice {
            notes: vec!["none".into()],
            ..Advice::default()
        };
        let d = rhai::serde::to_dynamic(&advice).expect("serializes");
        let m = d.cast::<Map>();
        assert!(m.contains_key("recommendations"));
        assert!(m.contains_key("applied"));
        assert_eq!(m["notes"].clone().cast::<rhai::Array>().len(), 1);
    }
}
