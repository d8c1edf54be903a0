//! An open result, read row by row from the socket, and the column metadata it carries.

use crate::error::map;
use crate::types::{read, type_name, ReadKind};
use myrmex_abi::{RArc, RVec};
use myrmex_plugin::{Batch, ColumnMeta, PluginError};
use mysql::{Binary, Column, QueryResult};
use std::mem::ManuallyDrop;

/// Column metadata of a result, shared with the host and reused while the next result has
/// the same columns.
#[derive(Clone)]
pub struct Meta {
    /// The columns as the host sees them.
    pub names: RArc<RVec<ColumnMeta>>,
    /// How to read each column.
    pub kinds: Vec<ReadKind>,
    columns: Vec<Column>,
}

impl Meta {
    /// The metadata of `cols`.
    pub fn of(cols: &[Column]) -> Meta {
        Meta {
            names: RArc::new(
                cols.iter()
                    .map(|c| ColumnMeta::new(c.name_str().as_ref(), type_name(c)))
                    .collect(),
            ),
            kinds: cols.iter().map(ReadKind::of).collect(),
            columns: cols.to_vec(),
        }
    }

    /// True when `cols` are the same columns (name, type, flags and length).
    pub fn matches(&self, cols: &[Column]) -> bool {
        self.columns.len() == cols.len()
            && self.columns.iter().zip(cols).all(|(a, b)| {
                a.name_ref() == b.name_ref()
                    && a.column_type() == b.column_type()
                    && a.flags() == b.flags()
                    && a.column_length() == b.column_length()
            })
    }
}

/// An open result read row by row from the socket (unbuffered).
///
/// The result borrows the session's connection. The `mysql` crate offers no result that owns
/// its connection (its owning constructor is private), so the borrow is widened to `'static`
/// by [`crate::MysqlConnection`], which keeps the connection boxed at a stable address,
/// clears the cursor before any other use of the connection, and drops the cursor first.
pub struct Cursor {
    result: ManuallyDrop<QueryResult<'static, 'static, 'static, Binary>>,
    /// The result's columns.
    pub meta: Meta,
}

impl Cursor {
    /// A cursor over `result`, whose columns `meta` describes.
    pub fn new(result: QueryResult<'static, 'static, 'static, Binary>, meta: Meta) -> Self {
        Cursor {
            result: ManuallyDrop::new(result),
            meta,
        }
    }

    /// Reads up to `max` rows into `out`; true when the result is exhausted.
    pub fn read_batch(&mut self, max: usize, out: &mut Batch) -> Result<bool, PluginError> {
        for _ in 0..max {
            let Some(row) = self.result.next() else {
                return Ok(true);
            };
            let mut row = row.map_err(map)?;
            for (i, kind) in self.meta.kinds.iter().enumerate() {
                let v = row.take(i).unwrap_or(mysql::Value::NULL);
                out.push(read(v, *kind, &self.meta.columns[i])?);
            }
        }
        Ok(false)
    }
}

impl Drop for Cursor {
    fn drop(&mut self) {
        // SAFETY: dropped once, here, while the connection it borrows is still alive (see
        // the type's documentation). Dropping reads the rest of the result off the wire, as
        // the protocol requires.
        unsafe { ManuallyDrop::drop(&mut self.result) }
    }
}
