//! Creation order: tables after the tables their foreign keys, parents and partitions need;
//! views and routines after what they depend on.

use crate::definition::{Routine, SchemaDefinition, Table, View};
use crate::dialect::Dialect;
use crate::names::{key, split};
use std::collections::HashSet;

/// The key of the table a foreign key of `t` references.
pub(crate) fn ref_key(t: &Table, f: &crate::ForeignKey) -> String {
    key(
        f.ref_schema.as_deref().or(t.schema.as_deref()),
        &f.ref_table,
    )
}

/// The key of a parent written as `name` or `schema.name` by table `t`.
pub(crate) fn parent_key(t: &Table, parent: &str) -> String {
    let (s, n) = split(parent);
    key(s.or(t.schema.as_deref()), n)
}

/// `t` as its `CREATE TABLE` writes it: without the columns it inherits from parents the
/// definition holds (PostgreSQL `INHERITS` brings them; the definition lists them on both so
/// that a child reads as a whole table).
pub(crate) fn local_part(def: &SchemaDefinition, t: &Table) -> Table {
    let mut local = t.clone();
    if t.inherits.is_empty() || t.partition_of.is_some() {
        return local;
    }
    let parents: Vec<&Table> = t
        .inherits
        .iter()
        .filter_map(|p| {
            let k = parent_key(t, p);
            def.tables.iter().find(|x| x.key() == k)
        })
        .collect();
    local
        .columns
        .retain(|c| !parents.iter().any(|p| p.column(&c.name).is_some()));
    local
}

/// Tables in an order where each one's foreign-key targets, parents (INHERITS) and
/// partitioned parent exist before it, and the foreign keys `(table key, constraint)` that
/// must be added afterwards to break cycles. SQLite resolves foreign keys lazily, so nothing
/// is deferred there.
pub(crate) fn creation_order(
    def: &SchemaDefinition,
    d: Dialect,
) -> (Vec<Table>, HashSet<(String, String)>) {
    let known: HashSet<String> = def.tables.iter().map(Table::key).collect();
    let mut remaining: Vec<&Table> = def.tables.iter().collect();
    let mut created: HashSet<String> = HashSet::new();
    let mut order = Vec::new();
    let mut deferred = HashSet::new();
    let parents = |t: &Table| -> Vec<String> {
        let mut p: Vec<String> = t.inherits.iter().map(|x| parent_key(t, x)).collect();
        if let Some(po) = &t.partition_of {
            p.push(parent_key(t, &po.parent));
        }
        p
    };
    while !remaining.is_empty() {
        let ready = remaining.iter().position(|t| {
            let me = t.key();
            parents(t)
                .iter()
                .all(|p| created.contains(p) || !known.contains(p))
                && t.foreign_keys.iter().all(|f| {
                    let r = ref_key(t, f);
                    r == me || created.contains(&r) || !known.contains(&r)
                })
        });
        let i = match ready {
            Some(i) => i,
            None => {
                // A cycle: create the first table whose parents exist now, its unresolved keys
                // later.
                let i = remaining
                    .iter()
                    .position(|t| parents(t).iter().all(|p| created.contains(p)))
                    .unwrap_or(0);
                let t = remaining[i];
                for f in &t.foreign_keys {
                    let r = ref_key(t, f);
                    if r != t.key() && !created.contains(&r) && d != Dialect::Sqlite {
                        deferred.insert((t.key(), super::fk_name(f)));
                    }
                }
                i
            }
        };
        let t = remaining.remove(i);
        created.insert(t.key());
        order.push(t.clone());
    }
    (order, deferred)
}

/// A view or a routine, in creation order.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Code<'a> {
    /// A view or materialized view.
    View(&'a View),
    /// A function or procedure.
    Routine(&'a Routine),
}

impl Code<'_> {
    fn key(&self) -> String {
        match self {
            Code::View(v) => key(v.schema.as_deref(), &v.name),
            Code::Routine(r) => key(r.schema.as_deref(), &r.name),
        }
    }

    fn depends_on(&self) -> &[String] {
        match self {
            Code::View(v) => &v.depends_on,
            Code::Routine(r) => &r.depends_on,
        }
    }
}

/// Routines and views ordered so that each comes after the views and routines it depends on
/// (routines first where nothing says otherwise); a cycle keeps the written order.
pub(crate) fn code_order<'a>(routines: &'a [Routine], views: &'a [View]) -> Vec<Code<'a>> {
    let mut remaining: Vec<Code<'a>> = routines
        .iter()
        .map(Code::Routine)
        .chain(views.iter().map(Code::View))
        .collect();
    let all: HashSet<String> = remaining.iter().map(Code::key).collect();
    let mut done: HashSet<String> = HashSet::new();
    let mut out = Vec::new();
    while !remaining.is_empty() {
        let i = remaining
            .iter()
            .position(|c| {
                let me = c.key();
                c.depends_on().iter().all(|dep| {
                    let k = bare_or(dep, &me);
                    k == me || done.contains(&k) || !all.contains(&k)
                })
            })
            .unwrap_or(0);
        let c = remaining.remove(i);
        // Overloaded routines share a key: the key is done once none of them remains.
        let k = c.key();
        if !remaining.iter().any(|r| r.key() == k) {
            done.insert(k);
        }
        out.push(c);
    }
    out
}

/// A dependency as a key, in the schema of `me` when it names none.
fn bare_or(dep: &str, me: &str) -> String {
    let (s, n) = split(dep);
    let (my_schema, _) = split(me);
    key(s.or(my_schema), n)
}

/// Views depending (directly or through other views) on any key in `changed`, in the order
/// they must be dropped (dependants first). A view that lists no dependencies depends on
/// every changed table, since nothing says otherwise.
pub(crate) fn dependants<'a>(views: &'a [View], changed: &HashSet<String>) -> Vec<&'a View> {
    let mut hit: HashSet<String> = changed.clone();
    let mut picked: Vec<&View> = Vec::new();
    loop {
        let before = picked.len();
        for v in views {
            let k = key(v.schema.as_deref(), &v.name);
            if picked
                .iter()
                .any(|p| key(p.schema.as_deref(), &p.name) == k)
            {
                continue;
            }
            let depends = if v.depends_on.is_empty() {
                !changed.is_empty()
            } else {
                v.depends_on.iter().any(|d| hit.contains(&bare_or(d, &k)))
            };
            if depends {
                hit.insert(k);
                picked.push(v);
            }
        }
        if picked.len() == before {
            break;
        }
    }
    // Picked in dependency order (a view after what it reads): drop in reverse.
    picked.reverse();
    picked
}
