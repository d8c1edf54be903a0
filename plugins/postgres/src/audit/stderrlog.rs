//! The server log in its `stderr` format: each message on a line that starts with
//! `log_line_prefix`, then `SEVERITY:  message`; further lines of a message start with a
//! tab, and the statement of an error follows on its own `STATEMENT:` line.
//!
//! The prefix is read by its escapes: `%m`/`%t`/`%n` (time), `%u` (user), `%d` (database),
//! `%h`/`%r` (client), `%c` (session), `%p` (process), `%e` (SQLSTATE); the others are
//! skipped over. Two escapes with nothing between them are read only when the first has a
//! fixed form (a time, a number). Severity labels are read in English (`lc_messages`).

use super::serverlog::Entry;

/// The severity labels the server writes before a message.
const LABELS: &[&str] = &[
    "DEBUG1",
    "DEBUG2",
    "DEBUG3",
    "DEBUG4",
    "DEBUG5",
    "LOG",
    "INFO",
    "NOTICE",
    "WARNING",
    "ERROR",
    "FATAL",
    "PANIC",
    "DETAIL",
    "HINT",
    "QUERY",
    "CONTEXT",
    "LOCATION",
    "STATEMENT",
];

/// One part of `log_line_prefix`.
#[derive(Debug, Clone, PartialEq)]
enum Piece {
    /// Text written as is.
    Lit(String),
    /// An escape (`u` for `%u`).
    Field(char),
    /// `%q`: what follows is written only for session processes.
    SessionOnly,
}

/// A parsed `log_line_prefix`.
#[derive(Debug, Clone, PartialEq)]
pub struct Prefix {
    pieces: Vec<Piece>,
}

/// What a line's prefix said.
#[derive(Debug, Default, Clone, PartialEq)]
struct Fields {
    time: String,
    user: String,
    database: String,
    client: String,
    session: String,
    pid: String,
    sqlstate: String,
}

impl Fields {
    /// Keeps `value` as the field escape `escape` stands for (unused escapes are dropped).
    fn set(&mut self, escape: char, value: &str) {
        let value = value.trim().to_string();
        match escape {
            'm' | 't' | 'n' => self.time = value,
            'u' => self.user = value,
            'd' => self.database = value,
            'h' | 'r' => self.client = value,
            'c' => self.session = value,
            'p' => self.pid = value,
            'e' => self.sqlstate = value,
            _ => {}
        }
    }
}

impl Prefix {
    /// Reads a `log_line_prefix` value (padding such as `%-10u` is accepted and ignored).
    pub fn parse(spec: &str) -> Prefix {
        let mut pieces = Vec::new();
        let mut lit = String::new();
        let mut chars = spec.chars().peekable();
        while let Some(c) = chars.next() {
            if c != '%' {
                lit.push(c);
                continue;
            }
            while chars
                .peek()
                .is_some_and(|c| *c == '-' || c.is_ascii_digit())
            {
                chars.next();
            }
            match chars.next() {
                Some('%') => lit.push('%'),
                Some(e) => {
                    if !lit.is_empty() {
                        pieces.push(Piece::Lit(std::mem::take(&mut lit)));
                    }
                    pieces.push(if e == 'q' {
                        Piece::SessionOnly
                    } else {
                        Piece::Field(e)
                    });
                }
                None => lit.push('%'),
            }
        }
        if !lit.is_empty() {
            pieces.push(Piece::Lit(lit));
        }
        Prefix { pieces }
    }

    /// The prefix's fields and the rest of `line` (`SEVERITY:  message`), when the line
    /// starts with the prefix: whole for a session's message, up to `%q` for others.
    fn split<'a>(&self, line: &'a str) -> Option<(Fields, &'a str)> {
        let attempt = |pieces: &[Piece]| -> Option<(Fields, &'a str)> {
            let mut fields = Fields::default();
            let used = match_pieces(pieces, line, &mut fields)?;
            let rest = &line[used..];
            label(rest).map(|_| (fields, rest))
        };
        attempt(&self.pieces).or_else(|| {
            let q = self.pieces.iter().position(|p| *p == Piece::SessionOnly)?;
            attempt(&self.pieces[..q])
        })
    }
}

/// Matches `pieces` at the start of `line`; the number of bytes they cover.
fn match_pieces(pieces: &[Piece], line: &str, fields: &mut Fields) -> Option<usize> {
    let mut pos = 0;
    for (i, piece) in pieces.iter().enumerate() {
        let rest = &line[pos..];
        match piece {
            Piece::Lit(l) => {
                rest.starts_with(l.as_str()).then_some(())?;
                pos += l.len();
            }
            Piece::SessionOnly => {}
            Piece::Field(e) => {
                let len = match e {
                    'm' | 't' => time_len(rest)?,
                    'n' => number_len(rest, true)?,
                    'p' | 'l' => number_len(rest, false)?,
                    _ => match next_literal(&pieces[i + 1..]) {
                        Some(l) => rest.find(l)?,
                        None => label_at(rest)?,
                    },
                };
                fields.set(*e, &rest[..len]);
                pos += len;
            }
        }
    }
    Some(pos)
}

/// The literal right after an escape, when one follows directly (`%q` is skipped over).
fn next_literal(pieces: &[Piece]) -> Option<&str> {
    match pieces.iter().find(|p| **p != Piece::SessionOnly) {
        Some(Piece::Lit(l)) => Some(l),
        _ => None,
    }
}

/// The length of a time at the start of `s`: `YYYY-MM-DD HH:MM:SS[.fff] ZONE`.
fn time_len(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let digit_at = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let fixed = "dddd-dd-dd dd:dd:dd";
    for (i, f) in fixed.bytes().enumerate() {
        if f == b'd' {
            digit_at(i)
        } else {
            b.get(i) == Some(&f)
        }
        .then_some(())?;
    }
    let mut i = fixed.len();
    if b.get(i) == Some(&b'.') {
        i += 1;
        while digit_at(i) {
            i += 1;
        }
    }
    (b.get(i) == Some(&b' ')).then_some(())?;
    i += 1;
    let start = i;
    while b
        .get(i)
        .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'/' | b'_'))
    {
        i += 1;
    }
    (i > start).then_some(i)
}

/// The length of a number at the start of `s` (with a fraction when `fraction`).
fn number_len(s: &str, fraction: bool) -> Option<usize> {
    let b = s.as_bytes();
    let mut i = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if i == 0 {
        return None;
    }
    if fraction && b.get(i) == Some(&b'.') {
        i += 1 + b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
    }
    Some(i)
}

/// Where the first severity label starts in `s`.
fn label_at(s: &str) -> Option<usize> {
    s.char_indices()
        .map(|(i, _)| i)
        .find(|&i| label(&s[i..]).is_some())
}

/// The severity label and message of `SEVERITY:  message`.
fn label(s: &str) -> Option<(&'static str, &str)> {
    LABELS.iter().find_map(|l| {
        s.strip_prefix(l)
            .and_then(|r| r.strip_prefix(":  "))
            .map(|m| (*l, m))
    })
}

/// Where a continuation line (one starting with a tab) belongs.
#[derive(Clone, Copy)]
enum Target {
    Message(usize),
    Query(usize),
    Nowhere,
}

/// How far back a `STATEMENT:` line looks for the message of its session.
const STATEMENT_REACH: usize = 64;

/// The entries of a stderr log written with `prefix`. Lines that are not the server's
/// (another program's output) are skipped.
pub fn entries(text: &str, prefix: &Prefix) -> Vec<Entry> {
    let mut out: Vec<Entry> = Vec::new();
    let mut target = Target::Nowhere;
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if let Some(more) = line.strip_prefix('\t') {
            let slot = match target {
                Target::Message(i) => out.get_mut(i).map(|e| &mut e.message),
                Target::Query(i) => out.get_mut(i).map(|e| &mut e.query),
                Target::Nowhere => None,
            };
            if let Some(slot) = slot {
                slot.push('\n');
                slot.push_str(more);
            }
            continue;
        }
        target = Target::Nowhere;
        let Some((fields, rest)) = prefix.split(line) else {
            continue;
        };
        let Some((severity, message)) = label(rest) else {
            continue;
        };
        let session = if fields.session.is_empty() {
            fields.pid.clone()
        } else {
            fields.session.clone()
        };
        match severity {
            "STATEMENT" => {
                let from = out.len().saturating_sub(STATEMENT_REACH);
                if let Some(i) = out[from..].iter().rposition(|e| e.session == session) {
                    out[from + i].query = message.to_string();
                    target = Target::Query(from + i);
                }
            }
            "DETAIL" | "HINT" | "QUERY" | "CONTEXT" | "LOCATION" => {}
            _ => {
                out.push(Entry {
                    time: fields.time,
                    user: fields.user,
                    database: fields.database,
                    client: fields.client,
                    session,
                    severity: severity.to_string(),
                    sqlstate: fields.sqlstate,
                    message: message.to_string(),
                    query: String::new(),
                });
                target = Target::Message(out.len() - 1);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Debian's default prefix.
    const DEBIAN: &str = "%m [%p] %q%u@%d ";

    const SAMPLE: &str = "\
2026-12-03 10:00:00.123 UTC [4242] app@shop LOG:  AUDIT: SESSION,1,1,WRITE,INSERT,TABLE,public.t,\"insert into t
\tvalues (1)\",<not logged>
2026-12-03 10:00:00.200 UTC [4000] LOG:  checkpoint starting: time
2026-12-03 10:00:01.000 UTC [4242] app@shop ERROR:  duplicate key value violates unique constraint \"t_pkey\"
2026-12-03 10:00:01.000 UTC [4242] app@shop DETAIL:  Key (a)=(1) already exists.
2026-12-03 10:00:01.000 UTC [4242] app@shop STATEMENT:  insert into t
\tvalues (1)
some other program's line
";

    #[test]
    fn debian_prefix_lines_become_entries() {
        let e = entries(SAMPLE, &Prefix::parse(DEBIAN));
        assert_eq!(e.len(), 3, "{e:?}");
        assert_eq!(e[0].time, "2026-12-03 10:00:00.123 UTC");
        assert_eq!(
            (e[0].user.as_str(), e[0].database.as_str()),
            ("app", "shop")
        );
        assert_eq!(e[0].session, "4242");
        assert!(e[0]
            .message
            .ends_with("\"insert into t\nvalues (1)\",<not logged>"));
        assert_eq!(e[1].user, "");
        assert_eq!(e[1].message, "checkpoint starting: time");
        assert_eq!(e[2].severity, "ERROR");
        assert_eq!(e[2].query, "insert into t\nvalues (1)");
    }

    #[test]
    fn other_prefixes_read_their_fields() {
        let p = Prefix::parse("%t:%r:%u@%d:[%c]:%e ");
        let line =
            "2026-12-03 10:00:00 CET:10.0.0.5(5432):app@shop:[6565f0a0.1092]:23505 ERROR:  dup";
        let (f, rest) = p.split(line).unwrap();
        assert_eq!(f.time, "2026-12-03 10:00:00 CET");
        assert_eq!(f.client, "10.0.0.5(5432)");
        assert_eq!(f.session, "6565f0a0.1092");
        assert_eq!(f.sqlstate, "23505");
        assert_eq!(rest, "ERROR:  dup");

        let p = Prefix::parse("%n %-10a %%%u");
        let (f, _) = p.split("1764756000.250 psql       %app LOG:  x").unwrap();
        assert_eq!(
            (f.time.as_str(), f.user.as_str()),
            ("1764756000.250", "app")
        );
    }

    #[test]
    fn an_empty_prefix_still_reads_messages() {
        let e = entries("LOG:  hello\nERROR:  oops\n", &Prefix::parse(""));
        assert_eq!(e.len(), 2);
        assert_eq!(e[1].severity, "ERROR");
    }
}
