//! # The `mysql` audit rule set
//!
//! Configuration checks for MySQL and MariaDB servers, and the MariaDB server_audit log.
//! Every rule examines a live connection ([`AuditTarget::CONNECTION`]):
//!
//! | id | severity | finds |
//! |---|---|---|
//! | `anonymous-user` | critical | accounts with an empty user name |
//! | `empty-password` | critical | accounts whose password (native, SHA-2, ed25519, old) is empty; socket and external plugins are not passwords |
//! | `root-remote` | high | `root` on a host other than `localhost`, `127.0.0.1`, `::1` |
//! | `local-infile` | medium | `local_infile` ON |
//! | `secure-file-priv` | medium | `secure_file_priv` places no restriction (empty; on MariaDB also NULL) |
//! | `tls-not-required` | high | `require_secure_transport` OFF, or no TLS (`have_ssl` not `YES`) |
//! | `wildcard-host-accounts` | low | accounts on host `%` |
//! | `old-password-plugin` | medium | accounts on `mysql_old_password`, or `old_passwords` ON |
//! | `test-database` | low | a `test` database, or grants on `test`/`test\_%` to every account |
//! | `insufficient-privilege` | info | a check could not read what it needs: which check, and why |
//!
//! Locked accounts (MySQL roles among them) cannot log in and are not reported; MariaDB roles
//! are skipped. Accounts are read from `mysql.global_priv` on MariaDB and `mysql.user` on
//! MySQL, grants from `mysql.db`, settings from `SHOW GLOBAL VARIABLES` (see [`config`] for
//! where the engines differ).
//!
//! The server log is MariaDB's server_audit plugin: configuring it installs the plugin when
//! it is not loaded and sets `{"events": "CONNECT,QUERY_DDL,QUERY_DML", "file": null}` (the
//! defaults); reading it goes through `LOAD_FILE()` (see [`server_audit`]).

pub mod accounts;
pub mod config;
pub mod log_format;
pub mod rules;
pub mod server_audit;

use myrmex_plugin::audit::{AuditRuleSet, Context, Finding, HostConnection, LogRecord, Rule};
use myrmex_plugin::{Config, PluginError};

#[cfg(doc)]
use myrmex_plugin::audit::AuditTarget;

/// The rule set. It holds no state: every call reads the server afresh.
#[derive(Debug, Clone, Copy, Default)]
pub struct MysqlAudit;

/// Opens the rule set. It takes no settings of its own (the server log's settings come with
/// each configure call): any given are an error naming the rule set.
pub fn open(config: Config) -> Result<MysqlAudit, PluginError> {
    match config.json().trim() {
        "" | "{}" | "null" => Ok(MysqlAudit),
        other => Err(PluginError::invalid(format!(
            "the mysql audit rule set takes no settings (got {other})"
        ))),
    }
}

impl AuditRuleSet for MysqlAudit {
    fn rules(&self) -> Vec<Rule> {
        rules::ALL.to_vec()
    }

    fn check_connection(
        &self,
        conn: &mut HostConnection<'_>,
        _context: &Context,
    ) -> Result<Vec<Finding>, PluginError> {
        config::check(conn)
    }

    fn configure_server_log(
        &self,
        conn: &mut HostConnection<'_>,
        settings: Config<'_>,
    ) -> Result<Vec<String>, PluginError> {
        server_audit::configure(conn, settings)
    }

    fn server_log(
        &self,
        conn: &mut HostConnection<'_>,
        since: &str,
        limit: u32,
    ) -> Result<Vec<LogRecord>, PluginError> {
        server_audit::read(conn, since, limit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use myrmex_abi::{CapabilityKind, RStr};

    #[test]
    fn every_rule_is_listed_and_settings_are_refused() {
        assert_eq!(MysqlAudit.rules().len(), 10);
        assert!(open(Config::new("mysql", "")).is_ok());
        assert!(open(Config::new("mysql", r#"{"x": 1}"#)).is_err());
    }

    #[test]
    fn the_plugin_exports_the_rule_set_through_the_contract() {
        let module = crate::__myrmex_root_module();
        let audit: Vec<_> = module
            .info()
            .capabilities
            .iter()
            .filter(|c| c.kind == CapabilityKind::AUDIT)
            .map(|c| {
                (
                    c.name.as_str(),
                    c.schemes.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
                )
            })
            .collect();
        assert_eq!(audit, [("mysql", vec!["mysql"])]);
        let set = crate::__myrmex_open_audit(RStr::from_str("mysql"), RStr::from_str(""))
            .into_result()
            .expect("open the rule set");
        let ids: Vec<String> = set.rules().iter().map(|r| r.id.to_string()).collect();
        assert_eq!(ids, rules::ALL.map(|r| r.id.to_string()));
    }
}
