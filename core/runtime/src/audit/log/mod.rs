//! The statement log: every statement myrmex runs, one JSON line each, hash-chained so
//! that editing, inserting, deleting or reordering lines is detected by [`verify_log`].
//!
//! An entry line holds, in this order: `seq` (from 1, continuing across rotation), `time`
//! (RFC 3339, UTC, milliseconds), `user`, `host`, `connection`, `url` (without password),
//! `statement` (redacted, see [`redact_statement`]), `params` (how many, never their
//! values), `duration_ms`, `rows` (or null), `outcome` (`ok` or `error: …`), `prev` (the
//! previous entry's hash; 64 zeros for entry 1) and `hash`: the hex SHA-256 of `prev`
//! followed by the entry's canonical JSON without `hash` (these fields in this order, no
//! whitespace; the line is exactly that JSON with `"hash"` added as its last member).
//!
//! Checkpoint lines (`{"checkpoint":N,"hash":…,"time":…,"signature":…,"key_id":…}`)
//! repeat the chain hash after entry N, every [`LogOptions::checkpoint_every`] entries and
//! when the log is closed or rotated; with a signing key they carry an Ed25519 signature
//! ([`generate_keypair`] makes a key pair). After every append the latest entry and
//! checkpoint are written to `<log>.anchor`, so lines cut from the tail are detected too.
//! Rotation renames the log to `<log>.1` (older files move up to `.2`, `.3`, …) and the
//! chain continues in a new `<log>`.
//!
//! What the chain cannot show: someone able to rewrite the log and its anchor can rebuild
//! a consistent chain from the point they changed. Signed checkpoints make that visible
//! when the secret key is kept away from the log; copies of checkpoints kept elsewhere
//! make it visible without a key.

mod anchor;
mod chain;
mod clock;
mod entry;
mod hook;
mod identity;
mod lock;
mod paths;
mod redact;
mod rotate;
mod sign;
mod tail;
mod verify;
mod writer;

#[cfg(test)]
mod testing;
#[cfg(test)]
mod tests;

pub use chain::ChainHead;
pub use entry::{Checkpoint, LogEntry, Outcome};
pub use hook::StatementLog;
pub use redact::{redact_statement, redact_statement_with, RedactOptions};
pub use sign::generate_keypair;
pub use verify::{verify_log, Problem, ProblemKind, VerifyOptions, VerifyReport};
pub use writer::{AuditLog, LogOptions};
