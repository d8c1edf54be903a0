//! Tuning advice for the session's database, each piece with what was measured:
//!
//! | kind | about | statement | safe |
//! |------|-------|-----------|------|
//! | `missing-index` | a column of a large, often sequentially scanned table that simple filters of the workload or of `pg_stat_statements` compare, proven with a hypothetical index (hypopg): the planner uses it and its estimated cost drops at least 2× | `CREATE INDEX CONCURRENTLY` | yes |
//! | `duplicate-index` | an index with the same table, columns, expressions and predicate as another; the one backing a constraint is kept | `DROP INDEX CONCURRENTLY` | no |
//! | `unused-index` | an index never scanned since the statistics were reset, not unique, backing no constraint, serving no foreign key | none (report only) | no |
//! | `stale-statistics` | a table never analyzed, or with more than 10% of its rows changed since | `ANALYZE` | yes |
//! | `bloat` | a table of more than 1,000 rows whose dead rows are more than 20% | `VACUUM (ANALYZE)` | no |
//! | `configuration` | memory and parallelism settings against the machine, and hypopg when index advice cannot be proven | none (report only) | no |

mod bind;
mod config;
mod index;
mod maintenance;
mod proof;
mod redundant;

use super::{get, needs_version};
use crate::session::Session;
use myrmex_plugin::monitor::{Advice, AdviceRequest};
use myrmex_plugin::PluginError;

/// The advice for this session's database. Refused inside a transaction: proving an index
/// runs statements whose failure would abort it.
pub fn advise(
    session: &Session,
    server_version: i32,
    in_transaction: bool,
    request: &AdviceRequest,
) -> Result<Vec<Advice>, PluginError> {
    needs_version(server_version)?;
    if in_transaction {
        return Err(PluginError::invalid(
            "tuning advice is given outside a transaction: end the transaction first",
        ));
    }
    // A statement explained on a table another session locks would wait for the lock: the
    // advice waits a moment at most, then leaves that statement out.
    let before = session.rows("SELECT current_setting('lock_timeout')", &[])?;
    let before: String = match before.first() {
        Some(r) => get(r, 0)?,
        None => "0".into(),
    };
    session.rows(
        "SELECT set_config('lock_timeout', $1, false)",
        &[&LOCK_WAIT],
    )?;
    let advice = gather(session, server_version, request);
    let restored = session.rows("SELECT set_config('lock_timeout', $1, false)", &[&before]);
    let advice = advice?;
    restored?;
    Ok(advice)
}

/// How long a statement of the advice waits for a lock (`lock_timeout`).
const LOCK_WAIT: &str = "2s";

fn gather(
    session: &Session,
    server_version: i32,
    request: &AdviceRequest,
) -> Result<Vec<Advice>, PluginError> {
    let mut out = index::missing(session, server_version, request)?;
    let duplicates = redundant::duplicates(session)?;
    let dropped: Vec<String> = duplicates.iter().map(|a| a.object.clone()).collect();
    out.extend(duplicates);
    out.extend(redundant::unused(session, &dropped)?);
    out.extend(maintenance::stale_statistics(session)?);
    out.extend(maintenance::bloat(session)?);
    out.extend(config::settings(session, request)?);
    Ok(out)
}

/// A count with thousands separators: `1,204`.
pub fn grouped(n: f64) -> String {
    let n = n.round() as i64;
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        out.insert(0, '-');
    }
    out
}

/// A size in bytes for people: `8 kB`, `1.5 MB`, `6 GB` (units of 1024, as PostgreSQL
/// writes them).
pub fn size(bytes: f64) -> String {
    const UNITS: [&str; 5] = ["bytes", "kB", "MB", "GB", "TB"];
    let mut v = bytes;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 || (v - v.round()).abs() < 0.05 {
        format!("{} {}", v.round(), UNITS[unit])
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// A statement shortened to `max` characters for a sentence.
pub fn excerpt(sql: &str, max: usize) -> String {
    let flat: String = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        return flat;
    }
    let cut: String = flat.chars().take(max.saturating_sub(1)).collect();
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_people_write_them() {
        assert_eq!(grouped(1204.0), "1,204");
        assert_eq!(grouped(300000.0), "300,000");
        assert_eq!(grouped(12.0), "12");
        assert_eq!(grouped(-1234567.0), "-1,234,567");
        assert_eq!(size(512.0), "512 bytes");
        assert_eq!(size(8192.0), "8 kB");
        assert_eq!(size(1.5 * 1048576.0), "1.5 MB");
        assert_eq!(size(6.0 * 1073741824.0), "6 GB");
        assert_eq!(excerpt("SELECT *\n  FROM t", 40), "SELECT * FROM t");
        assert_eq!(excerpt("SELECT 1234567890", 8), "SELECT …");
    }
}
