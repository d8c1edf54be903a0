//! The files of a logical backup: per table, zstd-compressed chunks of encoded rows under
//! `data/`, and the facts the manifest keeps about them ([`Layout`]).

use crate::error::{on_file, BackupError};
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// The format name recorded in the manifest.
pub const FORMAT: &str = "myrmex-logical/1";

/// Raw (uncompressed) bytes after which a table's chunk is closed and the next one begun.
const CHUNK_BYTES: usize = 64 << 20;

/// The layout of a logical backup, kept in the manifest's strategy details.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Layout {
    /// Every table in the order it was listed.
    pub tables: Vec<TableFiles>,
}

/// One table's columns and chunks.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct TableFiles {
    /// Schema (PostgreSQL) or database, when not the default one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Table name.
    pub name: String,
    /// The columns the chunks hold, in order (generated columns are not stored).
    pub columns: Vec<String>,
    /// The chunk files in order.
    pub chunks: Vec<ChunkFile>,
}

impl TableFiles {
    /// The name as users read it: `schema.name` outside the default schema.
    pub fn display(&self) -> String {
        match &self.schema {
            Some(s) => format!("{s}.{}", self.name),
            None => self.name.clone(),
        }
    }
}

/// One chunk.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ChunkFile {
    /// The file, relative to the backup directory (`data/0003.00001.zst`).
    pub file: String,
    /// Rows it holds.
    pub rows: u64,
}

/// Writes a table's rows into chunks, a new chunk every [`CHUNK_BYTES`] of raw rows.
pub struct ChunkWriter {
    dir: PathBuf,
    table_index: usize,
    level: i32,
    current: Option<(String, zstd::Encoder<'static, BufWriter<File>>)>,
    raw: usize,
    rows: u64,
    /// Chunks written so far.
    pub chunks: Vec<ChunkFile>,
    /// Compressed bytes written by closed chunks.
    pub bytes: u64,
}

impl ChunkWriter {
    /// A writer for the table at `table_index` of the layout, into `dir/data/`.
    pub fn new(dir: &Path, table_index: usize, level: i32) -> Self {
        ChunkWriter {
            dir: dir.to_path_buf(),
            table_index,
            level,
            current: None,
            raw: 0,
            rows: 0,
            chunks: Vec::new(),
            bytes: 0,
        }
    }

    /// Appends one encoded row.
    pub fn row(&mut self, encoded: &[u8]) -> Result<(), BackupError> {
        if self.current.is_none() {
            let name = format!(
                "data/{:05}.{:05}.zst",
                self.table_index,
                self.chunks.len() + 1
            );
            let path = self.dir.join(&name);
            let file = File::create(&path).map_err(on_file(&name))?;
            let enc = zstd::Encoder::new(BufWriter::with_capacity(1 << 20, file), self.level)
                .map_err(on_file(&name))?;
            self.current = Some((name, enc));
        }
        if let Some((name, enc)) = self.current.as_mut() {
            enc.write_all(encoded).map_err(on_file(name))?;
        }
        self.raw += encoded.len();
        self.rows += 1;
        if self.raw >= CHUNK_BYTES {
            self.close_chunk()?;
        }
        Ok(())
    }

    fn close_chunk(&mut self) -> Result<(), BackupError> {
        if let Some((name, enc)) = self.current.take() {
            let buf = enc.finish().map_err(on_file(&name))?;
            let file = buf
                .into_inner()
                .map_err(|e| on_file(&name)(e.into_error()))?;
            file.sync_all().map_err(on_file(&name))?;
            self.bytes += file.metadata().map(|m| m.len()).unwrap_or(0);
            self.chunks.push(ChunkFile {
                file: name,
                rows: self.rows,
            });
        }
        self.raw = 0;
        self.rows = 0;
        Ok(())
    }

    /// Closes the last chunk and returns every chunk written.
    pub fn finish(mut self) -> Result<(Vec<ChunkFile>, u64), BackupError> {
        self.close_chunk()?;
        Ok((self.chunks, self.bytes))
    }
}

/// Reads a chunk back: decompresses it in blocks, handing whole rows to the caller.
pub struct ChunkReader {
    inner: zstd::Decoder<'static, BufReader<File>>,
    /// The chunk file, for errors.
    pub file: String,
    buf: Vec<u8>,
    /// Compressed size of the chunk.
    pub size: u64,
}

impl ChunkReader {
    /// Opens `dir/chunk`.
    pub fn open(dir: &Path, chunk: &str) -> Result<Self, BackupError> {
        let file = File::open(dir.join(chunk)).map_err(on_file(chunk))?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        let inner = zstd::Decoder::new(file).map_err(on_file(chunk))?;
        Ok(ChunkReader {
            inner,
            file: chunk.to_string(),
            buf: Vec::new(),
            size,
        })
    }

    /// Reads more bytes into the internal buffer; false at the end of the chunk.
    pub fn fill(&mut self) -> Result<bool, BackupError> {
        let mut block = vec![0u8; 1 << 20];
        let n = self.inner.read(&mut block).map_err(on_file(&self.file))?;
        self.buf.extend_from_slice(&block[..n]);
        Ok(n > 0)
    }

    /// The bytes read and not yet consumed.
    pub fn buffer(&self) -> &[u8] {
        &self.buf
    }

    /// Drops the first `n` bytes of the buffer (rows the caller decoded).
    pub fn consume(&mut self, n: usize) {
        self.buf.drain(..n);
    }
}
