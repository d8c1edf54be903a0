//! # myrmex-postgres — the PostgreSQL driver plugin
//!
//! A `cdylib` exporting the `driver` capability `postgres` (URL schemes `postgres`,
//! `postgresql`) on rust-postgres, with TLS through rustls. Options: `sslmode`
//! (`disable|allow|prefer|require|verify-ca|verify-full`, default `prefer`), `sslrootcert`,
//! `connect_timeout` (s, default 10, bounding TCP, TLS and authentication), `application_name`, `host` (a Unix socket directory), `options`,
//! `statement_timeout` (ms). Placeholders: see [`placeholders`]. Types: see [`types`] and
//! `docs/architecture.md`.

#[path = "../../shared/blank.rs"]
mod blank;
mod conn;
#[path = "../../shared/deadline.rs"]
mod deadline;
mod error;
mod introspect;
pub mod numeric;
mod options;
pub mod placeholders;
pub mod temporal;
mod tls;
pub mod types;

use myrmex_abi::abi_stable::sabi_trait::TD_Opaque;
use myrmex_abi::{
    guard, Capability, CapabilityKind, ConnectOptions, ConnectionBox, Connection_TO, Driver,
    DriverBox, Driver_TO, PluginError, PluginInfo, RResult, RStr, RString, RVec,
};

struct PgDriver;

impl Driver for PgDriver {
    fn schemes(&self) -> RVec<RString> {
        vec![RString::from("postgres"), RString::from("postgresql")].into()
    }

    fn connect(&self, options: &ConnectOptions) -> RResult<ConnectionBox, PluginError> {
        guard(|| {
            Ok(Connection_TO::from_value(
                conn::PgConnection::open(options)?,
                TD_Opaque,
            ))
        })
    }
}

extern "C" fn info() -> PluginInfo {
    PluginInfo {
        name: "myrmex-postgres".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        contract: myrmex_abi::CONTRACT_VERSION,
        capabilities: vec![Capability {
            kind: CapabilityKind::DRIVER,
            name: "postgres".into(),
            description: "PostgreSQL (rust-postgres, TLS via rustls)".into(),
        }]
        .into(),
    }
}

extern "C" fn open_driver(name: RStr<'_>, _config: RStr<'_>) -> RResult<DriverBox, PluginError> {
    guard(|| {
        if name.as_str() != "postgres" {
            return Err(PluginError::new(
                myrmex_abi::ErrorKind::NOT_FOUND,
                format!("myrmex-postgres has no driver named `{name}`"),
            ));
        }
        Ok(Driver_TO::from_value(PgDriver, TD_Opaque))
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
