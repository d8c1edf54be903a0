//! Broad grants: table privileges PostgreSQL grants to PUBLIC, and MySQL or MariaDB accounts
//! other than the administrators (`root`, `mysql`) holding the whole global privilege set, or global privileges from any
//! host (`%`). SQLite has no grants.

use crate::engine::Engine;
use myrmex_plugin::audit::{AuditTarget, Finding, HostConnection, Rule, Severity};
use myrmex_plugin::PluginError;
use std::collections::BTreeMap;

/// Privileges granted to everyone, everywhere, or all at once.
pub const BROAD_GRANTS: Rule = Rule {
    id: "broad-grants",
    severity: Severity::MEDIUM,
    target: AuditTarget::CONNECTION,
    summary: "Privileges granted to everyone (PUBLIC), from any host ('%'), or the whole global \
              privilege set given to an account other than the administrator.",
    remedy: "Revoke them; grant each role only the privileges it needs, on the objects it \
             needs, from the hosts it connects from.",
};

/// The rules of this module.
pub const RULES: &[Rule] = &[BROAD_GRANTS];

/// Adds the broad grants `conn` shows to `found`.
pub fn check(
    conn: &mut HostConnection<'_>,
    engine: Engine,
    found: &mut Vec<Finding>,
) -> Result<(), PluginError> {
    match engine {
        Engine::Postgres => postgres(conn, found),
        Engine::Mysql => mysql(conn, found),
        Engine::Sqlite | Engine::Unknown => Ok(()),
    }
}

/// Table privileges granted to PUBLIC outside the system schemas.
/// `information_schema.table_privileges` lists PUBLIC's grants whoever asks.
fn postgres(conn: &mut HostConnection<'_>, found: &mut Vec<Finding>) -> Result<(), PluginError> {
    let rows = conn.text_rows(
        "SELECT table_schema, table_name, \
                string_agg(privilege_type, ', ' ORDER BY privilege_type) \
         FROM information_schema.table_privileges \
         WHERE grantee = 'PUBLIC' AND table_schema NOT IN ('pg_catalog', 'information_schema') \
         GROUP BY table_schema, table_name ORDER BY table_schema, table_name",
    )?;
    for row in rows {
        let [Some(schema), Some(table), Some(privileges)] = &row[..] else {
            continue;
        };
        let object = format!("{schema}.{table}");
        found.push(BROAD_GRANTS.finding(
            &object,
            format!("PUBLIC (every role) holds {privileges} on {object}"),
        ));
    }
    Ok(())
}

/// Privileges that together mean `ALL PRIVILEGES ON *.*`.
const ALL_GLOBAL: &[&str] = &[
    "SELECT",
    "INSERT",
    "UPDATE",
    "DELETE",
    "CREATE",
    "DROP",
    "RELOAD",
    "SHUTDOWN",
    "PROCESS",
    "FILE",
    "ALTER",
    "CREATE USER",
];

/// The administrator accounts the server is installed with (MariaDB makes `mysql` as a
/// second one, reachable only through the Unix socket by the system user of that name).
const ADMINISTRATORS: &[&str] = &["root", "mysql"];

/// Global privileges of accounts other than the administrators and the server's own.
fn mysql(conn: &mut HostConnection<'_>, found: &mut Vec<Finding>) -> Result<(), PluginError> {
    let rows = conn.text_rows(
        "SELECT grantee, privilege_type FROM information_schema.user_privileges \
         ORDER BY grantee, privilege_type",
    )?;
    let mut by_grantee: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for row in rows {
        if let [Some(grantee), Some(privilege)] = &row[..] {
            if privilege != "USAGE" {
                by_grantee
                    .entry(grantee.clone())
                    .or_default()
                    .push(privilege.clone());
            }
        }
    }
    for (grantee, privileges) in by_grantee {
        let (user, host) = account(&grantee);
        if ADMINISTRATORS.contains(&user)
            || user.starts_with("mysql.")
            || user.starts_with("mariadb.")
        {
            continue;
        }
        let all = ALL_GLOBAL.iter().all(|p| privileges.iter().any(|q| q == p));
        let message = match (all, host == "%") {
            (true, true) => format!(
                "{grantee} holds every global privilege (ALL PRIVILEGES ON *.*), from any host"
            ),
            (true, false) => {
                format!("{grantee} holds every global privilege (ALL PRIVILEGES ON *.*)")
            }
            (false, true) => format!(
                "{grantee} holds global privileges from any host: {}",
                privileges.join(", ")
            ),
            (false, false) => continue,
        };
        found.push(BROAD_GRANTS.finding(&grantee, message));
    }
    Ok(())
}

/// The user and host of a grantee written `'user'@'host'`.
fn account(grantee: &str) -> (&str, &str) {
    match grantee.rsplit_once('@') {
        Some((user, host)) => (user.trim_matches('\''), host.trim_matches('\'')),
        None => (grantee.trim_matches('\''), ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_are_split() {
        assert_eq!(account("'app'@'%'"), ("app", "%"));
        assert_eq!(account("'a@b'@'localhost'"), ("a@b", "localhost"));
        assert_eq!(account("root"), ("root", ""));
    }
}
