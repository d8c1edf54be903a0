//! Objects kept as the source text PostgreSQL prints back: views and materialized views
//! (`pg_get_viewdef`), functions and procedures (`pg_get_functiondef`) and triggers
//! (`pg_get_triggerdef`).

use super::tables::{index, options};
use super::Ctx;
use crate::catalog::{code, get, Relation};
use crate::session::Session;
use myrmex_plugin::schema::{DialectText, Routine, SchemaDefinition, Trigger, Unsupported, View};
use myrmex_plugin::PluginError;
use std::collections::HashMap;

/// Views that use an aggregate or window function the definition cannot hold (with its
/// name): they could not be created from the definition.
const USES_UNSUPPORTED: &str = "SELECT DISTINCT rw.ev_class, \
    p.proname::text || '(' || pg_get_function_identity_arguments(p.oid) || ')' \
    FROM pg_rewrite rw JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = rw.oid \
      AND d.refclassid = 'pg_proc'::regclass \
    JOIN pg_proc p ON p.oid = d.refobjid \
    WHERE rw.ev_class = ANY ($1::oid[]) AND p.prokind IN ('a', 'w') \
    AND p.pronamespace <> 'pg_catalog'::regnamespace \
    AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_proc'::regclass \
      AND e.objid = p.oid AND e.deptype = 'e')";

const VIEWS: &str = "SELECT c.oid, pg_get_viewdef(c.oid, true), coalesce(c.reloptions, '{}'), \
    array(SELECT DISTINCT rn.nspname::text || '.' || rc.relname::text FROM pg_rewrite rw \
      JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = rw.oid \
        AND d.refclassid = 'pg_class'::regclass \
      JOIN pg_class rc ON rc.oid = d.refobjid JOIN pg_namespace rn ON rn.oid = rc.relnamespace \
      WHERE rw.ev_class = c.oid AND d.refobjid <> c.oid) \
    FROM pg_class c WHERE c.oid = ANY ($1::oid[])";

/// Functions and procedures; aggregates and window functions are reported unsupported.
const ROUTINES: &str = "SELECT n.nspname::text, p.proname::text, p.prokind, \
    pg_get_function_identity_arguments(p.oid), pg_get_functiondef(p.oid), \
    obj_description(p.oid, 'pg_proc') \
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
    WHERE p.prokind IN ('f', 'p') AND n.nspname = ANY ($1::text[]) \
    AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_proc'::regclass \
      AND e.objid = p.oid AND e.deptype = 'e') \
    ORDER BY 1, 2, 4";

/// User triggers; those a partition gets from its partitioned parent come with the parent's.
const TRIGGERS: &str = "SELECT n.nspname::text, c.relname::text, t.tgname::text, \
    pg_get_triggerdef(t.oid, true), t.tgenabled \
    FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid \
    JOIN pg_namespace n ON n.oid = c.relnamespace \
    WHERE NOT t.tgisinternal AND t.tgparentid = 0 AND n.nspname = ANY ($1::text[]) \
    ORDER BY 1, 2, 3";

/// Shapes views and materialized views, with their SQL, options, dependencies and
/// (materialized) indexes. A view that uses an aggregate the definition cannot hold, or a
/// view that reads such a view, is listed in `unsupported` instead.
pub fn views(
    s: &Session,
    ctx: &Ctx,
    rels: Vec<Relation>,
    unsupported: &mut Vec<Unsupported>,
) -> Result<Vec<View>, PluginError> {
    let oids: Vec<u32> = rels.iter().map(|r| r.oid).collect();
    let mut blocked: HashMap<u32, String> = HashMap::new();
    for r in s.rows(USES_UNSUPPORTED, &[&oids])? {
        blocked.insert(get(&r, 0)?, get(&r, 1)?);
    }
    let mut facts: HashMap<u32, (String, Vec<String>, Vec<String>)> = HashMap::new();
    for r in s.rows(VIEWS, &[&oids])? {
        facts.insert(get(&r, 0)?, (get(&r, 1)?, get(&r, 2)?, get(&r, 3)?));
    }
    let oid_names: HashMap<u32, String> = rels
        .iter()
        .map(|r| (r.oid, ctx.qualified(&r.schema, &r.name)))
        .collect();
    let mut out = Vec::new();
    for rel in rels {
        let (sql, opts, deps) = facts.remove(&rel.oid).unwrap_or_default();
        let mut options = options(&opts);
        let check_option = options.remove("check_option");
        let mut depends_on: Vec<String> = deps
            .iter()
            .filter_map(|d| d.split_once('.'))
            .map(|(schema, name)| ctx.qualified(schema, name))
            .collect();
        depends_on.sort();
        out.push(View {
            schema: ctx.field(&rel.schema),
            name: rel.name,
            sql: DialectText::Any(sql.trim().trim_end_matches(';').to_string()),
            columns: Vec::new(),
            materialized: rel.kind == b'm',
            check_option,
            options,
            depends_on,
            indexes: rel.indexes.into_iter().map(index).collect(),
            comment: rel.comment,
        });
    }
    out.sort_by(|a, b| (&a.schema, &a.name).cmp(&(&b.schema, &b.name)));
    let mut reasons: Vec<(String, String)> = rels_blocked(&oid_names, &blocked);
    // Views reading a view that cannot be created cannot be created either.
    loop {
        let before = reasons.len();
        for v in &out {
            let name = ctx.qualified(v.schema.as_deref().unwrap_or(&ctx.default), &v.name);
            if reasons.iter().any(|(n, _)| *n == name) {
                continue;
            }
            if let Some((dep, _)) = reasons.iter().find(|(n, _)| v.depends_on.contains(n)) {
                let why = format!("it reads view {dep}, which cannot be created");
                reasons.push((name, why));
            }
        }
        if reasons.len() == before {
            break;
        }
    }
    out.retain(|v| {
        let name = ctx.qualified(v.schema.as_deref().unwrap_or(&ctx.default), &v.name);
        match reasons.iter().find(|(n, _)| *n == name) {
            Some((n, why)) => {
                unsupported.push(Unsupported {
                    kind: if v.materialized {
                        "materialized view"
                    } else {
                        "view"
                    }
                    .to_string(),
                    name: n.clone(),
                    reason: why.clone(),
                });
                false
            }
            None => true,
        }
    });
    Ok(out)
}

/// (qualified view name, reason) for the views that use an unsupported function.
fn rels_blocked(
    oid_names: &HashMap<u32, String>,
    blocked: &HashMap<u32, String>,
) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = blocked
        .iter()
        .filter_map(|(oid, f)| {
            let name = oid_names.get(oid)?;
            Some((
                name.clone(),
                format!("it uses {f}, which is not part of the definition"),
            ))
        })
        .collect();
    out.sort();
    out
}

/// Reads functions and procedures into `def.routines`.
pub fn routines(s: &Session, ctx: &Ctx, def: &mut SchemaDefinition) -> Result<(), PluginError> {
    for r in s.rows(ROUTINES, &[&ctx.schemas])? {
        let schema: String = get(&r, 0)?;
        let sql: String = get(&r, 4)?;
        def.routines.push(Routine {
            schema: ctx.field(&schema),
            name: get(&r, 1)?,
            kind: if code(&r, 2)? == b'p' {
                "procedure"
            } else {
                "function"
            }
            .to_string(),
            arguments: get(&r, 3)?,
            sql: DialectText::Any(sql.trim_end().to_string()),
            depends_on: Vec::new(),
            comment: get(&r, 5)?,
        });
    }
    Ok(())
}

/// Reads triggers into `def.triggers`.
pub fn triggers(s: &Session, ctx: &Ctx, def: &mut SchemaDefinition) -> Result<(), PluginError> {
    for r in s.rows(TRIGGERS, &[&ctx.schemas])? {
        let schema: String = get(&r, 0)?;
        def.triggers.push(Trigger {
            schema: ctx.field(&schema),
            table: get(&r, 1)?,
            name: get(&r, 2)?,
            sql: DialectText::Any(get(&r, 3)?),
            disabled: code(&r, 4)? == b'D',
        });
    }
    Ok(())
}
