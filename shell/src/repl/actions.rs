//! Backslash commands that run statements: `\i FILE`, `\e` and `\watch`.

use super::{Next, Repl, Rl};
use crate::interrupt;
use std::process::Command;
use std::time::{Duration, Instant};

/// `\i FILE`: runs the file, as SQL in SQL mode and as Rhai otherwise.
pub fn include(repl: &mut Repl, arg: &str, _rl: &mut Rl) -> Next {
    if arg.is_empty() {
        eprintln!("\\i needs a file name");
        return Next::Continue;
    }
    match std::fs::read_to_string(arg) {
        Ok(text) => repl.execute(&text, None),
        Err(e) => eprintln!("\\i: cannot read {arg}: {e}"),
    }
    Next::Continue
}

/// `\e`: opens the last statement in `$EDITOR` (or `vi`), then runs what was saved.
pub fn edit(repl: &mut Repl, _arg: &str, rl: &mut Rl) -> Next {
    let sql = repl.shared.borrow().sql_mode;
    let path = std::env::temp_dir().join(format!(
        "myrmex-edit-{}.{}",
        std::process::id(),
        if sql { "sql" } else { "rhai" }
    ));
    let last = repl.last_statement.clone().unwrap_or_default();
    if let Err(e) = std::fs::write(&path, format!("{last}\n")) {
        eprintln!("\\e: cannot write {}: {e}", path.display());
        return Next::Continue;
    }
    let editor = ["VISUAL", "EDITOR"]
        .iter()
        .filter_map(|k| std::env::var(k).ok())
        .find(|e| !e.trim().is_empty())
        .unwrap_or_else(|| "vi".into());
    // Through the shell, so an editor given with arguments (`code --wait`) works.
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("sh")
        .arg(&path)
        .status();
    let text = std::fs::read_to_string(&path);
    let _ = std::fs::remove_file(&path);
    match (status, text) {
        (Ok(s), Ok(text)) if s.success() => {
            let text = text.trim();
            if text.is_empty() {
                return Next::Continue;
            }
            if let Some(entry) = super::history::scrub(text) {
                let _ = rustyline::history::History::add(rl.history_mut(), &entry);
            }
            repl.last_statement = Some(text.to_string());
            repl.execute(text, Some(rl));
        }
        (Ok(s), _) => eprintln!("\\e: the editor `{editor}` exited with {s}; nothing runs"),
        (Err(e), _) => eprintln!("\\e: cannot start the editor `{editor}`: {e}"),
    }
    Next::Continue
}

/// `\watch [SECONDS]`: runs the last statement every SECONDS (default 2) until Ctrl-C.
pub fn watch(repl: &mut Repl, arg: &str, _rl: &mut Rl) -> Next {
    let secs = if arg.is_empty() {
        Ok(2.0)
    } else {
        arg.parse::<f64>()
    };
    let secs = match secs {
        Ok(s) if s > 0.0 && s.is_finite() => s,
        _ => {
            eprintln!("\\watch: the interval must be a positive number of seconds, not \"{arg}\"");
            return Next::Continue;
        }
    };
    let Some(stmt) = repl.last_statement.clone() else {
        eprintln!("\\watch: no statement to run yet");
        return Next::Continue;
    };
    let every = Duration::from_secs_f64(secs);
    println!("Every {secs} s: {} (Ctrl-C stops)", first_line(&stmt));
    loop {
        repl.execute(&stmt, None);
        if interrupt::is_set() {
            break;
        }
        let until = Instant::now() + every;
        while Instant::now() < until && !interrupt::is_set() {
            std::thread::sleep(Duration::from_millis(50));
        }
        if interrupt::is_set() {
            break;
        }
        println!();
    }
    interrupt::reset();
    Next::Continue
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}
