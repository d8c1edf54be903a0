//! The interactive REPL, driven through a pseudo-terminal as a person would use it.

use myrmex_tests::*;
use rexpect::session::{spawn_with_options, Options, PtySession};
use std::path::Path;
use std::time::Duration;

fn start(dir: &Path) -> PtySession {
    start_with(dir, &[])
}

/// Starts the REPL in `dir` with extra environment variables.
fn start_with(dir: &Path, env: &[(&str, &str)]) -> PtySession {
    let mut cmd = pty_command(dir);
    cmd.envs(env.iter().copied());
    let mut p = spawn_pty(cmd);
    p.exp_string("\\help for help").unwrap();
    p
}

/// Types a line after the prompt `prompt` appeared, as a person would.
fn say(p: &mut PtySession, prompt: &str, line: &str) {
    p.exp_string(prompt).unwrap();
    p.send_line(line).unwrap();
}

fn setup() -> std::path::PathBuf {
    let dir = temp_dir("repl");
    std::fs::write(
        dir.join("myrmex.toml"),
        "[connections.app]\nurl = \"sqlite://app.db\"\n",
    )
    .unwrap();
    let out = run(myrmex().current_dir(&dir).args([
        "-e",
        r#"let db = connection("app"); db.execute("CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT NOT NULL)"); db.execute("INSERT INTO customers(name) VALUES ('ann'), ('bob')")"#,
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    dir
}

#[test]
fn connect_list_describe_and_sql_mode() {
    let dir = setup();
    let mut p = start(&dir);
    say(&mut p, "myrmex> ", "\\c app");
    p.exp_string("connected to app (sqlite://").unwrap();
    say(&mut p, "myrmex(app)> ", "\\dt");
    p.exp_string("customers").unwrap();
    p.exp_string("(1 row)").unwrap();
    say(&mut p, "myrmex(app)> ", "\\d customers");
    p.exp_string("Table \"main.customers\"").unwrap();
    p.exp_string("not null").unwrap();
    say(&mut p, "myrmex(app)> ", "\\sql");
    p.exp_string("SQL mode is on").unwrap();
    // A statement over two lines runs when the ; arrives.
    say(&mut p, "app=# ", "SELECT count(*) AS n");
    p.send_line("FROM customers;").unwrap();
    p.exp_regex(r"\s+2\s*\r?\n\(1 row\)").unwrap();
    say(
        &mut p,
        "app=# ",
        "INSERT INTO customers(name) VALUES ('cy');",
    );
    p.exp_string("INSERT 1").unwrap();
    // Destructive statements ask first.
    say(&mut p, "app=# ", "DELETE FROM customers;");
    say(&mut p, "no WHERE clause). Run it anyway? [y/N] ", "n");
    p.exp_string("skipped").unwrap();
    say(&mut p, "app=# ", "\\sql");
    p.exp_string("SQL mode is off").unwrap();
    say(
        &mut p,
        "myrmex(app)> ",
        "db.query_value(\"SELECT count(*) * 100 FROM customers\")",
    );
    p.exp_string("300").unwrap();
    say(&mut p, "myrmex(app)> ", "\\q");
    p.exp_eof().unwrap();
}

#[test]
fn tab_completes_functions_and_table_names() {
    let dir = setup();
    let mut p = start(&dir);
    say(&mut p, "myrmex> ", "\\c app");
    p.exp_string("connected").unwrap();
    // Method names: "db.describ" + TAB → "db.describe".
    p.exp_string("myrmex(app)> ").unwrap();
    p.send("let cols = db.describ\t").unwrap();
    p.flush().unwrap();
    p.exp_string("describe").unwrap();
    p.send_line("(\"customers\").columns.len() * 1000").unwrap();
    say(&mut p, "myrmex(app)> ", "cols");
    p.exp_string("2000").unwrap();
    // Table names after FROM, inside a query string.
    p.exp_string("myrmex(app)> ").unwrap();
    p.send("db.query_value(\"SELECT count(*) * 7 FROM cust\t")
        .unwrap();
    p.flush().unwrap();
    p.exp_string("customers").unwrap();
    p.send_line("\")").unwrap();
    p.exp_string("14").unwrap();
    // Tables created in the session appear (completion refreshes after DDL).
    say(
        &mut p,
        "myrmex(app)> ",
        "db.execute(\"CREATE TABLE zebra_stripes(x)\")",
    );
    p.exp_string("myrmex(app)> ").unwrap();
    p.send("\\d zebra\t").unwrap();
    p.flush().unwrap();
    p.exp_string("zebra_stripes").unwrap();
    p.send_line("").unwrap();
    p.exp_string("Table \"main.zebra_stripes\"").unwrap();
    say(&mut p, "myrmex(app)> ", "\\q");
    p.exp_eof().unwrap();
}

#[test]
fn ctrl_c_cancels_the_running_statement_or_script_not_the_repl() {
    let dir = setup();
    let mut p = start(&dir);
    say(&mut p, "myrmex> ", "\\c app");
    p.exp_string("connected").unwrap();
    say(&mut p, "myrmex(app)> ", "\\sql");
    say(
        &mut p,
        "app=# ",
        "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s) SELECT count(*) FROM s;",
    );
    std::thread::sleep(Duration::from_millis(700));
    p.send_control('c').unwrap();
    p.exp_string("interrupted").unwrap();
    say(&mut p, "app=# ", "SELECT 40 + 2 AS answer;");
    p.exp_string("42").unwrap();
    say(&mut p, "app=# ", "\\sql");
    // A runaway Rhai loop stops too.
    say(&mut p, "myrmex(app)> ", "let n = 0; loop { n += 1; }");
    std::thread::sleep(Duration::from_millis(500));
    p.send_control('c').unwrap();
    p.exp_string("interrupted").unwrap();
    say(&mut p, "myrmex(app)> ", "n > 1000");
    p.exp_string("true").unwrap();
    // Ctrl-C at the prompt abandons the line and keeps the REPL.
    p.exp_string("myrmex(app)> ").unwrap();
    p.send("this line is abandoned").unwrap();
    p.flush().unwrap();
    p.send_control('c').unwrap();
    say(&mut p, "myrmex(app)> ", "6 * 7");
    p.exp_string("42").unwrap();
    say(&mut p, "myrmex(app)> ", "\\q");
    p.exp_eof().unwrap();
}

#[test]
fn history_keeps_whole_statements_and_no_secrets() {
    let dir = setup();
    let mut p = start(&dir);
    say(
        &mut p,
        "myrmex> ",
        "let secret = #{ db_type: \"postgres\", password: \"hunter2\" };",
    );
    say(
        &mut p,
        "myrmex> ",
        "let u = \"postgres://ann:hunter2@127.0.0.1/db\";",
    );
    say(&mut p, "myrmex> ", "let multi = [1,");
    p.send_line("2];").unwrap();
    say(&mut p, "myrmex> ", "multi.len() * 50");
    p.exp_string("100").unwrap();
    say(&mut p, "myrmex> ", "\\q");
    p.exp_eof().unwrap();
    let history = std::fs::read_to_string(dir.join("history")).unwrap();
    assert!(!history.contains("hunter2"), "{history}");
    assert!(history.contains("password: \"***\""), "{history}");
    assert!(
        history.contains("postgres://ann:***@127.0.0.1/db"),
        "{history}"
    );
    assert!(history.contains("let multi = [1,"), "{history}");
}

#[test]
fn switching_among_engines_with_backslash_c() {
    let (Some(pg), Some(my)) = (
        server_url("MYRMEX_TEST_POSTGRES_URL"),
        server_url("MYRMEX_TEST_MYSQL_URL"),
    ) else {
        return;
    };
    let dir = temp_dir("repl-engines");
    std::fs::write(dir.join("myrmex.toml"), format!("[connections.pg]\nurl = \"{pg}\"\n[connections.my]\nurl = \"{my}\"\n[connections.lite]\nurl = \"sqlite://lite.db\"\n")).unwrap();
    for url in [&pg, &my] {
        let out = run(myrmex().args(["-e", &format!(r#"let d = connect("{url}"); d.execute("DROP TABLE IF EXISTS repl_engines"); d.execute("CREATE TABLE repl_engines(id integer PRIMARY KEY, label varchar(10) NOT NULL)")"#)]));
        assert_eq!(out.code, 0, "{}", out.stderr);
    }
    let mut p = start(&dir);
    say(&mut p, "myrmex> ", "\\c pg");
    p.exp_string("connected to pg (postgres://").unwrap();
    say(&mut p, "myrmex(pg)> ", "\\dt");
    p.exp_regex(r"public\s+\|\s+repl_engines\s+\|\s+table")
        .unwrap();
    say(&mut p, "myrmex(pg)> ", "\\d repl_engines");
    p.exp_string("Table \"public.repl_engines\"").unwrap();
    p.exp_string("character varying(10)").unwrap();
    say(&mut p, "myrmex(pg)> ", "\\sql");
    say(
        &mut p,
        "pg=# ",
        "SELECT current_database() IS NOT NULL AS ok, 40 + 2 AS answer;",
    );
    p.exp_string("42").unwrap();
    say(&mut p, "pg=# ", "\\conninfo");
    p.exp_regex(r"You are connected to pg \(postgres://[^)]*\), postgres \d+")
        .unwrap();
    p.exp_string("pg=# ").unwrap();
    p.send("SELECT count(*) FROM repl_engines WHERE lab\t")
        .unwrap();
    p.flush().unwrap();
    p.exp_string("label").unwrap();
    p.send_line(" IS NULL;").unwrap();
    p.exp_string("(1 row)").unwrap();
    say(&mut p, "pg=# ", "\\c my");
    p.exp_string("connected to my (mysql://").unwrap();
    say(&mut p, "my=# ", "\\dt");
    p.exp_regex(r"\|\s+repl_engines\s+\|\s+table").unwrap();
    say(&mut p, "my=# ", "\\d repl_engines");
    p.exp_string("varchar(10)").unwrap();
    p.exp_string("my=# ").unwrap();
    p.send("SELECT count(*) FROM repl_engines ORDER BY lab\t")
        .unwrap();
    p.flush().unwrap();
    p.exp_string("label").unwrap();
    p.send_line(";").unwrap();
    p.exp_string("(1 row)").unwrap();
    say(
        &mut p,
        "my=# ",
        "SELECT VERSION() LIKE '%' AS ok, 6 * 7 AS answer;",
    );
    p.exp_string("42").unwrap();
    say(&mut p, "my=# ", "\\c lite");
    p.exp_string("connected to lite (sqlite://").unwrap();
    say(&mut p, "lite=# ", "\\q");
    p.exp_eof().unwrap();
}

#[test]
fn meta_commands_confirm_settings_and_exit_quits() {
    let dir = setup();
    let mut p = start(&dir);
    say(&mut p, "myrmex> ", "\\?");
    p.exp_string("\\conninfo").unwrap();
    p.exp_string("\\watch [SECONDS]").unwrap();
    say(&mut p, "myrmex> ", "\\nope");
    p.exp_string("invalid command \\nope").unwrap();
    say(&mut p, "myrmex> ", "\\c app");
    say(&mut p, "myrmex(app)> ", "\\conninfo");
    p.exp_regex(r"You are connected to app \(sqlite://app\.db\), sqlite 3\.\d+")
        .unwrap();
    // \x without argument toggles; with one it sets.
    say(&mut p, "myrmex(app)> ", "\\x");
    p.exp_string("Expanded display is on.").unwrap();
    say(&mut p, "myrmex(app)> ", "\\x off");
    p.exp_string("Expanded display is off.").unwrap();
    say(&mut p, "myrmex(app)> ", "\\x off");
    p.exp_string("Expanded display is off.").unwrap();
    say(&mut p, "myrmex(app)> ", "\\x on");
    p.exp_string("Expanded display is on.").unwrap();
    say(&mut p, "myrmex(app)> ", "\\sql");
    say(&mut p, "app=# ", "SELECT 'ann' AS who, 7 AS n;");
    p.exp_regex(r"who\s+\| ann\r?\nn\s+\| 7").unwrap();
    // The argument completes too.
    p.exp_string("app=# ").unwrap();
    p.send("\\x au\t").unwrap();
    p.flush().unwrap();
    p.exp_string("auto").unwrap();
    p.send_line("").unwrap();
    p.exp_string("Expanded display is used automatically.")
        .unwrap();
    say(&mut p, "app=# ", "SELECT 'ann' AS who;");
    p.exp_regex(r" who \r?\n-----\r?\n ann").unwrap();
    say(&mut p, "app=# ", "\\x");
    p.exp_string("Expanded display is off.").unwrap();
    // Timing: after statements, never after backslash commands.
    say(&mut p, "app=# ", "\\timing on");
    p.exp_string("Timing is on.").unwrap();
    say(&mut p, "app=# ", "\\x off");
    let after_meta = p.exp_string("app=# ").unwrap();
    assert!(
        after_meta.contains("Expanded display is off."),
        "{after_meta}"
    );
    assert!(!after_meta.contains("Time:"), "{after_meta}");
    p.send_line("SELECT 1 AS one;").unwrap();
    p.exp_regex(r"\(1 row\)\r?\nTime: \d+\.\d{3} ms").unwrap();
    say(&mut p, "app=# ", "\\timing");
    p.exp_string("Timing is off.").unwrap();
    say(&mut p, "app=# ", "\\format json");
    p.exp_string("Output format is json.").unwrap();
    say(&mut p, "app=# ", "SELECT 6 * 7 AS answer;");
    p.exp_string("[{\"answer\":42}]").unwrap();
    say(&mut p, "app=# ", "\\format csv");
    p.exp_string("Output format is csv.").unwrap();
    // sqlite3's dot commands work too.
    say(&mut p, "app=# ", ".tables");
    p.exp_string("main,customers,table").unwrap();
    say(&mut p, "app=# ", ".mode table");
    p.exp_string("Output format is table.").unwrap();
    say(&mut p, "app=# ", "exit");
    p.exp_eof().unwrap();
    // `quit` too, from Rhai mode.
    let mut p = start(&dir);
    say(&mut p, "myrmex> ", "quit");
    p.exp_eof().unwrap();
    let mut p = start(&dir);
    say(&mut p, "myrmex> ", ".quit");
    p.exp_eof().unwrap();
}

#[test]
fn continuation_prompt_names_what_is_open() {
    let dir = setup();
    let mut p = start(&dir);
    say(&mut p, "myrmex> ", "\\c app");
    say(&mut p, "myrmex(app)> ", "let a = [1,");
    say(&mut p, "myrmex(app)[ ", "2, #{ b:");
    say(&mut p, "myrmex(app){ ", "3 }];");
    say(&mut p, "myrmex(app)> ", "a.len() * 21");
    p.exp_string("63").unwrap();
    say(&mut p, "myrmex(app)> ", "\\sql");
    say(&mut p, "app=# ", "SELECT 'it''s");
    say(&mut p, "app'# ", "' AS s, (1 +");
    say(&mut p, "app(# ", "2) AS \"an");
    say(&mut p, "app\"# ", "swer\" /* why;");
    say(&mut p, "app*# ", "*/");
    say(&mut p, "app-# ", ";");
    p.exp_regex(r"it's.*\|\s+3\r?\n\(1 row\)").unwrap();
    // A line of its own ends nothing: only the ; does, and Ctrl-C drops the statement.
    say(&mut p, "app=# ", "SELECT 1");
    p.exp_string("app-# ").unwrap();
    p.send_control('c').unwrap();
    say(&mut p, "app=# ", "SELECT 2 * 2 AS four;");
    p.exp_string("(1 row)").unwrap();
    say(&mut p, "app=# ", "\\q");
    p.exp_eof().unwrap();
}

#[test]
fn tab_completes_columns_of_the_tables_in_the_statement() {
    let dir = setup();
    let mut p = start(&dir);
    say(&mut p, "myrmex> ", "\\c app");
    say(&mut p, "myrmex(app)> ", "\\sql");
    p.exp_string("app=# ").unwrap();
    p.send("SELECT id FROM customers WHERE na\t").unwrap();
    p.flush().unwrap();
    p.exp_string("name").unwrap();
    p.send_line(" = 'bob';").unwrap();
    p.exp_regex(r"\s+2\r?\n\(1 row\)").unwrap();
    // Columns added in the session are offered (the cache is refreshed after DDL).
    say(
        &mut p,
        "app=# ",
        "ALTER TABLE customers ADD COLUMN zip_code TEXT;",
    );
    p.exp_string("app=# ").unwrap();
    p.send("UPDATE customers SET zip\t").unwrap();
    p.flush().unwrap();
    p.exp_string("zip_code").unwrap();
    p.send_line(" = '12345' WHERE id = 1;").unwrap();
    p.exp_string("UPDATE 1").unwrap();
    say(&mut p, "app=# ", "\\q");
    p.exp_eof().unwrap();
}

#[test]
fn include_output_file_edit_and_watch() {
    let dir = setup();
    std::fs::write(dir.join("q.sql"), "SELECT 6 * 7 AS answer;\n").unwrap();
    std::fs::write(dir.join("q.rhai"), "let from_file = 40 + 4;\n").unwrap();
    let mut p = start_with(&dir, &[("EDITOR", "sed -i s/40/50/"), ("VISUAL", "")]);
    say(&mut p, "myrmex> ", "\\c app");
    say(&mut p, "myrmex(app)> ", "\\i q.rhai");
    say(&mut p, "myrmex(app)> ", "from_file");
    p.exp_string("44").unwrap();
    say(&mut p, "myrmex(app)> ", "\\sql");
    p.exp_string("app=# ").unwrap();
    p.send("\\i q.s\t").unwrap();
    p.flush().unwrap();
    p.exp_string("q.sql").unwrap();
    p.send_line("").unwrap();
    p.exp_string("42").unwrap();
    say(&mut p, "app=# ", "\\o out.txt");
    p.exp_string("Results go to out.txt.").unwrap();
    say(&mut p, "app=# ", "SELECT 'to-the-file' AS x;");
    let shown = p.exp_string("app=# ").unwrap();
    assert!(!shown.contains("(1 row)"), "{shown}");
    p.send_line("\\d customers").unwrap();
    let shown = p.exp_string("app=# ").unwrap();
    assert!(!shown.contains("not null"), "{shown}");
    p.send_line("\\o").unwrap();
    p.exp_string("Results go to the screen.").unwrap();
    let out = std::fs::read_to_string(dir.join("out.txt")).unwrap();
    assert!(out.contains("to-the-file"), "{out}");
    assert!(out.contains("Table \"main.customers\""), "{out}");
    say(&mut p, "app=# ", "SELECT 40 + 1 AS v;");
    p.exp_string("41").unwrap();
    say(&mut p, "app=# ", "\\e");
    p.exp_string("51").unwrap();
    say(&mut p, "app=# ", "\\watch 0.2");
    p.exp_string("Every 0.2 s: SELECT 50 + 1 AS v;").unwrap();
    p.exp_string("51").unwrap();
    p.exp_string("51").unwrap();
    p.exp_string("51").unwrap();
    p.send_control('c').unwrap();
    say(&mut p, "app=# ", "SELECT 'still here' AS s;");
    p.exp_string("still here").unwrap();
    say(&mut p, "app=# ", "\\q");
    p.exp_eof().unwrap();
}

#[test]
fn tall_results_go_through_the_pager_on_a_terminal() {
    let dir = setup();
    let mut p = start_with(&dir, &[("PAGER", "sed s/^/PAGED:/")]);
    let tall = "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 200) SELECT i FROM s;";
    say(&mut p, "myrmex> ", "\\c app");
    say(&mut p, "myrmex(app)> ", "\\sql");
    say(&mut p, "app=# ", tall);
    p.exp_string("PAGED:(200 rows)").unwrap();
    // Short results are printed as they are.
    say(&mut p, "app=# ", "SELECT 1 AS one;");
    let short = p.exp_string("app=# ").unwrap();
    assert!(!short.contains("PAGED:"), "{short}");
    p.send_line("\\pager off").unwrap();
    p.exp_string("Pager usage is off.").unwrap();
    say(&mut p, "app=# ", tall);
    let plain = p.exp_string("(200 rows)").unwrap();
    assert!(!plain.contains("PAGED:"), "{plain}");
    say(&mut p, "app=# ", "\\q");
    p.exp_eof().unwrap();
}

/// With standard output redirected to a file the pager is never started, however tall the
/// result.
#[test]
fn no_pager_when_standard_output_is_not_a_terminal() {
    let dir = setup();
    let mut cmd = std::process::Command::new("sh");
    cmd.current_dir(&dir)
        .args([
            "-c",
            "exec \"$0\" > out.txt",
            myrmex_bin().to_str().unwrap(),
        ])
        .env("MYRMEX_HISTORY", dir.join("history"))
        .env("PAGER", "sed s/^/PAGED:/")
        .env("TERM", "xterm")
        .env_remove("MYRMEX_PLUGIN_PATH");
    let mut p = spawn_pty(cmd);
    for line in [
        "\\c app",
        "\\sql",
        "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 200) SELECT i FROM s;",
        "\\q",
    ] {
        p.send_line(line).unwrap();
    }
    p.exp_eof().unwrap();
    let out = std::fs::read_to_string(dir.join("out.txt")).unwrap();
    assert!(out.contains("(200 rows)"), "{out}");
    assert!(!out.contains("PAGED:"), "{out}");
}

#[test]
fn an_unwritable_history_file_is_reported_once() {
    let dir = setup();
    let mut cmd = std::process::Command::new(myrmex_bin());
    cmd.current_dir(&dir)
        .env("MYRMEX_HISTORY", "/nonexistent-myrmex-dir/history")
        .env("TERM", "xterm")
        .env_remove("MYRMEX_PLUGIN_PATH");
    let mut p = spawn_pty(cmd);
    let start = p.exp_string("\\help for help").unwrap();
    assert_eq!(
        start
            .matches("history is not saved: cannot write /nonexistent-myrmex-dir/history")
            .count(),
        1,
        "{start}"
    );
    say(&mut p, "myrmex> ", "20 + 22");
    p.exp_string("42").unwrap();
    say(&mut p, "myrmex> ", "\\q");
    let rest = p.exp_eof().unwrap();
    assert!(!rest.contains("history is not saved"), "{rest}");
}

/// `myrmex migrate up` on a terminal draws a progress bar (and none when piped, which every
/// other migrate test shows: their stderr holds no bar).
#[test]
fn migrate_up_draws_a_progress_bar_on_a_terminal() {
    let dir = temp_dir("migrate-bar");
    let migrations = dir.join("migrations");
    std::fs::create_dir_all(&migrations).unwrap();
    std::fs::write(
        migrations.join("V1__digits.up.sql"),
        "CREATE TABLE digits (d INTEGER);\nINSERT INTO digits VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9);\n",
    )
    .unwrap();
    for v in 2..=12 {
        std::fs::write(
            migrations.join(format!("V{v}__fill{v}.up.sql")),
            format!("CREATE TABLE t{v} AS SELECT a.d + 10 * b.d + 100 * c.d + 1000 * e.d AS n FROM digits a, digits b, digits c, digits e;\n"),
        )
        .unwrap();
    }
    let mut cmd = std::process::Command::new(myrmex_bin());
    cmd.current_dir(&dir)
        .env("TERM", "xterm")
        .env_remove("MYRMEX_PLUGIN_PATH")
        .args(["migrate", "up", "--db", "sqlite://bar.db"]);
    let mut p = spawn_with_options(
        cmd,
        Options::new()
            .timeout_ms(Some(30_000))
            .strip_ansi_escape_codes(true),
    )
    .expect("spawn myrmex");
    p.exp_regex(r"\d+/12 .*up V\d+__fill").unwrap();
    p.exp_string("applied  V12__fill12").unwrap();
    p.exp_eof().unwrap();
}
