//! The history table (`myrmex_migrations` unless configured): one row per applied migration.
//!
//! | column | meaning |
//! |---|---|
//! | `version` | the migration's version (primary key) |
//! | `name`, `kind` | the name after `__`; `sql`, `rhai` or `baseline` |
//! | `checksum`, `checksum_algorithm` | checksum of the up part when applied, and its algorithm |
//! | `applied_at`, `applied_by` | server time (UTC) and `user@host` of the process |
//! | `execution_ms` | how long the up part took |
//! | `state` | `applied`, `baseline`, or while a statement-by-statement run is under way `running` / `reverting` |
//! | `statements_done`, `progress_checksum` | for `running` / `reverting`: statements done so far and the checksum of their text |

use super::source::Migration;
use crate::{DatabaseConnection, Error, Result, Value};
use myrmex_schema::{Dialect, SchemaDefinition};

/// The default history table name.
pub const DEFAULT_TABLE: &str = "myrmex_migrations";

/// A migration's record in the history table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedMigration {
    /// Version.
    pub version: i64,
    /// Name.
    pub name: String,
    /// `sql`, `rhai` or [`BASELINE_KIND`].
    pub kind: String,
    /// Checksum recorded when applied (or accepted).
    pub checksum: String,
    /// Checksum algorithm version.
    pub checksum_algorithm: i64,
    /// When (UTC, `YYYY-MM-DD HH:MM:SS`).
    pub applied_at: String,
    /// `user@host` of the process that applied it.
    pub applied_by: String,
    /// Duration of the up part in milliseconds.
    pub execution_ms: i64,
    /// `applied`, `baseline`, `running` or `reverting`.
    pub state: String,
    /// Statements done by an interrupted statement-by-statement run.
    pub statements_done: i64,
    /// Checksum of those statements' text.
    pub progress_checksum: Option<String>,
}

/// `kind` of the marker row `baseline V` writes when no file has version V.
pub const BASELINE_KIND: &str = "baseline";

/// States of a history row.
pub mod state {
    /// Applied completely.
    pub const APPLIED: &str = "applied";
    /// Adopted by `baseline`, never run by myrmex.
    pub const BASELINE: &str = "baseline";
    /// Up part running statement by statement (or interrupted while doing so).
    pub const RUNNING: &str = "running";
    /// Down part running statement by statement (or interrupted while doing so).
    pub const REVERTING: &str = "reverting";
}

/// The history table of one connection.
#[derive(Debug, Clone)]
pub struct History {
    /// Quoted (possibly schema-qualified) table name.
    quoted: String,
    /// The name as configured.
    pub name: String,
    /// The dialect it lives in.
    pub dialect: Dialect,
}

impl History {
    /// The table `name` (`schema.table` allowed) in `dialect`.
    pub fn new(name: &str, dialect: Dialect) -> Result<History> {
        let parts: Vec<&str> = name.split('.').collect();
        if name.is_empty() || parts.len() > 2 || parts.iter().any(|p| p.is_empty()) {
            return Err(Error::InvalidHistoryTable {
                name: name.to_string(),
            });
        }
        let quoted = parts
            .iter()
            .map(|p| dialect.quote(p))
            .collect::<Vec<_>>()
            .join(".");
        Ok(History {
            quoted,
            name: name.to_string(),
            dialect,
        })
    }

    /// The bare table name (without schema), as introspection reports it.
    pub fn table_name(&self) -> &str {
        self.name.rsplit('.').next().unwrap_or(&self.name)
    }

    /// The live schema without this table: what the migrations made.
    pub fn user_schema(&self, conn: &mut DatabaseConnection) -> Result<SchemaDefinition> {
        let mut def = conn.schema()?;
        def.tables.retain(|t| t.name != self.table_name());
        Ok(def)
    }

    /// The table's definition, portable: each dialect's generator writes its DDL.
    fn definition(&self) -> SchemaDefinition {
        use myrmex_schema::{Column, ColumnType, DefaultValue, Table};
        let col = |name: &str, ty: ColumnType| Column {
            nullable: false,
            ..Column::new(name, ty)
        };
        let text = |n: u32| ColumnType::Varchar(n);
        let zero = || Some(DefaultValue::Int(0));
        SchemaDefinition {
            tables: vec![Table {
                name: self.table_name().to_string(),
                columns: vec![
                    col("version", ColumnType::BigInt),
                    col("name", text(255)),
                    col("kind", text(16)),
                    col("checksum", text(64)),
                    col("checksum_algorithm", ColumnType::Int),
                    Column {
                        default: Some(DefaultValue::Expr {
                            expr: "CURRENT_TIMESTAMP".into(),
                        }),
                        ..col("applied_at", ColumnType::TimestampTz)
                    },
                    col("applied_by", text(255)),
                    Column {
                        default: zero(),
                        ..col("execution_ms", ColumnType::BigInt)
                    },
                    col("state", text(16)),
                    Column {
                        default: zero(),
                        ..col("statements_done", ColumnType::Int)
                    },
                    Column {
                        nullable: true,
                        ..col("progress_checksum", text(64))
                    },
                ],
                primary_key: vec!["version".into()],
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    /// Creates the table when it does not exist.
    pub fn ensure(&self, conn: &mut DatabaseConnection) -> Result<()> {
        let statements =
            myrmex_schema::SchemaGenerator::new(self.dialect).statements(&self.definition())?;
        let bare = self.dialect.quote(self.table_name());
        for stmt in statements {
            let sql = match stmt.strip_prefix("CREATE TABLE ") {
                Some(rest) => format!(
                    "CREATE TABLE IF NOT EXISTS {}",
                    rest.replacen(&bare, &self.quoted, 1)
                ),
                None => stmt,
            };
            conn.execute_batch(&sql)?;
        }
        Ok(())
    }

    /// True when the table exists (without creating it).
    pub fn exists(&self, conn: &mut DatabaseConnection) -> Result<bool> {
        let probe = format!("SELECT 1 FROM {} WHERE 1 = 0", self.quoted);
        if conn.in_transaction() {
            // A failed probe would abort a PostgreSQL transaction; ask the catalog instead.
            let table = self.table_name();
            return Ok(conn.tables()?.iter().any(|t| t.name.as_str() == table));
        }
        match conn.execute_query(&probe, &[]) {
            Ok(_) => Ok(true),
            Err(Error::Database { ref source, .. })
                if source.kind == myrmex_abi::ErrorKind::NOT_FOUND
                    || source.kind == myrmex_abi::ErrorKind::DATABASE
                    || source.kind == myrmex_abi::ErrorKind::SYNTAX =>
            {
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }

    /// Every row, by version.
    pub fn load(&self, conn: &mut DatabaseConnection) -> Result<Vec<AppliedMigration>> {
        let sql = format!(
            "SELECT version, name, kind, checksum, checksum_algorithm, applied_at, applied_by, \
             execution_ms, state, statements_done, progress_checksum FROM {} ORDER BY version",
            self.quoted
        );
        // Read in place: `status` on ten thousand rows should not copy them twice.
        let found = conn.execute_query(&sql, &[])?;
        Ok(found
            .rows()
            .map(|r| AppliedMigration {
                version: int(&r[0]),
                name: text(&r[1]),
                kind: text(&r[2]),
                checksum: text(&r[3]),
                checksum_algorithm: int(&r[4]),
                applied_at: utc_seconds(&r[5]),
                applied_by: text(&r[6]),
                execution_ms: int(&r[7]),
                state: text(&r[8]),
                statements_done: int(&r[9]),
                progress_checksum: opt_text(&r[10]),
            })
            .collect())
    }

    /// Records migration `m` in `state` (`applied`, `baseline`, or `running` at statement 0).
    pub fn insert(
        &self,
        conn: &mut DatabaseConnection,
        m: &Migration,
        applied_by: &str,
        execution_ms: i64,
        state: &str,
    ) -> Result<()> {
        let row = (
            m.version,
            m.name.as_str(),
            m.kind.as_str(),
            m.checksum.as_str(),
        );
        self.insert_row(conn, row, applied_by, execution_ms, state)
    }

    /// Records the marker row of a baseline at a version no file has.
    pub fn insert_baseline_marker(
        &self,
        conn: &mut DatabaseConnection,
        version: i64,
        applied_by: &str,
    ) -> Result<()> {
        let row = (version, "baseline", BASELINE_KIND, "");
        self.insert_row(conn, row, applied_by, 0, state::BASELINE)
    }

    fn insert_row(
        &self,
        conn: &mut DatabaseConnection,
        (version, name, kind, checksum): (i64, &str, &str, &str),
        applied_by: &str,
        execution_ms: i64,
        state: &str,
    ) -> Result<()> {
        let sql = format!(
            "INSERT INTO {} (version, name, kind, checksum, checksum_algorithm, applied_by, \
             execution_ms, state, statements_done) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)",
            self.quoted
        );
        conn.execute(
            &sql,
            &[
                Value::Int(version),
                name.into(),
                kind.into(),
                checksum.into(),
                Value::Int(super::checksum::ALGORITHM),
                applied_by.into(),
                Value::Int(execution_ms),
                state.into(),
            ],
        )?;
        Ok(())
    }

    /// Records progress of a statement-by-statement run.
    pub fn progress(
        &self,
        conn: &mut DatabaseConnection,
        version: i64,
        state: &str,
        done: usize,
        progress_checksum: &str,
    ) -> Result<()> {
        let sql = format!(
            "UPDATE {} SET state = ?, statements_done = ?, progress_checksum = ? WHERE version = ?",
            self.quoted
        );
        conn.execute(
            &sql,
            &[
                state.into(),
                Value::Int(done as i64),
                progress_checksum.into(),
                Value::Int(version),
            ],
        )?;
        Ok(())
    }

    /// Marks a `running` row applied.
    pub fn finish(
        &self,
        conn: &mut DatabaseConnection,
        version: i64,
        checksum: &str,
        execution_ms: i64,
    ) -> Result<()> {
        let sql = format!(
            "UPDATE {} SET state = ?, checksum = ?, checksum_algorithm = ?, execution_ms = ?, \
             statements_done = 0, progress_checksum = NULL WHERE version = ?",
            self.quoted
        );
        conn.execute(
            &sql,
            &[
                state::APPLIED.into(),
                checksum.into(),
                Value::Int(super::checksum::ALGORITHM),
                Value::Int(execution_ms),
                Value::Int(version),
            ],
        )?;
        Ok(())
    }

    /// Records a new checksum deliberately (`accept`, `repair`).
    pub fn set_checksum(
        &self,
        conn: &mut DatabaseConnection,
        version: i64,
        checksum: &str,
    ) -> Result<()> {
        let sql = format!(
            "UPDATE {} SET checksum = ?, checksum_algorithm = ? WHERE version = ?",
            self.quoted
        );
        conn.execute(
            &sql,
            &[
                checksum.into(),
                Value::Int(super::checksum::ALGORITHM),
                Value::Int(version),
            ],
        )?;
        Ok(())
    }

    /// Removes a row (after a down part, or by `repair`).
    pub fn delete(&self, conn: &mut DatabaseConnection, version: i64) -> Result<()> {
        let sql = format!("DELETE FROM {} WHERE version = ?", self.quoted);
        conn.execute(&sql, &[Value::Int(version)])?;
        Ok(())
    }
}

/// Text of a catalog value (empty for NULL; numbers printed).
fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// An integer column (0 for NULL or text that is not a number).
fn int(v: &Value) -> i64 {
    match v {
        Value::Int(i) => *i,
        Value::Bool(b) => i64::from(*b),
        other => other
            .as_text()
            .and_then(|t| t.trim().parse().ok())
            .unwrap_or(0),
    }
}

/// Text, or `None` for NULL.
fn opt_text(v: &Value) -> Option<String> {
    (!v.is_null()).then(|| text(v))
}

/// `applied_at` as `YYYY-MM-DD HH:MM:SS` in UTC, from whatever temporal form the driver
/// returns (an instant with its offset, a timestamp, or text).
fn utc_seconds(v: &Value) -> String {
    let raw = text(v);
    let utc = match myrmex_plugin::canonical::parse_timestamp(&raw) {
        Some(t) => myrmex_plugin::canonical::to_utc(&t),
        None => raw,
    };
    utc.chars().take(19).collect()
}
