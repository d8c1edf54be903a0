//! Whether a statement holds nothing to run.
//!
//! The driver plugins ask this before they send a statement, so that an empty or
//! comment-only statement gives the same answer on every engine: no rows, no columns,
//! nothing affected.

use crate::sql::{tokens, TokenKind};

/// Whose rules read the comments: the lexer's [`Flavor`](crate::sql::Flavor). SQLite lets
/// an unterminated `/* …` run to the end of the text and ends the text at a NUL; PostgreSQL
/// and MySQL leave an unterminated `/* …` for the server to report; MySQL also reads `#`
/// comments, wants a space or a control character after `--`, and runs what `/*! … */` and
/// `/*+ … */` hold (executable comments and optimizer hints).
pub use crate::sql::Flavor as Dialect;

/// True when `sql` holds only whitespace, `;`, line comments and block comments, as
/// `dialect` reads them.
///
/// ```
/// use myrmex_plugin::blank::{is_blank, Dialect};
/// assert!(is_blank(" ; -- nothing\n/* here */", Dialect::Postgres));
/// assert!(!is_blank("/*!40101 SET NAMES utf8 */", Dialect::Mysql));
/// ```
pub fn is_blank(sql: &str, dialect: Dialect) -> bool {
    // Nearly every statement starts with a keyword: no comment or `;` can follow from there,
    // so the lexer runs only for text that starts otherwise.
    if sql
        .trim_start_matches([' ', '\t', '\n', '\r'])
        .starts_with(|c: char| c.is_ascii_alphabetic() || c == '(')
    {
        return false;
    }
    tokens(sql, dialect).all(|t| match t.kind {
        TokenKind::Whitespace | TokenKind::Semicolon | TokenKind::LineComment => true,
        TokenKind::BlockComment => t.terminated || dialect == Dialect::Sqlite,
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::{is_blank, Dialect::*};

    #[test]
    fn blank_shapes() {
        for sql in [
            "",
            " ",
            ";",
            "-- todo",
            "/* x */",
            "-- a\n;",
            " ;\n/* a */ -- b\n ; ",
        ] {
            for d in [Sqlite, Postgres, Mysql] {
                assert!(is_blank(sql, d), "{sql:?} {d:?}");
            }
        }
        assert!(is_blank("# note", Mysql));
        assert!(!is_blank("# note", Postgres));
        assert!(is_blank("/* x", Sqlite));
        assert!(is_blank(" \0SELECT 1", Sqlite));
    }

    #[test]
    fn content_is_not_blank() {
        for sql in ["SELECT 1", "-- a\nSELECT 1", "/* a */ x", "x\0"] {
            for d in [Sqlite, Postgres, Mysql] {
                assert!(!is_blank(sql, d), "{sql:?} {d:?}");
            }
        }
        assert!(!is_blank("/* x", Postgres));
        assert!(!is_blank("\0", Postgres));
        assert!(!is_blank("/*!40101 SET x=1 */", Mysql));
        assert!(!is_blank("--1", Mysql));
        assert!(is_blank("--1", Postgres));
        assert!(!is_blank("/* x", Generic));
        assert!(!is_blank("/* a */ */", Mysql));
        assert!(!is_blank("'-- a'", Sqlite));
    }

    #[test]
    fn postgres_comments_nest() {
        assert!(is_blank("/* a /* b */ c */", Postgres));
        assert!(!is_blank("/* a /* b */", Postgres));
        assert!(!is_blank("/* a /* b */ c */", Sqlite));
    }
}
