//! The lock processes take around reading the end of the chain and appending to it: an
//! exclusive advisory lock (`flock` on Unix) on `<log>.lock`.

use crate::error::{Error, Result};
use std::fs::File;
use std::path::Path;

/// Holds the exclusive lock on a file until dropped.
#[derive(Debug)]
pub(crate) struct FileLock<'a> {
    file: &'a File,
}

impl<'a> FileLock<'a> {
    /// Waits for the exclusive lock on `file` (opened from `path`).
    pub(crate) fn exclusive(file: &'a File, path: &Path) -> Result<FileLock<'a>> {
        file.lock().map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(FileLock { file })
    }
}

impl Drop for FileLock<'_> {
    fn drop(&mut self) {
        // Closing the file would release it too; the lock file stays open for the next
        // append, so release it now.
        let _ = self.file.unlock();
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::Dir;
    use super::*;

    #[test]
    fn a_second_handle_waits_until_the_first_releases() {
        let d = Dir::new("lock");
        let path = d.path().join("l");
        let a = File::create(&path).unwrap();
        let b = File::options().write(true).open(&path).unwrap();
        let held = FileLock::exclusive(&a, &path).unwrap();
        assert!(b.try_lock().is_err());
        drop(held);
        assert!(b.try_lock().is_ok());
    }
}
