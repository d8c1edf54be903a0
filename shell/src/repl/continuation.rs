//! What a partly typed statement leaves open, for the continuation prompt (psql's `'#`,
//! `(#`, `$#`, `*#`) and to know when a SQL statement is complete.

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
    scan(text, true)
}

/// What `text` leaves open, read as Rhai: strings, block comments and brackets.
pub fn rhai(text: &str) -> Open {
    scan(text, false)
}

fn scan(text: &str, sql: bool) -> Open {
    let b = text.as_bytes();
    let mut stack: Vec<u8> = Vec::new();
    let mut terminated = true;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b'\'' | b'"' | b'`' => {
                i += 1;
                let mut closed = false;
                while i < b.len() {
                    if b[i] == c {
                        if sql && b.get(i + 1) == Some(&c) {
                            i += 2;
                            continue;
                        }
                        closed = true;
                        break;
                    }
                    if b[i] == b'\\' && (c != b'"' || !sql) {
                        i += 1;
                    }
                    i += 1;
                }
                if !closed {
                    return match c {
                        b'\'' => Open::Quote,
                        b'"' => Open::DoubleQuote,
                        _ => Open::Backtick,
                    };
                }
                terminated = false;
            }
            b'-' if sql && b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if !sql && b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
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
            b'$' if sql => {
                let tag_end = b[i + 1..]
                    .iter()
                    .position(|c| !(c.is_ascii_alphanumeric() || *c == b'_'))
                    .map(|p| i + 1 + p);
                let word_before = i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_');
                match tag_end {
                    Some(e) if b[e] == b'$' && !word_before => {
                        let tag = &text[i..=e];
                        match text[e + 1..].find(tag) {
                            Some(p) => i = e + 1 + p + tag.len(),
                            None => return Open::Dollar,
                        }
                        terminated = false;
                        continue;
                    }
                    _ => terminated = false,
                }
            }
            b'(' | b'[' | b'{' => {
                stack.push(c);
                terminated = false;
            }
            b')' | b']' | b'}' => {
                stack.pop();
                terminated = false;
            }
            b';' if stack.is_empty() => terminated = true,
            c if c.is_ascii_whitespace() => {}
            _ => terminated = false,
        }
        i += 1;
    }
    match stack.last() {
        Some(b'(') => Open::Paren,
        Some(b'[') => Open::Bracket,
        Some(b'{') => Open::Brace,
        _ if sql && !terminated => Open::Statement,
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
    }

    #[test]
    fn rhai_brackets_and_strings() {
        assert_eq!(rhai("let a = [1,"), Open::Bracket);
        assert_eq!(rhai("fn f() {"), Open::Brace);
        assert_eq!(rhai("print(\"a"), Open::DoubleQuote);
        assert_eq!(rhai("let a = 1 // {"), Open::Nothing);
        assert_eq!(rhai("let a = #{ b: 1 };"), Open::Nothing);
    }
}
