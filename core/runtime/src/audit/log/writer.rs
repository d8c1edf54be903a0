//! [`AuditLog`]: appending entries to the chain, checkpoints, the anchor and rotation,
//! safely from several threads and several processes.

use super::anchor::{self, Anchor};
use super::chain::{self, parse_line, ChainHead, Line};
use super::entry::{Checkpoint, LogEntry, Record};
use super::lock::FileLock;
use super::sign::Signer;
use super::tail::{read_tail, Tail};
use super::{clock, identity, paths, rotate};
use crate::error::{Error, Result};
use std::fmt;
use std::fs::{File, Metadata, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// How an [`AuditLog`] writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogOptions {
    /// A checkpoint line follows every entry whose sequence number is a multiple of this
    /// (0: checkpoints only when the log is closed or rotated). Default 100.
    pub checkpoint_every: u64,
    /// The log is rotated once it is larger than this many bytes (0: never). Default 0.
    pub rotate_bytes: u64,
    /// The file holding the Ed25519 key checkpoints are signed with (32 bytes, raw or as 64
    /// hex characters; on Unix readable by its owner only). Default: none, checkpoints are
    /// not signed.
    pub signing_key: Option<PathBuf>,
    /// Flush every line and anchor to disk before `append` returns (slower; survives a
    /// power cut). Default false.
    pub sync: bool,
}

impl Default for LogOptions {
    fn default() -> Self {
        LogOptions {
            checkpoint_every: 100,
            rotate_bytes: 0,
            signing_key: None,
            sync: false,
        }
    }
}

/// A tamper-evident statement log: one JSON line per statement, each holding the hash of
/// the one before, with checkpoints (signed when a key is configured) and an anchor file
/// recording the latest entry.
///
/// Appends from the threads of a process are serialised; appends from several processes
/// to the same log take an exclusive lock on `<log>.lock` and continue the chain from what
/// the others wrote. Closing (or dropping) the log writes a checkpoint for its last entry.
///
/// ```no_run
/// use myrmex_core::audit::log::{AuditLog, LogEntry, LogOptions, Outcome};
/// use std::time::Duration;
///
/// let log = AuditLog::open("audit.log", LogOptions::default())?;
/// log.append(&LogEntry {
///     connection: "app".into(),
///     url: "db://ann@db.example/app".into(),
///     statement: "UPDATE users SET name = ? WHERE id = ?".into(),
///     params: 2,
///     duration: Duration::from_millis(3),
///     rows: Some(1),
///     outcome: Outcome::Ok,
/// })?;
/// log.close()?;
/// # Ok::<(), myrmex_core::Error>(())
/// ```
pub struct AuditLog {
    path: PathBuf,
    options: LogOptions,
    signer: Option<Signer>,
    user: String,
    host: String,
    /// `<log>.lock`, held open.
    lock_file: File,
    inner: Mutex<Inner>,
}

/// What the writer knows of the file, guarded by the mutex.
#[derive(Debug)]
struct Inner {
    /// The current `<log>`, opened for appending.
    file: Option<File>,
    /// The file's length after this writer's last write; `None` when it must be read again.
    known_len: Option<u64>,
    /// The end of the chain.
    head: ChainHead,
    /// True when nothing follows the latest checkpoint (or the file is empty).
    sealed: bool,
    /// The latest checkpoint written to this log, by any process, as far as known.
    last_checkpoint: Option<Checkpoint>,
    /// True once closed.
    closed: bool,
}

impl fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuditLog")
            .field("path", &self.path)
            .field("options", &self.options)
            .field("signer", &self.signer)
            .finish_non_exhaustive()
    }
}

impl AuditLog {
    /// Opens (or creates, mode 0600 on Unix) the log at `path` and reads where its chain
    /// ends. Fails when the signing key is unusable, when the last line is cut short or is
    /// not a log line, or when the log ends before the entry its anchor records: appending
    /// then would hide what happened, so the log must be verified and moved aside first.
    pub fn open(path: impl AsRef<Path>, options: LogOptions) -> Result<AuditLog> {
        let path = path.as_ref().to_path_buf();
        let signer = options
            .signing_key
            .as_deref()
            .map(Signer::load)
            .transpose()?;
        let lock_path = paths::lock(&path);
        let lock_file = create_private(&lock_path, false)?;
        let log = AuditLog {
            path,
            options,
            signer,
            user: identity::os_user(),
            host: identity::host_name(),
            lock_file,
            inner: Mutex::new(Inner {
                file: None,
                known_len: None,
                head: ChainHead::genesis(),
                sealed: true,
                last_checkpoint: None,
                closed: false,
            }),
        };
        let opened = {
            let mut inner = log.inner();
            let result = log.lock().and_then(|_lock| log.refresh(&mut inner));
            // A log that failed to open is not sealed on drop.
            inner.closed = result.is_err();
            result
        };
        opened.map(|()| log)
    }

    /// The log file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The id of the key checkpoints are signed with, when there is one.
    pub fn key_id(&self) -> Option<&str> {
        self.signer.as_ref().map(Signer::key_id)
    }

    /// Appends one entry and returns its sequence number. Writes a checkpoint when the
    /// number is a multiple of [`LogOptions::checkpoint_every`], replaces the anchor, and
    /// rotates the log when it grew past [`LogOptions::rotate_bytes`].
    pub fn append(&self, entry: &LogEntry) -> Result<u64> {
        let mut inner = self.inner();
        self.refuse_closed(&inner)?;
        let _lock = self.lock()?;
        self.refresh(&mut inner)?;
        let record = Record {
            seq: inner.head.seq + 1,
            time: clock::now(),
            user: self.user.clone(),
            host: self.host.clone(),
            connection: entry.connection.clone(),
            url: entry.url.clone(),
            statement: entry.statement.clone(),
            params: u64::try_from(entry.params).unwrap_or(u64::MAX),
            duration_ms: entry.duration.as_secs_f64() * 1000.0,
            rows: entry.rows,
            outcome: entry.outcome.to_string(),
            prev: inner.head.hash.clone(),
        };
        let (line, hash) = chain::seal(&record).map_err(|e| self.error(None, e))?;
        self.write_line(&mut inner, &line)?;
        inner.head = ChainHead {
            seq: record.seq,
            hash,
        };
        inner.sealed = false;
        let every = self.options.checkpoint_every;
        if every > 0 && record.seq.is_multiple_of(every) {
            self.write_checkpoint(&mut inner)?;
        }
        self.write_anchor(&inner)?;
        let rotate = self.options.rotate_bytes;
        if rotate > 0 && inner.known_len.is_some_and(|len| len > rotate) {
            self.rotate_locked(&mut inner)?;
        }
        Ok(record.seq)
    }

    /// Writes a checkpoint for the last entry now, unless one already follows it, and
    /// returns the latest checkpoint (`None` while the log has no entries).
    pub fn checkpoint(&self) -> Result<Option<Checkpoint>> {
        let mut inner = self.inner();
        self.refuse_closed(&inner)?;
        let _lock = self.lock()?;
        self.refresh(&mut inner)?;
        self.seal(&mut inner)?;
        Ok(inner.last_checkpoint.clone())
    }

    /// Rotates now: seals the log with a checkpoint and renames it to `<log>.1` (older
    /// rotated files move one number up); the next entry goes to a new `<log>` and links
    /// to the last one of `<log>.1`. Does nothing while the log file is empty.
    pub fn rotate(&self) -> Result<()> {
        let mut inner = self.inner();
        self.refuse_closed(&inner)?;
        let _lock = self.lock()?;
        self.refresh(&mut inner)?;
        self.rotate_locked(&mut inner)
    }

    /// The end of the chain: the last entry's sequence number and hash, including entries
    /// other processes appended.
    pub fn head(&self) -> Result<ChainHead> {
        let mut inner = self.inner();
        let _lock = self.lock()?;
        self.refresh(&mut inner)?;
        Ok(inner.head.clone())
    }

    /// Closes the log, writing a checkpoint for its last entry unless one follows it
    /// already. Dropping the log does the same, but can only report a failure as a warning.
    pub fn close(self) -> Result<()> {
        self.finish()
    }

    fn finish(&self) -> Result<()> {
        let mut inner = self.inner();
        if inner.closed {
            return Ok(());
        }
        inner.closed = true;
        let _lock = self.lock()?;
        self.refresh(&mut inner)?;
        self.seal(&mut inner)
    }

    fn inner(&self) -> MutexGuard<'_, Inner> {
        // A panic in another append leaves nothing half-done that `refresh` does not redo.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn lock(&self) -> Result<FileLock<'_>> {
        FileLock::exclusive(&self.lock_file, &paths::lock(&self.path))
    }

    fn refuse_closed(&self, inner: &Inner) -> Result<()> {
        if inner.closed {
            return Err(self.error(None, "the audit log is closed"));
        }
        Ok(())
    }

    fn error(&self, line: Option<usize>, message: impl fmt::Display) -> Error {
        Error::AuditLog {
            path: self.path.clone(),
            line,
            message: message.to_string(),
        }
    }

    fn io(&self, path: &Path) -> impl Fn(std::io::Error) -> Error {
        let path = path.to_path_buf();
        move |source| Error::Io {
            path: path.clone(),
            source,
        }
    }

    /// Brings `inner` up to date with the files, under the lock: reopens `<log>` when it was
    /// rotated or replaced, and reads the end of the chain again when the file's length is
    /// not what this writer left (another process appended, or nothing is known yet).
    fn refresh(&self, inner: &mut Inner) -> Result<()> {
        let current = match std::fs::metadata(&self.path) {
            Ok(m) => Some(m),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(self.io(&self.path)(e)),
        };
        let same = match (&inner.file, &current) {
            (Some(file), Some(meta)) => same_file(file, meta),
            _ => false,
        };
        if !same {
            inner.file = None;
            inner.known_len = None;
        }
        let file = match inner.file.take() {
            Some(f) => f,
            None => create_private(&self.path, true)?,
        };
        let len = file.metadata().map_err(self.io(&self.path))?.len();
        let result = if inner.known_len == Some(len) {
            Ok(())
        } else {
            self.reread(inner, &file, len)
        };
        inner.file = Some(file);
        result
    }

    /// Reads where the chain ends from the last line of `file` (or of `<log>.1` when `file`
    /// is empty) and checks it against the anchor.
    fn reread(&self, inner: &mut Inner, file: &File, len: u64) -> Result<()> {
        let (head, sealed) =
            match read_tail(file, len).map_err(self.io(&self.path))? {
                Tail::Empty => (self.rotated_head()?, true),
                Tail::Line(text) => self.head_of(&self.path, file, len, &text)?,
                Tail::Torn { line } => return Err(self.error(
                    Some(line),
                    "the last line is cut short (a write did not finish); verify the log, then \
                     move it and its anchor aside to start a new one",
                )),
            };
        let anchor = anchor::read(&self.path).map_err(|message| Error::AuditLog {
            path: paths::anchor(&self.path),
            line: None,
            message,
        })?;
        if let Some(a) = &anchor {
            if a.seq > head.seq || (a.seq == head.seq && a.hash != head.hash) {
                return Err(self.error(
                    None,
                    format!(
                        "the anchor records entry {} with hash {}, but the log ends at entry {} \
                         with hash {}: lines were removed or rewritten; verify the log, then \
                         move it and its anchor aside to start a new one",
                        a.seq, a.hash, head.seq, head.hash
                    ),
                ));
            }
        }
        inner.last_checkpoint = anchor.and_then(|a| a.checkpoint);
        inner.head = head;
        inner.sealed = sealed;
        inner.known_len = Some(len);
        Ok(())
    }

    /// The chain head a complete last line of `path` stands for, and whether it is a
    /// checkpoint.
    fn head_of(&self, path: &Path, file: &File, len: u64, text: &str) -> Result<(ChainHead, bool)> {
        match parse_line(text) {
            Ok(line) => Ok((line.head(), matches!(line, Line::Checkpoint(_)))),
            Err(message) => {
                let line = super::tail::count_lines(file, len).map_err(self.io(path))?;
                Err(Error::AuditLog {
                    path: path.to_path_buf(),
                    line: Some(line),
                    message: format!(
                        "{message}; verify the log, then move it and its anchor aside to start \
                         a new one"
                    ),
                })
            }
        }
    }

    /// Where the chain ends when `<log>` is empty: at the end of `<log>.1`, or nowhere yet.
    fn rotated_head(&self) -> Result<ChainHead> {
        let path = paths::rotated(&self.path, 1);
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(ChainHead::genesis()),
            Err(e) => return Err(self.io(&path)(e)),
        };
        let len = file.metadata().map_err(self.io(&path))?.len();
        match read_tail(&file, len).map_err(self.io(&path))? {
            Tail::Empty => Ok(ChainHead::genesis()),
            Tail::Line(text) => Ok(self.head_of(&path, &file, len, &text)?.0),
            Tail::Torn { line } => Err(Error::AuditLog {
                path,
                line: Some(line),
                message: "the last line is cut short (a write did not finish)".into(),
            }),
        }
    }

    /// Appends `line` and a newline; a write that fails part way is cut off again.
    fn write_line(&self, inner: &mut Inner, line: &str) -> Result<()> {
        let Some(file) = inner.file.as_mut() else {
            return Err(self.error(None, "the log file is not open"));
        };
        let mut bytes = Vec::with_capacity(line.len() + 1);
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
        let written = file.write_all(&bytes).and_then(|()| {
            if self.options.sync {
                file.sync_data()
            } else {
                Ok(())
            }
        });
        match written {
            Ok(()) => {
                inner.known_len = inner.known_len.map(|len| len + bytes.len() as u64);
                Ok(())
            }
            Err(e) => {
                if let Some(len) = inner.known_len {
                    let _ = file.set_len(len);
                }
                inner.known_len = None;
                Err(self.io(&self.path)(e))
            }
        }
    }

    /// Writes a checkpoint for the head unless the log is sealed already.
    fn seal(&self, inner: &mut Inner) -> Result<()> {
        if inner.sealed || inner.head.seq == 0 {
            return Ok(());
        }
        self.write_checkpoint(inner)?;
        self.write_anchor(inner)
    }

    /// Writes a checkpoint for the head.
    fn write_checkpoint(&self, inner: &mut Inner) -> Result<()> {
        let head = &inner.head;
        let checkpoint = Checkpoint {
            checkpoint: head.seq,
            hash: head.hash.clone(),
            time: clock::now(),
            signature: self
                .signer
                .as_ref()
                .and_then(|s| s.sign(head.seq, &head.hash)),
            key_id: self.signer.as_ref().map(|s| s.key_id().to_string()),
        };
        let line = chain::checkpoint_line(&checkpoint).map_err(|e| self.error(None, e))?;
        self.write_line(inner, &line)?;
        inner.sealed = true;
        inner.last_checkpoint = Some(checkpoint);
        Ok(())
    }

    fn write_anchor(&self, inner: &Inner) -> Result<()> {
        if inner.head.seq == 0 {
            return Ok(());
        }
        let anchor = Anchor {
            seq: inner.head.seq,
            hash: inner.head.hash.clone(),
            checkpoint: inner.last_checkpoint.clone(),
        };
        anchor::write(&self.path, &anchor, self.options.sync)
    }

    fn rotate_locked(&self, inner: &mut Inner) -> Result<()> {
        if inner.known_len.unwrap_or(0) == 0 {
            return Ok(());
        }
        self.seal(inner)?;
        inner.file = None;
        inner.known_len = None;
        rotate::shift(&self.path)?;
        inner.file = Some(create_private(&self.path, true)?);
        inner.known_len = Some(0);
        inner.sealed = true;
        Ok(())
    }
}

impl Drop for AuditLog {
    fn drop(&mut self) {
        if let Err(e) = self.finish() {
            tracing::warn!("audit log: closing failed: {e}");
        }
    }
}

/// Opens `path` for reading and appending (`append`) or writing, creating it readable by
/// its owner only on Unix.
fn create_private(path: &Path, append: bool) -> Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).create(true);
    if append {
        options.append(true);
    } else {
        options.write(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// True when `file` is the file `meta` describes (it was not renamed away and replaced).
#[cfg(unix)]
fn same_file(file: &File, meta: &Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    file.metadata()
        .is_ok_and(|m| m.dev() == meta.dev() && m.ino() == meta.ino())
}

/// Without file identities, the file is opened again on every append.
#[cfg(not(unix))]
fn same_file(_file: &File, _meta: &Metadata) -> bool {
    false
}
