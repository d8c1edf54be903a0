//! # myrmex-plugin-test — the driver conformance suite, for any driver
//!
//! Certifies a driver plugin through the host, exactly as `myrmex` loads and uses it: every
//! case talks to a real database through the plugin file, with SQL that every SQL engine
//! accepts (types `integer`, `varchar(n)`, `double precision` where the dialect has them;
//! placeholders written in the style the driver's dialect names). A third party runs it from
//! a test of its own plugin:
//!
//! ```no_run
//! // tests/conformance.rs of a driver plugin, after `cargo build`:
//! myrmex_plugin_test::Suite::new("duck:///tmp/conformance.db")
//!     .plugin_dir(env!("CARGO_MANIFEST_DIR").to_string() + "/../target/debug")
//!     .run_all();
//! ```
//!
//! or simply `myrmex_plugin_test::run_all(url)` when the plugin is on the standard search
//! path (`MYRMEX_PLUGIN_PATH`, the config's `plugin_dirs`). Every case runs even when an
//! earlier one failed; the suite then panics with a report naming each failed case and why.
//! A driver that answers "unsupported" for an optional part (locks, scratch databases) is
//! reported as such, by name, not passed silently.

mod cases;

use myrmex_core::plugin::{Registry, SearchPath};
use myrmex_core::DatabaseConnection;
use std::path::PathBuf;
use std::sync::Arc;

/// Runs every case against `url` with the standard plugin search path; panics with a
/// report when any case fails.
pub fn run_all(url: &str) {
    Suite::new(url).run_all();
}

/// The outcome of one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It passed.
    Passed,
    /// The driver answered "unsupported" for an optional part; the text says which.
    Unsupported(String),
    /// It failed; the text says how.
    Failed(String),
}

/// The conformance suite for one database URL.
pub struct Suite {
    url: String,
    dirs: Vec<PathBuf>,
    prefix: String,
}

/// What a case gets: a way to open connections to the database under test.
pub struct Target {
    url: String,
    registry: Arc<Registry>,
    /// A prefix for the names of tables the case creates (`mpt_<pid>_`).
    pub prefix: String,
}

impl Target {
    /// A new connection to the database under test.
    pub fn connect(&self) -> Result<DatabaseConnection, String> {
        let options = self
            .registry
            .parse_url(&self.url, std::path::Path::new(""))
            .map_err(|e| e.to_string())?;
        let mut c = DatabaseConnection::new(
            "conformance",
            myrmex_core::ConnectParams::from_options(&options),
        );
        c.connect_with(&self.registry).map_err(|e| e.to_string())?;
        Ok(c)
    }

    /// The registry the suite loaded.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The URL under test.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Suite {
    /// The suite for `url`, loading plugins from the standard search path.
    pub fn new(url: &str) -> Suite {
        Suite {
            url: url.to_string(),
            dirs: Vec::new(),
            prefix: format!("mpt_{}_", std::process::id()),
        }
    }

    /// Loads plugins from `dir` too (first), as `myrmex --plugin-dir DIR` does.
    pub fn plugin_dir(mut self, dir: impl Into<PathBuf>) -> Suite {
        self.dirs.push(dir.into());
        self
    }

    /// Runs every case and returns each one's outcome, by name.
    pub fn run(&self) -> Vec<(&'static str, Outcome)> {
        let registry = Arc::new(Registry::load(SearchPath::standard(&self.dirs, &[], None)));
        let target = Target {
            url: self.url.clone(),
            registry,
            prefix: self.prefix.clone(),
        };
        cases::ALL
            .iter()
            .map(|(name, case)| {
                let outcome = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    case(&target)
                })) {
                    Ok(o) => o,
                    Err(p) => Outcome::Failed(
                        p.downcast_ref::<String>()
                            .cloned()
                            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                            .unwrap_or_else(|| "panicked".into()),
                    ),
                };
                (*name, outcome)
            })
            .collect()
    }

    /// Runs every case; prints one line per case and panics with the failures, if any.
    pub fn run_all(&self) {
        let results = self.run();
        let mut failed = Vec::new();
        for (name, outcome) in &results {
            match outcome {
                Outcome::Passed => eprintln!("conformance {name}: ok"),
                Outcome::Unsupported(why) => eprintln!("conformance {name}: unsupported ({why})"),
                Outcome::Failed(why) => {
                    eprintln!("conformance {name}: FAILED: {why}");
                    failed.push(format!("{name}: {why}"));
                }
            }
        }
        if !failed.is_empty() {
            panic!(
                "{} of {} conformance case(s) failed for {}:\n  {}",
                failed.len(),
                results.len(),
                myrmex_core::url::redact(&self.url),
                failed.join("\n  ")
            );
        }
    }
}
