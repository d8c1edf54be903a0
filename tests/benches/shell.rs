//! Whole-process benchmarks of the `myrmex` binary, side by side with the tools a user would
//! otherwise run:
//! * 100k SQLite point queries as a Rhai loop (`myrmex run`) vs the same loop in Python's
//!   `sqlite3` (`fetchone()` with tuple rows and with `sqlite3.Row` rows): in memory (loop time
//!   measured inside each script: interpreter plus binding cost) and on a database file (whole
//!   process, where SQLite's per-statement file locking dominates both);
//! * `myrmex -e 1` (start-up, discovering and loading every plugin) vs `sqlite3 :memory:` and
//!   `python3 -c pass`.
//!
//! `cargo bench -p myrmex-tests --bench shell`

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const ROUNDS: usize = 7;
const STARTUP_RUNS: usize = 41;
const SETUP_SQL: &str = "CREATE TABLE IF NOT EXISTS items(id INTEGER PRIMARY KEY, name TEXT NOT NULL, score REAL NOT NULL); INSERT OR IGNORE INTO items WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 100000) SELECT i, 'item-' || i, i * 0.5 FROM s;";

/// ARGS: database URL, then "row" for `query_row` or "index" for `query(...)[0]`.
const RHAI_LOOP: &str = r#"
let db = connect(ARGS[0]);
db.execute_batch(ARGS[2]);
let t = timestamp();
let n = 0;
if ARGS[1] == "row" {
    for i in 0..100000 {
        let r = db.query_row("SELECT id, name, score FROM items WHERE id = ?", [(i * 7919) % 100000 + 1]);
        n += r.id;
    }
} else {
    for i in 0..100000 {
        let r = db.query("SELECT id, name, score FROM items WHERE id = ?", [(i * 7919) % 100000 + 1])[0];
        n += r.id;
    }
}
print(`${n} ${t.elapsed}`);
"#;

/// argv: database path, "tuple" or "row", setup SQL.
const PY_LOOP: &str = r#"
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1])
c.executescript(sys.argv[3])
if sys.argv[2] == "row":
    c.row_factory = sqlite3.Row
t = time.perf_counter()
n = 0
for i in range(100000):
    r = c.execute("SELECT id, name, score FROM items WHERE id = ?", ((i * 7919) % 100000 + 1,)).fetchone()
    n += r[0]
print(n, time.perf_counter() - t)
"#;

/// Runs `cmd`; returns the whole-process time, the loop time the script printed, and its checksum.
fn timed(cmd: &mut Command) -> (Duration, f64, String) {
    let s = Instant::now();
    let out = cmd.stderr(Stdio::inherit()).output().expect("spawn");
    let t = s.elapsed();
    assert!(out.status.success(), "{cmd:?} failed");
    let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let (sum, secs) = text.split_once(' ').expect("checksum and time");
    (t, secs.parse().expect("seconds"), sum.to_string())
}

fn median_ms(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2] * 1e3
}

fn python() -> PathBuf {
    // Resolve the real interpreter: a version-manager shim adds ~100 ms of bash per start.
    let out = Command::new("python3")
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .expect("python3");
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

struct Variant {
    label: &'static str,
    inside: Vec<f64>,
    whole: Vec<f64>,
}

fn run_all(bin: &Path, py: &Path, rhai: &Path, pyf: &Path, url: &str, path: &str) -> Vec<Variant> {
    let mut vs = vec![
        Variant {
            label: "myrmex run (query_row)",
            inside: vec![],
            whole: vec![],
        },
        Variant {
            label: "myrmex run (query(..)[0])",
            inside: vec![],
            whole: vec![],
        },
        Variant {
            label: "python3 sqlite3 (tuple rows)",
            inside: vec![],
            whole: vec![],
        },
        Variant {
            label: "python3 sqlite3 (Row rows)",
            inside: vec![],
            whole: vec![],
        },
    ];
    for _ in 0..ROUNDS {
        let results = [
            timed(
                Command::new(bin)
                    .arg("run")
                    .arg(rhai)
                    .args([url, "row", SETUP_SQL]),
            ),
            timed(
                Command::new(bin)
                    .arg("run")
                    .arg(rhai)
                    .args([url, "index", SETUP_SQL]),
            ),
            timed(Command::new(py).arg(pyf).args([path, "tuple", SETUP_SQL])),
            timed(Command::new(py).arg(pyf).args([path, "row", SETUP_SQL])),
        ];
        for (v, (whole, inside, sum)) in vs.iter_mut().zip(results) {
            assert_eq!(sum, "5000050000");
            v.whole.push(whole.as_secs_f64());
            v.inside.push(inside);
        }
    }
    vs
}

fn main() {
    let dir = myrmex_tests::temp_dir("bench-shell");
    let db = dir.join("bench.db");
    let rhai = dir.join("loop.rhai");
    let pyf = dir.join("loop.py");
    std::fs::write(&rhai, RHAI_LOOP).unwrap();
    std::fs::write(&pyf, PY_LOOP).unwrap();
    let bin = myrmex_tests::myrmex_bin();
    let py = python();

    let mem = run_all(&bin, &py, &rhai, &pyf, "sqlite::memory:", ":memory:");
    println!("100k SQLite point queries in a script loop, in memory: loop time inside the script, median of {ROUNDS}");
    for v in &mem {
        println!("  {:<32} {:>8.1} ms", v.label, median_ms(v.inside.clone()));
    }
    let best_py = median_ms(mem[2].inside.clone()).min(median_ms(mem[3].inside.clone()));
    println!(
        "  ratio myrmex query_row / fastest python   {:>6.3}",
        median_ms(mem[0].inside.clone()) / best_py
    );
    println!(
        "  ratio myrmex query[0] / fastest python    {:>6.3}",
        median_ms(mem[1].inside.clone()) / best_py
    );

    let file = run_all(
        &bin,
        &py,
        &rhai,
        &pyf,
        &format!("sqlite://{}", db.display()),
        &db.display().to_string(),
    );
    println!("the same on a database file (autocommit): whole process, median of {ROUNDS}");
    for v in &file {
        println!("  {:<32} {:>8.1} ms", v.label, median_ms(v.whole.clone()));
    }
    let best_py = median_ms(file[2].whole.clone()).min(median_ms(file[3].whole.clone()));
    println!(
        "  ratio myrmex query_row / fastest python   {:>6.3}",
        median_ms(file[0].whole.clone()) / best_py
    );
    println!(
        "  ratio myrmex query[0] / fastest python    {:>6.3}",
        median_ms(file[1].whole.clone()) / best_py
    );

    let (mut t_start, mut t_sqlite3, mut t_python) = (Vec::new(), Vec::new(), Vec::new());
    let have_sqlite3 = Command::new("sqlite3").arg("-version").output().is_ok();
    let spawn = |c: &mut Command| {
        let s = Instant::now();
        assert!(c.stdout(Stdio::null()).status().unwrap().success());
        s.elapsed().as_secs_f64()
    };
    for _ in 0..STARTUP_RUNS {
        t_start.push(spawn(Command::new(&bin).args(["-e", "1"])));
        if have_sqlite3 {
            t_sqlite3.push(spawn(
                Command::new("sqlite3").args([":memory:", "select 1"]),
            ));
        }
        t_python.push(spawn(Command::new(&py).args(["-c", "pass"])));
    }
    let plugins = Command::new(&bin).arg("plugins").output().unwrap();
    let loaded = String::from_utf8_lossy(&plugins.stdout)
        .lines()
        .filter(|l| l.contains("myrmex-"))
        .count();
    println!("start-up, median of {STARTUP_RUNS} runs ({loaded} plugin(s) discovered and loaded)");
    println!(
        "  myrmex -e 1                      {:>8.1} ms",
        median_ms(t_start)
    );
    if have_sqlite3 {
        println!(
            "  sqlite3 :memory: 'select 1'      {:>8.1} ms",
            median_ms(t_sqlite3)
        );
    }
    println!(
        "  python3 -c pass                  {:>8.1} ms",
        median_ms(t_python)
    );
}
