//! Verifying a backup: the manifest reads and agrees with the files, every file's SHA-256
//! matches, and (when a connection of the same engine is given) a restore drill into a
//! scratch database gives back every table's rows and content checksum.

use super::error::BackupError;
use super::host::ProgressFn;
use super::manifest::{now, write_atomic, Manifest, TableEntry, VERIFIED};
use super::run::{check_files, key_for, restore};
use super::{KeySource, RestoreOptions};
use crate::plugin::Registry;
use crate::{DatabaseConnection, Result};
use serde::Serialize;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// What a verify found.
#[derive(Clone, Debug, Serialize)]
pub struct VerifyReport {
    /// The backup's name.
    pub name: String,
    /// Its directory.
    pub path: PathBuf,
    /// Files checked.
    pub files: usize,
    /// Bytes checked.
    pub bytes: u64,
    /// True when a restore drill ran.
    pub drill: bool,
    /// The tables the drill restored, with their rows and checksums read back.
    pub tables: Vec<TableEntry>,
}

/// Checks that the manifest agrees with itself: unique names, and every file the strategy's
/// layout names is listed.
fn consistent(dir: &Path, m: &Manifest) -> Result<()> {
    let bad = |reason: String| BackupError::Manifest {
        path: dir.to_path_buf(),
        reason,
    };
    let mut files = HashSet::new();
    for f in &m.files {
        if !files.insert(f.name.as_str()) || f.name.contains("..") || f.name.starts_with('/') {
            return Err(bad(format!(
                "file {} is listed twice or escapes the backup",
                f.name
            ))
            .into());
        }
    }
    let mut tables = HashSet::new();
    for t in &m.tables {
        if !tables.insert(t.name.as_str()) {
            return Err(bad(format!("table {} is listed twice", t.name)).into());
        }
    }
    let mut named = Vec::new();
    collect_files(&m.details, &mut named);
    for n in named {
        if !files.contains(n.as_str()) {
            return Err(bad(format!("the layout names {n}, which the file list lacks")).into());
        }
    }
    if let Some(layout) = m.details.get("tables").and_then(|t| t.as_array()) {
        if layout.len() != m.tables.len() {
            return Err(bad(format!(
                "{} tables in the layout, {} in the table list",
                layout.len(),
                m.tables.len()
            ))
            .into());
        }
    }
    Ok(())
}

fn collect_files(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("file", serde_json::Value::String(s)) => out.push(s.clone()),
                    _ => collect_files(v, out),
                }
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|v| collect_files(v, out)),
        _ => {}
    }
}

/// Verifies the backup in `dir`; with `drill`, restores it into a scratch database made by
/// that connection and compares every table.
pub(crate) fn verify(
    registry: &Registry,
    dir: &Path,
    key: Option<&KeySource>,
    drill: Option<&mut DatabaseConnection>,
    progress: ProgressFn,
    cancel: Arc<AtomicBool>,
) -> Result<VerifyReport> {
    let m = Manifest::read(dir)?;
    consistent(dir, &m)?;
    check_files(dir, &m, &progress)?;
    let mut report = VerifyReport {
        name: m.name.clone(),
        path: dir.to_path_buf(),
        files: m.files.len(),
        bytes: m.bytes(),
        drill: false,
        tables: Vec::new(),
    };
    if let Some(db) = drill {
        key_for(dir, &m, key)?;
        let params = db.create_scratch()?;
        let mut scratch = DatabaseConnection::new("restore drill", params.clone());
        let restored = scratch.connect_with(registry).and_then(|_| {
            let options = RestoreOptions {
                key: key.cloned(),
                settings: r#"{"checksum":true}"#.into(),
                ..RestoreOptions::default()
            };
            restore(registry, dir, &mut scratch, &options, progress, cancel).map(|r| r.tables)
        });
        let _ = scratch.close();
        let _ = db.drop_scratch(&params);
        let tables = restored?;
        compare(dir, &m.tables, &tables)?;
        report.drill = true;
        report.tables = tables;
    }
    let marker = serde_json::json!({ "verified": now().0, "drill": report.drill });
    write_atomic(&dir.join(VERIFIED), marker.to_string().as_bytes())?;
    Ok(report)
}

fn compare(dir: &Path, recorded: &[TableEntry], restored: &[TableEntry]) -> Result<()> {
    let drill = |table: &str, what: String| BackupError::Drill {
        path: dir.to_path_buf(),
        table: table.to_string(),
        what,
    };
    for r in recorded {
        let Some(got) = restored.iter().find(|t| t.name == r.name) else {
            return Err(drill(&r.name, "missing after restore".into()).into());
        };
        if got.rows != r.rows {
            return Err(drill(
                &r.name,
                format!("{} rows restored, {} backed up", got.rows, r.rows),
            )
            .into());
        }
        if !r.checksum.is_empty() && !got.checksum.is_empty() && got.checksum != r.checksum {
            return Err(drill(
                &r.name,
                "content differs from the backup (content checksum)".into(),
            )
            .into());
        }
    }
    Ok(())
}
