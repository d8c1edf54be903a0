//! [`SchemaDefinition`]: tables, columns and constraints, as written in TOML, JSON or a Rhai map.

use crate::types::ColumnType;
use serde::{Deserialize, Serialize};

/// A whole schema: the tables it holds, in any order (generation orders them so foreign keys
/// resolve).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchemaDefinition {
    /// The tables.
    #[serde(default)]
    pub tables: Vec<Table>,
}

/// One table.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Table {
    /// Table name, as the engine should spell it (quoted when needed).
    pub name: String,
    /// Columns in table order.
    pub columns: Vec<Column>,
    /// Primary key columns in key order (empty: no primary key).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub primary_key: Vec<String>,
    /// UNIQUE constraints.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unique: Vec<Unique>,
    /// Foreign keys.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub foreign_keys: Vec<ForeignKey>,
    /// CHECK constraints.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<Check>,
    /// Indexes (besides those backing the primary key and unique constraints).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub indexes: Vec<Index>,
    /// Table comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// One column.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Column {
    /// Column name.
    pub name: String,
    /// Portable type (`int`, `varchar(80)`, `decimal(12,2)`, …) or a per-dialect raw type.
    #[serde(rename = "type")]
    pub ty: ColumnType,
    /// NULL allowed (default true, as in SQL).
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub nullable: bool,
    /// Default value (`default_value` is accepted too: `default` is reserved in Rhai).
    #[serde(
        default,
        alias = "default_value",
        skip_serializing_if = "Option::is_none"
    )]
    pub default: Option<DefaultValue>,
    /// Identity / auto-increment.
    #[serde(default, skip_serializing_if = "is_false")]
    pub identity: bool,
    /// Column comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

impl Column {
    /// A nullable column of `ty` with nothing else set.
    pub fn new(name: &str, ty: ColumnType) -> Self {
        Column {
            name: name.to_string(),
            ty,
            nullable: true,
            default: None,
            identity: false,
            comment: None,
        }
    }
}

/// A column default: a literal value, or an SQL expression (`{ expr = "CURRENT_TIMESTAMP" }`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum DefaultValue {
    /// An SQL expression, written as the engine should evaluate it.
    Expr {
        /// The expression text.
        expr: String,
    },
    /// TRUE / FALSE.
    Bool(bool),
    /// An integer literal.
    Int(i64),
    /// A floating-point literal.
    Float(f64),
    /// A string literal (also how dates, decimals and JSON are written).
    Text(String),
}

/// A UNIQUE constraint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unique {
    /// Constraint name (generated as `<table>_<columns>_key` when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Columns.
    pub columns: Vec<String>,
}

/// A foreign key.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForeignKey {
    /// Constraint name (generated as `<table>_<columns>_fkey` when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Referencing columns.
    pub columns: Vec<String>,
    /// Referenced table.
    pub ref_table: String,
    /// Referenced columns (the referenced table's primary key when empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ref_columns: Vec<String>,
    /// ON DELETE action.
    #[serde(default, skip_serializing_if = "FkAction::is_default")]
    pub on_delete: FkAction,
    /// ON UPDATE action.
    #[serde(default, skip_serializing_if = "FkAction::is_default")]
    pub on_update: FkAction,
}

/// A referential action.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum FkAction {
    /// NO ACTION (the SQL default).
    #[default]
    #[serde(rename = "no action", alias = "NO ACTION")]
    NoAction,
    /// RESTRICT.
    #[serde(rename = "restrict", alias = "RESTRICT")]
    Restrict,
    /// CASCADE.
    #[serde(rename = "cascade", alias = "CASCADE")]
    Cascade,
    /// SET NULL.
    #[serde(rename = "set null", alias = "SET NULL")]
    SetNull,
    /// SET DEFAULT.
    #[serde(rename = "set default", alias = "SET DEFAULT")]
    SetDefault,
}

impl FkAction {
    /// The SQL spelling.
    pub fn sql(self) -> &'static str {
        match self {
            FkAction::NoAction => "NO ACTION",
            FkAction::Restrict => "RESTRICT",
            FkAction::Cascade => "CASCADE",
            FkAction::SetNull => "SET NULL",
            FkAction::SetDefault => "SET DEFAULT",
        }
    }

    /// Parses the SQL spelling (any case).
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.trim().to_ascii_uppercase().as_str() {
            "NO ACTION" | "" => FkAction::NoAction,
            "RESTRICT" => FkAction::Restrict,
            "CASCADE" => FkAction::Cascade,
            "SET NULL" => FkAction::SetNull,
            "SET DEFAULT" => FkAction::SetDefault,
            _ => return None,
        })
    }

    fn is_default(&self) -> bool {
        *self == FkAction::NoAction
    }
}

/// A CHECK constraint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    /// Constraint name (generated as `<table>_check<N>` when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The boolean SQL expression.
    pub expr: String,
}

/// An index.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Index {
    /// Index name (generated as `<table>_<columns>_idx` when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Indexed columns in order.
    pub columns: Vec<String>,
    /// UNIQUE index.
    #[serde(default, skip_serializing_if = "is_false")]
    pub unique: bool,
    /// Predicate of a partial index (PostgreSQL, SQLite).
    #[serde(default, rename = "where", skip_serializing_if = "Option::is_none")]
    pub predicate: Option<String>,
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl SchemaDefinition {
    /// The table called `name`.
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.name == name)
    }

    /// Fills every constraint and index name left empty with the generated one, so that the
    /// definition names exactly what the engine will hold.
    pub fn with_names(&self) -> SchemaDefinition {
        let mut def = self.clone();
        for t in &mut def.tables {
            let table = t.name.clone();
            for u in &mut t.unique {
                u.name
                    .get_or_insert_with(|| format!("{table}_{}_key", u.columns.join("_")));
            }
            for f in &mut t.foreign_keys {
                f.name
                    .get_or_insert_with(|| format!("{table}_{}_fkey", f.columns.join("_")));
            }
            for (i, c) in t.checks.iter_mut().enumerate() {
                c.name
                    .get_or_insert_with(|| format!("{table}_check{}", i + 1));
            }
            for ix in &mut t.indexes {
                ix.name
                    .get_or_insert_with(|| format!("{table}_{}_idx", ix.columns.join("_")));
            }
        }
        def
    }

    /// Fills foreign keys' empty `ref_columns` with the referenced table's primary key.
    pub fn with_resolved_refs(mut self) -> SchemaDefinition {
        let pks: Vec<(String, Vec<String>)> = self
            .tables
            .iter()
            .map(|t| (t.name.clone(), t.primary_key.clone()))
            .collect();
        for t in &mut self.tables {
            for f in &mut t.foreign_keys {
                if f.ref_columns.is_empty() {
                    if let Some((_, pk)) = pks.iter().find(|(n, _)| *n == f.ref_table) {
                        f.ref_columns = pk.clone();
                    }
                }
            }
        }
        self
    }
}

impl Table {
    /// The column called `name`.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}
