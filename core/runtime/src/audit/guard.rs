//! The statement guard: a [`StatementHook`] that runs the statement rule sets before a
//! statement reaches the server and refuses what breaks a rule at `deny` level.

use super::config::{Action, GuardConfig};
use super::log::redact_statement;
use super::rule_set::{AuditTargetInfo, RuleSet, Statement};
use super::run::split;
use super::{Finding, Location};
use crate::error::{abbreviate, GuardRefusal};
use crate::hook::{MigrationEvent, StatementEvent, StatementHook};
use crate::plugin::Registry;
use crate::sql::{tokens, Flavor, TokenKind};
use crate::{Error, Result};
use std::collections::BTreeMap;

/// Called with each finding the guard lets through with a warning.
pub type WarnFn = Box<dyn Fn(&StatementEvent<'_>, &Finding) + Send + Sync>;

/// Checks statements before they run.
pub struct Guard {
    sets: Vec<RuleSet>,
    config: GuardConfig,
    allowed: Vec<String>,
    warn: WarnFn,
}

impl Guard {
    /// Opens the rule sets of `config` (every loaded one with statement rules when it names
    /// none) with their `settings` (JSON per rule set).
    pub fn open(
        registry: &Registry,
        config: GuardConfig,
        settings: &BTreeMap<String, String>,
        warn: WarnFn,
    ) -> Result<Guard> {
        let names = if config.rule_sets.is_empty() {
            registry.names_of(myrmex_abi::CapabilityKind::AUDIT)
        } else {
            config.rule_sets.clone()
        };
        let mut sets = Vec::new();
        for name in names {
            let set = RuleSet::open(
                registry,
                &name,
                settings.get(&name).map_or("", String::as_str),
            )?;
            if set.checks_statements() {
                sets.push(set);
            } else if !config.rule_sets.is_empty() {
                return Err(Error::AuditNotApplicable {
                    name,
                    reason: "it has no rules for statements".into(),
                });
            }
        }
        Ok(Guard {
            sets,
            config,
            allowed: Vec::new(),
            warn,
        })
    }

    /// Lets `rule` (`rule` or `rule_set/rule`) through for every statement, as
    /// `--allow RULE` does.
    pub fn allow(&mut self, rule: impl Into<String>) {
        self.allowed.push(rule.into());
    }

    /// The rule sets it runs.
    pub fn rule_sets(&self) -> Vec<&str> {
        self.sets.iter().map(RuleSet::name).collect()
    }

    fn is_allowed(&self, f: &Finding, sql: &str) -> bool {
        let full = format!("{}/{}", f.rule_set, f.rule);
        self.allowed.iter().any(|a| *a == f.rule || *a == full)
            || allowed_in_comments(sql)
                .iter()
                .any(|a| *a == f.rule || *a == full)
    }
}

/// The rules a statement's comments allow: `-- myrmex:allow RULE[, RULE…]` or the same in a
/// block comment.
fn allowed_in_comments(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    for t in tokens(sql, Flavor::Generic) {
        if !matches!(t.kind, TokenKind::LineComment | TokenKind::BlockComment) {
            continue;
        }
        let text = t
            .text
            .trim_start_matches(['-', '#', '/', '*'])
            .trim_end_matches(['*', '/']);
        let Some(rest) = text.trim().strip_prefix("myrmex:allow") else {
            continue;
        };
        out.extend(
            rest.split([',', ' ', '\t'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from),
        );
    }
    out
}

impl Guard {
    /// Checks `statements` (each with a distinct location) meant for `target`: the first
    /// finding at `deny` level is the refusal; findings at `warn` level go to the warning
    /// callback. A statement's own `-- myrmex:allow RULE` comment passes that rule for it.
    fn judge(
        &self,
        connection: &str,
        target: &AuditTargetInfo,
        statements: &[Statement],
        warn_event: &StatementEvent<'_>,
    ) -> Result<()> {
        for set in self.sets.iter().filter(|s| s.applies_to(&target.driver)) {
            for f in set.check_statements(statements, target, None)? {
                let statement = statements
                    .iter()
                    .find(|s| s.location.is_some() && s.location == f.location)
                    .map_or(warn_event.sql, |s| s.sql.as_str());
                if self.is_allowed(&f, statement) {
                    continue;
                }
                match self.config.action(&f.rule_set, &f.rule, f.severity) {
                    Action::Off => {}
                    Action::Warn => (self.warn)(warn_event, &f),
                    Action::Deny => {
                        let shown = abbreviate(&redact_statement(statement, false));
                        let statement = match &f.location {
                            Some(l) if !l.file.is_empty() => {
                                format!("{}:{}: {shown}", l.file, l.line)
                            }
                            _ => shown,
                        };
                        return Err(Error::GuardRefused(Box::new(GuardRefusal {
                            connection: connection.to_string(),
                            rule_set: f.rule_set,
                            rule: f.rule,
                            severity: f.severity.to_string(),
                            message: f.message,
                            statement,
                        })));
                    }
                }
            }
        }
        Ok(())
    }
}

impl StatementHook for Guard {
    fn before(&self, event: &StatementEvent<'_>) -> Result<()> {
        if event.prechecked {
            return Ok(());
        }
        // Locations (in no file) tell the statements of a script apart, so that each one's
        // allow comments apply to it alone.
        let statements = split(event.sql, Some(""));
        if statements.is_empty() {
            return Ok(());
        }
        let target = AuditTargetInfo {
            driver: event.driver.to_string(),
            url: event.url.to_string(),
            ..AuditTargetInfo::default()
        };
        self.judge(event.connection, &target, &statements, event)
    }

    fn before_migration(&self, event: &MigrationEvent<'_>) -> Result<()> {
        let statements: Vec<Statement> = event
            .statements
            .iter()
            .map(|s| Statement {
                sql: s.sql.clone(),
                location: Some(Location {
                    file: s.file.clone(),
                    line: s.line,
                    column: 1,
                }),
            })
            .collect();
        let target = AuditTargetInfo {
            driver: event.driver.to_string(),
            url: event.url.to_string(),
            ..AuditTargetInfo::default()
        };
        let warn_event = StatementEvent {
            connection: event.connection,
            driver: event.driver,
            url: event.url,
            sql: "(a migration run)",
            params: 0,
            prechecked: false,
        };
        self.judge(event.connection, &target, &statements, &warn_event)
    }
}

#[cfg(test)]
mod tests {
    use super::allowed_in_comments;

    #[test]
    fn allow_comments_are_read_from_comments_only() {
        assert_eq!(
            allowed_in_comments("DELETE FROM t -- myrmex:allow delete-without-where"),
            vec!["delete-without-where"]
        );
        assert_eq!(
            allowed_in_comments("/* myrmex:allow drop, statements/truncate */ DROP TABLE t"),
            vec!["drop", "statements/truncate"]
        );
        assert!(allowed_in_comments("SELECT '-- myrmex:allow drop'").is_empty());
    }
}
