//! [`Extension`]: a named value appended to a record without changing its layout.

use crate::ValueNE;
use abi_stable::std_types::{RString, RVec};
use abi_stable::StableAbi;

/// One named value carried by a record's `extensions` list.
///
/// Records that cross the contract end with an `extensions` list so that a later minor
/// contract can send more facts (a column's collation, a table's partition key) without a
/// layout change: a reader that does not know a key ignores it. Keys are lowercase
/// `snake_case`; a key is documented where the contract first sends it.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq)]
pub struct Extension {
    /// The fact's name, e.g. `collation`.
    pub key: RString,
    /// Its value.
    pub value: ValueNE,
}

/// The `extensions` list of a record.
pub type Extensions = RVec<Extension>;
