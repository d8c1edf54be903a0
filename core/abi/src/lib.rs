//! # myrmex-abi — the plugin contract
//!
//! Everything that crosses the boundary between the `myrmex` host and a dynamically loaded
//! plugin is defined here, and nothing else: the [`Value`] and row types, [`PluginError`],
//! the capability traits ([`Driver`], [`Connection`], [`BackupStrategy`], [`ShardRouter`],
//! [`ReplicationTransport`], [`AuditRuleSet`]), the root module [`PluginMod`] and the
//! contract version [`CONTRACT_VERSION`].
//!
//! Every type is `#[repr(C)]` and derives [`abi_stable::StableAbi`], so the host checks the
//! layout of a plugin built separately before calling into it. Plugins depend on this crate
//! only; see `docs/plugin-guide.md` for a complete out-of-tree plugin.
//!
//! ## Evolving the contract
//!
//! * The root module and every capability vtable are *prefix types*: new functions and new
//!   trait methods are appended after the `last_prefix_field` marker, with a default
//!   implementation, so a plugin built against an older contract keeps loading.
//! * Error kinds, capability kinds and severities are open sets (`u8` newtypes), so a new kind
//!   never changes a layout.
//! * Anything that changes an existing layout bumps [`CONTRACT_VERSION`]; the host refuses a
//!   plugin whose version differs, in one line naming both versions.
#![allow(non_local_definitions)]

pub use abi_stable;
pub use abi_stable::std_types::{
    RArc, RBox, ROption, RResult, RSlice, RStr, RString, RVec, Tuple2,
};

pub mod canonical;
mod capability;

mod connect;
mod driver;
mod error;
mod guard;
mod introspect;
mod module;
mod value;

pub use capability::{
    AuditRuleSet, AuditRuleSetBox, AuditRuleSet_TO, BackupStrategy, BackupStrategyBox,
    BackupStrategy_TO, CapabilityKind, Finding, ReplicationTransport, ReplicationTransportBox,
    ReplicationTransport_TO, Severity, ShardRouter, ShardRouterBox, ShardRouter_TO,
};
pub use connect::ConnectOptions;
pub use driver::{
    CancelHandle, CancelHandleBox, CancelHandle_TO, Connection, ConnectionBox, Connection_TO,
    Driver, DriverBox, Driver_TO, ExecResult, QueryStart, RowBatch,
};
pub use error::{ErrorKind, PluginError};
pub use guard::{guard, guard_unit};
pub use introspect::{
    ColumnInfo, ColumnMeta, ForeignKeyInfo, IndexInfo, Nullability, ServerInfo, TableDetail,
    TableKind, TableRef,
};
pub use module::{Capability, PluginInfo, PluginMod, PluginModRef, CONTRACT_SYMBOL};
pub use value::Value;

/// The version of this contract. The host refuses any plugin that exports another one.
///
/// Read by the host through the plain C symbol [`CONTRACT_SYMBOL`] *before* any layout check,
/// so that a mismatch is reported as one line rather than as a layout dump.
pub const CONTRACT_VERSION: u32 = 1;

/// Re-exported for [`export_plugin!`]; not part of the public contract.
#[doc(hidden)]
pub mod __private {
    pub use crate::module::ROOT_MODULE_LOADER_NAME;
    pub use abi_stable::prefix_type::PrefixTypeTrait;
}

/// Emits the abi_stable library header under its mangled symbol name, with paths through this
/// crate so that plugins need no direct `abi_stable` dependency. Not public API.
#[doc(hidden)]
#[macro_export]
macro_rules! __export_root_loader {
    ($f:ident) => {
        /// The abi_stable library header: layout of the root module and its constructor.
        #[export_name = "_1as_0lib_1header_0root_bmodule_bloader"]
        pub static MYRMEX_LIB_HEADER: $crate::abi_stable::library::LibHeader = {
            extern "C" fn erased_module() -> $crate::abi_stable::library::RootModuleResult {
                $crate::abi_stable::library::__call_root_module_loader($f)
            }
            // SAFETY: `erased_module` returns the root module of type `PluginModRef`, the
            // type named here, exactly as `#[abi_stable::export_root_module]` generates it.
            unsafe {
                $crate::abi_stable::library::LibHeader::from_constructor::<$crate::PluginModRef>(
                    erased_module,
                    $crate::abi_stable::library::CheckTypeLayout::Yes,
                )
            }
        };
    };
}
