//! Connection URLs → [`ConnectOptions`].
//!
//! * `sqlite://path/to.db`, `sqlite:///abs/path.db`, `sqlite:path.db`, `sqlite::memory:`
//! * `postgres://user:pass@host:port/db?sslmode=require`, `postgresql://…`
//! * `mysql://user:pass@host:port/db?ssl-mode=required`, `mariadb://…`
//! * Unix sockets: a percent-encoded path as host (`postgres://u@%2Frun%2Fpostgresql/db`)
//!   or `?host=/run/postgresql`.
//!
//! User, password, host, database and option names and values are percent-decoded; a `%`
//! not followed by two hex digits is an error. A password holding `/`, `?`, `#` or `@` must
//! be percent-encoded (`%2F`, `%3F`, `%23`, `%40`): when an `@` follows one of them the URL
//! is refused as ambiguous instead of being read in a way that turns part of the password
//! into a host, port, database or option. An empty SQLite path is refused (an in-memory
//! database is `sqlite::memory:`).
//!
//! No error shows the password: URLs in messages go through [`redact`].

use crate::PluginError;
use myrmex_abi::{ConnectOptions, Tuple2};

type Result<T> = std::result::Result<T, PluginError>;

/// The error for a URL: what is wrong with it, never its text (the host names the URL,
/// redacted, around this message).
fn url_error(reason: &str) -> PluginError {
    PluginError::invalid(reason)
}
use percent_encoding::percent_decode_str;

/// What the error says when an `@` comes after a `/`, `?` or `#`: the password probably
/// holds one of them unencoded, and the URL cannot be read without guessing.
const AMBIGUOUS: &str = "an `@` follows a `/`, `?` or `#`, so where the password ends is \
     ambiguous: percent-encode these characters in the user and password \
     (`/` %2F, `?` %3F, `#` %23, `@` %40, `:` %3A, `%` %25)";

/// True for option names whose value is a secret (`password`, `sslpassword`, `passwd`,
/// `pwd`, `secret`, `token`…): [`redact`] and connection display show their value as `***`.
///
/// ```
/// assert!(myrmex_plugin::url::is_secret_option("sslpassword"));
/// assert!(!myrmex_plugin::url::is_secret_option("sslmode"));
/// ```
pub fn is_secret_option(name: &str) -> bool {
    ConnectOptions::is_secret_key(name)
}

fn is_scheme(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '-' || c == '.')
}

/// True when an authority without `@` is only a host and an optional numeric port: anything
/// else may be a user and password written without the `@`, so [`redact`] hides it.
fn plain_host_port(authority: &str) -> bool {
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        match v6.split_once(']') {
            Some((_, "")) => return true,
            Some((_, after)) => match after.strip_prefix(':') {
                Some(p) => ("", p),
                None => return false,
            },
            None => return false,
        }
    } else {
        match authority.split_once(':') {
            Some((h, p)) => (h, p),
            None => return true,
        }
    };
    !host.contains(':') && port.bytes().all(|b| b.is_ascii_digit())
}

/// The query part of `s` (from its first `?`) with the value of every secret option
/// ([`is_secret_option`]) replaced by `***`.
fn redact_query(s: &str) -> String {
    match s.split_once('?') {
        Some((head, query)) => format!("{head}?{}", redact_pairs(query)),
        None => s.to_string(),
    }
}

/// `k=v&k=v` with the value of every secret option replaced by `***`.
fn redact_pairs(query: &str) -> String {
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, _)) if is_secret_option(&percent_decode_str(k).decode_utf8_lossy()) => {
                format!("{k}=***")
            }
            _ => pair.to_string(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// What follows the last `@` of a URL that did not split cleanly, redacted. When the text
/// before that `@` ends inside a secret option (`…?password=ab@cd`), the `@` belongs to the
/// option's value, so the value's rest (up to the next `&`) is hidden too.
fn after_last_at(head: &str, after: &str) -> String {
    // Any `?` or `&` may start the option (a password may hold a `?`), as long as no `&`
    // ends it before the `@`.
    let in_secret_value = head.match_indices(['?', '&']).any(|(p, _)| {
        let seg = &head[p + 1..];
        !seg.contains('&')
            && seg
                .split_once('=')
                .is_some_and(|(k, _)| is_secret_option(&percent_decode_str(k).decode_utf8_lossy()))
    });
    if in_secret_value {
        match after.find('&') {
            Some(amp) => format!("***{}", redact_pairs(&after[amp..])),
            None => "***".to_string(),
        }
    } else if head.contains('?') {
        redact_pairs(after)
    } else {
        redact_query(after)
    }
}

/// Replaces the password of a URL with `***`, for messages and `Display`.
///
/// The user name stays. When the URL does not split cleanly (an unencoded `/`, `?` or `#`
/// in the password), everything between `scheme://` and the last `@` is taken as user and
/// password; the values of secret options (`password=`, `sslpassword=`, …) become `***`.
///
/// ```
/// use myrmex_plugin::url::redact;
/// assert_eq!(redact("postgres://ann:s3cret@db:5432/app"), "postgres://ann:***@db:5432/app");
/// assert_eq!(redact("postgres://ann:se/cr?et@db/app"), "postgres://ann:***@db/app");
/// assert_eq!(redact("postgres://ann@db/app?password=x&sslmode=require"),
///            "postgres://ann@db/app?password=***&sslmode=require");
/// assert_eq!(redact("sqlite://app.db"), "sqlite://app.db");
/// ```
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://").filter(|(s, _)| is_scheme(s)) else {
        // No `scheme://`: anything before the last `@` may be a password.
        return match (url.rfind('@'), url.split_once(':')) {
            (Some(at), Some((scheme, _))) if is_scheme(scheme) => {
                format!("{scheme}:***@{}", after_last_at(&url[..at], &url[at + 1..]))
            }
            (Some(at), _) => format!("***@{}", after_last_at(&url[..at], &url[at + 1..])),
            (None, _) => redact_query(url),
        };
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest.rfind('@') {
        Some(at) => {
            let userinfo = &rest[..at];
            let after = after_last_at(userinfo, &rest[at + 1..]);
            match userinfo.split_once(':') {
                Some((user, _)) if at < authority_end || !user.contains(['/', '?', '#', '@']) => {
                    format!("{scheme}://{user}:***@{after}")
                }
                None if at < authority_end => format!("{scheme}://{userinfo}@{after}"),
                _ => format!("{scheme}://***@{after}"),
            }
        }
        None if plain_host_port(&rest[..authority_end]) => {
            format!("{scheme}://{}", redact_query(rest))
        }
        None => format!("{scheme}://***{}", redact_query(&rest[authority_end..])),
    }
}

/// Redacts every `scheme://…` URL in free text (an error message, a history line): each one
/// runs up to the next whitespace or quote and goes through [`redact`].
///
/// ```
/// assert_eq!(
///     myrmex_plugin::url::redact_in_text("error: unexpected argument 'mysql://u:pw@h/db' found"),
///     "error: unexpected argument 'mysql://u:***@h/db' found"
/// );
/// ```
pub fn redact_in_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let start = rest[..i]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '+' || c == '-' || c == '.'))
            .map_or(0, |p| p + 1);
        let end = rest[i..]
            .find(|c: char| c.is_whitespace() || c == '"' || c == '\'' || c == '`')
            .map_or(rest.len(), |p| i + p);
        out.push_str(&rest[..start]);
        out.push_str(&redact(&rest[start..end]));
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// Strict percent-decoding: a `%` must be followed by two hex digits. `what` names the part
/// in the error (never its text, which may be a password).
fn decode(part: &str, what: &str) -> Result<String> {
    let bytes = part.as_bytes();
    for (i, _) in part.match_indices('%') {
        let hex = bytes
            .get(i + 1..i + 3)
            .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit));
        if !hex {
            return Err(url_error(&format!(
                "{what} has a `%` not followed by two hex digits (write a literal `%` as %25)"
            )));
        }
    }
    percent_decode_str(part)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| url_error(&format!("{what} is not valid UTF-8 after percent-decoding")))
}

fn parse_query(
    query: &str,
    out: &mut Vec<Tuple2<myrmex_abi::RString, myrmex_abi::RString>>,
) -> Result<()> {
    for (n, pair) in query.split('&').filter(|p| !p.is_empty()).enumerate() {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        if k.is_empty() {
            return Err(url_error(&format!("option {} has no name", n + 1)));
        }
        let name = decode(k, &format!("the name of option {}", n + 1))?;
        let value = decode(v, &format!("the value of option `{name}`"))?;
        out.push(Tuple2(name.into(), value.into()));
    }
    Ok(())
}

/// Parses a server URL: `scheme://user:password@host:port/database?option=value`. The
/// options' `db_type` is the scheme in lowercase; a driver with several schemes sets its
/// own name after.
///
/// ```
/// let o = myrmex_plugin::url::parse("postgres://ann:p%40ss@localhost:5433/app?sslmode=require").unwrap();
/// assert_eq!((o.host.as_str(), o.port, o.database.as_str()), ("localhost", 5433, "app"));
/// assert_eq!(o.password.as_str(), "p@ss");
/// assert_eq!(o.option("sslmode"), Some("require"));
/// ```
pub fn parse(url: &str) -> Result<ConnectOptions> {
    let bad = |reason: &str| url_error(reason);
    let (scheme, rest) = url
        .split_once(':')
        .filter(|(s, _)| is_scheme(s))
        .ok_or_else(|| bad("expected scheme://…, e.g. sqlite://app.db"))?;
    let mut o = ConnectOptions {
        db_type: scheme.to_ascii_lowercase().into(),
        ..Default::default()
    };

    let rest = rest
        .strip_prefix("//")
        .ok_or_else(|| bad("expected scheme://host/database"))?;
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    if rest.rfind('@').is_some_and(|at| at > authority_end) {
        return Err(bad(AMBIGUOUS));
    }
    if rest.contains('#') {
        return Err(bad(
            "connection URLs have no `#` fragment: percent-encode a `#` as %23",
        ));
    }
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
        o.user = decode(user, "the user")?.into();
        o.password = decode(pass, "the password")?.into();
    }
    let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
        let (h, after) = v6
            .split_once(']')
            .ok_or_else(|| bad("unclosed [ in IPv6 host"))?;
        let port = match after {
            "" => None,
            _ => Some(
                after
                    .strip_prefix(':')
                    .ok_or_else(|| bad("only `:port` may follow an IPv6 host in [brackets]"))?,
            ),
        };
        (h.to_string(), port)
    } else {
        match hostport.split_once(':') {
            Some((_, p)) if p.contains(':') => {
                return Err(bad(
                    "more than one `:` after the host (an IPv6 address goes in [brackets]; \
                     a password goes before an `@`)",
                ))
            }
            Some((h, p)) => (decode(h, "the host")?, Some(p)),
            None => (decode(hostport, "the host")?, None),
        }
    };
    o.host = host.into();
    if let Some(p) = port.filter(|p| !p.is_empty()) {
        if !p.bytes().all(|b| b.is_ascii_digit()) {
            // Not echoed: without an `@`, text after a `:` may be a password.
            return Err(bad("the port is not a number from 1 to 65535"));
        }
        o.port = p
            .parse()
            .ok()
            .filter(|n| *n != 0)
            .ok_or_else(|| bad(&format!("port `{p}` is not a number from 1 to 65535")))?;
    }
    o.database = decode(path, "the database")?.into();
    let mut opts = Vec::new();
    parse_query(query, &mut opts)?;
    o.options = opts.into();
    Ok(o)
}

/// The [`ConnectOptions`] extension naming the directory relative file paths resolve
/// against (set by the host for connections from a config file).
pub const BASE_DIR: &str = "base_dir";

/// The database file of `options`: [`ConnectOptions::database`], resolved against the
/// [`BASE_DIR`] extension when it is relative (`:memory:` and `mode=memory` names stay).
///
/// ```
/// use myrmex_plugin::url::{file_path, BASE_DIR};
/// use myrmex_plugin::{ConnectOptions, Value};
/// let mut o = ConnectOptions { database: "app.db".into(), ..Default::default() };
/// assert_eq!(file_path(&o), "app.db");
/// o.extensions.push(myrmex_abi::Extension { key: BASE_DIR.into(), value: Value::Text("/etc/x".into()).into() });
/// assert_eq!(file_path(&o), "/etc/x/app.db");
/// ```
pub fn file_path(options: &ConnectOptions) -> String {
    let db = options.database.as_str();
    let memory = db == ":memory:" || db.contains("mode=memory");
    let base = options
        .extensions
        .iter()
        .find(|e| e.key.as_str() == BASE_DIR)
        .and_then(|e| e.value.as_enum().ok())
        .and_then(|v| v.as_text())
        .filter(|b| !b.is_empty());
    match base {
        Some(base) if !memory && !db.is_empty() && std::path::Path::new(db).is_relative() => {
            std::path::Path::new(base).join(db).display().to_string()
        }
        _ => db.to_string(),
    }
}

/// Parses the URL of a database that lives in a file: `scheme://path`, `scheme:///abs/path`,
/// `scheme:path`, with options after `?`; `scheme::memory:` (or `scheme://:memory:`) is an
/// in-memory database. The path lands in [`ConnectOptions::database`]; relative paths are
/// resolved against `base_dir` when one is given.
///
/// ```
/// let o = myrmex_plugin::url::parse_file("lite://data/app.db?mode=ro", "").unwrap();
/// assert_eq!((o.db_type.as_str(), o.database.as_str()), ("lite", "data/app.db"));
/// assert_eq!(o.option("mode"), Some("ro"));
/// assert_eq!(myrmex_plugin::url::parse_file("lite::memory:", "").unwrap().database.as_str(), ":memory:");
/// assert!(myrmex_plugin::url::parse_file("lite://", "").is_err());
/// ```
pub fn parse_file(url: &str, base_dir: &str) -> Result<ConnectOptions> {
    let bad = |reason: &str| url_error(reason);
    let (scheme, rest) = url
        .split_once(':')
        .filter(|(s, _)| is_scheme(s))
        .ok_or_else(|| bad("expected scheme://path"))?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path.is_empty() {
        return Err(bad(&format!(
            "no database file; give a path ({scheme}://app.db) or write {scheme}::memory: \
             for an in-memory database, whose data is gone when it closes"
        )));
    }
    let mut database = decode(path, "the path")?;
    let memory = database == ":memory:" || database.contains("mode=memory");
    if !memory && !base_dir.is_empty() && !std::path::Path::new(&database).is_absolute() {
        database = std::path::Path::new(base_dir)
            .join(&database)
            .display()
            .to_string();
    }
    let mut opts = Vec::new();
    parse_query(query, &mut opts)?;
    Ok(ConnectOptions {
        db_type: scheme.to_ascii_lowercase().into(),
        database: database.into(),
        options: opts.into(),
        ..Default::default()
    })
}

/// The URL of `options` as users see it, the password and secret options shown as `***`:
/// `scheme://user:***@host:port/database?option=value`.
///
/// ```
/// let o = myrmex_plugin::url::parse("pg://ann:pw@h:5433/app?sslmode=require&password=x").unwrap();
/// assert_eq!(myrmex_plugin::url::display(&o), "pg://ann:***@h:5433/app?sslmode=require&password=***");
/// ```
pub fn display(options: &ConnectOptions) -> String {
    let enc = |s: &str| {
        percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC)
            .to_string()
            .replace("%2E", ".")
            .replace("%2D", "-")
            .replace("%5F", "_")
    };
    let mut u = format!("{}://", options.db_type);
    if !options.user.is_empty() || !options.password.is_empty() {
        u.push_str(&enc(&options.user));
        if !options.password.is_empty() {
            u.push_str(":***");
        }
        u.push('@');
    }
    if options.host.contains(':') && !options.host.starts_with('/') {
        u.push_str(&format!("[{}]", options.host));
    } else {
        u.push_str(&enc(&options.host));
    }
    if options.port != 0 {
        u.push_str(&format!(":{}", options.port));
    }
    u.push('/');
    u.push_str(&enc(&options.database));
    push_options(&mut u, options);
    u
}

/// The URL of a file database as users see it: `scheme://path` or `scheme::memory:`.
pub fn display_file(options: &ConnectOptions) -> String {
    let mut u = if options.database.as_str() == ":memory:" {
        format!("{}::memory:", options.db_type)
    } else {
        format!("{}://{}", options.db_type, options.database)
    };
    push_options(&mut u, options);
    u
}

fn push_options(u: &mut String, options: &ConnectOptions) {
    for (i, t) in options.options.iter().enumerate() {
        u.push(if i == 0 { '?' } else { '&' });
        let v = if is_secret_option(&t.0) {
            "***"
        } else {
            t.1.as_str()
        };
        u.push_str(&format!("{}={}", t.0, v));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The error as the host shows it: the redacted URL, then the reason.
    fn err(url: &str) -> String {
        let e = parse(url).unwrap_err();
        format!("invalid connection URL `{}`: {}", redact(url), e.message)
    }

    #[test]
    fn server_forms() {
        let o = parse("postgresql://u@%2Frun%2Fpostgresql/db").unwrap();
        assert_eq!(o.db_type.as_str(), "postgresql");
        assert_eq!(o.host.as_str(), "/run/postgresql");
        let o = parse("mariadb://root@[::1]:3307/test").unwrap();
        assert_eq!(
            (o.db_type.as_str(), o.host.as_str(), o.port),
            ("mariadb", "::1", 3307)
        );
        let o = parse("mysql://root:a%3Ab%40c@h/d").unwrap();
        assert_eq!(o.password.as_str(), "a:b@c");
        assert_eq!(o.user.as_str(), "root");
        // `:` and `@` need no encoding in the password: the user ends at the first `:`,
        // the password at the last `@` before the host.
        let o = parse("mysql://root:a:b@c@h/d").unwrap();
        assert_eq!((o.password.as_str(), o.host.as_str()), ("a:b@c", "h"));
    }

    #[test]
    fn errors_never_show_the_password() {
        let e = err("postgres://ann:topsecret@h:99999/db");
        assert!(e.contains("99999"), "{e}");
        assert!(!e.contains("topsecret"), "{e}");
        assert!(parse("no-scheme-here").is_err());
    }

    #[test]
    fn unencoded_slash_question_mark_or_hash_in_the_password_is_ambiguous() {
        for url in [
            "postgres://u:se/cret99@host/db",
            "postgres://u:se?cret99@host/db",
            "postgres://u:se#cret99@host/db",
            "postgres://u:p@ss/w:rd#1?x@h/db",
        ] {
            let e = err(url);
            assert!(e.contains("percent-encode"), "{e}");
            assert!(e.contains("postgres://u:***@h"), "{e}");
            for part in ["se", "cret", "ss", "rd", "x@"] {
                assert!(!e.contains(&format!("{part}99")), "{e}");
                assert!(!e.contains(&format!(":{part}")), "{e}");
            }
        }
        let e = err("postgres://u:p@ss/w:rd#1?x@h/db");
        assert!(!e.contains("rd#1") && !e.contains("p@ss"), "{e}");
    }

    #[test]
    fn bad_percent_encoding_names_the_part() {
        for (url, part) in [
            ("postgres://u%zz:pw@h/db", "the user"),
            ("postgres://u:pw%zzSecret@h/db", "the password"),
            ("postgres://u:pwSecret%4@h/db", "the password"),
            ("postgres://u@h%zz/db", "the host"),
            ("postgres://u@h/db%4", "the database"),
            ("postgres://u@h/db?ssl%zz=1", "the name of option 1"),
            ("postgres://u@h/db?a=1&b=%g0", "the value of option `b`"),
        ] {
            let e = err(url);
            assert!(e.contains(part), "{url}: {e}");
            assert!(e.contains("two hex digits"), "{url}: {e}");
            assert!(!e.contains("Secret"), "{url}: {e}");
        }
    }

    #[test]
    fn a_missing_at_sign_does_not_echo_the_password() {
        let e = err("postgres://ann:Secretish/db");
        assert!(!e.contains("Secretish"), "{e}");
        let e = err("postgres://ann:Sec:retish/db");
        assert!(!e.contains("retish") && !e.contains("Sec"), "{e}");
        let e = err("postgres:ann:Secretish@h/db");
        assert!(!e.contains("Secretish"), "{e}");
    }

    #[test]
    fn secret_options_are_redacted() {
        let e = err("postgres://u@h/db?password=Secr3tQ&sslmode=x&bad%zz=1");
        assert!(!e.contains("Secr3tQ"), "{e}");
        assert!(e.contains("password=***&sslmode=x"), "{e}");
        assert_eq!(
            redact("mysql://u@h/d?SSLPassword=a&passwd=b&pwd=c&x=d"),
            "mysql://u@h/d?SSLPassword=***&passwd=***&pwd=***&x=d"
        );
    }

    #[test]
    fn redact_in_text_finds_every_url() {
        assert_eq!(
            redact_in_text("a pg://u:x@h/d and \"mysql://v:y/z@h/d\" end"),
            "a pg://u:***@h/d and \"mysql://v:***@h/d\" end"
        );
    }

    mod property {
        use super::super::*;
        use proptest::prelude::*;

        /// Password pieces are upper case with a `Q`, so finding "Q" in a message means part
        /// of the password leaked (no other part of the generated URLs holds a `Q`).
        fn password() -> impl Strategy<Value = String> {
            proptest::collection::vec(
                prop_oneof![
                    "Q[A-Z0-9]{1,4}",
                    Just("/".to_string()),
                    Just("?".to_string()),
                    Just("#".to_string()),
                    Just("@".to_string()),
                    Just(":".to_string()),
                    Just("%".to_string()),
                    Just("%4".to_string()),
                    Just("%zz".to_string()),
                    Just("%41".to_string()),
                    Just("&".to_string()),
                    Just("=".to_string()),
                ],
                1..8,
            )
            .prop_map(|v| format!("Q{}", v.concat()))
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2000))]
            #[test]
            fn a_planted_password_never_shows(
                scheme in prop_oneof![Just("postgres"), Just("mysql"), Just("pg"), Just("mariadb")],
                user in "[a-z]{0,4}",
                pw in password(),
                host in "[a-z]{0,5}",
                port in prop_oneof![Just(String::new()), Just(":5432".to_string()), Just(":x".to_string()), Just(":99999".to_string())],
                db in "[a-z/]{0,5}",
                query in prop_oneof![
                    Just(String::new()),
                    Just("?sslmode=require".to_string()),
                    // An unencoded `&` ends an option value in any reading, so it is encoded here.
                    password().prop_map(|p| format!("?password={}", p.replace('&', "%26"))),
                    password().prop_map(|p| format!("?sslmode=x&sslpassword={}", p.replace('&', "%26"))),
                ],
                with_at in any::<bool>(),
            ) {
                let url = if with_at {
                    format!("{scheme}://{user}:{pw}@{host}{port}/{db}{query}")
                } else {
                    // A forgotten host: without an `@` nothing marks where a password with
                    // a `/`, `?` or `#` ends, so only `:` and `%` forms are planted.
                    let pw = pw.replace(['/', '?', '#', '@', '&'], "");
                    format!("{scheme}://{user}:{pw}/{db}{query}")
                };
                let shown = match parse(&url) {
                    Ok(o) => format!("{} {o:?}", display(&o)),
                    Err(e) => format!("invalid connection URL `{}`: {}", redact(&url), e.message),
                };
                prop_assert!(!shown.contains('Q'), "{} -> {}", url, shown);
                let r = redact(&url);
                prop_assert!(!r.contains('Q'), "{} -> {}", url, r);
                let t = redact_in_text(&format!("error: '{url}' x"));
                prop_assert!(!t.contains('Q'), "{} -> {}", url, t);
            }
        }
    }
}
