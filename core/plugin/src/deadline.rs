//! Runs a blocking connect under a deadline.
//!
//! Shared by the server driver plugins (each includes this file as a module). The client
//! libraries bound only the TCP connect by their own timeouts; the TLS and protocol
//! handshakes can wait forever on a server that accepts and never answers. The connect runs
//! on its own thread and the caller stops waiting at the deadline. The abandoned thread ends
//! when the server closes its side or the client library gives up.

use std::sync::mpsc;
use std::time::Duration;

/// Why [`within`] returned no value.
#[derive(Debug, PartialEq, Eq)]
pub enum Missed {
    /// The deadline passed first.
    TimedOut,
    /// The work could not start or panicked.
    Failed(String),
}

/// Runs `work` on a new thread and waits at most `limit` for its result.
pub fn within<T: Send + 'static>(
    limit: Duration,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Missed> {
    let (tx, rx) = mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name("myrmex-connect".into())
        .spawn(move || {
            // The receiver is gone when the caller already gave up: nothing to report then.
            let _ = tx.send(work());
        })
        .map_err(|e| Missed::Failed(format!("cannot start the connect thread: {e}")))?;
    match rx.recv_timeout(limit) {
        Ok(v) => Ok(v),
        Err(mpsc::RecvTimeoutError::Timeout) => Err(Missed::TimedOut),
        Err(mpsc::RecvTimeoutError::Disconnected) => Err(Missed::Failed(
            "the connect thread stopped without an answer".into(),
        )),
    }
}

/// The connect timeout used when the URL sets none.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Reads `connect_timeout=SECS`. Zero is refused: a connect with no time at all cannot
/// succeed, and waiting forever is what the deadline is there to prevent.
pub fn parse_connect_timeout(v: &str) -> Result<Duration, String> {
    match v.parse::<u64>() {
        Ok(0) | Err(_) => Err(format!(
            "connect_timeout={v} is not a positive number of seconds"
        )),
        Ok(secs) => Ok(Duration::from_secs(secs)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn returns_the_value_or_times_out() {
        assert_eq!(within(Duration::from_secs(5), || 7), Ok(7));
        let slow = within(Duration::from_millis(50), || {
            std::thread::sleep(Duration::from_secs(2));
        });
        assert_eq!(slow, Err(Missed::TimedOut));
        assert!(parse_connect_timeout("0").is_err());
        assert!(parse_connect_timeout("x").is_err());
        assert_eq!(parse_connect_timeout("3"), Ok(Duration::from_secs(3)));
    }
}
