//! [`lint()`]: what a DBA would flag in a schema, as text, JSON or SARIF.

use crate::definition::{SchemaDefinition, Table};
use crate::dialect::{is_reserved, Dialect};
use crate::types::ColumnType;
use serde::Serialize;
use std::fmt;

/// How serious a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing.
    Info,
    /// Likely a problem.
    Warning,
    /// A problem: `myrmex schema lint` exits non-zero.
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// A lint rule.
#[derive(Clone, Copy, Debug)]
pub struct Rule {
    /// Stable identifier (`missing-primary-key`).
    pub id: &'static str,
    /// Default severity.
    pub severity: Severity,
    /// What it checks and why.
    pub description: &'static str,
}

/// Every rule, in report order.
pub const RULES: &[Rule] = &[
    Rule { id: "missing-primary-key", severity: Severity::Error, description: "A table without a primary key cannot be replicated row by row, updated safely by tools, or deduplicated." },
    Rule { id: "float-for-money", severity: Severity::Error, description: "A money-like column (price, amount, cost, total, balance, fee, salary, …) uses real/double, which cannot hold cents exactly; use decimal(p,s)." },
    Rule { id: "mysql-index-too-wide", severity: Severity::Error, description: "On MySQL/MariaDB (utf8mb4, 4 bytes per character) an index key over 3072 bytes, or on text/blob without a prefix, is refused by InnoDB." },
    Rule { id: "foreign-key-without-index", severity: Severity::Warning, description: "The referencing columns of a foreign key do not lead any index: deletes and updates on the referenced table scan this one (PostgreSQL and SQLite do not create the index for you)." },
    Rule { id: "nullable-unique", severity: Severity::Warning, description: "A nullable column in a unique key: NULLs never collide, so duplicates slip through." },
    Rule { id: "reserved-word", severity: Severity::Warning, description: "The identifier is a reserved word in at least one engine and must be quoted in every query." },
    Rule { id: "small-identity", severity: Severity::Warning, description: "An identity column narrower than bigint runs out (2^31 rows) and is costly to widen later." },
    Rule { id: "redundant-index", severity: Severity::Warning, description: "The index's columns lead another index or key of the table, which already serves its lookups; it only costs writes." },
    Rule { id: "duplicate-foreign-key", severity: Severity::Warning, description: "Two foreign keys on the same columns referencing the same table." },
    Rule { id: "timestamp-without-time-zone", severity: Severity::Info, description: "An instant-like column (`*_at`, created, updated) uses timestamp without zone; timestamptz avoids ambiguity across zones and DST." },
    Rule { id: "mixed-case-identifier", severity: Severity::Info, description: "A mixed-case or non-plain identifier must be quoted forever on PostgreSQL; prefer snake_case." },
];

/// One finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule's id.
    pub rule: &'static str,
    /// Its severity.
    pub severity: Severity,
    /// The table.
    pub table: String,
    /// The column, index or constraint, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
    /// What is wrong and what to do.
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{}] {}", self.severity, self.rule, self.table)?;
        if let Some(i) = &self.item {
            write!(f, ".{i}")?;
        }
        write!(f, ": {}", self.message)
    }
}

fn severity(rule: &str) -> Severity {
    RULES
        .iter()
        .find(|r| r.id == rule)
        .map_or(Severity::Warning, |r| r.severity)
}

const MONEY: &[&str] = &[
    "price", "amount", "cost", "total", "balance", "fee", "salary", "wage", "payment", "money",
    "tax", "discount", "revenue", "charge", "invoice", "budget",
];

/// Lints `def` for `dialect` (`None`: rules for every dialect). Findings are sorted by
/// severity (errors first), then table.
///
/// ```
/// use myrmex_schema::{lint, SchemaDefinition, Severity};
/// let def = SchemaDefinition::from_toml_str(r#"
///   [[tables]]
///   name = "invoice"
///   columns = [{ name = "unit_price", type = "double" }]"#, "s.toml")?;
/// let found = lint(&def, None);
/// assert!(found.iter().any(|f| f.rule == "missing-primary-key" && f.severity == Severity::Error));
/// assert!(found.iter().any(|f| f.rule == "float-for-money" && f.item.as_deref() == Some("unit_price")));
/// # Ok::<(), myrmex_schema::SchemaError>(())
/// ```
pub fn lint(def: &SchemaDefinition, dialect: Option<Dialect>) -> Vec<Finding> {
    let def = def.with_names().with_resolved_refs();
    let mut out = Vec::new();
    for t in &def.tables {
        let mut add = |rule: &'static str, item: Option<&str>, message: String| {
            out.push(Finding {
                rule,
                severity: severity(rule),
                table: t.name.clone(),
                item: item.map(str::to_string),
                message,
            })
        };
        // A partition's key is its parent's.
        if t.primary_key.is_empty() && t.partition_of.is_none() {
            add(
                "missing-primary-key",
                None,
                "table has no primary key".into(),
            );
        }
        for name in std::iter::once(&t.name).chain(t.columns.iter().map(|c| &c.name)) {
            let item = (name != &t.name).then_some(name.as_str());
            if is_reserved(name) {
                add(
                    "reserved-word",
                    item,
                    format!("`{name}` is a reserved word"),
                );
            } else if Dialect::Postgres.quote(name) != *name {
                add(
                    "mixed-case-identifier",
                    item,
                    format!("`{name}` needs quoting"),
                );
            }
        }
        for c in &t.columns {
            let lname = c.name.to_ascii_lowercase();
            if matches!(c.ty, ColumnType::Real | ColumnType::Double)
                && MONEY.iter().any(|m| lname.contains(m))
            {
                add(
                    "float-for-money",
                    Some(&c.name),
                    format!(
                        "money-like column is {}; use decimal(19,4) or similar",
                        c.ty
                    ),
                );
            }
            if c.identity.is_set() && matches!(c.ty, ColumnType::SmallInt | ColumnType::Int) {
                add(
                    "small-identity",
                    Some(&c.name),
                    format!("identity column is {}; use bigint", c.ty),
                );
            }
            if c.ty == ColumnType::Timestamp
                && (lname.ends_with("_at")
                    || lname.contains("created")
                    || lname.contains("updated"))
            {
                add(
                    "timestamp-without-time-zone",
                    Some(&c.name),
                    "instant-like column without time zone; consider timestamptz".into(),
                );
            }
        }
        for u in &t.unique {
            for col in &u.columns {
                if t.column(col).is_some_and(|c| c.nullable) {
                    add(
                        "nullable-unique",
                        Some(col),
                        format!(
                            "nullable column in unique `{}`",
                            u.name.as_deref().unwrap_or_default()
                        ),
                    );
                }
            }
        }
        for ix in t
            .indexes
            .iter()
            .filter(|i| i.unique && i.predicate.is_none())
        {
            for col in ix.columns.iter().filter_map(|k| k.column.as_deref()) {
                if t.column(col).is_some_and(|c| c.nullable) {
                    add(
                        "nullable-unique",
                        Some(col),
                        format!(
                            "nullable column in unique index `{}`",
                            ix.name.as_deref().unwrap_or_default()
                        ),
                    );
                }
            }
        }
        for (i, f) in t.foreign_keys.iter().enumerate() {
            if !leads_index(t, &f.columns) {
                add(
                    "foreign-key-without-index",
                    Some(f.name.as_deref().unwrap_or_default()),
                    format!(
                        "no index starts with ({}); add one for deletes on `{}`",
                        f.columns.join(", "),
                        f.ref_table
                    ),
                );
            }
            if t.foreign_keys[..i]
                .iter()
                .any(|g| g.columns == f.columns && g.ref_table == f.ref_table)
            {
                add(
                    "duplicate-foreign-key",
                    Some(f.name.as_deref().unwrap_or_default()),
                    format!(
                        "another foreign key already covers ({})",
                        f.columns.join(", ")
                    ),
                );
            }
        }
        for ix in &t.indexes {
            let name = ix.name.as_deref().unwrap_or_default();
            if !ix.columns.iter().all(|k| k.is_plain()) {
                continue;
            }
            let ix_columns = labels(&ix.columns);
            let covered = keys(t)
                .iter()
                .filter(|(other, _)| *other != name)
                .any(|(_, cols)| cols.len() > ix_columns.len() && cols.starts_with(&ix_columns))
                || (!ix.unique
                    && ix.predicate.is_none()
                    && keys(t)
                        .iter()
                        .any(|(other, cols)| *other != name && *cols == ix_columns));
            if covered && ix.predicate.is_none() && !ix.unique {
                add(
                    "redundant-index",
                    Some(name),
                    format!(
                        "({}) already leads another index or key",
                        ix_columns.join(", ")
                    ),
                );
            }
        }
        if dialect.is_none_or(Dialect::is_mysql_family) {
            for (name, cols) in keys(t) {
                let mut bytes = 0u64;
                let mut unbounded = None;
                for c in cols.iter().filter_map(|c| t.column(c)) {
                    match c.ty {
                        ColumnType::Varchar(n) | ColumnType::Char(n) => bytes += 4 * n as u64,
                        ColumnType::Text | ColumnType::Blob | ColumnType::Json => {
                            unbounded = Some(c.name.clone())
                        }
                        _ => bytes += 8,
                    }
                }
                if let Some(col) = unbounded {
                    add("mysql-index-too-wide", Some(&name), format!("indexes {col} (text/blob/json): MySQL needs a prefix length or a varchar"));
                } else if bytes > 3072 {
                    add(
                        "mysql-index-too-wide",
                        Some(&name),
                        format!("key is up to {bytes} bytes in utf8mb4; InnoDB allows 3072"),
                    );
                }
            }
        }
    }
    out.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.table.cmp(&b.table))
    });
    out
}

/// Every key of `t` as (name, columns): primary key, unique constraints, indexes.
fn keys(t: &Table) -> Vec<(String, Vec<String>)> {
    let mut k = Vec::new();
    if !t.primary_key.is_empty() {
        k.push(("primary key".to_string(), t.primary_key.clone()));
    }
    for u in &t.unique {
        k.push((u.name.clone().unwrap_or_default(), u.columns.clone()));
    }
    for i in &t.indexes {
        k.push((i.name.clone().unwrap_or_default(), labels(&i.columns)));
    }
    k
}

/// The column names (or expression texts) of index keys.
fn labels(keys: &[crate::IndexColumn]) -> Vec<String> {
    keys.iter().map(|k| k.label().to_string()).collect()
}

fn leads_index(t: &Table, cols: &[String]) -> bool {
    keys(t)
        .iter()
        .any(|(_, k)| k.len() >= cols.len() && k[..cols.len()] == *cols)
}

/// The findings as text, one per line, with a summary.
pub fn to_text(findings: &[Finding]) -> String {
    let mut s = String::new();
    for f in findings {
        s.push_str(&f.to_string());
        s.push('\n');
    }
    let count = |sev| findings.iter().filter(|f| f.severity == sev).count();
    s.push_str(&format!(
        "{} error(s), {} warning(s), {} info\n",
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Info)
    ));
    s
}

/// The findings as a JSON array.
pub fn to_json(findings: &[Finding]) -> String {
    serde_json::to_string_pretty(findings).unwrap_or_else(|_| "[]".into())
}

/// The findings as a SARIF 2.1.0 log (GitHub code scanning, GitLab, Azure DevOps read it);
/// `artifact` is the definition file the findings point at.
pub fn to_sarif(findings: &[Finding], artifact: &str) -> String {
    let rules: Vec<serde_json::Value> = RULES
        .iter()
        .map(|r| {
            serde_json::json!({
                "id": r.id,
                "shortDescription": { "text": r.description },
                "defaultConfiguration": { "level": level(r.severity) },
            })
        })
        .collect();
    let results: Vec<serde_json::Value> = findings
        .iter()
        .map(|f| {
            let fq = match &f.item {
                Some(i) => format!("{}.{i}", f.table),
                None => f.table.clone(),
            };
            serde_json::json!({
                "ruleId": f.rule,
                "ruleIndex": RULES.iter().position(|r| r.id == f.rule).unwrap_or(0),
                "level": level(f.severity),
                "message": { "text": f.message },
                "locations": [{
                    "physicalLocation": { "artifactLocation": { "uri": artifact } },
                    "logicalLocations": [{ "fullyQualifiedName": fq, "kind": if f.item.is_some() { "member" } else { "type" } }],
                }],
            })
        })
        .collect();
    let log = serde_json::json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "myrmex",
                "informationUri": "https://example.invalid/myrmex",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
        }],
    });
    serde_json::to_string_pretty(&log).unwrap_or_default()
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_what_a_dba_would() {
        let def = SchemaDefinition::from_toml_str(
            r#"
            [[tables]]
            name = "customer"
            primary_key = ["id"]
            columns = [{ name = "id", type = "int", identity = true }, { name = "email", type = "varchar(900)" }]
            unique = [{ columns = ["email"] }]
            [[tables]]
            name = "order"
            primary_key = ["id"]
            columns = [{ name = "id", type = "bigint" }, { name = "customer_id", type = "int" }, { name = "created_at", type = "timestamp" }]
            foreign_keys = [{ columns = ["customer_id"], ref_table = "customer" }]
            indexes = [{ columns = ["id"] }]
        "#,
            "t.toml",
        )
        .unwrap();
        let f = lint(&def, Some(Dialect::Mysql));
        let has = |rule: &str, item: &str| {
            f.iter()
                .any(|x| x.rule == rule && x.item.as_deref().unwrap_or(&x.table) == item)
        };
        assert!(has("mysql-index-too-wide", "customer_email_key"), "{f:#?}");
        assert!(has("nullable-unique", "email"));
        assert!(has("small-identity", "id"));
        assert!(has("reserved-word", "order"));
        assert!(has("foreign-key-without-index", "order_customer_id_fkey"));
        assert!(has("redundant-index", "order_id_idx"));
        assert!(has("timestamp-without-time-zone", "created_at"));
        assert!(!f.iter().any(|x| x.rule == "missing-primary-key"));
        let sarif: serde_json::Value = serde_json::from_str(&to_sarif(&f, "t.toml")).unwrap();
        assert_eq!(sarif["version"], "2.1.0");
        assert_eq!(
            sarif["runs"][0]["results"].as_array().unwrap().len(),
            f.len()
        );
        assert_eq!(f[0].severity, Severity::Error);
    }
}
