//! The open cursor of a connection: a prepared statement and its rows, kept across calls.
//!
//! rusqlite's `Rows` borrows its `Statement`, which borrows the `Connection`. The cursor keeps
//! all three alive across FFI calls, so it erases those lifetimes; soundness rests on the
//! invariants stated at [`Cursor::open`] and on the drop order in [`Drop for Cursor`].

use crate::error::map;
use crate::types::{read, Bind, ReadKind};
use myrmex_abi::{ColumnMeta, Nullability, PluginError, RArc, RVec, Value};
use rusqlite::{CachedStatement, Rows};
use std::collections::HashMap;
use std::mem::ManuallyDrop;
use std::sync::Arc;

/// Column metadata computed once per SQL text.
#[derive(Clone)]
pub struct Meta {
    pub columns: RArc<RVec<ColumnMeta>>,
    pub kinds: Arc<[ReadKind]>,
}

/// Per-connection cache of [`Meta`] by SQL text, revalidated against the prepared statement.
#[derive(Default)]
pub struct MetaCache(HashMap<String, Meta>);

impl MetaCache {
    fn get(&mut self, sql: &str, stmt: &rusqlite::Statement<'_>) -> Meta {
        let cols = stmt.columns();
        if let Some(m) = self.0.get(sql) {
            let same = m.columns.len() == cols.len()
                && m.columns.iter().zip(&cols).all(|(c, s)| {
                    c.name.as_str() == s.name()
                        && c.decl_type.as_str() == s.decl_type().unwrap_or("")
                });
            if same {
                return m.clone();
            }
        }
        let meta = Meta {
            columns: RArc::new(
                cols.iter()
                    .map(|c| ColumnMeta {
                        name: c.name().into(),
                        decl_type: c.decl_type().unwrap_or("").into(),
                        nullable: Nullability::Unknown,
                    })
                    .collect(),
            ),
            kinds: cols
                .iter()
                .map(|c| ReadKind::from_decl(c.decl_type()))
                .collect(),
        };
        if self.0.len() >= 512 {
            self.0.clear();
        }
        self.0.insert(sql.to_string(), meta.clone());
        meta
    }
}

/// An open result: rows still to be read.
pub struct Cursor {
    rows: ManuallyDrop<Rows<'static>>,
    stmt: *mut CachedStatement<'static>,
    kinds: Arc<[ReadKind]>,
}

impl Cursor {
    /// Prepares (from the statement cache), binds and starts `sql`.
    ///
    /// # Safety
    /// `conn` must stay at the same address and outlive the returned cursor, and must not be
    /// closed while it exists. `SqliteConnection` guarantees this by boxing the connection and
    /// dropping or closing the cursor first.
    pub unsafe fn open(
        conn: &rusqlite::Connection,
        sql: &str,
        params: &[Value],
        cache: &mut MetaCache,
    ) -> Result<(Cursor, Meta), PluginError> {
        // SAFETY: see the function's contract: the connection outlives the cursor.
        let conn: &'static rusqlite::Connection =
            unsafe { &*(conn as *const rusqlite::Connection) };
        let stmt = conn.prepare_cached(sql).map_err(map)?;
        let meta = cache.get(sql, &stmt);
        let stmt = Box::into_raw(Box::new(stmt));
        // SAFETY: `stmt` is a fresh heap allocation owned by this cursor until `Drop`.
        let stmt_ref: &'static mut CachedStatement<'static> = unsafe { &mut *stmt };
        match stmt_ref.query(rusqlite::params_from_iter(params.iter().map(Bind))) {
            Ok(rows) => Ok((
                Cursor {
                    rows: ManuallyDrop::new(rows),
                    stmt,
                    kinds: meta.kinds.clone(),
                },
                meta,
            )),
            Err(e) => {
                // SAFETY: no `Rows` borrows the statement; free it exactly once.
                drop(unsafe { Box::from_raw(stmt) });
                Err(map(e))
            }
        }
    }

    /// Appends up to `max` rows to `out`; returns true when the result is exhausted.
    pub fn read_batch(&mut self, max: usize, out: &mut Vec<Value>) -> Result<bool, PluginError> {
        let width = self.kinds.len();
        for _ in 0..max {
            match self.rows.next().map_err(map)? {
                None => return Ok(true),
                Some(row) => {
                    for (i, kind) in self.kinds.iter().enumerate().take(width) {
                        out.push(read(row.get_ref(i).map_err(map)?, *kind)?);
                    }
                }
            }
        }
        Ok(false)
    }
}

impl Drop for Cursor {
    fn drop(&mut self) {
        // SAFETY: the rows borrow the statement, so they go first; the statement was
        // allocated by `Box::into_raw` in `open` and is freed only here.
        unsafe {
            ManuallyDrop::drop(&mut self.rows);
            drop(Box::from_raw(self.stmt));
        }
    }
}
