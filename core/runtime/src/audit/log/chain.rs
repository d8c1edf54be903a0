//! The hash chain: how an entry line is sealed with its hash, and how a line is read back.
//!
//! An entry's `hash` is the hex SHA-256 of its `prev` (hex text) followed by the canonical
//! JSON of the entry without `hash`. Lines are written as that canonical JSON with
//! `,"hash":"…"` put before the closing brace, so a reader recovers the exact bytes that
//! were hashed by cutting that member off again; any change to a line, even to its spacing,
//! changes what is hashed.

use super::entry::{Checkpoint, Record};
use crate::hex;
use sha2::{Digest, Sha256};

/// The `prev` of the very first entry.
pub(crate) const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What a checkpoint line starts with; entry lines start with `{"seq":`.
const CHECKPOINT_START: &str = "{\"checkpoint\":";

/// What comes between the canonical JSON (without its closing brace) and the hash.
const HASH_MEMBER: &str = ",\"hash\":\"";

/// The end of the chain so far: the last entry's sequence number and hash (0 and
/// 64 zeros for an empty log).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainHead {
    /// The last entry's sequence number.
    pub seq: u64,
    /// The last entry's hash, hex SHA-256.
    pub hash: String,
}

impl ChainHead {
    /// The head of a log with no entries.
    pub(crate) fn genesis() -> Self {
        ChainHead {
            seq: 0,
            hash: GENESIS.into(),
        }
    }
}

/// The hash of an entry whose `prev` and canonical JSON are given.
pub(crate) fn entry_hash(prev: &str, canonical: &str) -> String {
    let mut h = Sha256::new();
    h.update(prev.as_bytes());
    h.update(canonical.as_bytes());
    hex::encode(&h.finalize())
}

/// The line (without its newline) for `record`, and the record's hash.
pub(crate) fn seal(record: &Record) -> serde_json::Result<(String, String)> {
    let canonical = serde_json::to_string(record)?;
    let hash = entry_hash(&record.prev, &canonical);
    let open = canonical.strip_suffix('}').unwrap_or(&canonical);
    Ok((format!("{open}{HASH_MEMBER}{hash}\"}}"), hash))
}

/// The line for a checkpoint (without its newline).
pub(crate) fn checkpoint_line(checkpoint: &Checkpoint) -> serde_json::Result<String> {
    serde_json::to_string(checkpoint)
}

/// An entry read back: the record, the hash the line states and the hash its content has.
#[derive(Debug)]
pub(crate) struct Sealed {
    pub record: Record,
    /// The `hash` written in the line.
    pub hash: String,
    /// The hash recomputed from the line's content.
    pub computed: String,
}

/// One line of the log, read back.
#[derive(Debug)]
pub(crate) enum Line {
    Entry(Box<Sealed>),
    Checkpoint(Checkpoint),
}

impl Line {
    /// The chain head the line stands for: an entry's own, or the one a checkpoint seals.
    pub(crate) fn head(&self) -> ChainHead {
        match self {
            Line::Entry(e) => ChainHead {
                seq: e.record.seq,
                hash: e.hash.clone(),
            },
            Line::Checkpoint(c) => ChainHead {
                seq: c.checkpoint,
                hash: c.hash.clone(),
            },
        }
    }
}

/// Reads one line (without its newline); the error says what is wrong with it.
pub(crate) fn parse_line(text: &str) -> Result<Line, String> {
    if text.starts_with(CHECKPOINT_START) {
        let c: Checkpoint =
            serde_json::from_str(text).map_err(|e| format!("not a checkpoint line: {e}"))?;
        if !hex::is_digest(&c.hash) {
            return Err("the checkpoint's hash is not 64 lowercase hex characters".into());
        }
        return Ok(Line::Checkpoint(c));
    }
    if !text.starts_with("{\"seq\":") {
        return Err("not a log line (neither an entry nor a checkpoint)".into());
    }
    // `…,"hash":"<64 hex>"}`: the member is the line's last.
    let tail_len = HASH_MEMBER.len() + 64 + 2;
    let cut = text.len().checked_sub(tail_len).filter(|&cut| {
        text.is_char_boundary(cut) && text[cut..].starts_with(HASH_MEMBER) && text.ends_with("\"}")
    });
    let Some(cut) = cut else {
        return Err("the entry does not end with its hash".into());
    };
    let hash = &text[cut + HASH_MEMBER.len()..text.len() - 2];
    if !hex::is_digest(hash) {
        return Err("the entry's hash is not 64 lowercase hex characters".into());
    }
    let canonical = format!("{}}}", &text[..cut]);
    let record: Record =
        serde_json::from_str(&canonical).map_err(|e| format!("not a log entry: {e}"))?;
    if !hex::is_digest(&record.prev) {
        return Err("the entry's prev is not 64 lowercase hex characters".into());
    }
    let computed = entry_hash(&record.prev, &canonical);
    Ok(Line::Entry(Box::new(Sealed {
        record,
        hash: hash.to_string(),
        computed,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(seq: u64, prev: &str) -> Record {
        Record {
            seq,
            time: "2024-01-01T00:00:00.000Z".into(),
            user: "ann".into(),
            host: "box".into(),
            connection: "app".into(),
            url: "db://h/app".into(),
            statement: "SELECT \"hash\" FROM t -- ,\"hash\":\"".into(),
            params: 2,
            duration_ms: 1.25,
            rows: Some(3),
            outcome: "ok".into(),
            prev: prev.into(),
        }
    }

    #[test]
    fn a_sealed_line_reads_back_with_a_matching_hash() {
        let (line, hash) = seal(&record(1, GENESIS)).unwrap();
        assert!(line.ends_with(&format!(",\"hash\":\"{hash}\"}}")));
        let Ok(Line::Entry(e)) = parse_line(&line) else {
            panic!("{line}")
        };
        assert_eq!(e.record, record(1, GENESIS));
        assert_eq!(
            (e.hash.as_str(), e.computed.as_str()),
            (hash.as_str(), hash.as_str())
        );
        // The line is valid JSON with `hash` as a member.
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["hash"], hash.as_str());
    }

    #[test]
    fn any_change_to_a_line_changes_its_hash() {
        let (line, hash) = seal(&record(1, GENESIS)).unwrap();
        let edited = line.replace("ann", "bob");
        let Ok(Line::Entry(e)) = parse_line(&edited) else {
            panic!()
        };
        assert_eq!(e.hash, hash);
        assert_ne!(e.computed, hash);
        let spaced = line.replacen(":", ": ", 1);
        let Ok(Line::Entry(e)) = parse_line(&spaced) else {
            panic!()
        };
        assert_ne!(e.computed, e.hash);
    }

    #[test]
    fn lines_that_are_not_entries_are_refused() {
        assert!(parse_line("").is_err());
        assert!(parse_line("{\"seq\":1}").is_err());
        assert!(parse_line("garbage").is_err());
        let (line, _) = seal(&record(1, GENESIS)).unwrap();
        assert!(parse_line(&line[..line.len() - 10]).is_err());
        let extra = line.replacen("{\"seq\":1,", "{\"seq\":1,\"x\":2,", 1);
        assert!(parse_line(&extra).unwrap_err().contains("unknown field"));
        let c = r#"{"checkpoint":4,"hash":"00","time":"t"}"#;
        assert!(parse_line(c).is_err());
    }
}
