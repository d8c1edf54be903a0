//! # myrmex-abi — the plugin contract
//!
//! Everything that crosses the boundary between the `myrmex` host and a dynamically loaded
//! plugin is defined here, and nothing else: the [`Value`] and row types, [`PluginError`],
//! the catalog records, the capability traits ([`Driver`], [`Connection`], [`ShardRouter`], [`AuditRuleSet`],
//! [`BackupStrategy`]),
//! the root module [`PluginMod`] and the contract version [`CONTRACT_VERSION`].
//!
//! Every type is `#[repr(C)]` and derives [`abi_stable::StableAbi`], so the host checks the
//! layout of a plugin built separately before calling into it. Plugin authors write plain
//! Rust against the kit (`myrmex-plugin`), which implements these traits for them; see
//! `docs/plugin-guide.md`.
//!
//! ## Evolving the contract
//!
//! A minor contract (2.1, 2.2, …; the crate's minor version) may, and a plugin built
//! against an earlier minor keeps loading:
//!
//! * append methods at the end of a capability trait, with a default body answering
//!   "unsupported" (each vtable is a prefix type; for a plugin built before the method the
//!   default runs);
//! * append a capability kind: a new [`CapabilityKind`] number and its opener at the end of
//!   [`PluginMod`];
//! * append a [`Value`] variant (values cross as [`ValueNE`]), an [`ErrorKind`],
//!   [`TableKind`], [`Nullability`], [`PlaceholderStyle`] or [`NodeKind`] constant;
//! * send new facts in a record's `extensions` list, or new keys in a schema [`Tree`].
//!
//! Contract 2.1 did the first: it appended [`Connection::catalog`] after `close`, with a
//! default that answers "unsupported", and the plugin frozen at 2.0 in the tests keeps loading.
//! Contract 2.2 did the second: the `audit` kind ([`AuditRuleSet`]) and its opener
//! `open_audit` after `open_shard`. Contract 2.3 did the first again:
//! [`Connection::metrics`] and [`Connection::advise`] after `catalog`. Contract 2.4 did it
//! once more: the bulk export and load ([`Connection::copy_out_start`] …
//! [`Connection::reset_identity`]) after `advise`. Contract 2.5 did
//! both: the `backup` kind ([`BackupStrategy`]) with its opener `open_backup` after
//! `open_audit`, and [`Connection::snapshot_export`], [`Connection::snapshot_import`] and
//! [`Connection::snapshot_release`] (one consistent snapshot shared by several sessions)
//! after `reset_identity`.
//!
//! Anything else (a field added to, removed from or reordered in a record, a changed
//! signature) is a new major contract: the crate's major version, which is
//! [`CONTRACT_VERSION`]. The host refuses a plugin of another major in one line naming
//! both.
#![allow(non_local_definitions)]

pub use abi_stable;
pub use abi_stable::std_types::{
    RArc, RBox, ROption, RResult, RSlice, RStr, RString, RVec, Tuple2,
};

mod audit;
mod backup;
mod bulk;
mod capability;
mod connect;
mod dialect;
mod driver;
mod error;
mod extension;
mod introspect;
mod module;
mod monitor;
mod shard;
mod store;
mod tree;
mod value;

pub use audit::{
    AuditContext, AuditFinding, AuditLogRequest, AuditRecord, AuditRule, AuditRuleSet,
    AuditRuleSetBox, AuditRuleSet_TO, AuditStatement, AuditTarget, Severity, SourceLocation,
};
pub use backup::{
    BackupFeatures, BackupHost, BackupHostBox, BackupHost_TO, BackupOutcome, BackupProgress,
    BackupRequest, BackupStrategy, BackupStrategyBox, BackupStrategy_TO, RestoreOutcome,
    RestoreRequest, TableSummary,
};
pub use bulk::{CopyChunk, CopyFormat, CopyInRequest, CopyInStart, CopyOutRequest, CopyOutStart};
pub use capability::CapabilityKind;
pub use connect::ConnectOptions;
pub use dialect::{DialectInfo, PlaceholderStyle};
pub use driver::{
    CancelHandle, CancelHandleBox, CancelHandle_TO, Connection, ConnectionBox, Connection_TO,
    Driver, DriverBox, Driver_TO, ExecResult, LockAttempt, QueryStart, RowBatch, SchemaRequest,
    SCHEMA_ALL, SCHEMA_GRANTS,
};
pub use error::{ErrorKind, PluginError};
pub use extension::{Extension, Extensions};
pub use introspect::{
    CatalogKind, ColumnInfo, ColumnMeta, ForeignKeyInfo, IndexInfo, Nullability, ServerInfo,
    TableDetail, TableKind, TableRef,
};
pub use module::{
    Capability, PluginInfo, PluginMod, PluginModRef, CONTRACT_SYMBOL, ROOT_MODULE_LOADER_NAME,
};
pub use monitor::{
    AdviceRequest, MetricKind, MetricSample, MetricTable, MetricsSnapshot, Recommendation,
};
pub use shard::{ShardRouter, ShardRouterBox, ShardRouter_TO};
pub use store::{ObjectStore, ObjectStoreBox, ObjectStore_TO, StoredObject};
pub use tree::{Node, NodeKind, Tree};
pub use value::{Value, ValueNE};

/// The major version of this contract, which is this crate's major version (the one
/// source: `core/abi/Cargo.toml`). The host refuses any plugin that exports another.
///
/// Read by the host through the plain C symbol [`CONTRACT_SYMBOL`] *before* any layout check,
/// so that a mismatch is reported as one line rather than as a layout dump.
pub const CONTRACT_VERSION: u32 = parse_u32(env!("CARGO_PKG_VERSION_MAJOR"));

/// This contract's minor version: what a plugin built against it may use.
pub const CONTRACT_MINOR: u32 = parse_u32(env!("CARGO_PKG_VERSION_MINOR"));

const fn parse_u32(s: &str) -> u32 {
    let b = s.as_bytes();
    let mut i = 0;
    let mut n = 0u32;
    while i < b.len() {
        n = n * 10 + (b[i] - b'0') as u32;
        i += 1;
    }
    n
}

#[cfg(test)]
mod tests {
    #[test]
    fn contract_version_is_the_crate_major() {
        assert_eq!(super::CONTRACT_VERSION, 2);
        assert_eq!(super::CONTRACT_MINOR, 6);
        assert_eq!(
            format!("{}.{}", super::CONTRACT_VERSION, super::CONTRACT_MINOR),
            env!("CARGO_PKG_VERSION").rsplit_once('.').unwrap().0
        );
    }
}
