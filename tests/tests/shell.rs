//! The `myrmex` binary: -e, run, exit codes, formats, config, limits, scripts/.

use myrmex_tests::*;
use std::path::Path;

fn eval(code: &str) -> Output {
    run(myrmex().arg("-e").arg(code))
}

#[test]
fn eval_prints_results_as_tables_json_and_csv() {
    let q = r#"let db = connect("sqlite::memory:"); db.execute("CREATE TABLE t(id INTEGER, name TEXT)"); db.execute("INSERT INTO t VALUES (1, 'ann'), (2, NULL)"); db.query("SELECT * FROM t ORDER BY id")"#;
    let out = eval(q);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stdout,
        " id | name \n----+------\n  1 | ann\n  2 |\n(2 rows)\n"
    );
    let out = run(myrmex().args(["--format", "json", "-e", q]));
    assert_eq!(
        out.stdout,
        "[{\"id\":1,\"name\":\"ann\"},\n {\"id\":2,\"name\":null}]\n"
    );
    let out = run(myrmex().args(["--format", "csv", "-e", q]));
    assert_eq!(out.stdout, "id,name\n1,ann\n2,\n");
    assert_eq!(eval("1 + 1").stdout, "2\n");
    assert_eq!(eval("()").stdout, "");
}

#[test]
fn rows_keep_column_order_and_read_like_maps() {
    let out = eval(
        r#"let r = connect("sqlite::memory:").query_row("SELECT 3 AS zeta, 'x' AS alpha, NULL AS mid");
           print(r); print(r.keys()); print(r.zeta + r[0]); print(r["alpha"]); print(type_of(r.mid)); print(r.to_json())"#,
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stdout,
        "#{zeta: 3, alpha: \"x\", mid: ()}\n[\"zeta\", \"alpha\", \"mid\"]\n6\nx\n()\n{\"zeta\":3,\"alpha\":\"x\",\"mid\":null}\n"
    );
    let out = eval(r#"connect("sqlite::memory:").query_row("SELECT 1 AS a").b"#);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("row has no column `b` (columns: a)"),
        "{}",
        out.stderr
    );
}

#[test]
fn script_errors_name_file_line_column_connection_and_statement() {
    let dir = temp_dir("err");
    let f = dir.join("bad.rhai");
    std::fs::write(&f, "let db = connect(\"sqlite::memory:\");\n\ndb.execute(\"INSERT INTO missing VALUES (1)\");\n").unwrap();
    let out = run(myrmex().arg("run").arg(&f));
    assert_eq!(out.code, 1);
    let line = out.stderr.trim();
    assert!(
        line.starts_with(&format!(
            "{}:3:4: memory: no such table: missing",
            f.display()
        )),
        "{line}"
    );
    assert!(
        line.contains("[statement: INSERT INTO missing VALUES (1)]"),
        "{line}"
    );

    std::fs::write(&f, "let x = (1 + ;\n").unwrap();
    let out = run(myrmex().arg("run").arg(&f));
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.starts_with(&format!("{}:1:", f.display())),
        "{}",
        out.stderr
    );

    // A thrown value and a caught database error.
    let out = eval(
        r#"let db = connect("sqlite::memory:"); try { db.query("SELEC 1") } catch (e) { print("caught " + e) }; throw "stop""#,
    );
    assert_eq!(out.code, 1);
    assert!(
        out.stdout
            .starts_with("caught memory: near \"SELEC\": syntax error"),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr.starts_with("-e:1:") && out.stderr.trim_end().ends_with("stop"),
        "{}",
        out.stderr
    );
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(run(myrmex().args(["run", "/no/such/script.rhai"])).code, 2);
    assert_eq!(run(myrmex().arg("--no-such-flag")).code, 2);
    assert_eq!(run(myrmex().args(["-e", "1", "plugins"])).code, 2);
}

#[test]
fn run_passes_args() {
    let dir = temp_dir("args");
    let f = dir.join("args.rhai");
    std::fs::write(&f, "print(ARGS.len()); for a in ARGS { print(a) }").unwrap();
    let out = run(myrmex().arg("run").arg(&f).args(["one", "--two", "3"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "3\none\n--two\n3\n");
}

#[test]
fn runaway_scripts_are_stopped_by_limits() {
    let out = run(myrmex().args(["--max-operations", "100000", "-e", "loop { }"]));
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("operation limit"), "{}", out.stderr);
    let out = run(myrmex().args([
        "--max-operations",
        "0",
        "--timeout",
        "300",
        "-e",
        "loop { }",
    ]));
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("timed out after 300 ms"),
        "{}",
        out.stderr
    );
    let out = run(myrmex().args(["--max-call-levels", "10", "-e", "fn f(n) { f(n + 1) } f(0)"]));
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("call depth"), "{}", out.stderr);
}

#[test]
fn transaction_rolls_back_when_the_closure_throws() {
    let out = eval(
        r#"let db = connect("sqlite::memory:");
           db.execute("CREATE TABLE t(x INTEGER)");
           db.transaction(|tx| { tx.execute("INSERT INTO t VALUES (1)"); });
           try { db.transaction(|tx| { tx.execute("INSERT INTO t VALUES (2)"); throw "nope"; }); } catch (e) { print(`rethrown: ${e}`); }
           db.query_value("SELECT group_concat(x) FROM t")"#,
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "rethrown: nope\n1\n");
}

#[test]
fn cursor_streams_and_guards_against_interleaving() {
    let out = eval(
        r#"let db = connect("sqlite::memory:");
           let n = 0; let sum = 0;
           for r in db.cursor("WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 5000) SELECT i FROM s") { n += 1; sum += r.i; }
           print(`${n} ${sum}`);
           try { for r in db.cursor("WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 5000) SELECT i FROM s") { db.query("SELECT 3"); } } catch (e) { print(e) }"#,
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines[0], "5000 12502500");
    assert!(
        lines[1].contains("cursor closed because another statement ran"),
        "{}",
        out.stdout
    );
}

#[test]
fn config_connections_and_errors() {
    let dir = temp_dir("config");
    let cfg = dir.join("myrmex.toml");
    std::fs::write(&cfg, "[connections.app]\nurl = \"sqlite://app.db\"\n[connections.other]\ndb_type = \"sqlite\"\ndatabase = \"other.db\"\n").unwrap();
    let out = run(myrmex().arg("--config").arg(&cfg).args(["-e", r#"let db = connection("app"); db.execute("CREATE TABLE t(x)"); manage_databases().names()"#]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "[\"app\", \"other\"]\n");
    assert!(
        dir.join("app.db").exists(),
        "relative SQLite paths resolve against the config file"
    );

    // ./myrmex.toml is picked up from the working directory.
    let out = run(myrmex()
        .current_dir(&dir)
        .args(["-e", r#"connection("app").tables()"#]));
    assert_eq!(out.stdout, "[\"t\"]\n", "{}", out.stderr);

    std::fs::write(
        &cfg,
        "[connections.app]\nurl = \"sqlite://app.db\"\npool = { max_size = \"lots\" }\n",
    )
    .unwrap();
    let out = run(myrmex().arg("--config").arg(&cfg).args(["-e", "1"]));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains(&format!("{}:3:", cfg.display())) && out.stderr.contains("max_size"),
        "{}",
        out.stderr
    );
}

#[test]
fn health_check_script_fails_when_a_connection_is_down() {
    let dir = temp_dir("health");
    let cfg = dir.join("myrmex.toml");
    std::fs::write(&cfg, "[connections.good]\nurl = \"sqlite::memory:\"\n[connections.bad]\nurl = \"sqlite:///nonexistent-dir/x.db?mode=rw\"\npool = { timeout_ms = 300 }\n").unwrap();
    let script = workspace_root().join("scripts/health_check.rhai");
    let out = run(myrmex().arg("--config").arg(&cfg).arg("run").arg(&script));
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("ok   good  sqlite"), "{}", out.stdout);
    assert!(out.stdout.contains("DOWN bad"), "{}", out.stdout);
    assert!(
        out.stderr.contains("1 connection(s) down"),
        "{}",
        out.stderr
    );
}

#[test]
fn every_script_in_scripts_runs() {
    let scripts = workspace_root().join("scripts");
    let chinook = datasets().join("chinook/Chinook_Sqlite.sql");
    let mut ran = Vec::new();
    for entry in std::fs::read_dir(&scripts).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "rhai") {
            continue;
        }
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let dir = temp_dir("script");
        let mut cmd = myrmex();
        cmd.current_dir(&dir);
        match name.as_str() {
            "health_check.rhai" => {
                std::fs::write(
                    dir.join("myrmex.toml"),
                    "[connections.local]\nurl = \"sqlite://local.db\"\n",
                )
                .unwrap();
                cmd.arg("run").arg(&path);
            }
            "chinook_report.rhai" => {
                cmd.arg("run").arg(&path).arg(&chinook);
            }
            "migrate.rhai" => {
                cmd.arg("run")
                    .arg(&path)
                    .arg("sqlite://deploy.db")
                    .arg(scripts.join("migrations"));
            }
            "security_audit.rhai" => {
                // A database file only its owner may read: the gate passes.
                let db = dir.join("app.db");
                std::fs::write(&db, b"").unwrap();
                std::fs::set_permissions(&db, std::os::unix::fs::PermissionsExt::from_mode(0o600))
                    .unwrap();
                cmd.arg("run")
                    .arg(&path)
                    .arg("sqlite://app.db")
                    .arg(scripts.join("migrations"));
            }
            _ => {
                cmd.arg("run").arg(&path);
            }
        }
        let out = run(&mut cmd);
        assert_eq!(out.code, 0, "{name}: {}\n{}", out.stdout, out.stderr);
        check_script_output(&name, &out.stdout, &dir, true);
        ran.push(name);
    }
    assert!(ran.len() >= 3, "{ran:?}");
}

fn check_script_output(name: &str, stdout: &str, dir: &Path, sqlite: bool) {
    match name {
        "migrate.rhai" => {
            assert!(
                stdout.starts_with("pending: 4\n-- V1__create_users (up)"),
                "{stdout}"
            );
            for v in [
                "V1 create_users",
                "V2 create_posts",
                "V3 add_email",
                "V4 backfill_email",
            ] {
                assert!(stdout.contains(&format!("applied {v}\n")), "{stdout}");
            }
            assert!(stdout.contains("reverted V4, now pending: 1\n"), "{stdout}");
            assert!(stdout.contains("V4 backfill_email: applied\n"), "{stdout}");
            assert!(stdout.ends_with("emails: 2\n"), "{stdout}");
            assert_eq!(dir.join("deploy.db").exists(), sqlite);
        }
        "quickstart.rhai" => {
            assert!(
                stdout.contains("active users: 2\n  1 ann\n  3 cy\n"),
                "{stdout}"
            );
            assert!(
                stdout.contains("reactivated: 1") && stdout.ends_with("active now: 3\n"),
                "{stdout}"
            );
            assert!(stdout.contains("users table listed: true"), "{stdout}");
            assert_eq!(dir.join("quickstart.db").exists(), sqlite);
        }
        "chinook_report.rhai" => {
            assert!(stdout.starts_with("11 tables, 3503 tracks\n"), "{stdout}");
            assert!(
                stdout.contains("  Iron Maiden: 140 tracks, 138.6\n"),
                "{stdout}"
            );
            assert!(
                stdout.contains("invoice lines: 2240, total: 2328.60"),
                "{stdout}"
            );
        }
        "health_check.rhai" => assert!(stdout.starts_with("ok   local  sqlite"), "{stdout}"),
        "security_audit.rhai" => {
            assert!(
                stdout.starts_with("audit of sqlite://app.db: rule sets [\"schema\", \"sqlite\"]"),
                "{stdout}"
            );
            assert!(stdout.contains("sqlite/trusted-schema"), "{stdout}");
            assert!(stdout.contains("migrations in "), "{stdout}");
            assert!(
                stdout.contains("V4__backfill_email.up.rhai is a Rhai migration"),
                "{stdout}"
            );
            assert!(stdout.ends_with("security gate passed\n"), "{stdout}");
        }
        "schema_apply.rhai" => {
            assert!(
                stdout.contains(" change(s) applied\npending after apply: 0\n"),
                "{stdout}"
            );
            assert!(
                stdout.contains("error[float-for-money] library_book.price:"),
                "{stdout}"
            );
            if sqlite {
                assert!(dir.join("library.db").exists());
            }
        }
        other => panic!("add expectations for scripts/{other}"),
    }
}

#[test]
fn rust_quickstart_example_runs_against_the_real_plugin() {
    let dir = temp_dir("example");
    let exe = ensure_built()
        .join("examples")
        .join(format!("quickstart{}", std::env::consts::EXE_SUFFIX));
    let out = run(std::process::Command::new(exe)
        .arg(dir.join("qs.db"))
        .env("MYRMEX_PLUGIN_PATH", ensure_built()));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("active users: 2")
            && out.stdout.contains("users: 3")
            && out.stdout.contains("health app_db: sqlite"),
        "{}",
        out.stdout
    );
}

#[test]
fn print_of_a_connection_hides_the_password() {
    let out = eval(
        r#"let db = connect(#{ db_type: "sqlite", database: ":memory:", password: "hunter2", user: "ann" }); print(db); debug(db); db.url"#,
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        !out.stdout.contains("hunter2") && !out.stderr.contains("hunter2"),
        "{}{}",
        out.stdout,
        out.stderr
    );
    assert!(
        out.stdout.contains("Connection(memory, sqlite::memory:)"),
        "{}",
        out.stdout
    );
    let out = eval(r#"connect(#{ db_type: "sqlite", databse: "x" })"#);
    assert!(
        out.stderr.contains("unknown key `databse`"),
        "{}",
        out.stderr
    );
}

#[test]
fn piped_stdin_runs_as_a_script() {
    use std::io::Write;
    let mut child = myrmex()
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"print(connect(\"sqlite::memory:\").query_value(\"SELECT 6 * 7\"));")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "42\n");
}

/// The engine-independent scripts, run on PostgreSQL and MySQL/MariaDB too.
#[test]
fn portable_scripts_run_on_every_engine() {
    let urls: Vec<(&str, String)> = [
        ("postgres", "MYRMEX_TEST_POSTGRES_URL"),
        ("mysql", "MYRMEX_TEST_MYSQL_URL"),
    ]
    .into_iter()
    .filter_map(|(n, var)| server_url(var).map(|u| (n, u)))
    .collect();
    for script in ["quickstart.rhai", "schema_apply.rhai"] {
        let path = workspace_root().join("scripts").join(script);
        for (name, url) in &urls {
            let dir = temp_dir("portable");
            let out = run(myrmex().current_dir(&dir).arg("run").arg(&path).arg(url));
            assert_eq!(
                out.code, 0,
                "{script} on {name}: {}\n{}",
                out.stdout, out.stderr
            );
            check_script_output(script, &out.stdout, &dir, false);
        }
    }
    // migrate.rhai deploys the example migrations on a fresh database per server.
    let migrate = workspace_root().join("scripts/migrate.rhai");
    for (name, url) in &urls {
        let scratch = ScratchDb::create(
            url,
            if *name == "postgres" {
                "postgres"
            } else {
                "mysql"
            },
            "portable_migrate",
        );
        let dir = temp_dir("portable-migrate");
        let out = run(myrmex()
            .current_dir(&dir)
            .arg("run")
            .arg(&migrate)
            .arg(&scratch.url)
            .arg(workspace_root().join("scripts/migrations")));
        assert_eq!(
            out.code, 0,
            "migrate.rhai on {name}: {}\n{}",
            out.stdout, out.stderr
        );
        check_script_output("migrate.rhai", &out.stdout, &dir, false);
    }
    // health_check.rhai over a config holding every engine at once.
    let dir = temp_dir("portable-health");
    let mut config = String::from("[connections.lite]\nurl = \"sqlite://lite.db\"\n");
    for (name, url) in &urls {
        config.push_str(&format!("[connections.{name}]\nurl = \"{url}\"\n"));
    }
    std::fs::write(dir.join("myrmex.toml"), config).unwrap();
    let out = run(myrmex()
        .current_dir(&dir)
        .arg("run")
        .arg(workspace_root().join("scripts/health_check.rhai")));
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(
        out.stdout.lines().filter(|l| l.starts_with("ok ")).count(),
        1 + urls.len(),
        "{}",
        out.stdout
    );
}
