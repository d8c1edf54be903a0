//! Loading one library: trust and the file's own contents first, then the dynamic loader and
//! the abi_stable layout check.

use super::{inspect, trust};
use myrmex_abi::abi_stable::abi_stability::abi_checking::check_layout_compatibility;
use myrmex_abi::abi_stable::library::{lib_header_from_path, LibraryError};
use myrmex_abi::abi_stable::StableAbi;
use myrmex_abi::PluginModRef;
use std::path::Path;

/// Loads the root module of the library at `path`, found in the search directory `dir`, or
/// says in one line why not.
///
/// Loading a library runs its initialisers, so before the dynamic loader sees the file it must
/// pass [`trust::check`] (ownership and permissions) and [`inspect::inspect`] (a shared
/// library for this platform exporting this host's contract version and a root module, read
/// from the file). A plugin built for another contract gets "built for contract N, host
/// offers M" without running any of its code. Layout dumps go to the debug log.
pub fn load_module(path: &Path, dir: &Path) -> Result<PluginModRef, String> {
    trust::check(path, dir)?;
    inspect::inspect(path)?;
    let header = lib_header_from_path(path).map_err(|e| one_line(path, e))?;
    // The plugin's contract must be contained in the host's: every type the same, and each
    // vtable, the root module and every open enum the host's or an earlier minor's prefix of
    // it. abi_stable checks the other way round (a library at least as new as its host), so
    // the check is run here with the plugin as the interface; a method or opener the plugin
    // lacks is then absent for the host, which answers "unsupported" for it.
    let plugin_layout = header.layout().ok_or_else(|| {
        "not a myrmex plugin (its root module carries no layout to check)".to_string()
    })?;
    if let Err(e) = check_layout_compatibility(plugin_layout, <PluginModRef as StableAbi>::LAYOUT) {
        tracing::debug!(plugin = %path.display(), "layout mismatch:\n{e}");
        let plugin = header.version_strings();
        return Err(format!(
            "its contract layout (myrmex-abi {}) is not one this host (myrmex-abi {}) contains; \
             rebuild the plugin against myrmex-abi {}.{} or earlier, or upgrade myrmex \
             (run with -v for the layout dump)",
            plugin.version,
            env_abi_version(),
            myrmex_abi::CONTRACT_VERSION,
            myrmex_abi::CONTRACT_MINOR
        ));
    }
    // SAFETY: the layout was checked just above, with the plugin's contract as the part the
    // host must contain; `init_root_module_with_unchecked_layout` still checks the version.
    unsafe { header.init_root_module_with_unchecked_layout::<PluginModRef>() }
        .map_err(|e| one_line(path, e))
}

/// This host's contract version, `major.minor`.
fn env_abi_version() -> String {
    format!(
        "{}.{}",
        myrmex_abi::CONTRACT_VERSION,
        myrmex_abi::CONTRACT_MINOR
    )
}

fn one_line(path: &Path, e: LibraryError) -> String {
    match e {
        LibraryError::AbiInstability(_) => {
            tracing::debug!(plugin = %path.display(), "layout mismatch:\n{e}");
            "its types do not match this host's contract layout (built against a different \
             myrmex-abi with the same contract version); rebuild it against this myrmex-abi \
             (run with -v for the layout dump)"
                .to_string()
        }
        LibraryError::IncompatibleVersionNumber {
            library_name,
            expected_version,
            actual_version,
        } => {
            format!("{library_name} interface version {actual_version} is incompatible with this host's {expected_version}")
        }
        other => {
            let text = other.to_string();
            let first = text.lines().next().unwrap_or("unknown error").to_string();
            tracing::debug!(plugin = %path.display(), "load error:\n{text}");
            format!("not a myrmex plugin ({first})")
        }
    }
}
