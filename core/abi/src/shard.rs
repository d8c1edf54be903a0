//! The `shard` capability: map a shard key to a shard.

use crate::{PluginError, ValueNE};
use abi_stable::sabi_trait;
use abi_stable::std_types::{RBox, RResult};

/// A shard router: maps a shard key to one of `shards` shards.
#[sabi_trait]
pub trait ShardRouter: Send + Sync {
    /// The shard (0-based, below `shards`) that holds `key`.
    #[sabi(last_prefix_field)]
    fn route(&self, key: &ValueNE, shards: u32) -> RResult<u32, PluginError>;
}

/// A boxed [`ShardRouter`].
pub type ShardRouterBox = ShardRouter_TO<'static, RBox<()>>;
