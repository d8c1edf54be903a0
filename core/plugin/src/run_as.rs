//! Running an engine's own tool as the user who owns its files.
//!
//! pgBackRest must write its repository as the user the server's `archive_command` runs as,
//! mariadb-backup's copies must belong to the server's user, and PostgreSQL refuses to start
//! as root. When myrmex itself runs as root (a cron job, a container), such a tool runs as the
//! owner of the directory it works on; otherwise it runs as this user, who must own it.

use crate::{ErrorKind, PluginError};
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

/// The user and group owning `path`.
pub fn owner_of(path: &Path) -> Result<(u32, u32), PluginError> {
    let m = std::fs::metadata(path)
        .map_err(|e| PluginError::new(ErrorKind::IO, format!("{}: {e}", path.display())))?;
    Ok((m.uid(), m.gid()))
}

/// True when this process runs as root.
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// Makes `command` run as `owner` (user, group) when this process runs as root; otherwise
/// leaves it as it is.
pub fn run_as(command: &mut Command, owner: (u32, u32)) {
    if is_root() && owner.0 != 0 {
        command.uid(owner.0).gid(owner.1);
    }
}

/// Makes a directory (and its parents) that `owner` can write, mode 0700.
pub fn private_dir(path: &Path, owner: (u32, u32)) -> Result<(), PluginError> {
    let io =
        |e: std::io::Error| PluginError::new(ErrorKind::IO, format!("{}: {e}", path.display()));
    std::fs::create_dir_all(path).map_err(io)?;
    std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o700))
        .map_err(io)?;
    if is_root() {
        std::os::unix::fs::chown(path, Some(owner.0), Some(owner.1)).map_err(io)?;
    }
    Ok(())
}

/// Gives `path` and everything under it to `owner` when this process runs as root (what a
/// tool run as root copied must belong to the server's user).
pub fn chown_tree(path: &Path, owner: (u32, u32)) -> Result<(), PluginError> {
    if !is_root() {
        return Ok(());
    }
    let io = |p: &Path, e: std::io::Error| {
        PluginError::new(ErrorKind::IO, format!("{}: {e}", p.display()))
    };
    std::os::unix::fs::lchown(path, Some(owner.0), Some(owner.1)).map_err(|e| io(path, e))?;
    if std::fs::symlink_metadata(path)
        .map_err(|e| io(path, e))?
        .is_dir()
    {
        for entry in std::fs::read_dir(path).map_err(|e| io(path, e))? {
            chown_tree(&entry.map_err(|e| io(path, e))?.path(), owner)?;
        }
    }
    Ok(())
}

/// Asks process `pid` to end (SIGTERM): a server stops cleanly on it.
pub fn terminate(pid: u32) -> Result<(), PluginError> {
    // SAFETY: kill has no memory preconditions; a wrong pid is an error it returns.
    if unsafe { libc::kill(pid as libc::pid_t, libc::SIGTERM) } == 0 {
        Ok(())
    } else {
        Err(PluginError::new(
            ErrorKind::IO,
            format!(
                "cannot stop process {pid}: {}",
                std::io::Error::last_os_error()
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_owner_of_a_new_directory_is_this_process() {
        let dir = std::env::temp_dir().join(format!("myrmex-run-as-{}", std::process::id()));
        private_dir(&dir, (0, 0)).unwrap();
        let (uid, _) = owner_of(&dir).unwrap();
        // SAFETY: as in is_root.
        assert_eq!(uid, unsafe { libc::geteuid() });
        let mode = std::fs::metadata(&dir).unwrap().permissions();
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777,
            0o700
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_missing_path_is_an_error_naming_it() {
        let e = owner_of(Path::new("/no/such/myrmex/dir")).unwrap_err();
        assert!(e.message.contains("/no/such/myrmex/dir"), "{}", e.message);
    }
}
