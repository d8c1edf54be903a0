//! Backups end to end, through the binary and Rhai, on every engine: the logical strategy's
//! round trip with Chinook (backup, verify with a restore drill, restore, same rows), the
//! SQLite online strategy, damage that verify must catch (a flipped byte in any file, a
//! truncated manifest), encryption keys, retention, and the scheduler's lock (killed backups
//! and restores: `backup_kill.rs`).

use myrmex_tests::*;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", out.stdout, out.stderr))
}

fn ok(out: Output) -> Output {
    assert_eq!(
        out.code, 0,
        "stdout: {}\nstderr: {}",
        out.stdout, out.stderr
    );
    out
}

fn backup(url: &str, dest: &Path, extra: &[&str]) -> serde_json::Value {
    let dest = dest.display().to_string();
    let mut args = vec!["backup", url, "--dest", &dest, "--format", "json"];
    args.extend_from_slice(extra);
    json(&ok(run(myrmex().args(&args))))
}

fn quote(engine: &str, name: &str) -> String {
    if engine == "mysql" {
        format!("`{name}`")
    } else {
        format!("\"{name}\"")
    }
}

/// Every table's row count, by the manifest's table list.
fn counts(t: &Target, tables: &[String]) -> Vec<(String, i64)> {
    let mut db = t.connect();
    tables
        .iter()
        .map(|name| {
            let rs = db
                .execute_query(
                    &format!("SELECT count(*) AS n FROM {}", quote(t.engine, name)),
                    &[],
                )
                .unwrap();
            let n = match rs.get(0, "n") {
                Some(myrmex_core::Value::Int(n)) => *n,
                Some(myrmex_core::Value::Decimal(d)) => d.parse().unwrap(),
                other => panic!("count: {other:?}"),
            };
            (name.clone(), n)
        })
        .collect()
}

fn manifest(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap()
}

fn table_names(m: &serde_json::Value) -> Vec<String> {
    m["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn logical_backup_verifies_and_restores_chinook_on_every_engine() {
    let into = targets("backup-into");
    for t in targets("backup-rt") {
        load_chinook(&t);
        let dest = temp_dir(&format!("backup-rt-{}", t.engine));
        let b = backup(&t.url, &dest, &["--parallel", "3"]);
        assert_eq!(b["status"], "complete", "{b}");
        assert!(b["tables"].as_u64().unwrap() >= 11, "{b}");
        let path = PathBuf::from(b["path"].as_str().unwrap());
        let m = manifest(&path);
        assert_eq!(m["strategy"], "logical");
        assert!(m["files"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["sha256"].as_str().unwrap().len() == 64));
        assert!(m["schema"]["tables"].as_array().unwrap().len() >= 11);

        // Verify with a restore drill into a scratch database of the same engine.
        let v = json(&ok(run(myrmex().args([
            "verify",
            path.to_str().unwrap(),
            "--drill",
            &t.url,
            "--format",
            "json",
        ]))));
        assert_eq!(v["drill"], true, "{v}");
        let listed = json(&ok(run(myrmex().args([
            "backups",
            dest.to_str().unwrap(),
            "--format",
            "json",
        ]))));
        assert_eq!(listed[0]["status"], "verified", "{listed}");

        // Restore into an empty database of the same engine: the same rows.
        let target = into.iter().find(|x| x.engine == t.engine).unwrap();
        ok(run(myrmex().args([
            "restore",
            path.to_str().unwrap(),
            &target.url,
        ])));
        let names = table_names(&m);
        assert_eq!(counts(&t, &names), counts(target, &names), "{}", t.engine);
        let mut db = target.connect();
        let refused = run(myrmex().args(["restore", path.to_str().unwrap(), &target.url]));
        assert_ne!(refused.code, 0, "a non-empty target is refused");
        assert!(refused.stderr.contains("not empty"), "{}", refused.stderr);
        ok(run(myrmex().args([
            "restore",
            path.to_str().unwrap(),
            &target.url,
            "--clean",
        ])));
        assert_eq!(
            counts(&t, &names),
            counts(target, &names),
            "{} after --clean",
            t.engine
        );
        if t.engine == "sqlite" {
            // The rowid key came back: a new row gets a fresh key.
            db.execute("INSERT INTO \"Genre\" (\"Name\") VALUES ('Polka')", &[])
                .unwrap();
        }
    }
}

#[test]
fn logical_restore_moves_identities_past_the_restored_keys() {
    let Some(pg) = server_url("MYRMEX_TEST_POSTGRES_URL") else {
        return;
    };
    let src = ScratchDb::create(&pg, "postgres", "bk-ident");
    src.connect()
        .execute_batch(
            "CREATE TABLE i(id INTEGER GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v TEXT);
             CREATE TABLE s(id SERIAL PRIMARY KEY, i_id INTEGER REFERENCES i(id));
             INSERT INTO i(v) SELECT 'x' FROM generate_series(1, 50);
             INSERT INTO s(i_id) SELECT id FROM i;",
        )
        .unwrap();
    let dir = temp_dir("backup-ident");
    let b = backup(&src.url, &dir.join("out"), &[]);
    let into = ScratchDb::create(&pg, "postgres", "bk-ident-into");
    ok(run(myrmex().args([
        "restore",
        b["path"].as_str().unwrap(),
        &into.url,
    ])));
    let mut c = into.connect();
    c.execute("INSERT INTO i(v) VALUES ('new')", &[]).unwrap();
    c.execute("INSERT INTO s(i_id) VALUES (51)", &[]).unwrap();
    let bad = c.execute("INSERT INTO s(i_id) VALUES (999)", &[]);
    assert!(bad.is_err(), "the foreign key came back");
}

#[test]
fn sqlite_online_backup_round_trip() {
    let dir = temp_dir("backup-online");
    let src = dir.join("src.db");
    let conn = rusqlite::Connection::open(&src).unwrap();
    conn.execute_batch(
        "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
         INSERT INTO t SELECT i, hex(randomblob(20)) FROM n;",
    )
    .unwrap();
    let url = format!("sqlite://{}", src.display());
    let b = backup(&url, &dir.join("out"), &["--strategy", "sqlite-online"]);
    let path = b["path"].as_str().unwrap().to_string();
    let drill = format!("sqlite://{}", dir.join("drill.db").display());
    ok(run(myrmex().args(["verify", &path, "--drill", &drill])));
    let copy = dir.join("copy.db");
    ok(run(myrmex().args([
        "restore",
        &path,
        copy.to_str().unwrap(),
    ])));
    let n: i64 = rusqlite::Connection::open(&copy)
        .unwrap()
        .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 5000);
    let compact = backup(
        &url,
        &dir.join("out"),
        &[
            "--strategy",
            "sqlite-online",
            "--settings",
            r#"{"vacuum":true}"#,
        ],
    );
    assert_eq!(compact["rows"], 5000);
    // A strategy for another engine is refused by name.
    if let Some(pg) = server_url("MYRMEX_TEST_POSTGRES_URL") {
        let out = run(myrmex().args([
            "backup",
            &pg,
            "--dest",
            dir.to_str().unwrap(),
            "--strategy",
            "sqlite-online",
        ]));
        assert_ne!(out.code, 0);
        assert!(
            out.stderr.contains("does not back up postgres"),
            "{}",
            out.stderr
        );
    }
}

#[test]
fn pg_native_backup_is_listed_verified_and_restored_like_any_other() {
    let Some(pg) = server_url("MYRMEX_TEST_POSTGRES_URL") else {
        return;
    };
    let src = ScratchDb::create(&pg, "postgres", "bk-native");
    let mut db = src.connect();
    db.execute_batch(
        "CREATE TABLE n(id INTEGER GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v TEXT);
         INSERT INTO n(v) SELECT md5(i::text) FROM generate_series(1, 2000) i;",
    )
    .unwrap();
    let dir = temp_dir("backup-native");
    let b = backup(
        &src.url,
        &dir.join("out"),
        &["--strategy", "native", "--parallel", "2"],
    );
    assert_eq!(b["strategy"], "pg-native", "{b}");
    assert_eq!(b["rows"], 2000, "{b}");
    let path = b["path"].as_str().unwrap().to_string();
    ok(run(myrmex().args(["verify", &path, "--drill", &src.url])));
    let into = ScratchDb::create(&pg, "postgres", "bk-native-into");
    ok(run(myrmex().args(["restore", &path, &into.url])));
    let mut copy = into.connect();
    copy.execute("INSERT INTO n(v) VALUES ('new')", &[])
        .unwrap();
    let rs = copy
        .execute_query("SELECT count(*) AS n FROM n", &[])
        .unwrap();
    assert_eq!(rs.get(0, "n"), Some(&myrmex_core::Value::Int(2001)));
}

/// A logical backup restores into another engine through the schema conversion: Chinook
/// backed up on each engine and restored into each other one answers the analytical
/// queries the same; the conversion's decisions are in the output, `--strict` refuses a
/// restore that would lose something, and a native backup is refused by name.
#[test]
fn logical_backup_restores_chinook_into_every_other_engine() {
    use myrmex_tests::chinook::{answer, chinook_sql, CHINOOK_QUERIES};
    for t in targets("backup-x-src") {
        load_chinook(&t);
        let dest = temp_dir(&format!("backup-x-{}", t.engine));
        let b = backup(&t.url, &dest, &[]);
        let path = b["path"].as_str().unwrap().to_string();
        for into in targets(&format!("backup-x-into-{}", t.engine)) {
            if into.engine == t.engine {
                continue;
            }
            let label = format!("{} → {}", t.engine, into.engine);
            let out = ok(run(
                myrmex().args(["restore", &path, &into.url, "--format", "json"])
            ));
            let v = json(&out);
            assert_eq!(
                v["tables"].as_array().map(Vec::len),
                Some(11),
                "{label}: {v}"
            );
            let to = v["conversion"]["to"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let expected = if into.engine == "mysql" {
                ["mysql", "mariadb"]
            } else {
                [into.engine, into.engine]
            };
            assert!(expected.contains(&to.as_str()), "{label}: {v}");
            let mut a = t.connect();
            let mut b = into.connect();
            let snake = t.engine == "postgres";
            for q in CHINOOK_QUERIES {
                let qa = chinook_sql(q, t.engine, snake);
                let qb = chinook_sql(q, into.engine, snake);
                assert_eq!(answer(&mut a, &qa), answer(&mut b, &qb), "{label}: {qa}");
            }
        }
    }
    // --strict: a PostgreSQL backup whose array column has no counterpart is refused, and
    // the target is left empty.
    let Some(pg) = server_url("MYRMEX_TEST_POSTGRES_URL") else {
        return;
    };
    let src = ScratchDb::create(&pg, "postgres", "bk-x-strict");
    src.connect()
        .execute_batch("CREATE TABLE tagged(id int PRIMARY KEY, tags text[]); INSERT INTO tagged VALUES (1, '{a,b}')")
        .unwrap();
    let dir = temp_dir("backup-x-strict");
    let b = backup(&src.url, &dir.join("out"), &[]);
    let path = b["path"].as_str().unwrap().to_string();
    let sqlite = format!("sqlite://{}", dir.join("strict.db").display());
    let out = run(myrmex().args(["restore", &path, &sqlite, "--strict"]));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("tagged.tags"), "{}", out.stderr);
    let native = backup(&src.url, &dir.join("native"), &["--strategy", "native"]);
    let out = run(myrmex().args(["restore", native["path"].as_str().unwrap(), &sqlite]));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("restores only into the same engine"),
        "{}",
        out.stderr
    );
}

/// `--no-single-transaction` loads PostgreSQL tables in parallel, each in its own
/// transaction: the same rows; a restore that fails part-way drops what it created.
#[test]
fn postgres_restore_in_parallel_transactions() {
    let Some(pg) = server_url("MYRMEX_TEST_POSTGRES_URL") else {
        return;
    };
    let src = ScratchDb::create(&pg, "postgres", "bk-par-src");
    src.connect()
        .execute_batch(
            "CREATE TABLE a(id int PRIMARY KEY, v text);
             INSERT INTO a SELECT i, md5(i::text) FROM generate_series(1, 5000) i;
             CREATE TABLE b(id int PRIMARY KEY, a_id int REFERENCES a(id));
             INSERT INTO b SELECT i, i FROM generate_series(1, 5000) i;
             CREATE TABLE c(id int PRIMARY KEY, v text);
             INSERT INTO c SELECT i, 'c' FROM generate_series(1, 100) i;",
        )
        .unwrap();
    let dir = temp_dir("backup-par");
    let b = backup(&src.url, &dir.join("out"), &[]);
    let path = b["path"].as_str().unwrap().to_string();
    let into = ScratchDb::create(&pg, "postgres", "bk-par-into");
    ok(run(myrmex().args([
        "restore",
        &path,
        &into.url,
        "--parallel",
        "3",
        "--no-single-transaction",
    ])));
    let mut copy = into.connect();
    let rs = copy
        .execute_query(
            "SELECT (SELECT count(*) FROM a) AS a, (SELECT count(*) FROM b) AS b, (SELECT count(*) FROM c) AS c",
            &[],
        )
        .unwrap();
    assert_eq!(rs.get(0, "a"), Some(&myrmex_core::Value::Int(5000)));
    assert_eq!(rs.get(0, "b"), Some(&myrmex_core::Value::Int(5000)));
    assert_eq!(rs.get(0, "c"), Some(&myrmex_core::Value::Int(100)));
    // A table that cannot load (its schema in the manifest says int where the rows hold
    // text): the restore fails naming it and drops the tables it had created.
    let manifest_file = Path::new(&path).join("manifest.json");
    let mut m = manifest(Path::new(&path));
    for t in m["schema"]["tables"].as_array_mut().unwrap() {
        if t["name"] == "c" {
            t["columns"][1]["type"] = "int".into();
        }
    }
    std::fs::write(&manifest_file, m.to_string()).unwrap();
    let empty = ScratchDb::create(&pg, "postgres", "bk-par-fail");
    let out = run(myrmex().args(["restore", &path, &empty.url, "--no-single-transaction"]));
    assert_ne!(out.code, 0, "{}", out.stdout);
    assert!(out.stderr.contains('c'), "{}", out.stderr);
    let left = empty
        .connect()
        .execute_query(
            "SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public'",
            &[],
        )
        .unwrap();
    assert_eq!(
        left.get(0, "n"),
        Some(&myrmex_core::Value::Int(0)),
        "{}",
        out.stderr
    );
}

#[test]
fn mysql_native_backup_is_listed_verified_and_restored_like_any_other() {
    let Some(my) = server_url("MYRMEX_TEST_MYSQL_URL") else {
        return;
    };
    let src = ScratchDb::create(&my, "mysql", "bk-mynative");
    let mut db = src.connect();
    db.execute_batch(
        "CREATE TABLE n(id INTEGER AUTO_INCREMENT PRIMARY KEY, v TEXT);
         INSERT INTO n(v) SELECT MD5(seq) FROM seq_1_to_3000;
         CREATE TABLE m(id INTEGER PRIMARY KEY, n_id INTEGER REFERENCES n(id));
         INSERT INTO m SELECT seq, seq FROM seq_1_to_10;
         CREATE VIEW nv AS SELECT id FROM n WHERE id < 5;",
    )
    .unwrap();
    let dir = temp_dir("backup-mynative");
    let b = backup(
        &src.url,
        &dir.join("out"),
        &["--strategy", "native", "--parallel", "2"],
    );
    assert_eq!(b["strategy"], "mysql-native", "{b}");
    assert_eq!(b["rows"], 3010, "{b}");
    let path = b["path"].as_str().unwrap().to_string();
    let listed = run(myrmex().args(["backups", &dir.join("out").display().to_string()]));
    assert!(listed.stdout.contains("complete"), "{}", listed.stdout);
    ok(run(myrmex().args(["verify", &path, "--drill", &src.url])));
    let into = ScratchDb::create(&my, "mysql", "bk-mynative-into");
    ok(run(myrmex().args(["restore", &path, &into.url])));
    let mut copy = into.connect();
    copy.execute("INSERT INTO n(v) VALUES ('new')", &[])
        .unwrap();
    let rs = copy
        .execute_query("SELECT COUNT(*) AS c, MAX(id) AS top FROM n", &[])
        .unwrap();
    assert_eq!(rs.get(0, "c"), Some(&myrmex_core::Value::Int(3001)));
    // The counter comes back as the source had it (an INSERT … SELECT reserves ahead).
    let mut source = src.connect();
    source
        .execute("INSERT INTO n(v) VALUES ('new')", &[])
        .unwrap();
    let want = source
        .execute_query("SELECT MAX(id) AS top FROM n", &[])
        .unwrap();
    assert_eq!(rs.get(0, "top"), want.get(0, "top"));
    let rs = copy
        .execute_query("SELECT COUNT(*) AS c FROM nv", &[])
        .unwrap();
    assert_eq!(rs.get(0, "c"), Some(&myrmex_core::Value::Int(4)));
    // A database that holds tables is refused unless --clean, which replaces them.
    let out = run(myrmex().args(["restore", &path, &into.url]));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("not empty"), "{}", out.stderr);
    ok(run(myrmex().args(["restore", &path, &into.url, "--clean"])));
    let rs = copy
        .execute_query("SELECT COUNT(*) AS c FROM n", &[])
        .unwrap();
    assert_eq!(rs.get(0, "c"), Some(&myrmex_core::Value::Int(3000)));
}

fn small_sqlite(dir: &Path, rows: u32) -> String {
    let src = dir.join("small.db");
    let conn = rusqlite::Connection::open(&src).unwrap();
    conn.execute_batch(&format!(
        "CREATE TABLE a(id INTEGER PRIMARY KEY, v TEXT, f REAL, b BLOB);
         CREATE TABLE b(id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES a(id), note TEXT);
         CREATE INDEX b_a ON b(a_id);
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rows})
         INSERT INTO a SELECT i, hex(randomblob(16)), i * 0.5, randomblob(8) FROM n;
         INSERT INTO b SELECT id, id, 'x' || id FROM a;"
    ))
    .unwrap();
    format!("sqlite://{}", src.display())
}

#[test]
fn verify_catches_a_flipped_byte_in_any_file_and_a_truncated_manifest() {
    let dir = temp_dir("backup-damage");
    let url = small_sqlite(&dir, 3000);
    let b = backup(&url, &dir.join("out"), &[]);
    let path = PathBuf::from(b["path"].as_str().unwrap());
    let m = manifest(&path);
    let files: Vec<String> = m["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_string())
        .collect();
    assert!(files.len() >= 2, "{files:?}");
    for f in &files {
        let file = path.join(f);
        let orig = std::fs::read(&file).unwrap();
        let mut bad = orig.clone();
        let at = bad.len() / 2;
        bad[at] ^= 0x01;
        std::fs::write(&file, &bad).unwrap();
        let out = run(myrmex().args(["verify", path.to_str().unwrap()]));
        assert_eq!(
            out.code, 3,
            "flipped byte in {f} not caught: {}",
            out.stderr
        );
        assert!(out.stderr.contains(f.as_str()), "{}", out.stderr);
        std::fs::write(&file, &orig).unwrap();
    }
    ok(run(myrmex().args(["verify", path.to_str().unwrap()])));
    let text = std::fs::read(path.join("manifest.json")).unwrap();
    std::fs::write(path.join("manifest.json"), &text[..text.len() / 2]).unwrap();
    let out = run(myrmex().args(["verify", path.to_str().unwrap()]));
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(out.stderr.contains("manifest is damaged"), "{}", out.stderr);
}

#[test]
fn encrypted_backup_needs_its_key_and_never_prints_it() {
    let dir = temp_dir("backup-key");
    let url = small_sqlite(&dir, 500);
    let key = "7f".repeat(32);
    let wrong = "01".repeat(32);
    let dest = dir.join("out").display().to_string();
    let out = ok(run(myrmex().env("BK_KEY", &key).args([
        "backup",
        &url,
        "--dest",
        &dest,
        "--key-env",
        "BK_KEY",
        "--format",
        "json",
    ])));
    let b = json(&out);
    let path = b["path"].as_str().unwrap().to_string();
    let m = manifest(Path::new(&path));
    assert_eq!(m["encryption"]["algorithm"], "aes-256-gcm-stream");
    // Chunks hold no readable row text.
    let drill = format!("sqlite://{}", dir.join("drill.db").display());
    let missing = run(myrmex().args(["verify", &path, "--drill", &drill]));
    assert_ne!(missing.code, 0);
    assert!(missing.stderr.contains("encrypted"), "{}", missing.stderr);
    let bad = run(myrmex().env("BK_KEY", &wrong).args([
        "verify",
        &path,
        "--drill",
        &drill,
        "--key-env",
        "BK_KEY",
    ]));
    assert_ne!(bad.code, 0);
    assert!(bad.stderr.contains("does not open"), "{}", bad.stderr);
    for o in [&missing, &bad] {
        assert!(!o.stderr.contains(&key) && !o.stderr.contains(&wrong) && !o.stdout.contains(&key));
    }
    let short = run(myrmex().env("BK_KEY", "abc").args([
        "verify",
        &path,
        "--drill",
        &drill,
        "--key-env",
        "BK_KEY",
    ]));
    assert!(
        short.stderr.contains("64 hex digits") && !short.stderr.contains("abc"),
        "{}",
        short.stderr
    );
    ok(run(myrmex().env("BK_KEY", &key).args([
        "verify",
        &path,
        "--drill",
        &drill,
        "--key-env",
        "BK_KEY",
    ])));
    let copy = dir.join("copy.db");
    ok(run(myrmex().env("BK_KEY", &key).args([
        "restore",
        &path,
        copy.to_str().unwrap(),
        "--key-env",
        "BK_KEY",
    ])));
}

#[test]
fn retention_keeps_the_newest_and_the_newest_verified() {
    let dir = temp_dir("backup-retention");
    let url = small_sqlite(&dir, 50);
    let out = dir.join("out");
    for n in ["b1", "b2", "b3", "b4"] {
        backup(&url, &out, &["--name", n]);
    }
    ok(run(
        myrmex().args(["verify", out.join("b1").to_str().unwrap()])
    ));
    let dry = ok(run(myrmex().args([
        "backup",
        "prune",
        "--dest",
        out.to_str().unwrap(),
        "--keep-last",
        "1",
        "--dry-run",
    ])));
    assert!(dry.stdout.contains("would delete"), "{}", dry.stdout);
    assert!(out.join("b2").exists(), "a dry run deletes nothing");
    ok(run(myrmex().args([
        "backup",
        "prune",
        "--dest",
        out.to_str().unwrap(),
        "--keep-last",
        "1",
    ])));
    let mut left: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["b1", "b4"], "newest kept, newest verified kept");
    let none = run(myrmex().args(["backup", "prune", "--dest", out.to_str().unwrap()]));
    assert_eq!(none.code, 2, "no rule is a usage error: {}", none.stderr);
}

/// Kills a backup at random points: it never appears complete, an older backup still
/// verifies, and a later backup completes.
#[test]
fn rhai_backs_up_lists_verifies_and_restores() {
    let dir = temp_dir("backup-rhai");
    let url = small_sqlite(&dir, 100);
    let script = format!(
        r#"
        let db = connect("{url}");
        let b = backup_database(db, #{{ dest: "{dest}", strategy: "logical", parallel: 2, compress: 5 }});
        print(b.status);
        let v = verify(b.path, #{{ drill: db }});
        print(v.drill);
        print(backups("{dest}").len());
        let copy = connect("sqlite://{copy}");
        let t = restore(copy, b.path);
        print(t.len());
        "#,
        dest = dir.join("out").display(),
        copy = dir.join("copy.db").display()
    );
    let out = ok(run(myrmex().args(["-e", &script])));
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines, ["complete", "true", "1", "2"], "{}", out.stdout);
}

#[test]
fn two_schedulers_never_run_the_same_job() {
    let dir = temp_dir("backup-schedule");
    let url = small_sqlite(&dir, 100);
    let config = dir.join("myrmex.toml");
    std::fs::write(
        &config,
        format!(
            "[backups.every_second]\nconnection = \"{url}\"\nschedule = \"* * * * * *\"\ndest = \"{}\"\nretention = {{ keep_last = 2 }}\n",
            dir.join("out").display()
        ),
    )
    .unwrap();
    let first = myrmex()
        .args(["--config", config.to_str().unwrap(), "backup", "schedule"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(2500));
    let second = run(myrmex().args(["--config", config.to_str().unwrap(), "backup", "schedule"]));
    assert_ne!(second.code, 0);
    assert!(second.stderr.contains("locked"), "{}", second.stderr);
    // SAFETY: a signal to a child this test started.
    unsafe { libc_kill(first.id() as i32, 15) };
    let out = first.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("job every_second: ok"), "{text}");
    assert!(text.contains("scheduler stopped"), "{text}");
    // Started again, it catches up the run it missed while stopped, and says so.
    std::thread::sleep(Duration::from_millis(1200));
    let again = myrmex()
        .args(["--config", config.to_str().unwrap(), "backup", "schedule"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(800));
    // SAFETY: as above.
    unsafe { libc_kill(again.id() as i32, 15) };
    let out = again.wait_with_output().unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("was missed"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

extern "C" {
    #[link_name = "kill"]
    fn libc_kill(pid: i32, sig: i32) -> i32;
}
