//! What goes into the REPL history file: never a password.
//!
//! * SQL that sets a password (`CREATE USER … IDENTIFIED BY '…'`, `ALTER USER`/`ALTER ROLE`/
//!   `CREATE ROLE … PASSWORD '…'`, `SET PASSWORD`) is not stored at all.
//! * A URL's password is stored as `***`; a line where a URL's password cannot be told apart
//!   from the text around it (an `@` after the URL ends at a space or quote) is not stored.
//! * The value of a password-like key (`password`, `passwd`, `pass`, `pwd`, `sslpassword`,
//!   `secret`, …; bare or quoted, followed by `:` or `=`) is stored as `"***"`.

use myrmex_core::url::{is_secret_option, redact};

/// The history entry for `line`: scrubbed of secrets, or `None` when it must not be stored.
pub fn scrub(line: &str) -> Option<String> {
    if sets_password(line) {
        return None;
    }
    let out = scrub_urls(line)?;
    Some(scrub_keys(&out))
}

/// True for SQL that sets a password: `IDENTIFIED BY`/`IDENTIFIED WITH … BY`, `SET PASSWORD`,
/// and the word `PASSWORD` followed by a space and a quoted string (`PASSWORD 'x'`,
/// `PASSWORD E'x'`, `PASSWORD $$x$$`) or by a call (`PASSWORD('x')`).
fn sets_password(line: &str) -> bool {
    let upper = line.to_ascii_uppercase();
    if upper.contains("IDENTIFIED") || upper.contains("SET PASSWORD") {
        return true;
    }
    upper.match_indices("PASSWORD").any(|(i, w)| {
        let before = upper[..i].chars().next_back();
        let word_start = before.is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_'));
        let after = &upper[i + w.len()..];
        let value = after.trim_start();
        let spaced = value.len() < after.len();
        word_start
            && (after.starts_with('(')
                || spaced && (value.starts_with(['\'', '"', '$']) || value.starts_with("E'")))
    })
}

/// Redacts the password of every `scheme://` URL; `None` when an `@` follows a URL that
/// ended at a space or quote (the password may hold one, and its rest would be kept).
fn scrub_urls(line: &str) -> Option<String> {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(i) = rest.find("://") {
        let start = rest[..i]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '+' || c == '-' || c == '.'))
            .map_or(0, |p| p + 1);
        let end = rest[i..]
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '`' | '\\'))
            .map_or(rest.len(), |p| i + p);
        let next_url = rest[end..].find("://").map_or(rest.len(), |p| end + p);
        if rest[end..next_url].contains('@') {
            return None;
        }
        out.push_str(&rest[..start]);
        out.push_str(&redact(&rest[start..end]));
        rest = &rest[end..];
    }
    out.push_str(rest);
    Some(out)
}

/// Replaces the value of every password-like key (`password: "x"`, `"pwd" = 'x'`,
/// `m["password"] = x`) with `"***"`.
fn scrub_keys(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut last = 0;
    let mut i = 0;
    let bytes = line.as_bytes();
    while i < line.len() {
        let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
        if !is_ident(bytes[i]) || (i > 0 && is_ident(bytes[i - 1])) {
            i += 1;
            continue;
        }
        let word_end = line[i..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .map_or(line.len(), |p| i + p);
        let word = &line[i..word_end];
        i = word_end;
        if !is_secret_option(word) {
            continue;
        }
        // After the key: an optional closing quote and `]`, then `:` or `=` (not `==`).
        let after = line[word_end..].trim_start_matches(['"', '\'', ']']);
        let after = after.trim_start();
        let Some(sep) = after.chars().next().filter(|c| matches!(c, ':' | '=')) else {
            continue;
        };
        if after[1..].starts_with('=') || (sep == ':' && after[1..].starts_with(':')) {
            continue;
        }
        let value = after[1..].trim_start();
        if value.starts_with("***") || value.starts_with("\"***\"") {
            continue;
        }
        let value_start = line.len() - value.len();
        let value_end = match value.chars().next() {
            Some(q @ ('"' | '\'' | '`')) => {
                closing_quote(value, q).map_or(line.len(), |p| value_start + p + 1)
            }
            Some(_) => value
                .find(|c: char| matches!(c, ',' | '}' | '(' | ')' | ';' | ']') || c.is_whitespace())
                .map_or(line.len(), |p| value_start + p),
            None => continue,
        };
        out.push_str(&line[last..value_start]);
        out.push_str("\"***\"");
        last = value_end;
        i = value_end;
    }
    out.push_str(&line[last..]);
    out
}

/// Byte offset of the quote that closes the string starting at `s[0]`, skipping `\`-escapes.
fn closing_quote(s: &str, quote: char) -> Option<usize> {
    let mut escaped = false;
    for (p, c) in s.char_indices().skip(1) {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            c if c == quote => return Some(p),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::scrub;

    fn s(line: &str) -> String {
        scrub(line).unwrap_or_else(|| panic!("dropped: {line}"))
    }

    #[test]
    fn removes_url_passwords_and_password_keys() {
        assert_eq!(
            s("let db = connect(\"postgres://u:pw@h/d\")"),
            "let db = connect(\"postgres://u:***@h/d\")"
        );
        assert_eq!(
            s("connect(#{ db_type: \"postgres\", password: \"s3cr3t\", user: \"u\" })"),
            "connect(#{ db_type: \"postgres\", password: \"***\", user: \"u\" })"
        );
        assert_eq!(
            s("\\c mysql://root:x@127.0.0.1/t"),
            "\\c mysql://root:***@127.0.0.1/t"
        );
        assert_eq!(s("select 1"), "select 1");
    }

    #[test]
    fn url_passwords_with_special_characters() {
        assert_eq!(
            s("\\c postgres://u:se/cret99@host/db"),
            "\\c postgres://u:***@host/db"
        );
        assert_eq!(
            s("\\c postgres://u:p@ss/w:rd#1?x@h/db"),
            "\\c postgres://u:***@h/db"
        );
        assert_eq!(
            s("connect(\"pg://a:x@h/d?password=Sec&x=1\"); connect(\"pg://b:y@h/d\")"),
            "connect(\"pg://a:***@h/d?password=***&x=1\"); connect(\"pg://b:***@h/d\")"
        );
        // A password with a space or a quote: the URL's end is unknown, the line is dropped.
        assert_eq!(scrub("\\c postgres://u:se cret@h/db"), None);
        assert_eq!(scrub("connect(\"postgres://u:se\\\"cret@h/db\")"), None);
        // An e-mail address without a URL stays.
        assert_eq!(
            s("INSERT INTO t VALUES ('a@b.c')"),
            "INSERT INTO t VALUES ('a@b.c')"
        );
    }

    #[test]
    fn password_keys_in_every_form() {
        for (line, kept) in [
            (
                "connect(#{\"password\": \"Zx1\"})",
                "connect(#{\"password\": \"***\"})",
            ),
            (
                "connect(#{'password': 'Zx1'})",
                "connect(#{'password': \"***\"})",
            ),
            (
                "#{pass:\"Zx1\", pwd: `Zx1`}",
                "#{pass:\"***\", pwd: \"***\"}",
            ),
            ("m[\"passwd\"] = \"Z\\\"x1\";", "m[\"passwd\"] = \"***\";"),
            ("let password = get_pw(1);", "let password = \"***\"(1);"),
            (
                "#{sslpassword: x, user: \"u\"}",
                "#{sslpassword: \"***\", user: \"u\"}",
            ),
            ("if password == \"\" { }", "if password == \"\" { }"),
            ("let passes = 3", "let passes = \"***\""),
        ] {
            assert_eq!(s(line), kept, "{line}");
        }
    }

    #[test]
    fn sql_that_sets_a_password_is_not_stored() {
        for line in [
            "CREATE USER 'a'@'%' IDENTIFIED BY 'Zx1';",
            "alter user a identified with mysql_native_password by 'Zx1'",
            "ALTER ROLE a WITH PASSWORD 'Zx1';",
            "create role a login password \"Zx1\"",
            "ALTER USER a PASSWORD E'Zx1'",
            "ALTER ROLE a PASSWORD $$Zx1$$",
            "SET PASSWORD FOR a = 'Zx1'",
            "db.execute(\"CREATE USER a IDENTIFIED BY 'Zx1'\")",
        ] {
            assert_eq!(scrub(line), None, "{line}");
        }
        assert!(scrub("SELECT password_hash FROM users").is_some());
        assert!(scrub("ALTER ROLE a PASSWORD NULL").is_some());
    }
}
