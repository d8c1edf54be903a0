//! `missing-index`: simple filters of the workload and of `pg_stat_statements` on large,
//! often sequentially scanned tables, each candidate column proven with a hypothetical
//! index before it is proposed. Without hypopg nothing is proposed: a `configuration`
//! advice says how to have index advice proven.

use super::bind::{bind, Bound};
use super::proof::{prove, Hypopg, Proof};
use super::{excerpt, grouped, size};
use crate::monitor::predicate::{self, Shape};
use crate::monitor::relations::ROWS_ESTIMATE;
use crate::monitor::statements::{self, Status};
use crate::monitor::{get, number};
use crate::session::Session;
use myrmex_plugin::monitor::{Advice, AdviceRequest};
use myrmex_plugin::sql::quote_ident;
use myrmex_plugin::PluginError;

/// Rows a table must have (estimated) before an index on it is considered.
pub const LARGE_TABLE_ROWS: f64 = 10_000.0;

/// Sequential scans a table must have had before an index on it is considered.
pub const MANY_SEQ_SCANS: f64 = 10.0;

/// How many times cheaper the planner must estimate a statement with the index.
pub const COST_FACTOR: f64 = 2.0;

/// Top statements of `pg_stat_statements` read for candidates.
const TOP_STATEMENTS: i64 = 50;

/// Statements explained at most, so that the advice stays quick on a large workload.
const MAX_PROOFS: usize = 100;

/// A statement to look at and where it came from.
struct Source {
    sql: String,
    origin: String,
}

/// The origin of the statements the client sent as its workload.
const WORKLOAD: &str = "the workload";

/// The statement's table, as the catalog knows it.
struct Table {
    oid: i64,
    qualified: String,
    schema: String,
    name: String,
    rows: f64,
    seq_scans: f64,
}

/// A statement worth proving an index for.
struct Candidate {
    source: Source,
    table: Table,
    /// Columns (unquoted, quoted) no index leads with yet.
    columns: Vec<(String, String)>,
    bound: Bound,
}

/// The `missing-index` advice (or the `configuration` advice asking for hypopg).
pub fn missing(
    session: &Session,
    server_version: i32,
    request: &AdviceRequest,
) -> Result<Vec<Advice>, PluginError> {
    let mut candidates: Vec<Candidate> = Vec::new();
    for source in sources(session, request)? {
        if candidates.len() >= MAX_PROOFS {
            break;
        }
        let Ok(shape) = predicate::read(&source.sql) else {
            continue;
        };
        if let Some(c) = candidate(session, source, &shape)? {
            candidates.push(c);
        }
    }
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    let (schema, created) = match Hypopg::prepare(session)? {
        Hypopg::Ready { schema, created } => (schema, created),
        Hypopg::Missing(why) => return Ok(vec![ask_for_hypopg(server_version, &candidates, &why)]),
    };
    let mut out: Vec<Advice> = Vec::new();
    let mut proposed: Vec<(i64, String)> = Vec::new();
    for c in &candidates {
        let mut best: Option<(&(String, String), Proof)> = None;
        for col in &c.columns {
            if proposed.contains(&(c.table.oid, col.0.clone())) {
                continue;
            }
            let def = format!("CREATE INDEX ON {} ({})", c.table.qualified, col.1);
            let Some(p) = prove(session, &schema, &c.bound.sql, &def)? else {
                continue;
            };
            let better = best.as_ref().is_none_or(|(_, b)| p.after < b.after);
            if p.proves(COST_FACTOR) && better {
                best = Some((col, p));
            }
        }
        if let Some((col, p)) = best {
            proposed.push((c.table.oid, col.0.clone()));
            out.push(advice(session, c, col, &p, created)?);
        }
    }
    Ok(out)
}

/// The workload's statements, then the top statements of `pg_stat_statements` when it can
/// be read.
fn sources(session: &Session, request: &AdviceRequest) -> Result<Vec<Source>, PluginError> {
    let mut out: Vec<Source> = request
        .workload
        .iter()
        .map(|sql| Source {
            sql: sql.clone(),
            origin: WORKLOAD.into(),
        })
        .collect();
    if let Some(schema) = Status::read(session)?.readable() {
        for r in statements::top(session, schema, TOP_STATEMENTS)? {
            let calls = get::<i64>(&r, 1)? as f64;
            out.push(Source {
                sql: get(&r, 0)?,
                origin: format!("pg_stat_statements, {} calls", grouped(calls)),
            });
        }
    }
    Ok(out)
}

/// The statement as a candidate when its table is large and often scanned sequentially,
/// some column it filters on has no index yet, and its parameters can be bound.
fn candidate(
    session: &Session,
    source: Source,
    shape: &Shape,
) -> Result<Option<Candidate>, PluginError> {
    let wanted = shape.indexable_columns();
    if wanted.is_empty() {
        return Ok(None);
    }
    let Some(table) = table(session, shape)? else {
        return Ok(None);
    };
    // The client's own workload ran the statement already (and this session's scans may
    // not have reached the statistics yet); a statement only pg_stat_statements knows must
    // also show in the table's sequential scans.
    let from_client = source.origin == WORKLOAD;
    if table.rows <= LARGE_TABLE_ROWS || (!from_client && table.seq_scans < MANY_SEQ_SCANS) {
        return Ok(None);
    }
    let mut columns = Vec::new();
    for name in wanted {
        let rows = session.rows(
            "SELECT format('%I', a.attname), EXISTS (SELECT 1 FROM pg_catalog.pg_index i \
               WHERE i.indrelid = a.attrelid AND i.indkey[0] = a.attnum AND i.indisvalid \
                 AND i.indpred IS NULL) \
             FROM pg_catalog.pg_attribute a \
             WHERE a.attrelid = $1::int8::oid AND a.attname::text = $2 AND a.attnum > 0 \
               AND NOT a.attisdropped",
            &[&table.oid, &name],
        )?;
        if let Some(r) = rows.first() {
            if !get::<bool>(r, 1)? {
                columns.push((name.to_string(), get::<String>(r, 0)?));
            }
        }
    }
    if columns.is_empty() {
        return Ok(None);
    }
    let Some(bound) = bind(session, &source.sql, shape, &table.schema, &table.name)? else {
        return Ok(None);
    };
    Ok(Some(Candidate {
        source,
        table,
        columns,
        bound,
    }))
}

/// The statement's table when it is a user's ordinary table.
fn table(session: &Session, shape: &Shape) -> Result<Option<Table>, PluginError> {
    let written: Vec<String> = shape.table.iter().map(|p| quote_ident(p, '"')).collect();
    let rows = session.rows(
        &format!(
            "SELECT c.oid::int8, format('%I.%I', n.nspname, c.relname), n.nspname::text, \
               c.relname::text, {ROWS_ESTIMATE}, COALESCE(s.seq_scan, 0)::float8 \
             FROM pg_catalog.pg_class c \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             LEFT JOIN pg_catalog.pg_stat_user_tables s ON s.relid = c.oid \
             WHERE c.oid = to_regclass($1) AND c.relkind = 'r' \
               AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
        ),
        &[&written.join(".")],
    )?;
    let Some(r) = rows.first() else {
        return Ok(None);
    };
    Ok(Some(Table {
        oid: get(r, 0)?,
        qualified: get(r, 1)?,
        schema: get(r, 2)?,
        name: get(r, 3)?,
        rows: number(r, 4)?,
        seq_scans: number(r, 5)?,
    }))
}

/// A free name `ix_<table>_<column>` in the table's schema, quoted when needed.
fn index_name(session: &Session, table: &Table, column: &str) -> Result<String, PluginError> {
    let rows = session.rows(
        "SELECT format('%I', name) FROM ( \
           SELECT left('ix_' || $2::text || '_' || $3::text, 59) || CASE WHEN n = 0 THEN '' \
             ELSE '_' || n END AS name, n \
           FROM generate_series(0, 99) n) c \
         WHERE to_regclass(format('%I.%I', $1::text, name)) IS NULL \
         ORDER BY n LIMIT 1",
        &[&table.schema, &table.name, &column],
    )?;
    match rows.first() {
        Some(r) => get(r, 0),
        None => Ok(format!("ix_{}_{column}", table.name)),
    }
}

fn advice(
    session: &Session,
    c: &Candidate,
    column: &(String, String),
    p: &Proof,
    created: bool,
) -> Result<Advice, PluginError> {
    let name = index_name(session, &c.table, &column.0)?;
    let target = format!("{}({})", c.table.qualified, column.1);
    let factor = p.before / p.after;
    let mut evidence = format!(
        "seq scans {}; EXPLAIN cost {:.1} → {:.1} with the hypothetical index; \
         statement ({}): {}",
        grouped(c.table.seq_scans),
        p.before,
        p.after,
        c.source.origin,
        excerpt(&c.source.sql, 200),
    );
    if !c.bound.values.is_empty() {
        let values: Vec<String> = c
            .bound
            .values
            .iter()
            .map(|(col, v)| format!("{col} = {v}"))
            .collect();
        evidence.push_str(&format!(
            "; parameters bound to typical values from pg_stats ({})",
            values.join(", ")
        ));
    }
    if created {
        evidence.push_str(
            "; the hypopg extension was created in this database for this proof \
             (CREATE EXTENSION hypopg; DROP EXTENSION hypopg removes it)",
        );
    }
    let built = p
        .bytes
        .map(|b| format!(" and takes about {} (hypopg's estimate)", size(b)))
        .unwrap_or_default();
    Ok(Advice {
        kind: "missing-index".into(),
        object: c.table.qualified.clone(),
        message: format!("Create an index on {target}."),
        evidence,
        expected_gain: format!(
            "the planner estimates the statement {factor:.0}× cheaper with the index \
             (cost {:.1} → {:.1})",
            p.before, p.after
        ),
        risk: format!(
            "building reads the whole table ({} rows estimated){built}; CONCURRENTLY blocks \
             no writes but takes longer, cannot run inside a transaction and leaves an \
             invalid index to drop if it fails; every insert and every update of {} \
             maintains the index",
            grouped(c.table.rows),
            column.1
        ),
        statements: vec![format!("CREATE INDEX CONCURRENTLY {name} ON {target}")],
        safe: true,
    })
}

/// The advice to install hypopg, when candidates could not be proven.
fn ask_for_hypopg(server_version: i32, candidates: &[Candidate], why: &str) -> Advice {
    let major = server_version / 10_000;
    let mut targets: Vec<String> = Vec::new();
    for c in candidates {
        for col in &c.columns {
            let t = format!("{}({})", c.table.qualified, col.1);
            if !targets.contains(&t) {
                targets.push(t);
            }
        }
    }
    Advice {
        kind: "configuration".into(),
        object: "extension hypopg".into(),
        message: format!(
            "Install hypopg (Debian package postgresql-{major}-hypopg) to have index advice \
             proven."
        ),
        evidence: format!(
            "{} index candidate(s) on large, often sequentially scanned tables were left \
             unproven and are not proposed ({}): {why}",
            targets.len(),
            targets.join(", ")
        ),
        expected_gain: "index advice proven by the planner with hypothetical indexes".into(),
        risk: "none for the data: hypothetical indexes exist only in the session that makes \
               them; installing the package needs the server's administrator"
            .into(),
        statements: Vec::new(),
        safe: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_hypopg_the_candidates_are_named_but_nothing_is_proposed() {
        let candidate = |col: &str| Candidate {
            source: Source {
                sql: format!("SELECT * FROM t WHERE {col} = 1"),
                origin: "the workload".into(),
            },
            table: Table {
                oid: 1,
                qualified: "public.t".into(),
                schema: "public".into(),
                name: "t".into(),
                rows: 50_000.0,
                seq_scans: 40.0,
            },
            columns: vec![(col.into(), col.into())],
            bound: Bound {
                sql: String::new(),
                values: Vec::new(),
            },
        };
        let a = ask_for_hypopg(
            150_004,
            &[candidate("a"), candidate("a"), candidate("b")],
            "the server does not offer the extension hypopg",
        );
        assert_eq!(a.kind, "configuration");
        assert!(a.message.contains("postgresql-15-hypopg"), "{}", a.message);
        assert!(
            a.evidence.starts_with("2 index candidate(s)"),
            "{}",
            a.evidence
        );
        assert!(
            a.evidence.contains("public.t(a), public.t(b)"),
            "{}",
            a.evidence
        );
        assert!(a.statements.is_empty() && !a.safe);
    }
}
