//! What the schemas read hold and the definition cannot express, each by kind, name and
//! reason: one catalog query per kind. Objects that belong to an extension are left out
//! (the extension stands for them).

use super::Ctx;
use crate::catalog::get;
use crate::session::Session;
use myrmex_plugin::schema::Unsupported;
use myrmex_plugin::PluginError;

/// Not a member of an extension.
fn own(class: &str, oid: &str) -> String {
    format!(
        "NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = '{class}'::regclass \
         AND e.objid = {oid} AND e.deptype = 'e')"
    )
}

/// (kind, reason, query returning schema and name).
fn queries(with_grants: bool) -> Vec<(&'static str, &'static str, String)> {
    let in_scope = "n.nspname = ANY ($1::text[])";
    let mut q = vec![
        (
            "rule",
            "rewrite rules are not part of the definition",
            format!(
                "SELECT n.nspname::text, c.relname::text || '.' || r.rulename::text FROM pg_rewrite r \
                 JOIN pg_class c ON c.oid = r.ev_class JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE r.rulename <> '_RETURN' AND {in_scope}"
            ),
        ),
        (
            "aggregate",
            "aggregates and window functions are not part of the definition",
            format!(
                "SELECT n.nspname::text, p.proname::text || '(' || pg_get_function_identity_arguments(p.oid) || ')' \
                 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
                 WHERE p.prokind IN ('a', 'w') AND {in_scope} AND {}",
                own("pg_proc", "p.oid")
            ),
        ),
        (
            "operator",
            "operators are not part of the definition",
            format!(
                "SELECT n.nspname::text, o.oprname::text || '(' || format_type(o.oprleft, NULL) || ', ' \
                   || format_type(o.oprright, NULL) || ')' \
                 FROM pg_operator o JOIN pg_namespace n ON n.oid = o.oprnamespace \
                 WHERE {in_scope} AND {}",
                own("pg_operator", "o.oid")
            ),
        ),
        (
            "operator class",
            "operator classes are not part of the definition",
            format!(
                "SELECT n.nspname::text, o.opcname::text FROM pg_opclass o \
                 JOIN pg_namespace n ON n.oid = o.opcnamespace WHERE {in_scope} AND {}",
                own("pg_opclass", "o.oid")
            ),
        ),
        (
            "operator family",
            "operator families are not part of the definition",
            format!(
                "SELECT n.nspname::text, o.opfname::text FROM pg_opfamily o \
                 JOIN pg_namespace n ON n.oid = o.opfnamespace WHERE {in_scope} AND {}",
                own("pg_opfamily", "o.oid")
            ),
        ),
        (
            "foreign table",
            "foreign tables are not part of the definition",
            format!(
                "SELECT n.nspname::text, c.relname::text FROM pg_class c \
                 JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'f' AND {in_scope} AND {}",
                own("pg_class", "c.oid")
            ),
        ),
        (
            "composite type",
            "composite types are not part of the definition",
            format!(
                "SELECT n.nspname::text, c.relname::text FROM pg_class c \
                 JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'c' AND {in_scope} AND {}",
                own("pg_type", "c.reltype")
            ),
        ),
        (
            "type",
            "base, range and multirange types are not part of the definition",
            format!(
                "SELECT n.nspname::text, t.typname::text FROM pg_type t \
                 JOIN pg_namespace n ON n.oid = t.typnamespace \
                 WHERE t.typtype IN ('b', 'r', 'p') AND {in_scope} \
                 AND NOT EXISTS (SELECT 1 FROM pg_type e WHERE e.typarray = t.oid) AND {}",
                own("pg_type", "t.oid")
            ),
        ),
        (
            "collation",
            "collations are not part of the definition",
            format!(
                "SELECT n.nspname::text, c.collname::text FROM pg_collation c \
                 JOIN pg_namespace n ON n.oid = c.collnamespace WHERE {in_scope} AND {}",
                own("pg_collation", "c.oid")
            ),
        ),
        (
            "conversion",
            "conversions are not part of the definition",
            format!(
                "SELECT n.nspname::text, c.conname::text FROM pg_conversion c \
                 JOIN pg_namespace n ON n.oid = c.connamespace WHERE {in_scope} AND {}",
                own("pg_conversion", "c.oid")
            ),
        ),
        (
            "text search configuration",
            "text search configurations are not part of the definition",
            format!(
                "SELECT n.nspname::text, c.cfgname::text FROM pg_ts_config c \
                 JOIN pg_namespace n ON n.oid = c.cfgnamespace WHERE {in_scope} AND {}",
                own("pg_ts_config", "c.oid")
            ),
        ),
        (
            "text search dictionary",
            "text search dictionaries are not part of the definition",
            format!(
                "SELECT n.nspname::text, c.dictname::text FROM pg_ts_dict c \
                 JOIN pg_namespace n ON n.oid = c.dictnamespace WHERE {in_scope} AND {}",
                own("pg_ts_dict", "c.oid")
            ),
        ),
        (
            "statistics",
            "extended statistics are not part of the definition",
            format!(
                "SELECT n.nspname::text, s.stxname::text FROM pg_statistic_ext s \
                 JOIN pg_namespace n ON n.oid = s.stxnamespace WHERE {in_scope}"
            ),
        ),
        (
            "constraint",
            "a CHECK constraint NO INHERIT is not part of the definition",
            format!(
                "SELECT n.nspname::text, c.relname::text || '.' || k.conname::text FROM pg_constraint k \
                 JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE k.connoinherit AND k.contype = 'c' AND {in_scope}"
            ),
        ),
        (
            "typed table",
            "a table OF a composite type is not part of the definition",
            format!(
                "SELECT n.nspname::text, c.relname::text FROM pg_class c \
                 JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE c.relkind IN ('r', 'p') AND c.reloftype <> 0 AND {in_scope}"
            ),
        ),
        (
            "comment",
            "comments on constraints, indexes, triggers and policies are not part of the definition",
            format!(
                "SELECT n.nspname::text, c.relname::text || '.' || k.conname::text FROM pg_constraint k \
                 JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE obj_description(k.oid, 'pg_constraint') IS NOT NULL AND {in_scope} \
                 UNION ALL SELECT n.nspname::text, c.relname::text FROM pg_class c \
                 JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE c.relkind IN ('i', 'I') AND obj_description(c.oid, 'pg_class') IS NOT NULL AND {in_scope} \
                 UNION ALL SELECT n.nspname::text, c.relname::text || '.' || t.tgname::text FROM pg_trigger t \
                 JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE obj_description(t.oid, 'pg_trigger') IS NOT NULL AND {in_scope} \
                 UNION ALL SELECT n.nspname::text, c.relname::text || '.' || p.polname::text FROM pg_policy p \
                 JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE obj_description(p.oid, 'pg_policy') IS NOT NULL AND {in_scope}"
            ),
        ),
        (
            "event trigger",
            "event triggers are not part of the definition",
            "SELECT '', evtname::text FROM pg_event_trigger WHERE $1::text[] IS NOT NULL".to_string(),
        ),
        (
            "publication",
            "publications are not part of the definition",
            "SELECT '', pubname::text FROM pg_publication WHERE $1::text[] IS NOT NULL".to_string(),
        ),
        (
            "foreign server",
            "foreign servers are not part of the definition",
            format!(
                "SELECT '', srvname::text FROM pg_foreign_server s WHERE $1::text[] IS NOT NULL AND {}",
                own("pg_foreign_server", "s.oid")
            ),
        ),
    ];
    q.push((
        "comment",
        "the comment of the connection's own schema is not part of the definition",
        "SELECT '', 'schema ' || n.nspname::text FROM pg_namespace n \
         WHERE n.nspname = ANY ($1::text[]) AND n.nspname = current_schema() \
         AND obj_description(n.oid, 'pg_namespace') IS NOT NULL \
         AND NOT (n.nspname = 'public' AND obj_description(n.oid, 'pg_namespace') = 'standard public schema')"
            .to_string(),
    ));
    if with_grants {
        q.push((
            "privilege",
            "USAGE revoked from PUBLIC on the public schema: a revoked default privilege is not part of the definition",
            "SELECT '', 'schema public' FROM pg_namespace n WHERE n.nspname = 'public' \
             AND n.nspname = ANY ($1::text[]) AND n.nspacl IS NOT NULL \
             AND NOT EXISTS (SELECT 1 FROM aclexplode(n.nspacl) a \
               WHERE a.grantee = 0 AND a.privilege_type = 'USAGE')"
                .to_string(),
        ));
        q.push((
            "column privilege",
            "privileges on single columns are not part of the definition",
            format!(
                "SELECT n.nspname::text, c.relname::text || '.' || a.attname::text FROM pg_attribute a \
                 JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE a.attacl IS NOT NULL AND a.attnum > 0 AND {in_scope}"
            ),
        ));
        q.push((
            "default privileges",
            "default privileges are not part of the definition",
            "SELECT coalesce(n.nspname::text, ''), pg_get_userbyid(d.defaclrole)::text || ' on ' || d.defaclobjtype::text \
             FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace \
             WHERE $1::text[] IS NOT NULL"
                .to_string(),
        ));
    }
    q
}

/// Everything of the schemas read (and of the database, for database-wide kinds) that the
/// definition cannot hold.
pub fn read(s: &Session, ctx: &Ctx, with_grants: bool) -> Result<Vec<Unsupported>, PluginError> {
    let mut out = Vec::new();
    for (kind, reason, sql) in queries(with_grants) {
        for r in s.rows(&sql, &[&ctx.schemas])? {
            let schema: String = get(&r, 0)?;
            let name: String = get(&r, 1)?;
            out.push(Unsupported {
                kind: kind.to_string(),
                name: if schema.is_empty() {
                    name
                } else {
                    ctx.qualified(&schema, &name)
                },
                reason: reason.to_string(),
            });
        }
    }
    out.sort_by(|a, b| (&a.kind, &a.name).cmp(&(&b.kind, &b.name)));
    Ok(out)
}
