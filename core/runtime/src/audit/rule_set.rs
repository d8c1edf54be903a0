//! [`RuleSet`]: an audit rule set opened from a plugin, and the conversion of what crosses
//! the contract into the host's [`Finding`]s.

use super::{Finding, Location, RuleDescription, Severity, Target};
use crate::plugin::Registry;
use crate::{DatabaseConnection, Error, Result};
use myrmex_abi::{
    self as abi, AuditContext, AuditLogRequest, AuditRuleSetBox, AuditStatement, AuditTarget,
    RSlice, RStr, SourceLocation,
};
use serde::Serialize;
use std::fmt;

/// A statement to check, with where it was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// One statement's SQL.
    pub sql: String,
    /// The file and line it starts on, when read from a file.
    pub location: Option<Location>,
}

/// What a rule set is told about the database it examines.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditTargetInfo {
    /// The driver's name; empty when no engine was named.
    pub driver: String,
    /// The dialect's name; empty when unknown.
    pub dialect: String,
    /// The server version; empty when unknown.
    pub server_version: String,
    /// The URL without password; empty when there is no connection.
    pub url: String,
}

impl AuditTargetInfo {
    /// What a connection tells about itself (asking its dialect and server version).
    pub fn of(conn: &mut DatabaseConnection) -> Result<AuditTargetInfo> {
        Ok(AuditTargetInfo {
            driver: conn.driver_name().to_string(),
            dialect: conn.dialect()?.name.to_string(),
            server_version: conn.server_info()?.version.to_string(),
            url: conn.url(),
        })
    }

    /// Only a driver's name (statements checked without a connection).
    pub fn driver(driver: &str) -> AuditTargetInfo {
        AuditTargetInfo {
            driver: driver.to_string(),
            ..AuditTargetInfo::default()
        }
    }
}

/// One entry of a server's own audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServerLogRecord {
    /// When (RFC 3339).
    pub time: String,
    /// The database user.
    pub user: String,
    /// Where the session came from.
    pub client: String,
    /// The database.
    pub database: String,
    /// The kind of event (`READ`, `WRITE`, `DDL`, `QUERY`, `CONNECT`).
    pub class: String,
    /// The statement as the server logged it.
    pub statement: String,
    /// `ok` or the server's error.
    pub outcome: String,
    /// Which log it came from.
    pub source: String,
}

/// An audit rule set opened from a plugin.
pub struct RuleSet {
    name: String,
    drivers: Vec<String>,
    settings: String,
    inner: AuditRuleSetBox,
}

impl fmt::Debug for RuleSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RuleSet({})", self.name)
    }
}

impl RuleSet {
    /// Opens the rule set `name`; `settings` is JSON (empty for none), handed to each check.
    pub fn open(registry: &Registry, name: &str, settings: &str) -> Result<RuleSet> {
        let drivers = registry
            .capabilities_of(abi::CapabilityKind::AUDIT)
            .into_iter()
            .find(|c| c.name == name)
            .map(|c| c.schemes)
            .unwrap_or_default();
        Ok(RuleSet {
            name: name.to_string(),
            drivers,
            settings: settings.to_string(),
            inner: registry.open_audit(name, settings)?,
        })
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// True when it examines connections of `driver` (a rule set naming no driver examines
    /// every driver's).
    pub fn applies_to(&self, driver: &str) -> bool {
        self.drivers.is_empty() || self.drivers.iter().any(|d| d == driver)
    }

    /// Its rules.
    pub fn rules(&self) -> Vec<RuleDescription> {
        self.inner
            .rules()
            .into_iter()
            .map(|r| RuleDescription {
                id: r.id.to_string(),
                rule_set: self.name.clone(),
                severity: severity(r.severity),
                target: if r.target == AuditTarget::STATEMENTS {
                    Target::Statements
                } else {
                    Target::Connection
                },
                summary: r.summary.to_string(),
                remedy: r.remedy.to_string(),
            })
            .collect()
    }

    /// True when one of its rules examines statements.
    pub fn checks_statements(&self) -> bool {
        self.rules().iter().any(|r| r.target == Target::Statements)
    }

    /// True when one of its rules examines a connection.
    pub fn checks_connections(&self) -> bool {
        self.rules().iter().any(|r| r.target == Target::Connection)
    }

    fn context(&self, target: &AuditTargetInfo) -> AuditContext {
        AuditContext {
            driver: target.driver.as_str().into(),
            dialect: target.dialect.as_str().into(),
            server_version: target.server_version.as_str().into(),
            url: target.url.as_str().into(),
            settings: self.settings.as_str().into(),
            extensions: Default::default(),
        }
    }

    fn failed(&self, source: abi::PluginError) -> Error {
        Error::Capability {
            kind: "audit".into(),
            name: self.name.clone(),
            source: Box::new(source),
        }
    }

    /// Examines a live connection.
    pub fn check_connection(&self, conn: &mut DatabaseConnection) -> Result<Vec<Finding>> {
        let target = AuditTargetInfo::of(conn)?;
        let context = self.context(&target);
        let found = conn
            .lend(|c| self.inner.check_connection(c, &context))?
            .into_result()
            .map_err(|e| self.failed(e))?;
        Ok(found.into_iter().map(|f| self.finding(f)).collect())
    }

    /// Examines statements meant for `target`; `conn`, when given, reaches that database.
    pub fn check_statements(
        &self,
        statements: &[Statement],
        target: &AuditTargetInfo,
        conn: Option<&mut DatabaseConnection>,
    ) -> Result<Vec<Finding>> {
        let context = self.context(target);
        let statements: Vec<AuditStatement> = statements
            .iter()
            .map(|s| AuditStatement {
                sql: s.sql.as_str().into(),
                location: s
                    .location
                    .as_ref()
                    .map(|l| SourceLocation {
                        file: l.file.as_str().into(),
                        line: l.line,
                        column: l.column,
                    })
                    .into(),
                extensions: Default::default(),
            })
            .collect();
        let found = match conn {
            Some(conn) => conn.lend(|c| {
                self.inner.check_statements(
                    RSlice::from_slice(&statements),
                    &context,
                    abi::ROption::RSome(c),
                )
            })?,
            None => self.inner.check_statements(
                RSlice::from_slice(&statements),
                &context,
                abi::ROption::RNone,
            ),
        }
        .into_result()
        .map_err(|e| self.failed(e))?;
        Ok(found.into_iter().map(|f| self.finding(f)).collect())
    }

    /// Switches the server's own audit log on; the statements it ran.
    pub fn configure_server_log(
        &self,
        conn: &mut DatabaseConnection,
        settings: &str,
    ) -> Result<Vec<String>> {
        let ran = conn
            .lend(|c| self.inner.configure_server_log(c, RStr::from_str(settings)))?
            .into_result()
            .map_err(|e| self.failed(e))?;
        Ok(ran.into_iter().map(String::from).collect())
    }

    /// Reads the server's own audit log: entries at or after `since` (RFC 3339; empty for
    /// all), at most `limit` of the newest (0: all).
    pub fn server_log(
        &self,
        conn: &mut DatabaseConnection,
        since: &str,
        limit: u32,
    ) -> Result<Vec<ServerLogRecord>> {
        let request = AuditLogRequest {
            since: since.into(),
            limit,
            extensions: Default::default(),
        };
        let records = conn
            .lend(|c| self.inner.server_log(c, &request))?
            .into_result()
            .map_err(|e| self.failed(e))?;
        Ok(records
            .into_iter()
            .map(|r| ServerLogRecord {
                time: r.time.into(),
                user: r.user.into(),
                client: r.client.into(),
                database: r.database.into(),
                class: r.class.into(),
                statement: r.statement.into(),
                outcome: r.outcome.into(),
                source: r.source.into(),
            })
            .collect())
    }

    fn finding(&self, f: abi::AuditFinding) -> Finding {
        Finding {
            rule: f.rule.into(),
            rule_set: self.name.clone(),
            severity: severity(f.severity),
            object: f.object.into(),
            message: f.message.into(),
            remedy: f.remedy.into(),
            location: f.location.into_option().map(|l| Location {
                file: l.file.into(),
                line: l.line,
                column: l.column,
            }),
        }
    }
}

/// The host's severity for one that crossed the contract; a number this host does not know
/// is taken as the nearest it does.
fn severity(s: abi::Severity) -> Severity {
    match s.0 {
        0 | 1 => Severity::Info,
        2 => Severity::Low,
        3 => Severity::Medium,
        4 => Severity::High,
        _ => Severity::Critical,
    }
}
