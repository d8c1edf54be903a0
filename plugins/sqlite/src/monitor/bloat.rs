//! `bloat`: free pages kept in the file.
//!
//! Deleted rows leave free pages that SQLite reuses but does not return to the file system.
//! When more than [`BLOAT_RATIO`] of the file and more than [`BLOAT_BYTES`] are free,
//! `VACUUM` (which rewrites the file) is proposed.

use super::facts::Pages;
use super::format::bytes;
use myrmex_plugin::monitor::Advice;

/// Free pages over all pages above which the file counts as bloated…
pub const BLOAT_RATIO: f64 = 0.2;

/// …when they are also more than this many bytes.
pub const BLOAT_BYTES: i64 = 1 << 20;

/// `VACUUM` when the file is bloated; `auto_vacuum` is `PRAGMA auto_vacuum` (2:
/// incremental).
pub fn bloat(pages: &Pages, auto_vacuum: i64) -> Option<Advice> {
    let free = pages.freelist_bytes();
    if pages.free_ratio() <= BLOAT_RATIO || free <= BLOAT_BYTES {
        return None;
    }
    let mut message = format!(
        "Run VACUUM to return {} of free pages to the file system.",
        bytes(free)
    );
    if auto_vacuum == 2 {
        message.push_str(
            " The database uses incremental auto-vacuum: PRAGMA incremental_vacuum frees \
             pages without rewriting the file.",
        );
    }
    Some(Advice {
        kind: "bloat".into(),
        object: "database".into(),
        message,
        evidence: format!(
            "{} of {} pages are free ({:.0}%, {} of {})",
            pages.freelist_count,
            pages.page_count,
            pages.free_ratio() * 100.0,
            bytes(free),
            bytes(pages.database_bytes())
        ),
        expected_gain: format!(
            "a file about {} smaller, and denser pages to read",
            bytes(free)
        ),
        risk: "VACUUM rewrites the whole file: it needs exclusive access (other connections \
               wait, or fail once their busy timeout passes), free disk space about the \
               database's size for the copy it builds, and time in proportion to the \
               database. It changes no data, though the rowids of tables without an INTEGER \
               PRIMARY KEY may change."
            .into(),
        statements: vec!["VACUUM".into()],
        safe: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pages(page_count: i64, freelist_count: i64) -> Pages {
        Pages {
            page_size: 4096,
            page_count,
            freelist_count,
        }
    }

    #[test]
    fn both_thresholds_must_be_passed() {
        assert!(bloat(&pages(1000, 100), 0).is_none(), "10%");
        assert!(bloat(&pages(100, 90), 0).is_none(), "90% but 360 KiB");
        let a = bloat(&pages(1000, 600), 0).unwrap();
        assert_eq!((a.kind.as_str(), a.safe), ("bloat", false));
        assert_eq!(a.statements, ["VACUUM"]);
        assert!(
            a.evidence.starts_with("600 of 1000 pages are free (60%"),
            "{}",
            a.evidence
        );
        assert!(!a.message.contains("incremental"));
        assert!(bloat(&pages(1000, 600), 2)
            .unwrap()
            .message
            .contains("incremental_vacuum"));
    }
}
