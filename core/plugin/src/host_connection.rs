//! A connection lent by the host (to an audit rule set, a backup strategy), used through the
//! contract with plain Rust calls.

use crate::{PluginError, Value};
use myrmex_abi::{
    ConnectionBox, DialectInfo, ErrorKind, RSlice, RStr, SchemaRequest, ServerInfo, ValueNE,
};
use myrmex_schema::SchemaDefinition;

/// A connection handed to a plugin by the host: the connection of whichever driver the user
/// connected with, used through the contract.
pub struct HostConnection<'a> {
    inner: &'a mut ConnectionBox,
}

impl<'a> HostConnection<'a> {
    /// Wraps a connection as it crossed the contract.
    pub fn new(inner: &'a mut ConnectionBox) -> Self {
        HostConnection { inner }
    }

    /// Runs a query and returns every row.
    pub fn rows(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Vec<Value>>, PluginError> {
        let params: Vec<ValueNE> = params.iter().cloned().map(ValueNE::from).collect();
        let start = self
            .inner
            .query(RStr::from_str(sql), RSlice::from_slice(&params), 1024)
            .into_result()?;
        let width = start.columns.len();
        let mut out = Vec::new();
        let mut batch = start.first;
        loop {
            if width > 0 {
                for row in batch.values.chunks(width) {
                    out.push(
                        row.iter()
                            .map(|v| {
                                v.as_enum().cloned().map_err(|_| {
                                    PluginError::new(
                                        ErrorKind::TYPE,
                                        "a value of a type this plugin does not know",
                                    )
                                })
                            })
                            .collect::<Result<Vec<_>, _>>()?,
                    );
                }
            }
            if batch.done {
                return Ok(out);
            }
            batch = self.inner.fetch(1024).into_result()?;
        }
    }

    /// Runs a query and returns every row as text (NULL as `None`, other values as their
    /// text form).
    pub fn text_rows(&mut self, sql: &str) -> Result<Vec<Vec<Option<String>>>, PluginError> {
        Ok(self
            .rows(sql, &[])?
            .into_iter()
            .map(|row| row.into_iter().map(text).collect())
            .collect())
    }

    /// The first column of the first row as text; `None` for no row or NULL.
    pub fn scalar(&mut self, sql: &str) -> Result<Option<String>, PluginError> {
        Ok(self
            .text_rows(sql)?
            .into_iter()
            .next()
            .and_then(|r| r.into_iter().next().flatten()))
    }

    /// Runs a statement that returns no rows; the number of rows it changed.
    pub fn execute(&mut self, sql: &str) -> Result<u64, PluginError> {
        Ok(self
            .inner
            .execute(RStr::from_str(sql), RSlice::from_slice(&[]))
            .into_result()?
            .rows_affected)
    }

    /// The schema of `schemas` (empty: the connection's current one).
    pub fn schema(&mut self, schemas: &[String]) -> Result<SchemaDefinition, PluginError> {
        let request = SchemaRequest {
            schemas: schemas.iter().map(|s| s.as_str().into()).collect(),
            extensions: Default::default(),
        };
        let tree = self.inner.schema(&request).into_result()?;
        crate::tree::from_tree(&tree)
            .map_err(|e| PluginError::new(ErrorKind::INTERNAL, format!("the schema: {e}")))
    }

    /// The connection's dialect.
    pub fn dialect(&mut self) -> Result<DialectInfo, PluginError> {
        self.inner.dialect().into_result()
    }

    /// The server's engine and version.
    pub fn server_info(&mut self) -> Result<ServerInfo, PluginError> {
        self.inner.server_info().into_result()
    }
}

/// The text form of a value for rule checks: NULL is `None`.
fn text(v: Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::Text(s) => Some(s.into()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Int(i) => Some(i.to_string()),
        Value::Float(f) => Some(f.to_string()),
        Value::Blob(b) => Some(String::from_utf8_lossy(&b).into_owned()),
        Value::Decimal(s)
        | Value::Date(s)
        | Value::Time(s)
        | Value::Timestamp(s)
        | Value::TimestampTz(s)
        | Value::Json(s) => Some(s.into()),
        Value::Uuid(b) => Some(Value::format_uuid(&b)),
        other => Some(format!("{other:?}")),
    }
}
