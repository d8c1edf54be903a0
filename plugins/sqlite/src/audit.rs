//! The `sqlite` audit rule set: how the database files and the connection are set up.
//!
//! * `file-permissions` — a database file other users can read or write (high), one its
//!   group can write (medium), or a directory holding it that other users can write (high:
//!   they can replace the file or its journal). Files come from `PRAGMA database_list`; an
//!   in-memory or temporary database has none.
//! * `trusted-schema` — `PRAGMA trusted_schema` is on (medium): SQL functions and virtual
//!   tables named in the schema (views, triggers, defaults) run with the connection's
//!   rights, so a tampered file can run them.
//! * `secure-delete-off` — `PRAGMA secure_delete` is off (low): deleted content stays in
//!   free pages of the file until they are reused.
//! * `foreign-keys-off` — `PRAGMA foreign_keys` is off on this connection (medium):
//!   foreign keys are not enforced.

use myrmex_plugin::audit::{
    AuditRuleSet, AuditTarget, Context, Finding, HostConnection, Rule, Severity,
};
use myrmex_plugin::{Config, PluginError};

/// Database files or their directory open to other users.
pub const FILE_PERMISSIONS: Rule = Rule {
    id: "file-permissions",
    severity: Severity::HIGH,
    target: AuditTarget::CONNECTION,
    summary: "A database file other users can read or write, or a directory holding it that \
              other users can write.",
    remedy: "chmod 600 the database file (640 when a group must read it) and keep it in a \
             directory only its owner can write (700 or 750).",
};

/// `PRAGMA trusted_schema` on.
pub const TRUSTED_SCHEMA: Rule = Rule {
    id: "trusted-schema",
    severity: Severity::MEDIUM,
    target: AuditTarget::CONNECTION,
    summary: "trusted_schema is on: functions and virtual tables named in views, triggers and \
              defaults run with the connection's rights, so a tampered file can run them.",
    remedy: "Run PRAGMA trusted_schema = OFF on every connection (or build SQLite with \
             SQLITE_TRUSTED_SCHEMA=0).",
};

/// `PRAGMA secure_delete` off.
pub const SECURE_DELETE_OFF: Rule = Rule {
    id: "secure-delete-off",
    severity: Severity::LOW,
    target: AuditTarget::CONNECTION,
    summary: "secure_delete is off: deleted rows stay readable in the file's free pages until \
              the pages are reused.",
    remedy: "Run PRAGMA secure_delete = ON (or FAST) on connections that delete sensitive rows, \
             or VACUUM after deleting them.",
};

/// `PRAGMA foreign_keys` off.
pub const FOREIGN_KEYS_OFF: Rule = Rule {
    id: "foreign-keys-off",
    severity: Severity::MEDIUM,
    target: AuditTarget::CONNECTION,
    summary: "foreign_keys is off on this connection: its writes can break every foreign key \
              unnoticed.",
    remedy: "Run PRAGMA foreign_keys = ON on every connection (the driver does unless the URL \
             says foreign_keys=off).",
};

/// The `sqlite` rule set.
#[derive(Debug, Default, Clone, Copy)]
pub struct SqliteRules;

/// Opens the rule set; it takes no settings.
pub fn open(config: Config<'_>) -> Result<SqliteRules, PluginError> {
    match config.json().trim() {
        "" | "{}" => Ok(SqliteRules),
        _ => Err(PluginError::invalid(
            "the `sqlite` audit rule set takes no settings",
        )),
    }
}

impl AuditRuleSet for SqliteRules {
    fn rules(&self) -> Vec<Rule> {
        vec![
            FILE_PERMISSIONS,
            TRUSTED_SCHEMA,
            SECURE_DELETE_OFF,
            FOREIGN_KEYS_OFF,
        ]
    }

    fn check_connection(
        &self,
        conn: &mut HostConnection<'_>,
        _context: &Context,
    ) -> Result<Vec<Finding>, PluginError> {
        let mut found = Vec::new();
        for row in conn.text_rows("PRAGMA database_list")? {
            if let [_, Some(name), Some(file)] = &row[..] {
                if name != "temp" && !file.is_empty() {
                    found.extend(permissions::check(std::path::Path::new(file))?);
                }
            }
        }
        let pragma = |conn: &mut HostConnection<'_>, name: &str| {
            conn.scalar(&format!("PRAGMA {name}"))
                .map(|v| v.unwrap_or_default())
        };
        if pragma(conn, "trusted_schema")? == "1" {
            found.push(TRUSTED_SCHEMA.finding("setting trusted_schema", "trusted_schema is on"));
        }
        if pragma(conn, "secure_delete")? == "0" {
            found.push(SECURE_DELETE_OFF.finding("setting secure_delete", "secure_delete is off"));
        }
        if pragma(conn, "foreign_keys")? == "0" {
            found.push(FOREIGN_KEYS_OFF.finding(
                "setting foreign_keys",
                "foreign_keys is off on this connection",
            ));
        }
        Ok(found)
    }
}

/// Unix permission bits of a database file and its directory.
mod permissions {
    use super::FILE_PERMISSIONS;
    use myrmex_plugin::audit::{Finding, Severity};
    use myrmex_plugin::{ErrorKind, PluginError};
    use std::path::Path;

    /// What the permission bits of `file` and its directory allow other users.
    #[cfg(unix)]
    pub fn check(file: &Path) -> Result<Vec<Finding>, PluginError> {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| {
            std::fs::metadata(p)
                .map(|m| m.permissions().mode() & 0o7777)
                .map_err(|e| {
                    PluginError::new(
                        ErrorKind::IO,
                        format!("cannot read the mode of {}: {e}", p.display()),
                    )
                })
        };
        let mut found = Vec::new();
        let shown = file.display().to_string();
        let m = mode(file)?;
        let others = match (m & 0o004 != 0, m & 0o002 != 0) {
            (true, true) => Some("readable and writable"),
            (true, false) => Some("readable"),
            (false, true) => Some("writable"),
            (false, false) => None,
        };
        if let Some(what) = others {
            found.push(FILE_PERMISSIONS.finding(
                &shown,
                format!("{shown} is {what} by every user (mode {m:04o})"),
            ));
        } else if m & 0o020 != 0 {
            let mut f = FILE_PERMISSIONS.finding(
                &shown,
                format!("{shown} is writable by its group (mode {m:04o})"),
            );
            f.severity = Severity::MEDIUM;
            found.push(f);
        }
        let dir = match file.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let d = mode(dir)?;
        if d & 0o002 != 0 {
            let dir = dir.display().to_string();
            found.push(FILE_PERMISSIONS.finding(
                &dir,
                format!(
                    "{dir}, which holds {shown}, is writable by every user (mode {d:04o}): they \
                     can replace the database or its journal"
                ),
            ));
        }
        Ok(found)
    }

    /// Other systems keep no Unix permission bits to read.
    #[cfg(not(unix))]
    pub fn check(_file: &Path) -> Result<Vec<Finding>, PluginError> {
        Ok(Vec::new())
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use crate::driver::SqliteDriver;
    use crate::testing::options;
    use myrmex_abi::ConnectionBox;
    use std::os::unix::fs::PermissionsExt;
    use std::path::PathBuf;

    /// A fresh directory of mode `dir_mode` for the test `name`.
    fn dir(name: &str, dir_mode: u32) -> PathBuf {
        let d =
            std::env::temp_dir().join(format!("myrmex-sqlite-audit-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(dir_mode)).unwrap();
        d
    }

    fn connect(path: &str, opts: &[(&str, &str)]) -> ConnectionBox {
        myrmex_plugin::driver_box(SqliteDriver)
            .connect(&options(path, opts))
            .unwrap()
    }

    fn findings(conn: &mut ConnectionBox) -> Vec<(String, Severity, String)> {
        SqliteRules
            .check_connection(&mut HostConnection::new(conn), &Context::default())
            .unwrap()
            .into_iter()
            .map(|f| (f.rule, f.severity, f.message))
            .collect()
    }

    /// A database file of mode `mode` in `dir`, written once.
    fn file_in(dir: &std::path::Path, mode: u32) -> String {
        let path = dir.join("app.db");
        let mut c = connect(path.to_str().unwrap(), &[]);
        HostConnection::new(&mut c)
            .execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
            .unwrap();
        drop(c);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        path.display().to_string()
    }

    fn hardened(conn: &mut ConnectionBox) {
        let mut h = HostConnection::new(conn);
        h.execute("PRAGMA trusted_schema = OFF").unwrap();
        h.execute("PRAGMA secure_delete = ON").unwrap();
    }

    #[test]
    fn a_weak_file_and_connection() {
        let d = dir("weak", 0o755);
        let path = file_in(&d, 0o666);
        let mut c = connect(&path, &[("foreign_keys", "off")]);
        HostConnection::new(&mut c)
            .execute("PRAGMA trusted_schema = ON")
            .unwrap();
        let f = findings(&mut c);
        assert_eq!(
            f,
            [
                (
                    "file-permissions".to_string(),
                    Severity::HIGH,
                    format!("{path} is readable and writable by every user (mode 0666)")
                ),
                (
                    "trusted-schema".into(),
                    Severity::MEDIUM,
                    "trusted_schema is on".into()
                ),
                (
                    "secure-delete-off".into(),
                    Severity::LOW,
                    "secure_delete is off".into()
                ),
                (
                    "foreign-keys-off".into(),
                    Severity::MEDIUM,
                    "foreign_keys is off on this connection".into()
                ),
            ]
        );
        let _ = std::fs::remove_dir_all(d);
    }

    #[test]
    fn a_hardened_file_and_connection() {
        let d = dir("hardened", 0o700);
        let path = file_in(&d, 0o600);
        let mut c = connect(&path, &[]);
        hardened(&mut c);
        assert_eq!(findings(&mut c), []);
        let _ = std::fs::remove_dir_all(d);
    }

    #[test]
    fn group_writable_files_and_open_directories() {
        let d = dir("group", 0o777);
        let path = file_in(&d, 0o660);
        let mut c = connect(&path, &[]);
        hardened(&mut c);
        let f = findings(&mut c);
        let shown = d.display().to_string();
        assert_eq!(
            f,
            [
                (
                    "file-permissions".to_string(),
                    Severity::MEDIUM,
                    format!("{path} is writable by its group (mode 0660)")
                ),
                (
                    "file-permissions".to_string(),
                    Severity::HIGH,
                    format!(
                        "{shown}, which holds {path}, is writable by every user (mode 0777): \
                         they can replace the database or its journal"
                    )
                ),
            ]
        );
        let _ = std::fs::remove_dir_all(d);
    }

    #[test]
    fn in_memory_databases_have_no_file() {
        let mut c = connect(":memory:", &[]);
        hardened(&mut c);
        assert_eq!(findings(&mut c), []);
    }

    #[test]
    fn opens_through_the_plugin() {
        assert!(open(Config::new("sqlite", "")).is_ok());
        assert!(open(Config::new("sqlite", r#"{"x": 1}"#)).is_err());
        assert_eq!(SqliteRules.rules().len(), 4);
    }
}
