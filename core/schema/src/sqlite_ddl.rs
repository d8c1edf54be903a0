//! Reading SQLite's stored DDL (`sqlite_master.sql`), which is the only place SQLite keeps
//! constraint names, CHECK expressions, partial-index predicates and comments.

/// One top-level item of a `CREATE TABLE (…)` body: a column or a table constraint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    /// The item's SQL with comments removed and whitespace collapsed.
    pub text: String,
    /// A `/* … */` comment trailing the item.
    pub comment: Option<String>,
}

/// The body of a `CREATE TABLE`: the comment leading the body (the table comment) and the
/// items. `None` when `sql` has no parenthesised body (`CREATE TABLE … AS SELECT`).
pub fn table_items(sql: &str) -> Option<(Option<String>, Vec<Item>)> {
    let open = top_level_paren(sql)?;
    let b = sql.as_bytes();
    let mut items = Vec::new();
    let mut text = String::new();
    let mut comments: Vec<(bool, String)> = Vec::new();
    let mut depth = 0usize;
    let mut i = open + 1;
    let mut table_comment = None;
    let mut first = true;
    while i < b.len() {
        let c = b[i] as char;
        match c {
            '\'' | '"' | '`' | '[' => {
                let end = skip_quoted(b, i);
                text.push_str(&sql[i..end]);
                i = end;
                continue;
            }
            '-' if b.get(i + 1) == Some(&b'-') => {
                let end = sql[i..].find('\n').map_or(b.len(), |n| i + n);
                i = end;
                continue;
            }
            '/' if b.get(i + 1) == Some(&b'*') => {
                let end = sql[i + 2..].find("*/").map_or(b.len(), |n| i + 2 + n + 2);
                let body = sql[i + 2..end.saturating_sub(2).max(i + 2)]
                    .trim()
                    .to_string();
                comments.push((text.trim().is_empty(), body));
                i = end;
                continue;
            }
            '(' => depth += 1,
            ')' if depth == 0 => {
                finish(
                    &mut items,
                    &mut text,
                    &mut comments,
                    &mut table_comment,
                    &mut first,
                );
                return Some((table_comment, items));
            }
            ')' => depth -= 1,
            ',' if depth == 0 => {
                finish(
                    &mut items,
                    &mut text,
                    &mut comments,
                    &mut table_comment,
                    &mut first,
                );
                i += 1;
                continue;
            }
            _ => {}
        }
        text.push(c);
        i += 1;
    }
    None
}

fn finish(
    items: &mut Vec<Item>,
    text: &mut String,
    comments: &mut Vec<(bool, String)>,
    table_comment: &mut Option<String>,
    first: &mut bool,
) {
    let mut comment = None;
    for (leading, body) in comments.drain(..) {
        if leading && *first {
            *table_comment = Some(body);
        } else {
            comment = Some(body);
        }
    }
    *first = false;
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    text.clear();
    if !collapsed.is_empty() {
        items.push(Item {
            text: collapsed,
            comment,
        });
    }
}

/// The byte offset of the first `(` outside quotes.
fn top_level_paren(sql: &str) -> Option<usize> {
    let b = sql.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\'' | b'"' | b'`' | b'[' => i = skip_quoted(b, i),
            b'(' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// The offset just past the quoted token starting at `i`.
fn skip_quoted(b: &[u8], i: usize) -> usize {
    let close = if b[i] == b'[' { b']' } else { b[i] };
    let mut j = i + 1;
    while j < b.len() {
        if b[j] == close {
            if close != b']' && b.get(j + 1) == Some(&close) {
                j += 2;
                continue;
            }
            return j + 1;
        }
        j += 1;
    }
    b.len()
}

/// Splits off the leading identifier (quoted or bare) of `s`: `(ident, rest)`.
pub fn leading_ident(s: &str) -> Option<(String, &str)> {
    let s = s.trim_start();
    let b = s.as_bytes();
    let first = *b.first()?;
    if matches!(first, b'"' | b'`' | b'[') {
        let end = skip_quoted(b, 0);
        let inner = &s[1..end.saturating_sub(1)];
        let unq = match first {
            b'"' => inner.replace("\"\"", "\""),
            b'`' => inner.replace("``", "`"),
            _ => inner.to_string(),
        };
        return Some((unq, &s[end..]));
    }
    let end = s
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
        .unwrap_or(s.len());
    if end == 0 {
        return None;
    }
    Some((s[..end].to_string(), &s[end..]))
}

/// A table constraint item: `CONSTRAINT name KIND …` or an unnamed `KIND …`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConstraintItem {
    /// The constraint name, when given.
    pub name: Option<String>,
    /// `CHECK`, `UNIQUE`, `PRIMARY`, `FOREIGN`.
    pub kind: String,
    /// Everything after the kind keyword.
    pub rest: String,
}

/// Reads `item` as a table constraint (`None` for a column definition).
pub fn constraint(item: &str) -> Option<ConstraintItem> {
    // A quoted leading word is a column name, never a keyword.
    if item.trim_start().starts_with(['"', '`', '[']) {
        return None;
    }
    let (word, rest) = leading_ident(item)?;
    let (name, kind, rest) = if word.eq_ignore_ascii_case("CONSTRAINT") {
        let (name, rest) = leading_ident(rest)?;
        let (kind, rest) = leading_ident(rest)?;
        (Some(name), kind, rest)
    } else {
        (None, word, rest)
    };
    let kind = kind.to_ascii_uppercase();
    matches!(kind.as_str(), "CHECK" | "UNIQUE" | "PRIMARY" | "FOREIGN").then(|| ConstraintItem {
        name,
        kind,
        rest: rest.trim().to_string(),
    })
}

/// The text inside the first balanced parentheses of `s`.
pub fn parenthesised(s: &str) -> Option<&str> {
    let open = s.find('(')?;
    let b = s.as_bytes();
    let mut depth = 0;
    let mut i = open;
    while i < b.len() {
        match b[i] {
            b'\'' | b'"' | b'`' => {
                i = skip_quoted(b, i);
                continue;
            }
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(&s[open + 1..i]);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// The predicate of a partial index (`CREATE INDEX … WHERE pred`).
pub fn index_predicate(sql: &str) -> Option<String> {
    let b = sql.as_bytes();
    let mut i = 0;
    let mut depth = 0;
    while i < b.len() {
        match b[i] {
            b'\'' | b'"' | b'`' | b'[' => {
                i = skip_quoted(b, i);
                continue;
            }
            b'(' => depth += 1,
            b')' => depth -= 1,
            _ if depth == 0
                && sql[i..].len() >= 5
                && sql[i..i + 5].eq_ignore_ascii_case("where")
                && (i == 0 || !b[i - 1].is_ascii_alphanumeric())
                && b.get(i + 5)
                    .is_none_or(|c| !c.is_ascii_alphanumeric() && *c != b'_') =>
            {
                return Some(sql[i + 5..].trim().to_string());
            }
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_items_comments_and_constraints() {
        let sql = "CREATE TABLE \"a,b\" (\n  /* the table */\n  id INTEGER PRIMARY KEY /* key, (x) */,\n  \"na,me\" TEXT DEFAULT 'x,)' NOT NULL,\n  CONSTRAINT ck1 CHECK (length(\"na,me\") > 0),\n  CHECK (id > 0)\n)";
        let (tc, items) = table_items(sql).unwrap();
        assert_eq!(tc.as_deref(), Some("the table"));
        assert_eq!(items.len(), 4);
        assert_eq!(items[0].comment.as_deref(), Some("key, (x)"));
        assert_eq!(items[1].text, "\"na,me\" TEXT DEFAULT 'x,)' NOT NULL");
        let c = constraint(&items[2].text).unwrap();
        assert_eq!((c.name.as_deref(), c.kind.as_str()), (Some("ck1"), "CHECK"));
        assert_eq!(parenthesised(&c.rest), Some("length(\"na,me\") > 0"));
        assert_eq!(constraint(&items[3].text).unwrap().name, None);
        assert!(constraint(&items[1].text).is_none());
    }

    #[test]
    fn partial_index_predicate() {
        assert_eq!(
            index_predicate("CREATE INDEX i ON t (\"where\") WHERE active = 1").as_deref(),
            Some("active = 1")
        );
        assert_eq!(index_predicate("CREATE INDEX i ON t (a)"), None);
    }
}
