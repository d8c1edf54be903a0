//! The backslash commands: one table drives dispatch, `\?` and their completion.

use super::{actions, catalog, copy, settings, Next, Repl, Rl};
use myrmex_core::CatalogKind;

/// One backslash command.
pub struct MetaCommand {
    /// Its names; the first is the one shown in help. Names starting with `.` are the sqlite3
    /// commands accepted for the same thing.
    pub names: &'static [&'static str],
    /// How it is called, for help.
    pub usage: &'static str,
    /// One line of help.
    pub help: &'static str,
    /// What TAB offers for its argument.
    pub args: Args,
    /// What runs it, with the argument text after the command name.
    pub run: fn(&mut Repl, &str, &mut Rl) -> Next,
}

/// What a command's argument completes to.
#[derive(Clone, Copy)]
pub enum Args {
    /// Nothing.
    None,
    /// One of these words.
    Words(&'static [&'static str]),
    /// A table of the current connection.
    Table,
    /// A connection of the config file.
    Connection,
    /// A file name.
    File,
}

/// Every backslash command, in the order `\?` lists them.
pub const COMMANDS: &[MetaCommand] = &[
    MetaCommand {
        names: &["\\c", "\\connect"],
        usage: "\\c NAME|URL",
        help: "connect to a config connection or URL (becomes `db`)",
        args: Args::Connection,
        run: |r, a, _| catalog::connect(r, a),
    },
    MetaCommand {
        names: &["\\conninfo"],
        usage: "\\conninfo",
        help: "show the connection: name, URL (no password), server version",
        args: Args::None,
        run: |r, _, _| catalog::conninfo(r),
    },
    MetaCommand {
        names: &["\\l", "\\list", ".databases"],
        usage: "\\l [PATTERN]",
        help: "list databases (SQLite: the attached database files)",
        args: Args::None,
        run: |r, a, _| catalog::list(r, "\\l", CatalogKind::DATABASES, a),
    },
    MetaCommand {
        names: &["\\dn"],
        usage: "\\dn [PATTERN]",
        help: "list schemas",
        args: Args::None,
        run: |r, a, _| catalog::list(r, "\\dn", CatalogKind::SCHEMAS, a),
    },
    MetaCommand {
        names: &["\\dt", ".tables"],
        usage: "\\dt [PATTERN]",
        help: "list tables and views (PATTERN: names with * and ?, as app*)",
        args: Args::Table,
        run: |r, a, _| catalog::list_tables(r, a),
    },
    MetaCommand {
        names: &["\\dv"],
        usage: "\\dv [PATTERN]",
        help: "list views",
        args: Args::None,
        run: |r, a, _| catalog::list(r, "\\dv", CatalogKind::VIEWS, a),
    },
    MetaCommand {
        names: &["\\di"],
        usage: "\\di [PATTERN]",
        help: "list indexes",
        args: Args::None,
        run: |r, a, _| catalog::list(r, "\\di", CatalogKind::INDEXES, a),
    },
    MetaCommand {
        names: &[".indexes", ".indices"],
        usage: ".indexes [TABLE]",
        help: "list indexes, of TABLE only when given",
        args: Args::Table,
        run: |r, a, _| catalog::indexes_of(r, a),
    },
    MetaCommand {
        names: &["\\df"],
        usage: "\\df [PATTERN]",
        help: "list functions and procedures",
        args: Args::None,
        run: |r, a, _| catalog::list(r, "\\df", CatalogKind::FUNCTIONS, a),
    },
    MetaCommand {
        names: &["\\du", "\\dg"],
        usage: "\\du [PATTERN]",
        help: "list roles and users",
        args: Args::None,
        run: |r, a, _| catalog::list(r, "\\du", CatalogKind::ROLES, a),
    },
    MetaCommand {
        names: &["\\ds"],
        usage: "\\ds [PATTERN]",
        help: "list sequences",
        args: Args::None,
        run: |r, a, _| catalog::list(r, "\\ds", CatalogKind::SEQUENCES, a),
    },
    MetaCommand {
        names: &["\\d", ".schema"],
        usage: "\\d [TABLE]",
        help: "describe a table (no argument: list tables)",
        args: Args::Table,
        run: |r, a, _| catalog::describe(r, a),
    },
    MetaCommand {
        names: &["\\sql"],
        usage: "\\sql",
        help: "toggle SQL mode (lines go to the current connection)",
        args: Args::None,
        run: |r, _, _| settings::sql_mode(r),
    },
    MetaCommand {
        names: &["\\x"],
        usage: "\\x [on|off|auto]",
        help: "expanded display (auto: when a table is wider than the screen)",
        args: Args::Words(&["on", "off", "auto"]),
        run: |r, a, _| settings::expanded(r, a),
    },
    MetaCommand {
        names: &["\\timing", ".timer"],
        usage: "\\timing [on|off]",
        help: "print the time each statement took",
        args: Args::Words(ON_OFF),
        run: |r, a, _| settings::timing(r, a),
    },
    MetaCommand {
        names: &["\\format", ".mode"],
        usage: "\\format [FORMAT]",
        help: "output format of results: table (aligned), csv, tsv, json, jsonl, markdown",
        args: Args::Words(settings::FORMATS),
        run: |r, a, _| settings::format(r, a),
    },
    MetaCommand {
        names: &["\\pager"],
        usage: "\\pager [on|off]",
        help: "page results taller than the screen ($PAGER, or less -SRXF)",
        args: Args::Words(ON_OFF),
        run: |r, a, _| settings::pager(r, a),
    },
    MetaCommand {
        names: &["\\set"],
        usage: "\\set [highlight on|off]",
        help: "show the settings, or colour what is typed (highlight) or not",
        args: Args::Words(&["highlight"]),
        run: |r, a, _| settings::set(r, a),
    },
    MetaCommand {
        names: &["\\o", "\\out", ".output"],
        usage: "\\o [FILE]",
        help: "send results to FILE (no argument: back to the screen)",
        args: Args::File,
        run: |r, a, _| settings::output(r, a),
    },
    MetaCommand {
        names: &["\\i", "\\include", ".read"],
        usage: "\\i FILE",
        help: "run a file (SQL in SQL mode, Rhai otherwise)",
        args: Args::File,
        run: actions::include,
    },
    MetaCommand {
        names: &["\\copy"],
        usage: "\\copy TABLE [(COLS)] FROM|TO 'FILE' [CSV] [HEADER]",
        help: "copy a table (or TO: a (query)) to or from a file, as psql's \\copy",
        args: Args::File,
        run: |r, a, _| copy::copy(r, a),
    },
    MetaCommand {
        names: &[".import"],
        usage: ".import [--skip 1] FILE TABLE",
        help: "load a CSV file into a table (\\copy TABLE FROM 'FILE' CSV)",
        args: Args::File,
        run: |r, a, _| copy::import(r, a),
    },
    MetaCommand {
        names: &["\\e", "\\edit"],
        usage: "\\e",
        help: "edit the last statement in $EDITOR, then run it",
        args: Args::None,
        run: actions::edit,
    },
    MetaCommand {
        names: &["\\watch"],
        usage: "\\watch [SECONDS]",
        help: "run the last statement again every SECONDS (2) until Ctrl-C",
        args: Args::None,
        run: actions::watch,
    },
    MetaCommand {
        names: &["\\plugins"],
        usage: "\\plugins",
        help: "list loaded plugins",
        args: Args::None,
        run: |r, _, _| catalog::plugins(r),
    },
    MetaCommand {
        names: &["\\?", "\\help", "\\h", ".help"],
        usage: "\\?",
        help: "this help",
        args: Args::None,
        run: |_, _, _| help(),
    },
    MetaCommand {
        names: &["\\q", "\\quit", ".quit", ".exit"],
        usage: "\\q",
        help: "quit (also `exit` or `quit` on a line of their own)",
        args: Args::None,
        run: |_, _, _| Next::Quit,
    },
];

const ON_OFF: &[&str] = &["on", "off"];

/// The command called `name`, if any.
pub fn find(name: &str) -> Option<&'static MetaCommand> {
    COMMANDS.iter().find(|c| c.names.contains(&name))
}

/// Every command name, for completion.
pub fn names() -> impl Iterator<Item = &'static str> {
    COMMANDS.iter().flat_map(|c| c.names.iter().copied())
}

/// True when `line` is a backslash command, or starts with the name of a sqlite3 command
/// this table accepts (`.tables`, `.quit`).
pub fn is_command(line: &str) -> bool {
    line.starts_with('\\')
        || (line.starts_with('.') && find(line.split_whitespace().next().unwrap_or("")).is_some())
}

/// Runs the backslash command on `line`.
pub fn dispatch(repl: &mut Repl, line: &str, rl: &mut Rl) -> Next {
    let (cmd, arg) = line
        .split_once(char::is_whitespace)
        .map_or((line, ""), |(c, a)| (c, a.trim()));
    match find(cmd) {
        Some(c) => (c.run)(repl, arg, rl),
        None => {
            eprintln!("invalid command {cmd}; \\? lists them");
            Next::Continue
        }
    }
}

fn help() -> Next {
    println!("Backslash commands:");
    let width = COMMANDS.iter().map(|c| c.usage.len()).max().unwrap_or(0);
    for c in COMMANDS {
        let dots: Vec<&str> = c
            .names
            .iter()
            .copied()
            .filter(|n| n.starts_with('.'))
            .collect();
        if dots.is_empty() || c.usage.starts_with('.') {
            println!("  {:width$}  {}", c.usage, c.help);
        } else {
            println!(
                "  {:width$}  {} (sqlite3: {})",
                c.usage,
                c.help,
                dots.join(", ")
            );
        }
    }
    println!("Anything else is Rhai (or SQL in \\sql mode). `db` is the current connection:");
    println!("  db.query(\"SELECT * FROM t WHERE id = ?\", [1])   db.execute(sql, [params])   db.tables()");
    println!(
        "TAB completes commands, functions, tables and columns. Every function: docs/rhai-api.md"
    );
    Next::Continue
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_backslashed_or_dotted() {
        let all: Vec<&str> = names().collect();
        for n in &all {
            assert!(n.starts_with('\\') || n.starts_with('.'), "{n}");
            assert_eq!(all.iter().filter(|m| *m == n).count(), 1, "{n}");
        }
        assert!(find("\\conninfo").is_some());
        assert!(find("\\nope").is_none());
        assert!(is_command(".tables") && is_command(".schema t") && is_command("\\nope"));
        assert!(is_command(".indexes t") && is_command(".import f.csv t"));
        assert!(!is_command(".5 + 1") && !is_command("db.tables()"));
    }
}
