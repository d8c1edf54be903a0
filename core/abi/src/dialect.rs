//! [`DialectInfo`]: what a driver says about the SQL its engine speaks.

use crate::Extensions;
use abi_stable::std_types::{RString, RVec};
use abi_stable::StableAbi;
use std::fmt;

/// How statements mark their parameters; an open set.
#[repr(transparent)]
#[derive(StableAbi, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PlaceholderStyle(pub u8);

impl PlaceholderStyle {
    /// `?` for every parameter, bound in order (SQLite, MySQL).
    pub const QUESTION: Self = Self(1);
    /// `$1`, `$2`, … (PostgreSQL).
    pub const DOLLAR: Self = Self(2);

    /// `?` or `$1`, for messages; `other` for a style this contract does not name.
    pub fn name(self) -> &'static str {
        match self {
            Self::QUESTION => "?",
            Self::DOLLAR => "$1",
            _ => "other",
        }
    }
}

impl fmt::Debug for PlaceholderStyle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The SQL dialect of a connection, as its driver describes it. The host generates DDL,
/// quotes names and plans migrations from this record alone; it never guesses from an
/// engine's name.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq)]
pub struct DialectInfo {
    /// The name the schema generators know the dialect by (`sqlite`, `postgres`, `mysql`,
    /// `mariadb`); a generator that does not know the name says so.
    pub name: RString,
    /// The character that opens and closes a quoted identifier (`"` or `` ` ``).
    pub quote: u32,
    /// True when DDL runs inside a transaction and rolls back with it.
    pub transactional_ddl: bool,
    /// How parameters are written.
    pub placeholders: PlaceholderStyle,
    /// DDL and SQL features the engine supports, by name (`alter_column_type`,
    /// `drop_column`, `partial_index`, `schemas`, `returning`, …); documented in the plugin
    /// guide.
    pub features: RVec<RString>,
    /// Facts a later contract adds.
    pub extensions: Extensions,
}

impl DialectInfo {
    /// True when `feature` is among [`DialectInfo::features`].
    pub fn has(&self, feature: &str) -> bool {
        self.features.iter().any(|f| f.as_str() == feature)
    }

    /// The quote character.
    pub fn quote_char(&self) -> char {
        char::from_u32(self.quote).unwrap_or('"')
    }
}
