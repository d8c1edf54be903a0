//! Copying chunks: workers, each with its own source and target connection, take chunks
//! from a shared queue; a chunk streams from the source's bulk export into the target's
//! bulk load and is committed together with its row in the resume state.

use super::plan::{self, Chunk, TablePlan};
use super::{state, CopyObserver};
use crate::bulk::{BulkFormat, CopySource, CopyTarget};
use crate::{DatabaseConnection, Error, Result};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// Bytes per chunk read from the source (text format), and the target size of a batch of
/// typed rows.
const CHUNK_BYTES: u32 = 1 << 20;

/// Rows per typed batch at most (fewer when rows are wide: see [`next_rows`]).
const MAX_BATCH_ROWS: u32 = 10_000;

/// The format rows cross in: COPY text passed through when both drivers speak it natively
/// and are the same driver (so every column has the same type on both sides), else typed
/// rows.
pub fn pick_format(
    src: &mut DatabaseConnection,
    dst: &mut DatabaseConnection,
) -> Result<BulkFormat> {
    let same = src.driver_name() == dst.driver_name();
    if same && src.dialect()?.has("copy_text") && dst.dialect()?.has("copy_text") {
        Ok(BulkFormat::Text)
    } else {
        Ok(BulkFormat::Rows)
    }
}

/// What the workers did: `(plan index, rows, seconds)` per finished chunk, and the first
/// error, which stopped them.
pub struct Outcome {
    /// Finished chunks.
    pub done: Vec<(usize, u64, f64)>,
    /// The error that stopped the copy.
    pub error: Option<Error>,
}

/// Copies `work` on `workers` pairs of connections.
pub fn run_all(
    src: &DatabaseConnection,
    dst: &DatabaseConnection,
    plans: &[TablePlan],
    work: Vec<(usize, Chunk)>,
    workers: usize,
    format: BulkFormat,
    observer: &dyn CopyObserver,
) -> Result<Outcome> {
    let queue = Mutex::new(VecDeque::from(work));
    let stop = AtomicBool::new(false);
    let done = Mutex::new(Vec::new());
    let error: Mutex<Option<Error>> = Mutex::new(None);
    let n = workers
        .max(1)
        .min(queue.lock().map(|q| q.len()).unwrap_or(1).max(1));
    let pairs = (0..n)
        .map(|_| Ok((src.open_another()?, dst.open_another()?)))
        .collect::<Result<Vec<_>>>()?;
    let (queue, stop, finished, errors) = (&queue, &stop, &done, &error);
    std::thread::scope(|scope| {
        for (mut s, mut d) in pairs {
            scope.spawn(move || {
                let fail = |e: Error| {
                    stop.store(true, Ordering::Relaxed);
                    if let Ok(mut slot) = errors.lock() {
                        slot.get_or_insert(e);
                    }
                };
                while !stop.load(Ordering::Relaxed) {
                    let Some((i, chunk)) = queue.lock().ok().and_then(|mut q| q.pop_front()) else {
                        break;
                    };
                    let p = &plans[i];
                    observer.phase(&format!("copying {}", p.source.name));
                    let started = Instant::now();
                    match copy_chunk(&mut s, &mut d, p, &chunk, format, observer) {
                        Ok(rows) => {
                            if let Ok(mut v) = finished.lock() {
                                v.push((i, rows, started.elapsed().as_secs_f64()));
                            }
                        }
                        Err(e) => {
                            if d.in_transaction() {
                                let _ = d.rollback();
                            }
                            return fail(Error::Transfer {
                                table: p.source.name.clone(),
                                chunk: (chunk.key != "all").then(|| chunk.key.clone()),
                                reason: e.to_string(),
                            });
                        }
                    }
                }
                let _ = s.close();
                let _ = d.close();
            });
        }
    });
    Ok(Outcome {
        done: done.into_inner().unwrap_or_default(),
        error: error.into_inner().unwrap_or_default(),
    })
}

/// Rows for the next typed batch: about [`CHUNK_BYTES`] of data at the last batch's row
/// size, so memory stays bounded for wide rows (long texts, blobs) too.
fn next_rows(bytes: usize, rows: usize) -> u32 {
    if rows == 0 || bytes == 0 {
        return MAX_BATCH_ROWS;
    }
    let per_row = bytes.div_ceil(rows).max(1);
    ((CHUNK_BYTES as usize / per_row) as u32).clamp(1, MAX_BATCH_ROWS)
}

/// Copies one chunk in one target transaction, with its resume-state row; returns the rows.
fn copy_chunk(
    s: &mut DatabaseConnection,
    d: &mut DatabaseConnection,
    p: &TablePlan,
    chunk: &Chunk,
    format: BulkFormat,
    observer: &dyn CopyObserver,
) -> Result<u64> {
    let sql = plan::select(s, p, chunk)?;
    let target = CopyTarget {
        schema: p.target_schema().to_string(),
        table: p.target.name.clone(),
        columns: p.target_columns.clone(),
    };
    d.begin()?;
    let mut out = s.copy_out_start(&CopySource::query(sql), format, false)?;
    let mut load = d.copy_in_start(&target, format, false)?;
    let mut max_rows = 1000;
    while let Some(c) = out.next_chunk(CHUNK_BYTES, max_rows)? {
        let rows = if format == BulkFormat::Rows {
            max_rows = next_rows(c.approx_bytes(), c.row_count());
            c.row_count() as u64
        } else {
            c.bytes().iter().filter(|&&b| b == b'\n').count() as u64
        };
        load.write(&c)?;
        observer.rows(rows);
    }
    drop(out);
    let rows = load.finish()?;
    state::record(d, &p.source.name, &chunk.key, rows)?;
    d.commit()?;
    Ok(rows)
}
