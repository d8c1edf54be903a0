//! [`Config`]: a capability's user settings, read into the plugin's own typed struct.

use crate::PluginError;
use serde::de::DeserializeOwned;

/// The settings the user gave a capability (a table of `myrmex.toml`, a Rhai map), as
/// they crossed the contract.
#[derive(Clone, Copy, Debug)]
pub struct Config<'a> {
    capability: &'a str,
    json: &'a str,
}

impl<'a> Config<'a> {
    /// Settings `json` (empty for none) for the capability named `capability`.
    pub fn new(capability: &'a str, json: &'a str) -> Self {
        Config { capability, json }
    }

    /// The raw JSON text (empty when the user gave none).
    pub fn json(&self) -> &'a str {
        self.json
    }

    /// Reads the settings into `T`; no settings give `T::default()`. A wrong key or type is
    /// an [`myrmex_abi::ErrorKind::INVALID_INPUT`] error naming the capability and the key.
    ///
    /// ```
    /// #[derive(serde::Deserialize, Default)]
    /// #[serde(deny_unknown_fields)]
    /// struct Settings { seed: u64 }
    /// let s: Settings = myrmex_plugin::Config::new("modulo", r#"{"seed": 7}"#).parse().unwrap();
    /// assert_eq!(s.seed, 7);
    /// let e = myrmex_plugin::Config::new("modulo", r#"{"sead": 7}"#).parse::<Settings>();
    /// assert!(e.err().unwrap().message.contains("`modulo`"));
    /// ```
    pub fn parse<T: DeserializeOwned + Default>(&self) -> Result<T, PluginError> {
        if self.json.trim().is_empty() {
            return Ok(T::default());
        }
        serde_json::from_str(self.json)
            .map_err(|e| PluginError::invalid(format!("settings of `{}`: {e}", self.capability)))
    }
}
