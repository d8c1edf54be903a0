//! Backslash commands of the REPL.

use super::helper::META_COMMANDS;
use super::{Next, Repl};
use crate::engine::conn::{Db, Handle};
use crate::output::{Format, Tabular};
use myrmex_core::DatabaseConnection;
use rhai::Dynamic;

pub(super) fn run(repl: &mut Repl, line: &str) -> Next {
    let (cmd, arg) = line
        .split_once(char::is_whitespace)
        .map_or((line, ""), |(c, a)| (c, a.trim()));
    match cmd {
        "\\q" | "\\quit" => return Next::Quit,
        "\\help" | "\\?" | "\\h" => help(),
        "\\sql" => {
            let mut s = repl.shared.borrow_mut();
            s.sql_mode = !s.sql_mode;
            println!(
                "SQL mode is {} (statements end with ;)",
                if s.sql_mode { "on" } else { "off" }
            );
        }
        "\\x" => {
            repl.expanded = !repl.expanded;
            println!(
                "Expanded display is {}.",
                if repl.expanded { "on" } else { "off" }
            );
        }
        "\\timing" => {
            repl.timing = !repl.timing;
            println!("Timing is {}.", if repl.timing { "on" } else { "off" });
        }
        "\\format" => match arg {
            "table" => repl.format = Format::Table,
            "json" => repl.format = Format::Json,
            "csv" => repl.format = Format::Csv,
            _ => eprintln!("\\format takes table, json or csv"),
        },
        "\\c" | "\\connect" => connect(repl, arg),
        "\\conninfo" => match repl.current() {
            Some(db) => println!("{}", db.describe_self()),
            None => println!("not connected"),
        },
        "\\dt" => list_tables(repl),
        "\\d" if arg.is_empty() => list_tables(repl),
        "\\d" => describe(repl, arg),
        "\\plugins" => {
            let maps = crate::engine::plugins::plugin_maps(&repl.ctx);
            print!("{}", crate::plugins_table(&maps, repl.format));
            for r in repl.ctx.registry.refusals() {
                eprintln!("refused: {r}");
            }
        }
        other => eprintln!("unknown command {other}; \\help lists them"),
    }
    Next::Continue
}

fn help() {
    println!("Backslash commands:");
    for (_, h) in META_COMMANDS {
        println!("  {h}");
    }
    println!("Anything else is Rhai (or SQL in \\sql mode). `db` is the current connection:");
    println!("  db.query(\"SELECT * FROM t WHERE id = ?\", [1])   db.execute(sql, [params])   db.tables()");
    println!("TAB completes functions and table names. Every function: docs/rhai-api.md");
}

fn connect(repl: &mut Repl, arg: &str) {
    if arg.is_empty() {
        eprintln!("\\c needs a connection name or URL");
        return;
    }
    let conn = match repl
        .ctx
        .config
        .as_ref()
        .filter(|c| c.connections.contains_key(arg))
    {
        Some(config) => config.connection(arg),
        None if arg.contains(':') => DatabaseConnection::from_url(url_name(arg), arg),
        None => {
            let known = repl.shared.borrow().connections.join(", ");
            eprintln!(
                "no connection named `{arg}` in the config (known: {}); give a URL instead",
                if known.is_empty() { "none" } else { &known }
            );
            return;
        }
    };
    let result = conn
        .map_err(|e| e.to_string())
        .and_then(|c| crate::engine::conn::open(&repl.ctx, c));
    match result {
        Ok(c) => {
            println!("connected to {c}");
            repl.set_current(Db::new(Handle::Owned(c)));
        }
        Err(e) => eprintln!("error: {e}"),
    }
}

fn url_name(url: &str) -> String {
    DatabaseConnection::from_url("", url)
        .ok()
        .map(|c| {
            let base = if c.db_type == "sqlite" {
                std::path::Path::new(&c.database)
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default()
            } else {
                c.database.clone()
            };
            let base = base.trim_matches(':').to_string();
            if base.is_empty() {
                c.db_type.clone()
            } else {
                base
            }
        })
        .unwrap_or_else(|| "db".into())
}

fn list_tables(repl: &mut Repl) {
    let Some(db) = repl.current() else {
        eprintln!("not connected (\\c NAME|URL)");
        return;
    };
    match db.with(|c| c.tables()) {
        Ok(tables) => {
            let t = Tabular {
                columns: vec!["Schema".into(), "Name".into(), "Type".into()],
                rows: tables
                    .iter()
                    .map(|t| {
                        vec![
                            Dynamic::from(t.schema.to_string()),
                            Dynamic::from(t.name.to_string()),
                            Dynamic::from(format!("{:?}", t.kind).to_lowercase()),
                        ]
                    })
                    .collect(),
            };
            print!("{}", t.render(repl.format, false));
        }
        Err(e) => eprintln!(
            "error: {}",
            e.to_string().trim_start_matches("Runtime error: ")
        ),
    }
}

fn describe(repl: &mut Repl, table: &str) {
    let Some(db) = repl.current() else {
        eprintln!("not connected (\\c NAME|URL)");
        return;
    };
    let d = match db.with(|c| c.describe(table)) {
        Ok(d) => d,
        Err(e) => {
            eprintln!(
                "error: {}",
                e.to_string().trim_start_matches("Runtime error: ")
            );
            return;
        }
    };
    println!(
        "{} \"{}.{}\"",
        if d.kind == myrmex_abi::TableKind::View {
            "View"
        } else {
            "Table"
        },
        d.schema,
        d.name
    );
    let t = Tabular {
        columns: vec![
            "Column".into(),
            "Type".into(),
            "Nullable".into(),
            "Default".into(),
        ],
        rows: d
            .columns
            .iter()
            .map(|c| {
                vec![
                    Dynamic::from(c.name.to_string()),
                    Dynamic::from(c.decl_type.to_string()),
                    Dynamic::from(if c.nullable { "" } else { "not null" }.to_string()),
                    c.default
                        .as_ref()
                        .map(|s| Dynamic::from(s.to_string()))
                        .unwrap_or(Dynamic::UNIT),
                ]
            })
            .collect(),
    };
    let rendered = t.render(Format::Table, false);
    // Drop the row count footer for \d, like psql.
    print!(
        "{}",
        rendered
            .rsplit_once("(")
            .map_or(rendered.as_str(), |(head, _)| head)
    );
    if !d.primary_key.is_empty() {
        println!(
            "Primary key: ({})",
            d.primary_key
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if !d.indexes.is_empty() {
        println!("Indexes:");
        for i in d.indexes.iter() {
            let kind = if i.primary {
                " PRIMARY KEY"
            } else if i.unique {
                " UNIQUE"
            } else {
                ""
            };
            let pred = i
                .predicate
                .as_ref()
                .map(|p| format!(" WHERE {p}"))
                .into_option()
                .unwrap_or_default();
            println!(
                "    \"{}\"{kind} ({}){pred}",
                i.name,
                i.columns
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    if !d.foreign_keys.is_empty() {
        println!("Foreign keys:");
        for f in d.foreign_keys.iter() {
            println!(
                "    ({}) REFERENCES {}({}) ON UPDATE {} ON DELETE {}",
                f.columns
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                f.ref_table,
                f.ref_columns
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                f.on_update,
                f.on_delete
            );
        }
    }
}
