//! SIGKILL at random points of backups and restores, on every engine (SQLite, PostgreSQL,
//! MariaDB), with the logical strategy:
//!
//! * a killed backup is never listed complete unless it is (killed after it was published: it
//!   verifies); otherwise it is `failed`, or absent when killed before it started; and the
//!   complete backup beside it still verifies;
//! * a killed restore leaves a state a re-run completes: on PostgreSQL and SQLite (one
//!   transaction) nothing or everything; on MariaDB (a transaction per table) every table
//!   absent, empty or complete, never half loaded; `restore --clean` then gives every row.
//!
//! The kill points come from a seeded generator (`MYRMEX_BACKUP_KILL_SEED` replays a run);
//! `MYRMEX_BACKUP_KILLS` and `MYRMEX_RESTORE_KILLS` set how many per engine (3 and 3 by
//! default; a larger count by hand).

use myrmex_tests::*;
use std::process::Stdio;
use std::time::Duration;

const TABLES: [(&str, i64); 2] = [("a", 40_000), ("b", 15_000)];

fn ok(out: Output) -> Output {
    assert_eq!(
        out.code, 0,
        "stdout: {}\nstderr: {}",
        out.stdout, out.stderr
    );
    out
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", out.stdout, out.stderr))
}

fn kills(var: &str) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
}

/// Tables `a` and `b` of random text, in the engine's own SQL.
fn fill(t: &Target) {
    let mut db = t.connect();
    for (name, rows) in TABLES {
        db.execute(
            &format!("CREATE TABLE {name}(id INTEGER PRIMARY KEY, v TEXT)"),
            &[],
        )
        .unwrap();
        let insert = match t.engine {
            "sqlite" => format!(
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {rows}) \
                 INSERT INTO {name} SELECT x, hex(randomblob(24)) FROM c"
            ),
            "postgres" => format!(
                "INSERT INTO {name} SELECT i, md5(random()::text) || md5(i::text) \
                 FROM generate_series(1, {rows}) i"
            ),
            _ => format!(
                "INSERT INTO {name} SELECT seq, CONCAT(MD5(RAND()), MD5(seq)) FROM seq_1_to_{rows}"
            ),
        };
        db.execute(&insert, &[]).unwrap();
    }
}

/// The rows of each table, `None` for a table that is not there.
fn counts(url: &str, engine: &'static str) -> Vec<Option<i64>> {
    let mut db = myrmex_core::DatabaseConnection::from_url(engine, url).unwrap();
    db.connect_with(&registry()).unwrap();
    TABLES
        .iter()
        .map(|(name, _)| {
            let rs = db
                .execute_query(&format!("SELECT count(*) AS n FROM {name}"), &[])
                .ok()?;
            match rs.get(0, "n") {
                Some(myrmex_core::Value::Int(n)) => Some(*n),
                Some(myrmex_core::Value::Decimal(d)) => d.parse().ok(),
                other => panic!("count: {other:?}"),
            }
        })
        .collect()
}

/// Runs `args` and kills it after `ms`; true when the kill ended it (it had not finished).
fn killed_after(args: &[&str], ms: u64) -> bool {
    let mut child = myrmex()
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(ms));
    let _ = child.kill();
    !child.wait().unwrap().success()
}

#[test]
fn a_killed_backup_never_appears_complete_on_any_engine() {
    let (mut rng, seed) = Rng::from_env("MYRMEX_BACKUP_KILL_SEED");
    for t in targets("backup-kill") {
        fill(&t);
        let dir = temp_dir(&format!("backup-kill-{}", t.engine));
        let out = dir.join("out").display().to_string();
        ok(run(myrmex().args([
            "backup", &t.url, "--dest", &out, "--name", "good",
        ])));
        let mut cut = 0;
        for i in 0..kills("MYRMEX_BACKUP_KILLS") {
            let name = format!("k{i}");
            let ms = 20 + rng.below(600) as u64;
            let killed = killed_after(&["backup", &t.url, "--dest", &out, "--name", &name], ms);
            let listed = json(&ok(run(
                myrmex().args(["backups", &out, "--format", "json"])
            )));
            let mine = listed
                .as_array()
                .unwrap()
                .iter()
                .find(|b| b["name"] == name.as_str());
            if killed {
                cut += 1;
                match mine {
                    // Killed between publishing and exiting: complete, and it verifies.
                    Some(b) if b["status"] == "complete" => {
                        ok(run(myrmex().args(["verify", &format!("{out}/{name}")])));
                    }
                    Some(b) => {
                        assert_eq!(
                            b["status"], "failed",
                            "{} seed {seed}, killed after {ms} ms: listed as {b}",
                            t.engine
                        );
                        assert!(
                            !dir.join("out").join(&name).exists(),
                            "{} seed {seed}",
                            t.engine
                        );
                    }
                    None => {}
                }
            }
            ok(run(myrmex().args(["verify", &format!("{out}/good")])));
        }
        println!("{}: {cut} backups killed before they ended", t.engine);
        let plan = ok(run(myrmex().args([
            "backup",
            "prune",
            "--dest",
            &out,
            "--keep-last",
            "10",
        ])));
        assert!(!plan.stdout.contains("deleted good"));
    }
}

#[test]
fn a_killed_restore_leaves_a_state_a_rerun_completes_on_any_engine() {
    let (mut rng, seed) = Rng::from_env("MYRMEX_BACKUP_KILL_SEED");
    for t in targets("restore-kill") {
        fill(&t);
        let dir = temp_dir(&format!("restore-kill-{}", t.engine));
        let out = dir.join("out").display().to_string();
        let b =
            json(&ok(run(myrmex().args([
                "backup", &t.url, "--dest", &out, "--format", "json",
            ]))));
        let path = b["path"].as_str().unwrap().to_string();
        let full: Vec<Option<i64>> = TABLES.iter().map(|t| Some(t.1)).collect();
        for i in 0..kills("MYRMEX_RESTORE_KILLS") {
            let scratch = match t.engine {
                "sqlite" => None,
                "postgres" => Some(ScratchDb::create(
                    &server_url("MYRMEX_TEST_POSTGRES_URL").unwrap(),
                    "postgres",
                    "restore-kill-into",
                )),
                _ => Some(ScratchDb::create(
                    &server_url("MYRMEX_TEST_MYSQL_URL").unwrap(),
                    "mysql",
                    "restore-kill-into",
                )),
            };
            let target = match &scratch {
                Some(s) => s.url.clone(),
                None => format!("sqlite://{}", dir.join(format!("into{i}.db")).display()),
            };
            let ms = 20 + rng.below(900) as u64;
            let killed = killed_after(&["restore", &path, &target], ms);
            let left = counts(&target, t.engine);
            let what = format!("{} seed {seed}, killed after {ms} ms: {left:?}", t.engine);
            if killed {
                if t.engine == "mysql" {
                    for (got, (_, rows)) in left.iter().zip(TABLES) {
                        assert!(
                            matches!(got, None | Some(0)) || *got == Some(rows),
                            "half a table: {what}"
                        );
                    }
                } else {
                    assert!(
                        left.iter().all(|c| c.is_none()) || left == full,
                        "a partial restore: {what}"
                    );
                }
            }
            // A re-run completes: with --clean over whatever the killed one left.
            ok(run(myrmex().args(["restore", &path, &target, "--clean"])));
            assert_eq!(counts(&target, t.engine), full, "{what}");
        }
    }
}
