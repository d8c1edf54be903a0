//! `configuration`: memory and parallelism settings against the machine the request
//! describes. Reported only: settings are the administrator's.

use super::size;
use crate::monitor::{get, number};
use crate::session::Session;
use myrmex_plugin::monitor::{Advice, AdviceRequest};
use myrmex_plugin::PluginError;
use std::collections::HashMap;

/// The bytes one unit of a `pg_settings` value stands for.
pub fn unit_bytes(unit: &str) -> Option<f64> {
    let (n, u) = match unit.find(|c: char| !c.is_ascii_digit()) {
        Some(0) | None => (1.0, unit),
        Some(at) => (unit[..at].parse::<f64>().ok()?, &unit[at..]),
    };
    let base = match u {
        "B" => 1.0,
        "kB" => 1024.0,
        "MB" => 1024.0 * 1024.0,
        "GB" => 1024.0 * 1024.0 * 1024.0,
        "TB" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    Some(n * base)
}

/// A size as a setting's value: whole GB when it is at least 1 GB, else whole MB.
pub fn setting_size(bytes: f64) -> String {
    const MB: f64 = 1024.0 * 1024.0;
    const GB: f64 = 1024.0 * MB;
    if bytes >= GB {
        format!("{}GB", (bytes / GB).round().max(1.0))
    } else {
        format!("{}MB", (bytes / MB).round().max(1.0))
    }
}

/// The settings read, in bytes for sizes.
type Settings = HashMap<String, f64>;

fn read(session: &Session) -> Result<Settings, PluginError> {
    let rows = session.rows(
        "SELECT name, setting::float8, COALESCE(unit, '') FROM pg_catalog.pg_settings \
         WHERE name IN ('shared_buffers', 'effective_cache_size', 'work_mem', \
           'max_connections', 'max_parallel_workers', 'max_parallel_workers_per_gather', \
           'max_worker_processes')",
        &[],
    )?;
    let mut out = HashMap::new();
    for r in &rows {
        let name: String = get(r, 0)?;
        let unit: String = get(r, 2)?;
        let factor = if unit.is_empty() {
            1.0
        } else {
            unit_bytes(&unit).unwrap_or(1.0)
        };
        out.insert(name, number(r, 1)? * factor);
    }
    Ok(out)
}

fn report(object: &str, message: String, evidence: String, gain: &str, risk: &str) -> Advice {
    Advice {
        kind: "configuration".into(),
        object: format!("setting {object}"),
        message,
        evidence,
        expected_gain: gain.into(),
        risk: risk.into(),
        statements: Vec::new(),
        safe: false,
    }
}

/// The settings advice for a machine of `request.memory_bytes` and `request.cores` (either
/// unknown: its hints are left out).
pub fn settings(session: &Session, request: &AdviceRequest) -> Result<Vec<Advice>, PluginError> {
    let s = read(session)?;
    Ok(judge(&s, request.memory_bytes as f64, request.cores))
}

/// The advice for settings `s` on a machine of `memory` bytes and `cores` cores.
pub fn judge(s: &Settings, memory: f64, cores: u32) -> Vec<Advice> {
    let setting = |name: &str| s.get(name).copied();
    let mut out = Vec::new();
    if memory > 0.0 {
        let machine = size(memory);
        if let Some(sb) = setting("shared_buffers") {
            let share = sb / memory;
            if !(0.15..=0.40).contains(&share) {
                out.push(report(
                    "shared_buffers",
                    format!(
                        "Set shared_buffers to about {} (25% of the machine's memory).",
                        setting_size(memory * 0.25)
                    ),
                    format!(
                        "shared_buffers = {}, {:.1}% of {machine}",
                        size(sb),
                        share * 100.0
                    ),
                    "more of the working set cached by the server, fewer reads",
                    "takes effect only after a restart; too large leaves less memory for the \
                     operating system's cache and for queries",
                ));
            }
        }
        if let Some(ec) = setting("effective_cache_size") {
            let share = ec / memory;
            if !(0.50..=0.75).contains(&share) {
                out.push(report(
                    "effective_cache_size",
                    format!(
                        "Set effective_cache_size to about {} (50-75% of the machine's memory).",
                        setting_size(memory * 0.625)
                    ),
                    format!(
                        "effective_cache_size = {}, {:.1}% of {machine}",
                        size(ec),
                        share * 100.0
                    ),
                    "the planner weighs index scans against the cache the machine really has",
                    "none for memory: it allocates nothing and only guides the planner (a \
                     reload applies it); plans may change",
                ));
            }
        }
        if let (Some(wm), Some(conns)) = (setting("work_mem"), setting("max_connections")) {
            let fair = (memory * 0.25 / conns.max(1.0)).max(4.0 * 1024.0 * 1024.0);
            if wm < fair / 4.0 || wm > fair * 4.0 {
                out.push(report(
                    "work_mem",
                    format!(
                        "Set work_mem to about {} (a quarter of the memory shared by \
                         max_connections).",
                        setting_size(fair)
                    ),
                    format!(
                        "work_mem = {}, max_connections = {}, machine {machine}",
                        size(wm),
                        conns
                    ),
                    "sorts and hashes in memory instead of temporary files",
                    "each sort or hash of each query may use this much: too high risks \
                     running out of memory when many sessions work at once",
                ));
            }
        }
    }
    if cores > 0 {
        let cores_f = f64::from(cores);
        if let Some(mpw) = setting("max_parallel_workers") {
            if mpw != cores_f {
                let workers = setting("max_worker_processes").unwrap_or(8.0);
                let also = if workers < cores_f {
                    format!(" (and max_worker_processes to at least {cores}, now {workers})")
                } else {
                    String::new()
                };
                out.push(report(
                    "max_parallel_workers",
                    format!("Set max_parallel_workers to {cores}, the machine's cores{also}."),
                    format!("max_parallel_workers = {mpw}, cores = {cores}"),
                    "parallel queries use the cores the machine has, no more",
                    "more parallel workers per query leave fewer cores to other sessions; \
                     max_worker_processes takes effect only after a restart",
                ));
            }
        }
        if let Some(per_gather) = setting("max_parallel_workers_per_gather") {
            let half = (cores / 2).max(1);
            if per_gather > f64::from(half) {
                out.push(report(
                    "max_parallel_workers_per_gather",
                    format!("Set max_parallel_workers_per_gather to at most {half}."),
                    format!("max_parallel_workers_per_gather = {per_gather}, cores = {cores}"),
                    "one query cannot take every core from the others",
                    "large queries may run slower alone",
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const GB: f64 = 1024.0 * 1024.0 * 1024.0;

    #[test]
    fn units_are_read_as_pg_settings_writes_them() {
        assert_eq!(unit_bytes("8kB"), Some(8192.0));
        assert_eq!(unit_bytes("kB"), Some(1024.0));
        assert_eq!(unit_bytes("MB"), Some(1048576.0));
        assert_eq!(unit_bytes("ms"), None);
        assert_eq!(setting_size(6.0 * GB), "6GB");
        assert_eq!(setting_size(64.0 * 1048576.0), "64MB");
    }

    fn defaults() -> Settings {
        [
            ("shared_buffers", 128.0 * 1048576.0),
            ("effective_cache_size", 4.0 * GB),
            ("work_mem", 4.0 * 1048576.0),
            ("max_connections", 100.0),
            ("max_parallel_workers", 8.0),
            ("max_parallel_workers_per_gather", 2.0),
            ("max_worker_processes", 8.0),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    #[test]
    fn defaults_on_a_large_machine_are_reported_and_nothing_without_a_machine() {
        let advice = judge(&defaults(), 24.0 * GB, 2);
        let objects: Vec<&str> = advice.iter().map(|a| a.object.as_str()).collect();
        assert_eq!(
            objects,
            [
                "setting shared_buffers",
                "setting effective_cache_size",
                "setting work_mem",
                "setting max_parallel_workers",
                "setting max_parallel_workers_per_gather"
            ]
        );
        assert!(advice[0].message.contains("6GB"), "{}", advice[0].message);
        assert!(advice.iter().all(|a| a.statements.is_empty() && !a.safe));
        assert!(judge(&defaults(), 0.0, 0).is_empty());
    }

    #[test]
    fn settings_in_range_are_left_alone() {
        let mut s = defaults();
        s.insert("shared_buffers".into(), 4.0 * GB);
        s.insert("effective_cache_size".into(), 10.0 * GB);
        s.insert("work_mem".into(), 16.0 * 1048576.0);
        s.insert("max_parallel_workers".into(), 8.0);
        s.insert("max_parallel_workers_per_gather".into(), 4.0);
        assert!(judge(&s, 16.0 * GB, 8).is_empty());
    }
}
