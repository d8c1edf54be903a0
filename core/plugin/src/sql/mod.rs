//! The SQL lexer the host and the drivers share, and what is built on it: statement
//! splitting, leading comments, the first keyword, and identifier quoting.
//!
//! [`tokens`] cuts text into [`Token`]s by one engine's rules ([`Flavor`]); the functions
//! without a flavor read text whose engine is not known yet ([`Flavor::Generic`]).

mod lexer;

pub use lexer::{tokens, Flavor, Lexer, Token, TokenKind};

/// Splits a script into statements at `;`, ignoring semicolons inside quotes (`'…'`, `"…"`,
/// `` `…` ``), comments (`-- …`, `/* … */`, nested), and PostgreSQL dollar-quoted bodies
/// (`$$ … $$`, `$tag$ … $tag$`). Statements are trimmed; those holding only whitespace and
/// comments are dropped.
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
    statement_spans(sql, Flavor::Generic)
}

/// The statements of `sql` as `flavor` reads it, each with the byte offset where it starts:
/// split at `;` outside quotes, comments and dollar-quoted bodies, trimmed, and without the
/// pieces that hold only whitespace and comments.
///
/// ```
/// use myrmex_plugin::sql::{statement_spans, Flavor};
/// let mysql = statement_spans("SELECT 1 # x;\nSELECT 2", Flavor::Mysql);
/// assert_eq!(mysql, vec![(0, "SELECT 1 # x;\nSELECT 2")]);
/// let postgres = statement_spans("SELECT 1 # x;\nSELECT 2", Flavor::Postgres);
/// assert_eq!(postgres, vec![(0, "SELECT 1 # x"), (14, "SELECT 2")]);
/// ```
pub fn statement_spans(sql: &str, flavor: Flavor) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut end = 0;
    let mut content = false;
    for token in tokens(sql, flavor) {
        if token.kind == TokenKind::Semicolon {
            if content {
                push(&mut out, sql, start, token.start);
            }
            start = token.end();
            content = false;
        } else if !token.is_trivia() {
            content = true;
        }
        end = token.end();
    }
    if content {
        push(&mut out, sql, start, end);
    }
    out
}

/// Adds the trimmed statement `sql[start..end]`, unless trimming leaves nothing.
fn push<'a>(out: &mut Vec<(usize, &'a str)>, sql: &'a str, start: usize, end: usize) {
    let s = &sql[start..end];
    let t = s.trim();
    if !t.is_empty() {
        let lead = s.len() - s.trim_start().len();
        out.push((start + lead, t));
    }
}

/// The statement without the comments and whitespace in front of it. MySQL's executable
/// comments (`/*! … */`) and optimizer hints (`/*+ … */`) are content and stay.
///
/// ```
/// let s = myrmex_plugin::sql::without_leading_comments("-- why\n/* how */ PRAGMA x");
/// assert_eq!(s, "PRAGMA x");
/// ```
pub fn without_leading_comments(sql: &str) -> &str {
    tokens(sql, Flavor::Generic)
        .find(|t| !t.is_trivia())
        .map_or("", |t| &sql[t.start..])
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
/// anything with a RETURNING clause; the word inside a string or a comment does not count).
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
    ) || has_keyword(sql, "RETURNING")
}

/// True when `word` appears as a whole word in the code of `sql` (outside quotes, comments
/// and dollar-quoted bodies), in any case.
fn has_keyword(sql: &str, word: &str) -> bool {
    tokens(sql, Flavor::Generic)
        .filter(|t| t.kind == TokenKind::Code)
        .any(|t| {
            t.text
                .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
                .any(|w| w.eq_ignore_ascii_case(word))
        })
}

/// A `*`/`?` name pattern (psql's `\\dt app*`) as a SQL `LIKE` pattern with `\\` as the
/// escape character: `%` and `_` in the name are matched literally. Empty matches everything.
///
/// ```
/// use myrmex_plugin::sql::like_pattern;
/// assert_eq!(like_pattern(""), "%");
/// assert_eq!(like_pattern("app*"), "app%");
/// assert_eq!(like_pattern("t?_x"), "t_\\_x");
/// ```
pub fn like_pattern(pattern: &str) -> String {
    if pattern.is_empty() {
        return "%".into();
    }
    let mut out = String::with_capacity(pattern.len() + 2);
    for c in pattern.chars() {
        match c {
            '*' => out.push('%'),
            '?' => out.push('_'),
            '%' | '_' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
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
        assert_eq!(first_keyword("/* a /* b */ */ ( (select 1))"), "SELECT");
        assert!(!returns_rows(
            "INSERT INTO t VALUES ('RETURNING') -- RETURNING"
        ));
        assert!(!returns_rows("UPDATE t SET not_returning = 1"));
        assert!(returns_rows("insert into t values (1)\nreturning *"));
    }

    #[test]
    fn comment_only_pieces_are_dropped_and_executable_comments_kept() {
        let s = split_statement_spans("SELECT 1; /* the end */ ;\n-- bye");
        assert_eq!(s, vec![(0, "SELECT 1")]);
        let s = split_statements("/*!40101 SET NAMES utf8 */;\n/*+ hint */;");
        assert_eq!(s, vec!["/*!40101 SET NAMES utf8 */", "/*+ hint */"]);
        assert_eq!(
            without_leading_comments("/*!40101 SET x */"),
            "/*!40101 SET x */"
        );
    }

    #[test]
    fn leading_comments_end_where_the_statement_starts() {
        let stmt = "-- a\n/* b /* c */ */\n  SELECT 1 -- d";
        let body = without_leading_comments(stmt);
        assert_eq!(body, "SELECT 1 -- d");
        assert_eq!(stmt.len() - body.len(), 23);
        assert_eq!(without_leading_comments("/* open"), "");
        assert_eq!(without_leading_comments("  "), "");
    }

    #[test]
    fn flavors_split_differently() {
        assert_eq!(
            statement_spans("SELECT 'a\\'; SELECT 2", Flavor::Postgres),
            vec![(0, "SELECT 'a\\'"), (13, "SELECT 2")]
        );
        assert_eq!(
            statement_spans("SELECT 'a\\'; SELECT 2", Flavor::Mysql),
            vec![(0, "SELECT 'a\\'; SELECT 2")]
        );
        assert_eq!(
            statement_spans("SELECT 1;\0 SELECT 2", Flavor::Sqlite),
            vec![(0, "SELECT 1")]
        );
    }
}
