//! Plugin discovery, loading and the registry of capabilities.

mod inspect;
mod load;
mod search;
mod trust;

pub use search::{
    dir_entries, is_plugin_file_name, plugin_files, DirEntry, Origin, SearchPath, PLUGIN_PATH_ENV,
};

use crate::{Error, Result};
use myrmex_abi::{CapabilityKind, DriverBox, PluginModRef, RStr};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::{Arc, OnceLock};

/// One capability of a loaded plugin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapabilityInfo {
    /// Its kind.
    pub kind: CapabilityKind,
    /// Its name.
    pub name: String,
    /// One line of description.
    pub description: String,
    /// For a driver, the URL schemes it parses; for an audit rule set, the drivers whose
    /// connections it examines (empty: every driver's). Lowercase.
    pub schemes: Vec<String>,
}

/// A plugin that loaded.
#[derive(Clone)]
pub struct LoadedPlugin {
    /// The library file.
    pub path: PathBuf,
    /// Plugin name.
    pub name: String,
    /// Plugin version.
    pub version: String,
    /// The major contract version it was built against (the host's: any other is refused).
    pub contract: u32,
    /// Why its directory was searched.
    pub origin: Origin,
    /// What it provides.
    pub capabilities: Vec<CapabilityInfo>,
    module: PluginModRef,
}

impl fmt::Debug for LoadedPlugin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoadedPlugin")
            .field("path", &self.path)
            .field("name", &self.name)
            .field("version", &self.version)
            .field("origin", &self.origin)
            .field("capabilities", &self.capabilities)
            .finish()
    }
}

/// A library that was found but refused, with the one-line reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The library file.
    pub path: PathBuf,
    /// Why it was refused.
    pub reason: String,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.reason)
    }
}

/// What became of one file found in a searched directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileOutcome {
    /// It loaded.
    Loaded,
    /// It was not looked at (not a plugin file name, not a file, already loaded).
    Skipped(String),
    /// It was refused; the reason is in [`Registry::refusals`] too.
    Refused(String),
}

/// One searched directory and every file considered in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirReport {
    /// The directory.
    pub dir: PathBuf,
    /// Why it was searched.
    pub origin: Origin,
    /// False when it does not exist or cannot be read.
    pub readable: bool,
    /// Each entry, sorted by name.
    pub files: Vec<(PathBuf, FileOutcome)>,
}

/// A driver opened from a plugin.
pub struct DriverEntry {
    /// The driver's name (its capability name).
    pub name: String,
    /// The library it came from.
    pub path: PathBuf,
    /// The driver itself.
    pub driver: DriverBox,
}

/// A driver declared by a loaded plugin, opened the first time a connection needs it (so
/// that loading plugins to list them runs none of their code).
struct DeclaredDriver {
    name: String,
    path: PathBuf,
    module: PluginModRef,
    opened: Mutex<Option<Arc<DriverEntry>>>,
}

impl DeclaredDriver {
    fn open(&self) -> Result<Arc<DriverEntry>> {
        let mut opened = self.opened.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(d) = opened.as_ref() {
            return Ok(d.clone());
        }
        let open = self
            .module
            .open_driver()
            .ok_or_else(|| Error::PluginRefused {
                path: self.path.clone(),
                reason: format!(
                    "declares driver `{}` but exports no driver opener",
                    self.name
                ),
            })?;
        let driver = open(RStr::from_str(&self.name), RStr::from_str(""))
            .into_result()
            .map_err(|source| Error::CapabilityFailed {
                kind: CapabilityKind::DRIVER.name().to_string(),
                name: self.name.clone(),
                path: self.path.clone(),
                source: Box::new(source),
            })?;
        let entry = Arc::new(DriverEntry {
            name: self.name.clone(),
            path: self.path.clone(),
            driver,
        });
        *opened = Some(entry.clone());
        Ok(entry)
    }
}

/// Every plugin found on a [`SearchPath`], the refusals, and the drivers by URL scheme.
pub struct Registry {
    search: SearchPath,
    plugins: Vec<LoadedPlugin>,
    refusals: Vec<Refusal>,
    reports: Vec<DirReport>,
    drivers: Vec<DeclaredDriver>,
    schemes: BTreeMap<String, usize>,
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("search", &self.search)
            .field("plugins", &self.plugins)
            .field("refusals", &self.refusals)
            .finish()
    }
}

/// " (bundled)" after the file of a bundled plugin in a refusal, so the reader sees which
/// of the two files is the installed one.
fn bundled_note(origin: &Origin) -> &'static str {
    if *origin == Origin::Bundled {
        " (bundled)"
    } else {
        ""
    }
}

static GLOBAL: OnceLock<Arc<Registry>> = OnceLock::new();

impl Registry {
    /// Loads every plugin on `search`. Bundled directories are loaded first, so a capability
    /// or URL scheme they provide cannot be taken over by a library found anywhere else; the
    /// other directories follow in search order. A library that is refused is recorded (see
    /// [`Registry::refusals`]) and never stops the others; a file found twice (same canonical
    /// path) is loaded once. Nothing is logged: the caller reports the refusals.
    pub fn load(search: SearchPath) -> Registry {
        let mut reg = Registry {
            search,
            plugins: Vec::new(),
            refusals: Vec::new(),
            reports: Vec::new(),
            drivers: Vec::new(),
            schemes: BTreeMap::new(),
        };
        let entries: Vec<(PathBuf, Origin)> = reg
            .search
            .entries()
            .map(|(d, o)| (d.to_path_buf(), o.clone()))
            .collect();
        reg.reports = entries
            .iter()
            .map(|(dir, origin)| DirReport {
                dir: dir.clone(),
                origin: origin.clone(),
                readable: false,
                files: Vec::new(),
            })
            .collect();
        let bundled_first = (0..entries.len())
            .filter(|i| entries[*i].1 == Origin::Bundled)
            .chain((0..entries.len()).filter(|i| entries[*i].1 != Origin::Bundled));
        let mut seen: Vec<(PathBuf, PathBuf)> = Vec::new();
        for i in bundled_first {
            let (dir, origin) = &entries[i];
            let Some(listing) = dir_entries(dir) else {
                continue;
            };
            let mut files = Vec::new();
            for entry in listing {
                let file = entry.path;
                let outcome = if let Some(why) = entry.skipped {
                    FileOutcome::Skipped(why)
                } else {
                    let canonical = std::fs::canonicalize(&file).unwrap_or_else(|_| file.clone());
                    if let Some((_, first)) = seen.iter().find(|(c, _)| *c == canonical) {
                        FileOutcome::Skipped(format!("same file as {}", first.display()))
                    } else {
                        seen.push((canonical, file.clone()));
                        match reg.try_load(&file, dir, origin) {
                            Ok(()) => FileOutcome::Loaded,
                            Err(reason) => {
                                reg.refusals.push(Refusal {
                                    path: file.clone(),
                                    reason: reason.clone(),
                                });
                                FileOutcome::Refused(reason)
                            }
                        }
                    }
                };
                files.push((file, outcome));
            }
            reg.reports[i].readable = true;
            reg.reports[i].files = files;
        }
        reg
    }

    /// Loads one library file found in `dir` into the registry; returns false (and records a
    /// refusal) when it is refused.
    pub fn load_file(&mut self, path: &Path, dir: &Path, origin: &Origin) -> bool {
        match self.try_load(path, dir, origin) {
            Ok(()) => true,
            Err(reason) => {
                self.refusals.push(Refusal {
                    path: path.to_path_buf(),
                    reason,
                });
                false
            }
        }
    }

    fn try_load(&mut self, path: &Path, dir: &Path, origin: &Origin) -> Result<(), String> {
        let module = load::load_module(path, dir)?;
        // Static data: reading it runs none of the plugin's code.
        let info = module.info();
        let capabilities: Vec<CapabilityInfo> = info
            .capabilities
            .iter()
            .map(|c| CapabilityInfo {
                kind: c.kind,
                name: c.name.to_string(),
                description: c.description.to_string(),
                schemes: c
                    .schemes
                    .iter()
                    .map(|s| s.as_str().to_ascii_lowercase())
                    .collect(),
            })
            .collect();
        for cap in &capabilities {
            if let Some(other) = self.provider_of(cap.kind, &cap.name) {
                return Err(format!(
                    "duplicate {} capability `{}`: already provided by {}{}",
                    cap.kind,
                    cap.name,
                    other.path.display(),
                    bundled_note(&other.origin)
                ));
            }
        }
        let mut claimed: Vec<(String, usize)> = Vec::new();
        let mut declared = Vec::new();
        for cap in capabilities
            .iter()
            .filter(|c| c.kind == CapabilityKind::DRIVER)
        {
            let index = self.drivers.len() + declared.len();
            let mut schemes = cap.schemes.clone();
            schemes.push(cap.name.clone());
            for s in schemes {
                if let Some(&i) = self.schemes.get(&s) {
                    let other = &self.drivers[i];
                    let origin = self
                        .plugins
                        .iter()
                        .find(|p| p.path == other.path)
                        .map(|p| bundled_note(&p.origin))
                        .unwrap_or("");
                    return Err(format!(
                        "URL scheme `{s}` of driver `{}` is already served by driver `{}` of {}{origin}",
                        cap.name,
                        other.name,
                        other.path.display()
                    ));
                }
                if !claimed.iter().any(|(c, _)| *c == s) {
                    claimed.push((s, index));
                }
            }
            declared.push(DeclaredDriver {
                name: cap.name.clone(),
                path: path.to_path_buf(),
                module,
                opened: Mutex::new(None),
            });
        }
        self.schemes.extend(claimed);
        self.drivers.extend(declared);
        tracing::debug!(plugin = %path.display(), name = %info.name, "plugin loaded");
        self.plugins.push(LoadedPlugin {
            path: path.to_path_buf(),
            name: info.name.to_string(),
            version: info.version.to_string(),
            contract: myrmex_abi::CONTRACT_VERSION,
            origin: origin.clone(),
            capabilities,
            module,
        });
        Ok(())
    }

    fn provider_of(&self, kind: CapabilityKind, name: &str) -> Option<&LoadedPlugin> {
        self.plugins.iter().find(|p| {
            p.capabilities
                .iter()
                .any(|c| c.kind == kind && c.name == name)
        })
    }

    /// The process-wide registry, loaded on first use from the standard search path (no
    /// flags, no config, refusals logged as warnings) unless [`Registry::set_global`] ran
    /// first.
    pub fn global() -> Arc<Registry> {
        GLOBAL
            .get_or_init(|| {
                let reg = Registry::load(SearchPath::standard(&[], &[], None));
                for r in reg.refusals() {
                    tracing::warn!("plugin refused: {r}");
                }
                Arc::new(reg)
            })
            .clone()
    }

    /// Installs `registry` as the process-wide one; returns false if one was already in use.
    pub fn set_global(registry: Arc<Registry>) -> bool {
        GLOBAL.set(registry).is_ok()
    }

    /// The process-wide registry if it was loaded or set already; never loads plugins.
    pub fn loaded_global() -> Option<Arc<Registry>> {
        GLOBAL.get().cloned()
    }

    /// The directories that were searched.
    pub fn search_path(&self) -> &SearchPath {
        &self.search
    }

    /// Plugins that loaded, in load order.
    pub fn plugins(&self) -> &[LoadedPlugin] {
        &self.plugins
    }

    /// Libraries that were refused.
    pub fn refusals(&self) -> &[Refusal] {
        &self.refusals
    }

    /// Every searched directory, in search order, with each file considered in it.
    pub fn reports(&self) -> &[DirReport] {
        &self.reports
    }

    /// The driver for a URL scheme or `db_type` (`sqlite`, `postgres`, `postgresql`, …).
    pub fn driver(&self, scheme: &str) -> Result<Arc<DriverEntry>> {
        let key = scheme.to_ascii_lowercase();
        match self.schemes.get(&key) {
            Some(i) => self.drivers[*i].open(),
            None => Err(Error::NoDriver {
                scheme: scheme.to_string(),
                known: if self.schemes.is_empty() {
                    "none".into()
                } else {
                    self.schemes.keys().cloned().collect::<Vec<_>>().join(", ")
                },
            }),
        }
    }

    /// True when a loaded driver parses URLs of `scheme` (without opening it).
    pub fn has_scheme(&self, scheme: &str) -> bool {
        self.schemes.contains_key(&scheme.to_ascii_lowercase())
    }

    /// Parses `url` with the driver that owns its scheme. Relative file paths resolve
    /// against `base_dir` (empty: the working directory).
    pub fn parse_url(&self, url: &str, base_dir: &Path) -> Result<myrmex_abi::ConnectOptions> {
        let scheme = url
            .split_once(':')
            .map(|(s, _)| s)
            .filter(|s| !s.is_empty() && !s.contains(['/', '@', '?']))
            .ok_or_else(|| Error::Url {
                url: crate::url::redact(url),
                reason: "expected scheme://… (see `myrmex plugins` for the schemes loaded drivers parse)".into(),
            })?;
        let driver = self.driver(scheme)?;
        let base = base_dir.to_string_lossy();
        driver
            .driver
            .parse_url(RStr::from_str(url), RStr::from_str(&base))
            .into_result()
            .map_err(|e| Error::Url {
                url: crate::url::redact(url),
                reason: crate::url::redact_in_text(&e.message),
            })
    }

    /// Opens the shard router `name` with `config` (JSON, empty for none).
    pub fn open_shard(&self, name: &str, config: &str) -> Result<myrmex_abi::ShardRouterBox> {
        self.open_with(CapabilityKind::SHARD, name, |m| m.open_shard(), config)
    }

    /// Opens the audit rule set `name` with `config` (JSON, empty for none).
    pub fn open_audit(&self, name: &str, config: &str) -> Result<myrmex_abi::AuditRuleSetBox> {
        self.open_with(
            CapabilityKind::AUDIT,
            name,
            |m| m.open_audit().flatten(),
            config,
        )
    }

    /// Opens the backup strategy `name` with `config` (JSON, empty for none).
    pub fn open_backup(&self, name: &str, config: &str) -> Result<myrmex_abi::BackupStrategyBox> {
        self.open_with(
            CapabilityKind::BACKUP,
            name,
            |m| m.open_backup().flatten(),
            config,
        )
    }

    /// Opens the object store `name` with `config` (JSON, its location included).
    pub fn open_store(&self, name: &str, config: &str) -> Result<myrmex_abi::ObjectStoreBox> {
        self.open_with(
            CapabilityKind::STORE,
            name,
            |m| m.open_store().flatten(),
            config,
        )
    }

    /// Every loaded capability of `kind`, in load order.
    pub fn capabilities_of(&self, kind: CapabilityKind) -> Vec<CapabilityInfo> {
        self.plugins
            .iter()
            .flat_map(|p| p.capabilities.iter())
            .filter(|c| c.kind == kind)
            .cloned()
            .collect()
    }

    fn open_with<T>(
        &self,
        kind: CapabilityKind,
        name: &str,
        get: impl Fn(
            &PluginModRef,
        ) -> Option<
            extern "C" fn(RStr<'_>, RStr<'_>) -> myrmex_abi::RResult<T, myrmex_abi::PluginError>,
        >,
        config: &str,
    ) -> Result<T> {
        let plugin = self
            .provider_of(kind, name)
            .ok_or_else(|| Error::NoCapability {
                kind: kind.name().to_string(),
                name: name.to_string(),
                known: self.names_of(kind).join(", "),
            })?;
        let open = get(&plugin.module).ok_or_else(|| Error::PluginRefused {
            path: plugin.path.clone(),
            reason: format!("declares {kind} `{name}` but exports no opener for it"),
        })?;
        open(RStr::from_str(name), RStr::from_str(config))
            .into_result()
            .map_err(|source| Error::CapabilityFailed {
                kind: kind.name().to_string(),
                name: name.to_string(),
                path: plugin.path.clone(),
                source: Box::new(source),
            })
    }

    /// Names of every loaded capability of `kind`, in load order.
    pub fn names_of(&self, kind: CapabilityKind) -> Vec<String> {
        self.plugins
            .iter()
            .flat_map(|p| p.capabilities.iter())
            .filter(|c| c.kind == kind)
            .map(|c| c.name.clone())
            .collect()
    }
}
