//! Sensitive data at rest: password, secret and token columns holding values that are not
//! hashes, and columns holding payment card numbers. Values are sampled (at most
//! `sample_rows` rows per table) and never copied into a finding.

use super::values::{card_like, card_name, holds_numbers, is_text, looks_hashed, secret_name};
use myrmex_plugin::audit::{AuditTarget, Finding, HostConnection, Rule, Severity};
use myrmex_plugin::schema::{Column, Table};
use myrmex_plugin::sql::quote_ident;
use myrmex_plugin::{ErrorKind, PluginError};

/// A secret column whose values are not hashes.
pub const PLAINTEXT_PASSWORD_COLUMN: Rule = Rule {
    id: "plaintext-password-column",
    severity: Severity::HIGH,
    target: AuditTarget::CONNECTION,
    summary: "A password, secret, token or API key column whose values do not look like \
              hashes: they are probably stored in plain text.",
    remedy: "Store passwords as a slow salted hash (argon2, bcrypt, scrypt); keep only a hash \
             of tokens and keys, or encrypt what must be read back.",
};

/// A column holding payment card numbers.
pub const CARD_NUMBER_COLUMN: Rule = Rule {
    id: "card-number-column",
    severity: Severity::HIGH,
    target: AuditTarget::CONNECTION,
    summary: "A column named for, or holding, payment card numbers: stored in the clear they \
              expose cardholders and break PCI DSS.",
    remedy: "Keep the payment provider's token and the last four digits instead, or encrypt \
             the column with keys held outside the database.",
};

/// The rules of this module.
pub const RULES: &[Rule] = &[PLAINTEXT_PASSWORD_COLUMN, CARD_NUMBER_COLUMN];

/// What one table's columns are checked for.
struct Plan<'t> {
    /// Text columns named like secrets.
    secrets: Vec<&'t Column>,
    /// Columns named like card numbers.
    card_named: Vec<&'t Column>,
    /// The columns whose values are sampled: every text column.
    sampled: Vec<&'t Column>,
}

impl<'t> Plan<'t> {
    fn of(t: &'t Table) -> Self {
        Plan {
            secrets: t
                .columns
                .iter()
                .filter(|c| is_text(&c.ty) && secret_name(&c.name))
                .collect(),
            card_named: t
                .columns
                .iter()
                .filter(|c| holds_numbers(&c.ty) && card_name(&c.name))
                .collect(),
            sampled: t.columns.iter().filter(|c| is_text(&c.ty)).collect(),
        }
    }
}

/// Adds what the tables show to `found`, sampling values through `conn` (names quoted with
/// `quote`).
pub fn check(
    conn: &mut HostConnection<'_>,
    tables: &[Table],
    quote: char,
    sample_rows: u32,
    found: &mut Vec<Finding>,
) -> Result<(), PluginError> {
    for t in tables {
        let plan = Plan::of(t);
        let samples = if plan.sampled.is_empty() || sample_rows == 0 {
            Some(Vec::new())
        } else {
            sample(conn, t, &plan.sampled, quote, sample_rows)?
        };
        let denied = samples.is_none();
        let samples = samples.unwrap_or_default();
        let values = |c: &Column| -> Vec<&str> {
            plan.sampled
                .iter()
                .position(|s| s.name == c.name)
                .map(|i| {
                    samples
                        .iter()
                        .filter_map(|row| row.get(i).and_then(|v| v.as_deref()))
                        .filter(|v| !v.trim().is_empty())
                        .collect()
                })
                .unwrap_or_default()
        };
        for c in &plan.secrets {
            found.extend(secret_finding(&t.name, &c.name, &values(c), denied));
        }
        for c in &t.columns {
            let named = plan.card_named.iter().any(|n| n.name == c.name);
            found.extend(card_finding(&t.name, &c.name, named, &values(c)));
        }
    }
    Ok(())
}

/// Up to `limit` rows of `columns` of `t`, as text; `None` when the table may not be read.
fn sample(
    conn: &mut HostConnection<'_>,
    t: &Table,
    columns: &[&Column],
    quote: char,
    limit: u32,
) -> Result<Option<Vec<Vec<Option<String>>>>, PluginError> {
    let cols: Vec<String> = columns
        .iter()
        .map(|c| quote_ident(&c.name, quote))
        .collect();
    let sql = format!(
        "SELECT {} FROM {} LIMIT {limit}",
        cols.join(", "),
        quote_ident(&t.name, quote)
    );
    match conn.text_rows(&sql) {
        Ok(rows) => Ok(Some(rows)),
        Err(e) if e.kind == ErrorKind::PERMISSION => Ok(None),
        Err(e) => Err(e),
    }
}

/// The `plaintext-password-column` finding for `table.column` with its sampled `values`
/// (`denied`: the table could not be read).
fn secret_finding(table: &str, column: &str, values: &[&str], denied: bool) -> Option<Finding> {
    let object = format!("{table}.{column}");
    if values.is_empty() {
        let why = if denied {
            "may not be read"
        } else {
            "has no values to sample"
        };
        let mut f = PLAINTEXT_PASSWORD_COLUMN.finding(
            &object,
            format!("{object} is named like a secret but {why}: cannot tell whether its values are hashed"),
        );
        f.severity = Severity::LOW;
        return Some(f);
    }
    let plain = values.iter().filter(|v| !looks_hashed(v)).count();
    (plain > 0).then(|| {
        PLAINTEXT_PASSWORD_COLUMN.finding(
            &object,
            format!(
                "{object} holds values that do not look like hashes ({plain} of {} sampled)",
                values.len()
            ),
        )
    })
}

/// The `card-number-column` finding for `table.column`: named like one (`named`), or with
/// at least half of its sampled `values` card numbers.
fn card_finding(table: &str, column: &str, named: bool, values: &[&str]) -> Option<Finding> {
    let object = format!("{table}.{column}");
    let cards = values.iter().filter(|v| card_like(v)).count();
    let held = cards > 0 && cards * 2 >= values.len();
    let evidence = format!(
        "{cards} of {} sampled values are card numbers",
        values.len()
    );
    let message = match (named, held) {
        (true, true) => format!("{object} is named for card numbers and {evidence}"),
        (true, false) => format!("{object} is named for card numbers"),
        (false, true) => format!("{object} holds card numbers: {evidence}"),
        (false, false) => return None,
    };
    Some(CARD_NUMBER_COLUMN.finding(&object, message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_columns_by_their_values() {
        let f = secret_finding("users", "password", &["hunter2", "$2b$12$abc"], false).unwrap();
        assert_eq!(f.severity, Severity::HIGH);
        assert_eq!(
            f.message,
            "users.password holds values that do not look like hashes (1 of 2 sampled)"
        );
        assert!(!f.message.contains("hunter2"));
        assert!(secret_finding("users", "password", &["$argon2id$x", "$2y$10$x"], false).is_none());
        let f = secret_finding("users", "password", &[], false).unwrap();
        assert_eq!(f.severity, Severity::LOW);
        assert!(
            f.message.contains("no values to sample: cannot tell"),
            "{}",
            f.message
        );
        let f = secret_finding("users", "password", &[], true).unwrap();
        assert!(f.message.contains("may not be read"), "{}", f.message);
    }

    #[test]
    fn card_columns_by_name_or_values() {
        let f = card_finding("p", "card_number", true, &["4111111111111111"]).unwrap();
        assert_eq!(
            f.message,
            "p.card_number is named for card numbers and 1 of 1 sampled values are card numbers"
        );
        let f = card_finding("p", "note", false, &["4111111111111111", "x"]).unwrap();
        assert_eq!(
            f.message,
            "p.note holds card numbers: 1 of 2 sampled values are card numbers"
        );
        assert!(card_finding("p", "note", false, &["4111111111111111", "x", "y"]).is_none());
        assert!(card_finding("p", "note", false, &[]).is_none());
        assert!(card_finding("p", "pan", true, &[]).is_some());
    }
}
