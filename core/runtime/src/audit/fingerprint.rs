//! A finding's fingerprint: what stays the same about a finding while the file around it is
//! edited, so a baseline keeps suppressing it.

use super::finding::Finding;
use sha2::{Digest, Sha256};

/// Marks the fingerprint scheme; a change to what goes into a fingerprint changes it.
const SCHEME: &[u8] = b"myrmex-finding-v1";

/// The finding's fingerprint: hex SHA-256 of its rule set, rule, object and (when it has a
/// location) the file. The line and column are not part of it (they move when the file is
/// edited), nor are the message (its wording may change between versions) and the severity
/// (a rule may be rated anew). File names are
/// compared with forward slashes and without a leading `./`.
pub fn fingerprint(finding: &Finding) -> String {
    let mut h = Sha256::new();
    h.update(SCHEME);
    for field in [&finding.rule_set, &finding.rule, &finding.object] {
        field_into(&mut h, field.as_bytes());
    }
    match &finding.location {
        Some(loc) => {
            h.update([1u8]);
            field_into(&mut h, normalized_file(&loc.file).as_bytes());
        }
        None => h.update([0u8]),
    }
    crate::hex::encode(&h.finalize())
}

/// One field, length first, so `ab`+`c` and `a`+`bc` hash apart.
fn field_into(h: &mut Sha256, bytes: &[u8]) {
    h.update((bytes.len() as u64).to_le_bytes());
    h.update(bytes);
}

/// `.\migrations\V1.sql` and `migrations/V1.sql` name the same file.
pub(crate) fn normalized_file(file: &str) -> String {
    let slashed = file.replace('\\', "/");
    let mut rest = slashed.as_str();
    while let Some(r) = rest.strip_prefix("./") {
        rest = r.trim_start_matches('/');
    }
    rest.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::report::tests::{at, finding};
    use crate::audit::Severity;

    #[test]
    fn line_and_message_do_not_count_but_file_and_object_do() {
        let base = at(finding("s", "r", Severity::High, "t"), "m/V1.sql", 3);
        let fp = fingerprint(&base);
        assert_eq!(fp.len(), 64);
        assert!(fp
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));

        let mut moved = at(base.clone(), "./m\\V1.sql", 40);
        moved.message = "reworded".into();
        moved.severity = Severity::Low;
        assert_eq!(fingerprint(&moved), fp);

        assert_ne!(fingerprint(&at(base.clone(), "m/V2.sql", 3)), fp);
        let mut other = base.clone();
        other.object = "u".into();
        assert_ne!(fingerprint(&other), fp);
        let mut nowhere = base.clone();
        nowhere.location = None;
        assert_ne!(fingerprint(&nowhere), fp);
        // Field boundaries matter.
        assert_ne!(
            fingerprint(&finding("ab", "c", Severity::High, "t")),
            fingerprint(&finding("a", "bc", Severity::High, "t"))
        );
    }
}
