//! [`Canceller`]: PostgreSQL's cancel request, a connection of its own carrying the
//! session's secret key.

use crate::error::{self, error_chain};
use crate::session::{self, Tls};
use myrmex_plugin::{CancelHandle, ErrorKind, PluginError};
use std::time::Duration;
use tokio_postgres::{CancelToken, NoTls};

/// Cancels the statement running on one session, from any thread.
#[derive(Clone)]
pub struct Canceller {
    token: CancelToken,
    tls: Tls,
    connect_timeout: Duration,
}

impl Canceller {
    /// A canceller for the session `token` came from, secured as that session was.
    pub fn new(token: CancelToken, tls: Tls, connect_timeout: Duration) -> Self {
        Canceller {
            token,
            tls,
            connect_timeout,
        }
    }
}

impl CancelHandle for Canceller {
    fn cancel(&self) -> Result<(), PluginError> {
        // The session's own runtime is busy waiting for the statement: the request runs on
        // a runtime of its own, under the connect deadline.
        let runtime = session::runtime()?;
        let request = async {
            match &self.tls {
                Tls::Plain => self.token.cancel_query(NoTls).await,
                Tls::Rustls(mk) => self.token.cancel_query(mk.clone()).await,
            }
        };
        let outcome = session::within(&runtime, self.connect_timeout, request);
        runtime.shutdown_background();
        match outcome {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) if e.as_db_error().is_some() => Err(error::map(e)),
            Ok(Err(e)) => Err(PluginError::new(
                ErrorKind::CONNECTION,
                format!("the cancel request failed: {}", error_chain(&e)),
            )),
            Err(_) => Err(PluginError::new(
                ErrorKind::TIMEOUT,
                format!(
                    "the cancel request got no answer within {} s (connect_timeout)",
                    self.connect_timeout.as_secs()
                ),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::testing;
    use myrmex_plugin::{all_rows, Connection, ErrorKind, Params, Value};
    use std::time::Duration;

    #[test]
    fn a_cancelled_statement_is_cancelled_and_the_session_goes_on() {
        let mut c = testing::connect();
        let handle = c.cancel_handle().unwrap();
        let canceller = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            handle.cancel()
        });
        let e = c
            .query("SELECT pg_sleep(30)", Params::none(), 1)
            .unwrap_err();
        canceller.join().unwrap().unwrap();
        assert_eq!(e.kind, ErrorKind::CANCELLED, "{e}");
        let rows = all_rows(&mut c, "SELECT 1", Params::none()).unwrap();
        assert_eq!(rows, vec![vec![Value::Int(1)]]);
    }
}
