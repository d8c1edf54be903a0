//! The `mysql-native` backup strategy: mydumper (parallel, compressed, one consistent snapshot)
//! and myloader, recorded in myrmex's manifest so that listing, verify, retention and schedule
//! treat it like any backup.
//!
//! The row counts in the manifest are of the state mydumper dumps: this connection takes the
//! global read lock and opens its consistent snapshot first, mydumper opens its own snapshots
//! while that lock still stops every writer (`--trx-consistency-only`, so mydumper drops its
//! lock as soon as its threads have their snapshots), and the lock is let go once mydumper has
//! written its first file. Writers wait only for that start. Tables of engines without
//! transactions (MyISAM) are not consistent under `--trx-consistency-only`.
//!
//! The password reaches the tools through an option file readable by this user only (removed
//! afterwards), never the command line.

use myrmex_abi::{ConnectOptions, ConnectionBox};
use myrmex_plugin::backup::{
    BackupFeatures, BackupOutcome, BackupProgress, BackupRequest, BackupStrategy, Host,
    HostConnection, RestoreOutcome, RestoreRequest, TableSummary, Tool,
};
use myrmex_plugin::{Config, ErrorKind, PluginError, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// The directory mydumper writes inside the backup.
const DUMP: &str = "mydumper";
/// The Debian package of mydumper and myloader.
const PACKAGE: &str = "mydumper";

/// The `mysql-native` strategy.
pub struct Native;

/// Opens the strategy.
pub fn open(_config: Config<'_>) -> Result<Native, PluginError> {
    Ok(Native)
}

fn io(what: &str, e: std::io::Error) -> PluginError {
    PluginError::new(ErrorKind::IO, format!("{what}: {e}"))
}

/// An option file holding the password, readable by this user only, removed on drop.
pub(crate) struct OptionFile(pub(crate) PathBuf);

impl OptionFile {
    pub(crate) fn new(password: &str) -> Result<Option<OptionFile>, PluginError> {
        if password.is_empty() {
            return Ok(None);
        }
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let path = std::env::temp_dir().join(format!(
            "myrmex-mysql-native-{}-{nanos}.cnf",
            std::process::id()
        ));
        let mut open = std::fs::OpenOptions::new();
        open.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut open, 0o600);
        let mut f = open
            .open(&path)
            .map_err(|e| io("the tools' option file", e))?;
        let quoted = password.replace('\\', "\\\\").replace('"', "\\\"");
        let file = OptionFile(path);
        f.write_all(format!("[client]\npassword=\"{quoted}\"\n").as_bytes())
            .map_err(|e| io("the tools' option file", e))?;
        Ok(Some(file))
    }
}

impl Drop for OptionFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// `tool` reaching the server of `o`; the option file must outlive the command.
fn tool(name: &str, o: &ConnectOptions, options: Option<&OptionFile>) -> Command {
    let mut c = Command::new(name);
    // The option file must come first on the command line.
    if let Some(f) = options {
        c.arg("--defaults-file").arg(&f.0);
    }
    match o.option("socket") {
        Some(socket) => {
            c.arg("--socket").arg(socket);
        }
        None => {
            let host = if o.host.is_empty() {
                "127.0.0.1"
            } else {
                o.host.as_str()
            };
            c.arg("--host").arg(host);
            if o.port != 0 {
                c.arg("--port").arg(o.port.to_string());
            }
        }
    }
    if !o.user.is_empty() {
        c.arg("--user").arg(o.user.as_str());
    }
    c.arg("--verbose").arg("1");
    c
}

fn quote(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// The base tables of the connection's database, with their rows as this connection sees them.
pub(crate) fn tables(conn: &mut ConnectionBox) -> Result<Vec<TableSummary>, PluginError> {
    let mut conn = HostConnection::new(conn);
    let names = conn.text_rows(
        "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() \
         AND TABLE_TYPE = 'BASE TABLE' ORDER BY 1",
    )?;
    let mut out = Vec::new();
    for name in names
        .into_iter()
        .filter_map(|r| r.into_iter().next().flatten())
    {
        let n = match conn
            .rows(&format!("SELECT COUNT(*) FROM {}", quote(&name)), &[])?
            .first()
            .and_then(|r| r.first())
        {
            Some(Value::Int(n)) => *n,
            _ => 0,
        };
        out.push(TableSummary {
            name: name.into(),
            rows: n.max(0) as u64,
            checksum: "".into(),
            extensions: Default::default(),
        });
    }
    Ok(out)
}

/// Waits until mydumper has written a dump file (its snapshots are open by then) or ended.
fn wait_for_first_file(dir: &Path, child: &mut Tool) -> Result<(), PluginError> {
    loop {
        let started = std::fs::read_dir(dir)
            .map(|d| {
                d.flatten()
                    .any(|e| e.file_name().to_string_lossy().contains(".sql"))
            })
            .unwrap_or(false);
        if started || child.try_wait()?.is_some() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

impl BackupStrategy for Native {
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
        let o = &request.source;
        if o.database.is_empty() {
            return Err(PluginError::new(
                ErrorKind::INVALID_INPUT,
                "mysql-native backs up one database: name it in the URL",
            ));
        }
        let version = HostConnection::new(conn)
            .scalar("SELECT VERSION()")?
            .unwrap_or_default();
        let dir = Path::new(request.directory.as_str()).join(DUMP);
        std::fs::create_dir_all(&dir).map_err(|e| io("the dump directory", e))?;
        let options = OptionFile::new(o.password.as_str())?;
        let mut c = tool("mydumper", o, options.as_ref());
        c.arg("--database")
            .arg(o.database.as_str())
            .arg("--outputdir")
            .arg(&dir)
            .arg("--threads")
            .arg(request.parallel.max(1).to_string())
            .args([
                "--trx-consistency-only",
                "--triggers",
                "--events",
                "--routines",
            ]);
        if request.compress > 0 {
            c.arg("--compress");
        }
        conn.snapshot_export().into_result()?;
        // mydumper opens its snapshots while this session's lock holds writers back.
        let mut child = match host.spawn_tool(c, "mydumper", PACKAGE) {
            Ok(child) => child,
            Err(e) => {
                let _ = conn.snapshot_release();
                let _ = conn.rollback();
                return Err(e);
            }
        };
        let waited = wait_for_first_file(&dir, &mut child);
        let released = conn.snapshot_release().into_result();
        let counted = waited.and(released).and_then(|()| {
            host.progress(&BackupProgress {
                phase: "mydumper".into(),
                ..Default::default()
            });
            tables(conn)
        });
        let _ = conn.rollback();
        let finished = host.wait_tool(child);
        let tables = counted?;
        finished?;
        Ok(BackupOutcome {
            format: "mydumper".into(),
            engine: HostConnection::new(conn).dialect()?.name,
            server_version: version.into(),
            schema: "".into(),
            tables: tables.into(),
            details: serde_json::json!({
                "dump": DUMP,
                "tool": "mydumper --trx-consistency-only",
                "database": o.database.as_str(),
            })
            .to_string()
            .into(),
            extensions: Default::default(),
        })
    }

    fn restore(
        &self,
        conn: &mut ConnectionBox,
        request: &RestoreRequest,
        host: Host<'_>,
    ) -> Result<RestoreOutcome, PluginError> {
        let manifest: serde_json::Value = serde_json::from_str(request.manifest.as_str())
            .map_err(|e| PluginError::new(ErrorKind::INVALID_INPUT, format!("manifest: {e}")))?;
        let Some(source) = manifest["details"]["database"].as_str() else {
            return Err(PluginError::new(
                ErrorKind::INVALID_INPUT,
                "manifest: details.database (the database mydumper dumped) is missing",
            ));
        };
        let o = &request.target;
        if o.database.is_empty() {
            return Err(PluginError::new(
                ErrorKind::INVALID_INPUT,
                "mysql-native restores into one database: name it in the URL",
            ));
        }
        let mut lent = HostConnection::new(conn);
        let objects = lent.text_rows(
            "SELECT TABLE_TYPE, TABLE_NAME FROM information_schema.TABLES \
             WHERE TABLE_SCHEMA = DATABASE() \
             UNION ALL SELECT ROUTINE_TYPE, ROUTINE_NAME FROM information_schema.ROUTINES \
             WHERE ROUTINE_SCHEMA = DATABASE() \
             UNION ALL SELECT 'EVENT', EVENT_NAME FROM information_schema.EVENTS \
             WHERE EVENT_SCHEMA = DATABASE() ORDER BY 2",
        )?;
        let objects: Vec<(String, String)> = objects
            .into_iter()
            .filter_map(|r| match (r.first(), r.get(1)) {
                (Some(Some(k)), Some(Some(n))) => Some((k.clone(), n.clone())),
                _ => None,
            })
            .collect();
        if !objects.is_empty() && !request.clean {
            return Err(PluginError::new(
                ErrorKind::ALREADY_EXISTS,
                format!(
                    "the target database is not empty (it holds {}); restore with clean to drop them first",
                    objects.iter().take(5).map(|o| o.1.as_str()).collect::<Vec<_>>().join(", ")
                ),
            ));
        }
        if !objects.is_empty() {
            lent.execute("SET FOREIGN_KEY_CHECKS = 0")?;
            for (kind, name) in &objects {
                let what = match kind.as_str() {
                    "VIEW" | "SYSTEM VIEW" => "VIEW",
                    "PROCEDURE" => "PROCEDURE",
                    "FUNCTION" => "FUNCTION",
                    "EVENT" => "EVENT",
                    "SEQUENCE" => "SEQUENCE",
                    _ => "TABLE",
                };
                lent.execute(&format!("DROP {what} IF EXISTS {}", quote(name)))?;
            }
            lent.execute("SET FOREIGN_KEY_CHECKS = 1")?;
        }
        host.check_cancelled()?;
        let options = OptionFile::new(o.password.as_str())?;
        let mut c = tool("myloader", o, options.as_ref());
        c.arg("--directory")
            .arg(Path::new(request.directory.as_str()).join(DUMP))
            .arg("--source-db")
            .arg(source)
            .arg("--database")
            .arg(o.database.as_str())
            .arg("--threads")
            .arg(request.parallel.max(1).to_string());
        host.run_tool(c, "myloader", PACKAGE)?;
        Ok(RestoreOutcome {
            tables: tables(conn)?.into(),
            extensions: Default::default(),
        })
    }
}
