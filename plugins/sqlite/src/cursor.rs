//! The statement cache and the open cursor of a connection.
//!
//! Every statement the caller runs (`execute` and `query` alike) is prepared once and kept
//! here; it is the connection's only statement cache. Each cached entry keeps a prepared
//! statement *and* its column metadata, so a repeated query costs one hash lookup. SQLite re-prepares a statement by itself when the schema
//! changes; the entry notices through `SQLITE_STMTSTATUS_REPREPARE` and rebuilds its metadata
//! before any row is decoded.
//!
//! rusqlite's `Rows` borrows its `Statement`, which borrows the `Connection`. The cache and the
//! cursor keep them alive across FFI calls, so they erase those lifetimes; soundness rests on
//! the invariants stated at [`StmtCache::prepare`] and on drop order (cursor, then cache,
//! then connection: the field order of `SqliteConnection`).

use crate::error::{map, map_sql};
use crate::types::{read, read_invalid_text, Bind, ReadKind, TextMode};
use myrmex_abi::{RArc, RVec};
use myrmex_plugin::{Batch, ColumnMeta, Params, PluginError};
use rusqlite::types::ValueRef;
use rusqlite::{Rows, Statement, StatementStatus};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::mem::ManuallyDrop;

/// Prepared statements kept per connection before the cache is emptied.
const CAPACITY: usize = 256;

/// A word-at-a-time multiplicative hash (the Fx hash of rustc): SQL texts are the
/// program's own statements, not hash-flooding input, and this is the per-query hot path.
#[derive(Default)]
struct SqlHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl SqlHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for SqlHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        let mut tail = [0u8; 8];
        let rest = chunks.remainder();
        tail[..rest.len()].copy_from_slice(rest);
        self.add(u64::from_le_bytes(tail) ^ (rest.len() as u64) << 56);
    }
}

/// Column metadata of a prepared statement.
struct Meta {
    columns: RArc<RVec<ColumnMeta>>,
    kinds: Vec<ReadKind>,
    reprepares: i32,
}

impl Meta {
    fn of(stmt: &Statement<'_>) -> Meta {
        let cols = stmt.columns();
        Meta {
            columns: RArc::new(
                cols.iter()
                    .map(|c| ColumnMeta::new(c.name(), c.decl_type().unwrap_or("")))
                    .collect(),
            ),
            kinds: cols
                .iter()
                .map(|c| ReadKind::from_decl(c.decl_type()))
                .collect(),
            reprepares: stmt.get_status(StatementStatus::RePrepare),
        }
    }
}

/// A prepared statement with its metadata.
struct Entry {
    stmt: Statement<'static>,
    meta: Meta,
}

/// Prepared statements by SQL text.
#[derive(Default)]
pub struct StmtCache {
    map: HashMap<Box<str>, Box<Entry>, BuildHasherDefault<SqlHasher>>,
    /// The statement used last and its text (a key of `map`): a loop running one statement
    /// finds it with one comparison, without hashing.
    last: Option<(*const str, *mut Entry)>,
}

impl StmtCache {
    /// Prepares (or reuses) `sql` and binds `params`; `None` when the text holds no
    /// statement at all (SQLite prepares nothing for it).
    ///
    /// # Safety
    /// `conn` must stay at the same address and outlive this cache. The entry returned must
    /// not be used after the cache is used again or cleared. `SqliteConnection` guarantees
    /// both: the connection is boxed, and every operation clears the cursor (the only holder
    /// of an entry across calls) first.
    unsafe fn prepare(
        &mut self,
        conn: &rusqlite::Connection,
        sql: &str,
        params: Params<'_>,
    ) -> Result<Option<*mut Entry>, PluginError> {
        // SAFETY: `last` points into `map`'s boxed keys and entries, which stay where they are
        // until the map is cleared, and clearing resets `last`.
        let hit = self
            .last
            .filter(|(key, _)| unsafe { &**key } == sql)
            .map(|(_, e)| e);
        let entry: *mut Entry =
            match hit.or_else(|| self.map.get_mut(sql).map(|e| &mut **e as *mut Entry)) {
                Some(e) => e,
                None => {
                    if self.map.len() >= CAPACITY {
                        self.map.clear();
                        self.last = None;
                    }
                    // SAFETY: see the function's contract: the connection outlives the cache.
                    let conn: &'static rusqlite::Connection =
                        unsafe { &*(conn as *const rusqlite::Connection) };
                    let stmt = conn.prepare(sql).map_err(|e| map_sql(e, sql))?;
                    if is_empty(&stmt) {
                        no_params(params.len())?;
                        return Ok(None);
                    }
                    let meta = Meta::of(&stmt);
                    // Insert first, then take the pointer: the Box must not move after it is taken.
                    let slot = self
                        .map
                        .entry(sql.into())
                        .or_insert(Box::new(Entry { stmt, meta }));
                    &mut **slot
                }
            };
        if self.last.is_none_or(|(_, e)| e != entry) {
            self.last = self
                .map
                .get_key_value(sql)
                .map(|(k, _)| (&**k as *const str, entry));
        }
        // SAFETY: entries are boxed (stable across rehashing) and live until the cache is
        // cleared or dropped, which the contract above rules out while the entry is used.
        let e = unsafe { &mut *entry };
        let expected = e.stmt.parameter_count();
        if expected != params.len() {
            return Err(PluginError::invalid(format!(
                "statement takes {expected} parameter(s), {} given",
                params.len()
            )));
        }
        for (i, p) in params.iter().enumerate() {
            e.stmt
                .raw_bind_parameter(i + 1, Bind(p?))
                .map_err(|e| map_sql(e, sql))?;
        }
        Ok(Some(entry))
    }

    /// Runs `sql` to its end (a statement returning rows, such as `INSERT … RETURNING`,
    /// has its rows read and dropped); the rows it changed, or `None` when the text holds
    /// no statement.
    ///
    /// # Safety
    /// As [`StmtCache::prepare`]; no cursor may be open.
    pub unsafe fn execute(
        &mut self,
        conn: &rusqlite::Connection,
        sql: &str,
        params: Params<'_>,
    ) -> Result<Option<u64>, PluginError> {
        // SAFETY: the caller's contract is `prepare`'s.
        let Some(entry) = (unsafe { self.prepare(conn, sql, params)? }) else {
            return Ok(None);
        };
        // SAFETY: the entry is alive and nothing else uses it (no cursor is open).
        let stmt = unsafe { &mut (*entry).stmt };
        if stmt.column_count() == 0 {
            let changed = stmt.raw_execute().map_err(|e| map_sql(e, sql))?;
            return Ok(Some(changed as u64));
        }
        let mut rows = stmt.raw_query();
        while rows.next().map_err(|e| map_sql(e, sql))?.is_some() {}
        drop(rows);
        Ok(Some(conn.changes()))
    }

    /// Prepares (or reuses) `sql`, binds `params` and starts it; `None` when the text holds
    /// no statement at all.
    ///
    /// # Safety
    /// As [`StmtCache::prepare`]; the cursor must be dropped before this cache is used
    /// again (it points into an entry).
    pub unsafe fn open_cursor(
        &mut self,
        conn: &rusqlite::Connection,
        sql: &str,
        params: Params<'_>,
        text: TextMode,
    ) -> Result<Option<Cursor>, PluginError> {
        // SAFETY: the caller's contract is `prepare`'s.
        let Some(entry) = (unsafe { self.prepare(conn, sql, params)? }) else {
            return Ok(None);
        };
        // SAFETY: the entry lives until the cache is used again, after the cursor is gone.
        let e: &'static mut Entry = unsafe { &mut *entry };
        let rows = e.stmt.raw_query();
        Ok(Some(Cursor {
            rows: ManuallyDrop::new(rows),
            entry,
            checked: false,
            text,
            row: 0,
        }))
    }

    /// Drops every prepared statement.
    pub fn clear(&mut self) {
        self.last = None;
        self.map.clear();
    }
}

/// True when SQLite prepared no statement (the text held only blanks and comments, as
/// SQLite reads them). rusqlite asserts on most calls with such a statement; SQLite's
/// `sqlite3_expanded_sql` answers NULL for it and the text for any real statement.
fn is_empty(stmt: &Statement<'_>) -> bool {
    stmt.expanded_sql().is_none()
}

/// The error for values given to a statement that takes none.
pub fn no_params(given: usize) -> Result<(), PluginError> {
    if given > 0 {
        return Err(PluginError::invalid(format!(
            "statement takes 0 parameter(s), {given} given"
        )));
    }
    Ok(())
}

/// An open result: rows still to be read.
pub struct Cursor {
    rows: ManuallyDrop<Rows<'static>>,
    entry: *mut Entry,
    checked: bool,
    text: TextMode,
    /// Rows read so far, to name a row in errors.
    row: u64,
}

impl Cursor {
    /// The columns, valid once the first row (or the end) has been read.
    pub fn columns(&self) -> RArc<RVec<ColumnMeta>> {
        // SAFETY: the entry outlives the cursor (see `StmtCache::open_cursor`).
        unsafe { (*self.entry).meta.columns.clone() }
    }

    /// Appends up to `max` rows to `out`; returns true when the result is exhausted.
    pub fn read_batch(&mut self, max: usize, out: &mut Batch) -> Result<bool, PluginError> {
        for _ in 0..max {
            let row = self.rows.next().map_err(map)?;
            if !self.checked {
                self.checked = true;
                // The first step is where SQLite re-prepares after a schema change.
                // SAFETY: the entry outlives the cursor. `rows` holds a shared borrow of the
                // statement, so the statement is only read here, through a shared reference;
                // the metadata, another field, is written through a raw pointer to that field
                // alone, never through a `&mut` to the whole entry.
                unsafe {
                    let stmt = &(*self.entry).stmt;
                    if stmt.get_status(StatementStatus::RePrepare) != (*self.entry).meta.reprepares
                    {
                        drop(std::ptr::addr_of_mut!((*self.entry).meta).replace(Meta::of(stmt)));
                    }
                }
            }
            let Some(row) = row else { return Ok(true) };
            self.row += 1;
            // SAFETY: as above.
            let meta = unsafe { &(*self.entry).meta };
            for (i, kind) in meta.kinds.iter().enumerate() {
                let v = row.get_ref(i).map_err(map)?;
                out.push(match read(v, *kind) {
                    Ok(v) => v,
                    Err(e) => match v {
                        ValueRef::Text(t) if std::str::from_utf8(t).is_err() => {
                            let name = meta.columns.get(i).map_or("?", |c| c.name.as_str());
                            read_invalid_text(t, self.text, name, self.row)?
                        }
                        _ => return Err(e),
                    },
                });
            }
        }
        Ok(false)
    }
}

impl Drop for Cursor {
    fn drop(&mut self) {
        // SAFETY: dropped once, here; resets the statement, which stays in the cache.
        unsafe { ManuallyDrop::drop(&mut self.rows) }
    }
}
