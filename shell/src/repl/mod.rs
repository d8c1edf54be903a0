//! The interactive shell: Rhai by default, SQL after `\sql`, psql-style backslash commands.

mod helper;
mod history;
mod meta;

use crate::engine::conn::Db;
use crate::engine::{self, Context};
use crate::interrupt;
use crate::output::{render_value, Format};
use crate::script;
use helper::{ReplHelper, Shared};
use rhai::{Dynamic, Engine, Scope, AST};
use rustyline::error::ReadlineError;
use rustyline::history::{DefaultHistory, History};
use rustyline::{CompletionType, Editor};
use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;
use std::time::Instant;

/// Environment variable naming the history file (default `~/.myrmex_history`).
pub const HISTORY_ENV: &str = "MYRMEX_HISTORY";

/// REPL state besides the editor.
pub struct Repl {
    ctx: Rc<Context>,
    engine: Rc<Engine>,
    scope: Scope<'static>,
    lib: AST,
    shared: Rc<RefCell<Shared>>,
    format: Format,
    expanded: bool,
    timing: bool,
    last_db: Option<usize>,
}

/// What the loop does after a line.
pub enum Next {
    Continue,
    Quit,
}

fn history_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(HISTORY_ENV) {
        return Some(PathBuf::from(p));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".myrmex_history"))
}

/// Runs the REPL until `\q` or end of input, with `db` as the current connection when given;
/// returns the exit status.
pub fn run(ctx: Rc<Context>, format: Format, db: Option<Db>) -> u8 {
    let engine = Rc::new(engine::build(&ctx));
    let connections = ctx
        .config
        .as_ref()
        .map(|c| c.connections.keys().cloned().collect())
        .unwrap_or_default();
    let shared = Rc::new(RefCell::new(Shared {
        connections,
        ..Default::default()
    }));
    let helper = ReplHelper {
        engine: engine.clone(),
        functions: engine::function_names(&engine),
        shared: shared.clone(),
    };
    let config = rustyline::Config::builder()
        .auto_add_history(false)
        .completion_type(CompletionType::List)
        .max_history_size(5000)
        .map(|b| b.build())
        .unwrap_or_default();
    let mut rl: Editor<ReplHelper, DefaultHistory> = match Editor::with_config(config) {
        Ok(rl) => rl,
        Err(e) => {
            eprintln!("myrmex: cannot start the line editor: {e}");
            return 1;
        }
    };
    rl.set_helper(Some(helper));
    // After the editor: rustyline replaces the SIGINT handler when it is created.
    interrupt::install();
    let hist = history_path();
    if let Some(h) = &hist {
        let _ = rl.load_history(h);
    }
    let mut repl = Repl {
        ctx,
        engine,
        scope: Scope::new(),
        lib: AST::empty(),
        shared,
        format,
        expanded: false,
        timing: false,
        last_db: None,
    };
    if let Some(db) = db {
        repl.set_current(db);
    }
    println!(
        "myrmex {} (Rhai; \\sql for SQL mode, \\help for help, \\q to quit)",
        env!("CARGO_PKG_VERSION")
    );
    loop {
        let prompt = repl.prompt();
        match rl.readline(&prompt) {
            Ok(line) => {
                if line.trim().is_empty() {
                    continue;
                }
                if let Some(entry) = history::scrub(&line) {
                    let _ = rl.history_mut().add(&entry);
                    if let Some(h) = &hist {
                        let _ = rl.save_history(h);
                    }
                }
                let started = Instant::now();
                let next = repl.handle(&line, &mut rl);
                if repl.timing {
                    println!("Time: {:.3} ms", started.elapsed().as_secs_f64() * 1000.0);
                }
                if let Next::Quit = next {
                    break;
                }
            }
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                eprintln!("myrmex: {e}");
                return 1;
            }
        }
    }
    0
}

impl Repl {
    fn current(&self) -> Option<Db> {
        self.scope.get_value::<Db>("db")
    }

    fn prompt(&self) -> String {
        let name = self.current().map(|d| d.name());
        match (self.shared.borrow().sql_mode, name) {
            (true, Some(n)) => format!("{n}=# "),
            (true, None) => "sql=# ".into(),
            (false, Some(n)) => format!("myrmex({n})> "),
            (false, None) => "myrmex> ".into(),
        }
    }

    /// Makes `db` the current connection and refreshes completion data.
    pub fn set_current(&mut self, db: Db) {
        self.scope.set_value("db", db);
        self.refresh_tables();
    }

    fn refresh_tables(&mut self) {
        let db = self.current();
        self.last_db = db.as_ref().map(|d| Rc::as_ptr(&d.0) as usize);
        let tables = db.and_then(|d| d.table_names().ok()).unwrap_or_default();
        self.shared.borrow_mut().tables = tables;
    }

    fn handle(&mut self, line: &str, rl: &mut Editor<ReplHelper, DefaultHistory>) -> Next {
        let t = line.trim();
        let _watchdog = self.ctx.start_clock();
        if t.starts_with('\\') {
            return meta::run(self, t);
        }
        if self.shared.borrow().sql_mode {
            self.run_sql(t, rl);
        } else {
            self.run_rhai(line);
        }
        Next::Continue
    }

    fn run_rhai(&mut self, code: &str) {
        let ast = match self.engine.compile(code) {
            Ok(a) => a,
            Err(e) => {
                eprintln!("{}", script::parse_error("<repl>", &e));
                return;
            }
        };
        let merged = self.lib.merge(&ast);
        let result = self
            .engine
            .eval_ast_with_scope::<Dynamic>(&mut self.scope, &merged);
        self.lib = self.lib.merge(&ast.clone_functions_only());
        match result {
            Ok(v) => {
                if let Some(text) = render_value(&v, self.format, self.expanded) {
                    print!("{text}");
                }
            }
            Err(_) if interrupt::is_set() => eprintln!("interrupted"),
            Err(_) if interrupt::timed_out() => eprintln!("{}", self.ctx.timeout_message()),
            Err(e) => eprintln!("{}", script::runtime_error("<repl>", &e)),
        }
        let now = self.current().map(|d| Rc::as_ptr(&d.0) as usize);
        if now != self.last_db || is_ddl(code) {
            self.refresh_tables();
        }
    }

    fn run_sql(&mut self, text: &str, rl: &mut Editor<ReplHelper, DefaultHistory>) {
        let Some(db) = self.current() else {
            eprintln!("no current connection: use \\c NAME|URL or `let db = connect(\"…\")`");
            return;
        };
        let mut changed_schema = false;
        for stmt in myrmex_core::sql::split_statements(text) {
            if let Some(why) = destructive(&stmt) {
                self.shared.borrow_mut().confirming = true;
                let answer = rl
                    .readline(&format!("{why}. Run it anyway? [y/N] "))
                    .unwrap_or_default();
                self.shared.borrow_mut().confirming = false;
                if !answer.trim().eq_ignore_ascii_case("y") {
                    println!("skipped");
                    continue;
                }
            }
            let keyword = myrmex_core::sql::first_keyword(&stmt);
            let result = if myrmex_core::sql::returns_rows(&stmt) {
                db.query_rows(&stmt, &[])
                    .map(|rows| render_value(&rows, self.format, self.expanded).unwrap_or_default())
            } else {
                db.with(|c| c.execute(&stmt, &[])).map(|r| {
                    if matches!(
                        keyword.as_str(),
                        "INSERT" | "UPDATE" | "DELETE" | "REPLACE" | "MERGE"
                    ) {
                        format!("{keyword} {}\n", r.rows_affected)
                    } else {
                        format!("{keyword}\n")
                    }
                })
            };
            match result {
                Ok(text) => print!("{text}"),
                Err(e) => {
                    let msg = e.to_string();
                    if interrupt::is_set() {
                        eprintln!("interrupted: {}", msg.trim_start_matches("Runtime error: "));
                    } else if interrupt::timed_out() {
                        eprintln!("{}", self.ctx.timeout_message());
                    } else {
                        eprintln!("error: {}", msg.trim_start_matches("Runtime error: "));
                    }
                    break;
                }
            }
            changed_schema |= is_ddl(&stmt);
        }
        if changed_schema {
            self.refresh_tables();
        }
    }
}

fn is_ddl(code: &str) -> bool {
    let u = code.to_ascii_uppercase();
    ["CREATE ", "DROP ", "ALTER ", "RENAME "]
        .iter()
        .any(|k| u.contains(k))
}

/// Why a statement deserves a confirmation (pgcli's destructive warning), if it does.
fn destructive(stmt: &str) -> Option<&'static str> {
    let kw = myrmex_core::sql::first_keyword(stmt);
    let upper = stmt.to_ascii_uppercase();
    match kw.as_str() {
        "DROP" => Some("This DROPs an object"),
        "TRUNCATE" => Some("This TRUNCATEs a table"),
        "DELETE" | "UPDATE" if !upper.contains("WHERE") => {
            Some("This changes every row (no WHERE clause)")
        }
        _ => None,
    }
}
