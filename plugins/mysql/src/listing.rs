//! The catalog listings (`\l`, `\dn`, `\dt`, `\dv`, `\di`, `\df`, `\du`, `\ds` in the shell),
//! read from `information_schema` (and `mysql.user` for accounts) the way `SHOW DATABASES`,
//! `SHOW FULL TABLES`, `SHOW INDEX` and `SHOW FUNCTION STATUS` present them.
//!
//! Every query takes the name pattern as its one parameter, a `LIKE` pattern with `\` as the
//! escape character named explicitly (so `NO_BACKSLASH_ESCAPES` does not change its meaning);
//! the match is as case-sensitive as the server's names are (the collation of the
//! `information_schema` column decides). Tables, views, indexes, routines and sequences are
//! those of the current database, as `SHOW TABLES` lists them.

use crate::dialect::Server;
use myrmex_plugin::{CatalogKind, ErrorKind, PluginError};

/// The `LIKE … ESCAPE` suffix every listing uses for its pattern.
const MATCHES: &str = "LIKE ? ESCAPE CHAR(92 USING utf8mb4)";

/// The query listing one kind of object.
#[derive(Debug, PartialEq, Eq)]
pub struct Listing {
    /// The SQL, with one `?`: the `LIKE` pattern.
    pub sql: String,
    /// True when the listing reads the current database, so one must be selected.
    pub needs_database: bool,
}

/// Databases with their default character set and collation (`SHOW DATABASES`).
fn databases() -> String {
    format!(
        "SELECT SCHEMA_NAME AS name, DEFAULT_CHARACTER_SET_NAME AS `charset`, \
         DEFAULT_COLLATION_NAME AS `collation` \
         FROM information_schema.SCHEMATA WHERE SCHEMA_NAME {MATCHES} ORDER BY SCHEMA_NAME"
    )
}

/// Base tables (and system-versioned or temporary ones) of the current database, with their
/// engine and the engine's row estimate.
fn tables() -> String {
    format!(
        "SELECT TABLE_NAME AS name, TABLE_TYPE AS `type`, ENGINE AS `engine`, \
         TABLE_ROWS AS rows_estimate \
         FROM information_schema.TABLES \
         WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE NOT IN ('VIEW', 'SYSTEM VIEW', 'SEQUENCE') \
           AND TABLE_NAME {MATCHES} \
         ORDER BY TABLE_NAME"
    )
}

fn views() -> String {
    format!(
        "SELECT TABLE_NAME AS name, IS_UPDATABLE AS is_updatable, CHECK_OPTION AS check_option, \
         DEFINER AS `definer`, SECURITY_TYPE AS security_type \
         FROM information_schema.VIEWS \
         WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME {MATCHES} \
         ORDER BY TABLE_NAME"
    )
}

/// Indexes with their key columns in order (`SHOW INDEX`, one row per index).
fn indexes() -> String {
    format!(
        "SELECT TABLE_NAME AS `table`, INDEX_NAME AS name, \
         GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX SEPARATOR ', ') AS `columns`, \
         IF(NON_UNIQUE = 0, 'YES', 'NO') AS `unique`, INDEX_TYPE AS `type` \
         FROM information_schema.STATISTICS \
         WHERE TABLE_SCHEMA = DATABASE() AND INDEX_NAME {MATCHES} \
         GROUP BY TABLE_NAME, INDEX_NAME, NON_UNIQUE, INDEX_TYPE \
         ORDER BY TABLE_NAME, INDEX_NAME"
    )
}

/// Stored functions and procedures (`SHOW FUNCTION STATUS`, `SHOW PROCEDURE STATUS`).
fn functions() -> String {
    format!(
        "SELECT ROUTINE_NAME AS name, ROUTINE_TYPE AS `type`, DTD_IDENTIFIER AS `returns` \
         FROM information_schema.ROUTINES \
         WHERE ROUTINE_SCHEMA = DATABASE() AND ROUTINE_NAME {MATCHES} \
         ORDER BY ROUTINE_NAME, ROUTINE_TYPE"
    )
}

/// Accounts (`user@host`), from `mysql.user`: reading it takes the SELECT privilege on it.
fn roles() -> String {
    format!(
        "SELECT CONCAT(User, '@', Host) AS name, User AS `user`, Host AS `host` \
         FROM mysql.user WHERE User {MATCHES} ORDER BY User, Host"
    )
}

/// MariaDB's sequences (tables of type `SEQUENCE`).
fn sequences() -> String {
    format!(
        "SELECT TABLE_NAME AS name FROM information_schema.TABLES \
         WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'SEQUENCE' AND TABLE_NAME {MATCHES} \
         ORDER BY TABLE_NAME"
    )
}

/// The query listing `kind` on `server`.
///
/// MySQL and MariaDB have no schemas apart from databases: [`CatalogKind::SCHEMAS`] lists the
/// databases, as [`CatalogKind::DATABASES`] does. Sequences exist from MariaDB 10.3; on MySQL
/// they are unsupported.
pub fn listing(kind: CatalogKind, server: &Server) -> Result<Listing, PluginError> {
    let (sql, needs_database) = match kind {
        CatalogKind::DATABASES | CatalogKind::SCHEMAS => (databases(), false),
        CatalogKind::TABLES => (tables(), true),
        CatalogKind::VIEWS => (views(), true),
        CatalogKind::INDEXES => (indexes(), true),
        CatalogKind::FUNCTIONS => (functions(), true),
        CatalogKind::ROLES => (roles(), false),
        CatalogKind::SEQUENCES if server.features().contains(&"sequences") => (sequences(), true),
        CatalogKind::SEQUENCES => {
            return Err(PluginError::unsupported(format!(
                "{} {} has no sequences (MariaDB has them from 10.3; use an AUTO_INCREMENT column)",
                if server.mariadb { "MariaDB" } else { "MySQL" },
                server.version
            )))
        }
        other => {
            return Err(PluginError::unsupported(format!(
                "the MySQL driver cannot list {}",
                other.plural()
            )))
        }
    };
    Ok(Listing {
        sql,
        needs_database,
    })
}

/// The error for a listing that needs a current database when none is selected.
pub fn no_database(kind: CatalogKind) -> PluginError {
    PluginError::invalid(format!(
        "no database is selected, so there are no {} to list: name one in the URL or run `USE name`",
        kind.plural()
    ))
}

/// Names the privilege a refused account listing lacks; other errors pass unchanged.
pub fn explain(kind: CatalogKind, e: PluginError) -> PluginError {
    if kind == CatalogKind::ROLES && e.kind == ErrorKind::PERMISSION {
        let mut e = e;
        e.message = format!(
            "listing accounts needs the SELECT privilege on mysql.user ({})",
            e.message
        )
        .into();
        return e;
    }
    e
}

#[cfg(test)]
mod tests {
    use super::listing;
    use crate::dialect::Server;
    use crate::testing::{self, OwnDatabase};
    use crate::MysqlConnection;
    use myrmex_plugin::{CatalogKind, Connection, Driver, ErrorKind, QueryStart, Value};

    fn t(s: &str) -> Value {
        Value::from(s)
    }

    /// The result's column names and rows.
    fn table(r: &QueryStart) -> (Vec<String>, Vec<Vec<Value>>) {
        assert!(r.first.done, "every row comes in the first batch");
        myrmex_plugin::rows::table(r).expect("values of this contract's types")
    }

    /// The listing of `kind` for `pattern`: column names and rows.
    fn list(
        c: &mut MysqlConnection,
        kind: CatalogKind,
        pattern: &str,
    ) -> (Vec<String>, Vec<Vec<Value>>) {
        table(
            &c.catalog(kind, pattern)
                .unwrap_or_else(|e| panic!("{kind:?}: {e}")),
        )
    }

    /// The values of column `column` in the listing.
    fn column(listing: &(Vec<String>, Vec<Vec<Value>>), column: &str) -> Vec<Value> {
        let at = listing.0.iter().position(|c| c == column).unwrap();
        listing.1.iter().map(|r| r[at].clone()).collect()
    }

    #[test]
    fn every_kind_lists_what_the_test_created_and_the_pattern_filters() {
        let db = OwnDatabase::new("catalog");
        let mut c = testing::connect_to(&db.options);
        c.execute_batch(
            "CREATE TABLE cat_t (id INT PRIMARY KEY, a INT, b INT, KEY cat_ab (a, b)); \
             CREATE TABLE catxt (id INT); \
             CREATE VIEW cat_v AS SELECT id FROM cat_t; \
             CREATE FUNCTION cat_f(x INT) RETURNS INT DETERMINISTIC RETURN x + 1; \
             CREATE PROCEDURE cat_p() SELECT 1",
        )
        .unwrap();

        let dbs = list(&mut c, CatalogKind::DATABASES, &db.options.database);
        assert_eq!(dbs.0, ["name", "charset", "collation"]);
        assert_eq!(column(&dbs, "name"), [t(&db.options.database)]);
        assert_eq!(
            list(&mut c, CatalogKind::SCHEMAS, &db.options.database),
            dbs,
            "schemas are databases"
        );

        let tables = list(&mut c, CatalogKind::TABLES, "cat_*");
        assert_eq!(tables.0, ["name", "type", "engine", "rows_estimate"]);
        // `_` is literal: `catxt` does not match `cat_*`; the view is not a table.
        assert_eq!(tables.1.len(), 1, "{tables:?}");
        assert_eq!(tables.1[0][..2], [t("cat_t"), t("BASE TABLE")]);
        // Every table matches an empty pattern.
        assert_eq!(list(&mut c, CatalogKind::TABLES, "").1.len(), 2);

        let views = list(&mut c, CatalogKind::VIEWS, "cat?v");
        assert_eq!(
            views.0,
            [
                "name",
                "is_updatable",
                "check_option",
                "definer",
                "security_type"
            ]
        );
        assert_eq!(column(&views, "name"), [t("cat_v")]);
        assert!(list(&mut c, CatalogKind::VIEWS, "cat_t").1.is_empty());

        let indexes = list(&mut c, CatalogKind::INDEXES, "");
        assert_eq!(indexes.0, ["table", "name", "columns", "unique", "type"]);
        // Names sort as the server compares them: without regard to case.
        assert_eq!(
            indexes.1,
            [
                vec![t("cat_t"), t("cat_ab"), t("a, b"), t("NO"), t("BTREE")],
                vec![t("cat_t"), t("PRIMARY"), t("id"), t("YES"), t("BTREE")],
            ]
        );
        assert_eq!(list(&mut c, CatalogKind::INDEXES, "cat*").1.len(), 1);

        let functions = list(&mut c, CatalogKind::FUNCTIONS, "cat_*");
        assert_eq!(functions.0, ["name", "type", "returns"]);
        assert_eq!(column(&functions, "name"), [t("cat_f"), t("cat_p")]);
        assert_eq!(column(&functions, "type"), [t("FUNCTION"), t("PROCEDURE")]);
        // `int(11)` on MariaDB and MySQL before 8.0.19, `int` after; none for a procedure.
        let returns = column(&functions, "returns");
        assert!(
            matches!(&returns[..], [Value::Text(r), Value::Null] if r.starts_with("int")),
            "{returns:?}"
        );
        assert_eq!(list(&mut c, CatalogKind::FUNCTIONS, "cat_p").1.len(), 1);

        let roles = list(&mut c, CatalogKind::ROLES, "root");
        assert_eq!(roles.0, ["name", "user", "host"]);
        assert!(column(&roles, "user").iter().all(|u| *u == t("root")));
        assert!(!roles.1.is_empty());

        let server = Server::from_version(&c.server_info().unwrap().version);
        if server.features().contains(&"sequences") {
            c.execute_batch("CREATE SEQUENCE cat_s").unwrap();
            let seqs = list(&mut c, CatalogKind::SEQUENCES, "cat*");
            assert_eq!(seqs, (vec!["name".to_string()], vec![vec![t("cat_s")]]));
            assert!(!list(&mut c, CatalogKind::TABLES, "")
                .1
                .iter()
                .any(|r| r[0] == t("cat_s")));
        } else {
            let e = c.catalog(CatalogKind::SEQUENCES, "").unwrap_err();
            assert_eq!(e.kind, ErrorKind::UNSUPPORTED, "{e}");
        }
    }

    #[test]
    fn patterns_are_data_and_a_session_without_a_database_says_so() {
        let mut c = testing::connect();
        // A quote in a pattern is data, never SQL.
        assert!(list(&mut c, CatalogKind::DATABASES, "x' OR ''='")
            .1
            .is_empty());
        // With NO_BACKSLASH_ESCAPES the escape character is still `\`.
        c.execute_batch("SET SESSION sql_mode = 'NO_BACKSLASH_ESCAPES'")
            .unwrap();
        let name = testing::options().database.to_string();
        assert!(name.contains('_'));
        assert_eq!(list(&mut c, CatalogKind::DATABASES, &name).1.len(), 1);

        let mut options = testing::options();
        options.database = "".into();
        let mut bare = testing::connect_to(&options);
        let e = bare.catalog(CatalogKind::TABLES, "").unwrap_err();
        assert_eq!(e.kind, ErrorKind::INVALID_INPUT, "{e}");
        assert!(e.message.contains("no database is selected"), "{e}");
        assert!(!list(&mut bare, CatalogKind::DATABASES, "").1.is_empty());

        let e = c.catalog(CatalogKind(42), "").unwrap_err();
        assert_eq!(e.kind, ErrorKind::UNSUPPORTED);
        assert!(e.message.contains("objects of kind 42"), "{e}");
        let mysql = Server::from_version("8.0.36");
        let e = listing(CatalogKind::SEQUENCES, &mysql).unwrap_err();
        assert_eq!(e.kind, ErrorKind::UNSUPPORTED);
        assert!(e.message.contains("MySQL 8.0.36 has no sequences"), "{e}");
    }

    #[test]
    fn an_account_that_cannot_read_mysql_user_is_told_which_privilege_it_lacks() {
        let db = OwnDatabase::new("catalog_roles");
        let mut admin = testing::connect();
        admin
            .execute_batch(&format!(
                "DROP USER IF EXISTS 't_catalog_nopriv'@'%'; \
                 CREATE USER 't_catalog_nopriv'@'%'; \
                 GRANT SELECT ON `{}`.* TO 't_catalog_nopriv'@'%'",
                db.options.database
            ))
            .unwrap();
        let mut options = db.options.clone();
        options.user = "t_catalog_nopriv".into();
        options.password = "".into();
        let outcome = crate::MysqlDriver
            .connect(&options)
            .map(|mut c| c.catalog(CatalogKind::ROLES, "").map(|_| ()).unwrap_err());
        let _ = admin.execute_batch("DROP USER IF EXISTS 't_catalog_nopriv'@'%'");
        let e = outcome.unwrap();
        assert_eq!(e.kind, ErrorKind::PERMISSION, "{e}");
        assert!(
            e.message
                .contains("needs the SELECT privilege on mysql.user"),
            "{e}"
        );
    }
}
