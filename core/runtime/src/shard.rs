//! [`ShardRouter`]: a shard router capability opened from a plugin.

use crate::plugin::Registry;
use crate::{Error, Result, Value};
use myrmex_abi::{ShardRouterBox, ValueNE};
use std::fmt;

/// A shard router: maps a shard key to one of `shards` shards, by the rule of the plugin that
/// provides it.
///
/// ```no_run
/// # fn demo() -> myrmex_core::Result<()> {
/// use myrmex_core::{plugin::Registry, ShardRouter, Value};
/// let router = ShardRouter::open(&Registry::global(), "modulo", "")?;
/// let shard = router.route(&Value::Int(42), 4)?;
/// assert!(shard < 4);
/// # Ok(()) }
/// ```
pub struct ShardRouter {
    name: String,
    inner: ShardRouterBox,
}

impl ShardRouter {
    /// Opens the router `name` with `config` (its settings as JSON; empty for none).
    pub fn open(registry: &Registry, name: &str, config: &str) -> Result<ShardRouter> {
        Ok(ShardRouter {
            name: name.to_string(),
            inner: registry.open_shard(name, config)?,
        })
    }

    /// The router's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The shard (0-based, below `shards`) that holds `key`.
    pub fn route(&self, key: &Value, shards: u32) -> Result<u32> {
        if shards == 0 {
            return Err(Error::Capability {
                kind: "shard".into(),
                name: self.name.clone(),
                source: Box::new(myrmex_abi::PluginError::invalid(
                    "the shard count must be at least 1",
                )),
            });
        }
        let key = ValueNE::from(key.clone());
        self.inner
            .route(&key, shards)
            .into_result()
            .map_err(|source| Error::Capability {
                kind: "shard".into(),
                name: self.name.clone(),
                source: Box::new(source),
            })
    }
}

impl fmt::Debug for ShardRouter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ShardRouter({})", self.name)
    }
}
