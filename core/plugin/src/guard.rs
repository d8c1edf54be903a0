//! Panic containment: the adapter runs every plugin entry point inside [`guard`].
//!
//! abi_stable aborts the whole process when a panic reaches its FFI shim, and a cdylib has its
//! own std (so the host's panic hook does not apply). A plugin therefore catches panics itself,
//! in every method, and returns them as [`ErrorKind::PANIC`] errors.

use myrmex_abi::RResult;
use myrmex_abi::{ErrorKind, PluginError};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Runs `f`, turning both its `Err` and any panic into an `RResult` error.
///
/// ```
/// use myrmex_plugin::{guard, ErrorKind, PluginError};
/// let ok = guard(|| Ok::<_, PluginError>(2 + 2));
/// assert_eq!(ok.unwrap(), 4);
/// let panicked = guard(|| -> Result<i32, PluginError> { panic!("boom") });
/// let err = panicked.unwrap_err();
/// assert_eq!(err.kind, ErrorKind::PANIC);
/// assert!(err.message.contains("boom"));
/// ```
pub fn guard<T>(f: impl FnOnce() -> Result<T, PluginError>) -> RResult<T, PluginError> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => RResult::ROk(v),
        Ok(Err(e)) => RResult::RErr(e),
        Err(payload) => RResult::RErr(panic_error(payload)),
    }
}

/// Runs `f` where no error value can be returned (e.g. a cursor close); a panic is swallowed
/// after being reported on stderr by the plugin's panic hook.
pub fn guard_unit(f: impl FnOnce()) {
    let _ = catch_unwind(AssertUnwindSafe(f));
}

fn panic_error(payload: Box<dyn std::any::Any + Send>) -> PluginError {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic payload".to_string());
    PluginError::new(ErrorKind::PANIC, format!("plugin panicked: {what}"))
}
