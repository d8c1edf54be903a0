//! Loading one library: contract version first, then the abi_stable layout check.

use myrmex_abi::abi_stable::library::{lib_header_from_path, LibraryError};
use myrmex_abi::{PluginModRef, CONTRACT_SYMBOL, CONTRACT_VERSION};
use std::path::Path;

/// Loads the root module of the library at `path`, or says in one line why not.
///
/// The contract version is read as a plain C symbol before abi_stable looks at any layout, so
/// a plugin built for another contract gets "built for contract N, host offers M" rather than
/// a layout dump. Layout dumps go to the debug log.
pub fn load_module(path: &Path) -> Result<PluginModRef, String> {
    let version = read_contract_version(path)?;
    if version != CONTRACT_VERSION {
        return Err(format!(
            "built for myrmex contract {version}, this host offers contract {CONTRACT_VERSION}; \
             rebuild the plugin against myrmex-abi {}",
            env!("CARGO_PKG_VERSION")
        ));
    }
    let header = lib_header_from_path(path).map_err(|e| one_line(path, e))?;
    header
        .init_root_module::<PluginModRef>()
        .map_err(|e| one_line(path, e))
}

fn read_contract_version(path: &Path) -> Result<u32, String> {
    // SAFETY: loading a library runs its initialisers; that is what loading a plugin means.
    // The search path is chosen by the user, as with any plugin system.
    let lib = unsafe { libloading::Library::new(path) }
        .map_err(|e| format!("not a myrmex plugin (cannot load library: {e})"))?;
    let symbol = format!("{CONTRACT_SYMBOL}\0");
    // SAFETY: `export_plugin!` defines this symbol as a `u32` static.
    let version = unsafe {
        let sym = lib.get::<*const u32>(symbol.as_bytes()).map_err(|_| {
            format!("not a myrmex plugin (no `{CONTRACT_SYMBOL}` symbol; was it built with myrmex_abi::export_plugin!?)")
        })?;
        **sym
    };
    Ok(version)
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
