//! Where a physical restore writes: a data directory the user names, or for a drill a
//! temporary one, with the refusal of a non-empty directory that every restore owes the user.

use crate::{ErrorKind, PluginError};
use std::path::{Path, PathBuf};

/// The directory a physical restore writes into.
#[derive(Debug)]
pub struct RestoreDir {
    /// The directory.
    pub path: PathBuf,
    /// True for a drill's temporary directory (removed by [`RestoreDir::finish`]).
    pub drill: bool,
    /// How many entries it held before the restore (0: absent or empty).
    pub existing: usize,
}

impl RestoreDir {
    /// `named`, or without it a new temporary directory for a drill of `strategy`. A named
    /// directory that is not empty is refused unless `clean`; `clean_does` says what clean
    /// then does, for the message.
    pub fn choose(
        named: Option<&str>,
        strategy: &str,
        clean: bool,
        clean_does: &str,
    ) -> Result<RestoreDir, PluginError> {
        let (path, drill) = match named {
            Some(p) => (PathBuf::from(p), false),
            None => (drill_path(strategy), true),
        };
        let existing = std::fs::read_dir(&path).map(|r| r.count()).unwrap_or(0);
        if existing > 0 && !clean {
            return Err(PluginError::new(
                ErrorKind::ALREADY_EXISTS,
                format!(
                    "{} is not empty; restore with clean to {clean_does}",
                    path.display()
                ),
            ));
        }
        Ok(RestoreDir {
            path,
            drill,
            existing,
        })
    }

    /// `PATH.run` beside it: a throwaway server's socket, configuration and log.
    pub fn run_dir(&self) -> PathBuf {
        PathBuf::from(format!("{}.run", self.path.display()))
    }

    /// Removes a drill's directory (a named one stays).
    pub fn finish(&self) {
        if self.drill {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

fn drill_path(strategy: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    std::env::temp_dir().join(format!(
        "myrmex-{strategy}-drill-{}-{nanos}",
        std::process::id()
    ))
}

/// True when `path` holds nothing (or does not exist).
pub fn is_empty(path: &Path) -> bool {
    std::fs::read_dir(path).map_or(true, |mut r| r.next().is_none())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_non_empty_directory_needs_clean_and_is_named() {
        let dir = drill_path("unit");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("PG_VERSION"), "15").unwrap();
        let named = dir.to_string_lossy();
        let e = RestoreDir::choose(Some(&named), "unit", false, "replace it").unwrap_err();
        assert!(e.message.contains(named.as_ref()), "{}", e.message);
        assert!(e.message.contains("clean to replace it"), "{}", e.message);
        let ok = RestoreDir::choose(Some(&named), "unit", true, "replace it").unwrap();
        assert_eq!((ok.existing, ok.drill), (1, false));
        ok.finish();
        assert!(!is_empty(&dir), "a named directory stays");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_drill_gets_a_temporary_directory_it_removes() {
        let d = RestoreDir::choose(None, "unit", false, "").unwrap();
        assert!(d.drill && d.existing == 0);
        std::fs::create_dir_all(&d.path).unwrap();
        d.finish();
        assert!(!d.path.exists());
    }
}
