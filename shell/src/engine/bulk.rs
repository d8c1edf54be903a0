//! Bulk loading and copying for scripts: `db.insert_many(table, rows)`,
//! `db.copy_in(table, rows_or_path[, options])` and `copy_data(src, dst[, options])`.
//!
//! Rows go through the driver's bulk load (PostgreSQL COPY FROM STDIN, multi-row `INSERT`s
//! in one transaction elsewhere); a file in COPY text or CSV format streams to a driver that
//! loads it natively in chunks of whole lines, and is read row by row for the others.

use super::conn::Db;
use super::copy_in::{self, Load};
use super::copy_read::Syntax;
use super::package::function;
use super::value::{from_dynamic, runtime};
use myrmex_core::bulk::{BulkFormat, Chunk, CopyTarget};
use myrmex_core::transfer::{copy_data, CopyOptions, Quiet};
use myrmex_core::Value;
use rhai::{Array, Dynamic, EvalAltResult, Map, Module, INT};
use std::io::{BufRead, BufReader};

type RhaiResult<T> = Result<T, Box<EvalAltResult>>;

/// Bytes of a file sent per chunk to a native load.
const FILE_CHUNK: usize = 1 << 20;

/// The columns and values of `rows`: maps (columns from the first map's keys, in order) or
/// arrays (every column of the table).
fn rows_of(fname: &str, rows: &Array) -> RhaiResult<(Vec<String>, Vec<Vec<Value>>)> {
    let Some(first) = rows.first() else {
        return Ok((Vec::new(), Vec::new()));
    };
    if let Some(map) = first.read_lock::<Map>() {
        let columns: Vec<String> = map.keys().map(|k| k.to_string()).collect();
        drop(map);
        let mut out = Vec::with_capacity(rows.len());
        for (i, r) in rows.iter().enumerate() {
            let m = r.read_lock::<Map>().ok_or_else(|| {
                runtime(format!(
                    "{fname}(): row {} is not a map like the first",
                    i + 1
                ))
            })?;
            let mut row = Vec::with_capacity(columns.len());
            for (j, c) in columns.iter().enumerate() {
                let v = m.get(c.as_str()).cloned().unwrap_or(Dynamic::UNIT);
                row.push(from_dynamic(&v, j + 1)?);
            }
            if m.len() != columns.len() {
                return Err(runtime(format!(
                    "{fname}(): row {} has keys other than the first row's ({})",
                    i + 1,
                    columns.join(", ")
                )));
            }
            out.push(row);
        }
        return Ok((columns, out));
    }
    let mut out = Vec::with_capacity(rows.len());
    for (i, r) in rows.iter().enumerate() {
        let a = r.read_lock::<Array>().ok_or_else(|| {
            runtime(format!(
                "{fname}(): row {} is neither a map nor an array",
                i + 1
            ))
        })?;
        out.push(
            a.iter()
                .enumerate()
                .map(|(j, v)| from_dynamic(v, j + 1))
                .collect::<RhaiResult<Vec<_>>>()?,
        );
    }
    Ok((Vec::new(), out))
}

/// `db.insert_many(table, rows)`: the rows inserted.
fn insert_many(db: &Db, table: &str, rows: &Array) -> RhaiResult<INT> {
    let (columns, rows) = rows_of("insert_many", rows)?;
    let n = db.with(|c| c.insert_many(table, &columns, rows))?;
    Ok(n as INT)
}

/// The options of `copy_in` from a file.
fn file_options(o: &Map) -> RhaiResult<(BulkFormat, bool, Vec<String>)> {
    let mut format = BulkFormat::Csv;
    let mut header = None;
    let mut columns = Vec::new();
    for (k, v) in o {
        match k.as_str() {
            "format" => {
                format = match v.to_string().as_str() {
                    "csv" => BulkFormat::Csv,
                    "text" | "tsv" => BulkFormat::Text,
                    other => {
                        return Err(runtime(format!(
                            "copy_in(): format `{other}` is not one of csv, text"
                        )))
                    }
                }
            }
            "header" => {
                header = Some(
                    v.as_bool()
                        .map_err(|_| runtime("copy_in(): header must be true or false"))?,
                )
            }
            "columns" => {
                let a = v
                    .read_lock::<Array>()
                    .ok_or_else(|| runtime("copy_in(): columns must be an array of names"))?;
                columns = a.iter().map(|c| c.to_string()).collect();
            }
            other => {
                return Err(runtime(format!(
                    "copy_in(): unknown option `{other}` (format, header, columns)"
                )))
            }
        }
    }
    let header = header.unwrap_or(format == BulkFormat::Csv);
    Ok((format, header, columns))
}

/// `db.copy_in(table, path, options)`: streams the file to a native load, or reads it row by
/// row for a driver without one.
fn copy_in_file(db: &Db, table: &str, path: &str, o: &Map) -> RhaiResult<INT> {
    let (format, header, columns) = file_options(o)?;
    let (schema, name) = match table.split_once('.') {
        Some((s, t)) => (s.to_string(), t.to_string()),
        None => (String::new(), table.to_string()),
    };
    let target = CopyTarget {
        schema,
        table: name,
        columns: columns.clone(),
    };
    let file = std::fs::File::open(path)
        .map_err(|e| runtime(format!("copy_in(): cannot open {path}: {e}")))?;
    let native = db.with(|c| {
        // A driver without a native load refuses byte formats at the start: the rows of
        // the file are then read here (and a missing table is reported by that reader).
        let mut load = match c.copy_in_start(&target, format, header) {
            Ok(load) if load.is_native() => load,
            _ => return Ok(None),
        };
        let mut reader = BufReader::with_capacity(FILE_CHUNK, file);
        let mut buf = Vec::with_capacity(FILE_CHUNK + 4096);
        loop {
            let n = reader
                .read_until(b'\n', &mut buf)
                .map_err(|e| myrmex_core::Error::Io {
                    path: path.into(),
                    source: e,
                })?;
            if n == 0 || buf.len() >= FILE_CHUNK {
                if !buf.is_empty() {
                    load.write(&Chunk::from_bytes(std::mem::take(&mut buf)))?;
                }
                if n == 0 {
                    break;
                }
            }
        }
        load.finish().map(Some)
    })?;
    if let Some(n) = native {
        return Ok(n as INT);
    }
    // CSV lines may hold quoted line breaks: the row reader handles them for the others.
    let spec = Load {
        table: table.to_string(),
        columns: (!columns.is_empty()).then_some(columns),
        path: path.into(),
        syntax: if format == BulkFormat::Csv {
            Syntax::Csv
        } else {
            Syntax::Text
        },
        header,
        null: None,
    };
    let n = db.with(|c| Ok(copy_in::load(c, &spec)))?;
    n.map(|n| n as INT)
        .map_err(|e| runtime(format!("copy_in({table}): {e}")))
}

/// `copy_data(src, dst, options)`: the summary as a map.
fn copy(src: &Db, dst: &Db, o: &Map) -> RhaiResult<Dynamic> {
    let mut options = CopyOptions::default();
    let mut casts = Vec::new();
    for (k, v) in o {
        match k.as_str() {
            "tables" => {
                let a = v
                    .read_lock::<Array>()
                    .ok_or_else(|| runtime("copy_data(): tables must be an array of names"))?;
                options.tables = a.iter().map(|t| t.to_string()).collect();
            }
            "parallel" => {
                options.parallel = v
                    .as_int()
                    .map_err(|_| runtime("copy_data(): parallel must be an integer"))?
                    .max(1) as usize
            }
            "cast" => match v.read_lock::<Array>() {
                Some(a) => casts.extend(a.iter().map(|c| c.to_string())),
                None => casts.push(v.to_string()),
            },
            "resume" | "verify" | "strict" => {
                let b = v
                    .as_bool()
                    .map_err(|_| runtime(format!("copy_data(): {k} must be true or false")))?;
                match k.as_str() {
                    "resume" => options.resume = b,
                    "verify" => options.verify = b,
                    _ => options.strict = b,
                }
            }
            "chunk_rows" => {
                options.chunk_rows = v
                    .as_int()
                    .map_err(|_| runtime("copy_data(): chunk_rows must be an integer"))?
                    .max(1) as u64
            }
            other => {
                return Err(runtime(format!(
                    "copy_data(): unknown option `{other}` (tables, parallel, cast, resume, verify, strict, chunk_rows)"
                )))
            }
        }
    }
    options.rules = crate::copy_cmd::rules(None, &casts, options.strict)
        .map_err(|e| runtime(format!("copy_data(): {e}")))?;
    let summary = src.with(|s| {
        dst.with(|d| copy_data(s, d, &options, &Quiet))
            .map_err(|e| myrmex_core::Error::Transfer {
                table: String::new(),
                chunk: None,
                reason: e.to_string(),
            })
    })?;
    rhai::serde::to_dynamic(summary.to_json()).map_err(|e| runtime(format!("copy_data(): {e}")))
}

/// Registers `insert_many`, `copy_in` and `copy_data`.
pub fn register(module: &mut Module) {
    function("insert_many").set_into_module(module, |db: &mut Db, table: &str, rows: Array| {
        insert_many(db, table, &rows)
    });
    function("copy_in").set_into_module(module, |db: &mut Db, table: &str, rows: Array| {
        insert_many(db, table, &rows)
    });
    function("copy_in")
        .set_into_module(module, |db: &mut Db, table: &str, rows: Array, _o: Map| {
            insert_many(db, table, &rows)
        });
    function("copy_in").set_into_module(module, |db: &mut Db, table: &str, path: &str| {
        copy_in_file(db, table, path, &Map::new())
    });
    function("copy_in").set_into_module(module, |db: &mut Db, table: &str, path: &str, o: Map| {
        copy_in_file(db, table, path, &o)
    });
    function("copy_data")
        .set_into_module(module, |src: &mut Db, dst: Db| copy(src, &dst, &Map::new()));
    function("copy_data")
        .set_into_module(module, |src: &mut Db, dst: Db, o: Map| copy(src, &dst, &o));
}
