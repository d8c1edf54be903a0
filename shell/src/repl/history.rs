//! What goes into the REPL history file: never a password.

/// Replaces secrets in a history entry: the password of any `scheme://user:password@` URL
/// and the value of any `password` key in a Rhai map or config-like text.
///
/// ```ignore
/// assert_eq!(scrub("connect(\"postgres://u:pw@h/d\")"), "connect(\"postgres://u:***@h/d\")");
/// ```
pub fn scrub(line: &str) -> String {
    let mut out = scrub_urls(line);
    for key in ["password", "passwd", "pwd"] {
        out = scrub_key(&out, key);
    }
    out
}

fn scrub_urls(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| c == '/' || c == '"' || c == '\'' || c.is_whitespace())
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match (authority.rfind('@'), authority.find(':')) {
            (Some(at), Some(colon)) if colon < at => {
                out.push_str(&authority[..colon]);
                out.push_str(":***");
                out.push_str(&authority[at..]);
            }
            _ => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

fn scrub_key(line: &str, key: &str) -> String {
    let lower = line.to_ascii_lowercase();
    let mut out = String::new();
    let mut last = 0;
    let mut search = 0;
    while let Some(found) = lower[search..].find(key) {
        let k = search + found;
        let after = k + key.len();
        let rest = &line[after..];
        let trimmed = rest.trim_start();
        let sep = trimmed.chars().next();
        if matches!(sep, Some(':') | Some('=')) {
            let value_start = after + (rest.len() - trimmed.len()) + 1;
            let v = &line[value_start..];
            let v_trim = v.trim_start();
            let lead = value_start + (v.len() - v_trim.len());
            let quote = v_trim
                .chars()
                .next()
                .filter(|c| *c == '"' || *c == '\'' || *c == '`');
            let end = match quote {
                Some(q) => v_trim[1..].find(q).map_or(line.len(), |p| lead + 1 + p + 1),
                None => v_trim
                    .find(|c: char| c == ',' || c == '}' || c.is_whitespace())
                    .map_or(line.len(), |p| lead + p),
            };
            out.push_str(&line[last..lead]);
            out.push_str(if quote.is_some() { "\"***\"" } else { "***" });
            last = end;
            search = end;
        } else {
            search = after;
        }
        if search >= line.len() {
            break;
        }
    }
    out.push_str(&line[last.min(line.len())..]);
    out
}

#[cfg(test)]
mod tests {
    use super::scrub;

    #[test]
    fn removes_url_passwords_and_password_keys() {
        assert_eq!(
            scrub("let db = connect(\"postgres://u:pw@h/d\")"),
            "let db = connect(\"postgres://u:***@h/d\")"
        );
        assert_eq!(
            scrub("connect(#{ db_type: \"postgres\", password: \"s3cr3t\", user: \"u\" })"),
            "connect(#{ db_type: \"postgres\", password: \"***\", user: \"u\" })"
        );
        assert_eq!(
            scrub("\\c mysql://root:x@127.0.0.1/t"),
            "\\c mysql://root:***@127.0.0.1/t"
        );
        assert_eq!(scrub("select 1"), "select 1");
    }
}
