//! [`Report`]: what one audit run found, which rule sets ran and which could not, and its
//! plain-text and JSON forms (SARIF is in the `sarif` module).

use super::finding::{Finding, RuleDescription, Severity, Target};
use super::fingerprint::fingerprint;
use serde_json::{json, Value};
use std::cmp::Ordering;
use std::fmt::Write as _;

/// The version of the JSON form written by [`Report::to_json`]; it changes only when a field
/// is renamed or removed.
pub const JSON_FORMAT_VERSION: u32 = 1;

/// A rule set that was asked for but could not run (its extension is missing, the role may
/// not read what it needs). A report never drops one silently: it shows in every output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotRun {
    /// The rule set's name.
    pub rule_set: String,
    /// Why it could not run, in one sentence.
    pub reason: String,
}

/// What one audit (`myrmex audit` on a connection, `myrmex migrate lint` on a directory)
/// found.
///
/// Exit codes: [`Report::exit_code`] gives 0 (nothing at or above the threshold) or 1
/// (findings at or above it). Code 2 is for usage errors (a bad flag, an unreadable
/// baseline, a connection that fails) and is the command line's to give, never the report's.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// What was audited: a connection's display URL (no password) or a migration directory.
    pub target: String,
    /// What the rules found, less what the baseline suppressed.
    pub findings: Vec<Finding>,
    /// Every rule that ran.
    pub rules: Vec<RuleDescription>,
    /// The names of the rule sets that ran.
    pub rule_sets: Vec<String>,
    /// Rule sets that were asked for but could not run.
    pub not_run: Vec<NotRun>,
    /// Findings a baseline accepted and so took out of `findings`.
    pub suppressed: usize,
}

/// The order findings are shown in: most severe first, then by rule set, rule, object, and
/// place in a file.
pub(crate) fn finding_order(a: &Finding, b: &Finding) -> Ordering {
    let place = |f: &Finding| {
        f.location
            .as_ref()
            .map(|l| (l.file.clone(), l.line, l.column))
    };
    b.severity
        .cmp(&a.severity)
        .then_with(|| a.rule_set.cmp(&b.rule_set))
        .then_with(|| a.rule.cmp(&b.rule))
        .then_with(|| a.object.cmp(&b.object))
        .then_with(|| place(a).cmp(&place(b)))
        .then_with(|| a.message.cmp(&b.message))
}

impl Report {
    /// An empty report on `target`, before any rule set ran.
    pub fn new(target: impl Into<String>) -> Self {
        Report {
            target: target.into(),
            ..Report::default()
        }
    }

    /// Puts the findings in the order every output shows them (most severe first, then by
    /// rule set, rule and object) and the rules by rule set and id.
    pub fn sort(&mut self) {
        self.findings.sort_by(finding_order);
        self.rules
            .sort_by(|a, b| a.rule_set.cmp(&b.rule_set).then_with(|| a.id.cmp(&b.id)));
    }

    /// The findings in the order the outputs show them, without reordering the report.
    pub fn sorted_findings(&self) -> Vec<&Finding> {
        let mut out: Vec<&Finding> = self.findings.iter().collect();
        out.sort_by(|a, b| finding_order(a, b));
        out
    }

    /// The most severe finding's severity; `None` when nothing was found.
    pub fn max_severity(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }

    /// How many findings have `severity`.
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }

    /// Whether every rule set asked for ran.
    pub fn all_ran(&self) -> bool {
        self.not_run.is_empty()
    }

    /// The process exit code for `--fail-on fail_on`: 1 when a finding is at or above
    /// `fail_on`, else 0. Rule sets that did not run do not change it (they show in every
    /// output; the command line may refuse them with a flag of its own). Code 2, for usage
    /// errors, is never returned here: the command line gives it.
    pub fn exit_code(&self, fail_on: Severity) -> i32 {
        match self.max_severity() {
            Some(worst) if worst >= fail_on => 1,
            _ => 0,
        }
    }

    /// The report for a terminal or a CI log: one line per finding, most severe first,
    /// with its remedy indented below, then a summary line counting the findings per
    /// severity. The summary says "no findings" only when every rule set ran; otherwise it
    /// names the rule sets that did not run and why, one per line.
    ///
    /// ```text
    /// high      demo/trust-network  host all 0.0.0.0/0: anyone on the network logs in
    ///           remedy: require a password
    /// 1 finding (1 high) from 2 rule sets on db.example:5432/app
    /// ```
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for f in self.sorted_findings() {
            let _ = write!(out, "{:<8}  {}/{}  ", f.severity.name(), f.rule_set, f.rule);
            if let Some(loc) = &f.location {
                let _ = write!(out, "{}:{}:{}  ", loc.file, loc.line, loc.column);
            }
            let _ = writeln!(out, "{}: {}", f.object, f.message);
            if !f.remedy.is_empty() {
                let _ = writeln!(out, "{:10}remedy: {}", "", f.remedy);
            }
        }
        out.push_str(&self.summary());
        out.push('\n');
        for n in &self.not_run {
            let _ = writeln!(out, "{:10}not run: {}: {}", "", n.rule_set, n.reason);
        }
        out
    }

    /// The summary line of [`Report::to_text`] (without the not-run details).
    pub fn summary(&self) -> String {
        let ran = plural(self.rule_sets.len(), "rule set", "rule sets");
        let on = if self.target.is_empty() {
            String::new()
        } else {
            format!(" on {}", self.target)
        };
        let mut line = if self.findings.is_empty() {
            if self.all_ran() {
                format!("no findings from {ran}{on}")
            } else {
                format!("0 findings from the {ran} that ran{on}")
            }
        } else {
            let per_severity: Vec<String> = Severity::ALL
                .iter()
                .rev()
                .filter_map(|&s| match self.count(s) {
                    0 => None,
                    n => Some(format!("{n} {s}")),
                })
                .collect();
            format!(
                "{} ({}) from {ran}{on}",
                plural(self.findings.len(), "finding", "findings"),
                per_severity.join(", ")
            )
        };
        if self.suppressed > 0 {
            let _ = write!(line, "; {} suppressed by the baseline", self.suppressed);
        }
        if !self.all_ran() {
            let names: Vec<&str> = self.not_run.iter().map(|n| n.rule_set.as_str()).collect();
            let _ = write!(
                line,
                "; {} did not run: {}",
                plural(self.not_run.len(), "rule set", "rule sets"),
                names.join(", ")
            );
        }
        line
    }

    /// The report as JSON for scripts, pretty-printed. Field names are stable (see
    /// [`JSON_FORMAT_VERSION`]):
    ///
    /// ```text
    /// { "format_version": 1, "tool": "myrmex", "tool_version": "…", "target": "…",
    ///   "rule_sets": ["…"], "not_run": [{"rule_set": "…", "reason": "…"}],
    ///   "suppressed": 0, "max_severity": "high" | null,
    ///   "counts": {"critical": 0, "high": 1, "medium": 0, "low": 0, "info": 0},
    ///   "findings": [{"id": "set/rule", "rule_set": "…", "rule": "…", "severity": "high",
    ///                 "object": "…", "message": "…", "remedy": "…",
    ///                 "location": {"file": "…", "line": 3, "column": 1} | null,
    ///                 "fingerprint": "<64 hex digits>"}],
    ///   "rules": [{"id": "set/rule", "rule_set": "…", "rule": "…", "severity": "…",
    ///              "target": "connection" | "statements", "summary": "…", "remedy": "…"}] }
    /// ```
    pub fn to_json(&self) -> String {
        format!("{:#}", self.to_json_value())
    }

    /// [`Report::to_json`] as a value, for embedding in a larger document.
    pub fn to_json_value(&self) -> Value {
        let mut counts = serde_json::Map::new();
        for s in Severity::ALL.iter().rev() {
            counts.insert(s.name().to_string(), json!(self.count(*s)));
        }
        let findings: Vec<Value> = self
            .sorted_findings()
            .into_iter()
            .map(|f| {
                json!({
                    "id": format!("{}/{}", f.rule_set, f.rule),
                    "rule_set": f.rule_set,
                    "rule": f.rule,
                    "severity": f.severity.name(),
                    "object": f.object,
                    "message": f.message,
                    "remedy": f.remedy,
                    "location": f.location.as_ref().map(|l| json!({
                        "file": l.file,
                        "line": l.line,
                        "column": l.column,
                    })),
                    "fingerprint": fingerprint(f),
                })
            })
            .collect();
        let rules: Vec<Value> = self
            .rules
            .iter()
            .map(|r| {
                json!({
                    "id": format!("{}/{}", r.rule_set, r.id),
                    "rule_set": r.rule_set,
                    "rule": r.id,
                    "severity": r.severity.name(),
                    "target": target_name(r.target),
                    "summary": r.summary,
                    "remedy": r.remedy,
                })
            })
            .collect();
        let not_run: Vec<Value> = self
            .not_run
            .iter()
            .map(|n| json!({"rule_set": n.rule_set, "reason": n.reason}))
            .collect();
        json!({
            "format_version": JSON_FORMAT_VERSION,
            "tool": "myrmex",
            "tool_version": env!("CARGO_PKG_VERSION"),
            "target": self.target,
            "rule_sets": self.rule_sets,
            "not_run": not_run,
            "suppressed": self.suppressed,
            "max_severity": self.max_severity().map(Severity::name),
            "counts": counts,
            "findings": findings,
            "rules": rules,
        })
    }
}

/// `connection` or `statements`.
pub(crate) fn target_name(t: Target) -> &'static str {
    match t {
        Target::Connection => "connection",
        Target::Statements => "statements",
    }
}

/// `1 finding`, `2 findings`.
fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::audit::Location;

    /// A finding of `set/rule` on `object`.
    pub(crate) fn finding(set: &str, rule: &str, severity: Severity, object: &str) -> Finding {
        Finding {
            rule: rule.into(),
            rule_set: set.into(),
            severity,
            object: object.into(),
            message: format!("{rule} fired"),
            remedy: format!("fix {object}"),
            location: None,
        }
    }

    /// The same finding placed in `file` at `line`.
    pub(crate) fn at(mut f: Finding, file: &str, line: u32) -> Finding {
        f.location = Some(Location {
            file: file.into(),
            line,
            column: 1,
        });
        f
    }

    /// A rule description matching [`finding`].
    pub(crate) fn rule(set: &str, id: &str, severity: Severity, target: Target) -> RuleDescription {
        RuleDescription {
            id: id.into(),
            rule_set: set.into(),
            severity,
            target,
            summary: format!("{id} finds something."),
            remedy: format!("Fix what {id} finds."),
        }
    }

    /// A report with findings of every kind: with and without a location, several
    /// severities, rules for all of them.
    pub(crate) fn sample() -> Report {
        let mut r = Report::new("db.example:5432/app");
        r.rule_sets = vec!["engine".into(), "statements".into()];
        r.rules = vec![
            rule(
                "statements",
                "delete-without-where",
                Severity::High,
                Target::Statements,
            ),
            rule(
                "engine",
                "trust-network",
                Severity::Critical,
                Target::Connection,
            ),
            rule("engine", "ssl-off", Severity::Medium, Target::Connection),
        ];
        r.findings = vec![
            finding("engine", "ssl-off", Severity::Medium, "setting ssl"),
            at(
                finding(
                    "statements",
                    "delete-without-where",
                    Severity::High,
                    "public.orders",
                ),
                "migrations/V2__purge.sql",
                4,
            ),
            finding(
                "engine",
                "trust-network",
                Severity::Critical,
                "host all 0.0.0.0/0",
            ),
            at(
                finding(
                    "statements",
                    "delete-without-where",
                    Severity::High,
                    "public.items",
                ),
                "migrations/V3__purge items.sql",
                7,
            ),
        ];
        r
    }

    #[test]
    fn sort_puts_the_most_severe_first_then_rule_then_object() {
        let mut r = sample();
        r.findings.push(finding(
            "engine",
            "trust-network",
            Severity::Critical,
            "host a 10.0.0.0/8",
        ));
        r.sort();
        let order: Vec<(&str, &str)> = r
            .findings
            .iter()
            .map(|f| (f.rule.as_str(), f.object.as_str()))
            .collect();
        assert_eq!(
            order,
            [
                ("trust-network", "host a 10.0.0.0/8"),
                ("trust-network", "host all 0.0.0.0/0"),
                ("delete-without-where", "public.items"),
                ("delete-without-where", "public.orders"),
                ("ssl-off", "setting ssl"),
            ]
        );
        let rules: Vec<&str> = r.rules.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(rules, ["ssl-off", "trust-network", "delete-without-where"]);
        assert_eq!(
            r.sorted_findings().into_iter().cloned().collect::<Vec<_>>(),
            r.findings
        );
    }

    #[test]
    fn exit_codes_follow_the_threshold() {
        let r = sample();
        assert_eq!(r.max_severity(), Some(Severity::Critical));
        assert_eq!(r.exit_code(Severity::Critical), 1);
        assert_eq!(r.exit_code(Severity::Info), 1);

        let mut medium = Report::new("dir");
        medium.findings = vec![finding("s", "r", Severity::Medium, "o")];
        assert_eq!(medium.exit_code(Severity::High), 0);
        assert_eq!(medium.exit_code(Severity::Medium), 1);
        assert_eq!(medium.exit_code(Severity::Low), 1);

        let mut clean = Report::new("dir");
        assert_eq!(clean.max_severity(), None);
        assert_eq!(clean.exit_code(Severity::Info), 0);
        clean.not_run.push(NotRun {
            rule_set: "ext".into(),
            reason: "extension missing".into(),
        });
        assert_eq!(
            clean.exit_code(Severity::Info),
            0,
            "not run is not a finding"
        );
    }

    #[test]
    fn text_lists_findings_with_remedies_and_counts_per_severity() {
        let text = sample().to_text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "critical  engine/trust-network  host all 0.0.0.0/0: trust-network fired"
        );
        assert_eq!(lines[1], "          remedy: fix host all 0.0.0.0/0");
        assert_eq!(
            lines[2],
            "high      statements/delete-without-where  migrations/V3__purge items.sql:7:1  \
             public.items: delete-without-where fired"
        );
        assert_eq!(
            lines.last().copied(),
            Some(
                "4 findings (1 critical, 2 high, 1 medium) from 2 rule sets on \
                 db.example:5432/app"
            )
        );
        assert!(!text.contains("no findings"));
    }

    #[test]
    fn text_says_no_findings_only_when_every_rule_set_ran() {
        let mut r = Report::new("migrations");
        r.rule_sets = vec!["statements".into()];
        assert_eq!(r.to_text(), "no findings from 1 rule set on migrations\n");

        r.not_run.push(NotRun {
            rule_set: "ext".into(),
            reason: "the audit extension is not installed".into(),
        });
        r.suppressed = 2;
        let text = r.to_text();
        assert!(!text.contains("no findings"), "{text}");
        assert_eq!(
            text,
            "0 findings from the 1 rule set that ran on migrations; 2 suppressed by the \
             baseline; 1 rule set did not run: ext\n          not run: ext: the audit \
             extension is not installed\n"
        );
    }

    #[test]
    fn json_has_stable_field_names() {
        let mut r = sample();
        r.not_run.push(NotRun {
            rule_set: "ext".into(),
            reason: "missing".into(),
        });
        let v: Value = serde_json::from_str(&r.to_json()).expect("valid JSON");
        assert_eq!(v["format_version"], 1);
        assert_eq!(v["target"], "db.example:5432/app");
        assert_eq!(v["max_severity"], "critical");
        assert_eq!(v["counts"]["high"], 2);
        assert_eq!(v["not_run"][0]["rule_set"], "ext");
        assert_eq!(v["findings"][0]["id"], "engine/trust-network");
        assert_eq!(v["findings"][0]["location"], Value::Null);
        assert_eq!(v["findings"][1]["location"]["line"], 7);
        assert_eq!(
            v["findings"][1]["fingerprint"].as_str().map(str::len),
            Some(64)
        );
        assert_eq!(v["rules"][0]["target"], "statements");
    }
}
