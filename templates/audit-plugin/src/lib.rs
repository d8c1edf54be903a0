//! `house`: a team's own audit rules, for every engine.
//!
//! * `select-star` (low, statements): `SELECT *` in code that ships breaks when a column is
//!   added.
//! * `table-prefix` (medium, connection): every table's name starts with the prefix the
//!   settings give (`{"prefix": "app_"}`); none given, the rule does not run.

use myrmex_plugin::audit::{
    AuditRuleSet, AuditTarget, Context, Finding, HostConnection, Rule, Severity, Statement,
};
use myrmex_plugin::sql::{tokens, Flavor, TokenKind};
use myrmex_plugin::{Config, PluginError};

const SELECT_STAR: Rule = Rule {
    id: "select-star",
    severity: Severity::LOW,
    target: AuditTarget::STATEMENTS,
    summary: "SELECT * returns whatever columns the table has today: code reading it breaks when one is added.",
    remedy: "Name the columns the code reads.",
};

const TABLE_PREFIX: Rule = Rule {
    id: "table-prefix",
    severity: Severity::MEDIUM,
    target: AuditTarget::CONNECTION,
    summary: "Every table of the application carries the team's prefix.",
    remedy: "Rename the table, or move it out of the application's schema.",
};

/// The rule set's settings.
#[derive(serde::Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct Settings {
    /// The prefix every table name starts with.
    prefix: Option<String>,
}

struct House;

impl AuditRuleSet for House {
    fn rules(&self) -> Vec<Rule> {
        vec![SELECT_STAR, TABLE_PREFIX]
    }

    fn check_statements(
        &self,
        statements: &[Statement],
        _context: &Context,
        _conn: Option<&mut HostConnection<'_>>,
    ) -> Result<Vec<Finding>, PluginError> {
        let mut found = Vec::new();
        for s in statements {
            // Code tokens only: a `*` in a comment or a string is not a SELECT list.
            let code: Vec<&str> = tokens(&s.sql, Flavor::Generic)
                .filter(|t| t.kind == TokenKind::Code)
                .flat_map(|t| t.text.split_whitespace())
                .collect();
            let star = code
                .windows(2)
                .any(|w| w[0].eq_ignore_ascii_case("select") && w[1] == "*");
            if star {
                found.push(
                    SELECT_STAR
                        .finding("statement", "SELECT * in a statement")
                        .at(s.location.clone()),
                );
            }
        }
        Ok(found)
    }

    fn check_connection(
        &self,
        conn: &mut HostConnection<'_>,
        context: &Context,
    ) -> Result<Vec<Finding>, PluginError> {
        let settings: Settings = context.settings("house")?;
        let Some(prefix) = settings.prefix else {
            return Ok(Vec::new());
        };
        let schema = conn.schema(&[])?;
        Ok(schema
            .tables
            .iter()
            .filter(|t| !t.name.starts_with(&prefix))
            .map(|t| {
                TABLE_PREFIX.finding(
                    &t.name,
                    format!("table {} does not start with `{prefix}`", t.name),
                )
            })
            .collect())
    }
}

fn open(_config: Config) -> Result<House, PluginError> {
    Ok(House)
}

myrmex_plugin::plugin! {
    audit "house": "a team's own rules: no SELECT *, table name prefix" => open,
}
