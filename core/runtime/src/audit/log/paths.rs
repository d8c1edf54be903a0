//! The files beside a log `<log>`: its anchor `<log>.anchor`, its lock `<log>.lock` and
//! its rotated files `<log>.1` (the newest), `<log>.2`, … (older).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// `<log><suffix>`.
fn with_suffix(log: &Path, suffix: &str) -> PathBuf {
    let mut name = OsString::from(log.as_os_str());
    name.push(suffix);
    PathBuf::from(name)
}

/// The anchor: the latest entry and checkpoint, rewritten after every append.
pub(crate) fn anchor(log: &Path) -> PathBuf {
    with_suffix(log, ".anchor")
}

/// The temporary file the anchor is written to before it is renamed over the anchor.
pub(crate) fn anchor_temp(log: &Path) -> PathBuf {
    with_suffix(log, ".anchor.tmp")
}

/// The file processes lock while they append: it is never renamed, so the lock holds
/// across rotation.
pub(crate) fn lock(log: &Path) -> PathBuf {
    with_suffix(log, ".lock")
}

/// Rotated file `n` (1 is the newest).
pub(crate) fn rotated(log: &Path, n: u32) -> PathBuf {
    with_suffix(log, &format!(".{n}"))
}

/// How many rotated files there are: `<log>.1` to `<log>.N`, counted until one is missing.
pub(crate) fn rotated_count(log: &Path) -> u32 {
    let mut n = 0;
    while rotated(log, n + 1).exists() {
        n += 1;
    }
    n
}

/// The rotated files, oldest first (`<log>.N` … `<log>.1`).
pub(crate) fn rotated_files(log: &Path) -> Vec<PathBuf> {
    (1..=rotated_count(log))
        .rev()
        .map(|n| rotated(log, n))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_sit_beside_the_log() {
        let log = Path::new("/var/log/myrmex/audit.jsonl");
        assert_eq!(anchor(log), Path::new("/var/log/myrmex/audit.jsonl.anchor"));
        assert_eq!(lock(log), Path::new("/var/log/myrmex/audit.jsonl.lock"));
        assert_eq!(rotated(log, 2), Path::new("/var/log/myrmex/audit.jsonl.2"));
    }
}
