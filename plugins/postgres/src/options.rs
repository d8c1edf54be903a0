//! Connection options → `postgres::Config` and the TLS mode.

use crate::tls::SslMode;
use myrmex_abi::{ConnectOptions, PluginError};
use std::time::Duration;

const KNOWN: &str =
    "sslmode, sslrootcert, connect_timeout, application_name, host, options, statement_timeout";

/// Everything needed to connect.
pub struct PgOptions {
    pub config: postgres::Config,
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
        c.application_name("myrmex");
        for t in o.options.iter() {
            let (k, v) = (t.0.as_str(), t.1.as_str());
            match k {
                "sslmode" => ssl = SslMode::parse(v)?,
                "sslrootcert" => root_cert = Some(v.to_string()),
                "connect_timeout" => {
                    let secs: u64 = v.parse().map_err(|_| {
                        PluginError::invalid(format!(
                            "connect_timeout={v} is not a number of seconds"
                        ))
                    })?;
                    c.connect_timeout(Duration::from_secs(secs));
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
        c.port(if o.port == 0 { 5432 } else { o.port });
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
            ssl,
            root_cert,
        })
    }
}
