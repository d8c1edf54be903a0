//! The SQL dialect a session speaks, which depends on the server behind it.
//!
//! The dialect is named `mysql` or `mariadb` (the names the schema generators know), quotes
//! identifiers with `` ` ``, marks parameters with `?`, and commits DDL implicitly (it cannot
//! roll back with a transaction). Its features:
//!
//! | feature | meaning | servers |
//! |---|---|---|
//! | `alter_column_type` | `ALTER TABLE … MODIFY COLUMN` changes a column's type | all |
//! | `drop_column` | `ALTER TABLE … DROP COLUMN` | all |
//! | `rename_column` | `ALTER TABLE … RENAME COLUMN a TO b` | MySQL 8.0+, MariaDB 10.5+ |
//! | `if_not_exists` | `CREATE TABLE IF NOT EXISTS`, `DROP TABLE IF EXISTS` | all |
//! | `alter_constraints` | foreign keys and checks added to an existing table | all |
//! | `check_constraints` | CHECK constraints are enforced | MySQL 8.0.16+, MariaDB 10.2+ |
//! | `auto_increment` | integer columns numbered by the server | all |
//! | `comments` | table and column comments | all |
//! | `ddl_if_exists` | `IF [NOT] EXISTS` on `ADD`/`DROP COLUMN`, `CREATE`/`DROP INDEX`, `DROP FOREIGN KEY` | MariaDB |
//! | `returning` | `INSERT … RETURNING`, `DELETE … RETURNING` | MariaDB 10.5+ |
//! | `sequences` | `CREATE SEQUENCE` | MariaDB 10.3+ |
//! | `uuid_type` | a native `UUID` column type | MariaDB 10.7+ |

use myrmex_plugin::{DialectInfo, PlaceholderStyle};

/// What the server said it is (`SELECT VERSION()`), read once per session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    /// The version string as the server gives it (`10.11.6-MariaDB-0+deb12u1`, `8.0.36`).
    pub version: String,
    /// True for MariaDB.
    pub mariadb: bool,
    /// Major and minor version numbers (0 when the string does not start with them).
    pub release: (u32, u32),
}

impl Server {
    /// Reads a `VERSION()` string.
    pub fn from_version(version: &str) -> Self {
        let mut numbers = version
            .split(|c: char| !c.is_ascii_digit())
            .map(|n| n.parse::<u32>().unwrap_or(0));
        let major = numbers.next().unwrap_or(0);
        let minor = numbers.next().unwrap_or(0);
        Server {
            version: version.to_string(),
            mariadb: version.contains("MariaDB"),
            release: (major, minor),
        }
    }

    /// The engine's name: `mariadb` or `mysql`.
    pub fn engine(&self) -> &'static str {
        if self.mariadb {
            "mariadb"
        } else {
            "mysql"
        }
    }

    fn at_least(&self, major: u32, minor: u32) -> bool {
        self.release >= (major, minor)
    }

    /// The dialect features of this server (see the module's table).
    pub fn features(&self) -> Vec<&'static str> {
        let mut f = vec!["alter_column_type", "drop_column", "alter_constraints"];
        if self.at_least(
            if self.mariadb { 10 } else { 8 },
            if self.mariadb { 5 } else { 0 },
        ) {
            f.push("rename_column");
        }
        f.push("if_not_exists");
        let checks = if self.mariadb {
            self.at_least(10, 2)
        } else {
            // 8.0.16: the patch level is not kept; 8.1 and later have it for sure.
            self.at_least(8, 0) && patch(&self.version) >= 16 || self.at_least(8, 1)
        };
        if checks {
            f.push("check_constraints");
        }
        f.extend(["auto_increment", "comments"]);
        if self.mariadb {
            f.push("ddl_if_exists");
            for (feature, major, minor) in [
                ("returning", 10, 5),
                ("sequences", 10, 3),
                ("uuid_type", 10, 7),
            ] {
                if self.at_least(major, minor) {
                    f.push(feature);
                }
            }
        }
        f
    }

    /// The dialect record the host plans DDL and migrations with.
    pub fn dialect(&self) -> DialectInfo {
        DialectInfo {
            name: self.engine().into(),
            quote: u32::from('`'),
            transactional_ddl: false,
            placeholders: PlaceholderStyle::QUESTION,
            features: self.features().into_iter().map(Into::into).collect(),
            extensions: Default::default(),
        }
    }
}

/// The third number of a version string (`8.0.36` → 36), 0 when there is none.
fn patch(version: &str) -> u32 {
    version
        .split(|c: char| !c.is_ascii_digit())
        .nth(2)
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;
    use myrmex_plugin::Connection;

    #[test]
    fn versions_decide_name_and_features() {
        let m = Server::from_version("10.11.6-MariaDB-0+deb12u1");
        assert_eq!((m.engine(), m.release), ("mariadb", (10, 11)));
        assert!(m.features().contains(&"uuid_type"));
        assert!(m.features().contains(&"ddl_if_exists"));
        let old = Server::from_version("10.4.32-MariaDB");
        assert!(!old.features().contains(&"returning"));
        assert!(!old.features().contains(&"rename_column"));
        let my = Server::from_version("8.0.36");
        assert_eq!(my.engine(), "mysql");
        assert!(my.features().contains(&"check_constraints"));
        assert!(!my.features().contains(&"returning"));
        assert!(!Server::from_version("8.0.15")
            .features()
            .contains(&"check_constraints"));
        assert!(Server::from_version("8.4.0")
            .features()
            .contains(&"check_constraints"));
        assert!(!Server::from_version("5.7.44-log")
            .features()
            .contains(&"rename_column"));
    }

    #[test]
    fn the_dialect_follows_the_server() {
        let mut c = testing::connect();
        let info = c.server_info().unwrap();
        // The local test server is MariaDB; MYRMEX_TEST_MYSQL_URL may name a MySQL one.
        let mariadb = info.version.contains("MariaDB");
        let d = c.dialect().unwrap();
        assert_eq!(d.name.as_str(), if mariadb { "mariadb" } else { "mysql" });
        assert_eq!(info.engine, d.name);
        assert_eq!(d.quote_char(), '`');
        assert!(!d.transactional_ddl);
        assert_eq!(d.placeholders, PlaceholderStyle::QUESTION);
        for f in ["alter_column_type", "drop_column", "if_not_exists"] {
            assert!(d.has(f), "{f} in {:?}", d.features);
        }
        assert_eq!(d.has("ddl_if_exists"), mariadb);
    }
}
