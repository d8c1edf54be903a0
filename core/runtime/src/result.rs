//! [`ResultSet`]: a fully read query result.

use myrmex_abi::{ColumnMeta, RArc, RVec, Value};

/// Rows of a query, read to the end: columns plus values stored row by row.
#[derive(Debug, Clone)]
pub struct ResultSet {
    pub(crate) columns: RArc<RVec<ColumnMeta>>,
    pub(crate) values: RVec<Value>,
}

impl ResultSet {
    /// Builds a result from columns and row-major values.
    pub fn new(columns: RArc<RVec<ColumnMeta>>, values: RVec<Value>) -> Self {
        ResultSet { columns, values }
    }

    /// The result columns.
    pub fn columns(&self) -> &[ColumnMeta] {
        &self.columns
    }

    /// The shared column list (cheap to clone).
    pub fn columns_shared(&self) -> RArc<RVec<ColumnMeta>> {
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
    pub fn into_values(self) -> RVec<Value> {
        self.values
    }
}
