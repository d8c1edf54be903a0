//! [`Session`]: one PostgreSQL session, driven by its own single-threaded runtime.
//!
//! tokio-postgres splits a session into a `Client` (requests) and a connection task (the
//! socket). The task runs on a current-thread runtime owned by the session, so it makes
//! progress only while a call waits for an answer: between calls the socket is left alone,
//! and an unread result holds the server back through TCP flow control.

use crate::cancel::Canceller;
use crate::error::{self, closed, server_closed};
use crate::options::PgOptions;
use crate::tls::{self, SslMode};
use myrmex_plugin::{ConnectOptions, ErrorKind, PluginError};
use std::future::Future;
use std::time::Duration;
use tokio::runtime::Runtime;
use tokio::task::JoinHandle;
use tokio::time::error::Elapsed;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, NoTls, Row};
use tokio_postgres_rustls::MakeRustlsConnect;

/// How long closing waits for the server to see the session end.
const CLOSE_WAIT: Duration = Duration::from_secs(2);

/// How the session was secured (cancel requests use the same).
#[derive(Clone)]
pub enum Tls {
    /// Plain TCP or a Unix socket.
    Plain,
    /// TLS through rustls.
    Rustls(MakeRustlsConnect),
}

/// An open session.
pub struct Session {
    client: Option<Client>,
    task: Option<JoinHandle<()>>,
    canceller: Canceller,
    runtime: Runtime,
}

/// A client of an open session and the runtime that answers it, for one call.
pub struct Live<'a> {
    /// The requests side of the session.
    pub client: &'a Client,
    runtime: &'a Runtime,
}

impl Live<'_> {
    /// Runs `work` (a request of [`Live::client`]) until it completes, driving the socket.
    pub fn wait<F: Future>(&self, work: F) -> F::Output {
        self.runtime.block_on(work)
    }

    /// As [`Live::wait`], giving up after `limit`.
    pub fn wait_at_most<F: Future>(&self, limit: Duration, work: F) -> Result<F::Output, Elapsed> {
        within(self.runtime, limit, work)
    }
}

/// Runs `work` on `runtime`, giving up after `limit`.
pub fn within<F: Future>(
    runtime: &Runtime,
    limit: Duration,
    work: F,
) -> Result<F::Output, Elapsed> {
    // The timer is made inside the runtime: it needs the runtime's clock.
    runtime.block_on(async { tokio::time::timeout(limit, work).await })
}

/// A single-threaded runtime with I/O and timers.
pub fn runtime() -> Result<Runtime, PluginError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            PluginError::new(
                ErrorKind::INTERNAL,
                format!("cannot start the client runtime: {e}"),
            )
        })
}

impl Session {
    /// Connects as `o` says, within its `connect_timeout` (TCP, TLS and authentication).
    pub fn connect(o: &ConnectOptions) -> Result<Session, PluginError> {
        let opts = PgOptions::parse(o)?;
        let target = format!(
            "postgres at {}/{} as {}",
            opts.address,
            o.database,
            if o.user.is_empty() {
                "(default user)"
            } else {
                o.user.as_str()
            }
        );
        let tls = if opts.ssl == SslMode::Disable {
            Tls::Plain
        } else {
            Tls::Rustls(MakeRustlsConnect::new(tls::client_config(
                opts.ssl,
                opts.root_cert.as_deref(),
            )?))
        };
        let runtime = runtime()?;
        let limit = opts.connect_timeout;
        let attempt = within(&runtime, limit, start(&opts.config, tls.clone()));
        let fail = |kind: ErrorKind, why: String| {
            PluginError::new(kind, format!("cannot connect to {target}: {why}"))
        };
        let (client, task) = match attempt {
            Ok(Ok(started)) => started,
            Ok(Err(e)) => {
                // A name lookup still running on the blocking pool must not hold the caller.
                runtime.shutdown_background();
                return Err(connect_error(e, &opts.address, &target));
            }
            Err(_) => {
                runtime.shutdown_background();
                return Err(fail(
                    ErrorKind::TIMEOUT,
                    format!(
                        "the server at {} did not answer within {} s (connect_timeout)",
                        opts.address,
                        limit.as_secs()
                    ),
                ));
            }
        };
        Ok(Session {
            canceller: Canceller::new(client.cancel_token(), tls, limit),
            client: Some(client),
            task: Some(task),
            runtime,
        })
    }

    /// The open session, or the error saying why there is none.
    pub fn live(&self) -> Result<Live<'_>, PluginError> {
        let client = self.client.as_ref().ok_or_else(closed)?;
        if client.is_closed() {
            return Err(server_closed());
        }
        Ok(Live {
            client,
            runtime: &self.runtime,
        })
    }

    /// Runs a query with typed parameters and returns all its rows (catalog queries).
    pub fn rows(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>, PluginError> {
        let live = self.live()?;
        live.wait(live.client.query(sql, params))
            .map_err(error::map)
    }

    /// A handle that cancels the statement running on this session.
    pub fn canceller(&self) -> Canceller {
        self.canceller.clone()
    }

    /// Ends the session: the server is told and the socket closes. Later calls fail.
    pub fn close(&mut self) {
        // Dropping the client makes the connection task send Terminate and finish.
        self.client = None;
        if let Some(task) = self.task.take() {
            // The task ends by itself; waiting only lets the server see a clean goodbye.
            let _ = within(&self.runtime, CLOSE_WAIT, task);
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.close();
    }
}

/// Connects and starts the connection task on the current runtime.
async fn start(
    config: &tokio_postgres::Config,
    tls: Tls,
) -> Result<(Client, JoinHandle<()>), tokio_postgres::Error> {
    // The task's own error needs no report: the client sees the session closed.
    Ok(match tls {
        Tls::Plain => {
            let (client, connection) = config.connect(NoTls).await?;
            (
                client,
                tokio::spawn(async move {
                    let _ = connection.await;
                }),
            )
        }
        Tls::Rustls(mk) => {
            let (client, connection) = config.connect(mk).await?;
            (
                client,
                tokio::spawn(async move {
                    let _ = connection.await;
                }),
            )
        }
    })
}

/// The error of a failed connect. Server errors keep their kinds (a wrong password is
/// [`ErrorKind::AUTHENTICATION`], a missing database [`ErrorKind::NOT_FOUND`]); the rest is
/// [`ErrorKind::CONNECTION`], or [`ErrorKind::TIMEOUT`] when the TCP connect timed out.
fn connect_error(e: tokio_postgres::Error, address: &str, target: &str) -> PluginError {
    let wrong_protocol = is_wrong_protocol(&e);
    let timed_out = io_error(&e).is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut);
    let mut err = error::map(e);
    if wrong_protocol {
        err.message = format!(
            "the server at {address} did not answer as a PostgreSQL server ({})",
            if err.kind == ErrorKind::CLOSED {
                "it closed the connection"
            } else {
                err.message.as_str()
            }
        )
        .into();
    }
    if err.sqlstate.is_none() || err.kind == ErrorKind::CLOSED {
        // Nothing was open to close: a server starting up or shutting down refuses the
        // connection, as does a peer that is no PostgreSQL server.
        err.kind = if timed_out {
            ErrorKind::TIMEOUT
        } else {
            ErrorKind::CONNECTION
        };
    }
    err.message = format!("cannot connect to {target}: {}", err.message).into();
    err
}

fn io_error(e: &tokio_postgres::Error) -> Option<&std::io::Error> {
    std::error::Error::source(e).and_then(|s| s.downcast_ref::<std::io::Error>())
}

/// True when the peer spoke something other than the PostgreSQL protocol during the
/// startup: it answered with bytes that are no PostgreSQL message, or dropped the connection
/// without a PostgreSQL error message (a MySQL server resets a connection whose first packet
/// is not its handshake answer). tokio-postgres names no error kind, so its two fixed
/// protocol messages are compared; the I/O cases are read from the error's source.
fn is_wrong_protocol(e: &tokio_postgres::Error) -> bool {
    if e.as_db_error().is_some() {
        return false;
    }
    if e.is_closed() {
        return true;
    }
    if let Some(io) = io_error(e) {
        return matches!(
            io.kind(),
            std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::ConnectionReset
        );
    }
    let top = e.to_string();
    top == "unexpected message from server" || top == "error parsing response from server"
}

#[cfg(test)]
mod tests {
    use myrmex_plugin::{all_rows, Driver, Params, Value};

    #[test]
    fn connects_through_a_unix_socket() {
        let dir = "/var/run/postgresql";
        if !std::path::Path::new(dir).join(".s.PGSQL.5432").exists() {
            // Said, never silent; a run that requires the servers fails instead.
            assert!(
                std::env::var("MYRMEX_REQUIRE_SERVERS").as_deref() != Ok("1"),
                "no PostgreSQL socket in {dir}"
            );
            eprintln!("SKIPPED connects_through_a_unix_socket: no PostgreSQL socket in {dir}");
            return;
        }
        let driver = crate::testing::driver();
        // The test server's own database, reached through the socket instead of TCP.
        let db = crate::testing::options().database.to_string();
        for url in [
            format!("postgres://postgres@%2Fvar%2Frun%2Fpostgresql/{db}"),
            format!("postgres://postgres@/{db}?host=/var/run/postgresql"),
        ] {
            let mut c = driver
                .connect(&driver.parse_url(&url, "").unwrap())
                .unwrap();
            let rows = all_rows(&mut c, "SELECT inet_client_addr() IS NULL", Params::none());
            assert_eq!(rows.unwrap(), vec![vec![Value::Bool(true)]], "{url}");
        }
    }
}
