//! Placeholder until the report module lands.
use super::{Finding, RuleDescription};
/// A rule set that did not run.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NotRun {
    /// Rule set.
    pub rule_set: String,
    /// Why.
    pub reason: String,
}
/// Report.
#[derive(Debug, Clone)]
pub struct Report {
    /// Target.
    pub target: String,
    /// Findings.
    pub findings: Vec<Finding>,
    /// Rules.
    pub rules: Vec<RuleDescription>,
    /// Rule sets.
    pub rule_sets: Vec<String>,
    /// Not run.
    pub not_run: Vec<NotRun>,
    /// Suppressed.
    pub suppressed: usize,
}
impl Report {
    /// Sort.
    pub fn sort(&mut self) {}
}
