//! `range`: routes an integer key to the shard of the range it falls in.
//!
//! With `bounds = [100, 1000]`, keys below 100 go to shard 0, keys from 100 to 999 to
//! shard 1, and keys from 1000 up to shard 2: `bounds.len() + 1` ranges, one shard each.

use myrmex_plugin::{Config, PluginError, ShardRouter, Value};

/// The router and its settings: the ascending boundaries between ranges.
#[derive(serde::Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct Range {
    bounds: Vec<i64>,
}

impl ShardRouter for Range {
    fn route(&self, key: &Value, shards: u32) -> Result<u32, PluginError> {
        let Value::Int(key) = key else {
            let ty = key.type_name();
            return Err(PluginError::unsupported(format!("cannot route a {ty} key")));
        };
        let ranges = self.bounds.len() + 1;
        if ranges > shards as usize {
            return Err(PluginError::invalid(format!(
                "{ranges} ranges need {ranges} shards, not {shards}"
            )));
        }
        // The number of boundaries at or below the key is its range, below `shards`.
        Ok(self.bounds.partition_point(|bound| bound <= key) as u32)
    }
}

/// Opens `range` with the user's settings, e.g. `{"bounds": [100, 1000]}`.
fn open(config: Config) -> Result<Range, PluginError> {
    let range: Range = config.parse()?;
    if range.bounds.windows(2).any(|pair| pair[0] >= pair[1]) {
        return Err(PluginError::invalid(
            "settings of `range`: `bounds` must be strictly ascending",
        ));
    }
    Ok(range)
}

myrmex_plugin::plugin! {
    shard "range": "integer keys by range boundaries (`bounds = [100, 1000]`)" => open,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(json: &str) -> Result<Range, PluginError> {
        open(Config::new("range", json))
    }

    #[test]
    fn keys_go_to_the_shard_of_their_range() {
        let r = range(r#"{"bounds": [100, 1000]}"#).unwrap();
        let route = |k: i64| r.route(&Value::Int(k), 3).unwrap();
        assert_eq!(
            [route(i64::MIN), route(42), route(99)],
            [0, 0, 0],
            "below the first bound"
        );
        assert_eq!([route(100), route(999)], [1, 1]);
        assert_eq!([route(1000), route(i64::MAX)], [2, 2]);
    }

    #[test]
    fn no_bounds_is_one_range() {
        let r = range("").unwrap();
        assert_eq!(r.route(&Value::Int(5), 1).unwrap(), 0);
    }

    #[test]
    fn refuses_too_few_shards_other_keys_and_bad_settings() {
        let r = range(r#"{"bounds": [100, 1000]}"#).unwrap();
        let e = r.route(&Value::Int(1), 2).unwrap_err();
        assert!(e.message.contains("3 ranges need 3 shards, not 2"), "{e}");
        let e = r.route(&Value::from("x"), 3).unwrap_err();
        assert!(e.message.contains("cannot route a text key"), "{e}");
        let e = range(r#"{"bounds": [1000, 100]}"#).err().unwrap();
        assert!(e.message.contains("strictly ascending"), "{e}");
        let e = range(r#"{"bound": [1]}"#).err().unwrap();
        assert!(e.message.contains("unknown field `bound`"), "{e}");
    }
}
