//! What the client statement metrics cost a statement: 200k prepared point queries on an
//! in-memory SQLite table through `DatabaseConnection::execute_query`, with no statement hook,
//! with a hook that does nothing (the cost of running hooks at all), and with
//! `ClientMetrics::global()` installed (what the shell runs with), in alternating rounds.
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

fn key(i: i64) -> i64 {
    (i * 7919) % ROWS + 1
}

/// Runs the loop; returns nanoseconds per query.
fn point_queries(c: &mut DatabaseConnection) -> f64 {
    let start = Instant::now();
    let mut check = 0usize;
    for i in 0..QUERIES {
        let rs = c.execute_query(SQL, &[Value::Int(key(i))]).unwrap();
        if let Some([Value::Text(v)]) = rs.row(0) {
            check += v.len();
        }
    }
    std::hint::black_box(check);
    start.elapsed().as_nanos() as f64 / QUERIES as f64
}

fn with(variant: Variant, c: &mut DatabaseConnection) -> f64 {
    hook::clear();
    match variant {
        Variant::NoHooks => {}
        Variant::EmptyHook => hook::install(Arc::new(Nothing)),
        Variant::ClientMetrics => hook::install(ClientMetrics::global()),
    }
    let ns = point_queries(c);
    hook::clear();
    ns
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
    // Warm-up: the statement cache, the fingerprint cache, the allocator.
    for v in [Variant::NoHooks, Variant::EmptyHook, Variant::ClientMetrics] {
        with(v, &mut c);
    }

    let (mut none, mut empty, mut metrics) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        none.push(with(Variant::NoHooks, &mut c));
        empty.push(with(Variant::EmptyHook, &mut c));
        metrics.push(with(Variant::ClientMetrics, &mut c));
    }
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

    let (n, e, m) = (median(none), median(empty), median(metrics));
    println!("in-memory SQLite, {QUERIES} prepared point queries, median of {ROUNDS} rounds");
    println!("  no hooks                    {n:>8.1} ns/query");
    println!(
        "  an empty hook               {e:>8.1} ns/query  ({:+.1} %)",
        (e / n - 1.0) * 100.0
    );
    println!(
        "  ClientMetrics::global()     {m:>8.1} ns/query  ({:+.1} %)",
        (m / n - 1.0) * 100.0
    );
    println!("  of which recording          {:>8.1} ns/query", m - e);
}
