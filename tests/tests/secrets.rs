//! Passwords never appear in Debug, Display, print(conn), errors, logs at any level, command
//! line errors or the REPL history: every output of real runs is searched for them.

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

/// Planted password pieces: each is searched for on its own, so a password cut in two by a
/// careless parser (`se` as a port, `cret` as a database) is still found.
const PIECES: [&str; 16] = [
    "Kq7Slash",
    "Zr8Tail",
    "Mw3Quest",
    "Vb5Hash",
    "Jd2AtSign",
    "Ty4Colon",
    "Pn6Perc",
    "Gx9Opt",
    "Hc1Clap",
    "Lf3Migr",
    "Rs5Schema",
    "Wu7Map",
    "Ey2Conf",
    "Ob4Hist",
    "Ia6Sql",
    "Uz8Trunc",
];

fn assert_no_piece(what: &str, text: &str) {
    for p in PIECES {
        assert!(
            !text.contains(p),
            "{what}: planted password piece {p} shown:\n{text}"
        );
    }
}

fn assert_hidden(what: &str, out: &Output) {
    assert_no_piece(&format!("{what} (stdout)"), &out.stdout);
    assert_no_piece(&format!("{what} (stderr)"), &out.stderr);
}

#[test]
fn every_planted_password_stays_hidden() {
    let Some(pg) = server_url("MYRMEX_TEST_POSTGRES_URL") else {
        return;
    };
    let dir = temp_dir("secrets-planted");

    // Unencoded `/`, `?`, `#`, `@` and a bad `%` in the password: refused as ambiguous (or
    // as bad percent-encoding) without any piece of the password, at every log level.
    let urls = [
        "postgres://ann:Kq7Slash/Zr8Tail@127.0.0.1:1/db",
        "mysql://ann:Mw3Quest?Zr8Tail@127.0.0.1:1/db",
        "postgres://ann:Vb5Hash#Zr8Tail@127.0.0.1:1/db",
        "postgres://ann:p@Jd2AtSign/w:Ty4Colon#1?x@127.0.0.1:1/db",
        "postgres://ann:Pn6Perc%zz@127.0.0.1:1/db",
        "postgres://ann:Pn6Perc%4@127.0.0.1:1/db",
        "postgres://ann:Pn6Perc/db",
    ];
    for url in urls {
        let out = run(myrmex().current_dir(&dir).args([
            "-vvv",
            "-e",
            &format!("try {{ connect(\"{url}\") }} catch (e) {{ print(e) }}"),
        ]));
        assert_eq!(out.code, 0, "{url}: {}", out.stderr);
        assert!(
            out.stdout.contains("percent-encode")
                || out.stdout.contains("two hex digits")
                || out.stdout.contains("port is not a number"),
            "{url}: {}",
            out.stdout
        );
        assert_hidden(url, &out);
    }

    // `?password=` on a real server URL: printed, logged and refused with `***` only.
    let sep = if pg.contains('?') { '&' } else { '?' };
    let with_opt = format!("{pg}{sep}password=Gx9Opt");
    let out = run(myrmex().current_dir(&dir).args([
        "-vvv",
        "-e",
        &format!("try {{ connect(\"{with_opt}\") }} catch (e) {{ print(e) }}\ntry {{ connect(\"{with_opt}&x=%zz\") }} catch (e) {{ print(e) }}"),
    ]));
    assert!(out.stdout.contains("password=***"), "{}", out.stdout);
    assert_hidden("?password=", &out);

    // A URL given where clap expects no argument, or after an unknown flag.
    for args in [
        vec!["mysql://u:Hc1Clap@127.0.0.1/db"],
        vec!["plugins", "postgres://u:Hc1Clap/Zr8Tail@127.0.0.1/db"],
        vec!["-e", "1", "mysql://u:Hc1Clap Zr8Tail@127.0.0.1/db"],
        vec![
            "migrate",
            "status",
            "--db=postgres://u:Hc1Clap@h/d",
            "extra://u:Hc1Clap@h",
        ],
    ] {
        let out = run(myrmex().current_dir(&dir).args(&args));
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains("***"), "{args:?}: {}", out.stderr);
        assert_hidden(&format!("clap {args:?}"), &out);
    }

    // --help and --version still print on stdout and exit 0.
    for flag in ["--help", "--version"] {
        let out = run(myrmex().arg(flag));
        assert_eq!(out.code, 0, "{flag}: {}", out.stderr);
        assert!(out.stdout.contains("myrmex"), "{flag}: {}", out.stdout);
    }

    // `myrmex migrate status --db URL` and `myrmex schema diff URL FILE`.
    std::fs::create_dir_all(dir.join("migrations")).unwrap();
    std::fs::write(dir.join("schema.toml"), "").unwrap();
    for args in [
        vec![
            "-vvv",
            "migrate",
            "status",
            "--db",
            "postgres://u:Lf3Migr/Zr8Tail@127.0.0.1:1/db",
        ],
        vec![
            "-vvv",
            "schema",
            "diff",
            "postgres://u:Rs5Schema?Zr8Tail@127.0.0.1:1/db",
            "schema.toml",
        ],
        vec![
            "-vvv",
            "schema",
            "diff",
            "postgres://u:Rs5Schema%@127.0.0.1:1/db",
            "schema.toml",
        ],
    ] {
        let out = run(myrmex().current_dir(&dir).args(&args));
        assert_ne!(out.code, 0, "{args:?}");
        assert!(
            out.stderr.contains("invalid connection URL"),
            "{args:?}: {}",
            out.stderr
        );
        assert_hidden(&format!("{args:?}"), &out);
    }

    // A Rhai map with `url` and split fields; a config connection with both.
    let out = run(myrmex().current_dir(&dir).args([
        "-e",
        r#"connect(#{ url: "postgres://u:Wu7Map@127.0.0.1:1/db", host: "h", port: 5 })"#,
    ]));
    assert_ne!(out.code, 0);
    assert!(
        out.stderr
            .contains("`url` cannot be combined with `host`, `port`"),
        "{}",
        out.stderr
    );
    assert_hidden("connect(map) with url and host", &out);
    std::fs::write(
        dir.join("myrmex.toml"),
        "[connections.pg]\nurl = \"postgres://u:Ey2Conf@127.0.0.1:1/db\"\ndatabase = \"other\"\n",
    )
    .unwrap();
    let out = run(myrmex().current_dir(&dir).args(["-e", "1"]));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "myrmex.toml:3:1: connection `pg`: key `database` cannot be combined with `url`"
        ),
        "{}",
        out.stderr
    );
    assert_hidden("config url plus database", &out);
}

#[test]
fn empty_sqlite_path_is_refused() {
    let dir = temp_dir("secrets-sqlite");
    for url in ["sqlite://", "sqlite:"] {
        let out = run(myrmex().current_dir(&dir).args([
            "-e",
            &format!("connect(\"{url}\").execute(\"CREATE TABLE t(x)\")"),
        ]));
        assert_ne!(out.code, 0, "{url}");
        assert!(
            out.stderr.contains("sqlite::memory:"),
            "{url}: {}",
            out.stderr
        );
    }
}

#[test]
fn repl_history_keeps_no_password() {
    let dir = temp_dir("secrets-history");
    std::fs::write(
        dir.join("myrmex.toml"),
        "[connections.app]\nurl = \"sqlite://app.db\"\n",
    )
    .unwrap();
    let mut p = spawn_pty(pty_command(&dir));
    let lines = [
        "\\c postgres://ann:Ob4Hist/Zr8Tail@127.0.0.1:1/db",
        "\\c postgres://ann:p@Jd2AtSign/w:Ty4Colon#1?x@127.0.0.1:1/db",
        "let m = #{\"password\": \"Ob4Hist\", user: \"ann\"};",
        "let n = #{pwd: \"Ob4Hist\", pass: `Ob4Hist`};",
        "m.password = \"Ob4Hist\";",
        "let u = \"mysql://ann:Ob4Hist@127.0.0.1/db?sslpassword=Gx9Opt\";",
        "let w = \"mysql://ann:Uz8 Trunc@127.0.0.1/db\";",
        "\\c app",
        "\\sql",
        "CREATE USER ann IDENTIFIED BY 'Ia6Sql';",
        "ALTER ROLE ann WITH PASSWORD 'Ia6Sql';",
        "SET PASSWORD FOR ann = 'Ia6Sql';",
        "SELECT 42 AS answer;",
        "\\sql",
        "\\q",
    ];
    p.exp_string("\\help for help").unwrap();
    for line in lines {
        p.exp_regex(r"(myrmex|app)(\(app\))?[>=#]+ ").unwrap();
        p.send_line(line).unwrap();
    }
    p.exp_eof().unwrap();
    let history = std::fs::read_to_string(dir.join("history")).unwrap();
    assert_no_piece("history", &history);
    assert!(!history.contains("Uz8"), "{history}");
    // What is kept: redacted URLs and keys, ordinary statements.
    assert!(
        history.contains("\\c postgres://ann:***@127.0.0.1:1/db"),
        "{history}"
    );
    assert!(history.contains("\"password\": \"***\""), "{history}");
    assert!(history.contains("sslpassword=***"), "{history}");
    assert!(history.contains("SELECT 42 AS answer;"), "{history}");
    assert!(!history.contains("IDENTIFIED"), "{history}");
}
