//! What to copy per table: the columns on both sides, the key-range chunks, the identity
//! columns whose counters follow the copied maximum.

use super::schema::Prepared;
use crate::{DatabaseConnection, Error, Result, Value};
use myrmex_schema::Table;

/// One unit of copying: a key range of a table, or the whole table.
#[derive(Debug, Clone)]
pub struct Chunk {
    /// Its name in the resume state (`all`, or `lo..hi`).
    pub key: String,
    /// Inclusive key range, when the table is split.
    pub range: Option<(i64, i64)>,
}

/// One table's copy plan.
#[derive(Debug, Clone)]
pub struct TablePlan {
    /// The source table.
    pub source: Table,
    /// The target table (converted).
    pub target: Table,
    /// Columns read from the source (generated ones left out), in order.
    pub source_columns: Vec<String>,
    /// The same columns in the target, in order.
    pub target_columns: Vec<String>,
    /// The single integer primary-key column, when there is one.
    pub int_key: Option<String>,
    /// The chunks, in key order.
    pub chunks: Vec<Chunk>,
    /// Rows the source held when planned.
    pub estimated_rows: u64,
    /// Target columns whose generator is reset after the copy.
    pub identity_columns: Vec<String>,
}

impl TablePlan {
    /// The target schema name ("" for the default).
    pub fn target_schema(&self) -> &str {
        self.target.schema.as_deref().unwrap_or("")
    }

    /// The source schema name ("" for the default).
    pub fn source_schema(&self) -> &str {
        self.source.schema.as_deref().unwrap_or("")
    }
}

fn as_i64(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Int(i) => Some(*i),
        Value::Decimal(d) | Value::Text(d) => d.parse().ok(),
        _ => None,
    }
}

/// Plans every table of `p`, counting rows and reading key bounds on the source.
pub fn plan(src: &mut DatabaseConnection, p: &Prepared, chunk_rows: u64) -> Result<Vec<TablePlan>> {
    let mut plans = Vec::new();
    for (s, t) in p.source.tables.iter().zip(&p.target.tables) {
        let keep: Vec<usize> = (0..s.columns.len().min(t.columns.len()))
            .filter(|&i| s.columns[i].generated.is_none() && t.columns[i].generated.is_none())
            .collect();
        let source_columns: Vec<String> = keep.iter().map(|&i| s.columns[i].name.clone()).collect();
        let target_columns: Vec<String> = keep.iter().map(|&i| t.columns[i].name.clone()).collect();
        let int_key = match s.primary_key.as_slice() {
            [k] => s
                .columns
                .iter()
                .find(|c| &c.name == k && c.ty.is_integer())
                .map(|c| c.name.clone()),
            _ => None,
        };
        let table = qualified(src, s.schema.as_deref(), &s.name)?;
        let (count, bounds) = match &int_key {
            Some(k) => {
                let k = src.quote_ident(k)?;
                let r = src.execute_query(
                    &format!("SELECT count(*) AS n, min({k}) AS lo, max({k}) AS hi FROM {table}"),
                    &[],
                )?;
                let n = as_i64(r.get(0, "n")).unwrap_or(0).max(0) as u64;
                let b = as_i64(r.get(0, "lo")).zip(as_i64(r.get(0, "hi")));
                (n, b)
            }
            None => {
                let r = src.execute_query(&format!("SELECT count(*) AS n FROM {table}"), &[])?;
                (as_i64(r.get(0, "n")).unwrap_or(0).max(0) as u64, None)
            }
        };
        let chunks = match bounds {
            Some((lo, hi)) if count > chunk_rows && hi > lo => split(lo, hi, count, chunk_rows),
            _ => vec![Chunk {
                key: "all".into(),
                range: None,
            }],
        };
        let identity_columns = t
            .columns
            .iter()
            .filter(|c| {
                c.identity.is_set()
                    || (t.primary_key.len() == 1 && t.primary_key[0] == c.name && c.ty.is_integer())
            })
            .map(|c| c.name.clone())
            .collect();
        if source_columns.is_empty() {
            return Err(Error::Transfer {
                table: s.name.clone(),
                chunk: None,
                reason: "the table has no column to copy".into(),
            });
        }
        plans.push(TablePlan {
            source: s.clone(),
            target: t.clone(),
            source_columns,
            target_columns,
            int_key,
            chunks,
            estimated_rows: count,
            identity_columns,
        });
    }
    // Largest tables first, so parallel workers finish together (foreign keys come after
    // the data, so the order of tables does not matter to them).
    plans.sort_by_key(|p| std::cmp::Reverse(p.estimated_rows));
    Ok(plans)
}

/// `[lo, hi]` in about `count / chunk_rows` ranges of equal key width.
fn split(lo: i64, hi: i64, count: u64, chunk_rows: u64) -> Vec<Chunk> {
    let n = count.div_ceil(chunk_rows.max(1)).max(1) as i128;
    let width = ((hi as i128 - lo as i128 + 1) + n - 1) / n;
    let mut out = Vec::new();
    let mut start = lo as i128;
    while start <= hi as i128 {
        let end = (start + width - 1).min(hi as i128);
        let (a, b) = (start as i64, end as i64);
        out.push(Chunk {
            key: format!("{a}..{b}"),
            range: Some((a, b)),
        });
        start = end + 1;
    }
    out
}

/// `schema.table` quoted for `conn`, to read a table from (`ONLY` where tables inherit).
pub fn qualified(
    conn: &mut DatabaseConnection,
    schema: Option<&str>,
    table: &str,
) -> Result<String> {
    let name = match schema {
        Some(s) if !s.is_empty() => {
            format!("{}.{}", conn.quote_ident(s)?, conn.quote_ident(table)?)
        }
        _ => conn.quote_ident(table)?,
    };
    // A table's own rows: where tables inherit from others, a read of the parent would
    // include the children's rows, which the copy carries in the children's own tables.
    Ok(if conn.dialect()?.has("select_only") {
        format!("ONLY {name}")
    } else {
        name
    })
}

/// The `SELECT` of a chunk's rows on the source.
pub fn select(conn: &mut DatabaseConnection, p: &TablePlan, chunk: &Chunk) -> Result<String> {
    let cols = p
        .source_columns
        .iter()
        .map(|c| conn.quote_ident(c))
        .collect::<Result<Vec<_>>>()?
        .join(", ");
    let table = qualified(conn, p.source.schema.as_deref(), &p.source.name)?;
    let mut sql = format!("SELECT {cols} FROM {table}");
    if let (Some((a, b)), Some(k)) = (chunk.range, &p.int_key) {
        let k = conn.quote_ident(k)?;
        sql.push_str(&format!(" WHERE {k} >= {a} AND {k} <= {b}"));
    }
    Ok(sql)
}

#[cfg(test)]
mod tests {
    #[test]
    fn ranges_cover_the_keys_once() {
        let c = super::split(1, 10, 10, 3);
        let keys: Vec<_> = c.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(keys, ["1..3", "4..6", "7..9", "10..10"]);
        let c = super::split(i64::MIN, i64::MAX, 4, 2);
        assert_eq!(c.len(), 2);
        assert_eq!(c[1].range.unwrap().1, i64::MAX);
    }
}
