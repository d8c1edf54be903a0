//! `migrate new` and `migrate diff`: writing new migration files.

use super::source::{Migration, MigrationKind};
use crate::{Error, Result};
use myrmex_plugin::canonical::civil_from_days;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// Versions below this are counters (`V1`, `V2`, …); above, timestamps.
const TIMESTAMP_FLOOR: i64 = 1_000_000_000;

/// The version a new migration gets: the next counter when the directory counts (`V7` after
/// `V6`), otherwise the UTC time as `YYYYMMDDHHMMSS` (and always above the newest version).
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// let now = UNIX_EPOCH + Duration::from_secs(1_795_000_000);
/// assert_eq!(myrmex_core::migrate::next_version(&[], now), 20261118110640);
/// ```
pub fn next_version(existing: &[Migration], now: SystemTime) -> i64 {
    let newest = existing.iter().map(|m| m.version).max();
    match newest {
        Some(n) if n < TIMESTAMP_FLOOR => n + 1,
        _ => {
            let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()) as i64;
            let (y, mo, d) = civil_from_days(secs.div_euclid(86_400));
            let s = secs.rem_euclid(86_400);
            let stamp = format!(
                "{y:04}{mo:02}{d:02}{:02}{:02}{:02}",
                s / 3600,
                s / 60 % 60,
                s % 60
            );
            let stamp: i64 = stamp.parse().unwrap_or(0);
            newest.map_or(stamp, |n| stamp.max(n + 1))
        }
    }
}

/// The digits of a version as the directory writes them (`V001__…` keeps three digits).
fn padded(version: i64, existing: &[Migration]) -> String {
    let width = existing
        .iter()
        .filter_map(|m| {
            let file = m.up.file.file_name()?.to_str()?;
            let digits = file[1..].bytes().take_while(u8::is_ascii_digit).count();
            Some(digits)
        })
        .max()
        .unwrap_or(0);
    format!("{version:0width$}")
}

/// A migration name as a file name part: lower case, words joined by `_`.
fn file_name_part(name: &str) -> Result<String> {
    let mut out = String::new();
    for c in name.trim().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let out = out.trim_matches('_').to_string();
    if out.is_empty() {
        return Err(Error::InvalidMigrationName {
            name: name.to_string(),
        });
    }
    Ok(out)
}

/// Writes `V<next>__<name>.up.<ext>` and `.down.<ext>` into `dir` (created if needed); refuses
/// to overwrite. Returns the paths written.
pub fn write_migration(
    dir: &Path,
    existing: &[Migration],
    name: &str,
    kind: MigrationKind,
    up: &str,
    down: &str,
) -> Result<Vec<PathBuf>> {
    let version = next_version(existing, SystemTime::now());
    let stem = format!("V{}__{}", padded(version, existing), file_name_part(name)?);
    let ext = match kind {
        MigrationKind::Sql => "sql",
        MigrationKind::Rhai => "rhai",
    };
    std::fs::create_dir_all(dir).map_err(|source| Error::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut written = Vec::new();
    for (part, text) in [("up", up), ("down", down)] {
        let path = dir.join(format!("{stem}.{part}.{ext}"));
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path);
        let io = |source| Error::Io {
            path: path.clone(),
            source,
        };
        let mut file = file.map_err(io)?;
        std::io::Write::write_all(&mut file, text.as_bytes()).map_err(io)?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_versions() {
        assert_eq!(
            file_name_part("Add users table!").unwrap(),
            "add_users_table"
        );
        assert!(file_name_part("--").is_err());
        let t = UNIX_EPOCH + std::time::Duration::from_secs(86_400 * 365);
        assert_eq!(next_version(&[], t), 19710101000000);
    }
}
