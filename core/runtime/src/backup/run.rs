//! Running a strategy: a backup written under a temporary name, checksummed (and encrypted),
//! its manifest written last and the directory renamed into place; a restore from a checked
//! (and decrypted) copy of the files.

use super::crypto::{decrypt_file, encrypt_file, BackupKey};
use super::digest::{digest_synced, mismatch};
use super::error::{io, BackupError};
use super::host::{host_box, Progress, ProgressFn};
use super::manifest::{
    now, payload_files, sync_dir, write_atomic, Compression, Encryption, FileEntry, Manifest,
    TableEntry, MANIFEST, MANIFEST_VERSION,
};
use super::store::{partial_name, FileLock, ERROR, LOCK};
use super::{BackupOptions, RestoreOptions, Restored};
use crate::plugin::Registry;
use crate::{DatabaseConnection, Error, Result};
use myrmex_abi::{BackupRequest, CapabilityKind, RestoreRequest};
use myrmex_schema::convert::{convert_schema, CastRules, Conversion};
use myrmex_schema::{Dialect, SchemaDefinition};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// The strategy `name` means for a connection of `driver`: `native` is the `…-native`
/// strategy that handles that driver; any other name is itself.
fn resolve(registry: &Registry, name: &str, driver: &str) -> Result<String> {
    if name != "native" {
        return Ok(name.to_string());
    }
    registry
        .capabilities_of(CapabilityKind::BACKUP)
        .into_iter()
        .find(|c| c.name.ends_with("-native") && c.schemes.iter().any(|s| s == driver))
        .map(|c| c.name)
        .ok_or_else(|| {
            BackupError::WrongEngine {
                strategy: "native".into(),
                driver: driver.to_string(),
                handles: "no loaded native strategy handles it".into(),
            }
            .into()
        })
}

/// The strategy for a connection: `name`, checked against the drivers it handles.
fn strategy_for(registry: &Registry, name: &str, driver: &str) -> Result<()> {
    let caps = registry.capabilities_of(CapabilityKind::BACKUP);
    if let Some(cap) = caps.iter().find(|c| c.name == name) {
        if !cap.schemes.is_empty() && !cap.schemes.iter().any(|s| s == driver) {
            return Err(BackupError::WrongEngine {
                strategy: name.to_string(),
                driver: driver.to_string(),
                handles: cap.schemes.join(", "),
            }
            .into());
        }
    }
    Ok(())
}

/// Every file's size and SHA-256, each file synced to disk, `workers` files at a time (a
/// logical backup's many chunks hash on every core the backup was given).
fn file_entries(files: &[(String, PathBuf)], workers: usize) -> Result<Vec<FileEntry>> {
    let entry = |(rel, path): &(String, PathBuf)| -> std::result::Result<FileEntry, BackupError> {
        let d = digest_synced(path)?;
        Ok(FileEntry {
            name: rel.clone(),
            bytes: std::fs::metadata(path).map_err(io(path))?.len(),
            sha256: d.sha256,
            segments: d.segments,
        })
    };
    let next = AtomicUsize::new(0);
    let done: Vec<Mutex<Option<std::result::Result<FileEntry, BackupError>>>> =
        files.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|s| {
        for _ in 0..workers.clamp(1, files.len().max(1)) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(f) = files.get(i) else { break };
                let r = entry(f);
                *done[i].lock().unwrap_or_else(|p| p.into_inner()) = Some(r);
            });
        }
    });
    let mut out = Vec::with_capacity(files.len());
    for (slot, (rel, _)) in done.into_iter().zip(files) {
        match slot.into_inner().unwrap_or_else(|p| p.into_inner()) {
            Some(r) => out.push(r?),
            None => return Err(BackupError::Invalid(format!("{rel}: not hashed")).into()),
        }
    }
    Ok(out)
}

fn default_name(db: &DatabaseConnection, secs: u64) -> String {
    let stamp: String = super::manifest::rfc3339(secs)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    let base = Path::new(&db.params().database)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let base: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if base.is_empty() {
        stamp
    } else {
        format!("{stamp}-{base}")
    }
}

/// Backs up `db` into a new directory under `dest`; returns its path and manifest.
pub(crate) fn backup(
    registry: &Registry,
    db: &mut DatabaseConnection,
    dest: &Path,
    options: &BackupOptions,
    progress: ProgressFn,
    cancel: Arc<AtomicBool>,
) -> Result<(PathBuf, Manifest)> {
    let driver_name = db.driver_name().to_string();
    let strategy_name = resolve(registry, &options.strategy, &driver_name)?;
    strategy_for(registry, &strategy_name, &driver_name)?;
    let key = options.encrypt.as_ref().map(|k| k.load()).transpose()?;
    let strategy = registry.open_backup(&strategy_name, "")?;
    let driver = db.driver_entry().ok_or_else(|| Error::NotConnected {
        connection: db.name.clone(),
    })?;
    let (started, started_unix) = now();
    std::fs::create_dir_all(dest).map_err(io(dest))?;
    let name = match &options.name {
        Some(n) => n.clone(),
        None => {
            // Two backups in the same second: the later one takes the next free suffix.
            let base = default_name(db, started_unix);
            let taken = |n: &str| dest.join(n).exists() || dest.join(partial_name(n)).exists();
            let mut name = base.clone();
            let mut i = 2;
            while taken(&name) {
                name = format!("{base}-{i}");
                i += 1;
            }
            name
        }
    };
    let target = dest.join(&name);
    if target.exists() {
        return Err(BackupError::Exists { path: target }.into());
    }
    let partial = dest.join(partial_name(&name));
    std::fs::create_dir(&partial).map_err(io(&partial))?;
    let lock = FileLock::try_take(&partial.join(LOCK))?.ok_or_else(|| BackupError::Locked {
        what: partial.display().to_string(),
    })?;
    let request = BackupRequest {
        source: db.params().to_options(),
        directory: partial.to_string_lossy().as_ref().into(),
        parallel: options.parallel.max(1),
        compress: options.compress,
        settings: options.settings.as_str().into(),
        extensions: Default::default(),
    };
    let host = host_box(driver, db.params().to_options(), progress.clone(), cancel);
    let outcome = db
        .lend(|c| strategy.backup(c, &request, &host))?
        .into_result()
        .map_err(|source| BackupError::Strategy {
            strategy: strategy_name.clone(),
            source,
        });
    let outcome = match outcome {
        Ok(o) => o,
        Err(e) => {
            let _ = std::fs::write(partial.join(ERROR), e.to_string());
            drop(lock);
            return Err(e.into());
        }
    };
    let finish = || -> Result<Manifest> {
        let files = payload_files(&partial)?;
        let encryption = match &key {
            Some(key) => {
                encrypt_all(key, &files, &progress)?;
                Some(Encryption {
                    algorithm: "aes-256-gcm-stream".into(),
                    segment: 1 << 20,
                    key_check: key.check_value()?,
                })
            }
            None => None,
        };
        let entries = file_entries(&files, options.parallel.max(1) as usize)?;
        let json = |s: &str| -> serde_json::Value {
            if s.is_empty() {
                serde_json::Value::Null
            } else {
                serde_json::from_str(s).unwrap_or(serde_json::Value::Null)
            }
        };
        Ok(Manifest {
            manifest_version: MANIFEST_VERSION,
            name: name.clone(),
            strategy: strategy_name.clone(),
            format: outcome.format.to_string(),
            driver: driver_name.clone(),
            engine: outcome.engine.to_string(),
            server_version: outcome.server_version.to_string(),
            source: db.url(),
            tool_version: format!("myrmex {}", env!("CARGO_PKG_VERSION")),
            started: started.clone(),
            finished: now().0,
            started_unix,
            compression: Compression {
                algorithm: if options.compress > 0 { "zstd" } else { "none" }.into(),
                level: options.compress,
            },
            encryption,
            schema: json(&outcome.schema),
            tables: outcome
                .tables
                .iter()
                .map(|t| TableEntry {
                    name: t.name.to_string(),
                    rows: t.rows,
                    checksum: t.checksum.to_string(),
                })
                .collect(),
            files: entries,
            details: json(&outcome.details),
        })
    };
    let manifest = match finish() {
        Ok(m) => m,
        Err(e) => {
            let _ = std::fs::write(partial.join(ERROR), e.to_string());
            return Err(e);
        }
    };
    let text = serde_json::to_vec_pretty(&manifest)
        .map_err(|e| BackupError::Invalid(format!("the manifest: {e}")))?;
    write_atomic(&partial.join(MANIFEST), &text)?;
    drop(lock);
    let _ = std::fs::remove_file(partial.join(LOCK));
    std::fs::rename(&partial, &target).map_err(io(&target))?;
    sync_dir(dest)?;
    Ok((target, manifest))
}

fn encrypt_all(key: &BackupKey, files: &[(String, PathBuf)], progress: &ProgressFn) -> Result<()> {
    let mut done = 0u64;
    for (rel, path) in files {
        let tmp = path.with_file_name(format!(
            ".{}.enc",
            path.file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default()
        ));
        encrypt_file(key, path, &tmp, rel)?;
        std::fs::rename(&tmp, path).map_err(io(path))?;
        done += std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        progress(&Progress {
            phase: "encrypt".into(),
            table: rel.clone(),
            bytes: done,
            ..Default::default()
        });
    }
    Ok(())
}

/// Checks every file of the backup in `dir` against its manifest: present, listed, same
/// SHA-256.
pub(crate) fn check_files(dir: &Path, m: &Manifest, progress: &ProgressFn) -> Result<()> {
    let present = payload_files(dir)?;
    for (rel, _) in &present {
        if !m.files.iter().any(|f| &f.name == rel) {
            return Err(BackupError::Files {
                path: dir.to_path_buf(),
                file: rel.clone(),
                what: "is not listed in the manifest",
            }
            .into());
        }
    }
    let total = m.bytes();
    let mut done = 0;
    for f in &m.files {
        let path = dir.join(&f.name);
        if !path.is_file() {
            return Err(BackupError::Files {
                path: dir.to_path_buf(),
                file: f.name.clone(),
                what: "is missing",
            }
            .into());
        }
        if let Some((file, expected, found)) = mismatch(&path, f)? {
            return Err(BackupError::Checksum {
                path: dir.to_path_buf(),
                file,
                expected,
                found,
            }
            .into());
        }
        done += f.bytes;
        progress(&Progress {
            phase: "checksum".into(),
            table: f.name.clone(),
            bytes: done,
            bytes_total: total,
            ..Default::default()
        });
    }
    Ok(())
}

/// The key for an encrypted backup, checked; `None` for a backup in clear.
pub(crate) fn key_for(
    dir: &Path,
    m: &Manifest,
    key: Option<&super::KeySource>,
) -> Result<Option<BackupKey>> {
    let Some(enc) = &m.encryption else {
        return Ok(None);
    };
    let source = key.ok_or_else(|| BackupError::KeyMissing {
        path: dir.to_path_buf(),
    })?;
    let key = source.load()?;
    if !key.opens(&enc.key_check) {
        return Err(BackupError::WrongKey {
            path: dir.to_path_buf(),
        }
        .into());
    }
    Ok(Some(key))
}

/// A decrypted copy of an encrypted backup, removed when dropped.
pub(crate) struct Plain {
    pub dir: PathBuf,
    temp: bool,
}

impl Drop for Plain {
    fn drop(&mut self) {
        if self.temp {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// The backup's files in clear: the directory itself, or a decrypted copy beside it.
pub(crate) fn plain(dir: &Path, m: &Manifest, key: Option<&BackupKey>) -> Result<Plain> {
    let Some(key) = key else {
        return Ok(Plain {
            dir: dir.to_path_buf(),
            temp: false,
        });
    };
    let parent = dir.parent().unwrap_or(Path::new("."));
    let copy = parent.join(format!(".{}.restore-{}", m.name, std::process::id()));
    let _ = std::fs::remove_dir_all(&copy);
    let out = Plain {
        dir: copy.clone(),
        temp: true,
    };
    for f in &m.files {
        let dst = copy.join(&f.name);
        if let Some(p) = dst.parent() {
            std::fs::create_dir_all(p).map_err(io(p))?;
        }
        decrypt_file(key, &dir.join(&f.name), &dst, &f.name, dir)?;
    }
    Ok(out)
}

/// Restores the backup in `dir` into `db`; the tables as the strategy left them.
/// The manifest's schema converted for `to` when the backup is of another engine (engines
/// of one family restore into each other as they are).
fn convert_for(
    dir: &Path,
    m: &mut Manifest,
    to: Dialect,
    cross_engine: bool,
    rules: &CastRules,
) -> Result<Option<Conversion>> {
    let Ok(from) = m.engine.parse::<Dialect>() else {
        return Ok(None);
    };
    if from.same_family(to) {
        return Ok(None);
    }
    if !cross_engine {
        return Err(BackupError::CrossEngine {
            path: dir.to_path_buf(),
            strategy: m.strategy.clone(),
            from: from.name().to_string(),
            to: to.name().to_string(),
        }
        .into());
    }
    let def: SchemaDefinition = serde_json::from_value(m.schema.clone()).map_err(|e| {
        BackupError::Invalid(format!("{}: the manifest's schema: {e}", dir.display()))
    })?;
    let conversion = convert_schema(&def, from, to, rules)?;
    m.schema = serde_json::to_value(&conversion.definition)
        .map_err(|e| BackupError::Invalid(format!("the converted schema: {e}")))?;
    m.engine = to.name().to_string();
    Ok(Some(conversion))
}

pub(crate) fn restore(
    registry: &Registry,
    dir: &Path,
    db: &mut DatabaseConnection,
    options: &RestoreOptions,
    progress: ProgressFn,
    cancel: Arc<AtomicBool>,
) -> Result<Restored> {
    let mut m = Manifest::read(dir)?;
    let key = key_for(dir, &m, options.key.as_ref())?;
    check_files(dir, &m, &progress)?;
    let strategy = registry.open_backup(&m.strategy, "")?;
    let target = db.schema_dialect()?;
    let cross_engine = strategy.features().cross_engine;
    let conversion = convert_for(dir, &mut m, target, cross_engine, &options.rules)?;
    if conversion.is_none() {
        strategy_for(registry, &m.strategy, db.driver_name())?;
    }
    let plain = plain(dir, &m, key.as_ref())?;
    let driver = db.driver_entry().ok_or_else(|| Error::NotConnected {
        connection: db.name.clone(),
    })?;
    let text = serde_json::to_string(&m)
        .map_err(|e| BackupError::Invalid(format!("the manifest: {e}")))?;
    let request = RestoreRequest {
        target: db.params().to_options(),
        directory: plain.dir.to_string_lossy().as_ref().into(),
        manifest: text.into(),
        parallel: options.parallel.max(1),
        clean: options.clean,
        settings: options.settings.as_str().into(),
        extensions: Default::default(),
    };
    let host = host_box(driver, db.params().to_options(), progress, cancel);
    let outcome = db
        .lend(|c| strategy.restore(c, &request, &host))?
        .into_result()
        .map_err(|source| BackupError::Strategy {
            strategy: m.strategy.clone(),
            source,
        })?;
    let tables = outcome
        .tables
        .iter()
        .map(|t| TableEntry {
            name: t.name.to_string(),
            rows: t.rows,
            checksum: t.checksum.to_string(),
        })
        .collect();
    Ok(Restored { tables, conversion })
}
