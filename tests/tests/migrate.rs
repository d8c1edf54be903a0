//! Versioned migrations through the `myrmex` binary against every engine: the command set,
//! checksums, out-of-order and missing-down refusals, baseline, statement errors and resume,
//! `verify`, `diff`, two runs started together, and runs killed with SIGKILL at random points.

use myrmex_core::schema_def::normalize::differences;
use myrmex_core::{DatabaseConnection, SchemaDefinition, Value};
use myrmex_tests::*;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn example_dir() -> PathBuf {
    workspace_root().join("scripts/migrations")
}

fn migrate(url: &str, dir: &Path, args: &[&str]) -> Output {
    run(&mut migrate_cmd(url, dir, args))
}

fn migrate_cmd(url: &str, dir: &Path, args: &[&str]) -> Command {
    let mut cmd = myrmex();
    cmd.arg("migrate")
        .args(args)
        .arg("--db")
        .arg(url)
        .arg("--dir")
        .arg(dir);
    cmd
}

fn ok(out: &Output, what: &str) {
    assert_eq!(out.code, 0, "{what}: {}\n{}", out.stdout, out.stderr);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
    }
}

/// Tables of the database other than the history table.
fn tables(c: &mut DatabaseConnection) -> Vec<String> {
    let mut t: Vec<String> = c
        .tables()
        .unwrap()
        .iter()
        .map(|t| t.name.to_string())
        .filter(|n| n != "myrmex_migrations")
        .collect();
    t.sort();
    t
}

fn schema_without_history(c: &mut DatabaseConnection) -> SchemaDefinition {
    let mut s = c.schema().unwrap();
    s.tables.retain(|t| t.name != "myrmex_migrations");
    s
}

fn history(c: &mut DatabaseConnection) -> Vec<(i64, String)> {
    let rs = c
        .execute_query(
            "SELECT version, state FROM myrmex_migrations ORDER BY version",
            &[],
        )
        .unwrap();
    rs.rows()
        .map(|r| {
            let v = match &r[0] {
                Value::Int(i) => *i,
                other => other.to_string().parse().unwrap(),
            };
            (v, r[1].as_text().unwrap_or_default().to_string())
        })
        .collect()
}

fn count(c: &mut DatabaseConnection, sql: &str) -> i64 {
    let rs = c.execute_query(sql, &[]).unwrap();
    match rs.row(0).unwrap()[0] {
        Value::Int(i) => i,
        ref other => other.to_string().parse().unwrap(),
    }
}

#[test]
fn every_command_on_every_engine() {
    for t in targets("migrate-cmds") {
        let e = t.engine;
        let dir = example_dir();
        let out = migrate(&t.url, &dir, &["status"]);
        ok(&out, e);
        assert!(out.stdout.contains("4 pending"), "{e}: {}", out.stdout);

        let plan = migrate(&t.url, &dir, &["plan"]);
        ok(&plan, e);
        assert!(
            plan.stdout.contains("-- V1__create_users (up)"),
            "{}",
            plan.stdout
        );
        assert!(plan
            .stdout
            .contains("CREATE INDEX posts_user ON posts (user_id);"));
        let dry = migrate(&t.url, &dir, &["up", "--dry-run"]);
        assert_eq!(dry.stdout, plan.stdout, "{e}: --dry-run prints the plan");
        let mut c = t.connect();
        assert!(tables(&mut c).is_empty(), "{e}: plan ran nothing");

        let up = migrate(&t.url, &dir, &["up", "--to", "2"]);
        ok(&up, e);
        assert!(
            up.stdout.contains("applied  V1__create_users")
                && up.stdout.contains("applied  V2__create_posts")
        );
        assert_eq!(tables(&mut c), ["posts", "users"], "{e}");
        ok(&migrate(&t.url, &dir, &["up"]), e);
        assert_eq!(
            count(
                &mut c,
                "SELECT count(*) FROM users WHERE email LIKE '%@example.com'"
            ),
            2,
            "{e}: the Rhai migration ran"
        );
        let st = migrate(&t.url, &dir, &["status", "--check", "--format", "json"]);
        ok(&st, e);
        let rows: serde_json::Value = serde_json::from_str(&st.stdout).unwrap();
        let rows = rows.as_array().unwrap();
        assert_eq!(rows.len(), 4);
        for r in rows {
            assert_eq!(r["state"], "applied", "{e}: {r}");
            assert_eq!(r["checksum"].as_str().unwrap().len(), 64);
            assert_eq!(r["checksum"], r["file_checksum"]);
            assert!(r["applied_by"].as_str().unwrap().contains('@'));
            assert!(r["applied_at"].as_str().unwrap().starts_with("20"));
        }
        let algo = count(
            &mut c,
            "SELECT min(checksum_algorithm) FROM myrmex_migrations",
        );
        assert_eq!(algo, 1);

        // down N, down --to, redo
        let down = migrate(&t.url, &dir, &["down", "2"]);
        ok(&down, e);
        assert!(
            down.stdout.contains("reverted V4__backfill_email")
                && down.stdout.contains("reverted V3__add_email")
        );
        assert_eq!(history(&mut c).len(), 2);
        let redo = migrate(&t.url, &dir, &["redo"]);
        ok(&redo, e);
        assert!(
            redo.stdout.contains("reverted V2__create_posts")
                && redo.stdout.contains("applied  V2__create_posts"),
            "{}",
            redo.stdout
        );
        ok(&migrate(&t.url, &dir, &["down", "--to", "0"]), e);
        assert!(tables(&mut c).is_empty(), "{e}: {:?}", tables(&mut c));
        assert!(history(&mut c).is_empty());

        // baseline adopts a database created by hand
        for s in myrmex_core::sql::split_statements(
            &std::fs::read_to_string(dir.join("V1__create_users.up.sql")).unwrap(),
        ) {
            c.execute_batch(&s).unwrap();
        }
        let b = migrate(&t.url, &dir, &["baseline", "1"]);
        ok(&b, e);
        assert_eq!(history(&mut c), [(1, "baseline".to_string())]);
        let again = migrate(&t.url, &dir, &["baseline", "1"]);
        assert_eq!(again.code, 1, "{e}: baseline twice is refused");
        assert!(
            again.stderr.contains("recorded already"),
            "{}",
            again.stderr
        );
        ok(&migrate(&t.url, &dir, &["up"]), e);
        assert_eq!(history(&mut c).len(), 4);

        // verify on a scratch database next to this one
        let v = migrate(&t.url, &dir, &["verify"]);
        ok(&v, e);
        assert_eq!(
            v.stdout.matches("down restores the schema").count(),
            4,
            "{}",
            v.stdout
        );
    }
}

#[test]
fn checksums_ignore_line_endings_and_refuse_real_edits() {
    let dir = temp_dir("migrate-checksum");
    let mig = dir.join("m");
    copy_dir(&example_dir(), &mig);
    let url = format!("sqlite://{}", dir.join("c.db").display());
    ok(&migrate(&url, &mig, &["up"]), "up");

    // CRLF and trailing blanks: still applied.
    let f = mig.join("V1__create_users.up.sql");
    let text = std::fs::read_to_string(&f).unwrap();
    std::fs::write(&f, text.replace('\n', "  \r\n") + "\r\n\r\n").unwrap();
    ok(&migrate(&url, &mig, &["status", "--check"]), "crlf");

    // A real edit: reported with both checksums, exit 3; up refuses; accept records it.
    std::fs::write(&f, text.replace("'bob'", "'bea'")).unwrap();
    let st = migrate(&url, &mig, &["status", "--check"]);
    assert_eq!(st.code, 3, "{}\n{}", st.stdout, st.stderr);
    assert!(
        st.stdout
            .contains("V1__create_users changed on disk since it was applied: recorded checksum "),
        "{}",
        st.stdout
    );
    assert!(st.stdout.contains(", file checksum "));
    assert_eq!(
        migrate(&url, &mig, &["status"]).code,
        0,
        "without --check, status reports and succeeds"
    );
    std::fs::write(
        mig.join("V5__more.up.sql"),
        "CREATE TABLE more_things (id INTEGER PRIMARY KEY);",
    )
    .unwrap();
    let up = migrate(&url, &mig, &["up"]);
    assert_eq!(up.code, 1);
    assert!(
        up.stderr.contains("refusing to migrate up") && up.stderr.contains("accept 1"),
        "{}",
        up.stderr
    );
    let acc = migrate(&url, &mig, &["accept", "1"]);
    ok(&acc, "accept");
    assert!(
        acc.stdout.contains("accepted V1__create_users: checksum "),
        "{}",
        acc.stdout
    );
    ok(&migrate(&url, &mig, &["up"]), "up after accept");
    ok(&migrate(&url, &mig, &["status", "--check"]), "clean");
}

#[test]
fn out_of_order_missing_down_and_bad_files_are_refused_clearly() {
    let dir = temp_dir("migrate-refusals");
    let mig = dir.join("m");
    copy_dir(&example_dir(), &mig);
    let url = format!("sqlite://{}", dir.join("r.db").display());
    ok(&migrate(&url, &mig, &["up"]), "up");
    let mut c = DatabaseConnection::from_url("r", &url).unwrap();
    c.connect_with(&registry()).unwrap();

    // Out of order: V3_5 is older than the newest applied V4.
    std::fs::write(mig.join("V35_tags.up.sql"), "x").unwrap();
    let bad = migrate(&url, &mig, &["status"]);
    assert_eq!(bad.code, 1);
    assert!(
        bad.stderr
            .contains("V35_tags.up.sql: no `__` between the version and the name"),
        "{}",
        bad.stderr
    );
    std::fs::remove_file(mig.join("V35_tags.up.sql")).unwrap();
    std::fs::write(mig.join("V3__tags_dup.up.sql"), "SELECT 1;").unwrap();
    let dup = migrate(&url, &mig, &["status"]);
    assert!(
        dup.stderr.contains("version 3 is defined more than once"),
        "{}",
        dup.stderr
    );
    std::fs::remove_file(mig.join("V3__tags_dup.up.sql")).unwrap();

    // Transaction control inside a migration would commit half of it: refused by line.
    std::fs::write(
        mig.join("V0__tags.up.sql"),
        "BEGIN;\nCREATE TABLE tags (id INTEGER PRIMARY KEY);\nCOMMIT;\n",
    )
    .unwrap();
    let tx = migrate(&url, &mig, &["up", "--allow-out-of-order"]);
    assert_eq!(tx.code, 1);
    assert!(
        tx.stderr.contains(
            "V0__tags.up.sql:1: `BEGIN`: myrmex runs each migration in its own transaction"
        ),
        "{}",
        tx.stderr
    );
    std::fs::write(
        mig.join("V0__tags.up.sql"),
        "CREATE TABLE tags (id INTEGER PRIMARY KEY);",
    )
    .unwrap();
    let st = migrate(&url, &mig, &["status", "--check"]);
    assert_eq!(st.code, 3);
    assert!(st.stdout.contains("out-of-order"), "{}", st.stdout);
    let up = migrate(&url, &mig, &["up"]);
    assert_eq!(up.code, 1);
    assert!(
        up.stderr
            .contains("V0__tags is pending but older than the newest applied migration"),
        "{}",
        up.stderr
    );
    assert!(!tables(&mut c).contains(&"tags".to_string()));
    ok(
        &migrate(&url, &mig, &["up", "--allow-out-of-order"]),
        "allowed",
    );
    assert!(tables(&mut c).contains(&"tags".to_string()));

    // Down through a migration without a down part: refused before anything is reverted.
    let before = history(&mut c).len();
    let down = migrate(&url, &mig, &["down", "--to=-1"]);
    assert_eq!(down.code, 1);
    assert!(
        down.stderr
            .contains("V0__tags has no down part (add V0__tags.down.sql or a `-- +down` section)"),
        "{}",
        down.stderr
    );
    assert!(down.stderr.contains("nothing was reverted"));
    assert_eq!(history(&mut c).len(), before);

    // Missing on disk: reported, then forgotten by repair.
    std::fs::remove_file(mig.join("V0__tags.up.sql")).unwrap();
    let st = migrate(&url, &mig, &["status", "--check"]);
    assert_eq!(st.code, 3);
    assert!(st.stdout.contains("missing-on-disk"), "{}", st.stdout);
    let rep = migrate(&url, &mig, &["repair"]);
    ok(&rep, "repair");
    assert!(rep.stdout.contains("forgot V0__tags"), "{}", rep.stdout);
    ok(&migrate(&url, &mig, &["status", "--check"]), "after repair");

    // new NAME continues the counter and refuses nothing.
    let new = run(myrmex()
        .args(["migrate", "new", "Add tags table", "--dir"])
        .arg(&mig));
    ok(&new, "new");
    assert!(
        mig.join("V5__add_tags_table.up.sql").exists()
            && mig.join("V5__add_tags_table.down.sql").exists(),
        "{}",
        new.stdout
    );
}

/// A failing statement names file, line and statement; on PostgreSQL and SQLite nothing of
/// the migration stays, on MySQL the statements before it stay recorded and a fixed file
/// continues from the failed statement.
#[test]
fn failed_statement_is_named_and_recoverable() {
    for t in targets("migrate-fail") {
        let e = t.engine;
        let dir = temp_dir("migrate-fail-dir");
        std::fs::write(
            dir.join("V1__two_tables.up.sql"),
            "CREATE TABLE first_table (id INTEGER PRIMARY KEY);\n\nINSERT INTO first_table (id) VALUES (1);\nINSERT INTO no_such_table (id) VALUES (1);\nCREATE TABLE second_table (id INTEGER PRIMARY KEY);\n",
        )
        .unwrap();
        let out = migrate(&t.url, &dir, &["up"]);
        assert_eq!(out.code, 1, "{e}");
        assert!(
            out.stderr
                .contains("V1__two_tables.up.sql:4: statement 3 of 4 failed on migrate: ")
                && out
                    .stderr
                    .contains("[statement: INSERT INTO no_such_table (id) VALUES (1)]"),
            "{e}: {}",
            out.stderr
        );
        let mut c = t.connect();
        if e == "mysql" {
            assert!(
                out.stderr
                    .contains("2 of 4 up statement(s) of V1__two_tables are applied and recorded"),
                "{}",
                out.stderr
            );
            assert_eq!(tables(&mut c), ["first_table"]);
            let st = migrate(&t.url, &dir, &["status", "--check"]);
            assert_eq!(st.code, 3);
            assert!(st.stdout.contains("partial"), "{}", st.stdout);
        } else {
            assert!(
                out.stderr.contains("rolled back; nothing of it is applied"),
                "{}",
                out.stderr
            );
            assert!(tables(&mut c).is_empty(), "{e}: {:?}", tables(&mut c));
        }
        std::fs::write(
            dir.join("V1__two_tables.up.sql"),
            "CREATE TABLE first_table (id INTEGER PRIMARY KEY);\n\nINSERT INTO first_table (id) VALUES (1);\nINSERT INTO first_table (id) VALUES (2);\nCREATE TABLE second_table (id INTEGER PRIMARY KEY);\n",
        )
        .unwrap();
        ok(&migrate(&t.url, &dir, &["up"]), e);
        assert_eq!(tables(&mut c), ["first_table", "second_table"]);
        assert_eq!(
            count(&mut c, "SELECT count(*) FROM first_table"),
            2,
            "{e}: each insert ran once"
        );
        assert_eq!(history(&mut c), [(1, "applied".to_string())]);
    }
}

#[test]
fn no_transaction_migrations_run_outside_a_transaction_on_postgres() {
    let Some(url) = server_url("MYRMEX_TEST_POSTGRES_URL") else {
        return;
    };
    let db = ScratchDb::create(&url, "postgres", "migrate_notx");
    let dir = temp_dir("migrate-notx");
    std::fs::write(
        dir.join("V1__t.up.sql"),
        "CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER);",
    )
    .unwrap();
    std::fs::write(
        dir.join("V2__index.sql"),
        "-- myrmex: no-transaction\n-- +up\nCREATE INDEX CONCURRENTLY t_v ON t (v);\n-- +down\nDROP INDEX CONCURRENTLY t_v;\n",
    )
    .unwrap();
    ok(&migrate(&db.url, &dir, &["up"]), "up");
    let mut c = db.connect();
    assert!(schema_without_history(&mut c).tables[0]
        .indexes
        .iter()
        .any(|i| i.name.as_deref() == Some("t_v")));
    ok(&migrate(&db.url, &dir, &["down"]), "down");
    assert!(schema_without_history(&mut c).tables[0].indexes.is_empty());
    // Without the directive PostgreSQL refuses, and says so.
    std::fs::write(
        dir.join("V2__index.sql"),
        "CREATE INDEX CONCURRENTLY t_v ON t (v);\n",
    )
    .unwrap();
    let out = migrate(&db.url, &dir, &["up"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("cannot run inside a transaction block"),
        "{}",
        out.stderr
    );
}

#[test]
fn verify_catches_a_down_that_does_not_restore() {
    for t in targets("migrate-verify") {
        let dir = temp_dir("migrate-verify-dir");
        copy_dir(&example_dir(), &dir);
        std::fs::write(dir.join("V3__add_email.down.sql"), "SELECT 1;").unwrap();
        let out = migrate(&t.url, &dir, &["verify"]);
        assert_eq!(out.code, 1, "{}: {}\n{}", t.engine, out.stdout, out.stderr);
        assert!(
            out.stdout
                .contains("FAIL V3__add_email down does not restore the schema before its up")
                && out
                    .stdout
                    .contains("table `users`: columns (id, name, email) vs (id, name)"),
            "{}: {}",
            t.engine,
            out.stdout
        );
        let mut c = t.connect();
        assert!(tables(&mut c).is_empty(), "verify leaves the target alone");
    }
}

#[test]
fn diff_writes_a_migration_to_a_schema_definition() {
    for t in targets("migrate-diff") {
        let e = t.engine;
        let dir = temp_dir("migrate-diff-dir");
        copy_dir(&example_dir(), &dir);
        ok(&migrate(&t.url, &dir, &["up"]), e);
        let mut c = t.connect();
        let mut want = schema_without_history(&mut c);
        for col in &mut want
            .tables
            .iter_mut()
            .find(|t| t.name == "posts")
            .unwrap()
            .columns
        {
            if col.name == "title" {
                col.name = "subject".into();
                col.nullable = true;
            }
        }
        // users.name loses NOT NULL: on SQLite a table rebuild of a table that posts
        // references, which must keep the post below.
        for col in &mut want
            .tables
            .iter_mut()
            .find(|t| t.name == "users")
            .unwrap()
            .columns
        {
            if col.name == "name" {
                col.nullable = true;
            }
        }
        c.execute(
            "INSERT INTO posts (id, user_id, title) VALUES (1, 1, 'hello')",
            &[],
        )
        .unwrap();
        let tags = SchemaDefinition::from_toml_str(
            "[[tables]]\nname = \"tags\"\nprimary_key = [\"id\"]\ncolumns = [{ name = \"id\", type = \"integer\", nullable = false }]\n",
            "tags",
        )
        .unwrap();
        want.tables.extend(tags.tables);
        let target_file = dir.join("target.toml");
        std::fs::write(&target_file, want.to_toml()).unwrap();
        let out = migrate(
            &t.url,
            &dir,
            &[
                "diff",
                "tags and subject",
                "--to",
                target_file.to_str().unwrap(),
            ],
        );
        ok(&out, e);
        assert!(
            out.stdout.contains("V5__tags_and_subject.up.sql"),
            "{}",
            out.stdout
        );
        let up = std::fs::read_to_string(dir.join("V5__tags_and_subject.up.sql")).unwrap();
        assert!(
            up.contains("[DESTRUCTIVE]"),
            "{e}: dropping title is marked\n{up}"
        );
        ok(&migrate(&t.url, &dir, &["up"]), e);
        let got = schema_without_history(&mut c);
        let d = c.schema_dialect().unwrap();
        assert_eq!(differences(&got, &want, d), Vec::<String>::new(), "{e}");
        assert_eq!(
            count(&mut c, "SELECT count(*) FROM posts WHERE user_id = 1"),
            1,
            "{e}"
        );
        assert_eq!(count(&mut c, "SELECT count(*) FROM users"), 2, "{e}");
        if e == "sqlite" {
            assert!(up.contains("PRAGMA foreign_keys = OFF"), "{up}");
            assert_eq!(
                count(&mut c, "PRAGMA foreign_keys"),
                1,
                "foreign keys are back on"
            );
        }
        // The reverse diff restores NOT NULL subject/title: no post may be left for it.
        c.execute("DELETE FROM posts", &[]).unwrap();
        ok(&migrate(&t.url, &dir, &["down"]), e);
        ok(&migrate(&t.url, &dir, &["up"]), e);
        let again = migrate(
            &t.url,
            &dir,
            &["diff", "nothing", "--to", target_file.to_str().unwrap()],
        );
        ok(&again, e);
        assert!(again.stdout.contains("already matches"), "{}", again.stdout);
    }
}

/// Migrations that log every statement they run into `applied_log`, with a slow one, so two
/// runs overlap and a kill lands inside them. The SQL is portable across the three engines.
fn logged_migrations(dir: &Path, count: usize, slow: bool) {
    std::fs::write(
        dir.join("V1__log.up.sql"),
        "CREATE TABLE applied_log (version INTEGER NOT NULL, step INTEGER NOT NULL);\n\
         CREATE TABLE digits (d INTEGER NOT NULL);\n\
         INSERT INTO digits (d) VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9);\n\
         INSERT INTO applied_log (version, step) VALUES (1, 1);\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("V1__log.down.sql"),
        "DROP TABLE digits;\nDROP TABLE applied_log;\n",
    )
    .unwrap();
    for v in 2..=count {
        let bulk = if slow || v % 3 == 0 {
            format!(
                "INSERT INTO t{v} (n) SELECT a.d + 10 * b.d + 100 * c.d + 1000 * e.d FROM digits a, digits b, digits c, digits e;\n"
            )
        } else {
            String::new()
        };
        std::fs::write(
            dir.join(format!("V{v}__step{v}.up.sql")),
            format!(
                "CREATE TABLE t{v} (id INTEGER, n INTEGER);\n\
                 INSERT INTO applied_log (version, step) VALUES ({v}, 1);\n\
                 ALTER TABLE t{v} ADD COLUMN label VARCHAR(20);\n\
                 CREATE INDEX t{v}_n ON t{v} (n);\n\
                 {bulk}\
                 INSERT INTO applied_log (version, step) VALUES ({v}, 2);\n"
            ),
        )
        .unwrap();
        std::fs::write(
            dir.join(format!("V{v}__step{v}.down.sql")),
            format!("DELETE FROM applied_log WHERE version = {v};\nDROP TABLE t{v};\n"),
        )
        .unwrap();
    }
}

fn log_counts(c: &mut DatabaseConnection) -> Vec<(i64, i64, i64)> {
    let rs = c
        .execute_query(
            "SELECT version, step, count(*) FROM applied_log GROUP BY version, step ORDER BY version, step",
            &[],
        )
        .unwrap();
    rs.rows()
        .map(|r| {
            let i = |v: &Value| match v {
                Value::Int(i) => *i,
                o => o.to_string().parse().unwrap(),
            };
            (i(&r[0]), i(&r[1]), i(&r[2]))
        })
        .collect()
}

fn expected_log(count: usize) -> Vec<(i64, i64, i64)> {
    let mut v = vec![(1, 1, 1)];
    for n in 2..=count as i64 {
        v.push((n, 1, 1));
        v.push((n, 2, 1));
    }
    v
}

#[test]
fn two_runs_started_together_apply_each_migration_once() {
    for t in targets("migrate-parallel") {
        let e = t.engine;
        let dir = temp_dir("migrate-parallel-dir");
        logged_migrations(&dir, 6, true);
        // About a second inside V2, so the second run surely starts while the first holds
        // the lock, however slowly processes start on a busy machine.
        let pause = match e {
            "postgres" => "SELECT pg_sleep(1)",
            "mysql" => "DO SLEEP(1)",
            _ => "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000) SELECT count(*) FROM c",
        };
        let v2 = dir.join("V2__step2.up.sql");
        let text = std::fs::read_to_string(&v2).unwrap();
        std::fs::write(&v2, format!("{pause};\n{text}")).unwrap();
        let spawn = || {
            migrate_cmd(&t.url, &dir, &["up", "--lock-timeout", "120"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (a, b) = (spawn(), spawn());
        let outs: Vec<std::process::Output> = [a, b]
            .into_iter()
            .map(|c| c.wait_with_output().unwrap())
            .collect();
        let text: Vec<(String, String)> = outs
            .iter()
            .map(|o| {
                (
                    String::from_utf8_lossy(&o.stdout).into_owned(),
                    String::from_utf8_lossy(&o.stderr).into_owned(),
                )
            })
            .collect();
        for (o, (so, se)) in outs.iter().zip(&text) {
            assert!(o.status.success(), "{e}: {so}\n{se}");
        }
        let applied: usize = text
            .iter()
            .map(|(so, _)| so.matches("applied  V").count())
            .sum();
        assert_eq!(
            applied, 6,
            "{e}: each migration applied by exactly one run: {text:?}"
        );
        assert!(
            text.iter()
                .any(|(_, se)| se.contains("waiting for the migration lock, held by")),
            "{e}: the second run waited and said for whom: {text:?}"
        );
        let mut c = t.connect();
        assert_eq!(log_counts(&mut c), expected_log(6), "{e}");
        assert!(history(&mut c).iter().all(|(_, s)| s == "applied"));
    }
}

fn slow_statement(engine: &str) -> &'static str {
    match engine {
        "postgres" => "SELECT pg_sleep(30)",
        "mysql" => "DO SLEEP(30)",
        // A long computation: SQLite has no sleep.
        _ => "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 300000000) SELECT count(*) FROM c",
    }
}

/// Starts `up` on a directory whose V2 is slow; returns once V1 is applied (V2 running).
fn start_slow_run(t: &Target, dir: &Path) -> Child {
    std::fs::write(
        dir.join("V1__t.up.sql"),
        "CREATE TABLE t (id INTEGER PRIMARY KEY);\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("V2__slow.up.sql"),
        format!(
            "{};\nCREATE TABLE u (id INTEGER PRIMARY KEY);\n",
            slow_statement(t.engine)
        ),
    )
    .unwrap();
    let child = migrate_cmd(&t.url, dir, &["up"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut c = t.connect();
    let started = Instant::now();
    while !tables(&mut c).contains(&"t".to_string()) {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{}: V1 never applied",
            t.engine
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // Wait until the slow statement itself runs (the servers show it; SQLite gets a moment).
    let probe = match t.engine {
        "postgres" => {
            Some("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(30)%'")
        }
        "mysql" => Some(
            "SELECT count(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'DO SLEEP(30)%'",
        ),
        _ => None,
    };
    match probe {
        Some(sql) => {
            while count(&mut c, sql) == 0 {
                assert!(
                    started.elapsed() < Duration::from_secs(30),
                    "{}: V2 never started",
                    t.engine
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        None => std::thread::sleep(Duration::from_millis(500)),
    }
    child
}

/// Ctrl-C (SIGINT) cancels the running statement through the driver: the run ends with 130
/// at once, the migration is not applied, and the next run completes it.
#[test]
fn ctrl_c_cancels_the_running_migration() {
    for t in targets("migrate-sigint") {
        let e = t.engine;
        let dir = temp_dir("migrate-sigint-dir");
        let child = start_slow_run(&t, &dir);
        let started = Instant::now();
        let status = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(130), "{e}: {stderr}");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{e}: took {:?}",
            started.elapsed()
        );
        if e == "mysql" {
            // SLEEP() returns when its query is killed; the run stops at the next statement,
            // with the first one recorded.
            assert!(
                stderr.contains(
                    "interrupted: 1 of 2 up statement(s) of V2__slow are applied and recorded"
                ),
                "{e}: {stderr}"
            );
        } else {
            assert!(
                stderr.contains("V2__slow.up.sql:1: statement 1 of 2 failed"),
                "{e}: {stderr}"
            );
            std::fs::write(
                dir.join("V2__slow.up.sql"),
                "SELECT 1;\nCREATE TABLE u (id INTEGER PRIMARY KEY);\n",
            )
            .unwrap();
        }
        let mut c = t.connect();
        assert!(!tables(&mut c).contains(&"u".to_string()), "{e}");
        ok(&migrate(&t.url, &dir, &["up"]), e);
        assert!(tables(&mut c).contains(&"u".to_string()), "{e}");
    }
}

/// A run holding the lock makes another give up after its timeout with a message naming the
/// holder; killing the holder frees the lock at once (no stale lock to clean up).
#[test]
fn lock_timeout_names_the_holder_and_a_killed_holder_leaves_no_lock() {
    for t in targets("migrate-lock") {
        let e = t.engine;
        let dir = temp_dir("migrate-lock-dir");
        let mut holder = start_slow_run(&t, &dir);
        let waiter = migrate(&t.url, &dir, &["up", "--lock-timeout", "0.5"]);
        assert_eq!(waiter.code, 1, "{e}: {}\n{}", waiter.stdout, waiter.stderr);
        let holder_words = match e {
            "postgres" => "PostgreSQL session",
            "mysql" => "connection",
            _ => "process",
        };
        assert!(
            waiter
                .stderr
                .contains("another migration run holds the migration lock: ")
                && waiter.stderr.contains(holder_words)
                && waiter.stderr.contains("gave up after 0.5 s"),
            "{e}: {}",
            waiter.stderr
        );
        holder.kill().unwrap();
        holder.wait().unwrap();
        std::fs::write(
            dir.join("V2__slow.up.sql"),
            "CREATE TABLE u (id INTEGER PRIMARY KEY);\n",
        )
        .unwrap();
        let started = Instant::now();
        let after = migrate(&t.url, &dir, &["up", "--lock-timeout", "20"]);
        ok(&after, e);
        assert!(
            after.stdout.contains("applied  V2__slow"),
            "{}",
            after.stdout
        );
        eprintln!(
            "{e}: lock free {:?} after the holder was killed",
            started.elapsed()
        );
    }
}

fn kill_after(mut child: Child, delay: Duration) -> Option<i32> {
    let deadline = Instant::now() + delay;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        if Instant::now() >= deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            return None;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Up and down runs killed with SIGKILL at random points; every re-run continues, and the
/// final up reaches the schema of an uninterrupted run with every statement applied once.
#[test]
fn runs_killed_at_random_points_resume_to_the_right_schema() {
    let runs: usize = std::env::var("MYRMEX_KILL_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(16);
    let (mut rng, _) = Rng::from_env("MYRMEX_KILL_SEED");
    for t in targets("migrate-kill") {
        let e = t.engine;
        let dir = temp_dir("migrate-kill-dir");
        logged_migrations(&dir, 8, false);
        // The reference: one uninterrupted run on its own database (SQLite file / scratch).
        let (ref_url, _ref_db) = targets_for(e, "migrate_kill_ref");
        let started = Instant::now();
        ok(&migrate(&ref_url, &dir, &["up"]), e);
        let full = started.elapsed();
        let mut ref_conn = DatabaseConnection::from_url("ref", &ref_url).unwrap();
        ref_conn.connect_with(&registry()).unwrap();
        let want = schema_without_history(&mut ref_conn);

        let (mut killed, mut finished) = (0, 0);
        let mut direction = "up";
        for _ in 0..runs {
            let child = migrate_cmd(&t.url, &dir, &[direction, "--lock-timeout", "30"])
                .args(if direction == "down" {
                    vec!["--to", "0"]
                } else {
                    vec![]
                })
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let delay =
                Duration::from_millis(rng.below(full.as_millis() as usize * 5 / 4 + 1) as u64);
            match kill_after(child, delay) {
                None => killed += 1,
                Some(0) => {
                    finished += 1;
                    direction = if direction == "up" { "down" } else { "up" };
                }
                Some(code) => panic!("{e}: a {direction} run after a kill failed with {code}"),
            }
        }
        // A down killed part way must be finished by `down` (up refuses a partial down, as it
        // should); then the final up, uninterrupted.
        if direction == "down" {
            ok(
                &migrate(&t.url, &dir, &["down", "--to", "0", "--lock-timeout", "30"]),
                e,
            );
        }
        let last = migrate(&t.url, &dir, &["up", "--lock-timeout", "30"]);
        ok(&last, e);
        let mut c = t.connect();
        assert!(
            history(&mut c).iter().all(|(_, s)| s == "applied"),
            "{e}: {:?}",
            history(&mut c)
        );
        assert_eq!(history(&mut c).len(), 8);
        assert_eq!(
            log_counts(&mut c),
            expected_log(8),
            "{e}: every statement applied once"
        );
        let got = schema_without_history(&mut c);
        assert_eq!(
            differences(&got, &want, c.schema_dialect().unwrap()),
            Vec::<String>::new(),
            "{e}"
        );
        eprintln!("{e}: {runs} runs, {killed} killed, {finished} finished; full run {full:?}");
    }
}

/// A fresh database for one engine (the reference of the kill test).
fn targets_for(engine: &str, label: &str) -> (String, Option<ScratchDb>) {
    match engine {
        "sqlite" => (
            format!("sqlite://{}", temp_dir(label).join("ref.db").display()),
            None,
        ),
        _ => {
            let var = if engine == "postgres" {
                "MYRMEX_TEST_POSTGRES_URL"
            } else {
                "MYRMEX_TEST_MYSQL_URL"
            };
            let s = ScratchDb::create(
                &server_url(var).unwrap(),
                if engine == "postgres" {
                    "postgres"
                } else {
                    "mysql"
                },
                label,
            );
            (s.url.clone(), Some(s))
        }
    }
}

/// The Rust API: `run_migrations`, `MigrationManager` status/plan/down, and a Rhai migration
/// without a script runner failing with a message that says what to do.
#[test]
fn rust_api_runs_migrations() {
    use myrmex_core::migrate::{DownTarget, MigrationManager, State};
    for t in targets("migrate-rust") {
        let e = t.engine;
        let dir = temp_dir("migrate-rust-dir");
        copy_dir(&example_dir(), &dir);
        let mut c = t.connect();
        let m = MigrationManager::open(&dir).unwrap();
        assert_eq!(m.migrations().len(), 4);
        assert!(m
            .status(&mut c)
            .unwrap()
            .entries
            .iter()
            .all(|x| x.state == State::Pending));
        let steps = m.plan_up(&mut c, Some(3)).unwrap();
        assert_eq!(steps.len(), 3);
        // V4 is Rhai: without a runner the SQL ones apply and V4 fails clearly.
        let err = myrmex_core::run_migrations(&mut c, &dir)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("V4__backfill_email.up.rhai: a Rhai migration needs the myrmex shell"),
            "{e}: {err}"
        );
        let status = m.status(&mut c).unwrap();
        let states: Vec<&str> = status.entries.iter().map(|x| x.state.name()).collect();
        assert_eq!(states, ["applied", "applied", "applied", "pending"], "{e}");
        let r = m.down(&mut c, DownTarget::To(1)).unwrap();
        assert_eq!(
            r.reverted.iter().map(|d| d.version).collect::<Vec<_>>(),
            [3, 2]
        );
        assert_eq!(tables(&mut c), ["users"], "{e}");
    }
}

/// `[migrations]` in myrmex.toml gives the directory, history table and lock timeout; a
/// connection name from the config is enough for `--db`; unknown keys are refused.
#[test]
fn config_supplies_dir_table_and_connection() {
    let dir = temp_dir("migrate-config");
    copy_dir(&example_dir(), &dir.join("db/migrations"));
    std::fs::write(
        dir.join("myrmex.toml"),
        "[connections.app]\nurl = \"sqlite://app.db\"\n\n[migrations]\ndir = \"db/migrations\"\ntable = \"schema_history\"\nlock_timeout_ms = 5000\n",
    )
    .unwrap();
    let out = run(myrmex()
        .current_dir(&dir)
        .args(["migrate", "up", "--db", "app"]));
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(
        out.stdout.matches("applied  V").count(),
        4,
        "{}",
        out.stdout
    );
    let mut c =
        DatabaseConnection::from_url("app", &format!("sqlite://{}", dir.join("app.db").display()))
            .unwrap();
    c.connect_with(&registry()).unwrap();
    assert_eq!(count(&mut c, "SELECT count(*) FROM schema_history"), 4);
    let st = run(myrmex()
        .current_dir(&dir)
        .args(["migrate", "status", "--db", "app", "--check"]));
    assert_eq!(st.code, 0, "{}", st.stderr);

    std::fs::write(
        dir.join("myrmex.toml"),
        "[migrations]\ndirectory = \"db\"\n",
    )
    .unwrap();
    let bad = run(myrmex()
        .current_dir(&dir)
        .args(["migrate", "status", "--db", "app"]));
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("myrmex.toml:2:1") && bad.stderr.contains("directory"),
        "{}",
        bad.stderr
    );
}

/// A real database nobody here wrote: Chinook (schema and data) loaded by each engine's own
/// client, adopted with `baseline`, migrated with SQL and a Rhai data change, and taken back
/// down to exactly the schema it had.
#[test]
fn chinook_is_adopted_migrated_and_restored() {
    for t in targets("migrate-chinook") {
        let e = t.engine;
        load_chinook(&t);
        let mut c = t.connect();
        let before = schema_without_history(&mut c);
        let (track, composer, ms) = if e == "postgres" {
            ("track", "composer", "milliseconds")
        } else {
            ("Track", "Composer", "Milliseconds")
        };
        let drop_index = if e == "mysql" {
            format!("DROP INDEX ix_track_composer ON {track}")
        } else {
            "DROP INDEX ix_track_composer".to_string()
        };
        let dir = temp_dir("migrate-chinook-dir");
        std::fs::write(
            dir.join("V2__track_rating.sql"),
            format!(
                "-- +up\nALTER TABLE {track} ADD COLUMN rating INTEGER;\nCREATE INDEX ix_track_composer ON {track} ({composer});\n\
                 -- +down\n{drop_index};\nALTER TABLE {track} DROP COLUMN rating;\n"
            ),
        )
        .unwrap();
        std::fs::write(
            dir.join("V3__rate_long_tracks.up.rhai"),
            format!(
                "let n = db.execute(\"UPDATE {track} SET rating = CASE WHEN {ms} > 300000 THEN 5 ELSE 3 END\");\n\
                 if n != 3503 {{ throw `rated ${{n}} tracks`; }}\n"
            ),
        )
        .unwrap();
        std::fs::write(
            dir.join("V3__rate_long_tracks.down.rhai"),
            format!("db.execute(\"UPDATE {track} SET rating = NULL\");\n"),
        )
        .unwrap();

        let b = migrate(&t.url, &dir, &["baseline", "1"]);
        ok(&b, e);
        assert!(
            b.stdout.contains("baseline marker at version 1"),
            "{}",
            b.stdout
        );
        let st = migrate(&t.url, &dir, &["status", "--check"]);
        ok(&st, e);
        assert!(
            st.stdout.contains("1 baseline, 2 pending"),
            "{e}: {}",
            st.stdout
        );
        ok(&migrate(&t.url, &dir, &["up"]), e);
        let long = count(
            &mut c,
            &format!("SELECT count(*) FROM {track} WHERE {ms} > 300000"),
        );
        assert!(long > 0);
        assert_eq!(
            count(
                &mut c,
                &format!("SELECT count(*) FROM {track} WHERE rating = 5")
            ),
            long,
            "{e}"
        );
        let down = migrate(&t.url, &dir, &["down", "--to", "1"]);
        ok(&down, e);
        assert!(
            down.stdout.contains("reverted V3__rate_long_tracks")
                && down.stdout.contains("reverted V2__track_rating")
        );
        let after = schema_without_history(&mut c);
        assert_eq!(
            differences(&after, &before, c.schema_dialect().unwrap()),
            Vec::<String>::new(),
            "{e}: down restores Chinook's schema"
        );
        assert_eq!(
            count(&mut c, &format!("SELECT count(*) FROM {track}")),
            3503
        );
        let refused = migrate(&t.url, &dir, &["down"]);
        assert_eq!(refused.code, 1);
        assert!(
            refused.stderr.contains("is the baseline"),
            "{e}: {}",
            refused.stderr
        );
    }
}
