//! The backslash commands: one table drives dispatch, `\?` and their completion.

use super::{actions, catalog, settings, Next, Repl, Rl};

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
        names: &["\\dt", ".tables"],
        usage: "\\dt",
        help: "list tables and views",
        args: Args::None,
        run: |r, _, _| catalog::list_tables(r),
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
        usage: "\\format table|csv|json",
        help: "set the output format of results",
        args: Args::Words(&["table", "csv", "json"]),
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
        if dots.is_empty() {
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
        assert!(!is_command(".5 + 1") && !is_command("db.tables()"));
    }
}
