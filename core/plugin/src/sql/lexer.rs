//! The tokenizer: SQL text cut into byte spans of whitespace, comments, quoted text,
//! dollar-quoted bodies, `;`, `?` and the code between them, by one engine's rules.
//!
//! Tokens follow each other without gaps and cover the whole text (for SQLite, the text up
//! to its first NUL). A quote, comment or dollar-quoted body still open at the end of the
//! text runs to the end and is marked unterminated; only the last token can be.

use std::ops::Range;

/// Whose rules the lexer reads SQL by: the engines differ in which quotes exist, whether a
/// backslash escapes, how comments start and whether they nest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Flavor {
    /// Every engine's constructs at once, for text whose engine is not known yet (scripts
    /// the host splits before it runs them): `'…'`, `"…"` and `` `…` `` quotes, a backslash
    /// escaping the next character in `'…'` and `` `…` ``, nested block comments,
    /// PostgreSQL's dollar-quoted bodies, and MySQL's `/*! … */` and `/*+ … */` as content.
    Generic,
    /// SQLite: `'…'` strings, `"…"` and `` `…` `` identifiers, no backslash escapes; block
    /// comments do not nest, an unterminated `/* …` runs to the end of the text, and the
    /// text ends at its first NUL.
    Sqlite,
    /// PostgreSQL: `'…'` strings (a backslash escapes only in `E'…'`), `"…"` identifiers,
    /// nested block comments, and dollar-quoted bodies (`$$ … $$`, `$tag$ … $tag$`).
    Postgres,
    /// MySQL and MariaDB: `'…'` and `"…"` strings with backslash escapes, `` `…` ``
    /// identifiers, `#` line comments, `--` starting a comment only when a space or a
    /// control character follows, block comments that do not nest, and `/*! … */`
    /// (executable comments) and `/*+ … */` (optimizer hints) as content.
    Mysql,
}

impl Flavor {
    /// Whether `/* … */` comments nest.
    fn nested_comments(self) -> bool {
        matches!(self, Flavor::Generic | Flavor::Postgres)
    }

    /// Whether `$tag$ … $tag$` quotes a body.
    fn dollar_quotes(self) -> bool {
        matches!(self, Flavor::Generic | Flavor::Postgres)
    }

    /// Whether `` ` `` quotes an identifier (PostgreSQL has no such quote).
    fn backquotes(self) -> bool {
        self != Flavor::Postgres
    }

    /// Whether `/*! … */` and `/*+ … */` are content rather than comments.
    fn executable_comments(self) -> bool {
        matches!(self, Flavor::Generic | Flavor::Mysql)
    }

    /// Whether a backslash escapes the next character inside `quote`; `e_string` tells
    /// whether the quote follows PostgreSQL's `E` prefix.
    fn backslash_escapes(self, quote: u8, e_string: bool) -> bool {
        match (self, quote) {
            (Flavor::Generic, b'\'' | b'`') | (Flavor::Mysql, b'\'' | b'"') => true,
            (Flavor::Postgres, b'\'') => e_string,
            _ => false,
        }
    }
}

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenKind {
    /// A run of ASCII whitespace.
    Whitespace,
    /// `-- …` (or MySQL's `# …`) up to, not including, the end of the line.
    LineComment,
    /// `/* … */`, nested where the flavor nests comments.
    BlockComment,
    /// MySQL's `/*! … */` executable comment or `/*+ … */` optimizer hint: the server runs
    /// what it holds, so it is content, not a comment.
    ExecutableComment,
    /// A `'…'` string literal; `''` stands for one quote.
    SingleQuoted,
    /// A `"…"` identifier (a string literal in MySQL); `""` stands for one quote.
    DoubleQuoted,
    /// A `` `…` `` identifier; ``` `` ``` stands for one backquote.
    Backquoted,
    /// A PostgreSQL dollar-quoted body, `$$ … $$` or `$tag$ … $tag$`, delimiters included.
    DollarQuoted,
    /// A `;`, which ends a statement.
    Semicolon,
    /// A `?` parameter placeholder (also PostgreSQL's jsonb operator character).
    Placeholder,
    /// Anything else: keywords, names, numbers, operators, punctuation.
    Code,
}

/// A piece of SQL text: its kind and where it sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token<'a> {
    /// What the piece is.
    pub kind: TokenKind,
    /// Its byte offset in the text.
    pub start: usize,
    /// The piece itself, delimiters included.
    pub text: &'a str,
    /// False for a quote, comment or dollar-quoted body the text ends inside of.
    pub terminated: bool,
}

impl Token<'_> {
    /// The byte offset just past the token.
    pub fn end(&self) -> usize {
        self.start + self.text.len()
    }

    /// The bytes of the text the token covers.
    pub fn span(&self) -> Range<usize> {
        self.start..self.end()
    }

    /// True for whitespace and comments: what can be removed without changing the
    /// statement. Executable comments are content, so they are not trivia.
    pub fn is_trivia(&self) -> bool {
        matches!(
            self.kind,
            TokenKind::Whitespace | TokenKind::LineComment | TokenKind::BlockComment
        )
    }
}

/// The tokens of `sql` read by `flavor`'s rules.
///
/// ```
/// use myrmex_plugin::sql::{tokens, Flavor, TokenKind};
///
/// let kinds: Vec<_> = tokens("SELECT 'a;b'; -- done", Flavor::Postgres).map(|t| t.kind).collect();
/// assert_eq!(kinds, [
///     TokenKind::Code, TokenKind::Whitespace, TokenKind::SingleQuoted, TokenKind::Semicolon,
///     TokenKind::Whitespace, TokenKind::LineComment,
/// ]);
/// let last = tokens("SELECT $$ body", Flavor::Postgres).last();
/// assert!(last.is_some_and(|t| t.kind == TokenKind::DollarQuoted && !t.terminated));
/// ```
pub fn tokens(sql: &str, flavor: Flavor) -> Lexer<'_> {
    Lexer::new(sql, flavor)
}

/// An iterator over the [`Token`]s of a text; see [`tokens`].
#[derive(Debug, Clone)]
pub struct Lexer<'a> {
    sql: &'a str,
    flavor: Flavor,
    /// Where the next token starts.
    pos: usize,
    /// Where the text ends for the flavor (SQLite stops at a NUL).
    end: usize,
}

impl<'a> Lexer<'a> {
    /// A lexer at the start of `sql`.
    pub fn new(sql: &'a str, flavor: Flavor) -> Self {
        let end = match flavor {
            Flavor::Sqlite => sql.find('\0').unwrap_or(sql.len()),
            _ => sql.len(),
        };
        Lexer {
            sql,
            flavor,
            pos: 0,
            end,
        }
    }

    /// The rules the lexer reads by.
    pub fn flavor(&self) -> Flavor {
        self.flavor
    }

    /// The bytes the flavor reads.
    fn bytes(&self) -> &'a [u8] {
        &self.sql.as_bytes()[..self.end]
    }

    /// The token starting at `start`: its kind, end and whether it is terminated.
    fn token_at(&self, start: usize) -> (TokenKind, usize, bool) {
        let b = self.bytes();
        if b[start].is_ascii_whitespace() {
            let end = b[start..]
                .iter()
                .position(|c| !c.is_ascii_whitespace())
                .map_or(b.len(), |p| start + p);
            return (TokenKind::Whitespace, end, true);
        }
        let Some(opener) = self.opener(start, start) else {
            let mut end = start + 1;
            while end < b.len()
                && !b[end].is_ascii_whitespace()
                && self.opener(end, start).is_none()
            {
                end += 1;
            }
            return (TokenKind::Code, end, true);
        };
        match opener {
            Opener::LineComment => {
                let end = b[start..]
                    .iter()
                    .position(|&c| c == b'\n')
                    .map_or(b.len(), |p| start + p);
                (TokenKind::LineComment, end, true)
            }
            Opener::BlockComment(kind) => {
                let (end, terminated) = self.block_comment_end(start);
                (kind, end, terminated)
            }
            Opener::Quote(kind, quote) => {
                let e_string = start > 0
                    && matches!(b[start - 1], b'E' | b'e')
                    && (start < 2 || !is_ident(b[start - 2]));
                let escapes = self.flavor.backslash_escapes(quote, e_string);
                let (end, terminated) = quote_end(b, start, quote, escapes);
                (kind, end, terminated)
            }
            Opener::Dollar(tag_end) => {
                let tag = &self.sql[start..tag_end];
                match self.sql[tag_end..self.end].find(tag) {
                    Some(p) => (TokenKind::DollarQuoted, tag_end + p + tag.len(), true),
                    None => (TokenKind::DollarQuoted, b.len(), false),
                }
            }
            Opener::Semicolon => (TokenKind::Semicolon, start + 1, true),
            Opener::Placeholder => (TokenKind::Placeholder, start + 1, true),
        }
    }

    /// What starts at `i`, if a token other than whitespace or code does; `token_start` is
    /// where the token holding `i` began (a `$` right after a name belongs to the name).
    fn opener(&self, i: usize, token_start: usize) -> Option<Opener> {
        let b = self.bytes();
        let next = b.get(i + 1).copied();
        match b[i] {
            b';' => Some(Opener::Semicolon),
            b'?' => Some(Opener::Placeholder),
            b'\'' => Some(Opener::Quote(TokenKind::SingleQuoted, b'\'')),
            b'"' => Some(Opener::Quote(TokenKind::DoubleQuoted, b'"')),
            b'`' if self.flavor.backquotes() => Some(Opener::Quote(TokenKind::Backquoted, b'`')),
            b'#' if self.flavor == Flavor::Mysql => Some(Opener::LineComment),
            b'-' if next == Some(b'-') => {
                let strict = self.flavor == Flavor::Mysql;
                let comment = !strict
                    || b.get(i + 2)
                        .is_none_or(|c| c.is_ascii_whitespace() || c.is_ascii_control());
                comment.then_some(Opener::LineComment)
            }
            b'/' if next == Some(b'*') => {
                let executable =
                    self.flavor.executable_comments() && matches!(b.get(i + 2), Some(b'!' | b'+'));
                Some(Opener::BlockComment(if executable {
                    TokenKind::ExecutableComment
                } else {
                    TokenKind::BlockComment
                }))
            }
            b'$' if self.flavor.dollar_quotes() && (i == token_start || !is_ident(b[i - 1])) => {
                dollar_tag_end(b, i).map(Opener::Dollar)
            }
            _ => None,
        }
    }

    /// The end of the block comment starting at `start`, and whether it is closed.
    fn block_comment_end(&self, start: usize) -> (usize, bool) {
        let b = self.bytes();
        let nested = self.flavor.nested_comments();
        let mut depth = 1;
        let mut i = start + 2;
        while i < b.len() {
            if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return (i, true);
                }
            } else if nested && b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                depth += 1;
                i += 2;
            } else {
                i += 1;
            }
        }
        (b.len(), false)
    }
}

impl<'a> Iterator for Lexer<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        if self.pos >= self.end {
            return None;
        }
        let start = self.pos;
        let (kind, end, terminated) = self.token_at(start);
        self.pos = end;
        Some(Token {
            kind,
            start,
            text: &self.sql[start..end],
            terminated,
        })
    }
}

impl std::iter::FusedIterator for Lexer<'_> {}

/// The construct a byte opens.
#[derive(Debug, Clone, Copy)]
enum Opener {
    LineComment,
    /// `/*`, as a comment or an executable comment.
    BlockComment(TokenKind),
    /// A quote character and the kind of token it opens.
    Quote(TokenKind, u8),
    /// A dollar quote whose opening tag ends (exclusive) at the offset held.
    Dollar(usize),
    Semicolon,
    Placeholder,
}

/// True for a byte that can continue a name: letters, digits, `_`, `$` and any byte of a
/// non-ASCII character.
fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80
}

/// Where the opening `$tag$` at `start` ends (exclusive), if `start` opens one: the tag is
/// empty or a name that does not start with a digit (`$1` is a parameter).
fn dollar_tag_end(b: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    if b.get(i)
        .is_some_and(|&c| c.is_ascii_alphabetic() || c == b'_' || c >= 0x80)
    {
        i += 1;
        while b
            .get(i)
            .is_some_and(|&c| c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80)
        {
            i += 1;
        }
    }
    (b.get(i) == Some(&b'$')).then_some(i + 1)
}

/// The end of the quoted text opening with `quote` at `start`, and whether it is closed. A
/// doubled quote stands for one; with `escapes`, a backslash escapes the next byte.
fn quote_end(b: &[u8], start: usize, quote: u8, escapes: bool) -> (usize, bool) {
    let mut i = start + 1;
    while i < b.len() {
        if b[i] == quote {
            if b.get(i + 1) == Some(&quote) {
                i += 2;
                continue;
            }
            return (i + 1, true);
        }
        i += if escapes && b[i] == b'\\' { 2 } else { 1 };
    }
    (b.len(), false)
}

#[cfg(test)]
mod tests {
    use super::{tokens, Flavor, TokenKind::*};
    use super::{Flavor::*, TokenKind};

    const ALL: [Flavor; 4] = [Generic, Sqlite, Postgres, Mysql];

    /// `(kind, text, terminated)` of each token.
    fn lex(sql: &str, flavor: Flavor) -> Vec<(TokenKind, &str, bool)> {
        tokens(sql, flavor)
            .map(|t| (t.kind, t.text, t.terminated))
            .collect()
    }

    fn kinds(sql: &str, flavor: Flavor) -> Vec<TokenKind> {
        tokens(sql, flavor).map(|t| t.kind).collect()
    }

    #[test]
    fn each_kind_of_token() {
        let sql = "SELECT a, 'x;y' \"q\" `b` $$ $ $$ ? ; /* c */ -- d\n";
        for flavor in ALL {
            let toks = lex(sql, flavor);
            assert_eq!(toks[0], (Code, "SELECT", true), "{flavor:?}");
            assert_eq!(toks[1], (Whitespace, " ", true));
            assert_eq!(toks[2], (Code, "a,", true));
            assert_eq!(toks[4], (SingleQuoted, "'x;y'", true));
            assert_eq!(toks[6], (DoubleQuoted, "\"q\"", true));
            assert!(toks.contains(&(Placeholder, "?", true)));
            assert!(toks.contains(&(Semicolon, ";", true)));
            assert!(toks.contains(&(BlockComment, "/* c */", true)));
            assert!(toks.contains(&(LineComment, "-- d", true)));
            assert_eq!(toks.last(), Some(&(Whitespace, "\n", true)));
        }
        assert!(lex(sql, Mysql).contains(&(Backquoted, "`b`", true)));
        assert!(lex(sql, Sqlite).contains(&(Backquoted, "`b`", true)));
        assert!(lex(sql, Postgres).contains(&(Code, "`b`", true)));
        assert!(lex(sql, Postgres).contains(&(DollarQuoted, "$$ $ $$", true)));
        assert!(lex(sql, Generic).contains(&(DollarQuoted, "$$ $ $$", true)));
        assert!(lex(sql, Mysql).contains(&(Code, "$$", true)));
        assert!(lex(sql, Sqlite).contains(&(Code, "$$", true)));
    }

    #[test]
    fn spans_point_into_the_text() {
        let sql = "a 'é' ?";
        let toks: Vec<_> = tokens(sql, Postgres).collect();
        assert_eq!(toks[2].span(), 2..6);
        assert_eq!(&sql[toks[2].span()], "'é'");
        assert_eq!(toks[4].start, 7);
        assert_eq!(toks[4].end(), 8);
    }

    #[test]
    fn doubled_quotes_stay_inside() {
        for flavor in ALL {
            assert_eq!(lex("'it''s'", flavor), [(SingleQuoted, "'it''s'", true)]);
            assert_eq!(
                lex("\"a\"\"b\"", flavor),
                [(DoubleQuoted, "\"a\"\"b\"", true)]
            );
        }
        assert_eq!(lex("`a``b`", Mysql), [(Backquoted, "`a``b`", true)]);
    }

    #[test]
    fn mysql_backslash_escapes() {
        assert_eq!(lex(r"'a\'b'", Mysql), [(SingleQuoted, r"'a\'b'", true)]);
        assert_eq!(lex(r#""a\"b""#, Mysql), [(DoubleQuoted, r#""a\"b""#, true)]);
        assert_eq!(lex(r"'a\\'", Mysql), [(SingleQuoted, r"'a\\'", true)]);
        // Identifiers take no escapes.
        assert_eq!(kinds(r"`a\`;", Mysql), [Backquoted, Semicolon]);
        // Other engines read the backslash as a character.
        assert_eq!(kinds(r"'a\';", Postgres), [SingleQuoted, Semicolon]);
        assert_eq!(kinds(r"'a\';", Sqlite), [SingleQuoted, Semicolon]);
        assert_eq!(kinds(r#""a\";"#, Generic), [DoubleQuoted, Semicolon]);
        assert_eq!(lex(r"'a\';", Generic), [(SingleQuoted, r"'a\';", false)]);
        // A backslash as the last byte leaves the string open.
        assert_eq!(lex("'a\\", Mysql), [(SingleQuoted, "'a\\", false)]);
    }

    #[test]
    fn postgres_escape_strings() {
        assert_eq!(
            lex(r"SELECT E'a\'b';", Postgres)[2..],
            [
                (Code, "E", true),
                (SingleQuoted, r"'a\'b'", true),
                (Semicolon, ";", true)
            ]
        );
        assert_eq!(lex(r"x e'\'' ", Postgres)[3], (SingleQuoted, r"'\''", true));
        // `E` ending a longer name is no prefix.
        assert_eq!(lex(r"xe'\';", Postgres)[1], (SingleQuoted, r"'\'", true));
    }

    #[test]
    fn line_comments() {
        assert_eq!(
            lex("-- a\nb", Postgres),
            [
                (LineComment, "-- a", true),
                (Whitespace, "\n", true),
                (Code, "b", true)
            ]
        );
        assert_eq!(kinds("a--b", Postgres), [Code, LineComment]);
        assert_eq!(kinds("# a", Mysql), [LineComment]);
        assert_eq!(kinds("# a", Postgres), [Code, Whitespace, Code]);
        assert_eq!(kinds("a#b", Mysql), [Code, LineComment]);
        // MySQL wants a space or a control character after `--`.
        assert_eq!(kinds("--1", Mysql), [Code]);
        assert_eq!(kinds("-- 1", Mysql), [LineComment]);
        assert_eq!(kinds("--\t1", Mysql), [LineComment]);
        assert_eq!(kinds("--", Mysql), [LineComment]);
        assert_eq!(kinds("--1", Sqlite), [LineComment]);
    }

    #[test]
    fn nested_block_comments() {
        let sql = "/* a /* b */ c */ d";
        for flavor in [Generic, Postgres] {
            assert_eq!(
                lex(sql, flavor)[0],
                (BlockComment, "/* a /* b */ c */", true)
            );
        }
        for flavor in [Sqlite, Mysql] {
            assert_eq!(lex(sql, flavor)[0], (BlockComment, "/* a /* b */", true));
        }
        assert_eq!(lex("/*/ x", Postgres), [(BlockComment, "/*/ x", false)]);
        assert_eq!(lex("/**/x", Postgres)[0], (BlockComment, "/**/", true));
    }

    #[test]
    fn executable_comments_are_content_to_mysql() {
        assert_eq!(
            lex("/*!40101 SET x=1 */;", Mysql),
            [
                (ExecutableComment, "/*!40101 SET x=1 */", true),
                (Semicolon, ";", true)
            ]
        );
        assert_eq!(kinds("/*+ INDEX(t) */", Mysql), [ExecutableComment]);
        assert_eq!(kinds("/*+ INDEX(t) */", Generic), [ExecutableComment]);
        assert_eq!(kinds("/*+ INDEX(t) */", Postgres), [BlockComment]);
        assert_eq!(kinds("/*! x */", Sqlite), [BlockComment]);
    }

    #[test]
    fn dollar_tags() {
        let sql = "DO $body$ BEGIN PERFORM 'x$$'; END $body$;";
        assert_eq!(
            lex(sql, Postgres)[2],
            (DollarQuoted, "$body$ BEGIN PERFORM 'x$$'; END $body$", true)
        );
        // A different tag does not close the body.
        assert_eq!(
            lex("$a$ $b$ $a$", Postgres),
            [(DollarQuoted, "$a$ $b$ $a$", true)]
        );
        assert_eq!(
            lex("$_x1$y$_x1$", Postgres),
            [(DollarQuoted, "$_x1$y$_x1$", true)]
        );
        assert_eq!(
            lex("$é$ ; $é$", Postgres),
            [(DollarQuoted, "$é$ ; $é$", true)]
        );
        // `$1` is a parameter, `a$b$` a name, and neither opens a body.
        assert_eq!(kinds("$1$ ;", Postgres), [Code, Whitespace, Semicolon]);
        assert_eq!(kinds("a$b$ ;", Postgres), [Code, Whitespace, Semicolon]);
        assert_eq!(kinds("a$$ ;", Postgres), [Code, Whitespace, Semicolon]);
        // One body may follow another directly.
        assert_eq!(
            kinds("$a$x$a$$b$y$b$", Postgres),
            [DollarQuoted, DollarQuoted]
        );
        // After punctuation a tag opens.
        assert_eq!(kinds("($$;$$)", Postgres), [Code, DollarQuoted, Code]);
    }

    #[test]
    fn unterminated_constructs_run_to_the_end() {
        for (sql, kind) in [
            ("SELECT 'ab", SingleQuoted),
            ("SELECT \"ab", DoubleQuoted),
            ("SELECT /* a /* b */", BlockComment),
            ("DO $f$ BEGIN; $g$", DollarQuoted),
        ] {
            let last = tokens(sql, Postgres).last();
            assert!(
                last.is_some_and(|t| t.kind == kind && !t.terminated && t.end() == sql.len()),
                "{sql:?}"
            );
        }
        let last = tokens("SELECT `a", Mysql).last();
        assert!(last.is_some_and(|t| t.kind == Backquoted && !t.terminated));
        let last = tokens("/*! SET x", Mysql).last();
        assert!(last.is_some_and(|t| t.kind == ExecutableComment && !t.terminated));
        assert!(tokens("SELECT 1 -- c", Postgres).all(|t| t.terminated));
    }

    #[test]
    fn sqlite_text_ends_at_nul() {
        assert_eq!(kinds(" \0SELECT 1", Sqlite), [Whitespace]);
        assert_eq!(kinds("x\0", Sqlite), [Code]);
        assert_eq!(kinds("\0", Postgres), [Code]);
        assert_eq!(lex("'a\0'", Sqlite), [(SingleQuoted, "'a", false)]);
    }

    #[test]
    fn code_runs_stop_at_the_next_token() {
        assert_eq!(
            lex("f(a)=?;x/*c*/y'z'", Postgres),
            [
                (Code, "f(a)=", true),
                (Placeholder, "?", true),
                (Semicolon, ";", true),
                (Code, "x", true),
                (BlockComment, "/*c*/", true),
                (Code, "y", true),
                (SingleQuoted, "'z'", true),
            ]
        );
        assert_eq!(kinds("??|", Postgres), [Placeholder, Placeholder, Code]);
        assert_eq!(kinds("a - b / c", Mysql).len(), 9);
    }

    /// A small deterministic generator (xorshift), so the property test needs no crate.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }
    }

    #[test]
    fn tokens_tile_the_text_for_any_input() {
        const PIECES: [&str; 24] = [
            "'", "\"", "`", "\\", "$", "$a$", "$1", "--", "-", "#", "/*", "*/", "/", "*", ";", "?",
            " ", "\n", "\0", "é", "x", "E", "!", "(",
        ];
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for _ in 0..3000 {
            let len = rng.below(16);
            let sql: String = (0..len).map(|_| PIECES[rng.below(PIECES.len())]).collect();
            for flavor in ALL {
                let toks: Vec<_> = tokens(&sql, flavor).collect();
                let end = match flavor {
                    Sqlite => sql.find('\0').unwrap_or(sql.len()),
                    _ => sql.len(),
                };
                let mut at = 0;
                for (n, t) in toks.iter().enumerate() {
                    assert_eq!(t.start, at, "{sql:?} {flavor:?}");
                    assert!(!t.text.is_empty(), "{sql:?} {flavor:?}");
                    assert_eq!(&sql[t.span()], t.text);
                    assert!(t.terminated || n + 1 == toks.len(), "{sql:?} {flavor:?}");
                    at = t.end();
                }
                assert_eq!(at, end, "{sql:?} {flavor:?}");
            }
        }
    }
}
