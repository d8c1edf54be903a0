//! Restoring a logical backup into the same engine: tables first, then the rows through
//! multi-row inserts, then indexes, foreign keys, views and triggers; in one transaction
//! where the engine's DDL is transactional, table by table elsewhere.

use crate::codec::Decoder;
use crate::dump::{dialect_of, read_schema, Shared};
use crate::error::{on_table, BackupError};
use crate::format::{ChunkReader, Layout, TableFiles};
use crate::sql::{exec, exec_params, insert, qualified, read_table};
use myrmex_abi::{ConnectionBox, PlaceholderStyle, RSlice, RStr, ValueNE};
use myrmex_plugin::backup::{Host, RestoreOutcome, RestoreRequest, TableSummary};
use myrmex_schema::{diff, Dialect, Identity, SchemaDefinition, SchemaGenerator};
use serde::Deserialize;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// The parts of the host's manifest a restore reads.
#[derive(Deserialize)]
struct Manifest {
    engine: String,
    schema: SchemaDefinition,
    details: Layout,
}

/// The restore's own settings.
#[derive(Deserialize, Default)]
struct Settings {
    /// Read every table back after loading and return its content checksum.
    #[serde(default)]
    checksum: bool,
}

/// Restores the backup in `request.directory` into the database `conn` reaches.
pub fn restore(
    conn: &mut ConnectionBox,
    request: &RestoreRequest,
    host: Host<'_>,
) -> Result<RestoreOutcome, BackupError> {
    let manifest: Manifest = serde_json::from_str(request.manifest.as_str())
        .map_err(|e| BackupError::Manifest(e.to_string()))?;
    let settings: Settings = if request.settings.is_empty() {
        Settings::default()
    } else {
        serde_json::from_str(request.settings.as_str())
            .map_err(|e| BackupError::Manifest(format!("restore settings: {e}")))?
    };
    let d = dialect_of(conn)?;
    let info = conn.dialect().into_result().map_err(on_table("(dialect)"))?;
    let from: Dialect = manifest
        .engine
        .parse()
        .map_err(|e: myrmex_schema::SchemaError| BackupError::Schema(e.to_string()))?;
    if from != d && !(from.is_mysql_family() && d.is_mysql_family()) {
        return Err(BackupError::Schema(format!(
            "this backup is of a {} database; restoring it into {} needs schema conversion, which this build does not have",
            from.name(),
            d.name()
        )));
    }
    let existing = conn.tables().into_result().map_err(on_table("(tables)"))?;
    if !existing.is_empty() && !request.clean {
        let names: Vec<String> = existing.iter().take(5).map(|t| t.name.to_string()).collect();
        return Err(BackupError::NotEmpty {
            tables: names.join(", "),
        });
    }
    let dir = Path::new(request.directory.as_str());
    let one_transaction = info.transactional_ddl;
    if one_transaction {
        conn.begin().into_result().map_err(on_table("(begin)"))?;
    }
    let result = load(
        conn,
        request,
        host,
        d,
        info.placeholders,
        &manifest,
        dir,
        !existing.is_empty(),
        one_transaction,
    );
    match result {
        Ok(()) if one_transaction => conn.commit().into_result().map_err(on_table("(commit)"))?,
        Ok(()) => {}
        Err(e) => {
            if one_transaction {
                let _ = conn.rollback();
            }
            return Err(e);
        }
    }
    let mut tables = Vec::new();
    for t in &manifest.details.tables {
        let name = t.display();
        let rows: u64 = t.chunks.iter().map(|c| c.rows).sum();
        let (rows, checksum) = if settings.checksum {
            let sum = read_table(conn, d, t, &|| host.cancelled(), |_| Ok(()), |_| {})?;
            (sum.rows, sum.hex())
        } else {
            (rows, String::new())
        };
        tables.push(TableSummary {
            name: name.into(),
            rows,
            checksum: checksum.into(),
            extensions: Default::default(),
        });
    }
    Ok(RestoreOutcome {
        tables: tables.into(),
        extensions: Default::default(),
    })
}

/// The schema without what is created after the data: indexes, views, routines, triggers,
/// events, and foreign keys (kept on SQLite, which cannot add one later without rebuilding
/// the table; its checks are deferred to the commit instead).
fn before_data(def: &SchemaDefinition, d: Dialect) -> SchemaDefinition {
    let mut s = def.clone();
    for t in &mut s.tables {
        t.indexes.clear();
        if d != Dialect::Sqlite {
            t.foreign_keys.clear();
        }
    }
    s.views.clear();
    s.routines.clear();
    s.triggers.clear();
    s.events.clear();
    s.grants.clear();
    s
}

#[allow(clippy::too_many_arguments)]
fn load(
    conn: &mut ConnectionBox,
    request: &RestoreRequest,
    host: Host<'_>,
    d: Dialect,
    style: PlaceholderStyle,
    manifest: &Manifest,
    dir: &Path,
    clean: bool,
    one_transaction: bool,
) -> Result<(), BackupError> {
    if clean {
        let current = read_schema(conn)?;
        let drops = diff(&current, &SchemaDefinition::default(), d)
            .map_err(|e| BackupError::Schema(e.to_string()))?;
        for c in drops {
            exec(conn, &c.sql, &c.description)?;
        }
    }
    let first = before_data(&manifest.schema, d);
    let ddl = SchemaGenerator::new(d)
        .statements(&first)
        .map_err(|e| BackupError::Schema(e.to_string()))?;
    for stmt in &ddl {
        exec(conn, stmt, "(schema)")?;
    }
    if d == Dialect::Sqlite {
        exec(conn, "PRAGMA defer_foreign_keys = ON", "(schema)")?;
    }
    let tables = &manifest.details.tables;
    let shared = Shared::new(host, tables.len());
    let workers = if one_transaction {
        1
    } else {
        (request.parallel.max(1) as usize).min(tables.len().max(1))
    };
    let mut extra = Vec::new();
    for _ in 1..workers {
        extra.push(host.connect().map_err(on_table("(worker connection)"))?);
    }
    let next = AtomicUsize::new(0);
    let failure: Mutex<Option<BackupError>> = Mutex::new(None);
    std::thread::scope(|s| {
        let work = |c: &mut ConnectionBox| loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= tables.len() || shared.stop() {
                return;
            }
            let t = &tables[i];
            let always = manifest
                .schema
                .table(&t.name)
                .is_some_and(|def| def.columns.iter().any(|c| c.identity == Identity::Always));
            let r = if one_transaction {
                load_table(c, d, style, dir, t, always, &shared)
            } else {
                in_transaction(c, &t.display(), |c| {
                    load_table(c, d, style, dir, t, always, &shared)
                })
            };
            if let Err(e) = r {
                shared.fail();
                if let Ok(mut f) = failure.lock() {
                    f.get_or_insert(e);
                }
                return;
            }
            shared.table_done("data", &t.display());
        };
        for c in extra.iter_mut() {
            s.spawn(move || work(c));
        }
        work(conn);
    });
    for mut c in extra {
        let _ = c.close();
    }
    if let Some(e) = failure.into_inner().ok().flatten() {
        return Err(e);
    }
    host.check_cancelled().map_err(on_table("(data)"))?;
    for c in diff(&first, &manifest.schema, d).map_err(|e| BackupError::Schema(e.to_string()))? {
        exec(conn, &c.sql, &c.description)?;
    }
    if d == Dialect::Postgres {
        reset_sequences(conn, d, &manifest.schema)?;
    }
    Ok(())
}

fn in_transaction(
    c: &mut ConnectionBox,
    table: &str,
    f: impl FnOnce(&mut ConnectionBox) -> Result<(), BackupError>,
) -> Result<(), BackupError> {
    c.begin().into_result().map_err(on_table(table))?;
    match f(c) {
        Ok(()) => c.commit().into_result().map_err(on_table(table)),
        Err(e) => {
            let _ = c.rollback();
            Err(e)
        }
    }
}

fn load_table(
    conn: &mut ConnectionBox,
    d: Dialect,
    style: PlaceholderStyle,
    dir: &Path,
    t: &TableFiles,
    overriding: bool,
    shared: &Shared<'_>,
) -> Result<(), BackupError> {
    let name = t.display();
    let width = t.columns.len();
    if width == 0 {
        return Ok(());
    }
    let per = (16_000 / width).clamp(1, 1000);
    let full = insert(d, t, per, style, overriding);
    let mut params: Vec<ValueNE> = Vec::with_capacity(per * width);
    let mut pending = 0usize;
    for chunk in &t.chunks {
        let mut reader = ChunkReader::open(dir, &chunk.file)?;
        let mut rows = 0u64;
        loop {
            let more = reader.fill()?;
            let mut dec = Decoder::new(reader.buffer());
            let mut row_start = 0;
            'rows: loop {
                for _ in 0..width {
                    match dec.value() {
                        Some(v) => params.push(ValueNE::from(v)),
                        None => {
                            params.truncate(pending * width);
                            break 'rows;
                        }
                    }
                }
                row_start = dec.position();
                pending += 1;
                rows += 1;
                if pending == per {
                    exec_params(conn, &full, &params, &name)?;
                    shared.advance("data", &name, pending as u64, 0);
                    params.clear();
                    pending = 0;
                    if shared.stop() {
                        return Err(BackupError::Table {
                            table: name,
                            source: myrmex_plugin::PluginError::new(
                                myrmex_plugin::ErrorKind::CANCELLED,
                                "stopped: cancelled, or another table failed",
                            ),
                        });
                    }
                }
            }
            reader.consume(row_start);
            if !more {
                if !reader.buffer().is_empty() || rows != chunk.rows {
                    return Err(BackupError::Damaged {
                        table: name,
                        chunk: chunk.file.clone(),
                        offset: row_start,
                    });
                }
                break;
            }
        }
        shared.advance("data", &name, 0, reader.size);
    }
    if pending > 0 {
        let sql = insert(d, t, pending, style, overriding);
        exec_params(conn, &sql, &params, &name)?;
        shared.advance("data", &name, pending as u64, 0);
    }
    Ok(())
}

/// Moves every PostgreSQL sequence behind an identity or serial column past the largest
/// value restored, so the next insert does not collide.
fn reset_sequences(
    conn: &mut ConnectionBox,
    d: Dialect,
    def: &SchemaDefinition,
) -> Result<(), BackupError> {
    for t in &def.tables {
        let table = qualified(d, t.schema.as_deref(), &t.name);
        for c in &t.columns {
            let serial = matches!(&c.default, Some(myrmex_schema::DefaultValue::Expr { expr }) if expr.contains("nextval("));
            if c.identity == Identity::No && !serial {
                continue;
            }
            let sql = format!(
                "SELECT setval(pg_get_serial_sequence({}, {}), COALESCE(MAX({}), 0) + 1, false) FROM {}",
                d.literal(&table),
                d.literal(&c.name),
                d.quote(&c.name),
                table
            );
            conn.query(RStr::from_str(&sql), RSlice::from_slice(&[]), 1)
                .into_result()
                .map_err(on_table(&table))?;
            conn.close_cursor();
        }
    }
    Ok(())
}
