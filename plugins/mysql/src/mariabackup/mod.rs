//! The `mariadb-backup` strategy: a physical copy of a MariaDB server's files by
//! mariadb-backup (online for InnoDB; the server's whole data directory), prepared at backup
//! time so that it restores by copying back, and recorded in myrmex's manifest so that
//! listing, verify, retention and schedule treat it like any backup.
//!
//! The copy sits inside the myrmex backup (`mariabackup/`), so the host checksums and, when
//! asked, encrypts every file. mariadb-backup copies files as they are: the backup is not
//! compressed, whatever `compress` says (the manifest says so). The tables recorded are
//! those of the URL's database, counted as the backup ended. mariadb-backup runs on the
//! server's own host; when myrmex runs as root the restored files are given to the owner of
//! the backed-up data directory.
//!
//! Restore settings: `datadir` (the data directory to restore into: absent or empty, or with
//! clean an existing one of a stopped server, moved aside and put back if the restore fails),
//! `start: true` (start a throwaway server on it with no networking, count every table of the
//! backed-up database, stop it), `mariadbd` (the server binary), `timeout_s` (default 600).
//! Without `datadir` the restore is a drill: into a temporary directory, started, counted and
//! removed (what `verify --drill` runs).

mod server;

use crate::native::OptionFile;
use myrmex_abi::{ConnectOptions, ConnectionBox};
use myrmex_plugin::backup::{
    BackupFeatures, BackupOutcome, BackupProgress, BackupRequest, BackupStrategy, Host,
    HostConnection, RestoreOutcome, RestoreRequest,
};
use myrmex_plugin::data_dir::RestoreDir;
use myrmex_plugin::run_as::{chown_tree, owner_of};
use myrmex_plugin::{Config, ErrorKind, PluginError};
use serde::Deserialize;
use server::Server;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// The Debian package of mariadb-backup.
const PACKAGE: &str = "mariadb-backup";
/// The directory the copy is written to inside the backup.
const COPY: &str = "mariabackup";

/// The `mariadb-backup` strategy.
pub struct MariaBackup;

/// Opens the strategy.
pub fn open(_config: Config<'_>) -> Result<MariaBackup, PluginError> {
    Ok(MariaBackup)
}

/// Restore settings.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct RestoreSettings {
    datadir: Option<String>,
    start: bool,
    mariadbd: Option<String>,
    timeout_s: Option<u64>,
    /// Asked by the host's drill; the counts are all this strategy reads back.
    #[serde(rename = "checksum")]
    _checksum: bool,
    /// Accepted for the host's restore options; a physical restore has no transaction.
    #[serde(rename = "single_transaction")]
    _single_transaction: Option<bool>,
}

/// What the manifest records.
#[derive(Deserialize)]
struct Details {
    database: String,
    owner: (u32, u32),
}

fn invalid(message: String) -> PluginError {
    PluginError::new(ErrorKind::INVALID_INPUT, message)
}

fn io(what: &Path, e: std::io::Error) -> PluginError {
    PluginError::new(ErrorKind::IO, format!("{}: {e}", what.display()))
}

/// `mariadb-backup` reaching the server of `o`; the option file must outlive the command.
fn tool(o: &ConnectOptions, options: Option<&OptionFile>) -> Command {
    let mut c = Command::new("mariadb-backup");
    // The option file must come first on the command line.
    if let Some(f) = options {
        c.arg(format!("--defaults-file={}", f.0.display()));
    }
    match o.option("socket") {
        Some(socket) => {
            c.arg(format!("--socket={socket}"));
        }
        None if o.host.starts_with('/') => {
            c.arg(format!("--socket={}", o.host));
        }
        None => {
            let host = if o.host.is_empty() {
                "127.0.0.1"
            } else {
                o.host.as_str()
            };
            c.arg(format!("--host={host}"));
            if o.port != 0 {
                c.arg(format!("--port={}", o.port));
            }
        }
    }
    if !o.user.is_empty() {
        c.arg(format!("--user={}", o.user));
    }
    c
}

impl BackupStrategy for MariaBackup {
    fn features(&self) -> BackupFeatures {
        BackupFeatures {
            full: true,
            incremental: false,
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
        let mut lent = HostConnection::new(conn);
        let engine = lent.dialect()?.name;
        if engine.as_str() != "mariadb" {
            return Err(invalid(format!(
                "mariadb-backup copies MariaDB servers; this server is {engine} (use the logical or mysql-native strategy)"
            )));
        }
        let datadir = lent.scalar("SELECT @@datadir")?.unwrap_or_default();
        let version = lent.scalar("SELECT VERSION()")?.unwrap_or_default();
        if !Path::new(&datadir).exists() {
            return Err(invalid(format!(
                "mariadb-backup runs on the server's own host: the data directory {datadir} is not on this machine"
            )));
        }
        let owner = owner_of(Path::new(&datadir))?;
        let copy = Path::new(request.directory.as_str()).join(COPY);
        let options = OptionFile::new(request.source.password.as_str())?;
        host.progress(&BackupProgress {
            phase: "mariadb-backup --backup".into(),
            ..Default::default()
        });
        let mut c = tool(&request.source, options.as_ref());
        c.arg("--backup")
            .arg(format!("--target-dir={}", copy.display()))
            .arg(format!("--parallel={}", request.parallel.max(1)));
        host.run_tool(c, "mariadb-backup --backup", PACKAGE)?;
        // Counted as the copy ended: what a restore of it gives back.
        let tables = crate::native::tables(conn)?;
        let _ = conn.rollback();
        host.progress(&BackupProgress {
            phase: "mariadb-backup --prepare".into(),
            ..Default::default()
        });
        let mut c = Command::new("mariadb-backup");
        c.arg("--prepare")
            .arg(format!("--target-dir={}", copy.display()));
        host.run_tool(c, "mariadb-backup --prepare", PACKAGE)?;
        let checkpoints =
            std::fs::read_to_string(copy.join("xtrabackup_checkpoints")).unwrap_or_default();
        let lsn = checkpoints
            .lines()
            .find_map(|l| l.strip_prefix("to_lsn = "))
            .unwrap_or("")
            .to_string();
        Ok(BackupOutcome {
            format: "mariadb-backup".into(),
            engine: engine.clone(),
            server_version: version.into(),
            schema: "".into(),
            tables: tables.into(),
            details: serde_json::json!({
                "tool": "mariadb-backup --backup, --prepare",
                "copy": COPY,
                "database": request.source.database.as_str(),
                "to_lsn": lsn,
                "owner": owner,
                "compression": "none (mariadb-backup copies the files as they are)",
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
        let s: RestoreSettings =
            Config::new("mariadb-backup", request.settings.as_str()).parse()?;
        let manifest: serde_json::Value = serde_json::from_str(request.manifest.as_str())
            .map_err(|e| invalid(format!("manifest: {e}")))?;
        let d: Details = serde_json::from_value(manifest["details"].clone())
            .map_err(|e| invalid(format!("manifest: mariadb-backup details: {e}")))?;
        let dir = RestoreDir::choose(
            s.datadir.as_deref(),
            "mariadb-backup",
            request.clean,
            "replace it (the server must be stopped)",
        )?;
        let (target, drill, existing) = (dir.path.clone(), dir.drill, dir.existing);
        // With clean the old directory is moved aside, and put back if the restore fails.
        let aside = PathBuf::from(format!("{}.myrmex-before-restore", target.display()));
        if existing > 0 {
            let _ = std::fs::remove_dir_all(&aside);
            std::fs::rename(&target, &aside).map_err(|e| io(&target, e))?;
        }
        let result = (|| {
            host.progress(&BackupProgress {
                phase: "mariadb-backup --copy-back".into(),
                ..Default::default()
            });
            let mut c = Command::new("mariadb-backup");
            c.arg("--copy-back")
                .arg(format!(
                    "--target-dir={}",
                    Path::new(request.directory.as_str()).join(COPY).display()
                ))
                .arg(format!("--datadir={}", target.display()))
                .arg(format!("--parallel={}", request.parallel.max(1)));
            host.run_tool(c, "mariadb-backup --copy-back", PACKAGE)?;
            chown_tree(&target, d.owner)?;
            if !(drill || s.start) {
                return Ok(Vec::new());
            }
            host.progress(&BackupProgress {
                phase: "start".into(),
                ..Default::default()
            });
            let run = dir.run_dir();
            let timeout = Duration::from_secs(s.timeout_s.unwrap_or(600));
            let counted = Server::start(s.mariadbd.as_deref(), &target, &run, d.owner).and_then(
                |mut server| {
                    let t = server
                        .connect(&request.target, &d.database, timeout, host)
                        .and_then(|mut c| {
                            let t = crate::native::tables(&mut c);
                            let _ = c.close();
                            t
                        });
                    let stopped = server.stop();
                    let t = t?;
                    stopped?;
                    Ok(t)
                },
            );
            if counted.is_ok() {
                let _ = std::fs::remove_dir_all(&run);
            }
            counted
        })();
        dir.finish();
        if existing > 0 {
            if result.is_ok() {
                let _ = std::fs::remove_dir_all(&aside);
            } else {
                let _ = std::fs::remove_dir_all(&target);
                let _ = std::fs::rename(&aside, &target);
            }
        }
        Ok(RestoreOutcome {
            tables: result?.into(),
            extensions: Default::default(),
        })
    }
}
