//! Connection options → `tokio_postgres::Config` and the TLS mode.

use crate::tls::SslMode;
use myrmex_plugin::deadline;
use myrmex_plugin::{ConnectOptions, PluginError};
use std::time::Duration;

const KNOWN: &str =
    "sslmode, sslrootcert, connect_timeout, application_name, host, options, statement_timeout";

/// Everything needed to connect.
pub struct PgOptions {
    /// The client library's connection settings.
    pub config: tokio_postgres::Config,
    /// Deadline for the whole connect (TCP, TLS, startup and authentication) and for the
    /// side connection of a cancel request.
    pub connect_timeout: Duration,
    /// `host:port` (or the socket directory) for messages.
    pub address: String,
    /// The `sslmode`.
    pub ssl: SslMode,
    /// The `sslrootcert` file, if given.
    pub root_cert: Option<String>,
}

impl PgOptions {
    /// Reads URL parts and options; unknown options are errors naming the key.
    pub fn parse(o: &ConnectOptions) -> Result<Self, PluginError> {
        let mut c = tokio_postgres::Config::new();
        let mut ssl = SslMode::Prefer;
        let mut root_cert = None;
        let mut host = o.host.to_string();
        let mut connect_timeout = deadline::DEFAULT_CONNECT_TIMEOUT;
        // `options` and `statement_timeout` both become server options: gathered, then set once.
        let mut server_options: Vec<String> = Vec::new();
        c.application_name("myrmex");
        for t in o.options.iter() {
            let (k, v) = (t.0.as_str(), t.1.as_str());
            match k {
                "sslmode" => ssl = SslMode::parse(v)?,
                "sslrootcert" => root_cert = Some(v.to_string()),
                "connect_timeout" => {
                    connect_timeout =
                        deadline::parse_connect_timeout(v).map_err(PluginError::invalid)?;
                }
                "application_name" => {
                    c.application_name(v);
                }
                "host" => host = v.to_string(),
                "options" => server_options.push(v.to_string()),
                "statement_timeout" => {
                    let ms: u64 = v.parse().map_err(|_| {
                        PluginError::invalid(format!(
                            "statement_timeout={v} is not a number of milliseconds"
                        ))
                    })?;
                    server_options.push(format!("-c statement_timeout={ms}"));
                }
                _ => {
                    return Err(PluginError::invalid(format!(
                        "unknown postgres option `{k}` (known: {KNOWN})"
                    )))
                }
            }
        }
        if !server_options.is_empty() {
            c.options(server_options.join(" "));
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
            SslMode::Disable => tokio_postgres::config::SslMode::Disable,
            SslMode::Prefer => tokio_postgres::config::SslMode::Prefer,
            _ => tokio_postgres::config::SslMode::Require,
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

#[cfg(test)]
mod tests {
    use super::PgOptions;
    use myrmex_plugin::{ConnectOptions, Driver};

    fn parse(url: &str) -> Result<PgOptions, myrmex_plugin::PluginError> {
        let o: ConnectOptions = crate::driver::PgDriver::default().parse_url(url, "")?;
        PgOptions::parse(&o)
    }

    #[test]
    fn reads_every_option_and_refuses_unknown_ones() {
        let o = parse(
            "postgres://ann@db/app?sslmode=disable&connect_timeout=3&application_name=x\
             &options=-c%20search_path%3Dx&statement_timeout=250",
        )
        .unwrap();
        assert_eq!(o.address, "db:5432");
        assert_eq!(o.connect_timeout.as_secs(), 3);
        assert_eq!(o.config.get_application_name(), Some("x"));
        assert_eq!(
            o.config.get_options(),
            Some("-c search_path=x -c statement_timeout=250")
        );
        let e = parse("postgres://ann@db/app?sslmod=disable").err().unwrap();
        assert!(
            e.message.contains("unknown postgres option `sslmod`"),
            "{e}"
        );
        assert!(parse("postgres://ann@db/app?connect_timeout=0").is_err());
        assert!(parse("postgres://ann@db/app?statement_timeout=soon").is_err());
    }

    #[test]
    fn a_socket_directory_is_a_host_path() {
        let o = parse("postgres://ann@%2Frun%2Fpostgresql/app").unwrap();
        assert_eq!(o.address, "/run/postgresql");
        let o = parse("postgres://ann@/app?host=/tmp").unwrap();
        assert_eq!(o.address, "/tmp");
        assert_eq!(o.config.get_dbname(), Some("app"));
    }
}
