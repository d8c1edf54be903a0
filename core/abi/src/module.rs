//! The root module every plugin exports.

use crate::{
    AuditRuleSetBox, BackupStrategyBox, CapabilityKind, DriverBox, ObjectStoreBox, PluginError,
    ShardRouterBox,
};
use abi_stable::library::RootModule;
use abi_stable::sabi_types::VersionStrings;
use abi_stable::std_types::{RResult, RSlice, RStr};
use abi_stable::{declare_root_module_statics, package_version_strings, StableAbi};

/// Name of the plain C symbol (`u32`) holding the contract version a plugin was built for.
pub const CONTRACT_SYMBOL: &str = "myrmex_contract_version";

/// One capability a plugin provides. Static data: describing a plugin runs none of its code.
#[repr(C)]
#[derive(StableAbi, Clone, Copy, Debug, PartialEq)]
pub struct Capability {
    /// Its kind.
    pub kind: CapabilityKind,
    /// Its name, unique per kind across all loaded plugins (`sqlite`, `modulo`).
    pub name: RStr<'static>,
    /// One line for `myrmex plugins`.
    pub description: RStr<'static>,
    /// For a driver, the URL schemes it parses (`postgres`, `postgresql`); for an audit rule
    /// set, the drivers whose connections it examines (`postgres`; empty: every driver's); for
    /// a backup strategy, the drivers whose databases it backs up (empty: every driver's).
    pub schemes: RSlice<'static, RStr<'static>>,
}

/// What a plugin says about itself. Static data: reading it runs none of the plugin's code,
/// so a broken plugin cannot take `myrmex plugins` down with it.
#[repr(C)]
#[derive(StableAbi, Clone, Copy, Debug, PartialEq)]
pub struct PluginInfo {
    /// Plugin name (`myrmex-sqlite`).
    pub name: RStr<'static>,
    /// Plugin version (its crate version).
    pub version: RStr<'static>,
    /// Its capabilities.
    pub capabilities: RSlice<'static, Capability>,
}

/// The root module of a plugin library.
///
/// Each opener opens a capability of its kind by name; `config` is the user's settings for
/// it as JSON (empty for none), which the plugin reads into its own typed settings (the
/// host does not interpret them).
///
/// A prefix type: a later minor contract appends the opener of a new capability kind after
/// the last one, and plugins built before it still load (the host sees the new field as
/// absent). Contract 2.2 appended `open_audit`, 2.5 `open_backup`, 2.6 `open_store`.
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = PluginModRef)))]
#[sabi(missing_field(option))]
pub struct PluginMod {
    /// Describes the plugin and its capabilities.
    pub info: PluginInfo,
    /// Opens a driver capability by name.
    pub open_driver:
        Option<extern "C" fn(name: RStr<'_>, config: RStr<'_>) -> RResult<DriverBox, PluginError>>,
    /// Opens a shard router by name.
    #[sabi(last_prefix_field)]
    pub open_shard: Option<
        extern "C" fn(name: RStr<'_>, config: RStr<'_>) -> RResult<ShardRouterBox, PluginError>,
    >,
    /// Opens an audit rule set by name (contract 2.2).
    pub open_audit: Option<
        extern "C" fn(name: RStr<'_>, config: RStr<'_>) -> RResult<AuditRuleSetBox, PluginError>,
    >,
    /// Opens a backup strategy by name (contract 2.5).
    pub open_backup: Option<
        extern "C" fn(name: RStr<'_>, config: RStr<'_>) -> RResult<BackupStrategyBox, PluginError>,
    >,
    /// Opens an object store by name (contract 2.6); `config` carries its location.
    pub open_store: Option<
        extern "C" fn(name: RStr<'_>, config: RStr<'_>) -> RResult<ObjectStoreBox, PluginError>,
    >,
}

impl RootModule for PluginModRef {
    declare_root_module_statics! {PluginModRef}
    const BASE_NAME: &'static str = "myrmex_plugin";
    const NAME: &'static str = "myrmex_plugin";
    const VERSION_STRINGS: VersionStrings = package_version_strings!();
}

/// The symbol abi_stable looks for (written literally by the kit's export macro; a unit test
/// checks it against abi_stable).
#[doc(hidden)]
pub const ROOT_MODULE_LOADER_NAME: &str = "_1as_0lib_1header_0root_bmodule_bloader";

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
