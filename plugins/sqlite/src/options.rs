//! Connection options from the URL query string.

use crate::types::TextMode;
use myrmex_plugin::{ConnectOptions, PluginError};
use rusqlite::OpenFlags;
use std::time::Duration;

/// Parsed SQLite options.
#[derive(Debug)]
pub struct SqliteOptions {
    pub path: String,
    pub flags: OpenFlags,
    pub busy_timeout: Duration,
    pub journal_mode: Option<&'static str>,
    pub foreign_keys: bool,
    pub synchronous: Option<&'static str>,
    /// How TEXT that is not valid UTF-8 is read.
    pub text: TextMode,
}

const KNOWN: &str = "mode, busy_timeout, journal_mode, foreign_keys, synchronous, text";

fn one_of(key: &str, value: &str, allowed: &[&'static str]) -> Result<&'static str, PluginError> {
    let lower = value.to_ascii_lowercase();
    allowed
        .iter()
        .copied()
        .find(|a| *a == lower)
        .ok_or_else(|| {
            PluginError::invalid(format!(
                "sqlite option {key}={value} is not valid (expected one of: {})",
                allowed.join(", ")
            ))
        })
}

impl SqliteOptions {
    /// Reads the options; unknown keys and bad values are errors naming the key.
    pub fn parse(o: &ConnectOptions) -> Result<Self, PluginError> {
        // A relative path from a config file resolves against that file's directory.
        let path = if o.database.is_empty() {
            ":memory:".to_string()
        } else {
            myrmex_plugin::url::file_path(o)
        };
        let mut opts = SqliteOptions {
            path,
            flags: OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            busy_timeout: Duration::from_millis(5000),
            journal_mode: None,
            foreign_keys: true,
            synchronous: None,
            text: TextMode::Strict,
        };
        for pair in o.options.iter() {
            let (key, value) = (pair.0.as_str(), pair.1.as_str());
            match key {
                "mode" => {
                    let base = OpenFlags::SQLITE_OPEN_NO_MUTEX;
                    opts.flags = match one_of(key, value, &["ro", "rw", "rwc", "memory"])? {
                        "ro" => base | OpenFlags::SQLITE_OPEN_READ_ONLY,
                        "rw" => base | OpenFlags::SQLITE_OPEN_READ_WRITE,
                        "memory" => {
                            opts.path = ":memory:".into();
                            base | OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE
                        }
                        _ => {
                            base | OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE
                        }
                    }
                }
                "busy_timeout" => {
                    let ms: u64 = value.parse().map_err(|_| {
                        PluginError::invalid(format!(
                            "sqlite option busy_timeout={value} is not a number of milliseconds"
                        ))
                    })?;
                    opts.busy_timeout = Duration::from_millis(ms);
                }
                "journal_mode" => {
                    opts.journal_mode = Some(one_of(
                        key,
                        value,
                        &["wal", "delete", "truncate", "persist", "memory", "off"],
                    )?)
                }
                "foreign_keys" => {
                    opts.foreign_keys =
                        one_of(key, value, &["on", "off", "true", "false", "1", "0"])
                            .map(|v| matches!(v, "on" | "true" | "1"))?
                }
                "synchronous" => {
                    opts.synchronous =
                        Some(one_of(key, value, &["off", "normal", "full", "extra"])?)
                }
                "text" => {
                    opts.text = match one_of(key, value, &["strict", "lossy", "blob"])? {
                        "lossy" => TextMode::Lossy,
                        "blob" => TextMode::Blob,
                        _ => TextMode::Strict,
                    }
                }
                _ => {
                    return Err(PluginError::invalid(format!(
                        "unknown sqlite option `{key}` (known: {KNOWN})"
                    )))
                }
            }
        }
        Ok(opts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use myrmex_abi::Tuple2;

    fn with(opts: &[(&str, &str)]) -> ConnectOptions {
        ConnectOptions {
            database: "x.db".into(),
            options: opts
                .iter()
                .map(|(k, v)| Tuple2((*k).into(), (*v).into()))
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn parses_known_options() {
        let o = SqliteOptions::parse(&with(&[
            ("mode", "ro"),
            ("busy_timeout", "250"),
            ("journal_mode", "WAL"),
            ("text", "lossy"),
        ]))
        .unwrap();
        assert_eq!(o.text, TextMode::Lossy);
        assert!(o.flags.contains(OpenFlags::SQLITE_OPEN_READ_ONLY));
        assert_eq!(o.busy_timeout, Duration::from_millis(250));
        assert_eq!(o.journal_mode, Some("wal"));
    }

    #[test]
    fn rejects_unknown_and_bad_values_naming_the_key() {
        let e = SqliteOptions::parse(&with(&[("jornal_mode", "wal")])).unwrap_err();
        assert!(e.message.contains("jornal_mode"), "{}", e.message);
        let e = SqliteOptions::parse(&with(&[("journal_mode", "wal; DROP TABLE x")])).unwrap_err();
        assert!(e.message.contains("journal_mode"), "{}", e.message);
        let e = SqliteOptions::parse(&with(&[("busy_timeout", "soon")])).unwrap_err();
        assert!(e.message.contains("busy_timeout"), "{}", e.message);
    }
}
