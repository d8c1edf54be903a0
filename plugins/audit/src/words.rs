//! Statements as words: the kit lexer's tokens without comments and whitespace, code cut
//! into names, numbers and punctuation, each word with the parenthesis depth it sits at.
//! Rules match words, so text inside comments and string literals never looks like SQL.

use myrmex_plugin::sql::{tokens, Flavor, TokenKind};

/// What a word is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A bare word: a keyword or an unquoted name.
    Name,
    /// A quoted identifier; its text is the name without quotes.
    Quoted,
    /// A string literal, dollar-quoted body or number.
    Literal,
    /// One punctuation or operator character.
    Punct,
}

/// One word of a statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Word {
    /// What it is.
    pub kind: Kind,
    /// Its text (a quoted identifier's name, unquoted).
    pub text: String,
    /// How many parentheses enclose it; a parenthesis itself has the depth outside it.
    pub depth: u32,
}

impl Word {
    /// True for the bare word `keyword`, in any case.
    pub fn is(&self, keyword: &str) -> bool {
        self.kind == Kind::Name && self.text.eq_ignore_ascii_case(keyword)
    }

    /// True for the punctuation character `p`.
    pub fn is_punct(&self, p: char) -> bool {
        self.kind == Kind::Punct && self.text.len() == p.len_utf8() && self.text.starts_with(p)
    }

    /// True for a word that can name something (bare or quoted).
    pub fn is_name(&self) -> bool {
        matches!(self.kind, Kind::Name | Kind::Quoted)
    }
}

/// The words of one statement read by `flavor`'s rules.
///
/// ```
/// use myrmex_audit::words::{words, Kind};
/// use myrmex_plugin::sql::Flavor;
/// let w = words("DELETE /* WHERE */ FROM \"t\" -- WHERE", Flavor::Postgres);
/// let texts: Vec<_> = w.iter().map(|w| (w.kind, w.text.as_str())).collect();
/// assert_eq!(texts, [(Kind::Name, "DELETE"), (Kind::Name, "FROM"), (Kind::Quoted, "t")]);
/// ```
pub fn words(sql: &str, flavor: Flavor) -> Vec<Word> {
    let mut out = Vec::new();
    let mut depth = 0;
    push_words(sql, flavor, &mut depth, &mut out);
    out
}

/// Appends the words of `sql` to `out`, continuing at `depth`.
fn push_words(sql: &str, flavor: Flavor, depth: &mut u32, out: &mut Vec<Word>) {
    let mut code_end = usize::MAX;
    for t in tokens(sql, flavor) {
        match t.kind {
            TokenKind::Code => {
                split_code(t.text, flavor, depth, out);
                code_end = t.end();
                continue;
            }
            TokenKind::SingleQuoted => {
                // A prefix glued to the quote (`E'…'`, `N'…'`, `X'…'`) is part of the literal.
                let glued = code_end == t.start
                    && out.last().is_some_and(|w| {
                        w.kind == Kind::Name
                            && matches!(w.text.to_ascii_uppercase().as_str(), "E" | "N" | "X" | "B")
                    });
                if glued {
                    out.pop();
                }
                out.push(word(Kind::Literal, t.text, *depth));
            }
            TokenKind::DollarQuoted => out.push(word(Kind::Literal, t.text, *depth)),
            TokenKind::DoubleQuoted if flavor == Flavor::Mysql => {
                out.push(word(Kind::Literal, t.text, *depth))
            }
            TokenKind::DoubleQuoted | TokenKind::Backquoted => {
                out.push(word(Kind::Quoted, &unquote(t.text), *depth))
            }
            TokenKind::Placeholder => out.push(word(Kind::Punct, "?", *depth)),
            TokenKind::Semicolon => out.push(word(Kind::Punct, ";", *depth)),
            TokenKind::ExecutableComment => {
                // `/*!50100 … */` runs on the server: its words count. `/*+ … */` is a hint.
                if let Some(inner) = t.text.strip_prefix("/*!") {
                    let inner = inner.strip_suffix("*/").unwrap_or(inner);
                    let inner = inner.trim_start_matches(|c: char| c.is_ascii_digit());
                    push_words(inner, flavor, depth, out);
                }
            }
            _ => {}
        }
        code_end = usize::MAX;
    }
}

/// A word of `kind`.
fn word(kind: Kind, text: &str, depth: u32) -> Word {
    Word {
        kind,
        text: text.to_string(),
        depth,
    }
}

/// A quoted identifier's name: the delimiters removed and doubled quotes made single.
fn unquote(text: &str) -> String {
    let mut chars = text.chars();
    let Some(q) = chars.next() else {
        return String::new();
    };
    let body = &text[q.len_utf8()..];
    let body = body.strip_suffix(q).unwrap_or(body);
    body.replace(&format!("{q}{q}"), &q.to_string())
}

/// Cuts a run of code into names, numbers and punctuation.
fn split_code(code: &str, flavor: Flavor, depth: &mut u32, out: &mut Vec<Word>) {
    let mut rest = code;
    while let Some(c) = rest.chars().next() {
        let len = if c.is_alphabetic() || c == '_' || !c.is_ascii() {
            let n = run(rest, |c| {
                c.is_alphanumeric() || c == '_' || c == '$' || !c.is_ascii()
            });
            out.push(word(Kind::Name, &rest[..n], *depth));
            n
        } else if c.is_ascii_digit()
            || (c == '$' && rest[1..].starts_with(|d: char| d.is_ascii_digit()))
        {
            let n = 1 + run(&rest[1..], |c| {
                c.is_ascii_alphanumeric() || c == '.' || c == '_'
            });
            out.push(word(Kind::Literal, &rest[..n], *depth));
            n
        } else if c == '[' && flavor == Flavor::Sqlite {
            let n = rest.find(']').map_or(rest.len(), |p| p + 1);
            let name = rest[1..n].trim_end_matches(']');
            out.push(word(Kind::Quoted, name, *depth));
            n
        } else {
            if c == ')' {
                *depth = depth.saturating_sub(1);
            }
            out.push(word(Kind::Punct, &rest[..c.len_utf8()], *depth));
            if c == '(' {
                *depth += 1;
            }
            c.len_utf8()
        };
        rest = &rest[len..];
    }
}

/// The length in bytes of the leading run of `s` whose characters satisfy `keep`.
fn run(s: &str, keep: impl Fn(char) -> bool) -> usize {
    s.char_indices()
        .find(|&(_, c)| !keep(c))
        .map_or(s.len(), |(i, _)| i)
}

/// The words as text, for messages: quoted names bare, no space around `.` and `@` or
/// before `,`.
pub fn render(words: &[Word]) -> String {
    let mut out = String::new();
    let mut glue = true;
    for w in words {
        let tight = w.is_punct('.') || w.is_punct(',') || w.is_punct(')') || w.is_punct('@');
        if !out.is_empty() && !glue && !tight {
            out.push(' ');
        }
        out.push_str(&w.text);
        glue = w.is_punct('.') || w.is_punct('(') || w.is_punct('@');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(sql: &str, flavor: Flavor) -> Vec<(String, u32)> {
        words(sql, flavor)
            .into_iter()
            .map(|w| (w.text, w.depth))
            .collect()
    }

    #[test]
    fn code_is_cut_into_words_with_their_depth() {
        let w = texts("UPDATE t SET a=(SELECT max(b) FROM u)", Flavor::Postgres);
        let expect = [
            ("UPDATE", 0),
            ("t", 0),
            ("SET", 0),
            ("a", 0),
            ("=", 0),
            ("(", 0),
            ("SELECT", 1),
            ("max", 1),
            ("(", 1),
            ("b", 2),
            (")", 1),
            ("FROM", 1),
            ("u", 1),
            (")", 0),
        ];
        let expect: Vec<(String, u32)> = expect.iter().map(|(t, d)| (t.to_string(), *d)).collect();
        assert_eq!(w, expect);
    }

    #[test]
    fn comments_and_strings_are_not_words() {
        let w = words(
            "SELECT 'WHERE' /* WHERE */ -- WHERE\n, $$ WHERE $$",
            Flavor::Postgres,
        );
        assert!(!w.iter().any(|w| w.is("WHERE")));
        assert_eq!(w.iter().filter(|w| w.kind == Kind::Literal).count(), 2);
        let w = words("SELECT \"WHERE\" # WHERE", Flavor::Mysql);
        assert!(!w.iter().any(|w| w.is("WHERE")));
        let w = words("SELECT E'it\\'s' FROM t", Flavor::Postgres);
        assert_eq!(w.len(), 4);
    }

    #[test]
    fn quoted_names_lose_their_quotes() {
        let w = words("ALTER TABLE `my``t` ADD [c d]", Flavor::Sqlite);
        assert_eq!(w[2].text, "my`t");
        assert_eq!(w[2].kind, Kind::Quoted);
        assert_eq!(w[4].text, "c");
        let w = words("\"a\"\"b\".c", Flavor::Postgres);
        assert_eq!(render(&w), "a\"b.c");
    }

    #[test]
    fn executable_comments_count_and_hints_do_not() {
        let w = words("ALTER TABLE t /*!50100 ALGORITHM=INPLACE */", Flavor::Mysql);
        assert!(w.iter().any(|w| w.is("ALGORITHM")));
        let w = words("SELECT /*+ WHERE */ 1", Flavor::Mysql);
        assert_eq!(w.len(), 2);
    }

    #[test]
    fn render_spaces_words_like_sql() {
        let w = words("GRANT ALL ON app . * TO 'u'@'%'", Flavor::Mysql);
        assert_eq!(render(&w[3..6]), "app.*");
        let w = words("f(a , b)", Flavor::Generic);
        assert_eq!(render(&w), "f (a, b)");
    }
}
