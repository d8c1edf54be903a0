//! [`PluginError`]: an error as it crosses the contract.

use abi_stable::std_types::{ROption, RString};
use abi_stable::StableAbi;
use std::fmt;

/// What went wrong, as an open set: a plugin built against a newer contract may send a kind
/// this host does not know; [`ErrorKind::name`] then says `"other"`.
#[repr(transparent)]
#[derive(StableAbi, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ErrorKind(pub u8);

impl ErrorKind {
    /// Could not connect, or the connection was lost.
    pub const CONNECTION: Self = Self(1);
    /// The statement is not valid SQL for this engine.
    pub const SYNTAX: Self = Self(2);
    /// A constraint (unique, foreign key, not null, check) was violated.
    pub const CONSTRAINT: Self = Self(3);
    /// A table, column, file or capability does not exist.
    pub const NOT_FOUND: Self = Self(4);
    /// The engine or plugin cannot do this.
    pub const UNSUPPORTED: Self = Self(5);
    /// A value could not be converted without loss.
    pub const TYPE: Self = Self(6);
    /// Access denied.
    pub const PERMISSION: Self = Self(7);
    /// The statement was cancelled.
    pub const CANCELLED: Self = Self(8);
    /// A timeout elapsed.
    pub const TIMEOUT: Self = Self(9);
    /// The database is locked or busy.
    pub const BUSY: Self = Self(10);
    /// An I/O error.
    pub const IO: Self = Self(11);
    /// A bug or unexpected state inside the plugin.
    pub const INTERNAL: Self = Self(12);
    /// The plugin panicked; the object that panicked must not be used again.
    pub const PANIC: Self = Self(13);
    /// Bad arguments or options from the caller (a URL option, a parameter count).
    pub const INVALID_INPUT: Self = Self(14);
    /// The engine rejected the statement for another reason (a generic SQL error).
    pub const DATABASE: Self = Self(15);
    /// The server ended this session (terminated, killed, restarted, or the socket closed):
    /// the connection cannot be used again until it reconnects.
    pub const CLOSED: Self = Self(16);
    /// The server refused the credentials (wrong password, unknown user, no such role).
    pub const AUTHENTICATION: Self = Self(17);
    /// The object a DDL statement creates already exists (a table, column, index, key).
    pub const ALREADY_EXISTS: Self = Self(18);
    /// The object a DDL statement drops or alters no longer exists.
    pub const ALREADY_GONE: Self = Self(19);
    /// The transaction lost a serialization conflict or a deadlock: run it again.
    pub const SERIALIZATION: Self = Self(20);

    /// A short lowercase name: `connection`, `syntax`, `constraint`, ….
    pub fn name(self) -> &'static str {
        match self.0 {
            1 => "connection",
            2 => "syntax",
            3 => "constraint",
            4 => "not found",
            5 => "unsupported",
            6 => "type",
            7 => "permission",
            8 => "cancelled",
            9 => "timeout",
            10 => "busy",
            11 => "io",
            12 => "internal",
            13 => "panic",
            14 => "invalid input",
            15 => "database",
            16 => "closed",
            17 => "authentication",
            18 => "already exists",
            19 => "already gone",
            20 => "serialization",
            _ => "other",
        }
    }
}

impl ErrorKind {
    /// True when trying again cannot help without a change by the user: wrong credentials,
    /// no permission, a bad option, a database that does not exist. A pool stops retrying.
    pub fn is_permanent(self) -> bool {
        matches!(
            self,
            Self::AUTHENTICATION
                | Self::PERMISSION
                | Self::INVALID_INPUT
                | Self::NOT_FOUND
                | Self::UNSUPPORTED
                | Self::SYNTAX
        )
    }

    /// True when the same work may succeed if run again: a busy database, a lost
    /// serialization conflict or deadlock, a timeout, a dropped connection.
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            Self::BUSY | Self::SERIALIZATION | Self::TIMEOUT | Self::CONNECTION | Self::CLOSED
        )
    }
}

impl fmt::Debug for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An error returned by a plugin.
#[repr(C)]
#[derive(StableAbi, Clone, PartialEq)]
pub struct PluginError {
    /// What kind of failure this is.
    pub kind: ErrorKind,
    /// The engine's or plugin's message. Must never contain a password.
    pub message: RString,
    /// The SQLSTATE, where the engine reports one (`23505`).
    pub sqlstate: ROption<RString>,
    /// The engine's own error code, where it has one (SQLite extended code, MySQL errno).
    pub code: ROption<i64>,
}

impl PluginError {
    /// An error of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: RString::from(message.into()),
            sqlstate: ROption::RNone,
            code: ROption::RNone,
        }
    }

    /// Adds the SQLSTATE.
    pub fn with_sqlstate(mut self, sqlstate: impl Into<String>) -> Self {
        self.sqlstate = ROption::RSome(RString::from(sqlstate.into()));
        self
    }

    /// Adds the engine's error code.
    pub fn with_code(mut self, code: i64) -> Self {
        self.code = ROption::RSome(code);
        self
    }

    /// Shorthand for an [`ErrorKind::INVALID_INPUT`] error.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::INVALID_INPUT, message)
    }

    /// Shorthand for an [`ErrorKind::UNSUPPORTED`] error.
    pub fn unsupported(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::UNSUPPORTED, message)
    }
}

impl fmt::Display for PluginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        match (&self.sqlstate, &self.code) {
            (ROption::RSome(s), ROption::RSome(c)) => write!(f, " (SQLSTATE {s}, code {c})"),
            (ROption::RSome(s), ROption::RNone) => write!(f, " (SQLSTATE {s})"),
            (ROption::RNone, ROption::RSome(c)) => write!(f, " (code {c})"),
            (ROption::RNone, ROption::RNone) => Ok(()),
        }
    }
}

impl fmt::Debug for PluginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PluginError({:?}: {self})", self.kind)
    }
}

impl std::error::Error for PluginError {}
