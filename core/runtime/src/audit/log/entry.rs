//! The lines of the log: what a caller reports about a statement ([`LogEntry`]), the entry
//! line written for it ([`Record`]), and the [`Checkpoint`] lines between entries.

use crate::error::Error;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::time::Duration;

/// How a statement ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// It ran.
    Ok,
    /// It failed with this message, which must not repeat the statement unredacted (see
    /// [`Outcome::of_error`]).
    Error(String),
}

impl Outcome {
    /// The outcome of a statement that failed with `error`: the driver's message when the
    /// error carries one, without the statement text that [`Error::Database`] adds.
    pub fn of_error(error: &Error) -> Outcome {
        match error.plugin_error() {
            Some(plugin) => Outcome::Error(plugin.to_string()),
            None => Outcome::Error(error.to_string()),
        }
    }
}

impl fmt::Display for Outcome {
    /// `ok`, or `error: <message>`, as the log writes it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Ok => f.write_str("ok"),
            Outcome::Error(message) => write!(f, "error: {message}"),
        }
    }
}

/// One executed statement, as the caller knows it. The log adds the sequence number, the
/// time, the user, the host and the chain hashes.
#[derive(Clone, Debug, PartialEq)]
pub struct LogEntry {
    /// The connection's name.
    pub connection: String,
    /// The connection URL, without its password.
    pub url: String,
    /// The statement, already redacted (see [`redact_statement`](super::redact_statement)).
    pub statement: String,
    /// How many parameters were bound; their values are never logged.
    pub params: usize,
    /// How long the statement ran.
    pub duration: Duration,
    /// Rows returned or changed, when known.
    pub rows: Option<u64>,
    /// How it ended.
    pub outcome: Outcome,
}

/// An entry line without its `hash`: the canonical JSON of this struct (fields in this
/// order, no whitespace) is what the hash covers. `hash` is written after `prev`, last.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Record {
    pub seq: u64,
    pub time: String,
    pub user: String,
    pub host: String,
    pub connection: String,
    pub url: String,
    pub statement: String,
    pub params: u64,
    pub duration_ms: f64,
    pub rows: Option<u64>,
    pub outcome: String,
    pub prev: String,
}

/// A checkpoint line: the chain hash after entry `checkpoint`, signed with Ed25519 when the
/// log has a signing key. It is not part of the chain: the entry after it links to the
/// entry before it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    /// The sequence number of the entry it seals.
    pub checkpoint: u64,
    /// That entry's hash (hex SHA-256).
    pub hash: String,
    /// When it was written (RFC 3339, UTC, milliseconds).
    pub time: String,
    /// Hex Ed25519 signature over the sequence number (8 bytes, big-endian) followed by the
    /// 32 bytes of the hash; absent when the log has no signing key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    /// Which key signed it: the first 16 hex characters of the SHA-256 of the public key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_read_as_the_log_writes_them() {
        assert_eq!(Outcome::Ok.to_string(), "ok");
        assert_eq!(
            Outcome::Error("no such table: t".into()).to_string(),
            "error: no such table: t"
        );
    }

    #[test]
    fn a_failed_statement_is_not_repeated_in_its_outcome() {
        let error = Error::Database {
            connection: "app".into(),
            statement: Some("ALTER ROLE a PASSWORD 'hunter2'".into()),
            source: Box::new(myrmex_abi::PluginError::new(
                myrmex_abi::ErrorKind::SYNTAX,
                "syntax error",
            )),
        };
        let outcome = Outcome::of_error(&error);
        assert_eq!(outcome, Outcome::Error("syntax error".into()));
        assert!(!outcome.to_string().contains("hunter2"));
    }

    #[test]
    fn an_unsigned_checkpoint_has_no_signature_fields() {
        let c = Checkpoint {
            checkpoint: 3,
            hash: "ab".into(),
            time: "t".into(),
            signature: None,
            key_id: None,
        };
        let text = serde_json::to_string(&c).unwrap();
        assert_eq!(text, r#"{"checkpoint":3,"hash":"ab","time":"t"}"#);
    }
}
