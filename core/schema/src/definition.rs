//! [`SchemaDefinition`]: tables, columns and constraints, as written in TOML, JSON or a Rhai map.

use crate::types::ColumnType;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A whole schema: the tables it holds, in any order (generation orders them so foreign keys
/// resolve).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchemaDefinition {
    /// Schemas (PostgreSQL) or databases (MySQL/MariaDB) the definition creates besides the
    /// connection's default one. Objects name theirs in their own `schema` field.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schemas: Vec<Namespace>,
    /// Extensions (PostgreSQL), created before everything else.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extensions: Vec<Extension>,
    /// Enum types (PostgreSQL `CREATE TYPE … AS ENUM`; MySQL/MariaDB spell enums as column
    /// types instead).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub enums: Vec<EnumType>,
    /// Domains (PostgreSQL).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub domains: Vec<Domain>,
    /// Sequences, standalone or owned by a column (`serial`); identity columns are not here.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sequences: Vec<Sequence>,
    /// The tables.
    #[serde(default)]
    pub tables: Vec<Table>,
    /// Views and materialized views.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub views: Vec<View>,
    /// Functions and procedures, as source text.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub routines: Vec<Routine>,
    /// Triggers, as source text.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub triggers: Vec<Trigger>,
    /// Scheduled events (MySQL/MariaDB), as source text.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<Event>,
    /// Virtual tables (SQLite modules such as FTS5); their shadow tables are not listed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub virtual_tables: Vec<VirtualTable>,
    /// Privileges; compared by `diff` only when asked to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grants: Vec<Grant>,
    /// What the engine held that this definition cannot express, by kind and name. Written by
    /// inspection so that a reader (and `diff`) knows the definition is not the whole database;
    /// never generated.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unsupported: Vec<Unsupported>,
}

/// An SQL text written once, or per dialect (`{ postgres = "…", mysql = "…" }`); a per-dialect
/// text is only valid for the dialects it names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum DialectText {
    /// The same text for every dialect.
    Any(String),
    /// Text by dialect name (`sqlite`, `postgres`, `mysql`, `mariadb`).
    PerDialect(std::collections::BTreeMap<String, String>),
}

/// A schema (PostgreSQL) or database (MySQL/MariaDB) to create.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Namespace {
    /// Its name.
    pub name: String,
    /// Comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// A PostgreSQL extension.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Extension {
    /// Extension name (`pgcrypto`, `hstore`, …).
    pub name: String,
    /// Schema its objects live in (the default schema when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Version (`ALTER EXTENSION … UPDATE TO` when it changes); any when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// An enum type and its labels, in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnumType {
    /// Schema (the default one when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Type name.
    pub name: String,
    /// Labels in sort order.
    pub labels: Vec<String>,
    /// Comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// A domain: a base type with a default, nullability and checks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Domain {
    /// Schema (the default one when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Domain name.
    pub name: String,
    /// Base type.
    #[serde(rename = "type")]
    pub ty: ColumnType,
    /// NULL allowed.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub nullable: bool,
    /// Default value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<DefaultValue>,
    /// Collation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collation: Option<String>,
    /// CHECK constraints (`VALUE` names the value).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<Check>,
    /// Comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// The options of a sequence or an identity column; absent options take the engine's
/// defaults.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SequenceOptions {
    /// Value type (`smallint`, `int`, `bigint`).
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub ty: Option<ColumnType>,
    /// START WITH.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<i64>,
    /// INCREMENT BY.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub increment: Option<i64>,
    /// MINVALUE.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_value: Option<i64>,
    /// MAXVALUE.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_value: Option<i64>,
    /// CACHE.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache: Option<i64>,
    /// CYCLE.
    #[serde(default, skip_serializing_if = "is_false")]
    pub cycle: bool,
}

/// A sequence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sequence {
    /// Schema (the default one when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Sequence name.
    pub name: String,
    /// Its options.
    #[serde(flatten)]
    pub options: SequenceOptions,
    /// The column owning it, `table.column` (`serial` columns own theirs): dropped with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owned_by: Option<String>,
    /// Comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// A view or materialized view.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct View {
    /// Schema (the default one when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// View name.
    pub name: String,
    /// The SELECT (as the engine prints it back, for an inspected view).
    pub sql: DialectText,
    /// Column names given to the view, when it names them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<String>,
    /// A materialized view (PostgreSQL).
    #[serde(default, skip_serializing_if = "is_false")]
    pub materialized: bool,
    /// `WITH [LOCAL|CASCADED] CHECK OPTION`: `local` or `cascaded`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check_option: Option<String>,
    /// Options (`security_barrier`, `security_invoker`; MySQL `algorithm`, `sql_security`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, String>,
    /// Tables and views it reads (`name` or `schema.name`): it is dropped before and
    /// re-created after any change to them. Inspection fills it from the engine's catalog.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
    /// Indexes (materialized views).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub indexes: Vec<Index>,
    /// Comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// A function or procedure, as its full `CREATE` statement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Routine {
    /// Schema (the default one when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Routine name.
    pub name: String,
    /// `function` or `procedure`.
    #[serde(default = "function_kind")]
    pub kind: String,
    /// Argument types as the engine identifies an overload (`integer, text`); empty for
    /// none.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub arguments: String,
    /// The whole `CREATE [OR REPLACE] FUNCTION|PROCEDURE …` statement.
    pub sql: DialectText,
    /// Tables, views and types it names (`name` or `schema.name`), where known.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
    /// Comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// A trigger, as its full `CREATE TRIGGER` statement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trigger {
    /// Schema of its table (the default one when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Table (or view) it fires on.
    pub table: String,
    /// Trigger name.
    pub name: String,
    /// The whole `CREATE TRIGGER …` statement.
    pub sql: DialectText,
    /// Disabled (`ALTER TABLE … DISABLE TRIGGER`, PostgreSQL).
    #[serde(default, skip_serializing_if = "is_false")]
    pub disabled: bool,
}

/// A scheduled event (MySQL/MariaDB), as its full `CREATE EVENT` statement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// Database (the default one when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Event name.
    pub name: String,
    /// The whole `CREATE EVENT …` statement.
    pub sql: DialectText,
}

/// A virtual table (SQLite: `CREATE VIRTUAL TABLE name USING module(arguments)`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VirtualTable {
    /// Table name.
    pub name: String,
    /// Module (`fts5`, `rtree`, …).
    pub module: String,
    /// Module arguments, as written between the parentheses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub arguments: Vec<String>,
}

/// A privilege grant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grant {
    /// Object kind: `table`, `view`, `sequence`, `schema`, `function`, `database`.
    pub on: String,
    /// Object name (`name` or `schema.name`; a function with its arguments).
    pub object: String,
    /// Role or user (`PUBLIC` for everyone; MySQL `'user'@'host'`).
    pub to: String,
    /// Privileges (`SELECT`, `INSERT`, …, or `ALL`); column privileges as `SELECT (a, b)`.
    pub privileges: Vec<String>,
    /// WITH GRANT OPTION.
    #[serde(default, skip_serializing_if = "is_false")]
    pub grant_option: bool,
}

/// Something inspection met and the definition cannot express.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unsupported {
    /// Object kind as the engine names it (`rule`, `aggregate`, `operator class`, `column type`…).
    pub kind: String,
    /// Qualified object name (`schema.table.column` for a column's part).
    pub name: String,
    /// Why it is not in the definition.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
}

/// One table.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Table {
    /// Schema (PostgreSQL) or database (MySQL/MariaDB); the connection's default one when
    /// absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
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
    /// EXCLUDE constraints (PostgreSQL).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excludes: Vec<Exclude>,
    /// Table comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// UNLOGGED (PostgreSQL).
    #[serde(default, skip_serializing_if = "is_false")]
    pub unlogged: bool,
    /// Parent tables (PostgreSQL `INHERITS`), `name` or `schema.name`; inherited columns are
    /// still listed in `columns`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inherits: Vec<String>,
    /// Partitioning of this table: `RANGE (created_at)`, `LIST (region)`, `HASH (id)`
    /// (PostgreSQL declarative and MySQL/MariaDB partitioning).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition_by: Option<String>,
    /// Partitions written inline (MySQL/MariaDB: `PARTITION p0 VALUES LESS THAN (10)`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub partitions: Vec<Partition>,
    /// This table is a partition of another (PostgreSQL `PARTITION OF parent FOR VALUES …`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition_of: Option<PartitionOf>,
    /// Row-level security enabled (PostgreSQL).
    #[serde(default, skip_serializing_if = "is_false")]
    pub row_security: bool,
    /// Row-level security forced on the owner too (PostgreSQL).
    #[serde(default, skip_serializing_if = "is_false")]
    pub force_row_security: bool,
    /// Row-level security policies (PostgreSQL).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<Policy>,
    /// SQLite `WITHOUT ROWID`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub without_rowid: bool,
    /// SQLite `STRICT`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub strict: bool,
    /// Table options: PostgreSQL storage parameters (`fillfactor = "70"`); MySQL/MariaDB
    /// `engine`, `charset`, `collation`, `row_format`, `auto_increment` is never listed.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, String>,
}

/// A partition written inline in its table (MySQL/MariaDB).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Partition {
    /// Partition name.
    pub name: String,
    /// Its bound as written after the name: `VALUES LESS THAN (10)`, `VALUES IN (1,2)`; empty
    /// for HASH/KEY partitions.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub bound: String,
}

/// Where a partition table sits (PostgreSQL).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartitionOf {
    /// Parent table, `name` or `schema.name`.
    pub parent: String,
    /// Bound as PostgreSQL prints it: `FOR VALUES FROM ('2020-01-01') TO ('2021-01-01')`,
    /// `FOR VALUES IN (1, 2)`, `DEFAULT`.
    pub bound: String,
}

/// A row-level security policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Policy name.
    pub name: String,
    /// `all`, `select`, `insert`, `update` or `delete`.
    #[serde(default = "all_command")]
    pub command: String,
    /// PERMISSIVE (default) or RESTRICTIVE.
    #[serde(default, skip_serializing_if = "is_false")]
    pub restrictive: bool,
    /// Roles it applies to (empty: PUBLIC).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    /// USING expression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub using: Option<String>,
    /// WITH CHECK expression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub with_check: Option<String>,
}

/// An EXCLUDE constraint (PostgreSQL).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exclude {
    /// Constraint name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Index method (`gist` by default).
    #[serde(default = "gist")]
    pub using: String,
    /// Elements, each `expression WITH operator` (`room WITH =`, `during WITH &&`).
    pub elements: Vec<String>,
    /// Predicate of a partial constraint.
    #[serde(default, rename = "where", skip_serializing_if = "Option::is_none")]
    pub predicate: Option<String>,
    /// DEFERRABLE / INITIALLY DEFERRED.
    #[serde(default, skip_serializing_if = "Deferrable::is_default")]
    pub deferrable: Deferrable,
}

/// When a constraint is checked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Deferrable {
    /// NOT DEFERRABLE (the SQL default).
    #[default]
    #[serde(rename = "no")]
    No,
    /// DEFERRABLE INITIALLY IMMEDIATE.
    #[serde(rename = "immediate", alias = "deferrable")]
    Immediate,
    /// DEFERRABLE INITIALLY DEFERRED.
    #[serde(rename = "deferred")]
    Deferred,
}

impl Deferrable {
    /// The clause to write after a constraint (empty for NOT DEFERRABLE).
    pub fn sql(self) -> &'static str {
        match self {
            Deferrable::No => "",
            Deferrable::Immediate => " DEFERRABLE",
            Deferrable::Deferred => " DEFERRABLE INITIALLY DEFERRED",
        }
    }

    fn is_default(&self) -> bool {
        *self == Deferrable::No
    }
}

/// How an identity column takes its values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Identity {
    /// Not an identity column.
    #[default]
    No,
    /// `GENERATED BY DEFAULT AS IDENTITY`, MySQL `AUTO_INCREMENT`, SQLite's rowid alias:
    /// explicit values are accepted. Written `identity = true` or `identity = "by default"`.
    ByDefault,
    /// `GENERATED ALWAYS AS IDENTITY` (PostgreSQL): explicit values need `OVERRIDING SYSTEM
    /// VALUE`. Written `identity = "always"`.
    Always,
}

impl Identity {
    /// True for an identity column of either kind.
    pub fn is_set(self) -> bool {
        self != Identity::No
    }
}

impl Serialize for Identity {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Identity::No => s.serialize_bool(false),
            Identity::ByDefault => s.serialize_bool(true),
            Identity::Always => s.serialize_str("always"),
        }
    }
}

impl<'de> Deserialize<'de> for Identity {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Form {
            Flag(bool),
            Word(String),
        }
        match Form::deserialize(d)? {
            Form::Flag(false) => Ok(Identity::No),
            Form::Flag(true) => Ok(Identity::ByDefault),
            Form::Word(w) => match w.to_ascii_lowercase().as_str() {
                "by default" | "by_default" => Ok(Identity::ByDefault),
                "always" => Ok(Identity::Always),
                _ => Err(serde::de::Error::custom(format!(
                    "identity `{w}` is not one of true, false, \"by default\", \"always\""
                ))),
            },
        }
    }
}

/// A generated column's expression.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Generated {
    /// The expression.
    pub expr: String,
    /// STORED (true) or VIRTUAL (false: MySQL/MariaDB and SQLite only).
    #[serde(default = "yes")]
    pub stored: bool,
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
    /// Identity / auto-increment: `true` (by default), `"always"`.
    #[serde(default, skip_serializing_if = "is_no_identity")]
    pub identity: Identity,
    /// Options of the identity's sequence (PostgreSQL), where they are not the defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_options: Option<SequenceOptions>,
    /// A generated column (`GENERATED ALWAYS AS (expr) STORED|VIRTUAL`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generated: Option<Generated>,
    /// Collation (`"C"`, `utf8mb4_bin`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collation: Option<String>,
    /// Character set (MySQL/MariaDB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charset: Option<String>,
    /// INVISIBLE (MySQL/MariaDB): left out of `SELECT *`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub invisible: bool,
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
            identity: Identity::No,
            identity_options: None,
            generated: None,
            collation: None,
            charset: None,
            invisible: false,
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
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unique {
    /// Constraint name (generated as `<table>_<columns>_key` when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Columns.
    pub columns: Vec<String>,
    /// NULLS NOT DISTINCT (PostgreSQL 15).
    #[serde(default, skip_serializing_if = "is_false")]
    pub nulls_not_distinct: bool,
    /// DEFERRABLE / INITIALLY DEFERRED.
    #[serde(default, skip_serializing_if = "Deferrable::is_default")]
    pub deferrable: Deferrable,
}

/// A foreign key.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForeignKey {
    /// Constraint name (generated as `<table>_<columns>_fkey` when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Referencing columns.
    pub columns: Vec<String>,
    /// Schema of the referenced table (this table's schema when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ref_schema: Option<String>,
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
    /// MATCH FULL (true) or MATCH SIMPLE, the default.
    #[serde(default, skip_serializing_if = "is_false")]
    pub match_full: bool,
    /// DEFERRABLE / INITIALLY DEFERRED.
    #[serde(default, skip_serializing_if = "Deferrable::is_default")]
    pub deferrable: Deferrable,
    /// NOT VALID: existing rows are not checked (PostgreSQL).
    #[serde(default, skip_serializing_if = "is_false")]
    pub not_valid: bool,
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
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    /// Constraint name (generated as `<table>_check<N>` when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The boolean SQL expression.
    pub expr: String,
    /// NOT VALID: existing rows are not checked (PostgreSQL).
    #[serde(default, skip_serializing_if = "is_false")]
    pub not_valid: bool,
}

/// An index.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Index {
    /// Index name (generated as `<table>_<columns>_idx` when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Indexed columns or expressions in order: a column name, or a table
    /// `{ column = "a", order = "desc", nulls = "last" }` / `{ expr = "lower(email)" }`.
    pub columns: Vec<IndexColumn>,
    /// UNIQUE index.
    #[serde(default, skip_serializing_if = "is_false")]
    pub unique: bool,
    /// Predicate of a partial index (PostgreSQL, SQLite).
    #[serde(default, rename = "where", skip_serializing_if = "Option::is_none")]
    pub predicate: Option<String>,
    /// Index method: `btree` (default), `hash`, `gin`, `gist`, `brin`, `spgist`
    /// (PostgreSQL); `fulltext`, `spatial`, `hash` (MySQL/MariaDB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Non-key columns carried in the index (PostgreSQL `INCLUDE`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
    /// NULLS NOT DISTINCT (PostgreSQL 15, unique indexes).
    #[serde(default, skip_serializing_if = "is_false")]
    pub nulls_not_distinct: bool,
    /// Storage parameters (`fillfactor = "70"`, `fastupdate = "off"`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub with: BTreeMap<String, String>,
}

/// One key of an index: a column or an expression, with its ordering.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "IndexColumnForm", into = "IndexColumnForm")]
pub struct IndexColumn {
    /// The column (None for an expression key).
    pub column: Option<String>,
    /// The expression (None for a column key).
    pub expr: Option<String>,
    /// Descending order.
    pub desc: bool,
    /// NULLS FIRST (Some(true)) / NULLS LAST (Some(false)); the engine's default when None.
    pub nulls_first: Option<bool>,
    /// Operator class (PostgreSQL: `text_pattern_ops`, `gin_trgm_ops`).
    pub opclass: Option<String>,
    /// Collation.
    pub collation: Option<String>,
    /// Prefix length (MySQL/MariaDB `name(10)`).
    pub length: Option<u32>,
}

impl IndexColumn {
    /// A plain ascending key on `column`.
    pub fn named(column: &str) -> Self {
        IndexColumn {
            column: Some(column.to_string()),
            ..IndexColumn::default()
        }
    }

    /// True for a plain column key with nothing else set.
    pub fn is_plain(&self) -> bool {
        self.column.is_some()
            && self.expr.is_none()
            && !self.desc
            && self.nulls_first.is_none()
            && self.opclass.is_none()
            && self.collation.is_none()
            && self.length.is_none()
    }

    /// The column name, or the expression text, for naming and messages.
    pub fn label(&self) -> &str {
        self.column
            .as_deref()
            .or(self.expr.as_deref())
            .unwrap_or("")
    }
}

impl From<&str> for IndexColumn {
    fn from(column: &str) -> Self {
        IndexColumn::named(column)
    }
}

/// How an index key is written: a bare column name, or a table.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum IndexColumnForm {
    Name(String),
    Key(IndexKeyTable),
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct IndexKeyTable {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    column: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expr: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    order: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    nulls: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    opclass: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    collation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    length: Option<u32>,
}

impl From<IndexColumnForm> for IndexColumn {
    fn from(f: IndexColumnForm) -> Self {
        match f {
            IndexColumnForm::Name(n) => IndexColumn::named(&n),
            IndexColumnForm::Key(k) => IndexColumn {
                column: k.column,
                expr: k.expr,
                desc: k
                    .order
                    .as_deref()
                    .is_some_and(|o| o.eq_ignore_ascii_case("desc")),
                nulls_first: k.nulls.as_deref().map(|n| n.eq_ignore_ascii_case("first")),
                opclass: k.opclass,
                collation: k.collation,
                length: k.length,
            },
        }
    }
}

impl From<IndexColumn> for IndexColumnForm {
    fn from(c: IndexColumn) -> Self {
        if c.is_plain() {
            return IndexColumnForm::Name(c.column.unwrap_or_default());
        }
        IndexColumnForm::Key(IndexKeyTable {
            column: c.column,
            expr: c.expr,
            order: c.desc.then(|| "desc".to_string()),
            nulls: c
                .nulls_first
                .map(|f| if f { "first" } else { "last" }.to_string()),
            opclass: c.opclass,
            collation: c.collation,
            length: c.length,
        })
    }
}

fn yes() -> bool {
    true
}

fn gist() -> String {
    "gist".to_string()
}

fn all_command() -> String {
    "all".to_string()
}

fn function_kind() -> String {
    "function".to_string()
}

fn is_no_identity(i: &Identity) -> bool {
    !i.is_set()
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
            for (i, x) in t.excludes.iter_mut().enumerate() {
                x.name
                    .get_or_insert_with(|| format!("{table}_excl{}", i + 1));
            }
            for ix in &mut t.indexes {
                ix.name.get_or_insert_with(|| {
                    format!(
                        "{table}_{}_idx",
                        ix.columns
                            .iter()
                            .map(IndexColumn::label)
                            .collect::<Vec<_>>()
                            .join("_")
                    )
                });
            }
        }
        def
    }

    /// Fills foreign keys' empty `ref_columns` with the referenced table's primary key.
    pub fn with_resolved_refs(mut self) -> SchemaDefinition {
        let pks: Vec<(String, Vec<String>)> = self
            .tables
            .iter()
            .map(|t| (t.key(), t.primary_key.clone()))
            .collect();
        for t in &mut self.tables {
            let schema = t.schema.clone();
            for f in &mut t.foreign_keys {
                if f.ref_columns.is_empty() {
                    let target = crate::names::key(
                        f.ref_schema.as_deref().or(schema.as_deref()),
                        &f.ref_table,
                    );
                    if let Some((_, pk)) = pks.iter().find(|(n, _)| *n == target) {
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
