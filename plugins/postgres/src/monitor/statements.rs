//! `pg_stat_statements`: whether this database can read it, the note saying how to enable
//! it, and its top statements.

use super::{get, values, TABLE_ROWS};
use crate::session::Session;
use myrmex_plugin::monitor::Snapshot;
use myrmex_plugin::PluginError;

/// The library's and the extension's name.
const NAME: &str = "pg_stat_statements";

/// The columns of the `top_statements` table.
pub const TOP_COLUMNS: [&str; 7] = [
    "query",
    "calls",
    "total_ms",
    "mean_ms",
    "rows",
    "shared_blks_hit",
    "shared_blks_read",
];

/// Where `pg_stat_statements` stands for this session's database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// The schema it is installed in (quoted when needed), when it is.
    pub schema: Option<String>,
    /// True when the server loaded its library (`shared_preload_libraries`).
    pub loaded: bool,
    /// True when the server has it to install (`pg_available_extensions`).
    pub available: bool,
    /// This database's name.
    pub database: String,
}

impl Status {
    /// Reads it from the server.
    pub fn read(session: &Session) -> Result<Status, PluginError> {
        let rows = session.rows(
            "SELECT (SELECT format('%I', n.nspname) FROM pg_catalog.pg_extension e \
               JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace \
               WHERE e.extname = 'pg_stat_statements'), \
             current_setting('shared_preload_libraries'), \
             EXISTS (SELECT 1 FROM pg_catalog.pg_available_extensions \
               WHERE name = 'pg_stat_statements'), \
             current_database()::text",
            &[],
        )?;
        let Some(row) = rows.first() else {
            return Ok(Status {
                schema: None,
                loaded: false,
                available: false,
                database: String::new(),
            });
        };
        Ok(Status {
            schema: get(row, 0)?,
            loaded: preloads(&get::<String>(row, 1)?),
            available: get(row, 2)?,
            database: get(row, 3)?,
        })
    }

    /// The schema to read it from, when it is installed and loaded.
    pub fn readable(&self) -> Option<&str> {
        self.schema.as_deref().filter(|_| self.loaded)
    }

    /// What is missing and how to enable it; `None` when nothing is.
    pub fn note(&self) -> Option<String> {
        let db = &self.database;
        let preload = "set shared_preload_libraries = 'pg_stat_statements' in postgresql.conf \
                       and restart the server";
        let create = format!("run CREATE EXTENSION pg_stat_statements in database {db}");
        let package = if self.available {
            ""
        } else {
            " (the server does not offer the extension: install PostgreSQL's contrib package)"
        };
        match (self.schema.is_some(), self.loaded) {
            (true, true) => None,
            (true, false) => Some(format!(
                "{NAME} is installed in database {db} but not loaded by the server: \
                 {preload}; top_statements is missing"
            )),
            (false, true) => Some(format!(
                "{NAME} is loaded by the server but not installed in database {db}: \
                 {create}; top_statements is missing"
            )),
            (false, false) => Some(format!(
                "{NAME} is neither loaded by the server nor installed in database {db}: \
                 {preload}, then {create}{package}; top_statements is missing"
            )),
        }
    }
}

/// True when `shared_preload_libraries` (a comma-separated list, names optionally quoted
/// or given as paths) holds `pg_stat_statements`.
pub fn preloads(setting: &str) -> bool {
    setting.split(',').any(|lib| {
        let lib = lib.trim().trim_matches('"');
        let file = lib.rsplit('/').next().unwrap_or(lib);
        file.strip_suffix(".so").unwrap_or(file) == NAME
    })
}

/// The top statements of this database by total time, at most `limit`, in the
/// [`TOP_COLUMNS`] order (the time columns were renamed in PostgreSQL 13's version).
pub fn top(
    session: &Session,
    schema: &str,
    limit: i64,
) -> Result<Vec<tokio_postgres::Row>, PluginError> {
    let view = format!("{schema}.pg_stat_statements");
    let renamed = session.rows(
        "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute \
           WHERE attrelid = to_regclass($1) AND attname = 'total_exec_time')",
        &[&view],
    )?;
    let renamed = match renamed.first() {
        Some(r) => get::<bool>(r, 0)?,
        None => false,
    };
    let (total, mean) = if renamed {
        ("total_exec_time", "mean_exec_time")
    } else {
        ("total_time", "mean_time")
    };
    session.rows(
        &format!(
            "SELECT query, calls, {total}::float8 AS total_ms, {mean}::float8 AS mean_ms, \
             rows, shared_blks_hit, shared_blks_read \
             FROM {view} \
             WHERE dbid = (SELECT oid FROM pg_catalog.pg_database \
               WHERE datname = current_database()) \
             ORDER BY {total} DESC LIMIT $1"
        ),
        &[&limit],
    )
}

/// Adds the `top_statements` table.
pub fn add_top(session: &Session, schema: &str, s: &mut Snapshot) -> Result<(), PluginError> {
    let rows = top(session, schema, TABLE_ROWS)?
        .iter()
        .map(values)
        .collect::<Result<Vec<_>, _>>()?;
    s.table("top_statements", &TOP_COLUMNS, rows);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_library_is_found_in_any_spelling_of_the_list() {
        assert!(preloads("pg_stat_statements"));
        assert!(preloads("pgaudit, \"pg_stat_statements\""));
        assert!(preloads("$libdir/pg_stat_statements.so"));
        assert!(!preloads(""));
        assert!(!preloads("pg_stat_statements_extra"));
    }

    #[test]
    fn the_note_says_what_is_missing_and_how_to_enable_it() {
        let mut s = Status {
            schema: None,
            loaded: false,
            available: true,
            database: "shop".into(),
        };
        let n = s.note().unwrap();
        assert!(
            n.contains("shared_preload_libraries = 'pg_stat_statements'"),
            "{n}"
        );
        assert!(n.contains("restart"), "{n}");
        assert!(
            n.contains("CREATE EXTENSION pg_stat_statements in database shop"),
            "{n}"
        );
        s.loaded = true;
        let n = s.note().unwrap();
        assert!(n.contains("not installed") && !n.contains("restart"), "{n}");
        s.schema = Some("public".into());
        assert_eq!(s.note(), None);
        assert_eq!(s.readable(), Some("public"));
        s.loaded = false;
        assert!(s.note().unwrap().contains("not loaded"));
        assert_eq!(s.readable(), None);
    }
}
