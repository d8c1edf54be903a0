//! Connection pool waits and timeouts, counted per pool for the process's client metrics.

use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

/// What the pools of this process saw, by pool name.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PoolClientStats {
    /// The pool (its connection's name).
    pub pool: String,
    /// Connections handed out.
    pub checkouts: u64,
    /// Checkouts that waited more than 1 ms.
    pub waits: u64,
    /// Checkouts that timed out.
    pub timeouts: u64,
    /// Total time spent waiting for a connection, in milliseconds.
    pub wait_ms: f64,
}

static POOLS: Mutex<BTreeMap<String, PoolClientStats>> = Mutex::new(BTreeMap::new());

/// Records one checkout (or, with `timed_out`, one that gave up) of `pool` after `waited`.
pub(crate) fn pool_event(pool: &str, duration: Duration, waited: bool, timed_out: bool) {
    let mut pools = POOLS.lock().unwrap_or_else(|e| e.into_inner());
    let p = pools
        .entry(pool.to_string())
        .or_insert_with(|| PoolClientStats {
            pool: pool.to_string(),
            ..PoolClientStats::default()
        });
    if timed_out {
        p.timeouts += 1;
    } else {
        p.checkouts += 1;
        p.waits += u64::from(waited);
    }
    if waited {
        p.wait_ms += duration.as_secs_f64() * 1000.0;
    }
}

/// Every pool's counts so far.
pub fn pool_stats() -> Vec<PoolClientStats> {
    POOLS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .values()
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_and_timeouts_are_counted_per_pool() {
        pool_event("pool-test-a", Duration::from_millis(5), true, false);
        pool_event("pool-test-a", Duration::ZERO, false, false);
        pool_event("pool-test-a", Duration::from_millis(100), true, true);
        let a = pool_stats()
            .into_iter()
            .find(|p| p.pool == "pool-test-a")
            .unwrap();
        assert_eq!((a.checkouts, a.waits, a.timeouts), (2, 1, 1));
        assert!((a.wait_ms - 105.0).abs() < 0.5, "{}", a.wait_ms);
    }
}
