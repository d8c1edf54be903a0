//! The `audit` capability: rule sets that examine a connection (configuration, roles,
//! grants, schema) or statements (before they run, or in migration files) and return
//! findings, and read the server's own audit log where the engine keeps one.

use crate::{ConnectionBox, Extensions, PluginError};
use abi_stable::sabi_trait;
use abi_stable::std_types::{RBox, ROption, RResult, RSlice, RStr, RString, RVec};
use abi_stable::StableAbi;
use std::fmt;

/// How serious a finding is, as an open set ordered by number.
#[repr(transparent)]
#[derive(StableAbi, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Severity(pub u8);

impl Severity {
    /// Worth knowing; no action needed.
    pub const INFO: Self = Self(1);
    /// A weakness with little exposure.
    pub const LOW: Self = Self(2);
    /// A weakness to fix in the normal course of work.
    pub const MEDIUM: Self = Self(3);
    /// Fix soon: data or access at risk.
    pub const HIGH: Self = Self(4);
    /// Fix now: open to anyone who can reach the server, or data lost.
    pub const CRITICAL: Self = Self(5);

    /// `info`, `low`, `medium`, `high`, `critical`, or `other`.
    pub fn name(self) -> &'static str {
        match self {
            Self::INFO => "info",
            Self::LOW => "low",
            Self::MEDIUM => "medium",
            Self::HIGH => "high",
            Self::CRITICAL => "critical",
            _ => "other",
        }
    }
}

impl fmt::Debug for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a rule examines, as an open set.
#[repr(transparent)]
#[derive(StableAbi, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AuditTarget(pub u8);

impl AuditTarget {
    /// A live connection: configuration, roles, grants, schema.
    pub const CONNECTION: Self = Self(1);
    /// Statements, before they run or read from migration files.
    pub const STATEMENTS: Self = Self(2);

    /// `connection`, `statements`, or `other`.
    pub fn name(self) -> &'static str {
        match self {
            Self::CONNECTION => "connection",
            Self::STATEMENTS => "statements",
            _ => "other",
        }
    }
}

impl fmt::Debug for AuditTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A rule, as its rule set describes it.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq)]
pub struct AuditRule {
    /// Its id, unique in the rule set (`delete-without-where`).
    pub id: RString,
    /// Severity of what it finds.
    pub severity: Severity,
    /// What it examines.
    pub target: AuditTarget,
    /// One sentence: what it finds and why that matters.
    pub summary: RString,
    /// How to fix what it finds.
    pub remedy: RString,
    /// Facts a later contract adds.
    pub extensions: Extensions,
}

/// A place in a file: where a statement read from a migration starts.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq)]
pub struct SourceLocation {
    /// The file as the user named it.
    pub file: RString,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

/// One finding.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq)]
pub struct AuditFinding {
    /// The rule that fired.
    pub rule: RString,
    /// How serious this finding is (usually the rule's severity).
    pub severity: Severity,
    /// What it is about (`public.orders`, `role app`, `setting ssl`).
    pub object: RString,
    /// What is wrong, in one sentence.
    pub message: RString,
    /// How to fix it.
    pub remedy: RString,
    /// The file and line, for a finding about a statement read from a file.
    pub location: ROption<SourceLocation>,
    /// Facts a later contract adds.
    pub extensions: Extensions,
}

/// A statement handed to [`AuditRuleSet::check_statements`].
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq)]
pub struct AuditStatement {
    /// The statement's SQL, one statement.
    pub sql: RString,
    /// Where it was read from, when it comes from a file.
    pub location: ROption<SourceLocation>,
    /// Facts a later contract adds.
    pub extensions: Extensions,
}

/// What the host knows about the database being audited.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq)]
pub struct AuditContext {
    /// The driver's name (`postgres`); empty when statements are checked with no engine named.
    pub driver: RString,
    /// The dialect's name as the driver describes it (`mariadb`); empty when unknown.
    pub dialect: RString,
    /// The server's version text; empty when unknown.
    pub server_version: RString,
    /// The connection's URL without its password; empty when there is none.
    pub url: RString,
    /// The rule set's settings as JSON (empty for none).
    pub settings: RString,
    /// Facts a later contract adds.
    pub extensions: Extensions,
}

/// What to read from the server's audit log.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq)]
pub struct AuditLogRequest {
    /// Only entries at or after this instant (RFC 3339); empty for all.
    pub since: RString,
    /// At most this many entries, the newest ones (0: no limit).
    pub limit: u32,
    /// Facts a later contract adds.
    pub extensions: Extensions,
}

/// One entry of a server-side audit log, in the same shape for every engine.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq)]
pub struct AuditRecord {
    /// When (RFC 3339, as precise as the server wrote it).
    pub time: RString,
    /// The database user.
    pub user: RString,
    /// Where the session came from (host, address).
    pub client: RString,
    /// The database.
    pub database: RString,
    /// What kind of event (`READ`, `WRITE`, `DDL`, `QUERY`, `CONNECT`).
    pub class: RString,
    /// The statement, as the server logged it.
    pub statement: RString,
    /// `ok`, or the error the server reported.
    pub outcome: RString,
    /// Which log it came from (`pgaudit`, `server_audit`).
    pub source: RString,
    /// Facts a later contract adds.
    pub extensions: Extensions,
}

/// An audit rule set.
///
/// Every method receives what it needs from the host: a connection it may query (a driver's
/// connection, used through the contract), statements, and the [`AuditContext`].
#[sabi_trait]
pub trait AuditRuleSet: Send + Sync {
    /// Every rule the set holds.
    fn rules(&self) -> RVec<AuditRule>;

    /// Examines a live connection: configuration, roles, grants, schema.
    fn check_connection(
        &self,
        conn: &mut ConnectionBox,
        context: &AuditContext,
    ) -> RResult<RVec<AuditFinding>, PluginError>;

    /// Examines statements, before they run or read from files. `conn`, when given, is a
    /// connection to the database they are meant for (to look up table sizes).
    fn check_statements(
        &self,
        statements: RSlice<'_, AuditStatement>,
        context: &AuditContext,
        conn: ROption<&mut ConnectionBox>,
    ) -> RResult<RVec<AuditFinding>, PluginError>;

    /// Switches the server's own audit log on with `settings` (JSON, empty for the rule
    /// set's defaults); returns the statements it ran, for the user to read.
    fn configure_server_log(
        &self,
        conn: &mut ConnectionBox,
        settings: RStr<'_>,
    ) -> RResult<RVec<RString>, PluginError>;

    /// Reads entries of the server's own audit log.
    #[sabi(last_prefix_field)]
    fn server_log(
        &self,
        conn: &mut ConnectionBox,
        request: &AuditLogRequest,
    ) -> RResult<RVec<AuditRecord>, PluginError>;
}

/// A boxed [`AuditRuleSet`].
pub type AuditRuleSetBox = AuditRuleSet_TO<'static, RBox<()>>;
