//! MariaDB's server_audit log format, read into [`LogRecord`]s.
//!
//! Each entry is one line of ten comma-separated fields:
//!
//! ```text
//! timestamp,serverhost,username,host,connectionid,queryid,operation,database,object,retcode
//! 20261203 10:00:00,db1,app,10.0.0.7,12,40,QUERY,shop,'SELECT \'a\'\nFROM t',0
//! ```
//!
//! The timestamp is the server machine's local time to the second. `object` is the
//! statement for `QUERY` entries, quoted with `'` and escaped with `\` (`\'`, `\\`, `\n`,
//! `\r`, `\t`), so an entry never spans lines; it is the table for table entries (`READ`,
//! `WRITE`, `CREATE`, `ALTER`, `DROP`, `RENAME`), which carry no return code; it is empty for
//! connection entries (`CONNECT`, `DISCONNECT`, `FAILED_CONNECT`).

use myrmex_plugin::audit::LogRecord;
use myrmex_plugin::canonical::{days_from_civil, format_date, parse_timestamp, push_digits};
use myrmex_plugin::PluginError;

/// The `source` of every record read from this log.
pub const SOURCE: &str = "server_audit";

const MICROS_PER_SEC: i64 = 1_000_000;
const SECS_PER_DAY: i64 = 86_400;

/// One entry: when it happened (microseconds since 1970-01-01 UTC) and the record.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The instant, for comparing with `since`.
    pub utc_micros: i64,
    /// The record as the host receives it.
    pub record: LogRecord,
}

/// Parses a log's text. The server's local time is `offset_secs` east of UTC. A line that is
/// not an entry (the last one while the server writes it) is skipped.
pub fn parse(text: &str, offset_secs: i32) -> Vec<Entry> {
    text.lines()
        .filter_map(|line| parse_line(line, offset_secs))
        .collect()
}

/// One line; `None` when it is not an entry.
pub fn parse_line(line: &str, offset_secs: i32) -> Option<Entry> {
    let line = line.strip_suffix('\r').unwrap_or(line);
    let mut fields = line.splitn(9, ',');
    let mut next = || fields.next();
    let (time, _server, user, client, _connection, _query, operation, database, rest) = (
        next()?,
        next()?,
        next()?,
        next()?,
        next()?,
        next()?,
        next()?,
        next()?,
        next()?,
    );
    // The return code never holds a comma; the object (a statement) may.
    let (object, retcode) = rest.rsplit_once(',')?;
    let (days, secs) = parse_local_time(time)?;
    let local = days * SECS_PER_DAY + secs;
    let outcome = match retcode.trim() {
        "" => String::new(),
        "0" => "ok".to_string(),
        code if code.bytes().all(|b| b.is_ascii_digit()) => format!("error {code}"),
        _ => return None,
    };
    Some(Entry {
        utc_micros: (local - i64::from(offset_secs)) * MICROS_PER_SEC,
        record: LogRecord {
            time: rfc3339(days, secs, offset_secs),
            user: user.to_string(),
            client: client.to_string(),
            database: database.to_string(),
            class: operation.to_string(),
            statement: unquote(object),
            outcome,
            source: SOURCE.to_string(),
        },
    })
}

/// `YYYYMMDD HH:MM:SS` → (days since 1970-01-01, seconds into the day).
fn parse_local_time(t: &str) -> Option<(i64, i64)> {
    let b = t.as_bytes();
    if b.len() != 17 || b[8] != b' ' || b[11] != b':' || b[14] != b':' {
        return None;
    }
    let digits = |range: std::ops::Range<usize>| -> Option<i64> {
        let s = t.get(range)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())
            .flatten()
    };
    let (y, mo, d) = (digits(0..4)?, digits(4..6)?, digits(6..8)?);
    let (h, mi, s) = (digits(9..11)?, digits(12..14)?, digits(15..17)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    Some((
        days_from_civil(y, mo as u32, d as u32),
        (h * 60 + mi) * 60 + s,
    ))
}

/// RFC 3339 text of a local time `offset_secs` east of UTC (`Z` for UTC).
pub fn rfc3339(days: i64, secs: i64, offset_secs: i32) -> String {
    let mut s = format_date(days);
    s.push('T');
    for (i, part) in [secs / 3600, (secs / 60) % 60, secs % 60]
        .iter()
        .enumerate()
    {
        if i > 0 {
            s.push(':');
        }
        push_digits(&mut s, part.unsigned_abs(), 2);
    }
    if offset_secs == 0 {
        s.push('Z');
    } else {
        s.push(if offset_secs < 0 { '-' } else { '+' });
        let off = offset_secs.unsigned_abs() / 60;
        push_digits(&mut s, u64::from(off / 60), 2);
        s.push(':');
        push_digits(&mut s, u64::from(off % 60), 2);
    }
    s
}

/// The statement inside `'…'`, unescaped; any other object as it stands. A statement cut by
/// `server_audit_query_log_limit` may lack its closing quote.
pub fn unquote(object: &str) -> String {
    let Some(inner) = object.strip_prefix('\'') else {
        return object.to_string();
    };
    let inner = inner.strip_suffix('\'').unwrap_or(inner);
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// `since` (RFC 3339; a time without an offset is UTC; empty for none) as microseconds
/// since 1970-01-01 UTC.
pub fn since_micros(since: &str) -> Result<Option<i64>, PluginError> {
    if since.trim().is_empty() {
        return Ok(None);
    }
    let t = parse_timestamp(since).ok_or_else(|| {
        PluginError::invalid(format!(
            "since = `{since}` is not an RFC 3339 time (2026-12-03T10:00:00Z)"
        ))
    })?;
    Ok(Some(
        t.days * SECS_PER_DAY * MICROS_PER_SEC + t.micros
            - i64::from(t.offset_secs.unwrap_or(0)) * MICROS_PER_SEC,
    ))
}

/// The entries at or after `since`, at most `limit` of the newest (0: all), oldest first.
pub fn select(mut entries: Vec<Entry>, since: Option<i64>, limit: u32) -> Vec<LogRecord> {
    if let Some(since) = since {
        entries.retain(|e| e.utc_micros >= since);
    }
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    if limit > 0 && entries.len() > limit {
        entries.drain(..entries.len() - limit);
    }
    entries.into_iter().map(|e| e.record).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "\
20261203 13:25:39,vm,root,localhost,6,0,CONNECT,,,0
20261203 13:25:39,vm,root,localhost,6,19,QUERY,a1,'insert into t values (\\'it\\'\\'s\\na \"line\"\\\\\\\\ and\\ttab\\')',0
20261203 13:25:39,vm,root,localhost,6,20,QUERY,a1,'select a, b from t where x = \\',\\'',1054
20261203 13:25:48,vm,root,localhost,9,26,WRITE,mysql,tables_priv,
20261203 13:25:49,vm,ann,10.0.0.7,7,0,FAILED_CONNECT,,,1045
20261203 13:25:49,vm,root,local";

    #[test]
    fn entries_and_their_fields() {
        let got = parse(LOG, 0);
        assert_eq!(got.len(), 5, "the cut last line is skipped");
        let c = &got[0].record;
        assert_eq!(
            (c.time.as_str(), c.user.as_str(), c.client.as_str()),
            ("2026-12-03T13:25:39Z", "root", "localhost")
        );
        assert_eq!((c.class.as_str(), c.statement.as_str()), ("CONNECT", ""));
        assert_eq!(
            (c.outcome.as_str(), c.source.as_str()),
            ("ok", "server_audit")
        );
        let q = &got[1].record;
        assert_eq!(q.database, "a1");
        assert_eq!(
            q.statement,
            "insert into t values ('it''s\na \"line\"\\\\ and\ttab')"
        );
        let e = &got[2].record;
        assert_eq!(e.statement, "select a, b from t where x = ','");
        assert_eq!(e.outcome, "error 1054");
        let w = &got[3].record;
        assert_eq!(
            (w.class.as_str(), w.database.as_str(), w.statement.as_str()),
            ("WRITE", "mysql", "tables_priv")
        );
        assert_eq!(w.outcome, "");
        assert_eq!(got[4].record.outcome, "error 1045");
    }

    #[test]
    fn local_times_carry_the_servers_offset() {
        let got = parse(LOG, 5 * 3600 + 1800);
        assert_eq!(got[0].record.time, "2026-12-03T13:25:39+05:30");
        assert_eq!(
            Some(got[0].utc_micros),
            since_micros("2026-12-03T07:55:39Z").unwrap()
        );
        assert_eq!(rfc3339(0, 59, -3600), "1970-01-01T00:00:59-01:00");
    }

    #[test]
    fn since_and_limit_keep_the_newest() {
        let since = since_micros("2026-12-03T13:25:40+00:00").unwrap();
        let got = select(parse(LOG, 0), since, 0);
        assert_eq!(got.len(), 2);
        let got = select(parse(LOG, 0), None, 2);
        assert_eq!(
            got.iter().map(|r| r.class.as_str()).collect::<Vec<_>>(),
            ["WRITE", "FAILED_CONNECT"]
        );
        assert_eq!(select(parse(LOG, 0), None, 0).len(), 5);
        assert_eq!(since_micros("").unwrap(), None);
        assert!(since_micros("last tuesday").is_err());
        // A time without an offset is UTC.
        assert_eq!(
            since_micros("2026-12-03 13:25:40").unwrap(),
            since_micros("2026-12-03T13:25:40Z").unwrap()
        );
    }

    #[test]
    fn odd_lines_are_not_entries() {
        for line in [
            "",
            "20261203 13:25:39,vm,root",
            "2026-12-03 13:25:39,vm,root,localhost,6,0,CONNECT,,,0",
            "20261303 13:25:39,vm,root,localhost,6,0,CONNECT,,,0",
            "20261203 13:25:39,vm,root,localhost,6,0,CONNECT,,,x",
        ] {
            assert!(parse_line(line, 0).is_none(), "{line}");
        }
        assert_eq!(unquote("'cut \\'short"), "cut 'short");
        assert_eq!(unquote("'ends in \\"), "ends in \\");
    }
}
