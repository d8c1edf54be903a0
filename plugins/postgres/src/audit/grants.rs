//! Checks of what every role (PUBLIC) was granted in the audited database:
//! `public-schema-create` and `public-function-execute`.

use super::{probe, rules};
use myrmex_plugin::audit::{Finding, HostConnection};
use myrmex_plugin::PluginError;

/// Schemas of the current database where PUBLIC may create objects (the system schemas
/// aside).
pub fn schema_create(conn: &mut HostConnection<'_>) -> Result<Vec<Finding>, PluginError> {
    let db = probe::current_database(conn)?;
    let rows = conn.text_rows(
        "SELECT nspname FROM pg_catalog.pg_namespace \
         WHERE pg_catalog.has_schema_privilege('public', oid, 'CREATE') \
           AND nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' \
         ORDER BY nspname",
    )?;
    Ok(rows
        .into_iter()
        .filter_map(|r| r.into_iter().next().flatten())
        .map(|schema| {
            rules::PUBLIC_SCHEMA_CREATE.finding(
                format!("schema {schema}"),
                format!(
                    "every role (PUBLIC) can create objects in schema {schema} of database {db}"
                ),
            )
        })
        .collect())
}

/// SECURITY DEFINER functions of the current database that PUBLIC may execute, outside
/// `pg_catalog` and `information_schema`. Trigger and event trigger functions are left
/// out: nobody can call them directly.
pub fn function_execute(conn: &mut HostConnection<'_>) -> Result<Vec<Finding>, PluginError> {
    let rows = conn.text_rows(
        "SELECT p.oid::pg_catalog.regprocedure::text, pg_catalog.pg_get_userbyid(p.proowner), \
                coalesce(r.rolsuper, false) \
         FROM pg_catalog.pg_proc p \
         JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace \
         LEFT JOIN pg_catalog.pg_roles r ON r.oid = p.proowner \
         WHERE p.prosecdef \
           AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
           AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%' \
           AND p.prorettype NOT IN ('pg_catalog.trigger'::pg_catalog.regtype, \
                                    'pg_catalog.event_trigger'::pg_catalog.regtype) \
           AND pg_catalog.has_function_privilege('public', p.oid, 'EXECUTE') \
         ORDER BY 1",
    )?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let mut r = r.into_iter();
            let function = r.next().flatten()?;
            let owner = r.next().flatten().unwrap_or_default();
            let superuser = r.next().flatten().as_deref() == Some("true");
            Some((function, owner, superuser))
        })
        .map(|(function, owner, superuser)| {
            let owner = if superuser {
                format!("{owner} (a superuser)")
            } else {
                owner
            };
            rules::PUBLIC_FUNCTION_EXECUTE.finding(
                format!("function {function}"),
                format!(
                    "every role (PUBLIC) can execute SECURITY DEFINER function {function}, which runs as {owner}"
                ),
            )
        })
        .collect())
}
