//! Writing a logical backup: one consistent snapshot shared by the workers, tables spread
//! over them, each table's rows encoded into zstd chunks in bounded memory.

use crate::error::{on_file, on_table, BackupError};
use crate::format::{ChunkWriter, Layout, TableFiles, FORMAT};
use crate::sql::read_table;
use myrmex_abi::{ConnectionBox, SchemaRequest};
use myrmex_plugin::backup::{BackupOutcome, BackupProgress, BackupRequest, Host, TableSummary};
use myrmex_schema::{Dialect, SchemaDefinition};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;

/// Counters the workers share, reported to the host.
pub struct Shared<'h> {
    host: Host<'h>,
    rows: AtomicU64,
    bytes: AtomicU64,
    tables_done: AtomicU32,
    tables_total: u32,
    failed: AtomicBool,
    report: Mutex<()>,
}

impl<'h> Shared<'h> {
    /// Counters for `tables_total` tables.
    pub fn new(host: Host<'h>, tables_total: usize) -> Self {
        Shared {
            host,
            rows: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            tables_done: AtomicU32::new(0),
            tables_total: tables_total as u32,
            failed: AtomicBool::new(false),
            report: Mutex::new(()),
        }
    }

    /// True once the user cancelled or another worker failed.
    pub fn stop(&self) -> bool {
        self.failed.load(Ordering::Relaxed) || self.host.cancelled()
    }

    /// Marks the run failed so that the other workers stop.
    pub fn fail(&self) {
        self.failed.store(true, Ordering::Relaxed);
    }

    /// Adds rows and bytes done and reports.
    pub fn advance(&self, phase: &str, table: &str, rows: u64, bytes: u64) {
        self.rows.fetch_add(rows, Ordering::Relaxed);
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
        self.report(phase, table);
    }

    /// Counts a table done and reports.
    pub fn table_done(&self, phase: &str, table: &str) {
        self.tables_done.fetch_add(1, Ordering::Relaxed);
        self.report(phase, table);
    }

    fn report(&self, phase: &str, table: &str) {
        let _one_at_a_time = self.report.lock();
        self.host.progress(&BackupProgress {
            phase: phase.into(),
            table: table.into(),
            rows: self.rows.load(Ordering::Relaxed),
            bytes: self.bytes.load(Ordering::Relaxed),
            bytes_total: 0,
            tables_done: self.tables_done.load(Ordering::Relaxed),
            tables_total: self.tables_total,
            extensions: Default::default(),
        });
    }
}

/// The dialect a connection speaks, as the schema crate names it.
pub fn dialect_of(conn: &mut ConnectionBox) -> Result<Dialect, BackupError> {
    let info = conn
        .dialect()
        .into_result()
        .map_err(on_table("(dialect)"))?;
    info.name
        .as_str()
        .parse()
        .map_err(|e: myrmex_schema::SchemaError| BackupError::Schema(e.to_string()))
}

/// The schema of the connection's current database.
pub fn read_schema(conn: &mut ConnectionBox) -> Result<SchemaDefinition, BackupError> {
    let tree = conn
        .schema(&SchemaRequest::default())
        .into_result()
        .map_err(on_table("(schema)"))?;
    myrmex_plugin::tree::from_tree(&tree).map_err(BackupError::Schema)
}

/// The tables of `def` with the columns a backup stores (generated columns are computed
/// again on restore).
pub fn layout_of(def: &SchemaDefinition) -> Layout {
    Layout {
        tables: def
            .tables
            .iter()
            .map(|t| TableFiles {
                schema: t.schema.clone(),
                name: t.name.clone(),
                columns: t
                    .columns
                    .iter()
                    .filter(|c| c.generated.is_none())
                    .map(|c| c.name.clone())
                    .collect(),
                chunks: Vec::new(),
            })
            .collect(),
    }
}

/// Backs up the database `conn` reaches into `request.directory`.
pub fn backup(
    conn: &mut ConnectionBox,
    request: &BackupRequest,
    host: Host<'_>,
) -> Result<BackupOutcome, BackupError> {
    let dir = Path::new(request.directory.as_str());
    std::fs::create_dir_all(dir.join("data")).map_err(on_file("data"))?;
    let dialect = dialect_of(conn)?;
    let server = conn
        .server_info()
        .into_result()
        .map_err(on_table("(server)"))?;
    let token = conn
        .snapshot_export()
        .into_result()
        .map_err(on_table("(snapshot)"))?;
    let result = run(conn, request, host, &token, dir);
    let _ = conn.rollback();
    let (def, layout, sums) = result?;
    let schema = serde_json::to_string(&def).map_err(|e| BackupError::Schema(e.to_string()))?;
    let details =
        serde_json::to_string(&layout).map_err(|e| BackupError::Manifest(e.to_string()))?;
    Ok(BackupOutcome {
        format: FORMAT.into(),
        engine: dialect.name().into(),
        server_version: server.version,
        schema: schema.into(),
        tables: sums.into(),
        details: details.into(),
        extensions: Default::default(),
    })
}

type Dumped = (SchemaDefinition, Layout, Vec<TableSummary>);

/// A table as written: its chunks and its summary.
type Written = (Vec<crate::format::ChunkFile>, TableSummary);

fn run(
    conn: &mut ConnectionBox,
    request: &BackupRequest,
    host: Host<'_>,
    token: &str,
    dir: &Path,
) -> Result<Dumped, BackupError> {
    let def = read_schema(conn)?;
    let mut layout = layout_of(&def);
    let n = layout.tables.len();
    // Workers beyond the first join the snapshot before writers are let go.
    let want = if token.is_empty() {
        1
    } else {
        (request.parallel.max(1) as usize).min(n.max(1))
    };
    let mut extra: Vec<ConnectionBox> = Vec::new();
    for _ in 1..want {
        let mut c = host.connect().map_err(on_table("(worker connection)"))?;
        c.snapshot_import(token.into())
            .into_result()
            .map_err(on_table("(snapshot)"))?;
        extra.push(c);
    }
    conn.snapshot_release()
        .into_result()
        .map_err(on_table("(snapshot)"))?;
    let shared = Shared::new(host, n);
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Written>>> = Mutex::new(vec![None; n]);
    let tables = &layout.tables;
    let level = request.compress;
    let outcome: Result<(), BackupError> = std::thread::scope(|s| {
        let mut handles = Vec::new();
        let work = |c: &mut ConnectionBox| -> Result<(), BackupError> {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    return Ok(());
                }
                let done = dump_table(c, dir, i, &tables[i], level, &shared);
                match done {
                    Ok(r) => {
                        if let Ok(mut all) = results.lock() {
                            all[i] = Some(r);
                        }
                    }
                    Err(e) => {
                        shared.fail();
                        return Err(e);
                    }
                }
            }
        };
        for c in extra.iter_mut() {
            handles.push(s.spawn(move || work(c)));
        }
        let first = work(conn);
        let mut out = first;
        for h in handles {
            let r = h
                .join()
                .unwrap_or_else(|_| Err(BackupError::Worker("a worker panicked".into())));
            if out.is_ok() {
                out = r;
            }
        }
        out
    });
    for mut c in extra {
        let _ = c.rollback();
        let _ = c.close();
    }
    outcome?;
    let all = results
        .into_inner()
        .map_err(|_| BackupError::Worker("a worker panicked".into()))?;
    let mut sums = Vec::with_capacity(n);
    for (t, r) in layout.tables.iter_mut().zip(all) {
        let (chunks, sum) =
            r.ok_or_else(|| BackupError::Worker(format!("table {} was not written", t.display())))?;
        t.chunks = chunks;
        sums.push(sum);
    }
    Ok((def, layout, sums))
}

fn dump_table(
    conn: &mut ConnectionBox,
    dir: &Path,
    index: usize,
    t: &TableFiles,
    level: i32,
    shared: &Shared<'_>,
) -> Result<Written, BackupError> {
    let name = t.display();
    let mut writer = ChunkWriter::new(dir, index, level);
    let raw = std::cell::Cell::new(0u64);
    let sum = read_table(
        conn,
        t,
        &|| shared.stop(),
        |row| {
            raw.set(raw.get() + row.len() as u64);
            writer.row(row)
        },
        |rows| shared.advance("data", &name, rows, raw.replace(0)),
    )?;
    let (chunks, _bytes) = writer.finish()?;
    shared.table_done("data", &name);
    Ok((
        chunks,
        TableSummary {
            name: name.into(),
            rows: sum.rows,
            checksum: sum.hex().into(),
            extensions: Default::default(),
        },
    ))
}
