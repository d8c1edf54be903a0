//! Reading a library file before it is loaded: loading runs the library's initialisers, so
//! everything that can be learnt from the file itself is learnt first, without running it.

use myrmex_abi::abi_stable::library::ROOT_MODULE_LOADER_NAME;
use myrmex_abi::{CONTRACT_SYMBOL, CONTRACT_VERSION};
use object::{Architecture, BinaryFormat, Object, ObjectKind, ObjectSection, ObjectSegment};
use std::path::Path;

/// Checks that `path` is a shared library for this platform that exports the contract version
/// this host offers and the abi_stable root module, reading the file only. Returns the one-line
/// reason it cannot be a plugin.
pub fn inspect(path: &Path) -> Result<(), String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read the file: {e}"))?;
    // Only the headers, the dynamic symbol table and four bytes are read, not the whole file
    // (a debug build of a driver is over 60 MB).
    let cache = object::ReadCache::new(file);
    inspect_bytes(&cache)
}

/// [`inspect`] on the contents of a file: bytes in memory or a read cache over the file.
pub fn inspect_bytes<'d, R: object::ReadRef<'d>>(data: R) -> Result<(), String> {
    let file = object::File::parse(data)
        .map_err(|e| format!("not a myrmex plugin (not a shared library: {e})"))?;
    if file.kind() != ObjectKind::Dynamic {
        return Err(format!(
            "not a myrmex plugin ({} file, not a shared library)",
            kind_name(file.kind())
        ));
    }
    if file.format() != native_format() {
        return Err(format!(
            "not a myrmex plugin (a {:?} library; this host loads {:?} libraries)",
            file.format(),
            native_format()
        ));
    }
    if let Some(host) = native_architecture() {
        if file.architecture() != host {
            return Err(format!(
                "not a myrmex plugin (built for {:?}; this host is {host:?})",
                file.architecture()
            ));
        }
    }
    if file.is_little_endian() != cfg!(target_endian = "little") {
        return Err("not a myrmex plugin (built for the other byte order)".into());
    }
    let exports = file
        .exports()
        .map_err(|e| format!("not a myrmex plugin (unreadable symbol table: {e})"))?;
    let find = |wanted: &str| {
        exports
            .iter()
            .find(|e| symbol_name(e.name()) == wanted.as_bytes())
            .map(|e| e.address())
    };
    let address = find(CONTRACT_SYMBOL).ok_or_else(|| {
        format!(
            "not a myrmex plugin (no `{CONTRACT_SYMBOL}` symbol; was it declared \
             with myrmex_plugin::plugin!?)"
        )
    })?;
    let bytes = read_at(data, &file, address).ok_or_else(|| {
        format!("not a myrmex plugin (`{CONTRACT_SYMBOL}` has no value stored in the file)")
    })?;
    let version = if file.is_little_endian() {
        u32::from_le_bytes(bytes)
    } else {
        u32::from_be_bytes(bytes)
    };
    if version != CONTRACT_VERSION {
        return Err(format!(
            "built for myrmex contract {version}, this host offers contract {CONTRACT_VERSION}; \
             rebuild the plugin against myrmex-abi {}.{} (myrmex-plugin of this release)",
            CONTRACT_VERSION,
            myrmex_abi::CONTRACT_MINOR
        ));
    }
    if find(ROOT_MODULE_LOADER_NAME).is_none() {
        return Err(
            "not a myrmex plugin (no abi_stable root module; was it declared \
             with myrmex_plugin::plugin!?)"
                .into(),
        );
    }
    Ok(())
}

/// The four bytes stored in the file at virtual `address`: looked up in the loadable segments
/// (what the dynamic loader maps), else in the sections. Only those four bytes are read (a
/// segment's whole data would be megabytes).
fn read_at<'d, R: object::ReadRef<'d>>(
    data: R,
    file: &object::File<'d, R>,
    address: u64,
) -> Option<[u8; 4]> {
    // The file offset of `address` in a piece mapped at `start` from file range `range`.
    let offset = |start: u64, (file_start, file_size): (u64, u64)| {
        let within = address.checked_sub(start)?;
        (within.checked_add(4)? <= file_size).then_some(file_start + within)
    };
    let at = file
        .segments()
        .find_map(|s| offset(s.address(), s.file_range()))
        .or_else(|| {
            file.sections()
                .find_map(|s| offset(s.address(), s.file_range()?))
        })?;
    data.read_bytes_at(at, 4).ok()?.try_into().ok()
}

/// A symbol name as written in source: Mach-O prefixes C names with `_`.
fn symbol_name(raw: &[u8]) -> &[u8] {
    if cfg!(target_os = "macos") {
        raw.strip_prefix(b"_").unwrap_or(raw)
    } else {
        raw
    }
}

fn kind_name(kind: ObjectKind) -> &'static str {
    match kind {
        ObjectKind::Relocatable => "an object (.o)",
        ObjectKind::Executable => "an executable",
        ObjectKind::Core => "a core dump",
        _ => "an unknown kind of",
    }
}

fn native_format() -> BinaryFormat {
    if cfg!(target_vendor = "apple") {
        BinaryFormat::MachO
    } else if cfg!(windows) {
        BinaryFormat::Pe
    } else {
        BinaryFormat::Elf
    }
}

/// This host's architecture, when it is one a plugin can be checked against.
fn native_architecture() -> Option<Architecture> {
    match std::env::consts::ARCH {
        "x86_64" => Some(Architecture::X86_64),
        "x86" => Some(Architecture::I386),
        "aarch64" => Some(Architecture::Aarch64),
        "arm" => Some(Architecture::Arm),
        "riscv64" => Some(Architecture::Riscv64),
        "powerpc64" => Some(Architecture::PowerPc64),
        "s390x" => Some(Architecture::S390x),
        _ => None,
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn text_is_not_a_library() {
        let e = inspect_bytes(&b"this is not a library"[..]).unwrap_err();
        assert!(
            e.starts_with("not a myrmex plugin (not a shared library"),
            "{e}"
        );
    }

    #[test]
    fn the_running_test_binary_is_not_a_plugin() {
        let exe = std::env::current_exe().unwrap();
        let e = inspect(&exe).unwrap_err();
        assert!(e.starts_with("not a myrmex plugin"), "{e}");
    }
}
