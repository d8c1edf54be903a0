//! Monitoring and tuning: the server's statistics as its driver reads them ([`Snapshot`]),
//! the client's own statement metrics ([`ClientMetrics`]), both over time
//! ([`monitor_database`] → [`DatabaseMetrics`]), the Prometheus text format
//! ([`prometheus`]), and advice with its evidence ([`optimize_database`]).

mod client;
mod fingerprint;
mod metrics;
mod optimize;
mod pools;
pub mod prometheus;
mod snapshot;

pub use client::{ClientMetrics, StatementStats};
pub use fingerprint::fingerprint;
pub use metrics::{monitor_database, DatabaseMetrics, Rate};
pub use optimize::{optimize_database, Applied, OptimizeOptions, OptimizeReport};
pub(crate) use pools::pool_event;
pub use pools::{pool_stats, PoolClientStats};
pub use snapshot::{Recommendation, Sample, Snapshot, Table};
