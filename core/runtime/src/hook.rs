//! Statement hooks: code the host runs before and after every statement any
//! [`DatabaseConnection`](crate::DatabaseConnection) sends, process-wide. The audit log and
//! the statement guard are hooks; an embedding program may install its own.

use crate::{Error, Result};
use std::cell::Cell;
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
    /// True when the statement belongs to a migration run whose statements were shown to
    /// [`StatementHook::before_migration`] already (or to a down part, which the guard does
    /// not check).
    pub prechecked: bool,
}

/// One statement of a migration run about to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationStatement {
    /// The statement.
    pub sql: String,
    /// The file it comes from.
    pub file: String,
    /// The line it starts on.
    pub line: u32,
}

/// A migration run about to start on a connection.
#[derive(Debug, Clone, Copy)]
pub struct MigrationEvent<'a> {
    /// The connection's name.
    pub connection: &'a str,
    /// The driver's name.
    pub driver: &'a str,
    /// The connection's URL without its password.
    pub url: &'a str,
    /// Every statement of the SQL up parts it will run, in order.
    pub statements: &'a [MigrationStatement],
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

    /// Runs after the statement ended, whether it succeeded, failed, or was refused by a
    /// hook's [`StatementHook::before`] (then `outcome.error` is the refusal).
    fn after(&self, event: &StatementEvent<'_>, outcome: &StatementOutcome<'_>) {
        let _ = (event, outcome);
    }

    /// Runs once before a migration run starts, with every statement of its SQL up parts;
    /// an error refuses the whole run before anything changes.
    fn before_migration(&self, event: &MigrationEvent<'_>) -> Result<()> {
        let _ = event;
        Ok(())
    }
}

thread_local! {
    static PRECHECKED: Cell<u32> = const { Cell::new(0) };
}

/// Runs `f` with the statements it sends marked as [`StatementEvent::prechecked`].
pub(crate) fn prechecked<T>(f: impl FnOnce() -> T) -> T {
    struct Leave;
    impl Drop for Leave {
        fn drop(&mut self) {
            PRECHECKED.with(|p| p.set(p.get().saturating_sub(1)));
        }
    }
    PRECHECKED.with(|p| p.set(p.get() + 1));
    let _leave = Leave;
    f()
}

/// True inside [`prechecked`].
pub(crate) fn is_prechecked() -> bool {
    PRECHECKED.with(|p| p.get() > 0)
}

/// Shows a migration run to every installed hook; the first refusal stops it.
pub(crate) fn before_migration(event: &MigrationEvent<'_>) -> Result<()> {
    for hook in installed().iter().flat_map(|h| h.iter()) {
        hook.before_migration(event)?;
    }
    Ok(())
}

static ANY: AtomicBool = AtomicBool::new(false);
/// The installed hooks; replaced as a whole when one is installed, so a statement takes
/// the list with one reference count.
static HOOKS: RwLock<Option<Hooks>> = RwLock::new(None);

/// A list of installed hooks.
pub(crate) type Hooks = Arc<Vec<Arc<dyn StatementHook>>>;

/// Installs `hook` for every connection of this process, after those already installed.
pub fn install(hook: Arc<dyn StatementHook>) {
    let mut hooks = HOOKS.write().unwrap_or_else(|e| e.into_inner());
    let mut list: Vec<Arc<dyn StatementHook>> = hooks
        .as_ref()
        .map(|h| h.as_ref().clone())
        .unwrap_or_default();
    list.push(hook);
    *hooks = Some(Arc::new(list));
    ANY.store(true, Ordering::Release);
}

/// Removes every installed hook (dropping the last reference of each: the statement log
/// writes its closing checkpoint then).
pub fn clear() {
    let mut hooks = HOOKS.write().unwrap_or_else(|e| e.into_inner());
    *hooks = None;
    ANY.store(false, Ordering::Release);
}

/// The installed hooks; `None` when there are none (the fast path of every statement).
pub(crate) fn installed() -> Option<Hooks> {
    if !ANY.load(Ordering::Acquire) {
        return None;
    }
    HOOKS.read().unwrap_or_else(|e| e.into_inner()).clone()
}
