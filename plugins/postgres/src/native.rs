//! The `pg-native` backup strategy: PostgreSQL's own `pg_dump -Fd -j N` (directory format,
//! parallel by table, compressed) and `pg_restore -j N`, recorded in myrmex's manifest so that
//! listing, verify, retention and schedule treat it like any backup. The dump reads the
//! snapshot this strategy exports (`pg_dump --snapshot`), so the row counts recorded beside
//! it are of the same state. The password reaches the tools through `PGPASSWORD`, never the
//! command line.

use myrmex_abi::{ConnectOptions, ConnectionBox};
use myrmex_plugin::backup::{
    BackupFeatures, BackupOutcome, BackupProgress, BackupRequest, BackupStrategy, Host,
    HostConnection, RestoreOutcome, RestoreRequest, TableSummary,
};
use myrmex_plugin::{Config, ErrorKind, PluginError, Value};
use std::path::Path;
use std::process::Command;

/// The Debian package of `pg_dump` and `pg_restore`.
const PACKAGE: &str = "postgresql-client";

/// The directory `pg_dump` writes inside the backup.
const DUMP: &str = "pgdump";

/// The `pg-native` strategy.
pub struct Native;

/// Opens the strategy.
pub fn open(_config: Config<'_>) -> Result<Native, PluginError> {
    Ok(Native)
}

/// `tool` with the connection's parameters in its environment.
fn tool(name: &str, o: &ConnectOptions) -> Command {
    let mut c = Command::new(name);
    if !o.host.is_empty() {
        c.env("PGHOST", o.host.as_str());
    }
    if o.port != 0 {
        c.env("PGPORT", o.port.to_string());
    }
    if !o.user.is_empty() {
        c.env("PGUSER", o.user.as_str());
    }
    if !o.password.is_empty() {
        c.env("PGPASSWORD", o.password.as_str());
    }
    if let Some(mode) = o.option("sslmode") {
        c.env("PGSSLMODE", mode);
    }
    c.env("PGDATABASE", o.database.as_str());
    c
}

/// Every ordinary table of the connection's schemas (not the system ones) with its rows.
pub(crate) fn tables(conn: &mut ConnectionBox) -> Result<Vec<TableSummary>, PluginError> {
    let mut conn = HostConnection::new(conn);
    let names = conn.rows(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), \
                CASE WHEN n.nspname = current_schema() THEN c.relname ELSE n.nspname || '.' || c.relname END \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
           AND n.nspname NOT LIKE 'pg_toast%' ORDER BY 2",
        &[],
    )?;
    let mut out = Vec::new();
    for r in names {
        let (Some(Value::Text(q)), Some(Value::Text(name))) = (r.first(), r.get(1)) else {
            continue;
        };
        let n = match conn
            .rows(&format!("SELECT count(*) FROM {q}"), &[])?
            .first()
            .and_then(|r| r.first())
        {
            Some(Value::Int(n)) => *n,
            _ => 0,
        };
        out.push(TableSummary {
            name: name.clone(),
            rows: n.max(0) as u64,
            checksum: "".into(),
            extensions: Default::default(),
        });
    }
    Ok(out)
}

impl BackupStrategy for Native {
    fn features(&self) -> BackupFeatures {
        BackupFeatures {
            full: true,
            incremental: false,
            online: true,
            parallel: true,
            cross_engine: false,
        }
    }

    fn backup(
        &self,
        conn: &mut ConnectionBox,
        request: &BackupRequest,
        host: Host<'_>,
    ) -> Result<BackupOutcome, PluginError> {
        let snapshot = conn.snapshot_export().into_result()?;
        let result = (|| {
            let tables = tables(conn)?;
            let version = HostConnection::new(conn)
                .scalar("SHOW server_version")?
                .unwrap_or_default();
            host.progress(&BackupProgress {
                phase: "pg_dump".into(),
                tables_total: tables.len() as u32,
                ..Default::default()
            });
            let dir = Path::new(request.directory.as_str()).join(DUMP);
            let mut c = tool("pg_dump", &request.source);
            c.arg("--format=directory")
                .arg(format!("--jobs={}", request.parallel.max(1)))
                .arg(format!("--compress={}", request.compress.clamp(0, 9)))
                .arg(format!("--snapshot={snapshot}"))
                .arg("--no-password")
                .arg("--file")
                .arg(&dir);
            host.run_tool(c, "pg_dump", PACKAGE)?;
            Ok((tables, version))
        })();
        let _ = conn.rollback();
        let (tables, version) = result?;
        Ok(BackupOutcome {
            format: "pg-directory".into(),
            engine: "postgres".into(),
            server_version: version.into(),
            schema: "".into(),
            tables: tables.into(),
            details: serde_json::json!({ "dump": DUMP, "tool": "pg_dump -Fd" })
                .to_string()
                .into(),
            extensions: Default::default(),
        })
    }

    fn restore(
        &self,
        conn: &mut ConnectionBox,
        request: &RestoreRequest,
        host: Host<'_>,
    ) -> Result<RestoreOutcome, PluginError> {
        let existing = tables(conn)?;
        if !existing.is_empty() && !request.clean {
            return Err(PluginError::new(
                ErrorKind::ALREADY_EXISTS,
                format!(
                    "the target database is not empty (it holds {}); restore with clean to drop them first",
                    existing.iter().take(5).map(|t| t.name.as_str()).collect::<Vec<_>>().join(", ")
                ),
            ));
        }
        host.check_cancelled()?;
        let mut c = tool("pg_restore", &request.target);
        c.arg(format!("--jobs={}", request.parallel.max(1)))
            .arg("--no-password")
            .arg("--no-owner")
            .arg("--exit-on-error")
            .arg(format!("--dbname={}", request.target.database));
        if request.clean {
            c.arg("--clean").arg("--if-exists");
        }
        c.arg(Path::new(request.directory.as_str()).join(DUMP));
        host.run_tool(c, "pg_restore", PACKAGE)?;
        Ok(RestoreOutcome {
            tables: tables(conn)?.into(),
            extensions: Default::default(),
        })
    }
}
