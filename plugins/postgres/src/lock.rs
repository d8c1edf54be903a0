//! Named session locks: PostgreSQL advisory locks `pg_try_advisory_lock(k1, k2)`, where
//! `k1` is the constant "myrm" and `k2` comes from a hash of the lock's name. The server
//! releases them when the session ends, so a lock never outlives a crashed holder.

use crate::conn::PgConnection;
use myrmex_abi::{RString, RVec};
use myrmex_plugin::{ErrorKind, LockAttempt, PluginError};
use sha2::{Digest, Sha256};

/// First advisory-lock key: "myrm".
pub const KEY1: i64 = 0x6d79_726d;

/// The second advisory-lock key of the lock named `name`: the first 8 bytes of its SHA-256,
/// big-endian, kept to 31 bits (the key is an `int4`).
pub fn key2(name: &str) -> i64 {
    let d = Sha256::digest(name.as_bytes());
    let k = u64::from_be_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]]);
    (k & 0x7fff_ffff) as i64
}

/// Who holds an advisory lock: the session, its user and application, where it comes
/// from and since when.
const HOLDER: &str = "SELECT a.pid::text, coalesce(a.usename::text, ''), \
    coalesce(a.application_name, ''), coalesce(host(a.client_addr), 'local socket'), \
    to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') \
    FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
    WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1::int8::oid \
    AND l.objid = $2::int8::oid AND l.objsubid = 2";

/// Asks the server to check every second, while a statement runs, whether the client is
/// still there (PostgreSQL 14+), so a killed lock holder's session ends promptly instead of
/// when its statement finishes. Older servers skip it.
const CHECK_CLIENT: &str = "SELECT set_config('client_connection_check_interval', '1000', false) \
    WHERE current_setting('server_version_num')::int4 >= 140000";

impl PgConnection {
    /// Tries once to take the lock `name` for this session.
    pub(crate) fn take_lock(&mut self, name: &str) -> Result<LockAttempt, PluginError> {
        self.live()?;
        // A setting made inside a transaction would be undone with it: set it outside.
        if !self.liveness_checked && !self.in_tx() {
            self.session.rows(CHECK_CLIENT, &[])?;
            self.liveness_checked = true;
        }
        let k2 = key2(name);
        let acquired = self.flag("SELECT pg_try_advisory_lock($1, $2)", k2)?;
        let holder = if acquired {
            String::new()
        } else {
            // Who holds it is for the message only: a failed lookup must not turn "taken" into
            // an error.
            self.holder(k2)
                .unwrap_or_else(|e| format!("another session (could not tell which: {e})"))
        };
        Ok(LockAttempt {
            acquired,
            holder: RString::from(holder),
            extensions: RVec::new(),
        })
    }

    /// Releases the lock `name`; an error when this session does not hold it.
    pub(crate) fn release_lock(&mut self, name: &str) -> Result<(), PluginError> {
        self.live()?;
        if self.flag("SELECT pg_advisory_unlock($1, $2)", key2(name))? {
            Ok(())
        } else {
            Err(PluginError::new(
                ErrorKind::NOT_FOUND,
                format!("this session does not hold the lock `{name}`"),
            ))
        }
    }

    /// Runs a lock function of (`KEY1`, `k2`) and reads its boolean answer.
    fn flag(&mut self, sql: &str, k2: i64) -> Result<bool, PluginError> {
        let k1 = KEY1 as i32;
        let k2 = k2 as i32;
        let rows = self.session.rows(sql, &[&k1, &k2])?;
        rows.first()
            .and_then(|r| r.try_get::<_, bool>(0).ok())
            .ok_or_else(|| PluginError::new(ErrorKind::INTERNAL, format!("`{sql}` gave no answer")))
    }

    /// The session holding advisory lock (`KEY1`, `k2`), as a user should read it.
    fn holder(&mut self, k2: i64) -> Result<String, PluginError> {
        let rows = self.session.rows(HOLDER, &[&KEY1, &k2])?;
        let Some(r) = rows.first() else {
            return Ok("another session (gone by now)".to_string());
        };
        let field = |i: usize| r.try_get::<_, String>(i).unwrap_or_default();
        Ok(format!(
            "PostgreSQL session {} (user {}, application `{}`, from {}, connected {} UTC)",
            field(0),
            field(1),
            field(2),
            field(3),
            field(4)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;
    use myrmex_plugin::Connection;

    #[test]
    fn keys_fit_an_int4_and_depend_on_the_name() {
        let a = key2("myrmex_migrations");
        assert!((0..=i64::from(i32::MAX)).contains(&a));
        assert_ne!(a, key2("other_history"));
        assert_eq!(a, key2("myrmex_migrations"));
    }

    #[test]
    fn a_held_lock_is_refused_to_another_session_which_learns_the_holder() {
        let name = "myrmex_wt_postgres lock test";
        let mut first = testing::connect_as("lock-holder");
        let mut second = testing::connect();
        let got = first.try_lock(name).unwrap();
        assert!(got.acquired, "{got:?}");
        let refused = second.try_lock(name).unwrap();
        assert!(!refused.acquired);
        let holder = refused.holder.as_str();
        assert!(holder.starts_with("PostgreSQL session "), "{holder}");
        assert!(holder.contains("application `lock-holder`"), "{holder}");
        assert!(holder.contains("user postgres"), "{holder}");
        first.unlock(name).unwrap();
        assert_eq!(first.unlock(name).unwrap_err().kind, ErrorKind::NOT_FOUND);
        let now = second.try_lock(name).unwrap();
        assert!(now.acquired, "{now:?}");
        second.unlock(name).unwrap();
    }
}
