//! What SQLite keeps besides plain tables, read from `sqlite_schema`: views (their SELECT,
//! column list and the tables they read), triggers (their whole text), virtual tables
//! (module and arguments; their shadow tables are the module's and are not listed), and the
//! keys of indexes (expressions and descending keys, read from the `CREATE INDEX` text and
//! `pragma_index_xinfo`).

use super::Result;
use crate::catalog::{self, Object};
use myrmex_plugin::schema::sqlite_ddl::{leading_ident, parenthesised};
use myrmex_plugin::schema::{DialectText, IndexColumn, Trigger, View, VirtualTable};
use rusqlite::Connection;

/// Splits `s` at its top-level commas (outside parentheses and quotes), trimmed.
pub fn split_top(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut cur = String::new();
    for ch in s.chars() {
        match quote {
            Some(q) => {
                if ch == q || (q == '[' && ch == ']') {
                    quote = None;
                }
            }
            None => match ch {
                '\'' | '"' | '`' | '[' => quote = Some(ch),
                '(' => depth += 1,
                ')' => depth -= 1,
                ',' if depth == 0 => {
                    out.push(cur.trim().to_string());
                    cur.clear();
                    continue;
                }
                _ => {}
            },
        }
        cur.push(ch);
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    out
}

/// The position just after the first keyword `word` (any case, whole word, outside
/// quotes and parentheses) in `s`.
fn after_keyword(s: &str, word: &str) -> Option<usize> {
    let b = s.as_bytes();
    let n = word.len();
    let mut depth = 0;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\'' | b'"' | b'`' => {
                let q = b[i];
                i += 1;
                while i < b.len() && b[i] != q {
                    i += 1;
                }
            }
            b'(' => depth += 1,
            b')' => depth -= 1,
            _ if depth == 0
                && s.is_char_boundary(i)
                && s.len() >= i + n
                && s.is_char_boundary(i + n)
                && s[i..i + n].eq_ignore_ascii_case(word)
                && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_'))
                && b.get(i + n)
                    .is_none_or(|c| !(c.is_ascii_alphanumeric() || *c == b'_')) =>
            {
                return Some(i + n);
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// A view from its `CREATE VIEW` text; `None` when the text cannot be read.
pub fn view(o: &Object, names: &[String]) -> Option<View> {
    let sql = o.sql.as_deref()?;
    let at = after_keyword(sql, "VIEW")?;
    let mut rest = sql[at..].trim_start();
    if let Some(r) = rest.strip_prefix_ci("IF NOT EXISTS") {
        rest = r;
    }
    let (_, rest) = leading_ident(rest)?;
    let rest = rest.trim_start();
    let (columns, rest) = if rest.starts_with('(') {
        let inner = parenthesised(rest)?;
        let cols = split_top(inner)
            .iter()
            .filter_map(|c| leading_ident(c).map(|(n, _)| n))
            .collect();
        (cols, &rest[inner.len() + 2..])
    } else {
        (Vec::new(), rest)
    };
    let body = &rest[after_keyword(rest, "AS")?..];
    let select = body.trim().trim_end_matches(';').to_string();
    let lower = select.to_ascii_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .collect();
    let depends_on = names
        .iter()
        .filter(|n| **n != o.name && words.contains(&n.to_ascii_lowercase().as_str()))
        .cloned()
        .collect();
    Some(View {
        schema: None,
        name: o.name.clone(),
        sql: DialectText::Any(select),
        columns,
        materialized: false,
        check_option: None,
        options: Default::default(),
        depends_on,
        indexes: Vec::new(),
        comment: None,
    })
}

trait StripCi {
    fn strip_prefix_ci(&self, p: &str) -> Option<&str>;
}

impl StripCi for str {
    fn strip_prefix_ci(&self, p: &str) -> Option<&str> {
        (self.len() >= p.len()
            && self.is_char_boundary(p.len())
            && self[..p.len()].eq_ignore_ascii_case(p))
        .then(|| self[p.len()..].trim_start())
    }
}

/// A virtual table from its `CREATE VIRTUAL TABLE … USING module(args)` text.
pub fn virtual_table(o: &Object) -> Option<VirtualTable> {
    let sql = o.sql.as_deref()?;
    let rest = sql[after_keyword(sql, "USING")?..].trim_start();
    let (module, rest) = leading_ident(rest)?;
    let arguments = parenthesised(rest).map(split_top).unwrap_or_default();
    Some(VirtualTable {
        name: o.name.clone(),
        module,
        arguments,
    })
}

/// The shadow tables of the virtual tables of `schema` (`pragma_table_list` type `shadow`).
pub fn shadow_tables(conn: &Connection, schema: &str) -> Result<Vec<String>> {
    catalog::rows(
        conn,
        "SELECT name FROM pragma_table_list WHERE schema = ?1 AND type = 'shadow'",
        [schema],
        |r| r.get(0),
    )
}

/// The triggers of `schema`, each with the table it fires on, by name.
pub fn triggers(conn: &Connection, schema: &str) -> Result<Vec<Trigger>> {
    let sql = format!(
        "SELECT name, tbl_name, sql FROM {}.sqlite_schema WHERE type = 'trigger' ORDER BY name",
        myrmex_plugin::sql::quote_ident(schema, '"')
    );
    catalog::rows(conn, &sql, [], |r| {
        Ok(Trigger {
            schema: None,
            name: r.get(0)?,
            table: r.get(1)?,
            sql: DialectText::Any(r.get::<_, Option<String>>(2)?.unwrap_or_default()),
            disabled: false,
        })
    })
}

/// The keys of index `name`: column or expression (from the `CREATE INDEX` text), order
/// and collation (from `pragma_index_xinfo`).
pub fn index_keys(
    conn: &Connection,
    schema: &str,
    name: &str,
    sql: Option<&str>,
) -> Result<Vec<IndexColumn>> {
    let rows: Vec<(i64, Option<String>, bool, Option<String>)> = catalog::rows(
        conn,
        "SELECT cid, name, \"desc\", coll FROM pragma_index_xinfo(?1, ?2) WHERE key = 1 ORDER BY seqno",
        [name, schema],
        |r| Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? != 0, r.get(3)?)),
    )?;
    let texts: Vec<String> = sql
        .and_then(|s| after_keyword(s, "ON").map(|at| &s[at..]))
        .and_then(parenthesised)
        .map(split_top)
        .unwrap_or_default();
    Ok(rows
        .into_iter()
        .enumerate()
        .map(|(i, (cid, column, desc, coll))| {
            let text = texts.get(i).map(String::as_str).unwrap_or("");
            let mut key = match column {
                Some(c) if cid >= 0 => IndexColumn::named(&c),
                _ => IndexColumn {
                    expr: Some(key_expression(text)),
                    ..Default::default()
                },
            };
            key.desc = desc;
            // The collation shows only where the key names one.
            if after_keyword(text, "COLLATE").is_some() {
                key.collation = coll;
            }
            key
        })
        .collect())
}

/// `lower(b) DESC` → `lower(b)`; `x COLLATE NOCASE` → `x`.
fn key_expression(text: &str) -> String {
    let mut end = text.len();
    for word in ["COLLATE", "ASC", "DESC"] {
        if let Some(at) = after_keyword(text, word) {
            end = end.min(at - word.len());
        }
    }
    text[..end].trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_split_and_keywords_found_outside_parentheses() {
        assert_eq!(split_top("a, f(b, c), 'x,y'"), ["a", "f(b, c)", "'x,y'"]);
        assert_eq!(key_expression("lower(b) DESC"), "lower(b)");
        assert_eq!(key_expression("(a + 1) COLLATE NOCASE"), "(a + 1)");
        let o = Object {
            name: "v".into(),
            kind: "view".into(),
            sql: Some("CREATE VIEW v (x, y) AS SELECT a, b FROM t WHERE a > 1".into()),
        };
        let v = view(&o, &["t".into(), "v".into()]).unwrap();
        assert_eq!(v.columns, ["x", "y"]);
        assert_eq!(
            v.sql,
            DialectText::Any("SELECT a, b FROM t WHERE a > 1".into())
        );
        assert_eq!(v.depends_on, ["t"]);
        let o = Object {
            name: "docs".into(),
            kind: "table".into(),
            sql: Some(
                "CREATE VIRTUAL TABLE docs USING fts5(title, body, tokenize = 'porter')".into(),
            ),
        };
        let vt = virtual_table(&o).unwrap();
        assert_eq!(vt.module, "fts5");
        assert_eq!(vt.arguments, ["title", "body", "tokenize = 'porter'"]);
    }
}
