//! Restoring a logical backup (into the same engine, or into another one once the host has
//! converted the manifest's schema for it): tables first, then the rows through
//! the driver's bulk load (COPY FROM STDIN on PostgreSQL, multi-row inserts elsewhere), then indexes, foreign keys, views and triggers; in one transaction
//! where the engine's DDL is transactional, table by table elsewhere.

use crate::codec::Decoder;
use crate::dump::{dialect_of, read_schema, Shared};
use crate::error::{on_table, BackupError};
use crate::format::{ChunkReader, Layout, TableFiles};
use crate::sql::{exec, read_table, Loader};
use myrmex_abi::{ConnectionBox, RStr, ValueNE};
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
#[derive(Deserialize)]
struct Settings {
    /// Read every table back after loading and return its content checksum.
    #[serde(default)]
    checksum: bool,
    /// On an engine with transactional DDL, the whole restore in one transaction (the
    /// default: a failed or killed restore leaves nothing). `false` loads tables in parallel,
    /// each in its own transaction, as `pg_restore -j` does; a failure or cancellation then
    /// drops what the restore created. SQLite, which has one writer, always takes one.
    #[serde(default = "yes")]
    single_transaction: bool,
}

fn yes() -> bool {
    true
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            checksum: false,
            single_transaction: true,
        }
    }
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
    let info = conn
        .dialect()
        .into_result()
        .map_err(on_table("(dialect)"))?;
    let from: Dialect = manifest
        .engine
        .parse()
        .map_err(|e: myrmex_schema::SchemaError| BackupError::Schema(e.to_string()))?;
    if from != d && !(from.is_mysql_family() && d.is_mysql_family()) {
        return Err(BackupError::Schema(format!(
            "this backup is of a {} database and its schema was not converted for {} (the host converts it before a restore into another engine)",
            from.name(),
            d.name()
        )));
    }
    let existing = conn.tables().into_result().map_err(on_table("(tables)"))?;
    if !existing.is_empty() && !request.clean {
        let names: Vec<String> = existing
            .iter()
            .take(5)
            .map(|t| t.name.to_string())
            .collect();
        return Err(BackupError::NotEmpty {
            tables: names.join(", "),
        });
    }
    let dir = Path::new(request.directory.as_str());
    let one_transaction =
        info.transactional_ddl && (settings.single_transaction || d == Dialect::Sqlite);
    if one_transaction {
        conn.begin().into_result().map_err(on_table("(begin)"))?;
    }
    let result = load(
        conn,
        request,
        host,
        d,
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
            } else if info.transactional_ddl {
                // Tables loaded in their own transactions: what this restore created goes.
                let _ = drop_all(conn, d);
            }
            return Err(e);
        }
    }
    let mut tables = Vec::new();
    for t in &manifest.details.tables {
        let name = t.display();
        let rows: u64 = t.chunks.iter().map(|c| c.rows).sum();
        let (rows, checksum) = if settings.checksum {
            let sum = read_table(conn, t, &|| host.cancelled(), |_| Ok(()), |_| {})?;
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
    manifest: &Manifest,
    dir: &Path,
    clean: bool,
    one_transaction: bool,
) -> Result<(), BackupError> {
    if clean {
        drop_all(conn, d)?;
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
            let r = if one_transaction {
                load_table(c, dir, t, &shared)
            } else {
                in_transaction(c, &t.display(), |c| load_table(c, dir, t, &shared))
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
    reset_identities(conn, &manifest.schema)?;
    Ok(())
}

/// Drops what the target holds: views, triggers and foreign keys first (SQLite keeps its
/// foreign keys, whose checks are deferred to the commit), then every table.
fn drop_all(conn: &mut ConnectionBox, d: Dialect) -> Result<(), BackupError> {
    let current = read_schema(conn)?;
    if current.tables.is_empty() {
        return Ok(());
    }
    let mut bare = current.clone();
    if d != Dialect::Sqlite {
        for t in &mut bare.tables {
            t.foreign_keys.clear();
        }
    }
    bare.views.clear();
    bare.triggers.clear();
    bare.routines.clear();
    bare.events.clear();
    for c in diff(&current, &bare, d).map_err(|e| BackupError::Schema(e.to_string()))? {
        exec(conn, &c.sql, &c.description)?;
    }
    if d == Dialect::Sqlite {
        exec(conn, "PRAGMA defer_foreign_keys = ON", "(clean)")?;
    }
    for t in children_first(&current) {
        let name = match &t.schema {
            Some(s) => format!("{}.{}", d.quote(s), d.quote(&t.name)),
            None => d.quote(&t.name),
        };
        exec(conn, &format!("DROP TABLE {name}"), &t.name)?;
    }
    Ok(())
}

/// The tables, each after every table that references it (a cycle keeps its order), so that
/// dropping one never checks foreign keys of rows about to go.
fn children_first(def: &SchemaDefinition) -> Vec<&myrmex_schema::Table> {
    let mut left: Vec<&myrmex_schema::Table> = def.tables.iter().collect();
    let mut out = Vec::with_capacity(left.len());
    while !left.is_empty() {
        let free = left.iter().position(|t| {
            !left
                .iter()
                .any(|o| o.name != t.name && o.foreign_keys.iter().any(|f| f.ref_table == t.name))
        });
        out.push(left.remove(free.unwrap_or(0)));
    }
    out
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
    dir: &Path,
    t: &TableFiles,
    shared: &Shared<'_>,
) -> Result<(), BackupError> {
    let name = t.display();
    let width = t.columns.len();
    if width == 0 {
        return Ok(());
    }
    let mut loader = Loader::start(conn, t)?;
    let fed = feed(&mut loader, dir, t, width, shared);
    match fed {
        Ok(expected) => {
            let loaded = loader.finish()?;
            if loaded != expected {
                return Err(BackupError::Table {
                    table: name,
                    source: myrmex_plugin::PluginError::new(
                        myrmex_plugin::ErrorKind::DATABASE,
                        format!("{loaded} rows loaded, {expected} in the backup"),
                    ),
                });
            }
            shared.advance("data", &t.display(), 0, 0);
            Ok(())
        }
        Err(e) => {
            loader.abort();
            Err(e)
        }
    }
}

/// Decodes every chunk of `t` into the loader; the rows fed.
fn feed(
    loader: &mut Loader<'_>,
    dir: &Path,
    t: &TableFiles,
    width: usize,
    shared: &Shared<'_>,
) -> Result<u64, BackupError> {
    let name = t.display();
    let mut total = 0u64;
    for chunk in &t.chunks {
        let mut reader = ChunkReader::open(dir, &chunk.file)?;
        let mut rows = 0u64;
        loop {
            let more = reader.fill()?;
            let mut dec = Decoder::new(reader.buffer());
            let mut row_start = 0;
            let mut batch = 0u64;
            'rows: loop {
                let before = loader.pending_values();
                for _ in 0..width {
                    match dec.value() {
                        Some(v) => loader.push(ValueNE::from(v))?,
                        None => {
                            loader.truncate(before);
                            break 'rows;
                        }
                    }
                }
                row_start = dec.position();
                rows += 1;
                batch += 1;
            }
            reader.consume(row_start);
            shared.advance("data", &name, batch, 0);
            if shared.stop() {
                return Err(BackupError::Table {
                    table: name,
                    source: myrmex_plugin::PluginError::new(
                        myrmex_plugin::ErrorKind::CANCELLED,
                        "stopped: cancelled, or another table failed",
                    ),
                });
            }
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
        total += rows;
        shared.advance("data", &name, 0, reader.size);
    }
    Ok(total)
}

/// Makes every identity, serial or auto-increment column's generator continue after the
/// largest value restored, so the next insert does not collide (the driver knows how; an
/// engine whose counters follow inserted values does nothing).
fn reset_identities(conn: &mut ConnectionBox, def: &SchemaDefinition) -> Result<(), BackupError> {
    for t in &def.tables {
        for c in &t.columns {
            let serial = matches!(&c.default, Some(myrmex_schema::DefaultValue::Expr { expr }) if expr.contains("nextval("));
            if c.identity == Identity::No && !serial {
                continue;
            }
            conn.reset_identity(
                RStr::from_str(t.schema.as_deref().unwrap_or("")),
                RStr::from_str(&t.name),
                RStr::from_str(&c.name),
            )
            .into_result()
            .map_err(on_table(&t.name))?;
        }
    }
    Ok(())
}
