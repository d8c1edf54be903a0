//! Whether a statement holds nothing to run.
//!
//! Shared by the driver plugins (each includes this file as a module) so that an empty or
//! comment-only statement gives the same answer on every engine: no rows, no columns,
//! nothing affected.

/// Whose rules read the comments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(dead_code)] // each plugin uses its own
pub enum Dialect {
    /// An unterminated `/* …` runs to the end of the text, and the text ends at a NUL.
    Sqlite,
    /// An unterminated `/* …` is an error the server reports.
    Postgres,
    /// As PostgreSQL, and `#` starts a line comment, `--` must be followed by a space or a
    /// control character, and `/*!` and `/*+` blocks are content (executable comments and
    /// optimizer hints).
    Mysql,
}

/// True when `sql` holds only whitespace, `;`, `-- …` line comments and `/* … */` block
/// comments, as `dialect` reads them.
pub fn is_blank(sql: &str, dialect: Dialect) -> bool {
    let mysql = dialect == Dialect::Mysql;
    let b = sql.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == 0 && dialect == Dialect::Sqlite {
            // SQLite reads statement text up to the first NUL.
            return true;
        }
        let dashes = c == b'-'
            && b.get(i + 1) == Some(&b'-')
            && (!mysql
                || b.get(i + 2)
                    .is_none_or(|n| n.is_ascii_whitespace() || n.is_ascii_control()));
        if c.is_ascii_whitespace() || c == b';' {
            i += 1;
        } else if dashes || (c == b'#' && mysql) {
            i = line_end(b, i);
        } else if c == b'/' && b.get(i + 1) == Some(&b'*') {
            if mysql && matches!(b.get(i + 2), Some(b'!' | b'+')) {
                return false;
            }
            match sql[i + 2..].find("*/") {
                Some(end) => i += 2 + end + 2,
                None => return dialect == Dialect::Sqlite,
            }
        } else {
            return false;
        }
    }
    true
}

fn line_end(b: &[u8], from: usize) -> usize {
    b[from..]
        .iter()
        .position(|&c| c == b'\n')
        .map_or(b.len(), |p| from + p + 1)
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
    }
}
