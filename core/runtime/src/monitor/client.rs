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

/// Longest statement text remembered that way (a bulk INSERT is fingerprinted each time
/// rather than kept).
const TEXT_CACHE_BYTES: usize = 1024;

/// Distinct fingerprints followed one by one; statements of any further ones are counted
/// together as [`OTHER`], so that a script generating statements (a table per day, a dump
/// of a schema) cannot make the collector grow without bound.
pub const MAX_FINGERPRINTS: usize = 1000;

/// The fingerprint under which statements beyond [`MAX_FINGERPRINTS`] are counted.
pub const OTHER: &str = "(other statements)";

/// Longest fingerprint kept: statements whose fingerprints agree this far count as one (a
/// multi-row INSERT of thousands of rows has a fingerprint as long as itself).
const FINGERPRINT_BYTES: usize = 4096;

/// Longest statement kept as an entry's example (a longer one is not kept: it would only
/// be explained, and an explanation of a bulk statement is not worth its memory).
const EXAMPLE_BYTES: usize = 16 * 1024;

/// Latency histograms: 1 µs to an hour at 2 significant figures (within 1%), with 32-bit
/// counts, about 13 KiB each.
fn histogram() -> Histogram<u32> {
    // The bounds are constants, so creating it cannot fail.
    Histogram::new_with_bounds(1, 3_600_000_000, 2)
        .unwrap_or_else(|_| Histogram::new(2).expect("2 figures"))
}

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
    latency_us: Histogram<u32>,
}

#[derive(Default)]
struct State {
    entries: Vec<Entry>,
    by_fingerprint: HashMap<String, usize>,
    by_text: HashMap<Box<str>, usize>,
    /// The entry of [`OTHER`], once there is one.
    other: Option<usize>,
    /// The last statement text recorded and its entry: a loop running one statement finds
    /// it by comparing bytes, without hashing the text.
    last: Option<(Box<str>, usize)>,
}

impl State {
    fn push(&mut self, fingerprint: String, sql: &str, params: usize) -> usize {
        let i = self.entries.len();
        let keep = sql.len() <= EXAMPLE_BYTES;
        self.entries.push(Entry {
            fingerprint,
            example: if keep { sql.to_string() } else { String::new() },
            example_params: params,
            count: 0,
            errors: 0,
            rows: 0,
            total_us: 0,
            latency_us: histogram(),
        });
        i
    }
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
        let last = state
            .last
            .as_ref()
            .filter(|(text, _)| **text == *sql)
            .map(|(_, i)| *i);
        let index = match last.or_else(|| state.by_text.get(sql).copied()) {
            Some(i) => i,
            None => {
                let fp = bounded(fingerprint(sql));
                let i = match state.by_fingerprint.get(&fp) {
                    Some(&i) => i,
                    None if state.by_fingerprint.len() >= MAX_FINGERPRINTS => match state.other {
                        Some(i) => i,
                        None => {
                            let i = state.push(OTHER.to_string(), "", 0);
                            state.other = Some(i);
                            i
                        }
                    },
                    None => {
                        let i = state.push(fp.clone(), sql, params);
                        state.by_fingerprint.insert(fp, i);
                        i
                    }
                };
                if state.by_text.len() < TEXT_CACHE && sql.len() <= TEXT_CACHE_BYTES {
                    state.by_text.insert(sql.into(), i);
                }
                i
            }
        };
        if last.is_none() && sql.len() <= TEXT_CACHE_BYTES {
            state.last = Some((sql.into(), index));
        }
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

/// `fp` cut to [`FINGERPRINT_BYTES`] (at a character boundary), marked with `…` when cut.
fn bounded(mut fp: String) -> String {
    if fp.len() > FINGERPRINT_BYTES {
        let mut end = FINGERPRINT_BYTES;
        while !fp.is_char_boundary(end) {
            end -= 1;
        }
        fp.truncate(end);
        fp.push('…');
    }
    fp
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

    #[test]
    fn fingerprints_beyond_the_limit_are_counted_together() {
        let m = ClientMetrics::default();
        for i in 0..MAX_FINGERPRINTS + 50 {
            m.record(&format!("CREATE TABLE t{i}(a)"), 0, 10, None, false);
        }
        m.record("CREATE TABLE t0(a)", 0, 10, None, false);
        let s = m.stats();
        assert_eq!(s.len(), MAX_FINGERPRINTS + 1);
        let other = s.iter().find(|x| x.fingerprint == OTHER).expect("other");
        assert_eq!(other.count, 50);
        let first = s.iter().find(|x| x.fingerprint == "CREATE TABLE t0(a)");
        assert_eq!(first.map(|x| x.count), Some(2));
        let state = m.state.lock().expect("not poisoned");
        // Each histogram is small: the whole collector stays within a few megabytes.
        let bytes: usize = state
            .entries
            .iter()
            .map(|e| e.latency_us.distinct_values() * std::mem::size_of::<u32>())
            .sum();
        assert!(bytes < 16 << 20, "{bytes} bytes of histograms");
    }

    #[test]
    fn long_statements_are_neither_cached_nor_kept_as_examples() {
        let m = ClientMetrics::default();
        let numbers: Vec<String> = (0..10_000).map(|i| i.to_string()).collect();
        let long = format!("SELECT * FROM t WHERE id IN ({})", numbers.join(", "));
        m.record(&long, 0, 10, None, false);
        m.record(&long, 0, 10, None, false);
        let s = m.stats();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].fingerprint, "SELECT * FROM t WHERE id IN (?…)");
        assert_eq!(s[0].count, 2);
        assert!(s[0].example.is_empty());
        assert!(m.state.lock().expect("not poisoned").by_text.is_empty());
    }

    #[test]
    fn fingerprints_are_bounded() {
        let m = ClientMetrics::default();
        for rows in [5_000, 6_000] {
            let sql = format!("INSERT INTO t VALUES {}", vec!["(1)"; rows].join(", "));
            m.record(&sql, 0, 10, Some(rows as u64), false);
        }
        let s = m.stats();
        assert_eq!(
            s.len(),
            1,
            "both agree in their first {FINGERPRINT_BYTES} bytes"
        );
        assert_eq!(s[0].count, 2);
        assert!(s[0].fingerprint.len() <= FINGERPRINT_BYTES + '…'.len_utf8());
        assert!(s[0].fingerprint.ends_with('…'));
        assert_eq!(bounded("é".repeat(3000)).chars().count(), 2049);
    }
}
