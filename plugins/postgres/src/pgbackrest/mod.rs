//! The `pgbackrest` backup strategy: physical backups of a whole cluster by pgBackRest (full,
//! differential, incremental), recorded in myrmex's manifest so that listing, verify,
//! retention and schedule treat them like any backup, and restored to a backup's end or to a
//! point in time from the archived WAL.
//!
//! pgBackRest keeps the files in its own repository; a myrmex backup holds pgBackRest's
//! description of its set (`pgbackrest-info.json`), the set's label, and the tables' rows
//! counted as the backup ended. The server must archive its WAL through pgBackRest
//! (`archive_mode = on`, `archive_command = 'pgbackrest --stanza=NAME archive-push %p'`):
//! without it a backup is refused with what to set. pgBackRest runs on the database's own
//! host, as the user that owns the data directory (when myrmex runs as root).
//!
//! Backup settings: `stanza` (default `main`), `repo` (the repository path; default
//! pgBackRest's configuration), `config` (a pgBackRest configuration file), `type` (`full`,
//! `diff`, `incr`; default `full`).
//!
//! Restore settings: `pg_path` (the data directory to restore into: absent or empty, or with
//! clean an existing stopped cluster restored in place with `--delta`), one of
//! `target_time`, `target_lsn`, `target_xid`, `target_name` (point-in-time recovery) or
//! `latest: true` (replay every archived WAL segment); without a target the cluster is
//! restored to the backup's own end. `start: true` starts a throwaway server on the restored
//! directory, lets it recover and promote, counts every table and stops it. Without `pg_path`
//! the restore is a drill: into a temporary directory, started, counted and removed (what
//! `verify --drill` runs). `bin_dir` names the server binaries (default Debian's
//! `/usr/lib/postgresql/MAJOR/bin`); `timeout_s` bounds recovery (default 600).

mod server;

use myrmex_abi::ConnectionBox;
use myrmex_plugin::backup::{
    BackupFeatures, BackupOutcome, BackupProgress, BackupRequest, BackupStrategy, Host,
    HostConnection, RestoreOutcome, RestoreRequest,
};
use myrmex_plugin::data_dir::RestoreDir;
use myrmex_plugin::run_as::{owner_of, private_dir, run_as};
use myrmex_plugin::{Config, ErrorKind, PluginError};
use serde::Deserialize;
use server::Server;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// The Debian package of pgBackRest.
const PACKAGE: &str = "pgbackrest";
/// pgBackRest's description of the set, kept in the myrmex backup.
const INFO: &str = "pgbackrest-info.json";

/// The `pgbackrest` strategy.
pub struct PgBackRest;

/// Opens the strategy.
pub fn open(_config: Config<'_>) -> Result<PgBackRest, PluginError> {
    Ok(PgBackRest)
}

/// Backup settings.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct BackupSettings {
    stanza: String,
    repo: Option<String>,
    config: Option<String>,
    #[serde(rename = "type")]
    kind: String,
}

impl Default for BackupSettings {
    fn default() -> Self {
        BackupSettings {
            stanza: "main".into(),
            repo: None,
            config: None,
            kind: "full".into(),
        }
    }
}

/// Restore settings.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct RestoreSettings {
    pg_path: Option<String>,
    target_time: Option<String>,
    target_lsn: Option<String>,
    target_xid: Option<String>,
    target_name: Option<String>,
    latest: bool,
    start: bool,
    bin_dir: Option<String>,
    timeout_s: Option<u64>,
    /// Asked by the host's drill; the counts are all this strategy reads back.
    #[serde(rename = "checksum")]
    _checksum: bool,
    /// Accepted for the host's restore options; a physical restore has no transaction.
    #[serde(rename = "single_transaction")]
    _single_transaction: Option<bool>,
}

/// What the manifest records of the set.
#[derive(Deserialize)]
struct Details {
    stanza: String,
    repo: Option<String>,
    config: Option<String>,
    label: String,
    database: String,
    pg_major: String,
    owner: (u32, u32),
}

fn io(what: &Path, e: std::io::Error) -> PluginError {
    PluginError::new(ErrorKind::IO, format!("{}: {e}", what.display()))
}

fn invalid(message: String) -> PluginError {
    PluginError::new(ErrorKind::INVALID_INPUT, message)
}

/// `pgbackrest` with the repository options every command shares, as `owner`.
fn pgbackrest(
    stanza: &str,
    repo: Option<&str>,
    config: Option<&str>,
    owner: (u32, u32),
) -> Command {
    let mut c = Command::new("pgbackrest");
    run_as(&mut c, owner);
    if let Some(config) = config {
        c.arg(format!("--config={config}"));
    }
    c.arg(format!("--stanza={stanza}"));
    if let Some(repo) = repo {
        c.arg(format!("--repo1-path={repo}"));
    }
    c.args(["--log-level-console=off", "--log-level-stderr=error"]);
    c
}

/// The description pgBackRest gives of its sets (`info --output=json`), as `owner`.
fn info(
    host: Host<'_>,
    stanza: &str,
    repo: Option<&str>,
    config: Option<&str>,
    owner: (u32, u32),
) -> Result<serde_json::Value, PluginError> {
    let mut c = pgbackrest(stanza, repo, config, owner);
    c.args(["--output=json", "info"]);
    let out = host.tool_output(c, "pgbackrest info", PACKAGE)?;
    serde_json::from_slice(&out)
        .map_err(|e| PluginError::new(ErrorKind::DATABASE, format!("pgbackrest info: {e}")))
}

/// The server settings a pgBackRest command needs, read in one query, in this order.
const SETTINGS: [&str; 7] = [
    "data_directory",
    "port",
    "unix_socket_directories",
    "archive_mode",
    "archive_command",
    "server_version",
    "server_version_num",
];

impl BackupStrategy for PgBackRest {
    fn features(&self) -> BackupFeatures {
        BackupFeatures {
            full: true,
            incremental: true,
            online: true,
            parallel: true,
            cross_engine: false,
        }
    }

    fn backup(
        &self,
        conn: &mut ConnectionBox,
        request: &BackupRequest,
        host: Host<'_>,
    ) -> Result<BackupOutcome, PluginError> {
        let s: BackupSettings = Config::new("pgbackrest", request.settings.as_str()).parse()?;
        if !matches!(s.kind.as_str(), "full" | "diff" | "incr") {
            return Err(invalid(format!(
                "pgbackrest: type `{}` is not one of full, diff, incr",
                s.kind
            )));
        }
        let mut lent = HostConnection::new(conn);
        let select: Vec<String> = SETTINGS
            .iter()
            .map(|n| format!("current_setting('{n}')"))
            .chain(["current_user::text".to_string()])
            .collect();
        let row = lent
            .text_rows(&format!("SELECT {}", select.join(", ")))?
            .into_iter()
            .next()
            .unwrap_or_default();
        let get = |i: usize| row.get(i).cloned().flatten().unwrap_or_default();
        let [data, port, socket, archive_mode, archive_command, version, major] =
            std::array::from_fn(get);
        let user = get(SETTINGS.len());
        let socket = socket.split(',').next().unwrap_or("").trim().to_string();
        let major = major
            .parse::<u32>()
            .map(|v| (v / 10000).to_string())
            .unwrap_or_default();
        if archive_mode == "off" || !archive_command.contains("pgbackrest") {
            return Err(invalid(format!(
                "pgbackrest needs the server to archive its WAL through pgBackRest: set \
                 archive_mode = on and archive_command = 'pgbackrest --stanza={} archive-push %p' \
                 (found archive_mode = {archive_mode}, archive_command = '{archive_command}')",
                s.stanza
            )));
        }
        let data_path = Path::new(&data);
        if !data_path.exists() {
            return Err(invalid(format!(
                "pgbackrest runs on the database's own host: the data directory {data} is not on this machine"
            )));
        }
        let owner = owner_of(data_path)?;
        let base = || {
            let mut c = pgbackrest(&s.stanza, s.repo.as_deref(), s.config.as_deref(), owner);
            c.arg(format!("--pg1-path={data}"))
                .arg(format!("--pg1-port={port}"))
                .arg(format!("--pg1-user={user}"));
            if !socket.is_empty() {
                c.arg(format!("--pg1-socket-path={socket}"));
            }
            c
        };
        host.progress(&BackupProgress {
            phase: "pgbackrest stanza-create".into(),
            ..Default::default()
        });
        let mut c = base();
        c.arg("stanza-create");
        host.run_tool(c, "pgbackrest stanza-create", PACKAGE)?;
        host.progress(&BackupProgress {
            phase: format!("pgbackrest backup --type={}", s.kind)
                .as_str()
                .into(),
            ..Default::default()
        });
        let mut c = base();
        c.arg(format!("--type={}", s.kind))
            .arg(format!("--process-max={}", request.parallel.max(1)))
            .arg("--repo1-retention-full=9999999")
            .arg("backup");
        if request.compress > 0 {
            c.arg("--compress-type=zst").arg(format!(
                "--compress-level={}",
                request.compress.clamp(1, 19)
            ));
        } else {
            c.arg("--compress-type=none");
        }
        host.run_tool(c, "pgbackrest backup", PACKAGE)?;
        let all = info(
            host,
            &s.stanza,
            s.repo.as_deref(),
            s.config.as_deref(),
            owner,
        )?;
        let set = all[0]["backup"]
            .as_array()
            .and_then(|b| b.last())
            .cloned()
            .ok_or_else(|| {
                PluginError::new(
                    ErrorKind::DATABASE,
                    "pgbackrest info lists no backup after the backup",
                )
            })?;
        let label = set["label"].as_str().unwrap_or_default().to_string();
        let file = Path::new(request.directory.as_str()).join(INFO);
        let text = serde_json::to_vec_pretty(&set).unwrap_or_default();
        std::fs::write(&file, text).map_err(|e| io(&file, e))?;
        // The rows as the backup ended: what a restore to the backup's end gives back.
        let tables = crate::native::tables(conn)?;
        let _ = conn.rollback();
        Ok(BackupOutcome {
            format: "pgbackrest".into(),
            engine: "postgres".into(),
            server_version: version.into(),
            schema: "".into(),
            tables: tables.into(),
            details: serde_json::json!({
                "tool": "pgbackrest",
                "file": INFO,
                "stanza": s.stanza,
                "repo": s.repo,
                "config": s.config,
                "label": label,
                "type": set["type"],
                "prior": set["prior"],
                "lsn": set["lsn"],
                "wal": set["archive"],
                "database": request.source.database.as_str(),
                "pg_major": major,
                "owner": owner,
            })
            .to_string()
            .into(),
            extensions: Default::default(),
        })
    }

    fn restore(
        &self,
        _conn: &mut ConnectionBox,
        request: &RestoreRequest,
        host: Host<'_>,
    ) -> Result<RestoreOutcome, PluginError> {
        let s: RestoreSettings = Config::new("pgbackrest", request.settings.as_str()).parse()?;
        let manifest: serde_json::Value = serde_json::from_str(request.manifest.as_str())
            .map_err(|e| invalid(format!("manifest: {e}")))?;
        let d: Details = serde_json::from_value(manifest["details"].clone())
            .map_err(|e| invalid(format!("manifest: pgbackrest details: {e}")))?;
        let targets = [
            ("time", &s.target_time),
            ("lsn", &s.target_lsn),
            ("xid", &s.target_xid),
            ("name", &s.target_name),
        ];
        let chosen: Vec<(&str, &String)> = targets
            .iter()
            .filter_map(|(k, v)| v.as_ref().map(|v| (*k, v)))
            .collect();
        if chosen.len() + usize::from(s.latest) > 1 {
            return Err(invalid(
                "pgbackrest: give one of target_time, target_lsn, target_xid, target_name, latest"
                    .into(),
            ));
        }
        // Where the files go: the user's directory, or a drill's temporary one.
        let dir = RestoreDir::choose(
            s.pg_path.as_deref(),
            "pgbackrest",
            request.clean,
            "restore over it in place (pgBackRest --delta; the cluster must be stopped)",
        )?;
        let (path, drill, existing) = (dir.path.clone(), dir.drill, dir.existing);
        let owner = d.owner;
        private_dir(&path, owner)?;
        let result = (|| {
            host.progress(&BackupProgress {
                phase: "pgbackrest restore".into(),
                ..Default::default()
            });
            let mut c = pgbackrest(&d.stanza, d.repo.as_deref(), d.config.as_deref(), owner);
            c.arg(format!("--pg1-path={}", path.display()))
                .arg(format!("--set={}", d.label))
                .arg(format!("--process-max={}", request.parallel.max(1)));
            match (chosen.first(), s.latest) {
                (Some((kind, target)), _) => {
                    c.arg(format!("--type={kind}"))
                        .arg(format!("--target={target}"))
                        .arg("--target-action=promote");
                }
                (None, true) => {
                    c.arg("--type=default");
                }
                (None, false) => {
                    c.arg("--type=immediate").arg("--target-action=promote");
                }
            }
            if existing > 0 {
                c.arg("--delta");
            }
            c.arg("restore");
            host.run_tool(c, "pgbackrest restore", PACKAGE)?;
            if !(drill || s.start) {
                return Ok(Vec::new());
            }
            host.progress(&BackupProgress {
                phase: "recovery".into(),
                ..Default::default()
            });
            let timeout = Duration::from_secs(s.timeout_s.unwrap_or(600));
            let run = dir.run_dir();
            let bin = server::bin_dir(s.bin_dir.as_deref(), &d.pg_major);
            let started =
                Server::start(bin, &path, &run, owner, timeout, host).and_then(|server| {
                    let counted = server
                        .connect(request.target.user.as_str(), &d.database, timeout, host)
                        .and_then(|mut c| {
                            let t = crate::native::tables(&mut c);
                            let _ = c.close();
                            t
                        });
                    let stopped = server.stop();
                    let t = counted?;
                    stopped?;
                    Ok(t)
                });
            // A failed start keeps the server's log for the error to point at.
            if started.is_ok() {
                let _ = std::fs::remove_dir_all(&run);
            }
            started
        })();
        dir.finish();
        Ok(RestoreOutcome {
            tables: result?.into(),
            extensions: Default::default(),
        })
    }
}
