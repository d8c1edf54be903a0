//! Security audit: rule sets from plugins run against a connection or statements
//! ([`audit_connection`], [`audit_statements`], [`lint_migrations`]), the statement guard
//! ([`Guard`]) and the outputs CI reads.

pub mod config;
mod finding;
mod guard;
mod report;
mod rule_set;
mod run;
mod server_log;

pub use config::{Action, AuditConfig, GuardConfig, LogConfig};
pub use finding::{Finding, Location, RuleDescription, Severity, Target};
pub use guard::{Guard, WarnFn};
pub use report::{NotRun, Report};
pub use rule_set::{AuditTargetInfo, RuleSet, ServerLogRecord, Statement};
pub use server_log::{configure_server_log, server_log};
pub use run::{audit_connection, audit_statements, lint_migrations, split, AuditOptions};
