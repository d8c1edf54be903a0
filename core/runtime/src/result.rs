//! [`ResultSet`] and [`Columns`]: query results as the host hands them out.

use crate::received::Received;
use crate::{Error, Result, Value};
use myrmex_abi::{ColumnMeta, RArc, RVec, ValueNE};
use std::ops::Deref;

/// The columns of a result, shared: a driver may return the same list for every run of a
/// prepared statement, so comparing with [`Columns::same_as`] is a cheap cache check.
#[derive(Clone, Debug)]
pub struct Columns(RArc<RVec<ColumnMeta>>);

impl Columns {
    pub(crate) fn new(inner: RArc<RVec<ColumnMeta>>) -> Self {
        Columns(inner)
    }

    /// Columns built by the host itself (for results it makes, not a driver's).
    pub fn from_vec(columns: Vec<ColumnMeta>) -> Self {
        Columns(RArc::new(columns.into()))
    }

    /// True when both are the same shared list (not merely equal).
    pub fn same_as(&self, other: &Columns) -> bool {
        std::ptr::eq::<RVec<ColumnMeta>>(&*self.0, &*other.0)
    }
}

impl Deref for Columns {
    type Target = [ColumnMeta];
    fn deref(&self) -> &[ColumnMeta] {
        &self.0
    }
}

/// Values as they crossed the contract, made the host's: a value of a type this host does
/// not know is an error naming its column, never a misread.
pub(crate) fn receive(
    values: RVec<ValueNE>,
    columns: &[ColumnMeta],
    connection: &str,
) -> Result<Received> {
    Received::new(values).map_err(|(i, _)| {
        let width = columns.len().max(1);
        Error::UnknownValueType {
            connection: connection.to_string(),
            column: columns
                .get(i % width)
                .map(|c| c.name.to_string())
                .unwrap_or_default(),
        }
    })
}

/// The values of a result: in the buffer they arrived in (one batch), or gathered.
#[derive(Debug, Clone)]
pub(crate) enum Store {
    /// One batch, in place.
    Received(Received),
    /// Several batches, or values made by the host.
    Owned(Vec<Value>),
}

impl Deref for Store {
    type Target = [Value];
    fn deref(&self) -> &[Value] {
        match self {
            Store::Received(r) => r,
            Store::Owned(v) => v,
        }
    }
}

impl Store {
    fn into_vec(self) -> Vec<Value> {
        match self {
            Store::Received(r) => r.into_vec(),
            Store::Owned(v) => v,
        }
    }
}

/// Rows of a query, read to the end: columns plus values stored row by row.
#[derive(Debug, Clone)]
pub struct ResultSet {
    pub(crate) columns: Columns,
    pub(crate) values: Store,
}

impl ResultSet {
    /// Builds a result from columns and row-major values.
    pub fn new(columns: Columns, values: Vec<Value>) -> Self {
        ResultSet {
            columns,
            values: Store::Owned(values),
        }
    }

    /// The result columns.
    pub fn columns(&self) -> &[ColumnMeta] {
        &self.columns
    }

    /// The shared column list (cheap to clone).
    pub fn columns_shared(&self) -> Columns {
        self.columns.clone()
    }

    /// Column names in order.
    pub fn column_names(&self) -> Vec<&str> {
        self.columns.iter().map(|c| c.name.as_str()).collect()
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        if self.columns.is_empty() {
            0
        } else {
            self.values.len() / self.columns.len()
        }
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Row `i`.
    pub fn row(&self, i: usize) -> Option<&[Value]> {
        let w = self.columns.len();
        self.values.get(i * w..(i + 1) * w).filter(|_| w > 0)
    }

    /// The rows in order.
    pub fn rows(&self) -> impl Iterator<Item = &[Value]> {
        self.values
            .chunks_exact(self.columns.len().max(1))
            .take(self.len())
    }

    /// The value of column `name` in row `i`.
    pub fn get(&self, i: usize, name: &str) -> Option<&Value> {
        let col = self.columns.iter().position(|c| c.name.as_str() == name)?;
        self.row(i).map(|r| &r[col])
    }

    /// Consumes the result, giving its row-major values.
    pub fn into_values(self) -> Vec<Value> {
        self.values.into_vec()
    }
}
