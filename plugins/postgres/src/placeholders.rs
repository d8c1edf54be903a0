//! The placeholder rule: scripts write `?` on every engine; PostgreSQL wants `$1…$n`.
//!
//! * A statement run without parameters is sent unchanged (so jsonb's `?`, `?|`, `?&` work).
//! * A statement that already uses `$1`-style placeholders is sent unchanged.
//! * Otherwise each `?` outside string literals, quoted identifiers, comments and
//!   dollar-quoted bodies becomes `$1`, `$2`, …; `??` stands for a literal `?` (jsonb's
//!   operators `?`, `?|`, `?&` are written `??`, `??|`, `??&`, as in JDBC).

use myrmex_plugin::sql::{tokens, Flavor, TokenKind};

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
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = 0;
    let mut copied = 0;
    let mut marks = tokens(sql, Flavor::Postgres)
        .filter(|t| t.kind == TokenKind::Placeholder)
        .peekable();
    while let Some(mark) = marks.next() {
        out.push_str(&sql[copied..mark.start]);
        copied = mark.end();
        if let Some(second) = marks.next_if(|next| next.start == mark.end()) {
            // `??` is a literal `?`.
            out.push('?');
            copied = second.end();
        } else {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        }
    }
    out.push_str(&sql[copied..]);
    out
}

/// True when `sql` has a `$<digit>` outside quotes, comments and dollar-quoted bodies.
fn uses_dollar_params(sql: &str) -> bool {
    tokens(sql, Flavor::Postgres)
        .filter(|t| t.kind == TokenKind::Code)
        .any(|t| {
            t.text
                .as_bytes()
                .windows(2)
                .any(|w| w[0] == b'$' && w[1].is_ascii_digit())
        })
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
    fn escape_strings_and_nested_comments_hide_question_marks() {
        assert_eq!(
            rewrite(r"SELECT E'it\'s ?', /* a /* ? */ ? */ ?", 1),
            r"SELECT E'it\'s ?', /* a /* ? */ ? */ $1"
        );
        assert_eq!(rewrite("SELECT ???", 1), "SELECT ?$1");
    }

    #[test]
    fn native_placeholders_and_no_params_are_untouched() {
        assert_eq!(rewrite("SELECT $2, $1, '?'", 2), "SELECT $2, $1, '?'");
        assert_eq!(rewrite("SELECT j ? 'a'", 0), "SELECT j ? 'a'");
        assert_eq!(rewrite("SELECT '$1', ?", 1), "SELECT '$1', $1");
        assert_eq!(rewrite("SELECT $f$ $1 $f$, ?", 1), "SELECT $f$ $1 $f$, $1");
    }
}
