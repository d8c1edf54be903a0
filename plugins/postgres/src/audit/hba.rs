//! The client authentication rules (`pg_hba.conf`, read through `pg_hba_file_rules`):
//! `hba-trust-network`, `hba-trust-local`, `hba-password-cleartext`, `hba-md5`, and
//! `hba-unreadable` when the session may not read them.
//!
//! The view shows the file as it is on disk now, which is what the server loads at its next
//! reload; lines the server could not parse are left to its own error report.

use super::{probe, rules};
use myrmex_plugin::audit::{Finding, HostConnection};
use myrmex_plugin::PluginError;
use std::net::IpAddr;

/// One valid line of `pg_hba.conf`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HbaLine {
    /// Its line number in the file.
    pub line: String,
    /// `local`, `host`, `hostssl`, `hostnossl`, `hostgssenc`, `hostnogssenc`.
    pub kind: String,
    /// The databases it applies to, comma-separated.
    pub databases: String,
    /// The roles it applies to, comma-separated.
    pub users: String,
    /// The client address: an IP address, a host name, `all`, `samehost` or `samenet`
    /// (none for `local`).
    pub address: Option<String>,
    /// The address's netmask, for an IP address.
    pub netmask: Option<String>,
    /// The authentication method (`trust`, `md5`, `scram-sha-256`, `peer`, …).
    pub method: String,
}

impl HbaLine {
    /// True when only clients on this machine match the line: the Unix socket, `localhost`,
    /// or a network inside the loopback range.
    pub fn is_local(&self) -> bool {
        if self.kind == "local" {
            return true;
        }
        let Some(address) = self.address.as_deref() else {
            return false;
        };
        if address == "localhost" {
            return true;
        }
        let Ok(ip) = address.parse::<IpAddr>() else {
            // `all`, `samehost` (every address of the server), `samenet`, other host names.
            return false;
        };
        let mask = match self.netmask.as_deref().map(str::parse::<IpAddr>) {
            Some(Ok(m)) => Some(m),
            Some(Err(_)) => return false,
            None => None,
        };
        match (ip, mask) {
            (IpAddr::V4(a), Some(IpAddr::V4(m))) => {
                let first = a.octets()[0] & m.octets()[0];
                m.octets()[0] == 255 && first == 127
            }
            (IpAddr::V4(a), None) => a.is_loopback(),
            (IpAddr::V6(a), m) => {
                let single = match m {
                    Some(IpAddr::V6(m)) => m.octets().iter().all(|b| *b == 255),
                    None => true,
                    Some(IpAddr::V4(_)) => false,
                };
                single && (a.is_loopback() || a.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()))
            }
            (IpAddr::V4(_), Some(IpAddr::V6(_))) => false,
        }
    }

    /// True for a TCP line whose traffic is not encrypted by the line's own demand.
    fn plain_tcp(&self) -> bool {
        matches!(self.kind.as_str(), "host" | "hostnossl")
    }

    /// The line as it would be written in the file (the address with its prefix length).
    pub fn text(&self) -> String {
        let address = match (&self.address, &self.netmask) {
            (Some(a), Some(m)) => match m.parse::<IpAddr>() {
                Ok(mask) => format!(" {a}/{}", prefix_len(mask)),
                Err(_) => format!(" {a} {m}"),
            },
            (Some(a), None) => format!(" {a}"),
            _ => String::new(),
        };
        format!(
            "{} {} {}{address} {}",
            self.kind, self.databases, self.users, self.method
        )
    }
}

/// The number of leading one bits of a netmask.
fn prefix_len(mask: IpAddr) -> u32 {
    match mask {
        IpAddr::V4(m) => u32::from(m).leading_ones(),
        IpAddr::V6(m) => u128::from(m).leading_ones(),
    }
}

/// The findings about `lines`.
pub fn findings(lines: &[HbaLine]) -> Vec<Finding> {
    let mut out = Vec::new();
    for l in lines {
        let object = format!("pg_hba.conf line {}", l.line);
        let text = l.text();
        match l.method.as_str() {
            "trust" if l.is_local() => out.push(rules::HBA_TRUST_LOCAL.finding(
                object,
                format!(
                    "line {} (`{text}`) lets every user of this machine connect as {} without a password",
                    l.line,
                    who(l)
                ),
            )),
            "trust" => out.push(rules::HBA_TRUST_NETWORK.finding(
                object,
                format!(
                    "line {} (`{text}`) lets any client that reaches the server connect as {} without a password",
                    l.line,
                    who(l)
                ),
            )),
            "password" if !l.is_local() && l.plain_tcp() => {
                out.push(rules::HBA_PASSWORD_CLEARTEXT.finding(
                    object,
                    format!(
                        "line {} (`{text}`) has network clients send their password in clear text, readable by anyone on the path",
                        l.line
                    ),
                ))
            }
            "md5" => out.push(rules::HBA_MD5.finding(
                object,
                format!(
                    "line {} (`{text}`) uses md5, which accepts a stored md5 hash as good as the password",
                    l.line
                ),
            )),
            _ => {}
        }
    }
    out
}

/// The roles a line admits, for a message.
fn who(l: &HbaLine) -> String {
    if l.users == "all" {
        "any role".into()
    } else {
        format!("{} (roles)", l.users)
    }
}

/// Reads the rules and returns their findings, or `hba-unreadable` when the session may not
/// read them.
pub fn check(conn: &mut HostConnection<'_>) -> Result<Vec<Finding>, PluginError> {
    match lines(conn) {
        Ok(Some(lines)) => Ok(findings(&lines)),
        Ok(None) => {
            let user = probe::current_user(conn)?;
            Ok(vec![rules::HBA_UNREADABLE.finding(
                "pg_hba.conf",
                format!(
                    "role {user} may not read pg_hba_file_rules (superusers only unless granted), \
                     so the hba-* rules did not run"
                ),
            )])
        }
        Err(e) if probe::refused(&e) => {
            Ok(vec![rules::HBA_UNREADABLE.finding(
                "pg_hba.conf",
                format!(
                    "the server refused to show its authentication rules ({}), so the hba-* rules did not run",
                    e.message
                ),
            )])
        }
        Err(e) => Err(e),
    }
}

/// The valid lines of the file, or `None` when the session may not read them.
fn lines(conn: &mut HostConnection<'_>) -> Result<Option<Vec<HbaLine>>, PluginError> {
    let readable = probe::can_select(conn, "pg_catalog.pg_hba_file_rules")?
        && probe::allowed(
            conn,
            "SELECT pg_catalog.has_function_privilege($1, 'EXECUTE')",
            "pg_catalog.pg_hba_file_rules()",
        )?;
    if !readable {
        return Ok(None);
    }
    let rows = conn.text_rows(
        "SELECT line_number, type, array_to_string(database, ','), \
         array_to_string(user_name, ','), address, netmask, auth_method \
         FROM pg_catalog.pg_hba_file_rules WHERE error IS NULL ORDER BY line_number",
    )?;
    Ok(Some(
        rows.into_iter()
            .map(|r| {
                let mut r = r.into_iter();
                let mut next = || r.next().flatten();
                HbaLine {
                    line: next().unwrap_or_default(),
                    kind: next().unwrap_or_default(),
                    databases: next().unwrap_or_default(),
                    users: next().unwrap_or_default(),
                    address: next(),
                    netmask: next(),
                    method: next().unwrap_or_default(),
                }
            })
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(kind: &str, address: Option<(&str, Option<&str>)>, method: &str) -> HbaLine {
        HbaLine {
            line: "7".into(),
            kind: kind.into(),
            databases: "all".into(),
            users: "all".into(),
            address: address.map(|(a, _)| a.into()),
            netmask: address.and_then(|(_, m)| m.map(Into::into)),
            method: method.into(),
        }
    }

    #[test]
    fn loopback_and_socket_lines_are_local() {
        for l in [
            line("local", None, "trust"),
            line(
                "host",
                Some(("127.0.0.1", Some("255.255.255.255"))),
                "trust",
            ),
            line("host", Some(("127.0.0.0", Some("255.0.0.0"))), "trust"),
            line(
                "hostssl",
                Some(("::1", Some("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"))),
                "trust",
            ),
            line("host", Some(("localhost", None)), "trust"),
        ] {
            assert!(l.is_local(), "{}", l.text());
        }
    }

    #[test]
    fn everything_else_reaches_the_network() {
        for l in [
            line("host", Some(("0.0.0.0", Some("0.0.0.0"))), "trust"),
            line("host", Some(("127.0.0.0", Some("254.0.0.0"))), "trust"),
            line("host", Some(("10.1.2.3", Some("255.255.255.255"))), "trust"),
            line("host", Some(("::", Some("::"))), "trust"),
            line(
                "host",
                Some(("::1", Some("ffff:ffff:ffff:ffff::"))),
                "trust",
            ),
            line("host", Some(("all", None)), "trust"),
            line("host", Some(("samehost", None)), "trust"),
            line("host", Some(("samenet", None)), "trust"),
            line("host", Some(("db.example.com", None)), "trust"),
        ] {
            assert!(!l.is_local(), "{}", l.text());
        }
    }

    #[test]
    fn lines_read_back_as_written() {
        let l = line("host", Some(("0.0.0.0", Some("0.0.0.0"))), "trust");
        assert_eq!(l.text(), "host all all 0.0.0.0/0 trust");
        let l = line(
            "hostssl",
            Some(("::1", Some("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"))),
            "md5",
        );
        assert_eq!(l.text(), "hostssl all all ::1/128 md5");
        assert_eq!(line("local", None, "peer").text(), "local all all peer");
    }

    #[test]
    fn each_method_finds_its_rule() {
        let lines = [
            line("local", None, "trust"),
            line("host", Some(("0.0.0.0", Some("0.0.0.0"))), "trust"),
            line("host", Some(("10.0.0.0", Some("255.0.0.0"))), "password"),
            line("hostssl", Some(("10.0.0.0", Some("255.0.0.0"))), "password"),
            line(
                "host",
                Some(("127.0.0.1", Some("255.255.255.255"))),
                "password",
            ),
            line(
                "host",
                Some(("::1", Some("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"))),
                "md5",
            ),
            line(
                "host",
                Some(("127.0.0.1", Some("255.255.255.255"))),
                "scram-sha-256",
            ),
            line("local", None, "peer"),
        ];
        let got: Vec<_> = findings(&lines).into_iter().map(|f| f.rule).collect();
        assert_eq!(
            got,
            [
                "hba-trust-local",
                "hba-trust-network",
                "hba-password-cleartext",
                "hba-md5"
            ]
        );
        let f = &findings(&lines[1..2])[0];
        assert_eq!(f.object, "pg_hba.conf line 7");
        assert!(
            f.message.contains("`host all all 0.0.0.0/0 trust`"),
            "{}",
            f.message
        );
        assert!(f.message.contains("any role"), "{}", f.message);
    }
}
