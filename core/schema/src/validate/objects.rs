//! Validation of the object kinds besides tables (schemas, extensions, enums, domains,
//! sequences, views, routines, triggers, events, virtual tables, grants) and of the table and
//! column features only some dialects hold: each refusal names the object and the field.

use crate::definition::{DialectText, Identity, SchemaDefinition, Table};
use crate::dialect::Dialect;
use crate::error::Problem;
use crate::names::key;
use crate::types::ColumnType;
use std::collections::HashSet;

use Dialect::{Mariadb, Mysql, Postgres, Sqlite};

const PG: &[Dialect] = &[Postgres];
const MY: &[Dialect] = &[Mysql, Mariadb];
const PG_MY: &[Dialect] = &[Postgres, Mysql, Mariadb];
const LITE: &[Dialect] = &[Sqlite];

/// `Some(message)` when `dialect` is set and not one of `holders`.
fn refuse(dialect: Option<Dialect>, holders: &[Dialect], what: &str) -> Option<String> {
    let d = dialect?;
    (!holders.contains(&d)).then(|| format!("{d} has no {what}"))
}

/// Table and column features per dialect.
pub(super) fn table_features(
    t: &Table,
    dialect: Option<Dialect>,
    p: &mut impl FnMut(Option<String>, String),
) {
    let mut table = |holders: &[Dialect], set: bool, what: &str| {
        if set {
            if let Some(m) = refuse(dialect, holders, what) {
                p(None, m);
            }
        }
    };
    table(PG_MY, t.schema.is_some(), "schemas (`schema`)");
    table(
        PG,
        !t.excludes.is_empty(),
        "EXCLUDE constraints (`excludes`)",
    );
    table(PG, t.unlogged, "UNLOGGED tables (`unlogged`)");
    table(PG, !t.inherits.is_empty(), "table inheritance (`inherits`)");
    table(
        PG_MY,
        t.partition_by.is_some(),
        "partitioning (`partition_by`)",
    );
    table(
        MY,
        !t.partitions.is_empty(),
        "inline partitions (`partitions`)",
    );
    table(
        PG,
        t.partition_of.is_some(),
        "PARTITION OF (`partition_of`)",
    );
    table(PG, t.row_security, "row-level security (`row_security`)");
    table(
        PG,
        t.force_row_security,
        "row-level security (`force_row_security`)",
    );
    table(
        PG,
        !t.policies.is_empty(),
        "row-level security policies (`policies`)",
    );
    table(
        LITE,
        t.without_rowid,
        "WITHOUT ROWID tables (`without_rowid`)",
    );
    table(LITE, t.strict, "STRICT tables (`strict`)");
    table(PG_MY, !t.options.is_empty(), "table options (`options`)");
    if !t.partitions.is_empty() && t.partition_by.is_none() {
        p(None, "`partitions` without `partition_by`".into());
    }
    if t.without_rowid && t.primary_key.is_empty() {
        p(None, "a WITHOUT ROWID table needs a primary key".into());
    }
    for ex in &t.excludes {
        let at = Some(format!(
            "exclude `{}`",
            ex.name.as_deref().unwrap_or_default()
        ));
        if ex.elements.is_empty() {
            p(at, "no elements".into());
        }
    }
    for pol in &t.policies {
        let at = Some(format!("policy `{}`", pol.name));
        if !["all", "select", "insert", "update", "delete"]
            .contains(&pol.command.to_ascii_lowercase().as_str())
        {
            p(
                at,
                format!(
                    "command `{}` is not one of all, select, insert, update, delete",
                    pol.command
                ),
            );
        }
    }
    for c in &t.columns {
        let at = Some(format!("column `{}`", c.name));
        let mut col = |holders: &[Dialect], set: bool, what: &str| {
            if set {
                if let Some(m) = refuse(dialect, holders, what) {
                    p(at.clone(), m);
                }
            }
        };
        col(
            PG,
            c.identity == Identity::Always,
            "GENERATED ALWAYS identity (`identity = \"always\"`)",
        );
        col(
            PG,
            c.identity_options.is_some(),
            "identity sequence options (`identity_options`)",
        );
        col(MY, c.charset.is_some(), "column character sets (`charset`)");
        col(MY, c.invisible, "invisible columns (`invisible`)");
        if let Some(g) = &c.generated {
            if !g.stored && dialect == Some(Postgres) {
                p(at.clone(), "postgres has no VIRTUAL generated columns (`generated.stored = false`); PostgreSQL stores them".into());
            }
            if dialect.is_some_and(Dialect::is_mysql_family) {
                let words: Vec<&str> = g
                    .expr
                    .split(|ch: char| !(ch.is_alphanumeric() || ch == '_'))
                    .collect();
                if let Some(id) = t
                    .columns
                    .iter()
                    .find(|x| x.identity.is_set() && words.contains(&x.name.as_str()))
                {
                    p(
                        at.clone(),
                        format!(
                            "MySQL/MariaDB cannot compute a generated column from the AUTO_INCREMENT column `{}`",
                            id.name
                        ),
                    );
                }
            }
            if !c.nullable && dialect == Some(Mariadb) {
                p(
                    at.clone(),
                    "mariadb cannot declare a generated column NOT NULL (`nullable = false`)"
                        .into(),
                );
            }
            if g.expr.trim().is_empty() {
                p(at.clone(), "generated expression is empty".into());
            }
            if t.primary_key.contains(&c.name) && dialect == Some(Sqlite) {
                p(
                    at.clone(),
                    "SQLite cannot make a generated column part of the primary key".into(),
                );
            }
        }
        if c.identity_options.is_some() && !c.identity.is_set() {
            p(at.clone(), "`identity_options` without `identity`".into());
        }
        if t.strict && dialect.is_none_or(|d| d == Sqlite) {
            let ok = match &c.ty {
                ColumnType::Int | ColumnType::Real | ColumnType::Text | ColumnType::Blob => true,
                ColumnType::Raw(m) => m.get("sqlite").is_some_and(|s| {
                    ["INT", "INTEGER", "REAL", "TEXT", "BLOB", "ANY"]
                        .contains(&s.trim().to_ascii_uppercase().as_str())
                }),
                _ => c.identity.is_set(),
            };
            if !ok {
                p(at.clone(), format!("a STRICT table takes only int, real, text, blob (or raw INTEGER/ANY) columns, not {}", c.ty));
            }
        }
    }
    for u in &t.unique {
        let at = Some(format!(
            "unique `{}`",
            u.name.as_deref().unwrap_or_default()
        ));
        let checks = [
            (
                u.nulls_not_distinct,
                "NULLS NOT DISTINCT (`nulls_not_distinct`)",
            ),
            (
                !u.deferrable.sql().is_empty(),
                "deferrable unique constraints (`deferrable`)",
            ),
        ];
        for (set, what) in checks {
            if let Some(m) = set.then(|| refuse(dialect, PG, what)).flatten() {
                p(at.clone(), m);
            }
        }
    }
    for f in &t.foreign_keys {
        let at = Some(format!(
            "foreign key `{}`",
            f.name.as_deref().unwrap_or_default()
        ));
        let checks = [
            (f.match_full, PG, "MATCH FULL (`match_full`)"),
            (
                !f.deferrable.sql().is_empty(),
                &[Postgres, Sqlite][..],
                "deferrable foreign keys (`deferrable`)",
            ),
            (f.not_valid, PG, "NOT VALID constraints (`not_valid`)"),
            (f.ref_schema.is_some(), PG_MY, "schemas (`ref_schema`)"),
        ];
        for (set, holders, what) in checks {
            if let Some(m) = set.then(|| refuse(dialect, holders, what)).flatten() {
                p(at.clone(), m);
            }
        }
    }
    for ck in &t.checks {
        if let Some(m) = ck
            .not_valid
            .then(|| refuse(dialect, PG, "NOT VALID constraints (`not_valid`)"))
            .flatten()
        {
            p(
                Some(format!(
                    "check `{}`",
                    ck.name.as_deref().unwrap_or_default()
                )),
                m,
            );
        }
    }
    for ix in &t.indexes {
        index_features(
            ix,
            dialect,
            &format!("index `{}`", ix.name.as_deref().unwrap_or_default()),
            p,
        );
    }
}

/// What an index may use in each dialect.
pub(super) fn index_features(
    ix: &crate::Index,
    dialect: Option<Dialect>,
    at: &str,
    p: &mut impl FnMut(Option<String>, String),
) {
    let at = Some(at.to_string());
    let mut need = |holders: &[Dialect], set: bool, what: &str| {
        if let Some(m) = set.then(|| refuse(dialect, holders, what)).flatten() {
            p(at.clone(), m);
        }
    };
    need(PG, !ix.include.is_empty(), "INCLUDE columns (`include`)");
    need(
        PG,
        ix.nulls_not_distinct,
        "NULLS NOT DISTINCT (`nulls_not_distinct`)",
    );
    need(PG, !ix.with.is_empty(), "index storage parameters (`with`)");
    need(PG_MY, ix.method.is_some(), "index methods (`method`)");
    for k in &ix.columns {
        need(
            PG,
            k.nulls_first.is_some(),
            "NULLS FIRST/LAST index keys (`nulls`)",
        );
        need(PG, k.opclass.is_some(), "operator classes (`opclass`)");
        need(
            &[Postgres, Sqlite],
            k.collation.is_some(),
            "index key collations (`collation`)",
        );
        need(MY, k.length.is_some(), "index prefix lengths (`length`)");
        need(
            &[Postgres, Sqlite, Mysql],
            k.expr.is_some(),
            "expression index keys (`expr`)",
        );
    }
    if let (Some(m), Some(d)) = (&ix.method, dialect) {
        let m = m.to_ascii_lowercase();
        let known: &[&str] = match d {
            Postgres => &["btree", "hash", "gin", "gist", "brin", "spgist"],
            Mysql | Mariadb => &["btree", "hash", "fulltext", "spatial"],
            Sqlite => &[],
        };
        if !known.contains(&m.as_str()) {
            p(
                at.clone(),
                format!(
                    "{d} has no index method `{m}` (known: {})",
                    known.join(", ")
                ),
            );
        }
    }
}

fn text_for(text: &DialectText, dialect: Option<Dialect>, at: &str, out: &mut Vec<Problem>) {
    let mut bad = |m: String| out.push(problem(at, m));
    match text {
        DialectText::Any(s) if s.trim().is_empty() => bad("`sql` is empty".into()),
        DialectText::PerDialect(m) => {
            for k in m.keys() {
                if k.parse::<Dialect>().is_err() {
                    bad(format!("`sql` names unknown dialect `{k}`"));
                }
            }
            if let Some(d) = dialect {
                if text.for_dialect(d).is_none() {
                    bad(format!("`sql` has no `{}` text", d.name()));
                }
            }
        }
        DialectText::Any(_) => {}
    }
}

fn problem(at: &str, message: String) -> Problem {
    Problem {
        table: String::new(),
        item: Some(at.to_string()),
        message,
    }
}

/// Every object besides tables.
pub(super) fn check(def: &SchemaDefinition, dialect: Option<Dialect>, out: &mut Vec<Problem>) {
    let mut seen: HashSet<String> = HashSet::new();
    let mut once = |kind: &str, k: String, at: &str, out: &mut Vec<Problem>| {
        if !seen.insert(format!("{kind} {}", k.to_ascii_lowercase())) {
            out.push(problem(at, format!("duplicate {kind} name")));
        }
    };
    let kind = |holders: &[Dialect], at: &str, what: &str, out: &mut Vec<Problem>| {
        if let Some(m) = refuse(dialect, holders, what) {
            out.push(problem(at, m));
        }
    };
    for s in &def.schemas {
        let at = format!("schema `{}`", s.name);
        kind(PG_MY, &at, "schemas", out);
        once("schema", s.name.clone(), &at, out);
        if s.comment.is_some() && dialect == Some(Mysql) {
            out.push(problem(&at, "mysql has no database comments".into()));
        }
    }
    for e in &def.extensions {
        let at = format!("extension `{}`", e.name);
        kind(PG, &at, "extensions", out);
        once("extension", e.name.clone(), &at, out);
    }
    for e in &def.enums {
        let at = format!("enum `{}`", e.name);
        kind(
            PG,
            &at,
            "enum types (MySQL/MariaDB spell enums as raw column types)",
            out,
        );
        once("type", key(e.schema.as_deref(), &e.name), &at, out);
        let mut labels = HashSet::new();
        for l in &e.labels {
            if !labels.insert(l) {
                out.push(problem(&at, format!("duplicate label `{l}`")));
            }
        }
    }
    for dm in &def.domains {
        let at = format!("domain `{}`", dm.name);
        kind(PG, &at, "domains", out);
        once("type", key(dm.schema.as_deref(), &dm.name), &at, out);
        if let (Some(d), ColumnType::Raw(m)) = (dialect, &dm.ty) {
            if !m.contains_key(d.name()) {
                out.push(problem(
                    &at,
                    format!("raw type has no `{}` entry", d.name()),
                ));
            }
        }
    }
    for s in &def.sequences {
        let at = format!("sequence `{}`", s.name);
        kind(&[Postgres, Mariadb], &at, "sequences", out);
        once("relation", key(s.schema.as_deref(), &s.name), &at, out);
        if s.options.ty.is_some() && dialect == Some(Mariadb) {
            out.push(problem(
                &at,
                "mariadb has no sequence value types (`type`)".into(),
            ));
        }
        if s.owned_by.is_some() && dialect == Some(Mariadb) {
            out.push(problem(
                &at,
                "mariadb has no sequence ownership (`owned_by`)".into(),
            ));
        }
        if let Some(o) = &s.owned_by {
            let (table, column) = match o.rsplit_once('.') {
                Some(x) => x,
                None => {
                    out.push(problem(
                        &at,
                        format!("`owned_by` `{o}` is not `table.column`"),
                    ));
                    continue;
                }
            };
            let found = def.tables.iter().any(|t| {
                (t.key() == table || (t.name == table && t.schema == s.schema))
                    && t.column(column).is_some()
            });
            if !found {
                out.push(problem(
                    &at,
                    format!("`owned_by` names unknown column `{o}`"),
                ));
            }
        }
    }
    for v in &def.views {
        let at = format!(
            "{} `{}`",
            if v.materialized {
                "materialized view"
            } else {
                "view"
            },
            v.name
        );
        once("relation", key(v.schema.as_deref(), &v.name), &at, out);
        text_for(&v.sql, dialect, &at, out);
        if v.materialized {
            kind(PG, &at, "materialized views", out);
        }
        if v.schema.is_some() {
            kind(PG_MY, &at, "schemas (`schema`)", out);
        }
        if v.check_option.is_some() {
            kind(PG_MY, &at, "view check options (`check_option`)", out);
        }
        if let Some(c) = &v.check_option {
            if !["local", "cascaded"].contains(&c.to_ascii_lowercase().as_str()) {
                out.push(problem(
                    &at,
                    format!("check_option `{c}` is not local or cascaded"),
                ));
            }
        }
        if !v.options.is_empty() {
            kind(PG_MY, &at, "view options (`options`)", out);
        }
        if v.comment.is_some() {
            kind(PG, &at, "view comments (`comment`)", out);
        }
        if !v.indexes.is_empty() && !v.materialized {
            out.push(problem(&at, "only a materialized view has indexes".into()));
        }
        for ix in &v.indexes {
            index_features(
                ix,
                dialect,
                &format!("{at}, index `{}`", ix.name.as_deref().unwrap_or_default()),
                &mut |_, m| out.push(problem(&at, m)),
            );
            if ix.name.is_none() {
                out.push(problem(
                    &at,
                    "an index of a materialized view needs a `name`".into(),
                ));
            }
        }
    }
    for r in &def.routines {
        let at = format!("{} `{}({})`", r.kind, r.name, r.arguments);
        kind(PG_MY, &at, "stored functions or procedures", out);
        once(
            "routine",
            format!("{}({})", key(r.schema.as_deref(), &r.name), r.arguments),
            &at,
            out,
        );
        if !["function", "procedure"].contains(&r.kind.to_ascii_lowercase().as_str()) {
            out.push(problem(
                &at,
                format!("kind `{}` is not function or procedure", r.kind),
            ));
        }
        text_for(&r.sql, dialect, &at, out);
    }
    for t in &def.triggers {
        let at = format!("trigger `{}` on `{}`", t.name, t.table);
        once(
            "trigger",
            format!("{} {}", key(t.schema.as_deref(), &t.table), t.name),
            &at,
            out,
        );
        text_for(&t.sql, dialect, &at, out);
        if t.disabled {
            kind(PG, &at, "disabled triggers (`disabled`)", out);
        }
    }
    for e in &def.events {
        let at = format!("event `{}`", e.name);
        kind(MY, &at, "events", out);
        once("event", key(e.schema.as_deref(), &e.name), &at, out);
        text_for(&e.sql, dialect, &at, out);
    }
    for v in &def.virtual_tables {
        let at = format!("virtual table `{}`", v.name);
        kind(LITE, &at, "virtual tables", out);
        once("relation", v.name.clone(), &at, out);
        if v.module.trim().is_empty() {
            out.push(problem(&at, "`module` is empty".into()));
        }
    }
    for g in &def.grants {
        let at = format!("grant on {} `{}` to `{}`", g.on, g.object, g.to);
        kind(PG_MY, &at, "privileges (`grants`)", out);
        if g.privileges.is_empty() {
            out.push(problem(&at, "no privileges".into()));
        }
        let kinds = [
            "table",
            "view",
            "sequence",
            "schema",
            "function",
            "procedure",
            "database",
        ];
        if !kinds.contains(&g.on.to_ascii_lowercase().as_str()) {
            out.push(problem(
                &at,
                format!("`on` is not one of {}", kinds.join(", ")),
            ));
        }
    }
    for t in &def.tables {
        if let Some(po) = &t.partition_of {
            let (ps, pn) = crate::names::split(&po.parent);
            let ps = ps.or(t.schema.as_deref());
            if !def
                .tables
                .iter()
                .any(|x| x.name == pn && x.schema.as_deref() == ps && x.partition_by.is_some())
            {
                out.push(Problem {
                    table: t.name.clone(),
                    item: Some("partition_of".into()),
                    message: format!(
                        "parent `{}` is not a partitioned table of the definition",
                        po.parent
                    ),
                });
            }
        }
    }
}
