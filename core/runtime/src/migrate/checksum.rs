//! Checksums of migration text that ignore line endings and trailing whitespace.
//!
//! Algorithm 1 (recorded in the history table's `checksum_algorithm` column): drop a UTF-8
//! byte-order mark, split into lines at `\n`, strip trailing whitespace (including `\r`) from
//! every line, drop trailing empty lines, join with `\n`, SHA-256, lower-case hex. A file
//! saved with CRLF line endings or re-indented at line ends therefore keeps its checksum; any
//! other edit changes it.

use sha2::{Digest, Sha256};

/// The algorithm version written beside every checksum.
pub const ALGORITHM: i64 = 1;

/// The checksum of `text` (algorithm [`ALGORITHM`]).
///
/// ```
/// use myrmex_core::migrate::checksum;
/// assert_eq!(checksum("CREATE TABLE t(a int);\r\n\r\n"), checksum("CREATE TABLE t(a int);  "));
/// assert_ne!(checksum("CREATE TABLE t(a int);"), checksum("CREATE TABLE t(b int);"));
/// ```
pub fn of(text: &str) -> String {
    let mut h = Sha256::new();
    for (i, line) in normalized_lines(text).iter().enumerate() {
        if i > 0 {
            h.update(b"\n");
        }
        h.update(line.as_bytes());
    }
    crate::hex::encode(&h.finalize())
}

/// The running checksum of the statements done so far (progress records of statement-by-
/// statement runs): one statement is added at a time, so recording progress after each of
/// n statements costs n hashes, not n².
#[derive(Clone, Default)]
pub struct Progress(Sha256);

impl Progress {
    /// Adds the next statement.
    pub fn push(&mut self, statement: &str) {
        for line in normalized_lines(statement) {
            self.0.update(line.as_bytes());
            self.0.update(b"\n");
        }
        self.0.update(b";\n");
    }

    /// The checksum of the statements added so far.
    pub fn hex(&self) -> String {
        crate::hex::encode(&self.0.clone().finalize())
    }
}

fn normalized_lines(text: &str) -> Vec<&str> {
    let text = text.trim_start_matches('\u{feff}');
    let mut lines: Vec<&str> = text.split('\n').map(str::trim_end).collect();
    while lines.last() == Some(&"") {
        lines.pop();
    }
    lines
}

/// A short form for messages (first 12 hex digits).
pub fn short(checksum: &str) -> &str {
    &checksum[..checksum.len().min(12)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_endings_and_trailing_space_do_not_count() {
        let a = of("CREATE TABLE t (\n  a int\n);\n");
        assert_eq!(
            a,
            of("\u{feff}CREATE TABLE t (\r\n  a int   \r\n);\r\n\r\n")
        );
        assert_ne!(
            a,
            of("CREATE TABLE t (\n a int\n);\n"),
            "leading space counts"
        );
        assert_ne!(
            a,
            of("CREATE TABLE t (\n\n  a int\n);\n"),
            "inner blank lines count"
        );
        assert_eq!(a.len(), 64);
    }

    fn of_statements(statements: &[&str]) -> String {
        let mut p = Progress::default();
        for s in statements {
            p.push(s);
        }
        p.hex()
    }

    #[test]
    fn statement_runs() {
        assert_eq!(of_statements(&["A", "B"]), of_statements(&["A\r\n", "B  "]));
        assert_ne!(of_statements(&["A", "B"]), of_statements(&["AB"]));
        assert_ne!(of_statements(&["A"]), of_statements(&["A", "B"]));
        assert_eq!(of_statements(&[]), Progress::default().hex());
    }
}
