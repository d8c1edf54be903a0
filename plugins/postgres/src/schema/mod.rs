//! The schema as the host's typed definition, read from `pg_catalog`.
//!
//! What a request reads: `schemas` empty reads the connection's current schema; a list reads
//! those schemas; `*` in the list reads every schema outside the system ones. `+grants` in
//! the list reads privileges too (they are opt-in). Objects of the current schema carry no
//! `schema`; objects of any other carry its name, and references to them (foreign keys,
//! parents, view dependencies) are written `schema.name`.
//!
//! Everything met in the schemas read that the definition cannot express (rules,
//! aggregates, operators, casts, foreign tables, user-defined base, composite and range
//! types, event triggers, publications, …) is listed in `unsupported` with its kind, name
//! and the reason, never dropped without a word. Objects that belong to an extension are
//! the extension's: they are neither listed nor reported.

mod code;
mod grants;
mod objects;
mod tables;
#[cfg(test)]
pub(crate) mod tests;
mod unsupported;

use crate::catalog::{self, get, Scope};
use crate::session::Session;
use myrmex_plugin::schema::{Namespace, SchemaDefinition};
use myrmex_plugin::{PluginError, SchemaScope};

/// What one read covers, and how names are written.
pub(crate) struct Ctx {
    /// The connection's current schema: its objects carry no `schema`.
    pub default: String,
    /// The schemas read.
    pub schemas: Vec<String>,
}

impl Ctx {
    /// `schema` as an object's `schema` field: none for the current schema.
    pub fn field(&self, schema: &str) -> Option<String> {
        (schema != self.default).then(|| schema.to_string())
    }

    /// `name`, qualified with its schema unless that is the current one.
    pub fn qualified(&self, schema: &str, name: &str) -> String {
        if schema == self.default {
            name.to_string()
        } else {
            format!("{schema}.{name}")
        }
    }
}

const SYSTEM_SCHEMAS: &str = "SELECT n.nspname::text FROM pg_namespace n \
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') \
    AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%' \
    AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_namespace'::regclass \
      AND e.objid = n.oid AND e.deptype = 'e') \
    ORDER BY 1";

const NAMESPACES: &str = "SELECT n.nspname::text, obj_description(n.oid, 'pg_namespace') \
    FROM pg_namespace n WHERE n.nspname = ANY ($1::text[]) ORDER BY 1";

/// Reads the objects of the schemas `request` names (see the module documentation).
pub fn read(s: &Session, request: &[String]) -> Result<SchemaDefinition, PluginError> {
    let default: String = get(
        &s.rows("SELECT coalesce(current_schema()::text, 'public')", &[])?[0],
        0,
    )?;
    let scope = SchemaScope::parse(request);
    let with_grants = scope.grants;
    let asked = scope.names;
    let schemas: Vec<String> = if scope.all {
        s.rows(SYSTEM_SCHEMAS, &[])?
            .iter()
            .map(|r| get(r, 0))
            .collect::<Result<_, _>>()?
    } else if asked.is_empty() {
        vec![default.clone()]
    } else {
        asked
    };
    let ctx = Ctx { default, schemas };
    let mut def = SchemaDefinition::default();
    for r in s.rows(NAMESPACES, &[&ctx.schemas])? {
        let name: String = get(&r, 0)?;
        if name != ctx.default {
            def.schemas.push(Namespace {
                name,
                comment: get(&r, 1)?,
            });
        }
    }
    let mut rels = catalog::relations(s, Scope::Schemas(&ctx.schemas))?;
    catalog::details(s, &mut rels)?;
    let (tables, views): (Vec<_>, Vec<_>) = rels
        .into_iter()
        .partition(|r| r.kind != b'v' && r.kind != b'm');
    def.tables = tables::read(s, &ctx, tables)?;
    let mut blocked = Vec::new();
    def.views = code::views(s, &ctx, views, &mut blocked)?;
    objects::read(s, &ctx, &mut def)?;
    code::routines(s, &ctx, &mut def)?;
    code::triggers(s, &ctx, &mut def)?;
    tables::policies(s, &ctx, &mut def.tables)?;
    if with_grants {
        def.grants = grants::read(s, &ctx)?;
    }
    def.unsupported = unsupported::read(s, &ctx, with_grants)?;
    def.unsupported.extend(blocked);
    def.unsupported
        .sort_by(|a, b| (&a.kind, &a.name).cmp(&(&b.kind, &b.name)));
    Ok(def)
}
