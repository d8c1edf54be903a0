//! The proof behind `missing-index` advice, for one candidate statement on a table
//! estimated above [`LARGE`] rows:
//!
//! 1. `EXPLAIN FORMAT=JSON` of the statement's indexable conditions must show a full scan;
//! 2. a scratch copy of the table (`CREATE TEMPORARY TABLE … LIKE`, then up to [`COPY_ROWS`]
//!    rows; a larger table is sampled and the advice says so) gets the candidate index and
//!    `ANALYZE TABLE`;
//! 3. the same conditions, pointed at the copy, are explained again: the index is proven
//!    when the plan uses it and the rows examined fall [`GAIN`] times or more.
//!
//! The copy is a temporary table of this session, dropped afterwards whatever happens; the
//! rows are read with `READ COMMITTED` where the server allows it, so copying takes no
//! shared locks on the table's rows.

use super::explain::{plan, Plan};
use super::predicate::Shape;
use super::read::{num, qualified, quote, rows, run, text};
use myrmex_plugin::{ErrorKind, PluginError};
use mysql::Conn;

/// Tables estimated at this many rows or fewer are not advised on.
pub const LARGE: f64 = 10_000.0;
/// Rows copied at most into the scratch table.
pub const COPY_ROWS: u64 = 1_000_000;
/// How many times fewer rows the index must make the statement examine.
pub const GAIN: f64 = 10.0;

/// One statement shape to prove an index for.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// The table's database.
    pub schema: String,
    /// The statement's table and conditions.
    pub shape: Shape,
    /// The columns of the index to prove.
    pub columns: Vec<String>,
    /// Where it came from, for the evidence.
    pub source: String,
}

/// The table a candidate reads.
pub struct Table {
    /// Its storage engine.
    pub engine: String,
    /// Its estimated rows.
    pub rows: f64,
    /// The columns a copy takes (all but generated ones).
    copied: Vec<String>,
    /// The candidate's columns, spelt as the table spells them.
    pub key: Vec<String>,
    /// The names of its indexes.
    index_names: Vec<String>,
}

/// What the proof found, when the index pays.
pub struct Proof {
    /// The table.
    pub table: Table,
    /// The index's name.
    pub index: String,
    /// The statement's plan on the table.
    pub before: Plan,
    /// Its plan on the indexed copy.
    pub after: Plan,
    /// The rows copied, when the copy was a sample of a larger table.
    pub sample: Option<u64>,
    /// How many times fewer rows the index makes the statement examine.
    pub gain: f64,
}

/// The table `name` of `schema` when it is a base table above [`LARGE`] rows and has the
/// candidate's columns, none of them text or blob.
fn table(
    conn: &mut Conn,
    schema: &str,
    name: &str,
    columns: &[String],
) -> Result<Option<Table>, PluginError> {
    let info = rows(
        conn,
        "SELECT ENGINE, TABLE_ROWS, TABLE_TYPE FROM information_schema.TABLES \
         WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?",
        vec![schema.into(), name.into()],
    )?;
    let Some(info) = info.first() else {
        return Ok(None);
    };
    let engine = info.first().and_then(text).unwrap_or_default();
    let estimated = info.get(1).and_then(num).unwrap_or(0.0);
    if info.get(2).and_then(text).as_deref() != Some("BASE TABLE") || estimated <= LARGE {
        return Ok(None);
    }
    let cols = rows(
        conn,
        "SELECT COLUMN_NAME, EXTRA, DATA_TYPE FROM information_schema.COLUMNS \
         WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION",
        vec![schema.into(), name.into()],
    )?;
    let mut copied = Vec::new();
    let mut key = Vec::new();
    for wanted in columns {
        let found = cols.iter().find(|r| {
            r.first()
                .and_then(text)
                .is_some_and(|n| n.eq_ignore_ascii_case(wanted))
        });
        let Some(found) = found else { return Ok(None) };
        let data_type = found
            .get(2)
            .and_then(text)
            .unwrap_or_default()
            .to_lowercase();
        // Text and blob columns need a prefix length: not proposed.
        if data_type.contains("text") || data_type.contains("blob") {
            return Ok(None);
        }
        key.push(found.first().and_then(text).unwrap_or_default());
    }
    for r in &cols {
        let extra = r.get(1).and_then(text).unwrap_or_default().to_uppercase();
        if !extra.contains("VIRTUAL GENERATED") && !extra.contains("STORED GENERATED") {
            copied.push(r.first().and_then(text).unwrap_or_default());
        }
    }
    let index_names = rows(
        conn,
        "SELECT DISTINCT INDEX_NAME FROM information_schema.STATISTICS \
         WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?",
        vec![schema.into(), name.into()],
    )?
    .iter()
    .filter_map(|r| r.first().and_then(text))
    .collect();
    Ok(Some(Table {
        engine,
        rows: estimated,
        copied,
        key,
        index_names,
    }))
}

/// The plan of `SELECT * FROM <from> AS <alias> WHERE <filter>`.
fn explain(
    conn: &mut Conn,
    from: &str,
    c: &Candidate,
    filter: &str,
) -> Result<Option<Plan>, PluginError> {
    let alias = quote(c.shape.alias.as_deref().unwrap_or(&c.shape.table));
    let sql = format!("EXPLAIN FORMAT=JSON SELECT * FROM {from} AS {alias} WHERE {filter}");
    let found = rows(conn, &sql, Vec::new())?;
    Ok(found
        .first()
        .and_then(|r| r.first())
        .and_then(text)
        .and_then(|json| plan(&json)))
}

/// The filter to explain: the statement's conditions, or for a digest its equalities on
/// values sampled from the table (`None` when the table has no row to sample).
fn filter(conn: &mut Conn, c: &Candidate, key: &[String]) -> Result<Option<String>, PluginError> {
    if !c.shape.has_placeholders() {
        return Ok(Some(c.shape.filter()));
    }
    let quoted: Vec<String> = key.iter().map(|k| quote(k)).collect();
    let sql = format!(
        "SELECT {} FROM {} WHERE {} LIMIT 1",
        quoted
            .iter()
            .map(|k| format!("QUOTE({k})"))
            .collect::<Vec<_>>()
            .join(", "),
        qualified(&c.schema, &c.shape.table),
        quoted
            .iter()
            .map(|k| format!("{k} IS NOT NULL"))
            .collect::<Vec<_>>()
            .join(" AND ")
    );
    let sample = rows(conn, &sql, Vec::new())?;
    let Some(values) = sample.first() else {
        return Ok(None);
    };
    let parts: Option<Vec<String>> = quoted
        .iter()
        .zip(values)
        .map(|(k, v)| text(v).map(|v| format!("{k} = {v}")))
        .collect();
    Ok(parts.map(|p| p.join(" AND ")))
}

/// The name of the scratch copy of `table`: `myrmex_advice_<table>_<process>`, within the
/// server's 64 characters.
pub fn scratch_name(table: &str) -> String {
    let suffix = format!("_{}", std::process::id());
    let room = 64 - "myrmex_advice_".len() - suffix.len();
    let cut: String = table.chars().take(room).collect();
    format!("myrmex_advice_{cut}{suffix}")
}

/// The name of the proposed index, `ix_<table>_<columns>`, within 64 characters and unlike
/// the table's other indexes.
pub fn index_name(table: &str, columns: &[String], taken: &[String]) -> String {
    let base: String = format!("ix_{table}_{}", columns.join("_"))
        .chars()
        .take(60)
        .collect();
    let mut name = base.clone();
    let mut n = 2;
    while taken.iter().any(|t| t.eq_ignore_ascii_case(&name)) {
        name = format!("{base}_{n}");
        n += 1;
    }
    name
}

/// Explains, copies, indexes the copy and explains again: the proof when the index pays.
/// `proofs` counts the copies made.
pub fn prove(
    conn: &mut Conn,
    c: &Candidate,
    proofs: &mut usize,
) -> Result<Option<Proof>, PluginError> {
    let Some(t) = table(conn, &c.schema, &c.shape.table, &c.columns)? else {
        return Ok(None);
    };
    let Some(filter) = filter(conn, c, &t.key)? else {
        return Ok(None);
    };
    let original = qualified(&c.schema, &c.shape.table);
    let Some(before) = explain(conn, &original, c, &filter)? else {
        return Ok(None);
    };
    if !before.scans_everything() {
        return Ok(None);
    }
    *proofs += 1;
    let scratch = scratch_name(&c.shape.table);
    let ix = index_name(&c.shape.table, &t.key, &t.index_names);
    let outcome = on_copy(conn, c, &t, &scratch, &ix, &filter);
    // The copy goes whatever happened; a failure to drop it is reported after the proof's.
    let dropped = run(
        conn,
        &format!(
            "DROP TEMPORARY TABLE IF EXISTS {}",
            qualified(&c.schema, &scratch)
        ),
    );
    let (copied, after) = outcome?;
    dropped?;
    let Some(after) = after else { return Ok(None) };
    let sampled = t.rows > COPY_ROWS as f64 && copied >= COPY_ROWS;
    // On a sample, a full scan reads the sample.
    let scanned = if sampled { copied as f64 } else { before.rows };
    let gain = scanned / after.rows.max(1.0);
    if after.key.as_deref() != Some(ix.as_str()) || gain < GAIN {
        return Ok(None);
    }
    Ok(Some(Proof {
        table: t,
        index: ix,
        before,
        after,
        sample: sampled.then_some(copied),
        gain,
    }))
}

/// The copy's part of the proof: its rows and the plan on it with the index.
fn on_copy(
    conn: &mut Conn,
    c: &Candidate,
    t: &Table,
    scratch: &str,
    ix: &str,
    filter: &str,
) -> Result<(u64, Option<Plan>), PluginError> {
    let copy = qualified(&c.schema, scratch);
    let original = qualified(&c.schema, &c.shape.table);
    run(conn, &format!("DROP TEMPORARY TABLE IF EXISTS {copy}"))?;
    run(
        conn,
        &format!("CREATE TEMPORARY TABLE {copy} LIKE {original}"),
    )?;
    let cols = t
        .copied
        .iter()
        .map(|n| quote(n))
        .collect::<Vec<_>>()
        .join(", ");
    let insert =
        format!("INSERT INTO {copy} ({cols}) SELECT {cols} FROM {original} LIMIT {COPY_ROWS}");
    // READ COMMITTED reads without locking the table's rows; a server logging statements
    // refuses it for InnoDB, and then the session's own level is used.
    run(conn, "SET TRANSACTION ISOLATION LEVEL READ COMMITTED")?;
    if let Err(e) = run(conn, &insert) {
        if e.kind == ErrorKind::CLOSED {
            return Err(e);
        }
        run(conn, &format!("TRUNCATE TABLE {copy}"))?;
        run(conn, &insert)?;
    }
    let copied = conn.affected_rows();
    let key = t
        .key
        .iter()
        .map(|k| quote(k))
        .collect::<Vec<_>>()
        .join(", ");
    run(
        conn,
        &format!("ALTER TABLE {copy} ADD INDEX {} ({key})", quote(ix)),
    )?;
    run(conn, &format!("ANALYZE TABLE {copy}"))?;
    Ok((copied, explain(conn, &copy, c, filter)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fit_the_server() {
        let long = "t".repeat(80);
        assert!(scratch_name(&long).len() <= 64);
        assert!(scratch_name("orders").starts_with("myrmex_advice_orders_"));
        let taken = vec!["ix_t_a".to_string()];
        assert_eq!(index_name("t", &["a".into()], &taken), "ix_t_a_2");
        assert_eq!(
            index_name("t", &["a".into(), "b".into()], &taken),
            "ix_t_a_b"
        );
        assert!(index_name(&long, &["a".into()], &[]).len() <= 64);
    }
}
