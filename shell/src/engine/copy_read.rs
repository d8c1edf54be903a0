//! Reading the records of a file for `\copy … FROM`: CSV as PostgreSQL reads it, and
//! PostgreSQL's COPY text format (tab separated, `\N` for NULL, backslash escapes).
//!
//! CSV is read here rather than with the `csv` crate because whether a field was quoted
//! decides what it means: as psql reads CSV, an unquoted empty field is NULL and a quoted
//! one (`""`) is an empty string, and the `csv` crate does not say which it saw.

use std::io::BufRead;

/// One field of a record: its text, and whether it stands for NULL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// The text (empty for NULL).
    pub text: String,
    /// True when the field is the NULL string of the format.
    pub null: bool,
}

/// One record: the line it starts on (1-based) and its fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The line of the file the record starts on.
    pub line: usize,
    /// Its fields, in order.
    pub fields: Vec<Field>,
}

/// A record that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file could not be read.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The text is not a valid record.
    #[error("line {line}, column {column}: {message}")]
    Malformed {
        /// The line the record starts on.
        line: usize,
        /// The 1-based field number.
        column: usize,
        /// What is wrong.
        message: String,
    },
}

/// The file formats `\copy` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// RFC 4180 CSV: `"` quotes, `""` a quote inside quotes.
    Csv,
    /// PostgreSQL COPY text: one line per record, escapes with a backslash.
    Text,
}

/// Reads records one at a time, so a file of any size is read in bounded memory.
pub struct Records<R: BufRead> {
    input: R,
    syntax: Syntax,
    delimiter: char,
    /// The NULL string: a field with exactly this text (unquoted, in CSV) is NULL.
    null: String,
    /// Lines read so far.
    line: usize,
    done: bool,
}

impl<R: BufRead> Records<R> {
    /// A reader of `syntax` with psql's defaults: `,` and an empty NULL string for CSV, tab
    /// and `\N` for text.
    pub fn new(input: R, syntax: Syntax, null: Option<String>) -> Records<R> {
        let (delimiter, default_null) = match syntax {
            Syntax::Csv => (',', ""),
            Syntax::Text => ('\t', "\\N"),
        };
        Records {
            input,
            syntax,
            delimiter,
            null: null.unwrap_or_else(|| default_null.to_string()),
            line: 0,
            done: false,
        }
    }

    /// Appends the next line to `buf` and counts it; 0 at the end of the file. A line that is
    /// not UTF-8 is an error naming it (a file in another encoding is not half loaded), and a
    /// byte-order mark opening the file is dropped (spreadsheets write one).
    fn read_line(&mut self, buf: &mut String) -> Result<usize, ReadError> {
        let mut bytes = Vec::new();
        let n = self.input.read_until(b'\n', &mut bytes)?;
        if n == 0 {
            return Ok(0);
        }
        self.line += 1;
        let text = String::from_utf8(bytes).map_err(|e| ReadError::Malformed {
            line: self.line,
            column: 1,
            message: format!(
                "the line is not valid UTF-8 (byte {}); convert the file to UTF-8 first",
                e.utf8_error().valid_up_to() + 1
            ),
        })?;
        let text = if self.line == 1 {
            text.strip_prefix('\u{feff}').unwrap_or(&text).to_string()
        } else {
            text
        };
        buf.push_str(&text);
        Ok(n)
    }

    /// The next record, or `None` at the end of the file (or at a `\.` line in text format).
    pub fn next_record(&mut self) -> Result<Option<Record>, ReadError> {
        if self.done {
            return Ok(None);
        }
        let mut buf = String::new();
        if self.read_line(&mut buf)? == 0 {
            self.done = true;
            return Ok(None);
        }
        let start = self.line;
        match self.syntax {
            Syntax::Csv => self.csv_record(buf, start).map(Some),
            Syntax::Text => {
                let body = strip_line_end(&buf);
                if body == "\\." {
                    self.done = true;
                    return Ok(None);
                }
                text_record(body, self.delimiter, &self.null, start).map(Some)
            }
        }
    }

    /// Reads one CSV record starting with the line in `buf`, reading further lines while a
    /// quoted field is open.
    fn csv_record(&mut self, mut buf: String, start: usize) -> Result<Record, ReadError> {
        #[derive(PartialEq)]
        enum State {
            FieldStart,
            Unquoted,
            Quoted,
            AfterQuote,
        }
        let mut fields = Vec::new();
        let mut text = String::new();
        let mut quoted = false;
        let mut state = State::FieldStart;
        let mut i = 0;
        loop {
            let Some(c) = buf[i..].chars().next() else {
                if state == State::Quoted {
                    // The quoted field goes on past the line break: read the next line.
                    if self.read_line(&mut buf)? == 0 {
                        return Err(ReadError::Malformed {
                            line: start,
                            column: fields.len() + 1,
                            message: "unterminated quoted field at the end of the file".into(),
                        });
                    }
                    continue;
                }
                // The last line of a file without a final line break.
                break;
            };
            i += c.len_utf8();
            let line_end = c == '\n' || (c == '\r' && matches!(&buf[i..], "" | "\n"));
            match state {
                State::Quoted => {
                    if c == '"' {
                        state = State::AfterQuote;
                    } else {
                        text.push(c);
                    }
                }
                State::AfterQuote if c == '"' => {
                    text.push('"');
                    state = State::Quoted;
                }
                _ if line_end => break,
                _ if c == self.delimiter => {
                    fields.push(self.csv_field(std::mem::take(&mut text), quoted));
                    quoted = false;
                    state = State::FieldStart;
                }
                State::FieldStart if c == '"' => {
                    quoted = true;
                    state = State::Quoted;
                }
                // Text after a closing quote, or a quote inside an unquoted field, is kept
                // as it is, as PostgreSQL reads it.
                _ => {
                    text.push(c);
                    state = State::Unquoted;
                }
            }
        }
        fields.push(self.csv_field(text, quoted));
        Ok(Record {
            line: start,
            fields,
        })
    }

    fn csv_field(&self, text: String, quoted: bool) -> Field {
        let null = !quoted && text == self.null;
        Field {
            text: if null { String::new() } else { text },
            null,
        }
    }
}

/// `line` without its `\n` or `\r\n`.
fn strip_line_end(line: &str) -> &str {
    let line = line.strip_suffix('\n').unwrap_or(line);
    line.strip_suffix('\r').unwrap_or(line)
}

/// One record of COPY text format: fields split at `delimiter`, the NULL string compared
/// before escapes are decoded.
fn text_record(body: &str, delimiter: char, null: &str, line: usize) -> Result<Record, ReadError> {
    let mut fields = Vec::new();
    for (n, raw) in body.split(delimiter).enumerate() {
        if raw == null {
            fields.push(Field {
                text: String::new(),
                null: true,
            });
            continue;
        }
        let text = unescape(raw).map_err(|message| ReadError::Malformed {
            line,
            column: n + 1,
            message,
        })?;
        fields.push(Field { text, null: false });
    }
    Ok(Record { line, fields })
}

/// Decodes the backslash escapes of COPY text format: `\b \f \n \r \t \v \\`, octal
/// `\NNN`, hexadecimal `\xHH`; any other escaped character stands for itself.
fn unescape(raw: &str) -> Result<String, String> {
    if !raw.contains('\\') {
        return Ok(raw.to_string());
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(e) = chars.next() else {
            return Err("a backslash ends the field".into());
        };
        match e {
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'v' => out.push('\u{b}'),
            '0'..='7' => {
                let mut code = e.to_digit(8).unwrap_or(0);
                for _ in 0..2 {
                    match chars.peek().and_then(|d| d.to_digit(8)) {
                        Some(d) => {
                            code = code * 8 + d;
                            chars.next();
                        }
                        None => break,
                    }
                }
                out.push(byte_char(code)?);
            }
            'x' if chars.peek().is_some_and(|d| d.is_ascii_hexdigit()) => {
                let mut code = 0;
                for _ in 0..2 {
                    match chars.peek().and_then(|d| d.to_digit(16)) {
                        Some(d) => {
                            code = code * 16 + d;
                            chars.next();
                        }
                        None => break,
                    }
                }
                out.push(byte_char(code)?);
            }
            other => out.push(other),
        }
    }
    Ok(out)
}

/// The character of a one-byte escape; bytes above 0x7f would be half of a UTF-8
/// sequence, which this reader does not assemble.
fn byte_char(code: u32) -> Result<char, String> {
    char::from_u32(code)
        .filter(|c| c.is_ascii())
        .ok_or_else(|| format!("the escape for byte {code:#x} is not an ASCII character"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(syntax: Syntax, text: &str) -> Vec<Record> {
        let mut r = Records::new(text.as_bytes(), syntax, None);
        let mut out = Vec::new();
        while let Some(rec) = r.next_record().unwrap() {
            out.push(rec);
        }
        out
    }

    fn texts(r: &Record) -> Vec<Option<&str>> {
        r.fields
            .iter()
            .map(|f| (!f.null).then_some(f.text.as_str()))
            .collect()
    }

    #[test]
    fn a_byte_order_mark_is_dropped_and_other_encodings_are_named() {
        let recs = read(Syntax::Csv, "\u{feff}id,t\n1,x\n");
        assert_eq!(texts(&recs[0]), [Some("id"), Some("t")]);
        let latin1: &[u8] = b"1,ok\n2,caf\xe9\n";
        let mut r = Records::new(latin1, Syntax::Csv, None);
        assert!(r.next_record().unwrap().is_some());
        let e = r.next_record().unwrap_err().to_string();
        assert!(e.contains("line 2") && e.contains("not valid UTF-8"), "{e}");
    }

    #[test]
    fn csv_quotes_line_breaks_and_nulls() {
        let recs = read(
            Syntax::Csv,
            "id,t\r\n1,\"a,b\"\n2,\"say \"\"hi\"\"\"\n3,\"two\nlines\"\n4,\n5,\"\"\n6,x",
        );
        assert_eq!(recs.len(), 7);
        assert_eq!(texts(&recs[0]), [Some("id"), Some("t")]);
        assert_eq!(texts(&recs[1]), [Some("1"), Some("a,b")]);
        assert_eq!(texts(&recs[2]), [Some("2"), Some("say \"hi\"")]);
        assert_eq!(texts(&recs[3]), [Some("3"), Some("two\nlines")]);
        // A record spanning two lines is named by the line it starts on.
        assert_eq!((recs[3].line, recs[4].line), (4, 6));
        assert_eq!(texts(&recs[4]), [Some("4"), None]);
        assert_eq!(texts(&recs[5]), [Some("5"), Some("")]);
        assert_eq!(texts(&recs[6]), [Some("6"), Some("x")]);
    }

    #[test]
    fn csv_null_string_and_errors() {
        let mut r = Records::new(
            "NULL,\"NULL\",\n".as_bytes(),
            Syntax::Csv,
            Some("NULL".into()),
        );
        let rec = r.next_record().unwrap().unwrap();
        assert_eq!(texts(&rec), [None, Some("NULL"), Some("")]);
        let mut r = Records::new("1,ok\n2,\"open\n".as_bytes(), Syntax::Csv, None);
        r.next_record().unwrap();
        let e = r.next_record().unwrap_err().to_string();
        assert_eq!(
            e,
            "line 2, column 2: unterminated quoted field at the end of the file"
        );
    }

    #[test]
    fn text_format_escapes_and_end_marker() {
        let recs = read(
            Syntax::Text,
            "1\ta\\tb\\\\c\\nd\n2\t\\N\n3\t\\101\\x42\n\\.\n4\tignored\n",
        );
        assert_eq!(recs.len(), 3);
        assert_eq!(texts(&recs[0]), [Some("1"), Some("a\tb\\c\nd")]);
        assert_eq!(texts(&recs[1]), [Some("2"), None]);
        assert_eq!(texts(&recs[2]), [Some("3"), Some("AB")]);
        let mut r = Records::new("1\tx\\\n".as_bytes(), Syntax::Text, None);
        assert!(r
            .next_record()
            .unwrap_err()
            .to_string()
            .contains("column 2: a backslash ends the field"));
    }
}
