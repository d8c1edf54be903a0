//! Result-set metadata and the catalog records a driver returns.

use crate::Extensions;
use abi_stable::std_types::{ROption, RString, RVec};
use abi_stable::StableAbi;
use std::fmt;

/// Whether a column may hold NULL, where the engine knows; an open set.
#[repr(transparent)]
#[derive(StableAbi, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Nullability(pub u8);

impl Nullability {
    /// The engine does not say (expressions, SQLite result columns).
    pub const UNKNOWN: Self = Self(0);
    /// NULL allowed.
    pub const NULLABLE: Self = Self(1);
    /// NOT NULL.
    pub const NOT_NULL: Self = Self(2);
}

impl fmt::Debug for Nullability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match *self {
            Self::NULLABLE => "nullable",
            Self::NOT_NULL => "not null",
            _ => "unknown",
        })
    }
}

/// One column of a result set.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq)]
pub struct ColumnMeta {
    /// Column name or alias.
    pub name: RString,
    /// Declared type as the engine reports it (`INTEGER`, `numeric(10,2)`); empty if none.
    pub decl_type: RString,
    /// Nullability where known.
    pub nullable: Nullability,
    /// Facts a later contract adds.
    pub extensions: Extensions,
}

impl ColumnMeta {
    /// A column with a name and a declared type, nullability unknown.
    pub fn new(name: impl Into<RString>, decl_type: impl Into<RString>) -> Self {
        Self {
            name: name.into(),
            decl_type: decl_type.into(),
            nullable: Nullability::UNKNOWN,
            extensions: RVec::new(),
        }
    }
}

/// What kind of relation a catalog entry is; an open set.
#[repr(transparent)]
#[derive(StableAbi, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TableKind(pub u8);

impl TableKind {
    /// A base table.
    pub const TABLE: Self = Self(1);
    /// A view.
    pub const VIEW: Self = Self(2);
    /// A materialized view.
    pub const MATERIALIZED_VIEW: Self = Self(3);
    /// A foreign table.
    pub const FOREIGN: Self = Self(4);
    /// A partitioned table (its partitions are listed as tables).
    pub const PARTITIONED: Self = Self(5);
    /// A virtual table (SQLite modules such as FTS5).
    pub const VIRTUAL: Self = Self(6);
    /// Anything else the engine lists.
    pub const OTHER: Self = Self(255);

    /// `table`, `view`, `materialized view`, `foreign table`, `partitioned table`,
    /// `virtual table` or `other`.
    pub fn name(self) -> &'static str {
        match self {
            Self::TABLE => "table",
            Self::VIEW => "view",
            Self::MATERIALIZED_VIEW => "materialized view",
            Self::FOREIGN => "foreign table",
            Self::PARTITIONED => "partitioned table",
            Self::VIRTUAL => "virtual table",
            _ => "other",
        }
    }
}

impl fmt::Debug for TableKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A table listed by [`crate::Connection::tables`].
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq)]
pub struct TableRef {
    /// Schema (PostgreSQL), database (MySQL) or attached database (SQLite, `main`).
    pub schema: RString,
    /// Table name.
    pub name: RString,
    /// Table, view or other.
    pub kind: TableKind,
    /// Facts a later contract adds.
    pub extensions: Extensions,
}

/// One column of a table, as introspected.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq)]
pub struct ColumnInfo {
    /// Column name.
    pub name: RString,
    /// Declared type, as the engine spells it.
    pub decl_type: RString,
    /// False when the column is NOT NULL.
    pub nullable: bool,
    /// Default expression as the engine stores it.
    pub default: ROption<RString>,
    /// Position in the primary key, 1-based; 0 when not part of it.
    pub primary_key_position: u32,
    /// Identity / auto-increment / serial.
    pub auto_increment: bool,
    /// Facts a later contract adds.
    pub extensions: Extensions,
}

/// An index of a table.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq)]
pub struct IndexInfo {
    /// Index name.
    pub name: RString,
    /// Indexed columns (or expressions) in order.
    pub columns: RVec<RString>,
    /// UNIQUE index.
    pub unique: bool,
    /// The index backing the primary key.
    pub primary: bool,
    /// Predicate of a partial index.
    pub predicate: ROption<RString>,
    /// Facts a later contract adds.
    pub extensions: Extensions,
}

/// A foreign key of a table.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq)]
pub struct ForeignKeyInfo {
    /// Constraint name (may be empty on SQLite).
    pub name: RString,
    /// Referencing columns.
    pub columns: RVec<RString>,
    /// Schema of the referenced table (empty when the same).
    pub ref_schema: RString,
    /// Referenced table.
    pub ref_table: RString,
    /// Referenced columns.
    pub ref_columns: RVec<RString>,
    /// `NO ACTION`, `CASCADE`, `SET NULL`, `SET DEFAULT` or `RESTRICT`.
    pub on_update: RString,
    /// As `on_update`.
    pub on_delete: RString,
    /// Facts a later contract adds.
    pub extensions: Extensions,
}

/// Everything [`crate::Connection::describe`] knows about one table.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq)]
pub struct TableDetail {
    /// Schema / database.
    pub schema: RString,
    /// Table name.
    pub name: RString,
    /// Table or view.
    pub kind: TableKind,
    /// Columns in table order.
    pub columns: RVec<ColumnInfo>,
    /// Primary key columns in key order.
    pub primary_key: RVec<RString>,
    /// Indexes, including the primary key's where the engine has one.
    pub indexes: RVec<IndexInfo>,
    /// Foreign keys.
    pub foreign_keys: RVec<ForeignKeyInfo>,
    /// Facts a later contract adds.
    pub extensions: Extensions,
}

/// Engine and version of the server behind a connection.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq)]
pub struct ServerInfo {
    /// The engine's name as the driver spells it (`sqlite`, `postgres`, `mariadb`, …).
    pub engine: RString,
    /// The server's version string.
    pub version: RString,
    /// Facts a later contract adds.
    pub extensions: Extensions,
}

/// What [`crate::Connection::catalog`] lists; an open set.
#[repr(transparent)]
#[derive(StableAbi, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CatalogKind(pub u8);

impl CatalogKind {
    /// Databases on the server (SQLite: the attached database files).
    pub const DATABASES: Self = Self(1);
    /// Schemas (MySQL and SQLite: databases and attached databases).
    pub const SCHEMAS: Self = Self(2);
    /// Tables, with their kind.
    pub const TABLES: Self = Self(3);
    /// Views and materialized views.
    pub const VIEWS: Self = Self(4);
    /// Indexes, with their table.
    pub const INDEXES: Self = Self(5);
    /// Functions, procedures and other routines.
    pub const FUNCTIONS: Self = Self(6);
    /// Roles and users.
    pub const ROLES: Self = Self(7);
    /// Sequences.
    pub const SEQUENCES: Self = Self(8);

    /// Every kind this contract names.
    pub const ALL: [Self; 8] = [
        Self::DATABASES,
        Self::SCHEMAS,
        Self::TABLES,
        Self::VIEWS,
        Self::INDEXES,
        Self::FUNCTIONS,
        Self::ROLES,
        Self::SEQUENCES,
    ];

    /// `databases`, `schemas`, `tables`, `views`, `indexes`, `functions`, `roles`,
    /// `sequences`, or `objects of kind N`.
    pub fn plural(self) -> String {
        match self {
            Self::DATABASES => "databases".into(),
            Self::SCHEMAS => "schemas".into(),
            Self::TABLES => "tables".into(),
            Self::VIEWS => "views".into(),
            Self::INDEXES => "indexes".into(),
            Self::FUNCTIONS => "functions".into(),
            Self::ROLES => "roles".into(),
            Self::SEQUENCES => "sequences".into(),
            Self(n) => format!("objects of kind {n}"),
        }
    }

    /// Parses a plural name (`schemas`) or its singular (`schema`).
    pub fn parse(name: &str) -> Option<Self> {
        let n = name.trim().to_ascii_lowercase();
        Self::ALL.into_iter().find(|k| {
            k.plural() == n
                || k.plural().strip_suffix('s') == Some(n.as_str())
                || (n == "index" && *k == Self::INDEXES)
        })
    }
}

impl fmt::Debug for CatalogKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.plural())
    }
}
