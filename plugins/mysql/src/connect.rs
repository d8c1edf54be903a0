//! Opening a session: TLS as `ssl-mode` asks, under the connect deadline, with errors that
//! name the target and keep what the user must change.

use crate::error::{connect_kind, map};
use crate::options::{SessionOptions, SslMode};
use myrmex_plugin::deadline::{self, Missed};
use myrmex_plugin::{ConnectOptions, ErrorKind, PluginError};
use mysql::{Conn, Opts};
use std::time::Duration;

/// An open session and how it was opened.
pub struct Opened {
    /// The session.
    pub conn: Conn,
    /// The options it was opened with (TLS as negotiated), for the cancel connection.
    pub opts: Opts,
    /// The connect deadline, for the cancel connection.
    pub connect_timeout: Duration,
}

/// Connects as `o` says; `ssl-mode=PREFERRED` falls back to plain when the server has no
/// TLS.
pub fn connect(o: &ConnectOptions) -> Result<Opened, PluginError> {
    let opts = SessionOptions::parse(o)?;
    let target = format!(
        "mysql at {}:{}/{} as {}",
        if o.host.is_empty() {
            "localhost"
        } else {
            o.host.as_str()
        },
        if o.port == 0 { 3306 } else { o.port },
        o.database,
        if o.user.is_empty() {
            "root"
        } else {
            o.user.as_str()
        }
    );
    let limit = opts.connect_timeout;
    let address = opts.address.clone();
    let tls = opts.ssl != SslMode::Disabled;
    let first: Opts = opts.with_tls(tls).into();
    let plain: Opts = opts.with_tls(false).into();
    let preferred = opts.ssl == SslMode::Preferred;
    let connected = deadline::within(limit, move || match Conn::new(first.clone()) {
        Ok(c) => Ok((c, first)),
        Err(e) if preferred && is_no_tls(&e) => Conn::new(plain.clone()).map(|c| (c, plain)),
        Err(e) => Err(e),
    });
    match connected {
        Ok(Ok((conn, opts))) => Ok(Opened {
            conn,
            opts,
            connect_timeout: limit,
        }),
        Ok(Err(e)) => {
            let wrong_protocol = is_wrong_protocol(&e);
            let mut err = map(e);
            if wrong_protocol || err.kind == ErrorKind::CLOSED {
                err.message = format!(
                    "the server at {address} did not answer as a MySQL server ({})",
                    if err.kind == ErrorKind::CLOSED {
                        "it closed the connection"
                    } else {
                        err.message.as_str()
                    }
                )
                .into();
            }
            err.kind = connect_kind(err.kind);
            err.message = format!("cannot connect to {target}: {}", err.message).into();
            Err(err)
        }
        Err(Missed::TimedOut) => Err(PluginError::new(
            ErrorKind::TIMEOUT,
            format!(
                "cannot connect to {target}: the server at {address} did not answer as a \
                 MySQL server within {} s (connect_timeout)",
                limit.as_secs()
            ),
        )),
        Err(Missed::Failed(why)) => Err(PluginError::new(
            ErrorKind::CONNECTION,
            format!("cannot connect to {target}: {why}"),
        )),
    }
}

fn is_no_tls(e: &mysql::Error) -> bool {
    matches!(
        e,
        mysql::Error::DriverError(mysql::DriverError::TlsNotSupported)
    )
}

/// True when the peer sent bytes that are no MySQL handshake. (A peer that hangs up during
/// the handshake maps to `closed`, which the connect reports the same way; a PostgreSQL
/// server sends no greeting at all, which the connect deadline catches.)
fn is_wrong_protocol(e: &mysql::Error) -> bool {
    matches!(
        e,
        mysql::Error::DriverError(
            mysql::DriverError::UnsupportedProtocol(_)
                | mysql::DriverError::PacketOutOfSync
                | mysql::DriverError::UnexpectedPacket
                | mysql::DriverError::Protocol41NotSet
        ) | mysql::Error::CodecError(_)
    )
}
