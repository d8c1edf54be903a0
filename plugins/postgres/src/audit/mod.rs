//! The `postgres` audit rule set: checks of a PostgreSQL server's configuration, roles and
//! grants, and pgaudit as the server's own audit log.
//!
//! # Rules
//!
//! Every rule examines a connection (target `connection`):
//!
//! | id | severity | finds |
//! |----|----------|-------|
//! | `hba-trust-network` | critical | a `pg_hba.conf` line with `trust` for a network address (anything but the loopback address: `all`, `samehost`, `samenet`, `0.0.0.0/0`, a host name) |
//! | `hba-trust-local` | low | a `trust` line for the Unix socket or the loopback address |
//! | `hba-password-cleartext` | high | method `password` on a `host`/`hostnossl` line for a network address |
//! | `hba-md5` | medium | method `md5` |
//! | `hba-unreadable` | info | `pg_hba_file_rules` could not be read (not a superuser): the `hba-*` rules did not run |
//! | `ssl-off` | high | `ssl` off while `listen_addresses` is more than the loopback address |
//! | `password-encryption` | medium | `password_encryption` is not `scram-sha-256` |
//! | `md5-role-passwords` | medium | roles whose stored password is an md5 hash (`pg_authid`) |
//! | `superuser-login` | high | login roles with superuser rights other than the bootstrap superuser (object id 10, usually `postgres`) and the rule set's `allowed_superusers` |
//! | `public-schema-create` | medium | a schema where PUBLIC has CREATE |
//! | `public-function-execute` | high | a SECURITY DEFINER function outside `pg_catalog`/`information_schema` that PUBLIC can execute |
//! | `logging` | low | `log_connections` or `log_disconnections` off; `log_statement` none while pgaudit is not logging |
//! | `risky-extensions` | medium | `adminpack`, `dblink` or `file_fdw` installed; an untrusted language (`plperlu`, `plpython3u`, `pltclu`, …); members of `pg_execute_server_program`, `pg_read_server_files`, `pg_write_server_files` |
//! | `check-not-run` | info | a check that needs a privilege the session lacks (the finding names the check and the privilege) |
//!
//! Schemas, functions and extensions are those of the connection's database; roles,
//! settings and `pg_hba.conf` are the server's.
//!
//! # Settings
//!
//! The rule set's settings (JSON): `{"allowed_superusers": ["admin"]}`, superuser roles
//! `superuser-login` accepts besides the bootstrap superuser. Settings in the audit's
//! context, when given, take the place of those the rule set was opened with.
//!
//! # Server log
//!
//! [`pgaudit::configure`] switches pgaudit's session log on ([`pgaudit::LogSettings`]);
//! [`serverlog::read`] reads its records back from the server's current log file.

mod config;
pub mod csvlog;
mod grants;
mod hba;
pub mod logtime;
pub mod pgaudit;
mod probe;
mod risky;
mod roles;
pub mod rules;
pub mod serverlog;
pub mod stderrlog;

use myrmex_plugin::audit::{AuditRuleSet, Context, Finding, HostConnection, LogRecord, Rule};
use myrmex_plugin::{Config, PluginError};
use serde::Deserialize;

/// The rule set's settings.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Superuser login roles `superuser-login` accepts besides the bootstrap superuser.
    pub allowed_superusers: Vec<String>,
}

/// The `postgres` audit rule set.
#[derive(Debug, Clone, Default)]
pub struct PgAudit {
    settings: Settings,
}

impl PgAudit {
    /// The rule set with `settings`.
    pub fn new(settings: Settings) -> Self {
        PgAudit { settings }
    }
}

/// Opens the rule set with the user's settings.
pub fn open(config: Config<'_>) -> Result<PgAudit, PluginError> {
    Ok(PgAudit::new(config.parse()?))
}

impl AuditRuleSet for PgAudit {
    fn rules(&self) -> Vec<Rule> {
        rules::ALL.to_vec()
    }

    fn check_connection(
        &self,
        conn: &mut HostConnection<'_>,
        context: &Context,
    ) -> Result<Vec<Finding>, PluginError> {
        let settings = if context.settings.trim().is_empty() {
            self.settings.clone()
        } else {
            context.settings::<Settings>("postgres")?
        };
        let mut out = hba::check(conn)?;
        let user = probe::current_user(conn)?;
        let seen = probe::Settings::read(conn, config::SETTINGS)?;
        out.extend(config::findings(&seen, &user));
        out.extend(probe::guarded(
            "md5-role-passwords",
            roles::md5_passwords(conn),
        )?);
        out.extend(probe::guarded(
            "superuser-login",
            roles::superusers(conn, &settings.allowed_superusers),
        )?);
        out.extend(probe::guarded(
            "public-schema-create",
            grants::schema_create(conn),
        )?);
        out.extend(probe::guarded(
            "public-function-execute",
            grants::function_execute(conn),
        )?);
        out.extend(probe::guarded("risky-extensions", risky::check(conn))?);
        Ok(out)
    }

    fn configure_server_log(
        &self,
        conn: &mut HostConnection<'_>,
        settings: Config<'_>,
    ) -> Result<Vec<String>, PluginError> {
        pgaudit::configure(conn, settings)
    }

    fn server_log(
        &self,
        conn: &mut HostConnection<'_>,
        since: &str,
        limit: u32,
    ) -> Result<Vec<LogRecord>, PluginError> {
        serverlog::read(conn, since, limit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_is_listed_in_the_module_documentation() {
        let doc = include_str!("mod.rs");
        for r in PgAudit::default().rules() {
            let row = format!("| `{}` | {} |", r.id, r.severity.name());
            assert!(doc.contains(&row), "{row}");
        }
    }

    #[test]
    fn settings_are_checked() {
        let a = open(Config::new(
            "postgres",
            r#"{"allowed_superusers": ["admin"]}"#,
        ))
        .unwrap();
        assert_eq!(a.settings.allowed_superusers, ["admin"]);
        assert!(open(Config::new("postgres", r#"{"superusers": []}"#)).is_err());
        assert!(open(Config::new("postgres", "")).is_ok());
    }
}
