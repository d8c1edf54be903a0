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
    // A group that is the owner's own private group (umask 002 systems give every user one)
    // adds no writer, as OpenSSH's StrictModes also holds.
    // (The group database is read only when the group may write.)
    let writers = if mode & 0o020 != 0 && private_group(meta.uid(), meta.gid()) {
        mode & 0o002
    } else {
        mode & 0o022
    };
    if writers != 0 {
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

/// Is `gid` the private group of `uid`: its primary group, of the same name, with no other
/// listed members?
#[cfg(unix)]
fn private_group(uid: u32, gid: u32) -> bool {
    use std::ffi::CStr;
    // SAFETY: getpwuid/getgrgid return pointers into static storage or null; they are read at
    // once, before any other call could overwrite them (plugins load before other threads
    // use these functions).
    unsafe {
        let pw = libc::getpwuid(uid);
        if pw.is_null() || (*pw).pw_gid != gid {
            return false;
        }
        let user = CStr::from_ptr((*pw).pw_name).to_owned();
        let gr = libc::getgrgid(gid);
        if gr.is_null() || CStr::from_ptr((*gr).gr_name) != user.as_c_str() {
            return false;
        }
        let mut member = (*gr).gr_mem;
        while !member.is_null() && !(*member).is_null() {
            if CStr::from_ptr(*member) != user.as_c_str() {
                return false;
            }
            member = member.add(1);
        }
        true
    }
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
        // Group-writable is fine only when the group is the owner's private group.
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::metadata(&d).unwrap();
        if private_group(meta.uid(), meta.gid()) {
            assert_eq!(check(&f, &d), Ok(()));
        }
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } == 0 {
            // A shared group (nogroup) makes the same mode a refusal.
            std::os::unix::fs::chown(&d, None, Some(65534)).unwrap();
        }
        if !private_group(meta.uid(), std::fs::metadata(&d).unwrap().gid()) {
            let e = check(&f, &d).unwrap_err();
            assert!(
                e.contains("its directory") && e.contains("writable by group"),
                "{e}"
            );
        }
        std::fs::remove_dir_all(&d).unwrap();
    }
}
