//! Privileges (read only when a request asks for them) on tables, views, sequences,
//! schemas and functions, from their access lists. An owner's own privileges are implicit
//! and left out.

use super::Ctx;
use crate::catalog::get;
use crate::session::Session;
use myrmex_plugin::schema::Grant;
use myrmex_plugin::PluginError;
use std::collections::BTreeMap;

const GRANTEE: &str =
    "CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END";

fn queries() -> [String; 3] {
    [
        format!(
            "SELECT CASE WHEN c.relkind = 'S' THEN 'sequence' WHEN c.relkind IN ('v', 'm') THEN 'view' \
               ELSE 'table' END, n.nspname::text, c.relname::text, {GRANTEE}, a.privilege_type, a.is_grantable \
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(c.relacl) a \
             WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S') AND n.nspname = ANY ($1::text[]) \
             AND a.grantee <> c.relowner"
        ),
        format!(
            "SELECT 'schema', '', n.nspname::text, {GRANTEE}, a.privilege_type, a.is_grantable \
             FROM pg_namespace n, aclexplode(n.nspacl) a \
             WHERE n.nspname = ANY ($1::text[]) AND a.grantee <> n.nspowner"
        ),
        format!(
            "SELECT CASE WHEN p.prokind = 'p' THEN 'procedure' ELSE 'function' END, n.nspname::text, \
               p.proname::text || '(' || pg_get_function_identity_arguments(p.oid) || ')', \
               {GRANTEE}, a.privilege_type, a.is_grantable \
             FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace, aclexplode(p.proacl) a \
             WHERE n.nspname = ANY ($1::text[]) AND a.grantee <> p.proowner \
             AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_proc'::regclass \
               AND e.objid = p.oid AND e.deptype = 'e')"
        ),
    ]
}

/// The grants on objects of the schemas read, one per object, grantee and grant option.
pub fn read(s: &Session, ctx: &Ctx) -> Result<Vec<Grant>, PluginError> {
    let mut by: BTreeMap<(String, String, String, bool), Vec<String>> = BTreeMap::new();
    for q in queries() {
        for r in s.rows(&q, &[&ctx.schemas])? {
            let on: String = get(&r, 0)?;
            let schema: String = get(&r, 1)?;
            let name: String = get(&r, 2)?;
            let object = if schema.is_empty() {
                name
            } else {
                ctx.qualified(&schema, &name)
            };
            by.entry((on, object, get(&r, 3)?, get(&r, 5)?))
                .or_default()
                .push(get(&r, 4)?);
        }
    }
    Ok(by
        .into_iter()
        .map(|((on, object, to, grant_option), mut privileges)| {
            privileges.sort();
            privileges.dedup();
            Grant {
                on,
                object,
                to,
                privileges,
                grant_option,
            }
        })
        .collect())
}
