//! Backslash commands that change a display setting; each confirms the change in one line.

use super::{Expanded, Next, Repl};
use crate::output::Format;
use std::fs::File;

/// `on`/`off`, or the opposite of `current` when no argument is given; `None` (after a
/// message) for anything else.
fn switch(cmd: &str, arg: &str, current: bool) -> Option<bool> {
    match arg.to_ascii_lowercase().as_str() {
        "" => Some(!current),
        "on" | "true" | "1" => Some(true),
        "off" | "false" | "0" => Some(false),
        other => {
            eprintln!("{cmd}: unrecognized value \"{other}\"; use on or off");
            None
        }
    }
}

fn on_off(b: bool) -> &'static str {
    if b {
        "on"
    } else {
        "off"
    }
}

/// `\sql`: SQL mode on or off.
pub fn sql_mode(repl: &mut Repl) -> Next {
    let mut s = repl.shared.borrow_mut();
    s.sql_mode = !s.sql_mode;
    println!("SQL mode is {} (statements end with ;)", on_off(s.sql_mode));
    Next::Continue
}

/// `\x [on|off|auto]`: expanded display; no argument toggles between on and off.
pub fn expanded(repl: &mut Repl, arg: &str) -> Next {
    let next = match arg.to_ascii_lowercase().as_str() {
        "auto" => Expanded::Auto,
        _ => match switch("\\x", arg, repl.expanded != Expanded::Off) {
            Some(true) => Expanded::On,
            Some(false) => Expanded::Off,
            None => return Next::Continue,
        },
    };
    repl.expanded = next;
    match next {
        Expanded::Auto => println!("Expanded display is used automatically."),
        _ => println!("Expanded display is {}.", on_off(next == Expanded::On)),
    }
    Next::Continue
}

/// `\timing [on|off]`.
pub fn timing(repl: &mut Repl, arg: &str) -> Next {
    if let Some(on) = switch("\\timing", arg, repl.timing) {
        repl.timing = on;
        println!("Timing is {}.", on_off(on));
    }
    Next::Continue
}

/// `\pager [on|off]`.
pub fn pager(repl: &mut Repl, arg: &str) -> Next {
    if let Some(on) = switch("\\pager", arg, repl.sink.pager) {
        repl.sink.pager = on;
        println!("Pager usage is {}.", on_off(on));
    }
    Next::Continue
}

/// `\format table|csv|json`.
pub fn format(repl: &mut Repl, arg: &str) -> Next {
    let format = match arg.to_ascii_lowercase().as_str() {
        "table" | "aligned" => Format::Table,
        "csv" => Format::Csv,
        "json" => Format::Json,
        "" => {
            println!("Output format is {}.", name(repl.format));
            return Next::Continue;
        }
        other => {
            eprintln!("\\format: unknown format \"{other}\"; use table, csv or json");
            return Next::Continue;
        }
    };
    repl.format = format;
    println!("Output format is {}.", name(format));
    Next::Continue
}

fn name(f: Format) -> &'static str {
    match f {
        Format::Csv => "csv",
        Format::Json => "json",
        _ => "table",
    }
}

/// `\o [FILE]`: results to FILE (created or truncated), or back to the screen.
pub fn output(repl: &mut Repl, arg: &str) -> Next {
    if arg.is_empty() {
        repl.sink.file = None;
        println!("Results go to the screen.");
        return Next::Continue;
    }
    match File::create(arg) {
        Ok(f) => {
            repl.sink.file = Some((arg.into(), f));
            println!("Results go to {arg}.");
        }
        Err(e) => eprintln!("\\o: cannot write {arg}: {e}"),
    }
    Next::Continue
}
