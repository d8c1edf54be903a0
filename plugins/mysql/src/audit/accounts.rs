//! The server's accounts as the checks need them: user, host, the ways each may
//! authenticate, and whether it is locked. Password hashes are never kept: only whether one
//! is set.
//!
//! MariaDB (10.4 and later) keeps accounts in `mysql.global_priv`, one JSON document each,
//! where `auth_or` lists alternative methods (`IDENTIFIED VIA a OR b`); MySQL keeps them in
//! the columns of `mysql.user`, one method per account. Roles are skipped: MariaDB marks
//! them `is_role`; MySQL stores them as locked accounts, which no check reports.

use myrmex_plugin::audit::HostConnection;
use myrmex_plugin::PluginError;
use serde_json::{Map, Value as Json};

/// The plugin MariaDB means when a `global_priv` document names none.
const DEFAULT_PLUGIN: &str = "mysql_native_password";

/// Plugins whose stored string is a password hash: with an empty one, the password is empty.
/// Any other plugin (`unix_socket`, `auth_socket`, `pam`, `gssapi`, LDAP…) authenticates
/// outside the server's password store and is never an empty password.
const PASSWORD_PLUGINS: &[&str] = &[
    "",
    "mysql_native_password",
    "mysql_old_password",
    "caching_sha2_password",
    "sha256_password",
    "ed25519",
    "parsec",
];

/// One way an account may authenticate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Method {
    /// The authentication plugin (`mysql_native_password`, `unix_socket`, …).
    pub plugin: String,
    /// True when its stored string (the password hash, for password plugins) is not empty.
    pub has_secret: bool,
}

impl Method {
    /// True when this method checks a password and none is set: anyone may log in with an
    /// empty one.
    pub fn empty_password(&self) -> bool {
        !self.has_secret && PASSWORD_PLUGINS.contains(&self.plugin.to_ascii_lowercase().as_str())
    }
}

/// An account that may log in (roles are left out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The user name; empty for an anonymous account.
    pub user: String,
    /// The host pattern (`localhost`, `%`, `10.0.0.%`).
    pub host: String,
    /// Every way it may authenticate (any one of them lets it in).
    pub methods: Vec<Method>,
    /// True when the account is locked: it cannot log in at all.
    pub locked: bool,
}

impl Account {
    /// `'user'@'host'`, as the server writes accounts.
    pub fn label(&self) -> String {
        format!(
            "'{}'@'{}'",
            self.user.replace('\'', "''"),
            self.host.replace('\'', "''")
        )
    }
}

/// Reads every account from `mysql.global_priv` (MariaDB) or `mysql.user` (MySQL). The
/// error is the server's (permission, unknown table): the caller decides what it means.
pub fn read(conn: &mut HostConnection<'_>, mariadb: bool) -> Result<Vec<Account>, PluginError> {
    if mariadb {
        let rows = conn.text_rows("SELECT User, Host, Priv FROM mysql.global_priv")?;
        let mut out = Vec::new();
        for row in rows {
            let mut cells = row.into_iter();
            let (user, host, doc) = (
                cells.next().flatten().unwrap_or_default(),
                cells.next().flatten().unwrap_or_default(),
                cells.next().flatten().unwrap_or_default(),
            );
            if let Some(account) = from_global_priv(&user, &host, &doc)? {
                out.push(account);
            }
        }
        Ok(out)
    } else {
        // The hash never leaves the server: only whether it is empty.
        let rows = conn.text_rows(
            "SELECT User, Host, plugin, \
             CASE WHEN authentication_string IS NULL OR authentication_string = '' \
             THEN 0 ELSE 1 END, account_locked FROM mysql.user",
        )?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let mut cells = row.into_iter().map(Option::unwrap_or_default);
                let mut next = || cells.next().unwrap_or_default();
                let (user, host, plugin, secret, locked) = (next(), next(), next(), next(), next());
                Account {
                    user,
                    host,
                    methods: vec![Method {
                        plugin,
                        has_secret: secret == "1",
                    }],
                    locked: locked.eq_ignore_ascii_case("Y"),
                }
            })
            .collect())
    }
}

/// The account a `mysql.global_priv` row describes; `None` for a role. A document that is
/// not JSON is an error naming the account (never quoting the document: it holds the hash).
pub fn from_global_priv(user: &str, host: &str, doc: &str) -> Result<Option<Account>, PluginError> {
    let parsed: Json = serde_json::from_str(if doc.trim().is_empty() { "{}" } else { doc })
        .map_err(|e| {
            PluginError::new(
                myrmex_plugin::ErrorKind::DATABASE,
                format!(
                    "mysql.global_priv holds no JSON document for '{user}'@'{host}' \
                     (line {}, column {})",
                    e.line(),
                    e.column()
                ),
            )
        })?;
    let empty = Map::new();
    let top = parsed.as_object().unwrap_or(&empty);
    if top.get("is_role").and_then(Json::as_bool) == Some(true) {
        return Ok(None);
    }
    let main = method(top);
    // `auth_or` lists the alternatives in order; `{}` in it stands for the top-level method.
    let methods = match top.get("auth_or").and_then(Json::as_array) {
        Some(alternatives) if !alternatives.is_empty() => alternatives
            .iter()
            .map(|a| match a.as_object() {
                Some(o) if !o.is_empty() => method(o),
                _ => main.clone(),
            })
            .collect(),
        _ => vec![main],
    };
    Ok(Some(Account {
        user: user.to_string(),
        host: host.to_string(),
        methods,
        locked: top.get("account_locked").and_then(Json::as_bool) == Some(true),
    }))
}

/// One method of a `global_priv` document (or of an `auth_or` entry).
fn method(o: &Map<String, Json>) -> Method {
    Method {
        plugin: o
            .get("plugin")
            .and_then(Json::as_str)
            .unwrap_or(DEFAULT_PLUGIN)
            .to_string(),
        has_secret: o
            .get("authentication_string")
            .and_then(Json::as_str)
            .is_some_and(|s| !s.is_empty()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(doc: &str) -> Option<Account> {
        from_global_priv("u", "%", doc).unwrap()
    }

    #[test]
    fn a_document_without_a_plugin_is_a_native_password_and_without_a_hash_is_empty() {
        // What mariadb-install-db writes for root and for anonymous accounts.
        for doc in [r#"{"access":18446744073709551615}"#, "{}", ""] {
            let a = account(doc).unwrap();
            assert_eq!(a.methods.len(), 1);
            assert_eq!(a.methods[0].plugin, "mysql_native_password");
            assert!(a.methods[0].empty_password(), "{doc}");
            assert!(!a.locked);
        }
    }

    #[test]
    fn every_alternative_counts_and_socket_methods_have_no_password() {
        let a = account(
            r#"{"plugin":"mysql_native_password","authentication_string":"*B690",
                "auth_or":[{},{"plugin":"unix_socket"}]}"#,
        )
        .unwrap();
        assert_eq!(
            a.methods
                .iter()
                .map(|m| (m.plugin.as_str(), m.empty_password()))
                .collect::<Vec<_>>(),
            [("mysql_native_password", false), ("unix_socket", false)]
        );
        // `IDENTIFIED VIA unix_socket OR mysql_native_password USING ''`.
        let a = account(
            r#"{"plugin":"mysql_native_password","authentication_string":"",
                "auth_or":[{"plugin":"unix_socket"},{}]}"#,
        )
        .unwrap();
        assert!(a.methods.iter().any(Method::empty_password));
        let a = account(r#"{"plugin":"unix_socket","authentication_string":""}"#).unwrap();
        assert!(!a.methods[0].empty_password());
    }

    #[test]
    fn roles_are_skipped_and_locks_are_read() {
        assert!(account(r#"{"access":0,"is_role":true}"#).is_none());
        let a = account(
            r#"{"access":0,"plugin":"mysql_native_password","authentication_string":"",
                "account_locked":true}"#,
        )
        .unwrap();
        assert!(a.locked);
    }

    #[test]
    fn a_broken_document_names_the_account_but_not_its_content() {
        let e = from_global_priv("ann", "h", r#"{"authentication_string":"*SECRET"#).unwrap_err();
        assert!(e.message.contains("'ann'@'h'"), "{e}");
        assert!(!e.message.contains("SECRET"), "{e}");
    }

    #[test]
    fn labels_quote_like_the_server() {
        let a = Account {
            user: "o'neil".into(),
            host: "%".into(),
            methods: vec![],
            locked: false,
        };
        assert_eq!(a.label(), "'o''neil'@'%'");
    }
}
