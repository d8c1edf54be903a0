//! Reading every row of a query, and building row batches.

use crate::{Connection, Params, PluginError, Value};
use myrmex_abi::{ErrorKind, RowBatch, ValueNE};

/// Runs `sql` on `conn` and collects every row (for catalog queries and tests).
pub fn all_rows<C: Connection + ?Sized>(
    conn: &mut C,
    sql: &str,
    params: Params<'_>,
) -> Result<Vec<Vec<Value>>, PluginError> {
    let start = conn.query(sql, params, 1024)?;
    let width = start.columns.len();
    let mut out = Vec::new();
    let mut batch = start.first;
    loop {
        push_rows(&mut out, &batch, width)?;
        if batch.done {
            return Ok(out);
        }
        batch = conn.fetch(1024)?;
    }
}

fn push_rows(out: &mut Vec<Vec<Value>>, batch: &RowBatch, width: usize) -> Result<(), PluginError> {
    if width == 0 {
        return Ok(());
    }
    for row in batch.values.chunks(width) {
        let row = row
            .iter()
            .map(|v| {
                v.as_enum().cloned().map_err(|_| {
                    PluginError::new(
                        ErrorKind::TYPE,
                        "a value of a type this plugin does not know",
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        out.push(row);
    }
    Ok(())
}

/// A row batch under construction: values are pushed row by row.
#[derive(Default)]
pub struct Batch {
    values: Vec<ValueNE>,
}

impl Batch {
    /// An empty batch with room for `values` values.
    pub fn with_capacity(values: usize) -> Self {
        Batch {
            values: Vec::with_capacity(values),
        }
    }

    /// Appends one value of the current row.
    #[inline]
    pub fn push(&mut self, value: Value) {
        self.values.push(ValueNE::from(value));
    }

    /// Number of values pushed.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// True when nothing was pushed.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The finished batch; `done` when the cursor is exhausted.
    pub fn finish(self, done: bool) -> RowBatch {
        RowBatch {
            values: self.values.into(),
            done,
        }
    }
}

/// A whole result made by the plugin itself (a catalog listing): named columns and rows,
/// every row in the first batch.
///
/// ```
/// use myrmex_plugin::{rows::result, Value};
/// let r = result(&["name"], vec![vec![Value::from("main")]]);
/// assert_eq!(r.columns.len(), 1);
/// assert!(r.first.done);
/// ```
pub fn result(columns: &[&str], rows: Vec<Vec<Value>>) -> myrmex_abi::QueryStart {
    let mut batch = Batch::with_capacity(columns.len() * rows.len());
    for row in rows {
        for v in row {
            batch.push(v);
        }
    }
    myrmex_abi::QueryStart {
        columns: myrmex_abi::RArc::new(
            columns
                .iter()
                .map(|c| myrmex_abi::ColumnMeta::new(*c, ""))
                .collect(),
        ),
        first: batch.finish(true),
    }
}

/// The column names and rows of a whole first batch (a catalog listing, a point query), for
/// tests and for code that reads back what it made.
///
/// ```
/// use myrmex_plugin::{rows::{result, table}, Value};
/// let (names, rows) = table(&result(&["n"], vec![vec![Value::Int(1)]])).unwrap();
/// assert_eq!((names, rows), (vec!["n".to_string()], vec![vec![Value::Int(1)]]));
/// ```
pub fn table(
    start: &myrmex_abi::QueryStart,
) -> Result<(Vec<String>, Vec<Vec<Value>>), PluginError> {
    let names: Vec<String> = start.columns.iter().map(|c| c.name.to_string()).collect();
    let mut rows = Vec::new();
    push_rows(&mut rows, &start.first, names.len())?;
    Ok((names, rows))
}
