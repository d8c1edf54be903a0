//! Bulk export and load (contract 2.4): the records of [`crate::Connection::copy_out_start`]
//! and [`crate::Connection::copy_in_start`].
//!
//! The host drives a bulk transfer in chunks: it *pulls* export chunks of at most a size it
//! chooses and *pushes* load chunks of the size it read, so neither side ever holds a whole
//! table and the host alone sets the memory bound (the plugin never calls back into the
//! host, which keeps the contract a plain request/answer one). A chunk carries either bytes
//! in a text format (PostgreSQL COPY text or CSV, passed through untouched between engines
//! that speak them natively) or a batch of typed rows (the portable form between engines).

use crate::{ColumnMeta, Extensions, ValueNE};
use abi_stable::std_types::{RArc, RString, RVec};
use abi_stable::StableAbi;
use std::fmt;

/// The format of a bulk transfer; an open set.
#[repr(transparent)]
#[derive(StableAbi, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CopyFormat(pub u8);

impl CopyFormat {
    /// Typed rows ([`CopyChunk::rows`]): the portable form between engines.
    pub const ROWS: Self = Self(0);
    /// PostgreSQL COPY text format: tab-separated, `\N` for NULL, backslash escapes, one
    /// line per row ([`CopyChunk::data`]).
    pub const TEXT: Self = Self(1);
    /// CSV as PostgreSQL's `COPY … (FORMAT csv)` writes it: NULL unquoted and empty, an
    /// empty string quoted (`""`), optional header line ([`CopyChunk::data`]).
    pub const CSV: Self = Self(2);

    /// `rows`, `text` or `csv`; `other` for a format this contract does not name.
    pub fn name(self) -> &'static str {
        match self {
            Self::ROWS => "rows",
            Self::TEXT => "text",
            Self::CSV => "csv",
            _ => "other",
        }
    }

    /// The format named `name` (`rows`, `text`, `csv`).
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "rows" => Some(Self::ROWS),
            "text" => Some(Self::TEXT),
            "csv" => Some(Self::CSV),
            _ => None,
        }
    }

    /// True for the byte formats (text, CSV).
    pub fn is_bytes(self) -> bool {
        self != Self::ROWS
    }
}

impl fmt::Debug for CopyFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What [`crate::Connection::copy_out_start`] exports.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq)]
pub struct CopyOutRequest {
    /// Schema of [`CopyOutRequest::table`]; empty for the connection's default.
    pub schema: RString,
    /// The table to export (an unquoted name), when [`CopyOutRequest::query`] is empty.
    pub table: RString,
    /// Columns of the table to export, in order; empty for all of them.
    pub columns: RVec<RString>,
    /// A query to export instead of a table (no parameters).
    pub query: RString,
    /// The format of the chunks.
    pub format: CopyFormat,
    /// CSV only: a first line of column names.
    pub header: bool,
    /// Facts a later contract adds.
    pub extensions: Extensions,
}

/// The answer to [`crate::Connection::copy_out_start`].
#[repr(C)]
#[derive(StableAbi, Clone, Debug)]
pub struct CopyOutStart {
    /// The exported columns.
    pub columns: RArc<RVec<ColumnMeta>>,
    /// True when the engine's own bulk path serves the export (PostgreSQL `COPY TO
    /// STDOUT`); false when the kit's generic path encodes rows of a query.
    pub native: bool,
    /// Facts a later contract adds.
    pub extensions: Extensions,
}

/// What [`crate::Connection::copy_in_start`] loads.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq)]
pub struct CopyInRequest {
    /// Schema of the table; empty for the connection's default.
    pub schema: RString,
    /// The table to load (an unquoted name).
    pub table: RString,
    /// The columns the chunks hold, in order; empty for all of the table's columns.
    pub columns: RVec<RString>,
    /// The format of the chunks.
    pub format: CopyFormat,
    /// CSV only: the first line is a header to skip.
    pub header: bool,
    /// Facts a later contract adds.
    pub extensions: Extensions,
}

/// The answer to [`crate::Connection::copy_in_start`].
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq)]
pub struct CopyInStart {
    /// True when the engine's own bulk path loads (PostgreSQL `COPY FROM STDIN`); false
    /// for the kit's generic path (multi-row `INSERT`s in one transaction).
    pub native: bool,
    /// Facts a later contract adds.
    pub extensions: Extensions,
}

/// One chunk of a bulk transfer.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq, Default)]
pub struct CopyChunk {
    /// Byte formats: whole lines (a chunk never ends inside a row).
    pub data: RVec<u8>,
    /// [`CopyFormat::ROWS`]: values row-major, `width` per row.
    pub rows: RVec<ValueNE>,
    /// Values per row in [`CopyChunk::rows`].
    pub width: u32,
    /// True on the last chunk of an export (it may still hold data).
    pub done: bool,
    /// Facts a later contract adds.
    pub extensions: Extensions,
}

impl CopyChunk {
    /// Rows held in [`CopyChunk::rows`].
    pub fn row_count(&self) -> usize {
        if self.width == 0 {
            0
        } else {
            self.rows.len() / self.width as usize
        }
    }
}
