//! # myrmex-schema — one schema definition, three engines
//!
//! A [`SchemaDefinition`] (tables, columns, keys, constraints, indexes, comments) is written
//! once — as TOML, JSON or a Rhai map — and this crate:
//! - validates it, naming the table and column of every problem ([`validate()`]);
//! - generates DDL for SQLite, PostgreSQL, MySQL and MariaDB ([`SchemaGenerator`],
//!   [`generate_schema`]), ordering tables so foreign keys resolve;
//! - computes the ordered statements that migrate one definition to another ([`diff()`]);
//! - lints it the way a DBA would ([`lint()`]), with text, JSON and SARIF reports.
//!
//! Reading a live database back into a definition needs a connection, so it lives in
//! `myrmex-core` (`DatabaseConnection::schema`). This crate touches no database.
//!
//! ```
//! use myrmex_schema::{Dialect, SchemaDefinition};
//!
//! let def = SchemaDefinition::from_toml_str(r#"
//!     [[tables]]
//!     name = "t"
//!     primary_key = ["id"]
//!     columns = [{ name = "id", type = "int" }, { name = "note", type = "text" }]
//! "#, "schema.toml")?;
//! let ddl = myrmex_schema::generate_schema(&def, Dialect::Mysql)?;
//! assert!(ddl.starts_with("CREATE TABLE t (\n  id INT NOT NULL,\n  note LONGTEXT,"));
//! # Ok::<(), myrmex_schema::SchemaError>(())
//! ```

pub mod convert;
mod definition;
pub mod dialect;
pub mod diff;
mod error;
mod generate;
pub mod lint;
pub mod normalize;
pub mod sqlite_ddl;
mod types;
mod validate;

pub use definition::{
    Check, Column, DefaultValue, Deferrable, DialectText, Domain, EnumType, Event, Exclude,
    Extension, FkAction, ForeignKey, Generated, Grant, Identity, Index, IndexColumn, Namespace,
    Partition, PartitionOf, Policy, Routine, SchemaDefinition, Sequence, SequenceOptions, Table,
    Trigger, Unique, Unsupported, View, VirtualTable,
};
pub use dialect::Dialect;
pub use diff::{diff, Change};
pub use error::{Problem, SchemaError};
pub use generate::{generate_schema, script, SchemaGenerator};
pub use lint::{lint, Finding, Severity};
pub use types::ColumnType;
pub use validate::{problems, validate};

use std::path::Path;

impl SchemaDefinition {
    /// Parses TOML text; errors name `source_name` with the line, column and key.
    pub fn from_toml_str(text: &str, source_name: &str) -> Result<Self, SchemaError> {
        toml::from_str(text).map_err(|e| SchemaError::Parse {
            source_name: source_name.to_string(),
            message: toml_message(text, &e),
        })
    }

    /// Parses JSON text; errors name `source_name` with the line and column.
    pub fn from_json_str(text: &str, source_name: &str) -> Result<Self, SchemaError> {
        serde_json::from_str(text).map_err(|e| SchemaError::Parse {
            source_name: source_name.to_string(),
            message: e.to_string(),
        })
    }

    /// Reads a `.toml` or `.json` file (by extension; TOML otherwise).
    pub fn load(path: &Path) -> Result<Self, SchemaError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| SchemaError::Parse {
            source_name: name.clone(),
            message: e.to_string(),
        })?;
        if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"))
        {
            Self::from_json_str(&text, &name)
        } else {
            Self::from_toml_str(&text, &name)
        }
    }

    /// The definition as pretty TOML.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_else(|e| format!("# cannot render as TOML: {e}\n"))
    }

    /// The definition as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }
}

/// `line L, column C: message` from a TOML error.
fn toml_message(text: &str, e: &toml::de::Error) -> String {
    let msg = e.message().to_string();
    match e.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
            format!("line {line}, column {col}: {msg}")
        }
        None => msg,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_errors_name_file_line_and_key() {
        let err = SchemaDefinition::from_toml_str(
            "[[tables]]\nname = \"t\"\ncolumns = [{ name = \"a\", type = \"integr\" }]\n",
            "s.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("s.toml: line 3"), "{err}");
        assert!(err.contains("unknown type `integr`"), "{err}");
        let err =
            SchemaDefinition::from_toml_str("[[tables]]\nname = \"t\"\ncolums = []\n", "s.toml")
                .unwrap_err()
                .to_string();
        assert!(err.contains("line 3") && err.contains("colums"), "{err}");
    }
}
