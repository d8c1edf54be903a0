//! Reading the simple predicates of a one-table statement, the index advice's raw
//! material: `SELECT … FROM t [alias] WHERE …`, `UPDATE t SET … WHERE …` and
//! `DELETE FROM t WHERE …`, with conditions joined by `AND`, each one of `col = v`,
//! `col < v` (and `<=`, `>`, `>=`), `col IN (v, …)`, `col BETWEEN v AND v`, or a condition
//! no index on one column serves well (`<>`, `IS NULL`, `LIKE`, `NOT IN`). A value is a
//! literal, a parameter (`$n`, `?`), `TRUE`/`FALSE`/`NULL`, optionally cast (`::type`).
//!
//! Anything else (a join, a subquery, `OR`, a function call in the condition) makes the
//! statement unreadable: the reader never guesses what a statement does.

use super::pieces::{pieces, Located, Piece, Unreadable};
use std::ops::Range;

/// How a column is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// `col = v` or `col IN (…)`: a value of the column fits.
    Equality,
    /// `col < v`, `col BETWEEN …`: a bound.
    Range,
    /// A comparison one plain index does not serve (`<>`, `IS NULL`, `LIKE`, `NOT IN`).
    Other,
}

/// One condition of the `WHERE` clause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    /// The column, as the server names it (unquoted names folded to lowercase).
    pub column: String,
    /// How it is compared.
    pub comparison: Comparison,
}

/// A parameter of the statement and what it stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parameter {
    /// Its bytes in the statement.
    pub span: Range<usize>,
    /// The column whose value it stands for, when an equality or an assignment says so.
    pub column: Option<String>,
}

/// What a one-table statement filters on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shape {
    /// The table's name parts (`["public", "orders"]` or `["orders"]`), as the server
    /// names them.
    pub table: Vec<String>,
    /// The conditions of its `WHERE` clause.
    pub conditions: Vec<Condition>,
    /// Its parameters in order.
    pub parameters: Vec<Parameter>,
}

impl Shape {
    /// The columns an index on one column could serve, each once, in order.
    pub fn indexable_columns(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for c in &self.conditions {
            if c.comparison != Comparison::Other && !out.contains(&c.column.as_str()) {
                out.push(&c.column);
            }
        }
        out
    }
}

/// Words that end a table reference or a `WHERE` clause.
const CLAUSE_WORDS: &[&str] = &[
    "where",
    "order",
    "group",
    "limit",
    "offset",
    "for",
    "fetch",
    "having",
    "window",
    "returning",
    "set",
    "using",
    "union",
    "intersect",
    "except",
    "join",
    "inner",
    "left",
    "right",
    "full",
    "cross",
    "natural",
    "on",
    "tablesample",
    "only",
    "lateral",
    "as",
];

/// Words that end the `WHERE` clause.
const AFTER_WHERE: &[&str] = &[
    "order",
    "group",
    "limit",
    "offset",
    "for",
    "fetch",
    "having",
    "window",
    "returning",
];

/// Words whose presence anywhere makes a statement more than one table's simple filter.
const REFUSED: &[&str] = &[
    "select",
    "join",
    "union",
    "intersect",
    "except",
    "exists",
    "any",
    "all",
    "some",
    "or",
    "case",
    "lateral",
    "using",
];

/// Reads `sql`; `Err` says why it cannot be read.
pub fn read(sql: &str) -> Result<Shape, Unreadable> {
    let p = pieces(sql)?;
    Reader { p: &p, at: 0 }.statement()
}

struct Reader<'a> {
    p: &'a [Located],
    at: usize,
}

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<&'a Located> {
        self.p.get(self.at)
    }

    fn next(&mut self) -> Option<&'a Located> {
        let l = self.p.get(self.at);
        self.at += 1;
        l
    }

    fn eat_word(&mut self, w: &str) -> bool {
        if self.peek().is_some_and(|l| l.is_word(w)) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn eat_symbol(&mut self, s: &str) -> bool {
        if self.peek().is_some_and(|l| l.is_symbol(s)) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn expect_symbol(&mut self, s: &str) -> Result<(), Unreadable> {
        if self.eat_symbol(s) {
            Ok(())
        } else {
            Err(Unreadable("an unexpected piece"))
        }
    }

    fn statement(mut self) -> Result<Shape, Unreadable> {
        let first = self.next().ok_or(Unreadable("an empty statement"))?;
        let kind = match &first.piece {
            Piece::Word(w) => w.to_ascii_lowercase(),
            _ => return Err(Unreadable("not a SELECT, UPDATE or DELETE")),
        };
        let rest = &self.p[1..];
        if rest.iter().any(|l| REFUSED.iter().any(|w| l.is_word(w))) {
            return Err(Unreadable("a join, subquery, OR or set operation"));
        }
        let mut parameters = Vec::new();
        let table = match kind.as_str() {
            "select" => {
                self.skip_to_top_level_word("from", &mut parameters)?;
                self.table()?
            }
            "delete" => {
                if !self.eat_word("from") {
                    return Err(Unreadable("DELETE without FROM"));
                }
                self.table()?
            }
            "update" => {
                let table = self.table()?;
                if !self.eat_word("set") {
                    return Err(Unreadable("UPDATE without SET"));
                }
                self.assignments(&mut parameters)?;
                table
            }
            _ => return Err(Unreadable("not a SELECT, UPDATE or DELETE")),
        };
        let conditions = if self.eat_word("where") {
            self.conditions(&table, &mut parameters)?
        } else {
            match self.peek() {
                Some(l) if !AFTER_WHERE.iter().any(|w| l.is_word(w)) => {
                    return Err(Unreadable("a clause the reader does not know"))
                }
                _ => Vec::new(),
            }
        };
        // Whatever follows (ORDER BY, LIMIT): its parameters stand for no column.
        while let Some(l) = self.next() {
            if l.piece == Piece::Param {
                parameters.push(Parameter {
                    span: l.span.clone(),
                    column: None,
                });
            }
        }
        Ok(Shape {
            table: table.name,
            conditions,
            parameters,
        })
    }

    /// Moves past the word `word` at parenthesis depth 0, noting parameters passed.
    fn skip_to_top_level_word(
        &mut self,
        word: &str,
        parameters: &mut Vec<Parameter>,
    ) -> Result<(), Unreadable> {
        let mut depth = 0usize;
        while let Some(l) = self.next() {
            match &l.piece {
                Piece::Symbol(s) if s == "(" => depth += 1,
                Piece::Symbol(s) if s == ")" => depth = depth.saturating_sub(1),
                Piece::Word(_) if depth == 0 && l.is_word(word) => return Ok(()),
                Piece::Param => parameters.push(Parameter {
                    span: l.span.clone(),
                    column: None,
                }),
                _ => {}
            }
        }
        Err(Unreadable("no FROM"))
    }

    /// A name: an unquoted word that is no clause word, or a quoted name.
    fn name(&mut self) -> Result<String, Unreadable> {
        match self.next().map(|l| &l.piece) {
            Some(Piece::Word(w)) if !CLAUSE_WORDS.iter().any(|c| w.eq_ignore_ascii_case(c)) => {
                Ok(w.to_lowercase())
            }
            Some(Piece::Quoted(q)) => Ok(q.clone()),
            _ => Err(Unreadable("a name was expected")),
        }
    }

    /// `[schema.]table [[AS] alias]`, then nothing but a clause word or the end.
    fn table(&mut self) -> Result<Table, Unreadable> {
        let mut name = vec![self.name()?];
        while self.eat_symbol(".") {
            name.push(self.name()?);
        }
        if name.len() > 2 {
            return Err(Unreadable("a name of more than two parts"));
        }
        let explicit = self.eat_word("as");
        let alias = match self.peek().map(|l| &l.piece) {
            Some(Piece::Word(w)) if !CLAUSE_WORDS.iter().any(|c| w.eq_ignore_ascii_case(c)) => {
                Some(self.name()?)
            }
            Some(Piece::Quoted(_)) => Some(self.name()?),
            _ if explicit => return Err(Unreadable("AS without an alias")),
            _ => None,
        };
        match self.peek() {
            None => {}
            Some(l) if matches!(l.piece, Piece::Word(_)) => {}
            Some(_) => return Err(Unreadable("more than one table or a table function")),
        }
        Ok(Table { name, alias })
    }

    /// The assignments of `UPDATE … SET`, up to `WHERE`: a parameter standing alone after
    /// `col =` stands for a value of that column.
    fn assignments(&mut self, parameters: &mut Vec<Parameter>) -> Result<(), Unreadable> {
        let mut depth = 0usize;
        while let Some(l) = self.peek() {
            if depth == 0 && AFTER_WHERE.iter().chain(&["where"]).any(|w| l.is_word(w)) {
                break;
            }
            let at = self.at;
            self.at += 1;
            match &l.piece {
                Piece::Symbol(s) if s == "(" => depth += 1,
                Piece::Symbol(s) if s == ")" => depth = depth.saturating_sub(1),
                Piece::Param => {
                    let column = if depth == 0 {
                        self.assigned_column(at)
                    } else {
                        None
                    };
                    parameters.push(Parameter {
                        span: l.span.clone(),
                        column,
                    });
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The column of `col = <the parameter at piece at>` when the parameter is the whole
    /// value (a cast may follow it).
    fn assigned_column(&self, at: usize) -> Option<String> {
        let eq = self.p.get(at.checked_sub(1)?)?;
        let target = self.p.get(at.checked_sub(2)?)?;
        let alone = self
            .p
            .get(at + 1)
            .is_none_or(|a| a.is_symbol(",") || a.is_symbol("::") || a.is_word("where"));
        if !eq.is_symbol("=") || !alone {
            return None;
        }
        match &target.piece {
            Piece::Word(w) => Some(w.to_lowercase()),
            Piece::Quoted(q) => Some(q.clone()),
            _ => None,
        }
    }

    /// The conditions up to the end of the `WHERE` clause.
    fn conditions(
        &mut self,
        table: &Table,
        parameters: &mut Vec<Parameter>,
    ) -> Result<Vec<Condition>, Unreadable> {
        let mut out = Vec::new();
        loop {
            out.push(self.condition(table, parameters)?);
            if self.eat_word("and") {
                continue;
            }
            match self.peek() {
                None => return Ok(out),
                Some(l) if AFTER_WHERE.iter().any(|w| l.is_word(w)) => return Ok(out),
                Some(_) => return Err(Unreadable("a condition the reader does not know")),
            }
        }
    }

    /// A column of the statement's table: `col`, `alias.col` or `table.col`.
    fn column(&mut self, table: &Table) -> Result<String, Unreadable> {
        let first = self.name()?;
        if !self.eat_symbol(".") {
            return Ok(first);
        }
        let column = self.name()?;
        let qualifier_fits = table.alias.as_deref() == Some(first.as_str())
            || (table.alias.is_none() && table.name.last() == Some(&first));
        if qualifier_fits {
            Ok(column)
        } else {
            Err(Unreadable("a column of another table"))
        }
    }

    fn condition(
        &mut self,
        table: &Table,
        parameters: &mut Vec<Parameter>,
    ) -> Result<Condition, Unreadable> {
        let column = self.column(table)?;
        let negated = self.eat_word("not");
        let (comparison, bound) = if self.eat_word("in") {
            self.expect_symbol("(")?;
            let mut values = vec![self.value()?];
            while self.eat_symbol(",") {
                values.push(self.value()?);
            }
            self.expect_symbol(")")?;
            (Comparison::Equality, values)
        } else if self.eat_word("between") {
            let low = self.value()?;
            if !self.eat_word("and") {
                return Err(Unreadable("BETWEEN without AND"));
            }
            (Comparison::Range, vec![low, self.value()?])
        } else if !negated && self.eat_word("is") {
            self.eat_word("not");
            if !(self.eat_word("null") || self.eat_word("true") || self.eat_word("false")) {
                return Err(Unreadable("IS followed by something else"));
            }
            (Comparison::Other, Vec::new())
        } else if self.eat_word("like") || self.eat_word("ilike") {
            (Comparison::Other, vec![self.value()?])
        } else if negated {
            return Err(Unreadable("NOT followed by something else"));
        } else {
            let op = match self.next().map(|l| &l.piece) {
                Some(Piece::Symbol(s)) => s.clone(),
                _ => return Err(Unreadable("a comparison was expected")),
            };
            let comparison = match op.as_str() {
                "=" => Comparison::Equality,
                "<" | "<=" | ">" | ">=" => Comparison::Range,
                "<>" | "!=" => Comparison::Other,
                _ => return Err(Unreadable("an operator the reader does not know")),
            };
            (comparison, vec![self.value()?])
        };
        let comparison = if negated {
            Comparison::Other
        } else {
            comparison
        };
        for span in bound.into_iter().flatten() {
            parameters.push(Parameter {
                span,
                column: (comparison == Comparison::Equality).then(|| column.clone()),
            });
        }
        Ok(Condition { column, comparison })
    }

    /// A value; `Some(span)` when it is a parameter.
    fn value(&mut self) -> Result<Option<Range<usize>>, Unreadable> {
        self.eat_symbol("-");
        let param = match self.next() {
            Some(l) if l.piece == Piece::Param => Some(l.span.clone()),
            Some(l) if l.piece == Piece::Literal => None,
            Some(l) if ["true", "false", "null"].iter().any(|w| l.is_word(w)) => None,
            _ => return Err(Unreadable("a value was expected")),
        };
        while self.eat_symbol("::") {
            self.type_name()?;
        }
        Ok(param)
    }

    /// A type after `::`: words (`double precision`, `timestamp with time zone`), a
    /// modifier (`varchar(10)`, `numeric(10, 2)`), array brackets.
    fn type_name(&mut self) -> Result<(), Unreadable> {
        let mut words = 0;
        while let Some(l) = self.peek() {
            let is_type_word = matches!(&l.piece, Piece::Word(_) | Piece::Quoted(_))
                && !["and", "or"]
                    .iter()
                    .chain(AFTER_WHERE)
                    .any(|w| l.is_word(w));
            if !is_type_word {
                break;
            }
            self.at += 1;
            words += 1;
            self.eat_symbol(".");
        }
        if words == 0 {
            return Err(Unreadable("a type was expected"));
        }
        if self.eat_symbol("(") {
            while self
                .peek()
                .is_some_and(|l| l.piece == Piece::Literal || l.is_symbol(","))
            {
                self.at += 1;
            }
            self.expect_symbol(")")?;
        }
        while self.eat_symbol("[") {
            self.expect_symbol("]")?;
        }
        Ok(())
    }
}

/// The statement's table as written.
struct Table {
    name: Vec<String>,
    alias: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eq(column: &str) -> Condition {
        Condition {
            column: column.into(),
            comparison: Comparison::Equality,
        }
    }

    fn range(column: &str) -> Condition {
        Condition {
            column: column.into(),
            comparison: Comparison::Range,
        }
    }

    #[test]
    fn simple_filters_are_read_with_their_columns() {
        let s = read("SELECT * FROM t WHERE customer_id = 4242").unwrap();
        assert_eq!(s.table, ["t"]);
        assert_eq!(s.conditions, [eq("customer_id")]);
        assert!(s.parameters.is_empty());

        let s = read(
            "select o.id, count(*) from Shop.\"Orders\" AS o where o.Status IN ('a', 'b') \
             and o.created_at between '2024-01-01'::date and $2::timestamp with time zone \
             and total >= -1.5 and note is not null order by 1 limit $3;",
        )
        .unwrap();
        assert_eq!(s.table, ["shop", "Orders"]);
        assert_eq!(
            s.conditions,
            [
                eq("status"),
                range("created_at"),
                range("total"),
                Condition {
                    column: "note".into(),
                    comparison: Comparison::Other
                }
            ]
        );
        assert_eq!(s.indexable_columns(), ["status", "created_at", "total"]);
        assert_eq!(s.parameters.len(), 2);
        assert!(s.parameters.iter().all(|p| p.column.is_none()));
    }

    #[test]
    fn parameters_of_equalities_and_assignments_stand_for_their_columns() {
        let sql = "UPDATE t SET a = $1::int, b = b + $2 WHERE id = $3 AND k IN ($4, ?)";
        let s = read(sql).unwrap();
        let cols: Vec<Option<&str>> = s.parameters.iter().map(|p| p.column.as_deref()).collect();
        assert_eq!(cols, [Some("a"), None, Some("id"), Some("k"), Some("k")]);
        assert_eq!(&sql[s.parameters[2].span.clone()], "$3");
        assert_eq!(&sql[s.parameters[4].span.clone()], "?");
        let s = read("DELETE FROM x.t WHERE t.v < $1").unwrap();
        assert_eq!(s.table, ["x", "t"]);
        assert_eq!(s.conditions, [range("v")]);
        assert_eq!(s.parameters[0].column, None);
    }

    #[test]
    fn what_is_more_than_a_simple_filter_is_not_read() {
        for sql in [
            "SELECT * FROM a JOIN b ON a.id = b.id WHERE a.x = 1",
            "SELECT * FROM a, b WHERE a.x = 1",
            "SELECT * FROM t WHERE x = 1 OR y = 2",
            "SELECT * FROM t WHERE x IN (SELECT y FROM u)",
            "SELECT * FROM t WHERE lower(x) = 'a'",
            "SELECT * FROM t WHERE (x = 1)",
            "SELECT * FROM t WHERE x = y + 1",
            "SELECT * FROM t WHERE u.x = 1",
            "SELECT * FROM generate_series(1, 3) g WHERE g = 1",
            "INSERT INTO t VALUES (1)",
            "WITH q AS (SELECT 1) SELECT * FROM q WHERE a = 1",
            "SELECT * FROM t WHERE x = now()",
            "SELECT 1; SELECT 2",
        ] {
            assert!(read(sql).is_err(), "{sql}");
        }
    }
}
