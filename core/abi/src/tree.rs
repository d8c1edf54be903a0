//! [`Tree`]: a nested document with typed leaves, flattened so that it crosses the contract
//! in one vector.
//!
//! The schema a driver reads is a [`Tree`] in the shape of the host's schema definition
//! (tables, columns, constraints, and the objects later contracts add). A new kind of
//! object is a new key in the document, not a new layout; the host reads it with its own
//! typed definition and names any key it does not know.

use crate::ValueNE;
use abi_stable::std_types::{RString, RVec};
use abi_stable::StableAbi;
use std::fmt;

/// What one [`Node`] is; an open set.
#[repr(transparent)]
#[derive(StableAbi, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NodeKind(pub u8);

impl NodeKind {
    /// A leaf holding [`Node::value`].
    pub const VALUE: Self = Self(1);
    /// A list: the next [`Node::len`] subtrees are its items (their keys are empty).
    pub const LIST: Self = Self(2);
    /// A map: the next [`Node::len`] subtrees are its entries, keyed by [`Node::key`].
    pub const MAP: Self = Self(3);
}

impl fmt::Debug for NodeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match *self {
            Self::VALUE => "value",
            Self::LIST => "list",
            Self::MAP => "map",
            _ => "other",
        })
    }
}

/// One node of a [`Tree`], in pre-order.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq)]
pub struct Node {
    /// Leaf, list or map.
    pub kind: NodeKind,
    /// The entry's key when the parent is a map; empty otherwise.
    pub key: RString,
    /// The leaf's value (`Null` for lists and maps).
    pub value: ValueNE,
    /// Number of direct children (lists and maps).
    pub len: u32,
}

/// A document flattened in pre-order: the root is `nodes[0]`; each list or map node is
/// followed by its `len` children, each child by its own subtree.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq, Default)]
pub struct Tree {
    /// The nodes, root first.
    pub nodes: RVec<Node>,
}
