//! The migration lock: one `myrmex migrate` at a time per database.
//!
//! The driver takes the lock its engine offers (PostgreSQL: a session advisory lock; MySQL
//! and MariaDB: `GET_LOCK`; SQLite: an OS lock on a file beside the database), each released
//! by the server or the kernel when its holder dies, so none can go stale: there is no lock
//! row to clean up after a crash. The host asks once per poll; a waiting process polls until
//! its timeout, then fails with a message naming the holder the driver described.

use super::history::History;
use super::Observer;
use crate::{DatabaseConnection, Error, Result};
use std::time::{Duration, Instant};

/// How often a waiting process retries.
const POLL: Duration = Duration::from_millis(100);

/// A held migration lock. Release it with [`MigrationLock::release`]; if the process dies
/// instead, the server or the kernel releases it.
#[derive(Debug)]
pub struct MigrationLock {
    name: String,
}

/// Takes the lock for `history` on `conn`, waiting up to `timeout`.
pub fn acquire(
    conn: &mut DatabaseConnection,
    history: &History,
    timeout: Duration,
    observer: &dyn Observer,
) -> Result<MigrationLock> {
    let started = Instant::now();
    let name = history.name.clone();
    let mut told = false;
    loop {
        let attempt = conn.try_lock(&name)?;
        if attempt.acquired {
            return Ok(MigrationLock { name });
        }
        let holder = if attempt.holder.is_empty() {
            "another session".to_string()
        } else {
            attempt.holder.to_string()
        };
        if started.elapsed() >= timeout {
            return Err(Error::MigrationLock {
                connection: conn.name.clone(),
                waited: timeout,
                holder,
            });
        }
        if !told {
            observer.waiting_for_lock(&holder);
            told = true;
        }
        std::thread::sleep(POLL.min(timeout.saturating_sub(started.elapsed())));
    }
}

impl MigrationLock {
    /// Releases the lock.
    pub fn release(self, conn: &mut DatabaseConnection) -> Result<()> {
        conn.unlock(&self.name)
    }
}
