//! `metrics()` and `advise()` of the MySQL driver, called through the kit's `Connection`
//! trait on sessions opened by the driver itself:
//!
//! * against the test server (`MYRMEX_TEST_MYSQL_URL`; each test in a database of its own,
//!   `<test database>_<suffix>`): the snapshot's samples and tables; the proof that a
//!   proposed index pays (a 300,000-row table, the query timed before and after applying the
//!   advice); duplicate and redundant indexes;
//! * against a MariaDB server of the test's own started with `--performance-schema=ON`
//!   (`mariadb-install-db` then `mariadbd` on a free port, under `/tmp`, stopped and removed
//!   when the test ends): top statements, index usage, unused indexes, and an index proposed
//!   from the server's statement digests alone.
//!
//! Without a server the tests print SKIPPED, unless `MYRMEX_REQUIRE_SERVERS=1`, where that is
//! a failure.

use myrmex_mysql::{MysqlConnection, MysqlDriver};
use myrmex_plugin::monitor::{Advice, AdviceRequest};
use myrmex_plugin::{all_rows, ConnectOptions, Connection, Driver, Params, Value};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// True when a server that cannot be reached or started must fail the test.
fn required() -> bool {
    std::env::var("MYRMEX_REQUIRE_SERVERS").as_deref() == Ok("1")
}

fn test_url() -> String {
    std::env::var("MYRMEX_TEST_MYSQL_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/myrmex_wt_mmy".into())
}

fn parse(url: &str) -> ConnectOptions {
    MysqlDriver
        .parse_url(url, "")
        .unwrap_or_else(|e| panic!("{url}: {e}"))
}

fn connect(options: &ConnectOptions) -> MysqlConnection {
    MysqlDriver
        .connect(options)
        .unwrap_or_else(|e| panic!("cannot connect to {}: {e}", options.host))
}

/// A database of the test's own on the test server, `<test database>_<suffix>`, dropped
/// when the value goes; `None` (after printing SKIPPED) when the server is unreachable and
/// servers are not required.
struct OwnDatabase {
    options: ConnectOptions,
}

impl OwnDatabase {
    fn new(suffix: &str) -> Option<Self> {
        let mut admin_options = parse(&test_url());
        let name = format!("{}_{suffix}", admin_options.database);
        admin_options.database = "".into();
        let mut admin = match MysqlDriver.connect(&admin_options) {
            Ok(c) => c,
            Err(e) => {
                assert!(!required(), "the test server is unreachable: {e}");
                println!("SKIPPED: the test server is unreachable ({e})");
                return None;
            }
        };
        let quoted = admin.quote(&name);
        admin
            .execute_batch(&format!(
                "DROP DATABASE IF EXISTS {quoted}; CREATE DATABASE {quoted}"
            ))
            .expect("create the test's database");
        admin_options.database = name.into();
        Some(OwnDatabase {
            options: admin_options,
        })
    }

    fn connect(&self) -> MysqlConnection {
        connect(&self.options)
    }
}

impl Drop for OwnDatabase {
    fn drop(&mut self) {
        let mut options = self.options.clone();
        let name = std::mem::take(&mut options.database);
        if let Ok(mut admin) = MysqlDriver.connect(&options) {
            let quoted = admin.quote(&name);
            let _ = admin.execute_batch(&format!("DROP DATABASE IF EXISTS {quoted}"));
        }
    }
}

/// The rows of `sql`.
fn rows(c: &mut MysqlConnection, sql: &str) -> Vec<Vec<Value>> {
    all_rows(c, sql, Params::none()).unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// The one value of `sql`.
fn scalar(c: &mut MysqlConnection, sql: &str) -> Value {
    rows(c, sql)
        .into_iter()
        .next()
        .and_then(|r| r.into_iter().next())
        .unwrap_or(Value::Null)
}

fn advise(c: &mut MysqlConnection, workload: &[&str], memory_bytes: u64) -> Vec<Advice> {
    let started = Instant::now();
    let request = AdviceRequest {
        workload: workload.iter().map(|s| s.to_string()).collect(),
        memory_bytes,
        cores: 2,
    };
    let advice = c.advise(&request).unwrap_or_else(|e| panic!("advise: {e}"));
    println!(
        "advise: {} recommendation(s) in {:.0} ms",
        advice.len(),
        started.elapsed().as_secs_f64() * 1000.0
    );
    for a in &advice {
        println!(
            "  [{}] {} — {}\n    evidence: {}\n    gain: {}\n    risk: {}\n    statements: {:?} safe={}",
            a.kind, a.object, a.message, a.evidence, a.expected_gain, a.risk, a.statements, a.safe
        );
    }
    advice
}

/// The samples named `name`: labels and values.
fn samples(snap: &myrmex_abi::MetricsSnapshot, name: &str) -> Vec<(Vec<(String, String)>, f64)> {
    snap.samples
        .iter()
        .filter(|s| s.name.as_str() == name)
        .map(|s| {
            (
                s.labels
                    .iter()
                    .map(|t| (t.0.to_string(), t.1.to_string()))
                    .collect(),
                s.value,
            )
        })
        .collect()
}

/// Table `name` of a snapshot: its columns and rows.
fn table(snap: &myrmex_abi::MetricsSnapshot, name: &str) -> (Vec<String>, Vec<Vec<Value>>) {
    let t = snap
        .tables
        .iter()
        .find(|t| t.name.as_str() == name)
        .unwrap_or_else(|| panic!("no table {name} in the snapshot"));
    let columns: Vec<String> = t.columns.iter().map(|c| c.to_string()).collect();
    let values: Vec<Value> = t
        .rows
        .iter()
        .map(|v| v.as_enum().cloned().expect("a value of this contract"))
        .collect();
    let rows = values.chunks(columns.len()).map(|r| r.to_vec()).collect();
    (columns, rows)
}

/// Fills `t` with `n` rows (n ≤ 1,000,000) from a cross join of digits: `customer_id` is
/// the row number modulo `customers`.
fn fill(c: &mut MysqlConnection, n: u64, customers: u64) {
    c.execute_batch(
        "DROP TABLE IF EXISTS digits; CREATE TABLE digits (i INT); \
         INSERT INTO digits VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)",
    )
    .unwrap();
    c.execute_batch(&format!(
        "INSERT INTO t (customer_id, amount, note) \
         SELECT n % {customers}, n % 1000, CONCAT('order ', n) FROM \
         (SELECT a.i + 10 * b.i + 100 * d.i + 1000 * e.i + 10000 * f.i + 100000 * g.i AS n \
          FROM digits a, digits b, digits d, digits e, digits f, digits g) x \
         WHERE n < {n}; \
         DROP TABLE digits; ANALYZE TABLE t"
    ))
    .unwrap();
}

/// The median wall time of `runs` runs of `sql`, which must return `expected` rows.
fn median(c: &mut MysqlConnection, sql: &str, runs: usize, expected: usize) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            let got = rows(c, sql);
            let took = t.elapsed();
            assert_eq!(got.len(), expected, "{sql}");
            took
        })
        .collect();
    times.sort();
    times[runs / 2]
}

#[test]
fn a_snapshot_holds_the_samples_and_tables_with_sane_values() {
    let Some(db) = OwnDatabase::new("metrics") else {
        return;
    };
    let mut c = db.connect();
    c.execute_batch(
        "CREATE TABLE m (id INT PRIMARY KEY, v VARCHAR(20), KEY ix_v (v)); \
         INSERT INTO m VALUES (1, 'a'), (2, 'b'); BEGIN; SELECT * FROM m; COMMIT",
    )
    .unwrap();
    // Another session, idle inside a transaction, and one running a long statement.
    let mut idle = db.connect();
    idle.begin().unwrap();
    idle.execute("UPDATE m SET v = 'c' WHERE id = 1", Params::none())
        .unwrap();
    let options = db.options.clone();
    let sleeper = std::thread::spawn(move || {
        let mut s = connect(&options);
        rows(&mut s, "SELECT SLEEP(3)")
    });
    std::thread::sleep(Duration::from_millis(2200));

    let started = Instant::now();
    let snap = c
        .metrics()
        .unwrap_or_else(|e| panic!("metrics: {e}"))
        .into_abi();
    println!(
        "metrics: {} samples, {} tables, {} notes in {:.0} ms",
        snap.samples.len(),
        snap.tables.len(),
        snap.notes.len(),
        started.elapsed().as_secs_f64() * 1000.0
    );
    for s in snap.samples.iter().take(40) {
        println!("  {} {:?} {:?} = {}", s.name, s.kind, s.labels, s.value);
    }
    for n in &snap.notes {
        println!("  note: {n}");
    }

    let connections = samples(&snap, "connections");
    let state = |name: &str| {
        connections
            .iter()
            .find(|(l, _)| l == &[("state".to_string(), name.to_string())])
            .map(|s| s.1)
            .unwrap_or_else(|| panic!("no connections{{state={name}}}: {connections:?}"))
    };
    assert!(state("active") >= 2.0, "this session and the sleeper");
    assert!(state("idle_in_transaction") >= 1.0);
    let max = samples(&snap, "max_connections")[0].1;
    assert!(max >= 1.0);
    assert!(samples(&snap, "threads_running")[0].1 >= 1.0);
    for counter in [
        "queries_total",
        "transactions_committed_total",
        "transactions_rolled_back_total",
        "slow_queries_total",
        "aborted_connects_total",
        "innodb_buffer_pool_reads_total",
        "innodb_buffer_pool_read_requests_total",
        "innodb_row_lock_waits_total",
        "innodb_row_lock_time_seconds_total",
        "bytes_received_total",
        "bytes_sent_total",
    ] {
        let found = samples(&snap, counter);
        assert_eq!(found.len(), 1, "{counter}");
        assert!(found[0].1 >= 0.0 && found[0].1.is_finite(), "{counter}");
        let kind = snap
            .samples
            .iter()
            .find(|s| s.name.as_str() == counter)
            .unwrap()
            .kind;
        assert_eq!(kind, myrmex_abi::MetricKind::COUNTER, "{counter}");
    }
    assert!(samples(&snap, "queries_total")[0].1 > 0.0);
    assert!(samples(&snap, "transactions_committed_total")[0].1 >= 1.0);
    assert!(samples(&snap, "bytes_received_total")[0].1 > 0.0);
    let ratio = samples(&snap, "cache_hit_ratio")[0].1;
    assert!((0.0..=1.0).contains(&ratio), "{ratio}");
    // The test server replicates from nobody.
    assert!(samples(&snap, "replication_lag_seconds").is_empty());
    let database = db.options.database.to_string();
    let table_label = vec![("table".to_string(), format!("{database}.m"))];
    assert_eq!(
        samples(&snap, "database_size_bytes"),
        [(
            vec![("database".to_string(), database.clone())],
            samples(&snap, "table_size_bytes")
                .iter()
                .chain(&samples(&snap, "index_size_bytes"))
                .map(|s| s.1)
                .sum::<f64>()
        )]
    );
    for name in ["table_size_bytes", "index_size_bytes", "table_free_bytes"] {
        let found = samples(&snap, name);
        assert_eq!(found.len(), 1, "{name}: {found:?}");
        assert_eq!(found[0].0, table_label, "{name}");
    }
    assert!(samples(&snap, "table_size_bytes")[0].1 > 0.0);
    assert!(snap
        .samples
        .iter()
        .all(|s| s.name.chars().all(|c| c.is_ascii_lowercase() || c == '_')));

    let long = table(&snap, "long_running");
    assert_eq!(
        long.0,
        ["id", "user", "host", "db", "seconds", "state", "query"]
    );
    let sleeping: Vec<_> = long
        .1
        .iter()
        .filter(|r| matches!(&r[6], Value::Text(q) if q.contains("SLEEP(3)")))
        .collect();
    assert_eq!(sleeping.len(), 1, "{long:?}");
    assert!(
        matches!(sleeping[0][4], Value::Int(s) if s >= 2),
        "{:?}",
        sleeping[0]
    );
    assert!(
        !long
            .1
            .iter()
            .any(|r| matches!(&r[6], Value::Text(q) if q.contains("PROCESSLIST"))),
        "this session's own statement is left out"
    );
    assert_eq!(table(&snap, "blocking").0.len(), 7);
    let tables = table(&snap, "tables");
    assert_eq!(
        tables.0,
        [
            "table",
            "engine",
            "rows_estimate",
            "data_bytes",
            "index_bytes",
            "free_bytes"
        ]
    );
    assert_eq!(tables.1.len(), 1);
    assert_eq!(tables.1[0][0], Value::from(format!("{database}.m")));
    let indexes = table(&snap, "indexes");
    assert_eq!(
        indexes.0,
        [
            "index",
            "table",
            "columns",
            "unique",
            "cardinality",
            "reads"
        ]
    );
    assert_eq!(
        indexes
            .1
            .iter()
            .map(|r| (r[0].clone(), r[2].clone(), r[3].clone()))
            .collect::<Vec<_>>(),
        [
            (Value::from("ix_v"), Value::from("v"), Value::from("NO")),
            (
                Value::from("PRIMARY"),
                Value::from("id"),
                Value::from("YES")
            ),
        ]
    );

    let performance_schema = scalar(&mut c, "SELECT @@performance_schema");
    if performance_schema == Value::Int(0) {
        assert!(
            snap.notes
                .iter()
                .any(|n| n.contains("performance_schema is OFF")
                    && n.contains("performance_schema=ON")
                    && n.contains("restart")),
            "{:?}",
            snap.notes
        );
        assert!(snap
            .tables
            .iter()
            .all(|t| t.name.as_str() != "top_statements"));
        assert!(indexes.1.iter().all(|r| r[5] == Value::Null));
    } else {
        table(&snap, "top_statements");
    }
    sleeper.join().unwrap();
    idle.rollback().unwrap();
}

#[test]
fn sessions_waiting_for_a_lock_are_listed_with_who_blocks_them() {
    let Some(db) = OwnDatabase::new("blocking") else {
        return;
    };
    let mut holder = db.connect();
    holder
        .execute_batch("CREATE TABLE b (id INT PRIMARY KEY, v INT); INSERT INTO b VALUES (1, 0)")
        .unwrap();
    holder.begin().unwrap();
    holder
        .execute("UPDATE b SET v = 1 WHERE id = 1", Params::none())
        .unwrap();
    let options = db.options.clone();
    let waiter = std::thread::spawn(move || {
        let mut w = connect(&options);
        w.execute_batch("SET SESSION innodb_lock_wait_timeout = 5")
            .unwrap();
        w.execute("UPDATE b SET v = 2 WHERE id = 1", Params::none())
    });
    std::thread::sleep(Duration::from_millis(1500));
    let snap = db.connect().metrics().unwrap().into_abi();
    holder.rollback().unwrap();
    waiter.join().unwrap().unwrap();
    let blocking = table(&snap, "blocking");
    println!("blocking: {blocking:?}");
    assert_eq!(
        blocking.0,
        [
            "waiting_pid",
            "waiting_query",
            "wait_seconds",
            "blocking_pid",
            "blocking_query",
            "locked_table",
            "lock_mode"
        ]
    );
    assert_eq!(blocking.1.len(), 1, "{blocking:?}");
    let row = &blocking.1[0];
    assert!(
        matches!(&row[1], Value::Text(q) if q.contains("SET v = 2")),
        "{row:?}"
    );
    assert!(
        matches!(&row[5], Value::Text(t) if t.contains("`b`")),
        "{row:?}"
    );
}

#[test]
fn a_proposed_index_is_proven_and_makes_the_query_at_least_5_times_faster() {
    let Some(db) = OwnDatabase::new("proof") else {
        return;
    };
    let mut c = db.connect();
    c.execute_batch(
        "CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, customer_id INT NOT NULL, \
         amount DECIMAL(10, 2), note VARCHAR(40)) ENGINE = InnoDB; \
         CREATE TABLE small (id INT PRIMARY KEY, k INT)",
    )
    .unwrap();
    let t0 = Instant::now();
    fill(&mut c, 300_000, 50_000);
    println!("300,000 rows in {:.1} s", t0.elapsed().as_secs_f64());
    assert_eq!(
        scalar(&mut c, "SELECT COUNT(*) FROM t"),
        Value::Int(300_000)
    );

    let query = "SELECT * FROM t WHERE customer_id = 4242";
    let advice = advise(
        &mut c,
        &[
            query,
            // Not advised on: a small table, an OR, a join.
            "SELECT * FROM small WHERE k = 3",
            "SELECT * FROM t WHERE customer_id = 1 OR amount = 2",
            "SELECT * FROM t JOIN small ON small.id = t.id WHERE t.note = 'x'",
        ],
        0,
    );
    let missing: Vec<&Advice> = advice
        .iter()
        .filter(|a| a.kind == "missing-index")
        .collect();
    assert_eq!(missing.len(), 1, "{advice:?}");
    let a = missing[0];
    let database = db.options.database.to_string();
    assert_eq!(a.object, format!("{database}.t"));
    assert_eq!(
        a.statements,
        [format!(
            "ALTER TABLE `{database}`.`t` ADD INDEX `ix_t_customer_id` (`customer_id`), \
             ALGORITHM=INPLACE, LOCK=NONE"
        )]
    );
    assert!(a.safe);
    assert!(a.evidence.starts_with("full scan of "), "{}", a.evidence);
    assert!(
        a.evidence
            .contains("ref on ix_t_customer_id (customer_id), "),
        "{}",
        a.evidence
    );
    // The scratch copy is gone.
    let scratch = format!("myrmex_advice_t_{}", std::process::id());
    assert!(all_rows(
        &mut c,
        &format!("SELECT 1 FROM `{scratch}`"),
        Params::none()
    )
    .is_err());

    let before = median(&mut c, query, 7, 6);
    let t1 = Instant::now();
    c.execute_batch(&a.statements[0]).unwrap();
    let build = t1.elapsed();
    let after = median(&mut c, query, 7, 6);
    let ratio = before.as_secs_f64() / after.as_secs_f64();
    println!(
        "PROOF: median of 7 before {:.3} ms, after {:.3} ms: {ratio:.0}x faster (index built \
         in {:.0} ms)",
        before.as_secs_f64() * 1000.0,
        after.as_secs_f64() * 1000.0,
        build.as_secs_f64() * 1000.0
    );
    assert!(ratio >= 5.0, "only {ratio:.1}x faster");

    // With the index in place nothing is missing any more.
    let again = advise(&mut c, &[query], 0);
    assert!(again.iter().all(|a| a.kind != "missing-index"), "{again:?}");

    // Advice refuses to run inside a transaction (ANALYZE TABLE would commit it).
    c.begin().unwrap();
    let e = c.advise(&AdviceRequest::default()).unwrap_err();
    assert!(e.message.contains("transaction"), "{e}");
    c.rollback().unwrap();
}

#[test]
fn duplicate_and_redundant_indexes_are_found_and_constraints_kept() {
    let Some(db) = OwnDatabase::new("dup") else {
        return;
    };
    let mut c = db.connect();
    c.execute_batch(
        "CREATE TABLE parent (id INT PRIMARY KEY); \
         CREATE TABLE d (id INT PRIMARY KEY, a INT, b INT, c INT, e INT, f INT, g INT, \
           KEY ix_a (a), KEY ix_ab (a, b), KEY ix_c (c), KEY ix_c2 (c), \
           UNIQUE KEY uq_e (e), KEY ix_e (e), KEY fk_f (f), KEY ix_fg (f, g), KEY ix_id (id), \
           CONSTRAINT fk_f FOREIGN KEY (f) REFERENCES parent (id))",
    )
    .unwrap();
    let advice = advise(&mut c, &[], 0);
    let dup: Vec<(String, String)> = advice
        .iter()
        .filter(|a| a.kind == "duplicate-index")
        .map(|a| (a.object.clone(), a.statements.join("; ")))
        .collect();
    let database = db.options.database.to_string();
    let object = |ix: &str| format!("{database}.d.{ix}");
    let named: Vec<&str> = dup.iter().map(|d| d.0.as_str()).collect();
    let mut expected = vec![
        object("ix_c2"),
        object("ix_e"),
        object("ix_id"),
        object("ix_a"),
    ];
    expected.sort();
    let mut got: Vec<String> = named.iter().map(|s| s.to_string()).collect();
    got.sort();
    assert_eq!(got, expected, "{dup:?}");
    for never in ["PRIMARY", "uq_e", "fk_f", "ix_ab", "ix_fg"] {
        assert!(
            !named.contains(&object(never).as_str()),
            "{never} proposed: {dup:?}"
        );
    }
    let ix_a = advice.iter().find(|a| a.object == object("ix_a")).unwrap();
    assert!(ix_a.message.contains("ix_ab (a, b)"), "{}", ix_a.message);
    assert_eq!(
        ix_a.statements,
        [format!("ALTER TABLE `{database}`.`d` DROP INDEX `ix_a`")]
    );
    assert!(!ix_a.safe);
    // Every suggested drop runs; the foreign key keeps its index.
    for (_, statement) in &dup {
        c.execute_batch(statement).unwrap();
    }
    assert!(advise(&mut c, &[], 0)
        .iter()
        .all(|a| a.kind != "duplicate-index"));
}

#[test]
fn configuration_is_weighed_against_the_machine() {
    let Some(db) = OwnDatabase::new("config") else {
        return;
    };
    let mut c = db.connect();
    let pool = match scalar(&mut c, "SELECT @@innodb_buffer_pool_size") {
        Value::Int(n) => n as u64,
        other => panic!("{other:?}"),
    };
    // A machine barely larger than the buffer pool: the pool is too large for it.
    let advice = advise(&mut c, &[], pool + pool / 10);
    let pool_advice = advice
        .iter()
        .find(|a| a.kind == "configuration" && a.object == "setting innodb_buffer_pool_size")
        .unwrap_or_else(|| panic!("{advice:?}"));
    assert!(
        pool_advice.message.starts_with("Lower"),
        "{}",
        pool_advice.message
    );
    assert!(pool_advice.statements.is_empty() && !pool_advice.safe);
    // Memory unknown: no buffer pool advice.
    assert!(advise(&mut c, &[], 0)
        .iter()
        .all(|a| a.object != "setting innodb_buffer_pool_size"));
}

#[test]
fn statistics_far_behind_the_changes_are_reported_stale() {
    let Some(db) = OwnDatabase::new("stale") else {
        return;
    };
    let mut c = db.connect();
    c.execute_batch(
        "CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, customer_id INT NOT NULL, \
         amount DECIMAL(10, 2), note VARCHAR(40)) STATS_AUTO_RECALC = 0",
    )
    .unwrap();
    fill(&mut c, 1_000, 10);
    c.execute_batch(
        "INSERT INTO t (customer_id) SELECT customer_id FROM t; \
                     INSERT INTO t (customer_id) SELECT customer_id FROM t; \
                     INSERT INTO t (customer_id) SELECT customer_id FROM t",
    )
    .unwrap();
    let advice = advise(&mut c, &[], 0);
    let database = db.options.database.to_string();
    let stale = advice
        .iter()
        .find(|a| a.kind == "stale-statistics" && a.object == format!("{database}.t"))
        .unwrap_or_else(|| panic!("{advice:?}"));
    assert_eq!(
        stale.statements,
        [format!("ANALYZE TABLE `{database}`.`t`")]
    );
    assert!(stale.safe);
    c.execute_batch(&stale.statements[0]).unwrap();
    assert!(advise(&mut c, &[], 0)
        .iter()
        .all(|a| a.kind != "stale-statistics"));
}

/// Runs `cmd`, failing the test with its output when it fails.
fn run(cmd: &mut Command) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The path of `program` on `PATH` or in the system directories.
fn find_program(program: &str) -> Option<PathBuf> {
    let path = std::env::var("PATH").unwrap_or_default();
    let found = path
        .split(':')
        .chain(["/usr/sbin", "/usr/bin", "/sbin", "/bin"])
        .map(|dir| Path::new(dir).join(program))
        .find(|p| p.is_file());
    found
}

/// A MariaDB server of the test's own with `performance_schema` ON. Dropping it stops the
/// server and removes its directory.
struct OwnServer {
    dir: PathBuf,
    child: Option<Child>,
}

impl OwnServer {
    /// `None` (after printing SKIPPED) when this machine cannot run one and servers are not
    /// required.
    fn start() -> Option<OwnServer> {
        let started = Instant::now();
        let tools = (find_program("mariadb-install-db"), find_program("mariadbd"));
        let (Some(install_db), Some(mariadbd)) = tools else {
            assert!(!required(), "mariadb-install-db or mariadbd is missing");
            println!("SKIPPED: mariadb-install-db or mariadbd is not installed");
            return None;
        };
        if !std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0) {
            assert!(
                !required(),
                "starting a server as the mysql user needs root"
            );
            println!("SKIPPED: starting a MariaDB server of its own needs root");
            return None;
        }
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let dir = Path::new("/tmp").join(format!("myrmex-monitor-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create the server's directory");
        let mut server = OwnServer { dir, child: None };
        run(Command::new("chown")
            .args(["-R", "mysql:mysql"])
            .arg(&server.dir));
        let data = server.dir.join("data");
        run(Command::new(&install_db)
            .arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .args([
                "--user=mysql",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
            ]));
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let child = Command::new(&mariadbd)
            .arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .arg(format!("--port={port}"))
            .arg("--bind-address=127.0.0.1")
            .arg(format!("--socket={}", server.socket().display()))
            .arg(format!("--pid-file={}", server.dir.join("p.pid").display()))
            .arg(format!(
                "--log-error={}",
                server.dir.join("err.log").display()
            ))
            .args([
                "--user=mysql",
                "--performance-schema=ON",
                "--innodb-buffer-pool-size=64M",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", mariadbd.display()));
        server.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(60);
        while MysqlDriver.connect(&server.options("")).is_err() {
            if let Some(Ok(Some(status))) = server.child.as_mut().map(|c| c.try_wait()) {
                server.child = None;
                panic!("mariadbd stopped ({status}):\n{}", server.error_log());
            }
            assert!(
                Instant::now() < deadline,
                "mariadbd did not answer:\n{}",
                server.error_log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        println!(
            "own server ready in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        Some(server)
    }

    fn socket(&self) -> PathBuf {
        self.dir.join("s.sock")
    }

    fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("err.log")).unwrap_or_default()
    }

    /// root over the socket, on `database`.
    fn options(&self, database: &str) -> ConnectOptions {
        parse(&format!(
            "mysql://root@localhost/{database}?socket={}&ssl-mode=DISABLED",
            self.socket().display()
        ))
    }
}

impl Drop for OwnServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // SIGTERM for a clean shutdown; SIGKILL when it takes longer than 10 s.
            let _ = Command::new("kill").arg(child.id().to_string()).status();
            let deadline = Instant::now() + Duration::from_secs(10);
            while !matches!(child.try_wait(), Ok(Some(_))) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn with_performance_schema_unused_indexes_top_statements_and_digests_are_read() {
    let Some(server) = OwnServer::start() else {
        return;
    };
    let mut admin = connect(&server.options(""));
    admin.execute_batch("CREATE DATABASE shop").unwrap();
    let mut c = connect(&server.options("shop"));
    assert_eq!(scalar(&mut c, "SELECT @@performance_schema"), Value::Int(1));
    c.execute_batch(
        "CREATE TABLE parent (id INT PRIMARY KEY); \
         INSERT INTO parent VALUES (1), (2); \
         CREATE TABLE child (id INT PRIMARY KEY, parent_id INT, code VARCHAR(10), \
           plain INT, KEY ix_plain (plain), UNIQUE KEY uq_code (code), \
           CONSTRAINT fk_parent FOREIGN KEY (parent_id) REFERENCES parent (id)); \
         INSERT INTO child VALUES (1, 1, 'a', 1), (2, 2, 'b', 2); \
         CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, customer_id INT NOT NULL, \
           amount DECIMAL(10, 2), note VARCHAR(40))",
    )
    .unwrap();
    fill(&mut c, 30_000, 3_000);
    // Run without an index: the digest `SELECT * FROM t WHERE customer_id = ?` counts it.
    // MariaDB records digests of statements sent as text only (not of prepared ones): run
    // them as scripts.
    for k in [17, 18, 19] {
        c.execute_batch(&format!("SELECT * FROM t WHERE customer_id = {k}"))
            .unwrap();
    }
    assert_eq!(rows(&mut c, "SELECT * FROM child WHERE id = 1").len(), 1);

    let snap = c.metrics().unwrap().into_abi();
    for n in &snap.notes {
        println!("  note: {n}");
    }
    assert!(snap
        .notes
        .iter()
        .all(|n| !n.contains("performance_schema is OFF")));
    let top = table(&snap, "top_statements");
    assert_eq!(
        top.0,
        [
            "database",
            "digest_text",
            "count_star",
            "sum_ms",
            "avg_ms",
            "rows_examined",
            "rows_sent"
        ]
    );
    println!("top_statements:");
    for r in top.1.iter().take(5) {
        println!("  {r:?}");
    }
    let digest = top
        .1
        .iter()
        .find(|r| matches!(&r[1], Value::Text(d) if d.contains("WHERE `customer_id` = ?")))
        .unwrap_or_else(|| panic!("{top:?}"));
    assert_eq!(digest[2], Value::Int(3), "{digest:?}");
    assert!(
        matches!(digest[3], Value::Float(ms) if ms > 0.0),
        "{digest:?}"
    );
    assert!(
        matches!(digest[5], Value::Int(n) if n >= 90_000),
        "{digest:?}"
    );
    let indexes = table(&snap, "indexes");
    let reads = |ix: &str| {
        indexes
            .1
            .iter()
            .find(|r| r[0] == Value::from(ix) && r[1] == Value::from("shop.child"))
            .map(|r| r[5].clone())
            .unwrap_or_else(|| panic!("{indexes:?}"))
    };
    assert_eq!(reads("ix_plain"), Value::Int(0));
    assert!(matches!(reads("PRIMARY"), Value::Int(n) if n >= 1));

    // No workload from the client: the candidate comes from the digest, values sampled.
    let advice = advise(&mut c, &[], 0);
    let unused: Vec<&str> = advice
        .iter()
        .filter(|a| a.kind == "unused-index")
        .map(|a| a.object.as_str())
        .collect();
    assert!(unused.contains(&"shop.child.ix_plain"), "{unused:?}");
    for never in ["PRIMARY", "uq_code", "fk_parent"] {
        assert!(
            !advice
                .iter()
                .any(|a| a.object == format!("shop.child.{never}")),
            "{never} proposed: {advice:?}"
        );
    }
    let plain = advice
        .iter()
        .find(|a| a.object == "shop.child.ix_plain")
        .unwrap();
    assert!(plain.risk.contains("Uptime"), "{}", plain.risk);
    assert!(plain.statements.is_empty());
    let missing = advice
        .iter()
        .find(|a| a.kind == "missing-index" && a.object == "shop.t")
        .unwrap_or_else(|| panic!("{advice:?}"));
    assert!(
        missing.message.contains("statement digest"),
        "{}",
        missing.message
    );
    assert!(
        missing.evidence.contains("ref on ix_t_customer_id"),
        "{}",
        missing.evidence
    );
}
