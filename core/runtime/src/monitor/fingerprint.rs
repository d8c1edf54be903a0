//! Statement fingerprints: the text of a statement with its literals normalised away, so
//! that `WHERE id = 1` and `WHERE id = 2` count as one statement.

use crate::sql::{tokens, Flavor, TokenKind};

/// The fingerprint of `sql`: string and number literals become `?`, a list of them in
/// parentheses becomes `(?…)`, runs of whitespace become one space and comments go.
///
/// ```
/// use myrmex_core::monitor::fingerprint;
/// assert_eq!(
///     fingerprint("SELECT * FROM t  WHERE id = 42 AND name = 'ann' -- why"),
///     "SELECT * FROM t WHERE id = ? AND name = ?"
/// );
/// assert_eq!(fingerprint("SELECT 1 FROM t WHERE id IN (1, 2, 3)"), "SELECT ? FROM t WHERE id IN (?…)");
/// assert_eq!(fingerprint("SELECT c1 FROM t2 WHERE x = $1"), "SELECT c1 FROM t2 WHERE x = $1");
/// ```
pub fn fingerprint(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut space = false;
    for t in tokens(sql, Flavor::Generic) {
        match t.kind {
            TokenKind::Whitespace | TokenKind::LineComment | TokenKind::BlockComment => {
                space = !out.is_empty();
            }
            TokenKind::SingleQuoted | TokenKind::DollarQuoted => {
                push_space(&mut out, &mut space);
                out.push('?');
            }
            TokenKind::Code => {
                push_space(&mut out, &mut space);
                push_code(&mut out, t.text);
            }
            _ => {
                push_space(&mut out, &mut space);
                out.push_str(t.text);
            }
        }
    }
    collapse_lists(&out)
}

fn push_space(out: &mut String, space: &mut bool) {
    if *space {
        out.push(' ');
        *space = false;
    }
}

/// Copies code, replacing number literals (digits not part of a name or a `$n` parameter)
/// with `?`.
fn push_code(out: &mut String, code: &str) {
    let bytes = code.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let prev = if i > 0 { bytes[i - 1] } else { b' ' };
        let part_of_name = prev.is_ascii_alphanumeric() || prev == b'_' || prev == b'$';
        if c.is_ascii_digit() && !part_of_name {
            let mut j = i;
            while j < bytes.len() && (bytes[j].is_ascii_digit() || bytes[j] == b'.') {
                j += 1;
            }
            // A trailing exponent (1e10) belongs to the number.
            if j < bytes.len() && (bytes[j] == b'e' || bytes[j] == b'E') {
                j += 1;
                while j < bytes.len() && (bytes[j].is_ascii_digit() || bytes[j] == b'-') {
                    j += 1;
                }
            }
            out.push('?');
            i = j;
        } else {
            let ch = code[i..].chars().next().unwrap_or(' ');
            out.push(ch);
            i += ch.len_utf8();
        }
    }
}

/// `(?, ?, ?)` becomes `(?…)`, so lists of any length count as one statement.
fn collapse_lists(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(open) = rest.find('(') {
        out.push_str(&rest[..=open]);
        rest = &rest[open + 1..];
        let close = rest.find(')');
        let list = close.map(|c| &rest[..c]);
        match list {
            Some(l) if l.contains('?') && l.split(',').all(|x| x.trim() == "?") => {
                out.push_str("?…)");
                rest = &rest[l.len() + 1..];
            }
            _ => {}
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::fingerprint;

    #[test]
    fn literals_go_names_and_parameters_stay() {
        assert_eq!(
            fingerprint("INSERT INTO t2(a, b) VALUES (1, 'x''y')"),
            "INSERT INTO t2(a, b) VALUES (?…)"
        );
        assert_eq!(
            fingerprint("select x1 from t where y > 1.5e3"),
            "select x1 from t where y > ?"
        );
        assert_eq!(fingerprint("SELECT $$a$$, ?"), "SELECT ?, ?");
        assert_eq!(fingerprint("SELECT f(1, a)"), "SELECT f(?, a)");
    }
}
