//! The kit's generic bulk path, for a driver without a native one: an export reads a query
//! through the driver's cursor and encodes its rows; a load runs multi-row `INSERT`s of
//! prepared shape inside one transaction.

use super::encode;
use crate::{Connection, Params, PluginError, Value};
use myrmex_abi::{
    CopyChunk, CopyFormat, CopyInRequest, CopyOutRequest, CopyOutStart, ErrorKind,
    PlaceholderStyle, ValueNE,
};

/// Most parameters one generic `INSERT` binds (under SQLite's 32,766 and MySQL's 65,535).
const MAX_PARAMS: usize = 30_000;

/// Most rows one generic `INSERT` carries.
const MAX_ROWS_PER_INSERT: usize = 2_000;

/// An export in progress.
pub struct GenericOut {
    format: CopyFormat,
    width: usize,
    /// The header line still to send (CSV with a header).
    header: Option<String>,
    /// Rows fetched and not yet sent.
    pending: Vec<ValueNE>,
    cursor_done: bool,
}

/// The `SELECT` of an export request.
fn export_sql<C: Connection>(conn: &C, request: &CopyOutRequest) -> String {
    if !request.query.is_empty() {
        return request.query.to_string();
    }
    let cols = if request.columns.is_empty() {
        "*".to_string()
    } else {
        request
            .columns
            .iter()
            .map(|c| conn.quote(c))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "SELECT {cols} FROM {}",
        qualified(conn, &request.schema, &request.table)
    )
}

/// `schema.table`, quoted; the table alone when `schema` is empty.
pub fn qualified<C: Connection + ?Sized>(conn: &C, schema: &str, table: &str) -> String {
    if schema.is_empty() {
        conn.quote(table)
    } else {
        format!("{}.{}", conn.quote(schema), conn.quote(table))
    }
}

impl GenericOut {
    /// Opens the cursor of `request` on `conn`.
    pub fn start<C: Connection>(
        conn: &mut C,
        request: &CopyOutRequest,
    ) -> Result<(GenericOut, CopyOutStart), PluginError> {
        if !matches!(
            request.format,
            CopyFormat::ROWS | CopyFormat::TEXT | CopyFormat::CSV
        ) {
            return Err(PluginError::unsupported(format!(
                "this driver cannot export in format {}",
                request.format.0
            )));
        }
        let sql = export_sql(conn, request);
        let first = conn.query(&sql, Params::none(), 2000)?;
        let width = first.columns.len();
        let header = (request.format == CopyFormat::CSV && request.header).then(|| {
            let mut line = String::new();
            for (i, c) in first.columns.iter().enumerate() {
                if i > 0 {
                    line.push(',');
                }
                encode::push_csv_name(&mut line, &c.name);
            }
            line.push('\n');
            line
        });
        let out = GenericOut {
            format: request.format,
            width,
            header,
            pending: first.first.values.into_vec(),
            cursor_done: first.first.done,
        };
        let start = CopyOutStart {
            columns: first.columns,
            native: false,
            extensions: Default::default(),
        };
        Ok((out, start))
    }

    /// The next chunk.
    pub fn read<C: Connection>(
        &mut self,
        conn: &mut C,
        max_bytes: u32,
        max_rows: u32,
    ) -> Result<CopyChunk, PluginError> {
        let max_rows = max_rows.max(1) as usize;
        let max_bytes = (max_bytes as usize).max(1);
        let mut chunk = CopyChunk {
            width: self.width as u32,
            ..CopyChunk::default()
        };
        let mut text = self.header.take().unwrap_or_default();
        let mut rows: Vec<ValueNE> = Vec::new();
        let mut count = 0usize;
        loop {
            if self.pending.is_empty() && !self.cursor_done {
                let batch = conn.fetch(max_rows.clamp(100, 5000) as u32)?;
                self.pending = batch.values.into_vec();
                self.cursor_done = batch.done;
            }
            if self.pending.is_empty() {
                chunk.done = self.cursor_done;
                break;
            }
            let full = if self.format == CopyFormat::ROWS {
                count >= max_rows
            } else {
                text.len() >= max_bytes
            };
            if full {
                break;
            }
            let take = if self.format == CopyFormat::ROWS {
                (max_rows - count).min(self.pending.len() / self.width.max(1))
            } else {
                1
            }
            .max(1);
            let n = (take * self.width).min(self.pending.len());
            let row: Vec<ValueNE> = self.pending.drain(..n).collect();
            count += take;
            if self.format == CopyFormat::ROWS {
                rows.extend(row);
            } else {
                let values = row
                    .iter()
                    .map(|v| v.as_enum().cloned().map_err(|_| unknown_value()))
                    .collect::<Result<Vec<Value>, _>>()?;
                encode::push_row(&mut text, &values, self.format == CopyFormat::CSV);
            }
        }
        chunk.data = text.into_bytes().into();
        chunk.rows = rows.into();
        Ok(chunk)
    }
}

fn unknown_value() -> PluginError {
    PluginError::new(
        ErrorKind::TYPE,
        "a value has a type this plugin does not know",
    )
}

/// A load in progress.
pub struct GenericIn {
    table: String,
    columns: String,
    placeholders: PlaceholderStyle,
    /// True when the load opened the transaction it runs in.
    owns_transaction: bool,
    rows: u64,
    /// The `INSERT` for a full batch, kept between chunks.
    full_sql: Option<(usize, String)>,
}

impl GenericIn {
    /// Prepares a load of `request` on `conn`; opens a transaction unless one is open.
    pub fn start<C: Connection>(
        conn: &mut C,
        request: &CopyInRequest,
    ) -> Result<GenericIn, PluginError> {
        if request.format != CopyFormat::ROWS {
            return Err(PluginError::unsupported(format!(
                "this driver loads only typed rows, not {} (it has no native bulk load)",
                request.format.name()
            )));
        }
        let dialect = conn.dialect()?;
        let columns = if request.columns.is_empty() {
            String::new()
        } else {
            let names: Vec<String> = request.columns.iter().map(|c| conn.quote(c)).collect();
            format!(" ({})", names.join(", "))
        };
        let owns_transaction = !conn.in_transaction();
        if owns_transaction {
            conn.begin()?;
        }
        Ok(GenericIn {
            table: qualified(conn, &request.schema, &request.table),
            columns,
            placeholders: dialect.placeholders,
            owns_transaction,
            rows: 0,
            full_sql: None,
        })
    }

    fn sql(&self, rows: usize, width: usize) -> String {
        let mut s = format!("INSERT INTO {}{} VALUES ", self.table, self.columns);
        let mut n = 0usize;
        for r in 0..rows {
            if r > 0 {
                s.push(',');
            }
            s.push('(');
            for c in 0..width {
                if c > 0 {
                    s.push(',');
                }
                n += 1;
                if self.placeholders == PlaceholderStyle::DOLLAR {
                    s.push('$');
                    s.push_str(&n.to_string());
                } else {
                    s.push('?');
                }
            }
            s.push(')');
        }
        s
    }

    /// Inserts the rows of `chunk`.
    pub fn write<C: Connection>(
        &mut self,
        conn: &mut C,
        chunk: &CopyChunk,
    ) -> Result<(), PluginError> {
        if !chunk.data.is_empty() {
            return Err(PluginError::invalid(
                "this load takes typed rows; the chunk holds bytes",
            ));
        }
        let width = chunk.width as usize;
        if width == 0 {
            return Ok(());
        }
        let per = (MAX_PARAMS / width).clamp(1, MAX_ROWS_PER_INSERT);
        for batch in chunk.rows.chunks(per * width) {
            let n = batch.len() / width;
            let sql = match &self.full_sql {
                Some((rows, sql)) if *rows == n => sql.clone(),
                _ => {
                    let sql = self.sql(n, width);
                    if n == per {
                        self.full_sql = Some((n, sql.clone()));
                    }
                    sql
                }
            };
            let r = conn.execute(&sql, Params::from_abi(batch))?;
            let _ = r;
            self.rows += n as u64;
        }
        Ok(())
    }

    /// Commits what the load opened; returns the rows loaded.
    pub fn finish<C: Connection>(self, conn: &mut C) -> Result<u64, PluginError> {
        if self.owns_transaction {
            conn.commit()?;
        }
        Ok(self.rows)
    }

    /// Rolls back what the load opened.
    pub fn abort<C: Connection>(self, conn: &mut C) -> Result<(), PluginError> {
        if self.owns_transaction && conn.in_transaction() {
            conn.rollback()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_shapes_follow_the_placeholder_style() {
        let mut g = GenericIn {
            table: "\"t\"".into(),
            columns: " (\"a\", \"b\")".into(),
            placeholders: PlaceholderStyle::QUESTION,
            owns_transaction: false,
            rows: 0,
            full_sql: None,
        };
        assert_eq!(
            g.sql(2, 2),
            "INSERT INTO \"t\" (\"a\", \"b\") VALUES (?,?),(?,?)"
        );
        g.placeholders = PlaceholderStyle::DOLLAR;
        assert_eq!(
            g.sql(2, 1),
            "INSERT INTO \"t\" (\"a\", \"b\") VALUES ($1),($2)"
        );
    }
}
