//! Backups kept in an object store (`s3://bucket/prefix`, through a `store` plugin).
//!
//! A backup is written locally first (under its temporary name, published when its manifest
//! is complete, as in a directory destination), then every file is uploaded and the manifest
//! last; a backup whose upload was cut short has no manifest in the store and is listed as
//! failed. Deleting removes the manifest first, so a half-deleted backup never looks complete.
//! Verify and restore download the backup into a local staging directory and work on it
//! there: a download is checked against the manifest's SHA-256s like any backup.

use super::error::BackupError;
use super::manifest::{Manifest, MANIFEST, VERIFIED};
use super::store::{info_of, BackupInfo, Status};
use crate::plugin::Registry;
use crate::Result;
use myrmex_abi::{CapabilityKind, ObjectStoreBox, RStr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

/// An object store location and the local directory backups are staged in.
pub(crate) struct Remote {
    store: ObjectStoreBox,
    /// The location as the user gave it (`s3://bucket/prefix?endpoint=…`).
    location: String,
    /// Where backups are written before upload and downloaded to.
    pub(crate) staging: PathBuf,
}

/// The scheme of `dest` when it is a location (`s3://…`), not a local path.
pub(crate) fn scheme_of(dest: &str) -> Option<&str> {
    let (scheme, _) = dest.split_once("://")?;
    (scheme.len() > 1
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '+'))
    .then_some(scheme)
}

/// A location split into the store's location and the backup's name:
/// `s3://b/p/NAME?endpoint=…` is (`s3://b/p?endpoint=…`, `NAME`).
pub(crate) fn split(path: &str) -> (String, String) {
    let (head, query) = match path.split_once('?') {
        Some((h, q)) => (h, format!("?{q}")),
        None => (path, String::new()),
    };
    let head = head.trim_end_matches('/');
    // The bucket (what follows `scheme://`) is never a backup's name.
    let bucket_end = head.find("://").map_or(0, |i| i + 3);
    match head.rfind('/') {
        Some(i) if i > bucket_end => (format!("{}{query}", &head[..i]), head[i + 1..].to_string()),
        _ => (format!("{head}{query}"), String::new()),
    }
}

/// Removes the staging directories that killed processes left behind (a process killed while
/// uploading cannot clean up after itself).
fn sweep_staging() {
    let Ok(rd) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix("myrmex-store-")
            .and_then(|r| r.split('-').next())
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

fn staging_dir() -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    std::env::temp_dir().join(format!(
        "myrmex-store-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ))
}

impl Remote {
    /// Opens the store for `location` with the store plugin of its scheme.
    pub(crate) fn open(registry: &Registry, location: &str, scheme: &str) -> Result<Remote> {
        let cap = registry
            .capabilities_of(CapabilityKind::STORE)
            .into_iter()
            .find(|c| c.schemes.iter().any(|s| s == scheme))
            .ok_or_else(|| BackupError::NoStore {
                scheme: scheme.to_string(),
            })?;
        let config = serde_json::json!({ "location": location }).to_string();
        let store = registry.open_store(&cap.name, &config)?;
        if Path::new("/proc/self").exists() {
            sweep_staging();
        }
        Ok(Remote {
            store,
            location: location.to_string(),
            staging: staging_dir(),
        })
    }

    fn fail(&self, source: myrmex_abi::PluginError) -> crate::Error {
        BackupError::Store {
            location: self.location.clone(),
            source,
        }
        .into()
    }

    /// The path users name backup `name` of this store with.
    pub(crate) fn path_of(&self, name: &str) -> PathBuf {
        let (head, query) = match self.location.split_once('?') {
            Some((h, q)) => (h, format!("?{q}")),
            None => (self.location.as_str(), String::new()),
        };
        PathBuf::from(format!("{}/{name}{query}", head.trim_end_matches('/')))
    }

    fn put(&self, key: &str, file: &Path) -> Result<()> {
        let path = file.to_string_lossy();
        self.store
            .put(RStr::from_str(key), RStr::from_str(&path))
            .into_result()
            .map_err(|e| self.fail(e))
    }

    /// Uploads the complete backup in `dir` as `name`: every file, then the manifest (and
    /// the verified mark after it).
    pub(crate) fn upload(&self, dir: &Path, name: &str) -> Result<()> {
        let mut files = Vec::new();
        collect(dir, dir, &mut files)?;
        for rel in files.iter().filter(|f| *f != MANIFEST && *f != VERIFIED) {
            self.put(&format!("{name}/{rel}"), &dir.join(rel))?;
        }
        self.put(&format!("{name}/{MANIFEST}"), &dir.join(MANIFEST))?;
        if dir.join(VERIFIED).exists() {
            self.put(&format!("{name}/{VERIFIED}"), &dir.join(VERIFIED))?;
        }
        Ok(())
    }

    /// Uploads one file of backup `name` (the verified mark).
    pub(crate) fn upload_file(&self, name: &str, file: &Path, as_name: &str) -> Result<()> {
        self.put(&format!("{name}/{as_name}"), file)
    }

    /// Downloads backup `name` into the staging directory; its local directory.
    pub(crate) fn download(&self, name: &str) -> Result<PathBuf> {
        let objects = self
            .store
            .list(RStr::from_str(&format!("{name}/")))
            .into_result()
            .map_err(|e| self.fail(e))?;
        if !objects
            .iter()
            .any(|o| o.key.as_str() == format!("{name}/{MANIFEST}"))
        {
            return Err(BackupError::NotABackup {
                path: self.path_of(name),
            }
            .into());
        }
        let dir = self.staging.join(name);
        let _ = std::fs::remove_dir_all(&dir);
        for o in objects.iter() {
            let Some(rel) = o.key.as_str().strip_prefix(&format!("{name}/")) else {
                continue;
            };
            if rel.split('/').any(|p| p == ".." || p.is_empty()) {
                return Err(BackupError::Manifest {
                    path: self.path_of(name),
                    reason: format!("object {} escapes the backup", o.key),
                }
                .into());
            }
            let local = dir.join(rel);
            if let Some(p) = local.parent() {
                std::fs::create_dir_all(p).map_err(super::error::io(p))?;
            }
            self.store
                .get(
                    RStr::from_str(o.key.as_str()),
                    RStr::from_str(&local.to_string_lossy()),
                )
                .into_result()
                .map_err(|e| self.fail(e))?;
        }
        Ok(dir)
    }

    /// Every backup of the store, oldest first: complete (and verified) ones by their
    /// manifest, and prefixes without a manifest (an upload cut short or still running) as
    /// failed.
    pub(crate) fn list(&self) -> Result<Vec<BackupInfo>> {
        let objects = self
            .store
            .list(RStr::from_str(""))
            .into_result()
            .map_err(|e| self.fail(e))?;
        let mut groups: Vec<(String, Vec<(String, u64)>)> = Vec::new();
        for o in objects.iter() {
            let Some((name, rel)) = o.key.as_str().split_once('/') else {
                continue;
            };
            if name.starts_with('.') {
                continue;
            }
            match groups.last_mut() {
                Some((n, files)) if n == name => files.push((rel.to_string(), o.size)),
                _ => groups.push((name.to_string(), vec![(rel.to_string(), o.size)])),
            }
        }
        let mut out = Vec::new();
        let scratch = self.staging.join(".list");
        for (name, files) in groups {
            let bytes = files.iter().map(|f| f.1).sum();
            let has = |f: &str| files.iter().any(|x| x.0 == f);
            let path = self.path_of(&name);
            if !has(MANIFEST) {
                out.push(BackupInfo {
                    name,
                    path,
                    status: Status::Failed,
                    bytes,
                    strategy: String::new(),
                    engine: String::new(),
                    started: String::new(),
                    started_unix: 0,
                    rows: 0,
                    tables: 0,
                    encrypted: false,
                    error: Some("no manifest: its upload was cut short or is running".into()),
                });
                continue;
            }
            let dir = scratch.join(&name);
            std::fs::create_dir_all(&dir).map_err(super::error::io(&dir))?;
            self.store
                .get(
                    RStr::from_str(&format!("{name}/{MANIFEST}")),
                    RStr::from_str(&dir.join(MANIFEST).to_string_lossy()),
                )
                .into_result()
                .map_err(|e| self.fail(e))?;
            let m = Manifest::read(&dir)?;
            let mut info = info_of(&dir, &m);
            info.path = path;
            info.bytes = bytes;
            info.status = if has(VERIFIED) {
                Status::Verified
            } else {
                Status::Complete
            };
            out.push(info);
        }
        let _ = std::fs::remove_dir_all(&scratch);
        out.sort_by(|a, b| (a.started_unix, &a.name).cmp(&(b.started_unix, &b.name)));
        Ok(out)
    }

    /// Deletes backup `name`: its manifest first, then every other object.
    pub(crate) fn delete(&self, name: &str) -> Result<()> {
        let objects = self
            .store
            .list(RStr::from_str(&format!("{name}/")))
            .into_result()
            .map_err(|e| self.fail(e))?;
        let manifest = format!("{name}/{MANIFEST}");
        let keys = std::iter::once(manifest.as_str()).chain(
            objects
                .iter()
                .map(|o| o.key.as_str())
                .filter(|k| *k != manifest),
        );
        for key in keys {
            self.store
                .delete(RStr::from_str(key))
                .into_result()
                .map_err(|e| self.fail(e))?;
        }
        Ok(())
    }
}

impl Drop for Remote {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.staging);
    }
}

/// Every file under `dir`, relative to `root`, with `/` separators.
fn collect(root: &Path, dir: &Path, out: &mut Vec<String>) -> Result<()> {
    for e in std::fs::read_dir(dir).map_err(super::error::io(dir))? {
        let e = e.map_err(super::error::io(dir))?;
        let path = e.path();
        if path.is_dir() {
            collect(root, &path, out)?;
        } else if let Ok(rel) = path.strip_prefix(root) {
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
    out.sort();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_split_into_store_and_name() {
        assert_eq!(
            split("s3://b/p/20261204T0200Z-shop?endpoint=http://127.0.0.1:9000/x"),
            (
                "s3://b/p?endpoint=http://127.0.0.1:9000/x".to_string(),
                "20261204T0200Z-shop".to_string()
            )
        );
        assert_eq!(split("s3://b/N"), ("s3://b".to_string(), "N".to_string()));
        assert_eq!(split("s3://b"), ("s3://b".to_string(), String::new()));
        assert_eq!(scheme_of("s3://b/p"), Some("s3"));
        assert_eq!(scheme_of("/var/backups"), None);
        assert_eq!(scheme_of("C://x"), None);
    }
}
