//! Colours for the line being typed: SQL read by the kit's lexer (keywords from a short list,
//! strings, quoted names, numbers, comments), Rhai by a small scanner of its own, and the
//! name of a backslash command.
//!
//! Styles are `anstyle` values: the crate clap already brings in, maintained with it, and
//! nothing but the escape codes (no terminal detection of its own, which the line editor
//! does: it asks for colours only when standard output is a terminal).

use anstyle::{AnsiColor, Style};
use myrmex_plugin::sql::{tokens, Flavor, TokenKind};
use std::fmt::Write;
use std::ops::Range;

const KEYWORD: Style = AnsiColor::Blue.on_default().bold();
const STRING: Style = AnsiColor::Green.on_default();
const NAME: Style = AnsiColor::Cyan.on_default();
const NUMBER: Style = AnsiColor::Magenta.on_default();
const COMMENT: Style = AnsiColor::BrightBlack.on_default().italic();
const COMMAND: Style = AnsiColor::Yellow.on_default().bold();

/// SQL words coloured as keywords.
const SQL_KEYWORDS: &[&str] = &[
    "ADD",
    "ALL",
    "ALTER",
    "AND",
    "ANY",
    "AS",
    "ASC",
    "BEGIN",
    "BETWEEN",
    "BY",
    "CASCADE",
    "CASE",
    "CAST",
    "CHECK",
    "COLUMN",
    "COMMIT",
    "CONSTRAINT",
    "CREATE",
    "CROSS",
    "DEFAULT",
    "DELETE",
    "DESC",
    "DISTINCT",
    "DROP",
    "ELSE",
    "END",
    "EXCEPT",
    "EXISTS",
    "EXPLAIN",
    "FALSE",
    "FOREIGN",
    "FROM",
    "FULL",
    "GRANT",
    "GROUP",
    "HAVING",
    "IF",
    "ILIKE",
    "IN",
    "INDEX",
    "INNER",
    "INSERT",
    "INTERSECT",
    "INTO",
    "IS",
    "JOIN",
    "KEY",
    "LEFT",
    "LIKE",
    "LIMIT",
    "NOT",
    "NULL",
    "OFFSET",
    "ON",
    "OR",
    "ORDER",
    "OUTER",
    "OVER",
    "PARTITION",
    "PRIMARY",
    "REFERENCES",
    "RETURNING",
    "REVOKE",
    "RIGHT",
    "ROLLBACK",
    "SAVEPOINT",
    "SCHEMA",
    "SELECT",
    "SEQUENCE",
    "SET",
    "TABLE",
    "THEN",
    "TO",
    "TRANSACTION",
    "TRIGGER",
    "TRUE",
    "TRUNCATE",
    "UNION",
    "UNIQUE",
    "UPDATE",
    "USING",
    "VALUES",
    "VIEW",
    "WHEN",
    "WHERE",
    "WITH",
];

/// Rhai words coloured as keywords.
const RHAI_KEYWORDS: &[&str] = &[
    "break", "catch", "const", "continue", "do", "else", "false", "fn", "for", "if", "import",
    "in", "let", "loop", "private", "return", "switch", "this", "throw", "true", "try", "until",
    "while",
];

/// A stretch of text and the style it is shown in.
type Span = (Range<usize>, Style);

/// `line` coloured as SQL; `before` is the text of the statement typed on earlier lines, so
/// a string or comment opened there is still one here.
pub fn sql(before: &str, line: &str) -> String {
    let (text, offset) = joined(before, line);
    let mut spans = Vec::new();
    for t in tokens(&text, Flavor::Generic) {
        let style = match t.kind {
            TokenKind::SingleQuoted | TokenKind::DollarQuoted => STRING,
            TokenKind::DoubleQuoted | TokenKind::Backquoted => NAME,
            TokenKind::LineComment | TokenKind::BlockComment | TokenKind::ExecutableComment => {
                COMMENT
            }
            TokenKind::Code => {
                words(t.text, t.start, &mut spans, |w| {
                    SQL_KEYWORDS
                        .binary_search(&w.to_ascii_uppercase().as_str())
                        .is_ok()
                });
                continue;
            }
            _ => continue,
        };
        spans.push((t.span(), style));
    }
    paint(&text, offset, &spans)
}

/// `line` coloured as Rhai; `before` is the text typed on earlier lines of the statement.
pub fn rhai(before: &str, line: &str) -> String {
    let (text, offset) = joined(before, line);
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    let mut code_start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let end = match bytes[i] {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                Some((text[i..].find('\n').map_or(text.len(), |n| i + n), COMMENT))
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => Some((
                text[i + 2..]
                    .find("*/")
                    .map_or(text.len(), |n| i + 2 + n + 2),
                COMMENT,
            )),
            q @ (b'"' | b'`' | b'\'') => Some((closing(bytes, i, q), STRING)),
            _ => None,
        };
        match end {
            Some((end, style)) => {
                words(&text[code_start..i], code_start, &mut spans, |w| {
                    RHAI_KEYWORDS.binary_search(&w).is_ok()
                });
                spans.push((i..end, style));
                i = end;
                code_start = end;
            }
            None => i += 1,
        }
    }
    words(&text[code_start..], code_start, &mut spans, |w| {
        RHAI_KEYWORDS.binary_search(&w).is_ok()
    });
    paint(&text, offset, &spans)
}

/// `line` with the backslash (or sqlite3 dot) command at its start coloured.
pub fn command(line: &str) -> String {
    let end = line.find(char::is_whitespace).unwrap_or(line.len());
    let mut out = String::with_capacity(line.len() + 16);
    let _ = write!(out, "{COMMAND}{}{COMMAND:#}", &line[..end]);
    out.push_str(&line[end..]);
    out
}

/// The earlier lines and the current one as one text, and where the current one starts.
fn joined(before: &str, line: &str) -> (String, usize) {
    if before.is_empty() {
        (line.to_string(), 0)
    } else {
        (format!("{before}\n{line}"), before.len() + 1)
    }
}

/// The end of the string literal opened by the quote `q` at `start`: past its closing
/// quote (a backslash escapes the next character), or the end of the text.
fn closing(bytes: &[u8], start: usize, q: u8) -> usize {
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b if b == q => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// Adds the keywords and numbers of a piece of code at `base`.
fn words(code: &str, base: usize, spans: &mut Vec<Span>, keyword: impl Fn(&str) -> bool) {
    let bytes = code.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let word = c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80;
        if !word {
            i += 1;
            continue;
        }
        let start = i;
        // A number may hold a decimal point and an exponent (`1.5e-3`).
        if c.is_ascii_digit() {
            i += 1;
            while i < bytes.len()
                && (bytes[i].is_ascii_alphanumeric()
                    || bytes[i] == b'.'
                    || bytes[i] == b'_'
                    || ((bytes[i] == b'-' || bytes[i] == b'+')
                        && matches!(bytes[i - 1], b'e' | b'E')))
            {
                i += 1;
            }
            spans.push((base + start..base + i, NUMBER));
            continue;
        }
        while i < bytes.len()
            && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] >= 0x80)
        {
            i += 1;
        }
        // A name after a `.` (`t.select`, `db.query`) is not a keyword.
        let qualified = start > 0 && bytes[start - 1] == b'.';
        if !qualified && keyword(&code[start..i]) {
            spans.push((base + start..base + i, KEYWORD));
        }
    }
}

/// The part of `text` from `offset` on, with `spans` (in order, not overlapping) coloured.
fn paint(text: &str, offset: usize, spans: &[Span]) -> String {
    let mut out = String::with_capacity(text.len() - offset + spans.len() * 12);
    let mut at = offset;
    for (range, style) in spans {
        let (start, end) = (range.start.max(offset), range.end.min(text.len()));
        if end <= start {
            continue;
        }
        out.push_str(&text[at..start]);
        let _ = write!(out, "{style}{}{style:#}", &text[start..end]);
        at = end;
    }
    out.push_str(&text[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text with each coloured stretch written `<style:text>`, the style as a letter.
    fn marked(coloured: &str) -> String {
        let mut out = coloured.to_string();
        for (style, letter) in [
            (KEYWORD, "K"),
            (STRING, "S"),
            (NAME, "N"),
            (NUMBER, "D"),
            (COMMENT, "C"),
            (COMMAND, "X"),
        ] {
            out = out.replace(&style.render().to_string(), &format!("<{letter}:"));
        }
        out.replace(&anstyle::Reset.render().to_string(), ">")
    }

    #[test]
    fn keyword_lists_are_sorted_for_binary_search() {
        assert!(SQL_KEYWORDS.windows(2).all(|w| w[0] < w[1]));
        assert!(RHAI_KEYWORDS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn sql_is_coloured_by_token() {
        assert_eq!(
            marked(&sql("", "select \"Id\", 'a''b', 1.5e-3 from t -- note")),
            "<K:select> <N:\"Id\">, <S:'a''b'>, <D:1.5e-3> <K:from> t <C:-- note>"
        );
        assert_eq!(
            marked(&sql("", "SELECT t.select, x2 FROM t /* c */;")),
            "<K:SELECT> t.select, x2 <K:FROM> t <C:/* c */>;"
        );
    }

    #[test]
    fn a_string_opened_on_an_earlier_line_goes_on() {
        assert_eq!(marked(&sql("SELECT 'it", "s' FROM t")), "<S:s'> <K:FROM> t");
    }

    #[test]
    fn rhai_is_coloured_by_word_and_literal() {
        assert_eq!(
            marked(&rhai("", r#"let n = db.query("a \" b", [1]); // done"#)),
            r#"<K:let> n = db.query(<S:"a \" b">, [<D:1>]); <C:// done>"#
        );
        assert_eq!(marked(&command("\\dt app*")), "<X:\\dt> app*");
    }

    #[test]
    fn colours_do_not_change_the_text() {
        for line in ["SELECT 'x", "/* open", "let s = \"unclosed", "é SELECT ü 1"] {
            let plain = |s: String| {
                let mut s = s;
                for st in [KEYWORD, STRING, NAME, NUMBER, COMMENT] {
                    s = s.replace(&st.render().to_string(), "");
                }
                s.replace(&anstyle::Reset.render().to_string(), "")
            };
            assert_eq!(plain(sql("", line)), line);
            assert_eq!(plain(rhai("", line)), line);
        }
    }
}
