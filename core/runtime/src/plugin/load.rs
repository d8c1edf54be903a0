//! Loading one library: trust and the file's own contents first, then the dynamic loader and
//! the abi_stable layout check.

use super::{inspect, trust};
use myrmex_abi::abi_stable::library::{lib_header_from_path, LibraryError};
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
    header
        .init_root_module::<PluginModRef>()
        .map_err(|e| one_line(path, e))
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
