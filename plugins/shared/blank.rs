//! Whether a statement holds nothing to run.
//!
//! Shared by the driver plugins (each includes this file as a module) so that an empty or
//! comment-only statement gives the same answer on every engine: no rows, no columns,
//! nothing affected.

/// True when `sql` holds only whitespace, `;`, `-- …` line comments and `/* … */` block
/// comments. With `mysql`, `#` also starts a line comment, `--` must be followed by a space
/// or a control character (as the MySQL server reads it), and `/*!` and `/*+` blocks count as
/// content (they are executable comments and optimizer hints there). An unterminated block
/// comment counts as content, so the server reports it.
pub fn is_blank(sql: &str, mysql: bool) -> bool {
    let b = sql.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() || c == b';' {
            i += 1;
        } else if c == b'-'
            && b.get(i + 1) == Some(&b'-')
            && (!mysql
                || b.get(i + 2)
                    .is_none_or(|n| n.is_ascii_whitespace() || n.is_ascii_control()))
        {
            i = line_end(b, i);
        } else if c == b'#' && mysql {
            i = line_end(b, i);
        } else if c == b'/' && b.get(i + 1) == Some(&b'*') {
            if mysql && matches!(b.get(i + 2), Some(b'!' | b'+')) {
                return false;
            }
            match sql[i + 2..].find("*/") {
                Some(end) => i += 2 + end + 2,
                None => return false,
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
    use super::is_blank;

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
            assert!(is_blank(sql, false), "{sql:?}");
            assert!(is_blank(sql, true), "{sql:?}");
        }
        assert!(is_blank("# note", true));
        assert!(!is_blank("# note", false));
    }

    #[test]
    fn content_is_not_blank() {
        for sql in ["SELECT 1", "/* x", "-- a\nSELECT 1", "/* a */ x", "\0"] {
            assert!(!is_blank(sql, false), "{sql:?}");
            assert!(!is_blank(sql, true), "{sql:?}");
        }
        assert!(!is_blank("/*!40101 SET x=1 */", true));
        assert!(!is_blank("--1", true));
        assert!(is_blank("--1", false));
    }
}
