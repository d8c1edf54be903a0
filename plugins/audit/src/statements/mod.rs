//! The `statements` rule set: statements that destroy data on every engine, and migration
//! steps that lock or rewrite large tables, or break running code, on the engine the
//! statements are meant for.
//!
//! Statements are read word by word with the engine's lexer rules, so comments and string
//! literals never trigger a rule. Each statement is checked in order; a table created
//! earlier in the same batch is new and exempt from the rules about its rows and locks.
//! Locking rules report only tables at or above `large_table_rows` (looked up when a
//! connection is given; without one the finding says the size is unknown).

mod alter;
mod batch;
mod breaking;
mod destructive;
mod index;
mod mysql;
mod name;
mod postgres;
mod size;
mod sqlite;

use crate::engine::Engine;
use crate::words::{words, Word};
use batch::Batch;
use myrmex_plugin::audit::{AuditRuleSet, Context, Finding, HostConnection, Rule, Statement};
use myrmex_plugin::sql::statement_spans;
use myrmex_plugin::{Config, PluginError};
use name::Name;
use serde::Deserialize;
use size::Sizes;

/// The rule set's name, as settings errors name it.
pub const NAME: &str = "statements";

/// The `statements` rule set's settings: those the host passes with the statements, else
/// those the rule set was opened with.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Locking rules report tables of at least this many rows (default 100000).
    pub large_table_rows: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            large_table_rows: 100_000,
        }
    }
}

/// The `statements` rule set.
#[derive(Clone, Debug, Default)]
pub struct StatementRules {
    settings: Settings,
}

/// Opens the rule set with the settings it was configured with.
pub fn open(config: Config<'_>) -> Result<StatementRules, PluginError> {
    Ok(StatementRules {
        settings: config.parse()?,
    })
}

impl StatementRules {
    /// The rule set with `settings`.
    pub fn new(settings: Settings) -> Self {
        StatementRules { settings }
    }
}

impl AuditRuleSet for StatementRules {
    fn rules(&self) -> Vec<Rule> {
        [
            destructive::RULES,
            breaking::RULES,
            postgres::RULES,
            mysql::RULES,
            sqlite::RULES,
        ]
        .concat()
    }

    fn check_statements(
        &self,
        statements: &[Statement],
        context: &Context,
        conn: Option<&mut HostConnection<'_>>,
    ) -> Result<Vec<Finding>, PluginError> {
        let settings = if context.settings.trim().is_empty() {
            self.settings.clone()
        } else {
            context.settings::<Settings>(NAME)?
        };
        let engine = Engine::of(context);
        let threshold = settings.large_table_rows;
        let mut sizes = Sizes::new(conn, engine, threshold.max(1));
        let mut batch = Batch::default();
        let mut found = Vec::new();
        for s in statements {
            for (_, sql) in statement_spans(&s.sql, engine.flavor()) {
                let w = words(sql, engine.flavor());
                for hit in hits(&w, engine, &batch) {
                    if let Some(f) = hit.finding(&mut sizes, threshold)? {
                        found.push(f.at(s.location.clone()));
                    }
                }
                batch.record(&w);
            }
        }
        Ok(found)
    }
}

/// What the rules for `engine` find in one statement.
fn hits(w: &[Word], engine: Engine, batch: &Batch) -> Vec<Hit> {
    let mut hits = Vec::new();
    destructive::check(w, batch, &mut hits);
    match engine {
        Engine::Postgres => postgres::check(w, batch, &mut hits),
        Engine::Mysql => mysql::check(w, batch, &mut hits),
        Engine::Sqlite => sqlite::check(w, batch, &mut hits),
        Engine::Unknown => return hits,
    }
    breaking::check(w, engine, batch, &mut hits);
    hits
}

/// What a rule found in one statement, before the size of its table is known.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Hit {
    /// The rule.
    pub rule: &'static Rule,
    /// What it is about: the table, or `statement`.
    pub object: String,
    /// What is wrong.
    pub message: String,
    /// For a locking rule: whose size decides whether it is reported.
    pub size_of: Option<Sized>,
}

/// The object whose size decides whether a locking finding is reported.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Sized {
    /// A table.
    Table(Name),
    /// An index (its table's size).
    Index(Name),
}

impl Hit {
    /// A hit of `rule` about `object`.
    pub fn new(rule: &'static Rule, object: impl Into<String>, message: impl Into<String>) -> Self {
        Hit {
            rule,
            object: object.into(),
            message: message.into(),
            size_of: None,
        }
    }

    /// The same hit, reported only when `of` is large.
    pub fn sized(mut self, of: Sized) -> Self {
        self.size_of = Some(of);
        self
    }

    /// The finding, naming the size for a locking rule; `None` when the object is smaller
    /// than `threshold` rows.
    fn finding(
        self,
        sizes: &mut Sizes<'_, '_>,
        threshold: u64,
    ) -> Result<Option<Finding>, PluginError> {
        let note = match &self.size_of {
            None => None,
            Some(of) => match sizes.rows(of)? {
                Some(rows) if rows.count() < threshold => return Ok(None),
                Some(rows) => Some(rows.phrase()),
                None => Some("size unknown".to_string()),
            },
        };
        let message = match note {
            Some(note) => format!("{} ({note})", self.message),
            None => self.message,
        };
        Ok(Some(self.rule.finding(self.object, message)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use myrmex_plugin::audit::{Location, Severity};

    fn check(sql: &str, driver: &str, settings: &str) -> Vec<Finding> {
        let context = Context {
            driver: driver.into(),
            settings: settings.into(),
            ..Context::default()
        };
        let statements = [Statement {
            sql: sql.into(),
            location: Some(Location {
                file: "m/001.sql".into(),
                line: 3,
                column: 1,
            }),
        }];
        StatementRules::default()
            .check_statements(&statements, &context, None)
            .unwrap()
    }

    #[test]
    fn every_rule_id_is_unique() {
        let rules = StatementRules::default().rules();
        let mut ids: Vec<_> = rules.iter().map(|r| r.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), rules.len());
        assert!(rules
            .iter()
            .all(|r| r.target == myrmex_plugin::audit::AuditTarget::STATEMENTS));
    }

    #[test]
    fn findings_carry_the_location_and_the_size_note() {
        let f = check("CREATE INDEX i ON orders (a)", "postgres", "");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].rule, "index-without-concurrently");
        assert_eq!(f[0].object, "orders");
        assert_eq!(f[0].severity, Severity::MEDIUM);
        assert!(f[0].message.ends_with("(size unknown)"), "{}", f[0].message);
        assert_eq!(f[0].location.as_ref().map(|l| l.line), Some(3));
        let f = check("DELETE FROM t", "", "");
        assert_eq!(f[0].message, "DELETE without WHERE removes every row of t");
    }

    #[test]
    fn one_text_may_hold_several_statements() {
        let f = check(
            "CREATE TABLE t (a int); CREATE INDEX i ON t (a); -- ; DROP TABLE u\nDROP TABLE v",
            "postgres",
            "",
        );
        let ids: Vec<_> = f
            .iter()
            .map(|f| (f.rule.as_str(), f.object.as_str()))
            .collect();
        assert_eq!(ids, [("drop", "v")]);
    }

    #[test]
    fn engine_rules_follow_the_context() {
        let sql = "ALTER TABLE t ALTER COLUMN a TYPE bigint";
        assert_eq!(check(sql, "postgres", "")[0].rule, "alter-column-type");
        assert_eq!(check(sql, "sqlite", "")[0].rule, "alter-rebuild");
        assert_eq!(check(sql, "mysql", "")[0].rule, "alter-without-online");
        assert!(check(sql, "", "").is_empty());
        assert!(check("CREATE INDEX i ON t (a)", "mysql", "").is_empty());
    }

    #[test]
    fn settings_are_checked() {
        let context = Context {
            settings: r#"{"large_table_rowz": 1}"#.into(),
            ..Context::default()
        };
        let e = StatementRules::default()
            .check_statements(&[], &context, None)
            .unwrap_err();
        assert!(e.message.contains("large_table_rowz"), "{e}");
        assert!(open(Config::new(NAME, r#"{"large_table_rows": 5}"#)).is_ok());
    }
}
