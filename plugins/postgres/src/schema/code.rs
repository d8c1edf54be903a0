//! Objects kept as the source text PostgreSQL prints back: views and materialized views
//! (`pg_get_viewdef`), functions and procedures (`pg_get_functiondef`) and triggers
//! (`pg_get_triggerdef`).

use super::tables::{index, options};
use super::Ctx;
use crate::catalog::{code, get, Relation};
use crate::session::Session;
use myrmex_plugin::schema::{DialectText, Routine, SchemaDefinition, Trigger, View};
use myrmex_plugin::PluginError;
use std::collections::HashMap;

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
/// (materialized) indexes.
pub fn views(s: &Session, ctx: &Ctx, rels: Vec<Relation>) -> Result<Vec<View>, PluginError> {
    let oids: Vec<u32> = rels.iter().map(|r| r.oid).collect();
    let mut facts: HashMap<u32, (String, Vec<String>, Vec<String>)> = HashMap::new();
    for r in s.rows(VIEWS, &[&oids])? {
        facts.insert(get(&r, 0)?, (get(&r, 1)?, get(&r, 2)?, get(&r, 3)?));
    }
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
    Ok(out)
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
