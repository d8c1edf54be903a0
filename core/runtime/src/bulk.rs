//! Bulk export and load on a [`DatabaseConnection`], through each driver's native path
//! (PostgreSQL COPY) or the kit's generic one (a cursor out, multi-row `INSERT`s in).
//!
//! The host pulls export chunks and pushes load chunks of a size it chooses, so memory is
//! bounded by one chunk whatever the table's size. A chunk holds either bytes of a text
//! format ([`BulkFormat::Text`], [`BulkFormat::Csv`]: PostgreSQL's COPY forms, byte for byte
//! what psql writes when the driver is native) or typed rows ([`BulkFormat::Rows`]), the
//! portable form between engines.

use crate::result::receive;
use crate::{DatabaseConnection, Error, Result, Value};
use myrmex_abi::{
    ColumnMeta, CopyChunk, CopyFormat, CopyInRequest, CopyOutRequest, RStr, RVec, ValueNE,
};
use std::io::Write;

/// Bytes per export chunk by default.
pub const DEFAULT_CHUNK_BYTES: u32 = 1 << 20;

/// Rows per export chunk by default (typed rows).
pub const DEFAULT_CHUNK_ROWS: u32 = 10_000;

/// The format of a bulk transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkFormat {
    /// Typed rows.
    Rows,
    /// PostgreSQL COPY text format.
    Text,
    /// CSV as PostgreSQL's COPY writes it.
    Csv,
}

impl BulkFormat {
    fn abi(self) -> CopyFormat {
        match self {
            BulkFormat::Rows => CopyFormat::ROWS,
            BulkFormat::Text => CopyFormat::TEXT,
            BulkFormat::Csv => CopyFormat::CSV,
        }
    }

    /// `rows`, `text` or `csv`.
    pub fn name(self) -> &'static str {
        self.abi().name()
    }

    /// The format named `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "rows" => Some(BulkFormat::Rows),
            "text" | "tsv" => Some(BulkFormat::Text),
            "csv" => Some(BulkFormat::Csv),
            _ => None,
        }
    }
}

/// What an export reads: a table (optionally some of its columns) or a query.
#[derive(Debug, Clone, Default)]
pub struct CopySource {
    /// Schema of the table; empty for the connection's default.
    pub schema: String,
    /// The table (unquoted), when `query` is empty.
    pub table: String,
    /// Columns of the table, in order; empty for all.
    pub columns: Vec<String>,
    /// A query instead of a table.
    pub query: String,
}

impl CopySource {
    /// A whole table.
    pub fn table(name: impl Into<String>) -> Self {
        CopySource {
            table: name.into(),
            ..Default::default()
        }
    }

    /// A query's rows.
    pub fn query(sql: impl Into<String>) -> Self {
        CopySource {
            query: sql.into(),
            ..Default::default()
        }
    }

    fn label(&self) -> String {
        if self.query.is_empty() {
            self.table.clone()
        } else {
            crate::error::abbreviate(&self.query)
        }
    }
}

/// Where a load writes: a table and the columns the chunks hold.
#[derive(Debug, Clone, Default)]
pub struct CopyTarget {
    /// Schema of the table; empty for the connection's default.
    pub schema: String,
    /// The table (unquoted).
    pub table: String,
    /// The columns of each row, in order; empty for all of the table's.
    pub columns: Vec<String>,
}

/// One chunk of a bulk transfer: whole rows, as bytes or typed values.
#[derive(Debug, Clone)]
pub struct Chunk(CopyChunk);

impl Chunk {
    /// The bytes of a text or CSV chunk.
    pub fn bytes(&self) -> &[u8] {
        &self.0.data
    }

    /// Values per row (typed rows).
    pub fn width(&self) -> usize {
        self.0.width as usize
    }

    /// Typed rows held.
    pub fn row_count(&self) -> usize {
        self.0.row_count()
    }

    /// True when the chunk holds nothing.
    pub fn is_empty(&self) -> bool {
        self.0.data.is_empty() && self.0.rows.is_empty()
    }

    /// The typed values, row-major; an error names the column of a value of a type this
    /// host does not know.
    pub fn values(&self, columns: &[ColumnMeta], connection: &str) -> Result<Vec<Value>> {
        Ok(receive(self.0.rows.clone(), columns, connection)?.into_vec())
    }

    /// Typed rows made by the host.
    pub fn from_rows(width: usize, values: Vec<Value>) -> Chunk {
        Chunk(CopyChunk {
            rows: values.into_iter().map(ValueNE::from).collect(),
            width: width as u32,
            ..CopyChunk::default()
        })
    }

    /// Bytes of a text or CSV format, made by the host (whole lines).
    pub fn from_bytes(data: Vec<u8>) -> Chunk {
        Chunk(CopyChunk {
            data: data.into(),
            ..CopyChunk::default()
        })
    }
}

/// An export in progress; dropping it unfinished abandons the rest.
pub struct CopyOut<'a> {
    conn: &'a mut DatabaseConnection,
    columns: Vec<ColumnMeta>,
    native: bool,
    done: bool,
    label: String,
}

impl CopyOut<'_> {
    /// The exported columns.
    pub fn columns(&self) -> &[ColumnMeta] {
        &self.columns
    }

    /// True when the driver's own bulk path serves the export.
    pub fn is_native(&self) -> bool {
        self.native
    }

    /// The next chunk of about `max_bytes` (byte formats) or at most `max_rows` rows;
    /// `None` once the export is complete.
    pub fn next_chunk(&mut self, max_bytes: u32, max_rows: u32) -> Result<Option<Chunk>> {
        if self.done {
            return Ok(None);
        }
        let label = self.label.clone();
        let chunk = self
            .conn
            .call(Some(&label), |c| c.copy_out_read(max_bytes, max_rows));
        let chunk = match chunk {
            Ok(c) => c,
            Err(e) => {
                self.done = true;
                return Err(e);
            }
        };
        self.done = chunk.done;
        if chunk.data.is_empty() && chunk.rows.is_empty() && self.done {
            return Ok(None);
        }
        Ok(Some(Chunk(chunk)))
    }
}

impl Drop for CopyOut<'_> {
    fn drop(&mut self) {
        if !self.done {
            let _ = self.conn.call(None, |c| c.copy_abort());
        }
    }
}

/// A load in progress; dropping it unfinished rolls it back.
pub struct CopyIn<'a> {
    conn: &'a mut DatabaseConnection,
    native: bool,
    finished: bool,
    label: String,
}

impl CopyIn<'_> {
    /// True when the driver's own bulk path loads.
    pub fn is_native(&self) -> bool {
        self.native
    }

    /// Loads one chunk.
    pub fn write(&mut self, chunk: &Chunk) -> Result<()> {
        let label = self.label.clone();
        let out = self.conn.call(Some(&label), |c| c.copy_in_write(&chunk.0));
        if out.is_err() {
            // The driver ended the load; nothing is left to abort.
            self.finished = true;
        }
        out
    }

    /// Ends the load; returns the rows loaded.
    pub fn finish(mut self) -> Result<u64> {
        self.finished = true;
        let label = self.label.clone();
        self.conn.call(Some(&label), |c| c.copy_in_finish())
    }
}

impl Drop for CopyIn<'_> {
    fn drop(&mut self) {
        if !self.finished {
            let _ = self.conn.call(None, |c| c.copy_abort());
        }
    }
}

fn names(v: &[String]) -> RVec<myrmex_abi::RString> {
    v.iter().map(|s| s.as_str().into()).collect()
}

impl DatabaseConnection {
    /// Starts a bulk export of `source` in `format` (`header`: a CSV header line).
    pub fn copy_out_start(
        &mut self,
        source: &CopySource,
        format: BulkFormat,
        header: bool,
    ) -> Result<CopyOut<'_>> {
        let request = CopyOutRequest {
            schema: source.schema.as_str().into(),
            table: source.table.as_str().into(),
            columns: names(&source.columns),
            query: source.query.as_str().into(),
            format: format.abi(),
            header,
            extensions: RVec::new(),
        };
        let label = format!("COPY {} TO STDOUT ({})", source.label(), format.name());
        let start = self.call(Some(&label), |c| c.copy_out_start(&request))?;
        Ok(CopyOut {
            columns: start.columns.iter().cloned().collect(),
            native: start.native,
            done: false,
            label,
            conn: self,
        })
    }

    /// Starts a bulk load into `target` of chunks in `format` (`header`: CSV input starts
    /// with a header line to skip).
    pub fn copy_in_start(
        &mut self,
        target: &CopyTarget,
        format: BulkFormat,
        header: bool,
    ) -> Result<CopyIn<'_>> {
        let request = CopyInRequest {
            schema: target.schema.as_str().into(),
            table: target.table.as_str().into(),
            columns: names(&target.columns),
            format: format.abi(),
            header,
            extensions: RVec::new(),
        };
        let label = format!("COPY {} FROM STDIN ({})", target.table, format.name());
        let start = self.call(Some(&label), |c| c.copy_in_start(&request))?;
        Ok(CopyIn {
            native: start.native,
            finished: false,
            label,
            conn: self,
        })
    }

    /// Exports `source` in a byte format to `sink`; returns the bytes written. An error
    /// writing names `sink_name`.
    pub fn copy_out(
        &mut self,
        source: &CopySource,
        format: BulkFormat,
        header: bool,
        sink: &mut dyn Write,
        sink_name: &str,
    ) -> Result<u64> {
        if format == BulkFormat::Rows {
            return Err(Error::Bulk {
                connection: self.name.clone(),
                table: source.label(),
                reason: "copy_out writes text or CSV; typed rows are read with copy_out_start"
                    .into(),
            });
        }
        let mut out = self.copy_out_start(source, format, header)?;
        let mut bytes = 0u64;
        while let Some(chunk) = out.next_chunk(DEFAULT_CHUNK_BYTES, DEFAULT_CHUNK_ROWS)? {
            sink.write_all(chunk.bytes()).map_err(|e| Error::Io {
                path: sink_name.into(),
                source: e,
            })?;
            bytes += chunk.bytes().len() as u64;
        }
        sink.flush().map_err(|e| Error::Io {
            path: sink_name.into(),
            source: e,
        })?;
        Ok(bytes)
    }

    /// Inserts `rows` (each as wide as `columns`; `columns` empty for all of the table's)
    /// into `table` with the driver's bulk load, in one transaction unless one is open;
    /// returns the rows inserted.
    pub fn insert_many(
        &mut self,
        table: &str,
        columns: &[String],
        rows: Vec<Vec<Value>>,
    ) -> Result<u64> {
        let Some(width) = rows.first().map(Vec::len) else {
            return Ok(0);
        };
        if let Some((i, r)) = rows.iter().enumerate().find(|(_, r)| r.len() != width) {
            return Err(Error::Bulk {
                connection: self.name.clone(),
                table: table.to_string(),
                reason: format!(
                    "row {} has {} values, the first has {width}",
                    i + 1,
                    r.len()
                ),
            });
        }
        let (schema, name) = match table.split_once('.') {
            Some((s, t)) => (s.to_string(), t.to_string()),
            None => (String::new(), table.to_string()),
        };
        let target = CopyTarget {
            schema,
            table: name,
            columns: columns.to_vec(),
        };
        let mut load = self.copy_in_start(&target, BulkFormat::Rows, false)?;
        let per = DEFAULT_CHUNK_ROWS as usize;
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let values: Vec<Value> = rows.by_ref().take(per).flatten().collect();
            load.write(&Chunk::from_rows(width, values))?;
        }
        load.finish()
    }

    /// Makes the sequence, identity or auto-increment counter behind `column` continue
    /// after the column's largest value (after rows were loaded with explicit values).
    pub fn reset_identity(&mut self, schema: &str, table: &str, column: &str) -> Result<()> {
        let label = format!("reset the identity of {table}.{column}");
        self.call(Some(&label), |c| {
            c.reset_identity(
                RStr::from_str(schema),
                RStr::from_str(table),
                RStr::from_str(column),
            )
        })
    }
}
