//! Extensions, enum types, domains and sequences; the options of identity columns'
//! sequences go to their columns.

use super::tables::portable_type;
use super::Ctx;
use crate::catalog::get;
use crate::session::Session;
use myrmex_plugin::schema::normalize::parse_default;
use myrmex_plugin::schema::{
    Check, ColumnType, Domain, EnumType, Extension, SchemaDefinition, Sequence, SequenceOptions,
};
use myrmex_plugin::PluginError;

/// Not a member of an extension (the extension creates it).
const NOT_EXTENSION_MEMBER: &str = "NOT EXISTS (SELECT 1 FROM pg_depend e \
    WHERE e.objid = {oid} AND e.deptype = 'e')";

/// `plpgsql` is in every database from the start: it is not listed.
const EXTENSIONS: &str = "SELECT x.extname::text, n.nspname::text, x.extversion::text \
    FROM pg_extension x JOIN pg_namespace n ON n.oid = x.extnamespace \
    WHERE x.extname <> 'plpgsql' ORDER BY 1";

const ENUMS: &str = "SELECT n.nspname::text, t.typname::text, \
    array(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder), \
    obj_description(t.oid, 'pg_type') \
    FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace \
    WHERE t.typtype = 'e' AND n.nspname = ANY ($1::text[]) AND {member} ORDER BY 1, 2";

const DOMAINS: &str = "SELECT n.nspname::text, t.typname::text, \
    format_type(t.typbasetype, t.typtypmod), t.typnotnull, t.typdefault, \
    CASE WHEN t.typcollation <> 0 AND t.typcollation <> b.typcollation THEN co.collname::text END, \
    array(SELECT c.conname::text FROM pg_constraint c WHERE c.contypid = t.oid AND c.contype = 'c' ORDER BY c.conname), \
    array(SELECT pg_get_constraintdef(c.oid, true) FROM pg_constraint c WHERE c.contypid = t.oid AND c.contype = 'c' ORDER BY c.conname), \
    array(SELECT c.convalidated FROM pg_constraint c WHERE c.contypid = t.oid AND c.contype = 'c' ORDER BY c.conname), \
    obj_description(t.oid, 'pg_type') \
    FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace JOIN pg_type b ON b.oid = t.typbasetype \
    LEFT JOIN pg_collation co ON co.oid = t.typcollation \
    WHERE t.typtype = 'd' AND n.nspname = ANY ($1::text[]) AND {member} ORDER BY 1, 2";

/// Sequences with their options and what owns them: `a` (owned by a column, `serial`),
/// `i` (an identity column's own sequence), or nothing.
const SEQUENCES: &str = "SELECT n.nspname::text, c.relname::text, format_type(s.seqtypid, NULL), \
    s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle, \
    d.deptype, oc.relname::text, a.attname::text, obj_description(c.oid, 'pg_class') \
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
    JOIN pg_sequence s ON s.seqrelid = c.oid \
    LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid \
      AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') \
    LEFT JOIN pg_class oc ON oc.oid = d.refobjid \
    LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid \
    WHERE c.relkind = 'S' AND n.nspname = ANY ($1::text[]) AND {member} ORDER BY 1, 2";

fn member(sql: &str, oid: &str) -> String {
    sql.replace("{member}", &NOT_EXTENSION_MEMBER.replace("{oid}", oid))
}

/// Reads extensions, enums, domains and sequences into `def` (after its tables, whose
/// identity columns receive their sequences' options).
pub fn read(s: &Session, ctx: &Ctx, def: &mut SchemaDefinition) -> Result<(), PluginError> {
    for r in s.rows(EXTENSIONS, &[])? {
        let schema: String = get(&r, 1)?;
        def.extensions.push(Extension {
            name: get(&r, 0)?,
            schema: ctx.field(&schema),
            version: get(&r, 2)?,
        });
    }
    for r in s.rows(&member(ENUMS, "t.oid"), &[&ctx.schemas])? {
        let schema: String = get(&r, 0)?;
        def.enums.push(EnumType {
            schema: ctx.field(&schema),
            name: get(&r, 1)?,
            labels: get(&r, 2)?,
            comment: get(&r, 3)?,
        });
    }
    for r in s.rows(&member(DOMAINS, "t.oid"), &[&ctx.schemas])? {
        let schema: String = get(&r, 0)?;
        let ty = portable_type(&get::<String>(&r, 2)?);
        let default: Option<String> = get(&r, 4)?;
        let names: Vec<String> = get(&r, 6)?;
        let defs: Vec<String> = get(&r, 7)?;
        let valid: Vec<bool> = get(&r, 8)?;
        let checks = names
            .into_iter()
            .zip(defs)
            .zip(valid)
            .map(|((name, d), valid)| Check {
                name: Some(name),
                expr: super::tables::check_expr(&d),
                not_valid: !valid,
            })
            .collect();
        def.domains.push(Domain {
            schema: ctx.field(&schema),
            name: get(&r, 1)?,
            nullable: !get::<bool>(&r, 3)?,
            default: default.and_then(|d| parse_default(&d, &ty)),
            ty,
            collation: get(&r, 5)?,
            checks,
            comment: get(&r, 9)?,
        });
    }
    for r in s.rows(&member(SEQUENCES, "c.oid"), &[&ctx.schemas])? {
        let schema: String = get(&r, 0)?;
        let ty: String = get(&r, 2)?;
        let owner: Option<String> = get(&r, 10)?;
        let column: Option<String> = get(&r, 11)?;
        let deptype: Option<i8> = get(&r, 9)?;
        let identity = deptype.map(|d| d as u8) == Some(b'i');
        let opts = options(
            &ty,
            [
                get(&r, 3)?,
                get(&r, 4)?,
                get(&r, 5)?,
                get(&r, 6)?,
                get(&r, 7)?,
            ],
            get(&r, 8)?,
            identity,
        );
        if identity {
            let field = ctx.field(&schema);
            let col = def
                .tables
                .iter_mut()
                .filter(|t| t.schema == field && Some(&t.name) == owner.as_ref())
                .flat_map(|t| t.columns.iter_mut())
                .find(|c| Some(&c.name) == column.as_ref());
            if let Some(c) = col {
                c.identity_options = (opts != SequenceOptions::default()).then_some(opts);
            }
            continue;
        }
        def.sequences.push(Sequence {
            schema: ctx.field(&schema),
            name: get(&r, 1)?,
            options: opts,
            owned_by: match (owner, column) {
                (Some(t), Some(c)) => Some(format!("{t}.{c}")),
                _ => None,
            },
            comment: get(&r, 12)?,
        });
    }
    Ok(())
}

/// The options that differ from what `CREATE SEQUENCE` (or an identity column of the same
/// type, which takes its column's type) would choose.
fn options(
    ty: &str,
    [start, inc, min, max, cache]: [i64; 5],
    cycle: bool,
    identity: bool,
) -> SequenceOptions {
    let (ty_min, ty_max, portable) = match ty {
        "smallint" => (i16::MIN as i64, i16::MAX as i64, ColumnType::SmallInt),
        "integer" => (i32::MIN as i64, i32::MAX as i64, ColumnType::Int),
        _ => (i64::MIN, i64::MAX, ColumnType::BigInt),
    };
    let (dmin, dmax) = if inc > 0 { (1, ty_max) } else { (ty_min, -1) };
    // START is written whenever it is not 1 (-1 descending): a sequence altered to a
    // higher MINVALUE keeps its old start unless told.
    let dstart = if inc > 0 { 1 } else { -1 };
    SequenceOptions {
        ty: (!identity && portable != ColumnType::BigInt).then_some(portable),
        start: (start != dstart).then_some(start),
        increment: (inc != 1).then_some(inc),
        min_value: (min != dmin).then_some(min),
        max_value: (max != dmax).then_some(max),
        cache: (cache != 1).then_some(cache),
        cycle,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_options_list_only_what_differs_from_the_defaults() {
        let m = i64::MAX;
        assert_eq!(
            options("bigint", [1, 1, 1, m, 1], false, false),
            SequenceOptions::default()
        );
        let o = options("integer", [100, 5, 1, i32::MAX as i64, 20], true, false);
        assert_eq!(o.ty, Some(ColumnType::Int));
        assert_eq!(
            (o.start, o.increment, o.cache, o.cycle),
            (Some(100), Some(5), Some(20), true)
        );
        assert_eq!((o.min_value, o.max_value), (None, None));
        let min10 = options("bigint", [10, 1, 10, m, 1], false, false);
        assert_eq!((min10.start, min10.min_value), (Some(10), Some(10)));
        let desc = options("bigint", [-1, -1, i64::MIN, -1, 1], false, false);
        assert_eq!(desc.increment, Some(-1));
        assert_eq!(
            (desc.start, desc.min_value, desc.max_value),
            (None, None, None)
        );
        // An identity's sequence takes its column's type.
        assert_eq!(
            options("integer", [1, 1, 1, i32::MAX as i64, 1], false, true),
            SequenceOptions::default()
        );
    }
}
