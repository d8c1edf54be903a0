//! Who writes the log and where: the operating-system user running myrmex and the
//! machine's host name.

/// The name of the user the process runs as (its effective user), or `uid N` when the
/// account has no name.
#[cfg(unix)]
pub(crate) fn os_user() -> String {
    use std::ffi::CStr;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let uid = unsafe { libc::geteuid() };
    let mut buf: Vec<libc::c_char> = vec![0; 1024];
    loop {
        // SAFETY: a zeroed passwd is a valid value to be overwritten; getpwuid_r writes the
        // record's strings into `buf` (of the length given) and sets `found` to `&mut pwd`
        // or null.
        let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
        let mut found: *mut libc::passwd = std::ptr::null_mut();
        let rc =
            unsafe { libc::getpwuid_r(uid, &mut pwd, buf.as_mut_ptr(), buf.len(), &mut found) };
        if rc == libc::ERANGE && buf.len() < 1 << 20 {
            buf.resize(buf.len() * 4, 0);
            continue;
        }
        if rc == 0 && !found.is_null() && !pwd.pw_name.is_null() {
            // SAFETY: pw_name points to a NUL-terminated string inside `buf`, alive here.
            let name = unsafe { CStr::from_ptr(pwd.pw_name) };
            return name.to_string_lossy().into_owned();
        }
        return std::env::var("USER").unwrap_or_else(|_| format!("uid {uid}"));
    }
}

/// The name of the user the process runs as, from the environment.
#[cfg(not(unix))]
pub(crate) fn os_user() -> String {
    std::env::var("USERNAME")
        .or_else(|_| std::env::var("USER"))
        .unwrap_or_else(|_| "unknown".into())
}

/// The machine's host name, or `unknown`.
#[cfg(unix)]
pub(crate) fn host_name() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: gethostname writes at most `buf.len()` bytes into `buf`.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return "unknown".into();
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    match String::from_utf8_lossy(&buf[..end]).into_owned() {
        name if name.is_empty() => "unknown".into(),
        name => name,
    }
}

/// The machine's host name, or `unknown`.
#[cfg(not(unix))]
pub(crate) fn host_name() -> String {
    std::env::var("COMPUTERNAME").unwrap_or_else(|_| "unknown".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_user_and_the_host() {
        assert!(!os_user().is_empty());
        assert!(!host_name().is_empty());
    }
}
