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

/// The formats `\format` takes, as `--format` and `[shell] format` spell them.
pub const FORMATS: &[&str] = &[
    "table", "aligned", "csv", "tsv", "json", "jsonl", "markdown",
];

/// `\format [FORMAT]`: any result format of `--format`; no argument shows the current one.
pub fn format(repl: &mut Repl, arg: &str) -> Next {
    if arg.is_empty() {
        println!("Output format is {}.", name(repl.format));
        return Next::Continue;
    }
    match Format::from_name(arg).filter(|f| f.is_tabular()) {
        Some(format) => {
            repl.format = format;
            println!("Output format is {}.", name(format));
        }
        None => eprintln!(
            "\\format: unknown format \"{arg}\"; use {}",
            FORMATS.join(", ")
        ),
    }
    Next::Continue
}

/// The name of a result format as `--format` spells it.
fn name(f: Format) -> &'static str {
    match f {
        Format::Csv => "csv",
        Format::Tsv => "tsv",
        Format::Json => "json",
        Format::Jsonl => "jsonl",
        Format::Markdown => "markdown",
        _ => "table",
    }
}

/// `\set`: without an argument, every setting and its value; `\set highlight on|off`
/// colours the line being typed or not.
pub fn set(repl: &mut Repl, arg: &str) -> Next {
    let (key, value) = arg
        .split_once(char::is_whitespace)
        .map_or((arg, ""), |(k, v)| (k, v.trim()));
    match key.to_ascii_lowercase().as_str() {
        "" => {
            let colours = repl.shared.borrow().colours;
            println!("highlight = {}", on_off(colours));
            println!("format = {}", name(repl.format));
            println!(
                "expanded = {}",
                match repl.expanded {
                    Expanded::On => "on",
                    Expanded::Off => "off",
                    Expanded::Auto => "auto",
                }
            );
            println!("timing = {}", on_off(repl.timing));
            println!("pager = {}", on_off(repl.sink.pager));
        }
        "highlight" => {
            let current = repl.shared.borrow().colours;
            if let Some(on) = switch("\\set highlight", value, current) {
                repl.shared.borrow_mut().colours = on;
                println!("Highlighting is {}.", on_off(on));
            }
        }
        other => eprintln!(
            "\\set: unknown setting \"{other}\" (known: highlight; see also \\format, \\x, \\timing, \\pager)"
        ),
    }
    Next::Continue
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
