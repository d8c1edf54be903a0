//! Qualified names and per-dialect texts: how objects living in a schema (PostgreSQL) or
//! database (MySQL/MariaDB) are named in DDL and matched between two definitions.

use crate::definition::{DialectText, Table};
use crate::dialect::Dialect;

/// `schema.name` quoted for `d`, or just the quoted name when there is no schema.
pub fn qualified(d: Dialect, schema: Option<&str>, name: &str) -> String {
    match schema.filter(|s| !s.is_empty()) {
        Some(s) => format!("{}.{}", d.quote(s), d.quote(name)),
        None => d.quote(name),
    }
}

/// The matching key of an object: `schema.name`, or `name` in the default schema.
pub fn key(schema: Option<&str>, name: &str) -> String {
    match schema.filter(|s| !s.is_empty()) {
        Some(s) => format!("{s}.{name}"),
        None => name.to_string(),
    }
}

/// Splits `schema.name` (as written in `depends_on`, `inherits`, `owned_by`) into its parts;
/// a name without a dot is in the default schema.
pub fn split(qualified: &str) -> (Option<&str>, &str) {
    match qualified.rsplit_once('.') {
        Some((s, n)) => (Some(s), n),
        None => (None, qualified),
    }
}

/// A reference written as `name` or `schema.name`, quoted for `d`.
pub fn quote_ref(d: Dialect, reference: &str) -> String {
    let (s, n) = split(reference);
    qualified(d, s, n)
}

impl Table {
    /// The table's matching key (`schema.name`, or `name` in the default schema).
    pub fn key(&self) -> String {
        key(self.schema.as_deref(), &self.name)
    }

    /// The table's name in DDL for `d`, schema-qualified when it has a schema.
    pub fn sql_name(&self, d: Dialect) -> String {
        qualified(d, self.schema.as_deref(), &self.name)
    }
}

impl DialectText {
    /// The text for `d`: the single text, or the dialect's own entry (MariaDB falls back to
    /// `mysql`); `None` when the text names other dialects only.
    pub fn for_dialect(&self, d: Dialect) -> Option<&str> {
        match self {
            DialectText::Any(s) => Some(s.as_str()),
            DialectText::PerDialect(m) => m
                .get(d.name())
                .or_else(|| (d == Dialect::Mariadb).then(|| m.get("mysql")).flatten())
                .map(String::as_str),
        }
    }

    /// The dialect names a per-dialect text lists (empty for a single text).
    pub fn dialect_names(&self) -> Vec<&str> {
        match self {
            DialectText::Any(_) => Vec::new(),
            DialectText::PerDialect(m) => m.keys().map(String::as_str).collect(),
        }
    }
}

/// A statement's text without surrounding whitespace and trailing semicolons.
pub fn statement_text(s: &str) -> &str {
    s.trim().trim_end_matches(';').trim_end()
}

/// The comparison key of stored source text (routines, triggers, events, views): whitespace
/// runs collapsed to one space, trailing semicolons dropped.
pub fn text_key(s: &str) -> String {
    statement_text(s)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qualified_names_and_texts() {
        assert_eq!(
            qualified(Dialect::Postgres, Some("Sales"), "order"),
            "\"Sales\".\"order\""
        );
        assert_eq!(quote_ref(Dialect::Mysql, "shop.t"), "shop.t");
        assert_eq!(split("t"), (None, "t"));
        let t: DialectText = serde_json::from_str(
            r#"{"mysql": "CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO SELECT 1"}"#,
        )
        .unwrap();
        assert!(t.for_dialect(Dialect::Mariadb).is_some());
        assert!(t.for_dialect(Dialect::Postgres).is_none());
        assert_eq!(text_key(" select  1\n from t ;"), "select 1 from t");
    }
}
