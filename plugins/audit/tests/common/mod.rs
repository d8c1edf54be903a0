//! What the tests share: connections through each driver, contexts and finding summaries.

#![allow(dead_code)]

use myrmex_abi::ConnectionBox;
use myrmex_plugin::audit::{Context, Finding, Severity};
use myrmex_plugin::{driver_box, ConnectOptions, Driver};

/// The URL of a test server from `var`, or `None` (printing that the test is skipped).
/// With `MYRMEX_REQUIRE_SERVERS=1` a missing variable fails the test instead.
pub fn server_url(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            assert!(
                std::env::var("MYRMEX_REQUIRE_SERVERS").as_deref() != Ok("1"),
                "{var} is not set but MYRMEX_REQUIRE_SERVERS=1"
            );
            eprintln!("SKIPPED: {var} is not set");
            None
        }
    }
}

/// A connection through `driver` to `url`, with `database` in place of the URL's when given.
pub fn connect<D: Driver>(driver: D, url: &str, database: Option<&str>) -> ConnectionBox {
    let mut options: ConnectOptions = driver.parse_url(url, "").expect("the URL parses");
    if let Some(db) = database {
        options.database = db.into();
    }
    driver_box(driver)
        .connect(&options)
        .unwrap_or_else(|e| panic!("cannot connect to {url}: {e}"))
}

/// The context of a connection to `driver` speaking `dialect`, with `settings`.
pub fn context(driver: &str, dialect: &str, settings: &str) -> Context {
    Context {
        driver: driver.into(),
        dialect: dialect.into(),
        settings: settings.into(),
        ..Context::default()
    }
}

/// Findings as (rule, severity, object), sorted.
pub fn summary(found: &[Finding]) -> Vec<(String, Severity, String)> {
    let mut s: Vec<_> = found
        .iter()
        .map(|f| (f.rule.clone(), f.severity, f.object.clone()))
        .collect();
    s.sort_by(|a, b| (&a.0, &a.2).cmp(&(&b.0, &b.2)));
    s
}

/// The message of the finding of `rule` about `object`.
pub fn message<'f>(found: &'f [Finding], rule: &str, object: &str) -> &'f str {
    found
        .iter()
        .find(|f| f.rule == rule && f.object == object)
        .map(|f| f.message.as_str())
        .unwrap_or_else(|| panic!("no {rule} finding about {object} in {found:#?}"))
}
