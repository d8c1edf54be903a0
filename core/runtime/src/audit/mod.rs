//! Security audit: rule sets from plugins run against a connection or statements, their
//! findings, and the outputs CI reads.

mod baseline;
mod finding;
mod fingerprint;
mod report;
mod sarif;

pub use baseline::{Baseline, BaselineEntry, BASELINE_VERSION};
pub use finding::{Finding, Location, RuleDescription, Severity, Target};
pub use fingerprint::fingerprint;
pub use report::{NotRun, Report, JSON_FORMAT_VERSION};
pub use sarif::{sarif_level, SARIF_FINGERPRINT_KEY, SARIF_SCHEMA, SARIF_VERSION};
