//! Checks of server settings: `ssl-off`, `password-encryption` and `logging`.

use super::probe::{self, Settings};
use super::rules;
use myrmex_plugin::audit::Finding;

/// The settings these checks read.
pub const SETTINGS: &[&str] = &[
    "ssl",
    "listen_addresses",
    "password_encryption",
    "log_connections",
    "log_disconnections",
    "log_statement",
    "pgaudit.log",
];

/// True when `listen_addresses` keeps the server off the network: empty (the Unix socket
/// only) or nothing but `localhost` and loopback addresses.
pub fn loopback_only(listen_addresses: &str) -> bool {
    listen_addresses
        .split(',')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .all(|a| {
            a.eq_ignore_ascii_case("localhost")
                || a.parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        })
}

/// The findings about `s`, as seen by role `user` (named when a setting is hidden from it).
pub fn findings(s: &Settings, user: &str) -> Vec<Finding> {
    let hidden = |names: &str| {
        format!("the setting {names} is not visible to role {user} (it needs pg_read_all_settings)")
    };
    let mut out = Vec::new();

    match (s.on("ssl"), s.get("listen_addresses")) {
        (Some(false), Some(listen)) if !loopback_only(listen) => {
            out.push(rules::SSL_OFF.finding(
                "setting ssl",
                format!(
                    "ssl is off while the server listens on '{listen}': passwords and data cross the network in clear text"
                ),
            ))
        }
        (Some(_), Some(_)) => {}
        _ => out.push(probe::not_run("ssl-off", hidden("ssl or listen_addresses"))),
    }

    match s.get("password_encryption") {
        Some("scram-sha-256") => {}
        Some(other) => out.push(rules::PASSWORD_ENCRYPTION.finding(
            "setting password_encryption",
            format!("password_encryption is {other}: new passwords are stored as md5 hashes"),
        )),
        None => out.push(probe::not_run(
            "password-encryption",
            hidden("password_encryption"),
        )),
    }

    for (name, what) in [
        ("log_connections", "connection attempts"),
        ("log_disconnections", "sessions' ends and durations"),
    ] {
        match s.on(name) {
            Some(true) => {}
            Some(false) => out.push(rules::LOGGING.finding(
                format!("setting {name}"),
                format!("{name} is off: {what} leave no trace in the server log"),
            )),
            None => out.push(probe::not_run("logging", hidden(name))),
        }
    }
    match (s.get("log_statement"), s.get("pgaudit.log")) {
        (Some("none"), audit) => {
            let audit_off = match audit {
                None => Some("pgaudit is not loaded"),
                Some(v) if v.trim().is_empty() || v.trim().eq_ignore_ascii_case("none") => {
                    Some("pgaudit.log is none")
                }
                Some(_) => None,
            };
            if let Some(why) = audit_off {
                out.push(rules::LOGGING.finding(
                    "setting log_statement",
                    format!("log_statement is none and {why}: statements leave no trace in the server log"),
                ));
            }
        }
        (Some(_), _) => {}
        (None, _) => out.push(probe::not_run("logging", hidden("log_statement"))),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const HARDENED: &[(&str, &str)] = &[
        ("ssl", "on"),
        ("listen_addresses", "*"),
        ("password_encryption", "scram-sha-256"),
        ("log_connections", "on"),
        ("log_disconnections", "on"),
        ("log_statement", "ddl"),
    ];

    fn rules_of(pairs: &[(&str, &str)]) -> Vec<String> {
        findings(&Settings::of(pairs), "auditor")
            .into_iter()
            .map(|f| f.rule)
            .collect()
    }

    fn with(changes: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
        let mut out: Vec<_> = HARDENED
            .iter()
            .filter(|(k, _)| !changes.iter().any(|(c, _)| c == k))
            .copied()
            .collect();
        out.extend(changes.iter().filter(|(_, v)| !v.is_empty()));
        out
    }

    #[test]
    fn listen_addresses_on_loopback_only() {
        for a in [
            "",
            "localhost",
            "127.0.0.1",
            "localhost, ::1",
            " 127.0.0.2 ",
        ] {
            assert!(loopback_only(a), "{a}");
        }
        for a in [
            "*",
            "0.0.0.0",
            "localhost, 10.0.0.1",
            "db.example.com",
            "::",
        ] {
            assert!(!loopback_only(a), "{a}");
        }
    }

    #[test]
    fn hardened_settings_find_nothing() {
        assert!(rules_of(HARDENED).is_empty());
    }

    #[test]
    fn ssl_off_matters_only_off_loopback() {
        assert_eq!(rules_of(&with(&[("ssl", "off")])), ["ssl-off"]);
        assert!(rules_of(&with(&[("ssl", "off"), ("listen_addresses", "localhost")])).is_empty());
    }

    #[test]
    fn md5_encryption_and_missing_logs_are_found() {
        assert_eq!(
            rules_of(&with(&[("password_encryption", "md5")])),
            ["password-encryption"]
        );
        assert_eq!(
            rules_of(&with(&[
                ("log_connections", "off"),
                ("log_statement", "none")
            ])),
            ["logging", "logging"]
        );
        // pgaudit logging statements is as good as log_statement.
        assert!(rules_of(&with(&[
            ("log_statement", "none"),
            ("pgaudit.log", "write, ddl")
        ]))
        .is_empty());
        assert_eq!(
            rules_of(&with(&[("log_statement", "none"), ("pgaudit.log", "none")])),
            ["logging"]
        );
    }

    #[test]
    fn hidden_settings_say_which_check_did_not_run() {
        let got = findings(&Settings::of(&[("ssl", "on")]), "auditor");
        assert!(got.iter().all(|f| f.rule == "check-not-run"), "{got:?}");
        assert!(got[0].message.contains("listen_addresses"));
        assert!(got[0].message.contains("auditor"));
    }
}
