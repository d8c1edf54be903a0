//! `duplicate-index` and `unused-index`, from `pg_index`, `pg_constraint` and
//! `pg_stat_user_indexes`.

use super::{grouped, size};
use crate::monitor::relations::{size_without_waiting, LOCKED};
use crate::monitor::{get, number, value};
use crate::session::Session;
use myrmex_plugin::monitor::Advice;
use myrmex_plugin::{PluginError, Value};

/// One index as the duplicate search compares it.
#[derive(Debug, Clone, PartialEq)]
pub struct Index {
    /// `schema.index`, quoted when needed.
    pub name: String,
    /// `schema.table`.
    pub table: String,
    /// What makes two indexes the same: table, method, key and included columns with
    /// their operator classes, collations and orderings, expressions, predicate.
    pub signature: String,
    /// True for a unique (or primary key) index.
    pub unique: bool,
    /// The constraints it backs, empty when none.
    pub constraints: Vec<String>,
    /// Scans since the statistics were reset.
    pub scans: f64,
    /// Its size.
    pub bytes: f64,
    /// Its definition.
    pub definition: String,
}

impl Index {
    /// How much an index should be kept over an identical one: one backing a constraint
    /// first, then a unique one, then the most scanned.
    fn keep_rank(&self) -> (bool, bool, u64) {
        (!self.constraints.is_empty(), self.unique, self.scans as u64)
    }
}

/// Of identical indexes (listed oldest first), the one to keep and those to drop: an index
/// backing a constraint is never dropped, nor a unique one when the kept one is not.
pub fn split(group: &[Index]) -> Option<(&Index, Vec<&Index>)> {
    let mut keep = group.first()?;
    for i in &group[1..] {
        if i.keep_rank() > keep.keep_rank() {
            keep = i;
        }
    }
    let drop: Vec<&Index> = group
        .iter()
        .filter(|i| !std::ptr::eq(*i, keep))
        .filter(|i| i.constraints.is_empty() && (keep.unique || !i.unique))
        .collect();
    Some((keep, drop))
}

/// Indexes that repeat another index of the same table.
pub fn duplicates(session: &Session) -> Result<Vec<Advice>, PluginError> {
    let bytes = size_without_waiting(
        "pg_relation_size",
        "i.indexrelid",
        "i.indrelid",
        "c.relpages",
    );
    let rows = session.rows(
        &format!(
        "{LOCKED}SELECT format('%I.%I', n.nspname, c.relname), format('%I.%I', n.nspname, t.relname), \
           concat_ws(' ', i.indrelid::text, am.amname, i.indkey::text, i.indnkeyatts::text, \
             i.indclass::text, i.indcollation::text, i.indoption::text, \
             COALESCE(pg_get_expr(i.indexprs, i.indrelid), '-'), \
             COALESCE(pg_get_expr(i.indpred, i.indrelid), '-')) AS signature, \
           i.indisunique, \
           ARRAY(SELECT k.conname::text FROM pg_catalog.pg_constraint k \
             WHERE k.conindid = i.indexrelid ORDER BY 1), \
           COALESCE(s.idx_scan, 0)::float8, {bytes}, \
           pg_get_indexdef(i.indexrelid) \
         FROM pg_catalog.pg_index i \
         JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid \
         JOIN pg_catalog.pg_class t ON t.oid = i.indrelid \
         JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace \
         JOIN pg_catalog.pg_am am ON am.oid = c.relam \
         LEFT JOIN pg_catalog.pg_stat_user_indexes s ON s.indexrelid = i.indexrelid \
         WHERE i.indisvalid AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
           AND n.nspname !~ '^pg_toast' \
         ORDER BY signature, i.indexrelid"
        ),
        &[],
    )?;
    let mut indexes = Vec::with_capacity(rows.len());
    for r in &rows {
        indexes.push(Index {
            name: get(r, 0)?,
            table: get(r, 1)?,
            signature: get(r, 2)?,
            unique: get(r, 3)?,
            constraints: get(r, 4)?,
            scans: number(r, 5)?,
            bytes: number(r, 6)?,
            definition: get(r, 7)?,
        });
    }
    let mut out = Vec::new();
    for group in indexes.chunk_by(|a, b| a.signature == b.signature) {
        if group.len() < 2 {
            continue;
        }
        let Some((keep, drop)) = split(group) else {
            continue;
        };
        let kept_because = if keep.constraints.is_empty() {
            String::new()
        } else {
            format!(", backs constraint {}", keep.constraints.join(", "))
        };
        for d in drop {
            out.push(Advice {
                kind: "duplicate-index".into(),
                object: d.name.clone(),
                message: format!(
                    "Drop index {}: it repeats {} on {}.",
                    d.name, keep.name, d.table
                ),
                evidence: format!(
                    "same table, method, columns, expressions and predicate: {} ({} scans, \
                     {}) and {} (kept: {} scans, {}{kept_because})",
                    d.definition,
                    grouped(d.scans),
                    size(d.bytes),
                    keep.name,
                    grouped(keep.scans),
                    size(keep.bytes),
                ),
                expected_gain: format!(
                    "{} of disk and buffer cache, and one index less to maintain on every \
                     write to {}",
                    size(d.bytes),
                    d.table
                ),
                risk: "queries keep the identical index; a statement or hint naming the \
                       dropped index by name breaks; DROP INDEX CONCURRENTLY waits for the \
                       transactions using the table and cannot run inside a transaction"
                    .into(),
                statements: vec![format!("DROP INDEX CONCURRENTLY {}", d.name)],
                safe: false,
            });
        }
    }
    Ok(out)
}

/// Indexes never scanned since the statistics were reset, neither unique nor backing a
/// constraint nor serving a foreign key of their table, except those in `skip` (already
/// proposed for dropping). Reported only.
pub fn unused(session: &Session, skip: &[String]) -> Result<Vec<Advice>, PluginError> {
    let reset = session.rows(
        "SELECT stats_reset FROM pg_catalog.pg_stat_database \
         WHERE datname = current_database()",
        &[],
    )?;
    let reset = match reset.first().map(|r| value(r, 0)).transpose()? {
        Some(Value::TimestampTz(t)) | Some(Value::Timestamp(t)) => t.to_string(),
        _ => "never".to_string(),
    };
    let bytes = size_without_waiting(
        "pg_relation_size",
        "s.indexrelid",
        "s.relid",
        "(SELECT relpages FROM pg_catalog.pg_class WHERE oid = s.indexrelid)",
    );
    let rows = session.rows(
        &format!(
            "{LOCKED}SELECT format('%I.%I', s.schemaname, s.indexrelname), \
           format('%I.%I', s.schemaname, s.relname), {bytes} \
         FROM pg_catalog.pg_stat_user_indexes s \
         JOIN pg_catalog.pg_index i ON i.indexrelid = s.indexrelid \
         WHERE s.idx_scan = 0 AND NOT i.indisunique AND NOT i.indisprimary AND i.indisvalid \
           AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k \
             WHERE k.conindid = s.indexrelid) \
           AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint f \
             WHERE f.conrelid = i.indrelid AND f.contype = 'f' \
               AND array_length(f.conkey, 1) <= i.indnkeyatts \
               AND f.conkey <@ (i.indkey::int2[])[0:array_length(f.conkey, 1) - 1]) \
         ORDER BY 3 DESC, 1"
        ),
        &[],
    )?;
    let mut out = Vec::new();
    for r in &rows {
        let name: String = get(r, 0)?;
        if skip.contains(&name) {
            continue;
        }
        let table: String = get(r, 1)?;
        let bytes = number(r, 2)?;
        out.push(Advice {
            kind: "unused-index".into(),
            object: name.clone(),
            message: format!(
                "Index {name} on {table} has not been scanned: consider dropping it once \
                 replicas and rare jobs are checked."
            ),
            evidence: format!(
                "idx_scan 0 (statistics reset: {reset}); not unique, backs no constraint, \
                 serves no foreign key; size {}",
                size(bytes)
            ),
            expected_gain: format!(
                "{} of disk and one index less to maintain on every write to {table}",
                size(bytes)
            ),
            risk: format!(
                "idx_scan counts this server's scans since its statistics were last reset \
                 (pg_stat_database.stats_reset: {reset}), and that time is not weighed: a \
                 recent reset makes any index look unused; scans on replicas are not \
                 considered; a rare job may still need it. No statement is proposed"
            ),
            statements: Vec::new(),
            safe: false,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(name: &str, unique: bool, constraint: bool, scans: f64) -> Index {
        Index {
            name: name.into(),
            table: "public.t".into(),
            signature: "same".into(),
            unique,
            constraints: if constraint {
                vec![format!("{name}_c")]
            } else {
                Vec::new()
            },
            scans,
            bytes: 8192.0,
            definition: String::new(),
        }
    }

    fn names<'a>(v: &[&'a Index]) -> Vec<&'a str> {
        v.iter().map(|i| i.name.as_str()).collect()
    }

    #[test]
    fn the_index_backing_a_constraint_is_kept() {
        let g = [
            index("plain", false, false, 90.0),
            index("key", true, true, 0.0),
        ];
        let (keep, drop) = split(&g).unwrap();
        assert_eq!(keep.name, "key");
        assert_eq!(names(&drop), ["plain"]);
    }

    #[test]
    fn two_constraints_are_both_kept_and_a_unique_index_outlives_a_plain_one() {
        let g = [index("a", true, true, 0.0), index("b", true, true, 5.0)];
        let (_, drop) = split(&g).unwrap();
        assert!(drop.is_empty());
        let g = [
            index("plain", false, false, 9.0),
            index("uniq", true, false, 0.0),
        ];
        let (keep, drop) = split(&g).unwrap();
        assert_eq!((keep.name.as_str(), names(&drop)), ("uniq", vec!["plain"]));
        let g = [
            index("old", false, false, 1.0),
            index("new", false, false, 7.0),
        ];
        let (keep, drop) = split(&g).unwrap();
        assert_eq!((keep.name.as_str(), names(&drop)), ("new", vec!["old"]));
    }
}
