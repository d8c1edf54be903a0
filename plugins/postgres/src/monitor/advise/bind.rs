//! Parameters (`$n`, `?`) of a statement replaced by literals, so that the planner can
//! explain it: each one that stands for a value of a column (an equality, an `IN` list, an
//! assignment) gets a typical value of that column from `pg_stats` (the middle bound of its
//! histogram, else its most common value). A parameter standing for anything else (a range
//! bound, a `LIMIT`) cannot be bound without guessing: the statement is left out.

use super::super::get;
use super::super::predicate::Shape;
use crate::session::Session;
use myrmex_plugin::PluginError;
use std::collections::HashMap;

/// A statement with its parameters replaced by literals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bound {
    /// The statement to explain.
    pub sql: String,
    /// The columns whose typical values were bound, with those values (quoted).
    pub values: Vec<(String, String)>,
}

/// `sql` with every parameter bound, or `None` when one cannot be. `schema` and `table`
/// name the statement's table as the server does (unquoted).
pub fn bind(
    session: &Session,
    sql: &str,
    shape: &Shape,
    schema: &str,
    table: &str,
) -> Result<Option<Bound>, PluginError> {
    let mut typical: HashMap<&str, Option<String>> = HashMap::new();
    let mut values = Vec::new();
    for p in &shape.parameters {
        let Some(column) = p.column.as_deref() else {
            return Ok(None);
        };
        if !typical.contains_key(column) {
            let v = typical_value(session, schema, table, column)?;
            if let Some(v) = &v {
                values.push((column.to_string(), v.clone()));
            }
            typical.insert(column, v);
        }
    }
    let literals: Option<Vec<&str>> = shape
        .parameters
        .iter()
        .map(|p| {
            p.column
                .as_deref()
                .and_then(|c| typical.get(c).and_then(|v| v.as_deref()))
        })
        .collect();
    let Some(literals) = literals else {
        return Ok(None);
    };
    let spans: Vec<_> = shape.parameters.iter().map(|p| p.span.clone()).collect();
    Ok(Some(Bound {
        sql: replace(sql, &spans, &literals),
        values,
    }))
}

/// `sql` with each span replaced by its literal (spans in order, not overlapping).
pub fn replace(sql: &str, spans: &[std::ops::Range<usize>], literals: &[&str]) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut at = 0;
    for (span, literal) in spans.iter().zip(literals) {
        out.push_str(&sql[at..span.start]);
        out.push_str(literal);
        at = span.end;
    }
    out.push_str(&sql[at..]);
    out
}

/// A typical value of the column as a quoted literal (`quote_literal`), from `pg_stats`.
fn typical_value(
    session: &Session,
    schema: &str,
    table: &str,
    column: &str,
) -> Result<Option<String>, PluginError> {
    let rows = session.rows(
        "SELECT quote_literal(COALESCE(h[array_length(h, 1) / 2 + 1], m[1])) FROM ( \
           SELECT histogram_bounds::text::text[] AS h, most_common_vals::text::text[] AS m \
           FROM pg_catalog.pg_stats \
           WHERE schemaname = $1 AND tablename = $2 AND attname = $3 \
           ORDER BY inherited LIMIT 1) s",
        &[&schema, &table, &column],
    )?;
    match rows.first() {
        Some(r) => get(r, 0),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::replace;

    #[test]
    fn spans_are_replaced_in_place() {
        let sql = "SELECT * FROM t WHERE a = $1 AND b IN ($2, ?)";
        let spans = [26..28, 39..41, 43..44];
        assert_eq!(
            replace(sql, &spans, &["'1'", "'x'", "'y'"]),
            "SELECT * FROM t WHERE a = '1' AND b IN ('x', 'y')"
        );
    }
}
