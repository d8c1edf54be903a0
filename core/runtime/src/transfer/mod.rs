//! Copying a database's tables and data from one connection to another, across engines.
//!
//! [`copy_data`] reads the source schema, converts it for the target's dialect
//! ([`myrmex_schema::convert::convert_schema`], whose report is part of the summary),
//! creates the tables without their foreign keys, checks and indexes, copies the rows,
//! then adds indexes, foreign keys and checks, resets identity counters to the copied
//! maximum and verifies every table with row counts and a content checksum computed the
//! same way on both sides ([`verify`]).
//!
//! Rows stream through the drivers' bulk paths ([`crate::bulk`]) in bounded chunks: the
//! same engine on both sides passes PostgreSQL COPY text straight through (dialect feature
//! `copy_text`), other pairs pass typed rows. Work runs on `parallel` workers, each with
//! its own pair of connections; a table whose primary key is one integer column is split
//! into key ranges copied independently. A target whose dialect says `single_writer` gets
//! one loading worker.
//!
//! Resume: the target holds a table `_myrmex_copy_state` with one row per finished step
//! (the schema, each table's chunk, the post-data step), written in the same transaction
//! as the chunk's rows, so after a kill a `resume` run skips exactly what was committed
//! and copies the rest; no chunk is loaded twice. A complete run that verifies drops the
//! state table.

mod chunk;
mod plan;
mod schema;
mod state;
pub mod verify;

use crate::{DatabaseConnection, Error, Result};
use myrmex_schema::convert::{CastRules, Decision};
use serde::Serialize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Instant;

pub use plan::{Chunk, TablePlan};

/// What [`copy_data`] copies and how.
#[derive(Debug, Clone)]
pub struct CopyOptions {
    /// Tables to copy (source names); empty for all.
    pub tables: Vec<String>,
    /// Conversion rules (casts, dropped checks and defaults, strictness).
    pub rules: CastRules,
    /// Workers, each with its own source and target connection (at least 1).
    pub parallel: usize,
    /// Continue an interrupted copy from the target's state table.
    pub resume: bool,
    /// Verify each table with counts and checksums on both sides.
    pub verify: bool,
    /// Any table that cannot be copied, or any conversion loss, is an error.
    pub strict: bool,
    /// Rows per key-range chunk of a large table.
    pub chunk_rows: u64,
}

impl Default for CopyOptions {
    fn default() -> Self {
        CopyOptions {
            tables: Vec::new(),
            rules: CastRules::default(),
            parallel: 2,
            resume: false,
            verify: true,
            strict: false,
            chunk_rows: 200_000,
        }
    }
}

/// Told about progress (a bar on a terminal); every method has an empty default.
pub trait CopyObserver: Sync {
    /// The copy will move about `rows` rows in `tables` tables.
    fn start(&self, tables: usize, rows: u64) {
        let _ = (tables, rows);
    }
    /// `rows` more rows reached the target.
    fn rows(&self, rows: u64) {
        let _ = rows;
    }
    /// A phase or a table began (`creating tables`, `verifying artist`, …).
    fn phase(&self, what: &str) {
        let _ = what;
    }
}

/// An observer that ignores everything.
pub struct Quiet;

impl CopyObserver for Quiet {}

/// One table's outcome.
#[derive(Debug, Clone, Serialize, Default)]
pub struct TableSummary {
    /// Source table name.
    pub table: String,
    /// Rows loaded into the target by this run.
    pub rows_copied: u64,
    /// Chunks the table was copied in; `chunks_resumed` of them were done before this run.
    pub chunks: usize,
    /// Chunks skipped because an earlier run finished them.
    pub chunks_resumed: usize,
    /// Rows in the source (when verified).
    pub source_rows: Option<u64>,
    /// Rows in the target (when verified).
    pub target_rows: Option<u64>,
    /// Content checksum of the source (when verified).
    pub source_checksum: Option<String>,
    /// Content checksum of the target (when verified).
    pub target_checksum: Option<String>,
    /// True when counts and checksums agree; `None` when not verified.
    pub verified: Option<bool>,
    /// Why the table was not copied (a refused conversion, an error).
    pub skipped: Option<String>,
    /// Wall time spent copying, in seconds.
    pub seconds: f64,
}

/// The outcome of [`copy_data`].
#[derive(Debug, Clone, Serialize, Default)]
pub struct CopySummary {
    /// Source connection name.
    pub source: String,
    /// Target connection name.
    pub target: String,
    /// How rows crossed: `text` (COPY text passed through) or `rows` (typed rows).
    pub format: String,
    /// Per table, in copy order.
    pub tables: Vec<TableSummary>,
    /// Rows loaded by this run.
    pub rows: u64,
    /// Every conversion decision, as a line.
    pub conversion: Vec<String>,
    /// Conversion decisions that lose something.
    pub losses: Vec<String>,
    /// True when every copied table verified (or verification was off) and none was skipped.
    pub ok: bool,
    /// Wall time in seconds.
    pub seconds: f64,
}

impl CopySummary {
    /// The summary as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

/// Copies the tables of `src` into `dst` as `options` say. `src` and `dst` give the
/// parameters; workers open their own connections with the same parameters through the
/// process-wide registry (or the one the connections were opened with: the default).
pub fn copy_data(
    src: &mut DatabaseConnection,
    dst: &mut DatabaseConnection,
    options: &CopyOptions,
    observer: &dyn CopyObserver,
) -> Result<CopySummary> {
    let started = Instant::now();
    let mut rules = options.rules.clone();
    rules.strict = rules.strict || options.strict;
    let prepared = schema::prepare(src, dst, &options.tables, &rules)?;
    let mut summary = CopySummary {
        source: src.name.clone(),
        target: dst.name.clone(),
        conversion: prepared.report.iter().map(Decision::to_string).collect(),
        losses: prepared
            .report
            .iter()
            .filter(|d| d.loss)
            .map(Decision::to_string)
            .collect(),
        ..Default::default()
    };
    if options.strict {
        if let Some((table, why)) = prepared.refused.first() {
            return Err(Error::Transfer {
                table: table.clone(),
                chunk: None,
                reason: format!("cannot be copied (strict): {why}"),
            });
        }
    }
    for (table, why) in &prepared.refused {
        summary.tables.push(TableSummary {
            table: table.clone(),
            skipped: Some(why.clone()),
            ..Default::default()
        });
    }

    let mut st = state::State::open(dst, options.resume)?;
    if !st.is_done("", "schema") {
        observer.phase("creating tables");
        schema::create_tables(dst, &prepared, &st)?;
        st.mark(dst, "", "schema", 0)?;
    }
    let plans = plan::plan(src, &prepared, options.chunk_rows)?;
    let format = chunk::pick_format(src, dst)?;
    summary.format = format.name().to_string();
    observer.start(plans.len(), plans.iter().map(|p| p.estimated_rows).sum());

    let writers = if dst.dialect()?.has("single_writer") {
        1
    } else {
        options.parallel.max(1)
    };
    let work: Vec<(usize, Chunk)> = plans
        .iter()
        .enumerate()
        .flat_map(|(i, p)| p.chunks.iter().map(move |c| (i, c.clone())))
        .filter(|(i, c)| !st.is_done(&plans[*i].source.name, &c.key))
        .collect();
    let mut results: Vec<TableSummary> = plans
        .iter()
        .map(|p| TableSummary {
            table: p.source.name.clone(),
            chunks: p.chunks.len(),
            chunks_resumed: p
                .chunks
                .iter()
                .filter(|c| st.is_done(&p.source.name, &c.key))
                .count(),
            ..Default::default()
        })
        .collect();
    let outcome = chunk::run_all(src, dst, &plans, work, writers, format, observer)?;
    let failed = AtomicBool::new(false);
    for (i, rows, secs) in outcome.done {
        results[i].rows_copied += rows;
        results[i].seconds += secs;
    }
    if let Some(e) = outcome.error {
        failed.store(true, Ordering::Relaxed);
        return Err(e);
    }

    if !st.is_done("", "post") {
        observer.phase("adding indexes, foreign keys and checks");
        schema::add_constraints(dst, &prepared)?;
        for p in &plans {
            for column in &p.identity_columns {
                dst.reset_identity(p.target_schema(), &p.target.name, column)?;
            }
        }
        st.mark(dst, "", "post", 0)?;
    }

    if options.verify {
        let verified = Mutex::new(Vec::new());
        verify::verify_all(
            src,
            dst,
            &plans,
            writers.max(options.parallel),
            observer,
            &verified,
        )?;
        for (i, v) in verified.into_inner().unwrap_or_default() {
            let r = &mut results[i];
            r.source_rows = Some(v.source.rows);
            r.target_rows = Some(v.target.rows);
            r.source_checksum = Some(v.source.hex());
            r.target_checksum = Some(v.target.hex());
            r.verified = Some(v.source == v.target);
        }
    }
    summary.rows = results.iter().map(|r| r.rows_copied).sum();
    summary.tables.extend(results);
    summary.ok = summary
        .tables
        .iter()
        .all(|t| t.skipped.is_none() && t.verified != Some(false));
    if summary.ok {
        st.finish(dst)?;
    }
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}
