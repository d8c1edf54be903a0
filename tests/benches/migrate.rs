//! Migrations, side by side with sqlx-cli on the same files (whole processes):
//!
//! 1. `status` with 10,000 applied migrations: `myrmex migrate status` (SQLite and
//!    PostgreSQL) vs `sqlx migrate info` (PostgreSQL); target < 100 ms.
//! 2. applying 1,000 small migrations to an empty PostgreSQL database: `myrmex migrate up`
//!    vs `sqlx migrate run`; target: no slower.
//!
//! `MYRMEX_TEST_POSTGRES_URL=… PATH=$PATH:/path/to/sqlx cargo bench -p myrmex-tests --bench migrate`
//! (sqlx-cli is only needed here: `cargo install sqlx-cli --no-default-features --features postgres,rustls`).

use myrmex_core::DatabaseConnection;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

const STATUS_MIGRATIONS: usize = 10_000;
const APPLY_MIGRATIONS: usize = 1_000;
const STATUS_ROUNDS: usize = 7;
const APPLY_ROUNDS: usize = 3;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn time(cmd: &mut Command) -> f64 {
    let start = Instant::now();
    let out = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let secs = start.elapsed().as_secs_f64();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    secs
}

/// The same migrations in myrmex's and sqlx's naming.
fn write_sets(root: &Path, n: usize, body: impl Fn(usize) -> String) -> (PathBuf, PathBuf) {
    let (ours, theirs) = (root.join("myrmex"), root.join("sqlx"));
    for d in [&ours, &theirs] {
        let _ = std::fs::remove_dir_all(d);
        std::fs::create_dir_all(d).unwrap();
    }
    for i in 1..=n {
        let sql = body(i);
        std::fs::write(ours.join(format!("V{i}__step_{i}.up.sql")), &sql).unwrap();
        std::fs::write(theirs.join(format!("{i}_step_{i}.sql")), &sql).unwrap();
    }
    (ours, theirs)
}

struct Databases {
    admin: DatabaseConnection,
    names: Vec<String>,
}

impl Databases {
    fn create(&mut self, url: &str, name: &str) -> String {
        self.admin
            .execute_batch(&format!("DROP DATABASE IF EXISTS {name}"))
            .unwrap();
        self.admin
            .execute_batch(&format!("CREATE DATABASE {name}"))
            .unwrap();
        self.names.push(name.to_string());
        myrmex_tests::with_database(url, name)
    }
}

impl Drop for Databases {
    fn drop(&mut self) {
        for n in &self.names {
            let _ = self
                .admin
                .execute_batch(&format!("DROP DATABASE IF EXISTS {n} WITH (FORCE)"));
        }
    }
}

fn myrmex(args: &[&str], db: &str, dir: &Path) -> Command {
    let mut c = myrmex_tests::myrmex();
    c.arg("migrate")
        .args(args)
        .arg("--db")
        .arg(db)
        .arg("--dir")
        .arg(dir);
    c
}

fn sqlx(args: &[&str], db: &str, dir: &Path) -> Command {
    let mut c = Command::new("sqlx");
    c.arg("migrate")
        .args(args)
        .arg("--database-url")
        .arg(db)
        .arg("--source")
        .arg(dir);
    c
}

fn main() {
    let root = std::env::temp_dir().join(format!("myrmex-migrate-bench-{}", std::process::id()));
    let have_sqlx = Command::new("sqlx")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());

    // 1. status on 10,000 applied migrations.
    let (ours, theirs) = write_sets(&root.join("status"), STATUS_MIGRATIONS, |i| {
        format!("-- step {i}\nINSERT INTO bench_log (v) VALUES ({i});\n")
    });
    std::fs::write(
        ours.join("V1__step_1.up.sql"),
        "CREATE TABLE bench_log (v INTEGER);\n",
    )
    .unwrap();
    std::fs::write(
        theirs.join("1_step_1.sql"),
        "CREATE TABLE bench_log (v INTEGER);\n",
    )
    .unwrap();
    let sqlite = format!(
        "sqlite://{}?synchronous=off",
        root.join("status.db").display()
    );
    time(&mut myrmex(&["up"], &sqlite, &ours));
    let sqlite_status: Vec<f64> = (0..STATUS_ROUNDS)
        .map(|_| time(&mut myrmex(&["status"], &sqlite, &ours)))
        .collect();
    println!("status with {STATUS_MIGRATIONS} applied migrations, whole process, median of {STATUS_ROUNDS}");
    println!(
        "  myrmex migrate status, SQLite        {:>8.1} ms   (target < 100 ms)",
        median(sqlite_status) * 1e3
    );

    let Ok(url) = std::env::var("MYRMEX_TEST_POSTGRES_URL") else {
        println!("skipped the PostgreSQL parts: MYRMEX_TEST_POSTGRES_URL unset");
        return;
    };
    let mut admin =
        DatabaseConnection::from_url_with("admin", &url, &myrmex_tests::registry()).unwrap();
    admin.connect_with(&myrmex_tests::registry()).unwrap();
    let mut dbs = Databases {
        admin,
        names: Vec::new(),
    };
    let pid = std::process::id();
    let pg_ours = dbs.create(&url, &format!("bench_status_myrmex_{pid}"));
    time(&mut myrmex(&["up"], &pg_ours, &ours));
    let pg_status: Vec<f64> = (0..STATUS_ROUNDS)
        .map(|_| time(&mut myrmex(&["status"], &pg_ours, &ours)))
        .collect();
    println!(
        "  myrmex migrate status, PostgreSQL    {:>8.1} ms   (target < 100 ms)",
        median(pg_status) * 1e3
    );
    if have_sqlx {
        let pg_theirs = dbs.create(&url, &format!("bench_status_sqlx_{pid}"));
        time(&mut sqlx(&["run"], &pg_theirs, &theirs));
        let info: Vec<f64> = (0..STATUS_ROUNDS)
            .map(|_| time(&mut sqlx(&["info"], &pg_theirs, &theirs)))
            .collect();
        println!(
            "  sqlx migrate info, PostgreSQL        {:>8.1} ms",
            median(info) * 1e3
        );
    } else {
        println!("  sqlx not on PATH: its figures are skipped");
    }

    // 2. 1,000 small migrations applied to an empty database.
    let (ours, theirs) = write_sets(&root.join("apply"), APPLY_MIGRATIONS, |i| {
        format!("CREATE TABLE t{i} (id INTEGER PRIMARY KEY, name VARCHAR(50));\nINSERT INTO t{i} (id, name) VALUES (1, 'x');\n")
    });
    let (mut t_ours, mut t_sqlx) = (Vec::new(), Vec::new());
    for round in 0..APPLY_ROUNDS {
        let db = dbs.create(&url, &format!("bench_apply_myrmex_{pid}_{round}"));
        t_ours.push(time(&mut myrmex(&["up"], &db, &ours)));
        if have_sqlx {
            let db = dbs.create(&url, &format!("bench_apply_sqlx_{pid}_{round}"));
            t_sqlx.push(time(&mut sqlx(&["run"], &db, &theirs)));
        }
    }
    println!("applying {APPLY_MIGRATIONS} small migrations to an empty PostgreSQL database, median of {APPLY_ROUNDS}");
    let a = median(t_ours);
    println!("  myrmex migrate up                    {a:>8.2} s");
    if have_sqlx {
        let b = median(t_sqlx);
        println!("  sqlx migrate run                     {b:>8.2} s");
        println!(
            "  time myrmex / sqlx                   {:>8.3}   (target <= 1.0)",
            a / b
        );
    }
    let _ = std::fs::remove_dir_all(&root);
}
