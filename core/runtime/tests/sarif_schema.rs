//! The SARIF log of an audit report validates against the SARIF 2.1.0 JSON schema kept in
//! the repository (`tests/fixtures/sarif/sarif-schema-2.1.0.json`).

use jsonschema::{Draft, Validator};
use myrmex_core::audit::{Finding, Location, NotRun, Report, RuleDescription, Severity, Target};
use serde_json::Value;
use std::path::PathBuf;

fn validator() -> Validator {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/sarif/sarif-schema-2.1.0.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let schema: Value = serde_json::from_str(&text).expect("the schema is JSON");
    jsonschema::options()
        .with_draft(Draft::Draft4)
        .should_validate_formats(true)
        .build(&schema)
        .expect("the schema compiles")
}

/// Every schema violation in `log`, one per line.
fn violations(validator: &Validator, log: &Value) -> Vec<String> {
    validator
        .iter_errors(log)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

fn assert_valid(report: &Report) {
    let log: Value = serde_json::from_str(&report.to_sarif()).expect("SARIF is JSON");
    let found = violations(&validator(), &log);
    assert!(
        found.is_empty(),
        "SARIF log breaks the schema:\n{}\n{log:#}",
        found.join("\n")
    );
}

fn finding(rule: &str, severity: Severity, object: &str, location: Option<Location>) -> Finding {
    Finding {
        rule: rule.into(),
        rule_set: "statements".into(),
        severity,
        object: object.into(),
        message: format!("{rule} on {object}"),
        remedy: "rewrite the statement".into(),
        location,
    }
}

fn rule(id: &str, severity: Severity, target: Target) -> RuleDescription {
    RuleDescription {
        id: id.into(),
        rule_set: "statements".into(),
        severity,
        target,
        summary: format!("{id}: a risky statement."),
        remedy: "Rewrite the statement.".into(),
    }
}

#[test]
fn report_with_findings_and_rule_sets_not_run_is_valid_sarif() {
    let mut report = Report::new("migrations");
    report.rule_sets = vec!["statements".into()];
    report.rules = vec![
        rule("delete-without-where", Severity::High, Target::Statements),
        rule("public-grant", Severity::Critical, Target::Connection),
        rule("info-only", Severity::Info, Target::Statements),
    ];
    report.findings = vec![
        finding(
            "delete-without-where",
            Severity::High,
            "public.orders",
            Some(Location {
                file: "migrations/V2__purge old [rows].sql".into(),
                line: 12,
                column: 5,
            }),
        ),
        finding(
            "delete-without-where",
            Severity::Medium,
            "public.items",
            Some(Location {
                file: "/srv/app/migrations/V3__items.sql".into(),
                line: 1,
                column: 1,
            }),
        ),
        finding("public-grant", Severity::Critical, "role app", None),
        finding("not-described", Severity::Low, "setting x", None),
        finding("info-only", Severity::Info, "table t", None),
    ];
    report.not_run = vec![NotRun {
        rule_set: "extension-checks".into(),
        reason: "the extension is not installed".into(),
    }];
    report.suppressed = 3;
    assert_valid(&report);
}

#[test]
fn empty_report_is_valid_sarif() {
    assert_valid(&Report::new("db.example:5432/app"));
    let mut ran = Report::new("db.example:5432/app");
    ran.rule_sets = vec!["statements".into()];
    ran.rules = vec![rule(
        "delete-without-where",
        Severity::High,
        Target::Statements,
    )];
    assert_valid(&ran);
}

#[test]
fn the_schema_check_catches_a_broken_log() {
    let mut report = Report::new("x");
    report.findings = vec![finding("r", Severity::High, "o", None)];
    let log = report.to_sarif_value();
    let validator = validator();
    assert!(violations(&validator, &log).is_empty());

    let mut bad_level = log.clone();
    bad_level["runs"][0]["results"][0]["level"] = Value::from("fatal");
    assert!(!violations(&validator, &bad_level).is_empty());

    let mut unknown_field = log.clone();
    unknown_field["runs"][0]["results"][0]["severity"] = Value::from("high");
    assert!(!violations(&validator, &unknown_field).is_empty());

    let mut line_zero = log;
    line_zero["runs"][0]["results"][0]["locations"][0] = serde_json::json!({
        "physicalLocation": {
            "artifactLocation": { "uri": "a.sql" },
            "region": { "startLine": 0 },
        },
    });
    assert!(!violations(&validator, &line_zero).is_empty());
}
