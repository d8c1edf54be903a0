//! 10,000 point queries by primary key through the PostgreSQL and MySQL plugins vs the raw
//! `postgres` / `mysql` crates in the same process (plain TCP on both sides).
//!
//! `MYRMEX_TEST_POSTGRES_URL=… MYRMEX_TEST_MYSQL_URL=… cargo bench -p myrmex-tests --bench server_point`

use myrmex_core::{DatabaseConnection, Value};
use mysql::prelude::Queryable;
use std::time::{Duration, Instant};

const ROWS: i64 = 10_000;
const QUERIES: i64 = 10_000;
const ROUNDS: usize = 5;

fn key(i: i64) -> i64 {
    (i * 7919) % ROWS + 1
}

fn median(mut v: Vec<Duration>) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64() * 1e3
}

fn plugin(c: &mut DatabaseConnection) -> i64 {
    let mut sum = 0;
    for i in 0..QUERIES {
        let rs = c
            .execute_query(
                "SELECT id, name, score FROM bench_point WHERE id = ?",
                &[Value::Int(key(i))],
            )
            .unwrap();
        if let Value::Int(id) = rs.row(0).unwrap()[0] {
            sum += id;
        }
    }
    sum
}

/// Checks both sides compute the same, then times them alternately and reports.
fn compare(label: &str, mut raw: impl FnMut() -> i64, mut ours: impl FnMut() -> i64) {
    assert_eq!(raw(), ours(), "{label}: both sides read the same rows");
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let s = Instant::now();
        std::hint::black_box(raw());
        a.push(s.elapsed());
        let s = Instant::now();
        std::hint::black_box(ours());
        b.push(s.elapsed());
    }
    report(label, a, b);
}

fn report(label: &str, raw: Vec<Duration>, ours: Vec<Duration>) {
    let (r, o) = (median(raw), median(ours));
    println!("{label}: {QUERIES} point queries, median of {ROUNDS}");
    println!("  raw crate        {r:>8.1} ms");
    println!("  myrmex plugin    {o:>8.1} ms");
    println!("  ratio            {:>8.3}", o / r);
}

fn postgres(url: &str) {
    let plain = format!(
        "{url}{}sslmode=disable",
        if url.contains('?') { '&' } else { '?' }
    );
    let mut ours =
        DatabaseConnection::from_url_with("pg", &plain, &myrmex_tests::registry()).unwrap();
    ours.connect_with(&myrmex_tests::registry()).unwrap();
    ours.execute_batch(&format!(
        "DROP TABLE IF EXISTS bench_point; CREATE TABLE bench_point(id bigint PRIMARY KEY, name text NOT NULL, score double precision NOT NULL);
         INSERT INTO bench_point SELECT g, 'item-' || g, g * 0.5 FROM generate_series(1, {ROWS}) g; ANALYZE bench_point;"
    ))
    .unwrap();
    let o = myrmex_tests::registry()
        .parse_url(url, std::path::Path::new(""))
        .unwrap();
    let mut cfg = postgres::Config::new();
    cfg.host(if o.host.is_empty() {
        "localhost"
    } else {
        o.host.as_str()
    })
    .port(if o.port == 0 { 5432 } else { o.port })
    .user(o.user.as_str())
    .dbname(o.database.as_str());
    let mut raw = cfg.connect(postgres::NoTls).unwrap();
    let stmt = raw
        .prepare("SELECT id, name, score FROM bench_point WHERE id = $1")
        .unwrap();
    let raw_run = |c: &mut postgres::Client| {
        let mut sum = 0;
        for i in 0..QUERIES {
            let row = c.query_one(&stmt, &[&key(i)]).unwrap();
            let (id, _name, _score): (i64, String, f64) = (row.get(0), row.get(1), row.get(2));
            sum += id;
        }
        sum
    };
    compare(
        "postgres (rust-postgres 0.19)",
        || raw_run(&mut raw),
        || plugin(&mut ours),
    );
}

fn mysql(url: &str) {
    let mut ours = DatabaseConnection::from_url_with("my", url, &myrmex_tests::registry()).unwrap();
    ours.connect_with(&myrmex_tests::registry()).unwrap();
    ours.execute_batch(
        "DROP TABLE IF EXISTS bench_point; CREATE TABLE bench_point(id bigint PRIMARY KEY, name varchar(40) NOT NULL, score double NOT NULL)",
    )
    .unwrap();
    let mut t = ours.transaction().unwrap();
    {
        for i in 1..=ROWS {
            t.execute(
                "INSERT INTO bench_point VALUES (?, ?, ?)",
                &[
                    Value::Int(i),
                    Value::Text(format!("item-{i}").into()),
                    Value::Float(i as f64 * 0.5),
                ],
            )
            .unwrap();
        }
    }
    t.commit().unwrap();
    let o = myrmex_tests::registry()
        .parse_url(url, std::path::Path::new(""))
        .unwrap();
    let opts = mysql::OptsBuilder::new()
        .ip_or_hostname(Some(if o.host.is_empty() {
            "localhost"
        } else {
            o.host.as_str()
        }))
        .tcp_port(if o.port == 0 { 3306 } else { o.port })
        .user(Some(o.user.as_str()))
        .db_name(Some(o.database.as_str()))
        // The crate would otherwise switch 127.0.0.1 to the Unix socket; the plugin keeps the
        // TCP transport the URL names, so the baseline does too.
        .prefer_socket(false);
    let mut raw = mysql::Conn::new(opts).unwrap();

    let stmt = raw
        .prep("SELECT id, name, score FROM bench_point WHERE id = ?")
        .unwrap();
    let raw_run = |c: &mut mysql::Conn| {
        let mut sum = 0;
        for i in 0..QUERIES {
            let (id, _name, _score): (i64, String, f64) =
                c.exec_first(&stmt, (key(i),)).unwrap().unwrap();
            sum += id;
        }
        sum
    };
    compare(
        "mysql (mysql crate 28, MariaDB)",
        || raw_run(&mut raw),
        || plugin(&mut ours),
    );
}

fn main() {
    match std::env::var("MYRMEX_TEST_POSTGRES_URL") {
        Ok(u) => postgres(&u),
        Err(_) => println!("postgres: skipped (MYRMEX_TEST_POSTGRES_URL unset)"),
    }
    match std::env::var("MYRMEX_TEST_MYSQL_URL") {
        Ok(u) => mysql(&u),
        Err(_) => println!("mysql: skipped (MYRMEX_TEST_MYSQL_URL unset)"),
    }
}
