//! The interactive REPL, driven through a pseudo-terminal as a person would use it.

use myrmex_tests::*;
use rexpect::session::{spawn_with_options, Options, PtySession};
use std::path::Path;
use std::time::Duration;

fn start(dir: &Path) -> PtySession {
    start_with(dir, &[])
}

/// Starts the REPL in `dir` with extra environment variables, without colours: a coloured
/// line is redrawn, prompt included, as it is typed, and these tests wait for prompts.
fn start_with(dir: &Path, env: &[(&str, &str)]) -> PtySession {
    let mut cmd = pty_command(dir);
    cmd.env("NO_COLOR", "1").envs(env.iter().copied());
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

/// Sends `line` and returns what is printed after it, up to the next `prompt`. The echo of
/// the line is waited for first: a line wider than the terminal is redrawn, prompt included,
/// while it is typed.
fn ask(p: &mut PtySession, prompt: &str, line: &str) -> String {
    p.send_line(line).unwrap();
    let tail: Vec<char> = line.chars().rev().take(12).collect();
    let tail: String = tail.into_iter().rev().collect();
    let mut pattern = String::new();
    for c in tail.chars() {
        if c.is_ascii_alphanumeric() || c == ' ' {
            pattern.push(c);
        } else {
            pattern.push_str(&format!("\\x{{{:x}}}", c as u32));
        }
    }
    p.exp_regex(&format!("{pattern}\\r?\\n"))
        .unwrap_or_else(|e| panic!("no echo of `{line}`: {e}"));
    p.exp_string(prompt)
        .unwrap_or_else(|e| panic!("after `{line}`: {e}"))
}

/// Starts the REPL in `dir` on a terminal 400 columns wide, so that long lines typed are
/// not wrapped (and redrawn) by the line editor.
fn start_wide(dir: &Path) -> PtySession {
    let mut cmd = std::process::Command::new("sh");
    cmd.current_dir(dir)
        .args(["-c", "stty cols 400 rows 50 && exec \"$0\""])
        .arg(myrmex_bin())
        .env("MYRMEX_HISTORY", dir.join("history"))
        .env("TERM", "xterm")
        .env("NO_COLOR", "1")
        .env("RUST_BACKTRACE", "0")
        .env_remove("MYRMEX_PLUGIN_PATH");
    let mut p = spawn_pty(cmd);
    p.exp_string("\\help for help").unwrap();
    p
}

/// Every engine's fresh database with a config file naming it `e`: (engine, database name,
/// directory, the target keeping the database alive).
fn engines(label: &str) -> Vec<(&'static str, String, std::path::PathBuf, Target)> {
    targets(label)
        .into_iter()
        .map(|t| {
            let dir = temp_dir(label);
            std::fs::write(
                dir.join("myrmex.toml"),
                format!("[connections.e]\nurl = \"{}\"\n", t.url),
            )
            .unwrap();
            let path = t.url.split('?').next().unwrap_or_default();
            let database = match t.engine {
                // SQLite calls the database a connection opens `main`.
                "sqlite" => "main".to_string(),
                _ => path.rsplit('/').next().unwrap_or_default().to_string(),
            };
            (t.engine, database, dir, t)
        })
        .collect()
}

/// Runs SQL on the connection `e` of the config in `dir`, stopping at the first error.
fn sql(dir: &Path, statements: &str) {
    let out = run(myrmex().current_dir(dir).args([
        "-e",
        &format!(
            "let db = connection(\"e\"); for s in {:?}.split(\";\") {{ if s.trim() != \"\" {{ db.execute(s) }} }}",
            statements
        ),
    ]));
    assert_eq!(out.code, 0, "{statements}: {}", out.stderr);
}

#[test]
fn catalog_commands_list_what_was_created_on_every_engine() {
    for (engine, database, dir, _target) in engines("repl-catalog") {
        sql(
            &dir,
            "CREATE TABLE app_items (id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL);
             CREATE TABLE zz_other (id INTEGER PRIMARY KEY, v VARCHAR(10));
             CREATE VIEW app_items_v AS SELECT id, name FROM app_items;
             CREATE INDEX app_items_name_idx ON app_items (name);
             CREATE INDEX zz_other_v_idx ON zz_other (v)",
        );
        match engine {
            "postgres" => sql(
                &dir,
                "CREATE SCHEMA app_extra; CREATE SEQUENCE app_seq;
                 CREATE FUNCTION app_fn() RETURNS integer LANGUAGE sql AS 'SELECT 1'",
            ),
            "mysql" => sql(
                &dir,
                "CREATE SEQUENCE app_seq; CREATE FUNCTION app_fn() RETURNS INT DETERMINISTIC RETURN 1",
            ),
            _ => {}
        }
        let mut p = start_wide(&dir);
        say(&mut p, "myrmex> ", "\\c e");
        let prompt = "myrmex(e)> ";
        p.exp_string(prompt).unwrap();
        ask(&mut p, prompt, "\\pager off");
        let check = |out: &str, has: &[&str], lacks: &[&str]| {
            for h in has {
                assert!(out.contains(h), "{engine}: no `{h}` in {out}");
            }
            for l in lacks {
                assert!(!out.contains(l), "{engine}: `{l}` in {out}");
            }
            assert!(!out.contains("error"), "{engine}: {out}");
        };
        // \dt takes a pattern, psql style.
        let out = ask(&mut p, prompt, "\\dt app*");
        check(&out, &["app_items"], &["zz_other"]);
        let out = ask(&mut p, prompt, "\\dt");
        check(&out, &["app_items", "zz_other"], &[]);
        let out = ask(&mut p, prompt, "\\dv");
        check(&out, &["app_items_v"], &["zz_other"]);
        let out = ask(&mut p, prompt, "\\dv zz*");
        check(&out, &[], &["app_items_v"]);
        let out = ask(&mut p, prompt, "\\di");
        check(&out, &["app_items_name_idx", "zz_other_v_idx"], &[]);
        let out = ask(&mut p, prompt, "\\di app*");
        check(&out, &["app_items_name_idx"], &["zz_other_v_idx"]);
        let out = ask(&mut p, prompt, ".indexes zz_other");
        check(&out, &["zz_other_v_idx"], &["app_items_name_idx"]);
        let out = ask(&mut p, prompt, "\\l");
        check(&out, &[&database], &[]);
        let out = ask(&mut p, prompt, ".databases");
        check(&out, &[&database], &[]);
        match engine {
            "postgres" => {
                let out = ask(&mut p, prompt, "\\dn");
                check(&out, &["app_extra", "public"], &[]);
                let out = ask(&mut p, prompt, "\\ds");
                check(&out, &["app_seq"], &[]);
                let out = ask(&mut p, prompt, "\\df app*");
                check(&out, &["app_fn"], &[]);
                let out = ask(&mut p, prompt, "\\du");
                check(&out, &["postgres"], &[]);
            }
            "mysql" => {
                let out = ask(&mut p, prompt, "\\dn");
                check(&out, &[&database], &[]);
                let out = ask(&mut p, prompt, "\\df app*");
                check(&out, &["app_fn"], &[]);
                let out = ask(&mut p, prompt, "\\du");
                check(&out, &["root"], &[]);
            }
            _ => {
                let out = ask(&mut p, prompt, "\\dn");
                check(&out, &["main"], &[]);
                // SQLite has no roles: one line saying so, not an error.
                let out = ask(&mut p, prompt, "\\du");
                let said: Vec<&str> = out.lines().filter(|l| l.starts_with("\\du: ")).collect();
                assert_eq!(said.len(), 1, "{out}");
                check(&out, &[], &[]);
            }
        }
        // Listings go where results go: through \format and \x.
        ask(&mut p, prompt, "\\format csv");
        let out = ask(&mut p, prompt, "\\dv app*");
        assert!(
            out.lines()
                .any(|l| l.contains(",app_items_v") || l.starts_with("app_items_v,")),
            "{engine}: {out}"
        );
        ask(&mut p, prompt, "\\format table");
        ask(&mut p, prompt, "\\x on");
        let out = ask(&mut p, prompt, "\\dv app*");
        assert!(out.contains("-[ RECORD 1 ]"), "{engine}: {out}");
        p.send_line("\\q").unwrap();
        p.exp_eof().unwrap();
    }
}

#[test]
fn copy_round_trips_a_table_through_csv_and_text_on_every_engine() {
    for (engine, _, dir, _target) in engines("repl-copy") {
        let text = if engine == "mysql" {
            "VARCHAR(200)"
        } else {
            "TEXT"
        };
        sql(
            &dir,
            &format!(
                "CREATE TABLE items (id INTEGER PRIMARY KEY, label {text}, note {text}, qty INTEGER, price DOUBLE PRECISION);
                 CREATE TABLE items_csv (id INTEGER PRIMARY KEY, label {text}, note {text}, qty INTEGER, price DOUBLE PRECISION);
                 CREATE TABLE items_text (id INTEGER PRIMARY KEY, label {text}, note {text}, qty INTEGER, price DOUBLE PRECISION);
                 CREATE TABLE items_import (id INTEGER PRIMARY KEY, label {text}, note {text}, qty INTEGER, price DOUBLE PRECISION)"
            ),
        );
        let mut p = start_wide(&dir);
        say(&mut p, "myrmex> ", "\\c e");
        say(&mut p, "myrmex(e)> ", "\\sql");
        let prompt = "e=# ";
        p.exp_string(prompt).unwrap();
        let out = ask(
            &mut p,
            prompt,
            "INSERT INTO items VALUES (1, 'a,b', 'say \"hi\"', 3, 1.5), (2, '', NULL, NULL, -2.25);",
        );
        assert!(out.contains("INSERT 2"), "{engine}: {out}");
        // Tabs, line breaks and backslashes, as parameters from Rhai.
        ask(&mut p, "myrmex(e)> ", "\\sql");
        for row in [
            "3, \"two words\", \"tab\\there\", 0, 1e10",
            "4, \"line1\\nline2\", \"back\\\\slash\", 7, 0.5",
        ] {
            let out = ask(
                &mut p,
                "myrmex(e)> ",
                &format!("db.execute(\"INSERT INTO items VALUES (?, ?, ?, ?, ?)\", [{row}])"),
            );
            // `execute` answers the number of rows it changed.
            assert!(out.starts_with("1\r\n"), "{engine}: {out:?}");
        }
        ask(&mut p, prompt, "\\sql");
        let out = ask(&mut p, prompt, "\\copy items TO 'out.csv' WITH CSV HEADER");
        assert!(out.contains("COPY 4"), "{engine}: {out}");
        let out = ask(
            &mut p,
            prompt,
            "\\copy items_csv FROM 'out.csv' WITH (FORMAT csv, HEADER)",
        );
        assert!(out.contains("COPY 4"), "{engine}: {out}");
        let out = ask(&mut p, prompt, "\\copy items TO 'out.txt'");
        assert!(out.contains("COPY 4"), "{engine}: {out}");
        let out = ask(
            &mut p,
            prompt,
            "\\copy items_text (id, label, note, qty, price) FROM 'out.txt'",
        );
        assert!(out.contains("COPY 4"), "{engine}: {out}");
        // sqlite3's .import, header skipped.
        let out = ask(&mut p, prompt, ".import --skip 1 out.csv items_import");
        assert!(out.contains("COPY 4"), "{engine}: {out}");
        for (table, file) in [
            ("items_csv", "again.csv"),
            ("items_text", "again2.csv"),
            ("items_import", "again3.csv"),
        ] {
            let out = ask(
                &mut p,
                prompt,
                &format!("\\copy (SELECT * FROM {table} ORDER BY id) TO '{file}' CSV HEADER"),
            );
            assert!(out.contains("COPY 4"), "{engine}: {out}");
        }
        // NULL stays NULL and the empty string stays empty.
        let out = ask(
            &mut p,
            prompt,
            "SELECT count(*) AS nulls FROM items_csv WHERE note IS NULL AND qty IS NULL AND label = '';",
        );
        assert!(
            out.contains("\n     1\r\n(1 row)") || out.contains(" 1\r\n(1 row)"),
            "{engine}: {out}"
        );
        p.send_line("\\q").unwrap();
        p.exp_eof().unwrap();
        let original = std::fs::read_to_string(dir.join("out.csv")).unwrap();
        assert!(
            original.starts_with("id,label,note,qty,price\n"),
            "{original}"
        );
        assert!(
            original.contains("1,\"a,b\",\"say \"\"hi\"\"\",3,1.5\n"),
            "{engine}: {original}"
        );
        assert!(
            original.contains("\n2,\"\",,,-2.25\n"),
            "{engine}: {original}"
        );
        assert!(
            original.contains("\n4,\"line1\nline2\",back\\slash,7,0.5\n"),
            "{engine}: {original}"
        );
        let text = std::fs::read_to_string(dir.join("out.txt")).unwrap();
        assert!(text.contains("2\t\t\\N\t\\N\t-2.25\n"), "{engine}: {text}");
        assert!(
            text.contains("4\tline1\\nline2\tback\\\\slash\t7\t0.5\n"),
            "{engine}: {text}"
        );
        let sorted = |f: &str| {
            let mut rows: Vec<String> = std::fs::read_to_string(dir.join(f))
                .unwrap()
                .split("\n")
                .map(str::to_string)
                .collect();
            rows.sort();
            rows
        };
        assert_eq!(sorted("again.csv"), sorted("out.csv"), "{engine}");
        assert_eq!(sorted("again2.csv"), sorted("out.csv"), "{engine}");
        assert_eq!(sorted("again3.csv"), sorted("out.csv"), "{engine}");
    }
}

#[test]
fn copy_from_rolls_everything_back_and_names_the_line() {
    for (engine, _, dir, _target) in engines("repl-copy-bad") {
        // STRICT: SQLite otherwise stores any text in an INTEGER column.
        sql(
            &dir,
            if engine == "sqlite" {
                "CREATE TABLE t (id INTEGER PRIMARY KEY, qty INTEGER NOT NULL, label TEXT) STRICT"
            } else {
                "CREATE TABLE t (id INTEGER PRIMARY KEY, qty INTEGER NOT NULL, label VARCHAR(20))"
            },
        );
        std::fs::write(
            dir.join("bad.csv"),
            "id,qty,label\n10,1,ok\n11,2,\"multi\nline\"\n12,many,bad\n13,4,never\n",
        )
        .unwrap();
        std::fs::write(dir.join("short.csv"), "20,1,ok\n21,2\n").unwrap();
        std::fs::write(dir.join("null.csv"), "30,1,ok\n31,,null qty\n").unwrap();
        let mut p = start_wide(&dir);
        say(&mut p, "myrmex> ", "\\c e");
        let prompt = "myrmex(e)> ";
        p.exp_string(prompt).unwrap();
        // The engine refuses `many` for an integer: line 5 (the header is line 1 and line 3
        // holds a line break), column qty.
        let out = ask(&mut p, prompt, "\\copy t FROM 'bad.csv' CSV HEADER");
        assert!(
            out.contains("bad.csv line 5, column qty: ") && out.contains("nothing was copied"),
            "{engine}: {out}"
        );
        assert!(!out.contains("COPY"), "{engine}: {out}");
        // A record short of a field is refused before the engine sees it.
        let out = ask(&mut p, prompt, "\\copy t FROM 'short.csv' CSV");
        assert!(
            out.contains("short.csv line 2, column label: missing data"),
            "{engine}: {out}"
        );
        // An empty field is NULL, which the NOT NULL column refuses.
        let out = ask(&mut p, prompt, "\\copy t FROM 'null.csv' CSV");
        assert!(out.contains("null.csv line 2"), "{engine}: {out}");
        let out = ask(
            &mut p,
            prompt,
            "db.query_value(\"SELECT count(*) FROM t\") + 1000",
        );
        assert!(out.contains("1000"), "{engine}: nothing may be left: {out}");
        // Inside an open transaction the copy is undone alone.
        ask(&mut p, prompt, "db.begin()");
        ask(
            &mut p,
            prompt,
            "db.execute(\"INSERT INTO t VALUES (1, 1, 'kept')\")",
        );
        let out = ask(&mut p, prompt, "\\copy t FROM 'bad.csv' CSV HEADER");
        assert!(out.contains("nothing was copied"), "{engine}: {out}");
        ask(&mut p, prompt, "db.commit()");
        let out = ask(
            &mut p,
            prompt,
            "db.query_value(\"SELECT count(*) FROM t\") + 1000",
        );
        assert!(out.contains("1001"), "{engine}: {out}");
        p.send_line("\\q").unwrap();
        p.exp_eof().unwrap();
    }
}

/// Starts the REPL in `dir` on a pseudo-terminal keeping the colour codes it writes.
fn start_raw(dir: &Path, env: &[(&str, &str)]) -> PtySession {
    let mut cmd = pty_command(dir);
    cmd.env_remove("NO_COLOR").envs(env.iter().copied());
    let mut p = spawn_with_options(
        cmd,
        Options::new()
            .timeout_ms(Some(15_000))
            .strip_ansi_escape_codes(false),
    )
    .expect("spawn myrmex");
    p.exp_string("\\help for help").unwrap();
    p
}

/// True when `text` holds an SGR (colour) escape sequence.
fn has_colour(text: &str) -> bool {
    text.split("\x1b[").skip(1).any(|rest| {
        let params: String = rest
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == ';')
            .collect();
        rest[params.len()..].starts_with('m')
    })
}

#[test]
fn typed_keywords_are_coloured_on_a_terminal_unless_no_color() {
    let dir = setup();
    let mut p = start_raw(&dir, &[]);
    say(&mut p, "myrmex> ", "\\c app");
    say(&mut p, "myrmex(app)> ", "\\sql");
    // A coloured line is redrawn as it is typed: wait for the result, not the prompt.
    say(&mut p, "app=# ", "SELECT 'x' AS s FROM customers LIMIT 1;");
    let shown = p.exp_string("(1 row)").unwrap();
    let keyword = shown
        .find("SELECT")
        .map(|i| has_colour(shown.get(i.saturating_sub(12)..i).unwrap_or("")));
    assert_eq!(keyword, Some(true), "{shown:?}");
    // Rhai too.
    say(&mut p, "app=# ", "\\sql");
    say(&mut p, "myrmex(app)> ", "let n = 1; n + 54320");
    let shown = p.exp_string("54321").unwrap();
    assert!(has_colour(&shown), "{shown:?}");
    // Turned off in the session.
    say(&mut p, "myrmex(app)> ", "\\set highlight off");
    p.exp_string("Highlighting is off.").unwrap();
    say(&mut p, "myrmex(app)> ", "let m = 2; m + 67888");
    let shown = p.exp_string("67890").unwrap();
    assert!(!has_colour(&shown), "{shown:?}");
    say(&mut p, "myrmex(app)> ", "\\q");
    p.exp_eof().unwrap();

    let mut p = start_raw(&dir, &[("NO_COLOR", "1")]);
    say(&mut p, "myrmex> ", "\\c app");
    say(&mut p, "myrmex(app)> ", "\\sql");
    say(&mut p, "app=# ", "SELECT 'x' AS s FROM customers LIMIT 1;");
    let shown = p.exp_string("(1 row)").unwrap();
    assert!(shown.contains("SELECT"), "{shown:?}");
    assert!(!has_colour(&shown), "{shown:?}");
    say(&mut p, "app=# ", "\\q");
    p.exp_eof().unwrap();

    // And off from the config file.
    std::fs::write(
        dir.join("myrmex.toml"),
        "[connections.app]\nurl = \"sqlite://app.db\"\n[shell]\nhighlight = false\n",
    )
    .unwrap();
    let mut p = start_raw(&dir, &[]);
    say(&mut p, "myrmex> ", "let k = 3; k + 76540");
    let shown = p.exp_string("76543").unwrap();
    assert!(shown.contains("let k") && !has_colour(&shown), "{shown:?}");
    say(&mut p, "myrmex> ", "\\q");
    p.exp_eof().unwrap();
}

#[test]
fn format_from_the_config_and_json_columns_in_sql_mode() {
    let dir = setup();
    std::fs::write(
        dir.join("myrmex.toml"),
        "[connections.app]\nurl = \"sqlite://app.db\"\n[shell]\nformat = \"csv\"\nnull = \"(null)\"\n",
    )
    .unwrap();
    let mut p = start_wide(&dir);
    say(&mut p, "myrmex> ", "\\format");
    p.exp_string("Output format is csv.").unwrap();
    say(&mut p, "myrmex> ", "\\c app");
    say(&mut p, "myrmex(app)> ", "\\sql");
    say(
        &mut p,
        "app=# ",
        "SELECT name, NULL AS n FROM customers ORDER BY id LIMIT 1;",
    );
    p.exp_string("name,n\r\nann,(null)\r\n").unwrap();
    say(&mut p, "app=# ", "\\format jsonl");
    p.exp_string("Output format is jsonl.").unwrap();
    // A json column stays JSON in JSON output, in SQL mode as with -c.
    say(&mut p, "app=# ", "CREATE TABLE docs (doc JSON);");
    say(
        &mut p,
        "app=# ",
        "INSERT INTO docs VALUES ('{\"a\": [1, 2]}');",
    );
    say(&mut p, "app=# ", "SELECT doc, 0.5 AS f FROM docs;");
    p.exp_string("{\"doc\":{\"a\": [1, 2]},\"f\":0.5}").unwrap();
    say(&mut p, "app=# ", "\\format xml");
    p.exp_string("unknown format \"xml\"").unwrap();
    say(&mut p, "app=# ", "\\q");
    p.exp_eof().unwrap();
    // The flag wins over the config.
    let mut cmd = pty_command(&dir);
    cmd.args(["--format", "markdown"]);
    let mut p = spawn_pty(cmd);
    say(&mut p, "myrmex> ", "\\format");
    p.exp_string("Output format is markdown.").unwrap();
    say(&mut p, "myrmex> ", "\\q");
    p.exp_eof().unwrap();
}
