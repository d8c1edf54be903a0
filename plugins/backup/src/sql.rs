//! Statements the logical strategy sends, and reading a table's rows through the contract.

use crate::codec::{encode_value, TableSum};
use crate::error::{on_table, BackupError};
use crate::format::TableFiles;
use myrmex_abi::{ConnectionBox, PlaceholderStyle, RSlice, RStr, ValueNE};
use myrmex_plugin::{ErrorKind, PluginError};
use myrmex_schema::Dialect;

/// Rows fetched per round trip while reading a table.
const FETCH_ROWS: u32 = 5000;

/// The table's name qualified and quoted for `d`.
pub fn qualified(d: Dialect, schema: Option<&str>, name: &str) -> String {
    match schema {
        Some(s) => format!("{}.{}", d.quote(s), d.quote(name)),
        None => d.quote(name),
    }
}

/// `SELECT c1, c2, … FROM t`.
pub fn select(d: Dialect, t: &TableFiles) -> String {
    let cols: Vec<String> = t.columns.iter().map(|c| d.quote(c)).collect();
    format!(
        "SELECT {} FROM {}",
        cols.join(", "),
        qualified(d, t.schema.as_deref(), &t.name)
    )
}

/// `INSERT INTO t (c1, …) VALUES (…), (…)` for `rows` rows, placeholders in `style`.
pub fn insert(
    d: Dialect,
    t: &TableFiles,
    rows: usize,
    style: PlaceholderStyle,
    overriding: bool,
) -> String {
    let width = t.columns.len();
    let cols: Vec<String> = t.columns.iter().map(|c| d.quote(c)).collect();
    let mut sql = format!(
        "INSERT INTO {} ({}){} VALUES ",
        qualified(d, t.schema.as_deref(), &t.name),
        cols.join(", "),
        if overriding {
            " OVERRIDING SYSTEM VALUE"
        } else {
            ""
        }
    );
    let mut n = 0;
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 0..width {
            if c > 0 {
                sql.push_str(", ");
            }
            n += 1;
            if style == PlaceholderStyle::DOLLAR {
                sql.push('$');
                sql.push_str(&n.to_string());
            } else {
                sql.push('?');
            }
        }
        sql.push(')');
    }
    sql
}

/// Reads every row of `t`, hands each encoded row to `each` and the row count of each
/// batch to `on_batch`; returns the table's sum. Stops with a cancelled error when
/// `cancelled` says so between batches.
pub fn read_table(
    conn: &mut ConnectionBox,
    d: Dialect,
    t: &TableFiles,
    cancelled: &dyn Fn() -> bool,
    mut each: impl FnMut(&[u8]) -> Result<(), BackupError>,
    mut on_batch: impl FnMut(u64),
) -> Result<TableSum, BackupError> {
    let table = t.display();
    let sql = select(d, t);
    let start = conn
        .query(RStr::from_str(&sql), RSlice::from_slice(&[]), FETCH_ROWS)
        .into_result()
        .map_err(on_table(&table))?;
    let width = start.columns.len();
    let mut sum = TableSum::default();
    let mut buf = Vec::with_capacity(256);
    let mut batch = start.first;
    loop {
        let mut batch_rows = 0u64;
        if width > 0 {
            for row in batch.values.chunks(width) {
                buf.clear();
                for v in row {
                    let v = v.as_enum().map_err(|_| BackupError::UnknownValue {
                        type_name: "a later contract's".into(),
                    })?;
                    encode_value(v, &mut buf)?;
                }
                sum.add(&buf);
                batch_rows += 1;
                each(&buf)?;
            }
        }
        on_batch(batch_rows);
        if batch.done {
            return Ok(sum);
        }
        if cancelled() {
            conn.close_cursor();
            return Err(BackupError::Table {
                table,
                source: PluginError::new(ErrorKind::CANCELLED, "cancelled at the user's request"),
            });
        }
        batch = conn
            .fetch(FETCH_ROWS)
            .into_result()
            .map_err(on_table(&table))?;
    }
}

/// Runs one statement without parameters.
pub fn exec(conn: &mut ConnectionBox, sql: &str, what: &str) -> Result<(), BackupError> {
    conn.execute(RStr::from_str(sql), RSlice::from_slice(&[]))
        .into_result()
        .map(|_| ())
        .map_err(on_table(what))
}

/// Runs one statement with parameters.
pub fn exec_params(
    conn: &mut ConnectionBox,
    sql: &str,
    params: &[ValueNE],
    table: &str,
) -> Result<(), BackupError> {
    conn.execute(RStr::from_str(sql), RSlice::from_slice(params))
        .into_result()
        .map(|_| ())
        .map_err(on_table(table))
}
