//! # myrmex-sqlite — the SQLite driver plugin
//!
//! A `cdylib` exporting the `driver` capability `sqlite` through the myrmex contract, on
//! rusqlite with SQLite bundled (no system library needed). URLs: `sqlite://path/to.db`,
//! `sqlite:///abs/path.db`, `sqlite::memory:`; options `mode=ro|rw|rwc`, `busy_timeout=MS`,
//! `journal_mode=wal|delete|truncate|persist|memory|off`, `foreign_keys=on|off`,
//! `synchronous=off|normal|full|extra`, `text=strict|lossy|blob` (how TEXT that is not valid
//! UTF-8 is read: an error naming the column and row, U+FFFD replacements, or a `Blob`). The type mapping is documented in
//! `docs/architecture.md` and implemented in [`types`].

#[path = "../../shared/blank.rs"]
mod blank;
mod conn;
mod cursor;
mod error;
mod introspect;
mod options;
pub mod types;

use myrmex_abi::{
    guard, Capability, CapabilityKind, ConnectOptions, ConnectionBox, Connection_TO, Driver,
    DriverBox, Driver_TO, PluginError, PluginInfo, RResult, RStr, RString, RVec,
};

/// The `sqlite` driver.
struct SqliteDriver;

impl Driver for SqliteDriver {
    fn schemes(&self) -> RVec<RString> {
        vec![RString::from("sqlite")].into()
    }

    fn connect(&self, options: &ConnectOptions) -> RResult<ConnectionBox, PluginError> {
        guard(|| {
            let conn = conn::SqliteConnection::open(options)?;
            Ok(Connection_TO::from_value(
                conn,
                myrmex_abi::abi_stable::sabi_trait::TD_Opaque,
            ))
        })
    }
}

extern "C" fn info() -> PluginInfo {
    PluginInfo {
        name: "myrmex-sqlite".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        contract: myrmex_abi::CONTRACT_VERSION,
        capabilities: vec![Capability {
            kind: CapabilityKind::DRIVER,
            name: "sqlite".into(),
            description: format!("SQLite {} (bundled)", rusqlite::version()).into(),
        }]
        .into(),
    }
}

extern "C" fn open_driver(name: RStr<'_>, _config: RStr<'_>) -> RResult<DriverBox, PluginError> {
    guard(|| {
        if name.as_str() != "sqlite" {
            return Err(PluginError::new(
                myrmex_abi::ErrorKind::NOT_FOUND,
                format!("myrmex-sqlite has no driver named `{name}`"),
            ));
        }
        Ok(Driver_TO::from_value(
            SqliteDriver,
            myrmex_abi::abi_stable::sabi_trait::TD_Opaque,
        ))
    })
}

myrmex_abi::export_plugin!(myrmex_abi::PluginMod {
    info,
    open_driver: Some(open_driver),
    open_backup: None,
    open_shard: None,
    open_replication: None,
    open_audit: None,
});
