//! pgaudit: switching its session log on (`ALTER SYSTEM`), and reading its `AUDIT:` messages
//! back as log records.
//!
//! A message reads `AUDIT: SESSION,1,1,WRITE,INSERT,TABLE,public.t,"insert ...",<not logged>`:
//! audit type, statement id, substatement id, class, command, object type, object name,
//! statement, parameters (fields quoted as in CSV).

use super::probe::{self, Settings};
use super::serverlog::Entry;
use myrmex_plugin::audit::{HostConnection, LogRecord};
use myrmex_plugin::{Config, ErrorKind, PluginError};
use serde::Deserialize;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// The classes `pgaudit.log` accepts (each may be negated with `-`).
const CLASSES: &[&str] = &[
    "READ", "WRITE", "FUNCTION", "ROLE", "DDL", "MISC", "MISC_SET", "ALL", "NONE",
];

/// How long [`configure`] waits for its own session to see the new settings.
const RELOAD_WAIT: Duration = Duration::from_secs(5);

/// The settings of [`configure`], as JSON: `{"log": "write, ddl, role", "log_parameter":
/// false, "log_catalog": false}` (each optional, these are the defaults).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogSettings {
    /// `pgaudit.log`: the statement classes to log.
    pub log: String,
    /// `pgaudit.log_parameter`: also log statements' parameters (they may hold secrets).
    pub log_parameter: bool,
    /// `pgaudit.log_catalog`: also log statements that touch only the system catalogs
    /// (psql's `\d` and tools' introspection: noisy).
    pub log_catalog: bool,
}

impl Default for LogSettings {
    fn default() -> Self {
        LogSettings {
            log: "write, ddl, role".into(),
            log_parameter: false,
            log_catalog: false,
        }
    }
}

impl LogSettings {
    /// The statements that apply these settings, `log` checked against pgaudit's classes.
    pub fn statements(&self) -> Result<Vec<String>, PluginError> {
        let classes: Vec<&str> = self.log.split(',').map(str::trim).collect();
        for c in &classes {
            let name = c.strip_prefix('-').unwrap_or(c);
            if !CLASSES.iter().any(|k| k.eq_ignore_ascii_case(name)) {
                return Err(PluginError::invalid(format!(
                    "settings of `postgres` audit log: `{c}` is not a pgaudit class (expected a \
                     comma-separated list of {}, each optionally preceded by -)",
                    CLASSES.join(", ").to_lowercase()
                )));
            }
        }
        let on = |b: bool| if b { "on" } else { "off" };
        Ok(vec![
            format!(
                "ALTER SYSTEM SET pgaudit.log = {}",
                probe::quote_literal(&classes.join(", "))
            ),
            format!(
                "ALTER SYSTEM SET pgaudit.log_parameter = {}",
                on(self.log_parameter)
            ),
            format!(
                "ALTER SYSTEM SET pgaudit.log_catalog = {}",
                on(self.log_catalog)
            ),
            "SELECT pg_catalog.pg_reload_conf()".into(),
        ])
    }
}

/// Switches pgaudit's session log on with `config` ([`LogSettings`]) and reloads the
/// server's configuration; returns the statements it ran. pgaudit must already be loaded
/// (`shared_preload_libraries`, which takes a restart): otherwise nothing runs and the
/// error says what to do. Waits (a few seconds at most) until its own session sees the new
/// settings, so that what the caller runs next is logged.
pub fn configure(
    conn: &mut HostConnection<'_>,
    config: Config<'_>,
) -> Result<Vec<String>, PluginError> {
    let settings: LogSettings = config.parse()?;
    let statements = settings.statements()?;
    let seen = Settings::read(conn, &["pgaudit.log", "server_version_num"])?;
    if seen.get("pgaudit.log").is_none() {
        let major = seen
            .get("server_version_num")
            .and_then(|v| v.parse::<u32>().ok())
            .map_or("NN".to_string(), |v| (v / 10_000).to_string());
        return Err(PluginError::new(
            ErrorKind::UNSUPPORTED,
            format!(
                "pgaudit is not loaded on this server: add pgaudit to shared_preload_libraries \
                 and restart (Debian package postgresql-{major}-pgaudit)"
            ),
        ));
    }
    for sql in &statements {
        if sql.starts_with("SELECT") {
            conn.scalar(sql)?;
        } else {
            conn.execute(sql)?;
        }
    }
    let want = settings
        .log
        .split(',')
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(", ");
    let start = Instant::now();
    while start.elapsed() < RELOAD_WAIT {
        if conn
            .scalar("SELECT pg_catalog.current_setting('pgaudit.log')")?
            .as_deref()
            == Some(want.as_str())
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(statements)
}

/// One pgaudit message, split into its fields.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditMessage {
    /// `SESSION` or `OBJECT`.
    pub kind: String,
    /// The statement's number in its session.
    pub statement_id: String,
    /// The class (`READ`, `WRITE`, `DDL`, `ROLE`, …).
    pub class: String,
    /// The command (`INSERT`, `CREATE TABLE`).
    pub command: String,
    /// The statement as the client sent it.
    pub statement: String,
}

/// Splits a log message written by pgaudit; `None` for any other message.
pub fn parse_message(message: &str) -> Option<AuditMessage> {
    let body = message.strip_prefix("AUDIT: ")?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(body.as_bytes());
    let record = reader.records().next()?.ok()?;
    if record.len() < 8 {
        return None;
    }
    let field = |i: usize| record.get(i).unwrap_or_default().to_string();
    Some(AuditMessage {
        kind: field(0),
        statement_id: field(1),
        class: field(3),
        command: field(4),
        statement: field(7),
    })
}

/// True for an entry that reports a failed statement: its SQLSTATE is not of the success,
/// warning or no-data classes (or, without one, its severity says ERROR or FATAL).
fn is_error(e: &Entry) -> bool {
    if let (5, Some(class)) = (e.sqlstate.len(), e.sqlstate.get(..2)) {
        !matches!(class, "00" | "01" | "02")
    } else {
        e.severity == "ERROR" || e.severity == "FATAL"
    }
}

/// The pgaudit records among `entries`, each with the entry's raw time. A record's outcome
/// is `ok` unless its session's next error was raised by the same statement; then it is
/// that error.
pub fn records(entries: &[Entry]) -> Vec<(String, LogRecord)> {
    let mut out: Vec<(String, LogRecord)> = Vec::new();
    // Per session: the statement id of its latest audited statement and that statement's
    // records.
    let mut open: HashMap<&str, (String, Vec<usize>)> = HashMap::new();
    for e in entries {
        if let Some(m) = parse_message(&e.message) {
            let group = open
                .entry(e.session.as_str())
                .or_insert_with(|| (m.statement_id.clone(), Vec::new()));
            if group.0 != m.statement_id {
                *group = (m.statement_id.clone(), Vec::new());
            }
            group.1.push(out.len());
            out.push((
                e.time.clone(),
                LogRecord {
                    time: String::new(),
                    user: e.user.clone(),
                    client: e.client.clone(),
                    database: e.database.clone(),
                    class: m.class,
                    statement: m.statement,
                    outcome: "ok".into(),
                    source: "pgaudit".into(),
                },
            ));
        } else if is_error(e) {
            let Some((_, group)) = open.remove(e.session.as_str()) else {
                continue;
            };
            let same = !e.query.is_empty()
                && group
                    .iter()
                    .any(|&i| out.get(i).is_some_and(|(_, r)| r.statement == e.query));
            if same {
                let outcome = if e.sqlstate.is_empty() {
                    format!("{}: {}", e.severity, e.message)
                } else {
                    format!("{}: {} (SQLSTATE {})", e.severity, e.message, e.sqlstate)
                };
                for i in group {
                    if let Some((_, r)) = out.get_mut(i) {
                        r.outcome = outcome.clone();
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_settings_log_writes_ddl_and_roles() {
        let s: LogSettings = Config::new("postgres", "").parse().unwrap();
        assert_eq!(
            s.statements().unwrap(),
            [
                "ALTER SYSTEM SET pgaudit.log = 'write, ddl, role'",
                "ALTER SYSTEM SET pgaudit.log_parameter = off",
                "ALTER SYSTEM SET pgaudit.log_catalog = off",
                "SELECT pg_catalog.pg_reload_conf()",
            ]
        );
        let s: LogSettings =
            Config::new("postgres", r#"{"log": "all,-misc", "log_parameter": true}"#)
                .parse()
                .unwrap();
        let st = s.statements().unwrap();
        assert_eq!(st[0], "ALTER SYSTEM SET pgaudit.log = 'all, -misc'");
        assert_eq!(st[1], "ALTER SYSTEM SET pgaudit.log_parameter = on");
    }

    #[test]
    fn unknown_classes_and_keys_are_refused() {
        let s = LogSettings {
            log: "write, '; DROP TABLE x; --".into(),
            ..Default::default()
        };
        let e = s.statements().unwrap_err();
        assert_eq!(e.kind, ErrorKind::INVALID_INPUT);
        assert!(e.message.contains("not a pgaudit class"), "{e}");
        assert!(Config::new("postgres", r#"{"logg": "all"}"#)
            .parse::<LogSettings>()
            .is_err());
    }

    #[test]
    fn messages_split_with_quoted_statements() {
        let m = parse_message(
            "AUDIT: SESSION,3,1,DDL,CREATE TABLE,TABLE,public.t,\"create table t (a text default 'x,y', \"\"b\"\" int)\nwith (fillfactor=90)\",<not logged>",
        )
        .unwrap();
        assert_eq!(m.kind, "SESSION");
        assert_eq!(m.statement_id, "3");
        assert_eq!(m.class, "DDL");
        assert_eq!(m.command, "CREATE TABLE");
        assert_eq!(
            m.statement,
            "create table t (a text default 'x,y', \"b\" int)\nwith (fillfactor=90)"
        );
        assert!(parse_message("checkpoint starting").is_none());
        assert!(parse_message("AUDIT: SESSION,1").is_none());
    }

    fn entry(session: &str, severity: &str, sqlstate: &str, message: &str, query: &str) -> Entry {
        Entry {
            time: "2026-12-03 10:00:00 UTC".into(),
            user: "app".into(),
            database: "shop".into(),
            client: "[local]".into(),
            session: session.into(),
            severity: severity.into(),
            sqlstate: sqlstate.into(),
            message: message.into(),
            query: query.into(),
        }
    }

    #[test]
    fn a_statement_that_failed_takes_its_error_as_outcome() {
        let entries = [
            entry(
                "s1",
                "LOG",
                "00000",
                "AUDIT: SESSION,1,1,WRITE,INSERT,,,insert into t values (1),<not logged>",
                "",
            ),
            entry(
                "s2",
                "LOG",
                "00000",
                "AUDIT: SESSION,1,1,WRITE,INSERT,,,insert into u values (1),<not logged>",
                "",
            ),
            entry(
                "s1",
                "LOG",
                "00000",
                "AUDIT: SESSION,2,1,WRITE,INSERT,,,insert into t values (1),<not logged>",
                "",
            ),
            entry(
                "s1",
                "ERROR",
                "23505",
                "duplicate key",
                "insert into t values (1)",
            ),
            // An error of a statement pgaudit did not log leaves the last one alone.
            entry(
                "s2",
                "ERROR",
                "42P01",
                "no such table",
                "select * from nope",
            ),
        ];
        let r = records(&entries);
        let outcomes: Vec<&str> = r.iter().map(|(_, r)| r.outcome.as_str()).collect();
        assert_eq!(
            outcomes,
            ["ok", "ok", "ERROR: duplicate key (SQLSTATE 23505)"]
        );
        assert_eq!(r[0].1.class, "WRITE");
        assert_eq!(r[0].1.source, "pgaudit");
        assert_eq!(r[0].0, "2026-12-03 10:00:00 UTC");
    }
}
