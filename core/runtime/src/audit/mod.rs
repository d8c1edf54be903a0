//! Security audit: rule sets from plugins run against a connection or statements, their
//! findings, and the outputs CI reads.

mod finding;

pub use finding::{Finding, Location, RuleDescription, Severity, Target};
