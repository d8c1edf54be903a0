//! The test server: `MYRMEX_TEST_MYSQL_URL`, or the local MariaDB's `myrmex_wt_mysql`.

use crate::{MysqlConnection, MysqlDriver};
use myrmex_plugin::{ConnectOptions, Connection, Driver};

/// The URL of the test database.
pub fn url() -> String {
    std::env::var("MYRMEX_TEST_MYSQL_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/myrmex_wt_mysql".into())
}

/// The test database's connection options.
pub fn options() -> ConnectOptions {
    MysqlDriver
        .parse_url(&url(), "")
        .expect("MYRMEX_TEST_MYSQL_URL is a mysql URL")
}

/// A session on the test database.
pub fn connect() -> MysqlConnection {
    connect_to(&options())
}

/// A session as `options` say.
pub fn connect_to(options: &ConnectOptions) -> MysqlConnection {
    MysqlDriver
        .connect(options)
        .unwrap_or_else(|e| panic!("cannot reach the test server {}: {e}", url()))
}

/// A database of its own for one test, `<test database>_<suffix>`, made empty on creation
/// and dropped when the value goes.
pub struct OwnDatabase {
    /// Options reaching it.
    pub options: ConnectOptions,
}

impl OwnDatabase {
    /// Creates (or empties) the database.
    pub fn new(suffix: &str) -> Self {
        let mut options = options();
        options.database = format!("{}_{suffix}", options.database).into();
        let mut admin = connect();
        let name = admin.quote(&options.database);
        admin
            .execute_batch(&format!(
                "DROP DATABASE IF EXISTS {name}; CREATE DATABASE {name}"
            ))
            .expect("create a test database");
        OwnDatabase { options }
    }
}

impl Drop for OwnDatabase {
    fn drop(&mut self) {
        let mut admin = connect();
        let name = admin.quote(&self.options.database);
        // Dropping is tidying up: a failure here must not hide the test's own outcome.
        let _ = admin.execute_batch(&format!("DROP DATABASE IF EXISTS {name}"));
    }
}
