//! Cancelling a running statement: `KILL QUERY` sent from a second connection.

use crate::error::map;
use myrmex_plugin::deadline::{self, Missed};
use myrmex_plugin::{CancelHandle, ErrorKind, PluginError};
use mysql::prelude::Queryable;
use mysql::{Conn, Opts};
use std::time::Duration;

/// Cancels the statement of one session (by its connection id), with the session's own
/// connect options.
pub struct MysqlCancel {
    /// Options of the session, TLS as it was negotiated.
    pub opts: Opts,
    /// The session's connection id.
    pub id: u32,
    /// Deadline for the side connection.
    pub connect_timeout: Duration,
}

impl CancelHandle for MysqlCancel {
    fn cancel(&self) -> Result<(), PluginError> {
        let opts = self.opts.clone();
        let id = self.id;
        // The side connection gets the connect deadline, like any connect.
        match deadline::within(self.connect_timeout, move || {
            Conn::new(opts)?.query_drop(format!("KILL QUERY {id}"))
        }) {
            Ok(r) => r.map_err(map),
            Err(Missed::TimedOut) => Err(PluginError::new(
                ErrorKind::TIMEOUT,
                format!(
                    "the cancel connection got no answer within {} s (connect_timeout)",
                    self.connect_timeout.as_secs()
                ),
            )),
            Err(Missed::Failed(why)) => Err(PluginError::new(ErrorKind::CONNECTION, why)),
        }
    }
}
