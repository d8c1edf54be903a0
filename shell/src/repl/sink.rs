//! Where results go: the terminal (through a pager when taller than the screen), or the file
//! named by `\o`.

use std::fs::File;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use unicode_width::UnicodeWidthStr;

/// The pager used when `PAGER` is not set: quits when the text fits, keeps colours, does not
/// wrap long lines and leaves the text on the screen.
const DEFAULT_PAGER: &str = "less -SRXF";

/// Where results are written.
#[derive(Default)]
pub struct Sink {
    /// The file named by `\o`, if any.
    pub file: Option<(PathBuf, File)>,
    /// Whether tall results go through the pager (`\pager on|off`).
    pub pager: bool,
}

/// Rows and columns of the terminal on standard output, if it is one.
pub fn terminal_size() -> Option<(usize, usize)> {
    if !std::io::stdout().is_terminal() {
        return None;
    }
    let mut ws = libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ fills the `winsize` we pass and reads nothing else.
    let ok = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut ws) } == 0;
    let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<usize>().ok());
    let rows = Some(ws.ws_row as usize)
        .filter(|r| ok && *r > 0)
        .or_else(|| env("LINES"))
        .unwrap_or(24);
    let cols = Some(ws.ws_col as usize)
        .filter(|c| ok && *c > 0)
        .or_else(|| env("COLUMNS"))
        .unwrap_or(80);
    Some((rows, cols))
}

/// The display width of the widest line of `text`.
pub fn widest_line(text: &str) -> usize {
    text.lines().map(|l| l.width()).max().unwrap_or(0)
}

impl Sink {
    /// Writes a result: to the `\o` file, or to the terminal through the pager when it is
    /// taller or wider than the screen, or straight to standard output.
    pub fn write(&mut self, text: &str) {
        if let Some((path, f)) = &mut self.file {
            if let Err(e) = f.write_all(text.as_bytes()) {
                eprintln!("error: cannot write to {}: {e}", path.display());
            }
            return;
        }
        if self.pager {
            if let Some((rows, cols)) = terminal_size() {
                let tall = text.lines().count() >= rows.saturating_sub(1);
                if (tall || widest_line(text) > cols) && page(text) {
                    return;
                }
            }
        }
        print!("{text}");
        let _ = std::io::stdout().flush();
    }
}

/// Shows `text` through `$PAGER` (or `less -SRXF`); false when no pager could be started.
fn page(text: &str) -> bool {
    let pager = std::env::var("PAGER")
        .ok()
        .filter(|p| !p.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_PAGER.into());
    let child = Command::new("sh")
        .args(["-c", &pager])
        .stdin(Stdio::piped())
        .spawn();
    let Ok(mut child) = child else {
        return false;
    };
    // Ctrl-C belongs to the pager while it runs (less uses it to stop a search); the REPL
    // ignores it meanwhile, so pressing it twice does not end the session.
    let _ignore = IgnoreInterrupt::new();
    if let Some(mut stdin) = child.stdin.take() {
        // The pager may quit before reading everything (`q` in less): that is not an error.
        let _ = stdin.write_all(text.as_bytes());
    }
    match child.wait() {
        // 127: the shell did not find the pager; the text is printed instead.
        Ok(status) => status.code() != Some(127),
        Err(_) => true,
    }
}

/// Ignores SIGINT in this process until dropped, then restores the previous handler.
struct IgnoreInterrupt {
    old: libc::sigaction,
}

impl IgnoreInterrupt {
    fn new() -> IgnoreInterrupt {
        // SAFETY: both structures are plain data owned here; sigaction only reads `ignore`
        // and fills `old`.
        unsafe {
            let mut ignore: libc::sigaction = std::mem::zeroed();
            ignore.sa_sigaction = libc::SIG_IGN;
            let mut old: libc::sigaction = std::mem::zeroed();
            libc::sigaction(libc::SIGINT, &ignore, &mut old);
            IgnoreInterrupt { old }
        }
    }
}

impl Drop for IgnoreInterrupt {
    fn drop(&mut self) {
        // SAFETY: restores the action saved in `new`.
        unsafe {
            libc::sigaction(libc::SIGINT, &self.old, std::ptr::null_mut());
        }
    }
}
