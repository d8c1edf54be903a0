//! Connection URLs: parsing belongs to the driver that owns the scheme
//! ([`crate::plugin::Registry::parse_url`]); showing them without secrets is the same for
//! every engine and lives in the kit, re-exported here.

pub use myrmex_plugin::url::{is_secret_option, redact, redact_in_text};

/// Parses a connection URL with the driver that owns its scheme, from the process-wide
/// registry.
pub fn parse(url: &str) -> crate::Result<myrmex_abi::ConnectOptions> {
    crate::plugin::Registry::global().parse_url(url, std::path::Path::new(""))
}
