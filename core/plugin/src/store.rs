//! The object store trait a plugin author implements, in plain Rust: a place away from the
//! machine where the host keeps backups (S3 and the servers that speak its API).
//!
//! The store is opened with its location in the settings (`{"location": "s3://bucket/p"}`);
//! keys are `/`-separated paths under it. The host uploads every file of a backup and the
//! manifest last, and deletes the manifest first, so a store only has to move whole files.

use crate::guard::guard;
use crate::PluginError;
use myrmex_abi::{self as abi, RResult, RStr, RVec};
use std::path::Path;

pub use myrmex_abi::StoredObject;

/// An object store.
pub trait ObjectStore: Send + Sync + 'static {
    /// Uploads the local file `path` as object `key`.
    fn put(&self, key: &str, path: &Path) -> Result<(), PluginError>;

    /// Downloads object `key` into the local file `path`.
    fn get(&self, key: &str, path: &Path) -> Result<(), PluginError>;

    /// Every object whose key starts with `prefix`, in key order.
    fn list(&self, prefix: &str) -> Result<Vec<StoredObject>, PluginError>;

    /// Deletes object `key` (no error when there is none).
    fn delete(&self, key: &str) -> Result<(), PluginError>;
}

pub(crate) struct Adapter<S>(pub(crate) S);

impl<S: ObjectStore> abi::ObjectStore for Adapter<S> {
    fn put(&self, key: RStr<'_>, path: RStr<'_>) -> RResult<(), PluginError> {
        guard(|| self.0.put(key.as_str(), Path::new(path.as_str())))
    }

    fn get(&self, key: RStr<'_>, path: RStr<'_>) -> RResult<(), PluginError> {
        guard(|| self.0.get(key.as_str(), Path::new(path.as_str())))
    }

    fn list(&self, prefix: RStr<'_>) -> RResult<RVec<StoredObject>, PluginError> {
        guard(|| self.0.list(prefix.as_str()).map(RVec::from))
    }

    fn delete(&self, key: RStr<'_>) -> RResult<(), PluginError> {
        guard(|| self.0.delete(key.as_str()))
    }
}
