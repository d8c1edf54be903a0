//! Statements the logical strategy sends, and a table's rows through the driver's bulk
//! export and load.

use crate::codec::{encode_value, TableSum};
use crate::error::{on_table, BackupError};
use crate::format::TableFiles;
use myrmex_abi::{
    ConnectionBox, CopyChunk, CopyFormat, CopyInRequest, CopyOutRequest, RSlice, RStr, RString,
    RVec, ValueNE,
};
use myrmex_plugin::{ErrorKind, PluginError};

/// Rows fetched per round trip while reading a table.
const FETCH_ROWS: u32 = 5000;

/// Bytes asked for per bulk chunk.
const CHUNK_BYTES: u32 = 1 << 20;

/// The bulk export or load request for `t`: its columns, as typed rows.
fn copy_target(t: &TableFiles) -> (RString, RString, RVec<RString>) {
    (
        t.schema.clone().unwrap_or_default().into(),
        t.name.as_str().into(),
        t.columns
            .iter()
            .map(|c| RString::from(c.as_str()))
            .collect(),
    )
}

/// Reads every row of `t` through the driver's bulk export (PostgreSQL `COPY TO STDOUT`, a
/// cursor elsewhere), hands each encoded row to `each` and the row count of each chunk to
/// `on_batch`; returns the table's sum. Stops with a cancelled error when `cancelled` says
/// so between chunks.
pub fn read_table(
    conn: &mut ConnectionBox,
    t: &TableFiles,
    cancelled: &dyn Fn() -> bool,
    mut each: impl FnMut(&[u8]) -> Result<(), BackupError>,
    mut on_batch: impl FnMut(u64),
) -> Result<TableSum, BackupError> {
    let table = t.display();
    let (schema, name, columns) = copy_target(t);
    let request = CopyOutRequest {
        schema,
        table: name,
        columns,
        query: RString::new(),
        format: CopyFormat::ROWS,
        header: false,
        extensions: Default::default(),
    };
    conn.copy_out_start(&request)
        .into_result()
        .map_err(on_table(&table))?;
    let mut sum = TableSum::default();
    let mut buf = Vec::with_capacity(256);
    loop {
        if cancelled() {
            let _ = conn.copy_abort();
            return Err(BackupError::Table {
                table,
                source: PluginError::new(ErrorKind::CANCELLED, "cancelled at the user's request"),
            });
        }
        let chunk = conn
            .copy_out_read(CHUNK_BYTES, FETCH_ROWS)
            .into_result()
            .map_err(on_table(&table))?;
        let width = chunk.width as usize;
        let mut rows = 0u64;
        if width > 0 {
            for row in chunk.rows.chunks(width) {
                buf.clear();
                for v in row {
                    let v = v.as_enum().map_err(|_| BackupError::UnknownValue {
                        type_name: "a later contract's".into(),
                    })?;
                    encode_value(v, &mut buf)?;
                }
                sum.add(&buf);
                rows += 1;
                each(&buf)?;
            }
        }
        on_batch(rows);
        if chunk.done {
            return Ok(sum);
        }
    }
}

/// Loads typed rows into a table through the driver's bulk load (PostgreSQL `COPY FROM
/// STDIN`, multi-row inserts elsewhere), a chunk at a time.
pub struct Loader<'c> {
    conn: &'c mut ConnectionBox,
    table: String,
    width: usize,
    rows: Vec<ValueNE>,
}

impl<'c> Loader<'c> {
    /// Starts the load of `t`.
    pub fn start(conn: &'c mut ConnectionBox, t: &TableFiles) -> Result<Self, BackupError> {
        let table = t.display();
        let (schema, name, columns) = copy_target(t);
        let request = CopyInRequest {
            schema,
            table: name,
            columns,
            format: CopyFormat::ROWS,
            header: false,
            extensions: Default::default(),
        };
        conn.copy_in_start(&request)
            .into_result()
            .map_err(on_table(&table))?;
        Ok(Loader {
            conn,
            table,
            width: t.columns.len(),
            rows: Vec::with_capacity(FETCH_ROWS as usize * t.columns.len()),
        })
    }

    /// Adds one row's values; sends a chunk when enough rows are held.
    pub fn push(&mut self, value: ValueNE) -> Result<(), BackupError> {
        self.rows.push(value);
        if self.rows.len() >= FETCH_ROWS as usize * self.width.max(1) {
            self.flush()?;
        }
        Ok(())
    }

    /// The rows pushed and not yet sent.
    pub fn pending_values(&self) -> usize {
        self.rows.len()
    }

    /// Drops the last values pushed (a row cut short at a read boundary).
    pub fn truncate(&mut self, values: usize) {
        self.rows.truncate(values);
    }

    fn flush(&mut self) -> Result<(), BackupError> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let chunk = CopyChunk {
            data: RVec::new(),
            rows: std::mem::take(&mut self.rows).into(),
            width: self.width as u32,
            done: false,
            extensions: Default::default(),
        };
        if let Err(e) = self.conn.copy_in_write(&chunk).into_result() {
            let _ = self.conn.copy_abort();
            return Err(on_table(&self.table)(e));
        }
        self.rows = Vec::with_capacity(chunk.rows.len());
        Ok(())
    }

    /// Sends what is held and ends the load; the rows loaded.
    pub fn finish(mut self) -> Result<u64, BackupError> {
        self.flush()?;
        self.conn
            .copy_in_finish()
            .into_result()
            .map_err(on_table(&self.table))
    }

    /// Abandons the load (nothing of it is kept).
    pub fn abort(self) {
        let _ = self.conn.copy_abort();
    }
}

/// Runs one statement without parameters.
pub fn exec(conn: &mut ConnectionBox, sql: &str, what: &str) -> Result<(), BackupError> {
    conn.execute(RStr::from_str(sql), RSlice::from_slice(&[]))
        .into_result()
        .map(|_| ())
        .map_err(on_table(what))
}
