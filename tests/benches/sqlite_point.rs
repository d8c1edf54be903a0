//! 100k SQLite point queries (prepared, by primary key): through the plugin ABI
//! (`DatabaseConnection::execute_query`) against raw rusqlite in the same process.
//!
//! Two databases: in memory (the call path alone, where the plugin's overhead shows most)
//! and a file in autocommit mode (as a cron job runs it: each statement takes a file lock).
//!
//! `cargo bench -p myrmex-tests --bench sqlite_point`

use myrmex_core::{DatabaseConnection, Value};
use std::time::{Duration, Instant};

const ROWS: i64 = 100_000;
const QUERIES: i64 = 100_000;
const ROUNDS: usize = 7;
const SQL: &str = "SELECT id, name, score FROM items WHERE id = ?";
const SETUP: &str = "PRAGMA cache_size = -262144;
    CREATE TABLE IF NOT EXISTS items(id INTEGER PRIMARY KEY, name TEXT NOT NULL, score REAL NOT NULL);
    INSERT OR IGNORE INTO items
      WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 100000)
      SELECT i, 'item-' || i, i * 0.5 FROM s;";

/// A fixed permutation of the keys, so every variant reads the same rows.
fn key(i: i64) -> i64 {
    (i * 7919) % ROWS + 1
}

fn raw_typed(c: &rusqlite::Connection) -> i64 {
    let mut check = 0;
    for i in 0..QUERIES {
        let mut stmt = c.prepare_cached(SQL).unwrap();
        let (id, name, score): (i64, String, f64) = stmt
            .query_row([key(i)], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap();
        check += id + name.len() as i64 + score as i64;
    }
    check
}

fn raw_values(c: &rusqlite::Connection) -> i64 {
    use rusqlite::types::Value as V;
    let mut check = 0;
    for i in 0..QUERIES {
        let mut stmt = c.prepare_cached(SQL).unwrap();
        let mut rows = stmt.query([key(i)]).unwrap();
        let mut out: Vec<Vec<V>> = Vec::new();
        while let Some(r) = rows.next().unwrap() {
            out.push((0..3).map(|j| r.get::<_, V>(j).unwrap()).collect());
        }
        if let [V::Integer(id), V::Text(t), V::Real(s)] = out[0].as_slice() {
            check += id + t.len() as i64 + *s as i64;
        }
    }
    check
}

fn plugin(c: &mut DatabaseConnection) -> i64 {
    let mut check = 0;
    for i in 0..QUERIES {
        let rs = c.execute_query(SQL, &[Value::Int(key(i))]).unwrap();
        if let [Value::Int(id), Value::Text(name), Value::Float(score)] = rs.row(0).unwrap() {
            check += id + name.len() as i64 + *score as i64;
        }
    }
    check
}

fn median(mut v: Vec<Duration>) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64() * 1e3
}

fn bench(label: &str, url: &str, raw: rusqlite::Connection) {
    raw.execute_batch(SETUP).unwrap();
    let mut c = DatabaseConnection::from_url_with("bench", url, &myrmex_tests::registry()).unwrap();
    c.connect_with(&myrmex_tests::registry()).unwrap();
    c.execute_batch(SETUP).unwrap();
    let expected = raw_typed(&raw);
    assert_eq!(plugin(&mut c), expected);
    assert_eq!(raw_values(&raw), expected);

    let (mut typed, mut values, mut plug) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let s = Instant::now();
        std::hint::black_box(raw_typed(&raw));
        typed.push(s.elapsed());
        let s = Instant::now();
        std::hint::black_box(raw_values(&raw));
        values.push(s.elapsed());
        let s = Instant::now();
        std::hint::black_box(plugin(&mut c));
        plug.push(s.elapsed());
    }
    let (a, b, p) = (median(typed), median(values), median(plug));
    println!("{label}: 100k point queries, median of {ROUNDS} rounds");
    println!("  raw rusqlite, typed tuple      {a:>8.1} ms");
    println!("  raw rusqlite, Vec<Value> rows  {b:>8.1} ms");
    println!("  myrmex plugin (execute_query)  {p:>8.1} ms");
    println!("  ratio plugin / raw typed       {:>8.3}", p / a);
    println!("  ratio plugin / raw Vec<Value>  {:>8.3}", p / b);
}

fn main() {
    bench(
        "in-memory",
        "sqlite::memory:",
        rusqlite::Connection::open_in_memory().unwrap(),
    );
    let dir = myrmex_tests::temp_dir("bench-point");
    let path = dir.join("bench.db");
    bench(
        "file",
        &format!("sqlite://{}", path.display()),
        rusqlite::Connection::open(&path).unwrap(),
    );
}
