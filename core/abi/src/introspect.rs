//! Result-set metadata and schema introspection types.

use abi_stable::std_types::{ROption, RString, RVec};
use abi_stable::StableAbi;

/// Whether a column may hold NULL, where the engine knows.
#[repr(u8)]
#[derive(StableAbi, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nullability {
    /// The engine does not say (expressions, SQLite result columns).
    Unknown,
    /// NULL allowed.
    Nullable,
    /// NOT NULL.
    NotNull,
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
}

/// Table or view.
#[repr(u8)]
#[derive(StableAbi, Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableKind {
    /// A base table.
    Table,
    /// A view.
    View,
    /// Anything else the engine lists (materialized view, foreign table, virtual table).
    Other,
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
}

/// Engine and version of the server behind a connection.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq)]
pub struct ServerInfo {
    /// `sqlite`, `postgres`, `mysql` or `mariadb`.
    pub engine: RString,
    /// The server's version string.
    pub version: RString,
}
