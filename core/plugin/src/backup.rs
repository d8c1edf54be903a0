//! The backup strategy trait a plugin author implements, in plain Rust, and what the host
//! offers a running strategy ([`Host`]).
//!
//! A strategy receives a connection lent by the host (to the database backed up or restored
//! into), the request, and the host: further connections for parallel workers, progress
//! reports and cancellation. It writes its files into the request's directory; the host
//! checksums, encrypts and publishes them.

use crate::guard::guard;
use crate::{ErrorKind, PluginError};
use myrmex_abi::{self as abi, BackupHostBox, ConnectionBox, RResult};
use std::io::Read;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::JoinHandle;
use std::time::Duration;

pub use crate::host_connection::HostConnection;
pub use myrmex_abi::{
    BackupFeatures, BackupOutcome, BackupProgress, BackupRequest, RestoreOutcome, RestoreRequest,
    TableSummary,
};

/// What the host offers a running strategy.
#[derive(Clone, Copy)]
pub struct Host<'a> {
    inner: &'a BackupHostBox,
}

impl<'a> Host<'a> {
    /// Wraps the host as it crossed the contract.
    pub fn new(inner: &'a BackupHostBox) -> Self {
        Host { inner }
    }

    /// Another connection to the same database, for a parallel worker.
    pub fn connect(&self) -> Result<ConnectionBox, PluginError> {
        self.inner.connect().into_result()
    }

    /// Reports progress.
    pub fn progress(&self, progress: &BackupProgress) {
        self.inner.progress(progress)
    }

    /// True once the user asked to stop.
    pub fn cancelled(&self) -> bool {
        self.inner.cancelled()
    }

    /// Runs one of the engine's own tools (`pg_dump`, `mydumper`) to completion: see
    /// [`Host::spawn_tool`] and [`Host::wait_tool`].
    pub fn run_tool(&self, command: Command, name: &str, package: &str) -> Result<(), PluginError> {
        self.wait_tool(self.spawn_tool(command, name, package)?)
    }

    /// Starts one of the engine's own tools; a tool that is not installed is an error naming
    /// the Debian `package` that has it.
    pub fn spawn_tool(
        &self,
        mut command: Command,
        name: &str,
        package: &str,
    ) -> Result<Tool, PluginError> {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| not_run(name, package, e))?;
        // Read stderr on its own thread so a talkative tool never blocks on a full pipe.
        let mut stderr = child.stderr.take();
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(e) = stderr.as_mut() {
                let _ = e.read_to_string(&mut text);
            }
            text
        });
        Ok(Tool {
            child,
            name: name.to_string(),
            stderr,
        })
    }

    /// Runs a tool that answers on stdout (`pgbackrest info --output=json`) and returns what
    /// it printed; a missing tool or a failed run is an error as for [`Host::run_tool`].
    pub fn tool_output(
        &self,
        mut command: Command,
        name: &str,
        package: &str,
    ) -> Result<Vec<u8>, PluginError> {
        self.check_cancelled()?;
        let out = command
            .stdin(Stdio::null())
            .output()
            .map_err(|e| not_run(name, package, e))?;
        if out.status.success() {
            return Ok(out.stdout);
        }
        Err(failed(
            name,
            out.status,
            &String::from_utf8_lossy(&out.stderr),
        ))
    }

    /// Waits for a tool to end: a failed run is an error with the end of what it wrote on
    /// stderr, and a cancellation kills it.
    pub fn wait_tool(&self, mut tool: Tool) -> Result<(), PluginError> {
        let status = loop {
            if let Some(status) = tool.try_wait()? {
                break status;
            }
            if self.cancelled() {
                let _ = tool.child.kill();
                let _ = tool.child.wait();
                return self.check_cancelled();
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let text = tool.stderr.join().unwrap_or_default();
        if status.success() {
            return Ok(());
        }
        Err(failed(&tool.name, status, &text))
    }

    /// A cancelled error once the user asked to stop.
    pub fn check_cancelled(&self) -> Result<(), PluginError> {
        if self.cancelled() {
            Err(PluginError::new(
                ErrorKind::CANCELLED,
                "cancelled at the user's request",
            ))
        } else {
            Ok(())
        }
    }
}

/// A tool that could not be started: not installed (naming its Debian package) or not runnable.
fn not_run(name: &str, package: &str, e: std::io::Error) -> PluginError {
    if e.kind() == std::io::ErrorKind::NotFound {
        PluginError::new(
            ErrorKind::NOT_FOUND,
            format!("{name} is not installed (Debian package {package})"),
        )
    } else {
        PluginError::new(ErrorKind::IO, format!("cannot run {name}: {e}"))
    }
}

/// A tool that ended in failure, with the end of what it wrote on stderr.
fn failed(name: &str, status: ExitStatus, stderr: &str) -> PluginError {
    let tail: Vec<&str> = stderr.trim().lines().rev().take(5).collect();
    let tail: Vec<&str> = tail.into_iter().rev().collect();
    PluginError::new(
        ErrorKind::DATABASE,
        format!("{name} failed ({status}): {}", tail.join(" / ")),
    )
}

/// A running tool started by [`Host::spawn_tool`].
pub struct Tool {
    child: Child,
    name: String,
    stderr: JoinHandle<String>,
}

impl Tool {
    /// Its exit status once it has ended, without waiting.
    pub fn try_wait(&mut self) -> Result<Option<ExitStatus>, PluginError> {
        self.child
            .try_wait()
            .map_err(|e| PluginError::new(ErrorKind::IO, format!("{}: {e}", self.name)))
    }
}

/// A backup strategy.
pub trait BackupStrategy: Send + Sync + 'static {
    /// What it can do.
    fn features(&self) -> BackupFeatures;

    /// Backs up the database `conn` reaches into `request.directory`.
    fn backup(
        &self,
        conn: &mut ConnectionBox,
        request: &BackupRequest,
        host: Host<'_>,
    ) -> Result<BackupOutcome, PluginError>;

    /// Restores the backup in `request.directory` into the database `conn` reaches.
    fn restore(
        &self,
        conn: &mut ConnectionBox,
        request: &RestoreRequest,
        host: Host<'_>,
    ) -> Result<RestoreOutcome, PluginError>;
}

pub(crate) struct Adapter<B>(pub(crate) B);

impl<B: BackupStrategy> abi::BackupStrategy for Adapter<B> {
    fn features(&self) -> BackupFeatures {
        self.0.features()
    }

    fn backup(
        &self,
        conn: &mut ConnectionBox,
        request: &BackupRequest,
        host: &BackupHostBox,
    ) -> RResult<BackupOutcome, PluginError> {
        guard(|| self.0.backup(conn, request, Host::new(host)))
    }

    fn restore(
        &self,
        conn: &mut ConnectionBox,
        request: &RestoreRequest,
        host: &BackupHostBox,
    ) -> RResult<RestoreOutcome, PluginError> {
        guard(|| self.0.restore(conn, request, Host::new(host)))
    }
}
