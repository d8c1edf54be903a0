//! The `schema` rule set: what the tables of the connection's database hold and who may
//! read them. Tables without a primary key, foreign keys no index serves, secrets and card
//! numbers stored in the clear (by name and by sampled values), and broad grants.

mod grants;
mod keys;
mod secrets;
mod values;

use crate::engine::Engine;
use myrmex_plugin::audit::{AuditRuleSet, Context, Finding, HostConnection, Rule};
use myrmex_plugin::{Config, PluginError};
use serde::Deserialize;

/// The rule set's name, as settings errors name it.
pub const NAME: &str = "schema";

/// The `schema` rule set's settings: those the host passes with the connection, else those
/// the rule set was opened with.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Rows sampled per table to tell hashes and card numbers (default 50; 0 samples none).
    pub sample_rows: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { sample_rows: 50 }
    }
}

/// The `schema` rule set.
#[derive(Clone, Debug, Default)]
pub struct SchemaRules {
    settings: Settings,
}

/// Opens the rule set with the settings it was configured with.
pub fn open(config: Config<'_>) -> Result<SchemaRules, PluginError> {
    Ok(SchemaRules {
        settings: config.parse()?,
    })
}

impl SchemaRules {
    /// The rule set with `settings`.
    pub fn new(settings: Settings) -> Self {
        SchemaRules { settings }
    }
}

impl AuditRuleSet for SchemaRules {
    fn rules(&self) -> Vec<Rule> {
        [keys::RULES, secrets::RULES, grants::RULES].concat()
    }

    fn check_connection(
        &self,
        conn: &mut HostConnection<'_>,
        context: &Context,
    ) -> Result<Vec<Finding>, PluginError> {
        let settings = if context.settings.trim().is_empty() {
            self.settings.clone()
        } else {
            context.settings::<Settings>(NAME)?
        };
        let dialect = conn.dialect()?;
        let engine = match Engine::of(context) {
            Engine::Unknown => Engine::named(dialect.name.as_str()).unwrap_or(Engine::Unknown),
            known => known,
        };
        let def = conn.schema(&[])?;
        let mut found = Vec::new();
        keys::check(&def, &mut found);
        secrets::check(
            conn,
            &def.tables,
            dialect.quote_char(),
            settings.sample_rows,
            &mut found,
        )?;
        grants::check(conn, engine, &mut found)?;
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use myrmex_plugin::audit::AuditTarget;

    #[test]
    fn rules_are_unique_and_examine_connections() {
        let rules = SchemaRules::default().rules();
        let mut ids: Vec<_> = rules.iter().map(|r| r.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), rules.len());
        assert!(rules.iter().all(|r| r.target == AuditTarget::CONNECTION));
    }

    #[test]
    fn settings() {
        assert_eq!(SchemaRules::default().settings.sample_rows, 50);
        assert!(open(Config::new(NAME, r#"{"sample_rows": 5}"#)).is_ok());
        assert!(open(Config::new(NAME, r#"{"rows": 5}"#)).is_err());
    }
}
