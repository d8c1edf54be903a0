//! Whether a library file may be trusted enough to load: on Unix, neither the file nor the
//! directory it sits in may be writable by group or others, and both must belong to the
//! current user or root. Anyone who can replace a plugin can run code as every user of it.

use std::path::Path;

/// Checks the library `file`, the search directory `dir` it was found in and, when `file` is
/// a symbolic link, the directory of the file it points to. Returns the one-line reason it is
/// refused.
#[cfg(unix)]
pub fn check(file: &Path, dir: &Path) -> Result<(), String> {
    check_one(file, "the library")?;
    check_one(dir, "its directory")?;
    if let Some(real_dir) = std::fs::canonicalize(file)
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
    {
        let same = std::fs::canonicalize(dir).is_ok_and(|d| d == real_dir);
        if !same {
            check_one(&real_dir, "the directory of the file it links to")?;
        }
    }
    Ok(())
}

/// Ownership and permissions are not checked on this platform.
#[cfg(not(unix))]
pub fn check(_file: &Path, _dir: &Path) -> Result<(), String> {
    Ok(())
}

/// Checks one path; `what` names it in the reason (the library's own path is already at the
/// start of a refusal, so only directories are named with their path).
#[cfg(unix)]
fn check_one(path: &Path, what: &str) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    let named = if what == "the library" {
        what.to_string()
    } else {
        format!("{what} {}", path.display())
    };
    let meta = std::fs::metadata(path).map_err(|e| {
        format!(
            "cannot read the permissions of {what} {}: {e}",
            path.display()
        )
    })?;
    let mode = meta.mode() & 0o7777;
    if mode & 0o022 != 0 {
        let by = match (mode & 0o020 != 0, mode & 0o002 != 0) {
            (true, true) => "group and others",
            (true, false) => "group",
            _ => "others",
        };
        return Err(format!(
            "{named} is writable by {by} (mode {mode:o}); run `chmod go-w` on it"
        ));
    }
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    let owner = meta.uid();
    if owner != me && owner != 0 {
        return Err(format!(
            "{named} is owned by uid {owner}, not by you (uid {me}) or root"
        ));
    }
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn scratch(label: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("myrmex-trust-{label}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o755)).unwrap();
        d
    }

    #[test]
    fn writable_file_and_directory_are_refused() {
        let d = scratch("w");
        let f = d.join("libmyrmex_x.so");
        std::fs::write(&f, b"x").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(check(&f, &d), Ok(()));
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o666)).unwrap();
        let e = check(&f, &d).unwrap_err();
        assert!(
            e.starts_with("the library is writable") && e.contains("mode 666"),
            "{e}"
        );
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o775)).unwrap();
        let e = check(&f, &d).unwrap_err();
        assert!(
            e.contains("its directory") && e.contains("writable by group"),
            "{e}"
        );
        std::fs::remove_dir_all(&d).unwrap();
    }
}
