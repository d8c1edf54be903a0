//! `configuration`: settings worth a look, reported for a person to decide (no statements):
//! the journal mode of a file database, the page cache against the machine's memory, and
//! memory-mapped I/O.

use super::facts::Pages;
use super::format::bytes;
use myrmex_plugin::monitor::Advice;

/// What the configuration advice reads.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `PRAGMA journal_mode`, lower case.
    pub journal_mode: String,
    /// True for a database in a file (not in memory).
    pub file: bool,
    /// The page cache's limit in bytes.
    pub cache_bytes: i64,
    /// `PRAGMA mmap_size`.
    pub mmap_bytes: i64,
    /// The machine's memory (0: unknown).
    pub memory_bytes: u64,
}

/// Memory-mapped I/O is proposed in steps of this size.
const MMAP_STEP: i64 = 64 << 20;

/// The configuration advice for a database of `pages` with `settings`.
pub fn configuration(pages: &Pages, s: &Settings) -> Vec<Advice> {
    let mut out = Vec::new();
    let db = pages.database_bytes();
    if s.file && s.journal_mode != "wal" {
        out.push(report(
            "setting journal_mode",
            "Consider PRAGMA journal_mode = WAL: readers go on while a connection writes, \
             and commits write less.",
            format!("journal_mode = {}", s.journal_mode),
            "readers no longer block the writer, nor the writer readers",
            "WAL is recorded in the file and stays for every later connection; it needs \
             shared memory, so not on a network file system, and puts -wal and -shm files \
             beside the database.",
        ));
    }
    let memory = i64::try_from(s.memory_bytes).unwrap_or(i64::MAX);
    let target = db.min(memory / 8);
    if memory > 0 && s.cache_bytes.saturating_mul(2) < target {
        out.push(report(
            "setting cache_size",
            &format!(
                "Consider PRAGMA cache_size = -{} (a {} page cache) when opening connections.",
                target / 1024,
                bytes(target)
            ),
            format!(
                "the page cache holds up to {}; the database is {}, the machine has {}",
                bytes(s.cache_bytes),
                bytes(db),
                bytes(memory)
            ),
            "fewer page reads from the file for a working set larger than the cache",
            "cache_size is per connection: every connection of every process holds its own \
             cache up to this size.",
        ));
    }
    if s.file && s.mmap_bytes == 0 && db > 0 {
        let mut size = (db + MMAP_STEP - 1) / MMAP_STEP * MMAP_STEP;
        if memory > 0 {
            size = size.min((memory / 4).max(MMAP_STEP));
        }
        out.push(report(
            "setting mmap_size",
            &format!(
                "Consider PRAGMA mmap_size = {size} ({}) for read-heavy use.",
                bytes(size)
            ),
            format!("mmap_size = 0; the database is {}", bytes(db)),
            "reads straight from the operating system's cache, without copying pages",
            "An I/O error on a mapped file arrives as a signal that ends the process instead \
             of an error; mmap_size is per connection.",
        ));
    }
    out
}

fn report(object: &str, message: &str, evidence: String, gain: &str, risk: &str) -> Advice {
    Advice {
        kind: "configuration".into(),
        object: object.into(),
        message: message.into(),
        evidence,
        expected_gain: gain.into(),
        risk: risk.into(),
        statements: Vec::new(),
        safe: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(journal_mode: &str, file: bool, memory_bytes: u64) -> Settings {
        Settings {
            journal_mode: journal_mode.into(),
            file,
            cache_bytes: 2_048_000,
            mmap_bytes: 0,
            memory_bytes,
        }
    }

    fn objects(pages: &Pages, s: &Settings) -> Vec<String> {
        configuration(pages, s)
            .into_iter()
            .map(|a| {
                assert!(a.statements.is_empty() && !a.safe, "report only");
                a.object
            })
            .collect()
    }

    #[test]
    fn journal_cache_and_mmap() {
        let big = Pages {
            page_size: 4096,
            page_count: 100_000,
            freelist_count: 0,
        };
        assert_eq!(
            objects(&big, &settings("delete", true, 16 << 30)),
            [
                "setting journal_mode",
                "setting cache_size",
                "setting mmap_size"
            ]
        );
        assert_eq!(
            objects(&big, &settings("wal", true, 0)),
            ["setting mmap_size"],
            "memory unknown: no cache advice"
        );
        assert!(objects(&big, &settings("memory", false, 0)).is_empty());
        let small = Pages {
            page_size: 4096,
            page_count: 100,
            freelist_count: 0,
        };
        assert_eq!(
            objects(&small, &settings("wal", true, 16 << 30)),
            ["setting mmap_size"],
            "the cache already holds the whole database"
        );
        let a = &configuration(&big, &settings("wal", true, 16 << 30))[0];
        assert!(a.message.contains("cache_size = -400000"), "{}", a.message);
    }
}
