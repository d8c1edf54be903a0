//! A throwaway MariaDB server over a restored data directory: started on a private socket with
//! no networking, read, then stopped. This is how a physical restore is proven: the tables
//! counted come from the server that opened the files (and ran InnoDB's recovery on them).

use myrmex_abi::{ConnectOptions, ConnectionBox, Tuple2};
use myrmex_plugin::backup::Host;
use myrmex_plugin::run_as::{private_dir, run_as, terminate};
use myrmex_plugin::{driver_box, Config, ErrorKind, PluginError};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running throwaway server; stopped on drop.
pub struct Server {
    child: Option<Child>,
    run: PathBuf,
}

/// The server binary: `mariadbd` on the PATH, else Debian's `/usr/sbin/mariadbd`.
fn mariadbd(given: Option<&str>) -> PathBuf {
    if let Some(g) = given {
        return PathBuf::from(g);
    }
    let on_path = std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join("mariadbd").is_file()));
    if on_path {
        PathBuf::from("mariadbd")
    } else {
        PathBuf::from("/usr/sbin/mariadbd")
    }
}

impl Server {
    /// Starts a server on `data` as `owner`, its socket, pid file and log in `run`.
    pub fn start(
        binary: Option<&str>,
        data: &Path,
        run: &Path,
        owner: (u32, u32),
    ) -> Result<Server, PluginError> {
        private_dir(run, owner)?;
        let bin = mariadbd(binary);
        let mut c = Command::new(&bin);
        run_as(&mut c, owner);
        c.arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .arg(format!("--socket={}", run.join("s.sock").display()))
            .arg(format!("--pid-file={}", run.join("p.pid").display()))
            .arg(format!("--log-error={}", run.join("err.log").display()))
            .arg("--skip-networking")
            .arg("--skip-slave-start")
            .arg("--event-scheduler=OFF")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let child = c.spawn().map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                PluginError::new(
                    ErrorKind::NOT_FOUND,
                    format!(
                        "{} is not installed (Debian package mariadb-server)",
                        bin.display()
                    ),
                )
            } else {
                PluginError::new(ErrorKind::IO, format!("cannot run {}: {e}", bin.display()))
            }
        })?;
        Ok(Server {
            child: Some(child),
            run: run.to_path_buf(),
        })
    }

    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.run.join("err.log")).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(3).collect();
        tail.into_iter().rev().collect::<Vec<_>>().join(" / ")
    }

    /// Opens a connection to `database` once the server accepts one (up to `timeout`).
    pub fn connect(
        &mut self,
        target: &ConnectOptions,
        database: &str,
        timeout: Duration,
        host: Host<'_>,
    ) -> Result<ConnectionBox, PluginError> {
        let driver = driver_box(crate::driver::open(Config::new("mysql", ""))?);
        let options = ConnectOptions {
            db_type: "mysql".into(),
            host: self.run.join("s.sock").display().to_string().into(),
            database: database.into(),
            user: target.user.clone(),
            password: target.password.clone(),
            options: vec![Tuple2("ssl-mode".into(), "DISABLED".into())].into(),
            ..Default::default()
        };
        let started = Instant::now();
        loop {
            host.check_cancelled()?;
            let last = match driver.connect(&options).into_result() {
                Ok(conn) => return Ok(conn),
                Err(e) => e.message.to_string(),
            };
            let ended = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten());
            if let Some(status) = ended {
                return Err(PluginError::new(
                    ErrorKind::DATABASE,
                    format!(
                        "the restored server stopped ({status}): {}",
                        self.log_tail()
                    ),
                ));
            }
            if started.elapsed() > timeout {
                return Err(PluginError::new(
                    ErrorKind::TIMEOUT,
                    format!(
                        "the restored server took no connection in {} s ({last}; its log: {})",
                        timeout.as_secs(),
                        self.log_tail()
                    ),
                ));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Stops the server and waits until it has ended.
    pub fn stop(mut self) -> Result<(), PluginError> {
        self.end()
    }

    fn end(&mut self) -> Result<(), PluginError> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        let asked = terminate(child.id());
        let waited = child
            .wait()
            .map_err(|e| PluginError::new(ErrorKind::IO, format!("mariadbd: {e}")));
        asked?;
        waited.map(|_| ())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.end();
    }
}
