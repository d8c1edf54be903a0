//! What the client statement metrics cost a statement: prepared point queries through
//! `DatabaseConnection::execute_query`, with no statement hook, with a hook that does
//! nothing (the cost of running hooks at all), and with `ClientMetrics::global()` installed
//! (what the shell runs with), in alternating rounds: 200k on an in-memory SQLite table (the
//! cheapest statement there is, so the hook's cost shows most), and, when
//! `MYRMEX_TEST_POSTGRES_URL` is set, a pgbench-like loop (`SELECT abalance FROM
//! pgbench_accounts WHERE aid = $1` on 100,000 stored rows) on PostgreSQL.
//!
//! `cargo bench -p myrmex-tests --bench client_metrics`

use myrmex_core::hook::{self, StatementHook};
use myrmex_core::monitor::ClientMetrics;
use myrmex_core::{DatabaseConnection, Value};
use std::sync::Arc;
use std::time::Instant;

const ROWS: i64 = 10_000;
const QUERIES: i64 = 200_000;
const ROUNDS: usize = 9;
const SQL: &str = "SELECT v FROM t WHERE id = ?";
const SETUP: &str = "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL);
    INSERT INTO t
      WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 10000)
      SELECT i, 'value-' || i FROM s;";

/// A hook that does nothing: what remains is the host's cost of running hooks.
struct Nothing;
impl StatementHook for Nothing {}

#[derive(Clone, Copy)]
enum Variant {
    NoHooks,
    EmptyHook,
    ClientMetrics,
}

/// One loop: the statement, how many times, over how many keys.
#[derive(Clone, Copy)]
struct Work {
    sql: &'static str,
    queries: i64,
    keys: i64,
}

/// Runs the loop; returns nanoseconds per query.
fn point_queries(c: &mut DatabaseConnection, w: Work) -> f64 {
    let start = Instant::now();
    let mut check = 0usize;
    for i in 0..w.queries {
        let rs = c
            .execute_query(w.sql, &[Value::Int((i * 7919) % w.keys + 1)])
            .unwrap();
        check += rs.len();
    }
    std::hint::black_box(check);
    start.elapsed().as_nanos() as f64 / w.queries as f64
}

fn with(variant: Variant, c: &mut DatabaseConnection, w: Work) -> f64 {
    hook::clear();
    match variant {
        Variant::NoHooks => {}
        Variant::EmptyHook => hook::install(Arc::new(Nothing)),
        Variant::ClientMetrics => hook::install(ClientMetrics::global()),
    }
    let ns = point_queries(c, w);
    hook::clear();
    ns
}

/// Alternating rounds of the three variants; prints the medians.
fn compare(label: &str, c: &mut DatabaseConnection, w: Work, rounds: usize) {
    for v in [Variant::NoHooks, Variant::EmptyHook, Variant::ClientMetrics] {
        with(v, c, w);
    }
    let (mut none, mut empty, mut metrics) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        none.push(with(Variant::NoHooks, c, w));
        empty.push(with(Variant::EmptyHook, c, w));
        metrics.push(with(Variant::ClientMetrics, c, w));
    }
    let (n, e, m) = (median(none), median(empty), median(metrics));
    println!(
        "{label}, {} prepared point queries, median of {rounds} rounds",
        w.queries
    );
    println!("  no hooks                    {n:>10.1} ns/query");
    println!(
        "  an empty hook               {e:>10.1} ns/query  ({:+.1} %)",
        (e / n - 1.0) * 100.0
    );
    println!(
        "  ClientMetrics::global()     {m:>10.1} ns/query  ({:+.1} %)",
        (m / n - 1.0) * 100.0
    );
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let registry = myrmex_tests::registry();
    let mut c = DatabaseConnection::from_url_with("bench", "sqlite::memory:", &registry).unwrap();
    c.connect_with(&registry).unwrap();
    c.execute_batch(SETUP).unwrap();
    // The first call installs the collector; every round installs it again itself.
    ClientMetrics::global();
    hook::clear();
    let lite = Work {
        sql: SQL,
        queries: QUERIES,
        keys: ROWS,
    };
    compare("in-memory SQLite", &mut c, lite, ROUNDS);
    let recorded = ClientMetrics::global()
        .stats()
        .into_iter()
        .find(|s| s.fingerprint == SQL)
        .map_or(0, |s| s.count);
    let expected = (QUERIES as u64) * (ROUNDS as u64 + 1);
    assert_eq!(
        recorded, expected,
        "every query of the metrics rounds is counted"
    );

    let Ok(url) = std::env::var("MYRMEX_TEST_POSTGRES_URL") else {
        println!(
            "PostgreSQL: MYRMEX_TEST_POSTGRES_URL is not set, the pgbench-like loop did not run"
        );
        return;
    };
    let mut pg = DatabaseConnection::from_url_with("bench-pg", &url, &registry).unwrap();
    pg.connect_with(&registry).unwrap();
    pg.execute_batch(
        "DROP TABLE IF EXISTS pgbench_accounts;
         CREATE TABLE pgbench_accounts(aid int PRIMARY KEY, bid int, abalance int, filler char(84));
         INSERT INTO pgbench_accounts SELECT i, 1, 0, '' FROM generate_series(1, 100000) i;
         ANALYZE pgbench_accounts;",
    )
    .unwrap();
    let pgbench = Work {
        sql: "SELECT abalance FROM pgbench_accounts WHERE aid = $1",
        queries: 20_000,
        keys: 100_000,
    };
    compare("PostgreSQL (pgbench-like, TCP)", &mut pg, pgbench, 7);
    pg.execute_batch("DROP TABLE pgbench_accounts").unwrap();
}
