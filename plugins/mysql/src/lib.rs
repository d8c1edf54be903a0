//! # myrmex-mysql — the MySQL and MariaDB driver plugin
//!
//! A `cdylib` exporting the `driver` capability `mysql` (URL schemes `mysql`, `mariadb`) on
//! the `mysql` crate, TLS through rustls. Options: `ssl-mode`
//! (`DISABLED|PREFERRED|REQUIRED|VERIFY_CA|VERIFY_IDENTITY`, default `PREFERRED`), `ssl-ca`,
//! `connect_timeout` (s, default 10, bounding TCP, TLS and the handshake), `socket`. Sessions run with `time_zone = '+00:00'`. Types: see
//! [`types`] and `docs/architecture.md`.

#[path = "../../shared/blank.rs"]
mod blank;
mod conn;
#[path = "../../shared/deadline.rs"]
mod deadline;
mod error;
mod introspect;
mod options;
pub mod types;

use myrmex_abi::abi_stable::sabi_trait::TD_Opaque;
use myrmex_abi::{
    guard, Capability, CapabilityKind, ConnectOptions, ConnectionBox, Connection_TO, Driver,
    DriverBox, Driver_TO, PluginError, PluginInfo, RResult, RStr, RString, RVec,
};

struct MyDriver;

impl Driver for MyDriver {
    fn schemes(&self) -> RVec<RString> {
        vec![RString::from("mysql"), RString::from("mariadb")].into()
    }

    fn connect(&self, options: &ConnectOptions) -> RResult<ConnectionBox, PluginError> {
        guard(|| {
            Ok(Connection_TO::from_value(
                conn::MyConnection::open(options)?,
                TD_Opaque,
            ))
        })
    }
}

extern "C" fn info() -> PluginInfo {
    PluginInfo {
        name: "myrmex-mysql".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        contract: myrmex_abi::CONTRACT_VERSION,
        capabilities: vec![Capability {
            kind: CapabilityKind::DRIVER,
            name: "mysql".into(),
            description: "MySQL and MariaDB (mysql crate, TLS via rustls)".into(),
        }]
        .into(),
    }
}

extern "C" fn open_driver(name: RStr<'_>, _config: RStr<'_>) -> RResult<DriverBox, PluginError> {
    guard(|| {
        if name.as_str() != "mysql" {
            return Err(PluginError::new(
                myrmex_abi::ErrorKind::NOT_FOUND,
                format!("myrmex-mysql has no driver named `{name}`"),
            ));
        }
        Ok(Driver_TO::from_value(MyDriver, TD_Opaque))
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
