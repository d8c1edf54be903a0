//! The `store` capability (contract 2.6): object stores that keep backups away from the
//! machine that made them (S3 and the servers that speak its API).
//!
//! A store is opened on a location the user names (`s3://bucket/prefix?endpoint=…`), given
//! in the opener's settings as `{"location": URL}`; keys are `/`-separated paths under that
//! location. The host moves whole files: it writes a backup locally, then puts every file and
//! the manifest last, so a backup whose upload was cut short never has a manifest there.
//! Credentials are the store's business (its own environment variables or files), never part
//! of the location.

use crate::{Extensions, PluginError};
use abi_stable::sabi_trait;
use abi_stable::std_types::{RBox, RResult, RStr, RString, RVec};
use abi_stable::StableAbi;

/// One object of a store.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq)]
pub struct StoredObject {
    /// Its key under the store's location.
    pub key: RString,
    /// Its size in bytes.
    pub size: u64,
    /// Facts a later contract adds.
    pub extensions: Extensions,
}

/// An object store.
#[sabi_trait]
pub trait ObjectStore: Send + Sync {
    /// Uploads the local file `path` as object `key` (replacing one of that key).
    fn put(&self, key: RStr<'_>, path: RStr<'_>) -> RResult<(), PluginError>;

    /// Downloads object `key` into the local file `path` (created or truncated).
    fn get(&self, key: RStr<'_>, path: RStr<'_>) -> RResult<(), PluginError>;

    /// Every object whose key starts with `prefix`, in key order.
    fn list(&self, prefix: RStr<'_>) -> RResult<RVec<StoredObject>, PluginError>;

    /// Deletes object `key` (no error when there is none).
    #[sabi(last_prefix_field)]
    fn delete(&self, key: RStr<'_>) -> RResult<(), PluginError>;
}

/// A boxed [`ObjectStore`].
pub type ObjectStoreBox = ObjectStore_TO<'static, RBox<()>>;
