//! Reading the end of a log file: its last line, without reading the rest.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};

/// How a log file ends.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Tail {
    /// It is empty.
    Empty,
    /// Its last line, complete, without its newline.
    Line(String),
    /// Its last line has no newline: a write was cut short. `line` is its 1-based number.
    Torn { line: usize },
}

/// How much is read at a time, going backwards.
const CHUNK: u64 = 8192;

/// How `file` (of `len` bytes) ends.
pub(crate) fn read_tail(mut file: &File, len: u64) -> io::Result<Tail> {
    if len == 0 {
        return Ok(Tail::Empty);
    }
    let mut last = [0u8; 1];
    file.seek(SeekFrom::Start(len - 1))?;
    file.read_exact(&mut last)?;
    if last[0] != b'\n' {
        return Ok(Tail::Torn {
            line: count_lines(file, len)? + 1,
        });
    }
    // Go back from the final newline to the one before it (or the start).
    let end = len - 1;
    let mut pos = end;
    let mut collected: Vec<u8> = Vec::new();
    while pos > 0 {
        let start = pos.saturating_sub(CHUNK);
        let mut buf = vec![0u8; (pos - start) as usize];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut buf)?;
        if let Some(nl) = buf.iter().rposition(|&b| b == b'\n') {
            buf.drain(..=nl);
            buf.extend_from_slice(&collected);
            collected = buf;
            break;
        }
        buf.extend_from_slice(&collected);
        collected = buf;
        pos = start;
    }
    Ok(Tail::Line(String::from_utf8_lossy(&collected).into_owned()))
}

/// The newlines in the first `len` bytes of `file`: the number of complete lines.
pub(crate) fn count_lines(mut file: &File, len: u64) -> io::Result<usize> {
    file.seek(SeekFrom::Start(0))?;
    let mut count = 0;
    let mut buf = vec![0u8; 64 * 1024];
    let mut left = len;
    while left > 0 {
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = file.read(&mut buf[..want])?;
        if n == 0 {
            break;
        }
        count += buf[..n].iter().filter(|&&b| b == b'\n').count();
        left -= n as u64;
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::super::testing::Dir;
    use super::*;

    fn tail_of(text: &str) -> Tail {
        let d = Dir::new("tail");
        let path = d.path().join("t");
        std::fs::write(&path, text).unwrap();
        let file = File::open(&path).unwrap();
        read_tail(&file, text.len() as u64).unwrap()
    }

    #[test]
    fn finds_the_last_line() {
        assert_eq!(tail_of(""), Tail::Empty);
        assert_eq!(tail_of("a\n"), Tail::Line("a".into()));
        assert_eq!(tail_of("a\nbc\n"), Tail::Line("bc".into()));
        assert_eq!(tail_of("a\nbc"), Tail::Torn { line: 2 });
        assert_eq!(tail_of("a\n\n"), Tail::Line(String::new()));
        let long = "x".repeat(3 * CHUNK as usize + 5);
        assert_eq!(tail_of(&format!("a\n{long}\n")), Tail::Line(long.clone()));
        assert_eq!(tail_of(&format!("{long}\n")), Tail::Line(long));
    }
}
