//! MariaDB's server_audit plugin: switching it on ([`configure`]) and reading its log file
//! back through the connection ([`read`]), so no access to the server's machine is needed.
//!
//! The server must allow the read: the auditing account needs the FILE privilege, and when
//! `secure_file_priv` names a directory the log must lie inside it; [`read`] checks both
//! first and names the one that blocks. Each file is then read with `LOAD_FILE()` when the
//! server allows that: it answers NULL for a file that is not readable by every operating-
//! system user (server_audit creates its log `rw-rw----` under the server's default umask) or
//! larger than `max_allowed_packet`. The log is then loaded line by line into a temporary
//! table of the session (`LOAD DATA INFILE`, which has neither limit), read, and dropped; the
//! table lives in the session's database, or `mysql` when it has none, and stays out of the
//! binary log. Rotated files (`server_audit.log.1`, …) are read too when `since` or `limit`
//! reach past the current one.
//!
//! server_audit is MariaDB's plugin; MySQL's audit log is another plugin (MySQL Enterprise
//! Audit) with another format, which this rule set does not read.

use super::config::is_mariadb;
use super::log_format::{self, Entry};
use myrmex_plugin::audit::{HostConnection, LogRecord};
use myrmex_plugin::{Config, ErrorKind, PluginError, Value};
use serde::Deserialize;

/// The events server_audit can log (`server_audit_events`).
const EVENTS: &[&str] = &[
    "CONNECT",
    "QUERY",
    "TABLE",
    "QUERY_DDL",
    "QUERY_DML",
    "QUERY_DML_NO_SELECT",
    "QUERY_DCL",
];

/// The events logged when the settings name none.
pub const DEFAULT_EVENTS: &str = "CONNECT,QUERY_DDL,QUERY_DML";

/// Settings of [`configure`]: `{"events": "CONNECT,QUERY_DDL,QUERY_DML", "file": null}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// `server_audit_events`: a comma-separated list of [`EVENTS`] (empty: every event).
    pub events: String,
    /// `server_audit_file_path` (relative to the data directory); `None` keeps the server's.
    pub file: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            events: DEFAULT_EVENTS.to_string(),
            file: None,
        }
    }
}

impl Settings {
    /// The events, checked and upper-cased, as `server_audit_events` takes them.
    fn events(&self) -> Result<String, PluginError> {
        let mut out = Vec::new();
        for e in self
            .events
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            let upper = e.to_ascii_uppercase();
            if !EVENTS.contains(&upper.as_str()) {
                return Err(PluginError::invalid(format!(
                    "server_audit has no event `{e}` (known: {})",
                    EVENTS.join(", ")
                )));
            }
            out.push(upper);
        }
        Ok(out.join(","))
    }
}

/// A SQL string literal of `text`, which must hold no backslash or control character (so
/// the literal reads the same with or without `NO_BACKSLASH_ESCAPES`).
fn literal(what: &str, text: &str) -> Result<String, PluginError> {
    if text.contains('\\') || text.chars().any(char::is_control) {
        return Err(PluginError::invalid(format!(
            "{what} `{}` holds a backslash or a control character",
            text.escape_debug()
        )));
    }
    Ok(format!("'{}'", text.replace('\'', "''")))
}

/// Loads server_audit when it is not loaded, sets the events (and the file), sends the log to
/// a file and switches logging on. Returns the statements it ran.
pub fn configure(
    conn: &mut HostConnection<'_>,
    settings: Config<'_>,
) -> Result<Vec<String>, PluginError> {
    let settings: Settings = settings.parse()?;
    let mut plan = Vec::new();
    match plugin_status(conn)? {
        Some(status) if status.eq_ignore_ascii_case("ACTIVE") => {}
        Some(status) => {
            return Err(PluginError::new(
                ErrorKind::UNSUPPORTED,
                format!(
                    "server_audit is installed but {status}: enable it in the server's \
                     configuration (plugin_load_add = server_audit, server_audit = FORCE)"
                ),
            ))
        }
        None if is_mariadb(conn)? => plan.push("INSTALL SONAME 'server_audit'".to_string()),
        None => {
            return Err(PluginError::unsupported(
                "server_audit is MariaDB's audit plugin and this server is MySQL, which has \
                 another audit log (MySQL Enterprise Audit) this rule set does not configure",
            ))
        }
    }
    plan.push(format!(
        "SET GLOBAL server_audit_events = {}",
        literal("events", &settings.events()?)?
    ));
    if let Some(file) = &settings.file {
        plan.push(format!(
            "SET GLOBAL server_audit_file_path = {}",
            literal("file", file)?
        ));
    }
    plan.push("SET GLOBAL server_audit_output_type = 'file'".to_string());
    plan.push("SET GLOBAL server_audit_logging = ON".to_string());
    for (i, sql) in plan.iter().enumerate() {
        if let Err(mut e) = conn.execute(sql) {
            e.message = format!(
                "cannot switch server_audit on: `{sql}` failed: {}{}",
                e.message,
                if i == 0 {
                    String::new()
                } else {
                    format!(" (already ran: {})", plan[..i].join("; "))
                }
            )
            .into();
            return Err(e);
        }
    }
    Ok(plan)
}

/// `PLUGIN_STATUS` of server_audit; `None` when it is not loaded.
fn plugin_status(conn: &mut HostConnection<'_>) -> Result<Option<String>, PluginError> {
    conn.scalar(
        "SELECT PLUGIN_STATUS FROM information_schema.PLUGINS WHERE PLUGIN_NAME = 'SERVER_AUDIT'",
    )
}

/// What [`read`] needs to know about the server.
#[derive(Debug, Clone, PartialEq, Eq)]
struct LogSetup {
    /// The log file's absolute path.
    path: String,
    /// `server_audit_output_type`.
    output: String,
    /// `server_audit_file_rotations`.
    rotations: u32,
    /// `secure_file_priv` (NULL is `None`).
    secure_file_priv: Option<String>,
    /// The server machine's UTC offset now, in seconds: server_audit writes local time
    /// without an offset, so entries from before a daylight-saving change read an hour off.
    offset_secs: i32,
}

/// The server's log settings, in one query.
fn setup(conn: &mut HostConnection<'_>) -> Result<LogSetup, PluginError> {
    let row = conn
        .text_rows(
            "SELECT @@datadir, @@GLOBAL.server_audit_file_path, \
             @@GLOBAL.server_audit_output_type, @@GLOBAL.server_audit_file_rotations, \
             @@GLOBAL.secure_file_priv, \
             TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(), CONVERT_TZ(UTC_TIMESTAMP(), '+00:00', 'SYSTEM'))",
        )?
        .into_iter()
        .next()
        .ok_or_else(|| PluginError::new(ErrorKind::DATABASE, "the server returned no settings"))?;
    let cell = |i: usize| row.get(i).cloned().flatten();
    let number = |i: usize| cell(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    let datadir = cell(0).unwrap_or_default();
    Ok(LogSetup {
        path: log_path(&datadir, &cell(1).unwrap_or_default()),
        output: cell(2).unwrap_or_default(),
        rotations: u32::try_from(number(3)).unwrap_or(u32::MAX),
        secure_file_priv: cell(4),
        offset_secs: cell(5).and_then(|v| v.parse().ok()).unwrap_or(0),
    })
}

/// Where server_audit writes: `server_audit_file_path` as an absolute path, or relative to the
/// data directory; a directory (ending in `/`) holds `server_audit.log`.
fn log_path(datadir: &str, file: &str) -> String {
    let file = if file.is_empty() {
        "server_audit.log"
    } else {
        file
    };
    let mut path = if file.starts_with('/') {
        file.to_string()
    } else {
        format!("{}/{file}", datadir.trim_end_matches('/'))
    };
    if path.ends_with('/') {
        path.push_str("server_audit.log");
    }
    path
}

/// Reads the entries at or after `since` (RFC 3339; empty for all), at most `limit` of the
/// newest (0: all), oldest first.
pub fn read(
    conn: &mut HostConnection<'_>,
    since: &str,
    limit: u32,
) -> Result<Vec<LogRecord>, PluginError> {
    let since = log_format::since_micros(since)?;
    if plugin_status(conn)?.is_none() {
        return Err(PluginError::new(
            ErrorKind::NOT_FOUND,
            "server_audit is not loaded on this server, so there is no log to read (configure \
             the server log first: it installs the plugin)",
        ));
    }
    let setup = setup(conn)?;
    if !setup.output.eq_ignore_ascii_case("file") {
        return Err(PluginError::unsupported(format!(
            "server_audit writes to {} (server_audit_output_type), which cannot be read through \
             a connection; set it to 'file' (configuring the server log does)",
            setup.output
        )));
    }
    let path = &setup.path;
    let user = conn.scalar("SELECT CURRENT_USER()")?.unwrap_or_default();
    // A privilege held through a role does not show as the account's own: with a role
    // active, the server's own error speaks if FILE is missing.
    let role = conn.scalar("SELECT CURRENT_ROLE()")?;
    if role.is_none() && !has_file_privilege(conn, &user)? {
        return Err(PluginError::new(
            ErrorKind::PERMISSION,
            format!(
                "cannot read the server_audit log {path}: the account {user} lacks the FILE \
                 privilege that reading a server file needs (GRANT FILE ON *.* TO the auditing \
                 account)"
            ),
        ));
    }
    if let Some(why) = secure_file_priv_blocks(&setup) {
        return Err(PluginError::new(
            ErrorKind::PERMISSION,
            format!("cannot read the server_audit log {path}: {why}"),
        ));
    }
    let mut files = FileReader::new(conn);
    let read = read_files(&mut files, &setup, since, limit);
    let tidied = files.finish();
    let entries = read?;
    tidied?;
    Ok(log_format::select(entries, since, limit))
}

/// The current log, then older rotations (`path.1` is the newest) while `since` and `limit`
/// ask for more.
fn read_files(
    files: &mut FileReader<'_, '_>,
    setup: &LogSetup,
    since: Option<i64>,
    limit: u32,
) -> Result<Vec<Entry>, PluginError> {
    let mut entries = match files.read(&setup.path)? {
        Some(text) => log_format::parse(&text, setup.offset_secs),
        None => {
            return Err(PluginError::new(
                ErrorKind::NOT_FOUND,
                format!(
                    "the server_audit log {} does not exist (server_audit_logging is off, or \
                     nothing was logged yet)",
                    setup.path
                ),
            ))
        }
    };
    for n in 1..=setup.rotations {
        let enough_by_limit = limit > 0 && entries.len() >= limit as usize;
        let enough_by_since = match (since, entries.first()) {
            (Some(since), Some(first)) => first.utc_micros < since,
            _ => false,
        };
        if enough_by_limit || enough_by_since {
            break;
        }
        match files.read(&format!("{}.{n}", setup.path))? {
            Some(text) => {
                let mut older = log_format::parse(&text, setup.offset_secs);
                older.append(&mut entries);
                entries = older;
            }
            None => break,
        }
    }
    Ok(entries)
}

/// The temporary table a log file is loaded into when `LOAD_FILE()` cannot read it.
const SCRATCH_TABLE: &str = "myrmex_server_audit_log";

/// Reads server files over a connection: `LOAD_FILE()` first, then `LOAD DATA INFILE` into a
/// temporary table. [`FileReader::finish`] drops the table and restores `sql_log_bin`.
struct FileReader<'c, 'a> {
    conn: &'c mut HostConnection<'a>,
    /// The temporary table, quoted with its database, once made.
    table: Option<String>,
    /// True when binary logging was switched off for this session and must come back on.
    restore_log_bin: bool,
}

impl<'c, 'a> FileReader<'c, 'a> {
    fn new(conn: &'c mut HostConnection<'a>) -> Self {
        FileReader {
            conn,
            table: None,
            restore_log_bin: false,
        }
    }

    /// The file's text; `None` when it does not exist.
    fn read(&mut self, path: &str) -> Result<Option<String>, PluginError> {
        let rows = self
            .conn
            .rows("SELECT LOAD_FILE(?)", &[Value::Text(path.into())])?;
        match rows.into_iter().next().and_then(|r| r.into_iter().next()) {
            Some(Value::Blob(b)) => return Ok(Some(String::from_utf8_lossy(&b).into_owned())),
            Some(Value::Text(s)) => return Ok(Some(s.to_string())),
            _ => {}
        }
        let table = self.table()?;
        let load = format!(
            "LOAD DATA INFILE {} INTO TABLE {table} CHARACTER SET binary \
             FIELDS TERMINATED BY X'00' ENCLOSED BY '' ESCAPED BY '' \
             LINES STARTING BY '' TERMINATED BY X'0A' (line)",
            literal("the log path", path)?
        );
        self.conn.execute(&format!("DELETE FROM {table}"))?;
        if let Err(e) = self.conn.execute(&load) {
            if is_missing_file(&e) {
                return Ok(None);
            }
            let mut e = e;
            e.message = format!("cannot read the server_audit log {path}: {}", e.message).into();
            return Err(e);
        }
        let mut text = String::new();
        for row in self
            .conn
            .rows(&format!("SELECT line FROM {table} ORDER BY n"), &[])?
        {
            match row.into_iter().next() {
                Some(Value::Blob(b)) => text.push_str(&String::from_utf8_lossy(&b)),
                Some(Value::Text(s)) => text.push_str(&s),
                _ => {}
            }
            text.push('\n');
        }
        Ok(Some(text))
    }

    /// Makes the temporary table (once), with binary logging off for the session when it was
    /// on: the log's content has no business on replicas.
    fn table(&mut self) -> Result<String, PluginError> {
        if let Some(t) = &self.table {
            return Ok(t.clone());
        }
        if self
            .conn
            .scalar("SELECT @@log_bin AND @@sql_log_bin")?
            .as_deref()
            == Some("1")
        {
            self.conn
                .execute("SET SESSION sql_log_bin = 0")
                .map_err(|mut e| {
                    e.message = format!(
                        "reading the server_audit log through a temporary table needs binary \
                     logging off for the session, which this account may not do: {}",
                        e.message
                    )
                    .into();
                    e
                })?;
            self.restore_log_bin = true;
        }
        let db = self
            .conn
            .scalar("SELECT DATABASE()")?
            .unwrap_or_else(|| "mysql".to_string());
        let table = format!("`{}`.`{SCRATCH_TABLE}`", db.replace('`', "``"));
        self.conn
            .execute(&format!("DROP TEMPORARY TABLE IF EXISTS {table}"))?;
        self.conn
            .execute(&format!(
                "CREATE TEMPORARY TABLE {table} \
                 (n BIGINT AUTO_INCREMENT PRIMARY KEY, line LONGBLOB)"
            ))
            .map_err(|mut e| {
                e.message = format!(
                    "the server_audit log is not readable by LOAD_FILE() (it must be readable \
                     by every user of the server's machine and fit in max_allowed_packet), and \
                     the temporary table it is loaded into instead cannot be made in `{db}` \
                     (connect to a database where this account may create temporary tables): {}",
                    e.message
                )
                .into();
                e
            })?;
        self.table = Some(table.clone());
        Ok(table)
    }

    /// Drops the temporary table and turns binary logging back on, as it was (the latter
    /// even when the drop fails, so the session never stays unreplicated).
    fn finish(self) -> Result<(), PluginError> {
        let dropped = match &self.table {
            Some(table) => self
                .conn
                .execute(&format!("DROP TEMPORARY TABLE IF EXISTS {table}"))
                .map(drop),
            None => Ok(()),
        };
        if self.restore_log_bin {
            self.conn.execute("SET SESSION sql_log_bin = 1")?;
        }
        dropped
    }
}

/// True for the server's "no such file" (`Can't get stat of …`, `File … not found`, with
/// operating-system error 2).
fn is_missing_file(e: &PluginError) -> bool {
    matches!(e.code.into_option(), Some(13) | Some(29))
        && (e.message.contains("Errcode: 2 ") || e.message.contains("Errcode: 2)"))
}

/// True when `user` (`name@host`, as `CURRENT_USER()` gives it) holds FILE itself. An
/// account sees its own rows of `USER_PRIVILEGES`.
fn has_file_privilege(conn: &mut HostConnection<'_>, user: &str) -> Result<bool, PluginError> {
    let (name, host) = user.rsplit_once('@').unwrap_or((user, ""));
    let grantee = format!("'{name}'@'{host}'");
    let rows = conn.rows(
        "SELECT COUNT(*) FROM information_schema.USER_PRIVILEGES \
         WHERE PRIVILEGE_TYPE = 'FILE' AND GRANTEE = ?",
        &[Value::Text(grantee.as_str().into())],
    )?;
    let count = match rows.first().and_then(|r| r.first()) {
        Some(Value::Int(n)) => *n,
        Some(Value::Text(n)) | Some(Value::Decimal(n)) => n.parse().unwrap_or(0),
        _ => 0,
    };
    Ok(count > 0)
}

/// Why `secure_file_priv` keeps `LOAD_FILE()` from the log, if it does. server_audit runs on
/// MariaDB, where NULL or empty means no restriction (MySQL would read NULL as "no file
/// access at all").
fn secure_file_priv_blocks(setup: &LogSetup) -> Option<String> {
    let dir = setup.secure_file_priv.as_deref()?;
    if dir.is_empty() {
        return None;
    }
    let prefix = if dir.ends_with('/') {
        dir.to_string()
    } else {
        format!("{dir}/")
    };
    (!setup.path.starts_with(&prefix)).then(|| {
        format!(
            "secure_file_priv = {dir} limits LOAD_FILE() to that directory and the log is \
             outside it (point server_audit_file_path inside it, e.g. configure the server log \
             with {{\"file\": \"{prefix}server_audit.log\"}})"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_default_and_check_events() {
        let s: Settings = Config::new("server log", "").parse().unwrap();
        assert_eq!(s, Settings::default());
        assert_eq!(s.events().unwrap(), DEFAULT_EVENTS);
        let s: Settings = Config::new("server log", r#"{"events": " connect , query_dcl"}"#)
            .parse()
            .unwrap();
        assert_eq!(s.events().unwrap(), "CONNECT,QUERY_DCL");
        let s: Settings = Config::new("server log", r#"{"events": "CONNECT,EVERYTHING"}"#)
            .parse()
            .unwrap();
        assert!(s.events().unwrap_err().message.contains("`EVERYTHING`"));
        assert!(Config::new("server log", r#"{"evnts": ""}"#)
            .parse::<Settings>()
            .is_err());
    }

    #[test]
    fn literals_refuse_what_would_read_differently() {
        assert_eq!(
            literal("file", "/var/log/o'hara.log").unwrap(),
            "'/var/log/o''hara.log'"
        );
        assert!(literal("file", "a\\b").is_err());
        assert!(literal("file", "a\nb").is_err());
    }

    #[test]
    fn log_paths() {
        assert_eq!(
            log_path("/var/lib/mysql/", "server_audit.log"),
            "/var/lib/mysql/server_audit.log"
        );
        assert_eq!(log_path("/d/", "/var/log/a.log"), "/var/log/a.log");
        assert_eq!(
            log_path("/d/", "/var/log/audit/"),
            "/var/log/audit/server_audit.log"
        );
        assert_eq!(log_path("/d", ""), "/d/server_audit.log");
    }

    #[test]
    fn secure_file_priv_blocks_only_outside_its_directory() {
        let mut s = LogSetup {
            path: "/var/lib/mysql/server_audit.log".into(),
            output: "file".into(),
            rotations: 9,
            secure_file_priv: None,
            offset_secs: 0,
        };
        assert!(secure_file_priv_blocks(&s).is_none());
        s.secure_file_priv = Some(String::new());
        assert!(secure_file_priv_blocks(&s).is_none());
        s.secure_file_priv = Some("/var/lib/mysql-files/".into());
        let why = secure_file_priv_blocks(&s).unwrap();
        assert!(
            why.contains("secure_file_priv = /var/lib/mysql-files/"),
            "{why}"
        );
        s.path = "/var/lib/mysql-files/server_audit.log".into();
        assert!(secure_file_priv_blocks(&s).is_none());
        // A sibling directory sharing the prefix is outside.
        s.secure_file_priv = Some("/var/lib/mysql".into());
        assert!(secure_file_priv_blocks(&s).is_some());
    }
}
