//! The SQL lexer the host and the drivers share: statement splitting, keywords, quoting.

/// Splits a script into statements at `;`, ignoring semicolons inside quotes (`'…'`, `"…"`,
/// `` `…` ``), comments (`-- …`, `/* … */`, nested), and PostgreSQL dollar-quoted bodies
/// (`$$ … $$`, `$tag$ … $tag$`). Statements are trimmed; empty ones are dropped.
///
/// ```
/// let s = myrmex_plugin::sql::split_statements(
///     "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql; SELECT ';' -- x;\n;",
/// );
/// assert_eq!(s, vec!["CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql", "SELECT ';' -- x;"]);
/// ```
pub fn split_statements(sql: &str) -> Vec<String> {
    split_statement_spans(sql)
        .into_iter()
        .map(|(_, s)| s.to_string())
        .collect()
}

/// Like [`split_statements`], with the byte offset in `sql` where each statement starts, so
/// callers can report line numbers.
///
/// ```
/// let s = myrmex_plugin::sql::split_statement_spans("SELECT 1;\n  SELECT 2");
/// assert_eq!(s, vec![(0, "SELECT 1"), (12, "SELECT 2")]);
/// ```
pub fn split_statement_spans(sql: &str) -> Vec<(usize, &str)> {
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            q @ (b'\'' | b'"' | b'`') => {
                i += 1;
                while i < b.len() {
                    if b[i] == q {
                        if i + 1 < b.len() && b[i + 1] == q {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    if b[i] == b'\\' && q != b'"' {
                        i += 1; // MySQL-style escapes; harmless elsewhere
                    }
                    i += 1;
                }
                i += 1;
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
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
            }
            b'$' => {
                let tag_end = b[i + 1..]
                    .iter()
                    .position(|c| !(c.is_ascii_alphanumeric() || *c == b'_'))
                    .map(|p| i + 1 + p);
                match tag_end {
                    Some(e)
                        if b[e] == b'$'
                            && !(i > 0
                                && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_')) =>
                    {
                        let tag = &sql[i..=e];
                        match sql[e + 1..].find(tag) {
                            Some(p) => i = e + 1 + p + tag.len(),
                            None => i = b.len(),
                        }
                    }
                    _ => i += 1,
                }
            }
            b';' => {
                push(&mut out, sql, start, i);
                i += 1;
                start = i;
            }
            _ => i += 1,
        }
    }
    push(&mut out, sql, start.min(sql.len()), sql.len());
    out
}

fn push<'a>(out: &mut Vec<(usize, &'a str)>, sql: &'a str, start: usize, end: usize) {
    let s = &sql[start..end];
    let t = s.trim();
    if !t.is_empty() && !is_only_comments(t) {
        let lead = s.len() - s.trim_start().len();
        out.push((start + lead, t));
    }
}

fn is_only_comments(s: &str) -> bool {
    s.lines().all(|l| {
        let l = l.trim();
        l.is_empty() || l.starts_with("--")
    })
}

/// The statement without the comments and whitespace in front of it.
///
/// ```
/// let s = myrmex_plugin::sql::without_leading_comments("-- why\n/* how */ PRAGMA x");
/// assert_eq!(s, "PRAGMA x");
/// ```
pub fn without_leading_comments(sql: &str) -> &str {
    let mut s = sql.trim_start();
    loop {
        if let Some(rest) = s.strip_prefix("--") {
            s = rest.split_once('\n').map_or("", |(_, r)| r).trim_start();
        } else if let Some(rest) = s.strip_prefix("/*") {
            s = rest.split_once("*/").map_or("", |(_, r)| r).trim_start();
        } else {
            return s;
        }
    }
}

/// The first keyword of a statement, uppercased, skipping leading comments and parentheses.
pub fn first_keyword(sql: &str) -> String {
    let mut s = without_leading_comments(sql);
    while let Some(rest) = s.strip_prefix('(') {
        s = without_leading_comments(rest);
    }
    s.chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect::<String>()
        .to_ascii_uppercase()
}

/// True when a statement returns rows (SELECT, WITH, VALUES, SHOW, EXPLAIN, PRAGMA, …, or
/// anything with RETURNING).
pub fn returns_rows(sql: &str) -> bool {
    matches!(
        first_keyword(sql).as_str(),
        "SELECT"
            | "WITH"
            | "VALUES"
            | "SHOW"
            | "EXPLAIN"
            | "PRAGMA"
            | "DESCRIBE"
            | "DESC"
            | "TABLE"
            | "FETCH"
    ) || sql.to_ascii_uppercase().contains("RETURNING")
}

/// Quotes an identifier with `quote`, doubling any `quote` inside.
///
/// ```
/// assert_eq!(myrmex_plugin::sql::quote_ident("a\"b", '"'), "\"a\"\"b\"");
/// assert_eq!(myrmex_plugin::sql::quote_ident("t", '`'), "`t`");
/// ```
pub fn quote_ident(name: &str, quote: char) -> String {
    let q = quote.to_string();
    format!("{quote}{}{quote}", name.replace(quote, &format!("{q}{q}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_around_quotes_comments_and_dollar_bodies() {
        let s = split_statements("INSERT INTO t VALUES ('a;b', \"c;d\"); /* x; /* y; */ */ SELECT 1;\n-- only a comment;\n");
        assert_eq!(
            s,
            vec![
                "INSERT INTO t VALUES ('a;b', \"c;d\")",
                "/* x; /* y; */ */ SELECT 1"
            ]
        );
        let s = split_statements("DO $body$ BEGIN PERFORM 1; END $body$; SELECT $1, 'it''s;'");
        assert_eq!(
            s,
            vec![
                "DO $body$ BEGIN PERFORM 1; END $body$",
                "SELECT $1, 'it''s;'"
            ]
        );
    }

    #[test]
    fn classifies_statements() {
        assert!(returns_rows("  -- c\n select 1"));
        assert!(returns_rows("(SELECT 1) UNION (SELECT 2)"));
        assert!(returns_rows("INSERT INTO t VALUES (1) RETURNING id"));
        assert!(!returns_rows("UPDATE t SET a = 1"));
        assert_eq!(first_keyword("/* x */ delete from t"), "DELETE");
    }
}
