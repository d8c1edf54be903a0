//! [`Baseline`]: findings a team has accepted, so an audit in CI fails only on new ones.
//!
//! A baseline is a JSON file:
//!
//! ```json
//! {
//!   "version": 1,
//!   "findings": [
//!     {
//!       "fingerprint": "3f1c…(64 hex digits)",
//!       "rule": "statements/delete-without-where",
//!       "object": "public.orders",
//!       "file": "migrations/V2__purge.sql"
//!     }
//!   ]
//! }
//! ```
//!
//! Only `fingerprint` decides what is suppressed (see [`fingerprint`]): the hex SHA-256 of the
//! rule set, rule, object and file of a finding, without its line (which moves as the file is
//! edited) or message. `rule`, `object` and `file` are there for the people reviewing the
//! file; they may be left out. Any other field (a `note`) is ignored when the file is read
//! and not written back by [`Baseline::save`]. `version` is 1.

use super::fingerprint::{fingerprint, normalized_file};
use super::report::Report;
use crate::error::{Error, Result};
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::HashSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// The baseline format this myrmex reads and writes.
pub const BASELINE_VERSION: u32 = 1;

/// Accepted findings, by fingerprint. See the module documentation for the file format.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Baseline {
    entries: Vec<BaselineEntry>,
    fingerprints: HashSet<String>,
}

/// One accepted finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaselineEntry {
    /// The finding's fingerprint, 64 lowercase hex digits.
    #[serde(deserialize_with = "hex_fingerprint")]
    pub fingerprint: String,
    /// `rule_set/rule`, for people reading the file.
    #[serde(default)]
    pub rule: String,
    /// The finding's object, for people reading the file.
    #[serde(default)]
    pub object: String,
    /// The finding's file, when it had one, for people reading the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
}

/// The file as stored.
#[derive(Serialize, Deserialize)]
struct BaselineFile {
    #[serde(deserialize_with = "known_version")]
    version: u32,
    findings: Vec<BaselineEntry>,
}

impl Baseline {
    /// Reads a baseline file. A file that is not valid JSON or not a baseline is an
    /// [`Error::BaselineFile`] naming the path, line and column; one that cannot be read is an
    /// [`Error::Io`] naming the path.
    pub fn load(path: &Path) -> Result<Baseline> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Baseline::parse(&text).map_err(|e| {
            let (line, column) = (e.line(), e.column());
            let full = e.to_string();
            let message = full
                .strip_suffix(&format!(" at line {line} column {column}"))
                .unwrap_or(&full)
                .to_string();
            Error::BaselineFile {
                path: path.to_path_buf(),
                line,
                column,
                message,
            }
        })
    }

    /// Parses a baseline from its JSON text.
    fn parse(text: &str) -> Result<Baseline, serde_json::Error> {
        let file: BaselineFile = serde_json::from_str(text)?;
        Ok(Baseline::from_entries(file.findings))
    }

    /// A baseline accepting every finding of `report`.
    pub fn from_report(report: &Report) -> Baseline {
        let entries = report
            .sorted_findings()
            .into_iter()
            .map(|f| BaselineEntry {
                fingerprint: fingerprint(f),
                rule: format!("{}/{}", f.rule_set, f.rule),
                object: f.object.clone(),
                file: f.location.as_ref().map(|l| normalized_file(&l.file)),
            })
            .collect();
        Baseline::from_entries(entries)
    }

    /// A baseline of `entries`, each fingerprint once, in a stable order (rule, object, file).
    fn from_entries(mut entries: Vec<BaselineEntry>) -> Baseline {
        entries.sort_by(|a, b| {
            (&a.rule, &a.object, &a.file, &a.fingerprint).cmp(&(
                &b.rule,
                &b.object,
                &b.file,
                &b.fingerprint,
            ))
        });
        let mut fingerprints = HashSet::new();
        entries.retain(|e| fingerprints.insert(e.fingerprint.clone()));
        Baseline {
            entries,
            fingerprints,
        }
    }

    /// The accepted findings, sorted by rule, object and file.
    pub fn entries(&self) -> &[BaselineEntry] {
        &self.entries
    }

    /// How many findings are accepted.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is accepted.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether `finding` is accepted.
    pub fn contains(&self, finding: &super::Finding) -> bool {
        self.fingerprints.contains(&fingerprint(finding))
    }

    /// The baseline as the JSON text [`Baseline::save`] writes.
    pub fn to_json(&self) -> String {
        let file = serde_json::json!({
            "version": BASELINE_VERSION,
            "findings": self.entries,
        });
        format!("{file:#}\n")
    }

    /// Writes the baseline to `path`, replacing it at once: the text goes to a temporary file
    /// beside it, which is then renamed over it, so a reader never sees half a file.
    pub fn save(&self, path: &Path) -> Result<()> {
        let io = |source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        let temp = temp_path(path);
        let written = (|| {
            let mut f = std::fs::File::create(&temp)?;
            f.write_all(self.to_json().as_bytes())?;
            f.sync_all()?;
            std::fs::rename(&temp, path)
        })();
        if written.is_err() {
            let _ = std::fs::remove_file(&temp);
        }
        written.map_err(io)
    }

    /// Takes the accepted findings out of `report.findings` and adds how many to
    /// `report.suppressed`. A finding is accepted when its fingerprint is in the baseline,
    /// so the same finding on another line of the same file still is; the same rule on
    /// another object or file is not.
    pub fn apply(&self, report: &mut Report) {
        let before = report.findings.len();
        report
            .findings
            .retain(|f| !self.fingerprints.contains(&fingerprint(f)));
        report.suppressed += before - report.findings.len();
    }
}

/// `dir/.name.<pid>.tmp` beside `path`.
fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "baseline".into());
    path.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}

/// Reads a fingerprint: 64 hex digits, stored lowercase.
fn hex_fingerprint<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = String::deserialize(d)?;
    if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(s.to_ascii_lowercase())
    } else {
        Err(serde::de::Error::custom(format!(
            "fingerprint `{s}` is not 64 hex digits"
        )))
    }
}

/// Reads `version`, refusing one this myrmex does not know.
fn known_version<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let v = u32::deserialize(d)?;
    if v == BASELINE_VERSION {
        Ok(v)
    } else {
        Err(serde::de::Error::custom(format!(
            "baseline version {v} is not known to this myrmex (it reads version {BASELINE_VERSION})"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::report::tests::{at, finding, sample};
    use crate::audit::Severity;

    fn temp_dir(label: &str) -> PathBuf {
        let d =
            std::env::temp_dir().join(format!("myrmex-baseline-{label}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).expect("temp dir");
        d
    }

    #[test]
    fn round_trip_through_a_file() {
        let dir = temp_dir("round-trip");
        let path = dir.join("audit-baseline.json");
        let report = sample();
        let baseline = Baseline::from_report(&report);
        assert_eq!(baseline.len(), 4);
        baseline.save(&path).expect("save");
        let names: Vec<_> = std::fs::read_dir(&dir)
            .expect("read dir")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, ["audit-baseline.json"], "no temporary file left");

        let loaded = Baseline::load(&path).expect("load");
        assert_eq!(loaded, baseline);
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(
            text.contains("\"rule\": \"engine/trust-network\""),
            "{text}"
        );
        assert!(
            text.contains("\"file\": \"migrations/V2__purge.sql\""),
            "{text}"
        );

        let mut again = sample();
        loaded.apply(&mut again);
        assert!(again.findings.is_empty());
        assert_eq!(again.suppressed, 4);
        std::fs::remove_dir_all(&dir).expect("clean up");
    }

    #[test]
    fn suppresses_only_the_same_finding() {
        let accepted = at(
            finding(
                "statements",
                "delete-without-where",
                Severity::High,
                "public.orders",
            ),
            "migrations/V2__purge.sql",
            4,
        );
        let mut report = Report::new("migrations");
        report.findings = vec![accepted.clone()];
        let baseline = Baseline::from_report(&report);

        let mut moved = at(accepted.clone(), "migrations/V2__purge.sql", 19);
        moved.message = "worded differently".into();
        let other_object = at(
            finding(
                "statements",
                "delete-without-where",
                Severity::High,
                "public.items",
            ),
            "migrations/V2__purge.sql",
            4,
        );
        let other_file = at(accepted.clone(), "migrations/V3__more.sql", 4);
        let other_rule = at(
            finding("statements", "drop-table", Severity::High, "public.orders"),
            "migrations/V2__purge.sql",
            4,
        );
        let mut later = Report::new("migrations");
        later.suppressed = 1;
        later.findings = vec![
            moved.clone(),
            other_object.clone(),
            other_file.clone(),
            other_rule.clone(),
        ];
        assert!(baseline.contains(&moved));
        baseline.apply(&mut later);
        assert_eq!(later.suppressed, 2);
        assert_eq!(later.findings, [other_object, other_file, other_rule]);
    }

    #[test]
    fn a_bad_file_is_an_error_naming_path_line_and_column() {
        let dir = temp_dir("bad");
        let path = dir.join("baseline.json");
        std::fs::write(&path, "{\n  \"version\": 1,\n  \"findings\": [,]\n}\n").expect("write");
        let e = Baseline::load(&path).expect_err("bad JSON");
        assert!(matches!(e, Error::BaselineFile { line: 3, .. }), "{e:?}");
        let shown = e.to_string();
        assert!(
            shown.starts_with(&format!("{}:3:", path.display())),
            "{shown}"
        );
        assert!(!shown.contains(" at line "), "position said once: {shown}");

        std::fs::write(
            &path,
            "{\"version\": 1, \"findings\": [{\"fingerprint\": \"abc\"}]}",
        )
        .expect("write");
        let shown = Baseline::load(&path)
            .expect_err("short fingerprint")
            .to_string();
        assert!(shown.contains("`abc` is not 64 hex digits"), "{shown}");
        assert!(shown.contains("baseline.json:1:"), "{shown}");

        std::fs::write(&path, "{\"version\": 7, \"findings\": []}").expect("write");
        let shown = Baseline::load(&path).expect_err("version").to_string();
        assert!(shown.contains("baseline version 7"), "{shown}");

        let missing = dir.join("missing.json");
        let e = Baseline::load(&missing).expect_err("missing");
        assert!(matches!(e, Error::Io { .. }), "{e:?}");
        assert!(e.to_string().contains("missing.json"), "{e}");
        std::fs::remove_dir_all(&dir).expect("clean up");
    }

    #[test]
    fn uppercase_fingerprints_and_extra_fields_are_read() {
        let f = finding("s", "r", Severity::Low, "o");
        let fp = fingerprint(&f).to_ascii_uppercase();
        let text = format!(
            "{{\"version\": 1, \"findings\": [{{\"fingerprint\": \"{fp}\", \"note\": \"accepted\"}}]}}"
        );
        let b = Baseline::parse(&text).expect("parse");
        assert!(b.contains(&f));
    }
}
