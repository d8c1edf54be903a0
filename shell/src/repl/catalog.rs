//! Backslash commands about connections and the catalog: `\\c`, `\\conninfo`, `\\dt`, `\\d`,
//! `\\l`, `\\dn`, `\\dv`, `\\di`, `\\df`, `\\du`, `\\ds`, `\\plugins`.

use super::{Next, Repl};
use crate::engine::conn::{Db, Handle};
use crate::output::{Format, Tabular};
use crate::sql_input::result_table;
use myrmex_core::{CatalogKind, DatabaseConnection, ErrorKind};
use rhai::Dynamic;
use std::fmt::Write;

/// `\\conninfo`: the connection's name, URL (without its password) and server version.
pub fn conninfo(repl: &mut Repl) -> Next {
    let Some(db) = repl.current() else {
        println!("You are not connected (\\c NAME|URL).");
        return Next::Continue;
    };
    let name = db.name();
    match db.with(|c| Ok((c.url(), c.server_info()))) {
        Ok((url, Ok(info))) => println!(
            "You are connected to {name} ({url}), {} {}.",
            info.engine, info.version
        ),
        Ok((url, Err(e))) => {
            println!("You are connected to {name} ({url}); server version unknown: {e}")
        }
        Err(e) => eprintln!(
            "error: {}",
            e.to_string().trim_start_matches("Runtime error: ")
        ),
    }
    Next::Continue
}

/// `\\plugins`: the loaded plugins, and the ones refused.
pub fn plugins(repl: &mut Repl) -> Next {
    let maps = crate::engine::plugins::plugin_maps(&repl.ctx);
    repl.emit(&crate::plugins_table(&maps, repl.format));
    for r in repl.ctx.registry.refusals() {
        eprintln!("refused: {r}");
    }
    Next::Continue
}

/// `\\c NAME|URL`: connects and makes the connection `db`.
pub fn connect(repl: &mut Repl, arg: &str) -> Next {
    if arg.is_empty() {
        eprintln!("\\c needs a connection name or URL");
        return Next::Continue;
    }
    let conn = match repl
        .ctx
        .config
        .as_ref()
        .filter(|c| c.connections.contains_key(arg))
    {
        Some(config) => config.connection(arg),
        None if arg.contains(':') => DatabaseConnection::from_url("", arg).map(|mut c| {
            c.name = crate::engine::conn::default_name(&c);
            c
        }),
        None => {
            let known = repl.shared.borrow().connections.join(", ");
            eprintln!(
                "no connection named `{arg}` in the config (known: {}); give a URL instead",
                if known.is_empty() { "none" } else { &known }
            );
            return Next::Continue;
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
    Next::Continue
}

/// `\\l`, `\\dn`, `\\dv`, `\\di`, `\\df`, `\\du`, `\\ds`: the catalog objects of `kind` whose
/// names match `pattern` (`*` and `?`; empty: all), as the driver lists them, printed like
/// query results. A kind the engine does not have is one line saying so, not an error.
pub fn list(repl: &mut Repl, command: &str, kind: CatalogKind, pattern: &str) -> Next {
    let Some(db) = repl.current() else {
        eprintln!("not connected (\\c NAME|URL)");
        return Next::Continue;
    };
    match db.with(|c| Ok(c.catalog(kind, pattern))) {
        Ok(Ok(rs)) => {
            let table = result_table(&rs);
            let text = repl.render_table(&table);
            repl.emit(&text);
        }
        Ok(Err(e)) => match e
            .plugin_error()
            .filter(|p| p.kind == ErrorKind::UNSUPPORTED)
        {
            Some(p) => println!("{command}: {}", p.message),
            None => eprintln!("error: {e}"),
        },
        Err(e) => eprintln!(
            "error: {}",
            e.to_string().trim_start_matches("Runtime error: ")
        ),
    }
    Next::Continue
}

/// sqlite3's `.indexes [TABLE]`: the indexes (of TABLE only, when given: the rows whose
/// `table` column names it).
pub fn indexes_of(repl: &mut Repl, table: &str) -> Next {
    if table.is_empty() {
        return list(repl, ".indexes", CatalogKind::INDEXES, "");
    }
    let Some(db) = repl.current() else {
        eprintln!("not connected (\\c NAME|URL)");
        return Next::Continue;
    };
    let rs = match db.with(|c| Ok(c.catalog(CatalogKind::INDEXES, ""))) {
        Ok(Ok(rs)) => rs,
        Ok(Err(e)) => {
            match e
                .plugin_error()
                .filter(|p| p.kind == ErrorKind::UNSUPPORTED)
            {
                Some(p) => println!(".indexes: {}", p.message),
                None => eprintln!("error: {e}"),
            }
            return Next::Continue;
        }
        Err(e) => {
            eprintln!(
                "error: {}",
                e.to_string().trim_start_matches("Runtime error: ")
            );
            return Next::Continue;
        }
    };
    let mut t = result_table(&rs);
    let Some(col) = t.columns.iter().position(|c| {
        ["table", "table_name", "tbl_name"].contains(&c.to_ascii_lowercase().as_str())
    }) else {
        eprintln!(".indexes: the index list of this engine has no `table` column to filter on");
        return Next::Continue;
    };
    let wanted = crate::engine::copy_in::unquote(table);
    t.rows.retain(|r| {
        let name = crate::output::cell(&r[col]);
        name.eq_ignore_ascii_case(&wanted)
            || name
                .rsplit_once('.')
                .is_some_and(|(_, n)| n.eq_ignore_ascii_case(&wanted))
    });
    let text = repl.render_table(&t);
    repl.emit(&text);
    Next::Continue
}

/// True when `name` matches `pattern`: `*` any text, `?` one character, letters in either
/// case; a pattern holding a `.` is matched against `schema.name`.
fn glob(pattern: &str, schema: &str, name: &str) -> bool {
    fn matches(p: &[char], s: &[char]) -> bool {
        match p.split_first() {
            None => s.is_empty(),
            Some(('*', rest)) => (0..=s.len()).any(|i| matches(rest, &s[i..])),
            Some(('?', rest)) => !s.is_empty() && matches(rest, &s[1..]),
            Some((c, rest)) => s
                .split_first()
                .is_some_and(|(d, tail)| c.eq_ignore_ascii_case(d) && matches(rest, tail)),
        }
    }
    let subject = if pattern.contains('.') {
        format!("{schema}.{name}")
    } else {
        name.to_string()
    };
    let p: Vec<char> = pattern.chars().collect();
    let s: Vec<char> = subject.chars().collect();
    matches(&p, &s)
}

/// `\\dt [PATTERN]`: tables and views of the current connection whose names match.
pub fn list_tables(repl: &mut Repl, pattern: &str) -> Next {
    let Some(db) = repl.current() else {
        eprintln!("not connected (\\c NAME|URL)");
        return Next::Continue;
    };
    match db.with(|c| c.tables()) {
        Ok(tables) => {
            let t = Tabular {
                columns: vec!["Schema".into(), "Name".into(), "Type".into()],
                rows: tables
                    .iter()
                    .filter(|t| pattern.is_empty() || glob(pattern, &t.schema, &t.name))
                    .map(|t| {
                        vec![
                            Dynamic::from(t.schema.to_string()),
                            Dynamic::from(t.name.to_string()),
                            Dynamic::from(format!("{:?}", t.kind).to_lowercase()),
                        ]
                    })
                    .collect(),
            };
            let text = repl.render_table(&t);
            repl.emit(&text);
        }
        Err(e) => eprintln!(
            "error: {}",
            e.to_string().trim_start_matches("Runtime error: ")
        ),
    }
    Next::Continue
}

/// `\\d TABLE`: columns, keys and indexes of a table; without a table, `\\dt`.
pub fn describe(repl: &mut Repl, table: &str) -> Next {
    if table.is_empty() {
        return list_tables(repl, "");
    }
    let Some(db) = repl.current() else {
        eprintln!("not connected (\\c NAME|URL)");
        return Next::Continue;
    };
    let d = match db.with(|c| c.describe(table)) {
        Ok(d) => d,
        Err(e) => {
            eprintln!(
                "error: {}",
                e.to_string().trim_start_matches("Runtime error: ")
            );
            return Next::Continue;
        }
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} \"{}.{}\"",
        if d.kind == myrmex_abi::TableKind::VIEW {
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
    out.push_str(
        rendered
            .rsplit_once("(")
            .map_or(rendered.as_str(), |(head, _)| head),
    );
    if !d.primary_key.is_empty() {
        let _ = writeln!(
            out,
            "Primary key: ({})",
            d.primary_key
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if !d.indexes.is_empty() {
        out.push_str("Indexes:\n");
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
            let _ = writeln!(
                out,
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
        out.push_str("Foreign keys:\n");
        for f in d.foreign_keys.iter() {
            let _ = writeln!(
                out,
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
    repl.emit(&out);
    Next::Continue
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn patterns_match_like_psql() {
        assert!(glob("app*", "public", "app_users"));
        assert!(glob("APP*", "public", "app_users"));
        assert!(!glob("app*", "public", "users_app"));
        assert!(glob("t?", "main", "t1") && !glob("t?", "main", "t12"));
        assert!(glob("public.*", "public", "x") && !glob("other.*", "public", "x"));
        assert!(glob("*", "s", ""));
    }
}
