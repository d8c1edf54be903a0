//! [`SchemaError`]: everything schema work can fail with; every message names the table (and
//! column or constraint) at fault.

use crate::dialect::Dialect;
use std::fmt;

/// One problem found by validation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The table at fault (empty for schema-wide problems).
    pub table: String,
    /// The column, constraint or index at fault, when there is one.
    pub item: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.table, &self.item) {
            (t, _) if t.is_empty() => write!(f, "{}", self.message),
            (t, Some(i)) => write!(f, "table `{t}`, {i}: {}", self.message),
            (t, None) => write!(f, "table `{t}`: {}", self.message),
        }
    }
}

/// A schema error.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// The definition could not be read (file, line and key where known).
    #[error("{source_name}: {message}")]
    Parse {
        /// File name, or `definition` for an in-memory value.
        source_name: String,
        /// The parser's message (with line and column for TOML/JSON).
        message: String,
    },
    /// The definition is not valid; every problem found is listed.
    #[error("invalid schema definition:\n{}", list(.0))]
    Invalid(Vec<Problem>),
    /// The dialect cannot express something the definition asks for.
    #[error("{dialect} cannot express table `{table}`: {what}")]
    Unsupported {
        /// Target dialect.
        dialect: Dialect,
        /// The table.
        table: String,
        /// What, naming the column, constraint or index.
        what: String,
    },
    /// A dialect name that is not one of sqlite, postgres, mysql, mariadb.
    #[error("unknown dialect `{0}` (expected sqlite, postgres, mysql or mariadb)")]
    UnknownDialect(String),
    /// A conversion rule that cannot be read.
    #[error("{source_name}: cast rule `{rule}`: {message}")]
    CastRule {
        /// Where the rule came from (`--cast` or the rules file).
        source_name: String,
        /// The rule as written.
        rule: String,
        /// What is wrong with it.
        message: String,
    },
    /// Objects a conversion cannot translate without a user decision, each line naming the
    /// object (kind and name) and why.
    #[error("cannot convert {from} to {to} without a decision on:\n{}", lines(.refused))]
    ConversionRefused {
        /// Source dialect.
        from: Dialect,
        /// Target dialect.
        to: Dialect,
        /// One line per refused object.
        refused: Vec<String>,
    },
    /// A strict conversion that would lose something; every loss is listed.
    #[error("strict conversion {from} to {to} would lose:\n{}", lines(.losses))]
    ConversionLoss {
        /// Source dialect.
        from: Dialect,
        /// Target dialect.
        to: Dialect,
        /// One line per loss, naming the object.
        losses: Vec<String>,
    },
}

fn lines(items: &[String]) -> String {
    items
        .iter()
        .map(|l| format!("  - {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn list(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("  - {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}
