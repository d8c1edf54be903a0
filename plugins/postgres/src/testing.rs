//! Connections to the test server for the tests beside the code: the URL in
//! `MYRMEX_TEST_POSTGRES_URL`, else the local server's `myrmex_wt_postgres` database.

use crate::conn::PgConnection;
use crate::driver::{PgDriver, Settings};
use myrmex_plugin::{ConnectOptions, Driver};

/// The scratch prefix the tests use, so that their databases are recognisably theirs.
pub const SCRATCH_PREFIX: &str = "myrmex_wt_postgres_scratch_";

/// The test server's URL.
pub fn url() -> String {
    std::env::var("MYRMEX_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/myrmex_wt_postgres".into())
}

/// The driver as the tests configure it.
pub fn driver() -> PgDriver {
    PgDriver::new(Settings {
        scratch_prefix: SCRATCH_PREFIX.into(),
    })
    .expect("the test settings are valid")
}

/// The test server's parameters.
pub fn options() -> ConnectOptions {
    driver().parse_url(&url(), "").expect("the test URL parses")
}

/// A new session on the test database.
pub fn connect() -> PgConnection {
    driver()
        .connect(&options())
        .expect("the test server accepts a connection")
}

/// A new session whose `application_name` is `app`.
pub fn connect_as(app: &str) -> PgConnection {
    let mut o = options();
    o.options
        .push(myrmex_abi::Tuple2("application_name".into(), app.into()));
    driver()
        .connect(&o)
        .expect("the test server accepts a connection")
}

/// A session whose search path is a new, empty schema (dropped again with everything in it
/// when this is dropped).
pub struct FreshSchema {
    conn: Option<PgConnection>,
    name: String,
}

impl std::ops::Deref for FreshSchema {
    type Target = PgConnection;
    fn deref(&self) -> &PgConnection {
        self.conn.as_ref().expect("the session lives until drop")
    }
}

impl std::ops::DerefMut for FreshSchema {
    fn deref_mut(&mut self) -> &mut PgConnection {
        self.conn.as_mut().expect("the session lives until drop")
    }
}

impl Drop for FreshSchema {
    fn drop(&mut self) {
        use myrmex_plugin::Connection;
        // The test's own session may be broken or in a failed transaction: a new one drops.
        self.conn = None;
        let _ = connect().execute_batch(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name));
    }
}

/// A session whose search path is a new, empty schema `name` (dropped first if a previous
/// run left it, and dropped when the result is), so that tests running side by side never
/// see each other's tables and leave nothing behind.
pub fn in_fresh_schema(name: &str) -> FreshSchema {
    use myrmex_plugin::Connection;
    let mut c = connect();
    c.execute_batch(&format!(
        "DROP SCHEMA IF EXISTS {name} CASCADE; CREATE SCHEMA {name}; SET search_path TO {name}"
    ))
    .expect("the test schema is created");
    FreshSchema {
        conn: Some(c),
        name: name.to_string(),
    }
}
