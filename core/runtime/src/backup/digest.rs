//! File checksums for the manifest: the SHA-256 of a file, or for a file larger than one
//! segment (64 MiB) the SHA-256 of each segment, hashed on every core, and as the file's
//! checksum the SHA-256 of the segments' digests one after the other. A big file (an SQLite
//! database copy) then hashes in a fraction of the time, and a damaged one is reported by
//! the segment that differs.

use super::error::{io, BackupError};
use super::manifest::FileEntry;
use sha2::{Digest as _, Sha256};
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// The size of a segment.
pub const SEGMENT: u64 = 64 << 20;

/// A file's checksum as the manifest records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDigest {
    /// The file's SHA-256, or the SHA-256 of its segments' digests.
    pub sha256: String,
    /// Each segment's SHA-256 (empty for a file of one segment).
    pub segments: Vec<String>,
}

/// The checksum of the file at `path`.
pub fn digest(path: &Path) -> Result<FileDigest, BackupError> {
    digest_in(path, SEGMENT)
}

/// The checksum of the file at `path`, once it is on disk: the sync runs on its own thread
/// while the file is hashed, so the disk writes what the hash reads from memory.
pub fn digest_synced(path: &Path) -> Result<FileDigest, BackupError> {
    let f = std::fs::File::open(path).map_err(io(path))?;
    let synced = std::thread::spawn(move || f.sync_all());
    let d = digest(path);
    synced
        .join()
        .unwrap_or_else(|_| Err(std::io::Error::other("the sync thread panicked")))
        .map_err(io(path))?;
    d
}

/// Compares the file at `path` with its manifest entry; what differs, if anything: the
/// segment (with its byte range) and both digests.
pub fn mismatch(
    path: &Path,
    entry: &FileEntry,
) -> Result<Option<(String, String, String)>, BackupError> {
    mismatch_in(path, entry, SEGMENT)
}

fn mismatch_in(
    path: &Path,
    entry: &FileEntry,
    segment: u64,
) -> Result<Option<(String, String, String)>, BackupError> {
    let found = digest_in(path, segment)?;
    if found.sha256 == entry.sha256 && found.segments == entry.segments {
        return Ok(None);
    }
    let bad = entry
        .segments
        .iter()
        .zip(&found.segments)
        .position(|(a, b)| a != b);
    Ok(Some(match bad {
        Some(i) if entry.segments.len() == found.segments.len() => {
            let start = i as u64 * segment;
            (
                format!(
                    "{} (segment {} of {}, bytes {start}–{})",
                    entry.name,
                    i + 1,
                    entry.segments.len(),
                    start + segment - 1
                ),
                entry.segments[i].clone(),
                found.segments[i].clone(),
            )
        }
        _ => (entry.name.clone(), entry.sha256.clone(), found.sha256),
    }))
}

fn hex(bytes: &[u8]) -> String {
    crate::hex::encode(bytes)
}

/// One segment's digest once a worker has hashed it.
type Slot = Mutex<Option<Result<[u8; 32], BackupError>>>;

fn digest_in(path: &Path, segment: u64) -> Result<FileDigest, BackupError> {
    let len = std::fs::metadata(path).map_err(io(path))?.len();
    if len <= segment {
        let mut f = std::fs::File::open(path).map_err(io(path))?;
        let mut h = Sha256::new();
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = f.read(&mut buf).map_err(io(path))?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
        }
        return Ok(FileDigest {
            sha256: hex(&h.finalize()),
            segments: Vec::new(),
        });
    }
    let count = len.div_ceil(segment) as usize;
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(1, count);
    let next = AtomicUsize::new(0);
    let done: Vec<Slot> = (0..count).map(|_| Mutex::new(None)).collect();
    // One handle shared by the workers: positioned reads never move a shared offset.
    let file = std::fs::File::open(path).map_err(io(path))?;
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                let mut buf = vec![0u8; 1 << 20];
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= count {
                        return;
                    }
                    let start = i as u64 * segment;
                    let r = hash_range(&file, path, start, segment.min(len - start), &mut buf);
                    *done[i].lock().unwrap_or_else(|p| p.into_inner()) = Some(r);
                }
            });
        }
    });
    let mut all = Sha256::new();
    let mut segments = Vec::with_capacity(count);
    for slot in done {
        let d = slot
            .into_inner()
            .unwrap_or_else(|p| p.into_inner())
            .unwrap_or_else(|| {
                Err(BackupError::Invalid(format!(
                    "{}: a segment was not hashed",
                    path.display()
                )))
            })?;
        all.update(d);
        segments.push(hex(&d));
    }
    Ok(FileDigest {
        sha256: hex(&all.finalize()),
        segments,
    })
}

fn hash_range(
    file: &std::fs::File,
    path: &Path,
    start: u64,
    len: u64,
    buf: &mut [u8],
) -> Result<[u8; 32], BackupError> {
    let mut h = Sha256::new();
    let mut at = start;
    let end = start + len;
    while at < end {
        let want = buf.len().min((end - at) as usize);
        let n = file.read_at(&mut buf[..want], at).map_err(io(path))?;
        if n == 0 {
            return Err(io(path)(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the file shrank while it was hashed",
            )));
        }
        h.update(&buf[..n]);
        at += n as u64;
    }
    Ok(h.finalize().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let p = std::env::temp_dir().join(format!("myrmex-digest-{}-{name}", std::process::id()));
        std::fs::write(&p, bytes).unwrap();
        p
    }

    #[test]
    fn a_small_file_is_its_plain_sha256() {
        let p = file("small", b"abc");
        let d = digest_in(&p, 1000).unwrap();
        assert_eq!(
            d.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(d.segments.is_empty());
        std::fs::remove_file(p).unwrap();
    }

    #[test]
    fn a_big_file_is_hashed_by_segments_and_a_flipped_byte_is_placed() {
        let bytes: Vec<u8> = (0..10_500u32).map(|i| (i * 7 % 251) as u8).collect();
        let p = file("big", &bytes);
        let d = digest_in(&p, 1000).unwrap();
        assert_eq!(d.segments.len(), 11);
        let direct = hex(&Sha256::digest(&bytes[3000..4000]));
        assert_eq!(d.segments[3], direct);
        let entry = FileEntry {
            name: "data/00001.bin".into(),
            bytes: bytes.len() as u64,
            sha256: d.sha256.clone(),
            segments: d.segments.clone(),
        };
        assert_eq!(mismatch_in(&p, &entry, 1000).unwrap(), None);
        let mut flipped = bytes.clone();
        flipped[7321] ^= 1;
        std::fs::write(&p, &flipped).unwrap();
        let (what, expected, found) = mismatch_in(&p, &entry, 1000).unwrap().unwrap();
        assert_eq!(what, "data/00001.bin (segment 8 of 11, bytes 7000–7999)");
        assert_eq!(expected, d.segments[7]);
        assert_ne!(found, expected);
        std::fs::remove_file(p).unwrap();
    }
}
