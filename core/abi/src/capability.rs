//! Capability kinds.

use abi_stable::StableAbi;
use std::fmt;

/// The kind of a capability, as an open set. A later contract appends a kind with its
/// opener at the end of the root module; numbers once used are never reused (2, 4 and 5
/// were contract 1's untyped backup, replication and audit placeholders).
#[repr(transparent)]
#[derive(StableAbi, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CapabilityKind(pub u8);

impl CapabilityKind {
    /// A database driver ([`crate::Driver`]).
    pub const DRIVER: Self = Self(1);
    /// A shard router ([`crate::ShardRouter`]).
    pub const SHARD: Self = Self(3);
    /// An audit rule set ([`crate::AuditRuleSet`]), since contract 2.2.
    pub const AUDIT: Self = Self(6);
    /// A backup strategy ([`crate::BackupStrategy`]), since contract 2.5.
    pub const BACKUP: Self = Self(7);
    /// An object store for backups ([`crate::ObjectStore`]), since contract 2.6.
    pub const STORE: Self = Self(8);

    /// Every kind this contract defines.
    pub const ALL: [Self; 5] = [
        Self::DRIVER,
        Self::SHARD,
        Self::AUDIT,
        Self::BACKUP,
        Self::STORE,
    ];

    /// `driver`, `shard`, `audit`, `backup`, `store`, or `unknown`.
    pub fn name(self) -> &'static str {
        match self {
            Self::DRIVER => "driver",
            Self::SHARD => "shard",
            Self::AUDIT => "audit",
            Self::BACKUP => "backup",
            Self::STORE => "store",
            _ => "unknown",
        }
    }

    /// Parses a kind name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }
}

impl fmt::Debug for CapabilityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for CapabilityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
