//! Physical backups by the engines' own tools, through the binary and Rhai, on servers of the
//! test's own: pgBackRest (full, differential and incremental sets of a cluster archiving its
//! WAL, verified by a restore drill, restored to a backup's end and to a point in time) and
//! mariadb-backup (a full copy of a server's files, verified and restored into a new data
//! directory that a server then starts on).

use myrmex_tests::servers::{sh, MariaServer, PgCluster};
use myrmex_tests::*;
use std::path::Path;

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

/// The manifest of the backup at `path`.
fn manifest(path: &str) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(Path::new(path).join("manifest.json")).unwrap())
        .unwrap()
}

fn psql(url: &str, sql: &str) -> String {
    sh("psql", &["-XAtq", url, "-c", sql]).unwrap_or_else(|e| panic!("{e}"))
}

/// The rows of table `t` in what a restore with `start` counted.
fn restored_rows(out: &serde_json::Value, table: &str) -> u64 {
    out["tables"]
        .as_array()
        .unwrap_or_else(|| panic!("no tables: {out}"))
        .iter()
        .find(|t| t["name"] == table)
        .unwrap_or_else(|| panic!("{table} not restored: {out}"))["rows"]
        .as_u64()
        .unwrap()
}

#[test]
fn pgbackrest_full_diff_incr_verified_and_restored_to_a_point_in_time() {
    ensure_built();
    if !servers::on_path("pgbackrest") {
        servers::skip(
            "pgbackrest",
            "pgbackrest is not installed (Debian package pgbackrest)",
        );
        return;
    }
    let work = temp_dir("pgbackrest");
    let repo = Path::new("/tmp").join(format!(
        "myrmex-pgbackrest-repo-{}",
        work.file_name().unwrap().to_string_lossy()
    ));
    std::fs::create_dir_all(&repo).unwrap();
    sh("chown", &["postgres:postgres", &repo.display().to_string()]).unwrap();
    let stanza = "myrmex";
    let conf = format!(
        "wal_level = replica\narchive_mode = on\n\
         archive_command = 'pgbackrest --stanza={stanza} --repo1-path={} --pg1-path={{data}} \
         --log-level-file=off archive-push %p'\n",
        repo.display()
    );
    let Some(cluster) = PgCluster::start("pgbackrest", &conf) else {
        return;
    };
    let url = cluster.url("postgres");
    psql(
        &url,
        "CREATE TABLE t(id int PRIMARY KEY, v text); \
         INSERT INTO t SELECT i, md5(i::text) FROM generate_series(1, 1000) i;",
    );
    let dest = work.join("backups");
    let dest_s = dest.display().to_string();
    let settings = |kind: &str| {
        serde_json::json!({ "stanza": stanza, "repo": repo, "type": kind }).to_string()
    };

    // A full set through the binary.
    let full = json(&ok(run(myrmex().args([
        "backup",
        &url,
        "--dest",
        &dest_s,
        "--strategy",
        "pgbackrest",
        "--settings",
        &settings("full"),
        "--format",
        "json",
    ]))));
    assert_eq!(full["strategy"], "pgbackrest", "{full}");
    assert_eq!(full["rows"], 1000, "{full}");
    let full_path = full["path"].as_str().unwrap().to_string();
    let m: serde_json::Value = manifest(&full_path);
    assert_eq!(m["details"]["type"], "full", "{m}");
    assert!(
        m["details"]["label"].as_str().unwrap().ends_with('F'),
        "{m}"
    );

    // More rows, a moment to come back to, more rows, then a differential set from Rhai.
    psql(
        &url,
        "INSERT INTO t SELECT i, 'two' FROM generate_series(1001, 1500) i;",
    );
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let moment = psql(
        &url,
        "SELECT to_char(clock_timestamp(), 'YYYY-MM-DD HH24:MI:SS.USOF')",
    );
    let moment = moment.trim().to_string();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    psql(
        &url,
        "INSERT INTO t SELECT i, 'three' FROM generate_series(1501, 1750) i;",
    );
    let script = format!(
        r#"let db = connect("{url}");
let b = backup_database(db, #{{ strategy: "pgbackrest", dest: "{dest_s}",
    settings: #{{ stanza: "{stanza}", repo: "{}", type: "diff" }} }});
print(`${{b.strategy}} ${{b.rows}}`);"#,
        repo.display()
    );
    let out = ok(run(myrmex().args(["-e", &script])));
    assert!(out.stdout.contains("pgbackrest 1750"), "{}", out.stdout);

    // An incremental set, then every set listed the same as any backup.
    psql(
        &url,
        "INSERT INTO t SELECT i, 'four' FROM generate_series(1751, 1800) i;",
    );
    let incr = json(&ok(run(myrmex().args([
        "backup",
        &url,
        "--dest",
        &dest_s,
        "--strategy",
        "pgbackrest",
        "--settings",
        &settings("incr"),
        "--format",
        "json",
    ]))));
    let incr_path = incr["path"].as_str().unwrap().to_string();
    let list = json(&ok(run(
        myrmex().args(["backups", &dest_s, "--format", "json"])
    )));
    let list = list.as_array().unwrap_or_else(|| panic!("{list}"));
    assert_eq!(list.len(), 3, "{list:?}");
    assert!(
        list.iter()
            .all(|b| b["status"] == "complete" && b["strategy"] == "pgbackrest"),
        "{list:?}"
    );
    let m: serde_json::Value = manifest(&incr_path);
    assert_eq!(m["details"]["type"], "incr", "{m}");
    assert!(
        m["details"]["prior"].as_str().unwrap().contains('D'),
        "incr follows the diff: {m}"
    );

    // The drill restores the incremental set into a throwaway cluster and counts its rows.
    let v =
        json(&ok(run(myrmex().args([
            "verify", &incr_path, "--drill", &url, "--format", "json",
        ]))));
    assert_eq!(v["drill"], true, "{v}");
    assert_eq!(restored_rows(&v, "t"), 1800, "{v}");

    // The full set, rolled forward to the moment between the second and third inserts.
    // Under /tmp: the cluster's own user must reach it.
    let pitr = repo.with_extension("pitr");
    let restore = |path: &str, settings: serde_json::Value| {
        run(myrmex().args([
            "restore",
            path,
            &url,
            "--format",
            "json",
            "--settings",
            &settings.to_string(),
        ]))
    };
    let out = json(&ok(restore(
        &full_path,
        serde_json::json!({ "pg_path": pitr, "target_time": moment, "start": true }),
    )));
    assert_eq!(restored_rows(&out, "t"), 1500, "{out}");
    assert!(pitr.join("PG_VERSION").exists());

    // A non-empty directory is refused without clean, by name.
    let refused = restore(
        &full_path,
        serde_json::json!({ "pg_path": pitr, "start": true }),
    );
    assert_ne!(refused.code, 0);
    assert!(
        refused.stderr.contains(&pitr.display().to_string()),
        "{}",
        refused.stderr
    );
    assert!(refused.stderr.contains("clean"), "{}", refused.stderr);

    // With clean, the stopped directory is restored in place to the full set's own end.
    let out = json(&ok(run(myrmex().args([
        "restore",
        &full_path,
        &url,
        "--clean",
        "--format",
        "json",
        "--settings",
        &serde_json::json!({ "pg_path": pitr, "start": true }).to_string(),
    ]))));
    assert_eq!(restored_rows(&out, "t"), 1000, "{out}");

    // A server that does not archive through pgBackRest is refused with what to set.
    if let Some(pg) = server_url("MYRMEX_TEST_POSTGRES_URL") {
        let plain = run(myrmex().args([
            "backup",
            &pg,
            "--dest",
            &dest_s,
            "--strategy",
            "pgbackrest",
            "--settings",
            &settings("full"),
        ]));
        assert_ne!(plain.code, 0);
        assert!(plain.stderr.contains("archive_command"), "{}", plain.stderr);
    }
    drop(cluster);
    let _ = std::fs::remove_dir_all(&repo);
    let _ = std::fs::remove_dir_all(&pitr);
    let _ = std::fs::remove_dir_all(format!("{}.run", pitr.display()));
}

#[test]
fn mariadb_backup_copies_verifies_and_restores_into_a_new_data_directory() {
    ensure_built();
    if !servers::on_path("mariadb-backup") {
        servers::skip(
            "mariadb-backup",
            "mariadb-backup is not installed (Debian package mariadb-backup)",
        );
        return;
    }
    let Some(server) = MariaServer::start("mariadb-backup", &[]) else {
        return;
    };
    let admin = |sql: &str| {
        sh(
            "mariadb",
            &[
                "--no-defaults",
                "-uroot",
                "-h127.0.0.1",
                &format!("-P{}", server.port),
                "-e",
                sql,
            ],
        )
        .unwrap_or_else(|e| panic!("{e}"))
    };
    admin(
        "CREATE DATABASE app; USE app; \
         CREATE TABLE app.t(id INT PRIMARY KEY, v TEXT) ENGINE=InnoDB; \
         INSERT INTO app.t SELECT seq, md5(seq) FROM seq_1_to_2000; \
         CREATE TABLE app.a(id INT PRIMARY KEY, v TEXT) ENGINE=Aria; \
         INSERT INTO app.a SELECT seq, 'aria' FROM seq_1_to_100;",
    );
    let url = server.url("app");
    let work = temp_dir("mariadb-backup");
    let dest = work.join("backups");
    let dest_s = dest.display().to_string();
    let b = json(&ok(run(myrmex().args([
        "backup",
        &url,
        "--dest",
        &dest_s,
        "--strategy",
        "mariadb-backup",
        "--format",
        "json",
    ]))));
    assert_eq!(b["strategy"], "mariadb-backup", "{b}");
    assert_eq!(b["rows"], 2100, "{b}");
    let path = b["path"].as_str().unwrap().to_string();
    let m: serde_json::Value = manifest(&path);
    assert!(
        m["details"]["compression"]
            .as_str()
            .unwrap()
            .starts_with("none"),
        "{m}"
    );

    // The drill copies it back into a throwaway server and counts every table.
    let v =
        json(&ok(run(myrmex().args([
            "verify", &path, "--drill", &url, "--format", "json",
        ]))));
    assert_eq!(v["drill"], true, "{v}");
    assert_eq!(restored_rows(&v, "t"), 2000, "{v}");
    assert_eq!(restored_rows(&v, "a"), 100, "{v}");

    // Rhai restores it into a new data directory and starts a server on it.
    let datadir = Path::new("/tmp").join(format!(
        "myrmex-mariadb-restore-{}",
        work.file_name().unwrap().to_string_lossy()
    ));
    let script = format!(
        r#"let db = connect("{url}");
db.execute("INSERT INTO t VALUES (2001, 'after the backup')");
let t = restore(db, "{path}", #{{ settings: #{{ datadir: "{}", start: true }} }});
for x in t {{ print(`${{x.name}} ${{x.rows}}`); }}"#,
        datadir.display()
    );
    let out = ok(run(myrmex().args(["-e", &script])));
    let mut lines: Vec<&str> = out.stdout.lines().collect();
    lines.sort();
    assert_eq!(lines, ["a 100", "t 2000"], "{}", out.stdout);
    assert!(datadir.join("app/t.ibd").exists());

    // A non-empty data directory is refused without clean, by name; with clean it is replaced.
    let settings = serde_json::json!({ "datadir": datadir, "start": true }).to_string();
    let refused = run(myrmex().args(["restore", &path, &url, "--settings", &settings]));
    assert_ne!(refused.code, 0);
    assert!(
        refused.stderr.contains(&datadir.display().to_string()),
        "{}",
        refused.stderr
    );
    std::fs::write(datadir.join("app/marker"), "old").unwrap();
    let out = json(&ok(run(myrmex().args([
        "restore",
        &path,
        &url,
        "--clean",
        "--settings",
        &settings,
        "--format",
        "json",
    ]))));
    assert_eq!(restored_rows(&out, "t"), 2000, "{out}");
    assert!(
        !datadir.join("app/marker").exists(),
        "the old directory was replaced"
    );
    assert!(!Path::new(&format!("{}.myrmex-before-restore", datadir.display())).exists());
    drop(server);
    let _ = std::fs::remove_dir_all(&datadir);
}
