//! Ctrl-C: stop the running script and cancel the running statements, not the shell.
//!
//! The first Ctrl-C sets a flag that the Rhai engine checks between operations, and asks
//! every open connection to cancel its running statement (cancelling an idle connection does
//! nothing). A second Ctrl-C while the first is still pending exits with status 130.

use myrmex_core::CancelToken;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

static INTERRUPTED: AtomicBool = AtomicBool::new(false);
static NEXT_ID: AtomicU64 = AtomicU64::new(1);
static TOKENS: Mutex<Vec<(u64, CancelToken)>> = Mutex::new(Vec::new());

/// Installs the SIGINT handler (once per process).
pub fn install() {
    let result = ctrlc::set_handler(|| {
        if INTERRUPTED.swap(true, Ordering::SeqCst) {
            eprintln!("\ninterrupted twice; exiting");
            std::process::exit(130);
        }
        let tokens = TOKENS
            .lock()
            .map(|t| t.iter().map(|(_, c)| c.clone()).collect::<Vec<_>>())
            .unwrap_or_default();
        for t in tokens {
            if let Err(e) = t.cancel() {
                tracing::debug!("cancel failed: {e}");
            }
        }
    });
    if let Err(e) = result {
        tracing::debug!("cannot install the Ctrl-C handler: {e}");
    }
}

/// True once Ctrl-C was pressed since the last [`reset`].
pub fn is_set() -> bool {
    INTERRUPTED.load(Ordering::Relaxed)
}

/// Clears the flag (before each REPL evaluation).
pub fn reset() {
    INTERRUPTED.store(false, Ordering::SeqCst);
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
