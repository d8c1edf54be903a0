//! Completion and multi-line validation for the REPL.

use rhai::{Engine, ParseErrorType};
use rustyline::completion::{Completer, Pair};
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::Helper;
use std::cell::RefCell;
use std::rc::Rc;

/// Backslash commands with one line of help each.
pub const META_COMMANDS: [(&str, &str); 11] = [
    (
        "\\c",
        "\\c NAME|URL      connect to a config connection or URL (becomes `db`)",
    ),
    (
        "\\conninfo",
        "\\conninfo        show the current connection",
    ),
    ("\\dt", "\\dt              list tables"),
    ("\\d", "\\d TABLE         describe a table"),
    (
        "\\sql",
        "\\sql             toggle SQL mode (lines go to the current connection)",
    ),
    ("\\x", "\\x               toggle expanded rows"),
    (
        "\\timing",
        "\\timing          toggle timing of each command",
    ),
    ("\\format", "\\format table|json|csv  set the output format"),
    ("\\plugins", "\\plugins         list loaded plugins"),
    ("\\help", "\\help            this help"),
    ("\\q", "\\q               quit"),
];

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
    /// A yes/no question is being asked: any line is complete.
    pub confirming: bool,
}

/// rustyline helper: completion of functions, keywords, tables and commands; multi-line input.
pub struct ReplHelper {
    pub engine: Rc<Engine>,
    pub functions: Vec<String>,
    pub shared: Rc<RefCell<Shared>>,
}

impl ReplHelper {
    fn candidates(&self, line: &str, start: usize, word: &str) -> Vec<String> {
        let shared = self.shared.borrow();
        let before = line[..start].trim_end();
        let prev = before
            .rsplit(|c: char| c.is_whitespace() || c == '"' || c == '(')
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let lower = word.to_ascii_lowercase();
        let matches = |s: &str| s.to_ascii_lowercase().starts_with(&lower);
        if line.starts_with('\\') && !line[..start].contains(' ') {
            return META_COMMANDS
                .iter()
                .map(|(c, _)| c.to_string())
                .filter(|c| c.starts_with(word))
                .collect();
        }
        if line.starts_with("\\d ") {
            return shared
                .tables
                .iter()
                .filter(|t| matches(t))
                .cloned()
                .collect();
        }
        if line.starts_with("\\c ") {
            return shared
                .connections
                .iter()
                .filter(|t| matches(t))
                .cloned()
                .collect();
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
        let mut out: Vec<String> = shared
            .tables
            .iter()
            .filter(|t| matches(t))
            .cloned()
            .collect();
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
        _ctx: &rustyline::Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
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

impl Highlighter for ReplHelper {}

impl Validator for ReplHelper {
    fn validate(&self, ctx: &mut ValidationContext<'_>) -> rustyline::Result<ValidationResult> {
        let input = ctx.input();
        let t = input.trim();
        if t.is_empty() || t.starts_with('\\') || self.shared.borrow().confirming {
            return Ok(ValidationResult::Valid(None));
        }
        if self.shared.borrow().sql_mode {
            return Ok(if t.ends_with(';') {
                ValidationResult::Valid(None)
            } else {
                ValidationResult::Incomplete
            });
        }
        Ok(match self.engine.compile(input) {
            Ok(_) => ValidationResult::Valid(None),
            Err(e) => {
                let at_end = e
                    .position()
                    .line()
                    .is_none_or(|l| l >= input.lines().count());
                match e.err_type() {
                    ParseErrorType::UnexpectedEOF => ValidationResult::Incomplete,
                    ParseErrorType::MissingToken(..) if at_end => ValidationResult::Incomplete,
                    ParseErrorType::BadInput(le)
                        if at_end && le.to_string().contains("not terminated") =>
                    {
                        ValidationResult::Incomplete
                    }
                    // Other errors are reported when the input is evaluated.
                    _ => ValidationResult::Valid(None),
                }
            }
        })
    }
}

impl Helper for ReplHelper {}
