//! Capability kinds, and the traits of the non-driver kinds.
//!
//! Their requests and reports are JSON documents: backups, routing configs and audit settings
//! grow fields release after release, and JSON lets them do so without a layout change.

use crate::{ConnectionBox, PluginError, Value};
use abi_stable::sabi_trait;
use abi_stable::std_types::{RBox, RResult, RSlice, RStr, RString, RVec};
use abi_stable::StableAbi;
use std::fmt;

/// The kind of a capability, as an open set.
#[repr(transparent)]
#[derive(StableAbi, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CapabilityKind(pub u8);

impl CapabilityKind {
    /// A database driver ([`crate::Driver`]).
    pub const DRIVER: Self = Self(1);
    /// A backup strategy ([`BackupStrategy`]).
    pub const BACKUP: Self = Self(2);
    /// A shard router ([`ShardRouter`]).
    pub const SHARD: Self = Self(3);
    /// A replication transport ([`ReplicationTransport`]).
    pub const REPLICATION: Self = Self(4);
    /// An audit rule set ([`AuditRuleSet`]).
    pub const AUDIT: Self = Self(5);

    /// Every kind this contract defines.
    pub const ALL: [Self; 5] = [
        Self::DRIVER,
        Self::BACKUP,
        Self::SHARD,
        Self::REPLICATION,
        Self::AUDIT,
    ];

    /// `driver`, `backup`, `shard`, `replication`, `audit`, or `unknown`.
    pub fn name(self) -> &'static str {
        match self.0 {
            1 => "driver",
            2 => "backup",
            3 => "shard",
            4 => "replication",
            5 => "audit",
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

/// A backup strategy: writes, restores and verifies backups through a connection.
#[sabi_trait]
pub trait BackupStrategy: Send + Sync {
    /// Backs up the database behind `conn`; `request` and the answer are JSON.
    fn backup(&self, conn: &mut ConnectionBox, request: RStr<'_>) -> RResult<RString, PluginError>;
    /// Restores a backup described by `request` into `conn`.
    fn restore(&self, conn: &mut ConnectionBox, request: RStr<'_>)
        -> RResult<RString, PluginError>;
    /// Verifies a backup without touching a database.
    #[sabi(last_prefix_field)]
    fn verify(&self, request: RStr<'_>) -> RResult<RString, PluginError>;
}

/// A boxed [`BackupStrategy`].
pub type BackupStrategyBox = BackupStrategy_TO<'static, RBox<()>>;

/// A shard router: maps a shard key to one of `shards` shards.
#[sabi_trait]
pub trait ShardRouter: Send + Sync {
    /// The shard (0-based) that holds `key`.
    #[sabi(last_prefix_field)]
    fn route(&self, key: &Value, shards: u32) -> RResult<u32, PluginError>;
}

/// A boxed [`ShardRouter`].
pub type ShardRouterBox = ShardRouter_TO<'static, RBox<()>>;

/// A replication transport: moves change batches between nodes.
#[sabi_trait]
pub trait ReplicationTransport: Send + Sync {
    /// Sends one payload on `channel`.
    fn send(&self, channel: RStr<'_>, payload: RSlice<'_, u8>) -> RResult<(), PluginError>;
    /// Receives up to `max` payloads from `channel`, waiting at most `timeout_ms`.
    #[sabi(last_prefix_field)]
    fn receive(
        &self,
        channel: RStr<'_>,
        max: u32,
        timeout_ms: u32,
    ) -> RResult<RVec<RVec<u8>>, PluginError>;
}

/// A boxed [`ReplicationTransport`].
pub type ReplicationTransportBox = ReplicationTransport_TO<'static, RBox<()>>;

/// How serious an audit finding is, as an open set.
#[repr(transparent)]
#[derive(StableAbi, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub struct Severity(pub u8);

impl Severity {
    /// Informational.
    pub const INFO: Self = Self(1);
    /// Worth fixing.
    pub const WARNING: Self = Self(2);
    /// A real risk.
    pub const HIGH: Self = Self(3);
    /// Exploitable now.
    pub const CRITICAL: Self = Self(4);
}

/// One finding of an audit rule set.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq)]
pub struct Finding {
    /// Rule identifier, e.g. `superuser-login`.
    pub rule: RString,
    /// Severity.
    pub severity: Severity,
    /// The object concerned (role, table, setting).
    pub object: RString,
    /// What is wrong.
    pub message: RString,
    /// How to fix it.
    pub remedy: RString,
}

/// An audit rule set: inspects a database and reports findings.
#[sabi_trait]
pub trait AuditRuleSet: Send + Sync {
    /// Runs every rule against `conn`; `config` is JSON.
    #[sabi(last_prefix_field)]
    fn audit(
        &self,
        conn: &mut ConnectionBox,
        config: RStr<'_>,
    ) -> RResult<RVec<Finding>, PluginError>;
}

/// A boxed [`AuditRuleSet`].
pub type AuditRuleSetBox = AuditRuleSet_TO<'static, RBox<()>>;
