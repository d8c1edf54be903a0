//! Monitoring and tuning: [`metrics`] reads a snapshot of the server's statistics, and
//! [`advise`] gives recommendations with the evidence behind them.
//!
//! Both look at the session's database, or at every user database when none is selected.
//! What needs `performance_schema` (statement digests, index usage) is read when it is ON;
//! otherwise the snapshot says how to switch it on.

mod advise;
mod explain;
mod indexes;
mod missing;
mod numbers;
mod predicate;
mod proof;
mod read;
mod samples;
mod tables;
mod tokens;

use crate::dialect::Server;
use myrmex_plugin::monitor::{Advice, AdviceRequest, Snapshot};
use myrmex_plugin::PluginError;
use mysql::Conn;

/// The server's statistics now: samples (sessions, counters, lag, sizes), tables
/// (`long_running`, `blocking`, `tables`, `indexes`, `top_statements`) and notes.
pub fn metrics(conn: &mut Conn, server: &Server) -> Result<Snapshot, PluginError> {
    let mut s = Snapshot::default();
    let performance_schema = read::performance_schema_on(conn)?;
    samples::collect(conn, &mut s)?;
    tables::collect(conn, &mut s, performance_schema, server.mariadb)?;
    Ok(s)
}

/// Recommendations: `missing-index` (proven on a scratch copy), `duplicate-index`,
/// `unused-index`, `stale-statistics`, `bloat`, `configuration`.
///
/// Proving an index creates, analyzes and drops a temporary table, and `ANALYZE TABLE`
/// commits: it runs only outside a transaction (`in_transaction` false).
pub fn advise(
    conn: &mut Conn,
    server: &Server,
    request: &AdviceRequest,
    in_transaction: bool,
) -> Result<Vec<Advice>, PluginError> {
    if in_transaction {
        return Err(PluginError::invalid(
            "tuning advice runs statements of its own (a scratch copy of a table, ANALYZE \
             TABLE, which commits): commit or roll back the open transaction first",
        ));
    }
    advise::advise(conn, server, request)
}
