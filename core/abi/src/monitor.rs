//! Monitoring and tuning, as a driver answers them (contract 2.3): a snapshot of the
//! server's statistics ([`MetricsSnapshot`]) and recommendations with their evidence
//! ([`Recommendation`]). Every engine's statistics views and catalogs stay in its driver.

use crate::{Extensions, ValueNE};
use abi_stable::std_types::{RString, RVec, Tuple2};
use abi_stable::StableAbi;
use std::fmt;

/// How a sample's value behaves, as an open set.
#[repr(transparent)]
#[derive(StableAbi, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MetricKind(pub u8);

impl MetricKind {
    /// A value that goes up and down (connections now, bytes of a table).
    pub const GAUGE: Self = Self(1);
    /// A value that only grows while the server runs (transactions committed, blocks read):
    /// the host turns two samples into a rate.
    pub const COUNTER: Self = Self(2);

    /// `gauge`, `counter` or `other`.
    pub fn name(self) -> &'static str {
        match self {
            Self::GAUGE => "gauge",
            Self::COUNTER => "counter",
            _ => "other",
        }
    }
}

impl fmt::Debug for MetricKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One number of a snapshot, named the Prometheus way (`snake_case`, base units, counters
/// ending in `_total`), with labels (`state="idle"`, `table="public.orders"`).
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq)]
pub struct MetricSample {
    /// The metric's name without the exporter's prefix (`connections`,
    /// `transactions_committed_total`, `cache_hit_ratio`, `table_size_bytes`).
    pub name: RString,
    /// One line saying what it measures.
    pub help: RString,
    /// Gauge or counter.
    pub kind: MetricKind,
    /// Label names and values.
    pub labels: RVec<Tuple2<RString, RString>>,
    /// The value.
    pub value: f64,
    /// Facts a later contract adds.
    pub extensions: Extensions,
}

/// A table of a snapshot: top statements, long-running queries, blocked sessions, table and
/// index sizes.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq)]
pub struct MetricTable {
    /// Its name (`top_statements`, `long_running`, `blocking`, `tables`, `indexes`).
    pub name: RString,
    /// Column names.
    pub columns: RVec<RString>,
    /// The values, row by row (`columns.len()` per row).
    pub rows: RVec<ValueNE>,
    /// Facts a later contract adds.
    pub extensions: Extensions,
}

/// What a driver reads from its server's statistics at one instant.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq)]
pub struct MetricsSnapshot {
    /// The numbers.
    pub samples: RVec<MetricSample>,
    /// The tables.
    pub tables: RVec<MetricTable>,
    /// What could not be read and how to enable it, one line each
    /// (`pg_stat_statements is not loaded: …`).
    pub notes: RVec<RString>,
    /// Facts a later contract adds.
    pub extensions: Extensions,
}

/// What [`crate::Connection::advise`] is asked.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq, Default)]
pub struct AdviceRequest {
    /// Statements the client ran, most frequent first (one example per fingerprint), for
    /// the driver to weigh with the server's own statistics.
    pub workload: RVec<RString>,
    /// The machine's memory in bytes (0: unknown), for configuration hints.
    pub memory_bytes: u64,
    /// The machine's cores (0: unknown).
    pub cores: u32,
    /// Facts a later contract adds.
    pub extensions: Extensions,
}

/// One piece of tuning advice, with why it is given and what it would do.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq)]
pub struct Recommendation {
    /// Its kind (`missing-index`, `duplicate-index`, `unused-index`, `stale-statistics`,
    /// `bloat`, `configuration`, `optimize`).
    pub kind: RString,
    /// What it is about (`public.orders`, `setting shared_buffers`).
    pub object: RString,
    /// What to do, in one sentence.
    pub message: RString,
    /// What was measured (`seq scans: 1,204; EXPLAIN cost 4,210 → 8.4 with the index`).
    pub evidence: RString,
    /// The gain to expect.
    pub expected_gain: RString,
    /// What could go wrong.
    pub risk: RString,
    /// The statements that apply it (empty: advice for a person, such as a setting).
    pub statements: RVec<RString>,
    /// True when applying it takes no lock that blocks writes and changes no data
    /// (`CREATE INDEX CONCURRENTLY`, `ANALYZE`): `optimize_database(db, #{apply: true})`
    /// applies only these.
    pub safe: bool,
    /// Facts a later contract adds.
    pub extensions: Extensions,
}
