//! # myrmex-s3 — backups kept in S3
//!
//! A `cdylib` exporting the `store` capability `s3` (locations `s3://BUCKET/PREFIX`): the
//! destination of `myrmex backup --dest s3://…`, of `backups`, `verify`, `restore` and
//! `backup prune` on such a location, and of scheduled jobs whose `dest` is one. It speaks
//! the S3 API to AWS or to any server that implements it (MinIO, Ceph's RADOS Gateway, moto):
//! see [`location`] for the URL's options. Credentials come from `AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`, never from the location.

pub mod location;
pub mod store;

myrmex_plugin::plugin! {
    store "s3" ("s3"):
        "S3 and S3-compatible object stores (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)" => store::open,
}
