//! The command line a psql or sqlite3 user expects: `myrmex URL|FILE` with `-c`, `-f`, piped
//! SQL, `--rhai`, `run -`, exit codes, and every result format byte for byte.

use myrmex_tests::*;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Runs `cmd` with `input` on its standard input.
fn run_with_stdin(cmd: &mut Command, input: &str) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn myrmex");
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(input.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("wait for myrmex");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

const ONE: &str = " one \n-----\n   1\n(1 row)\n";

#[test]
fn a_database_file_opens_like_sqlite3() {
    let dir = temp_dir("cli-file");
    let db = dir.join("app.db");
    let out = run(myrmex().arg(&db).args(["-c", "select 1 as one"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, ONE);
    assert!(db.is_file(), "the database file is created");
    // An existing file with another ending, and a sqlite URL, open the same way.
    let other = dir.join("data.bin");
    std::fs::copy(&db, &other).unwrap();
    let out = run(myrmex().arg(&other).args(["-c", "select 1 as one"]));
    assert_eq!((out.code, out.stdout.as_str()), (0, ONE), "{}", out.stderr);
    let out = run(myrmex().args(["sqlite::memory:", "-c", "select 1 as one"]));
    assert_eq!((out.code, out.stdout.as_str()), (0, ONE), "{}", out.stderr);
}

#[test]
fn command_names_win_and_unknown_arguments_are_usage_errors() {
    let out = run(myrmex().arg("plugins"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("myrmex-sqlite"), "{}", out.stdout);
    let out = run(myrmex().args(["no-such-thing", "-c", "select 1"]));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("`no-such-thing` is not a command"),
        "{}",
        out.stderr
    );
    let out = run(myrmex().args(["-c", "select 1"]));
    assert_eq!(out.code, 2, "-c needs a database: {}", out.stderr);
}

#[test]
fn a_failed_connect_exits_2_without_the_password() {
    let out = run(myrmex().args([
        "postgres://someone:s3cretpw@127.0.0.1:1/nowhere",
        "-c",
        "select 1",
    ]));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("cannot connect"), "{}", out.stderr);
    assert!(!out.stderr.contains("s3cretpw"), "{}", out.stderr);
    assert_eq!(out.stdout, "");
}

#[test]
fn c_and_f_run_in_the_order_given() {
    let dir = temp_dir("cli-order");
    let sql = dir.join("fill.sql");
    std::fs::write(
        &sql,
        "INSERT INTO t VALUES (2);\nINSERT INTO t VALUES (3);\n",
    )
    .unwrap();
    let out = run(myrmex()
        .arg(dir.join("o.db"))
        .args(["-c", "CREATE TABLE t(x INTEGER); INSERT INTO t VALUES (1)"])
        .arg("-f")
        .arg(&sql)
        .args(["-c", "SELECT group_concat(x) AS xs FROM t"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stdout,
        "CREATE\nINSERT 1\nINSERT 1\nINSERT 1\n  xs   \n-------\n 1,2,3\n(1 row)\n"
    );
}

/// An SQL file whose second statement fails.
fn failing_file(dir: &Path) -> PathBuf {
    let f = dir.join("mixed.sql");
    std::fs::write(
        &f,
        "CREATE TABLE t(x INTEGER);\n\n-- the next one fails\nINSERT INTO missing VALUES (1);\nINSERT INTO t VALUES (7);\n",
    )
    .unwrap();
    f
}

#[test]
fn an_sql_error_is_reported_with_file_and_line_and_the_rest_still_runs() {
    let dir = temp_dir("cli-err");
    let db = dir.join("e.db");
    let f = failing_file(&dir);
    let out = run(myrmex().arg(&db).arg("-f").arg(&f));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr
            .starts_with(&format!("{}:4: e: no such table: missing", f.display())),
        "{}",
        out.stderr
    );
    assert_eq!(out.stdout, "CREATE\nINSERT 1\n");
    let out = run(myrmex().arg(&db).args(["-c", "SELECT x FROM t"]));
    assert_eq!(out.stdout, " x \n---\n 7\n(1 row)\n");
}

#[test]
fn bail_stops_at_the_first_error() {
    let dir = temp_dir("cli-bail");
    let db = dir.join("b.db");
    let f = failing_file(&dir);
    let out = run(myrmex()
        .arg(&db)
        .arg("--bail")
        .arg("-f")
        .arg(&f)
        .args(["-c", "SELECT 1"]));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(out.stdout, "CREATE\n", "nothing after the error ran");
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    let out = run(myrmex()
        .arg(&db)
        .args(["-c", "SELECT count(*) AS n FROM t"]));
    assert_eq!(out.stdout, " n \n---\n 0\n(1 row)\n");
}

#[test]
fn piped_input_is_sql_when_a_database_is_given() {
    let dir = temp_dir("cli-pipe");
    let db = dir.join("p.db");
    let out = run_with_stdin(
        myrmex().arg(&db),
        "select 1 as one;\nselect nope;\nselect 1 as one\n",
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(out.stdout, format!("{ONE}{ONE}"));
    assert!(
        out.stderr.starts_with("<stdin>:2: p: no such column: nope"),
        "{}",
        out.stderr
    );
    // `-f -` reads the same way.
    let out = run_with_stdin(myrmex().arg(&db).args(["-f", "-"]), "select 1 as one;");
    assert_eq!((out.code, out.stdout.as_str()), (0, ONE), "{}", out.stderr);
    // With --rhai the input is a script, with the connection as `db`.
    let out = run_with_stdin(
        myrmex().arg(&db).arg("--rhai"),
        r#"print(db.query_row("select 6 * 7 as x").x)"#,
    );
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "42\n"),
        "{}",
        out.stderr
    );
    // Without a database, piped input stays Rhai.
    let out = run_with_stdin(&mut myrmex(), "print(40 + 2)");
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "42\n"),
        "{}",
        out.stderr
    );
}

#[test]
fn run_dash_reads_the_script_from_stdin() {
    let out = run_with_stdin(
        myrmex().args(["run", "-", "a", "b"]),
        "print(ARGS.len());\nprint(ARGS[1]);\nundefined_fn();\n",
    );
    assert_eq!(out.code, 1);
    assert_eq!(out.stdout, "2\nb\n");
    assert!(out.stderr.starts_with("<stdin>:3:"), "{}", out.stderr);
}

/// A database holding the values every format must get right.
fn format_fixture() -> PathBuf {
    let dir = temp_dir("cli-formats");
    let db = dir.join("v.db");
    let out = run(myrmex().arg(&db).args([
        "--bail",
        "-c",
        r#"CREATE TABLE v(id INTEGER, txt TEXT, f REAL, doc JSON);
           INSERT INTO v VALUES
             (1, NULL, 1.5, '{"a": [1, 2]}'),
             (2, '', 1e999, '[true, null]'),
             (3, 'a,b', -1e999, NULL),
             (4, 'say "hi"', 0.25, '"s"'),
             (5, 'two' || char(10) || 'lines', -2.0, '{}'),
             (6, 'héllo ✓ 日本', 3.0, 'not json'),
             (7, 'pipe|tab' || char(9) || 'back\slash', NULL, 'null'),
             (8, 'cr' || char(13) || 'esc' || char(27) || '[31m', 0.0, '[]')"#,
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    db
}

#[test]
fn every_format_prints_the_same_result_as_stored() {
    let db = format_fixture();
    let expected_dir = workspace_root().join("tests/data/formats");
    for format in ["table", "csv", "tsv", "json", "jsonl", "markdown"] {
        let out =
            run(myrmex()
                .arg(&db)
                .args(["--format", format, "-c", "SELECT * FROM v ORDER BY id"]));
        assert_eq!(out.code, 0, "{format}: {}", out.stderr);
        let file = expected_dir.join(format!("{format}.txt"));
        if std::env::var_os("MYRMEX_BLESS").is_some() {
            std::fs::write(&file, &out.stdout).unwrap();
        }
        let expected = std::fs::read_to_string(&file).unwrap_or_default();
        assert_eq!(
            out.stdout, expected,
            "--format {format} differs from {file:?}"
        );
    }
    // `aligned` is the table format under psql's name.
    let table = run(myrmex()
        .arg(&db)
        .args(["--format", "table", "-c", "SELECT * FROM v"]));
    let aligned = run(myrmex()
        .arg(&db)
        .args(["--format", "aligned", "-c", "SELECT * FROM v"]));
    assert_eq!(aligned.stdout, table.stdout);
    // No raw control character reaches the terminal in table output.
    assert!(
        !table.stdout.contains(['\r', '\x1b', '\t']),
        "{:?}",
        table.stdout
    );
}

#[test]
fn csv_crlf_and_empty_results() {
    let db = format_fixture();
    let q = "SELECT id, txt FROM v WHERE id IN (2, 5) ORDER BY id";
    let out = run(myrmex()
        .arg(&db)
        .args(["--format", "csv", "--csv-crlf", "-c", q]));
    assert_eq!(out.stdout, "id,txt\r\n2,\"\"\r\n5,\"two\nlines\"\r\n");
    let none = "SELECT id, txt FROM v WHERE id < 0";
    for (format, expected) in [
        ("table", " id | txt \n----+-----\n(0 rows)\n"),
        ("csv", "id,txt\n"),
        ("tsv", "id\ttxt\n"),
        ("json", "[]\n"),
        ("jsonl", ""),
        ("markdown", "| id | txt |\n| --- | --- |\n"),
    ] {
        let out = run(myrmex().arg(&db).args(["--format", format, "-c", none]));
        assert_eq!(out.stdout, expected, "--format {format}");
    }
    let out =
        run(myrmex()
            .arg(&db)
            .args(["--format", "tsv", "--null", "\\N", "-c", "SELECT NULL AS n"]));
    assert_eq!(out.stdout, "n\n\\N\n");
}

#[test]
fn server_urls_open_like_psql_and_mysql() {
    for var in ["MYRMEX_TEST_POSTGRES_URL", "MYRMEX_TEST_MYSQL_URL"] {
        let Some(url) = server_url(var) else { continue };
        let out = run(myrmex().args([url.as_str(), "-c", "select 1 as one"]));
        assert_eq!(
            (out.code, out.stdout.as_str()),
            (0, ONE),
            "{var}: {}",
            out.stderr
        );
        // A statement error exits 1 and names the line.
        let out = run_with_stdin(
            myrmex().arg(&url),
            "select 1;\nselect * from no_such_table;",
        );
        assert_eq!(out.code, 1, "{var}: {}", out.stderr);
        assert!(
            out.stderr.starts_with("<stdin>:2: "),
            "{var}: {}",
            out.stderr
        );
    }
}

#[test]
fn postgres_arrays_and_json_are_json_in_json_output() {
    let Some(url) = server_url("MYRMEX_TEST_POSTGRES_URL") else {
        return;
    };
    // (MariaDB reports JSON as plain text, so only PostgreSQL and SQLite JSON columns keep
    // their type.)
    let q = "SELECT ARRAY[1, 2] AS a, '{\"k\": 1}'::jsonb AS j, 'NaN'::float8 AS n";
    let out = run(myrmex().args([url.as_str(), "--format", "jsonl", "-c", q]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "{\"a\":[1,2],\"j\":{\"k\": 1},\"n\":\"NaN\"}\n");
}

#[test]
fn a_database_argument_opens_the_repl_connected_as_db() {
    let dir = temp_dir("cli-repl");
    let mut cmd = pty_command(&dir);
    cmd.arg("shop.db");
    let mut p = spawn_pty(cmd);
    p.exp_string("myrmex(shop)> ").unwrap();
    p.send_line(r#"db.query("select 6 * 7 as answer")"#)
        .unwrap();
    p.exp_string("42").unwrap();
    p.exp_string("(1 row)").unwrap();
    p.send_line("\\q").unwrap();
    p.exp_eof().unwrap();
    assert!(dir.join("shop.db").is_file());
}

/// Compares `actual` with the stored expectation `tests/data/formats/NAME` byte for byte
/// (`MYRMEX_BLESS=1` stores it instead).
fn as_stored(name: &str, actual: &str) {
    let file = workspace_root().join("tests/data/formats").join(name);
    if std::env::var_os("MYRMEX_BLESS").is_some() {
        std::fs::write(&file, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&file).unwrap_or_default();
    assert_eq!(actual, expected, "output differs from {file:?}");
}

#[test]
fn server_json_columns_arrays_and_nan_print_as_stored() {
    let fixtures = [
        (
            "MYRMEX_TEST_POSTGRES_URL",
            "postgres",
            r#"CREATE TABLE v (id integer, doc json, docb jsonb, f float8, ints int[], texts text[]);
               INSERT INTO v VALUES
                 (1, '{"a": [1, 2]}', '{"b": {"c": null}}', 'NaN', '{1,2,NULL}', '{"a,b","say \"hi\""}'),
                 (2, '[]', 'true', 'Infinity', '{}', '{}'),
                 (3, NULL, NULL, '-Infinity', NULL, NULL),
                 (4, '"two\nlines"', '1.5', 0.25, '{{1,2},{3,4}}', '{x}')"#,
        ),
        (
            "MYRMEX_TEST_MYSQL_URL",
            "mysql",
            r#"CREATE TABLE v (id integer, doc JSON, f double);
               INSERT INTO v VALUES (1, '{"a": [1, 2]}', 1.5), (2, NULL, NULL), (3, '[true, null]', -0.5)"#,
        ),
    ];
    for (var, engine, setup) in fixtures {
        let Some(url) = server_url(var) else { continue };
        let db = ScratchDb::create(&url, engine, "cli-json");
        let out = run(myrmex().args([db.url.as_str(), "--bail", "-c", setup]));
        assert_eq!(out.code, 0, "{engine}: {}", out.stderr);
        for format in ["json", "jsonl"] {
            let out = run(myrmex().args([
                db.url.as_str(),
                "--format",
                format,
                "-c",
                "SELECT * FROM v ORDER BY id",
            ]));
            assert_eq!(out.code, 0, "{engine}: {}", out.stderr);
            as_stored(&format!("{engine}-{format}.txt"), &out.stdout);
        }
    }
}

#[test]
fn format_and_null_come_from_the_flag_then_the_config_then_the_default() {
    let db = format_fixture();
    let dir = db.parent().unwrap().to_path_buf();
    let q = "SELECT id, txt FROM v WHERE id IN (1, 3) ORDER BY id";
    std::fs::write(
        dir.join("myrmex.toml"),
        "[shell]\nformat = \"csv\"\nnull = \"(null)\"\n",
    )
    .unwrap();
    let out = run(myrmex().current_dir(&dir).args(["v.db", "-c", q]));
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "id,txt\n1,(null)\n3,\"a,b\"\n"),
        "{}",
        out.stderr
    );
    let out = run(myrmex()
        .current_dir(&dir)
        .args(["v.db", "--format", "jsonl", "--null", "-", "-c", q]));
    assert_eq!(
        out.stdout,
        "{\"id\":1,\"txt\":null}\n{\"id\":3,\"txt\":\"a,b\"}\n"
    );
    let out = run(myrmex()
        .current_dir(&dir)
        .args(["v.db", "--null", "-", "-c", q]));
    assert_eq!(out.stdout, "id,txt\n1,-\n3,\"a,b\"\n");
    // -e results follow it too.
    let out = run(myrmex()
        .current_dir(&dir)
        .args(["-e", "[#{a: 1}, #{a: ()}]"]));
    assert_eq!(out.stdout, "a\n1\n(null)\n", "{}", out.stderr);
    // A format that is not one is refused, naming the file, line and key.
    std::fs::write(dir.join("myrmex.toml"), "[shell]\nformat = \"xml\"\n").unwrap();
    let out = run(myrmex().current_dir(&dir).args(["v.db", "-c", q]));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("myrmex.toml:2:1: key `shell.format`: `xml` is not a result format"),
        "{}",
        out.stderr
    );
    std::fs::write(dir.join("myrmex.toml"), "[shell]\ncolours = true\n").unwrap();
    let out = run(myrmex().current_dir(&dir).args(["v.db", "-c", q]));
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("colours"), "{}", out.stderr);
    // Without the table: the default, an aligned table.
    std::fs::remove_file(dir.join("myrmex.toml")).unwrap();
    let out = run(myrmex().current_dir(&dir).args(["v.db", "-c", q]));
    assert!(out.stdout.starts_with(" id |"), "{}", out.stdout);
}
