//! The interactive shell: Rhai by default, SQL after `\\sql`, psql-style backslash commands.

mod actions;
mod catalog;
mod columns;
mod commands;
mod continuation;
mod copy;
mod helper;
mod highlight;
mod history;
mod settings;
mod sink;

use crate::engine::conn::Db;
use crate::engine::{self, Context};
use crate::interrupt;
use crate::output::{render_value, Format, Tabular};
use crate::script;
use continuation::Open;
use helper::{ReplHelper, Shared};
use rhai::{Dynamic, Engine, ParseErrorType, Scope, AST};
use rustyline::error::ReadlineError;
use rustyline::history::{DefaultHistory, History};
use rustyline::{CompletionType, Editor};
use sink::Sink;
use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::Instant;

/// Environment variable naming the history file (default `~/.myrmex_history`).
pub const HISTORY_ENV: &str = "MYRMEX_HISTORY";

/// The line editor of the REPL.
type Rl = Editor<ReplHelper, DefaultHistory>;

/// Expanded display (`\\x`): one `column | value` block per row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expanded {
    /// Rows as table lines.
    Off,
    /// Every row as a block.
    On,
    /// Blocks when the table is wider than the terminal.
    Auto,
}

/// REPL state besides the editor.
pub struct Repl {
    ctx: Rc<Context>,
    engine: Rc<Engine>,
    scope: Scope<'static>,
    lib: AST,
    shared: Rc<RefCell<Shared>>,
    format: Format,
    expanded: Expanded,
    timing: bool,
    sink: Sink,
    last_statement: Option<String>,
    last_db: Option<usize>,
}

/// What the loop does after a line.
pub enum Next {
    /// Read the next line.
    Continue,
    /// End the session.
    Quit,
}

fn history_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(HISTORY_ENV) {
        return Some(PathBuf::from(p));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".myrmex_history"))
}

/// The history file if it can be written; otherwise one warning line and `None`.
fn writable_history(path: Option<PathBuf>) -> Option<PathBuf> {
    let path = path?;
    match std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
    {
        Ok(_) => Some(path),
        Err(e) => {
            eprintln!(
                "myrmex: history is not saved: cannot write {}: {e} (set {HISTORY_ENV})",
                path.display()
            );
            None
        }
    }
}

/// True while a Rhai input cannot be complete: the parser ran out of input.
fn rhai_incomplete(engine: &Engine, input: &str) -> bool {
    let Err(e) = engine.compile(input) else {
        return false;
    };
    let at_end = e
        .position()
        .line()
        .is_none_or(|l| l >= input.lines().count());
    match e.err_type() {
        ParseErrorType::UnexpectedEOF => true,
        ParseErrorType::MissingToken(..) => at_end,
        ParseErrorType::BadInput(le) => at_end && le.to_string().contains("not terminated"),
        // Other errors are reported when the input is evaluated.
        _ => false,
    }
}

/// Runs the REPL until `\\q`, `exit`, `quit` or end of input, with `db` as the current
/// connection when given; returns the exit status.
pub fn run(ctx: Rc<Context>, format: Format, db: Option<Db>) -> u8 {
    let engine = Rc::new(engine::build(&ctx));
    let connections = ctx
        .config
        .as_ref()
        .map(|c| c.connections.keys().cloned().collect())
        .unwrap_or_default();
    let shell = ctx
        .config
        .as_ref()
        .map(|c| c.shell.clone())
        .unwrap_or_default();
    let shared = Rc::new(RefCell::new(Shared {
        connections,
        colours: shell.highlight.unwrap_or(true) && !no_color(),
        ..Default::default()
    }));
    let helper = ReplHelper {
        functions: engine::function_names(&engine),
        shared: shared.clone(),
    };
    let config = rustyline::Config::builder()
        .auto_add_history(false)
        .completion_type(CompletionType::List)
        .max_history_size(5000)
        .map(|b| b.build())
        .unwrap_or_default();
    let mut rl: Rl = match Editor::with_config(config) {
        Ok(rl) => rl,
        Err(e) => {
            eprintln!("myrmex: cannot start the line editor: {e}");
            return 1;
        }
    };
    rl.set_helper(Some(helper));
    // After the editor: rustyline replaces the SIGINT handler when it is created.
    interrupt::install();
    let hist = writable_history(history_path());
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
        expanded: Expanded::Off,
        timing: false,
        sink: Sink {
            file: None,
            pager: shell.pager.unwrap_or(true),
        },
        last_statement: None,
        last_db: None,
    };
    if let Some(db) = db {
        repl.set_current(db);
    }
    println!(
        "myrmex {} (Rhai; \\sql for SQL mode, \\help for help, \\q to quit)",
        env!("CARGO_PKG_VERSION")
    );
    let mut buffer = String::new();
    let mut open = Open::Nothing;
    loop {
        let prompt = repl.prompt((!buffer.is_empty()).then_some(open));
        repl.shared.borrow_mut().pending.clone_from(&buffer);
        let line = match rl.readline(&prompt) {
            Ok(line) => line,
            // Ctrl-C abandons the statement being typed.
            Err(ReadlineError::Interrupted) => {
                buffer.clear();
                continue;
            }
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                eprintln!("myrmex: {e}");
                return 1;
            }
        };
        let t = line.trim();
        let between = buffer.is_empty() || matches!(open, Open::Statement | Open::Paren);
        let word = buffer.is_empty() && matches!(t, "exit" | "quit" | "exit;" | "quit;");
        if (commands::is_command(t) && between) || word {
            remember(&mut rl, &hist, t);
            let next = if word {
                Next::Quit
            } else {
                commands::dispatch(&mut repl, t, &mut rl)
            };
            if let Next::Quit = next {
                break;
            }
            continue;
        }
        if buffer.is_empty() && t.is_empty() {
            continue;
        }
        if !buffer.is_empty() {
            buffer.push('\n');
        }
        buffer.push_str(&line);
        open = repl.open(&buffer);
        if open != Open::Nothing {
            continue;
        }
        let text = std::mem::take(&mut buffer);
        remember(&mut rl, &hist, &text);
        repl.last_statement = Some(text.trim().to_string());
        repl.execute(&text, Some(&mut rl));
    }
    0
}

/// True when the `NO_COLOR` environment variable asks for no colours (set and not empty).
fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// Adds an entry to the history (scrubbed of secrets) and saves the file.
fn remember(rl: &mut Rl, hist: &Option<PathBuf>, entry: &str) {
    if let Some(entry) = history::scrub(entry) {
        let _ = rl.history_mut().add(&entry);
        if let Some(h) = hist {
            let _ = rl.save_history(h as &Path);
        }
    }
}

impl Repl {
    fn current(&self) -> Option<Db> {
        self.scope.get_value::<Db>("db")
    }

    /// `app=# ` (SQL) or `myrmex(app)> ` (Rhai); on a continuation line the mark of what is
    /// open replaces `=` or `>`: `app'# `, `app(# `, `myrmex(app){ `.
    fn prompt(&self, open: Option<Open>) -> String {
        let name = self.current().map(|d| d.name());
        let sql = self.shared.borrow().sql_mode;
        let mark = match (sql, open) {
            (_, Some(o)) => o.marker(),
            (true, None) => "=",
            (false, None) => ">",
        };
        match (sql, name) {
            (true, Some(n)) => format!("{n}{mark}# "),
            (true, None) => format!("sql{mark}# "),
            (false, Some(n)) => format!("myrmex({n}){mark} "),
            (false, None) => format!("myrmex{mark} "),
        }
    }

    /// What `text` leaves open; `Nothing` once it can run.
    fn open(&self, text: &str) -> Open {
        if self.shared.borrow().sql_mode {
            return continuation::sql(text);
        }
        if !rhai_incomplete(&self.engine, text) {
            return Open::Nothing;
        }
        match continuation::rhai(text) {
            Open::Nothing => Open::Statement,
            o => o,
        }
    }

    /// Writes a result where results go (screen, pager or `\\o` file).
    fn emit(&mut self, text: &str) {
        self.sink.write(text);
    }

    /// Renders a value in the current format and expanded setting.
    fn render(&self, v: &Dynamic) -> Option<String> {
        match Tabular::from_dynamic(v) {
            Some(t) => Some(self.render_table(&t)),
            None => render_value(v, self.format, self.expanded == Expanded::On),
        }
    }

    /// Renders rows in the current format and expanded setting (`auto`: expanded when the
    /// table is wider than the terminal).
    fn render_table(&self, t: &Tabular) -> String {
        match self.expanded {
            Expanded::On => t.render(self.format, true),
            Expanded::Off => t.render(self.format, false),
            Expanded::Auto => {
                let text = t.render(self.format, false);
                let too_wide =
                    sink::terminal_size().is_some_and(|(_, cols)| sink::widest_line(&text) > cols);
                if self.format == Format::Table && too_wide {
                    t.render(self.format, true)
                } else {
                    text
                }
            }
        }
    }

    /// Runs statements (SQL in SQL mode, Rhai otherwise), then prints the time they took
    /// when `\\timing` is on. `confirm` asks before destructive SQL.
    fn execute(&mut self, text: &str, confirm: Option<&mut Rl>) {
        let _watchdog = self.ctx.start_clock();
        let started = Instant::now();
        if self.shared.borrow().sql_mode {
            self.run_sql(text, confirm);
        } else {
            self.run_rhai(text);
        }
        if self.timing {
            println!("Time: {:.3} ms", started.elapsed().as_secs_f64() * 1000.0);
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
        let mut shared = self.shared.borrow_mut();
        shared.tables = tables;
        shared.columns.clear();
        shared.db = self.current();
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
                if let Some(text) = self.render(&v) {
                    self.emit(&text);
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

    fn run_sql(&mut self, text: &str, mut confirm: Option<&mut Rl>) {
        let Some(db) = self.current() else {
            eprintln!("no current connection: use \\c NAME|URL or `let db = connect(\"…\")`");
            return;
        };
        let mut changed_schema = false;
        for stmt in myrmex_core::sql::split_statements(text) {
            if let (Some(why), Some(rl)) = (destructive(&stmt), confirm.as_deref_mut()) {
                let answer = rl
                    .readline(&format!("{why}. Run it anyway? [y/N] "))
                    .unwrap_or_default();
                if !answer.trim().eq_ignore_ascii_case("y") {
                    println!("skipped");
                    continue;
                }
            }
            let keyword = myrmex_core::sql::first_keyword(&stmt);
            let result = if myrmex_core::sql::returns_rows(&stmt) {
                // Straight from the result set, so json columns and arrays stay JSON.
                db.with(|c| c.execute_query(&stmt, &[]))
                    .map(|rs| self.render_table(&crate::sql_input::result_table(&rs)))
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
                Ok(text) => self.emit(&text),
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
