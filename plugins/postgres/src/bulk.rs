//! Bulk export and load on PostgreSQL's COPY protocol (what psql's `\copy` and pg_dump use).
//!
//! Byte formats pass COPY's own output through untouched (`COPY … TO STDOUT` in text or CSV
//! is exactly what psql writes). Typed rows are read with `COPY … TO STDOUT (FORMAT binary)`
//! and decoded as the cursor decodes results; they are loaded as COPY text, which the
//! server parses by each column's type the way it parses a text parameter.

use crate::conn::PgConnection;
use crate::error;
use crate::types::PgValue;
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use myrmex_plugin::bulk::{
    encode, CopyChunk, CopyFormat, CopyInRequest, CopyOutRequest, CopyOutStart,
};
use myrmex_plugin::{sql, Batch, ColumnMeta, ErrorKind, PluginError, RArc, RVec, Value};
use std::pin::Pin;
use tokio_postgres::binary_copy::BinaryCopyOutStream;
use tokio_postgres::{CopyInSink, CopyOutStream};

/// The COPY in progress on a connection.
pub(crate) enum Copy {
    /// Text or CSV lines from the server.
    OutBytes(Pin<Box<CopyOutStream>>),
    /// Binary rows from the server, decoded by column type.
    OutRows {
        rows: Pin<Box<BinaryCopyOutStream>>,
        columns: RArc<RVec<ColumnMeta>>,
    },
    /// Lines to the server; `rows` when the host sends typed rows (encoded here).
    In {
        sink: Pin<Box<CopyInSink<Bytes>>>,
        rows: bool,
    },
}

fn quote(name: &str) -> String {
    sql::quote_ident(name, '"')
}

fn qualified(schema: &str, table: &str) -> String {
    if schema.is_empty() {
        quote(table)
    } else {
        format!("{}.{}", quote(schema), quote(table))
    }
}

fn column_list(columns: &RVec<myrmex_plugin::RString>) -> String {
    if columns.is_empty() {
        String::new()
    } else {
        let names: Vec<String> = columns.iter().map(|c| quote(c)).collect();
        format!(" ({})", names.join(", "))
    }
}

/// The `SELECT` whose columns an export has (a table's, or the query's).
fn select_of(request: &CopyOutRequest) -> String {
    if !request.query.is_empty() {
        return request.query.to_string();
    }
    let cols = if request.columns.is_empty() {
        "*".to_string()
    } else {
        request
            .columns
            .iter()
            .map(|c| quote(c))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "SELECT {cols} FROM {}",
        qualified(&request.schema, &request.table)
    )
}

/// The `COPY … TO STDOUT` of an export.
fn copy_out_sql(request: &CopyOutRequest) -> String {
    let source = if request.query.is_empty() {
        format!(
            "{}{}",
            qualified(&request.schema, &request.table),
            column_list(&request.columns)
        )
    } else {
        format!("({})", request.query.trim().trim_end_matches(';'))
    };
    let with = match request.format {
        CopyFormat::CSV if request.header => " (FORMAT csv, HEADER true)",
        CopyFormat::CSV => " (FORMAT csv)",
        CopyFormat::ROWS => " (FORMAT binary)",
        _ => "",
    };
    format!("COPY {source} TO STDOUT{with}")
}

fn unknown_format(f: CopyFormat) -> PluginError {
    PluginError::unsupported(format!("PostgreSQL has no COPY format numbered {}", f.0))
}

fn no_copy() -> PluginError {
    PluginError::invalid("no COPY is in progress on this connection")
}

impl PgConnection {
    /// Starts `COPY … TO STDOUT`.
    pub(crate) fn bulk_out_start(
        &mut self,
        request: &CopyOutRequest,
    ) -> Result<CopyOutStart, PluginError> {
        if !matches!(
            request.format,
            CopyFormat::ROWS | CopyFormat::TEXT | CopyFormat::CSV
        ) {
            return Err(unknown_format(request.format));
        }
        let select = select_of(request);
        let mut copy = copy_out_sql(request);
        let live = self.live()?;
        let stmt = live
            .wait(live.client.prepare(&select))
            .map_err(|e| error::map_for(e, &select))?;
        let columns: RArc<RVec<ColumnMeta>> = RArc::new(
            stmt.columns()
                .iter()
                .map(|c| ColumnMeta::new(c.name(), c.type_().name()))
                .collect(),
        );
        let mut types: Vec<_> = stmt.columns().iter().map(|c| c.type_().clone()).collect();
        if request.format == CopyFormat::ROWS && !types.iter().all(crate::types::decodable) {
            // Columns of types without a binary reader here travel as their text form.
            let list: Vec<String> = types
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    if crate::types::decodable(t) {
                        format!("q.c{i}")
                    } else {
                        format!("q.c{i}::text")
                    }
                })
                .collect();
            let names: Vec<String> = (0..types.len()).map(|i| format!("c{i}")).collect();
            copy = format!(
                "COPY (SELECT {} FROM ({}) AS q({})) TO STDOUT (FORMAT binary)",
                list.join(", "),
                select.trim().trim_end_matches(';'),
                names.join(", ")
            );
            for t in types.iter_mut().filter(|t| !crate::types::decodable(t)) {
                *t = tokio_postgres::types::Type::TEXT;
            }
        }
        let stream = live
            .wait(live.client.copy_out(copy.as_str()))
            .map_err(|e| error::map_for(e, &copy))?;
        self.copy = Some(if request.format == CopyFormat::ROWS {
            Copy::OutRows {
                rows: Box::pin(BinaryCopyOutStream::new(stream, &types)),
                columns: columns.clone(),
            }
        } else {
            Copy::OutBytes(Box::pin(stream))
        });
        Ok(CopyOutStart {
            columns,
            native: true,
            extensions: RVec::new(),
        })
    }

    /// The next chunk of the export.
    pub(crate) fn bulk_out_read(
        &mut self,
        max_bytes: u32,
        max_rows: u32,
    ) -> Result<CopyChunk, PluginError> {
        let mut copy = self.copy.take().ok_or_else(no_copy)?;
        let live = self.session.live()?;
        let chunk = match &mut copy {
            Copy::OutBytes(stream) => {
                let max = (max_bytes as usize).max(1);
                live.wait(async {
                    let mut data: Vec<u8> = Vec::with_capacity(max + 4096);
                    while data.len() < max {
                        match stream.next().await {
                            Some(part) => data.extend_from_slice(&part.map_err(error::map)?),
                            None => {
                                return Ok(CopyChunk {
                                    data: data.into(),
                                    done: true,
                                    ..CopyChunk::default()
                                })
                            }
                        }
                    }
                    Ok::<_, PluginError>(CopyChunk {
                        data: data.into(),
                        ..CopyChunk::default()
                    })
                })?
            }
            Copy::OutRows { rows, columns } => {
                let width = columns.len();
                let max = max_rows.max(1) as usize;
                live.wait(async {
                    let mut batch = Batch::with_capacity(max.min(4096) * width);
                    let mut done = false;
                    for _ in 0..max {
                        let Some(row) = rows.next().await else {
                            done = true;
                            break;
                        };
                        let row = row.map_err(error::map)?;
                        for (i, col) in columns.iter().enumerate() {
                            let v: PgValue = row.try_get(i).map_err(|e| {
                                PluginError::new(
                                    ErrorKind::TYPE,
                                    format!("column `{}` ({}): {e}", col.name, col.decl_type),
                                )
                            })?;
                            batch.push(v.0);
                        }
                    }
                    Ok::<_, PluginError>(CopyChunk {
                        rows: batch.finish(done).values,
                        width: width as u32,
                        done,
                        ..CopyChunk::default()
                    })
                })?
            }
            Copy::In { .. } => return Err(no_copy()),
        };
        if !chunk.done {
            self.copy = Some(copy);
        }
        Ok(chunk)
    }

    /// Starts `COPY … FROM STDIN`.
    pub(crate) fn bulk_in_start(&mut self, request: &CopyInRequest) -> Result<(), PluginError> {
        let with = match request.format {
            CopyFormat::TEXT | CopyFormat::ROWS => "",
            CopyFormat::CSV if request.header => " (FORMAT csv, HEADER true)",
            CopyFormat::CSV => " (FORMAT csv)",
            other => return Err(unknown_format(other)),
        };
        let copy = format!(
            "COPY {}{} FROM STDIN{with}",
            qualified(&request.schema, &request.table),
            column_list(&request.columns)
        );
        let live = self.live()?;
        let sink = live
            .wait(live.client.copy_in::<_, Bytes>(copy.as_str()))
            .map_err(|e| error::map_for(e, &copy))?;
        self.copy = Some(Copy::In {
            sink: Box::pin(sink),
            rows: request.format == CopyFormat::ROWS,
        });
        Ok(())
    }

    /// Sends one chunk of the load.
    pub(crate) fn bulk_in_write(&mut self, chunk: &CopyChunk) -> Result<(), PluginError> {
        let Some(Copy::In { sink, rows }) = self.copy.as_mut() else {
            return Err(no_copy());
        };
        let bytes = if *rows {
            let width = chunk.width as usize;
            let mut text = String::with_capacity(chunk.rows.len() * 12);
            let mut row: Vec<Value> = Vec::with_capacity(width);
            for values in chunk.rows.chunks(width.max(1)) {
                row.clear();
                for v in values {
                    let v = v.as_enum().map_err(|_| {
                        PluginError::new(
                            ErrorKind::TYPE,
                            "a value has a type this plugin does not know",
                        )
                    })?;
                    if let Some(s) = v.as_text() {
                        if s.contains('\0') {
                            return Err(PluginError::new(
                                ErrorKind::TYPE,
                                "PostgreSQL text cannot contain the NUL character (U+0000)",
                            ));
                        }
                    }
                    row.push(v.clone());
                }
                encode::push_row(&mut text, &row, false);
            }
            Bytes::from(text.into_bytes())
        } else {
            Bytes::copy_from_slice(&chunk.data)
        };
        let live = self.session.live()?;
        let sent = live.wait(sink.send(bytes));
        if let Err(e) = sent {
            self.copy = None;
            return Err(error::map(e));
        }
        Ok(())
    }

    /// Ends the load; returns the rows the server loaded.
    pub(crate) fn bulk_in_finish(&mut self) -> Result<u64, PluginError> {
        let Some(Copy::In { mut sink, .. }) = self.copy.take() else {
            return Err(no_copy());
        };
        let live = self.session.live()?;
        live.wait(sink.as_mut().finish()).map_err(error::map)
    }

    /// Abandons the COPY in progress: a load is rolled back by the server (the client sends
    /// `CopyFail` when its sink is dropped unfinished); an export's rest is discarded.
    pub(crate) fn bulk_abort(&mut self) {
        self.copy = None;
    }

    /// Sets the sequence behind `column` (serial or identity) after its largest value.
    pub(crate) fn bulk_reset_identity(
        &mut self,
        schema: &str,
        table: &str,
        column: &str,
    ) -> Result<(), PluginError> {
        let target = qualified(schema, table);
        let sql = format!(
            "SELECT setval(s::regclass, GREATEST(m, 1)::bigint, m IS NOT NULL) FROM \
             (SELECT pg_get_serial_sequence($1, $2) AS s, (SELECT max({}) FROM {target}) AS m) x \
             WHERE s IS NOT NULL",
            quote(column)
        );
        let live = self.live()?;
        let m = live
            .wait(live.client.query(sql.as_str(), &[&target, &column]))
            .map_err(|e| error::map_for(e, &sql));
        m.map(|_| ())
    }
}
