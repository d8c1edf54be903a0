//! The `sqlite-online` backup strategy: SQLite's online backup API copies the database
//! file page by page, in steps so that writers are not starved (a change made by another
//! connection between steps restarts the copy, so the result is always one consistent
//! state), or `VACUUM INTO` for a compacted copy. A restore copies the backup over the
//! target the same way, in one transaction on the target.

use myrmex_abi::ConnectionBox;
use myrmex_plugin::backup::{
    BackupFeatures, BackupOutcome, BackupProgress, BackupRequest, BackupStrategy, Host,
    RestoreOutcome, RestoreRequest, TableSummary,
};
use myrmex_plugin::{Config, ErrorKind, PluginError};
use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};
use serde::Deserialize;
use std::path::Path;
use std::time::Duration;

/// The file a backup holds.
const FILE: &str = "database.sqlite";

/// The strategy's settings.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct Settings {
    /// Pages copied per step (the source is unlocked between steps).
    pages_per_step: i32,
    /// Pause between steps, to leave room to writers.
    pause_ms: u64,
    /// Write a compacted copy with `VACUUM INTO` instead of the page copy.
    vacuum: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            pages_per_step: 4096,
            pause_ms: 0,
            vacuum: false,
        }
    }
}

/// The `sqlite-online` strategy.
pub struct Online;

/// Opens the strategy.
pub fn open(_config: Config<'_>) -> Result<Online, PluginError> {
    Ok(Online)
}

fn sql(e: rusqlite::Error, what: &str) -> PluginError {
    PluginError::new(ErrorKind::DATABASE, format!("{what}: {e}"))
}

fn file_of(database: &str) -> Result<&str, PluginError> {
    if database.is_empty() || database == ":memory:" || database.starts_with("file::memory:") {
        return Err(PluginError::unsupported(
            "sqlite-online copies a database file; an in-memory database has none (use the logical strategy)",
        ));
    }
    Ok(database)
}

/// Copies `src` into `dst` in steps, reporting progress and stopping when cancelled.
fn copy(
    src: &Connection,
    dst: &mut Connection,
    s: &Settings,
    host: Host<'_>,
) -> Result<u64, PluginError> {
    let b = Backup::new(src, dst).map_err(|e| sql(e, "starting the online backup"))?;
    loop {
        host.check_cancelled()?;
        let pages = if s.pages_per_step <= 0 {
            -1
        } else {
            s.pages_per_step
        };
        let step = b.step(pages).map_err(|e| sql(e, "copying pages"))?;
        let p = b.progress();
        let page = 4096u64;
        host.progress(&BackupProgress {
            phase: "copy".into(),
            bytes: (p.pagecount - p.remaining).max(0) as u64 * page,
            bytes_total: p.pagecount.max(0) as u64 * page,
            ..Default::default()
        });
        match step {
            StepResult::Done => return Ok(p.pagecount.max(0) as u64),
            StepResult::More => {
                if s.pause_ms > 0 {
                    std::thread::sleep(Duration::from_millis(s.pause_ms));
                }
            }
            _ => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

/// What a backup of `rows` tables wrote.
fn outcome(rows: Vec<TableSummary>, s: &Settings) -> BackupOutcome {
    let details = serde_json::json!({ "file": FILE, "vacuum": s.vacuum });
    BackupOutcome {
        format: "sqlite-file/1".into(),
        engine: "sqlite".into(),
        server_version: rusqlite::version().into(),
        schema: "".into(),
        tables: rows.into(),
        details: details.to_string().into(),
        extensions: Default::default(),
    }
}

/// The rows of every table of the copy at `out`.
fn count_copy(out: &Path) -> Result<Vec<TableSummary>, PluginError> {
    let copy = Connection::open_with_flags(out, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| sql(e, "opening the copy"))?;
    tables(&copy)
}

/// A number that changes when another connection commits to the database.
fn data_version(conn: &Connection) -> Result<i64, PluginError> {
    conn.query_row("PRAGMA data_version", [], |r| r.get(0))
        .map_err(|e| sql(e, "reading the data version"))
}

/// Every table's row count (no content checksum: the file is the backup).
fn tables(conn: &Connection) -> Result<Vec<TableSummary>, PluginError> {
    let mut stmt = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name")
        .map_err(|e| sql(e, "listing tables"))?;
    let names: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .and_then(|rows| rows.collect())
        .map_err(|e| sql(e, "listing tables"))?;
    let mut out = Vec::new();
    for n in names {
        let q = format!("SELECT count(*) FROM \"{}\"", n.replace('"', "\"\""));
        let rows: i64 = conn
            .query_row(&q, [], |r| r.get(0))
            .map_err(|e| sql(e, &format!("counting rows of {n}")))?;
        out.push(TableSummary {
            name: n.into(),
            rows: rows.max(0) as u64,
            checksum: "".into(),
            extensions: Default::default(),
        });
    }
    Ok(out)
}

fn settings(text: &str) -> Result<Settings, PluginError> {
    Config::new("sqlite-online", text).parse()
}

impl BackupStrategy for Online {
    fn features(&self) -> BackupFeatures {
        BackupFeatures {
            full: true,
            incremental: false,
            online: true,
            parallel: false,
            cross_engine: false,
        }
    }

    fn backup(
        &self,
        _conn: &mut ConnectionBox,
        request: &BackupRequest,
        host: Host<'_>,
    ) -> Result<BackupOutcome, PluginError> {
        let s = settings(request.settings.as_str())?;
        let path = file_of(request.source.database.as_str())?;
        let src = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(|e| sql(e, "opening the database"))?;
        src.busy_timeout(Duration::from_secs(30))
            .map_err(|e| sql(e, "setting the busy timeout"))?;
        let out = Path::new(request.directory.as_str()).join(FILE);
        if s.vacuum {
            src.execute("VACUUM INTO ?1", [out.to_string_lossy().as_ref()])
                .map_err(|e| sql(e, "VACUUM INTO"))?;
        } else {
            let mut dst = Connection::open(&out).map_err(|e| sql(e, "creating the copy"))?;
            // A new file no one else opens: no journal and no syncs while pages are copied
            // (a killed backup is discarded whole; the host syncs the file before publishing).
            dst.execute_batch("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF")
                .map_err(|e| sql(e, "preparing the copy"))?;
            // The rows are counted on the source while the pages are copied (the two reads
            // use both cores); when nothing was written to the source meanwhile, the count is
            // of the state copied, else the copy is counted again.
            let version = data_version(&src)?;
            let counted = std::thread::scope(|scope| {
                let counter = scope.spawn(|| {
                    Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
                        .map_err(|e| sql(e, "opening the database"))
                        .and_then(|c| tables(&c))
                });
                let copied = copy(&src, &mut dst, &s, host);
                let counted = counter.join().unwrap_or_else(|_| {
                    Err(PluginError::new(
                        ErrorKind::INTERNAL,
                        "counting rows failed",
                    ))
                });
                copied.and(counted)
            })?;
            // The copy is a plain file: not in WAL mode, so opening it makes no side files.
            dst.execute_batch("PRAGMA journal_mode = DELETE")
                .map_err(|e| sql(e, "closing the copy"))?;
            drop(dst);
            let rows = if data_version(&src)? == version {
                counted
            } else {
                count_copy(&out)?
            };
            return Ok(outcome(rows, &s));
        }
        Ok(outcome(count_copy(&out)?, &s))
    }

    fn restore(
        &self,
        _conn: &mut ConnectionBox,
        request: &RestoreRequest,
        host: Host<'_>,
    ) -> Result<RestoreOutcome, PluginError> {
        let s = settings(request.settings.as_str())
            .or_else(|_| Ok::<_, PluginError>(Settings::default()))?;
        let path = file_of(request.target.database.as_str())?;
        let mut dst = Connection::open(path).map_err(|e| sql(e, "opening the target"))?;
        dst.busy_timeout(Duration::from_secs(30))
            .map_err(|e| sql(e, "setting the busy timeout"))?;
        let existing = tables(&dst)?;
        if !existing.is_empty() && !request.clean {
            let names: Vec<&str> = existing.iter().take(5).map(|t| t.name.as_str()).collect();
            return Err(PluginError::new(
                ErrorKind::ALREADY_EXISTS,
                format!(
                    "the target database is not empty (it holds {}); restore with clean to replace it",
                    names.join(", ")
                ),
            ));
        }
        let src_path = Path::new(request.directory.as_str()).join(FILE);
        let src = Connection::open_with_flags(&src_path, OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(|e| sql(e, "opening the backup's file"))?;
        // The whole copy is one write transaction on the target: a failure leaves it as it was.
        copy(
            &src,
            &mut dst,
            &Settings {
                pages_per_step: -1,
                ..s
            },
            host,
        )?;
        Ok(RestoreOutcome {
            tables: tables(&dst)?.into(),
            extensions: Default::default(),
        })
    }
}
