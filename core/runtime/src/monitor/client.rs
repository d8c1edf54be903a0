//! [`ClientMetrics`]: what myrmex itself measured of the statements it ran, per fingerprint:
//! count, errors, rows, and latency percentiles from an HDR histogram.

use super::fingerprint::fingerprint;
use crate::hook::{StatementEvent, StatementHook, StatementOutcome};
use hdrhistogram::Histogram;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// Distinct statement texts whose fingerprint is remembered (beyond it, the fingerprint is
/// computed again for each statement).
const TEXT_CACHE: usize = 4096;

/// Statistics of one statement fingerprint.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatementStats {
    /// The fingerprint (literals as `?`).
    pub fingerprint: String,
    /// Times it ran.
    pub count: u64,
    /// Times it failed.
    pub errors: u64,
    /// Rows it changed (statements that report them).
    pub rows: u64,
    /// Total time in milliseconds.
    pub total_ms: f64,
    /// Median latency in milliseconds.
    pub p50_ms: f64,
    /// 95th percentile latency in milliseconds.
    pub p95_ms: f64,
    /// 99th percentile latency in milliseconds.
    pub p99_ms: f64,
    /// Slowest run in milliseconds.
    pub max_ms: f64,
    /// One statement as it was sent (not shown in outputs: it may hold literals), for
    /// advice that needs a real statement to explain.
    #[serde(skip)]
    pub example: String,
    /// Parameters the example was sent with (its values are not kept).
    #[serde(skip)]
    pub example_params: usize,
}

struct Entry {
    fingerprint: String,
    example: String,
    example_params: usize,
    count: u64,
    errors: u64,
    rows: u64,
    total_us: u64,
    latency_us: Histogram<u64>,
}

#[derive(Default)]
struct State {
    entries: Vec<Entry>,
    by_fingerprint: HashMap<String, usize>,
    by_text: HashMap<Box<str>, usize>,
}

/// Client-side statement metrics, collected as a statement hook.
#[derive(Default)]
pub struct ClientMetrics {
    state: Mutex<State>,
}

impl ClientMetrics {
    /// The process-wide collector, installed as a statement hook the first time it is asked
    /// for.
    pub fn global() -> Arc<ClientMetrics> {
        static GLOBAL: OnceLock<Arc<ClientMetrics>> = OnceLock::new();
        GLOBAL
            .get_or_init(|| {
                let metrics = Arc::new(ClientMetrics::default());
                crate::hook::install(metrics.clone());
                metrics
            })
            .clone()
    }

    /// Records one statement.
    pub fn record(&self, sql: &str, params: usize, micros: u64, rows: Option<u64>, failed: bool) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let index = match state.by_text.get(sql) {
            Some(&i) => i,
            None => {
                let fp = fingerprint(sql);
                let i = match state.by_fingerprint.get(&fp) {
                    Some(&i) => i,
                    None => {
                        let i = state.entries.len();
                        state.entries.push(Entry {
                            fingerprint: fp.clone(),
                            example: sql.to_string(),
                            example_params: params,
                            count: 0,
                            errors: 0,
                            rows: 0,
                            total_us: 0,
                            // 1 µs to an hour at 3 significant figures: the bounds are
                            // constants, so creating it cannot fail.
                            latency_us: Histogram::new_with_bounds(1, 3_600_000_000, 3)
                                .unwrap_or_else(|_| Histogram::new(3).expect("3 figures")),
                        });
                        state.by_fingerprint.insert(fp, i);
                        i
                    }
                };
                if state.by_text.len() < TEXT_CACHE {
                    state.by_text.insert(sql.into(), i);
                }
                i
            }
        };
        let e = &mut state.entries[index];
        e.count += 1;
        e.errors += u64::from(failed);
        e.rows += rows.unwrap_or(0);
        e.total_us += micros;
        e.latency_us.saturating_record(micros.max(1));
    }

    /// Every fingerprint's statistics, most total time first.
    pub fn stats(&self) -> Vec<StatementStats> {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let ms = |us: u64| us as f64 / 1000.0;
        let mut out: Vec<StatementStats> = state
            .entries
            .iter()
            .map(|e| StatementStats {
                fingerprint: e.fingerprint.clone(),
                count: e.count,
                errors: e.errors,
                rows: e.rows,
                total_ms: ms(e.total_us),
                p50_ms: ms(e.latency_us.value_at_quantile(0.50)),
                p95_ms: ms(e.latency_us.value_at_quantile(0.95)),
                p99_ms: ms(e.latency_us.value_at_quantile(0.99)),
                max_ms: ms(e.latency_us.max()),
                example: e.example.clone(),
                example_params: e.example_params,
            })
            .collect();
        out.sort_by(|a, b| b.total_ms.total_cmp(&a.total_ms));
        out
    }

    /// Forgets everything recorded.
    pub fn reset(&self) {
        *self.state.lock().unwrap_or_else(|e| e.into_inner()) = State::default();
    }
}

impl StatementHook for ClientMetrics {
    fn after(&self, event: &StatementEvent<'_>, outcome: &StatementOutcome<'_>) {
        self.record(
            event.sql,
            event.params,
            u64::try_from(outcome.duration.as_micros()).unwrap_or(u64::MAX),
            outcome.rows,
            outcome.error.is_some(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_group_by_fingerprint_with_percentiles() {
        let m = ClientMetrics::default();
        for i in 1..=100u64 {
            m.record(
                &format!("SELECT * FROM t WHERE id = {i}"),
                0,
                i * 10,
                None,
                false,
            );
        }
        m.record("DELETE FROM t WHERE id = 1", 0, 5, Some(1), true);
        let s = m.stats();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].fingerprint, "SELECT * FROM t WHERE id = ?");
        assert_eq!(s[0].count, 100);
        assert!((s[0].p50_ms - 0.5).abs() < 0.01, "{}", s[0].p50_ms);
        assert!((s[0].max_ms - 1.0).abs() < 0.01, "{}", s[0].max_ms);
        assert_eq!((s[1].errors, s[1].rows), (1, 1));
    }
}
