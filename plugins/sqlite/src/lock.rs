//! The session lock (one `myrmex migrate` at a time per database): an OS lock (`flock`) on
//! `<database>.myrmex-lock` beside the database file.
//!
//! The kernel drops the lock with the process, so it never goes stale; the file stays
//! (deleting it could let two processes lock two different files of the same name). The file
//! says who holds the lock, for the message a waiting process shows. One file serves every
//! lock name of a database, and a connection may take it again under another name: it is
//! released when every name taken is released. An in-memory database is private to its
//! connection: its lock is always granted.

use crate::error::io;
use myrmex_plugin::{LockAttempt, PluginError};
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// The locks one connection holds.
#[derive(Default)]
pub struct SessionLock {
    held: Option<Held>,
}

struct Held {
    file: File,
    /// The names taken, once per successful [`SessionLock::try_lock`].
    names: Vec<String>,
}

impl SessionLock {
    /// Tries once to take the lock of `database` (a path, or `:memory:`) under `name`.
    pub fn try_lock(&mut self, database: &str, name: &str) -> Result<LockAttempt, PluginError> {
        if is_private(database) {
            return Ok(attempt(true, String::new()));
        }
        if let Some(held) = &mut self.held {
            held.names.push(name.to_string());
            return Ok(attempt(true, String::new()));
        }
        let path = lock_path(database);
        let mut file = open_lock_file(&path, true)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return Ok(attempt(false, holder(&path))),
            Err(TryLockError::Error(e)) => return Err(io("cannot lock", &path, e)),
        }
        // Who holds it is information for others; failing to write it does not undo the lock.
        let text = format!(
            "pid {} on host {} since {}, lock \"{}\"\n",
            std::process::id(),
            host_name(),
            now_utc(),
            name.escape_debug()
        );
        let _ = file.set_len(0);
        let _ = file.rewind();
        let _ = file.write_all(text.as_bytes());
        let _ = file.flush();
        self.held = Some(Held {
            file,
            names: vec![name.to_string()],
        });
        Ok(attempt(true, String::new()))
    }

    /// Releases `name`; the file lock goes with the last name held.
    pub fn unlock(&mut self, database: &str, name: &str) -> Result<(), PluginError> {
        if is_private(database) {
            return Ok(());
        }
        let not_held = || {
            PluginError::invalid(format!(
                "this connection does not hold the lock \"{}\"",
                name.escape_debug()
            ))
        };
        let held = self.held.as_mut().ok_or_else(not_held)?;
        let at = held
            .names
            .iter()
            .position(|n| n == name)
            .ok_or_else(not_held)?;
        held.names.remove(at);
        if held.names.is_empty() {
            if let Some(h) = self.held.take() {
                h.file
                    .unlock()
                    .map_err(|e| io("cannot unlock", &lock_path(database), e))?;
            }
        }
        Ok(())
    }
}

fn attempt(acquired: bool, holder: String) -> LockAttempt {
    LockAttempt {
        acquired,
        holder: holder.into(),
        extensions: Default::default(),
    }
}

/// True for a database no other connection can see.
fn is_private(database: &str) -> bool {
    database.is_empty() || database == ":memory:" || database.contains("mode=memory")
}

/// The lock file of `database`.
pub fn lock_path(database: &str) -> PathBuf {
    PathBuf::from(format!("{database}.myrmex-lock"))
}

/// Who holds the lock, as its file says, with the file's path.
fn holder(path: &Path) -> String {
    let mut text = String::new();
    let read = open_lock_file(path, false).and_then(|mut f| {
        f.read_to_string(&mut text)
            .map_err(|e| io("cannot read", path, e))
    });
    let who = match read {
        Ok(_) if !text.trim().is_empty() => text.trim().to_string(),
        Ok(_) => "another process".to_string(),
        Err(e) => format!("another process ({})", e.message),
    };
    format!("{who} ({})", path.display())
}

/// Opens the lock file without following a symbolic link (a link planted there must not make
/// the lock overwrite its target), and refuses anything but a regular file with one name.
fn open_lock_file(path: &Path, write: bool) -> Result<File, PluginError> {
    let mut options = OpenOptions::new();
    options.read(true);
    if write {
        options.write(true).create(true).truncate(false);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let refuse = |why: &str| {
        PluginError::new(
            myrmex_plugin::ErrorKind::IO,
            format!(
                "{} {why}; the lock file must be a regular file (remove it and retry)",
                path.display()
            ),
        )
    };
    let file = options.open(path).map_err(|e| {
        #[cfg(unix)]
        if e.raw_os_error() == Some(libc::ELOOP) {
            return refuse("is a symbolic link");
        }
        io("cannot open the lock file", path, e)
    })?;
    let meta = file
        .metadata()
        .map_err(|e| io("cannot read the lock file", path, e))?;
    if !meta.is_file() {
        return Err(refuse("is not a regular file"));
    }
    // A second name for the file would let the lock truncate a file planted elsewhere.
    #[cfg(unix)]
    if std::os::unix::fs::MetadataExt::nlink(&meta) > 1 {
        return Err(refuse("has other hard links"));
    }
    Ok(file)
}

/// This machine's name.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

/// The time now, `YYYY-MM-DD HH:MM:SS UTC`.
fn now_utc() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let secs = i64::try_from(secs).unwrap_or(0);
    format!(
        "{} {} UTC",
        myrmex_plugin::canonical::format_date(secs.div_euclid(86_400)),
        myrmex_plugin::canonical::format_time(secs.rem_euclid(86_400) * 1_000_000)
    )
}

#[cfg(test)]
mod tests {
    use crate::driver::SqliteDriver;
    use myrmex_plugin::{Connection, Driver};

    #[test]
    fn a_held_lock_is_refused_to_another_connection_with_the_holder() {
        let path = crate::testing::db_path("lock");
        let o = crate::testing::options(&path, &[]);
        let mut a = SqliteDriver.connect(&o).unwrap();
        let mut b = SqliteDriver.connect(&o).unwrap();
        assert!(a.try_lock("history").unwrap().acquired);
        let refused = b.try_lock("history").unwrap();
        assert!(!refused.acquired);
        let holder = refused.holder.as_str();
        assert!(
            holder.starts_with(&format!("pid {} on host ", std::process::id()))
                && holder.contains(" UTC, lock \"history\" (")
                && holder.ends_with(&format!("{path}.myrmex-lock)")),
            "{holder}"
        );
        // Taken twice by its holder, released after the second unlock.
        assert!(a.try_lock("other").unwrap().acquired);
        a.unlock("history").unwrap();
        assert!(!b.try_lock("history").unwrap().acquired);
        a.unlock("other").unwrap();
        assert!(a.unlock("other").is_err(), "not held any more");
        assert!(b.try_lock("history").unwrap().acquired);
        // Closing the connection releases it too.
        b.close().unwrap();
        assert!(a.try_lock("history").unwrap().acquired);
    }

    #[test]
    fn in_memory_databases_are_private() {
        let o = crate::testing::options(":memory:", &[]);
        let mut a = SqliteDriver.connect(&o).unwrap();
        let mut b = SqliteDriver.connect(&o).unwrap();
        assert!(a.try_lock("x").unwrap().acquired);
        assert!(b.try_lock("x").unwrap().acquired);
        a.unlock("x").unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_planted_link_is_refused() {
        let path = crate::testing::db_path("link");
        let target = format!("{path}.target");
        std::fs::write(&target, "keep").unwrap();
        std::os::unix::fs::symlink(&target, format!("{path}.myrmex-lock")).unwrap();
        let mut c = SqliteDriver
            .connect(&crate::testing::options(&path, &[]))
            .unwrap();
        let e = c.try_lock("x").unwrap_err();
        assert!(e.message.contains("symbolic link"), "{e}");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep");
    }
}
