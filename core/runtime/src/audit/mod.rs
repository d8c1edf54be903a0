//! Security audit: rule sets from plugins run against a connection or statements
//! ([`audit_connection`], [`audit_statements`], [`lint_migrations`]), the statement guard
//! ([`Guard`]), the server's own audit log, the outputs CI reads (text, JSON, SARIF, with a
//! [`Baseline`] of accepted findings), and the tamper-evident log of the statements myrmex
//! runs ([`log`]).

mod baseline;
pub mod config;
mod finding;
mod fingerprint;
mod guard;
pub mod log;
mod report;
mod rule_set;
mod run;
mod sarif;
mod server_log;

pub use baseline::{Baseline, BaselineEntry, BASELINE_VERSION};
pub use config::{Action, AuditConfig, GuardConfig, LogConfig};
pub use finding::{Finding, Location, RuleDescription, Severity, Target};
pub use fingerprint::fingerprint;
pub use guard::{Guard, WarnFn};
pub use log::{
    generate_keypair, redact_statement, verify_log, AuditLog, LogEntry, LogOptions, Outcome,
    StatementLog, VerifyOptions, VerifyReport,
};
pub use report::{NotRun, Report, JSON_FORMAT_VERSION};
pub use rule_set::{AuditTargetInfo, RuleSet, ServerLogRecord, Statement};
pub use run::{audit_connection, audit_statements, lint_migrations, rules, split, AuditOptions};
pub use sarif::{sarif_level, SARIF_FINGERPRINT_KEY, SARIF_SCHEMA, SARIF_VERSION};
pub use server_log::{configure_server_log, server_log};
