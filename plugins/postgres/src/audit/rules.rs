//! Every rule of the `postgres` audit rule set, with its severity and remedy.

use myrmex_plugin::audit::{AuditTarget, Rule, Severity};

/// `pg_hba.conf` trusts a network address: anyone who reaches the port is in, as any role.
pub const HBA_TRUST_NETWORK: Rule = Rule {
    id: "hba-trust-network",
    severity: Severity::CRITICAL,
    target: AuditTarget::CONNECTION,
    summary: "A pg_hba.conf line lets clients from the network in without a password (trust).",
    remedy: "Replace `trust` with `scram-sha-256` on every host line, or narrow the address to \
             127.0.0.1/32 or ::1/128, then reload (SELECT pg_reload_conf()).",
};

/// `pg_hba.conf` trusts the Unix socket or the loopback address.
pub const HBA_TRUST_LOCAL: Rule = Rule {
    id: "hba-trust-local",
    severity: Severity::LOW,
    target: AuditTarget::CONNECTION,
    summary: "A pg_hba.conf line lets every local user of the machine in as any role (trust \
              on the socket or the loopback address).",
    remedy: "Use `peer` for local lines and `scram-sha-256` for loopback host lines, then reload \
             (SELECT pg_reload_conf()).",
};

/// `pg_hba.conf` accepts `password` over the network: the password travels in clear text.
pub const HBA_PASSWORD_CLEARTEXT: Rule = Rule {
    id: "hba-password-cleartext",
    severity: Severity::HIGH,
    target: AuditTarget::CONNECTION,
    summary: "A pg_hba.conf line asks network clients for their password in clear text \
              (method `password`).",
    remedy: "Use `scram-sha-256` instead of `password`, then reload (SELECT pg_reload_conf()).",
};

/// `pg_hba.conf` uses `md5`, which accepts md5 password hashes.
pub const HBA_MD5: Rule = Rule {
    id: "hba-md5",
    severity: Severity::MEDIUM,
    target: AuditTarget::CONNECTION,
    summary: "A pg_hba.conf line uses `md5`: roles whose passwords are stored as md5 hashes \
              log in with a hash that is as good as the password.",
    remedy: "Store every password as scram-sha-256 (set password_encryption, then set each \
             password again) and change `md5` to `scram-sha-256`; reload.",
};

/// `pg_hba_file_rules` could not be read, so the `hba-*` rules did not run.
pub const HBA_UNREADABLE: Rule = Rule {
    id: "hba-unreadable",
    severity: Severity::INFO,
    target: AuditTarget::CONNECTION,
    summary: "The client authentication rules (pg_hba_file_rules) could not be read, so the \
              hba-* rules did not run.",
    remedy: "Run the audit as a superuser, or GRANT SELECT ON pg_hba_file_rules and EXECUTE ON \
             FUNCTION pg_hba_file_rules() to the auditing role.",
};

/// The server listens beyond the loopback address with SSL off.
pub const SSL_OFF: Rule = Rule {
    id: "ssl-off",
    severity: Severity::HIGH,
    target: AuditTarget::CONNECTION,
    summary: "SSL is off while the server listens on addresses other than the loopback one: \
              passwords and data cross the network in clear text.",
    remedy: "Set ssl = on with ssl_cert_file and ssl_key_file, and use `hostssl` lines in \
             pg_hba.conf; or set listen_addresses = 'localhost'.",
};

/// New passwords are stored as md5 hashes.
pub const PASSWORD_ENCRYPTION: Rule = Rule {
    id: "password-encryption",
    severity: Severity::MEDIUM,
    target: AuditTarget::CONNECTION,
    summary: "password_encryption is not scram-sha-256: new passwords are stored as md5 hashes.",
    remedy: "Set password_encryption = 'scram-sha-256' and reload.",
};

/// Roles whose stored password is an md5 hash.
pub const MD5_ROLE_PASSWORDS: Rule = Rule {
    id: "md5-role-passwords",
    severity: Severity::MEDIUM,
    target: AuditTarget::CONNECTION,
    summary: "A role's password is stored as an md5 hash, which is enough to log in with md5 \
              authentication and quick to crack.",
    remedy: "With password_encryption = 'scram-sha-256', set the role's password again \
             (ALTER ROLE name PASSWORD '...').",
};

/// Login roles with superuser rights besides the bootstrap superuser.
pub const SUPERUSER_LOGIN: Rule = Rule {
    id: "superuser-login",
    severity: Severity::HIGH,
    target: AuditTarget::CONNECTION,
    summary: "A role other than the bootstrap superuser can log in with superuser rights, \
              which bypass every permission check and reach the server's files.",
    remedy: "ALTER ROLE name NOSUPERUSER (grant the privileges it needs instead), or NOLOGIN \
             when it is an administrator's role used through SET ROLE.",
};

/// PUBLIC can create objects in a schema.
pub const PUBLIC_SCHEMA_CREATE: Rule = Rule {
    id: "public-schema-create",
    severity: Severity::MEDIUM,
    target: AuditTarget::CONNECTION,
    summary: "Every role (PUBLIC) can create objects in a schema: a function or operator \
              placed there can capture other roles' calls through their search_path.",
    remedy: "REVOKE CREATE ON SCHEMA name FROM PUBLIC; grant CREATE to the roles that own \
             objects there.",
};

/// PUBLIC can execute a SECURITY DEFINER function.
pub const PUBLIC_FUNCTION_EXECUTE: Rule = Rule {
    id: "public-function-execute",
    severity: Severity::HIGH,
    target: AuditTarget::CONNECTION,
    summary: "Every role (PUBLIC) can execute a SECURITY DEFINER function, which runs with its \
              owner's privileges.",
    remedy: "REVOKE EXECUTE ON FUNCTION name(args) FROM PUBLIC; grant it to the roles that \
             need it, and give the function a fixed search_path.",
};

/// Connections, disconnections or statements leave no trace in the server log.
pub const LOGGING: Rule = Rule {
    id: "logging",
    severity: Severity::LOW,
    target: AuditTarget::CONNECTION,
    summary: "The server log does not record connections, disconnections or statements, so \
              misuse leaves no trace.",
    remedy: "Set log_connections = on and log_disconnections = on; set log_statement = 'ddl' \
             or load pgaudit (shared_preload_libraries) and set pgaudit.log.",
};

/// Extensions, languages or role memberships that reach the server's files or programs.
pub const RISKY_EXTENSIONS: Rule = Rule {
    id: "risky-extensions",
    severity: Severity::MEDIUM,
    target: AuditTarget::CONNECTION,
    summary: "An extension, untrusted language or role membership gives access to the \
              server's files, programs or other servers.",
    remedy: "DROP EXTENSION (or LANGUAGE) when it is not needed, and REVOKE membership in \
             pg_execute_server_program, pg_read_server_files and pg_write_server_files from \
             roles that do not need it.",
};

/// A check that could not run with the session's privileges (or on this server).
pub const CHECK_NOT_RUN: Rule = Rule {
    id: "check-not-run",
    severity: Severity::INFO,
    target: AuditTarget::CONNECTION,
    summary: "A check could not run with the privileges of the auditing role, so its rule \
              neither passed nor failed.",
    remedy: "Run the audit as a superuser, or grant the auditing role what the message names \
             (pg_read_all_settings, SELECT on pg_authid).",
};

/// Every rule, in the order the module documentation lists them.
pub const ALL: &[Rule] = &[
    HBA_TRUST_NETWORK,
    HBA_TRUST_LOCAL,
    HBA_PASSWORD_CLEARTEXT,
    HBA_MD5,
    HBA_UNREADABLE,
    SSL_OFF,
    PASSWORD_ENCRYPTION,
    MD5_ROLE_PASSWORDS,
    SUPERUSER_LOGIN,
    PUBLIC_SCHEMA_CREATE,
    PUBLIC_FUNCTION_EXECUTE,
    LOGGING,
    RISKY_EXTENSIONS,
    CHECK_NOT_RUN,
];

#[cfg(test)]
mod tests {
    use super::ALL;
    use std::collections::HashSet;

    #[test]
    fn ids_are_unique_and_every_rule_says_how_to_fix_it() {
        let ids: HashSet<_> = ALL.iter().map(|r| r.id).collect();
        assert_eq!(ids.len(), ALL.len());
        for r in ALL {
            assert!(!r.summary.is_empty() && !r.remedy.is_empty(), "{}", r.id);
            assert!(
                r.id.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{}",
                r.id
            );
        }
    }
}
