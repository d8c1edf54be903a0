//! Redaction of statements before they are logged, on the shared SQL lexer: quotes,
//! comments, dollar-quoted bodies and `E'…'` strings are read exactly as the lexer reads
//! them, so a keyword inside a comment or a quote inside an identifier changes nothing.
//!
//! Always: the string literal after `PASSWORD` (`ENCRYPTED PASSWORD`, `PASSWORD(…)`,
//! `SET PASSWORD [FOR user] =`), after `IDENTIFIED BY`, `IDENTIFIED WITH … BY/AS`,
//! `IDENTIFIED VIA … USING` and `REPLACE` in such a statement becomes `'***'`, and so does
//! any string literal that carries credentials (`password=…` in a connection string, a URL
//! with a password). With `all_literals`, every other string and numeric literal
//! (dollar-quoted bodies included) becomes `?`; parameters (`?`, `$1`, `:name`, `@name`)
//! and identifiers stay.

use crate::sql::{tokens, Flavor, Token, TokenKind};

/// What replaces a secret.
const SECRET: &str = "'***'";

/// How [`redact_statement_with`] reads and redacts a statement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RedactOptions {
    /// Replace every string and numeric literal with `?`, not only secrets.
    pub all_literals: bool,
    /// The lexer rules for the connection's engine ([`Flavor::Generic`] when unknown).
    pub flavor: Flavor,
    /// The character the engine quotes identifiers with (its dialect's quote); text in
    /// double quotes is a string literal when this is not `"`.
    pub identifier_quote: char,
}

impl Default for RedactOptions {
    fn default() -> Self {
        RedactOptions {
            all_literals: false,
            flavor: Flavor::Generic,
            identifier_quote: '"',
        }
    }
}

/// `sql` with password literals replaced by `'***'` and, with `all_literals`, every other
/// literal by `?`, read by the generic lexer rules (every engine's quotes and comments).
///
/// ```
/// use myrmex_core::audit::log::redact_statement;
/// assert_eq!(
///     redact_statement("ALTER ROLE app PASSWORD 'hunter2'", false),
///     "ALTER ROLE app PASSWORD '***'"
/// );
/// assert_eq!(
///     redact_statement("SELECT * FROM t WHERE a = 'x' AND b > 42", true),
///     "SELECT * FROM t WHERE a = ? AND b > ?"
/// );
/// ```
pub fn redact_statement(sql: &str, all_literals: bool) -> String {
    redact_statement_with(
        sql,
        &RedactOptions {
            all_literals,
            ..RedactOptions::default()
        },
    )
}

/// Like [`redact_statement`], with the lexer rules and identifier quote of the
/// connection's engine. Text the flavor does not read (SQLite's text after a NUL) is left
/// out.
pub fn redact_statement_with(sql: &str, options: &RedactOptions) -> String {
    let toks: Vec<Token<'_>> = tokens(sql, options.flavor).collect();
    let mut r = Redactor {
        options,
        out: String::with_capacity(sql.len()),
        expect: Expect::Nothing,
        identified: false,
    };
    for (i, t) in toks.iter().enumerate() {
        let prev = i.checked_sub(1).and_then(|p| toks.get(p)).map(|t| t.kind);
        let next = toks.get(i + 1).map(|t| t.kind);
        r.token(t, prev, next);
    }
    r.out
}

/// What the redactor waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    Nothing,
    /// The next literal is a secret.
    Secret,
    /// A secret follows the next `=` (`SET PASSWORD FOR user = …`).
    Equals,
}

struct Redactor<'o> {
    options: &'o RedactOptions,
    out: String,
    expect: Expect,
    /// The statement has an `IDENTIFIED` clause, so `BY`, `AS`, `USING` and `REPLACE`
    /// introduce secrets.
    identified: bool,
}

impl Redactor<'_> {
    fn token(&mut self, t: &Token<'_>, prev: Option<TokenKind>, next: Option<TokenKind>) {
        match t.kind {
            TokenKind::Whitespace | TokenKind::LineComment | TokenKind::BlockComment => {
                self.out.push_str(t.text)
            }
            TokenKind::ExecutableComment => self.executable_comment(t),
            TokenKind::Semicolon => {
                self.out.push_str(t.text);
                self.expect = Expect::Nothing;
                self.identified = false;
            }
            TokenKind::SingleQuoted | TokenKind::DollarQuoted => self.literal(t, true, prev),
            TokenKind::DoubleQuoted => {
                let string = self.options.identifier_quote != '"';
                self.literal(t, string, prev)
            }
            TokenKind::Code => self.code(t.text, prev, next),
            // Placeholders, backquoted identifiers and anything a later lexer adds.
            _ => {
                self.out.push_str(t.text);
                self.disarm();
            }
        }
    }

    fn disarm(&mut self) {
        if self.expect == Expect::Secret {
            self.expect = Expect::Nothing;
        }
    }

    /// A quoted token: a secret, a literal (`string`), or an identifier.
    fn literal(&mut self, t: &Token<'_>, string: bool, prev: Option<TokenKind>) {
        if self.expect == Expect::Secret || (string && carries_credentials(t.text)) {
            self.drop_prefix(prev);
            self.out.push_str(SECRET);
            self.disarm();
        } else if string && self.options.all_literals {
            self.drop_prefix(prev);
            self.out.push('?');
        } else {
            self.out.push_str(t.text);
        }
    }

    /// Removes a literal's prefix (`E`, `N`, `B`, `X`, `U&`, a `_charset` introducer) from
    /// the end of the output, so the replacement stands alone.
    fn drop_prefix(&mut self, prev: Option<TokenKind>) {
        if prev != Some(TokenKind::Code) {
            return;
        }
        let out = self.out.as_bytes();
        let amp = out.last() == Some(&b'&');
        let end = out.len() - usize::from(amp);
        let start = out[..end]
            .iter()
            .rposition(|&b| !is_ident(b))
            .map_or(0, |p| p + 1);
        let word = &self.out[start..end];
        let prefix = if amp {
            word.eq_ignore_ascii_case("u")
        } else {
            is_literal_prefix(word)
        };
        if prefix {
            self.out.truncate(start);
        }
    }

    /// Keywords, names, numbers and punctuation between quotes.
    fn code(&mut self, text: &str, prev: Option<TokenKind>, next: Option<TokenKind>) {
        let b = text.as_bytes();
        let quote_follows = matches!(
            next,
            Some(TokenKind::SingleQuoted | TokenKind::DoubleQuoted)
        );
        let mut i = 0;
        while i < b.len() {
            let starts_number = b[i].is_ascii_digit()
                || (b[i] == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit));
            if starts_number {
                let end = number_end(b, i);
                let parameter = match i.checked_sub(1) {
                    Some(p) => matches!(b[p], b':' | b'@') || is_ident(b[p]),
                    None => prev == Some(TokenKind::Placeholder),
                };
                if self.options.all_literals && !parameter {
                    self.out.push('?');
                } else {
                    self.out.push_str(&text[i..end]);
                }
                self.disarm();
                i = end;
            } else if is_ident(b[i]) {
                let end = b[i..]
                    .iter()
                    .position(|&c| !is_ident(c))
                    .map_or(b.len(), |p| i + p);
                let word = &text[i..end];
                let before_quote = quote_follows && end == b.len();
                self.word(word, before_quote, b.get(end) == Some(&b'&'));
                self.out.push_str(word);
                i = end;
            } else {
                self.punctuation(b[i], quote_follows && i + 1 == b.len());
                // Non-ASCII bytes are name bytes, so this is one ASCII character.
                self.out.push(char::from(b[i]));
                i += 1;
            }
        }
    }

    fn word(&mut self, word: &str, before_quote: bool, before_amp: bool) {
        let upper = word.to_ascii_uppercase();
        match upper.as_str() {
            "PASSWORD" => self.expect = Expect::Secret,
            "IDENTIFIED" => {
                self.identified = true;
                self.expect = Expect::Nothing;
            }
            "BY" | "AS" | "USING" | "REPLACE" if self.identified => self.expect = Expect::Secret,
            "FOR" if self.expect == Expect::Secret => self.expect = Expect::Equals,
            _ if before_quote && is_literal_prefix(word) => {}
            "U" if before_amp => {}
            _ => self.disarm(),
        }
    }

    fn punctuation(&mut self, c: u8, before_quote: bool) {
        match c {
            b'=' if self.expect == Expect::Equals => self.expect = Expect::Secret,
            b'=' | b'(' => {}
            b'&' if before_quote => {}
            _ => self.disarm(),
        }
    }

    /// `/*! … */` and `/*+ … */` run as SQL, so what they hold is redacted too; the
    /// version number after `/*!` stays.
    fn executable_comment(&mut self, t: &Token<'_>) {
        let text = t.text;
        let b = text.as_bytes();
        let body_end = if t.terminated && b.len() >= 5 && text.ends_with("*/") {
            b.len() - 2
        } else {
            b.len()
        };
        let mut head_end = 3.min(body_end);
        if b.get(2) == Some(&b'!') {
            while head_end < body_end && b[head_end].is_ascii_digit() {
                head_end += 1;
            }
        }
        self.out.push_str(&text[..head_end]);
        let inner = redact_statement_with(&text[head_end..body_end], self.options);
        self.out.push_str(&inner);
        self.out.push_str(&text[body_end..]);
    }
}

/// The end of the number starting at `i`: digits, letters (hex, exponents, suffixes), `_`
/// and `.`, and a sign right after an exponent's `e`.
fn number_end(b: &[u8], i: usize) -> usize {
    let mut j = i;
    loop {
        while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_' || b[j] == b'.') {
            j += 1;
        }
        let exponent_sign = j > i
            && matches!(b[j - 1], b'e' | b'E')
            && matches!(b.get(j), Some(b'+' | b'-'))
            && b.get(j + 1).is_some_and(u8::is_ascii_digit);
        if !exponent_sign {
            return j;
        }
        j += 1;
    }
}

/// A byte that continues a name, as the lexer counts them.
fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80
}

/// `E`, `N`, `B`, `X` or a `_charset` introducer right before a quote.
fn is_literal_prefix(word: &str) -> bool {
    matches!(word, "E" | "e" | "N" | "n" | "B" | "b" | "X" | "x")
        || (word.len() > 1 && word.starts_with('_'))
}

/// True for a string literal holding a password: a connection string with `password=`
/// (or `pwd=`), or a URL with a password in it.
fn carries_credentials(literal: &str) -> bool {
    let lower = literal.to_ascii_lowercase();
    let keyed = ["password=", "password =", "passwd=", "pwd="]
        .iter()
        .any(|k| lower.contains(k));
    keyed
        || lower.match_indices("://").any(|(at, _)| {
            let rest = &lower[at + 3..];
            let authority = rest
                .split(|c: char| c == '/' || c.is_whitespace() || c == '\'' || c == '"')
                .next()
                .unwrap_or_default();
            authority
                .rfind('@')
                .is_some_and(|a| authority[..a].contains(':'))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets(sql: &str) -> String {
        redact_statement(sql, false)
    }

    #[test]
    fn password_literals_are_always_replaced() {
        for (sql, want) in [
            (
                "ALTER ROLE app WITH ENCRYPTED PASSWORD 'hunter2' VALID UNTIL '2030-01-01'",
                "ALTER ROLE app WITH ENCRYPTED PASSWORD '***' VALID UNTIL '2030-01-01'",
            ),
            (
                "CREATE USER 'bob'@'%' IDENTIFIED BY 'hunter2'",
                "CREATE USER 'bob'@'%' IDENTIFIED BY '***'",
            ),
            (
                "CREATE USER bob IDENTIFIED WITH auth_plugin BY \"hunter2\"",
                "CREATE USER bob IDENTIFIED WITH auth_plugin BY '***'",
            ),
            (
                "ALTER USER bob IDENTIFIED WITH auth_plugin AS '*ABCDEF'",
                "ALTER USER bob IDENTIFIED WITH auth_plugin AS '***'",
            ),
            (
                "ALTER USER bob IDENTIFIED BY 'new' REPLACE 'old'",
                "ALTER USER bob IDENTIFIED BY '***' REPLACE '***'",
            ),
            (
                "SET PASSWORD FOR 'bob'@'localhost' = 'hunter2'",
                "SET PASSWORD FOR 'bob'@'localhost' = '***'",
            ),
            (
                "SET PASSWORD = PASSWORD('hunter2')",
                "SET PASSWORD = PASSWORD('***')",
            ),
            (
                "create role r login password/* why */'hunter2'",
                "create role r login password/* why */'***'",
            ),
            (
                "CREATE USER MAPPING FOR bob SERVER s OPTIONS (user 'bob', password 'hunter2')",
                "CREATE USER MAPPING FOR bob SERVER s OPTIONS (user 'bob', password '***')",
            ),
            (
                "/*!80000 SET PASSWORD = 'hunter2' */",
                "/*!80000 SET PASSWORD = '***' */",
            ),
        ] {
            assert_eq!(secrets(sql), want, "{sql}");
        }
    }

    #[test]
    fn escape_strings_and_dollar_bodies_are_read_as_the_lexer_reads_them() {
        assert_eq!(
            secrets(r"ALTER ROLE a PASSWORD E'hun\'ter2' LOGIN"),
            "ALTER ROLE a PASSWORD '***' LOGIN"
        );
        assert_eq!(
            secrets("ALTER ROLE a PASSWORD $$hun'ter2$$ LOGIN"),
            "ALTER ROLE a PASSWORD '***' LOGIN"
        );
        assert_eq!(
            secrets("ALTER ROLE a PASSWORD $pw$x;y$pw$; SELECT 'kept'"),
            "ALTER ROLE a PASSWORD '***'; SELECT 'kept'"
        );
    }

    #[test]
    fn nothing_else_is_touched_without_all_literals() {
        for sql in [
            "SELECT password FROM users WHERE name = 'bob'",
            "-- PASSWORD 'x'\nSELECT 'a'",
            "SELECT `PASSWORD` , 'x' FROM t",
            "ALTER ROLE a PASSWORD NULL; SELECT 'x'",
            "ALTER USER bob PASSWORD EXPIRE INTERVAL 90 DAY",
            "SELECT \"password\", 'x' FROM t",
        ] {
            assert_eq!(secrets(sql), sql);
        }
    }

    #[test]
    fn literals_carrying_credentials_are_replaced() {
        assert_eq!(
            secrets("SELECT connect_to('host=h user=u password=pw')"),
            "SELECT connect_to('***')"
        );
        assert_eq!(
            secrets("CREATE SUBSCRIPTION s CONNECTION 'db://u:pw@h/x' PUBLICATION p"),
            "CREATE SUBSCRIPTION s CONNECTION '***' PUBLICATION p"
        );
        assert_eq!(secrets("SELECT 'db://u@h/x'"), "SELECT 'db://u@h/x'");
    }

    #[test]
    fn all_literals_replaces_every_string_and_number() {
        let sql = "SELECT * FROM t1 WHERE a = 'x' AND b = 42 AND c IN (1.5, -2e-3, .5, 0x1F) \
                   AND d = E'q\\'r' AND e = $$body; 'x'$$ AND f = $1 AND g = ? AND h = :name \
                   AND i = ?2 AND j = @p AND t1.\"Col 2\" = `a'b` AND k = N'n' \
                   -- 'kept' 7\n AND l = X'FF'";
        assert_eq!(
            redact_statement(sql, true),
            "SELECT * FROM t1 WHERE a = ? AND b = ? AND c IN (?, -?, ?, ?) \
             AND d = ? AND e = ? AND f = $1 AND g = ? AND h = :name \
             AND i = ?2 AND j = @p AND t1.\"Col 2\" = `a'b` AND k = ? \
             -- 'kept' 7\n AND l = ?"
        );
        assert_eq!(
            redact_statement("SELECT U&'d\\0061t', _latin1'x', x'1F', t.e", true),
            "SELECT ?, ?, ?, t.e"
        );
        assert_eq!(
            redact_statement("ALTER ROLE a PASSWORD 'pw' CONNECTION LIMIT 5", true),
            "ALTER ROLE a PASSWORD '***' CONNECTION LIMIT ?"
        );
    }

    #[test]
    fn double_quotes_are_strings_where_identifiers_take_backquotes() {
        let options = RedactOptions {
            all_literals: true,
            identifier_quote: '`',
            ..RedactOptions::default()
        };
        assert_eq!(
            redact_statement_with("SELECT \"x\", `y` FROM t", &options),
            "SELECT ?, `y` FROM t"
        );
    }
}
