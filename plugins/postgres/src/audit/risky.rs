//! The `risky-extensions` check: extensions, untrusted languages and memberships of the
//! predefined roles that reach the server's files, programs or other servers.

use super::rules;
use myrmex_plugin::audit::{Finding, HostConnection};
use myrmex_plugin::PluginError;

/// Extensions that reach beyond the database, with what each one does.
pub const EXTENSIONS: &[(&str, &str)] = &[
    (
        "adminpack",
        "writes, renames and removes files on the database server",
    ),
    (
        "dblink",
        "opens connections from the database server to any server it can reach",
    ),
    (
        "file_fdw",
        "reads files on the database server, and runs programs there, as foreign tables",
    ),
];

/// Predefined roles whose members reach the server's files or programs.
pub const SERVER_ROLES: &[(&str, &str)] = &[
    (
        "pg_execute_server_program",
        "runs programs on the database server (COPY ... PROGRAM)",
    ),
    (
        "pg_read_server_files",
        "reads any file the database server may read",
    ),
    (
        "pg_write_server_files",
        "writes any file the database server may write",
    ),
];

/// Installed risky extensions and untrusted languages in the current database, and
/// members (direct or inherited, superusers aside) of the predefined server-access roles.
pub fn check(conn: &mut HostConnection<'_>) -> Result<Vec<Finding>, PluginError> {
    let mut out = Vec::new();
    for row in conn.text_rows(
        "SELECT extname FROM pg_catalog.pg_extension \
         WHERE extname IN ('adminpack', 'dblink', 'file_fdw') ORDER BY extname",
    )? {
        let Some(name) = row.into_iter().next().flatten() else {
            continue;
        };
        let what = EXTENSIONS
            .iter()
            .find(|(e, _)| *e == name)
            .map_or("reaches beyond the database", |(_, w)| *w);
        out.push(rules::RISKY_EXTENSIONS.finding(
            format!("extension {name}"),
            format!("extension {name} is installed: it {what}"),
        ));
    }
    for row in conn.text_rows(
        "SELECT lanname FROM pg_catalog.pg_language \
         WHERE lanispl AND NOT lanpltrusted ORDER BY lanname",
    )? {
        if let Some(name) = row.into_iter().next().flatten() {
            out.push(rules::RISKY_EXTENSIONS.finding(
                format!("language {name}"),
                format!(
                    "untrusted language {name} is installed: its functions run any code as the database server's operating system user"
                ),
            ));
        }
    }
    for row in conn.text_rows(
        "SELECT m.rolname, g.name FROM pg_catalog.pg_roles m \
         CROSS JOIN (VALUES ('pg_execute_server_program'), ('pg_read_server_files'), \
                            ('pg_write_server_files')) AS g(name) \
         WHERE NOT m.rolsuper AND m.rolname NOT LIKE 'pg\\_%' \
           AND pg_catalog.pg_has_role(m.oid, g.name::name, 'MEMBER') \
         ORDER BY 1, 2",
    )? {
        let mut r = row.into_iter();
        let (Some(member), Some(role)) = (r.next().flatten(), r.next().flatten()) else {
            continue;
        };
        let what = SERVER_ROLES
            .iter()
            .find(|(g, _)| *g == role)
            .map_or("reaches the server's files", |(_, w)| *w);
        out.push(rules::RISKY_EXTENSIONS.finding(
            format!("role {member}"),
            format!("role {member} is a member of {role}: it {what}"),
        ));
    }
    Ok(out)
}
