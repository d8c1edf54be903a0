//! Where plugins are looked for (SPEC §2), in order:
//! `--plugin-dir` flags, `MYRMEX_PLUGIN_PATH`, `plugin_dirs` of the config file, the directory
//! of the running executable, then `<exe dir>/../lib/myrmex/plugins`.

use std::path::{Path, PathBuf};

/// Name of the environment variable holding extra plugin directories (`:`-separated).
pub const PLUGIN_PATH_ENV: &str = "MYRMEX_PLUGIN_PATH";

/// An ordered list of directories to scan for plugins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchPath {
    dirs: Vec<PathBuf>,
}

impl SearchPath {
    /// An empty search path.
    pub fn new() -> Self {
        Self::default()
    }

    /// The full default order: `flags`, then the environment, then `config_dirs`, then the
    /// executable's directories.
    pub fn standard(flags: &[PathBuf], config_dirs: &[PathBuf]) -> Self {
        let mut s = Self::new();
        s.extend(flags.iter().cloned());
        s.extend_from_env();
        s.extend(config_dirs.iter().cloned());
        s.extend_from_exe();
        s
    }

    /// Appends directories, skipping ones already present.
    pub fn extend(&mut self, dirs: impl IntoIterator<Item = PathBuf>) {
        for d in dirs {
            if !d.as_os_str().is_empty() && !self.dirs.contains(&d) {
                self.dirs.push(d);
            }
        }
    }

    /// Appends the directories of `MYRMEX_PLUGIN_PATH`.
    pub fn extend_from_env(&mut self) {
        if let Some(v) = std::env::var_os(PLUGIN_PATH_ENV) {
            self.extend(std::env::split_paths(&v));
        }
    }

    /// Appends the executable's directory and `<exe dir>/../lib/myrmex/plugins`.
    pub fn extend_from_exe(&mut self) {
        if let Some(dir) = std::env::current_exe()
            .ok()
            .and_then(|p| p.parent().map(Path::to_path_buf))
        {
            let lib = dir.join("../lib/myrmex/plugins");
            self.extend([dir, lib]);
        }
    }

    /// The directories, in search order.
    pub fn dirs(&self) -> &[PathBuf] {
        &self.dirs
    }
}

/// Is `name` a plugin file name on this platform (`libmyrmex_*.so`, `.dylib`, `myrmex_*.dll`)?
pub fn is_plugin_file_name(name: &str) -> bool {
    let (prefix, suffix) = (std::env::consts::DLL_PREFIX, std::env::consts::DLL_SUFFIX);
    name.strip_prefix(prefix)
        .and_then(|n| n.strip_suffix(suffix))
        .is_some_and(|stem| stem.starts_with("myrmex_") && stem.len() > "myrmex_".len())
}

/// Plugin files in `dir`, sorted by name; a missing directory yields none.
pub fn plugin_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_type()
                .map(|t| t.is_file() || t.is_symlink())
                .unwrap_or(false)
        })
        .filter(|e| e.file_name().to_str().is_some_and(is_plugin_file_name))
        .map(|e| e.path())
        .collect();
    files.sort();
    files
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn recognises_plugin_file_names() {
        assert!(is_plugin_file_name("libmyrmex_sqlite.so"));
        assert!(!is_plugin_file_name("libmyrmex_.so"));
        assert!(!is_plugin_file_name("libmyrmex_core.rlib"));
        assert!(!is_plugin_file_name("libother.so"));
    }

    #[test]
    fn keeps_order_and_drops_duplicates() {
        let mut s = SearchPath::new();
        s.extend([
            PathBuf::from("/a"),
            PathBuf::from("/b"),
            PathBuf::from("/a"),
        ]);
        assert_eq!(s.dirs(), &[PathBuf::from("/a"), PathBuf::from("/b")]);
    }
}
