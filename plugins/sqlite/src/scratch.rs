//! Scratch databases: an empty file in the temporary directory, for checks that must not
//! touch the real database (`migrate verify`).
//!
//! Only files this driver made are removed: a name `myrmex-scratch-….db` directly in the
//! temporary directory. Any other path is refused, so a wrong argument cannot delete a real
//! database.

use crate::error::io;
use myrmex_plugin::{ConnectOptions, PluginError};
use std::fs::OpenOptions;
use std::path::{Path, PathBuf};

const PREFIX: &str = "myrmex-scratch-";
const SUFFIX: &str = ".db";

/// What SQLite and the lock put beside a database file.
const COMPANIONS: [&str; 5] = ["", "-wal", "-shm", "-journal", ".myrmex-lock"];

/// Creates an empty scratch database and returns `template` pointing at it, always
/// read-write (`mode` is left out; the other options are kept).
pub fn create(template: &ConnectOptions) -> Result<ConnectOptions, PluginError> {
    let path = std::env::temp_dir().join(format!(
        "{PREFIX}{}{SUFFIX}",
        myrmex_plugin::scratch::unique_suffix('-')
    ));
    // `create_new` fails on anything already there, a planted link included; SQLite reads
    // an empty file as an empty database.
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| io("cannot create the scratch database", &path, e))?;
    let mut options = template.clone();
    options.database = path.display().to_string().into();
    options.options = template
        .options
        .iter()
        .filter(|t| t.0.as_str() != "mode")
        .cloned()
        .collect();
    Ok(options)
}

/// Removes a scratch database made by [`create`] and the files beside it.
pub fn drop(options: &ConnectOptions) -> Result<(), PluginError> {
    let path = PathBuf::from(options.database.as_str());
    if !is_scratch(&path) {
        return Err(PluginError::invalid(format!(
            "{} is not a scratch database made by this driver; it is left alone",
            path.display()
        )));
    }
    let mut first_error = None;
    for suffix in COMPANIONS {
        let file = PathBuf::from(format!("{}{suffix}", path.display()));
        match std::fs::remove_file(&file) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                first_error.get_or_insert(io("cannot remove", &file, e));
            }
        }
    }
    first_error.map_or(Ok(()), Err)
}

fn is_scratch(path: &Path) -> bool {
    let named = path
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_prefix(PREFIX)?.strip_suffix(SUFFIX))
        .is_some_and(|middle| myrmex_plugin::scratch::is_generated_suffix(middle, '-'));
    named && path.parent() == Some(std::env::temp_dir().as_path())
}

#[cfg(test)]
mod tests {
    use crate::driver::SqliteDriver;
    use myrmex_plugin::{all_rows, Connection, Driver, ErrorKind, Params};

    #[test]
    fn created_empty_and_dropped_with_its_companions() {
        let path = crate::testing::db_path("owner");
        let mut owner = SqliteDriver
            .connect(&crate::testing::options(
                &path,
                &[("mode", "rwc"), ("busy_timeout", "50")],
            ))
            .unwrap();
        owner.execute_batch("CREATE TABLE t (a)").unwrap();
        let o = owner.create_scratch().unwrap();
        assert_eq!(o.option("mode"), None);
        assert_eq!(o.option("busy_timeout"), Some("50"));
        let file = o.database.to_string();
        assert!(std::path::Path::new(&file).starts_with(std::env::temp_dir()));

        let mut scratch = SqliteDriver.connect(&o).unwrap();
        assert!(scratch.tables().unwrap().is_empty());
        scratch
            .execute_batch("PRAGMA journal_mode = wal; CREATE TABLE s (b)")
            .unwrap();
        assert!(scratch.try_lock("verify").unwrap().acquired);
        let _ = all_rows(&mut scratch, "SELECT * FROM s", Params::none()).unwrap();
        assert!(std::path::Path::new(&format!("{file}-wal")).exists());
        scratch.close().unwrap();

        owner.drop_scratch(&o).unwrap();
        for suffix in super::COMPANIONS {
            assert!(
                !std::path::Path::new(&format!("{file}{suffix}")).exists(),
                "{suffix}"
            );
        }
        owner.drop_scratch(&o).unwrap();

        let e = owner
            .drop_scratch(&crate::testing::options(&path, &[]))
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::INVALID_INPUT);
        assert!(std::path::Path::new(&path).exists());
    }
}
