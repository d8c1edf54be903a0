//! Checks of roles: `superuser-login` and `md5-role-passwords`.

use super::{probe, rules};
use myrmex_plugin::audit::{Finding, HostConnection};
use myrmex_plugin::PluginError;

/// The object id of the bootstrap superuser, the role `initdb` creates (usually `postgres`).
const BOOTSTRAP_SUPERUSER: u32 = 10;

/// Login roles with superuser rights other than the bootstrap superuser and `allowed`.
pub fn superusers(
    conn: &mut HostConnection<'_>,
    allowed: &[String],
) -> Result<Vec<Finding>, PluginError> {
    let rows = conn.text_rows(&format!(
        "SELECT rolname FROM pg_catalog.pg_roles \
         WHERE rolsuper AND rolcanlogin AND oid <> {BOOTSTRAP_SUPERUSER} ORDER BY rolname"
    ))?;
    Ok(rows
        .into_iter()
        .filter_map(|r| r.into_iter().next().flatten())
        .filter(|name| !allowed.contains(name))
        .map(|name| {
            rules::SUPERUSER_LOGIN.finding(
                format!("role {name}"),
                format!("role {name} can log in and is a superuser"),
            )
        })
        .collect())
}

/// Roles whose stored password is an md5 hash (read from `pg_authid`, which only superusers
/// may read unless granted; without it the check says it did not run). The hashes
/// themselves never leave the server.
pub fn md5_passwords(conn: &mut HostConnection<'_>) -> Result<Vec<Finding>, PluginError> {
    if !probe::can_select(conn, "pg_catalog.pg_authid")? {
        let user = probe::current_user(conn)?;
        return Ok(vec![probe::not_run(
            "md5-role-passwords",
            format!(
                "stored passwords are in pg_authid, which role {user} may not read (superusers only unless granted)"
            ),
        )]);
    }
    let rows = conn.text_rows(
        "SELECT rolname FROM pg_catalog.pg_authid \
         WHERE rolpassword LIKE 'md5%' ORDER BY rolname",
    )?;
    Ok(rows
        .into_iter()
        .filter_map(|r| r.into_iter().next().flatten())
        .map(|name| {
            rules::MD5_ROLE_PASSWORDS.finding(
                format!("role {name}"),
                format!("role {name}'s password is stored as an md5 hash"),
            )
        })
        .collect())
}
