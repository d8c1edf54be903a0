//! The migration lock: one `myrmex migrate` at a time per database.
//!
//! | engine | lock | released when the holder dies because |
//! |---|---|---|
//! | PostgreSQL | session advisory lock `pg_try_advisory_lock(k1, k2)` (keys from the history table name) | the server ends the session |
//! | MySQL/MariaDB | `GET_LOCK('myrmex:<db>.<table>')` | the server ends the session |
//! | SQLite | an OS lock (`flock`) on `<database>.myrmex-lock` beside the file, plus `BEGIN IMMEDIATE` per migration | the kernel drops it with the process |
//!
//! None of them can go stale: there is no lock row to clean up after a crash. A waiting
//! process polls until its timeout, then fails with a message naming the holder.

use super::history::History;
use super::Observer;
use crate::schema::{rows, text};
use crate::{DatabaseConnection, Error, Result};
use myrmex_schema::Dialect;
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// First advisory-lock key on PostgreSQL: "myrm".
const PG_KEY1: i64 = 0x6d79_726d;
/// How often a waiting process retries.
const POLL: Duration = Duration::from_millis(100);

/// A held migration lock. Release it with [`MigrationLock::release`]; if the process dies
/// instead, the server or the kernel releases it.
#[derive(Debug)]
pub struct MigrationLock {
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    Advisory(i64),
    Named(String),
    File(File),
    /// In-memory SQLite: nothing else can see the database.
    Private,
}

fn key_hash(s: &str) -> u64 {
    let d = Sha256::digest(s.as_bytes());
    u64::from_be_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]])
}

/// Takes the lock for `history` on `conn`, waiting up to `timeout`.
pub fn acquire(
    conn: &mut DatabaseConnection,
    history: &History,
    timeout: Duration,
    observer: &dyn Observer,
) -> Result<MigrationLock> {
    let started = Instant::now();
    let kind = match history.dialect {
        Dialect::Postgres => {
            let k2 = (key_hash(&history.name) & 0x7fff_ffff) as i64;
            // A killed client's session ends at the next check instead of when its statement
            // finishes (PostgreSQL 14+; older servers ignore this).
            if conn
                .execute_batch("SET client_connection_check_interval = 1000")
                .is_err()
            {
                tracing::debug!("client_connection_check_interval not supported");
            }
            let try_sql = format!("SELECT pg_try_advisory_lock({PG_KEY1}, {k2})");
            wait(
                conn,
                timeout,
                started,
                observer,
                |c| {
                    let got = rows(c, &try_sql, &[])?;
                    Ok(got
                        .first()
                        .and_then(|r| r.first())
                        .is_some_and(|v| text(v) == "true"))
                },
                |c| pg_holder(c, k2),
            )?;
            Kind::Advisory(k2)
        }
        Dialect::Mysql | Dialect::Mariadb => {
            let db = rows(conn, "SELECT DATABASE()", &[])?
                .first()
                .map(|r| text(&r[0]))
                .unwrap_or_default();
            let mut name = format!("myrmex:{db}.{}", history.name);
            if name.len() > 64 {
                name = format!("myrmex:{:016x}", key_hash(&name));
            }
            let lit = history.dialect.literal(&name);
            let try_sql = format!("SELECT GET_LOCK({lit}, 0)");
            wait(
                conn,
                timeout,
                started,
                observer,
                |c| {
                    let got = rows(c, &try_sql, &[])?;
                    match got.first().map(|r| &r[0]) {
                        Some(v) if v.is_null() => Err(Error::Migration(format!(
                            "{}: GET_LOCK({name}) failed",
                            c.name
                        ))),
                        Some(v) => Ok(text(v) == "1"),
                        None => Ok(false),
                    }
                },
                |c| mysql_holder(c, &lit),
            )?;
            Kind::Named(lit)
        }
        Dialect::Sqlite => {
            let db = conn.database.clone();
            if db.is_empty() || db == ":memory:" || db.contains("mode=memory") {
                Kind::Private
            } else {
                let path = PathBuf::from(format!("{db}.myrmex-lock"));
                let mut file = open_lock_file(&path, true)?;
                wait(
                    conn,
                    timeout,
                    started,
                    observer,
                    |_| match file.try_lock() {
                        Ok(()) => Ok(true),
                        Err(std::fs::TryLockError::WouldBlock) => Ok(false),
                        Err(std::fs::TryLockError::Error(source)) => Err(Error::Io {
                            path: path.clone(),
                            source,
                        }),
                    },
                    |_| {
                        let mut s = String::new();
                        let mut f = open_lock_file(&path, false)?;
                        let _ = f.read_to_string(&mut s);
                        Ok(format!("{} ({})", s.trim(), path.display()))
                    },
                )?;
                let holder = format!(
                    "process {} on {}\n",
                    std::process::id(),
                    super::applied_by()
                );
                let _ = file.set_len(0);
                let _ = file.rewind();
                let _ = file.write_all(holder.as_bytes());
                let _ = file.flush();
                Kind::File(file)
            }
        }
    };
    Ok(MigrationLock { kind })
}

/// Opens the SQLite lock file without following a symbolic link (a link planted there must
/// not make the lock overwrite its target), and refuses anything but a regular file.
fn open_lock_file(path: &std::path::Path, write: bool) -> Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    if write {
        options.write(true).create(true).truncate(false);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let refuse = |why: &str| Error::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(format!(
            "{why}; the migration lock file must be a regular file (remove it and retry)"
        )),
    };
    let file = options.open(path).map_err(|source| {
        #[cfg(unix)]
        if source.raw_os_error() == Some(libc::ELOOP) {
            return refuse("is a symbolic link");
        }
        Error::Io {
            path: path.to_path_buf(),
            source,
        }
    })?;
    let meta = file.metadata().map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
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

/// Polls `try_take` until it succeeds or `timeout` passes; tells the observer who holds it.
fn wait(
    conn: &mut DatabaseConnection,
    timeout: Duration,
    started: Instant,
    observer: &dyn Observer,
    mut try_take: impl FnMut(&mut DatabaseConnection) -> Result<bool>,
    holder: impl Fn(&mut DatabaseConnection) -> Result<String>,
) -> Result<()> {
    let who =
        |conn: &mut DatabaseConnection| holder(conn).unwrap_or_else(|e| format!("unknown ({e})"));
    let mut told = false;
    loop {
        if try_take(conn)? {
            return Ok(());
        }
        // The holder is looked up twice at most: to say who we wait for, and when giving up.
        if started.elapsed() >= timeout {
            return Err(Error::MigrationLock {
                connection: conn.name.clone(),
                waited: timeout,
                holder: who(conn),
            });
        }
        if !told {
            observer.waiting_for_lock(&who(conn));
            told = true;
        }
        std::thread::sleep(POLL.min(timeout.saturating_sub(started.elapsed())));
    }
}

fn pg_holder(conn: &mut DatabaseConnection, k2: i64) -> Result<String> {
    let sql = format!(
        "SELECT a.pid, coalesce(a.usename, ''), coalesce(a.application_name, ''), \
         coalesce(host(a.client_addr), 'local socket'), \
         to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') \
         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
         WHERE l.locktype = 'advisory' AND l.granted AND l.classid = {PG_KEY1} \
         AND l.objid = {k2} AND l.objsubid = 2"
    );
    let found = rows(conn, &sql, &[])?;
    Ok(match found.first() {
        Some(r) => format!(
            "PostgreSQL session {} (user {}, application `{}`, from {}, connected {} UTC)",
            text(&r[0]),
            text(&r[1]),
            text(&r[2]),
            text(&r[3]),
            text(&r[4])
        ),
        None => "another session (gone by now)".to_string(),
    })
}

fn mysql_holder(conn: &mut DatabaseConnection, lit: &str) -> Result<String> {
    let sql = format!(
        "SELECT p.ID, p.USER, p.HOST, p.TIME FROM information_schema.PROCESSLIST p \
         WHERE p.ID = IS_USED_LOCK({lit})"
    );
    let found = rows(conn, &sql, &[])?;
    Ok(match found.first() {
        Some(r) => format!(
            "connection {} (user {}, from {}, {} s in its current state)",
            text(&r[0]),
            text(&r[1]),
            text(&r[2]),
            text(&r[3])
        ),
        None => "another connection (gone by now)".to_string(),
    })
}

impl MigrationLock {
    /// Releases the lock.
    pub fn release(self, conn: &mut DatabaseConnection) -> Result<()> {
        match self.kind {
            Kind::Advisory(k2) => {
                conn.execute_batch(&format!("SELECT pg_advisory_unlock({PG_KEY1}, {k2})"))
            }
            Kind::Named(lit) => conn.execute_batch(&format!("DO RELEASE_LOCK({lit})")),
            // Closing the file drops the lock. The file stays: deleting it could let two
            // processes lock two different files of the same name.
            Kind::File(f) => {
                let _ = f.unlock();
                Ok(())
            }
            Kind::Private => Ok(()),
        }
    }
}
