//! A statement cut into the pieces the predicate reader works on: words, quoted names,
//! literals, parameters, operators and punctuation. The kit's lexer finds the quotes,
//! comments and dollar-quoted bodies; the code between them is cut here.

use myrmex_plugin::sql::{tokens, Flavor, TokenKind};
use std::ops::Range;

/// What a piece is.
#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    /// An unquoted word (a keyword or a name), as written.
    Word(String),
    /// A `"quoted"` name, unescaped.
    Quoted(String),
    /// A number, a string or a dollar-quoted literal.
    Literal,
    /// A parameter: `$n` or `?`.
    Param,
    /// An operator (`=`, `<=`, `::`, `-`) or punctuation (`(`, `)`, `,`, `.`).
    Symbol(String),
}

/// A piece and where it sits in the statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Located {
    /// The piece.
    pub piece: Piece,
    /// Its bytes in the statement.
    pub span: Range<usize>,
}

impl Located {
    /// True when the piece is the word `keyword` (any case).
    pub fn is_word(&self, keyword: &str) -> bool {
        matches!(&self.piece, Piece::Word(w) if w.eq_ignore_ascii_case(keyword))
    }

    /// True when the piece is the symbol `symbol`.
    pub fn is_symbol(&self, symbol: &str) -> bool {
        matches!(&self.piece, Piece::Symbol(s) if s == symbol)
    }
}

/// Characters PostgreSQL builds operators from.
const OPERATOR_CHARS: &str = "+-*/<>=~!@#%^&|`?";

/// Why a statement cannot be cut into pieces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable(pub &'static str);

/// The pieces of one statement; an unterminated quote, a second statement or a construct
/// the reader does not know makes it unreadable.
pub fn pieces(sql: &str) -> Result<Vec<Located>, Unreadable> {
    let mut out: Vec<Located> = Vec::new();
    let mut ended = false;
    for t in tokens(sql, Flavor::Postgres) {
        if !t.terminated {
            return Err(Unreadable("an unterminated quote or comment"));
        }
        if t.is_trivia() {
            continue;
        }
        if ended {
            return Err(Unreadable("more than one statement"));
        }
        let piece = match t.kind {
            TokenKind::Semicolon => {
                ended = true;
                continue;
            }
            TokenKind::SingleQuoted => {
                // A prefix glued to the quote (`E'…'`, `B'…'`, `X'…'`) belongs to it.
                if let Some(prev) = out.last() {
                    let glued = prev.span.end == t.start
                        && matches!(&prev.piece, Piece::Word(w)
                            if matches!(w.as_str(), "E" | "e" | "B" | "b" | "X" | "x" | "N" | "n"));
                    if glued {
                        out.pop();
                    } else if prev.span.end == t.start
                        && (matches!(&prev.piece, Piece::Word(_)) || prev.is_symbol("&"))
                    {
                        return Err(Unreadable("a prefixed string"));
                    }
                }
                Piece::Literal
            }
            TokenKind::DollarQuoted => Piece::Literal,
            TokenKind::DoubleQuoted => {
                let inner = &t.text[1..t.text.len() - 1];
                Piece::Quoted(inner.replace("\"\"", "\""))
            }
            TokenKind::Placeholder => Piece::Param,
            TokenKind::Code => {
                code(t.text, t.start, &mut out)?;
                continue;
            }
            _ => return Err(Unreadable("a construct of another engine")),
        };
        out.push(Located {
            piece,
            span: t.span(),
        });
    }
    Ok(out)
}

/// Cuts a run of code starting at byte `base` of the statement.
fn code(text: &str, base: usize, out: &mut Vec<Located>) -> Result<(), Unreadable> {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        let c = b[i];
        let piece = if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 {
            while i < b.len()
                && (b[i].is_ascii_alphanumeric() || matches!(b[i], b'_' | b'$') || b[i] >= 0x80)
            {
                i += 1;
            }
            Piece::Word(text[start..i].to_string())
        } else if c.is_ascii_digit() || (c == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit))
        {
            i = number_end(b, i);
            Piece::Literal
        } else if c == b'$' && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
            i += 1;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            Piece::Param
        } else if c == b':' && b.get(i + 1) == Some(&b':') {
            i += 2;
            Piece::Symbol("::".into())
        } else if OPERATOR_CHARS.as_bytes().contains(&c) {
            while i < b.len() && OPERATOR_CHARS.as_bytes().contains(&b[i]) {
                // `--` and `/*` start comments, which the lexer has taken out already.
                i += 1;
            }
            i = start + operator_len(&text[start..i]);
            Piece::Symbol(text[start..i].to_string())
        } else if matches!(c, b'(' | b')' | b',' | b'.' | b'[' | b']' | b':') {
            i += 1;
            Piece::Symbol(text[start..i].to_string())
        } else {
            return Err(Unreadable("a character the reader does not know"));
        };
        out.push(Located {
            piece,
            span: base + start..base + i,
        });
    }
    Ok(())
}

/// Where a number starting at `i` ends (digits, a point, an exponent).
fn number_end(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.' || b[i] == b'_') {
        i += 1;
    }
    if i < b.len() && matches!(b[i], b'e' | b'E') {
        let mut j = i + 1;
        if j < b.len() && matches!(b[j], b'+' | b'-') {
            j += 1;
        }
        if j < b.len() && b[j].is_ascii_digit() {
            i = j;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
        }
    }
    i
}

/// How much of a run of operator characters is one operator: as in PostgreSQL, a run
/// longer than one character ends before a trailing `+` or `-` unless it holds one of
/// `~!@#%^&|`?` (so `=-1` is `=` then `-1`).
fn operator_len(run: &str) -> usize {
    let mut len = run.len();
    if len > 1 && !run.chars().any(|c| "~!@#%^&|`?".contains(c)) {
        while len > 1 && run[..len].ends_with(['+', '-']) {
            len -= 1;
        }
    }
    len
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(sql: &str) -> Vec<Piece> {
        pieces(sql).unwrap().into_iter().map(|l| l.piece).collect()
    }

    fn word(w: &str) -> Piece {
        Piece::Word(w.into())
    }

    fn sym(s: &str) -> Piece {
        Piece::Symbol(s.into())
    }

    #[test]
    fn code_is_cut_into_words_literals_parameters_and_symbols() {
        assert_eq!(
            kinds("SELECT * FROM s.\"T\"\"x\" WHERE a=$1 AND b<=-2.5e3 AND c IN ('x', E'y');"),
            [
                word("SELECT"),
                sym("*"),
                word("FROM"),
                word("s"),
                sym("."),
                Piece::Quoted("T\"x".into()),
                word("WHERE"),
                word("a"),
                sym("="),
                Piece::Param,
                word("AND"),
                word("b"),
                sym("<="),
                sym("-"),
                Piece::Literal,
                word("AND"),
                word("c"),
                word("IN"),
                sym("("),
                Piece::Literal,
                sym(","),
                Piece::Literal,
                sym(")"),
            ]
        );
        assert_eq!(
            kinds("x::int4 = ?"),
            [word("x"), sym("::"), word("int4"), sym("="), Piece::Param]
        );
    }

    #[test]
    fn spans_point_at_the_pieces() {
        let sql = "SELECT 1 FROM t WHERE id = $12 -- c\n";
        let p = pieces(sql).unwrap();
        let param = p.iter().find(|l| l.piece == Piece::Param).unwrap();
        assert_eq!(&sql[param.span.clone()], "$12");
    }

    #[test]
    fn what_cannot_be_read_says_so() {
        assert!(pieces("SELECT 1; SELECT 2").is_err());
        assert!(pieces("SELECT 'open").is_err());
        assert!(pieces("SELECT U&'d\\0061t'").is_err());
        assert!(pieces("SELECT 1;").is_ok());
    }
}
