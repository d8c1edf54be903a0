//! What an audit finds: [`Finding`], its [`Severity`] and [`Location`], and the rules that
//! produce findings ([`RuleDescription`]).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How serious a finding is, from `info` to `critical`; ordered, so `--fail-on high` means
/// "high or critical".
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; no action needed.
    Info,
    /// A weakness with little exposure.
    Low,
    /// A weakness to fix in the normal course of work.
    Medium,
    /// A weakness to fix soon: data or access at risk.
    High,
    /// Fix now: the database is open to anyone who can reach it, or data is lost.
    Critical,
}

impl Severity {
    /// Every severity, lowest first.
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    /// `info`, `low`, `medium`, `high` or `critical`.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Severity {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Severity::ALL
            .into_iter()
            .find(|v| v.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                format!("unknown severity `{s}` (expected info, low, medium, high or critical)")
            })
    }
}

/// Where in a file a finding is: a migration file and the line its statement starts on.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Location {
    /// The file, as the user named it (relative paths stay relative).
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column (1 when the rule set cannot tell).
    pub column: u32,
}

/// One finding of one rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// The rule's id (`delete-without-where`, `hba-trust-network`).
    pub rule: String,
    /// The rule set that reported it (`statements`, `postgres`).
    pub rule_set: String,
    /// How serious it is.
    pub severity: Severity,
    /// What it is about: a table, a role, a setting, a statement (`public.orders`,
    /// `setting ssl`, `role app`).
    pub object: String,
    /// What is wrong, in one sentence.
    pub message: String,
    /// How to fix it.
    pub remedy: String,
    /// The file and line, when the finding is about a file.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub location: Option<Location>,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(loc) = &self.location {
            write!(f, "{}:{}:{}: ", loc.file, loc.line, loc.column)?;
        }
        write!(
            f,
            "{} [{}/{}] {}: {}",
            self.severity, self.rule_set, self.rule, self.object, self.message
        )
    }
}

/// What a rule looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    /// A live connection: configuration, roles, grants, schema.
    Connection,
    /// Statements, before they run or in migration files.
    Statements,
}

/// A rule as its rule set describes it (for `myrmex audit rules`, SARIF and the docs).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleDescription {
    /// The rule's id, unique in its rule set.
    pub id: String,
    /// The rule set that holds it.
    pub rule_set: String,
    /// Its severity when it fires.
    pub severity: Severity,
    /// What it looks at.
    pub target: Target,
    /// One sentence: what the rule finds and why it matters.
    pub summary: String,
    /// How to fix what it finds.
    pub remedy: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_order_and_parse() {
        assert!(Severity::Critical > Severity::High && Severity::Low > Severity::Info);
        assert_eq!("HIGH".parse::<Severity>(), Ok(Severity::High));
        assert!("severe".parse::<Severity>().unwrap_err().contains("severe"));
    }
}
