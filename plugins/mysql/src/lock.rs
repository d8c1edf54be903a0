//! Named session locks (`GET_LOCK`), which the migration lock is made of.
//!
//! The lock is `myrmex:<database>.<name>`, so the same name in two databases of one server
//! are two locks; a name longer than the server's 64 characters becomes `myrmex:` and a
//! hash. The server releases the lock when the session ends, so it cannot go stale.

use crate::error::map;
use myrmex_plugin::{ErrorKind, LockAttempt, PluginError};
use mysql::prelude::Queryable;
use mysql::Conn;
use sha2::{Digest, Sha256};

/// The longest lock name the server accepts.
const MAX_NAME: usize = 64;

/// The server-wide name of lock `name` in database `db`.
pub fn lock_name(db: &str, name: &str) -> String {
    let full = format!("myrmex:{db}.{name}");
    if full.len() <= MAX_NAME {
        return full;
    }
    let d = Sha256::digest(full.as_bytes());
    let hash = u64::from_be_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]]);
    format!("myrmex:{hash:016x}")
}

/// The server-wide name of lock `name` in the session's current database.
pub fn current_lock_name(conn: &mut Conn, name: &str) -> Result<String, PluginError> {
    let db: Option<Option<String>> = conn.query_first("SELECT DATABASE()").map_err(map)?;
    Ok(lock_name(&db.flatten().unwrap_or_default(), name))
}

/// Tries once, without waiting, to take the server-wide lock `full`. When another session
/// holds it, says which.
pub fn try_lock(conn: &mut Conn, full: &str) -> Result<LockAttempt, PluginError> {
    let got: Option<Option<i64>> = conn
        .exec_first("SELECT GET_LOCK(?, 0)", (full,))
        .map_err(map)?;
    let acquired = match got {
        Some(Some(n)) => n == 1,
        // GET_LOCK answers NULL when it could not try at all (out of memory, killed).
        Some(None) => {
            return Err(PluginError::new(
                ErrorKind::DATABASE,
                format!("GET_LOCK({full}) failed"),
            ))
        }
        None => false,
    };
    let holder = if acquired {
        String::new()
    } else {
        holder(conn, full).unwrap_or_else(|e| format!("unknown ({e})"))
    };
    Ok(LockAttempt {
        acquired,
        holder: holder.into(),
        extensions: Default::default(),
    })
}

/// Releases the server-wide lock `full` if this session holds it.
pub fn unlock(conn: &mut Conn, full: &str) -> Result<(), PluginError> {
    conn.exec_drop("DO RELEASE_LOCK(?)", (full,)).map_err(map)
}

/// A session of `information_schema.PROCESSLIST`: id, user, client host, seconds in its
/// current state.
type Session = (Option<u64>, Option<String>, Option<String>, Option<i64>);

/// Who holds lock `full`: the session's id, user, client host and time in its state.
fn holder(conn: &mut Conn, full: &str) -> Result<String, PluginError> {
    let found: Option<Session> = conn
        .exec_first(
            "SELECT p.ID, p.USER, p.HOST, p.TIME FROM information_schema.PROCESSLIST p \
             WHERE p.ID = IS_USED_LOCK(?)",
            (full,),
        )
        .map_err(map)?;
    Ok(match found {
        Some((id, user, host, time)) => format!(
            "connection {} (user {}, from {}, {} s in its current state)",
            id.unwrap_or_default(),
            user.unwrap_or_default(),
            host.unwrap_or_default(),
            time.unwrap_or_default()
        ),
        None => "another connection (gone by now)".to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;
    use myrmex_plugin::{Connection, Params, Value};

    #[test]
    fn long_names_are_hashed_to_fit() {
        assert_eq!(
            lock_name("app", "myrmex_migrations"),
            "myrmex:app.myrmex_migrations"
        );
        let long = lock_name("app", &"x".repeat(80));
        assert_eq!(long.len(), "myrmex:".len() + 16);
        assert_ne!(long, lock_name("app", &"y".repeat(80)));
        assert_eq!(lock_name(&"d".repeat(55), "n").len(), 64);
        assert_eq!(lock_name(&"d".repeat(56), "n").len(), 23);
    }

    #[test]
    fn a_second_session_is_refused_and_told_who_holds_it() {
        let mut a = testing::connect();
        let mut b = testing::connect();
        let name = "lock_test_history";
        let first = a.try_lock(name).unwrap();
        assert!(first.acquired && first.holder.is_empty(), "{first:?}");
        // Taking it again in the same session is fine (GET_LOCK nests).
        assert!(a.try_lock(name).unwrap().acquired);
        a.unlock(name).unwrap();

        let second = b.try_lock(name).unwrap();
        assert!(!second.acquired);
        let id = myrmex_plugin::all_rows(&mut a, "SELECT CONNECTION_ID()", Params::none()).unwrap()
            [0][0]
            .clone();
        let Value::Int(id) = id else {
            panic!("connection id {id:?}")
        };
        assert!(
            second
                .holder
                .starts_with(&format!("connection {id} (user ")),
            "{}",
            second.holder
        );
        assert!(
            second.holder.contains("s in its current state"),
            "{}",
            second.holder
        );

        a.unlock(name).unwrap();
        assert!(b.try_lock(name).unwrap().acquired);
        b.unlock(name).unwrap();
        // A session that ends releases its locks.
        assert!(b.try_lock("lock_test_dropped").unwrap().acquired);
        drop(b);
        let mut c = testing::connect();
        let mut taken = false;
        for _ in 0..50 {
            taken = c.try_lock("lock_test_dropped").unwrap().acquired;
            if taken {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        assert!(taken);
        c.unlock("lock_test_dropped").unwrap();
    }
}
