//! Connection options → `mysql::Opts`.

use myrmex_plugin::{ConnectOptions, PluginError};
use mysql::{OptsBuilder, SslOpts};
use std::time::Duration;

const KNOWN: &str = "ssl-mode (or sslmode), ssl-ca, connect_timeout, socket";

/// `ssl-mode` as the MySQL client spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    /// Plain connections only.
    Disabled,
    /// TLS when the server offers it, plain otherwise; certificates are not checked.
    Preferred,
    /// TLS or nothing; certificates are not checked.
    Required,
    /// TLS with a certificate signed by a trusted (or the given) authority.
    VerifyCa,
    /// As `VerifyCa`, and the certificate names the host.
    VerifyIdentity,
}

/// Options for a connection, and how to retry without TLS when TLS was only preferred.
pub struct SessionOptions {
    /// Everything but TLS.
    pub builder: OptsBuilder,
    /// TLS as `ssl-mode` asks.
    pub ssl: SslMode,
    /// `ssl-ca`: the authority certificates are checked against.
    pub ssl_ca: Option<String>,
    /// Deadline for the whole connect (TCP, TLS, handshake and authentication), also for the
    /// side connection that cancels a statement.
    pub connect_timeout: Duration,
    /// `host:port` (or the socket path) for messages.
    pub address: String,
}

impl SessionOptions {
    /// Reads URL parts and options; unknown options are errors naming the key.
    pub fn parse(o: &ConnectOptions) -> Result<Self, PluginError> {
        let mut b = OptsBuilder::new()
            .user(Some(if o.user.is_empty() {
                "root"
            } else {
                o.user.as_str()
            }))
            .stmt_cache_size(256)
            .init(vec!["SET time_zone = '+00:00'"]);
        if !o.password.is_empty() {
            b = b.pass(Some(o.password.as_str()));
        }
        if !o.database.is_empty() {
            b = b.db_name(Some(o.database.as_str()));
        }
        let host = if o.host.is_empty() {
            "localhost"
        } else {
            o.host.as_str()
        };
        let port = if o.port == 0 { 3306 } else { o.port };
        let mut address = format!("{host}:{port}");
        b = if host.starts_with('/') {
            address = host.to_string();
            b.socket(Some(host)).prefer_socket(true)
        } else {
            b.ip_or_hostname(Some(host))
                .tcp_port(port)
                .prefer_socket(false)
        };
        let mut connect_timeout = myrmex_plugin::deadline::DEFAULT_CONNECT_TIMEOUT;
        let mut ssl = SslMode::Preferred;
        let mut ssl_ca = None;
        for t in o.options.iter() {
            let (k, v) = (t.0.as_str(), t.1.as_str());
            match k {
                "ssl-mode" | "sslmode" | "ssl_mode" => {
                    ssl = match v.to_ascii_uppercase().replace('-', "_").as_str() {
                        "DISABLED" | "DISABLE" => SslMode::Disabled,
                        "PREFERRED" | "PREFER" => SslMode::Preferred,
                        "REQUIRED" | "REQUIRE" => SslMode::Required,
                        "VERIFY_CA" => SslMode::VerifyCa,
                        "VERIFY_IDENTITY" | "VERIFY_FULL" => SslMode::VerifyIdentity,
                        _ => return Err(PluginError::invalid(format!("ssl-mode={v} is not valid (expected DISABLED, PREFERRED, REQUIRED, VERIFY_CA or VERIFY_IDENTITY)"))),
                    }
                }
                "ssl-ca" | "sslrootcert" => ssl_ca = Some(v.to_string()),
                "connect_timeout" => {
                    connect_timeout = myrmex_plugin::deadline::parse_connect_timeout(v).map_err(PluginError::invalid)?;
                }
                "socket" => {
                    address = v.to_string();
                    b = b.socket(Some(v)).prefer_socket(true)
                }
                _ => return Err(PluginError::invalid(format!("unknown mysql option `{k}` (known: {KNOWN})"))),
            }
        }
        Ok(SessionOptions {
            builder: b.tcp_connect_timeout(Some(connect_timeout)),
            ssl,
            ssl_ca,
            connect_timeout,
            address,
        })
    }

    /// The options with TLS as `ssl-mode` asks (`None` for plain).
    pub fn with_tls(&self, tls: bool) -> OptsBuilder {
        if !tls || self.ssl == SslMode::Disabled {
            return self.builder.clone().ssl_opts(None::<SslOpts>);
        }
        let mut s = SslOpts::default();
        if let Some(ca) = &self.ssl_ca {
            s = s.with_root_cert_path(Some(std::path::PathBuf::from(ca)));
        }
        s = match self.ssl {
            SslMode::Preferred | SslMode::Required => s.with_danger_accept_invalid_certs(true),
            SslMode::VerifyCa => s.with_danger_skip_domain_validation(true),
            _ => s,
        };
        self.builder.clone().ssl_opts(Some(s))
    }
}
