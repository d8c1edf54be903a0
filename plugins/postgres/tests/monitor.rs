//! Monitoring and tuning against PostgreSQL clusters the tests create for themselves
//! (Debian's `pg_createcluster`, run as root, with `pg_stat_statements` preloaded): the
//! metrics snapshot, index advice proven with hypopg and then measured, and the advice on
//! unused, duplicate and stale objects.
//!
//! Without `pg_createcluster` the tests print SKIPPED; with `MYRMEX_REQUIRE_SERVERS=1` a
//! cluster that cannot be created or started fails them instead. Every cluster is dropped
//! when its test ends, failed or not.

use myrmex_abi::{MetricsSnapshot, RStr};
use myrmex_plugin::monitor::{Advice, AdviceRequest};
use myrmex_plugin::{all_rows, Connection, Driver, Params, Value};
use myrmex_postgres::{PgConnection, PgDriver};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::{Duration, Instant};

/// The first port tried for a test cluster.
static NEXT_PORT: AtomicU16 = AtomicU16::new(5451);

/// True when the test servers must be there (`MYRMEX_REQUIRE_SERVERS=1`).
fn required() -> bool {
    std::env::var("MYRMEX_REQUIRE_SERVERS").as_deref() == Ok("1")
}

/// Says why a test cannot run: a failure when the servers are required, else SKIPPED.
fn skip(test: &str, why: &str) {
    assert!(!required(), "{test}: {why}");
    println!("SKIPPED {test}: {why}");
}

/// The newest PostgreSQL installed (`/usr/lib/postgresql/VERSION/bin/postgres`).
fn pg_version() -> Option<String> {
    std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("bin/postgres").exists())
        .filter_map(|e| e.file_name().into_string().ok())
        .max_by_key(|v| v.parse::<u32>().unwrap_or(0))
}

/// True when `program` is on the `PATH`.
fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

/// Runs a command; its output, or what went wrong.
fn run(program: &str, args: &[&str]) -> Result<String, String> {
    let out = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| format!("{program}: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "{program} {}: {}{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// A port nothing listens on, not yet handed to another cluster of this process.
fn free_port() -> u16 {
    loop {
        let port = NEXT_PORT.fetch_add(1, Ordering::SeqCst);
        assert!(port < 5650, "no free port for a test cluster");
        let socket = format!("/var/run/postgresql/.s.PGSQL.{port}");
        if !Path::new(&socket).exists() && std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()
        {
            return port;
        }
    }
}

/// What the test clusters run with: statements tracked, durability traded for speed.
const CONF: &str = "\
shared_preload_libraries = 'pg_stat_statements'
fsync = off
synchronous_commit = off
full_page_writes = off
";

/// A test cluster, stopped and removed when dropped.
struct Cluster {
    version: String,
    name: String,
    port: u16,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = run("pg_dropcluster", &[&self.version, &self.name, "--stop"]);
        let _ = std::fs::remove_dir_all(self.config_dir());
    }
}

impl Cluster {
    fn config_dir(&self) -> PathBuf {
        PathBuf::from(format!("/etc/postgresql/{}/{}", self.version, self.name))
    }

    /// The end of the cluster's log, for a failure's message.
    fn log_tail(&self) -> String {
        let log = format!(
            "/var/log/postgresql/postgresql-{}-{}.log",
            self.version, self.name
        );
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(15)..].join("\n")
    }

    /// Creates and starts cluster `myrmex_mon_KIND_PID`; `None` (after saying why) when
    /// this machine cannot and the servers are not required.
    fn start(kind: &str) -> Option<Cluster> {
        let test = format!("the {kind} test cluster");
        if !on_path("pg_createcluster") {
            skip(
                &test,
                "pg_createcluster is not installed (postgresql-common)",
            );
            return None;
        }
        let Some(version) = pg_version() else {
            skip(&test, "no PostgreSQL server under /usr/lib/postgresql");
            return None;
        };
        let name = format!("myrmex_mon_{kind}_{}", std::process::id());
        let started = Instant::now();
        let mut errors = Vec::new();
        for _ in 0..3 {
            let _ = run("pg_dropcluster", &[&version, &name, "--stop"]);
            let port = free_port();
            let created = run(
                "pg_createcluster",
                &[
                    &version,
                    &name,
                    "--port",
                    &port.to_string(),
                    "--",
                    "--auth=trust",
                ],
            );
            if let Err(e) = created {
                errors.push(e);
                continue;
            }
            let cluster = Cluster {
                version: version.clone(),
                name: name.clone(),
                port,
            };
            let written = std::fs::OpenOptions::new()
                .append(true)
                .open(cluster.config_dir().join("postgresql.conf"))
                .and_then(|mut f| {
                    use std::io::Write;
                    writeln!(f, "\n# myrmex monitor test\n{CONF}")
                });
            if let Err(e) = written {
                errors.push(format!("writing postgresql.conf: {e}"));
                continue;
            }
            match run("pg_ctlcluster", &[&version, &name, "start"]) {
                Ok(_) => {
                    println!(
                        "cluster {version}/{name} started on port {port} in {:.1} s",
                        started.elapsed().as_secs_f64()
                    );
                    return Some(cluster);
                }
                Err(e) => errors.push(format!("{e}\n{}", cluster.log_tail())),
            }
        }
        skip(&test, &errors.join("\n"));
        None
    }

    /// A streaming standby of `primary` (a base backup of it, `pg_basebackup -R`), started.
    fn standby_of(primary: &Cluster) -> Cluster {
        let name = format!("myrmex_mon_standby_{}", std::process::id());
        let version = primary.version.clone();
        let _ = run("pg_dropcluster", &[&version, &name, "--stop"]);
        let port = free_port();
        run(
            "pg_createcluster",
            &[
                &version,
                &name,
                "--port",
                &port.to_string(),
                "--",
                "--auth=trust",
            ],
        )
        .expect("the standby cluster is created");
        let standby = Cluster {
            version: version.clone(),
            name: name.clone(),
            port,
        };
        let data = format!("/var/lib/postgresql/{version}/{name}");
        std::fs::remove_dir_all(&data).expect("the standby's empty data directory is removed");
        run(
            "pg_basebackup",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &primary.port.to_string(),
                "-U",
                "postgres",
                "-D",
                &data,
                "-R",
                "-X",
                "stream",
            ],
        )
        .expect("a base backup of the primary");
        run("chown", &["-R", "postgres:postgres", &data]).expect("chown");
        run("chmod", &["700", &data]).expect("chmod");
        if let Err(e) = run("pg_ctlcluster", &[&version, &name, "start"]) {
            panic!("the standby starts: {e}\n{}", standby.log_tail());
        }
        standby
    }

    fn url(&self, db: &str) -> String {
        format!(
            "postgres://postgres@127.0.0.1:{}/{db}?sslmode=disable",
            self.port
        )
    }

    /// A session on database `db` through the driver.
    fn connect(&self, db: &str) -> PgConnection {
        connect_url(&self.url(db))
            .unwrap_or_else(|e| panic!("connecting to {db}: {e}\n{}", self.log_tail()))
    }

    /// A new database `db` with a session on it.
    fn database(&self, db: &str) -> PgConnection {
        exec(
            &mut self.connect("postgres"),
            &format!("CREATE DATABASE {db}"),
        );
        self.connect(db)
    }
}

fn connect_url(url: &str) -> Result<PgConnection, String> {
    let driver = PgDriver::default();
    let options = driver.parse_url(url, "").map_err(|e| e.to_string())?;
    driver.connect(&options).map_err(|e| e.to_string())
}

/// Runs a script.
fn exec(c: &mut PgConnection, sql: &str) {
    c.execute_batch(sql)
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// The rows of a query.
fn rows(c: &mut PgConnection, sql: &str) -> Vec<Vec<Value>> {
    all_rows(c, sql, Params::none()).unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// The one number a query returns.
fn scalar(c: &mut PgConnection, sql: &str) -> i64 {
    match &rows(c, sql)[0][0] {
        Value::Int(n) => *n,
        other => panic!("{sql}: {other:?}"),
    }
}

/// Waits until `sql` (one number) reaches `at_least`: the statistics other sessions send
/// reach the server's shared memory about once a second.
fn wait_for(c: &mut PgConnection, sql: &str, at_least: i64) {
    let start = Instant::now();
    loop {
        let n = scalar(c, sql);
        if n >= at_least {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{sql} stayed at {n}, below {at_least}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Analyzes `tables` once the statistics count their inserted rows: counts still pending
/// in a session when ANALYZE runs would be added to the rows ANALYZE found.
fn analyze_when_counted(c: &mut PgConnection, tables: &[(&str, i64)]) {
    for (table, inserted) in tables {
        wait_for(
            c,
            &format!("SELECT n_tup_ins FROM pg_stat_user_tables WHERE relname = '{table}'"),
            *inserted,
        );
        exec(c, &format!("ANALYZE {table}"));
    }
}

/// The snapshot as it crosses the contract.
fn snapshot(c: &mut PgConnection) -> MetricsSnapshot {
    c.metrics().expect("metrics").into_abi()
}

/// The value of sample `name` with exactly `labels`.
fn sample(s: &MetricsSnapshot, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    s.samples
        .iter()
        .find(|m| {
            m.name.as_str() == name
                && m.labels.len() == labels.len()
                && labels.iter().all(|(k, v)| {
                    m.labels
                        .iter()
                        .any(|l| l.0.as_str() == *k && l.1.as_str() == *v)
                })
        })
        .map(|m| m.value)
}

/// A table of the snapshot: its columns and rows.
fn table(s: &MetricsSnapshot, name: &str) -> (Vec<String>, Vec<Vec<Value>>) {
    let t = s
        .tables
        .iter()
        .find(|t| t.name.as_str() == name)
        .unwrap_or_else(|| panic!("no table {name}"));
    let columns: Vec<String> = t.columns.iter().map(|c| c.to_string()).collect();
    let values: Vec<Value> = t
        .rows
        .iter()
        .map(|v| v.as_enum().expect("a value of this contract").clone())
        .collect();
    let rows = values
        .chunks(columns.len())
        .map(<[Value]>::to_vec)
        .collect();
    (columns, rows)
}

/// The advice for `workload` on a machine of 24 GiB and 2 cores.
fn advise(c: &mut PgConnection, workload: &[&str]) -> Vec<Advice> {
    let request = AdviceRequest {
        workload: workload.iter().map(|s| s.to_string()).collect(),
        memory_bytes: 24 << 30,
        cores: 2,
    };
    let advice = c.advise(&request).expect("advice");
    for a in &advice {
        println!(
            "[{}] {} | {} | evidence: {} | gain: {} | risk: {} | {:?} safe={}",
            a.kind, a.object, a.message, a.evidence, a.expected_gain, a.risk, a.statements, a.safe
        );
    }
    advice
}

fn of_kind<'a>(advice: &'a [Advice], kind: &str) -> Vec<&'a Advice> {
    advice.iter().filter(|a| a.kind == kind).collect()
}

/// The median time of `runs` runs of `sql`, rows fetched.
fn median_time(c: &mut PgConnection, sql: &str, runs: usize) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            let r = rows(c, sql);
            let t = start.elapsed();
            assert!(!r.is_empty(), "{sql} found rows");
            t
        })
        .collect();
    times.sort();
    times[runs / 2]
}

#[test]
fn metrics_cover_sessions_throughput_locks_sizes_and_top_statements() {
    let Some(cluster) = Cluster::start("metrics") else {
        return;
    };
    let mut c = cluster.database("shop");
    exec(
        &mut c,
        "CREATE EXTENSION pg_stat_statements; \
         CREATE TABLE orders (id int PRIMARY KEY, customer int, note text) \
           WITH (autovacuum_enabled = off); \
         INSERT INTO orders SELECT g, g % 100, md5(g::text) FROM generate_series(1, 20000) g; \
         DELETE FROM orders WHERE id % 2 = 0; \
         SELECT count(*) FROM orders WHERE id = 7; \
         SELECT count(*) FROM orders; \
         SET work_mem = '64kB'; \
         SELECT note FROM orders ORDER BY note OFFSET 9999; \
         RESET work_mem; \
         CREATE TABLE ledger (id int); \
         INSERT INTO ledger SELECT generate_series(1, 1000)",
    );
    // A lock held, a session blocked behind it for more than a second.
    let mut holder = cluster.connect("shop");
    exec(
        &mut holder,
        "BEGIN; LOCK TABLE ledger IN ACCESS EXCLUSIVE MODE",
    );
    let holder_pid = scalar(&mut holder, "SELECT pg_backend_pid()");
    let mut waiter = cluster.connect("shop");
    let waiter_pid = scalar(&mut waiter, "SELECT pg_backend_pid()");
    let blocked = std::thread::spawn(move || {
        rows(&mut waiter, "SELECT count(*) FROM ledger");
    });
    let _idle = cluster.connect("shop");
    wait_for(
        &mut c,
        "SELECT n_tup_del FROM pg_stat_user_tables WHERE relname = 'orders'",
        10_000,
    );
    wait_for(
        &mut c,
        &format!(
            "SELECT count(*) FROM pg_stat_activity WHERE pid = {waiter_pid} \
             AND now() - query_start > interval '1.2 seconds'"
        ),
        1,
    );

    let s = snapshot(&mut c);
    exec(&mut holder, "COMMIT");
    blocked.join().expect("the blocked query ends");

    let names: std::collections::BTreeSet<&str> =
        s.samples.iter().map(|m| m.name.as_str()).collect();
    println!("samples: {names:?}");
    let get = |name: &str, labels: &[(&str, &str)]| {
        sample(&s, name, labels).unwrap_or_else(|| panic!("no sample {name} {labels:?}"))
    };
    assert!(get("connections", &[("state", "active")]) >= 2.0);
    assert!(get("connections", &[("state", "idle")]) >= 1.0);
    assert!(get("connections", &[("state", "idle in transaction")]) >= 1.0);
    assert_eq!(get("connections", &[("state", "disabled")]), 0.0);
    assert!(get("server_connections", &[]) >= 4.0);
    assert_eq!(get("max_connections", &[]), 100.0);
    for counter in [
        "transactions_committed_total",
        "blocks_hit_total",
        "tuples_returned_total",
        "tuples_fetched_total",
        "tuples_inserted_total",
        "tuples_deleted_total",
        "temp_bytes_total",
    ] {
        assert!(get(counter, &[]) > 0.0, "{counter}");
    }
    assert!(get("tuples_inserted_total", &[]) >= 20_000.0);
    assert!(get("blocks_read_total", &[]) >= 0.0);
    assert!(get("tuples_updated_total", &[]) >= 0.0);
    assert_eq!(get("deadlocks_total", &[]), 0.0);
    assert!(get("transactions_rolled_back_total", &[]) >= 0.0);
    let ratio = get("cache_hit_ratio", &[]);
    assert!(ratio > 0.5 && ratio <= 1.0, "{ratio}");
    assert!(get("database_size_bytes", &[]) > 1e6);
    assert!(get("locks", &[("mode", "AccessExclusiveLock")]) >= 1.0);
    assert_eq!(get("locks", &[("mode", "SIReadLock")]), 0.0);
    assert_eq!(get("blocked_sessions", &[]), 1.0);
    let t = [("table", "public.orders")];
    assert!(get("table_size_bytes", &t) > 500_000.0);
    let bloat = get("table_bloat_ratio", &t);
    assert!((0.4..=0.6).contains(&bloat), "{bloat}");
    assert!(get("seq_scans_total", &t) >= 2.0);
    // The locked table's size is estimated (it is not analyzed yet: 0) rather than waited for.
    assert_eq!(get("table_size_bytes", &[("table", "public.ledger")]), 0.0);
    assert!(
        get(
            "index_size_bytes",
            &[("index", "public.orders_pkey"), ("table", "public.orders")]
        ) > 0.0
    );
    assert!(get("index_scans_total", &[("index", "public.orders_pkey")]) >= 1.0);
    // No standby: no replication samples.
    assert!(!names.contains("replication_lag_seconds"));
    let kinds_ok = s.samples.iter().all(|m| {
        m.name.ends_with("_total") == (m.kind == myrmex_abi::MetricKind::COUNTER)
            && !m.help.is_empty()
            && m.value.is_finite()
    });
    assert!(
        kinds_ok,
        "counters and only they end in _total, every sample has help"
    );
    let help = &s
        .samples
        .iter()
        .find(|m| m.name.as_str() == "table_bloat_ratio")
        .unwrap()
        .help;
    assert!(help.contains("estimate") && help.contains("dead"), "{help}");

    let (cols, long) = table(&s, "long_running");
    assert_eq!(cols, ["pid", "user", "state", "seconds", "query"]);
    let waiting = long
        .iter()
        .find(|r| r[0] == Value::Int(waiter_pid))
        .expect("the blocked query is long-running");
    assert!(
        matches!(waiting[3], Value::Float(s) if s > 1.0),
        "{waiting:?}"
    );
    assert!(matches!(&waiting[4], Value::Text(q) if q.contains("count(*)")));
    let (cols, blocking) = table(&s, "blocking");
    assert_eq!(
        cols,
        ["blocked_pid", "blocking_pid", "seconds", "blocked_query"]
    );
    assert_eq!(blocking.len(), 1);
    assert_eq!(
        blocking[0][..2],
        [Value::Int(waiter_pid), Value::Int(holder_pid)]
    );

    let (cols, tables) = table(&s, "tables");
    assert_eq!(cols[..3], ["table", "rows", "bytes"]);
    let orders = tables
        .iter()
        .find(|r| r[0] == Value::from("public.orders"))
        .expect("orders in tables");
    assert!(
        matches!(orders[6], Value::Int(d) if d >= 10_000),
        "dead tuples {orders:?}"
    );
    let (cols, indexes) = table(&s, "indexes");
    assert_eq!(
        cols,
        [
            "index",
            "table",
            "bytes",
            "scans",
            "unique",
            "primary",
            "constraint"
        ]
    );
    let pkey = indexes
        .iter()
        .find(|r| r[0] == Value::from("public.orders_pkey"))
        .expect("the primary key in indexes");
    assert_eq!(
        pkey[4..],
        [
            Value::Bool(true),
            Value::Bool(true),
            Value::from("orders_pkey")
        ]
    );

    let (cols, top) = table(&s, "top_statements");
    assert_eq!(
        cols,
        [
            "query",
            "calls",
            "total_ms",
            "mean_ms",
            "rows",
            "shared_blks_hit",
            "shared_blks_read"
        ]
    );
    assert!(!top.is_empty());
    assert!(
        top.iter()
            .any(|r| matches!(&r[0], Value::Text(q) if q.contains("FROM orders"))),
        "{top:?}"
    );
    assert!(s.notes.is_empty(), "{:?}", s.notes);

    // Through the contract, as the host reads it.
    let driver = myrmex_plugin::driver_box(PgDriver::default());
    let options = driver
        .parse_url(RStr::from_str(&cluster.url("shop")), RStr::from_str(""))
        .into_result()
        .expect("the URL parses");
    let mut boxed = driver.connect(&options).into_result().expect("connects");
    let crossed = boxed
        .metrics()
        .into_result()
        .expect("metrics through the contract");
    assert!(crossed.samples.len() >= s.samples.len() - 20);
    assert!(crossed
        .tables
        .iter()
        .any(|t| t.name.as_str() == "top_statements"));
}

#[test]
fn without_pg_stat_statements_a_note_says_how_to_enable_it() {
    let url = std::env::var("MYRMEX_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/myrmex_wt_postgres".into());
    let mut c = match connect_url(&url) {
        Ok(c) => c,
        Err(e) => return skip("the main test server", &e),
    };
    let preload = rows(&mut c, "SELECT current_setting('shared_preload_libraries')");
    let s = snapshot(&mut c);
    if matches!(&preload[0][0], Value::Text(p) if p.contains("pg_stat_statements")) {
        println!("the main test server loads pg_stat_statements: no note to check");
        return;
    }
    assert!(!s.tables.iter().any(|t| t.name.as_str() == "top_statements"));
    let note = s
        .notes
        .iter()
        .find(|n| n.contains("pg_stat_statements"))
        .unwrap_or_else(|| panic!("a note about pg_stat_statements: {:?}", s.notes));
    assert!(note.contains("loaded by the server"), "{note}");
    assert!(
        note.contains("shared_preload_libraries = 'pg_stat_statements'"),
        "{note}"
    );
    assert!(note.contains("restart"), "{note}");
    assert!(
        note.contains("CREATE EXTENSION pg_stat_statements"),
        "{note}"
    );
    assert!(sample(&s, "max_connections", &[]).is_some());
}

#[test]
fn a_proven_index_makes_the_workload_query_faster() {
    let Some(cluster) = Cluster::start("proof") else {
        return;
    };
    let mut c = cluster.database("shop");
    exec(
        &mut c,
        "CREATE EXTENSION pg_stat_statements; \
         CREATE TABLE orders (id bigint PRIMARY KEY, customer_id int NOT NULL, \
           amount numeric NOT NULL, note text NOT NULL); \
         INSERT INTO orders SELECT g, g % 30000, g % 997, md5(g::text) \
           FROM generate_series(1, 300000) g",
    );
    analyze_when_counted(&mut c, &[("orders", 300_000)]);
    let query = "SELECT * FROM orders WHERE customer_id = 4242";
    let mut worker = cluster.connect("shop");
    for _ in 0..20 {
        assert_eq!(rows(&mut worker, query).len(), 10);
    }
    drop(worker);
    wait_for(
        &mut c,
        "SELECT seq_scan FROM pg_stat_user_tables WHERE relname = 'orders'",
        20,
    );
    assert_eq!(
        scalar(
            &mut c,
            "SELECT count(*) FROM pg_extension WHERE extname = 'hypopg'"
        ),
        0,
        "hypopg is not installed yet"
    );

    let started = Instant::now();
    let advice = advise(&mut c, &[query, "SELECT * FROM orders o JOIN x ON true"]);
    println!("advise took {:.2} s", started.elapsed().as_secs_f64());
    let missing = of_kind(&advice, "missing-index");
    assert_eq!(missing.len(), 1, "{advice:#?}");
    let a = missing[0];
    assert_eq!(
        a.statements,
        ["CREATE INDEX CONCURRENTLY ix_orders_customer_id ON public.orders(customer_id)"]
    );
    assert!(a.safe);
    assert_eq!(a.object, "public.orders");
    assert!(a.evidence.starts_with("seq scans "), "{}", a.evidence);
    assert!(
        a.evidence.contains("with the hypothetical index"),
        "{}",
        a.evidence
    );
    assert!(a.evidence.contains("EXPLAIN cost"), "{}", a.evidence);
    assert!(
        a.evidence
            .contains("hypopg extension was created in this database"),
        "creating hypopg is said: {}",
        a.evidence
    );
    assert!(!a.expected_gain.is_empty() && !a.risk.is_empty());
    // Nothing else on this database is worth advice but the machine's settings.
    for other in &advice {
        assert!(
            ["missing-index", "configuration", "unused-index"].contains(&other.kind.as_str()),
            "{other:?}"
        );
    }

    let before = median_time(&mut c, query, 9);
    exec(&mut c, &a.statements[0]);
    let after = median_time(&mut c, query, 9);
    let ratio = before.as_secs_f64() / after.as_secs_f64();
    println!(
        "median of 9 runs: {:.3} ms before, {:.3} ms after the index: {ratio:.1}× faster",
        before.as_secs_f64() * 1e3,
        after.as_secs_f64() * 1e3
    );
    assert!(ratio >= 5.0, "only {ratio:.1}× faster");

    // Once the index is there, it is not proposed again.
    let again = advise(&mut c, &[query]);
    assert!(of_kind(&again, "missing-index").is_empty(), "{again:#?}");
}

#[test]
fn indexes_backing_constraints_are_never_proposed_for_dropping() {
    let Some(cluster) = Cluster::start("unused") else {
        return;
    };
    let mut c = cluster.database("shop");
    exec(
        &mut c,
        "CREATE TABLE customers (id int PRIMARY KEY); \
         CREATE TABLE orders (id int PRIMARY KEY, code text, tag int, customer int \
           REFERENCES customers (id), ref int); \
         ALTER TABLE orders ADD CONSTRAINT orders_code_key UNIQUE (code); \
         CREATE UNIQUE INDEX orders_ref_uix ON orders (ref); \
         CREATE INDEX orders_tag_ix ON orders (tag); \
         CREATE INDEX orders_customer_ix ON orders (customer); \
         INSERT INTO customers SELECT generate_series(1, 10); \
         INSERT INTO orders SELECT g, 'c' || g, g % 7, g % 10 + 1, g FROM generate_series(1, 100) g; \
         ANALYZE",
    );
    let advice = advise(&mut c, &[]);
    let unused = of_kind(&advice, "unused-index");
    let objects: Vec<&str> = unused.iter().map(|a| a.object.as_str()).collect();
    assert_eq!(objects, ["public.orders_tag_ix"], "{advice:#?}");
    let a = unused[0];
    assert!(a.statements.is_empty(), "reported only");
    assert!(!a.safe);
    assert!(
        a.risk.contains("stats_reset") && a.risk.contains("replicas"),
        "{}",
        a.risk
    );
    assert!(a.evidence.contains("idx_scan 0"), "{}", a.evidence);
    for a in &advice {
        for s in &a.statements {
            for kept in [
                "orders_code_key",
                "orders_pkey",
                "customers_pkey",
                "orders_ref_uix",
            ] {
                assert!(!s.contains(kept), "{kept} is never dropped: {s}");
            }
        }
    }
}

#[test]
fn duplicate_indexes_are_found_and_the_constraint_one_kept() {
    let Some(cluster) = Cluster::start("duplicate") else {
        return;
    };
    let mut c = cluster.database("shop");
    exec(
        &mut c,
        "CREATE TABLE items (a int, b int, c text); \
         ALTER TABLE items ADD CONSTRAINT items_b_key UNIQUE (b); \
         CREATE INDEX items_b_plain ON items (b); \
         CREATE INDEX items_a_first ON items (a); \
         CREATE INDEX items_a_second ON items (a); \
         CREATE INDEX items_a_partial ON items (a) WHERE a > 0; \
         CREATE INDEX items_a_desc ON items (a DESC); \
         CREATE INDEX items_lower_c ON items (lower(c)); \
         CREATE INDEX items_upper_c ON items (upper(c)); \
         CREATE INDEX items_ab ON items (a, b)",
    );
    let advice = advise(&mut c, &[]);
    let dup = of_kind(&advice, "duplicate-index");
    let mut objects: Vec<&str> = dup.iter().map(|a| a.object.as_str()).collect();
    objects.sort();
    assert_eq!(
        objects,
        ["public.items_a_second", "public.items_b_plain"],
        "{dup:#?}"
    );
    let b = dup
        .iter()
        .find(|a| a.object == "public.items_b_plain")
        .unwrap();
    assert_eq!(
        b.statements,
        ["DROP INDEX CONCURRENTLY public.items_b_plain"]
    );
    assert!(!b.safe);
    assert!(b.message.contains("public.items_b_key"), "{}", b.message);
    assert!(
        b.evidence.contains("backs constraint items_b_key"),
        "{}",
        b.evidence
    );
    // An index proposed for dropping as a duplicate is not reported unused as well.
    assert!(!of_kind(&advice, "unused-index")
        .iter()
        .any(|a| a.object == "public.items_a_second" || a.object == "public.items_b_plain"));
}

#[test]
fn stale_statistics_and_bloat_are_proposed_with_their_maintenance() {
    let Some(cluster) = Cluster::start("stale") else {
        return;
    };
    let mut c = cluster.database("shop");
    exec(
        &mut c,
        "CREATE TABLE events (id int, kind int) WITH (autovacuum_enabled = off); \
         INSERT INTO events SELECT g, g % 5 FROM generate_series(1, 50000) g; \
         CREATE TABLE fresh (id int) WITH (autovacuum_enabled = off); \
         INSERT INTO fresh SELECT generate_series(1, 5000); \
         CREATE TABLE churn (id int) WITH (autovacuum_enabled = off); \
         INSERT INTO churn SELECT generate_series(1, 10000)",
    );
    analyze_when_counted(
        &mut c,
        &[("events", 50_000), ("fresh", 5000), ("churn", 10_000)],
    );
    exec(
        &mut c,
        "INSERT INTO events SELECT g, g % 5 FROM generate_series(50001, 70000) g",
    );
    exec(&mut c, "DELETE FROM churn WHERE id <= 4000");
    wait_for(
        &mut c,
        "SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = 'churn'",
        4000,
    );
    wait_for(
        &mut c,
        "SELECT n_mod_since_analyze FROM pg_stat_user_tables WHERE relname = 'events'",
        20_000,
    );
    let advice = advise(&mut c, &[]);
    let stale = of_kind(&advice, "stale-statistics");
    let events = stale
        .iter()
        .find(|a| a.object == "public.events")
        .unwrap_or_else(|| panic!("events is stale: {advice:#?}"));
    assert_eq!(events.statements, ["ANALYZE public.events"]);
    assert!(events.safe);
    assert!(
        events.evidence.contains("20,000 of 70,000"),
        "{}",
        events.evidence
    );
    assert!(
        !stale.iter().any(|a| a.object == "public.fresh"),
        "fresh was analyzed"
    );
    let bloat = of_kind(&advice, "bloat");
    assert_eq!(bloat.len(), 1, "{bloat:#?}");
    assert_eq!(bloat[0].object, "public.churn");
    assert_eq!(bloat[0].statements, ["VACUUM (ANALYZE) public.churn"]);
    assert!(!bloat[0].safe);
    assert!(bloat[0].risk.contains("heavy"), "{}", bloat[0].risk);
    assert!(advice
        .iter()
        .flat_map(|a| &a.statements)
        .all(|s| !s.contains("FULL")));

    // Applying the safe ones clears them.
    for a in &stale {
        exec(&mut c, &a.statements[0]);
    }
    wait_for(
        &mut c,
        "SELECT count(*) FROM pg_stat_user_tables WHERE relname = 'events' \
         AND last_analyze > now() - interval '1 minute' AND n_mod_since_analyze = 0",
        1,
    );
    let again = advise(&mut c, &[]);
    assert!(of_kind(&again, "stale-statistics").is_empty(), "{again:#?}");
}

#[test]
fn statements_from_pg_stat_statements_are_bound_and_only_proven_indexes_proposed() {
    let Some(cluster) = Cluster::start("statements") else {
        return;
    };
    let mut c = cluster.database("shop");
    exec(
        &mut c,
        "CREATE EXTENSION pg_stat_statements; \
         CREATE EXTENSION hypopg; \
         CREATE TABLE payments (id int, account_id int, status int, filler text); \
         INSERT INTO payments SELECT g, g % 5000, g % 2, md5(g::text) \
           FROM generate_series(1, 100000) g",
    );
    analyze_when_counted(&mut c, &[("payments", 100_000)]);
    let mut worker = cluster.connect("shop");
    for _ in 0..15 {
        rows(&mut worker, "SELECT * FROM payments WHERE account_id = 77");
        rows(
            &mut worker,
            "SELECT count(*) FROM payments WHERE status = 1",
        );
    }
    drop(worker);
    wait_for(
        &mut c,
        "SELECT seq_scan FROM pg_stat_user_tables WHERE relname = 'payments'",
        30,
    );
    let advice = advise(&mut c, &[]);
    let missing = of_kind(&advice, "missing-index");
    assert_eq!(
        missing.len(),
        1,
        "status (two values) gains nothing: {missing:#?}"
    );
    let a = missing[0];
    assert_eq!(
        a.statements,
        ["CREATE INDEX CONCURRENTLY ix_payments_account_id ON public.payments(account_id)"]
    );
    assert!(
        a.evidence.contains("pg_stat_statements, "),
        "{}",
        a.evidence
    );
    assert!(a.evidence.contains("account_id = $1"), "{}", a.evidence);
    assert!(
        a.evidence
            .contains("parameters bound to typical values from pg_stats (account_id = '"),
        "{}",
        a.evidence
    );
    assert!(
        !a.evidence.contains("created"),
        "hypopg was there: {}",
        a.evidence
    );

    // Inside a transaction, advice is refused rather than risking the transaction.
    exec(&mut c, "BEGIN");
    let e = c.advise(&AdviceRequest::default()).unwrap_err();
    assert_eq!(e.kind, myrmex_plugin::ErrorKind::INVALID_INPUT, "{e}");
    exec(&mut c, "ROLLBACK");
    assert_eq!(
        scalar(&mut c, "SELECT count(*) FROM hypopg_list_indexes"),
        0
    );
    assert_eq!(
        rows(&mut c, "SELECT current_setting('lock_timeout')"),
        [[Value::from("0")]],
        "the advice's lock_timeout is the session's again"
    );
}

#[test]
fn replication_lag_is_sampled_per_standby_and_on_the_replica() {
    let Some(primary) = Cluster::start("primary") else {
        return;
    };
    let standby = Cluster::standby_of(&primary);
    let mut p = primary.connect("postgres");
    wait_for(
        &mut p,
        "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'",
        1,
    );
    exec(
        &mut p,
        "CREATE TABLE t AS SELECT generate_series(1, 1000) AS x",
    );
    let application = match &rows(&mut p, "SELECT application_name FROM pg_stat_replication")[0][0]
    {
        Value::Text(a) => a.to_string(),
        other => panic!("{other:?}"),
    };
    let s = snapshot(&mut p);
    let labels = [("application", application.as_str())];
    let seconds = sample(&s, "replication_lag_seconds", &labels).expect("lag per standby");
    let bytes = sample(&s, "replication_lag_bytes", &labels).expect("bytes per standby");
    println!("primary: standby {application} {seconds} s, {bytes} bytes behind");
    assert!(seconds >= 0.0 && bytes >= 0.0);

    let mut r = standby.connect("postgres");
    wait_for(
        &mut r,
        "SELECT count(*) FROM pg_class WHERE relname = 't'",
        1,
    );
    let s = snapshot(&mut r);
    let local = [("application", "local")];
    let seconds = sample(&s, "replication_lag_seconds", &local).expect("the replica's lag");
    let bytes = sample(&s, "replication_lag_bytes", &local).expect("the replica's bytes");
    println!("replica: {seconds} s, {bytes} bytes behind");
    assert!(seconds >= 0.0 && bytes >= 0.0);
    assert!(sample(&s, "transactions_committed_total", &[]).is_some());
}
