//! Normalisation: the form a definition takes once an engine holds it, and the comparison keys
//! that make a definition read back from a live database equal to the one written.
//!
//! The documented normalisations (docs/schema.md):
//! - constraint and index names left empty get their generated names; foreign keys without
//!   `ref_columns` reference the target's primary key;
//! - primary-key and identity columns are NOT NULL;
//! - SQLite: an identity column is the rowid, so its type is `bigint`;
//! - MySQL/MariaDB: a unique index without predicate is a unique constraint (InnoDB has one
//!   kind), `NO ACTION` is `RESTRICT` (InnoDB treats them alike and reports RESTRICT), and on
//!   MySQL proper `uuid` is `char(36)`;
//! - expressions (checks, predicates, expression defaults) compare without case, quotes,
//!   parentheses, whitespace and PostgreSQL casts; literal defaults compare by value.

use crate::definition::{Column, DefaultValue, FkAction, SchemaDefinition, Table, Unique};
use crate::dialect::Dialect;
use crate::types::ColumnType;

/// `def` as `dialect` will hold it (see the module documentation).
pub fn normalized(def: &SchemaDefinition, dialect: Dialect) -> SchemaDefinition {
    let mut def = def.with_names().with_resolved_refs();
    for dm in &mut def.domains {
        dm.ty = type_in(&dm.ty, dialect);
    }
    for t in &mut def.tables {
        let pk = t.primary_key.clone();
        for ix in &mut t.indexes {
            if ix
                .method
                .as_deref()
                .is_some_and(|m| m.eq_ignore_ascii_case("btree"))
            {
                ix.method = None;
            }
        }
        for c in &mut t.columns {
            c.ty = type_in(&c.ty, dialect);
            if c.identity.is_set() || pk.contains(&c.name) {
                c.nullable = false;
            }
            if dialect == Dialect::Sqlite && c.identity.is_set() {
                c.ty = ColumnType::BigInt;
            }
            if dialect == Dialect::Mysql && c.ty == ColumnType::Uuid {
                c.ty = ColumnType::Char(36);
            }
        }
        if dialect.is_mysql_family() {
            let (uniq, rest): (Vec<_>, Vec<_>) = t.indexes.drain(..).partition(|i| {
                i.unique && i.predicate.is_none() && i.columns.iter().all(|k| k.is_plain())
            });
            t.indexes = rest;
            t.unique.extend(uniq.into_iter().map(|i| Unique {
                name: i.name,
                columns: i.columns.iter().map(|k| k.label().to_string()).collect(),
                nulls_not_distinct: false,
                deferrable: Default::default(),
            }));
            for f in &mut t.foreign_keys {
                for a in [&mut f.on_delete, &mut f.on_update] {
                    if *a == FkAction::NoAction {
                        *a = FkAction::Restrict;
                    }
                }
            }
        }
    }
    def
}

/// A column type as `dialect` holds it: a raw type keeps only that dialect's text (lower case
/// outside quotes, whitespace collapsed), and becomes the portable type it spells when that
/// portable type renders to the same text; so a raw type compares equal to its own text read
/// back, and `{ postgres = "integer" }` to `int`.
pub fn type_in(ty: &ColumnType, dialect: Dialect) -> ColumnType {
    let ColumnType::Raw(m) = ty else {
        return ty.clone();
    };
    let text = m.get(dialect.name()).or_else(|| {
        (dialect == Dialect::Mariadb)
            .then(|| m.get("mysql"))
            .flatten()
    });
    let Some(text) = text else {
        return ty.clone();
    };
    let canon = raw_key(text);
    if let Ok(p) = ColumnType::parse(&canon) {
        if dialect
            .type_sql(&p, "", "")
            .is_ok_and(|s| raw_key(&s) == canon)
        {
            return p;
        }
    }
    let mut one = std::collections::BTreeMap::new();
    one.insert(dialect.name().to_string(), canon);
    ColumnType::Raw(one)
}

/// Lower case outside quotes, whitespace runs as one space, none around `(`, `)` and `,`.
fn raw_key(s: &str) -> String {
    let mut out = String::new();
    let mut quote: Option<char> = None;
    for c in s.trim().chars() {
        match quote {
            Some(q) => {
                out.push(c);
                if c == q {
                    quote = None;
                }
            }
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                out.push(c);
            }
            None if c.is_whitespace() => {
                if !out.ends_with([' ', '(', ',']) {
                    out.push(' ');
                }
            }
            None if matches!(c, '(' | ')' | ',') => {
                while out.ends_with(' ') {
                    out.pop();
                }
                out.push(c);
            }
            None => out.push(c.to_ascii_lowercase()),
        }
    }
    out
}

/// Words that may follow `::` in a PostgreSQL cast.
const CAST_WORDS: &[&str] = &[
    "bigint",
    "boolean",
    "bpchar",
    "bytea",
    "character",
    "date",
    "double",
    "integer",
    "interval",
    "json",
    "jsonb",
    "numeric",
    "precision",
    "real",
    "regclass",
    "smallint",
    "text",
    "time",
    "timestamp",
    "timestamptz",
    "uuid",
    "varchar",
    "varying",
    "with",
    "without",
    "zone",
];

/// The comparison key of an SQL expression: lower case, without quotes, parentheses,
/// whitespace or PostgreSQL casts.
pub fn expr_key(expr: &str) -> String {
    let lower = expr.to_ascii_lowercase();
    let mut out = String::with_capacity(lower.len());
    let b = lower.as_bytes();
    let mut i = 0;
    let mut in_str = false;
    while i < b.len() {
        let c = b[i] as char;
        if in_str {
            out.push(c);
            if c == '\'' {
                in_str = false;
            }
            i += 1;
            continue;
        }
        if c == '\'' {
            in_str = true;
            out.push(c);
            i += 1;
            continue;
        }
        if c == ':' && b.get(i + 1) == Some(&b':') {
            i += 2;
            loop {
                let mut j = i;
                while j < b.len() && b[j] == b' ' {
                    j += 1;
                }
                let start = j;
                while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                    j += 1;
                }
                let word = &lower[start..j];
                if !word.is_empty() && CAST_WORDS.contains(&word) {
                    i = j;
                    if lower[i..].starts_with("[]") {
                        i += 2;
                    }
                } else {
                    break;
                }
            }
            continue;
        }
        if !matches!(c, '"' | '`' | '(' | ')') && !c.is_whitespace() {
            out.push(c);
        }
        i += 1;
    }
    out
}

/// The comparison key of a column default, given the column's type.
pub fn default_key(col: &Column) -> Option<String> {
    let d = col.default.as_ref()?;
    let numeric = col.ty.is_integer()
        || matches!(
            col.ty,
            ColumnType::Decimal { .. } | ColumnType::Real | ColumnType::Double
        );
    Some(match d {
        DefaultValue::Expr { expr } => {
            let k = expr_key(expr);
            match k.as_str() {
                "current_timestamp" | "current_timestamp6" | "now" | "localtimestamp"
                | "current_timestamp0" => "current_timestamp".into(),
                "null" => return None,
                _ => k,
            }
        }
        DefaultValue::Bool(b) => b.to_string(),
        DefaultValue::Int(i) if col.ty == ColumnType::Bool => (*i != 0).to_string(),
        DefaultValue::Int(i) => canonical_number(&i.to_string()),
        DefaultValue::Float(f) => canonical_number(&f.to_string()),
        DefaultValue::Text(s) if numeric => canonical_number(s),
        DefaultValue::Text(s) if col.ty == ColumnType::Bool => {
            match s.to_ascii_lowercase().as_str() {
                "1" | "t" | "true" => "true".into(),
                "0" | "f" | "false" => "false".into(),
                _ => format!("'{s}'"),
            }
        }
        DefaultValue::Text(s) => format!("'{s}'"),
    })
}

/// `1.500` → `1.5`, `2.0` → `2`, `-0` → `0`.
fn canonical_number(s: &str) -> String {
    let s = s.trim();
    if let Some((int, frac)) = s.split_once('.') {
        let frac = frac.trim_end_matches('0');
        let int = if int.is_empty() || int == "-" {
            format!("{int}0")
        } else {
            int.to_string()
        };
        if frac.is_empty() {
            return if int == "-0" { "0".into() } else { int };
        }
        return format!("{int}.{frac}");
    }
    if s == "-0" {
        "0".into()
    } else {
        s.to_string()
    }
}

/// Parses a default as an engine reports it (`'abc'::character varying`, `0`, `true`,
/// `current_timestamp()`, `NULL`) into a [`DefaultValue`].
pub fn parse_default(raw: &str, ty: &ColumnType) -> Option<DefaultValue> {
    let s = raw.trim();
    if s.is_empty() || s.eq_ignore_ascii_case("null") {
        return None;
    }
    // Strip one PostgreSQL cast from a literal: 'x'::type
    let lit = if s.starts_with('\'') {
        match s.rfind("'::") {
            Some(end) => &s[..=end],
            None => s,
        }
    } else {
        s
    };
    if lit.len() >= 2 && lit.starts_with('\'') && lit.ends_with('\'') {
        let inner = &lit[1..lit.len() - 1];
        if !inner.replace("''", "").contains('\'') {
            return Some(DefaultValue::Text(
                inner.replace("''", "'").replace("\\\\", "\\"),
            ));
        }
    }
    let unparen = s.trim_start_matches('(').trim_end_matches(')');
    if unparen.eq_ignore_ascii_case("true") {
        return Some(DefaultValue::Bool(true));
    }
    if unparen.eq_ignore_ascii_case("false") {
        return Some(DefaultValue::Bool(false));
    }
    if let Ok(i) = unparen.parse::<i64>() {
        return Some(if *ty == ColumnType::Bool {
            DefaultValue::Bool(i != 0)
        } else {
            DefaultValue::Int(i)
        });
    }
    if unparen.parse::<f64>().is_ok() && !unparen.is_empty() {
        return Some(match ty {
            ColumnType::Real | ColumnType::Double => {
                DefaultValue::Float(unparen.parse().unwrap_or(0.0))
            }
            _ => DefaultValue::Text(unparen.to_string()),
        });
    }
    Some(DefaultValue::Expr {
        expr: s.to_string(),
    })
}

/// Differences between two definitions as `dialect` holds them, one line each (empty: the
/// same schema). Both sides are normalised first.
pub fn differences(a: &SchemaDefinition, b: &SchemaDefinition, dialect: Dialect) -> Vec<String> {
    let a = normalized(a, dialect);
    let b = normalized(b, dialect);
    let mut out = Vec::new();
    for ta in &a.tables {
        match b.table(&ta.name) {
            None => out.push(format!("table `{}` only on the left", ta.name)),
            Some(tb) => table_differences(ta, tb, &mut out),
        }
    }
    for tb in &b.tables {
        if a.table(&tb.name).is_none() {
            out.push(format!("table `{}` only on the right", tb.name));
        }
    }
    out
}

/// Sequence (identity) options compared as the engine holds them: unset is the default, and
/// an increment or cache of 1 is the default.
fn same_sequence_options(
    a: &Option<crate::SequenceOptions>,
    b: &Option<crate::SequenceOptions>,
) -> bool {
    let filled = |o: &Option<crate::SequenceOptions>| {
        let mut o = o.clone().unwrap_or_default();
        o.increment = Some(o.increment.unwrap_or(1));
        o.cache = Some(o.cache.unwrap_or(1));
        o
    };
    filled(a) == filled(b)
}

/// Whether two columns are the same as the engine holds them.
pub fn same_column(a: &Column, b: &Column) -> bool {
    a.name == b.name
        && a.ty == b.ty
        && a.nullable == b.nullable
        && a.identity == b.identity
        && (!a.identity.is_set() || same_sequence_options(&a.identity_options, &b.identity_options))
        && default_key(a) == default_key(b)
        && same_generated(a, b)
        && lower(&a.collation) == lower(&b.collation)
        && lower(&a.charset) == lower(&b.charset)
        && a.invisible == b.invisible
        && a.comment == b.comment
}

/// Whether two columns are generated the same way (same expression, both stored or virtual).
pub fn same_generated(a: &Column, b: &Column) -> bool {
    match (&a.generated, &b.generated) {
        (None, None) => true,
        (Some(x), Some(y)) => x.stored == y.stored && expr_key(&x.expr) == expr_key(&y.expr),
        _ => false,
    }
}

fn lower(s: &Option<String>) -> Option<String> {
    s.as_ref().map(|s| s.to_ascii_lowercase())
}

fn table_differences(a: &Table, b: &Table, out: &mut Vec<String>) {
    let t = &a.name;
    let names = |cs: &[Column]| cs.iter().map(|c| c.name.clone()).collect::<Vec<_>>();
    if names(&a.columns) != names(&b.columns) {
        out.push(format!(
            "table `{t}`: columns ({}) vs ({})",
            names(&a.columns).join(", "),
            names(&b.columns).join(", ")
        ));
    }
    for ca in &a.columns {
        if let Some(cb) = b.column(&ca.name) {
            if !same_column(ca, cb) {
                out.push(format!("table `{t}`: column {ca:?} vs {cb:?}"));
            }
        }
    }
    if a.primary_key != b.primary_key {
        out.push(format!(
            "table `{t}`: primary key {:?} vs {:?}",
            a.primary_key, b.primary_key
        ));
    }
    if a.comment != b.comment {
        out.push(format!(
            "table `{t}`: comment {:?} vs {:?}",
            a.comment, b.comment
        ));
    }
    let mut ua: Vec<_> = a
        .unique
        .iter()
        .map(|u| format!("{:?} {:?}", u.name, u.columns))
        .collect();
    let mut ub: Vec<_> = b
        .unique
        .iter()
        .map(|u| format!("{:?} {:?}", u.name, u.columns))
        .collect();
    ua.sort();
    ub.sort();
    if ua != ub {
        out.push(format!("table `{t}`: unique {ua:?} vs {ub:?}"));
    }
    let fk = |f: &crate::ForeignKey| {
        format!(
            "{:?} {:?} -> {}{:?} del {} upd {}",
            f.name,
            f.columns,
            f.ref_table,
            f.ref_columns,
            f.on_delete.sql(),
            f.on_update.sql()
        )
    };
    let mut fa: Vec<_> = a.foreign_keys.iter().map(fk).collect();
    let mut fb: Vec<_> = b.foreign_keys.iter().map(fk).collect();
    fa.sort();
    fb.sort();
    if fa != fb {
        out.push(format!("table `{t}`: foreign keys {fa:?} vs {fb:?}"));
    }
    let ck = |c: &crate::Check| format!("{:?} {}", c.name, expr_key(&c.expr));
    let mut ka: Vec<_> = a.checks.iter().map(ck).collect();
    let mut kb: Vec<_> = b.checks.iter().map(ck).collect();
    ka.sort();
    kb.sort();
    if ka != kb {
        out.push(format!("table `{t}`: checks {ka:?} vs {kb:?}"));
    }
    let ix = |i: &crate::Index| {
        format!(
            "{:?} {:?} unique={} where={:?}",
            i.name,
            i.columns,
            i.unique,
            i.predicate.as_deref().map(expr_key)
        )
    };
    let mut ia: Vec<_> = a.indexes.iter().map(ix).collect();
    let mut ib: Vec<_> = b.indexes.iter().map(ix).collect();
    ia.sort();
    ib.sort();
    if ia != ib {
        out.push(format!("table `{t}`: indexes {ia:?} vs {ib:?}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expression_keys_ignore_engine_rewrites() {
        assert_eq!(expr_key("CHECK ((price >= (0)::numeric))"), "checkprice>=0");
        assert_eq!(expr_key("`price` >= 0"), expr_key("price >= 0"));
        assert_eq!(
            expr_key("(status)::text <> 'X Y'::character varying"),
            "status<>'x y'"
        );
    }

    #[test]
    fn defaults_parse_from_every_engine() {
        let text = ColumnType::Varchar(10);
        assert_eq!(
            parse_default("'it''s'::character varying", &text),
            Some(DefaultValue::Text("it's".into()))
        );
        assert_eq!(parse_default("NULL", &text), None);
        assert_eq!(
            parse_default("1", &ColumnType::Bool),
            Some(DefaultValue::Bool(true))
        );
        let mut c = Column::new(
            "p",
            ColumnType::Decimal {
                precision: 10,
                scale: 2,
            },
        );
        c.default = parse_default("0.00", &c.ty);
        let mut d = c.clone();
        d.default = Some(DefaultValue::Int(0));
        assert_eq!(default_key(&c), default_key(&d));
        let mut ts = Column::new("t", ColumnType::Timestamp);
        ts.default = parse_default("current_timestamp(6)", &ts.ty);
        assert_eq!(default_key(&ts).as_deref(), Some("current_timestamp"));
    }
}
