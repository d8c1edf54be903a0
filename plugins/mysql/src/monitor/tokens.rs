//! Statement text cut into tokens: names (quoted with backticks or not), numbers,
//! strings, `?` placeholders and punctuation, with where each lies in the text.

/// A token and where it starts and ends in the text.
#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// A name or keyword; `true` when it was quoted with backticks.
    Word(String, bool),
    /// A number.
    Number,
    /// A quoted string, unescaped.
    Str(String),
    /// `?`.
    Placeholder,
    /// An operator or punctuation.
    Punct(&'static str),
}

#[derive(Debug, Clone)]
pub struct Token {
    /// What it is.
    pub tok: Tok,
    /// Its first byte in the text.
    pub start: usize,
    /// The byte after it.
    pub end: usize,
}

const PUNCTS: &[&str] = &[
    "<=>", "...", "<=", ">=", "<>", "!=", "||", "&&", "(", ")", ",", "=", "<", ">", ".", ";", "*",
    "+", "-", "/", "%", "!", "~", "^", "&", "|", "@", ":",
];

/// The statement's tokens, comments left out; `None` when it cannot be read (an open quote
/// or comment, a character no statement holds).
pub fn tokens(sql: &str) -> Option<Vec<Token>> {
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if c == b'#' || (c == b'-' && b.get(i + 1) == Some(&b'-')) {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        if c == b'/' && b.get(i + 1) == Some(&b'*') {
            let close = sql[i + 2..].find("*/")?;
            i += close + 4;
            continue;
        }
        let tok = if c == b'\'' || c == b'"' {
            let mut text = Vec::new();
            i += 1;
            loop {
                let ch = *b.get(i)?;
                if ch == b'\\' {
                    text.push(*b.get(i + 1)?);
                    i += 2;
                } else if ch == c && b.get(i + 1) == Some(&c) {
                    text.push(c);
                    i += 2;
                } else if ch == c {
                    i += 1;
                    break;
                } else {
                    text.push(ch);
                    i += 1;
                }
            }
            Tok::Str(String::from_utf8_lossy(&text).into_owned())
        } else if c == b'`' {
            let mut name = String::new();
            i += 1;
            loop {
                let rest = &sql[i..];
                let at = rest.find('`')?;
                name.push_str(&rest[..at]);
                i += at + 1;
                if b.get(i) == Some(&b'`') {
                    name.push('`');
                    i += 1;
                } else {
                    break;
                }
            }
            Tok::Word(name, true)
        } else if c.is_ascii_digit() {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.') {
                // An exponent's sign belongs to the number.
                if (b[i] == b'e' || b[i] == b'E') && matches!(b.get(i + 1), Some(b'+' | b'-')) {
                    i += 1;
                }
                i += 1;
            }
            Tok::Number
        } else if c.is_ascii_alphabetic() || c == b'_' || c == b'$' || c >= 0x80 {
            while i < b.len()
                && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'$' || b[i] >= 0x80)
            {
                i += 1;
            }
            Tok::Word(sql[start..i].to_string(), false)
        } else if c == b'?' {
            i += 1;
            Tok::Placeholder
        } else {
            let p = PUNCTS.iter().find(|p| sql[i..].starts_with(**p))?;
            i += p.len();
            Tok::Punct(p)
        };
        out.push(Token { tok, start, end: i });
    }
    Some(out)
}

/// True when `t` is the unquoted keyword `kw`.
pub fn is_kw(t: Option<&Token>, kw: &str) -> bool {
    matches!(t, Some(Token { tok: Tok::Word(w, false), .. }) if w.eq_ignore_ascii_case(kw))
}

/// True when `t` is the punctuation `p`.
pub fn is_punct(t: Option<&Token>, p: &str) -> bool {
    matches!(t, Some(Token { tok: Tok::Punct(x), .. }) if *x == p)
}

/// A name (quoted or not).
pub fn word(t: Option<&Token>) -> Option<String> {
    match t {
        Some(Token {
            tok: Tok::Word(w, _),
            ..
        }) => Some(w.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_comments_and_operators() {
        let t = tokens("SELECT `a``b`, 'it''s', \"q\\\"\" /* c */ -- d\n >= 1.5e-3 ? # e").unwrap();
        let kinds: Vec<Tok> = t.into_iter().map(|t| t.tok).collect();
        assert_eq!(
            kinds,
            [
                Tok::Word("SELECT".into(), false),
                Tok::Word("a`b".into(), true),
                Tok::Punct(","),
                Tok::Str("it's".into()),
                Tok::Punct(","),
                Tok::Str("q\"".into()),
                Tok::Punct(">="),
                Tok::Number,
                Tok::Placeholder,
            ]
        );
        assert!(tokens("SELECT 'open").is_none());
        assert!(tokens("SELECT /* open").is_none());
    }
}
