//! Plugin discovery, loading and the registry of capabilities.

mod load;
mod search;

pub use search::{is_plugin_file_name, plugin_files, SearchPath, PLUGIN_PATH_ENV};

use crate::{Error, Result};
use myrmex_abi::{CapabilityKind, DriverBox, PluginModRef, RStr};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
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
    /// Contract version it was built against.
    pub contract: u32,
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

/// A driver opened from a plugin.
pub struct DriverEntry {
    /// Capability name (`sqlite`).
    pub name: String,
    /// The plugin file that provides it.
    pub path: PathBuf,
    /// The driver.
    pub driver: DriverBox,
}

/// Every plugin found on a [`SearchPath`], the refusals, and the drivers by URL scheme.
pub struct Registry {
    search: SearchPath,
    plugins: Vec<LoadedPlugin>,
    refusals: Vec<Refusal>,
    drivers: Vec<Arc<DriverEntry>>,
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

static GLOBAL: OnceLock<Arc<Registry>> = OnceLock::new();

impl Registry {
    /// Loads every plugin on `search`. A library that is refused is recorded (see
    /// [`Registry::refusals`]) and never stops the others; a file found twice (same canonical
    /// path) is loaded once.
    pub fn load(search: SearchPath) -> Registry {
        let mut reg = Registry {
            search,
            plugins: Vec::new(),
            refusals: Vec::new(),
            drivers: Vec::new(),
            schemes: BTreeMap::new(),
        };
        let mut seen = Vec::new();
        for dir in reg.search.dirs().to_vec() {
            for file in plugin_files(&dir) {
                let canonical = std::fs::canonicalize(&file).unwrap_or_else(|_| file.clone());
                if seen.contains(&canonical) {
                    continue;
                }
                seen.push(canonical);
                reg.load_file(&file);
            }
        }
        for r in &reg.refusals {
            tracing::warn!("plugin refused: {r}");
        }
        reg
    }

    /// Loads one library file into the registry; returns false (and records a refusal) when
    /// it is refused.
    pub fn load_file(&mut self, path: &Path) -> bool {
        match self.try_load(path) {
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

    fn try_load(&mut self, path: &Path) -> Result<(), String> {
        let module = load::load_module(path)?;
        let info = (module.info())();
        let capabilities: Vec<CapabilityInfo> = info
            .capabilities
            .iter()
            .map(|c| CapabilityInfo {
                kind: c.kind,
                name: c.name.to_string(),
                description: c.description.to_string(),
            })
            .collect();
        for cap in &capabilities {
            if let Some(other) = self.provider_of(cap.kind, &cap.name) {
                return Err(format!(
                    "duplicate {} capability `{}`: already provided by {}",
                    cap.kind,
                    cap.name,
                    other.path.display()
                ));
            }
        }
        let mut drivers = Vec::new();
        for cap in capabilities
            .iter()
            .filter(|c| c.kind == CapabilityKind::DRIVER)
        {
            let open = module.open_driver().ok_or_else(|| {
                format!("declares driver `{}` but exports no open_driver", cap.name)
            })?;
            let driver = open(RStr::from_str(&cap.name), RStr::from_str(""))
                .into_result()
                .map_err(|e| format!("driver `{}` failed to open: {e}", cap.name))?;
            drivers.push(DriverEntry {
                name: cap.name.clone(),
                path: path.to_path_buf(),
                driver,
            });
        }
        for entry in drivers {
            let index = self.drivers.len();
            let mut schemes: Vec<String> = entry
                .driver
                .schemes()
                .iter()
                .map(|s| crate::url::canonical_scheme(s))
                .collect();
            schemes.push(entry.name.clone());
            for s in schemes {
                self.schemes.entry(s).or_insert(index);
            }
            self.drivers.push(Arc::new(entry));
        }
        tracing::debug!(plugin = %path.display(), name = %info.name, "plugin loaded");
        self.plugins.push(LoadedPlugin {
            path: path.to_path_buf(),
            name: info.name.to_string(),
            version: info.version.to_string(),
            contract: info.contract,
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
    /// flags, no config) unless [`Registry::set_global`] ran first.
    pub fn global() -> Arc<Registry> {
        GLOBAL
            .get_or_init(|| Arc::new(Registry::load(SearchPath::standard(&[], &[]))))
            .clone()
    }

    /// Installs `registry` as the process-wide one; returns false if one was already in use.
    pub fn set_global(registry: Arc<Registry>) -> bool {
        GLOBAL.set(registry).is_ok()
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

    /// The driver for a URL scheme or `db_type` (`sqlite`, `postgres`, `postgresql`, …).
    pub fn driver(&self, scheme: &str) -> Result<Arc<DriverEntry>> {
        let key = crate::url::canonical_scheme(scheme);
        self.schemes
            .get(&key)
            .map(|i| self.drivers[*i].clone())
            .ok_or_else(|| Error::NoDriver {
                scheme: scheme.to_string(),
                known: if self.schemes.is_empty() {
                    "none".into()
                } else {
                    self.schemes.keys().cloned().collect::<Vec<_>>().join(", ")
                },
            })
    }

    /// Opens a non-driver capability of `kind` named `name` with a JSON `config`.
    pub fn open_backup(&self, name: &str, config: &str) -> Result<myrmex_abi::BackupStrategyBox> {
        self.open_with(CapabilityKind::BACKUP, name, |m| m.open_backup(), config)
    }

    /// Opens a shard router.
    pub fn open_shard(&self, name: &str, config: &str) -> Result<myrmex_abi::ShardRouterBox> {
        self.open_with(CapabilityKind::SHARD, name, |m| m.open_shard(), config)
    }

    /// Opens a replication transport.
    pub fn open_replication(
        &self,
        name: &str,
        config: &str,
    ) -> Result<myrmex_abi::ReplicationTransportBox> {
        self.open_with(
            CapabilityKind::REPLICATION,
            name,
            |m| m.open_replication(),
            config,
        )
    }

    /// Opens an audit rule set.
    pub fn open_audit(&self, name: &str, config: &str) -> Result<myrmex_abi::AuditRuleSetBox> {
        self.open_with(CapabilityKind::AUDIT, name, |m| m.open_audit(), config)
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
            .map_err(|source| Error::Database {
                connection: format!("{kind} {name}"),
                statement: None,
                source: Box::new(source),
            })
    }

    /// Names of every capability of `kind`.
    pub fn names_of(&self, kind: CapabilityKind) -> Vec<String> {
        self.plugins
            .iter()
            .flat_map(|p| p.capabilities.iter())
            .filter(|c| c.kind == kind)
            .map(|c| c.name.clone())
            .collect()
    }
}
