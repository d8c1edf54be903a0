//! Connection options → `postgres::Config` and the TLS mode.

use crate::tls::SslMode;
use myrmex_abi::{ConnectOptions, PluginError};
use std::time::Duration;

const KNOWN: &str =
    "sslmode, sslrootcert, connect_timeout, application_name, host, options, statement_timeout";

/// Everything needed to connect.
pub struct PgOptions {
    pub config: postgres::Config,
    /// Deadline for the whole connect (TCP, TLS, startup and authentication) and for the
    /// side connection of a cancel request.
    pub connect_timeout: Duration,
    /// `host:port` (or the socket directory) for messages.
    pub address: String,
    pub ssl: SslMode,
    pub root_cert: Option<String>,
}

impl PgOptions {
    /// Reads URL parts and options; unknown options are errors naming the key.
    pub fn parse(o: &ConnectOptions) -> Result<Self, PluginError> {
        let mut c = postgres::Config::new();
        let mut ssl = SslMode::Prefer;
        let mut root_cert = None;
        let mut host = o.host.to_string();
        let mut connect_timeout = crate::deadline::DEFAULT_CONNECT_TIMEOUT;
        c.application_name("myrmex");
        for t in o.options.iter() {
            let (k, v) = (t.0.as_str(), t.1.as_str());
            match k {
                "sslmode" => ssl = SslMode::parse(v)?,
                "sslrootcert" => root_cert = Some(v.to_string()),
                "connect_timeout" => {
                    connect_timeout =
                        crate::deadline::parse_connect_timeout(v).map_err(PluginError::invalid)?;
                }
                "application_name" => {
                    c.application_name(v);
                }
                "host" => host = v.to_string(),
                "options" => {
                    c.options(v);
                }
                "statement_timeout" => {
                    let ms: u64 = v.parse().map_err(|_| {
                        PluginError::invalid(format!(
                            "statement_timeout={v} is not a number of milliseconds"
                        ))
                    })?;
                    c.options(&format!("-c statement_timeout={ms}"));
                }
                _ => {
                    return Err(PluginError::invalid(format!(
                        "unknown postgres option `{k}` (known: {KNOWN})"
                    )))
                }
            }
        }
        if host.is_empty() {
            host = "localhost".into();
        }
        if host.starts_with('/') {
            c.host_path(&host);
        } else {
            c.host(&host);
        }
        let port = if o.port == 0 { 5432 } else { o.port };
        c.port(port);
        c.connect_timeout(connect_timeout);
        let address = if host.starts_with('/') {
            host.clone()
        } else {
            format!("{host}:{port}")
        };
        let user = if o.user.is_empty() {
            std::env::var("USER").unwrap_or_else(|_| "postgres".into())
        } else {
            o.user.to_string()
        };
        c.user(&user);
        if !o.password.is_empty() {
            c.password(o.password.as_str());
        }
        c.dbname(if o.database.is_empty() {
            user.as_str()
        } else {
            o.database.as_str()
        });
        c.ssl_mode(match ssl {
            SslMode::Disable => postgres::config::SslMode::Disable,
            SslMode::Prefer => postgres::config::SslMode::Prefer,
            _ => postgres::config::SslMode::Require,
        });
        Ok(PgOptions {
            config: c,
            connect_timeout,
            address,
            ssl,
            root_cert,
        })
    }
}
