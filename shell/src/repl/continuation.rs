//! What a partly typed statement leaves open, for the continuation prompt (psql's `'#`,
//! `(#`, `$#`, `*#`) and to know when a SQL statement is complete. SQL is read by the kit's
//! lexer; Rhai by its own small scanner.

use myrmex_plugin::sql::{tokens, Flavor, TokenKind};

/// The construct still open at the end of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Open {
    /// Nothing is open; in SQL the statement ends with `;`.
    Nothing,
    /// Text without its terminating `;` (psql's `-#`).
    Statement,
    /// A `'…'` string.
    Quote,
    /// A `"…"` identifier or string.
    DoubleQuote,
    /// A `` `…` `` identifier or string.
    Backtick,
    /// An unclosed `(`.
    Paren,
    /// An unclosed `[` (Rhai arrays).
    Bracket,
    /// An unclosed `{` (Rhai blocks and maps).
    Brace,
    /// A `$tag$ … $tag$` body.
    Dollar,
    /// A `/* … */` comment.
    Comment,
}

impl Open {
    /// The marker shown in the continuation prompt (`app'# `, `app(# `).
    pub fn marker(self) -> &'static str {
        match self {
            Open::Nothing | Open::Statement => "-",
            Open::Quote => "'",
            Open::DoubleQuote => "\"",
            Open::Backtick => "`",
            Open::Paren => "(",
            Open::Bracket => "[",
            Open::Brace => "{",
            Open::Dollar => "$",
            Open::Comment => "*",
        }
    }
}

/// What `text` leaves open, read as SQL: quotes, dollar quotes, block comments, parentheses,
/// and otherwise whether the last statement lacks its `;`.
pub fn sql(text: &str) -> Open {
    let mut stack: Vec<u8> = Vec::new();
    let mut terminated = true;
    for token in tokens(text, Flavor::Generic) {
        if !token.terminated {
            // Only the last token can be unterminated: it is what the text leaves open.
            match token.kind {
                TokenKind::SingleQuoted => return Open::Quote,
                TokenKind::DoubleQuoted => return Open::DoubleQuote,
                TokenKind::Backquoted => return Open::Backtick,
                TokenKind::DollarQuoted => return Open::Dollar,
                TokenKind::BlockComment | TokenKind::ExecutableComment => return Open::Comment,
                _ => {}
            }
        }
        match token.kind {
            TokenKind::Whitespace | TokenKind::LineComment | TokenKind::BlockComment => {}
            // A `;` inside parentheses ends nothing.
            TokenKind::Semicolon => terminated = stack.is_empty(),
            TokenKind::Code => {
                for c in token.text.bytes() {
                    brackets(&mut stack, c);
                }
                terminated = false;
            }
            _ => terminated = false,
        }
    }
    match innermost(&stack) {
        Open::Nothing if !terminated => Open::Statement,
        open => open,
    }
}

/// What `text` leaves open, read as Rhai: strings, block comments and brackets.
pub fn rhai(text: &str) -> Open {
    let b = text.as_bytes();
    let mut stack: Vec<u8> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            q @ (b'\'' | b'"' | b'`') => {
                // A backslash escapes the next character; the string ends at its quote.
                i += 1;
                while i < b.len() && b[i] != q {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                if i >= b.len() {
                    return match q {
                        b'\'' => Open::Quote,
                        b'"' => Open::DoubleQuote,
                        _ => Open::Backtick,
                    };
                }
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                // Rhai's block comments nest.
                let mut depth = 1;
                i += 2;
                while i < b.len() && depth > 0 {
                    if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                        depth += 1;
                        i += 2;
                    } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                        depth -= 1;
                        i += 2;
                    } else {
                        i += 1;
                    }
                }
                if depth > 0 {
                    return Open::Comment;
                }
                continue;
            }
            c => brackets(&mut stack, c),
        }
        i += 1;
    }
    innermost(&stack)
}

/// Opens or closes a bracket on `stack` when `c` is one.
fn brackets(stack: &mut Vec<u8>, c: u8) {
    match c {
        b'(' | b'[' | b'{' => stack.push(c),
        b')' | b']' | b'}' => {
            stack.pop();
        }
        _ => {}
    }
}

/// The innermost bracket still open on `stack`, or `Nothing`.
fn innermost(stack: &[u8]) -> Open {
    match stack.last() {
        Some(b'(') => Open::Paren,
        Some(b'[') => Open::Bracket,
        Some(b'{') => Open::Brace,
        _ => Open::Nothing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sql_statements_end_at_a_semicolon_outside_quotes_and_comments() {
        assert_eq!(sql("SELECT 1;"), Open::Nothing);
        assert_eq!(sql("SELECT 1; -- done\n"), Open::Nothing);
        assert_eq!(sql("SELECT 1"), Open::Statement);
        assert_eq!(sql("SELECT ';'"), Open::Statement);
        assert_eq!(sql("SELECT 'it''s"), Open::Quote);
        assert_eq!(sql("SELECT \"a"), Open::DoubleQuote);
        assert_eq!(sql("SELECT (1 +\n"), Open::Paren);
        assert_eq!(sql("SELECT (1);"), Open::Nothing);
        assert_eq!(sql("DO $$ BEGIN; "), Open::Dollar);
        assert_eq!(sql("DO $f$ BEGIN; END $f$;"), Open::Nothing);
        assert_eq!(sql("SELECT /* a; "), Open::Comment);
        assert_eq!(sql("SELECT /* a; */ 1;"), Open::Nothing);
        assert_eq!(sql("SELECT $1;"), Open::Nothing);
        assert_eq!(sql("SELECT `a"), Open::Backtick);
        assert_eq!(sql("SELECT /* a /* b */ ;"), Open::Comment);
        assert_eq!(sql("SELECT (1;"), Open::Paren);
        assert_eq!(sql("SELECT a[1"), Open::Bracket);
        assert_eq!(sql("SELECT 1; -- (\n"), Open::Nothing);
        assert_eq!(sql("SELECT '(' ;"), Open::Nothing);
        assert_eq!(sql("  \n"), Open::Nothing);
        assert_eq!(sql("-- just a comment"), Open::Nothing);
    }

    #[test]
    fn rhai_brackets_and_strings() {
        assert_eq!(rhai("let a = [1,"), Open::Bracket);
        assert_eq!(rhai("fn f() {"), Open::Brace);
        assert_eq!(rhai("print(\"a"), Open::DoubleQuote);
        assert_eq!(rhai("let a = 1 // {"), Open::Nothing);
        assert_eq!(rhai("let a = #{ b: 1 };"), Open::Nothing);
        assert_eq!(rhai("let s = \"a\\\"(\";"), Open::Nothing);
        assert_eq!(rhai("let s = `a"), Open::Backtick);
        assert_eq!(rhai("/* a /* b */"), Open::Comment);
        assert_eq!(rhai("f(/* ) */"), Open::Paren);
    }
}
