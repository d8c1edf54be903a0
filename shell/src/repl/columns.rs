//! Column completion: where in a statement a column name goes, and which tables the
//! statement names (their columns come from `describe`, loaded when first needed).

/// Keywords after which a column name is expected.
const COLUMN_CONTEXT: [&str; 10] = [
    "SELECT", "WHERE", "AND", "OR", "ON", "SET", "BY", "HAVING", "NOT", "DISTINCT",
];

/// Keywords that end a column context or introduce table names.
const OTHER_CONTEXT: [&str; 12] = [
    "FROM",
    "JOIN",
    "INTO",
    "UPDATE",
    "TABLE",
    "VALUES",
    "LIMIT",
    "OFFSET",
    "AS",
    "USING",
    "RETURNING",
    "DESCRIBE",
];

/// Keywords that may follow a table name (so they are not taken for an alias or a table).
const AFTER_TABLE: [&str; 14] = [
    "WHERE", "JOIN", "LEFT", "RIGHT", "INNER", "OUTER", "CROSS", "ON", "GROUP", "ORDER", "LIMIT",
    "SET", "HAVING", "UNION",
];

fn words(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    for (i, c) in text.char_indices() {
        let word_char = c.is_alphanumeric() || c == '_' || c == '.';
        match (word_char, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push(&text[s..i]);
                start = None;
            }
            _ => {}
        }
        if c == ',' || c == '(' || c == ')' {
            out.push(&text[i..i + 1]);
        }
    }
    if let Some(s) = start {
        out.push(&text[s..]);
    }
    out
}

/// True when the text before the word being completed puts it where a column goes
/// (after `SELECT`, `WHERE`, `AND`, `ON`, `SET`, `ORDER BY`, …).
pub fn wants_columns(before: &str) -> bool {
    for w in words(before).iter().rev() {
        let u = w.to_ascii_uppercase();
        if COLUMN_CONTEXT.contains(&u.as_str()) {
            return true;
        }
        if OTHER_CONTEXT.contains(&u.as_str()) {
            return false;
        }
    }
    false
}

/// The tables a statement names after `FROM` (and its comma list), `JOIN`, `UPDATE` and
/// `INTO`, in order, without repeats.
pub fn tables_named(stmt: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut expect_table = false;
    let mut in_from = false;
    let mut after_table = false;
    for w in words(stmt) {
        let u = w.to_ascii_uppercase();
        match u.as_str() {
            "FROM" => {
                expect_table = true;
                in_from = true;
            }
            "JOIN" | "UPDATE" | "INTO" => {
                expect_table = true;
                in_from = false;
            }
            "," if in_from => expect_table = true,
            "(" | ")" | "," => after_table = false,
            _ if AFTER_TABLE.contains(&u.as_str()) || COLUMN_CONTEXT.contains(&u.as_str()) => {
                in_from = false;
                expect_table = false;
                after_table = false;
            }
            _ if expect_table => {
                if !out.iter().any(|t| t == w) {
                    out.push(w.to_string());
                }
                expect_table = false;
                after_table = true;
            }
            // An alias after a table name.
            _ if after_table => after_table = false,
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_context() {
        assert!(wants_columns("SELECT "));
        assert!(wants_columns("SELECT id, "));
        assert!(wants_columns("SELECT * FROM t WHERE "));
        assert!(wants_columns("SELECT * FROM t WHERE a = 1 AND "));
        assert!(wants_columns("SELECT * FROM t ORDER BY "));
        assert!(wants_columns("UPDATE t SET "));
        assert!(wants_columns("SELECT * FROM a JOIN b ON "));
        assert!(!wants_columns("SELECT * FROM "));
        assert!(!wants_columns("INSERT INTO "));
    }

    #[test]
    fn tables_of_a_statement() {
        assert_eq!(
            tables_named("SELECT * FROM customers WHERE "),
            ["customers"]
        );
        assert_eq!(
            tables_named("SELECT  FROM a x, b AS y JOIN c ON x.id = c.id"),
            ["a", "b", "c"]
        );
        assert_eq!(tables_named("UPDATE t SET a = 1"), ["t"]);
        assert_eq!(
            tables_named("select n from public.t order by n"),
            ["public.t"]
        );
    }
}
