//! The connection's page-cache counters, from `sqlite3_db_status` (which rusqlite does not
//! wrap).

use rusqlite::{ffi, Connection};
use std::os::raw::c_int;

/// What the connection's page cache did since the connection opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cache {
    /// Page reads served from the cache.
    pub hits: i64,
    /// Page reads that went to the file.
    pub misses: i64,
    /// Pages written to the file.
    pub writes: i64,
    /// Heap bytes the cache holds now.
    pub used_bytes: i64,
}

impl Cache {
    /// Hits over all reads; `None` before the first read.
    pub fn hit_ratio(&self) -> Option<f64> {
        let reads = self.hits.saturating_add(self.misses);
        (reads > 0).then(|| self.hits as f64 / reads as f64)
    }
}

/// The cache counters of `conn`; `None` when SQLite refuses one of them.
pub fn cache(conn: &Connection) -> Option<Cache> {
    Some(Cache {
        hits: status(conn, ffi::SQLITE_DBSTATUS_CACHE_HIT)?,
        misses: status(conn, ffi::SQLITE_DBSTATUS_CACHE_MISS)?,
        writes: status(conn, ffi::SQLITE_DBSTATUS_CACHE_WRITE)?,
        used_bytes: status(conn, ffi::SQLITE_DBSTATUS_CACHE_USED)?,
    })
}

/// The current value of one `SQLITE_DBSTATUS_…` counter, without resetting it.
fn status(conn: &Connection, op: c_int) -> Option<i64> {
    let mut current: c_int = 0;
    let mut highwater: c_int = 0;
    // SAFETY: `conn.handle()` is the open connection's handle, valid while `conn` is
    // borrowed; `sqlite3_db_status` only writes the two integers passed by address, both
    // alive for the call, and with a reset flag of 0 it changes nothing.
    let rc = unsafe { ffi::sqlite3_db_status(conn.handle(), op, &mut current, &mut highwater, 0) };
    (rc == ffi::SQLITE_OK).then_some(i64::from(current))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_grow_with_reads() {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch(
            "CREATE TABLE t (x); \
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000) \
             INSERT INTO t SELECT randomblob(200) FROM n;",
        )
        .unwrap();
        let before = cache(&c).expect("the bundled SQLite reports its cache");
        let _: i64 = c
            .query_row("SELECT count(*) FROM t WHERE length(x) > 0", [], |r| {
                r.get(0)
            })
            .unwrap();
        let after = cache(&c).unwrap();
        assert!(after.hits > before.hits, "{before:?} → {after:?}");
        assert!(after.used_bytes > 0);
        let ratio = after.hit_ratio().unwrap();
        assert!((0.0..=1.0).contains(&ratio));
        let none = Cache {
            hits: 0,
            misses: 0,
            writes: 0,
            used_bytes: 0,
        };
        assert_eq!(none.hit_ratio(), None);
    }
}
