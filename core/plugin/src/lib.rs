//! # myrmex-plugin — the plugin author kit
//!
//! Write a myrmex plugin in plain Rust: implement [`Driver`] and [`Connection`] (or
//! [`ShardRouter`], or [`audit::AuditRuleSet`]) with `&str`, [`Params`] and `Result`, then declare the plugin with
//! [`plugin!`]. The kit implements the contract (`myrmex-abi`) for you, runs every entry
//! point under a panic guard (a panic is an error, never an abort), and exports the
//! library's root module and contract version.
//!
//! A complete shard router plugin:
//!
//! ```
//! use myrmex_plugin::{Config, PluginError, ShardRouter, Value};
//!
//! struct Modulo;
//!
//! impl ShardRouter for Modulo {
//!     fn route(&self, key: &Value, shards: u32) -> Result<u32, PluginError> {
//!         match key {
//!             Value::Int(i) => Ok((i.unsigned_abs() % u64::from(shards)) as u32),
//!             other => Err(PluginError::unsupported(format!("cannot route a {} key", other.type_name()))),
//!         }
//!     }
//! }
//!
//! fn open(_config: Config) -> Result<Modulo, PluginError> {
//!     Ok(Modulo)
//! }
//!
//! myrmex_plugin::plugin! {
//!     shard "modulo": "integer key modulo the shard count" => open,
//! }
//! # fn main() {}
//! ```
//!
//! The kit also holds what every driver needs: the SQL lexer ([`sql`]), URL parsing and
//! redaction ([`url`]), the canonical text of temporal values ([`canonical`]), blank
//! statements ([`blank`]), connect deadlines ([`deadline`]) and the schema document
//! ([`tree`], [`schema`]).

mod adapter;
pub mod audit;
pub mod backup;
pub mod blank;
pub mod bulk;
pub mod canonical;
mod config;
pub mod data_dir;
pub mod deadline;
mod driver;
mod guard;
mod host_connection;
pub mod monitor;
mod params;
pub mod rows;
pub mod run_as;
mod schema_scope;
pub mod scratch;
pub mod sql;
pub mod store;
pub mod tree;
pub mod url;

pub use adapter::{audit_box, backup_box, driver_box, shard_box, store_box};
pub use config::Config;
pub use driver::{CancelHandle, Connection, Driver, ShardRouter};
pub use guard::{guard, guard_unit};
pub use myrmex_abi::{
    CapabilityKind, CatalogKind, ColumnInfo, ColumnMeta, ConnectOptions, DialectInfo, ErrorKind,
    ExecResult, ForeignKeyInfo, IndexInfo, LockAttempt, Nullability, PlaceholderStyle, PluginError,
    QueryStart, RowBatch, ServerInfo, TableDetail, TableKind, TableRef, Value, ValueNE, SCHEMA_ALL,
    SCHEMA_GRANTS,
};
/// The contract's containers, for building the records a driver returns
/// ([`QueryStart::columns`] is an `RArc<RVec<ColumnMeta>>`; `.into()` makes the others from
/// `Vec`, `String` and `Option`).
pub use myrmex_abi::{RArc, ROption, RString, RVec};
pub use params::Params;
pub use rows::{all_rows, Batch};
pub use schema_scope::SchemaScope;

/// The host's typed schema definition, which [`Connection::schema`] returns.
pub use myrmex_schema as schema;

/// Re-exported for [`plugin!`]; not part of the public API.
#[doc(hidden)]
pub mod __private {
    pub use myrmex_abi;
    pub use myrmex_abi::abi_stable;
    pub use myrmex_abi::abi_stable::prefix_type::PrefixTypeTrait;
}

/// Declares a plugin: its capabilities and the function that opens each one. Call it once,
/// at the root of a `cdylib` crate. Each entry is
///
/// * `driver "NAME" ("SCHEME", …): "DESCRIPTION" => OPEN,` where `OPEN` is a
///   `fn(Config) -> Result<impl Driver, PluginError>`, or
/// * `shard "NAME": "DESCRIPTION" => OPEN,` where `OPEN` returns `impl ShardRouter`, or
/// * `audit "NAME" ("DRIVER", …): "DESCRIPTION" => OPEN,` where `OPEN` returns
///   `impl audit::AuditRuleSet`; the drivers listed are those whose connections it examines
///   (none: every driver's), or
/// * `backup "NAME" ("DRIVER", …): "DESCRIPTION" => OPEN,` where `OPEN` returns
///   `impl backup::BackupStrategy`; the drivers listed are those whose databases it backs up
///   (none: every driver's), or
/// * `store "NAME" ("SCHEME", …): "DESCRIPTION" => OPEN,` where `OPEN` returns
///   `impl store::ObjectStore`; the schemes are those of the locations it opens (`s3`).
///
/// The plugin's name and version are its crate's. Describing the plugin runs none of its
/// code (the description is static data), and every opener runs under the panic guard.
#[macro_export]
macro_rules! plugin {
    ( $( $kind:ident $name:literal $( ( $($scheme:literal),* $(,)? ) )? : $desc:literal => $open:path ),+ $(,)? ) => {
        static __MYRMEX_CAPABILITIES: &[$crate::__private::myrmex_abi::Capability] = &[
            $( $crate::__private::myrmex_abi::Capability {
                kind: $crate::__kind!($kind),
                name: $crate::__private::myrmex_abi::RStr::from_str($name),
                description: $crate::__private::myrmex_abi::RStr::from_str($desc),
                schemes: $crate::__private::myrmex_abi::RSlice::from_slice(&[
                    $( $( $crate::__private::myrmex_abi::RStr::from_str($scheme) ),* )?
                ]),
            } ),+
        ];

        extern "C" fn __myrmex_open_driver(
            name: $crate::__private::myrmex_abi::RStr<'_>,
            config: $crate::__private::myrmex_abi::RStr<'_>,
        ) -> $crate::__private::myrmex_abi::RResult<
            $crate::__private::myrmex_abi::DriverBox,
            $crate::PluginError,
        > {
            $crate::guard(|| {
                $( if name.as_str() == $name {
                    if let Some(opened) = $crate::__open!(driver $kind, $open, $name, config) {
                        return opened;
                    }
                } )+
                Err($crate::PluginError::new(
                    $crate::ErrorKind::NOT_FOUND,
                    format!("{} has no driver named `{}`", env!("CARGO_PKG_NAME"), name),
                ))
            })
        }

        extern "C" fn __myrmex_open_audit(
            name: $crate::__private::myrmex_abi::RStr<'_>,
            config: $crate::__private::myrmex_abi::RStr<'_>,
        ) -> $crate::__private::myrmex_abi::RResult<
            $crate::__private::myrmex_abi::AuditRuleSetBox,
            $crate::PluginError,
        > {
            $crate::guard(|| {
                $( if name.as_str() == $name {
                    if let Some(opened) = $crate::__open!(audit $kind, $open, $name, config) {
                        return opened;
                    }
                } )+
                Err($crate::PluginError::new(
                    $crate::ErrorKind::NOT_FOUND,
                    format!("{} has no audit rule set named `{}`", env!("CARGO_PKG_NAME"), name),
                ))
            })
        }

        extern "C" fn __myrmex_open_backup(
            name: $crate::__private::myrmex_abi::RStr<'_>,
            config: $crate::__private::myrmex_abi::RStr<'_>,
        ) -> $crate::__private::myrmex_abi::RResult<
            $crate::__private::myrmex_abi::BackupStrategyBox,
            $crate::PluginError,
        > {
            $crate::guard(|| {
                $( if name.as_str() == $name {
                    if let Some(opened) = $crate::__open!(backup $kind, $open, $name, config) {
                        return opened;
                    }
                } )+
                Err($crate::PluginError::new(
                    $crate::ErrorKind::NOT_FOUND,
                    format!("{} has no backup strategy named `{}`", env!("CARGO_PKG_NAME"), name),
                ))
            })
        }

        extern "C" fn __myrmex_open_store(
            name: $crate::__private::myrmex_abi::RStr<'_>,
            config: $crate::__private::myrmex_abi::RStr<'_>,
        ) -> $crate::__private::myrmex_abi::RResult<
            $crate::__private::myrmex_abi::ObjectStoreBox,
            $crate::PluginError,
        > {
            $crate::guard(|| {
                $( if name.as_str() == $name {
                    if let Some(opened) = $crate::__open!(store $kind, $open, $name, config) {
                        return opened;
                    }
                } )+
                Err($crate::PluginError::new(
                    $crate::ErrorKind::NOT_FOUND,
                    format!("{} has no object store named `{}`", env!("CARGO_PKG_NAME"), name),
                ))
            })
        }

        extern "C" fn __myrmex_open_shard(
            name: $crate::__private::myrmex_abi::RStr<'_>,
            config: $crate::__private::myrmex_abi::RStr<'_>,
        ) -> $crate::__private::myrmex_abi::RResult<
            $crate::__private::myrmex_abi::ShardRouterBox,
            $crate::PluginError,
        > {
            $crate::guard(|| {
                $( if name.as_str() == $name {
                    if let Some(opened) = $crate::__open!(shard $kind, $open, $name, config) {
                        return opened;
                    }
                } )+
                Err($crate::PluginError::new(
                    $crate::ErrorKind::NOT_FOUND,
                    format!("{} has no shard router named `{}`", env!("CARGO_PKG_NAME"), name),
                ))
            })
        }

        /// The contract version this plugin was built against (read before any layout check).
        #[no_mangle]
        pub static myrmex_contract_version: u32 = $crate::__private::myrmex_abi::CONTRACT_VERSION;

        fn __myrmex_root_module() -> $crate::__private::myrmex_abi::PluginModRef {
            use $crate::__private::PrefixTypeTrait;
            $crate::__private::myrmex_abi::PluginMod {
                info: $crate::__private::myrmex_abi::PluginInfo {
                    name: $crate::__private::myrmex_abi::RStr::from_str(env!("CARGO_PKG_NAME")),
                    version: $crate::__private::myrmex_abi::RStr::from_str(env!("CARGO_PKG_VERSION")),
                    capabilities: $crate::__private::myrmex_abi::RSlice::from_slice(__MYRMEX_CAPABILITIES),
                },
                open_driver: Some(__myrmex_open_driver),
                open_shard: Some(__myrmex_open_shard),
                open_audit: Some(__myrmex_open_audit),
                open_backup: Some(__myrmex_open_backup),
                open_store: Some(__myrmex_open_store),
            }
            .leak_into_prefix()
        }

        /// The abi_stable library header: layout of the root module and its constructor.
        #[export_name = "_1as_0lib_1header_0root_bmodule_bloader"]
        pub static MYRMEX_LIB_HEADER: $crate::__private::abi_stable::library::LibHeader = {
            extern "C" fn erased_module() -> $crate::__private::abi_stable::library::RootModuleResult {
                $crate::__private::abi_stable::library::__call_root_module_loader(__myrmex_root_module)
            }
            // SAFETY: `erased_module` returns the root module of type `PluginModRef`, the
            // type named here, exactly as `#[abi_stable::export_root_module]` generates it.
            unsafe {
                $crate::__private::abi_stable::library::LibHeader::from_constructor::<
                    $crate::__private::myrmex_abi::PluginModRef,
                >(
                    erased_module,
                    $crate::__private::abi_stable::library::CheckTypeLayout::Yes,
                )
            }
        };
    };
}

/// The [`CapabilityKind`] of a `plugin!` entry. Not public API.
#[doc(hidden)]
#[macro_export]
macro_rules! __kind {
    (driver) => {
        $crate::CapabilityKind::DRIVER
    };
    (shard) => {
        $crate::CapabilityKind::SHARD
    };
    (audit) => {
        $crate::CapabilityKind::AUDIT
    };
    (backup) => {
        $crate::CapabilityKind::BACKUP
    };
    (store) => {
        $crate::CapabilityKind::STORE
    };
}

/// Opens a `plugin!` entry when its kind is the one asked for. Not public API.
#[doc(hidden)]
#[macro_export]
macro_rules! __open {
    (driver driver, $open:path, $name:literal, $config:ident) => {
        Some($open($crate::Config::new($name, $config.as_str())).map($crate::driver_box))
    };
    (shard shard, $open:path, $name:literal, $config:ident) => {
        Some($open($crate::Config::new($name, $config.as_str())).map($crate::shard_box))
    };
    (audit audit, $open:path, $name:literal, $config:ident) => {
        Some($open($crate::Config::new($name, $config.as_str())).map($crate::audit_box))
    };
    (backup backup, $open:path, $name:literal, $config:ident) => {
        Some($open($crate::Config::new($name, $config.as_str())).map($crate::backup_box))
    };
    (store store, $open:path, $name:literal, $config:ident) => {
        Some($open($crate::Config::new($name, $config.as_str())).map($crate::store_box))
    };
    ($want:ident $kind:ident, $open:path, $name:literal, $config:ident) => {
        None
    };
}
