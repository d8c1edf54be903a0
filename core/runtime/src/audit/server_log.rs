//! The server's own audit log (pgaudit, MariaDB's server_audit, …), read and configured
//! through whichever rule set of the connection's driver knows it.

use super::rule_set::{RuleSet, ServerLogRecord};
use crate::plugin::Registry;
use crate::{DatabaseConnection, Error, Result};
use myrmex_abi::{CapabilityKind, ErrorKind};

/// Runs `f` with each rule set that examines `conn`'s driver (or only `rule_set`), until
/// one does not answer "unsupported".
fn first_supporting<T>(
    registry: &Registry,
    conn: &mut DatabaseConnection,
    rule_set: Option<&str>,
    what: &str,
    mut f: impl FnMut(&RuleSet, &mut DatabaseConnection) -> Result<T>,
) -> Result<T> {
    let driver = conn.driver_name().to_string();
    let names: Vec<String> = match rule_set {
        Some(name) => vec![name.to_string()],
        None => registry
            .capabilities_of(CapabilityKind::AUDIT)
            .into_iter()
            .filter(|c| c.schemes.contains(&driver))
            .map(|c| c.name)
            .collect(),
    };
    for name in &names {
        let set = RuleSet::open(registry, name, "")?;
        match f(&set, conn) {
            Err(Error::Capability { source, .. })
                if source.kind == ErrorKind::UNSUPPORTED && rule_set.is_none() => {}
            other => return other,
        }
    }
    Err(Error::AuditNotApplicable {
        name: rule_set.unwrap_or("(any)").to_string(),
        reason: format!(
            "no loaded audit rule set for `{driver}` can {what} (tried: {})",
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        ),
    })
}

/// Reads the server's own audit log of `conn`: entries at or after `since` (RFC 3339;
/// empty for all), at most `limit` of the newest (0: all).
pub fn server_log(
    registry: &Registry,
    conn: &mut DatabaseConnection,
    rule_set: Option<&str>,
    since: &str,
    limit: u32,
) -> Result<Vec<ServerLogRecord>> {
    first_supporting(
        registry,
        conn,
        rule_set,
        "read a server-side audit log",
        |set, c| set.server_log(c, since, limit),
    )
}

/// Switches the server's own audit log on (`settings` as JSON, empty for the rule set's
/// defaults); the statements that were run.
pub fn configure_server_log(
    registry: &Registry,
    conn: &mut DatabaseConnection,
    rule_set: Option<&str>,
    settings: &str,
) -> Result<Vec<String>> {
    first_supporting(
        registry,
        conn,
        rule_set,
        "configure a server-side audit log",
        |set, c| set.configure_server_log(c, settings),
    )
}
