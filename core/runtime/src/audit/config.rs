//! The `[audit]` section of `myrmex.toml`.
//!
//! ```toml
//! [audit]
//! rule_sets = ["postgres", "schema"]     # what `myrmex audit` runs (default: all that apply)
//! fail_on = "high"                        # exit 1 at or above this severity
//! [audit.settings.statements]             # settings handed to one rule set
//! large_table_rows = 1000000
//! [audit.log]                             # the tamper-evident log of every statement
//! path = "/var/log/myrmex/audit.log"
//! redact_literals = true
//! signing_key = "/etc/myrmex/audit.key"
//! [audit.guard]                           # check statements before they run
//! enabled = true
//! deny_at = "high"
//! [audit.guard.rules]
//! "statements/drop" = "warn"
//! ```

use super::Severity;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The `[audit]` section.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditConfig {
    /// Rule sets `myrmex audit` runs; empty: every loaded one that examines the target.
    #[serde(default)]
    pub rule_sets: Vec<String>,
    /// Severity at or above which `myrmex audit` and `migrate lint` exit 1.
    #[serde(default)]
    pub fail_on: Option<Severity>,
    /// Settings per rule set (any TOML table, handed to the rule set as JSON).
    #[serde(default)]
    pub settings: BTreeMap<String, toml::Value>,
    /// The statement log.
    #[serde(default)]
    pub log: Option<LogConfig>,
    /// The statement guard.
    #[serde(default)]
    pub guard: GuardConfig,
}

impl AuditConfig {
    /// The settings of every rule set, as JSON.
    pub fn settings_json(&self) -> BTreeMap<String, String> {
        self.settings
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::to_string(v).unwrap_or_default()))
            .collect()
    }
}

/// `[audit.log]`: the tamper-evident log of every statement myrmex runs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    /// The log file.
    pub path: PathBuf,
    /// Replace every literal of a logged statement with `?` (passwords are always hidden).
    #[serde(default)]
    pub redact_literals: bool,
    /// An Ed25519 secret key file that signs checkpoints (`myrmex audit keygen` writes one).
    #[serde(default)]
    pub signing_key: Option<PathBuf>,
    /// A checkpoint every this many entries.
    #[serde(default)]
    pub checkpoint_every: Option<u64>,
    /// Rotate the file when it grows past this many bytes (0 or unset: never).
    #[serde(default)]
    pub rotate_bytes: Option<u64>,
}

/// What the guard does when a rule fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Refuse the statement.
    Deny,
    /// Let it run and say why it is risky.
    Warn,
    /// Say nothing.
    Off,
}

/// `[audit.guard]`: statements checked before they reach the server.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GuardConfig {
    /// Whether the guard runs.
    pub enabled: bool,
    /// Findings at or above this severity are refused, the others warned about.
    pub deny_at: Severity,
    /// Rule sets the guard runs; empty: every loaded one with statement rules.
    pub rule_sets: Vec<String>,
    /// Per rule (`rule` or `rule_set/rule`): deny, warn or off, over `deny_at`.
    pub rules: BTreeMap<String, Action>,
}

impl Default for GuardConfig {
    fn default() -> Self {
        GuardConfig {
            enabled: false,
            deny_at: Severity::High,
            rule_sets: Vec::new(),
            rules: BTreeMap::new(),
        }
    }
}

impl GuardConfig {
    /// What the guard does with a finding of `rule` of `rule_set` at `severity`.
    pub fn action(&self, rule_set: &str, rule: &str, severity: Severity) -> Action {
        self.rules
            .get(&format!("{rule_set}/{rule}"))
            .or_else(|| self.rules.get(rule))
            .copied()
            .unwrap_or(if severity >= self.deny_at {
                Action::Deny
            } else {
                Action::Warn
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_levels_override_the_threshold() {
        let g: GuardConfig = toml::from_str(
            "enabled = true\ndeny_at = \"medium\"\n[rules]\n\"statements/drop\" = \"warn\"\ntruncate = \"off\"\n",
        )
        .unwrap();
        assert_eq!(g.action("statements", "drop", Severity::High), Action::Warn);
        assert_eq!(
            g.action("statements", "truncate", Severity::High),
            Action::Off
        );
        assert_eq!(g.action("x", "y", Severity::Medium), Action::Deny);
        assert_eq!(g.action("x", "y", Severity::Low), Action::Warn);
    }
}
