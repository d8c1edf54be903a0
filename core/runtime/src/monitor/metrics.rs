//! [`monitor_database`]: samples a connection's server statistics over time, turns counters
//! into rates, and adds the client's own statement metrics.

use super::client::{ClientMetrics, StatementStats};
use super::snapshot::Snapshot;
use crate::{DatabaseConnection, ErrorKind, Result};
use serde::Serialize;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// A counter's rate over the sampling window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rate {
    /// The counter's name (`transactions_committed_total`).
    pub name: String,
    /// Its labels.
    pub labels: Vec<(String, String)>,
    /// Increase per second.
    pub per_second: f64,
}

/// What [`monitor_database`] measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DatabaseMetrics {
    /// The connection's name.
    pub connection: String,
    /// Its URL without password.
    pub url: String,
    /// Snapshots taken.
    pub samples: u32,
    /// Seconds between the first and the last.
    pub seconds: f64,
    /// The last snapshot of the server's statistics (empty when the driver reads none: see
    /// `notes`).
    pub server: Snapshot,
    /// Counters as rates over the window (empty with one sample).
    pub rates: Vec<Rate>,
    /// The client's statement metrics (everything this process ran).
    pub client: Vec<StatementStats>,
    /// The process's connection pools: checkouts, waits and timeouts.
    pub pools: Vec<super::pools::PoolClientStats>,
    /// What could not be measured and why.
    pub notes: Vec<String>,
}

impl DatabaseMetrics {
    /// The rate of counter `name` without labels, per second.
    pub fn rate(&self, name: &str) -> Option<f64> {
        self.rates
            .iter()
            .find(|r| r.name == name && r.labels.is_empty())
            .map(|r| r.per_second)
    }
}

/// Takes `samples` snapshots of `conn`'s server statistics, `interval` apart, and returns
/// the last one with the rates of its counters and the client's statement metrics. A driver
/// that reads no statistics gives a note, not an error.
pub fn monitor_database(
    conn: &mut DatabaseConnection,
    samples: u32,
    interval: Duration,
) -> Result<DatabaseMetrics> {
    let samples = samples.max(1);
    let mut notes = Vec::new();
    let mut first: Option<(Instant, Snapshot)> = None;
    let mut last: Option<(Instant, Snapshot)> = None;
    for i in 0..samples {
        if i > 0 {
            std::thread::sleep(interval);
        }
        let snap = match conn.metrics() {
            Ok(s) => s,
            Err(e)
                if e.plugin_error()
                    .is_some_and(|p| p.kind == ErrorKind::UNSUPPORTED) =>
            {
                notes.push(format!(
                    "{}: the driver reads no server statistics: {}",
                    conn.driver_name(),
                    e.plugin_error()
                        .map_or(String::new(), |p| p.message.to_string())
                ));
                break;
            }
            Err(e) => return Err(e),
        };
        let now = Instant::now();
        if first.is_none() {
            first = Some((now, snap.clone()));
        }
        last = Some((now, snap));
    }
    let (rates, seconds) = match (&first, &last) {
        (Some((t0, a)), Some((t1, b))) if t1 > t0 => {
            let secs = (*t1 - *t0).as_secs_f64();
            (rates(a, b, secs), secs)
        }
        _ => (Vec::new(), 0.0),
    };
    let server = last.map(|(_, s)| s).unwrap_or_default();
    notes.extend(server.notes.iter().cloned());
    Ok(DatabaseMetrics {
        connection: conn.name.clone(),
        url: conn.url(),
        samples,
        seconds,
        server,
        rates,
        client: ClientMetrics::global().stats(),
        pools: super::pools::pool_stats(),
        notes,
    })
}

/// The rates of the counters present in both snapshots. A counter that went down (the
/// server restarted or its statistics were reset) has no rate.
fn rates(a: &Snapshot, b: &Snapshot, seconds: f64) -> Vec<Rate> {
    let before: HashMap<String, f64> = a
        .samples
        .iter()
        .filter(|s| s.is_counter())
        .map(|s| (s.key(), s.value))
        .collect();
    b.samples
        .iter()
        .filter(|s| s.is_counter())
        .filter_map(|s| {
            let v0 = *before.get(&s.key())?;
            (s.value >= v0).then(|| Rate {
                name: s.name.clone(),
                labels: s.labels.clone(),
                per_second: (s.value - v0) / seconds,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::snapshot::Sample;
    use super::*;

    fn snap(v: f64) -> Snapshot {
        Snapshot {
            samples: vec![
                Sample {
                    name: "transactions_committed_total".into(),
                    help: String::new(),
                    kind: "counter",
                    labels: vec![],
                    value: v,
                },
                Sample {
                    name: "connections".into(),
                    help: String::new(),
                    kind: "gauge",
                    labels: vec![],
                    value: 3.0,
                },
            ],
            ..Snapshot::default()
        }
    }

    #[test]
    fn counters_become_rates_and_resets_are_skipped() {
        let r = rates(&snap(100.0), &snap(300.0), 2.0);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].per_second, 100.0);
        assert!(rates(&snap(300.0), &snap(100.0), 2.0).is_empty());
    }
}
