//! Where a store points: `s3://BUCKET[/PREFIX][?endpoint=URL&region=NAME&path_style=BOOL]`.
//!
//! The endpoint defaults to `AWS_ENDPOINT_URL`, then to AWS's own for the region; the region
//! to `AWS_REGION`, `AWS_DEFAULT_REGION`, then `us-east-1`. A custom endpoint is addressed
//! path-style (`http://host/bucket/key`, what most S3-compatible servers want) unless
//! `path_style=false`. Credentials never appear here: they come from the environment.

use myrmex_plugin::{ErrorKind, PluginError};
use percent_encoding::percent_decode_str;

/// A parsed location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The bucket.
    pub bucket: String,
    /// The key prefix every object of the store sits under (no leading or trailing `/`).
    pub prefix: String,
    /// The endpoint URL.
    pub endpoint: String,
    /// The region.
    pub region: String,
    /// Path-style addressing.
    pub path_style: bool,
}

fn invalid(url: &str, why: &str) -> PluginError {
    PluginError::new(
        ErrorKind::INVALID_INPUT,
        format!(
            "store location {url}: {why} (expected s3://BUCKET/PREFIX?endpoint=URL&region=NAME)"
        ),
    )
}

impl Location {
    /// Parses `url`; `env` reads an environment variable (the process's, in use).
    pub fn parse(url: &str, env: impl Fn(&str) -> Option<String>) -> Result<Location, PluginError> {
        let rest = url
            .strip_prefix("s3://")
            .ok_or_else(|| invalid(url, "not an s3:// URL"))?;
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (bucket, prefix) = path.split_once('/').unwrap_or((path, ""));
        if bucket.is_empty() {
            return Err(invalid(url, "no bucket"));
        }
        let mut endpoint = None;
        let mut region = None;
        let mut path_style = None;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let v = percent_decode_str(v).decode_utf8_lossy().into_owned();
            match k {
                "endpoint" => endpoint = Some(v),
                "region" => region = Some(v),
                "path_style" => {
                    path_style = Some(match v.as_str() {
                        "true" | "1" => true,
                        "false" | "0" => false,
                        _ => return Err(invalid(url, "path_style must be true or false")),
                    })
                }
                _ => {
                    return Err(invalid(
                        url,
                        &format!("unknown option `{k}` (known: endpoint, region, path_style)"),
                    ))
                }
            }
        }
        let env = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        let region = region
            .or_else(|| env("AWS_REGION"))
            .or_else(|| env("AWS_DEFAULT_REGION"))
            .unwrap_or_else(|| "us-east-1".into());
        let custom = endpoint.or_else(|| env("AWS_ENDPOINT_URL"));
        let path_style = path_style.unwrap_or(custom.is_some());
        let endpoint = custom.unwrap_or_else(|| format!("https://s3.{region}.amazonaws.com"));
        Ok(Location {
            bucket: bucket.to_string(),
            prefix: prefix.trim_matches('/').to_string(),
            endpoint,
            region,
            path_style,
        })
    }

    /// The full key of `key` under the prefix.
    pub fn key(&self, key: &str) -> String {
        if self.prefix.is_empty() {
            key.to_string()
        } else {
            format!("{}/{key}", self.prefix)
        }
    }

    /// `key` without the prefix (`None` when it is not under it).
    pub fn relative<'a>(&self, key: &'a str) -> Option<&'a str> {
        if self.prefix.is_empty() {
            Some(key)
        } else {
            key.strip_prefix(self.prefix.as_str())?.strip_prefix('/')
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn bucket_prefix_and_options() {
        let l = Location::parse(
            "s3://backups/shop/nightly/?endpoint=http%3A%2F%2F127.0.0.1%3A9000&region=eu-west-1",
            none,
        )
        .unwrap();
        assert_eq!(l.bucket, "backups");
        assert_eq!(l.prefix, "shop/nightly");
        assert_eq!(l.endpoint, "http://127.0.0.1:9000");
        assert_eq!(l.region, "eu-west-1");
        assert!(l.path_style);
        assert_eq!(l.key("a/b"), "shop/nightly/a/b");
        assert_eq!(l.relative("shop/nightly/a/b"), Some("a/b"));
        assert_eq!(l.relative("shop/other"), None);
    }

    #[test]
    fn aws_defaults_from_the_environment() {
        let env = |k: &str| (k == "AWS_REGION").then(|| "ap-south-1".to_string());
        let l = Location::parse("s3://b", env).unwrap();
        assert_eq!(l.endpoint, "https://s3.ap-south-1.amazonaws.com");
        assert!(!l.path_style);
        assert_eq!(l.key("x"), "x");
    }

    #[test]
    fn bad_locations_are_named() {
        for (url, what) in [
            ("file:///x", "not an s3:// URL"),
            ("s3:///x", "no bucket"),
            ("s3://b?colour=red", "unknown option `colour`"),
            ("s3://b?path_style=maybe", "path_style"),
        ] {
            let e = Location::parse(url, none).unwrap_err();
            assert!(e.message.contains(what), "{url}: {}", e.message);
        }
    }
}
