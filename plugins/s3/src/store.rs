//! The S3 object store: every request signed with SigV4 as a short-lived URL (rusty-s3) and
//! sent with a blocking HTTP client (ureq). Files up to 64 MiB go in one PUT; larger ones in
//! 32 MiB parts of a multipart upload (aborted if a part fails), so memory stays bounded
//! whatever the file's size.

use crate::location::Location;
use myrmex_plugin::store::{ObjectStore, StoredObject};
use myrmex_plugin::{Config, ErrorKind, PluginError};
use rusty_s3::actions::{CreateMultipartUpload, ListObjectsV2};
use rusty_s3::{Bucket, Credentials, S3Action, UrlStyle};
use serde::Deserialize;
use std::io::Read;
use std::path::Path;
use std::time::Duration;
use ureq::http::Response;
use ureq::Body;

/// How long a signed request stays valid.
const EXPIRES: Duration = Duration::from_secs(3600);
/// Files larger than this go in a multipart upload.
const SINGLE_PUT_MAX: u64 = 64 << 20;
/// The size of each part of a multipart upload (S3 allows 10,000 parts: 320 GiB a file).
const PART: usize = 32 << 20;

/// The store's settings: the location the host hands it.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct Settings {
    location: String,
}

/// An S3 bucket and prefix.
pub struct S3Store {
    location: Location,
    bucket: Bucket,
    credentials: Credentials,
    agent: ureq::Agent,
}

/// Opens the store at the location in `config`.
pub fn open(config: Config<'_>) -> Result<S3Store, PluginError> {
    let s: Settings = config.parse()?;
    let location = Location::parse(&s.location, |k| std::env::var(k).ok())?;
    let credentials = Credentials::from_env().ok_or_else(|| {
        PluginError::new(
            ErrorKind::AUTHENTICATION,
            "no credentials for the s3 store: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY \
             (and AWS_SESSION_TOKEN for temporary ones)",
        )
    })?;
    let endpoint = location.endpoint.parse().map_err(|e| {
        PluginError::new(
            ErrorKind::INVALID_INPUT,
            format!("store endpoint {}: {e}", location.endpoint),
        )
    })?;
    let style = if location.path_style {
        UrlStyle::Path
    } else {
        UrlStyle::VirtualHost
    };
    let bucket = Bucket::new(
        endpoint,
        style,
        location.bucket.clone(),
        location.region.clone(),
    )
    .map_err(|e| {
        PluginError::new(
            ErrorKind::INVALID_INPUT,
            format!("bucket {} at {}: {e}", location.bucket, location.endpoint),
        )
    })?;
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(Duration::from_secs(10)))
        .build()
        .into();
    Ok(S3Store {
        location,
        bucket,
        credentials,
        agent,
    })
}

fn io(path: &Path, e: std::io::Error) -> PluginError {
    PluginError::new(ErrorKind::IO, format!("{}: {e}", path.display()))
}

/// The text of an S3 error answer: `Code: Message` from its XML, else its start.
fn s3_error(body: &str) -> String {
    let tag = |t: &str| {
        let open = format!("<{t}>");
        let start = body.find(&open)? + open.len();
        let end = body[start..].find(&format!("</{t}>"))? + start;
        Some(body[start..end].to_string())
    };
    match (tag("Code"), tag("Message")) {
        (Some(c), Some(m)) => format!("{c}: {m}"),
        (Some(c), None) => c,
        _ => body.chars().take(200).collect(),
    }
}

impl S3Store {
    /// What a request of `what` on `key` answered: the response when it succeeded, else an
    /// error naming the key, the status and S3's code (never the signed URL).
    fn answer(
        &self,
        sent: Result<Response<Body>, ureq::Error>,
        what: &str,
        key: &str,
    ) -> Result<Response<Body>, PluginError> {
        let where_ = format!("s3://{}/{key}", self.location.bucket);
        let mut r = sent.map_err(|e| {
            PluginError::new(
                ErrorKind::CONNECTION,
                format!(
                    "{what} {where_}: cannot reach {}: {}",
                    self.location.endpoint,
                    scrub(&e.to_string())
                ),
            )
        })?;
        let status = r.status();
        if status.is_success() {
            return Ok(r);
        }
        let body = r.body_mut().read_to_string().unwrap_or_default();
        let kind = match status.as_u16() {
            401 | 403 => ErrorKind::PERMISSION,
            404 => ErrorKind::NOT_FOUND,
            _ => ErrorKind::IO,
        };
        Err(PluginError::new(
            kind,
            format!("{what} {where_}: {status} {}", s3_error(&body)),
        ))
    }

    fn put_multipart(
        &self,
        key: &str,
        path: &Path,
        file: &mut std::fs::File,
    ) -> Result<(), PluginError> {
        let create = self
            .bucket
            .create_multipart_upload(Some(&self.credentials), key);
        let url = create.sign(EXPIRES);
        let mut r = self.answer(self.agent.post(url.as_str()).send(()), "upload", key)?;
        let text = r.body_mut().read_to_string().unwrap_or_default();
        let created = CreateMultipartUpload::parse_response(&text).map_err(|e| {
            PluginError::new(ErrorKind::IO, format!("upload {key}: S3's answer: {e}"))
        })?;
        let id = created.upload_id().to_string();
        let uploaded = (|| {
            let mut etags = Vec::new();
            let mut buf = vec![0u8; PART];
            for number in 1u16.. {
                let mut filled = 0;
                while filled < PART {
                    let n = file.read(&mut buf[filled..]).map_err(|e| io(path, e))?;
                    if n == 0 {
                        break;
                    }
                    filled += n;
                }
                if filled == 0 && number > 1 {
                    break;
                }
                let url = self
                    .bucket
                    .upload_part(Some(&self.credentials), key, number, &id)
                    .sign(EXPIRES);
                let r = self.answer(
                    self.agent.put(url.as_str()).send(&buf[..filled]),
                    "upload",
                    key,
                )?;
                let etag = r
                    .headers()
                    .get("etag")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_string();
                etags.push(etag);
                if filled < PART {
                    break;
                }
            }
            let complete = self.bucket.complete_multipart_upload(
                Some(&self.credentials),
                key,
                &id,
                etags.iter().map(|e| e.as_str()),
            );
            let url = complete.sign(EXPIRES);
            self.answer(
                self.agent.post(url.as_str()).send(complete.body()),
                "upload",
                key,
            )
            .map(|_| ())
        })();
        if uploaded.is_err() {
            let url = self
                .bucket
                .abort_multipart_upload(Some(&self.credentials), key, &id)
                .sign(EXPIRES);
            let _ = self.agent.delete(url.as_str()).call();
        }
        uploaded
    }
}

/// `text` with every query string cut: a signed URL's signature never reaches a message.
fn scrub(text: &str) -> String {
    text.split_whitespace()
        .map(|w| w.split_once('?').map_or(w, |(head, _)| head))
        .collect::<Vec<_>>()
        .join(" ")
}

impl ObjectStore for S3Store {
    fn put(&self, key: &str, path: &Path) -> Result<(), PluginError> {
        let key = self.location.key(key);
        let mut file = std::fs::File::open(path).map_err(|e| io(path, e))?;
        let size = file.metadata().map_err(|e| io(path, e))?.len();
        if size > SINGLE_PUT_MAX {
            return self.put_multipart(&key, path, &mut file);
        }
        let url = self
            .bucket
            .put_object(Some(&self.credentials), &key)
            .sign(EXPIRES);
        self.answer(self.agent.put(url.as_str()).send(&file), "upload", &key)
            .map(|_| ())
    }

    fn get(&self, key: &str, path: &Path) -> Result<(), PluginError> {
        let key = self.location.key(key);
        let url = self
            .bucket
            .get_object(Some(&self.credentials), &key)
            .sign(EXPIRES);
        let r = self.answer(self.agent.get(url.as_str()).call(), "download", &key)?;
        let mut out = std::fs::File::create(path).map_err(|e| io(path, e))?;
        std::io::copy(&mut r.into_body().into_reader(), &mut out).map_err(|e| {
            PluginError::new(
                ErrorKind::IO,
                format!("download s3://{}/{key}: {e}", self.location.bucket),
            )
        })?;
        out.sync_all().map_err(|e| io(path, e))
    }

    fn list(&self, prefix: &str) -> Result<Vec<StoredObject>, PluginError> {
        let full = self.location.key(prefix);
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut action = self.bucket.list_objects_v2(Some(&self.credentials));
            action.with_prefix(full.as_str());
            if let Some(t) = &token {
                action.with_continuation_token(t.as_str());
            }
            let url = action.sign(EXPIRES);
            let mut r = self.answer(self.agent.get(url.as_str()).call(), "list", &full)?;
            let text = r.body_mut().read_to_string().map_err(|e| {
                PluginError::new(
                    ErrorKind::IO,
                    format!("list {full}: {}", scrub(&e.to_string())),
                )
            })?;
            let page = ListObjectsV2::parse_response(&text).map_err(|e| {
                PluginError::new(ErrorKind::IO, format!("list {full}: S3's answer: {e}"))
            })?;
            for o in page.contents {
                if let Some(key) = self.location.relative(&o.key) {
                    out.push(StoredObject {
                        key: key.into(),
                        size: o.size.unwrap_or(0),
                        extensions: Default::default(),
                    });
                }
            }
            match page.next_continuation_token {
                Some(t) => token = Some(t),
                None => break,
            }
        }
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }

    fn delete(&self, key: &str) -> Result<(), PluginError> {
        let key = self.location.key(key);
        let url = self
            .bucket
            .delete_object(Some(&self.credentials), &key)
            .sign(EXPIRES);
        match self.answer(self.agent.delete(url.as_str()).call(), "delete", &key) {
            Err(e) if e.kind == ErrorKind::NOT_FOUND => Ok(()),
            other => other.map(|_| ()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_errors_read_code_and_message() {
        let body = "<?xml version=\"1.0\"?><Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message></Error>";
        assert_eq!(
            s3_error(body),
            "NoSuchBucket: The specified bucket does not exist"
        );
    }

    #[test]
    fn signatures_never_reach_a_message() {
        let t = scrub("http://h/b/k?X-Amz-Signature=abc&X-Amz-Credential=KEY failed");
        assert_eq!(t, "http://h/b/k failed");
    }
}
