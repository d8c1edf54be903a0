//! The shape of a simple statement, read for index advice: one table (`SELECT … FROM t`,
//! `UPDATE t … `, `DELETE FROM t …`) filtered by a `WHERE` of conditions joined by `AND`,
//! each a column compared with a value: `col = v`, `col IN (v, …)`, `col IS NULL`
//! (equalities), `col < v`, `col BETWEEN a AND b`, `col LIKE 'prefix%'` (ranges).
//!
//! Anything else (joins, `OR` between conditions, functions on the column) is not advised
//! on: the statement is skipped, or the condition ignored when others remain. Values may be
//! literals or `?` (the placeholders of the server's statement digests).

use super::tokens::{is_kw, is_punct, tokens, word, Tok, Token};

/// How a condition uses its column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    /// `=`, `IN`, `IS NULL`: the column can lead an index and others follow it.
    Equality,
    /// `<`, `>`, `BETWEEN`, `LIKE 'prefix%'`: the column ends an index's useful part.
    Range,
}

/// One condition of the `WHERE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    /// The column's name, as written (without quotes and qualifier).
    pub column: String,
    /// How it is compared.
    pub used: Use,
    /// True when a value is a `?` placeholder.
    pub placeholder: bool,
    /// The condition's text, as written.
    pub text: String,
}

/// A single-table statement with the conditions an index could serve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shape {
    /// The table's database when the statement names it.
    pub schema: Option<String>,
    /// The table.
    pub table: String,
    /// The alias the statement gives it.
    pub alias: Option<String>,
    /// The conditions that compare a column with values (the rest of the `WHERE` is left
    /// out: it may hold anything).
    pub conditions: Vec<Condition>,
}

impl Shape {
    /// The columns of the index that would serve the statement: its equality columns in
    /// order, then one range column; at most `max`.
    pub fn index_columns(&self, max: usize) -> Vec<String> {
        let mut cols: Vec<String> = Vec::new();
        let has = |cols: &[String], c: &str| cols.iter().any(|x| x.eq_ignore_ascii_case(c));
        for c in self.conditions.iter().filter(|c| c.used == Use::Equality) {
            if !has(&cols, &c.column) {
                cols.push(c.column.clone());
            }
        }
        if let Some(c) = self
            .conditions
            .iter()
            .find(|c| c.used == Use::Range && !has(&cols, &c.column))
        {
            cols.push(c.column.clone());
        }
        cols.truncate(max);
        cols
    }

    /// The conditions joined by `AND`: the part of the `WHERE` an index could serve, and
    /// nothing else (no subquery, no function call).
    pub fn filter(&self) -> String {
        self.conditions
            .iter()
            .map(|c| c.text.as_str())
            .collect::<Vec<_>>()
            .join(" AND ")
    }

    /// True when some value is a placeholder (a statement digest, not a runnable statement).
    pub fn has_placeholders(&self) -> bool {
        self.conditions.iter().any(|c| c.placeholder)
    }
}

/// Words that end a table reference or a `WHERE` clause.
const CLAUSE_ENDS: &[&str] = &[
    "GROUP",
    "ORDER",
    "LIMIT",
    "HAVING",
    "FOR",
    "LOCK",
    "WINDOW",
    "INTO",
    "UNION",
    "RETURNING",
    "EXCEPT",
    "INTERSECT",
    "PROCEDURE",
];

/// Reads the shape of `sql`; `None` when it is not a simple single-table statement.
pub fn shape(sql: &str) -> Option<Shape> {
    let toks = tokens(sql)?;
    let first = toks.first()?;
    let Tok::Word(verb, false) = &first.tok else {
        return None;
    };
    let verb = verb.to_ascii_uppercase();
    // Where the table reference starts.
    let mut at = match verb.as_str() {
        "SELECT" => position_at_depth0(&toks, 1, "FROM")? + 1,
        "DELETE" => position_at_depth0(&toks, 1, "FROM")? + 1,
        "UPDATE" => {
            let mut i = 1;
            while is_kw(toks.get(i), "LOW_PRIORITY") || is_kw(toks.get(i), "IGNORE") {
                i += 1;
            }
            i
        }
        _ => return None,
    };
    let (schema, table) = name(&toks, &mut at)?;
    let mut alias = None;
    if is_kw(toks.get(at), "AS") {
        at += 1;
        alias = Some(word(toks.get(at))?);
        at += 1;
    } else if let Some(Token {
        tok: Tok::Word(w, quoted),
        ..
    }) = toks.get(at)
    {
        let keyword = ["WHERE", "SET"]
            .iter()
            .chain(CLAUSE_ENDS)
            .any(|k| w.eq_ignore_ascii_case(k));
        if *quoted || !keyword {
            alias = Some(w.clone());
            at += 1;
        }
    }
    if verb == "UPDATE" {
        if !is_kw(toks.get(at), "SET") {
            return None;
        }
        at = position_at_depth0(&toks, at, "WHERE")?;
    }
    // A join, a second table or an index hint: not simple.
    if !is_kw(toks.get(at), "WHERE") {
        return None;
    }
    let from = at + 1;
    let mut end = from;
    let mut depth = 0i32;
    while let Some(t) = toks.get(end) {
        match &t.tok {
            Tok::Punct("(") => depth += 1,
            Tok::Punct(")") if depth == 0 => break,
            Tok::Punct(")") => depth -= 1,
            Tok::Punct(";") if depth == 0 => break,
            Tok::Word(w, false)
                if depth == 0 && CLAUSE_ENDS.iter().any(|k| w.eq_ignore_ascii_case(k)) =>
            {
                break
            }
            _ => {}
        }
        end += 1;
    }
    let filter_toks = &toks[from..end];
    let names = [Some(table.as_str()), alias.as_deref()];
    let conditions = conjuncts(filter_toks)?
        .into_iter()
        .filter_map(|c| condition(c, &names, sql))
        .collect::<Vec<_>>();
    if conditions.is_empty() {
        return None;
    }
    Some(Shape {
        schema,
        table,
        alias,
        conditions,
    })
}

/// The index of keyword `kw` at parenthesis depth 0, from `from` on.
fn position_at_depth0(toks: &[Token], from: usize, kw: &str) -> Option<usize> {
    let mut depth = 0i32;
    for (i, t) in toks.iter().enumerate().skip(from) {
        match t.tok {
            Tok::Punct("(") => depth += 1,
            Tok::Punct(")") => depth -= 1,
            _ if depth == 0 && is_kw(Some(t), kw) => return Some(i),
            _ => {}
        }
    }
    None
}

/// `name` or `schema.name` at `at`, moving past it.
fn name(toks: &[Token], at: &mut usize) -> Option<(Option<String>, String)> {
    let first = word(toks.get(*at))?;
    *at += 1;
    if is_punct(toks.get(*at), ".") {
        let second = word(toks.get(*at + 1))?;
        *at += 2;
        return Some((Some(first), second));
    }
    Some((None, first))
}

/// The `WHERE` split on its top-level `AND`s; `None` when an `OR` or `XOR` joins them.
fn conjuncts(toks: &[Token]) -> Option<Vec<&[Token]>> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    let mut between = false;
    for (i, t) in toks.iter().enumerate() {
        match &t.tok {
            Tok::Punct("(") => depth += 1,
            Tok::Punct(")") => depth -= 1,
            Tok::Punct("||") if depth == 0 => return None,
            Tok::Word(w, false) if depth == 0 => {
                let w = w.to_ascii_uppercase();
                match w.as_str() {
                    "OR" | "XOR" => return None,
                    "BETWEEN" => between = true,
                    "AND" if between => between = false,
                    "AND" => {
                        out.push(&toks[start..i]);
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            Tok::Punct("&&") if depth == 0 => {
                out.push(&toks[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&toks[start..]);
    Some(out)
}

/// The column a condition names, when it is this table's (`col`, `t.col`, `alias.col`).
fn column(toks: &[Token], names: &[Option<&str>]) -> Option<(String, usize)> {
    let first = word(toks.first())?;
    if is_punct(toks.get(1), ".") {
        let col = word(toks.get(2))?;
        if is_punct(toks.get(3), ".") {
            return None;
        }
        let ours = names
            .iter()
            .flatten()
            .any(|n| n.eq_ignore_ascii_case(&first));
        return ours.then_some((col, 3));
    }
    let keyword = matches!(&toks.first()?.tok, Tok::Word(w, false)
        if ["NOT", "EXISTS", "TRUE", "FALSE", "NULL"].iter().any(|k| w.eq_ignore_ascii_case(k)));
    if keyword || is_punct(toks.get(1), "(") {
        return None;
    }
    Some((first, 1))
}

/// One value (a literal or a placeholder) at the start of `toks`: its length and whether it
/// is a placeholder.
fn value(toks: &[Token]) -> Option<(usize, bool)> {
    match &toks.first()?.tok {
        Tok::Number | Tok::Str(_) => Some((1, false)),
        Tok::Placeholder => Some((1, true)),
        Tok::Punct("-" | "+") if matches!(toks.get(1)?.tok, Tok::Number) => Some((2, false)),
        Tok::Word(w, false)
            if ["DATE", "TIMESTAMP", "TIME"]
                .iter()
                .any(|k| w.eq_ignore_ascii_case(k))
                && matches!(toks.get(1)?.tok, Tok::Str(_)) =>
        {
            Some((2, false))
        }
        Tok::Word(w, false) if ["TRUE", "FALSE"].iter().any(|k| w.eq_ignore_ascii_case(k)) => {
            Some((1, false))
        }
        _ => None,
    }
}

/// A condition comparing one of the table's columns with values; `None` for anything else.
fn condition(toks: &[Token], names: &[Option<&str>], sql: &str) -> Option<Condition> {
    let text = sql[toks.first()?.start..toks.last()?.end].to_string();
    let make = |column: String, used, placeholder| {
        Some(Condition {
            column,
            used,
            placeholder,
            text: text.clone(),
        })
    };
    // A value on the left: `5 < col`.
    if let Some((n, placeholder)) = value(toks) {
        let op = toks.get(n)?;
        let used = comparison(op)?;
        let (col, len) = column(&toks[n + 1..], names)?;
        return (n + 1 + len == toks.len())
            .then_some(())
            .and_then(|_| make(col, used, placeholder));
    }
    let (col, n) = column(toks, names)?;
    let rest = &toks[n..];
    let op = rest.first()?;
    if let Some(used) = comparison(op) {
        let (len, placeholder) = value(&rest[1..])?;
        return (1 + len == rest.len())
            .then_some(())
            .and_then(|_| make(col, used, placeholder));
    }
    if is_kw(Some(op), "IS") && is_kw(rest.get(1), "NULL") && rest.len() == 2 {
        return make(col, Use::Equality, false);
    }
    if is_kw(Some(op), "IN") && is_punct(rest.get(1), "(") && is_punct(rest.last(), ")") {
        let inner = &rest[2..rest.len() - 1];
        // A digest writes long lists as `(...)`.
        if inner.len() == 1 && is_punct(inner.first(), "...") {
            return make(col, Use::Equality, true);
        }
        let mut placeholder = false;
        let mut i = 0;
        while i < inner.len() {
            let (len, p) = value(&inner[i..])?;
            placeholder |= p;
            i += len;
            if i < inner.len() {
                if !is_punct(inner.get(i), ",") {
                    return None;
                }
                i += 1;
            }
        }
        return (!inner.is_empty())
            .then_some(())
            .and_then(|_| make(col, Use::Equality, placeholder));
    }
    if is_kw(Some(op), "BETWEEN") {
        let (a, pa) = value(&rest[1..])?;
        if !is_kw(rest.get(1 + a), "AND") {
            return None;
        }
        let (b, pb) = value(&rest[2 + a..])?;
        return (2 + a + b == rest.len())
            .then_some(())
            .and_then(|_| make(col, Use::Range, pa || pb));
    }
    if is_kw(Some(op), "LIKE") && rest.len() == 2 {
        return match &rest[1].tok {
            Tok::Str(s) if !s.starts_with(['%', '_']) => make(col, Use::Range, false),
            _ => None,
        };
    }
    None
}

/// How a comparison operator uses its column; `None` for operators no index serves.
fn comparison(t: &Token) -> Option<Use> {
    match t.tok {
        Tok::Punct("=" | "<=>") => Some(Use::Equality),
        Tok::Punct("<" | ">" | "<=" | ">=") => Some(Use::Range),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols(sql: &str) -> Vec<(String, Use)> {
        shape(sql)
            .unwrap_or_else(|| panic!("no shape: {sql}"))
            .conditions
            .into_iter()
            .map(|c| (c.column, c.used))
            .collect()
    }

    #[test]
    fn simple_selects_give_their_table_and_conditions() {
        let s = shape("SELECT * FROM t WHERE customer_id = 4242").unwrap();
        assert_eq!(
            (s.schema.clone(), s.table.as_str(), s.alias.clone()),
            (None, "t", None)
        );
        assert_eq!(s.filter(), "customer_id = 4242");
        assert_eq!(s.index_columns(3), ["customer_id"]);
        assert!(!s.has_placeholders());

        let s = shape(
            "select o.id, (select 1) from `shop`.`orders` as o \
             where o.status IN ('a', 'b') and o.created_at >= '2024-01-01' and o.total > 5 \
             AND region = -1 order by id limit 5",
        )
        .unwrap();
        assert_eq!(
            (s.schema.as_deref(), s.table.as_str(), s.alias.as_deref()),
            (Some("shop"), "orders", Some("o"))
        );
        assert_eq!(
            s.filter(),
            "o.status IN ('a', 'b') AND o.created_at >= '2024-01-01' AND o.total > 5 \
             AND region = -1"
        );
        assert_eq!(s.index_columns(3), ["status", "region", "created_at"]);
        assert_eq!(s.index_columns(1), ["status"]);
    }

    #[test]
    fn updates_deletes_ranges_and_digests() {
        assert_eq!(
            cols("UPDATE t SET a = 1, b = (SELECT 2) WHERE k BETWEEN 1 AND 5 AND x IS NULL"),
            [("k".into(), Use::Range), ("x".into(), Use::Equality)]
        );
        assert_eq!(
            cols("DELETE FROM t WHERE name LIKE 'ab%' AND 10 < n; "),
            [("name".into(), Use::Range), ("n".into(), Use::Range)]
        );
        let digest = shape("SELECT * FROM `t` WHERE `customer_id` = ? AND `k` IN (...)").unwrap();
        assert!(digest.has_placeholders());
        assert_eq!(digest.index_columns(3), ["customer_id", "k"]);
        // Conditions no index serves are left out when others remain.
        let s = shape("SELECT * FROM t WHERE f(a) = 1 AND b <> 2 AND c = 'x' -- why\n").unwrap();
        assert_eq!(s.filter(), "c = 'x'");
        let s = shape("SELECT * FROM t WHERE k = 1 AND v = (SELECT SLEEP(9))").unwrap();
        assert_eq!(s.filter(), "k = 1");
    }

    #[test]
    fn anything_else_is_not_advised_on() {
        for sql in [
            "SELECT * FROM t JOIN u ON u.id = t.u WHERE t.a = 1",
            "SELECT * FROM t, u WHERE t.a = 1",
            "SELECT * FROM t WHERE a = 1 OR b = 2",
            "SELECT * FROM t WHERE a = b",
            "SELECT * FROM t FORCE INDEX (x) WHERE a = 1",
            "SELECT * FROM t WHERE other.a = 1",
            "SELECT * FROM t",
            "INSERT INTO t VALUES (1)",
            "SELECT * FROM t WHERE a = 'open",
            "SELECT * FROM t WHERE name LIKE '%x'",
        ] {
            assert_eq!(shape(sql), None, "{sql}");
        }
    }
}
