//! Running rule sets: against a connection ([`audit_connection`]), against statements
//! ([`audit_statements`]) and against a directory of migrations ([`lint_migrations`]).

use super::report::{NotRun, Report};
use super::rule_set::{AuditTargetInfo, RuleSet, Statement};
use super::{Finding, Location, RuleDescription, Target};
use crate::migrate::{source, MigrationKind};
use crate::plugin::Registry;
use crate::{DatabaseConnection, Result};
use myrmex_abi::CapabilityKind;
use std::collections::BTreeMap;
use std::path::Path;

/// Which rule sets run, with what settings.
#[derive(Debug, Clone, Default)]
pub struct AuditOptions {
    /// Rule sets to run by name; empty: every loaded rule set that examines the target.
    pub rule_sets: Vec<String>,
    /// Settings per rule set, as JSON.
    pub settings: BTreeMap<String, String>,
}

impl AuditOptions {
    fn settings_of(&self, name: &str) -> &str {
        self.settings.get(name).map_or("", String::as_str)
    }
}

/// What one run collects before it becomes a [`Report`].
struct Collected {
    target: String,
    findings: Vec<Finding>,
    rules: Vec<RuleDescription>,
    rule_sets: Vec<String>,
    not_run: Vec<NotRun>,
}

impl Collected {
    fn new(target: String) -> Collected {
        Collected {
            target,
            findings: Vec::new(),
            rules: Vec::new(),
            rule_sets: Vec::new(),
            not_run: Vec::new(),
        }
    }

    fn not_run(&mut self, rule_set: &str, reason: impl Into<String>) {
        self.not_run.push(NotRun {
            rule_set: rule_set.to_string(),
            reason: reason.into(),
        });
    }

    fn ran(&mut self, set: &RuleSet, target: Target) {
        self.rule_sets.push(set.name().to_string());
        self.rules
            .extend(set.rules().into_iter().filter(|r| r.target == target));
    }

    fn into_report(self) -> Report {
        let mut report = Report {
            target: self.target,
            findings: self.findings,
            rules: self.rules,
            rule_sets: self.rule_sets,
            not_run: self.not_run,
            suppressed: 0,
        };
        report.sort();
        report
    }
}

/// The rule sets to run for `driver` with rules of `target`: those named in `options`, or
/// every loaded one that examines `driver`. A named rule set that does not exist, does not
/// examine `driver` or has no rules of `target` is an error; one that fails to open is
/// reported as not run.
fn open_sets(
    registry: &Registry,
    driver: &str,
    target: Target,
    options: &AuditOptions,
    collected: &mut Collected,
) -> Result<Vec<RuleSet>> {
    let known = registry.capabilities_of(CapabilityKind::AUDIT);
    let named = !options.rule_sets.is_empty();
    let names: Vec<String> = if named {
        for name in &options.rule_sets {
            if !known.iter().any(|c| &c.name == name) {
                return Err(crate::Error::NoCapability {
                    kind: "audit".into(),
                    name: name.clone(),
                    known: known
                        .iter()
                        .map(|c| c.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
        }
        options.rule_sets.clone()
    } else {
        known.iter().map(|c| c.name.clone()).collect()
    };
    let mut sets = Vec::new();
    for name in names {
        let set = match RuleSet::open(registry, &name, options.settings_of(&name)) {
            Ok(set) => set,
            Err(e) => {
                collected.not_run(&name, e.to_string());
                continue;
            }
        };
        let examines = match target {
            Target::Connection => set.checks_connections(),
            Target::Statements => set.checks_statements(),
        };
        let applies = driver.is_empty() || set.applies_to(driver);
        if examines && applies {
            sets.push(set);
        } else if named {
            let why = if !applies {
                format!("it does not examine `{driver}` databases")
            } else {
                format!("it has no rules for {}", target_name(target))
            };
            return Err(crate::Error::AuditNotApplicable { name, reason: why });
        }
    }
    Ok(sets)
}

fn target_name(target: Target) -> &'static str {
    match target {
        Target::Connection => "connections",
        Target::Statements => "statements",
    }
}

/// Audits a live connection with every rule set that examines it (or those named in
/// `options`). A rule set that fails is listed in the report as not run, with why; the
/// others still run.
pub fn audit_connection(
    registry: &Registry,
    conn: &mut DatabaseConnection,
    options: &AuditOptions,
) -> Result<Report> {
    let mut collected = Collected::new(conn.url());
    let driver = conn.driver_name().to_string();
    for set in open_sets(
        registry,
        &driver,
        Target::Connection,
        options,
        &mut collected,
    )? {
        match set.check_connection(conn) {
            Ok(found) => {
                collected.ran(&set, Target::Connection);
                collected.findings.extend(found);
            }
            Err(e) => collected.not_run(set.name(), e.to_string()),
        }
    }
    Ok(collected.into_report())
}

/// Checks statements meant for `target` (a driver name at least) with every rule set that
/// examines statements (or those named in `options`). `conn`, when given, reaches the
/// database they are meant for, so rules that depend on table sizes can look them up.
pub fn audit_statements(
    registry: &Registry,
    statements: &[Statement],
    target: &AuditTargetInfo,
    mut conn: Option<&mut DatabaseConnection>,
    options: &AuditOptions,
) -> Result<Report> {
    let label = if target.url.is_empty() {
        format!("{} statement(s)", statements.len())
    } else {
        target.url.clone()
    };
    let mut collected = Collected::new(label);
    for set in open_sets(
        registry,
        &target.driver,
        Target::Statements,
        options,
        &mut collected,
    )? {
        match set.check_statements(statements, target, conn.as_deref_mut()) {
            Ok(found) => {
                collected.ran(&set, Target::Statements);
                collected.findings.extend(found);
            }
            Err(e) => collected.not_run(set.name(), e.to_string()),
        }
    }
    Ok(collected.into_report())
}

/// Every rule of every loaded rule set (of those examining `driver`, when given), with the
/// rule sets that could not be opened.
pub fn rules(registry: &Registry, driver: Option<&str>) -> (Vec<RuleDescription>, Vec<NotRun>) {
    let mut rules = Vec::new();
    let mut not_run = Vec::new();
    for cap in registry.capabilities_of(CapabilityKind::AUDIT) {
        if driver.is_some_and(|d| !cap.schemes.is_empty() && !cap.schemes.iter().any(|s| s == d)) {
            continue;
        }
        match RuleSet::open(registry, &cap.name, "") {
            Ok(set) => rules.extend(set.rules()),
            Err(e) => not_run.push(NotRun {
                rule_set: cap.name.clone(),
                reason: e.to_string(),
            }),
        }
    }
    (rules, not_run)
}

/// The statements of `sql`, each with the line and column of its first word (after any
/// leading comments) in `file` (when given).
pub fn split(sql: &str, file: Option<&str>) -> Vec<Statement> {
    crate::sql::split_statement_spans(sql)
        .into_iter()
        .map(|(at, text)| Statement {
            sql: text.to_string(),
            location: file.map(|f| {
                let (line, column) = position(sql, at + code_offset(text));
                Location {
                    file: f.to_string(),
                    line,
                    column,
                }
            }),
        })
        .collect()
}

/// Where the first word of a statement is, past its leading comments and blank lines.
fn code_offset(statement: &str) -> usize {
    let code = crate::sql::without_leading_comments(statement);
    statement.len() - code.len()
}

/// The 1-based line and column of byte `at` of `text`.
fn position(text: &str, at: usize) -> (u32, u32) {
    let before = &text[..at];
    let line = 1 + before.bytes().filter(|b| *b == b'\n').count() as u32;
    let column = 1 + before.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u32;
    (line, column)
}

/// Lints the up parts of every SQL migration in `dir`, one migration at a time (a table
/// created earlier in the same migration is new, and so not "large"). Rhai migrations
/// cannot be read statement by statement: each is listed as not checked, by file.
pub fn lint_migrations(
    registry: &Registry,
    dir: &Path,
    target: &AuditTargetInfo,
    mut conn: Option<&mut DatabaseConnection>,
    options: &AuditOptions,
) -> Result<Report> {
    let migrations = source::load_dir(dir)?;
    let mut total = Collected::new(dir.display().to_string());
    let mut first = true;
    for m in &migrations {
        let file = m.up.file.display().to_string();
        if m.kind == MigrationKind::Rhai {
            total.not_run(
                "migrations",
                format!("{file} is a Rhai migration: its statements are only known when it runs"),
            );
            continue;
        }
        let statements: Vec<Statement> =
            m.up.statements()
                .into_iter()
                .map(|s| {
                    // The line of the statement's first word, past its leading comments.
                    let (lines, column) = position(&s.sql, code_offset(&s.sql));
                    Statement {
                        location: Some(Location {
                            file: file.clone(),
                            line: s.line as u32 + lines - 1,
                            column: if lines > 1 { column } else { 1 },
                        }),
                        sql: s.sql,
                    }
                })
                .collect();
        let report = audit_statements(registry, &statements, target, conn.as_deref_mut(), options)?;
        if first {
            total.rules = report.rules;
            total.rule_sets = report.rule_sets;
            first = false;
        }
        total.findings.extend(report.findings);
        for n in report.not_run {
            if !total.not_run.contains(&n) {
                total.not_run.push(n);
            }
        }
    }
    if first {
        // No SQL migration: still say which rule sets would have run.
        let report = audit_statements(registry, &[], target, conn, options)?;
        total.rules = report.rules;
        total.rule_sets = report.rule_sets;
        total.not_run.extend(report.not_run);
    }
    Ok(total.into_report())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_skip_leading_comments() {
        let s = split("-- note\n\n  DELETE FROM t;", Some("f.sql"));
        let loc = s[0].location.as_ref().unwrap();
        assert_eq!((loc.line, loc.column), (3, 3));
    }

    #[test]
    fn split_reports_lines_and_columns() {
        let s = split("SELECT 1;\n\n  DELETE FROM t;", Some("V1__x.sql"));
        assert_eq!(s.len(), 2);
        let loc = s[1].location.as_ref().unwrap();
        assert_eq!((loc.line, loc.column), (3, 3));
        assert_eq!(s[1].sql, "DELETE FROM t");
    }
}
