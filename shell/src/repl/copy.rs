//! `\copy` (psql's client-side copy) and sqlite3's `.import`: a table or query to a file
//! through the export path, a file into a table through batched inserts in one transaction.

use super::{Next, Repl};
use crate::engine::copy_in::{self, Load};
use crate::engine::copy_out;
use crate::engine::copy_read::Syntax;
use std::path::PathBuf;

/// What is copied.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Source {
    /// A table, with the columns named (all when `None`).
    Table {
        name: String,
        columns: Option<Vec<String>>,
    },
    /// The rows of a query (`TO` only).
    Query(String),
}

/// Where the rows go or come from.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Place {
    File(PathBuf),
    Stdout,
    Stdin,
}

/// A parsed `\copy` command.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Copy {
    source: Source,
    from: bool,
    place: Place,
    syntax: Syntax,
    header: bool,
    null: Option<String>,
}

/// The options `\copy` understands, for messages.
const KNOWN_OPTIONS: &str = "FORMAT csv|text, CSV, HEADER, NULL 'text'";

/// `\copy TABLE [(cols)] FROM|TO 'file' [WITH] [(FORMAT csv|text, HEADER, NULL '…')]`, and
/// `\copy (query) TO 'file' …`; prints `COPY n` as psql does.
pub fn copy(repl: &mut Repl, arg: &str) -> Next {
    match parse(arg) {
        Ok(c) => run(repl, &c),
        Err(e) => eprintln!("\\copy: {e}"),
    }
    Next::Continue
}

/// sqlite3's `.import [--csv] [--skip 1] FILE TABLE`: every line of the CSV file FILE is a
/// row of the existing table TABLE (`--skip N` skips the first line, a header).
pub fn import(repl: &mut Repl, arg: &str) -> Next {
    let mut header = false;
    let mut words = Vec::new();
    let mut parts = arg.split_whitespace();
    while let Some(w) = parts.next() {
        match w {
            "--csv" => {}
            "--skip" => match parts.next() {
                Some("0") => header = false,
                Some("1") => header = true,
                other => {
                    eprintln!(
                        ".import: --skip takes 0 or 1 (a header line), not {}",
                        other.unwrap_or("nothing")
                    );
                    return Next::Continue;
                }
            },
            w if w.starts_with("--") => {
                eprintln!(".import: option {w} is not supported (known: --csv, --skip 1)");
                return Next::Continue;
            }
            w => words.push(w),
        }
    }
    let [file, table] = words.as_slice() else {
        eprintln!(".import needs a file and a table: .import [--skip 1] FILE TABLE");
        return Next::Continue;
    };
    run(
        repl,
        &Copy {
            source: Source::Table {
                name: (*table).to_string(),
                columns: None,
            },
            from: true,
            place: Place::File(PathBuf::from(file)),
            syntax: Syntax::Csv,
            header,
            null: None,
        },
    );
    Next::Continue
}

fn run(repl: &mut Repl, c: &Copy) {
    let Some(db) = repl.current() else {
        eprintln!("not connected (\\c NAME|URL)");
        return;
    };
    let _watchdog = repl.ctx.start_clock();
    let result = if c.from {
        let Place::File(path) = &c.place else {
            eprintln!(
                "\\copy: FROM needs a file name (myrmex does not read rows from the terminal)"
            );
            return;
        };
        let Source::Table { name, columns } = &c.source else {
            eprintln!("\\copy: a query can only be copied TO a file");
            return;
        };
        let load = Load {
            table: name.clone(),
            columns: columns.clone(),
            path: path.clone(),
            syntax: c.syntax,
            header: c.header,
            null: c.null.clone(),
        };
        db.with(|conn| Ok(copy_in::load(conn, &load)))
            .map_err(|e| e.to_string())
            .and_then(|r| r.map_err(|e| format!("{e}; nothing was copied")))
    } else {
        let sql = match &c.source {
            Source::Query(q) => q.clone(),
            Source::Table { name, columns } => format!(
                "SELECT {} FROM {name}",
                columns.as_ref().map_or("*".to_string(), |c| c.join(", "))
            ),
        };
        let path = match &c.place {
            Place::File(p) => p.display().to_string(),
            Place::Stdout => "-".to_string(),
            Place::Stdin => {
                eprintln!("\\copy: TO needs a file name or STDOUT");
                return;
            }
        };
        let options = copy_out::Options {
            format: match c.syntax {
                Syntax::Csv => copy_out::Format::Csv,
                Syntax::Text => copy_out::Format::Text,
            },
            header: c.header,
            null: c.null.clone(),
        };
        copy_out::copy_out(&db, &sql, &[], &path, &options)
            .map(|n| n.unsigned_abs())
            .map_err(|e| e.to_string())
    };
    match result {
        Ok(n) => repl.emit(&format!("COPY {n}\n")),
        Err(e) => eprintln!(
            "\\copy: {}",
            e.trim_start_matches("Runtime error: ")
                .trim_start_matches("copy_out to ")
        ),
    }
}

/// Reads the text of a `\copy` command.
struct Scanner<'a> {
    rest: &'a str,
}

impl<'a> Scanner<'a> {
    fn skip_space(&mut self) {
        self.rest = self.rest.trim_start();
    }

    fn peek(&self) -> Option<char> {
        self.rest.chars().next()
    }

    /// Text up to the `)` closing the `(` the scanner is at, quotes respected; the scanner
    /// moves past the `)`.
    fn parenthesized(&mut self) -> Result<&'a str, String> {
        let mut depth = 0usize;
        let mut quote: Option<char> = None;
        for (i, c) in self.rest.char_indices() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '\'' | '"' | '`') => quote = Some(c),
                (None, '(') => depth += 1,
                (None, ')') => {
                    depth -= 1;
                    if depth == 0 {
                        let inner = &self.rest[1..i];
                        self.rest = &self.rest[i + 1..];
                        return Ok(inner);
                    }
                }
                _ => {}
            }
        }
        Err("a parenthesis is not closed".into())
    }

    /// A name as typed, quoted parts included (`public."My Table"`), up to a space or `(`.
    fn name(&mut self) -> &'a str {
        let mut quote: Option<char> = None;
        let mut end = self.rest.len();
        for (i, c) in self.rest.char_indices() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '"' | '`') => quote = Some(c),
                (None, c) if c.is_whitespace() || c == '(' => {
                    end = i;
                    break;
                }
                _ => {}
            }
        }
        let (name, rest) = self.rest.split_at(end);
        self.rest = rest;
        name
    }

    /// A `'…'` string (`''` is a quote), or a word up to the next space, `(` or `,`.
    fn token(&mut self) -> Option<Token> {
        self.skip_space();
        let c = self.peek()?;
        if c == '\'' {
            let mut out = String::new();
            let mut chars = self.rest.char_indices().skip(1).peekable();
            while let Some((i, c)) = chars.next() {
                if c == '\'' {
                    if chars.peek().is_some_and(|(_, d)| *d == '\'') {
                        chars.next();
                        out.push('\'');
                        continue;
                    }
                    self.rest = &self.rest[i + 1..];
                    return Some(Token::Quoted(out));
                }
                out.push(c);
            }
            self.rest = "";
            return Some(Token::Unterminated);
        }
        if matches!(c, '(' | ')' | ',') {
            self.rest = &self.rest[1..];
            return Some(Token::Punct);
        }
        let end = self
            .rest
            .find(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | ','))
            .unwrap_or(self.rest.len());
        let (word, rest) = self.rest.split_at(end);
        self.rest = rest;
        Some(Token::Word(word.to_string()))
    }
}

#[derive(Debug, PartialEq)]
enum Token {
    Word(String),
    Quoted(String),
    Punct,
    Unterminated,
}

/// Splits a column list at its top-level commas.
fn column_list(inner: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut quote: Option<char> = None;
    let mut current = String::new();
    for c in inner.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => {
                quote = None;
                current.push(c);
            }
            (None, '"' | '`') => {
                quote = Some(c);
                current.push(c);
            }
            (None, ',') => out.push(std::mem::take(&mut current).trim().to_string()),
            _ => current.push(c),
        }
    }
    out.push(current.trim().to_string());
    out.retain(|c| !c.is_empty());
    out
}

fn parse(arg: &str) -> Result<Copy, String> {
    const USAGE: &str =
        "usage: \\copy TABLE [(COLUMNS)] FROM|TO 'FILE' [WITH] [(FORMAT csv, HEADER, NULL '')]";
    let mut s = Scanner { rest: arg.trim() };
    let source = if s.peek() == Some('(') {
        Source::Query(s.parenthesized()?.trim().to_string())
    } else {
        let name = s.name();
        if name.is_empty() {
            return Err(USAGE.into());
        }
        s.skip_space();
        let columns = if s.peek() == Some('(') {
            Some(column_list(s.parenthesized()?))
        } else {
            None
        };
        Source::Table {
            name: name.to_string(),
            columns,
        }
    };
    let from = match s.token() {
        Some(Token::Word(w)) if w.eq_ignore_ascii_case("from") => true,
        Some(Token::Word(w)) if w.eq_ignore_ascii_case("to") => false,
        _ => return Err(format!("FROM or TO expected; {USAGE}")),
    };
    let place = match s.token() {
        Some(Token::Quoted(f)) => Place::File(PathBuf::from(f)),
        Some(Token::Word(w)) if w.eq_ignore_ascii_case("stdin") => Place::Stdin,
        Some(Token::Word(w)) if w.eq_ignore_ascii_case("stdout") => Place::Stdout,
        Some(Token::Word(w)) if w.eq_ignore_ascii_case("program") => {
            return Err("PROGRAM is not supported: name a file".into())
        }
        Some(Token::Word(w)) => Place::File(PathBuf::from(w)),
        Some(Token::Unterminated) => return Err("a quoted string is not closed".into()),
        _ => return Err(format!("a file name expected; {USAGE}")),
    };
    let mut copy = Copy {
        source,
        from,
        place,
        syntax: Syntax::Text,
        header: false,
        null: None,
    };
    let mut tokens = Vec::new();
    while let Some(t) = s.token() {
        match t {
            Token::Punct => {}
            Token::Unterminated => return Err("a quoted string is not closed".into()),
            t => tokens.push(t),
        }
    }
    let mut tokens = tokens.into_iter().peekable();
    while let Some(t) = tokens.next() {
        let Token::Word(w) = t else {
            return Err(format!("unexpected {t:?}; options: {KNOWN_OPTIONS}"));
        };
        match w.to_ascii_lowercase().as_str() {
            "with" => {}
            "csv" => copy.syntax = Syntax::Csv,
            "text" => copy.syntax = Syntax::Text,
            "format" => match tokens.next() {
                Some(Token::Word(f)) if f.eq_ignore_ascii_case("csv") => copy.syntax = Syntax::Csv,
                Some(Token::Word(f)) if f.eq_ignore_ascii_case("text") => {
                    copy.syntax = Syntax::Text
                }
                other => {
                    return Err(format!(
                        "FORMAT {} is not supported (csv or text)",
                        describe(other.as_ref())
                    ))
                }
            },
            "header" => {
                copy.header = true;
                let value = match tokens.peek() {
                    Some(Token::Word(v)) => Some(v.to_ascii_lowercase()),
                    _ => None,
                };
                match value.as_deref() {
                    Some("true" | "on" | "1") => {
                        tokens.next();
                    }
                    Some("false" | "off" | "0") => {
                        tokens.next();
                        copy.header = false;
                    }
                    _ => {}
                }
            }
            "null" => {
                if matches!(tokens.peek(), Some(Token::Word(a)) if a.eq_ignore_ascii_case("as")) {
                    tokens.next();
                }
                match tokens.next() {
                    Some(Token::Quoted(n)) => copy.null = Some(n),
                    other => {
                        return Err(format!(
                            "NULL takes a quoted string ('' or '\\N'), not {}",
                            describe(other.as_ref())
                        ))
                    }
                }
            }
            other => {
                return Err(format!(
                    "option {} is not supported (options: {KNOWN_OPTIONS})",
                    other.to_ascii_uppercase()
                ))
            }
        }
    }
    Ok(copy)
}

fn describe(t: Option<&Token>) -> String {
    match t {
        Some(Token::Word(w)) => w.clone(),
        Some(Token::Quoted(q)) => format!("'{q}'"),
        _ => "nothing".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn psql_forms_are_understood() {
        let c = parse("items (id, \"Note, long\") FROM 'a b.csv' WITH CSV HEADER").unwrap();
        assert_eq!(
            c.source,
            Source::Table {
                name: "items".into(),
                columns: Some(vec!["id".into(), "\"Note, long\"".into()])
            }
        );
        assert!(c.from && c.header && c.syntax == Syntax::Csv);
        assert_eq!(c.place, Place::File("a b.csv".into()));
        let c =
            parse("public.\"My T\" to out.txt (FORMAT csv, HEADER false, NULL 'x''y')").unwrap();
        assert_eq!(
            c.source,
            Source::Table {
                name: "public.\"My T\"".into(),
                columns: None
            }
        );
        assert!(!c.from && !c.header && c.syntax == Syntax::Csv);
        assert_eq!(c.null.as_deref(), Some("x'y"));
        let c = parse("(SELECT ')' AS p FROM t) TO stdout").unwrap();
        assert_eq!(c.source, Source::Query("SELECT ')' AS p FROM t".into()));
        assert_eq!((c.place, c.syntax), (Place::Stdout, Syntax::Text));
    }

    #[test]
    fn mistakes_are_named() {
        assert!(parse("").unwrap_err().starts_with("usage"));
        assert!(parse("t INTO 'f'").unwrap_err().starts_with("FROM or TO"));
        assert!(parse("t FROM 'f' DELIMITER ';'")
            .unwrap_err()
            .contains("option DELIMITER is not supported"));
        assert_eq!(
            parse("t FROM 'f").unwrap_err(),
            "a quoted string is not closed"
        );
        assert!(parse("(SELECT 1 TO 'f'")
            .unwrap_err()
            .contains("parenthesis"));
        assert!(parse("t FROM 'f' NULL x")
            .unwrap_err()
            .contains("quoted string"));
    }
}
