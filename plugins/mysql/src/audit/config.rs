//! The configuration checks: what the server's settings, accounts and grants say, read once
//! into [`Facts`], then turned into findings by one function per rule.
//!
//! A fact the auditing account may not read (a permission error, or a table this server
//! version does not have) is kept as [`Unreadable`] and reported as an
//! `insufficient-privilege` finding naming each check it stopped; any other error ends the
//! audit with that error.

use super::accounts::{self, Account};
use super::rules::{self, *};
use myrmex_plugin::audit::{Finding, HostConnection, Rule};
use myrmex_plugin::{ErrorKind, PluginError};
use std::collections::BTreeMap;

/// The server variables the checks read (`SHOW GLOBAL VARIABLES` needs no privilege).
const VARIABLES: &str = "SHOW GLOBAL VARIABLES WHERE Variable_name IN \
     ('local_infile', 'require_secure_transport', 'have_ssl', 'old_passwords')";

/// Hosts that only reach the server from its own machine.
const LOCAL_HOSTS: &[&str] = &["localhost", "127.0.0.1", "::1"];

/// Why a fact could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    /// What the check needed (`mysql.global_priv`).
    pub source: String,
    /// The server's reason.
    pub reason: String,
}

/// A database-level grant held by every account (`''` in `mysql.db`, or MariaDB's `PUBLIC`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenGrant {
    /// The database name or pattern (`test`, `test\_%`).
    pub db: String,
    /// `PUBLIC`, or empty for the blank user.
    pub user: String,
    /// The host column (`%`, or empty for `PUBLIC`).
    pub host: String,
}

/// Everything the configuration checks look at.
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    /// True for MariaDB.
    pub mariadb: bool,
    /// The variables of [`VARIABLES`] this server has, by lower-case name.
    pub variables: BTreeMap<String, String>,
    /// `@@GLOBAL.secure_file_priv` (NULL is `None`).
    pub secure_file_priv: Option<String>,
    /// Every account that may log in.
    pub accounts: Result<Vec<Account>, Unreadable>,
    /// True when a database named `test` is visible.
    pub test_schema: bool,
    /// Grants on `test`-like databases that every account holds.
    pub open_test_grants: Result<Vec<OpenGrant>, Unreadable>,
}

/// Reads the facts and returns every finding.
pub fn check(conn: &mut HostConnection<'_>) -> Result<Vec<Finding>, PluginError> {
    Ok(findings(&Facts::read(conn)?))
}

impl Facts {
    /// Reads the facts over `conn`.
    pub fn read(conn: &mut HostConnection<'_>) -> Result<Self, PluginError> {
        let mariadb = is_mariadb(conn)?;
        let mut variables = BTreeMap::new();
        for row in conn.text_rows(VARIABLES)? {
            if let [Some(name), value] = row.as_slice() {
                variables.insert(name.to_ascii_lowercase(), value.clone().unwrap_or_default());
            }
        }
        // `SHOW VARIABLES` prints NULL as an empty value; the difference matters here.
        let secure_file_priv = conn.scalar("SELECT @@GLOBAL.secure_file_priv")?;
        let source = if mariadb {
            "mysql.global_priv"
        } else {
            "mysql.user"
        };
        let accounts = readable(source, accounts::read(conn, mariadb))?;
        let test_schema = conn
            .scalar(
                "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'test'",
            )?
            .is_some();
        let open_test_grants = readable("mysql.db", open_test_grants(conn))?;
        Ok(Facts {
            mariadb,
            variables,
            secure_file_priv,
            accounts,
            test_schema,
            open_test_grants,
        })
    }

    fn variable(&self, name: &str) -> Option<&str> {
        self.variables.get(name).map(String::as_str)
    }
}

/// True when the server is MariaDB.
pub fn is_mariadb(conn: &mut HostConnection<'_>) -> Result<bool, PluginError> {
    Ok(conn
        .scalar("SELECT VERSION()")?
        .is_some_and(|v| v.contains("MariaDB")))
}

/// A read the auditing account may not be allowed: a permission error, or a table this
/// server does not have, becomes [`Unreadable`]; any other error stays an error.
fn readable<T>(
    source: &str,
    read: Result<T, PluginError>,
) -> Result<Result<T, Unreadable>, PluginError> {
    match read {
        Ok(v) => Ok(Ok(v)),
        Err(e) if e.kind == ErrorKind::PERMISSION || e.kind == ErrorKind::NOT_FOUND => {
            Ok(Err(Unreadable {
                source: source.to_string(),
                reason: e.message.to_string(),
            }))
        }
        Err(e) => Err(e),
    }
}

/// Rows of `mysql.db` granted to every account on `test` or `test_…` databases. A blank
/// `User` in `mysql.db` matches every user; MariaDB 10.11 and later write the same grants to
/// the `PUBLIC` role (host empty). MySQL has no `PUBLIC`.
fn open_test_grants(conn: &mut HostConnection<'_>) -> Result<Vec<OpenGrant>, PluginError> {
    let rows = conn.text_rows(
        "SELECT Host, Db, User FROM mysql.db WHERE User = '' OR (User = 'PUBLIC' AND Host = '')",
    )?;
    Ok(rows
        .into_iter()
        .filter_map(|row| match <[Option<String>; 3]>::try_from(row) {
            Ok([host, db, user]) => Some(OpenGrant {
                host: host.unwrap_or_default(),
                db: db.unwrap_or_default(),
                user: user.unwrap_or_default(),
            }),
            Err(_) => None,
        })
        .filter(|g| is_test_name(&g.db))
        .collect())
}

/// `test`, or a name or pattern starting `test_` (`test\_%` as the installer writes it).
fn is_test_name(db: &str) -> bool {
    let lower = db.to_ascii_lowercase();
    lower == "test" || lower.starts_with("test_") || lower.starts_with("test\\_")
}

/// Every finding the facts give, rule by rule in the order of [`rules::ALL`].
pub fn findings(facts: &Facts) -> Vec<Finding> {
    // Locked accounts cannot log in: none of their settings is exposed.
    let live: Result<Vec<&Account>, &Unreadable> = facts
        .accounts
        .as_ref()
        .map(|all| all.iter().filter(|a| !a.locked).collect());
    let mut out = Vec::new();
    let mut unchecked = Vec::new();
    let mut by_account =
        |rule: &Rule, check: fn(&[&Account]) -> Vec<Finding>, out: &mut Vec<Finding>| match &live {
            Ok(accounts) => out.extend(check(accounts)),
            Err(why) => unchecked.push(not_checked(rule, why)),
        };
    by_account(&ANONYMOUS_USER, anonymous, &mut out);
    by_account(&EMPTY_PASSWORD, empty_password, &mut out);
    by_account(&ROOT_REMOTE, root_remote, &mut out);
    out.extend(local_infile(facts));
    out.extend(secure_file_priv(facts));
    out.extend(tls(facts));
    by_account(&WILDCARD_HOST, wildcard_host, &mut out);
    by_account(&OLD_PASSWORD, old_password_accounts, &mut out);
    out.extend(old_passwords_setting(facts));
    out.extend(test_database(facts));
    if let Err(why) = &facts.open_test_grants {
        unchecked.push(not_checked(&TEST_DATABASE, why));
    }
    out.extend(unchecked);
    out
}

/// The `insufficient-privilege` finding for `rule`, which could not run.
fn not_checked(rule: &Rule, why: &Unreadable) -> Finding {
    rules::INSUFFICIENT_PRIVILEGE
        .finding(
            format!("check {}", rule.id),
            format!(
                "{} was not checked: cannot read {} ({})",
                rule.id, why.source, why.reason
            ),
        )
        .with_remedy(format!(
            "Run the audit as an account that may read {} (GRANT SELECT ON {} TO the auditing \
             account).",
            why.source, why.source
        ))
}

fn anonymous(accounts: &[&Account]) -> Vec<Finding> {
    accounts
        .iter()
        .filter(|a| a.user.is_empty())
        .map(|a| {
            ANONYMOUS_USER
                .finding(
                    format!("account {}", a.label()),
                    format!(
                        "the anonymous account {} lets anyone connect from host '{}' under a \
                         name that has no account of its own",
                        a.label(),
                        a.host
                    ),
                )
                .with_remedy(format!("DROP USER {}", a.label()))
        })
        .collect()
}

fn empty_password(accounts: &[&Account]) -> Vec<Finding> {
    accounts
        .iter()
        .filter_map(|a| {
            let m = a.methods.iter().find(|m| m.empty_password())?;
            Some(EMPTY_PASSWORD.finding(
                format!("account {}", a.label()),
                format!(
                    "{} logs in with an empty password ({})",
                    a.label(),
                    if m.plugin.is_empty() {
                        "no plugin named"
                    } else {
                        m.plugin.as_str()
                    }
                ),
            ))
        })
        .collect()
}

fn root_remote(accounts: &[&Account]) -> Vec<Finding> {
    accounts
        .iter()
        .filter(|a| a.user == "root" && !LOCAL_HOSTS.iter().any(|h| a.host.eq_ignore_ascii_case(h)))
        .map(|a| {
            ROOT_REMOTE
                .finding(
                    format!("account {}", a.label()),
                    format!(
                        "root can log in from host '{}', not only from this machine",
                        a.host
                    ),
                )
                .with_remedy(format!(
                    "DROP USER {} (administer from localhost or through a limited account)",
                    a.label()
                ))
        })
        .collect()
}

fn is_on(value: Option<&str>) -> bool {
    value.is_some_and(|v| v.eq_ignore_ascii_case("ON") || v == "1")
}

fn local_infile(facts: &Facts) -> Option<Finding> {
    is_on(facts.variable("local_infile")).then(|| {
        LOCAL_INFILE.finding(
            "setting local_infile",
            "local_infile is ON: clients may be asked for their own files by LOAD DATA LOCAL \
             INFILE",
        )
    })
}

/// MariaDB and MySQL read NULL differently: on MariaDB NULL (also what an empty setting
/// becomes) means no restriction; on MySQL NULL disables file access and only an empty value
/// means no restriction.
fn secure_file_priv(facts: &Facts) -> Option<Finding> {
    let open = match facts.secure_file_priv.as_deref() {
        None => facts.mariadb,
        Some(dir) => dir.is_empty(),
    };
    open.then(|| {
        SECURE_FILE_PRIV.finding(
            "setting secure_file_priv",
            format!(
                "secure_file_priv is {}: server-side file statements and LOAD_FILE() may read \
                 and write any file the server's account can",
                if facts.secure_file_priv.is_none() {
                    "not set"
                } else {
                    "empty"
                }
            ),
        )
    })
}

/// `have_ssl` is gone from MySQL 8.4 (TLS is always available there unless misconfigured):
/// a missing `have_ssl` is not a finding. `require_secure_transport` exists from MariaDB
/// 10.5.2 and MySQL 5.7.8; older servers cannot refuse plain connections at all.
fn tls(facts: &Facts) -> Option<Finding> {
    if let Some(have) = facts.variable("have_ssl") {
        if !have.eq_ignore_ascii_case("YES") {
            return Some(TLS_NOT_REQUIRED.finding(
                "setting have_ssl",
                format!(
                    "the server has no TLS (have_ssl = {have}): every connection, passwords \
                     included, is unencrypted"
                ),
            ));
        }
    }
    match facts.variable("require_secure_transport") {
        Some(v) if is_on(Some(v)) => None,
        Some(_) => Some(TLS_NOT_REQUIRED.finding(
            "setting require_secure_transport",
            "require_secure_transport is OFF: clients may connect without TLS",
        )),
        None => Some(
            TLS_NOT_REQUIRED
                .finding(
                    "setting require_secure_transport",
                    "this server has no require_secure_transport: it cannot refuse \
                     unencrypted connections",
                )
                .with_remedy(
                    "Require TLS per account (ALTER USER 'user'@'host' REQUIRE SSL), or upgrade \
                     to a server with require_secure_transport.",
                ),
        ),
    }
}

fn wildcard_host(accounts: &[&Account]) -> Vec<Finding> {
    accounts
        .iter()
        .filter(|a| a.host == "%")
        .map(|a| {
            WILDCARD_HOST.finding(
                format!("account {}", a.label()),
                format!("{} accepts connections from any host", a.label()),
            )
        })
        .collect()
}

fn old_password_accounts(accounts: &[&Account]) -> Vec<Finding> {
    accounts
        .iter()
        .filter(|a| {
            a.methods
                .iter()
                .any(|m| m.plugin.eq_ignore_ascii_case("mysql_old_password"))
        })
        .map(|a| {
            OLD_PASSWORD.finding(
                format!("account {}", a.label()),
                format!(
                    "{} authenticates with mysql_old_password, a pre-4.1 hash",
                    a.label()
                ),
            )
        })
        .collect()
}

/// `old_passwords` exists on MariaDB and on MySQL up to 5.7 (where 1 is the old hash).
fn old_passwords_setting(facts: &Facts) -> Option<Finding> {
    is_on(facts.variable("old_passwords")).then(|| {
        OLD_PASSWORD
            .finding(
                "setting old_passwords",
                "old_passwords is ON: passwords set without naming a plugin get the pre-4.1 hash",
            )
            .with_remedy("Set old_passwords = 0 in the server's configuration.")
    })
}

fn test_database(facts: &Facts) -> Vec<Finding> {
    let mut out = Vec::new();
    if facts.test_schema {
        out.push(
            TEST_DATABASE
                .finding("database test", "the sample database `test` exists")
                .with_remedy("DROP DATABASE test"),
        );
    }
    for g in facts.open_test_grants.iter().flatten() {
        let (to, remedy) = if g.user.is_empty() {
            (
                format!("''@'{}'", g.host),
                format!(
                    "DELETE FROM mysql.db WHERE User = '' AND Host = '{}' AND Db = '{}'; \
                     FLUSH PRIVILEGES",
                    g.host.replace('\'', "''"),
                    g.db.replace('\\', "\\\\").replace('\'', "''")
                ),
            )
        } else {
            (
                g.user.clone(),
                format!(
                    "REVOKE ALL ON `{}`.* FROM {}",
                    g.db.replace('`', "``"),
                    g.user
                ),
            )
        };
        out.push(
            TEST_DATABASE
                .finding(
                    format!("grant on {} to {to}", g.db),
                    format!(
                        "every account may create and use databases matching `{}` (granted to \
                         {to})",
                        g.db
                    ),
                )
                .with_remedy(remedy),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::accounts::Method;
    use super::*;

    fn account(user: &str, host: &str, plugin: &str, has_secret: bool) -> Account {
        Account {
            user: user.into(),
            host: host.into(),
            methods: vec![Method {
                plugin: plugin.into(),
                has_secret,
            }],
            locked: false,
        }
    }

    fn hardened(mariadb: bool) -> Facts {
        Facts {
            mariadb,
            variables: [
                ("local_infile", "OFF"),
                ("require_secure_transport", "ON"),
                ("have_ssl", "YES"),
                ("old_passwords", "OFF"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
            secure_file_priv: Some("/var/lib/mysql-files/".into()),
            accounts: Ok(vec![account(
                "root",
                "localhost",
                "mysql_native_password",
                true,
            )]),
            test_schema: false,
            open_test_grants: Ok(vec![]),
        }
    }

    fn ids(f: &[Finding]) -> Vec<&str> {
        f.iter().map(|f| f.rule.as_str()).collect()
    }

    #[test]
    fn a_hardened_server_has_no_finding() {
        assert!(findings(&hardened(true)).is_empty());
        assert!(findings(&hardened(false)).is_empty());
    }

    #[test]
    fn accounts_give_one_finding_per_account_and_rule() {
        let mut f = hardened(true);
        let mut locked = account("root", "%", "mysql_native_password", false);
        locked.locked = true;
        f.accounts = Ok(vec![
            account("", "localhost", "mysql_native_password", false),
            account("root", "%", "mysql_native_password", false),
            account("root", "LOCALHOST", "", false),
            account("app", "%", "unix_socket", false),
            account("old", "localhost", "mysql_old_password", true),
            locked,
        ]);
        let got = findings(&f);
        assert_eq!(
            got.iter()
                .map(|f| (f.rule.as_str(), f.object.as_str()))
                .collect::<Vec<_>>(),
            [
                ("anonymous-user", "account ''@'localhost'"),
                ("empty-password", "account ''@'localhost'"),
                ("empty-password", "account 'root'@'%'"),
                ("empty-password", "account 'root'@'LOCALHOST'"),
                ("root-remote", "account 'root'@'%'"),
                ("wildcard-host-accounts", "account 'root'@'%'"),
                ("wildcard-host-accounts", "account 'app'@'%'"),
                ("old-password-plugin", "account 'old'@'localhost'"),
            ]
        );
        assert_eq!(got[0].remedy, "DROP USER ''@'localhost'");
    }

    #[test]
    fn secure_file_priv_null_means_open_on_mariadb_and_closed_on_mysql() {
        let mut f = hardened(true);
        f.secure_file_priv = None;
        assert_eq!(ids(&findings(&f)), ["secure-file-priv"]);
        f.mariadb = false;
        assert!(findings(&f).is_empty());
        f.secure_file_priv = Some(String::new());
        assert_eq!(ids(&findings(&f)), ["secure-file-priv"]);
    }

    #[test]
    fn tls_missing_or_not_required_is_one_finding() {
        let mut f = hardened(true);
        f.variables.insert("have_ssl".into(), "DISABLED".into());
        f.variables
            .insert("require_secure_transport".into(), "OFF".into());
        let got = findings(&f);
        assert_eq!(ids(&got), ["tls-not-required"]);
        assert_eq!(got[0].object, "setting have_ssl");
        f.variables.insert("have_ssl".into(), "YES".into());
        assert_eq!(findings(&f)[0].object, "setting require_secure_transport");
        // MySQL 8.4 has no have_ssl; a server before require_secure_transport cannot refuse.
        f.variables.remove("have_ssl");
        f.variables
            .insert("require_secure_transport".into(), "ON".into());
        assert!(findings(&f).is_empty());
        f.variables.remove("require_secure_transport");
        assert_eq!(ids(&findings(&f)), ["tls-not-required"]);
    }

    #[test]
    fn settings_that_are_on() {
        let mut f = hardened(true);
        f.variables.insert("local_infile".into(), "ON".into());
        f.variables.insert("old_passwords".into(), "ON".into());
        assert_eq!(ids(&findings(&f)), ["local-infile", "old-password-plugin"]);
    }

    #[test]
    fn the_test_database_and_grants_to_everyone() {
        let mut f = hardened(true);
        f.test_schema = true;
        f.open_test_grants = Ok(vec![
            OpenGrant {
                db: "test\\_%".into(),
                user: "PUBLIC".into(),
                host: String::new(),
            },
            OpenGrant {
                db: "test".into(),
                user: String::new(),
                host: "%".into(),
            },
        ]);
        let got = findings(&f);
        assert_eq!(
            got.iter().map(|f| f.object.as_str()).collect::<Vec<_>>(),
            [
                "database test",
                "grant on test\\_% to PUBLIC",
                "grant on test to ''@'%'"
            ]
        );
        assert_eq!(got[1].remedy, "REVOKE ALL ON `test\\_%`.* FROM PUBLIC");
        assert!(is_test_name("TEST_1") && !is_test_name("testing"));
    }

    #[test]
    fn what_cannot_be_read_is_reported_per_check_never_silenced() {
        let mut f = hardened(true);
        let why = Unreadable {
            source: "mysql.global_priv".into(),
            reason: "SELECT command denied".into(),
        };
        f.accounts = Err(why.clone());
        f.open_test_grants = Err(Unreadable {
            source: "mysql.db".into(),
            ..why
        });
        let got = findings(&f);
        assert!(got.iter().all(|f| f.rule == "insufficient-privilege"));
        assert_eq!(
            got.iter().map(|f| f.object.as_str()).collect::<Vec<_>>(),
            [
                "check anonymous-user",
                "check empty-password",
                "check root-remote",
                "check wildcard-host-accounts",
                "check old-password-plugin",
                "check test-database",
            ]
        );
        assert!(got[0].message.contains("mysql.global_priv"), "{:?}", got[0]);
        assert!(got[0].message.contains("SELECT command denied"));
        assert!(got[5].message.contains("mysql.db"));
    }
}
