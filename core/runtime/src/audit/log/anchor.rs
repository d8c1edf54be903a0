//! The anchor file `<log>.anchor`: the latest entry's sequence number and hash and the
//! latest checkpoint, replaced whole (written to a temporary file, then renamed) after every
//! append. A log that ends before the entry its anchor records lost lines at its tail.

use super::entry::Checkpoint;
use super::paths;
use crate::error::{Error, Result};
use crate::hex;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::Path;

/// What the anchor records.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Anchor {
    /// The latest entry's sequence number.
    pub seq: u64,
    /// The latest entry's hash.
    pub hash: String,
    /// The latest checkpoint, when one was written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<Checkpoint>,
}

/// Replaces the anchor of `log`; with `sync`, the new anchor is on disk before it replaces
/// the old one.
pub(crate) fn write(log: &Path, anchor: &Anchor, sync: bool) -> Result<()> {
    let temp = paths::anchor_temp(log);
    let io = |source| Error::Io {
        path: temp.clone(),
        source,
    };
    let mut text = serde_json::to_string(anchor).map_err(|e| Error::AuditLog {
        path: paths::anchor(log),
        line: None,
        message: format!("cannot write the anchor: {e}"),
    })?;
    text.push('\n');
    let mut file = std::fs::File::create(&temp).map_err(io)?;
    file.write_all(text.as_bytes()).map_err(io)?;
    if sync {
        file.sync_data().map_err(io)?;
    }
    drop(file);
    std::fs::rename(&temp, paths::anchor(log)).map_err(io)
}

/// The anchor of `log`: `Ok(None)` when there is none, `Err` with what is wrong when it
/// cannot be read as one (or the I/O error's text).
pub(crate) fn read(log: &Path) -> std::result::Result<Option<Anchor>, String> {
    let text = match std::fs::read_to_string(paths::anchor(log)) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.to_string()),
    };
    let anchor: Anchor =
        serde_json::from_str(text.trim_end()).map_err(|e| format!("not an anchor: {e}"))?;
    if !hex::is_digest(&anchor.hash) {
        return Err("not an anchor: its hash is not 64 lowercase hex characters".into());
    }
    Ok(Some(anchor))
}

#[cfg(test)]
mod tests {
    use super::super::testing::Dir;
    use super::*;

    #[test]
    fn written_anchors_read_back() {
        let d = Dir::new("anchor");
        let log = d.path().join("a.log");
        assert_eq!(read(&log), Ok(None));
        let a = Anchor {
            seq: 3,
            hash: "0".repeat(64),
            checkpoint: None,
        };
        write(&log, &a, true).unwrap();
        assert_eq!(read(&log), Ok(Some(a)));
        assert!(!paths::anchor_temp(&log).exists());
        std::fs::write(paths::anchor(&log), "{}").unwrap();
        assert!(read(&log).unwrap_err().contains("not an anchor"));
    }
}
