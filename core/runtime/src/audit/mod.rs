//! Security audit: rule sets from plugins run against a connection or statements, their
//! findings, and the outputs CI reads; and the tamper-evident log of the statements myrmex
//! runs ([`log`]).

mod finding;
pub mod log;

pub use finding::{Finding, Location, RuleDescription, Severity, Target};
pub use log::{
    redact_statement, verify_log, AuditLog, LogEntry, LogOptions, Outcome, VerifyOptions,
    VerifyReport,
};
