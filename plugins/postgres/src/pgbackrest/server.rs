//! A throwaway PostgreSQL server over a restored data directory: started on a private socket
//! (no TCP), left to replay WAL up to the restore's target and promote, read, then stopped.
//!
//! This is how a physical restore is proven: the tables counted come from the server that
//! recovered the files, not from the repository's word.

use myrmex_abi::{ConnectOptions, ConnectionBox};
use myrmex_plugin::backup::Host;
use myrmex_plugin::run_as::{private_dir, run_as};
use myrmex_plugin::{driver_box, Config, ErrorKind, PluginError, Value};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The port that names the server's socket file (no TCP is opened).
const PORT: u16 = 5432;

/// A running throwaway server; stopped on drop.
pub struct Server {
    bin: PathBuf,
    data: PathBuf,
    /// The socket directory and the server's configuration files.
    run: PathBuf,
    owner: (u32, u32),
    running: bool,
}

/// The directory of the server binaries for major version `major`: `bin_dir` when given,
/// else Debian's `/usr/lib/postgresql/MAJOR/bin`, else the PATH.
pub fn bin_dir(bin: Option<&str>, major: &str) -> PathBuf {
    if let Some(b) = bin {
        return PathBuf::from(b);
    }
    let debian = PathBuf::from(format!("/usr/lib/postgresql/{major}/bin"));
    if debian.join("pg_ctl").exists() {
        debian
    } else {
        PathBuf::new()
    }
}

fn io(what: &Path, e: std::io::Error) -> PluginError {
    PluginError::new(ErrorKind::IO, format!("{}: {e}", what.display()))
}

impl Server {
    /// Starts a server on `data` as `owner`, with its socket and configuration in `run`, and
    /// waits (up to `timeout`) until recovery has ended and it accepts writes.
    pub fn start(
        bin: PathBuf,
        data: &Path,
        run: &Path,
        owner: (u32, u32),
        timeout: Duration,
        host: Host<'_>,
    ) -> Result<Server, PluginError> {
        private_dir(run, owner)?;
        // The restored directory may have no configuration of its own (Debian keeps it in
        // /etc): the server reads empty files of ours, and trusts local connections only.
        for (name, text) in [
            ("postgresql.conf", ""),
            ("pg_hba.conf", "local all all trust\n"),
            ("pg_ident.conf", ""),
        ] {
            let f = run.join(name);
            std::fs::write(&f, text).map_err(|e| io(&f, e))?;
        }
        let mut server = Server {
            bin,
            data: data.to_path_buf(),
            run: run.to_path_buf(),
            owner,
            running: false,
        };
        let q = |p: &Path| format!("'{}'", p.display().to_string().replace('\'', "'\\''"));
        let settings = format!(
            "-c port={PORT} -c listen_addresses='' -c unix_socket_directories={} \
             -c config_file={} -c hba_file={} -c ident_file={} -c archive_mode=off \
             -c hot_standby=off -c max_connections=20",
            q(run),
            q(&run.join("postgresql.conf")),
            q(&run.join("pg_hba.conf")),
            q(&run.join("pg_ident.conf")),
        );
        let mut c = server.pg_ctl();
        c.arg("start")
            .arg("--wait")
            .arg(format!("--timeout={}", timeout.as_secs().max(1)))
            .arg("--pgdata")
            .arg(data)
            .arg("--log")
            .arg(run.join("server.log"))
            .arg("-o")
            .arg(settings);
        server.running = true;
        if let Err(e) = host.run_tool(c, "pg_ctl start", "postgresql") {
            let log = std::fs::read_to_string(run.join("server.log")).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(3).collect();
            return Err(PluginError::new(
                e.kind,
                format!(
                    "{} (server log: {})",
                    e.message,
                    tail.into_iter().rev().collect::<Vec<_>>().join(" / ")
                ),
            ));
        }
        Ok(server)
    }

    fn pg_ctl(&self) -> Command {
        let mut c = Command::new(self.bin.join("pg_ctl"));
        run_as(&mut c, self.owner);
        c
    }

    /// Opens a connection to `database` as `user` once recovery has ended.
    pub fn connect(
        &self,
        user: &str,
        database: &str,
        timeout: Duration,
        host: Host<'_>,
    ) -> Result<ConnectionBox, PluginError> {
        let driver = driver_box(crate::driver::open(Config::new("postgres", ""))?);
        let options = ConnectOptions {
            db_type: "postgres".into(),
            host: self.run.display().to_string().into(),
            port: PORT,
            database: database.into(),
            user: user.into(),
            ..Default::default()
        };
        let started = Instant::now();
        loop {
            host.check_cancelled()?;
            // While it replays WAL the server refuses sessions (no hot standby): try again.
            let last = match driver.connect(&options).into_result() {
                Ok(mut conn) => {
                    let recovering = myrmex_plugin::backup::HostConnection::new(&mut conn)
                        .rows("SELECT pg_is_in_recovery()", &[])?;
                    if matches!(
                        recovering.first().and_then(|r| r.first()),
                        Some(Value::Bool(false))
                    ) {
                        return Ok(conn);
                    }
                    let _ = conn.close();
                    "it was still in recovery".to_string()
                }
                Err(e) => e.message.to_string(),
            };
            if started.elapsed() > timeout {
                return Err(PluginError::new(
                    ErrorKind::TIMEOUT,
                    format!(
                        "the restored server had not ended recovery after {} s ({last}; its log: {})",
                        timeout.as_secs(),
                        self.run.join("server.log").display()
                    ),
                ));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Stops the server (fast shutdown: sessions end, the data directory is left clean).
    pub fn stop(mut self) -> Result<(), PluginError> {
        self.running = false;
        let status = self
            .pg_ctl()
            .args(["stop", "--wait", "--mode=fast", "--pgdata"])
            .arg(&self.data)
            .output()
            .map_err(|e| io(&self.bin.join("pg_ctl"), e))?;
        if status.status.success() {
            Ok(())
        } else {
            Err(PluginError::new(
                ErrorKind::IO,
                format!(
                    "pg_ctl stop: {}",
                    String::from_utf8_lossy(&status.stderr).trim()
                ),
            ))
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.running {
            let _ = self
                .pg_ctl()
                .args(["stop", "--wait", "--mode=immediate", "--pgdata"])
                .arg(&self.data)
                .output();
        }
    }
}
