//! Passwords never appear in Debug, Display, print(conn), errors, logs at any level, or the
//! REPL history (the last is in repl.rs): every output of real runs is searched for them.

use myrmex_tests::*;

const SECRET: &str = "Sup3r-S3cret-42";
const WRONG: &str = "Wr0ng-Pa55-99";

fn assert_clean(what: &str, out: &Output) {
    for s in [SECRET, WRONG] {
        assert!(
            !out.stdout.contains(s),
            "{what}: password in stdout:\n{}",
            out.stdout
        );
        assert!(
            !out.stderr.contains(s),
            "{what}: password in stderr:\n{}",
            out.stderr
        );
    }
}

#[test]
fn postgres_urls_with_passwords_never_leak() {
    let Some(url) = server_url("MYRMEX_TEST_POSTGRES_URL") else {
        return;
    };
    let with_pw = url.replacen(
        "postgres://postgres@",
        &format!("postgres://postgres:{SECRET}@"),
        1,
    );
    assert_ne!(with_pw, url, "test URL has the expected form");
    // The same server and password, a database that does not exist.
    let p = myrmex_core::url::parse(&url).unwrap();
    let missing_db = format!(
        "postgres://postgres:{SECRET}@{}:{}/myrmex_no_such_db_{}",
        p.host,
        if p.port == 0 { 5432 } else { p.port },
        std::process::id()
    );
    let script = format!(
        r#"
        let db = connect("{with_pw}");
        print(db); debug(db); print(db.url);
        try {{ db.query("SELEC 1") }} catch (e) {{ print(e) }}
        try {{ connect("postgres://postgres:{SECRET}@127.0.0.1:1/nope?connect_timeout=2") }} catch (e) {{ print(e) }}
                try {{ connect("{missing_db}") }} catch (e) {{ print("refused: " + e) }}

        let m = manager(); m.add(db);
        print(m.health());
        print(db.query_value("SELECT 1"));
        "#
    );
    let out = run(myrmex().args(["-vvv", "-e", &script]));
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("postgres://postgres:***@"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("refused: ") && out.stdout.contains("does not exist"),
        "the missing database was tried: {}",
        out.stdout
    );

    assert!(
        out.stderr.contains("connected"),
        "trace logging was on: {}",
        out.stderr
    );
    assert_clean("postgres -vvv run", &out);
}

#[test]
fn mysql_password_authentication_never_leaks() {
    let Some(url) = server_url("MYRMEX_TEST_MYSQL_URL") else {
        return;
    };
    let user = format!("myrmex_secret_{}", std::process::id());
    let admin = format!(
        r#"let a = connect("{url}"); a.execute_batch("DROP USER IF EXISTS '{user}'@'%'; CREATE USER '{user}'@'%' IDENTIFIED BY '{SECRET}'; GRANT SELECT ON *.* TO '{user}'@'%'");"#
    );
    let setup = run(myrmex().args(["-e", &admin]));
    assert_eq!(setup.code, 0, "{}", setup.stderr);
    let p = myrmex_core::url::parse(&url).unwrap();
    let base = format!(
        "{}:{}/{}",
        p.host,
        if p.port == 0 { 3306 } else { p.port },
        p.database
    );
    let script = format!(
        r#"
        let db = connect("mysql://{user}:{SECRET}@{base}");
        print(db); debug(db);
        print(db.query_value("SELECT CURRENT_USER()"));
        try {{ db.query("SELEC 1") }} catch (e) {{ print(e) }}
        try {{ connect("mysql://{user}:{WRONG}@{base}") }} catch (e) {{ print("refused: " + e) }}
        "#
    );
    let out = run(myrmex().args(["-vvv", "-e", &script]));
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains(&format!("{user}@")),
        "password authentication worked: {}",
        out.stdout
    );
    assert!(
        out.stdout.contains("refused: ") && out.stdout.contains("Access denied"),
        "{}",
        out.stdout
    );
    assert_clean("mysql -vvv run", &out);

    // From a config file, with the secret in the environment.
    let dir = temp_dir("secrets");
    std::fs::write(
        dir.join("myrmex.toml"),
        format!("[connections.my]\nurl = \"mysql://{user}@{base}\"\npassword_env = \"MYRMEX_TEST_SECRET\"\n"),
    )
    .unwrap();
    let out = run(myrmex()
        .current_dir(&dir)
        .env("MYRMEX_TEST_SECRET", SECRET)
        .args([
            "-vvv",
            "-e",
            "let m = manage_databases(); print(m.health()); print(connection(\"my\"))",
        ]));
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("\"ok\": true"), "{}", out.stdout);
    assert_clean("config with password_env", &out);
    let out = run(myrmex()
        .current_dir(&dir)
        .env("MYRMEX_TEST_SECRET", WRONG)
        .args(["-vvv", "-e", "manage_databases().health()"]));
    assert!(
        out.stdout.contains("Access denied"),
        "{}\n{}",
        out.stdout,
        out.stderr
    );
    assert_clean("config with a wrong password", &out);
    let _ = run(myrmex().args([
        "-e",
        &format!(r#"connect("{url}").execute("DROP USER IF EXISTS '{user}'@'%'")"#),
    ]));
}
