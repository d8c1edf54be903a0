//! The root module every plugin exports, and [`export_plugin!`](crate::export_plugin).

use crate::capability::{
    AuditRuleSetBox, BackupStrategyBox, CapabilityKind, ReplicationTransportBox, ShardRouterBox,
};
use crate::{DriverBox, PluginError};
use abi_stable::library::RootModule;
use abi_stable::sabi_types::VersionStrings;
use abi_stable::std_types::{RResult, RStr, RString, RVec};
use abi_stable::{declare_root_module_statics, package_version_strings, StableAbi};

/// Name of the plain C symbol (`u32`) holding the contract version a plugin was built for.
pub const CONTRACT_SYMBOL: &str = "myrmex_contract_version";

/// One capability a plugin provides.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq)]
pub struct Capability {
    /// Its kind.
    pub kind: CapabilityKind,
    /// Its name, unique per kind across all loaded plugins (`sqlite`, `pg-basebackup`).
    pub name: RString,
    /// One line for `myrmex plugins`.
    pub description: RString,
}

/// What a plugin says about itself.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq)]
pub struct PluginInfo {
    /// Plugin name (`myrmex-sqlite`).
    pub name: RString,
    /// Plugin version (its crate version).
    pub version: RString,
    /// The contract version it was built against.
    pub contract: u32,
    /// Its capabilities.
    pub capabilities: RVec<Capability>,
}

/// The root module of a plugin library.
///
/// A prefix type: later contracts append fields after `open_audit` and older plugins still
/// load (the host sees the new fields as absent).
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = PluginModRef)))]
#[sabi(missing_field(option))]
pub struct PluginMod {
    /// Describes the plugin and its capabilities.
    pub info: extern "C" fn() -> PluginInfo,
    /// Opens a driver capability by name; `config` is JSON (may be empty).
    pub open_driver:
        Option<extern "C" fn(name: RStr<'_>, config: RStr<'_>) -> RResult<DriverBox, PluginError>>,
    /// Opens a backup capability.
    pub open_backup: Option<
        extern "C" fn(name: RStr<'_>, config: RStr<'_>) -> RResult<BackupStrategyBox, PluginError>,
    >,
    /// Opens a shard capability.
    pub open_shard: Option<
        extern "C" fn(name: RStr<'_>, config: RStr<'_>) -> RResult<ShardRouterBox, PluginError>,
    >,
    /// Opens a replication capability.
    pub open_replication: Option<
        extern "C" fn(
            name: RStr<'_>,
            config: RStr<'_>,
        ) -> RResult<ReplicationTransportBox, PluginError>,
    >,
    /// Opens an audit capability.
    #[sabi(last_prefix_field)]
    pub open_audit: Option<
        extern "C" fn(name: RStr<'_>, config: RStr<'_>) -> RResult<AuditRuleSetBox, PluginError>,
    >,
}

impl RootModule for PluginModRef {
    declare_root_module_statics! {PluginModRef}
    const BASE_NAME: &'static str = "myrmex_plugin";
    const NAME: &'static str = "myrmex_plugin";
    const VERSION_STRINGS: VersionStrings = package_version_strings!();
}

/// The symbol abi_stable looks for (written literally in `__export_root_loader!`; a unit test
/// checks it against abi_stable).
#[doc(hidden)]
pub const ROOT_MODULE_LOADER_NAME: &str = "_1as_0lib_1header_0root_bmodule_bloader";

/// Exports a plugin's root module and contract version. Call it once, at the crate root of a
/// `cdylib`, with an expression that builds the [`PluginMod`]:
///
/// ```ignore
/// myrmex_abi::export_plugin!(myrmex_abi::PluginMod {
///     info,
///     open_driver: Some(open_driver),
///     open_backup: None,
///     open_shard: None,
///     open_replication: None,
///     open_audit: None,
/// });
/// ```
///
/// Every function it names must run its body inside [`crate::guard`].
#[macro_export]
macro_rules! export_plugin {
    ($module:expr) => {
        /// The contract version this plugin was built against (read before any layout check).
        #[no_mangle]
        pub static myrmex_contract_version: u32 = $crate::CONTRACT_VERSION;

        fn __myrmex_root_module() -> $crate::PluginModRef {
            use $crate::__private::PrefixTypeTrait;
            let module: $crate::PluginMod = $module;
            module.leak_into_prefix()
        }

        $crate::__export_root_loader!(__myrmex_root_module);
    };
}

#[cfg(test)]
mod tests {
    #[test]
    fn loader_symbol_matches_abi_stable() {
        assert_eq!(
            super::ROOT_MODULE_LOADER_NAME,
            abi_stable::library::ROOT_MODULE_LOADER_NAME
        );
    }
}
