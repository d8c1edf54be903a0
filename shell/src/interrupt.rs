//! Ctrl-C and the script timeout: stop the running script and cancel the running
//! statements, not the shell.
//!
//! The first Ctrl-C sets a flag that the Rhai engine checks between operations, and asks
//! every open connection to cancel its running statement (cancelling an idle connection does
//! nothing). A second Ctrl-C while the first is still pending exits with status 130.
//! A [`Watchdog`] does the same when a script's time limit elapses.

use myrmex_core::CancelToken;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Mutex};
use std::time::Duration;

static INTERRUPTED: AtomicBool = AtomicBool::new(false);
static TERMINATED: AtomicBool = AtomicBool::new(false);
static TIMED_OUT: AtomicBool = AtomicBool::new(false);
/// The evaluation a watchdog belongs to: a watchdog whose evaluation has ended must not fire
/// into the next one. Held locked while a watchdog fires and while one is disarmed.
static EPOCH: Mutex<u64> = Mutex::new(0);
static NEXT_ID: AtomicU64 = AtomicU64::new(1);
static TOKENS: Mutex<Vec<(u64, CancelToken)>> = Mutex::new(Vec::new());

/// Installs the SIGINT handler (once per process).
pub fn install() {
    let result = ctrlc::set_handler(|| {
        if INTERRUPTED.swap(true, Ordering::SeqCst) {
            eprintln!("\ninterrupted twice; exiting");
            // Closes the statement log with its final checkpoint.
            myrmex_core::hook::clear();
            std::process::exit(130);
        }
        cancel_all();
    });
    if let Err(e) = result {
        tracing::debug!("cannot install the Ctrl-C handler: {e}");
    }
}

/// Makes SIGTERM ask the running command to stop (see [`stopping`]) instead of ending the
/// process at once: for the commands that run until they are stopped (`myrmex monitor`),
/// so that they close their connections and end with status 0.
pub fn install_terminate() {
    #[cfg(unix)]
    {
        extern "C" fn on_terminate(_: libc::c_int) {
            // Only an atomic store: nothing else is safe in a signal handler.
            TERMINATED.store(true, Ordering::SeqCst);
        }
        let handler: extern "C" fn(libc::c_int) = on_terminate;
        // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
        let previous = unsafe { libc::signal(libc::SIGTERM, handler as libc::sighandler_t) };
        if previous == libc::SIG_ERR {
            tracing::debug!("cannot install the SIGTERM handler");
        }
    }
}

/// True once Ctrl-C was pressed or SIGTERM arrived (after [`install_terminate`]): a command
/// that runs until stopped ends now.
pub fn stopping() -> bool {
    is_set() || TERMINATED.load(Ordering::Relaxed)
}

/// Cancels the running statement of every registered connection.
fn cancel_all() {
    let tokens = TOKENS
        .lock()
        .map(|t| t.iter().map(|(_, c)| c.clone()).collect::<Vec<_>>())
        .unwrap_or_default();
    for t in tokens {
        if let Err(e) = t.cancel() {
            tracing::debug!("cancel failed: {e}");
        }
    }
}

/// True once Ctrl-C was pressed since the last [`reset`].
pub fn is_set() -> bool {
    INTERRUPTED.load(Ordering::Relaxed)
}

/// True once the running evaluation's time limit elapsed (since the last [`reset`]).
pub fn timed_out() -> bool {
    TIMED_OUT.load(Ordering::Relaxed)
}

/// Clears both flags (before each evaluation).
pub fn reset() {
    INTERRUPTED.store(false, Ordering::SeqCst);
    TIMED_OUT.store(false, Ordering::SeqCst);
}

/// Ends one evaluation's time limit when dropped. While armed, a thread waits for the
/// deadline; if it comes first, it sets the timeout flag and cancels every running statement.
pub struct Watchdog {
    stop: Option<mpsc::Sender<()>>,
}

impl Watchdog {
    /// Arms a watchdog that fires after `limit`; `None` arms nothing.
    pub fn arm(limit: Option<Duration>) -> Watchdog {
        let Some(limit) = limit else {
            return Watchdog { stop: None };
        };
        let epoch = EPOCH.lock().map(|e| *e).unwrap_or(0);
        let (tx, rx) = mpsc::channel::<()>();
        let spawned = std::thread::Builder::new()
            .name("myrmex-timeout".into())
            .spawn(move || {
                if let Err(mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(limit) {
                    // The guard lives to the end of this block: no disarming meanwhile.
                    if let Ok(current) = EPOCH.lock() {
                        if *current == epoch {
                            TIMED_OUT.store(true, Ordering::SeqCst);
                            cancel_all();
                        }
                    }
                }
            });
        if let Err(e) = spawned {
            tracing::warn!("cannot start the timeout thread: {e}");
        }
        Watchdog { stop: Some(tx) }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            // Under the lock: once this returns, this watchdog can no longer fire.
            if let Ok(mut e) = EPOCH.lock() {
                *e += 1;
            }
            let _ = tx.send(());
        }
    }
}

/// Runs `f` on a helper thread and waits for it, returning early with `None` when Ctrl-C is
/// pressed or the time limit elapses: for calls that cannot be cancelled through a driver,
/// such as opening a connection. An abandoned call finishes (or times out) on its own thread
/// and its result is dropped.
pub fn abandonable<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let (tx, rx) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("myrmex-connect".into())
        .spawn(move || {
            let _ = tx.send(f());
        });
    if let Err(e) = spawned {
        tracing::warn!("cannot start a thread: {e}");
        return None;
    }
    loop {
        match rx.recv_timeout(Duration::from_millis(20)) {
            Ok(v) => return Some(v),
            Err(mpsc::RecvTimeoutError::Disconnected) => return None,
            Err(mpsc::RecvTimeoutError::Timeout) if is_set() || timed_out() => return None,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
    }
}

/// A connection's cancel token, registered while the connection is open.
#[derive(Debug)]
pub struct Registration(u64);

/// Registers `token` so Ctrl-C cancels its connection's statement.
pub fn register(token: CancelToken) -> Registration {
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    if let Ok(mut t) = TOKENS.lock() {
        t.push((id, token));
    }
    Registration(id)
}

impl Drop for Registration {
    fn drop(&mut self) {
        if let Ok(mut t) = TOKENS.lock() {
            t.retain(|(id, _)| *id != self.0);
        }
    }
}
