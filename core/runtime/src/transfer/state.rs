//! The resume state of a copy: a table in the target, `_myrmex_copy_state`, with one row per
//! finished step. A chunk's row is written in the chunk's own transaction, so the state
//! never claims rows that were not committed, nor misses rows that were.

use crate::{DatabaseConnection, Error, Result, Value};
use myrmex_schema::{Column, ColumnType, SchemaDefinition, Table};
use std::collections::HashSet;

/// The state table's name.
pub const STATE_TABLE: &str = "_myrmex_copy_state";

/// The steps finished so far.
pub struct State {
    done: HashSet<(String, String)>,
    resuming: bool,
}

fn definition() -> SchemaDefinition {
    let mut t = Table {
        name: STATE_TABLE.into(),
        ..Table::default()
    };
    t.columns = vec![
        Column::new("table_name", ColumnType::Varchar(255)),
        Column::new("chunk", ColumnType::Varchar(100)),
        Column::new("row_count", ColumnType::BigInt),
    ];
    t.primary_key = vec!["table_name".into(), "chunk".into()];
    SchemaDefinition {
        tables: vec![t],
        ..Default::default()
    }
}

impl State {
    /// Opens the state: creates the table for a new copy (an existing one means an earlier
    /// copy was interrupted: resume it or drop the target's tables), reads it to resume.
    pub fn open(dst: &mut DatabaseConnection, resume: bool) -> Result<State> {
        let exists = dst.tables()?.iter().any(|t| t.name.as_str() == STATE_TABLE);
        let mut done = HashSet::new();
        if exists && !resume {
            return Err(Error::Transfer {
                table: STATE_TABLE.into(),
                chunk: None,
                reason: format!(
                    "`{}` holds the state of an interrupted copy; continue it with --resume",
                    dst.name
                ),
            });
        }
        if exists {
            let q = dst.quote_ident(STATE_TABLE)?;
            let rows = dst.execute_query(&format!("SELECT table_name, chunk FROM {q}"), &[])?;
            for i in 0..rows.len() {
                let t = rows
                    .get(i, "table_name")
                    .and_then(Value::as_text)
                    .unwrap_or("");
                let c = rows.get(i, "chunk").and_then(Value::as_text).unwrap_or("");
                done.insert((t.to_string(), c.to_string()));
            }
        } else {
            dst.apply_schema(&definition())?;
        }
        Ok(State {
            done,
            resuming: resume && exists,
        })
    }

    /// True when an earlier run was found and is being continued.
    pub fn resuming(&self) -> bool {
        self.resuming
    }

    /// True when the step finished in an earlier run.
    pub fn is_done(&self, table: &str, chunk: &str) -> bool {
        self.done.contains(&(table.to_string(), chunk.to_string()))
    }

    /// Records a finished step outside any chunk (the schema, the post-data step).
    pub fn mark(
        &mut self,
        dst: &mut DatabaseConnection,
        table: &str,
        chunk: &str,
        rows: u64,
    ) -> Result<()> {
        record(dst, table, chunk, rows)?;
        self.done.insert((table.to_string(), chunk.to_string()));
        Ok(())
    }

    /// Drops the state table after a complete copy.
    pub fn finish(&self, dst: &mut DatabaseConnection) -> Result<()> {
        let q = dst.quote_ident(STATE_TABLE)?;
        dst.execute(&format!("DROP TABLE {q}"), &[]).map(|_| ())
    }
}

/// Inserts the row saying `chunk` of `table` is done (inside the caller's transaction).
pub fn record(dst: &mut DatabaseConnection, table: &str, chunk: &str, rows: u64) -> Result<()> {
    let q = dst.quote_ident(STATE_TABLE)?;
    dst.execute(
        &format!("INSERT INTO {q} (table_name, chunk, row_count) VALUES (?, ?, ?)"),
        &[
            Value::from(table),
            Value::from(chunk),
            Value::Int(i64::try_from(rows).unwrap_or(i64::MAX)),
        ],
    )
    .map(|_| ())
}
