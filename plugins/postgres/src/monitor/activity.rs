//! Sessions: connections by state, locks, blocked sessions, and the `long_running` and
//! `blocking` tables, from `pg_stat_activity` and `pg_locks`.

use super::{get, number, values, TABLE_ROWS};
use crate::session::Session;
use myrmex_plugin::monitor::Snapshot;
use myrmex_plugin::PluginError;

/// The states `pg_stat_activity` reports, each sampled (0 when no session is in it).
const STATES: &str = "ARRAY['active', 'idle', 'idle in transaction', \
     'idle in transaction (aborted)', 'fastpath function call', 'disabled']";

/// The table-level lock modes, and the predicate locks of serializable transactions.
const LOCK_MODES: &str = "ARRAY['AccessShareLock', 'RowShareLock', 'RowExclusiveLock', \
     'ShareUpdateExclusiveLock', 'ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', \
     'AccessExclusiveLock', 'SIReadLock']";

/// The columns of the `long_running` table.
pub const LONG_RUNNING_COLUMNS: [&str; 5] = ["pid", "user", "state", "seconds", "query"];

/// The columns of the `blocking` table.
pub const BLOCKING_COLUMNS: [&str; 4] = ["blocked_pid", "blocking_pid", "seconds", "blocked_query"];

/// Adds the session samples and tables.
pub fn add(session: &Session, s: &mut Snapshot) -> Result<(), PluginError> {
    connections(session, s)?;
    locks(session, s)?;
    long_running(session, s)?;
    blocking(session, s)
}

fn connections(session: &Session, s: &mut Snapshot) -> Result<(), PluginError> {
    let rows = session.rows(
        &format!(
            "SELECT st.state, count(a.pid)::float8 \
             FROM unnest({STATES}) AS st(state) \
             LEFT JOIN pg_catalog.pg_stat_activity a ON a.state = st.state \
               AND a.datname = current_database() AND a.backend_type = 'client backend' \
             GROUP BY st.state ORDER BY st.state"
        ),
        &[],
    )?;
    for r in &rows {
        let state: String = get(r, 0)?;
        s.gauge(
            "connections",
            "Client sessions of this database by state.",
            &[("state", &state)],
            number(r, 1)?,
        );
    }
    let rows = session.rows(
        "SELECT count(*) FILTER (WHERE backend_type = 'client backend')::float8, \
           current_setting('max_connections')::float8 \
         FROM pg_catalog.pg_stat_activity",
        &[],
    )?;
    if let Some(r) = rows.first() {
        s.gauge(
            "server_connections",
            "Client sessions of every database of the server.",
            &[],
            number(r, 0)?,
        );
        s.gauge(
            "max_connections",
            "Client sessions the server accepts at most (the max_connections setting).",
            &[],
            number(r, 1)?,
        );
    }
    Ok(())
}

fn locks(session: &Session, s: &mut Snapshot) -> Result<(), PluginError> {
    let rows = session.rows(
        &format!(
            "SELECT m.mode, count(l.pid)::float8 \
             FROM unnest({LOCK_MODES}) AS m(mode) \
             LEFT JOIN pg_catalog.pg_locks l ON l.mode = m.mode AND l.granted \
               AND l.pid <> pg_backend_pid() \
               AND l.pid IN (SELECT pid FROM pg_catalog.pg_stat_activity \
                 WHERE datname = current_database()) \
             GROUP BY m.mode ORDER BY m.mode"
        ),
        &[],
    )?;
    for r in &rows {
        let mode: String = get(r, 0)?;
        s.gauge(
            "locks",
            "Locks held by the other sessions of this database, by mode.",
            &[("mode", &mode)],
            number(r, 1)?,
        );
    }
    let rows = session.rows(
        "SELECT count(*)::float8 FROM pg_catalog.pg_stat_activity \
         WHERE datname = current_database() AND cardinality(pg_blocking_pids(pid)) > 0",
        &[],
    )?;
    if let Some(r) = rows.first() {
        s.gauge(
            "blocked_sessions",
            "Sessions of this database waiting for a lock another session holds.",
            &[],
            number(r, 0)?,
        );
    }
    Ok(())
}

fn long_running(session: &Session, s: &mut Snapshot) -> Result<(), PluginError> {
    let rows = session.rows(
        "SELECT pid, usename::text, state, seconds, query FROM ( \
           SELECT pid, usename, state, query, EXTRACT(epoch FROM now() - \
             CASE WHEN state = 'active' THEN query_start \
               ELSE COALESCE(xact_start, query_start) END)::float8 AS seconds \
           FROM pg_catalog.pg_stat_activity \
           WHERE datname = current_database() AND pid <> pg_backend_pid() \
             AND backend_type = 'client backend' AND state <> 'idle') a \
         WHERE seconds > 1 ORDER BY seconds DESC LIMIT $1",
        &[&TABLE_ROWS],
    )?;
    let rows = rows.iter().map(values).collect::<Result<Vec<_>, _>>()?;
    s.table("long_running", &LONG_RUNNING_COLUMNS, rows);
    Ok(())
}

fn blocking(session: &Session, s: &mut Snapshot) -> Result<(), PluginError> {
    let rows = session.rows(
        "SELECT a.pid, b.pid, EXTRACT(epoch FROM now() - a.query_start)::float8 AS seconds, \
           a.query \
         FROM pg_catalog.pg_stat_activity a, unnest(pg_blocking_pids(a.pid)) AS b(pid) \
         WHERE a.datname = current_database() \
         ORDER BY seconds DESC, 1, 2 LIMIT $1",
        &[&TABLE_ROWS],
    )?;
    let rows = rows.iter().map(values).collect::<Result<Vec<_>, _>>()?;
    s.table("blocking", &BLOCKING_COLUMNS, rows);
    Ok(())
}

/// A note when the session's role sees only its own sessions' queries.
pub fn privilege_note(session: &Session) -> Result<Option<String>, PluginError> {
    let rows = session.rows(
        "SELECT rolsuper OR pg_has_role(current_user, 'pg_read_all_stats', 'MEMBER'), \
           current_user::text \
         FROM pg_catalog.pg_roles WHERE rolname = current_user",
        &[],
    )?;
    let Some(r) = rows.first() else {
        return Ok(None);
    };
    if get::<bool>(r, 0)? {
        return Ok(None);
    }
    let role: String = get(r, 1)?;
    Ok(Some(format!(
        "role {role} sees only its own sessions' queries and statements: \
         GRANT pg_read_all_stats TO {role} to see every session's"
    )))
}
