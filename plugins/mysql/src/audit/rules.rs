//! The rules of the `mysql` audit rule set: what each one finds, how serious that is, and how
//! to fix it.

use myrmex_plugin::audit::{AuditTarget, Rule, Severity};

/// An account with an empty user name.
pub const ANONYMOUS_USER: Rule = Rule {
    id: "anonymous-user",
    severity: Severity::CRITICAL,
    target: AuditTarget::CONNECTION,
    summary: "An account with an empty user name: anyone who reaches the server can connect \
              under any name that has no account of its own.",
    remedy: "Drop every anonymous account (DROP USER ''@'host'), as \
             mariadb-secure-installation does.",
};

/// An account that logs in with no password and no socket or external authentication.
pub const EMPTY_PASSWORD: Rule = Rule {
    id: "empty-password",
    severity: Severity::CRITICAL,
    target: AuditTarget::CONNECTION,
    summary: "An account that logs in with an empty password.",
    remedy: "Give the account a password (ALTER USER 'user'@'host' IDENTIFIED BY '…'), move it \
             to socket authentication, or lock it (ALTER USER 'user'@'host' ACCOUNT LOCK).",
};

/// A root account reachable from another host than this machine.
pub const ROOT_REMOTE: Rule = Rule {
    id: "root-remote",
    severity: Severity::HIGH,
    target: AuditTarget::CONNECTION,
    summary: "The all-powerful root account can log in from other hosts than the server's own \
              machine.",
    remedy: "Drop root on other hosts (DROP USER 'root'@'host'); administer from localhost, or \
             through a named account limited to the hosts and rights it needs.",
};

/// `local_infile` is ON.
pub const LOCAL_INFILE: Rule = Rule {
    id: "local-infile",
    severity: Severity::MEDIUM,
    target: AuditTarget::CONNECTION,
    summary: "local_infile is ON: LOAD DATA LOCAL INFILE lets the server ask a client for any \
              file the client can read, which an injected statement can abuse.",
    remedy: "Set local_infile = OFF in the server's configuration (SET GLOBAL local_infile = OFF \
             applies it until the next restart).",
};

/// `secure_file_priv` places no restriction on server-side file access.
pub const SECURE_FILE_PRIV: Rule = Rule {
    id: "secure-file-priv",
    severity: Severity::MEDIUM,
    target: AuditTarget::CONNECTION,
    summary: "secure_file_priv places no restriction: LOAD DATA INFILE, SELECT … INTO OUTFILE and \
              LOAD_FILE() reach every file the server's operating-system account can.",
    remedy: "Set secure_file_priv to a dedicated directory in the server's configuration (it \
             cannot change while the server runs).",
};

/// Unencrypted connections are accepted, or the server has no TLS.
pub const TLS_NOT_REQUIRED: Rule = Rule {
    id: "tls-not-required",
    severity: Severity::HIGH,
    target: AuditTarget::CONNECTION,
    summary: "The server accepts unencrypted connections, or has no TLS at all: passwords and \
              data can cross the network in clear.",
    remedy: "Give the server a certificate and key (ssl_cert, ssl_key, ssl_ca) and set \
             require_secure_transport = ON.",
};

/// Accounts on host `%`.
pub const WILDCARD_HOST: Rule = Rule {
    id: "wildcard-host-accounts",
    severity: Severity::LOW,
    target: AuditTarget::CONNECTION,
    summary: "An account on host '%' accepts its user from any address.",
    remedy: "Limit the account to the hosts or networks it is used from \
             (RENAME USER 'user'@'%' TO 'user'@'10.0.0.%').",
};

/// Accounts on `mysql_old_password`, or new passwords hashed that way.
pub const OLD_PASSWORD: Rule = Rule {
    id: "old-password-plugin",
    severity: Severity::MEDIUM,
    target: AuditTarget::CONNECTION,
    summary: "An account authenticates with mysql_old_password, a pre-4.1 hash that is quick to \
              crack, or old_passwords makes new passwords use it.",
    remedy: "Set a new password with a current plugin (ALTER USER 'user'@'host' IDENTIFIED VIA \
             ed25519 USING PASSWORD('…') on MariaDB, IDENTIFIED WITH caching_sha2_password BY \
             '…' on MySQL) and set old_passwords = 0.",
};

/// The sample `test` database, or `test`/`test_…` grants to every user.
pub const TEST_DATABASE: Rule = Rule {
    id: "test-database",
    severity: Severity::LOW,
    target: AuditTarget::CONNECTION,
    summary: "The sample database `test` exists, or every user may create and use databases \
              named `test` or `test_…`.",
    remedy: "DROP DATABASE test, and remove the grants on `test` and `test\\_%` that every user \
             holds.",
};

/// A check could not read what it needs.
pub const INSUFFICIENT_PRIVILEGE: Rule = Rule {
    id: "insufficient-privilege",
    severity: Severity::INFO,
    target: AuditTarget::CONNECTION,
    summary: "A check could not read what it needs, so its rule was not applied: no finding of \
              that rule does not mean the server passes it.",
    remedy: "Run the audit as an account that can read the grant tables: \
             GRANT SELECT ON mysql.* TO the auditing account.",
};

/// Every rule of the set, in the order the module documentation lists them.
pub const ALL: [Rule; 10] = [
    ANONYMOUS_USER,
    EMPTY_PASSWORD,
    ROOT_REMOTE,
    LOCAL_INFILE,
    SECURE_FILE_PRIV,
    TLS_NOT_REQUIRED,
    WILDCARD_HOST,
    OLD_PASSWORD,
    TEST_DATABASE,
    INSUFFICIENT_PRIVILEGE,
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_unique_and_every_rule_examines_a_connection() {
        let ids: HashSet<&str> = ALL.iter().map(|r| r.id).collect();
        assert_eq!(ids.len(), ALL.len());
        assert!(ALL.iter().all(|r| r.target == AuditTarget::CONNECTION));
        assert!(ALL
            .iter()
            .all(|r| !r.summary.is_empty() && !r.remedy.is_empty()));
    }
}
