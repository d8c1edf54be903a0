//! Where plugins are looked for, in order: `--plugin-dir` flags, `MYRMEX_PLUGIN_PATH`,
//! `plugin_dirs` of a trusted config file, the directory of the running executable, then
//! `<exe dir>/../lib/myrmex/plugins`. The last two hold the bundled plugins, which the
//! registry loads first so that no other directory can take over their capabilities.

use std::fmt;
use std::path::{Path, PathBuf};

/// Name of the environment variable holding extra plugin directories (`:`-separated).
pub const PLUGIN_PATH_ENV: &str = "MYRMEX_PLUGIN_PATH";

/// Why a directory is on the search path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A `--plugin-dir` flag (or a directory added by the program).
    Flag,
    /// `MYRMEX_PLUGIN_PATH`.
    Env,
    /// `plugin_dirs` of this config file.
    Config(PathBuf),
    /// Installed with `myrmex`: its own directory or `<exe dir>/../lib/myrmex/plugins`.
    Bundled,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Flag => f.write_str("flag"),
            Origin::Env => f.write_str("env"),
            Origin::Config(p) => write!(f, "config {}", p.display()),
            Origin::Bundled => f.write_str("bundled"),
        }
    }
}

/// An ordered list of directories to scan for plugins, each with its [`Origin`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchPath {
    dirs: Vec<PathBuf>,
    origins: Vec<Origin>,
}

impl SearchPath {
    /// An empty search path.
    pub fn new() -> Self {
        Self::default()
    }

    /// The full default order: `flags`, then the environment, then `config_dirs` (the
    /// `plugin_dirs` of `config_file`), then the executable's directories.
    pub fn standard(
        flags: &[PathBuf],
        config_dirs: &[PathBuf],
        config_file: Option<&Path>,
    ) -> Self {
        let mut s = Self::new();
        s.extend(flags.iter().cloned());
        s.extend_from_env();
        let origin = config_file.map_or(Origin::Flag, |p| Origin::Config(p.to_path_buf()));
        s.extend_with(origin, config_dirs.iter().cloned());
        s.extend_from_exe();
        s
    }

    /// Appends directories given by the program (origin [`Origin::Flag`]), skipping ones
    /// already present.
    pub fn extend(&mut self, dirs: impl IntoIterator<Item = PathBuf>) {
        self.extend_with(Origin::Flag, dirs);
    }

    /// Appends directories of `origin`, skipping ones already present. A directory added as
    /// [`Origin::Bundled`] that is already present becomes bundled where it stands.
    pub fn extend_with(&mut self, origin: Origin, dirs: impl IntoIterator<Item = PathBuf>) {
        for d in dirs {
            if d.as_os_str().is_empty() {
                continue;
            }
            match self.dirs.iter().position(|x| *x == d) {
                Some(i) if origin == Origin::Bundled => self.origins[i] = Origin::Bundled,
                Some(_) => {}
                None => {
                    self.dirs.push(d);
                    self.origins.push(origin.clone());
                }
            }
        }
    }

    /// Appends the directories of `MYRMEX_PLUGIN_PATH`.
    pub fn extend_from_env(&mut self) {
        if let Some(v) = std::env::var_os(PLUGIN_PATH_ENV) {
            self.extend_with(Origin::Env, std::env::split_paths(&v));
        }
    }

    /// Appends the executable's directory and `<exe dir>/../lib/myrmex/plugins`, as bundled.
    pub fn extend_from_exe(&mut self) {
        if let Some(dir) = std::env::current_exe()
            .ok()
            .and_then(|p| p.parent().map(Path::to_path_buf))
        {
            let lib = dir.join("../lib/myrmex/plugins");
            self.extend_with(Origin::Bundled, [dir, lib]);
        }
    }

    /// The directories, in search order.
    pub fn dirs(&self) -> &[PathBuf] {
        &self.dirs
    }

    /// The directories with their origins, in search order.
    pub fn entries(&self) -> impl Iterator<Item = (&Path, &Origin)> {
        self.dirs.iter().map(PathBuf::as_path).zip(&self.origins)
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
    dir_entries(dir)
        .unwrap_or_default()
        .into_iter()
        .filter(|e| e.skipped.is_none())
        .map(|e| e.path)
        .collect()
}

/// One entry of a plugin directory and, when it is not a plugin candidate, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    /// The entry.
    pub path: PathBuf,
    /// Why it is not looked at, or `None` for a plugin file.
    pub skipped: Option<String>,
}

/// Every entry of `dir`, sorted by name, each marked with why it is skipped (not a file, or
/// not a plugin file name); `None` when the directory cannot be read.
pub fn dir_entries(dir: &Path) -> Option<Vec<DirEntry>> {
    let entries = std::fs::read_dir(dir).ok()?;
    let mut out: Vec<DirEntry> = entries
        .filter_map(|e| e.ok())
        .map(|e| {
            let is_file = e
                .file_type()
                .map(|t| t.is_file() || t.is_symlink())
                .unwrap_or(false);
            let skipped = if !is_file {
                Some("not a file".to_string())
            } else if !e.file_name().to_str().is_some_and(is_plugin_file_name) {
                Some(format!(
                    "not a plugin file name ({}myrmex_NAME{})",
                    std::env::consts::DLL_PREFIX,
                    std::env::consts::DLL_SUFFIX
                ))
            } else {
                None
            };
            DirEntry {
                path: e.path(),
                skipped,
            }
        })
        .collect();
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Some(out)
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn recognises_plugin_file_names() {
        assert!(is_plugin_file_name("libmyrmex_demo.so"));
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

    #[test]
    fn a_bundled_directory_stays_bundled_when_also_given_as_a_flag() {
        let mut s = SearchPath::new();
        s.extend([PathBuf::from("/opt/myrmex/bin"), PathBuf::from("/x")]);
        s.extend_with(Origin::Bundled, [PathBuf::from("/opt/myrmex/bin")]);
        let origins: Vec<&Origin> = s.entries().map(|(_, o)| o).collect();
        assert_eq!(origins, [&Origin::Bundled, &Origin::Flag]);
    }
}
