//! The lookups a statement makes, read from its text: its one table and the columns its
//! `WHERE` clause compares with values (`col = …`, `col IN (…)`, `col IS …`, `<`, `>`,
//! `BETWEEN`).
//!
//! Only simple statements are read: a `SELECT`, `UPDATE` or `DELETE` on one table of `main`
//! (no joins, no compound selects, no `INDEXED BY`), whose `WHERE` clause has no `OR`.
//! Anything else yields nothing: the advice proves each candidate on a copy of the table
//! anyway, so reading less is safe.

use myrmex_plugin::sql::{tokens, Flavor, TokenKind};

/// One piece of a statement, as far as this reading needs it.
#[derive(Debug, Clone, PartialEq)]
enum Tok {
    /// A keyword or unquoted name.
    Word(String),
    /// A quoted name (`"…"`, `` `…` ``, `[…]`), unquoted.
    Quoted(String),
    /// A literal or a parameter.
    Value,
    /// An operator (`=`, `<=`, `-`, `||`, …).
    Op(String),
    /// `(`.
    Open,
    /// `)`.
    Close,
    /// `,`.
    Comma,
    /// `.`.
    Dot,
    /// `;`.
    End,
    /// Anything else.
    Other,
}

impl Tok {
    /// True for the keyword `kw` (any case).
    fn is(&self, kw: &str) -> bool {
        matches!(self, Tok::Word(w) if w.eq_ignore_ascii_case(kw))
    }

    /// The name it spells, quoted or not.
    fn name(&self) -> Option<&str> {
        match self {
            Tok::Word(w) | Tok::Quoted(w) => Some(w),
            _ => None,
        }
    }

    /// True for the operator `op`.
    fn is_op(&self, op: &str) -> bool {
        matches!(self, Tok::Op(o) if o == op)
    }
}

/// A column as a statement names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnRef {
    /// The table or alias before the dot, when there is one.
    pub qualifier: Option<String>,
    /// The column's name as written.
    pub name: String,
}

/// A statement's table and the columns it looks rows up by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookup {
    /// The table, as written (a `main.` prefix dropped).
    pub table: String,
    /// Its alias, when it has one: SQLite's query plan names the table by it.
    pub alias: Option<String>,
    /// Columns compared for equality (`=`, `IN`, `IS`), in the statement's order.
    pub equal: Vec<ColumnRef>,
    /// Columns compared by range (`<`, `<=`, `>`, `>=`, `BETWEEN`).
    pub range: Vec<ColumnRef>,
}

impl Lookup {
    /// The name SQLite's query plan shows for the table.
    pub fn plan_name(&self) -> &str {
        self.alias.as_deref().unwrap_or(&self.table)
    }
}

/// Words that end a table reference instead of naming an alias.
const CLAUSE_WORDS: [&str; 24] = [
    "WHERE",
    "GROUP",
    "ORDER",
    "LIMIT",
    "JOIN",
    "LEFT",
    "RIGHT",
    "FULL",
    "INNER",
    "CROSS",
    "NATURAL",
    "OUTER",
    "SET",
    "WINDOW",
    "HAVING",
    "UNION",
    "EXCEPT",
    "INTERSECT",
    "RETURNING",
    "INDEXED",
    "NOT",
    "ON",
    "USING",
    "FROM",
];

/// Words after the table that make the statement more than a one-table lookup.
const NOT_SIMPLE: [&str; 7] = [
    "JOIN",
    "UNION",
    "EXCEPT",
    "INTERSECT",
    "INDEXED",
    "NATURAL",
    "FROM",
];

/// Words that end the `WHERE` clause.
const WHERE_END: [&str; 6] = ["GROUP", "ORDER", "LIMIT", "HAVING", "WINDOW", "RETURNING"];

/// The lookup `sql` makes, when it is a simple one (see the module's description).
pub fn lookup(sql: &str) -> Option<Lookup> {
    let toks = lex(sql);
    // One statement: nothing but `;` after the first `;`.
    let end = toks
        .iter()
        .position(|t| *t == Tok::End)
        .unwrap_or(toks.len());
    if toks[end..].iter().any(|t| *t != Tok::End) {
        return None;
    }
    let toks = &toks[..end];
    let first = toks.first()?;
    let start = if first.is("SELECT") {
        depth_zero(toks, 1).find(|&i| toks[i].is("FROM"))? + 1
    } else if first.is("DELETE") && toks.get(1)?.is("FROM") {
        2
    } else if first.is("UPDATE") {
        if toks.get(1)?.is("OR") {
            3
        } else {
            1
        }
    } else {
        return None;
    };
    let (table, alias, after) = table_ref(toks, start)?;
    if toks.get(after) == Some(&Tok::Comma) && !first.is("UPDATE") {
        return None;
    }
    if depth_zero(toks, after).any(|i| NOT_SIMPLE.iter().any(|w| toks[i].is(w))) {
        return None;
    }
    let mut lookup = Lookup {
        table,
        alias,
        equal: Vec::new(),
        range: Vec::new(),
    };
    let Some(at) = depth_zero(toks, after).find(|&i| toks[i].is("WHERE")) else {
        return Some(lookup);
    };
    let stop = depth_zero(toks, at + 1)
        .find(|&i| WHERE_END.iter().any(|w| toks[i].is(w)))
        .unwrap_or(toks.len());
    let clause = &toks[at + 1..stop];
    if clause.iter().any(|t| t.is("OR")) {
        return None;
    }
    predicates(clause, &mut lookup);
    Some(lookup)
}

/// The positions from `from` on that are outside parentheses opened after `from`.
fn depth_zero(toks: &[Tok], from: usize) -> impl Iterator<Item = usize> + '_ {
    let mut depth = 0i32;
    (from..toks.len()).filter(move |&i| {
        match toks[i] {
            Tok::Open => depth += 1,
            Tok::Close => depth -= 1,
            _ => return depth == 0,
        }
        false
    })
}

/// The table named at `i` (`t`, `main.t`, `t AS a`, `t a`): its name, alias and the
/// position after it.
fn table_ref(toks: &[Tok], mut i: usize) -> Option<(String, Option<String>, usize)> {
    let mut table = toks.get(i)?.name()?.to_string();
    i += 1;
    if toks.get(i) == Some(&Tok::Dot) {
        if !table.eq_ignore_ascii_case("main") {
            return None;
        }
        table = toks.get(i + 1)?.name()?.to_string();
        i += 2;
    }
    let alias = match toks.get(i) {
        Some(t) if t.is("AS") => {
            i += 2;
            Some(toks.get(i - 1)?.name()?.to_string())
        }
        Some(Tok::Quoted(q)) => {
            i += 1;
            Some(q.clone())
        }
        Some(Tok::Word(w)) if !CLAUSE_WORDS.iter().any(|c| w.eq_ignore_ascii_case(c)) => {
            i += 1;
            Some(w.clone())
        }
        _ => None,
    };
    Some((table, alias, i))
}

/// How a column is compared.
enum Compare {
    Equal,
    Range,
}

/// Adds the column comparisons of a `WHERE` clause (without `OR`) to `lookup`.
fn predicates(clause: &[Tok], lookup: &mut Lookup) {
    let mut i = 0;
    while i < clause.len() {
        let Some((column, next)) = column_at(clause, i) else {
            i += 1;
            continue;
        };
        if let Some((compare, rhs)) = comparison(clause, next) {
            if is_value(clause, rhs) {
                let list = match compare {
                    Compare::Equal => &mut lookup.equal,
                    Compare::Range => &mut lookup.range,
                };
                if !list.contains(&column) {
                    list.push(column);
                }
            }
        }
        i = next;
    }
}

/// The column named at `i` on the left of a comparison, and the position after it.
fn column_at(clause: &[Tok], i: usize) -> Option<(ColumnRef, usize)> {
    if i > 0 && matches!(clause[i - 1], Tok::Dot | Tok::Op(_)) {
        return None;
    }
    let first = clause[i].name()?.to_string();
    let (column, next) = if clause.get(i + 1) == Some(&Tok::Dot) {
        let name = clause.get(i + 2)?.name()?.to_string();
        (
            ColumnRef {
                qualifier: Some(first),
                name,
            },
            i + 3,
        )
    } else {
        (
            ColumnRef {
                qualifier: None,
                name: first,
            },
            i + 1,
        )
    };
    // A name followed by `(` is a function call.
    (clause.get(next) != Some(&Tok::Open)).then_some((column, next))
}

/// The comparison at `i` and where its right-hand side starts.
fn comparison(clause: &[Tok], i: usize) -> Option<(Compare, usize)> {
    let op = clause.get(i)?;
    if op.is_op("=") || op.is_op("==") || op.is("IN") {
        Some((Compare::Equal, i + 1))
    } else if op.is("IS") {
        (!clause.get(i + 1)?.is("NOT")).then_some((Compare::Equal, i + 1))
    } else if ["<", "<=", ">", ">="].iter().any(|o| op.is_op(o)) || op.is("BETWEEN") {
        Some((Compare::Range, i + 1))
    } else {
        None
    }
}

/// True when what starts at `i` is a value rather than another column: a literal, a
/// parameter, a list or subquery, a signed number, `NULL`, `TRUE`, `FALSE`, a
/// `CURRENT_…` keyword or a function call.
fn is_value(clause: &[Tok], i: usize) -> bool {
    match clause.get(i) {
        Some(Tok::Value | Tok::Open) => true,
        Some(Tok::Op(o)) => o == "-" || o == "+",
        Some(Tok::Word(w)) => {
            let w = w.to_ascii_uppercase();
            matches!(w.as_str(), "NULL" | "TRUE" | "FALSE")
                || w.starts_with("CURRENT_")
                || clause.get(i + 1) == Some(&Tok::Open)
        }
        _ => false,
    }
}

/// The pieces of `sql`, comments and whitespace left out.
fn lex(sql: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    // A `[…]` name with blanks spans several tokens: their text is gathered first.
    let mut bracketed = String::new();
    for t in tokens(sql, Flavor::Sqlite) {
        if !bracketed.is_empty() {
            bracketed.push_str(t.text);
            if t.kind == TokenKind::Code && t.text.contains(']') {
                code(&bracketed, &mut out);
                bracketed.clear();
            }
            continue;
        }
        match t.kind {
            TokenKind::Whitespace | TokenKind::LineComment | TokenKind::BlockComment => {}
            TokenKind::SingleQuoted | TokenKind::Placeholder => out.push(Tok::Value),
            TokenKind::DoubleQuoted | TokenKind::Backquoted => {
                out.push(Tok::Quoted(unquote(t.text)))
            }
            TokenKind::Semicolon => out.push(Tok::End),
            TokenKind::Code if opens_bracket(t.text) => bracketed.push_str(t.text),
            TokenKind::Code => code(t.text, &mut out),
            _ => out.push(Tok::Other),
        }
    }
    if !bracketed.is_empty() {
        code(&bracketed, &mut out);
    }
    out
}

/// True when `text` opens a `[…]` name it does not close.
fn opens_bracket(text: &str) -> bool {
    text.rfind('[')
        .is_some_and(|open| text.rfind(']').is_none_or(|close| close < open))
}

/// A quoted name without its quotes, doubled quotes undone.
fn unquote(text: &str) -> String {
    let mut chars = text.chars();
    let Some(q) = chars.next() else {
        return String::new();
    };
    let inner = chars.as_str();
    let inner = inner.strip_suffix(q).unwrap_or(inner);
    inner.replace(&format!("{q}{q}"), &q.to_string())
}

/// True for a character that can continue a name.
fn name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '$' || !c.is_ascii()
}

/// Cuts a run of code (keywords, names, numbers, operators, punctuation) into pieces.
fn code(text: &str, out: &mut Vec<Tok>) {
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    let take_while = |mut j: usize, f: &dyn Fn(char) -> bool| {
        while j < chars.len() && f(chars[j]) {
            j += 1;
        }
        j
    };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let (tok, end) = if c.is_ascii_alphabetic() || c == '_' || !c.is_ascii() {
            let end = take_while(i, &name_char);
            (Tok::Word(chars[i..end].iter().collect()), end)
        } else if c.is_ascii_digit() || (c == '.' && next.is_some_and(|n| n.is_ascii_digit())) {
            let end = take_while(i, &|c| c.is_ascii_alphanumeric() || c == '.' || c == '_');
            (Tok::Value, end)
        } else if matches!(c, ':' | '@' | '$') && next.is_some_and(name_char) {
            (Tok::Value, take_while(i + 1, &name_char))
        } else if c == '[' {
            let end = take_while(i + 1, &|c| c != ']');
            let name = chars[i + 1..end].iter().collect();
            (Tok::Quoted(name), (end + 1).min(chars.len()))
        } else {
            match c {
                '(' => (Tok::Open, i + 1),
                ')' => (Tok::Close, i + 1),
                ',' => (Tok::Comma, i + 1),
                '.' => (Tok::Dot, i + 1),
                '<' | '>' | '=' | '!' | '|' => {
                    let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
                    if ["<=", ">=", "==", "!=", "<>", "||", "<<", ">>"].contains(&two.as_str()) {
                        (Tok::Op(two), i + 2)
                    } else {
                        (Tok::Op(c.to_string()), i + 1)
                    }
                }
                '+' | '-' | '*' | '/' | '%' | '&' | '~' => (Tok::Op(c.to_string()), i + 1),
                _ => (Tok::Other, i + 1),
            }
        };
        out.push(tok);
        i = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(name: &str) -> ColumnRef {
        ColumnRef {
            qualifier: None,
            name: name.into(),
        }
    }

    fn names(cols: &[ColumnRef]) -> Vec<&str> {
        cols.iter().map(|c| c.name.as_str()).collect()
    }

    #[test]
    fn equalities_and_ranges_of_one_table() {
        let l = lookup("SELECT * FROM t WHERE customer_id = 4242").unwrap();
        assert_eq!(l.table, "t");
        assert_eq!(l.plan_name(), "t");
        assert_eq!(l.equal, [col("customer_id")]);
        assert!(l.range.is_empty());

        let l = lookup(
            "select a, (select max(x) from u) from main.\"Order Lines\" AS o \
             where o.status IN ('a', 'b') and o.created >= ? AND total BETWEEN 1 AND 5 \
             AND kind IS NULL AND note IS NOT NULL AND name = other_col \
             AND lower(name) = 'x' AND -3 < qty ORDER BY a LIMIT 5;",
        )
        .unwrap();
        assert_eq!(l.table, "Order Lines");
        assert_eq!(l.plan_name(), "o");
        assert_eq!(names(&l.equal), ["status", "kind"]);
        assert_eq!(l.equal[0].qualifier.as_deref(), Some("o"));
        assert_eq!(names(&l.range), ["created", "total"]);

        let l = lookup("DELETE FROM t WHERE a == :a AND b < @b AND c = $c").unwrap();
        assert_eq!(names(&l.equal), ["a", "c"]);
        assert_eq!(names(&l.range), ["b"]);
        let l = lookup("UPDATE OR IGNORE t SET x = 1, y = 2 WHERE [id col] = -1").unwrap();
        assert_eq!(names(&l.equal), ["id col"]);
        let l = lookup("SELECT * FROM t x WHERE x.d > date('now')").unwrap();
        assert_eq!(l.alias.as_deref(), Some("x"));
        assert_eq!(names(&l.range), ["d"]);
        let l = lookup("SELECT count(*) FROM t").unwrap();
        assert!(l.equal.is_empty() && l.range.is_empty());
    }

    #[test]
    fn anything_more_than_a_one_table_lookup_is_left_alone() {
        for sql in [
            "SELECT * FROM a, b WHERE a.x = 1",
            "SELECT * FROM a JOIN b ON a.id = b.id WHERE a.x = 1",
            "SELECT * FROM a WHERE x = 1 OR y = 2",
            "SELECT * FROM a WHERE x = 1 UNION SELECT * FROM b WHERE y = 1",
            "SELECT * FROM a INDEXED BY ix WHERE x = 1",
            "SELECT * FROM a NOT INDEXED WHERE x = 1",
            "SELECT * FROM other.a WHERE x = 1",
            "SELECT * FROM (SELECT * FROM a) WHERE x = 1",
            "WITH c AS (SELECT 1) SELECT * FROM c WHERE x = 1",
            "INSERT INTO a VALUES (1)",
            "SELECT 1; SELECT * FROM a WHERE x = 1",
            "UPDATE a SET x = 1 FROM b WHERE a.id = b.id",
            "",
        ] {
            assert_eq!(lookup(sql), None, "{sql}");
        }
    }

    #[test]
    fn quoted_names_and_literals() {
        assert_eq!(unquote("\"a\"\"b\""), "a\"b");
        assert_eq!(unquote("`x`"), "x");
        let l = lookup("SELECT * FROM `t` WHERE \"c\"\"d\" = 'x = y' -- c = 1\n").unwrap();
        assert_eq!(l.table, "t");
        assert_eq!(names(&l.equal), ["c\"d"]);
    }
}
