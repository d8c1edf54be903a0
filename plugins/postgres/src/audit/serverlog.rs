//! Reading the server's current log file through the session (`pg_current_logfile`,
//! `pg_read_binary_file`: a superuser, or a role granted EXECUTE on the first and
//! membership in `pg_read_server_files`), and keeping the pgaudit records the caller asked
//! for.
//!
//! Only the current file is read (earlier ones are left to log rotation), in `csvlog`
//! format when the server writes one, else in `stderr` format. Times are written in the
//! log's own zone (`log_timezone`); an abbreviation the text does not fix (`CET`) is read
//! through the server's `pg_timezone_abbrevs`.

use super::logtime::{self, LogTime};
use super::probe::Settings;
use super::stderrlog::Prefix;
use super::{csvlog, pgaudit, stderrlog};
use myrmex_plugin::audit::{HostConnection, LogRecord};
use myrmex_plugin::{ErrorKind, PluginError, Value};
use std::collections::HashMap;

/// One message of the server log, whatever format it was written in.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Entry {
    /// The time as written (`2026-12-03 10:00:00.123 UTC`); empty when the log has none.
    pub time: String,
    /// The session's user.
    pub user: String,
    /// The session's database.
    pub database: String,
    /// Where the session came from (`127.0.0.1:50000`, `[local]`).
    pub client: String,
    /// What tells the session apart (csvlog's session id; the process id in stderr logs
    /// without `%c`).
    pub session: String,
    /// The severity label (`LOG`, `ERROR`).
    pub severity: String,
    /// The SQLSTATE, when the log has it.
    pub sqlstate: String,
    /// The message.
    pub message: String,
    /// The statement that raised it, when logged with it.
    pub query: String,
}

/// How much of the current log file is read at most.
const MAX_BYTES: i64 = 256 << 20;

/// How much is read per request.
const CHUNK: i64 = 8 << 20;

/// The format of the file being read.
enum Format {
    Csv,
    Stderr(Prefix),
}

/// The pgaudit records of the current log file at or after `since` (RFC 3339; empty for
/// all), the newest `limit` of them (0: all), oldest first.
pub fn read(
    conn: &mut HostConnection<'_>,
    since: &str,
    limit: u32,
) -> Result<Vec<LogRecord>, PluginError> {
    let since = if since.trim().is_empty() {
        None
    } else {
        Some(logtime::parse_rfc3339(since).map_err(PluginError::invalid)?)
    };
    let settings = Settings::read(
        conn,
        &["logging_collector", "log_destination", "log_line_prefix"],
    )?;
    let (path, format) = current_file(conn, &settings)?;
    let bytes = read_file(conn, &path)?;
    let text = String::from_utf8_lossy(&bytes);
    let entries = match &format {
        Format::Csv => csvlog::entries(&text)?,
        Format::Stderr(prefix) => stderrlog::entries(&text, prefix),
    };
    let raw = pgaudit::records(&entries);
    let zones = zone_offsets(conn, raw.iter().map(|(t, _)| t.as_str()))?;
    let mut out = Vec::new();
    for (time, mut record) in raw {
        if time.is_empty() {
            if since.is_some() {
                return Err(PluginError::invalid(
                    "the server log has no times (log_line_prefix has no %m or %t), so it \
                     cannot be read from a given time",
                ));
            }
            out.push(record);
            continue;
        }
        let t = LogTime::parse(&time).ok_or_else(|| unreadable_time(&time))?;
        let offset = *zones.get(&t.zone).ok_or_else(|| unknown_zone(&t.zone))?;
        if since.is_some_and(|s| t.instant(offset) < s) {
            continue;
        }
        record.time = t.rfc3339(offset);
        out.push(record);
    }
    let limit = limit as usize;
    if limit > 0 && out.len() > limit {
        out.drain(..out.len() - limit);
    }
    Ok(out)
}

/// The current log file and its format.
fn current_file(
    conn: &mut HostConnection<'_>,
    settings: &Settings,
) -> Result<(String, Format), PluginError> {
    if settings.on("logging_collector") == Some(false) {
        return Err(PluginError::new(
            ErrorKind::UNSUPPORTED,
            "the server writes no log file of its own (logging_collector is off): set \
             logging_collector = on and log_destination = 'csvlog' in postgresql.conf, then \
             restart the server",
        ));
    }
    for destination in ["csvlog", "stderr"] {
        let rows = conn
            .rows(
                "SELECT pg_catalog.pg_current_logfile($1)",
                &[Value::Text(destination.into())],
            )
            .map_err(refused)?;
        if let Some(Value::Text(path)) = rows.into_iter().next().and_then(|r| r.into_iter().next())
        {
            let format = if destination == "csvlog" {
                Format::Csv
            } else {
                Format::Stderr(Prefix::parse(
                    settings.get("log_line_prefix").unwrap_or_default(),
                ))
            };
            return Ok((path.to_string(), format));
        }
    }
    let destination = settings.get("log_destination").unwrap_or("(not visible)");
    Err(PluginError::new(
        ErrorKind::UNSUPPORTED,
        format!(
            "the server writes no log file pgaudit records can be read from (log_destination \
             is '{destination}'): set log_destination = 'csvlog' (or 'stderr') with \
             logging_collector = on, then reload"
        ),
    ))
}

/// The whole file at `path` (relative to the data directory, as the server names it).
fn read_file(conn: &mut HostConnection<'_>, path: &str) -> Result<Vec<u8>, PluginError> {
    let mut out = Vec::new();
    loop {
        let rows = conn
            .rows(
                "SELECT pg_catalog.pg_read_binary_file($1, $2::int8, $3::int8)",
                &[
                    Value::Text(path.into()),
                    Value::Int(out.len() as i64),
                    Value::Int(CHUNK),
                ],
            )
            .map_err(refused)?;
        let chunk = match rows.into_iter().next().and_then(|r| r.into_iter().next()) {
            Some(Value::Blob(b)) => b,
            _ => break,
        };
        let done = (chunk.len() as i64) < CHUNK;
        out.extend_from_slice(&chunk);
        if done {
            break;
        }
        if out.len() as i64 >= MAX_BYTES {
            return Err(PluginError::new(
                ErrorKind::UNSUPPORTED,
                format!(
                    "the current log file {path} is larger than {} MiB: have the server rotate \
                     it sooner (log_rotation_size)",
                    MAX_BYTES >> 20
                ),
            ));
        }
    }
    Ok(out)
}

/// The offset east of UTC of every zone the times name.
fn zone_offsets<'a>(
    conn: &mut HostConnection<'_>,
    times: impl Iterator<Item = &'a str>,
) -> Result<HashMap<String, i32>, PluginError> {
    let mut out = HashMap::new();
    for time in times {
        let Some(t) = LogTime::parse(time) else {
            continue;
        };
        if out.contains_key(&t.zone) {
            continue;
        }
        let offset = match logtime::fixed_offset(&t.zone) {
            Some(o) => Some(o),
            None => conn
                .rows(
                    "SELECT extract(epoch FROM utc_offset)::int4 \
                     FROM pg_catalog.pg_timezone_abbrevs WHERE abbrev = $1",
                    &[Value::Text(t.zone.as_str().into())],
                )?
                .into_iter()
                .next()
                .and_then(|r| r.into_iter().next())
                .and_then(|v| match v {
                    Value::Int(i) => i32::try_from(i).ok(),
                    _ => None,
                }),
        };
        if let Some(o) = offset {
            out.insert(t.zone, o);
        }
    }
    Ok(out)
}

/// A permission error of the log functions, saying which privileges they need.
fn refused(e: PluginError) -> PluginError {
    if e.kind == ErrorKind::PERMISSION {
        PluginError::new(
            ErrorKind::PERMISSION,
            format!(
                "reading the server log needs a superuser, or a role granted EXECUTE on \
                 pg_current_logfile(text) and membership in pg_read_server_files ({})",
                e.message
            ),
        )
    } else {
        e
    }
}

/// The error for a log time in an unexpected form.
fn unreadable_time(time: &str) -> PluginError {
    PluginError::new(
        ErrorKind::DATABASE,
        format!("the server log's time `{time}` is not in the form YYYY-MM-DD HH:MM:SS ZONE"),
    )
}

/// The error for a zone abbreviation the server does not know either.
fn unknown_zone(zone: &str) -> PluginError {
    PluginError::new(
        ErrorKind::DATABASE,
        format!(
            "the server log's time zone `{zone}` is not a known abbreviation: set log_timezone \
             = 'UTC' to have times read exactly"
        ),
    )
}
