//! Scheduled backups: the `[backups.<job>]` entries of `myrmex.toml`, run on their cron
//! expressions by a foreground scheduler (one status line per run, a lock per job so two
//! schedulers never run the same job, a run missed while the scheduler was down run once at
//! start and said so).

use super::error::{io, BackupError};
use super::store::FileLock;
use super::{BackupManager, BackupOptions, KeySource, Retention};
use crate::plugin::Registry;
use crate::{Config, DatabaseConnection, Result};
use chrono::{DateTime, TimeZone, Utc};
use croner::parser::{CronParser, Seconds};
use croner::Cron;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// One `[backups.<job>]` entry.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BackupJob {
    /// A connection of the config, or a URL.
    pub connection: String,
    /// The strategy plugin (default `logical`).
    #[serde(default = "logical")]
    pub strategy: String,
    /// When to run: a cron expression (5 fields, or 6 with seconds first), UTC.
    pub schedule: String,
    /// The destination: a directory, or a store location (`s3://bucket/prefix`).
    pub dest: PathBuf,
    /// Connections the strategy may use (default 2).
    #[serde(default)]
    pub parallel: Option<u32>,
    /// zstd level (default 3).
    #[serde(default)]
    pub compress: Option<i32>,
    /// Encrypt with the key in this environment variable.
    #[serde(default)]
    pub key_env: Option<String>,
    /// Encrypt with the key in this file.
    #[serde(default)]
    pub key_file: Option<PathBuf>,
    /// Prune after each run.
    #[serde(default)]
    pub retention: Option<Retention>,
}

fn logical() -> String {
    "logical".into()
}

/// Where a job keeps its lock and its last run: the destination directory itself, or for a
/// store location (`s3://…`) a directory of this user's state (`$XDG_STATE_HOME/myrmex`,
/// else `~/.local/state/myrmex`) named after the location.
fn state_dir(dest: &Path) -> PathBuf {
    let text = dest.to_string_lossy();
    if super::remote::scheme_of(&text).is_none() {
        return dest.to_path_buf();
    }
    let base = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))
        .unwrap_or_else(std::env::temp_dir);
    let name: String = text
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    base.join("myrmex").join("schedule").join(name)
}

/// Parses a cron expression (5 fields, or 6 with seconds).
pub fn parse_cron(job: &str, expr: &str) -> Result<Cron> {
    CronParser::builder()
        .seconds(Seconds::Optional)
        .build()
        .parse(expr)
        .map_err(|e| BackupError::Invalid(format!("[backups.{job}] schedule `{expr}`: {e}")).into())
}

/// What the scheduler reports: one line per run, and the missed runs it catches up.
pub type Log = Arc<dyn Fn(&str) + Send + Sync>;

struct Job {
    name: String,
    job: BackupJob,
    cron: Cron,
    _lock: FileLock,
    state: PathBuf,
}

fn last_run(state: &PathBuf) -> Option<DateTime<Utc>> {
    let secs: i64 = std::fs::read_to_string(state).ok()?.trim().parse().ok()?;
    Utc.timestamp_opt(secs, 0).single()
}

/// Runs `jobs` (every job of the config when empty) until `stop` says so; returns when
/// stopped, or on a configuration error (an unknown job, a bad cron expression, a job another
/// scheduler runs).
pub fn run(
    config: &Config,
    registry: Arc<Registry>,
    jobs: &[String],
    stop: &(dyn Fn() -> bool + Sync),
    log: Log,
) -> Result<()> {
    let mut chosen = Vec::new();
    for name in jobs {
        if !config.backups.contains_key(name) {
            return Err(BackupError::Invalid(format!(
                "no job [backups.{name}] in the config (jobs: {})",
                config
                    .backups
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
            .into());
        }
    }
    for (name, job) in &config.backups {
        if !jobs.is_empty() && !jobs.contains(name) {
            continue;
        }
        let cron = parse_cron(name, &job.schedule)?;
        let dir = state_dir(&job.dest);
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        let lock =
            FileLock::try_take(&dir.join(format!(".schedule-{name}.lock")))?.ok_or_else(|| {
                BackupError::Locked {
                    what: format!("backup job {name}"),
                }
            })?;
        chosen.push(Job {
            state: dir.join(format!(".schedule-{name}.last")),
            name: name.clone(),
            job: job.clone(),
            cron,
            _lock: lock,
        });
    }
    if chosen.is_empty() {
        return Err(BackupError::Invalid("no [backups.<job>] entries to run".into()).into());
    }
    let now = Utc::now();
    let mut next = Vec::new();
    for j in &chosen {
        let missed = last_run(&j.state)
            .and_then(|last| j.cron.find_next_occurrence(&last, false).ok())
            .filter(|due| *due <= now);
        match missed {
            Some(due) => {
                log(&format!(
                    "job {}: the run due at {} was missed while no scheduler ran; running it now",
                    j.name,
                    due.format("%Y-%m-%dT%H:%M:%SZ")
                ));
                next.push(Some(now));
            }
            None => next.push(j.cron.find_next_occurrence(&now, false).ok()),
        }
    }
    log(&format!(
        "scheduler started: {}",
        chosen
            .iter()
            .map(|j| format!("{} ({})", j.name, j.job.schedule))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    while !stop() {
        let now = Utc::now();
        for (j, due) in chosen.iter().zip(next.iter_mut()) {
            let Some(at) = *due else { continue };
            if at > now {
                continue;
            }
            log(&run_once(config, &registry, &j.name, &j.job));
            let _ = std::fs::write(&j.state, now.timestamp().to_string());
            *due = j.cron.find_next_occurrence(&Utc::now(), false).ok();
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    log("scheduler stopped");
    Ok(())
}

/// Runs one job now; its status line.
pub fn run_once(config: &Config, registry: &Arc<Registry>, name: &str, job: &BackupJob) -> String {
    let started = std::time::Instant::now();
    let result = (|| -> Result<String> {
        let mut db = if config.connections.contains_key(&job.connection) {
            config.connection_with(&job.connection, registry)?
        } else {
            DatabaseConnection::from_url_with(name, &job.connection, registry)?
        };
        db.connect_with(registry)?;
        let options = BackupOptions {
            strategy: job.strategy.clone(),
            parallel: job.parallel.unwrap_or(2),
            compress: job.compress.unwrap_or(3),
            encrypt: match (&job.key_env, &job.key_file) {
                (Some(v), _) => Some(KeySource::Env(v.clone())),
                (_, Some(f)) => Some(KeySource::File(f.clone())),
                _ => None,
            },
            name: None,
            settings: String::new(),
        };
        let manager = BackupManager::open(&job.dest.to_string_lossy(), registry.clone())?;
        let b = manager.backup(&mut db, &options)?;
        let _ = db.close();
        let pruned = match &job.retention {
            Some(r) => format!("; pruned {}", manager.prune(r, false)?.delete.len()),
            None => String::new(),
        };
        Ok(format!(
            "{} complete: {} tables, {} rows, {} bytes{pruned}",
            b.name, b.tables, b.rows, b.bytes
        ))
    })();
    let secs = started.elapsed().as_secs_f64();
    match result {
        Ok(s) => format!("job {name}: ok in {secs:.1}s: backup {s}"),
        Err(e) => format!("job {name}: FAILED after {secs:.1}s: {e}"),
    }
}
