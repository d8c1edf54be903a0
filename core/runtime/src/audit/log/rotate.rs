//! Rotation: the log is renamed to `<log>.1` after older rotated files move one number up
//! (`<log>.1` → `<log>.2`, …), so `<log>.1` is always the newest and the highest number the
//! oldest. Nothing is deleted: the chain runs from the oldest file to the log.

use super::paths;
use crate::error::{Error, Result};
use std::path::Path;

/// Moves `<log>.N` … `<log>.1` one number up and `<log>` to `<log>.1`. The caller holds the
/// log's lock.
pub(crate) fn shift(log: &Path) -> Result<()> {
    for n in (1..=paths::rotated_count(log)).rev() {
        rename(&paths::rotated(log, n), &paths::rotated(log, n + 1))?;
    }
    rename(log, &paths::rotated(log, 1))
}

fn rename(from: &Path, to: &Path) -> Result<()> {
    std::fs::rename(from, to).map_err(|source| Error::Io {
        path: from.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::Dir;
    use super::*;

    #[test]
    fn older_files_move_up_and_the_log_becomes_the_first() {
        let d = Dir::new("rotate");
        let log = d.path().join("audit.log");
        for round in ["a", "b", "c"] {
            std::fs::write(&log, round).unwrap();
            shift(&log).unwrap();
        }
        assert!(!log.exists());
        let read = |n| std::fs::read_to_string(paths::rotated(&log, n)).unwrap();
        assert_eq!(
            (read(1), read(2), read(3)),
            ("c".into(), "b".into(), "a".into())
        );
        assert_eq!(
            paths::rotated_files(&log),
            vec![
                paths::rotated(&log, 3),
                paths::rotated(&log, 2),
                paths::rotated(&log, 1)
            ]
        );
    }
}
