//! [`verify_log`]: reading a log back and naming the first line that was tampered with.

use super::anchor::{self, Anchor};
use super::chain::{parse_line, ChainHead, Line, Sealed, GENESIS};
use super::entry::Checkpoint;
use super::paths;
use super::sign::Checker;
use super::tail::{read_tail, Tail};
use crate::error::{Error, Result};
use std::fmt;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

/// What [`verify_log`] checks besides the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyOptions {
    /// The Ed25519 public key file (32 bytes, raw or as 64 hex characters) every checkpoint
    /// must be signed with. Without one, signatures are not checked.
    pub public_key: Option<PathBuf>,
    /// Also read the rotated files (`<log>.N` … `<log>.1`, then the log), checking the
    /// chain across them. Default true.
    pub include_rotated: bool,
    /// A log with entries must have its anchor file `<log>.anchor`. Default true.
    pub require_anchor: bool,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            public_key: None,
            include_rotated: true,
            require_anchor: true,
        }
    }
}

/// What is wrong with a log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProblemKind {
    /// The last line has no newline: a write was cut short or the file was cut mid-line.
    Torn,
    /// A line is not an entry or a checkpoint.
    Malformed,
    /// An entry does not match its hash: it was edited.
    Edited,
    /// Sequence numbers jump or go back: lines were inserted, deleted or reordered.
    Sequence,
    /// An entry's `prev` is not the hash of the entry before it.
    Linkage,
    /// The log does not start at entry 1 and no earlier file continues it.
    MissingHead,
    /// A checkpoint does not match the chain at its entry.
    Checkpoint,
    /// A checkpoint is unsigned, signed by another key, or its signature does not verify.
    Signature,
    /// The log ends before the entry its anchor records.
    Truncated,
    /// The anchor is missing, unreadable, or records a different hash than the log has.
    Anchor,
}

/// The first thing wrong with a log, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The file.
    pub file: PathBuf,
    /// The 1-based line, when one line is at fault.
    pub line: Option<usize>,
    /// What kind of problem.
    pub kind: ProblemKind,
    /// What is wrong, in one sentence.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// What [`verify_log`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VerifyReport {
    /// Entries read before the first problem (all of them when there is none).
    pub entries: u64,
    /// Checkpoints read.
    pub checkpoints: u64,
    /// Checkpoints that carry a signature (each checked when a public key was given).
    pub signed_checkpoints: u64,
    /// Files read.
    pub files: usize,
    /// The first entry read, when it is not entry 1 (the log continues rotated files that
    /// were not read).
    pub first_seq: Option<u64>,
    /// The last entry read.
    pub last: Option<ChainHead>,
    /// The first problem; `None` when the log is intact.
    pub problem: Option<Problem>,
}

impl VerifyReport {
    /// True when no problem was found.
    pub fn is_ok(&self) -> bool {
        self.problem.is_none()
    }
}

impl fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} entries, {} checkpoints ({} signed) in {} file(s)",
            self.entries, self.checkpoints, self.signed_checkpoints, self.files
        )?;
        match &self.problem {
            None => f.write_str(": intact"),
            Some(p) => write!(f, "; first problem: {p}"),
        }
    }
}

/// Reads the log at `path` (and its rotated files, by `options`) and checks that every
/// line parses, sequence numbers run on without gaps, each `prev` is the hash of the entry
/// before it, each entry matches its hash, each checkpoint matches the chain (and, given a
/// public key, is signed with it), and that the log holds the entry its anchor records.
///
/// The report names the first bad line. `Err` is for what stops the check itself: a file
/// that cannot be read, a public key file that is no key.
pub fn verify_log(path: impl AsRef<Path>, options: &VerifyOptions) -> Result<VerifyReport> {
    let path = path.as_ref();
    let checker = options
        .public_key
        .as_deref()
        .map(Checker::load)
        .transpose()?;
    let rotated = paths::rotated_files(path);
    let mut files = Vec::new();
    if options.include_rotated {
        files.extend(rotated.iter().cloned());
    }
    files.push(path.to_path_buf());
    let mut walk = Walk {
        report: VerifyReport::default(),
        head: None,
        anchor: anchor::read(path),
        checker,
        continues_older: !options.include_rotated && !rotated.is_empty(),
        file: PathBuf::new(),
        line: 0,
    };
    for file in &files {
        if let Err(problem) = walk.file(file)? {
            walk.report.problem = Some(problem);
            return Ok(walk.report);
        }
    }
    walk.report.problem = walk.finish(path, options).err();
    Ok(walk.report)
}

/// The state of a check, from line to line and file to file.
struct Walk {
    report: VerifyReport,
    /// The last entry read.
    head: Option<ChainHead>,
    anchor: std::result::Result<Option<Anchor>, String>,
    checker: Option<Checker>,
    /// The first file read continues older files that are not read.
    continues_older: bool,
    /// Where the check is.
    file: PathBuf,
    line: usize,
}

/// Inner result: the problem that ends the check.
type Checked = std::result::Result<(), Problem>;

impl Walk {
    fn problem(&self, kind: ProblemKind, message: impl Into<String>) -> Problem {
        Problem {
            file: self.file.clone(),
            line: Some(self.line),
            kind,
            message: message.into(),
        }
    }

    /// Checks every line of `path`.
    fn file(&mut self, path: &Path) -> Result<Checked> {
        let io = |source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut reader = BufReader::new(File::open(path).map_err(io)?);
        self.report.files += 1;
        self.file = path.to_path_buf();
        self.line = 0;
        let mut buf = Vec::new();
        loop {
            buf.clear();
            if reader.read_until(b'\n', &mut buf).map_err(io)? == 0 {
                return Ok(Ok(()));
            }
            self.line += 1;
            if let Err(p) = self.line_of(&buf) {
                return Ok(Err(p));
            }
        }
    }

    fn line_of(&mut self, bytes: &[u8]) -> Checked {
        let Some(body) = bytes.strip_suffix(b"\n") else {
            return Err(self.problem(
                ProblemKind::Torn,
                "torn last line: it has no end (a write was cut short, or the file was cut \
                 mid-line)",
            ));
        };
        let text = std::str::from_utf8(body)
            .map_err(|_| self.problem(ProblemKind::Malformed, "the line is not UTF-8 text"))?;
        match parse_line(text) {
            Err(message) => Err(self.problem(ProblemKind::Malformed, message)),
            Ok(Line::Entry(e)) => self.entry(&e),
            Ok(Line::Checkpoint(c)) => self.checkpoint(&c),
        }
    }

    fn entry(&mut self, e: &Sealed) -> Checked {
        let seq = e.record.seq;
        if e.computed != e.hash {
            return Err(self.problem(
                ProblemKind::Edited,
                format!("entry {seq} does not match its hash: the line was edited"),
            ));
        }
        match &self.head {
            Some(h) if seq != h.seq + 1 => {
                let message = if seq > h.seq + 1 {
                    format!(
                        "entry {} is missing after entry {}, found entry {seq}: lines were \
                         deleted or reordered",
                        h.seq + 1,
                        h.seq
                    )
                } else {
                    format!(
                        "entry {seq} follows entry {}: a line was inserted or lines were \
                         reordered",
                        h.seq
                    )
                };
                return Err(self.problem(ProblemKind::Sequence, message));
            }
            Some(h) if e.record.prev != h.hash => {
                return Err(self.problem(
                    ProblemKind::Linkage,
                    format!(
                        "entry {seq} does not link to entry {}: its prev is not that entry's \
                         hash (a line was replaced, or the chain rewritten)",
                        h.seq
                    ),
                ));
            }
            Some(_) => {}
            None => self.first_entry(e)?,
        }
        self.anchored(seq, &e.hash)?;
        self.head = Some(ChainHead {
            seq,
            hash: e.hash.clone(),
        });
        self.report.entries += 1;
        self.report.last.clone_from(&self.head);
        Ok(())
    }

    /// The first entry read starts the chain, or continues rotated files not read.
    fn first_entry(&mut self, e: &Sealed) -> Checked {
        let seq = e.record.seq;
        if seq == 1 && e.record.prev == GENESIS {
            return Ok(());
        }
        if seq == 1 {
            return Err(self.problem(
                ProblemKind::Linkage,
                "entry 1 does not start the chain: its prev is not 64 zeros",
            ));
        }
        if !self.continues_older {
            return Err(self.problem(
                ProblemKind::MissingHead,
                format!(
                    "the log starts at entry {seq} and no earlier file continues it: the entries \
                     before it are missing"
                ),
            ));
        }
        self.report.first_seq = Some(seq);
        self.anchored(seq - 1, &e.record.prev)
    }

    /// Checks what the anchor records at entry `seq`, if anything, against `hash`.
    fn anchored(&self, seq: u64, hash: &str) -> Checked {
        let Ok(Some(anchor)) = &self.anchor else {
            return Ok(());
        };
        if anchor.seq == seq && anchor.hash != hash {
            return Err(self.problem(
                ProblemKind::Anchor,
                format!(
                    "the anchor records entry {seq} with hash {}, the log has {hash}: entries \
                     were rewritten",
                    anchor.hash
                ),
            ));
        }
        match &anchor.checkpoint {
            Some(c) if c.checkpoint == seq && c.hash != hash => Err(self.problem(
                ProblemKind::Anchor,
                format!(
                    "the anchor's checkpoint records entry {seq} with hash {}, the log has \
                     {hash}: entries were rewritten",
                    c.hash
                ),
            )),
            _ => Ok(()),
        }
    }

    fn checkpoint(&mut self, c: &Checkpoint) -> Checked {
        let Some(head) = &self.head else {
            return Err(self.problem(
                ProblemKind::Checkpoint,
                format!(
                    "a checkpoint for entry {} comes before any entry",
                    c.checkpoint
                ),
            ));
        };
        if c.checkpoint != head.seq {
            return Err(self.problem(
                ProblemKind::Checkpoint,
                format!(
                    "a checkpoint for entry {} follows entry {}: lines were deleted, inserted or \
                     reordered",
                    c.checkpoint, head.seq
                ),
            ));
        }
        if c.hash != head.hash {
            return Err(self.problem(
                ProblemKind::Checkpoint,
                format!(
                    "the checkpoint for entry {} does not match the chain's hash there: entries \
                     were changed or the checkpoint forged",
                    c.checkpoint
                ),
            ));
        }
        if let Some(checker) = &self.checker {
            checker
                .check(c)
                .map_err(|m| self.problem(ProblemKind::Signature, m))?;
        }
        self.report.checkpoints += 1;
        if c.signature.is_some() {
            self.report.signed_checkpoints += 1;
        }
        Ok(())
    }

    /// After the last line: the anchor's entry must be in the log.
    fn finish(&mut self, log: &Path, options: &VerifyOptions) -> Checked {
        let anchor_path = paths::anchor(log);
        let anchor_problem = |kind, message: String, line| Problem {
            file: anchor_path.clone(),
            line,
            kind,
            message,
        };
        let anchor = match &self.anchor {
            Err(message) => return Err(anchor_problem(ProblemKind::Anchor, message.clone(), None)),
            Ok(None) if options.require_anchor && self.end(log).seq > 0 => {
                return Err(anchor_problem(
                    ProblemKind::Anchor,
                    "the anchor file is missing, so a cut tail cannot be detected".into(),
                    None,
                ))
            }
            Ok(None) => return Ok(()),
            Ok(Some(a)) => a,
        };
        let end = self.end(log);
        if anchor.seq > end.seq {
            return Err(Problem {
                file: log.to_path_buf(),
                line: (self.line > 0).then_some(self.line),
                kind: ProblemKind::Truncated,
                message: format!(
                    "truncated: the anchor records entry {} with hash {}, the log ends at entry {}",
                    anchor.seq, anchor.hash, end.seq
                ),
            });
        }
        if anchor.seq == end.seq && anchor.hash != end.hash {
            return Err(anchor_problem(
                ProblemKind::Anchor,
                format!(
                    "the anchor records entry {} with hash {}, the log has {}",
                    anchor.seq, anchor.hash, end.hash
                ),
                None,
            ));
        }
        if let (Some(checker), Some(c)) = (&self.checker, &anchor.checkpoint) {
            checker
                .check(c)
                .map_err(|m| anchor_problem(ProblemKind::Signature, m, Some(1)))?;
        }
        Ok(())
    }

    /// Where the chain read ends; when no entry was read (the log is empty after a
    /// rotation and its rotated files were not read), where `<log>.1` ends.
    fn end(&self, log: &Path) -> ChainHead {
        if let Some(h) = &self.head {
            return h.clone();
        }
        let newest = paths::rotated(log, 1);
        let tail = File::open(&newest).ok().and_then(|f| {
            let len = f.metadata().ok()?.len();
            read_tail(&f, len).ok()
        });
        match tail {
            Some(Tail::Line(text)) if self.continues_older => parse_line(&text)
                .map(|l| l.head())
                .unwrap_or_else(|_| ChainHead::genesis()),
            _ => ChainHead::genesis(),
        }
    }
}
