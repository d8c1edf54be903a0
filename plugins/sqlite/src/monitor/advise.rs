//! The advice, gathered: proven missing indexes for the workload, redundant indexes,
//! missing or stale statistics, `PRAGMA optimize`, bloat and settings.

use super::configuration::{configuration, Settings};
use super::facts::{self, DBSTAT_LIMIT_BYTES};
use super::{bloat, duplicates, missing, statistics};
use myrmex_plugin::monitor::{Advice, AdviceRequest};
use myrmex_plugin::PluginError;
use rusqlite::Connection;

/// Tuning advice for the connection's `main` database, each piece with its evidence.
pub fn advise(conn: &Connection, request: &AdviceRequest) -> Result<Vec<Advice>, PluginError> {
    let mut out = missing::missing_indexes(conn, &request.workload)?;
    let pages = facts::pages(conn)?;
    let sizes = if pages.database_bytes() <= DBSTAT_LIMIT_BYTES {
        facts::sizes(conn)?
    } else {
        None
    };
    let stat1 = facts::stat1(conn)?;
    let mut stale = Vec::new();
    let mut unanalyzed = Vec::new();
    for table in facts::tables(conn)? {
        let indexes = facts::indexes(conn, &table)?;
        let rowid = facts::rowid_alias(conn, &table, &indexes)?;
        out.extend(duplicates::duplicates(
            &table,
            &indexes,
            rowid.as_deref(),
            sizes.as_ref(),
        ));
        if indexes.is_empty() {
            continue;
        }
        let rows = facts::count_rows(conn, &table)?;
        if !statistics::unanalyzed(&table, &indexes, rows, &stat1).is_empty() {
            unanalyzed.push(table.clone());
        }
        stale.extend(statistics::stale(&table, &indexes, rows, &stat1));
    }
    out.extend(stale);
    out.push(statistics::optimize(&unanalyzed));
    out.extend(bloat::bloat(
        &pages,
        facts::pragma_i64(conn, "auto_vacuum")?,
    ));
    let settings = Settings {
        journal_mode: facts::journal_mode(conn)?,
        file: facts::main_file(conn)?.is_some(),
        cache_bytes: facts::cache_bytes(conn, pages.page_size)?,
        // An in-memory database answers `mmap_size` with no row: nothing is mapped.
        mmap_bytes: facts::pragma_i64_or(conn, "mmap_size", 0)?,
        memory_bytes: request.memory_bytes,
    };
    out.extend(configuration(&pages, &settings));
    Ok(out)
}
