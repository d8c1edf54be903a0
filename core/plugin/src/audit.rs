//! The audit rule set traits a plugin author implements, in plain Rust, and the connection a
//! rule set queries through the host ([`HostConnection`]).

pub use crate::host_connection::HostConnection;
use crate::{Config, PluginError};
use myrmex_abi as abi;

pub use myrmex_abi::{AuditTarget, Severity};

/// A rule: what it finds, how serious that is, and how to fix it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rule {
    /// Its id, unique in the rule set (`delete-without-where`).
    pub id: &'static str,
    /// Severity of what it finds.
    pub severity: Severity,
    /// What it examines.
    pub target: AuditTarget,
    /// One sentence: what it finds and why that matters.
    pub summary: &'static str,
    /// How to fix what it finds.
    pub remedy: &'static str,
}

impl Rule {
    /// A finding of this rule about `object`, with the rule's severity and remedy.
    ///
    /// ```
    /// use myrmex_plugin::audit::{AuditTarget, Rule, Severity};
    /// const NO_PK: Rule = Rule {
    ///     id: "table-without-primary-key",
    ///     severity: Severity::MEDIUM,
    ///     target: AuditTarget::CONNECTION,
    ///     summary: "A table without a primary key.",
    ///     remedy: "Add a primary key.",
    /// };
    /// let f = NO_PK.finding("public.t", "public.t has no primary key");
    /// assert_eq!(f.rule, "table-without-primary-key");
    /// assert_eq!(f.remedy, "Add a primary key.");
    /// ```
    pub fn finding(&self, object: impl Into<String>, message: impl Into<String>) -> Finding {
        Finding {
            rule: self.id.to_string(),
            severity: self.severity,
            object: object.into(),
            message: message.into(),
            remedy: self.remedy.to_string(),
            location: None,
        }
    }
}

/// A place in a file: where a statement read from a migration starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// The file as the user named it.
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

/// One finding.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// The rule that fired.
    pub rule: String,
    /// How serious it is.
    pub severity: Severity,
    /// What it is about (`public.orders`, `role app`, `setting ssl`).
    pub object: String,
    /// What is wrong, in one sentence.
    pub message: String,
    /// How to fix it.
    pub remedy: String,
    /// Where, for a statement read from a file.
    pub location: Option<Location>,
}

impl Finding {
    /// The same finding at `location`.
    pub fn at(mut self, location: Option<Location>) -> Self {
        self.location = location;
        self
    }

    /// The same finding with another remedy.
    pub fn with_remedy(mut self, remedy: impl Into<String>) -> Self {
        self.remedy = remedy.into();
        self
    }
}

/// A statement to check.
#[derive(Clone, Debug, PartialEq)]
pub struct Statement {
    /// One statement's SQL.
    pub sql: String,
    /// Where it was read from, when it comes from a file.
    pub location: Option<Location>,
}

/// What the host knows about the database being audited.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Context {
    /// The driver's name (`postgres`); empty when no engine was named.
    pub driver: String,
    /// The dialect's name (`mariadb`); empty when unknown.
    pub dialect: String,
    /// The server's version text; empty when unknown.
    pub server_version: String,
    /// The connection's URL without its password; empty when there is none.
    pub url: String,
    /// The rule set's settings as JSON (empty for none); read them with [`Context::settings`].
    pub settings: String,
}

impl Context {
    /// The rule set's settings read into `T` (`T::default()` when none were given).
    pub fn settings<T: serde::de::DeserializeOwned + Default>(
        &self,
        rule_set: &str,
    ) -> Result<T, PluginError> {
        Config::new(rule_set, &self.settings).parse()
    }

    /// True when the audited engine is `name`: the driver or the dialect has that name.
    pub fn is(&self, name: &str) -> bool {
        self.driver == name || self.dialect == name
    }
}

/// One entry of a server-side audit log.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct LogRecord {
    /// When (RFC 3339, as precise as the server wrote it).
    pub time: String,
    /// The database user.
    pub user: String,
    /// Where the session came from.
    pub client: String,
    /// The database.
    pub database: String,
    /// The kind of event (`READ`, `WRITE`, `DDL`, `QUERY`, `CONNECT`).
    pub class: String,
    /// The statement as the server logged it.
    pub statement: String,
    /// `ok` or the server's error.
    pub outcome: String,
    /// Which log it came from (`pgaudit`).
    pub source: String,
}

/// An audit rule set. Only [`AuditRuleSet::rules`] is required; a rule set implements the
/// checks it has rules for.
pub trait AuditRuleSet: Send + Sync + 'static {
    /// Every rule the set holds.
    fn rules(&self) -> Vec<Rule>;

    /// Examines a live connection: configuration, roles, grants, schema.
    fn check_connection(
        &self,
        conn: &mut HostConnection<'_>,
        context: &Context,
    ) -> Result<Vec<Finding>, PluginError> {
        let _ = (conn, context);
        Ok(Vec::new())
    }

    /// Examines statements before they run, or read from files; `conn`, when given, reaches
    /// the database they are meant for.
    fn check_statements(
        &self,
        statements: &[Statement],
        context: &Context,
        conn: Option<&mut HostConnection<'_>>,
    ) -> Result<Vec<Finding>, PluginError> {
        let _ = (statements, context, conn);
        Ok(Vec::new())
    }

    /// Switches the server's own audit log on; returns the statements it ran.
    fn configure_server_log(
        &self,
        conn: &mut HostConnection<'_>,
        settings: Config<'_>,
    ) -> Result<Vec<String>, PluginError> {
        let _ = (conn, settings);
        Err(PluginError::unsupported(
            "this rule set cannot configure a server-side audit log",
        ))
    }

    /// Reads the server's own audit log: entries at or after `since` (RFC 3339; empty for
    /// all), at most `limit` of the newest (0: no limit).
    fn server_log(
        &self,
        conn: &mut HostConnection<'_>,
        since: &str,
        limit: u32,
    ) -> Result<Vec<LogRecord>, PluginError> {
        let _ = (conn, since, limit);
        Err(PluginError::unsupported(
            "this rule set cannot read a server-side audit log",
        ))
    }
}

pub(crate) fn rule_to_abi(r: &Rule) -> abi::AuditRule {
    abi::AuditRule {
        id: r.id.into(),
        severity: r.severity,
        target: r.target,
        summary: r.summary.into(),
        remedy: r.remedy.into(),
        extensions: Default::default(),
    }
}

pub(crate) fn finding_to_abi(f: Finding) -> abi::AuditFinding {
    abi::AuditFinding {
        rule: f.rule.into(),
        severity: f.severity,
        object: f.object.into(),
        message: f.message.into(),
        remedy: f.remedy.into(),
        location: f.location.map(location_to_abi).into(),
        extensions: Default::default(),
    }
}

fn location_to_abi(l: Location) -> abi::SourceLocation {
    abi::SourceLocation {
        file: l.file.into(),
        line: l.line,
        column: l.column,
    }
}

pub(crate) fn statement_from_abi(s: &abi::AuditStatement) -> Statement {
    Statement {
        sql: s.sql.to_string(),
        location: s.location.as_ref().into_option().map(|l| Location {
            file: l.file.to_string(),
            line: l.line,
            column: l.column,
        }),
    }
}

pub(crate) fn context_from_abi(c: &abi::AuditContext) -> Context {
    Context {
        driver: c.driver.to_string(),
        dialect: c.dialect.to_string(),
        server_version: c.server_version.to_string(),
        url: c.url.to_string(),
        settings: c.settings.to_string(),
    }
}

pub(crate) fn record_to_abi(r: LogRecord) -> abi::AuditRecord {
    abi::AuditRecord {
        time: r.time.into(),
        user: r.user.into(),
        client: r.client.into(),
        database: r.database.into(),
        class: r.class.into(),
        statement: r.statement.into(),
        outcome: r.outcome.into(),
        source: r.source.into(),
        extensions: Default::default(),
    }
}
