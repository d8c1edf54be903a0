//! The line editor's helper: completion of commands, functions, keywords, tables and
//! columns, and colours for the line being typed.

use super::commands::{self, Args};
use super::{columns, highlight};
use crate::engine::conn::Db;
use rustyline::completion::{Completer, FilenameCompleter, Pair};
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::Hinter;
use rustyline::validate::Validator;
use rustyline::Helper;
use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

const RHAI_KEYWORDS: [&str; 18] = [
    "let", "const", "fn", "if", "else", "for", "in", "while", "loop", "break", "continue",
    "return", "throw", "try", "catch", "true", "false", "print",
];

const SQL_KEYWORDS: [&str; 28] = [
    "SELECT", "FROM", "WHERE", "INSERT", "INTO", "VALUES", "UPDATE", "SET", "DELETE", "CREATE",
    "TABLE", "INDEX", "DROP", "ALTER", "JOIN", "LEFT", "INNER", "ON", "GROUP", "BY", "ORDER",
    "LIMIT", "AND", "OR", "NOT", "NULL", "AS", "DISTINCT",
];

/// State shared between the REPL loop and the helper.
#[derive(Default)]
pub struct Shared {
    /// Tables of the current connection (refreshed after `\c` and DDL).
    pub tables: Vec<String>,
    /// Names of config connections.
    pub connections: Vec<String>,
    /// SQL mode on.
    pub sql_mode: bool,
    /// The current connection, to describe tables for column completion.
    pub db: Option<Db>,
    /// Columns of the tables described so far (cleared after `\c` and DDL).
    pub columns: HashMap<String, Vec<String>>,
    /// Lines of the statement typed so far, before the line being edited.
    pub pending: String,
    /// Colour the line being typed (on a terminal only: the editor asks for colours only
    /// there).
    pub colours: bool,
}

impl Shared {
    /// Columns of `table`, described on first use and cached.
    fn columns_of(&mut self, table: &str) -> Vec<String> {
        if let Some(c) = self.columns.get(table) {
            return c.clone();
        }
        let cols: Vec<String> = self
            .db
            .as_ref()
            .and_then(|db| db.with(|c| c.describe(table)).ok())
            .map(|d| d.columns.iter().map(|c| c.name.to_string()).collect())
            .unwrap_or_default();
        self.columns.insert(table.to_string(), cols.clone());
        cols
    }
}

/// rustyline helper: completion of functions, keywords, tables, columns and commands.
pub struct ReplHelper {
    /// Rhai functions of the engine.
    pub functions: Vec<String>,
    /// State shared with the REPL loop.
    pub shared: Rc<RefCell<Shared>>,
}

/// The SQL around the cursor: in SQL mode the statement typed so far, in Rhai mode the
/// string literal the cursor is in (none outside one).
fn sql_at_cursor(
    pending: &str,
    line: &str,
    start: usize,
    sql_mode: bool,
) -> Option<(String, String)> {
    if sql_mode {
        return Some((
            format!("{pending}\n{}", &line[..start]),
            format!("{pending}\n{line}"),
        ));
    }
    let before = &line[..start];
    if before.matches('"').count().is_multiple_of(2) {
        return None;
    }
    let open = before.rfind('"').map_or(0, |p| p + 1);
    let close = line[start..].find('"').map_or(line.len(), |p| start + p);
    Some((line[open..start].to_string(), line[open..close].to_string()))
}

impl ReplHelper {
    fn candidates(&self, line: &str, start: usize, word: &str) -> Vec<String> {
        let mut shared = self.shared.borrow_mut();
        let before = line[..start].trim_end();
        let prev = before
            .rsplit(|c: char| c.is_whitespace() || c == '"' || c == '(')
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let lower = word.to_ascii_lowercase();
        let matches = |s: &str| s.to_ascii_lowercase().starts_with(&lower);
        if line.starts_with('\\') && !line[..start].contains(' ') {
            return commands::names()
                .filter(|c| c.starts_with(word))
                .map(str::to_string)
                .collect();
        }
        if let Some((cmd, _)) = line.split_once(' ').filter(|_| line.starts_with('\\')) {
            let list: Vec<String> = match commands::find(cmd).map(|c| c.args) {
                Some(Args::Words(w)) => w.iter().map(|s| s.to_string()).collect(),
                Some(Args::Table) => shared.tables.clone(),
                Some(Args::Connection) => shared.connections.clone(),
                // File names are completed by `complete`.
                Some(Args::File | Args::None) | None => Vec::new(),
            };
            return list.into_iter().filter(|t| matches(t)).collect();
        }
        if matches!(
            prev.as_str(),
            "FROM" | "JOIN" | "INTO" | "UPDATE" | "TABLE" | "DESCRIBE"
        ) {
            return shared
                .tables
                .iter()
                .filter(|t| matches(t))
                .cloned()
                .collect();
        }
        let mut out: Vec<String> = Vec::new();
        if let Some((before, all)) = sql_at_cursor(&shared.pending, line, start, shared.sql_mode) {
            if columns::wants_columns(&before) {
                for table in columns::tables_named(&all) {
                    out.extend(shared.columns_of(&table).into_iter().filter(|c| matches(c)));
                }
            }
        }
        out.extend(shared.tables.iter().filter(|t| matches(t)).cloned());
        if shared.sql_mode {
            out.extend(SQL_KEYWORDS.iter().filter(|k| matches(k)).map(|k| {
                if word.chars().next().is_some_and(|c| c.is_lowercase()) {
                    k.to_ascii_lowercase()
                } else {
                    k.to_string()
                }
            }));
        } else {
            out.extend(
                self.functions
                    .iter()
                    .filter(|f| f.starts_with(word))
                    .cloned(),
            );
            out.extend(
                RHAI_KEYWORDS
                    .iter()
                    .filter(|k| k.starts_with(word))
                    .map(|k| k.to_string()),
            );
        }
        out.sort();
        out.dedup();
        out
    }
}

impl Completer for ReplHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        ctx: &rustyline::Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        if let Some((cmd, _)) = line[..pos].split_once(' ') {
            if matches!(commands::find(cmd).map(|c| c.args), Some(Args::File)) {
                return FilenameCompleter::new().complete(line, pos, ctx);
            }
        }
        let mut start = line[..pos]
            .rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == '\\' || c == '.'))
            .map_or(0, |i| i + 1);
        let mut word = &line[start..pos];
        let mut list = self.candidates(line, start, word);
        // `db.descr<TAB>`: complete the method after the last dot unless a qualified table
        // name (`schema.table`) matches the whole word.
        if list.is_empty() {
            if let Some(dot) = word.rfind('.') {
                start += dot + 1;
                word = &line[start..pos];
                list = self.candidates(line, start, word);
            }
        }
        Ok((
            start,
            list.into_iter()
                .map(|c| Pair {
                    display: c.clone(),
                    replacement: c,
                })
                .collect(),
        ))
    }
}

impl Hinter for ReplHelper {
    type Hint = String;
}

impl Highlighter for ReplHelper {
    fn highlight<'l>(&self, line: &'l str, _pos: usize) -> Cow<'l, str> {
        let Ok(shared) = self.shared.try_borrow() else {
            return Cow::Borrowed(line);
        };
        if !shared.colours || line.trim().is_empty() {
            return Cow::Borrowed(line);
        }
        let trimmed = line.trim_start();
        if shared.pending.is_empty() && commands::is_command(trimmed) {
            let indent = &line[..line.len() - trimmed.len()];
            return Cow::Owned(format!("{indent}{}", highlight::command(trimmed)));
        }
        Cow::Owned(if shared.sql_mode {
            highlight::sql(&shared.pending, line)
        } else {
            highlight::rhai(&shared.pending, line)
        })
    }

    /// Every edit may change the colours of the whole line (a quote opens a string to its
    /// end), so the line is redrawn after each one while colours are on.
    fn highlight_char(&self, _line: &str, _pos: usize, kind: CmdKind) -> bool {
        kind != CmdKind::MoveCursor && self.shared.try_borrow().is_ok_and(|s| s.colours)
    }
}

/// Every line is accepted as typed: the REPL loop gathers lines until a statement is
/// complete, showing what is still open in the prompt.
impl Validator for ReplHelper {}

impl Helper for ReplHelper {}
