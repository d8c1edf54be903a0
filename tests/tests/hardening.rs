//! Limits and failure handling a cron job relies on: bounded memory and stack, a timeout that
//! really stops the running statement, exit codes, reconnecting after the server ended a
//! session, lock files that cannot be redirected, output that tells NULL from empty.

use myrmex_tests::*;
use std::io::Read;
use std::time::{Duration, Instant};

fn eval(args: &[&str]) -> Output {
    run(myrmex().args(args))
}

#[test]
fn scripts_cannot_exhaust_memory_or_stack() {
    // A doubling string stops at the memory limit with an error naming it.
    let out = eval(&[
        "--max-memory",
        "256",
        "-e",
        r#"let s = "x"; loop { s += s; }"#,
    ]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("memory limit of 256 MiB"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("--max-memory"), "{}", out.stderr);
    // One call asking for 20 GB is refused before it allocates.
    for code in [
        r#""".pad(20000000000, "x")"#,
        "[].pad(20000000000, 1)",
        "blob(20000000000)",
        // A million copies of a 1 MB blob: the size of each copy counts.
        "[].pad(1000000, blob(1000000))",
    ] {
        let started = Instant::now();
        let out = eval(&["--max-memory", "1024", "-e", code]);
        assert_eq!(out.code, 1, "{code}: {}", out.stderr);
        assert!(
            out.stderr.contains("memory limit"),
            "{code}: {}",
            out.stderr
        );
        assert!(started.elapsed() < Duration::from_secs(10), "{code}");
    }
    // The checked functions still do their job.
    let out = eval(&[
        "-e",
        r#"let s = "ab"; s.pad(5, "xy"); let b = blob(3, 7); s + b.len()"#,
    ]);
    assert_eq!(out.stdout.trim(), "abxyx3", "{}", out.stderr);
    // Building an array stays linear (Rhai's own size limits would walk it on every push).
    let out = eval(&["-e", "let a = []; for i in 0..50000 { a.push(i); } a.len()"]);
    assert_eq!(out.stdout.trim(), "50000", "{}", out.stderr);

    // Deep recursion within the allowed depth works; past it is a script error, never a crash.
    let recurse = "fn f(n) { if n == 0 { 0 } else { 1 + f(n - 1) } } f(N)";
    let out = eval(&[
        "--max-call-levels",
        "2000",
        "-e",
        &recurse.replace('N', "1990"),
    ]);
    assert_eq!((out.code, out.stdout.trim()), (0, "1990"), "{}", out.stderr);
    let out = eval(&[
        "--max-call-levels",
        "2000",
        "-e",
        &recurse.replace('N', "5000"),
    ]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("call depth limit"), "{}", out.stderr);
    let out = eval(&[
        "--max-call-levels",
        "10000",
        "-e",
        &recurse.replace('N', "20000"),
    ]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("call depth limit"), "{}", out.stderr);
    let out = eval(&["--max-call-levels", "50000", "-e", "1"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("10000"), "{}", out.stderr);
}

/// `--timeout` stops a long statement through the driver, on every engine.
#[test]
fn timeout_cancels_the_running_statement() {
    let mut cases = vec![(
        "sqlite::memory:".to_string(),
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c",
    )];
    if let Some(pg) = server_url("MYRMEX_TEST_POSTGRES_URL") {
        cases.push((pg, "SELECT pg_sleep(30)"));
    }
    if let Some(my) = server_url("MYRMEX_TEST_MYSQL_URL") {
        cases.push((my, "SELECT sleep(30)"));
    }
    for (url, sql) in cases {
        let started = Instant::now();
        let code = format!(r#"connect("{url}").query("{sql}")"#);
        let out = eval(&["--timeout", "1500", "-e", &code]);
        let took = started.elapsed();
        assert_eq!(out.code, 1, "{url}: {}", out.stderr);
        assert!(
            out.stderr.contains("timed out after 1500 ms"),
            "{url}: {}",
            out.stderr
        );
        assert!(took < Duration::from_secs(10), "{url}: took {took:?}");
    }
}

/// A server that accepts TCP and never answers cannot hang a script with a time limit, and
/// the documented cron health check ends too.
#[test]
fn timeout_abandons_a_connect_to_a_silent_server() {
    let port = silent_server();
    for scheme in ["postgres", "mysql"] {
        let started = Instant::now();
        let code = format!(r#"connect("{scheme}://u@127.0.0.1:{port}/test")"#);
        let out = eval(&["--timeout", "1500", "-e", &code]);
        assert_eq!(out.code, 1, "{scheme}: {}", out.stderr);
        assert!(
            out.stderr.contains("timed out after 1500 ms"),
            "{scheme}: {}",
            out.stderr
        );
        assert!(
            started.elapsed() < Duration::from_secs(8),
            "{scheme}: {:?}",
            started.elapsed()
        );
    }
    let dir = temp_dir("silent-health");
    std::fs::write(
        dir.join("myrmex.toml"),
        format!("[connections.app]\nurl = \"sqlite://app.db\"\n[connections.silent]\nurl = \"postgres://u@127.0.0.1:{port}/test\"\n"),
    )
    .unwrap();
    let started = Instant::now();
    let out = run(myrmex()
        .current_dir(&dir)
        .args(["--timeout", "2000", "run"])
        .arg(workspace_root().join("scripts/health_check.rhai")));
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        out.stderr.contains("timed out after 2000 ms"),
        "{}",
        out.stderr
    );
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
}

/// Ctrl-C (SIGINT) during a statement in `myrmex run` exits 130, as documented.
#[test]
fn interrupted_statement_in_a_script_exits_130() {
    let dir = temp_dir("sigint");
    let script = dir.join("slow.rhai");
    std::fs::write(
        &script,
        r#"let db = connect("sqlite::memory:");
print("started");
db.query("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c");
"#,
    )
    .unwrap();
    let mut child = myrmex()
        .arg("run")
        .arg(&script)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 7];
    stdout.read_exact(&mut first).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    // SAFETY: sending a signal to our own child process.
    unsafe { libc_kill(child.id() as i32, 2) };
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the interrupted script did not end within 20 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(130));
}

extern "C" {
    #[link_name = "kill"]
    fn libc_kill(pid: i32, sig: i32) -> i32;
}

/// After the server ends a session, the error says so and how to go on; `reconnect()` does.
#[test]
fn reconnect_after_the_server_ended_the_session() {
    let mut cases = Vec::new();
    if let Some(pg) = server_url("MYRMEX_TEST_POSTGRES_URL") {
        cases.push((
            pg,
            "SELECT pg_backend_pid()",
            // Waits (up to 5 s) until the session has ended.
            "SELECT pg_terminate_backend(ID, 5000)",
            "SELECT 1",
        ));
    }
    if let Some(my) = server_url("MYRMEX_TEST_MYSQL_URL") {
        cases.push((my, "SELECT CONNECTION_ID()", "KILL ID", "SELECT sleep(0.3)"));
    }
    for (url, id_sql, kill_sql, pause_sql) in cases {
        let code = format!(
            r#"let db = connect("{url}");
let id = db.query_value("{id_sql}");
let admin = connect("{url}");
let kill = "{kill_sql}";
kill.replace("ID", `${{id}}`);
admin.query(kill);
admin.query("{pause_sql}");
try {{ db.query("SELECT 1"); print("no error"); }} catch (e) {{ print(`first: ${{e}}`); }}
try {{ db.ping(); print("no error"); }} catch (e) {{ print(`ping: ${{e}}`); }}
db.reconnect();
print(`after: ${{db.query_value("SELECT 41 + 1")}}`);"#
        );
        let out = eval(&["-e", &code]);
        assert_eq!(out.code, 0, "{url}: {}", out.stderr);
        for prefix in ["first: ", "ping: "] {
            let line = out
                .stdout
                .lines()
                .find(|l| l.starts_with(prefix))
                .unwrap_or_else(|| panic!("{url}: no `{prefix}` line in {}", out.stdout));
            assert!(
                line.contains("the server closed this connection"),
                "{url}: {line}"
            );
            assert!(line.contains("reconnect"), "{url}: {line}");
        }
        assert!(out.stdout.contains("after: 42"), "{url}: {}", out.stdout);
    }
}

#[test]
fn migration_lock_file_never_follows_a_symlink() {
    let dir = temp_dir("lock-symlink");
    std::fs::write(dir.join("precious.txt"), "keep me\n").unwrap();
    std::os::unix::fs::symlink("precious.txt", dir.join("app.db.myrmex-lock")).unwrap();
    std::fs::create_dir(dir.join("m")).unwrap();
    std::fs::write(dir.join("m/V1__a.up.sql"), "CREATE TABLE a(x INTEGER);\n").unwrap();
    let out = run(myrmex().current_dir(&dir).args([
        "migrate",
        "up",
        "--db",
        "sqlite://app.db",
        "--dir",
        "m",
    ]));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("symbolic link"), "{}", out.stderr);
    assert_eq!(
        std::fs::read_to_string(dir.join("precious.txt")).unwrap(),
        "keep me\n"
    );
}

#[test]
fn empty_results_keep_their_header_and_null_differs_from_empty() {
    let setup =
        r#"let db = connect("sqlite::memory:"); db.execute("CREATE TABLE t(a TEXT, b INTEGER)"); "#;
    let q = |format: &str, extra: &[&str], sql: &str| {
        let code = format!("{setup}{sql}");
        let mut args = vec!["--format", format];
        args.extend_from_slice(extra);
        args.extend(["-e", &code]);
        let out = eval(&args);
        assert_eq!(out.code, 0, "{}", out.stderr);
        out.stdout
    };
    assert_eq!(q("csv", &[], r#"db.query("SELECT * FROM t")"#), "a,b\n");
    assert_eq!(
        q("table", &[], r#"let r = db.query("SELECT * FROM t"); r"#),
        " a | b \n---+---\n(0 rows)\n"
    );
    assert_eq!(q("json", &[], r#"db.query("SELECT * FROM t")"#), "[]\n");
    let both =
        r#"db.execute("INSERT INTO t VALUES (NULL, 1), ('', 2)"); db.query("SELECT * FROM t")"#;
    assert_eq!(q("csv", &[], both), "a,b\n,1\n\"\",2\n");
    assert_eq!(q("csv", &["--null", "NULL"], both), "a,b\nNULL,1\n\"\",2\n");
    assert!(q("table", &["--null", "(null)"], both).contains(" (null) | 1"));
}

#[test]
fn logs_are_plain_text_when_not_a_terminal() {
    let out = eval(&[
        "-vvv",
        "-e",
        r#"connect("sqlite::memory:").query_value("SELECT 1")"#,
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!out.stderr.is_empty());
    assert!(!out.stderr.contains('\u{1b}'), "{:?}", out.stderr);
}

#[test]
fn readme_example_config_runs_the_health_check() {
    let root = workspace_root();
    let dir = temp_dir("example-config");
    std::fs::copy(root.join("examples/myrmex.toml"), dir.join("myrmex.toml")).unwrap();
    let out = run(myrmex()
        .current_dir(&dir)
        .args(["--config", "myrmex.toml", "run"])
        .arg(root.join("scripts/health_check.rhai")));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.starts_with("ok   app  sqlite"), "{}", out.stdout);
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    assert!(readme.contains("--config examples/myrmex.toml run scripts/health_check.rhai"));
}

/// Ctrl-C while `\c` waits for a server that never answers returns to the prompt; the
/// session goes on.
#[test]
fn ctrl_c_abandons_a_connect_in_the_repl() {
    let port = silent_server();
    let dir = temp_dir("repl-connect");
    let mut p = spawn_pty(pty_command(&dir));
    p.exp_string("myrmex> ").unwrap();
    p.send_line(&format!("\\c postgres://u@127.0.0.1:{port}/test"))
        .unwrap();
    std::thread::sleep(Duration::from_millis(700));
    let started = Instant::now();
    p.send_control('c').unwrap();
    p.exp_string("interrupted").unwrap();
    assert!(started.elapsed() < Duration::from_secs(3));
    p.exp_string("myrmex> ").unwrap();
    p.send_line("6 * 7").unwrap();
    p.exp_string("42").unwrap();
    p.send_line("\\q").unwrap();
    p.exp_eof().unwrap();
}
