//! Building what a driver answers for monitoring and tuning: a [`Snapshot`] of the server's
//! statistics and [`Advice`], in plain Rust.

use crate::Value;
use myrmex_abi::{
    self as abi, MetricKind, MetricSample, MetricTable, MetricsSnapshot, RString, RVec, Tuple2,
    ValueNE,
};

/// The server's statistics at one instant, as a driver collects them.
///
/// ```
/// use myrmex_plugin::monitor::Snapshot;
/// use myrmex_plugin::Value;
/// let mut s = Snapshot::default();
/// s.gauge("connections", "Sessions by state.", &[("state", "active")], 3.0);
/// s.counter("transactions_committed_total", "Transactions committed.", &[], 1204.0);
/// s.table("tables", &["table", "bytes"], vec![vec![Value::from("t"), Value::Int(8192)]]);
/// s.note("pg_stat_statements is not loaded: add it to shared_preload_libraries");
/// let abi = s.into_abi();
/// assert_eq!(abi.samples.len(), 2);
/// assert_eq!(abi.tables[0].rows.len(), 2);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    samples: Vec<MetricSample>,
    tables: Vec<MetricTable>,
    notes: Vec<String>,
}

impl Snapshot {
    fn sample(
        &mut self,
        kind: MetricKind,
        name: &str,
        help: &str,
        labels: &[(&str, &str)],
        value: f64,
    ) {
        self.samples.push(MetricSample {
            name: name.into(),
            help: help.into(),
            kind,
            labels: labels
                .iter()
                .map(|(k, v)| Tuple2(RString::from(*k), RString::from(*v)))
                .collect(),
            value,
            extensions: RVec::new(),
        });
    }

    /// Adds a value that goes up and down.
    pub fn gauge(&mut self, name: &str, help: &str, labels: &[(&str, &str)], value: f64) {
        self.sample(MetricKind::GAUGE, name, help, labels, value);
    }

    /// Adds a value that only grows while the server runs (name it `…_total`).
    pub fn counter(&mut self, name: &str, help: &str, labels: &[(&str, &str)], value: f64) {
        self.sample(MetricKind::COUNTER, name, help, labels, value);
    }

    /// Adds a table (`top_statements`, `long_running`, `blocking`, `tables`, `indexes`).
    pub fn table(&mut self, name: &str, columns: &[&str], rows: Vec<Vec<Value>>) {
        self.tables.push(MetricTable {
            name: name.into(),
            columns: columns.iter().map(|c| RString::from(*c)).collect(),
            rows: rows.into_iter().flatten().map(ValueNE::from).collect(),
            extensions: RVec::new(),
        });
    }

    /// Says what could not be read and how to enable it.
    pub fn note(&mut self, line: impl Into<String>) {
        self.notes.push(line.into());
    }

    /// The snapshot as it crosses the contract.
    pub fn into_abi(self) -> MetricsSnapshot {
        MetricsSnapshot {
            samples: self.samples.into(),
            tables: self.tables.into(),
            notes: self.notes.into_iter().map(RString::from).collect(),
            extensions: RVec::new(),
        }
    }
}

/// One piece of tuning advice.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Advice {
    /// `missing-index`, `duplicate-index`, `unused-index`, `stale-statistics`, `bloat`,
    /// `configuration`, `optimize`.
    pub kind: String,
    /// What it is about.
    pub object: String,
    /// What to do.
    pub message: String,
    /// What was measured.
    pub evidence: String,
    /// The gain to expect.
    pub expected_gain: String,
    /// What could go wrong.
    pub risk: String,
    /// The statements that apply it (empty: advice for a person).
    pub statements: Vec<String>,
    /// True when applying it blocks no writes and changes no data.
    pub safe: bool,
}

impl Advice {
    /// The advice as it crosses the contract.
    pub fn into_abi(self) -> abi::Recommendation {
        abi::Recommendation {
            kind: self.kind.into(),
            object: self.object.into(),
            message: self.message.into(),
            evidence: self.evidence.into(),
            expected_gain: self.expected_gain.into(),
            risk: self.risk.into(),
            statements: self.statements.into_iter().map(RString::from).collect(),
            safe: self.safe,
            extensions: RVec::new(),
        }
    }
}

/// What the host asks advice for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AdviceRequest {
    /// Statements the client ran, most frequent first.
    pub workload: Vec<String>,
    /// The machine's memory in bytes (0: unknown).
    pub memory_bytes: u64,
    /// The machine's cores (0: unknown).
    pub cores: u32,
}

impl AdviceRequest {
    /// The request as it crossed the contract.
    pub fn from_abi(r: &abi::AdviceRequest) -> Self {
        AdviceRequest {
            workload: r.workload.iter().map(|s| s.to_string()).collect(),
            memory_bytes: r.memory_bytes,
            cores: r.cores,
        }
    }
}
