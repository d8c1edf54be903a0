//! The placeholder rule: scripts write `?` on every engine; PostgreSQL wants `$1…$n`.
//!
//! * A statement run without parameters is sent unchanged (so jsonb's `?`, `?|`, `?&` work).
//! * A statement that already uses `$1`-style placeholders is sent unchanged.
//! * Otherwise each `?` outside string literals, quoted identifiers, comments and
//!   dollar-quoted bodies becomes `$1`, `$2`, …; `??` stands for a literal `?` (jsonb's
//!   operators `?`, `?|`, `?&` are written `??`, `??|`, `??&`, as in JDBC).

/// Rewrites `sql` for `param_count` parameters; returns the SQL to send.
///
/// ```
/// use myrmex_postgres::placeholders::rewrite;
/// assert_eq!(rewrite("SELECT * FROM t WHERE a = ? AND b = '?'", 1), "SELECT * FROM t WHERE a = $1 AND b = '?'");
/// assert_eq!(rewrite("SELECT doc ?? 'k' FROM t WHERE id = ?", 1), "SELECT doc ? 'k' FROM t WHERE id = $1");
/// assert_eq!(rewrite("SELECT doc ? 'k' FROM t", 0), "SELECT doc ? 'k' FROM t");
/// assert_eq!(rewrite("SELECT $1::int", 1), "SELECT $1::int");
/// ```
pub fn rewrite(sql: &str, param_count: usize) -> String {
    if param_count == 0 || uses_dollar_params(sql) {
        return sql.to_string();
    }
    let b = sql.as_bytes();
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = 0;
    let mut i = 0;
    let mut copied = 0;
    while i < b.len() {
        match b[i] {
            b'\'' | b'"' => i = skip_quoted(b, i),
            b'-' if b.get(i + 1) == Some(&b'-') => i = skip_line_comment(b, i),
            b'/' if b.get(i + 1) == Some(&b'*') => i = skip_block_comment(b, i),
            b'$' => i = skip_dollar(sql, i),
            b'?' => {
                out.push_str(&sql[copied..i]);
                if b.get(i + 1) == Some(&b'?') {
                    out.push('?');
                    i += 2;
                } else {
                    n += 1;
                    out.push('$');
                    out.push_str(&n.to_string());
                    i += 1;
                }
                copied = i;
            }
            _ => i += 1,
        }
    }
    out.push_str(&sql[copied..]);
    out
}

/// True when `sql` has a `$<digit>` outside quotes and comments.
fn uses_dollar_params(sql: &str) -> bool {
    let b = sql.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\'' | b'"' => i = skip_quoted(b, i),
            b'-' if b.get(i + 1) == Some(&b'-') => i = skip_line_comment(b, i),
            b'/' if b.get(i + 1) == Some(&b'*') => i = skip_block_comment(b, i),
            b'$' if b.get(i + 1).is_some_and(u8::is_ascii_digit) => return true,
            b'$' => i = skip_dollar(sql, i),
            _ => i += 1,
        }
    }
    false
}

fn skip_quoted(b: &[u8], start: usize) -> usize {
    let q = b[start];
    let mut i = start + 1;
    while i < b.len() {
        if b[i] == q {
            if b.get(i + 1) == Some(&q) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    b.len()
}

fn skip_line_comment(b: &[u8], start: usize) -> usize {
    b[start..]
        .iter()
        .position(|c| *c == b'\n')
        .map_or(b.len(), |p| start + p + 1)
}

fn skip_block_comment(b: &[u8], start: usize) -> usize {
    let mut depth = 0;
    let mut i = start;
    while i < b.len() {
        if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
            depth += 1;
            i += 2;
        } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else {
            i += 1;
        }
    }
    b.len()
}

/// Skips a `$tag$ … $tag$` body starting at `start`, or just the `$` when it opens none.
fn skip_dollar(sql: &str, start: usize) -> usize {
    let b = sql.as_bytes();
    if start > 0 && (b[start - 1].is_ascii_alphanumeric() || b[start - 1] == b'_') {
        return start + 1; // part of an identifier such as a$b
    }
    let tag_end = b[start + 1..]
        .iter()
        .position(|c| !(c.is_ascii_alphanumeric() || *c == b'_'));
    match tag_end.map(|p| start + 1 + p) {
        Some(e) if b[e] == b'$' && !b.get(start + 1).is_some_and(u8::is_ascii_digit) => {
            let tag = &sql[start..=e];
            sql[e + 1..]
                .find(tag)
                .map_or(b.len(), |p| e + 1 + p + tag.len())
        }
        _ => start + 1,
    }
}

#[cfg(test)]
mod tests {
    use super::rewrite;

    #[test]
    fn leaves_strings_comments_identifiers_and_dollar_bodies_alone() {
        let sql = "SELECT '?', \"a?\", $f$ ? $f$ /* ? */ , ? -- ?\n, E'it''s ?', ?";
        assert_eq!(
            rewrite(sql, 2),
            "SELECT '?', \"a?\", $f$ ? $f$ /* ? */ , $1 -- ?\n, E'it''s ?', $2"
        );
    }

    #[test]
    fn jsonb_operators_are_escaped_with_double_question_marks() {
        assert_eq!(
            rewrite("SELECT j ??| array['a'] AND j ??& ? FROM t", 1),
            "SELECT j ?| array['a'] AND j ?& $1 FROM t"
        );
    }

    #[test]
    fn native_placeholders_and_no_params_are_untouched() {
        assert_eq!(rewrite("SELECT $2, $1, '?'", 2), "SELECT $2, $1, '?'");
        assert_eq!(rewrite("SELECT j ? 'a'", 0), "SELECT j ? 'a'");
    }
}
