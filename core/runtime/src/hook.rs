//! Statement hooks: code the host runs before and after every statement any
//! [`DatabaseConnection`](crate::DatabaseConnection) sends, process-wide. The audit log and
//! the statement guard are hooks; an embedding program may install its own.

use crate::{Error, Result};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// A statement about to run, or that ran.
#[derive(Debug, Clone, Copy)]
pub struct StatementEvent<'a> {
    /// The connection's name.
    pub connection: &'a str,
    /// The driver's name.
    pub driver: &'a str,
    /// The connection's URL without its password.
    pub url: &'a str,
    /// The statement (or script) as sent.
    pub sql: &'a str,
    /// How many parameters were bound (their values are never shown to hooks).
    pub params: usize,
}

/// How a statement ended.
#[derive(Debug, Clone, Copy)]
pub struct StatementOutcome<'a> {
    /// Wall time from sending to the first answer.
    pub duration: Duration,
    /// Rows changed, when the statement reports it.
    pub rows: Option<u64>,
    /// The error when it failed.
    pub error: Option<&'a Error>,
}

/// Code run around every statement.
pub trait StatementHook: Send + Sync {
    /// Runs before the statement is sent; an error refuses it (it never reaches the server).
    fn before(&self, event: &StatementEvent<'_>) -> Result<()> {
        let _ = event;
        Ok(())
    }

    /// Runs after the statement ended, whether it succeeded or failed.
    fn after(&self, event: &StatementEvent<'_>, outcome: &StatementOutcome<'_>) {
        let _ = (event, outcome);
    }
}

static ANY: AtomicBool = AtomicBool::new(false);
static HOOKS: RwLock<Vec<Arc<dyn StatementHook>>> = RwLock::new(Vec::new());

/// Installs `hook` for every connection of this process, after those already installed.
pub fn install(hook: Arc<dyn StatementHook>) {
    let mut hooks = HOOKS.write().unwrap_or_else(|e| e.into_inner());
    hooks.push(hook);
    ANY.store(true, Ordering::Release);
}

/// Removes every installed hook.
pub fn clear() {
    let mut hooks = HOOKS.write().unwrap_or_else(|e| e.into_inner());
    hooks.clear();
    ANY.store(false, Ordering::Release);
}

/// The installed hooks; `None` when there are none (the fast path of every statement).
pub(crate) fn installed() -> Option<Vec<Arc<dyn StatementHook>>> {
    if !ANY.load(Ordering::Acquire) {
        return None;
    }
    let hooks = HOOKS.read().unwrap_or_else(|e| e.into_inner());
    (!hooks.is_empty()).then(|| hooks.clone())
}
