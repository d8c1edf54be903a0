//! What the auditing session may see: settings, privileges, and the finding that says a
//! check could not run.

use super::rules;
use myrmex_plugin::audit::{Finding, HostConnection};
use myrmex_plugin::{ErrorKind, PluginError, Value};
use std::collections::HashMap;

/// Server settings as `pg_settings` shows them to the session. A setting it may not see
/// (superuser-only ones, without `pg_read_all_settings`) or that no loaded module defines
/// (`pgaudit.log` without pgaudit) is absent.
#[derive(Debug, Default, Clone)]
pub struct Settings(HashMap<String, String>);

impl Settings {
    /// Reads `names` from `pg_settings`.
    pub fn read(conn: &mut HostConnection<'_>, names: &[&str]) -> Result<Self, PluginError> {
        let list = names
            .iter()
            .map(|n| quote_literal(n))
            .collect::<Vec<_>>()
            .join(", ");
        let rows = conn.text_rows(&format!(
            "SELECT name, setting FROM pg_catalog.pg_settings WHERE name IN ({list})"
        ))?;
        Ok(Settings(
            rows.into_iter()
                .filter_map(|r| {
                    let mut r = r.into_iter();
                    Some((r.next()??, r.next().flatten().unwrap_or_default()))
                })
                .collect(),
        ))
    }

    /// Settings from pairs, for tests.
    #[cfg(test)]
    pub fn of(pairs: &[(&str, &str)]) -> Self {
        Settings(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    /// The value of `name`, when the session sees it.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// True when the boolean setting `name` is on (`None` when it is not visible).
    pub fn on(&self, name: &str) -> Option<bool> {
        self.get(name).map(|v| v == "on" || v == "true")
    }
}

/// The role the session runs as.
pub fn current_user(conn: &mut HostConnection<'_>) -> Result<String, PluginError> {
    Ok(conn.scalar("SELECT current_user")?.unwrap_or_default())
}

/// The session's database.
pub fn current_database(conn: &mut HostConnection<'_>) -> Result<String, PluginError> {
    Ok(conn
        .scalar("SELECT current_database()")?
        .unwrap_or_default())
}

/// True when the session may run `sql`, a query returning one boolean with `object` as its
/// parameter (`has_table_privilege($1, 'SELECT')`).
pub fn allowed(
    conn: &mut HostConnection<'_>,
    sql: &str,
    object: &str,
) -> Result<bool, PluginError> {
    let rows = conn.rows(sql, &[Value::Text(object.into())])?;
    Ok(matches!(
        rows.first().and_then(|r| r.first()),
        Some(Value::Bool(true))
    ))
}

/// True when the session may read relation `name`.
pub fn can_select(conn: &mut HostConnection<'_>, name: &str) -> Result<bool, PluginError> {
    allowed(
        conn,
        "SELECT pg_catalog.has_table_privilege($1, 'SELECT')",
        name,
    )
}

/// The finding that says `check` could not run, and why.
pub fn not_run(check: &str, why: impl std::fmt::Display) -> Finding {
    rules::CHECK_NOT_RUN.finding(
        format!("check {check}"),
        format!("{check} did not run: {why}"),
    )
}

/// The findings of `check`, or, when the server refused it for want of a privilege or
/// lacks what it reads, the finding that says it could not run. Other errors (a closed
/// connection) stand.
pub fn guarded(
    check: &str,
    result: Result<Vec<Finding>, PluginError>,
) -> Result<Vec<Finding>, PluginError> {
    match result {
        Err(e) if refused(&e) => Ok(vec![not_run(
            check,
            format!("the server refused it: {}", e.message),
        )]),
        other => other,
    }
}

/// True when `e` is the server refusing a query for want of a privilege, or lacking the
/// view or function it reads (an older server): the check cannot run, the audit goes on.
pub fn refused(e: &PluginError) -> bool {
    e.kind == ErrorKind::PERMISSION || e.kind == ErrorKind::NOT_FOUND
}

/// `s` as an SQL string literal.
pub fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_double_their_quotes() {
        assert_eq!(quote_literal("a'b"), "'a''b'");
        assert_eq!(quote_literal(""), "''");
    }

    #[test]
    fn a_refused_check_says_so_and_other_errors_stand() {
        let refused = guarded(
            "md5-role-passwords",
            Err(PluginError::new(ErrorKind::PERMISSION, "permission denied")),
        )
        .unwrap();
        assert_eq!(refused.len(), 1);
        assert_eq!(refused[0].rule, "check-not-run");
        assert!(refused[0]
            .message
            .contains("md5-role-passwords did not run"));
        assert!(guarded("x", Err(PluginError::new(ErrorKind::CLOSED, "gone"))).is_err());
    }

    #[test]
    fn booleans_read_as_the_server_writes_them() {
        let s = Settings::of(&[("ssl", "on"), ("log_connections", "off")]);
        assert_eq!(s.on("ssl"), Some(true));
        assert_eq!(s.on("log_connections"), Some(false));
        assert_eq!(s.on("missing"), None);
    }
}
