//! Pools under load: 16 threads × 10,000 queries against each server while server-side
//! sessions are killed midway. Every query succeeds or fails with a clear error, and the pool
//! ends idle with no leaked connections.

use myrmex_core::config::PoolConfig;
use myrmex_core::{DatabaseConnection, DatabaseManager, Value};
use myrmex_tests::*;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const THREADS: usize = 16;
const QUERIES: usize = 10_000;
const MAX_SIZE: u32 = 8;

struct Server {
    name: &'static str,
    url: String,
    /// Kills every session of the pool (identified by `tag`), from a separate connection.
    kill: fn(&mut DatabaseConnection, &str) -> usize,
    /// Counts the sessions of the pool.
    count: fn(&mut DatabaseConnection, &str) -> i64,
}

fn kill_pg(admin: &mut DatabaseConnection, tag: &str) -> usize {
    let rs = admin
        .execute_query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = ? AND pid <> pg_backend_pid()", &[tag.into()])
        .unwrap();
    rs.len()
}

fn count_pg(admin: &mut DatabaseConnection, tag: &str) -> i64 {
    let rs = admin
        .execute_query(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = ?",
            &[tag.into()],
        )
        .unwrap();
    match rs.row(0).unwrap()[0] {
        Value::Int(n) => n,
        ref other => panic!("{other:?}"),
    }
}

fn my_ids(admin: &mut DatabaseConnection, user: &str) -> Vec<i64> {
    let rs = admin
        .execute_query("SELECT id FROM information_schema.processlist WHERE user = ? AND id <> CONNECTION_ID() AND command <> 'Daemon'", &[user.into()])
        .unwrap();
    rs.rows()
        .filter_map(|r| {
            if let Value::Int(i) = r[0] {
                Some(i)
            } else {
                None
            }
        })
        .collect()
}

fn kill_my(admin: &mut DatabaseConnection, user: &str) -> usize {
    let ids = my_ids(admin, user);
    for id in &ids {
        let _ = admin.execute(&format!("KILL {id}"), &[]);
    }
    ids.len()
}

fn count_my(admin: &mut DatabaseConnection, user: &str) -> i64 {
    my_ids(admin, user).len() as i64
}

/// The two stress tests run one at a time: 32 client threads and 16 server sessions at once
/// on a 2-core machine measure the scheduler, not the pool.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn stress(server: Server, pool_url: &str, tag: &str) {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());

    let reg = Arc::new(registry());
    let mut mgr = DatabaseManager::with_registry(reg.clone());
    let pool_conn = DatabaseConnection::from_url("pooled", pool_url).unwrap();
    mgr.add_with_pool(
        pool_conn,
        PoolConfig {
            max_size: MAX_SIZE,
            min_idle: 0,
            timeout_ms: 10_000,
            ..PoolConfig::default()
        },
    );
    let mgr = Arc::new(mgr);
    let mut admin = DatabaseConnection::from_url("admin", &server.url).unwrap();
    admin.connect_with(&reg).unwrap();

    let done = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(Mutex::new(Vec::<String>::new()));
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let (mgr, done, errors) = (mgr.clone(), done.clone(), errors.clone());
            std::thread::spawn(move || {
                for i in 0..QUERIES {
                    let n = (t * QUERIES + i) as i64;
                    match mgr.execute_query("pooled", "SELECT ? + 1 AS n", &[Value::Int(n)]) {
                        Ok(rs) => {
                            assert_eq!(rs.row(0).unwrap()[0], Value::Int(n + 1), "wrong answer")
                        }
                        Err(e) => errors.lock().unwrap().push(e.to_string()),
                    }
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    // Kill the pool's sessions twice while the load runs.
    let total = (THREADS * QUERIES) as u64;
    let mut killed = 0;
    for fraction in [3, 2] {
        while done.load(Ordering::Relaxed) < total / fraction {
            std::thread::sleep(Duration::from_millis(5));
        }
        killed += (server.kill)(&mut admin, tag);
    }
    for w in workers {
        w.join().expect("worker panicked (wrong answer?)");
    }
    let errors = errors.lock().unwrap();
    assert!(killed > 0, "{}: nothing was killed", server.name);
    for e in errors.iter() {
        assert!(
            e.starts_with("pooled: ") || e.starts_with("pool `pooled`"),
            "{}: unclear error: {e}",
            server.name
        );
    }
    assert!(
        errors.len() < (THREADS * QUERIES) / 10,
        "{}: {} errors, e.g. {:?}",
        server.name,
        errors.len(),
        errors.first()
    );
    let stats = mgr.pool_stats("pooled").unwrap();
    assert_eq!(stats.in_use, 0, "{}: {stats:?}", server.name);
    assert!(stats.size <= MAX_SIZE, "{stats:?}");
    assert!(stats.checkouts >= (THREADS * QUERIES) as u64, "{stats:?}");
    // Recovered: queries work, and the server holds no more sessions than the pool.
    for i in 0..100 {
        mgr.execute_query("pooled", "SELECT ?", &[Value::Int(i)])
            .unwrap();
    }
    let sessions = (server.count)(&mut admin, tag);
    let stats = mgr.pool_stats("pooled").unwrap();
    assert!(
        sessions <= i64::from(stats.size),
        "{}: {sessions} server sessions, pool {stats:?}",
        server.name
    );
    eprintln!(
        "{}: {killed} sessions killed, {} of {} queries failed, {stats:?}",
        server.name,
        errors.len(),
        THREADS * QUERIES
    );
}

#[test]
fn postgres_pool_survives_killed_sessions() {
    let Some(url) = server_url("MYRMEX_TEST_POSTGRES_URL") else {
        return;
    };
    let tag = format!("myrmex-pool-test-{}", std::process::id());
    let sep = if url.contains('?') { '&' } else { '?' };
    let pool_url = format!("{url}{sep}application_name={tag}");
    stress(
        Server {
            name: "postgres",
            url,
            kill: kill_pg,
            count: count_pg,
        },
        &pool_url,
        &tag,
    );
}

#[test]
fn mysql_pool_survives_killed_sessions() {
    let Some(url) = server_url("MYRMEX_TEST_MYSQL_URL") else {
        return;
    };
    // A dedicated user identifies the pool's sessions in the process list.
    let user = format!("myrmex_pool_{}", std::process::id());
    let mut admin = DatabaseConnection::from_url("admin", &url).unwrap();
    admin.connect_with(&registry()).unwrap();
    admin.execute_batch(&format!("DROP USER IF EXISTS '{user}'@'%'; CREATE USER '{user}'@'%' IDENTIFIED BY 'pool-pw-1'; GRANT ALL ON *.* TO '{user}'@'%'")).unwrap();
    let parsed = myrmex_core::url::parse(&url).unwrap();
    let pool_url = format!(
        "mysql://{user}:pool-pw-1@{}:{}/{}",
        parsed.host,
        if parsed.port == 0 { 3306 } else { parsed.port },
        parsed.database
    );
    stress(
        Server {
            name: "mysql",
            url,
            kill: kill_my,
            count: count_my,
        },
        &pool_url,
        &user,
    );
    admin
        .execute_batch(&format!("DROP USER IF EXISTS '{user}'@'%'"))
        .unwrap();
}
