//! A [`Report`] as a SARIF 2.1.0 log, the form code-scanning services read.

use super::finding::{Finding, RuleDescription, Severity};
use super::fingerprint::{fingerprint, normalized_file};
use super::report::{target_name, Report};
use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};
use serde_json::{json, Value};
use std::collections::HashMap;

/// The JSON schema a SARIF 2.1.0 log names.
pub const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The SARIF version written.
pub const SARIF_VERSION: &str = "2.1.0";

/// The key of our fingerprint in each result's `partialFingerprints`.
pub const SARIF_FINGERPRINT_KEY: &str = "myrmexFinding/v1";

/// The base a relative file name is resolved against: the checked-out source tree.
const SOURCE_ROOT: &str = "%SRCROOT%";

/// Bytes written percent-encoded in a file URI path (besides controls and non-ASCII).
const PATH: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b']')
    .add(b'\\')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// In a relative path a `:` would read as a scheme, so it is encoded too.
const RELATIVE_PATH: &AsciiSet = &PATH.add(b':');

/// The SARIF `level` of a severity: critical and high are errors, medium a warning, low and
/// info notes.
pub fn sarif_level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// The score code-scanning services rank security findings by (0.1 to 10).
fn security_severity(severity: Severity) -> Option<&'static str> {
    match severity {
        Severity::Critical => Some("9.5"),
        Severity::High => Some("8.0"),
        Severity::Medium => Some("5.5"),
        Severity::Low => Some("2.0"),
        Severity::Info => None,
    }
}

/// `rule_set/rule`: a rule's id in SARIF.
fn rule_id(rule_set: &str, rule: &str) -> String {
    format!("{rule_set}/{rule}")
}

impl Report {
    /// The report as a SARIF 2.1.0 log, pretty-printed. See [`Report::to_sarif_value`].
    pub fn to_sarif(&self) -> String {
        format!("{:#}", self.to_sarif_value())
    }

    /// The report as a SARIF 2.1.0 log: one run of the tool `myrmex` whose rules are every
    /// rule that ran (id `rule_set/rule`, the remedy as help), one result per finding (level
    /// from the severity, our severity name in `properties.severity`, the fingerprint a
    /// baseline uses in `partialFingerprints`), located in its file when it has one and by
    /// its object otherwise. Rule sets that did not run are tool execution notifications,
    /// and make `executionSuccessful` false.
    pub fn to_sarif_value(&self) -> Value {
        let rules = self.sarif_rules();
        let index: HashMap<String, usize> = rules
            .iter()
            .enumerate()
            .map(|(i, r)| (rule_id(&r.rule_set, &r.id), i))
            .collect();
        let results: Vec<Value> = self
            .sorted_findings()
            .into_iter()
            .map(|f| sarif_result(f, index.get(&rule_id(&f.rule_set, &f.rule)).copied()))
            .collect();
        let notifications: Vec<Value> = self
            .not_run
            .iter()
            .map(|n| {
                json!({
                    "level": "error",
                    "message": {
                        "text": format!("rule set `{}` did not run: {}", n.rule_set, n.reason),
                    },
                    "properties": { "ruleSet": n.rule_set },
                })
            })
            .collect();
        json!({
            "$schema": SARIF_SCHEMA,
            "version": SARIF_VERSION,
            "runs": [{
                "tool": {
                    "driver": {
                        "name": "myrmex",
                        "version": env!("CARGO_PKG_VERSION"),
                        "rules": rules.iter().map(sarif_rule).collect::<Vec<_>>(),
                    },
                },
                "invocations": [{
                    "executionSuccessful": self.all_ran(),
                    "toolExecutionNotifications": notifications,
                }],
                "results": results,
                "properties": {
                    "target": self.target,
                    "ruleSets": self.rule_sets,
                    "suppressed": self.suppressed,
                },
            }],
        })
    }

    /// The rules of the SARIF log: every rule that ran, by rule set and id, each once, then
    /// one made from the finding for any finding whose rule is not among them.
    fn sarif_rules(&self) -> Vec<RuleDescription> {
        let mut rules = self.rules.clone();
        rules.sort_by(|a, b| (&a.rule_set, &a.id).cmp(&(&b.rule_set, &b.id)));
        rules.dedup_by(|a, b| a.rule_set == b.rule_set && a.id == b.id);
        for f in self.sorted_findings() {
            if !rules
                .iter()
                .any(|r| r.rule_set == f.rule_set && r.id == f.rule)
            {
                rules.push(RuleDescription {
                    id: f.rule.clone(),
                    rule_set: f.rule_set.clone(),
                    severity: f.severity,
                    target: if f.location.is_some() {
                        super::Target::Statements
                    } else {
                        super::Target::Connection
                    },
                    summary: f.message.clone(),
                    remedy: f.remedy.clone(),
                });
            }
        }
        rules
    }
}

/// One `reportingDescriptor`.
fn sarif_rule(r: &RuleDescription) -> Value {
    let mut properties = json!({
        "severity": r.severity.name(),
        "target": target_name(r.target),
        "ruleSet": r.rule_set,
        "tags": ["security"],
    });
    if let (Some(score), Some(map)) = (security_severity(r.severity), properties.as_object_mut()) {
        map.insert("security-severity".into(), json!(score));
    }
    let looks_at = match r.target {
        super::Target::Connection => "a live connection",
        super::Target::Statements => "statements and migration files",
    };
    json!({
        "id": rule_id(&r.rule_set, &r.id),
        "name": r.id,
        "shortDescription": { "text": r.summary },
        "fullDescription": {
            "text": format!("{} (rule set `{}`; looks at {looks_at})", r.summary, r.rule_set),
        },
        "help": { "text": r.remedy },
        "defaultConfiguration": { "level": sarif_level(r.severity) },
        "properties": properties,
    })
}

/// One `result`.
fn sarif_result(f: &Finding, rule_index: Option<usize>) -> Value {
    let location = match &f.location {
        Some(loc) => {
            let (uri, base) = file_uri(&loc.file);
            let mut artifact = json!({ "uri": uri });
            if let (Some(base), Some(map)) = (base, artifact.as_object_mut()) {
                map.insert("uriBaseId".into(), json!(base));
            }
            json!({
                "physicalLocation": {
                    "artifactLocation": artifact,
                    "region": {
                        "startLine": loc.line.max(1),
                        "startColumn": loc.column.max(1),
                    },
                },
            })
        }
        None => json!({ "logicalLocations": [{ "name": f.object }] }),
    };
    let mut result = json!({
        "ruleId": rule_id(&f.rule_set, &f.rule),
        "level": sarif_level(f.severity),
        "message": { "text": format!("{}: {}", f.object, f.message) },
        "locations": [location],
        "partialFingerprints": { SARIF_FINGERPRINT_KEY: fingerprint(f) },
        "properties": {
            "severity": f.severity.name(),
            "object": f.object,
            "remedy": f.remedy,
        },
    });
    if let (Some(i), Some(map)) = (rule_index, result.as_object_mut()) {
        map.insert("ruleIndex".into(), json!(i));
    }
    result
}

/// A file name as a SARIF artifact URI: a relative name stays relative (forward slashes,
/// resolved against the source root), an absolute one becomes a `file:` URI.
fn file_uri(file: &str) -> (String, Option<&'static str>) {
    let slashed = normalized_file(file);
    let bytes = slashed.as_bytes();
    let drive =
        bytes.len() >= 3 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' && bytes[2] == b'/';
    if slashed.starts_with('/') {
        (
            format!("file://{}", utf8_percent_encode(&slashed, PATH)),
            None,
        )
    } else if drive {
        (
            format!("file:///{}", utf8_percent_encode(&slashed, PATH)),
            None,
        )
    } else {
        (
            utf8_percent_encode(&slashed, RELATIVE_PATH).to_string(),
            Some(SOURCE_ROOT),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::report::tests::{finding, sample};
    use crate::audit::NotRun;

    #[test]
    fn levels_follow_severity() {
        assert_eq!(sarif_level(Severity::Critical), "error");
        assert_eq!(sarif_level(Severity::High), "error");
        assert_eq!(sarif_level(Severity::Medium), "warning");
        assert_eq!(sarif_level(Severity::Low), "note");
        assert_eq!(sarif_level(Severity::Info), "note");
    }

    #[test]
    fn file_uris_are_relative_to_the_source_root_unless_absolute() {
        assert_eq!(
            file_uri("migrations\\V1__init.sql"),
            ("migrations/V1__init.sql".into(), Some("%SRCROOT%"))
        );
        assert_eq!(
            file_uri("./db/V2 purge#1.sql"),
            ("db/V2%20purge%231.sql".into(), Some("%SRCROOT%"))
        );
        assert_eq!(
            file_uri("/srv/app/V1.sql"),
            ("file:///srv/app/V1.sql".into(), None)
        );
        assert_eq!(
            file_uri("C:\\app\\V1.sql"),
            ("file:///C:/app/V1.sql".into(), None)
        );
        assert_eq!(file_uri("a:b.sql").0, "a%3Ab.sql");
        assert_eq!(file_uri("db/ab:c.sql").0, "db/ab%3Ac.sql");
    }

    #[test]
    fn results_carry_rule_level_severity_fingerprint_and_location() {
        let mut r = sample();
        r.not_run.push(NotRun {
            rule_set: "ext".into(),
            reason: "the extension is not installed".into(),
        });
        let log = r.to_sarif_value();
        assert_eq!(log["$schema"], SARIF_SCHEMA);
        assert_eq!(log["version"], "2.1.0");
        let run = &log["runs"][0];
        assert_eq!(run["tool"]["driver"]["name"], "myrmex");
        let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
        assert_eq!(rules.len(), 3);
        assert_eq!(rules[0]["id"], "engine/ssl-off");
        assert_eq!(rules[0]["help"]["text"], "Fix what ssl-off finds.");
        assert_eq!(rules[0]["defaultConfiguration"]["level"], "warning");

        let results = run["results"].as_array().expect("results");
        assert_eq!(results.len(), 4);
        let first = &results[0];
        assert_eq!(first["ruleId"], "engine/trust-network");
        assert_eq!(
            rules[first["ruleIndex"].as_u64().expect("index") as usize]["id"],
            "engine/trust-network"
        );
        assert_eq!(first["level"], "error");
        assert_eq!(first["properties"]["severity"], "critical");
        assert_eq!(
            first["locations"][0]["logicalLocations"][0]["name"],
            "host all 0.0.0.0/0"
        );
        assert_eq!(
            first["partialFingerprints"][SARIF_FINGERPRINT_KEY],
            fingerprint(r.sorted_findings()[0])
        );
        let filed = &results[1]["locations"][0]["physicalLocation"];
        assert_eq!(
            filed["artifactLocation"]["uri"],
            "migrations/V3__purge%20items.sql"
        );
        assert_eq!(filed["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        assert_eq!(filed["region"]["startLine"], 7);
        assert_eq!(filed["region"]["startColumn"], 1);

        let invocation = &run["invocations"][0];
        assert_eq!(invocation["executionSuccessful"], false);
        let note = &invocation["toolExecutionNotifications"][0];
        assert_eq!(
            note["message"]["text"],
            "rule set `ext` did not run: the extension is not installed"
        );
    }

    #[test]
    fn a_finding_of_an_unlisted_rule_gets_a_rule_of_its_own() {
        let mut r = Report::new("x");
        r.findings.push(finding("other", "odd", Severity::Low, "o"));
        let log = r.to_sarif_value();
        let run = &log["runs"][0];
        assert_eq!(run["tool"]["driver"]["rules"][0]["id"], "other/odd");
        assert_eq!(run["results"][0]["ruleIndex"], 0);
        assert_eq!(run["invocations"][0]["executionSuccessful"], true);
    }
}
