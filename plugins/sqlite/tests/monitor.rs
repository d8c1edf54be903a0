//! Monitoring and tuning through the driver: the snapshot of a file database, the proof
//! that a proposed index makes the workload's statement faster, and the advice about
//! redundant indexes, statistics and bloat.

use myrmex_plugin::monitor::{Advice, AdviceRequest};
use myrmex_plugin::{all_rows, ConnectOptions, Connection, Driver, Params, Value};
use myrmex_sqlite::driver::SqliteDriver;
use std::collections::HashMap;
use std::time::{Duration, Instant};

type Conn = <SqliteDriver as Driver>::Connection;

/// A fresh database file for the test `name`, in the temporary directory.
fn db_path(name: &str) -> String {
    let dir = std::env::temp_dir().join(format!("myrmex-sqlite-monitor-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("the temporary directory is writable");
    let path = dir.join(format!("{name}.db")).display().to_string();
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let _ = std::fs::remove_file(format!("{path}{suffix}"));
    }
    path
}

fn open(path: &str) -> Conn {
    let options = ConnectOptions {
        db_type: "sqlite".into(),
        database: path.into(),
        ..Default::default()
    };
    SqliteDriver.connect(&options).unwrap()
}

fn int(c: &mut Conn, sql: &str) -> i64 {
    match all_rows(c, sql, Params::none()).unwrap()[0][0] {
        Value::Int(n) => n,
        ref other => panic!("{sql}: {other:?}"),
    }
}

/// The advice for `workload`.
fn advise(c: &mut Conn, workload: &[&str]) -> Vec<Advice> {
    let request = AdviceRequest {
        workload: workload.iter().map(|s| s.to_string()).collect(),
        memory_bytes: 8 << 30,
        cores: 2,
    };
    c.advise(&request).unwrap()
}

fn of_kind<'a>(advice: &'a [Advice], kind: &str) -> Vec<&'a Advice> {
    advice.iter().filter(|a| a.kind == kind).collect()
}

#[test]
fn metrics_of_a_file_database() {
    let path = db_path("metrics");
    let mut c = open(&path);
    c.execute_batch(
        "PRAGMA journal_mode = wal; \
         CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT UNIQUE, name TEXT); \
         CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INT, total REAL); \
         CREATE INDEX orders_customer ON orders (customer_id); \
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) \
         INSERT INTO customers (email, name) SELECT 'c' || i || '@x', printf('%.50c', 'n') FROM n; \
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000) \
         INSERT INTO orders (customer_id, total) SELECT i % 2000, i * 1.5 FROM n; \
         ANALYZE orders;",
    )
    .unwrap();
    let page_size = int(&mut c, "PRAGMA page_size");
    let page_count = int(&mut c, "PRAGMA page_count");
    let _ = all_rows(
        &mut c,
        "SELECT count(*) FROM customers WHERE name > ''",
        Params::none(),
    );

    let snap = c.metrics().unwrap().into_abi();
    let mut v: HashMap<String, f64> = HashMap::new();
    for m in snap.samples.iter() {
        let labels: Vec<String> = m
            .labels
            .iter()
            .map(|t| format!("{}={}", t.0, t.1))
            .collect();
        let key = if labels.is_empty() {
            m.name.to_string()
        } else {
            format!("{}{{{}}}", m.name, labels.join(","))
        };
        assert!(!m.help.is_empty(), "{key} has help");
        assert!(
            v.insert(key, m.value).is_none(),
            "one sample per name and labels"
        );
    }
    println!("{v:#?}");
    assert_eq!(v["connections"], 1.0);
    assert_eq!(v["page_size_bytes"], page_size as f64);
    assert_eq!(v["database_size_bytes"], (page_size * page_count) as f64);
    assert_eq!(v["freelist_bytes"], 0.0);
    assert_eq!(v["free_ratio"], 0.0);
    let wal_len = std::fs::metadata(format!("{path}-wal")).unwrap().len();
    assert!(wal_len > 0);
    assert_eq!(v["wal_size_bytes"], wal_len as f64);
    assert_eq!(
        v["cache_size_bytes"],
        2000.0 * 1024.0,
        "the default -2000: 2000 KiB"
    );
    assert!(v["cache_used_bytes"] > 0.0);
    assert!(v["cache_hits_total"] > 0.0);
    assert!((0.0..=1.0).contains(&v["cache_hit_ratio"]));
    assert_eq!(v["table_rows{table=orders}"], 5000.0, "from sqlite_stat1");
    assert_eq!(v["table_rows{table=customers}"], 2000.0, "counted");
    let customers = v["table_size_bytes{table=customers}"];
    assert!(customers >= 2000.0 * 50.0 && customers < v["database_size_bytes"]);
    assert!(v["index_size_bytes{index=orders_customer,table=orders}"] >= page_size as f64);
    assert!(v.contains_key("index_size_bytes{index=sqlite_autoindex_customers_1,table=customers}"));
    assert!(
        !v.keys().any(|k| k.contains("sqlite_stat1")),
        "SQLite's own tables are left out"
    );

    let tables: HashMap<&str, _> = snap.tables.iter().map(|t| (t.name.as_str(), t)).collect();
    let t = tables["tables"];
    let columns: Vec<&str> = t.columns.iter().map(|c| c.as_str()).collect();
    assert_eq!(columns, ["table", "rows", "bytes", "has_stat1"]);
    let rows: Vec<Vec<Value>> = t
        .rows
        .chunks(4)
        .map(|r| r.iter().map(|v| v.as_enum().unwrap().clone()).collect())
        .collect();
    assert_eq!(rows[0][..2], [Value::from("customers"), Value::Int(2000)]);
    assert_eq!(rows[0][3], Value::Bool(false));
    assert_eq!(rows[1][3], Value::Bool(true));
    let ix = tables["indexes"];
    let columns: Vec<&str> = ix.columns.iter().map(|c| c.as_str()).collect();
    assert_eq!(
        columns,
        ["index", "table", "columns", "unique", "origin", "bytes"]
    );
    let rows: Vec<Vec<Value>> = ix
        .rows
        .chunks(6)
        .map(|r| r.iter().map(|v| v.as_enum().unwrap().clone()).collect())
        .collect();
    assert!(rows.contains(&vec![
        Value::from("sqlite_autoindex_customers_1"),
        Value::from("customers"),
        Value::from("email"),
        Value::Bool(true),
        Value::from("u"),
        rows[0][5].clone(),
    ]));
    let notes: Vec<&str> = snap.notes.iter().map(|n| n.as_str()).collect();
    assert_eq!(
        notes,
        ["SQLite keeps no statement statistics: myrmex's client metrics cover it"]
    );
}

/// The median time of `runs` runs of `sql`, every row read.
fn median(c: &mut Conn, sql: &str, runs: usize) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let started = Instant::now();
            let rows = all_rows(c, sql, Params::none()).unwrap();
            let took = started.elapsed();
            assert_eq!(rows.len(), 6, "{sql}");
            took
        })
        .collect();
    times.sort();
    times[runs / 2]
}

#[test]
fn a_proposed_index_is_proven_and_makes_the_statement_faster() {
    let path = db_path("proof");
    let mut c = open(&path);
    c.execute_batch(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, customer_id INT, status TEXT, note TEXT); \
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300000) \
         INSERT INTO t (customer_id, status, note) \
         SELECT i % 50000, 's' || (i % 4), 'order ' || i FROM n;",
    )
    .unwrap();
    let workload = "SELECT * FROM t WHERE customer_id = 4242";

    let started = Instant::now();
    let advice = advise(&mut c, &[workload]);
    let took = started.elapsed();
    let found = of_kind(&advice, "missing-index");
    assert_eq!(found.len(), 1, "{advice:#?}");
    let a = found[0];
    println!("advise took {took:?}\n{a:#?}");
    assert_eq!(a.object, "t");
    assert_eq!(
        a.statements,
        ["CREATE INDEX ix_t_customer_id ON t (customer_id)"]
    );
    assert!(a.safe, "300,000 rows is under the limit");
    assert!(
        a.evidence.starts_with("EXPLAIN QUERY PLAN now: SCAN t."),
        "{}",
        a.evidence
    );
    assert!(
        a.evidence
            .contains("SEARCH t USING INDEX ix_t_customer_id (customer_id=?)"),
        "{}",
        a.evidence
    );
    assert!(a.evidence.contains("(300,000 rows)"), "{}", a.evidence);
    assert!(a.risk.contains("write lock"), "{}", a.risk);

    let before = median(&mut c, workload, 7);
    c.execute_batch(&a.statements[0]).unwrap();
    let after = median(&mut c, workload, 7);
    let ratio = before.as_secs_f64() / after.as_secs_f64();
    println!("{workload}: {before:?} before the index, {after:?} after: {ratio:.1}× faster");
    assert!(ratio >= 5.0, "{before:?} → {after:?}");

    let again = advise(&mut c, &[workload]);
    assert!(of_kind(&again, "missing-index").is_empty(), "{again:#?}");
}

#[test]
fn redundant_indexes_statistics_and_bloat() {
    let path = db_path("advice");
    let mut c = open(&path);
    c.execute_batch(
        "CREATE TABLE a (id INTEGER PRIMARY KEY, code TEXT UNIQUE, x INT, y INT, body BLOB); \
         CREATE UNIQUE INDEX a_code_twin ON a (code); \
         CREATE INDEX a_code ON a (code); \
         CREATE INDEX a_x ON a (x); CREATE INDEX a_xy ON a (x, y); \
         CREATE INDEX a_xy_again ON a (x, y); \
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000) \
         INSERT INTO a (code, x, y, body) SELECT 'c' || i, i % 10, i, randomblob(2000) FROM n;",
    )
    .unwrap();
    let advice = advise(&mut c, &[]);
    let mut dropped: Vec<&str> = of_kind(&advice, "duplicate-index")
        .iter()
        .map(|a| {
            assert!(!a.safe);
            a.statements[0].as_str()
        })
        .collect();
    dropped.sort();
    assert_eq!(
        dropped,
        [
            "DROP INDEX a_code",
            "DROP INDEX a_code_twin",
            "DROP INDEX a_x",
            "DROP INDEX a_xy_again"
        ],
        "the UNIQUE constraint's own index is never proposed"
    );
    assert!(!dropped.iter().any(|d| d.contains("autoindex")));

    let stale = of_kind(&advice, "stale-statistics");
    assert_eq!(stale.len(), 1, "{stale:#?}");
    assert_eq!(stale[0].statements, ["ANALYZE a"]);
    assert!(stale[0].safe);
    assert!(stale[0].evidence.starts_with("no sqlite_stat1 row for"));
    let optimize = of_kind(&advice, "optimize");
    assert_eq!(optimize.len(), 1);
    assert_eq!(optimize[0].statements, ["PRAGMA optimize"]);
    assert!(
        optimize[0].evidence.contains("ANALYZE on a,")
            || optimize[0].evidence.contains("ANALYZE on a ")
    );
    assert!(of_kind(&advice, "bloat").is_empty());
    let settings: Vec<&str> = of_kind(&advice, "configuration")
        .iter()
        .map(|a| a.object.as_str())
        .collect();
    assert!(settings.contains(&"setting journal_mode"), "{settings:?}");
    assert!(settings.contains(&"setting mmap_size"), "{settings:?}");

    c.execute_batch("ANALYZE").unwrap();
    let advice = advise(&mut c, &[]);
    assert!(
        of_kind(&advice, "stale-statistics").is_empty(),
        "{advice:#?}"
    );
    assert!(of_kind(&advice, "optimize")[0]
        .evidence
        .starts_with("every index"));

    c.execute_batch("DELETE FROM a WHERE id > 300").unwrap();
    let advice = advise(&mut c, &[]);
    let stale = of_kind(&advice, "stale-statistics");
    assert_eq!(stale.len(), 1);
    assert_eq!(
        stale[0].evidence,
        "sqlite_stat1 records 3,000 rows for a, count(*) finds 300"
    );
    let bloat = of_kind(&advice, "bloat");
    assert_eq!(bloat.len(), 1, "{advice:#?}");
    assert_eq!(bloat[0].statements, ["VACUUM"]);
    assert!(!bloat[0].safe);
    assert!(bloat[0].risk.contains("exclusive access"));
    println!("{:#?}", bloat[0]);

    c.execute_batch(&bloat[0].statements[0]).unwrap();
    assert!(of_kind(&advise(&mut c, &[]), "bloat").is_empty());
    let snap = c.metrics().unwrap().into_abi();
    let free = snap
        .samples
        .iter()
        .find(|m| m.name.as_str() == "free_ratio")
        .unwrap();
    assert_eq!(free.value, 0.0);
}
