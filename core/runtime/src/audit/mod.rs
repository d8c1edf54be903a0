//! Security audit: rule sets from plugins run against a connection or statements
//! ([`audit_connection`], [`audit_statements`], [`lint_migrations`]), the statement guard
//! ([`Guard`]), the server's own audit log, and the outputs CI reads (text, JSON, SARIF,
//! with a [`Baseline`] of accepted findings).

mod baseline;
pub mod config;
mod finding;
mod fingerprint;
mod guard;
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
pub use report::{NotRun, Report, JSON_FORMAT_VERSION};
pub use rule_set::{AuditTargetInfo, RuleSet, ServerLogRecord, Statement};
pub use run::{audit_connection, audit_statements, lint_migrations, rules, split, AuditOptions};
pub use sarif::{sarif_level, SARIF_FINGERPRINT_KEY, SARIF_SCHEMA, SARIF_VERSION};
pub use server_log::{configure_server_log, server_log};
