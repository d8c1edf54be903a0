//! Connection URLs → [`ConnectOptions`].
//!
//! * `sqlite://path/to.db`, `sqlite:///abs/path.db`, `sqlite:path.db`, `sqlite::memory:`
//! * `postgres://user:pass@host:port/db?sslmode=require`, `postgresql://…`
//! * `mysql://user:pass@host:port/db?ssl-mode=required`, `mariadb://…`
//! * Unix sockets: a percent-encoded path as host (`postgres://u@%2Frun%2Fpostgresql/db`)
//!   or `?host=/run/postgresql`.
//!
//! User, password, database and option values are percent-decoded.

use crate::{Error, Result};
use myrmex_abi::{ConnectOptions, Tuple2};
use percent_encoding::percent_decode_str;

/// Replaces the password of a URL with `***`, for messages and `Display`.
///
/// ```
/// assert_eq!(
///     myrmex_core::url::redact("postgres://ann:s3cret@db:5432/app"),
///     "postgres://ann:***@db:5432/app"
/// );
/// assert_eq!(myrmex_core::url::redact("sqlite://app.db"), "sqlite://app.db");
/// ```
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    match authority.rfind('@') {
        Some(at) => match authority[..at].split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{}", &rest[at + 1..]),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

fn decode(part: &str, what: &str, url: &str) -> Result<String> {
    percent_decode_str(part)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| Error::Url {
            url: redact(url),
            reason: format!("{what} is not valid UTF-8 after percent-decoding"),
        })
}

/// The canonical engine name for a URL scheme (`postgresql` → `postgres`, `mariadb` → `mysql`).
pub fn canonical_scheme(scheme: &str) -> String {
    match scheme.to_ascii_lowercase().as_str() {
        "postgresql" | "pg" => "postgres".into(),
        "mariadb" => "mysql".into(),
        "sqlite3" => "sqlite".into(),
        other => other.into(),
    }
}

fn parse_query(
    query: &str,
    url: &str,
    out: &mut Vec<Tuple2<myrmex_abi::RString, myrmex_abi::RString>>,
) -> Result<()> {
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        if k.is_empty() {
            return Err(Error::Url {
                url: redact(url),
                reason: format!("option `{pair}` has no name"),
            });
        }
        out.push(Tuple2(
            decode(k, "an option name", url)?.into(),
            decode(v, "an option value", url)?.into(),
        ));
    }
    Ok(())
}

/// Parses a connection URL.
///
/// ```
/// let o = myrmex_core::url::parse("postgres://ann:p%40ss@localhost:5433/app?sslmode=require").unwrap();
/// assert_eq!((o.host.as_str(), o.port, o.database.as_str()), ("localhost", 5433, "app"));
/// assert_eq!(o.password.as_str(), "p@ss");
/// assert_eq!(o.option("sslmode"), Some("require"));
/// ```
pub fn parse(url: &str) -> Result<ConnectOptions> {
    let bad = |reason: &str| Error::Url {
        url: redact(url),
        reason: reason.to_string(),
    };
    let (scheme, rest) = url
        .split_once(':')
        .ok_or_else(|| bad("expected scheme://…, e.g. sqlite://app.db"))?;
    if scheme.is_empty()
        || !scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '-')
    {
        return Err(bad("expected scheme://…, e.g. sqlite://app.db"));
    }
    let db_type = canonical_scheme(scheme);
    let mut o = ConnectOptions {
        db_type: db_type.clone().into(),
        ..Default::default()
    };

    if db_type == "sqlite" {
        let rest = rest.strip_prefix("//").unwrap_or(rest);
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let path = decode(path, "the path", url)?;
        o.database = if path.is_empty() || path == ":memory:" {
            ":memory:".into()
        } else {
            path.into()
        };
        let mut opts = Vec::new();
        parse_query(query, url, &mut opts)?;
        o.options = opts.into();
        return Ok(o);
    }

    let rest = rest
        .strip_prefix("//")
        .ok_or_else(|| bad("expected scheme://host/database"))?;
    let (before_query, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (authority, path) = match before_query.find('/') {
        Some(i) => (&before_query[..i], &before_query[i + 1..]),
        None => (before_query, ""),
    };
    let (userinfo, hostport) = match authority.rfind('@') {
        Some(at) => (Some(&authority[..at]), &authority[at + 1..]),
        None => (None, authority),
    };
    if let Some(userinfo) = userinfo {
        let (user, pass) = userinfo.split_once(':').unwrap_or((userinfo, ""));
        o.user = decode(user, "the user", url)?.into();
        o.password = decode(pass, "the password", url)?.into();
    }
    let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
        let (h, after) = v6
            .split_once(']')
            .ok_or_else(|| bad("unclosed [ in IPv6 host"))?;
        (h.to_string(), after.strip_prefix(':'))
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) => (decode(h, "the host", url)?, Some(p)),
            None => (decode(hostport, "the host", url)?, None),
        }
    };
    o.host = host.into();
    if let Some(p) = port.filter(|p| !p.is_empty()) {
        o.port = p
            .parse()
            .map_err(|_| bad(&format!("port `{p}` is not a number from 1 to 65535")))?;
    }
    o.database = decode(path, "the database", url)?.into();
    let mut opts = Vec::new();
    parse_query(query, url, &mut opts)?;
    o.options = opts.into();
    Ok(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_forms() {
        assert_eq!(
            parse("sqlite::memory:").unwrap().database.as_str(),
            ":memory:"
        );
        assert_eq!(
            parse("sqlite://:memory:").unwrap().database.as_str(),
            ":memory:"
        );
        assert_eq!(
            parse("sqlite://app.db").unwrap().database.as_str(),
            "app.db"
        );
        assert_eq!(
            parse("sqlite:///var/x.db").unwrap().database.as_str(),
            "/var/x.db"
        );
        assert_eq!(
            parse("sqlite:rel/x.db").unwrap().database.as_str(),
            "rel/x.db"
        );
        let o = parse("sqlite://a.db?mode=ro&busy_timeout=10").unwrap();
        assert_eq!(o.option("mode"), Some("ro"));
        assert_eq!(o.option("busy_timeout"), Some("10"));
    }

    #[test]
    fn server_forms() {
        let o = parse("postgresql://u@%2Frun%2Fpostgresql/db").unwrap();
        assert_eq!(o.db_type.as_str(), "postgres");
        assert_eq!(o.host.as_str(), "/run/postgresql");
        let o = parse("mariadb://root@[::1]:3307/test").unwrap();
        assert_eq!(
            (o.db_type.as_str(), o.host.as_str(), o.port),
            ("mysql", "::1", 3307)
        );
        let o = parse("mysql://root:a%3Ab%40c@h/d").unwrap();
        assert_eq!(o.password.as_str(), "a:b@c");
        assert_eq!(o.user.as_str(), "root");
    }

    #[test]
    fn errors_never_show_the_password() {
        let e = parse("postgres://ann:topsecret@h:99999/db")
            .unwrap_err()
            .to_string();
        assert!(e.contains("99999"), "{e}");
        assert!(!e.contains("topsecret"), "{e}");
        assert!(parse("no-scheme-here").is_err());
    }
}
